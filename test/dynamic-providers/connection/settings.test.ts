import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as util from "util";

import { connect } from "../../../dynamic-providers/connection";
import { CLOUDS, resolveEndpoints } from "../../../dynamic-providers/connection/clouds";
import { scrub } from "../../../dynamic-providers/connection/log";
import {
    ConnectionSettingsError,
    loadSettings,
    type ConfigSource,
} from "../../../dynamic-providers/connection/settings";

const TENANT = "7d6a4c2e-3b1f-4e8a-9c5d-2f1e0b9a8c7d";
const CLIENT = "0f3c9a51-6e2d-4b7a-8c1e-5d4f3a2b1c0e";
const SECRET = "s3cr3t~VALUE.that-must_never.leak";

function config(values: Record<string, string>): ConfigSource {
    return { get: (key) => values[key] };
}

function problemsOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (err) {
        if (err instanceof ConnectionSettingsError) return err.problems;
        throw err;
    }
    throw new Error("expected a ConnectionSettingsError");
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-settings-"));
const caFile = path.join(tmp, "ca.pem");
fs.writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
const tokenFile = path.join(tmp, "token");
fs.writeFileSync(tokenFile, "eyJhbGciOi.x.y");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("settings sources", () => {
    test("the standard AZURE_* variables alone make client secret settings", () => {
        const s = loadSettings(undefined, {
            AZURE_TENANT_ID: TENANT,
            AZURE_CLIENT_ID: CLIENT,
            AZURE_CLIENT_SECRET: SECRET,
        });
        expect(s.credential).toBe("clientSecret");
        expect(s.cloud).toBe("global");
        expect(s.clientSecret).toBe(SECRET);
        expect(s.sources.tenantId).toBe("environment variable AZURE_TENANT_ID");
    });

    test("stack config wins over the environment key by key", () => {
        const other = "11111111-2222-4333-8444-555555555555";
        const s = loadSettings(config({ "bec-guard:tenantId": other }), {
            AZURE_TENANT_ID: TENANT,
            AZURE_CLIENT_ID: CLIENT,
            AZURE_CLIENT_SECRET: SECRET,
        });
        expect(s.tenantId).toBe(other);
        expect(s.clientId).toBe(CLIENT);
        expect(s.sources.tenantId).toBe("stack config bec-guard:tenantId");
        expect(s.sources.clientId).toBe("environment variable AZURE_CLIENT_ID");
    });

    test("a federated token file alone means workload identity", () => {
        const s = loadSettings(undefined, {
            AZURE_TENANT_ID: TENANT,
            AZURE_CLIENT_ID: CLIENT,
            AZURE_FEDERATED_TOKEN_FILE: tokenFile,
        });
        expect(s.credential).toBe("workloadIdentity");
    });

    test("managed identity and Azure CLI are chosen explicitly and need no secret", () => {
        const mi = loadSettings(config({ "bec-guard:credential": "managedIdentity" }), {
            AZURE_TENANT_ID: TENANT,
        });
        const cli = loadSettings(undefined, {
            AZURE_TENANT_ID: "contoso.onmicrosoft.com",
            BEC_GUARD_CREDENTIAL: "azureCli",
        });
        expect(mi.credential).toBe("managedIdentity");
        expect(cli.credential).toBe("azureCli");
    });

    test("break-glass accounts are read from a JSON list in stack config", () => {
        const s = loadSettings(
            config({
                "bec-guard:breakGlassAccounts": `["bg1@contoso.com", "${CLIENT}"]`,
            }),
            { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET },
        );
        expect(s.breakGlassAccounts).toEqual(["bg1@contoso.com", CLIENT]);
    });
});

describe("settings validation", () => {
    test("a tenant id that is neither a GUID nor a domain names the variable, value and fix", () => {
        const problems = problemsOf(() =>
            loadSettings(undefined, {
                AZURE_TENANT_ID: "not a tenant",
                AZURE_CLIENT_ID: CLIENT,
                AZURE_CLIENT_SECRET: SECRET,
            }),
        );
        expect(problems).toEqual([
            expect.stringContaining('environment variable AZURE_TENANT_ID is "not a tenant"'),
        ]);
        expect(problems[0]).toContain("Directory (tenant) ID");
    });

    test("no credential at all lists every way to give one", () => {
        const [problem] = problemsOf(() => loadSettings(undefined, { AZURE_TENANT_ID: TENANT }));
        expect(problem).toContain("bec-guard:clientSecret (or AZURE_CLIENT_SECRET)");
        expect(problem).toContain("AZURE_FEDERATED_TOKEN_FILE");
        expect(problem).toContain("managedIdentity or azureCli");
    });

    test("a custom cloud without its URLs says which ones are missing", () => {
        const problems = problemsOf(() =>
            loadSettings(config({ "bec-guard:cloud": "custom" }), {
                AZURE_TENANT_ID: TENANT,
                AZURE_CLIENT_ID: CLIENT,
                AZURE_CLIENT_SECRET: SECRET,
            }),
        );
        expect(problems.join("\n")).toContain("bec-guard:graphUrl (or BEC_GUARD_GRAPH_URL)");
        expect(problems.join("\n")).toContain("bec-guard:exchangeUrl (or BEC_GUARD_EXCHANGE_URL)");
        expect(problems.join("\n")).toContain("bec-guard:authorityHost (or AZURE_AUTHORITY_HOST)");
    });

    test("a plain http Graph URL is refused with the reason", () => {
        const problems = problemsOf(() =>
            loadSettings(undefined, {
                AZURE_TENANT_ID: TENANT,
                AZURE_CLIENT_ID: CLIENT,
                AZURE_CLIENT_SECRET: SECRET,
                BEC_GUARD_CLOUD: "custom",
                BEC_GUARD_GRAPH_URL: "http://127.0.0.1:8443",
                BEC_GUARD_EXCHANGE_URL: "https://127.0.0.1:8443",
                AZURE_AUTHORITY_HOST: "https://127.0.0.1:8443",
            }),
        );
        expect(problems).toEqual([expect.stringMatching(/BEC_GUARD_GRAPH_URL .*must be https/)]);
    });

    test("a Graph URL on a Microsoft cloud is refused because its endpoints are fixed", () => {
        const problems = problemsOf(() =>
            loadSettings(config({ "bec-guard:cloud": "usgov" }), {
                AZURE_TENANT_ID: TENANT,
                AZURE_CLIENT_ID: CLIENT,
                AZURE_CLIENT_SECRET: SECRET,
                BEC_GUARD_GRAPH_URL: "https://graph.example",
            }),
        );
        expect(problems[0]).toContain("the cloud is usgov");
    });

    test("an unknown cloud lists the known ones", () => {
        const [problem] = problemsOf(() =>
            loadSettings(undefined, {
                AZURE_TENANT_ID: TENANT,
                AZURE_CLIENT_ID: CLIENT,
                AZURE_CLIENT_SECRET: SECRET,
                BEC_GUARD_CLOUD: "germany",
            }),
        );
        expect(problem).toContain('"germany"');
        expect(problem).toContain("global, usgov, dod, china, custom");
    });

    test("a client certificate file without a private key is refused with the conversion", () => {
        const certOnly = path.join(tmp, "cert-only.pem");
        fs.writeFileSync(
            certOnly,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        );
        const [problem] = problemsOf(() =>
            loadSettings(undefined, {
                AZURE_TENANT_ID: TENANT,
                AZURE_CLIENT_ID: CLIENT,
                AZURE_CLIENT_CERTIFICATE_PATH: certOnly,
            }),
        );
        expect(problem).toContain("certificate and its private key");
        expect(problem).toContain("openssl pkcs12");
    });

    test("a break-glass entry that is neither an object id nor a UPN is named", () => {
        const [problem] = problemsOf(() =>
            loadSettings(config({ "bec-guard:breakGlassAccounts": '["admin"]' }), {
                AZURE_TENANT_ID: TENANT,
                AZURE_CLIENT_ID: CLIENT,
                AZURE_CLIENT_SECRET: SECRET,
            }),
        );
        expect(problem).toContain('"admin"');
    });
});

describe("secret redaction", () => {
    const settings = loadSettings(config({ "bec-guard:clientSecret": SECRET }), {
        AZURE_TENANT_ID: TENANT,
        AZURE_CLIENT_ID: CLIENT,
        AZURE_CLIENT_CERTIFICATE_PASSWORD: "cert-pass-phrase",
    });

    test("the secret is readable by code but absent from JSON, toString and inspect", () => {
        expect(settings.clientSecret).toBe(SECRET);
        for (const text of [
            JSON.stringify(settings),
            String(settings),
            util.inspect(settings, { showHidden: false }),
            `${JSON.stringify({ nested: settings })}`,
        ]) {
            expect(text).not.toContain(SECRET);
            expect(text).not.toContain("cert-pass-phrase");
            expect(text).toContain("[redacted]");
        }
        expect(Object.keys(settings)).not.toContain("clientSecret");
    });

    test("a whole connection serializes to JSON without the secret", () => {
        const text = JSON.stringify(connect(settings));
        expect(text).not.toContain(SECRET);
        expect(text).toContain("graph.microsoft.com");
    });

    test("the settings cannot be changed after validation", () => {
        expect(() => {
            (settings as unknown as Record<string, unknown>).tenantId = "x";
        }).toThrow(TypeError);
    });

    test("a validation error never prints a secret", () => {
        try {
            loadSettings(undefined, {
                AZURE_TENANT_ID: "bad tenant",
                AZURE_CLIENT_ID: "not-a-guid",
                AZURE_CLIENT_SECRET: SECRET,
            });
            throw new Error("expected a ConnectionSettingsError");
        } catch (err) {
            expect((err as Error).message).not.toContain(SECRET);
            expect((err as Error).message).toContain('"not-a-guid"');
        }
    });

    test("log scrubbing removes secrets, bearer tokens and password fields", () => {
        const line = scrub(
            `Authorization: Bearer abc.def.ghi body {"passwordProfile":{"password":"P@ss w0rd!"}} ${SECRET}`,
            [SECRET],
        );
        expect(line).not.toContain("abc.def.ghi");
        expect(line).not.toContain("P@ss w0rd!");
        expect(line).not.toContain(SECRET);
    });
});

describe("clouds", () => {
    const base = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET };

    test("each Microsoft cloud uses its own hosts for Graph, Exchange, authority and scopes", () => {
        for (const cloud of ["global", "usgov", "dod", "china"] as const) {
            const e = resolveEndpoints(
                loadSettings(undefined, { ...base, BEC_GUARD_CLOUD: cloud }),
            );
            expect(e.graphBaseUrl).toBe(CLOUDS[cloud].graph);
            expect(e.graphScope).toBe(`${CLOUDS[cloud].graph}/.default`);
            expect(e.exchangeScope).toBe(`${CLOUDS[cloud].exchange}/.default`);
            expect(e.authorityHost).toBe(CLOUDS[cloud].authority);
            expect(e.disableInstanceDiscovery).toBe(false);
        }
        expect(
            resolveEndpoints(loadSettings(undefined, { ...base, BEC_GUARD_CLOUD: "dod" })),
        ).toMatchObject({
            exchangeBaseUrl: "https://webmail.apps.mil",
            customHosts: ["dod-graph.microsoft.us"],
        });
    });

    test("the custom cloud keeps the global scopes and passes the bare host name to the SDK", () => {
        const e = resolveEndpoints(
            loadSettings(undefined, {
                ...base,
                BEC_GUARD_CLOUD: "custom",
                BEC_GUARD_GRAPH_URL: "https://127.0.0.1:8443/",
                BEC_GUARD_EXCHANGE_URL: "https://127.0.0.1:8443",
                AZURE_AUTHORITY_HOST: "https://127.0.0.1:8443",
                BEC_GUARD_CA_CERT: caFile,
            }),
        );
        expect(e).toMatchObject({
            graphBaseUrl: "https://127.0.0.1:8443",
            graphScope: "https://graph.microsoft.com/.default",
            exchangeScope: "https://outlook.office365.com/.default",
            customHosts: ["127.0.0.1"],
            disableInstanceDiscovery: true,
            caCertPath: caFile,
        });
    });
});
