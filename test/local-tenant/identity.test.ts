import { execFile } from "child_process";
import * as path from "path";
import { ClientCertificateCredential, ClientSecretCredential } from "@azure/identity";
import type { LocalTenant } from "../../local-tenant/server";
import { makeClientCertificate } from "../support/client-certificate";
import { SECOND_APP, call, closeAgents, startCoreTenant } from "./helpers";
import { testRoutes } from "./test-routes";

const REPO = path.resolve(__dirname, "../..");

function claimsOf(token: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

function tokenForm(tenant: LocalTenant, fields: Record<string, string>) {
    return call(tenant, "POST", `/${tenant.tenantId}/oauth2/v2.0/token`, {
        body: new URLSearchParams(fields).toString(),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
}

describe("local tenant identity", () => {
    let tenant: LocalTenant;

    beforeAll(async () => {
        tenant = await startCoreTenant({
            routes: testRoutes,
            grantedGraphRoles: ["User.Read.All", "Test.Read.All"],
        });
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    test("a real ClientSecretCredential gets a Graph token carrying the app's roles", async () => {
        const credential = new ClientSecretCredential(
            tenant.tenantId,
            tenant.clientId,
            tenant.clientSecret,
            {
                authorityHost: tenant.url,
                disableInstanceDiscovery: true,
                tlsOptions: { ca: tenant.caCertPem },
            } as ConstructorParameters<typeof ClientSecretCredential>[3],
        );

        const token = await credential.getToken("https://graph.microsoft.com/.default");

        const claims = claimsOf(token.token);
        expect(claims.aud).toBe("https://graph.microsoft.com");
        expect(claims.tid).toBe(tenant.tenantId);
        expect(claims.appid).toBe(tenant.clientId);
        expect(claims.roles).toEqual(["User.Read.All", "Test.Read.All"]);
        expect(token.expiresOnTimestamp - Date.now()).toBeGreaterThan(50 * 60_000);
    });

    test("the unchanged clients work from the printed env alone (NODE_EXTRA_CA_CERTS trust)", async () => {
        // A separate node process: the CA is trusted only through the environment, as for a user.
        const script = `
            const { ClientSecretCredential } = require("@azure/identity");
            const { Client } = require("@microsoft/microsoft-graph-client");
            const { TokenCredentialAuthenticationProvider } = require("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials");
            const e = process.env;
            const credential = new ClientSecretCredential(e.AZURE_TENANT_ID, e.AZURE_CLIENT_ID, e.AZURE_CLIENT_SECRET,
                { authorityHost: e.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true });
            const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: ["https://graph.microsoft.com/.default"] });
            const client = Client.initWithMiddleware({ authProvider, baseUrl: e.BEC_GUARD_GRAPH_URL,
                customHosts: new Set([new URL(e.BEC_GUARD_GRAPH_URL).hostname]) });
            client.api("/things").top(3).get().then(
                (page) => console.log(JSON.stringify({ count: page.value.length, next: page["@odata.nextLink"] })),
                (err) => console.log(JSON.stringify({ status: err.statusCode, code: err.code })));
        `;
        const output = await new Promise<string>((resolve, reject) =>
            execFile(
                process.execPath,
                ["-e", script],
                { cwd: REPO, env: { ...process.env, ...tenant.env } },
                (err, stdout, stderr) =>
                    err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
            ),
        );

        // The Graph client sent the token and got the page.
        const page = JSON.parse(output.trim());
        expect(page.count).toBe(3);
        expect(page.next).toMatch(new RegExp(`^${tenant.url}/v1\\.0/things\\?`));
    });

    test("an Exchange token carries Exchange.ManageAsApp only for an app granted it", async () => {
        const granted = await tokenForm(tenant, {
            grant_type: "client_credentials",
            client_id: tenant.clientId,
            client_secret: tenant.clientSecret,
            scope: "https://outlook.office365.com/.default",
        });
        const notGranted = await tokenForm(tenant, {
            grant_type: "client_credentials",
            client_id: SECOND_APP.clientId,
            client_secret: SECOND_APP.clientSecret,
            scope: "https://outlook.office365.com/.default",
        });

        expect(claimsOf(granted.body.access_token)).toMatchObject({
            aud: "https://outlook.office365.com",
            roles: ["Exchange.ManageAsApp"],
        });
        expect(claimsOf(notGranted.body.access_token).roles).toEqual([]);
    });

    test("a wrong client secret gets Entra's 401 invalid_client AADSTS7000215", async () => {
        const answer = await tokenForm(tenant, {
            grant_type: "client_credentials",
            client_id: tenant.clientId,
            client_secret: "wrong",
            scope: "https://graph.microsoft.com/.default",
        });

        expect(answer.status).toBe(401);
        expect(answer.body.error).toBe("invalid_client");
        expect(answer.body.error_codes).toEqual([7000215]);
        expect(answer.body.error_description).toMatch(/^AADSTS7000215: Invalid client secret/);
    });

    test("an unknown client id gets Entra's 400 unauthorized_client AADSTS700016", async () => {
        const answer = await tokenForm(tenant, {
            grant_type: "client_credentials",
            client_id: "00000000-0000-0000-0000-000000000001",
            client_secret: "x",
            scope: "https://graph.microsoft.com/.default",
        });

        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
    });

    test("a scope without /.default and an unknown resource are refused", async () => {
        const base = {
            grant_type: "client_credentials",
            client_id: tenant.clientId,
            client_secret: tenant.clientSecret,
        };

        const noDefault = await tokenForm(tenant, {
            ...base,
            scope: "https://graph.microsoft.com/User.Read.All",
        });
        const unknown = await tokenForm(tenant, {
            ...base,
            scope: "https://vault.azure.net/.default",
        });

        expect(noDefault.body).toMatchObject({ error: "invalid_scope", error_codes: [1002012] });
        expect(unknown.body).toMatchObject({ error: "invalid_resource", error_codes: [500011] });
    });

    test("an unknown tenant gets AADSTS90002 from both identity endpoints", async () => {
        const config = await call(
            tenant,
            "GET",
            "/not-a-tenant.example/v2.0/.well-known/openid-configuration",
        );
        const token = await call(tenant, "POST", "/not-a-tenant.example/oauth2/v2.0/token", {
            body: "grant_type=client_credentials",
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
        });

        expect([config.status, token.status]).toEqual([400, 400]);
        expect(config.body.error_codes).toEqual([90002]);
        expect(token.body.error_codes).toEqual([90002]);
    });

    test("the OpenID configuration answers by tenant id and by domain, with an issuer on this server", async () => {
        const byDomain = await call(
            tenant,
            "GET",
            "/coretest.example/v2.0/.well-known/openid-configuration",
        );

        expect(byDomain.status).toBe(200);
        expect(byDomain.body.issuer).toBe(`${tenant.url}/${tenant.tenantId}/v2.0`);
        expect(byDomain.body.token_endpoint).toBe(
            `${tenant.url}/${tenant.tenantId}/oauth2/v2.0/token`,
        );
    });

    test("a real ClientCertificateCredential gets a token with a registered certificate only", async () => {
        const registered = makeClientCertificate();
        const stranger = makeClientCertificate();
        const state = structuredClone(tenant.control.getState());
        state.apps[1].certificates = [{ certificatePem: registered.certificatePem }];
        tenant.control.putState(state);
        const options = {
            authorityHost: tenant.url,
            disableInstanceDiscovery: true,
            tlsOptions: { ca: tenant.caCertPem },
        } as ConstructorParameters<typeof ClientCertificateCredential>[3];

        const good = new ClientCertificateCredential(
            tenant.tenantId,
            SECOND_APP.clientId,
            { certificate: registered.pem },
            options,
        );
        const bad = new ClientCertificateCredential(
            tenant.tenantId,
            SECOND_APP.clientId,
            { certificate: stranger.pem },
            options,
        );

        const token = await good.getToken("https://graph.microsoft.com/.default");
        expect(claimsOf(token.token).appid).toBe(SECOND_APP.clientId);
        await expect(bad.getToken("https://graph.microsoft.com/.default")).rejects.toThrow(
            /AADSTS700027/,
        );
    });

    test("a federated assertion is accepted when issuer, subject and audience match a credential", async () => {
        const state = structuredClone(tenant.control.getState());
        state.apps[1].federatedIdentityCredentials = [
            {
                issuer: "https://token.actions.githubusercontent.com",
                subject: "repo:org/repo:ref:refs/heads/main",
                audiences: ["api://AzureADTokenExchange"],
            },
        ];
        tenant.control.putState(state);
        const assertion = (claims: Record<string, unknown>) =>
            [{ alg: "RS256", typ: "JWT" }, claims, "sig"]
                .map((p) =>
                    typeof p === "string"
                        ? p
                        : Buffer.from(JSON.stringify(p)).toString("base64url"),
                )
                .join(".");
        const base = {
            grant_type: "client_credentials",
            client_id: SECOND_APP.clientId,
            client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            scope: "https://graph.microsoft.com/.default",
        };
        const exp = Math.floor(Date.now() / 1000) + 600;

        const good = await tokenForm(tenant, {
            ...base,
            client_assertion: assertion({
                iss: "https://token.actions.githubusercontent.com",
                sub: "repo:org/repo:ref:refs/heads/main",
                aud: "api://AzureADTokenExchange",
                exp,
            }),
        });
        const wrongSubject = await tokenForm(tenant, {
            ...base,
            client_assertion: assertion({
                iss: "https://token.actions.githubusercontent.com",
                sub: "repo:evil/repo:ref:refs/heads/main",
                aud: "api://AzureADTokenExchange",
                exp,
            }),
        });

        expect(good.status).toBe(200);
        expect(wrongSubject.status).toBe(400);
        expect(wrongSubject.body.error_codes).toEqual([70021]);
    });
});
