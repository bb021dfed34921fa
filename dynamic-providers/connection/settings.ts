/**
 * Connection settings: which tenant, which cloud, which credential.
 *
 * One shape, filled from two places: the stack config a dynamic provider's `configure` receives
 * (keys namespaced `bec-guard:`, secrets already decrypted to plain text) and the standard
 * `AZURE_*` environment variables that @azure/identity and CI systems use. Per key, stack
 * config wins over the environment, so a stack can pin its tenant while CI supplies the
 * credential.
 *
 * Secrets (client secret, certificate password) are non-enumerable on the settings object and
 * redacted from `toString`, `toJSON` and `util.inspect`, so logging or serializing settings
 * never leaks them. Validation messages never print them either.
 */
import * as fs from "fs";
import * as util from "util";

import { completeError } from "./errors";

/** The Microsoft clouds we can talk to; `custom` is the local tenant or another test double. */
export const CLOUD_NAMES = ["global", "usgov", "dod", "china", "custom"] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

/** How the provider authenticates. */
export const CREDENTIAL_KINDS = [
    "clientSecret",
    "clientCertificate",
    "workloadIdentity",
    "managedIdentity",
    "azureCli",
] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** The settings every connection is built from. Create with `loadSettings`. */
export interface ConnectionSettings {
    /** Entra ID tenant: GUID or verified domain (e.g. contoso.onmicrosoft.com). */
    readonly tenantId: string;
    /**
     * Application (client) id. Required for secret, certificate and workload identity; optional
     * for managed identity (a user-assigned identity's client id); unused for Azure CLI.
     */
    readonly clientId?: string;
    /** Which credential to build; explicit, or inferred from what is set (see `loadSettings`). */
    readonly credential: CredentialKind;
    /** Client secret (non-enumerable, never logged). */
    readonly clientSecret?: string;
    /** PEM file holding the client certificate and its private key. */
    readonly clientCertificatePath?: string;
    /** Password of an encrypted certificate key (non-enumerable, never logged). */
    readonly clientCertificatePassword?: string;
    /** File holding the federated (OIDC) token for workload identity; re-read on each token. */
    readonly federatedTokenFile?: string;
    /** Which cloud; decides the Graph, Exchange and authority hosts. Default `global`. */
    readonly cloud: CloudName;
    /** Authority host override (https). Default: the cloud's own. Required for `custom`. */
    readonly authorityHost?: string;
    /** Graph base URL without version (https). Only for `custom`, where it is required. */
    readonly graphUrl?: string;
    /** Exchange admin API base URL (https). Only for `custom`, where it is required. */
    readonly exchangeUrl?: string;
    /** PEM CA certificate to trust in addition to the public roots (custom cloud TLS). */
    readonly caCertPath?: string;
    /** Emergency-access accounts (object ids or UPNs) that must never be contained. */
    readonly breakGlassAccounts: readonly string[];
    /** Where each value came from, e.g. `{ tenantId: "stack config bec-guard:tenantId" }`. */
    readonly sources: Readonly<Record<string, string>>;
}

/** What a dynamic provider's `configure` receives: `req.config`. */
export interface ConfigSource {
    get(key: string): string | undefined;
}

/** Thrown when settings are missing or invalid; `problems` holds one sentence per problem. */
export class ConnectionSettingsError extends Error {
    constructor(readonly problems: string[]) {
        const message =
            `BEC Guard cannot connect to the tenant: ${problems.length} setting problem(s).\n` +
            problems.map((p) => `- ${p}`).join("\n");
        super(message);
        completeError(this, ConnectionSettingsError.prototype, "ConnectionSettingsError", message);
    }
}

/** The stack config namespace (the Pulumi project name). */
export const CONFIG_NAMESPACE = "bec-guard";

/**
 * Each setting with its stack config key and environment variable. The environment names are
 * the ones @azure/identity's EnvironmentCredential and CI OIDC integrations use, so an existing
 * pipeline's variables work unchanged.
 */
const FIELDS = {
    tenantId: { config: "tenantId", env: "AZURE_TENANT_ID", secret: false },
    clientId: { config: "clientId", env: "AZURE_CLIENT_ID", secret: false },
    clientSecret: { config: "clientSecret", env: "AZURE_CLIENT_SECRET", secret: true },
    clientCertificatePath: {
        config: "clientCertificatePath",
        env: "AZURE_CLIENT_CERTIFICATE_PATH",
        secret: false,
    },
    clientCertificatePassword: {
        config: "clientCertificatePassword",
        env: "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        secret: true,
    },
    federatedTokenFile: {
        config: "federatedTokenFile",
        env: "AZURE_FEDERATED_TOKEN_FILE",
        secret: false,
    },
    authorityHost: { config: "authorityHost", env: "AZURE_AUTHORITY_HOST", secret: false },
    credential: { config: "credential", env: "BEC_GUARD_CREDENTIAL", secret: false },
    cloud: { config: "cloud", env: "BEC_GUARD_CLOUD", secret: false },
    graphUrl: { config: "graphUrl", env: "BEC_GUARD_GRAPH_URL", secret: false },
    exchangeUrl: { config: "exchangeUrl", env: "BEC_GUARD_EXCHANGE_URL", secret: false },
    caCertPath: { config: "caCertPath", env: "BEC_GUARD_CA_CERT", secret: false },
    breakGlassAccounts: {
        config: "breakGlassAccounts",
        env: "BEC_GUARD_BREAK_GLASS_ACCOUNTS",
        secret: false,
    },
} as const;

type FieldName = keyof typeof FIELDS;

/**
 * Every stack config key the connection reads, namespaced (`bec-guard:tenantId`), and whether
 * it holds a secret. Pulumi.yaml must declare each (a test holds the two together).
 */
export function connectionConfigKeys(): Array<{ key: string; secret: boolean }> {
    return Object.values(FIELDS).map((field) => ({
        key: `${CONFIG_NAMESPACE}:${field.config}`,
        secret: field.secret,
    }));
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const UPN = /^[^@\s]+@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/**
 * Build and validate the settings.
 *
 * @param config Stack config as a dynamic provider's `configure` gets it (`req.config`), or
 *   undefined outside a provider. Keys are read namespaced (`bec-guard:tenantId`).
 * @param env Environment to read `AZURE_*` / `BEC_GUARD_*` from. Default `process.env`.
 *   Tests pass their own so they never depend on the machine.
 * @returns Frozen settings whose secrets do not serialize.
 * @throws ConnectionSettingsError listing every problem, each naming the key or variable, the
 *   value (never a secret's) and the fix.
 *
 * Credential choice when `bec-guard:credential` / BEC_GUARD_CREDENTIAL is not set: a client
 * secret if one is set, else a client certificate, else a federated token file. Managed
 * identity and Azure CLI are never guessed: probing them silently would hide a missing secret.
 */
export function loadSettings(
    config?: ConfigSource,
    env: NodeJS.ProcessEnv = process.env,
): ConnectionSettings {
    // 1. Read every field, config first, then the environment, remembering where it came from.
    const raw: Partial<Record<FieldName, string>> = {};
    const sources: Record<string, string> = {};
    for (const name of Object.keys(FIELDS) as FieldName[]) {
        const field = FIELDS[name];
        const fromConfig = nonEmpty(config?.get(`${CONFIG_NAMESPACE}:${field.config}`));
        const fromEnv = nonEmpty(env[field.env]);
        if (fromConfig !== undefined) {
            raw[name] = fromConfig;
            sources[name] = `stack config ${CONFIG_NAMESPACE}:${field.config}`;
        } else if (fromEnv !== undefined) {
            raw[name] = fromEnv;
            sources[name] = `environment variable ${field.env}`;
        }
    }
    const problems: string[] = [];
    const where = (name: FieldName) => sources[name] ?? describeKey(name);
    const shown = (name: FieldName) => showValue(name, raw[name]);

    // 2. The cloud decides which of the URL settings apply.
    const cloud = (raw.cloud ?? "global").toLowerCase() as CloudName;
    if (!CLOUD_NAMES.includes(cloud)) {
        problems.push(
            `${where("cloud")} is ${shown("cloud")}: not a known cloud. ` +
                `Use one of ${CLOUD_NAMES.join(", ")} (custom is the local tenant).`,
        );
    }

    // 3. The tenant.
    const tenantId = raw.tenantId;
    if (tenantId === undefined) {
        problems.push(
            `The tenant is not set. Set ${describeKey("tenantId")} to the Directory (tenant) ID ` +
                `from the Entra admin center's Overview page, or the tenant's .onmicrosoft.com domain.`,
        );
    } else if (!GUID.test(tenantId) && !DOMAIN.test(tenantId)) {
        problems.push(
            `${where("tenantId")} is ${shown("tenantId")}: not a GUID or a domain name. ` +
                `Use the Directory (tenant) ID (e.g. 00000000-0000-0000-0000-000000000000) or ` +
                `a verified domain such as contoso.onmicrosoft.com.`,
        );
    }

    // 4. The credential: explicit, or inferred from what is present.
    let credential = raw.credential as CredentialKind | undefined;
    if (credential !== undefined && !CREDENTIAL_KINDS.includes(credential)) {
        problems.push(
            `${where("credential")} is ${shown("credential")}: not a credential kind. ` +
                `Use one of ${CREDENTIAL_KINDS.join(", ")}.`,
        );
        credential = undefined;
    } else if (credential === undefined) {
        credential = inferCredential(raw);
        if (credential === undefined) {
            problems.push(
                `No credential is set. Set ${describeKey("clientSecret")}, or ` +
                    `${describeKey("clientCertificatePath")}, or ${describeKey("federatedTokenFile")} ` +
                    `(workload identity in CI), or choose ${describeKey("credential")} ` +
                    `managedIdentity or azureCli.`,
            );
        }
    }

    // 5. What the chosen credential needs.
    const needsClientId =
        credential === "clientSecret" ||
        credential === "clientCertificate" ||
        credential === "workloadIdentity";
    if (needsClientId && raw.clientId === undefined) {
        problems.push(
            `The ${credential} credential needs the app's client id. Set ${describeKey("clientId")} ` +
                `to the Application (client) ID from the app registration's Overview page.`,
        );
    }
    if (raw.clientId !== undefined && !GUID.test(raw.clientId)) {
        problems.push(
            `${where("clientId")} is ${shown("clientId")}: not a GUID. Use the Application ` +
                `(client) ID from the app registration's Overview page.`,
        );
    }
    if (credential === "clientSecret" && raw.clientSecret === undefined) {
        problems.push(
            `The clientSecret credential needs a secret. Set ${describeKey("clientSecret")} ` +
                `(pulumi config set --secret ${CONFIG_NAMESPACE}:clientSecret ...).`,
        );
    }
    if (credential === "clientCertificate") {
        checkCertificateFile(raw, where, problems);
    }
    if (credential === "workloadIdentity") {
        if (raw.federatedTokenFile === undefined) {
            problems.push(
                `The workloadIdentity credential needs a federated token file. Set ` +
                    `${describeKey("federatedTokenFile")} (CI OIDC integrations set ` +
                    `AZURE_FEDERATED_TOKEN_FILE for you).`,
            );
        } else if (!isReadableFile(raw.federatedTokenFile)) {
            problems.push(
                `${where("federatedTokenFile")} is ${shown("federatedTokenFile")}: no readable ` +
                    `file there. Point it at the OIDC token your CI system writes.`,
            );
        }
    }

    // 6. Endpoints: required and https for custom, not allowed elsewhere.
    const graphUrl = checkBaseUrl("graphUrl", raw, where, problems, cloud);
    const exchangeUrl = checkBaseUrl("exchangeUrl", raw, where, problems, cloud);
    let authorityHost: string | undefined;
    if (raw.authorityHost !== undefined) {
        authorityHost = checkHttpsUrl("authorityHost", raw, where, problems);
    } else if (cloud === "custom") {
        problems.push(
            `The custom cloud needs an authority host. Set ${describeKey("authorityHost")} to ` +
                `the https URL that serves /{tenant}/oauth2/v2.0/token (the local tenant's url).`,
        );
    }
    if (raw.graphUrl !== undefined && /\/(v1\.0|beta)\/?$/i.test(raw.graphUrl)) {
        problems.push(
            `${where("graphUrl")} is ${shown("graphUrl")}: give the base without /v1.0 or /beta; ` +
                `the client adds the version per request.`,
        );
    }

    // 7. The CA certificate, when given, must be a readable PEM certificate.
    if (raw.caCertPath !== undefined) {
        if (!isReadableFile(raw.caCertPath)) {
            problems.push(
                `${where("caCertPath")} is ${shown("caCertPath")}: no readable file there. ` +
                    `Point it at the PEM CA certificate (the local tenant prints caCertPath).`,
            );
        } else if (!fs.readFileSync(raw.caCertPath, "utf8").includes("BEGIN CERTIFICATE")) {
            problems.push(
                `${where("caCertPath")} is ${shown("caCertPath")}: not a PEM certificate ` +
                    `(no "BEGIN CERTIFICATE" line). Convert it with openssl x509 -outform PEM.`,
            );
        }
    }

    // 8. Break-glass accounts: a list of object ids or UPNs.
    const breakGlassAccounts = parseList(
        raw.breakGlassAccounts,
        where("breakGlassAccounts"),
        problems,
    );
    for (const account of breakGlassAccounts) {
        if (!GUID.test(account) && !UPN.test(account)) {
            problems.push(
                `${where("breakGlassAccounts")} has "${account}": neither an object id (GUID) ` +
                    `nor a UPN (name@domain). List the emergency-access accounts by either form.`,
            );
        }
    }

    if (problems.length > 0) throw new ConnectionSettingsError(problems);

    // 9. Assemble, secrets non-enumerable, the whole object frozen.
    return freezeSettings({
        tenantId: tenantId as string,
        clientId: raw.clientId,
        credential: credential as CredentialKind,
        clientCertificatePath: raw.clientCertificatePath,
        federatedTokenFile: raw.federatedTokenFile,
        cloud,
        authorityHost,
        graphUrl,
        exchangeUrl,
        caCertPath: raw.caCertPath,
        breakGlassAccounts,
        sources,
        secrets: {
            clientSecret: raw.clientSecret,
            clientCertificatePassword: raw.clientCertificatePassword,
        },
    });
}

/** The plain fields of settings plus their secrets, for building settings in code (tests, CLI). */
export type SettingsInit = Omit<
    ConnectionSettings,
    "clientSecret" | "clientCertificatePassword"
> & {
    secrets?: { clientSecret?: string; clientCertificatePassword?: string };
};

/**
 * Freeze a settings object with its secrets as non-enumerable properties and redacting
 * `toJSON` / `toString` / `util.inspect`. `loadSettings` uses it; exported for code that
 * derives settings (for example a copy with a different credential).
 */
export function freezeSettings(init: SettingsInit): ConnectionSettings {
    const { secrets, ...plain } = init;
    const settings: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(plain)) {
        if (value !== undefined) settings[key] = value;
    }
    for (const [key, value] of Object.entries(secrets ?? {})) {
        if (value !== undefined) {
            Object.defineProperty(settings, key, { value, enumerable: false, writable: false });
        }
    }
    const redacted = () => redactedView(settings as unknown as ConnectionSettings);
    Object.defineProperty(settings, "toJSON", { value: redacted, enumerable: false });
    Object.defineProperty(settings, "toString", {
        value: () => `ConnectionSettings ${JSON.stringify(redacted())}`,
        enumerable: false,
    });
    Object.defineProperty(settings, util.inspect.custom, {
        value: () => redacted(),
        enumerable: false,
    });
    return Object.freeze(settings) as unknown as ConnectionSettings;
}

/** The settings as a plain object safe to log: secrets replaced by "[redacted]". */
export function redactedView(settings: ConnectionSettings): Record<string, unknown> {
    const view: Record<string, unknown> = { ...settings };
    if (settings.clientSecret !== undefined) view.clientSecret = "[redacted]";
    if (settings.clientCertificatePassword !== undefined) {
        view.clientCertificatePassword = "[redacted]";
    }
    return view;
}

function inferCredential(raw: Partial<Record<FieldName, string>>): CredentialKind | undefined {
    if (raw.clientSecret !== undefined) return "clientSecret";
    if (raw.clientCertificatePath !== undefined) return "clientCertificate";
    if (raw.federatedTokenFile !== undefined) return "workloadIdentity";
    return undefined;
}

function checkCertificateFile(
    raw: Partial<Record<FieldName, string>>,
    where: (name: FieldName) => string,
    problems: string[],
): void {
    const file = raw.clientCertificatePath;
    if (file === undefined) {
        problems.push(
            `The clientCertificate credential needs a certificate. Set ` +
                `${describeKey("clientCertificatePath")} to a PEM file holding the certificate ` +
                `and its private key.`,
        );
        return;
    }
    if (!isReadableFile(file)) {
        problems.push(`${where("clientCertificatePath")} is "${file}": no readable file there.`);
        return;
    }
    const pem = fs.readFileSync(file, "utf8");
    if (
        !pem.includes("BEGIN CERTIFICATE") ||
        !/BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY/.test(pem)
    ) {
        problems.push(
            `${where("clientCertificatePath")} is "${file}": it must be PEM with both the ` +
                `certificate and its private key. Convert a .pfx with ` +
                `openssl pkcs12 -in cert.pfx -out cert.pem -nodes.`,
        );
    }
}

function checkBaseUrl(
    name: "graphUrl" | "exchangeUrl",
    raw: Partial<Record<FieldName, string>>,
    where: (name: FieldName) => string,
    problems: string[],
    cloud: CloudName,
): string | undefined {
    if (cloud !== "custom") {
        if (raw[name] !== undefined) {
            problems.push(
                `${where(name)} is ${showValue(name, raw[name])} but the cloud is ${cloud}, ` +
                    `whose endpoints are fixed. Remove it, or set ${describeKey("cloud")} to custom.`,
            );
        }
        return undefined;
    }
    if (raw[name] === undefined) {
        const what = name === "graphUrl" ? "Graph" : "Exchange admin API";
        problems.push(
            `The custom cloud needs the ${what} base URL. Set ${describeKey(name)} ` +
                `(the local tenant prints it in its env).`,
        );
        return undefined;
    }
    return checkHttpsUrl(name, raw, where, problems);
}

function checkHttpsUrl(
    name: FieldName,
    raw: Partial<Record<FieldName, string>>,
    where: (name: FieldName) => string,
    problems: string[],
): string | undefined {
    const value = raw[name] as string;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        problems.push(
            `${where(name)} is ${showValue(name, value)}: not a URL. Use https://host[:port].`,
        );
        return undefined;
    }
    if (url.protocol !== "https:") {
        problems.push(
            `${where(name)} is ${showValue(name, value)}: must be https. The Graph SDK only ` +
                `attaches the token to https URLs and @azure/identity refuses http authorities.`,
        );
        return undefined;
    }
    return value.replace(/\/+$/, "");
}

function parseList(value: string | undefined, where: string, problems: string[]): string[] {
    if (value === undefined) return [];
    const trimmed = value.trim();
    if (trimmed.startsWith("[")) {
        try {
            const parsed: unknown = JSON.parse(trimmed);
            if (Array.isArray(parsed) && parsed.every((v) => typeof v === "string")) {
                return parsed.map((v: string) => v.trim()).filter((v) => v.length > 0);
            }
        } catch {
            // Reported below.
        }
        problems.push(`${where} is not a JSON list of strings. Use ["id-or-upn", ...].`);
        return [];
    }
    return trimmed
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
}

function describeKey(name: FieldName): string {
    const field = FIELDS[name];
    return `${CONFIG_NAMESPACE}:${field.config} (or ${field.env})`;
}

function showValue(name: FieldName, value: string | undefined): string {
    if (value === undefined) return "not set";
    if (FIELDS[name].secret) return "[secret, not shown]";
    return JSON.stringify(value);
}

function nonEmpty(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed.length > 0 ? trimmed : undefined;
}

function isReadableFile(file: string): boolean {
    try {
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}
