/**
 * Every credential kind that can run against the local tenant gets a token through
 * @azure/identity and makes a Graph call: client secret (graph.test.ts), client certificate and
 * workload identity (a federated token file, as CI OIDC writes it) here. Managed identity and
 * Azure CLI need a host endpoint and a CLI that do not exist here; their construction is checked.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    AzureCliCredential,
    ClientCertificateCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
} from "@azure/identity";

import {
    connect,
    createCredential,
    loadSettings,
    requiredGraphRoles,
} from "../../../dynamic-providers/connection";
import { makeClientCertificate } from "../../support/client-certificate";
import { DOMAIN, envWithoutNodeCa, guid, startConnectionTenant, type TestTenant } from "./fixture";

const CERT_APP = "3c2b1a09-8f7e-4d6c-b5a4-392817160504";
const OIDC_APP = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const OIDC = {
    issuer: "https://token.actions.githubusercontent.com",
    subject: "repo:example/bec-guard:ref:refs/heads/main",
    audience: "api://AzureADTokenExchange",
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-creds-"));
const certFile = path.join(dir, "app.pem");
const tokenFile = path.join(dir, "oidc-token");
let tenant: TestTenant;

/** An unsigned-looking OIDC token with the claims the federated credential matches. */
function oidcToken(): string {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const claims = {
        iss: OIDC.issuer,
        sub: OIDC.subject,
        aud: OIDC.audience,
        iat: now,
        exp: now + 600,
    };
    return `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.${b64({ sig: "not verified locally" })}`;
}

beforeAll(async () => {
    const { pem, certificatePem } = makeClientCertificate();
    fs.writeFileSync(certFile, pem);
    fs.writeFileSync(tokenFile, oidcToken());
    tenant = await startConnectionTenant(5, {}, (state) => {
        const base = {
            clientSecret: "",
            graphRoles: requiredGraphRoles(),
            exchangeManageAsApp: false,
            exchangeRoles: [],
        };
        state.apps.push(
            {
                ...base,
                clientId: CERT_APP,
                displayName: "certificate app",
                servicePrincipalId: guid(900_010),
                certificates: [{ certificatePem }],
            },
            {
                ...base,
                clientId: OIDC_APP,
                displayName: "workload identity app",
                servicePrincipalId: guid(900_011),
                federatedIdentityCredentials: [
                    { issuer: OIDC.issuer, subject: OIDC.subject, audiences: [OIDC.audience] },
                ],
            },
        );
    });
});

afterAll(async () => {
    await tenant?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

/** The tenant's env with the first app's secret removed, so nothing falls back to it. */
function baseEnv(): NodeJS.ProcessEnv {
    const env = envWithoutNodeCa(tenant);
    delete env.AZURE_CLIENT_SECRET;
    return env;
}

function tokenRequestsBy(clientId: string): number {
    return tenant.control
        .getRequests()
        .filter(
            (r) =>
                r.path.endsWith("/oauth2/v2.0/token") && r.status === 200 && r.appId === clientId,
        ).length;
}

test("a client certificate file authenticates and calls Graph", async () => {
    const settings = loadSettings(undefined, {
        ...baseEnv(),
        AZURE_CLIENT_ID: CERT_APP,
        AZURE_CLIENT_CERTIFICATE_PATH: certFile,
    });
    expect(settings.credential).toBe("clientCertificate");
    expect(createCredential(settings)).toBeInstanceOf(ClientCertificateCredential);

    const user = await connect(settings).graph.api(`/users/user1@${DOMAIN}`).get();

    expect(user.displayName).toBe("User 1");
    expect(tokenRequestsBy(CERT_APP)).toBeGreaterThanOrEqual(1);
});

test("a federated token file (CI OIDC) authenticates as workload identity and calls Graph", async () => {
    const settings = loadSettings(undefined, {
        ...baseEnv(),
        AZURE_CLIENT_ID: OIDC_APP,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    });
    expect(settings.credential).toBe("workloadIdentity");
    expect(createCredential(settings)).toBeInstanceOf(WorkloadIdentityCredential);

    const user = await connect(settings).graph.api(`/users/user2@${DOMAIN}`).get();

    expect(user.displayName).toBe("User 2");
    expect(tokenRequestsBy(OIDC_APP)).toBeGreaterThanOrEqual(1);
});

test("managed identity and Azure CLI settings build the matching @azure/identity credentials", () => {
    const mi = loadSettings(undefined, {
        AZURE_TENANT_ID: tenant.tenantId,
        AZURE_CLIENT_ID: OIDC_APP,
        BEC_GUARD_CREDENTIAL: "managedIdentity",
    });
    const cli = loadSettings(undefined, {
        AZURE_TENANT_ID: tenant.tenantId,
        BEC_GUARD_CREDENTIAL: "azureCli",
    });

    expect(createCredential(mi)).toBeInstanceOf(ManagedIdentityCredential);
    expect(createCredential(cli)).toBeInstanceOf(AzureCliCredential);
});
