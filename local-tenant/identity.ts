/**
 * The local tenant's identity endpoints, as `@azure/identity` (MSAL) uses them with a custom
 * `authorityHost` and `disableInstanceDiscovery: true`:
 *
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration`: the endpoints of this tenant;
 * - `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant.
 *
 * Access tokens are JWTs signed with HS256 and a key kept in the state directory, carrying the
 * claims Graph and Exchange read: aud, iss, tid, appid/azp, oid, roles, iat/nbf/exp (1 hour).
 *
 * Client authentication accepted:
 * - `client_secret`: compared with the app's secret.
 * - `client_assertion` signed with a certificate (ClientCertificateCredential): the JWT header's
 *   `x5t` (SHA-1) or `x5t#S256` thumbprint picks one of the app's `certificates`, whose public
 *   key must verify the RS256/PS256 signature; iss and sub must be the client id, aud the token
 *   endpoint, and the time window (nbf/exp) current.
 * - `client_assertion` from a federated identity (WorkloadIdentityCredential): iss, sub and aud
 *   must match one of the app's `federatedIdentityCredentials` and exp must be in the future.
 *   Note: the signature of a federated assertion is NOT verified (the local tenant cannot reach
 *   the external issuer's keys); only its claims are checked.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { AppRegistration, TenantState } from "./model";

export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
export const EXCHANGE_AUDIENCE = "https://outlook.office365.com";
export const EXCHANGE_APP_ROLE = "Exchange.ManageAsApp";

/** Resource identifiers accepted in `scope` (as `<resource>/.default`) and the audience issued. */
const RESOURCES: Record<string, string> = {
    "https://graph.microsoft.com": GRAPH_AUDIENCE,
    "00000003-0000-0000-c000-000000000000": GRAPH_AUDIENCE,
    "https://outlook.office365.com": EXCHANGE_AUDIENCE,
    "https://outlook.office.com": EXCHANGE_AUDIENCE,
    "00000002-0000-0ff1-ce00-000000000000": EXCHANGE_AUDIENCE,
};

const TOKEN_LIFETIME_S = 3600;
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The claims of an access token the local tenant issued. */
export interface AccessTokenClaims {
    aud: string;
    iss: string;
    tid: string;
    appid: string;
    azp: string;
    oid: string;
    sub: string;
    roles: string[];
    iat: number;
    nbf: number;
    exp: number;
    idtyp: "app";
    ver: "1.0";
    uti: string;
}

/** An answer from an identity endpoint. */
export interface IdentityResponse {
    status: number;
    body: unknown;
}

/**
 * Loads the HMAC key that signs access tokens, creating it on first start. Keeping it in the
 * state directory lets tokens issued before a restart stay valid after it, as real tokens do.
 */
export function loadOrCreateSigningKey(stateDir: string): Buffer {
    const file = path.join(stateDir, "token-signing.key");
    try {
        const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
        if (key.length >= 32) return key;
    } catch {
        // missing: create below
    }
    const key = crypto.randomBytes(32);
    fs.writeFileSync(file, key.toString("base64"), { mode: 0o600 });
    return key;
}

/** Finds the tenant a path names: its id, or one of its domains (case-insensitive). */
export function tenantMatches(state: TenantState, tenant: string): boolean {
    const t = tenant.toLowerCase();
    return (
        state.tenant.id.toLowerCase() === t ||
        state.tenant.initialDomain.toLowerCase() === t ||
        state.tenant.verifiedDomains.some((d) => d.toLowerCase() === t)
    );
}

export class Identity {
    /** Verified tokens, so a busy client does not pay for HMAC on every request. */
    private readonly verified = new Map<string, AccessTokenClaims>();

    /**
     * @param key HMAC key from {@link loadOrCreateSigningKey}.
     * @param now Clock in ms (the server's controllable clock).
     */
    constructor(
        private readonly key: Buffer,
        private readonly now: () => number,
    ) {}

    /** The OpenID configuration document for `tenant`, as Entra serves it. */
    openIdConfiguration(state: TenantState, baseUrl: string, tenant: string): IdentityResponse {
        if (!tenantMatches(state, tenant)) return tenantNotFound(tenant);
        const root = `${baseUrl}/${state.tenant.id}`;
        return {
            status: 200,
            body: {
                token_endpoint: `${root}/oauth2/v2.0/token`,
                token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
                jwks_uri: `${root}/discovery/v2.0/keys`,
                response_modes_supported: ["query", "fragment", "form_post"],
                subject_types_supported: ["pairwise"],
                id_token_signing_alg_values_supported: ["RS256"],
                response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
                scopes_supported: ["openid", "profile", "email", "offline_access"],
                issuer: `${root}/v2.0`,
                request_uri_parameter_supported: false,
                userinfo_endpoint: `${baseUrl}/oidc/userinfo`,
                authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
                device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
                http_logout_supported: true,
                frontchannel_logout_supported: true,
                end_session_endpoint: `${root}/oauth2/v2.0/logout`,
                claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "roles"],
                tenant_region_scope: "NA",
                cloud_instance_name: "local",
                cloud_graph_host_name: "graph.windows.net",
                msgraph_host: "graph.microsoft.com",
                rbac_url: "https://pas.windows.net",
            },
        };
    }

    /**
     * The client-credentials grant. Errors are Entra's: `error`, `error_description` starting
     * with the AADSTS code, `error_codes`, `timestamp`, `trace_id`, `correlation_id`.
     *
     * @param form The decoded form body.
     * @param tokenEndpoint This endpoint's absolute URL (the audience of client assertions).
     */
    token(
        state: TenantState,
        tenant: string,
        form: URLSearchParams,
        tokenEndpoint: string,
    ): IdentityResponse {
        // 1. The tenant and the grant.
        if (!tenantMatches(state, tenant)) return tenantNotFound(tenant);
        const grantType = form.get("grant_type");
        if (grantType !== "client_credentials") {
            return aadError(
                400,
                "unsupported_grant_type",
                70003,
                `The app requested an unsupported grant type '${grantType ?? ""}'. The local tenant serves client_credentials only.`,
            );
        }

        // 2. The client.
        const clientId = form.get("client_id");
        if (!clientId) {
            return aadError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            );
        }
        const app = state.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
        if (!app) {
            return aadError(
                400,
                "unauthorized_client",
                700016,
                `Application with identifier '${clientId}' was not found in the directory '${state.tenant.displayName}'. ` +
                    "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
                    "You may have sent your authentication request to the wrong tenant.",
            );
        }

        // 3. The client's proof: a secret or an assertion.
        const failure = this.authenticateClient(app, form, tokenEndpoint);
        if (failure) return failure;

        // 4. The resource: `<resource>/.default` only, as for any client-credentials request.
        const scope = form.get("scope") ?? "";
        const scopes = scope.split(/\s+/).filter(Boolean);
        if (scopes.length !== 1 || !scopes[0].endsWith("/.default")) {
            return aadError(
                400,
                "invalid_scope",
                1002012,
                `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
            );
        }
        const resource = scopes[0].slice(0, -"/.default".length).replace(/\/$/, "");
        const audience = RESOURCES[resource.toLowerCase()];
        if (!audience) {
            return aadError(
                400,
                "invalid_resource",
                500011,
                `The resource principal named ${resource} was not found in the tenant named ${state.tenant.displayName}. ` +
                    "The local tenant issues tokens for https://graph.microsoft.com and https://outlook.office365.com.",
            );
        }

        // 5. The token, with the app's roles for that audience.
        const accessToken = this.issue(state, app, audience);
        return {
            status: 200,
            body: {
                token_type: "Bearer",
                expires_in: TOKEN_LIFETIME_S,
                ext_expires_in: TOKEN_LIFETIME_S,
                access_token: accessToken,
            },
        };
    }

    /** Signs an access token for `app` and `audience`. */
    issue(state: TenantState, app: AppRegistration, audience: string): string {
        const now = Math.floor(this.now() / 1000);
        const roles =
            audience === GRAPH_AUDIENCE
                ? [...app.graphRoles]
                : app.exchangeManageAsApp
                  ? [EXCHANGE_APP_ROLE]
                  : [];
        const claims: AccessTokenClaims = {
            aud: audience,
            iss: `https://sts.windows.net/${state.tenant.id}/`,
            tid: state.tenant.id,
            appid: app.clientId,
            azp: app.clientId,
            oid: app.servicePrincipalId,
            sub: app.servicePrincipalId,
            roles,
            iat: now,
            nbf: now - 300,
            exp: now + TOKEN_LIFETIME_S,
            idtyp: "app",
            ver: "1.0",
            uti: crypto.randomBytes(16).toString("base64url"),
        };
        const header = b64json({ typ: "JWT", alg: "HS256", kid: "local-tenant" });
        const payload = b64json(claims);
        const signature = crypto
            .createHmac("sha256", this.key)
            .update(`${header}.${payload}`)
            .digest("base64url");
        return `${header}.${payload}.${signature}`;
    }

    /**
     * Checks a bearer token: signature (cached), audience, tenant and lifetime. Returns the
     * claims, or the reason it is refused (worded as Graph words it).
     */
    verify(
        token: string,
        audience: string,
        tenantId: string,
    ): { claims: AccessTokenClaims } | { problem: string } {
        let claims = this.verified.get(token);
        if (!claims) {
            const parsed = this.checkSignature(token);
            if (!parsed) return { problem: "Invalid signature." };
            claims = parsed;
            if (this.verified.size > 10_000) this.verified.clear();
            this.verified.set(token, claims);
        }
        const now = this.now() / 1000;
        if (claims.exp <= now)
            return { problem: "Lifetime validation failed, the token is expired." };
        if (claims.nbf > now + 300)
            return { problem: "Lifetime validation failed, the token is not yet valid." };
        if (claims.aud !== audience) return { problem: "Invalid audience." };
        if (claims.tid !== tenantId)
            return { problem: "Invalid tenant: the token was issued for another tenant." };
        return { claims };
    }

    private checkSignature(token: string): AccessTokenClaims | undefined {
        const parts = token.split(".");
        if (parts.length !== 3) return undefined;
        const expected = crypto
            .createHmac("sha256", this.key)
            .update(`${parts[0]}.${parts[1]}`)
            .digest();
        const given = Buffer.from(parts[2], "base64url");
        if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
            return undefined;
        try {
            return JSON.parse(
                Buffer.from(parts[1], "base64url").toString("utf8"),
            ) as AccessTokenClaims;
        } catch {
            return undefined;
        }
    }

    private authenticateClient(
        app: AppRegistration,
        form: URLSearchParams,
        tokenEndpoint: string,
    ): IdentityResponse | undefined {
        const secret = form.get("client_secret");
        const assertion = form.get("client_assertion");
        if (secret !== null) {
            if (!safeEqual(secret, app.clientSecret) || app.clientSecret === "") {
                return aadError(
                    401,
                    "invalid_client",
                    7000215,
                    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
                );
            }
            return undefined;
        }
        if (assertion !== null) {
            if (form.get("client_assertion_type") !== ASSERTION_TYPE) {
                return aadError(
                    400,
                    "invalid_request",
                    50027,
                    `client_assertion_type must be '${ASSERTION_TYPE}'.`,
                );
            }
            return this.checkAssertion(app, assertion, tokenEndpoint);
        }
        return aadError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }

    private checkAssertion(
        app: AppRegistration,
        assertion: string,
        tokenEndpoint: string,
    ): IdentityResponse | undefined {
        // 1. Read the JWT.
        const parts = assertion.split(".");
        let header: Record<string, unknown>;
        let claims: Record<string, unknown>;
        try {
            if (parts.length !== 3) throw new Error("not three parts");
            header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
            claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
        } catch {
            return aadError(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
        }
        const now = this.now() / 1000;
        const exp = Number(claims.exp);
        if (
            !Number.isFinite(exp) ||
            exp <= now ||
            (claims.nbf !== undefined && Number(claims.nbf) > now + 300)
        ) {
            return aadError(
                400,
                "invalid_client",
                700024,
                "Client assertion is not within its valid time range.",
            );
        }

        // 2. A certificate-signed assertion names its certificate by thumbprint.
        if (header.x5t !== undefined || header["x5t#S256"] !== undefined) {
            return this.checkCertificateAssertion(app, parts, header, claims, tokenEndpoint);
        }

        // 3. Otherwise it must come from a federated identity the app trusts.
        const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
        const match = (app.federatedIdentityCredentials ?? []).find(
            (f) =>
                f.issuer === claims.iss &&
                f.subject === claims.sub &&
                f.audiences.some((a) => audiences.includes(a)),
        );
        if (!match) {
            return aadError(
                400,
                "invalid_client",
                70021,
                `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(claims.iss)}'. Assertion Subject: '${String(claims.sub)}'. Assertion Audience: '${audiences.join(",")}'.`,
            );
        }
        return undefined;
    }

    private checkCertificateAssertion(
        app: AppRegistration,
        parts: string[],
        header: Record<string, unknown>,
        claims: Record<string, unknown>,
        tokenEndpoint: string,
    ): IdentityResponse | undefined {
        if (claims.iss !== app.clientId || claims.sub !== app.clientId) {
            return aadError(
                401,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            );
        }
        if (claims.aud !== tokenEndpoint) {
            return aadError(
                401,
                "invalid_client",
                700212,
                `No matching federated identity record found for presented assertion audience '${String(claims.aud)}'.`,
            );
        }
        const certificate = (app.certificates ?? [])
            .map((c) => new crypto.X509Certificate(c.certificatePem))
            .find((cert) => {
                const sha1 = Buffer.from(cert.fingerprint.replace(/:/g, ""), "hex").toString(
                    "base64url",
                );
                const sha256 = Buffer.from(cert.fingerprint256.replace(/:/g, ""), "hex").toString(
                    "base64url",
                );
                return header.x5t === sha1 || header["x5t#S256"] === sha256;
            });
        if (!certificate) {
            return aadError(
                401,
                "invalid_client",
                700027,
                `The certificate with identifier used to sign the client assertion is not registered on application '${app.clientId}'.`,
            );
        }
        const data = Buffer.from(`${parts[0]}.${parts[1]}`);
        const signature = Buffer.from(parts[2], "base64url");
        const alg = header.alg;
        const ok =
            alg === "RS256"
                ? crypto.verify("sha256", data, certificate.publicKey, signature)
                : alg === "PS256"
                  ? crypto.verify(
                        "sha256",
                        data,
                        {
                            key: certificate.publicKey,
                            padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
                            saltLength: 32,
                        },
                        signature,
                    )
                  : false;
        if (!ok) {
            return aadError(
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation.",
            );
        }
        return undefined;
    }
}

function tenantNotFound(tenant: string): IdentityResponse {
    return aadError(
        400,
        "invalid_tenant",
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
}

function aadError(
    status: number,
    error: string,
    code: number,
    description: string,
): IdentityResponse {
    const traceId = crypto.randomUUID();
    const correlationId = crypto.randomUUID();
    // Entra writes "2024-05-01 12:00:00Z".
    const timestamp = new Date()
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z");
    return {
        status,
        body: {
            error,
            error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
            error_codes: [code],
            timestamp,
            trace_id: traceId,
            correlation_id: correlationId,
            error_uri: `https://login.microsoftonline.com/error?code=${code}`,
        },
    };
}

function b64json(value: unknown): string {
    return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function safeEqual(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && crypto.timingSafeEqual(x, y);
}
