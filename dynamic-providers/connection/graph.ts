/**
 * The Microsoft Graph client: @microsoft/microsoft-graph-client with @azure/identity tokens,
 * our own transport (explicit CA trust), our retry policy, the per-tenant concurrency limits and
 * errors that say what to do.
 *
 * The middleware chain, outermost first:
 * 1. ErrorMapper: turns any failed response into a `GraphRequestError` (status, Graph code,
 *    request-id, client-request-id, date, and the fix; a 403 names the missing permission from
 *    the permission manifest).
 * 2. The SDK's AuthenticationHandler with its TokenCredentialAuthenticationProvider: attaches the
 *    token to https URLs on Graph hosts or `customHosts` only.
 * 3. RetryMiddleware: 429/503/504 on any method, 500/502 and connection resets on idempotent
 *    requests; waits at least Retry-After (never less), bounded attempts.
 * 4. LimitMiddleware: the overall and per-mailbox concurrency limits, held only while a request
 *    is on the wire (not while waiting to retry).
 * 5. The SDK's RedirectHandler and TelemetryHandler (client-request-id, SDK version headers).
 * 6. TransportMiddleware: `createHttpsFetch` over an agent that trusts the configured CA.
 *
 * Why our retry instead of the SDK's RetryHandler: the SDK's retries 3 times and only on
 * 429/503/504, rounds an HTTP-date Retry-After (it can wake early), does not retry connection
 * resets, and gives up silently with the last response. Containment must survive all of those.
 */
import {
    AuthenticationHandler,
    Client,
    GraphClientError,
    RedirectHandler,
    RedirectHandlerOptions,
    TelemetryHandler,
    type Context,
    type Middleware,
} from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import type { TokenCredential } from "@azure/identity";

import { resolveEndpoints, type CloudEndpoints } from "./clouds";
import { createCredential } from "./credentials";
import { completeError } from "./errors";
import { tenantLimits, mailboxOf, waitAtLeast, type TenantLimits } from "./limits";
import { safeLogger, type ConnectionLogger, type SafeLogger } from "./log";
import { findGraphOperations } from "./permissions";
import type { ConnectionSettings } from "./settings";
import {
    createHttpsFetch,
    httpsAgentFor,
    NetworkError,
    TRANSIENT_NETWORK_CODES,
    type FetchLike,
} from "./transport";

/** How many times a request is sent at most, by default (first try included). */
export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Wait before retrying when a throttled or failed response carries no Retry-After: attempt n
 * waits 2^(n-1) seconds (1, 2, 4, 8, ...), capped at 30 s. Graph's guidance for a missing
 * Retry-After is exponential backoff; Conditional Access writes are throttled without it.
 */
export function defaultRetryDelayMs(attempt: number): number {
    return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/** A Retry-After longer than this is not waited out; the request fails saying when to retry. */
export const DEFAULT_MAX_RETRY_AFTER_SECONDS = 300;

/**
 * Milliseconds a response asks us to wait: Retry-After in seconds (fractions allowed, rounded up
 * to the millisecond) or as an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
    const value = headers.get("retry-after");
    if (value === null || value.trim() === "") return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    return Math.max(0, date - now);
}

/** Per-connection retry policy. */
export interface RetryPolicy {
    /** Total sends per request, first included. Default 5. */
    maxAttempts: number;
    /** Longest Retry-After we wait out, in seconds. Default 300. */
    maxRetryAfterSeconds: number;
}

/**
 * Per-request override, passed with `client.api(x).middlewareOptions([new GraphRetryOptions(...)])`.
 * The batcher uses it to take over retries of `$batch` envelopes.
 */
export class GraphRetryOptions {
    constructor(readonly policy: Partial<RetryPolicy>) {}
}

/**
 * A failed Graph call, carrying what a responder or support engineer needs.
 *
 * Extends the SDK's GraphClientError so the SDK passes it through unchanged.
 */
export class GraphRequestError extends GraphClientError {
    /** HTTP status; 0 when no response arrived (network failure). */
    readonly status: number;
    /** Graph's error code, e.g. Authorization_RequestDenied, Request_ResourceNotFound. */
    readonly code: string;
    /** Graph's own message, unchanged. */
    readonly graphMessage: string;
    readonly requestId?: string;
    readonly clientRequestId?: string;
    /** Graph's timestamp of the error (innerError.date), or the response's Date header. */
    readonly date?: string;
    readonly method: string;
    /** Path of the request below the host, without the query string. */
    readonly path: string;
    /** Manifest operations this request matched (for a 403: what permission it needs). */
    readonly operations: string[];
    /** Permissions the matched operations need (empty when unknown). */
    readonly requiredPermissions: string[];
    /** How many times the request was sent. */
    readonly attempts: number;
    /** What to do, in one sentence (also at the end of `message`). */
    readonly advice: string;
    /** The wait the response asked for (Retry-After), in ms, when it gave one. */
    readonly retryAfterMs?: number;

    constructor(init: {
        status: number;
        code: string;
        graphMessage: string;
        requestId?: string;
        clientRequestId?: string;
        date?: string;
        method: string;
        path: string;
        operations?: string[];
        requiredPermissions?: string[];
        attempts: number;
        advice: string;
        retryAfterMs?: number;
    }) {
        const ids = [
            init.requestId ? `request-id ${init.requestId}` : undefined,
            init.clientRequestId ? `client-request-id ${init.clientRequestId}` : undefined,
            init.date ? `date ${init.date}` : undefined,
        ].filter(Boolean);
        const statusText = init.status === 0 ? "no response" : String(init.status);
        const message =
            `Graph ${init.method} ${init.path} failed: ${statusText} ${init.code}: ` +
            `${init.graphMessage} ${init.advice}` +
            (ids.length > 0 ? ` (${ids.join(", ")})` : "");
        super(message);
        // GraphClientError resets the prototype to its own; completeError restores ours.
        completeError(
            this,
            GraphRequestError.prototype,
            "GraphRequestError",
            message,
            GraphClientError.prototype,
        );
        this.status = init.status;
        this.code = init.code;
        this.graphMessage = init.graphMessage;
        this.requestId = init.requestId;
        this.clientRequestId = init.clientRequestId;
        this.date = init.date;
        this.method = init.method;
        this.path = init.path;
        this.operations = init.operations ?? [];
        this.requiredPermissions = init.requiredPermissions ?? [];
        this.attempts = init.attempts;
        this.advice = init.advice;
        this.retryAfterMs = init.retryAfterMs;
    }

    /** True for 404 and Graph's not-found codes. */
    get isNotFound(): boolean {
        return this.status === 404 || /NotFound|ResourceNotFound/i.test(this.code);
    }
}

/** Options for `createGraphClient`. */
export interface GraphClientOptions {
    /** Credential to use; default built from the settings by `createCredential`. */
    credential?: TokenCredential;
    /** Logger hook (retries, throttling). Default: silent. */
    logger?: ConnectionLogger;
    /** Retry policy overrides. */
    retry?: Partial<RetryPolicy>;
    /** Max Graph requests in flight for this tenant in this process. Default 8. */
    overallConcurrency?: number;
    /** Default API version for relative paths. Default v1.0. */
    defaultVersion?: "v1.0" | "beta";
}

/** What `createGraphClient` returns: the SDK client plus what the batcher and pager share. */
export interface GraphConnection {
    client: Client;
    endpoints: CloudEndpoints;
    limits: TenantLimits;
    policy: RetryPolicy;
    log: SafeLogger;
}

/**
 * Create the Graph client for validated settings.
 *
 * @param settings From `loadSettings`.
 * @param options Credential, logger, retry and concurrency overrides.
 */
export function createGraphClient(
    settings: ConnectionSettings,
    options: GraphClientOptions = {},
): GraphConnection {
    // 1. Endpoints, credential and the shared limits for this tenant.
    const endpoints = resolveEndpoints(settings);
    const credential = options.credential ?? createCredential(settings, endpoints);
    const limits = tenantLimits(
        `${endpoints.graphBaseUrl}|${settings.tenantId}`,
        options.overallConcurrency,
    );
    const policy: RetryPolicy = {
        maxAttempts: options.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        maxRetryAfterSeconds:
            options.retry?.maxRetryAfterSeconds ?? DEFAULT_MAX_RETRY_AFTER_SECONDS,
    };
    const log = safeLogger(options.logger, [
        settings.clientSecret,
        settings.clientCertificatePassword,
    ]);

    // 2. The middleware chain (see the file comment for the order and why).
    const authProvider = new TokenCredentialAuthenticationProvider(credential, {
        scopes: [endpoints.graphScope],
    });
    const fetchImpl = createHttpsFetch(httpsAgentFor(endpoints.caCertPath));
    const attempts = new WeakMap<Context, number>();
    const chain: Middleware[] = [
        new ErrorMapper(attempts),
        new AuthenticationHandler(authProvider),
        new RetryMiddleware(policy, attempts, log),
        new LimitMiddleware(limits),
        new RedirectHandler(new RedirectHandlerOptions()),
        new TelemetryHandler(),
        new TransportMiddleware(fetchImpl),
    ];
    for (let i = 0; i < chain.length - 1; i++) chain[i].setNext?.(chain[i + 1]);

    // 3. The client: base URL, version, and the hosts allowed to receive the token. The base
    //    URL also rides on the client, for the pager's nextLink check (`graphBaseUrlOf`).
    const client = Client.initWithMiddleware({
        middleware: chain,
        baseUrl: `${endpoints.graphBaseUrl}/`,
        defaultVersion: options.defaultVersion ?? "v1.0",
        customHosts: new Set(endpoints.customHosts),
    });
    Object.defineProperty(client, Symbol.for("bec-guard.connection.graphBaseUrl"), {
        value: endpoints.graphBaseUrl,
        enumerable: false,
    });
    return { client, endpoints, limits, policy, log };
}

/**
 * The Graph base URL (e.g. https://graph.microsoft.com) of a client made by `createGraphClient`;
 * undefined for a client made otherwise. The SDK keeps its own base URL private.
 */
export function graphBaseUrlOf(client: Client): string | undefined {
    const value = (client as unknown as Record<symbol, unknown>)[
        Symbol.for("bec-guard.connection.graphBaseUrl")
    ];
    return typeof value === "string" ? value : undefined;
}

/** Which methods may be repeated after an ambiguous failure (5xx, reset). */
function isIdempotent(method: string, url: string): boolean {
    if (method === "GET" || method === "PUT" || method === "DELETE" || method === "PATCH") {
        // PATCH is idempotent for how we use it: setting fields to absolute values.
        return true;
    }
    // revokeSignInSessions only moves a timestamp forward; sending it twice is harmless.
    return method === "POST" && /\/revokeSignInSessions(\?|$)/i.test(url);
}

function requestMethod(context: Context): string {
    const fromRequest = typeof context.request === "string" ? undefined : context.request.method;
    return (context.options?.method ?? fromRequest ?? "GET").toUpperCase();
}

function requestUrl(context: Context): string {
    return typeof context.request === "string" ? context.request : context.request.url;
}

/** Sends the request with our transport (explicit CA trust). */
class TransportMiddleware implements Middleware {
    constructor(private readonly fetchImpl: FetchLike) {}

    async execute(context: Context): Promise<void> {
        context.response = await this.fetchImpl(context.request, context.options as RequestInit);
    }
}

/** Holds the overall and (for Outlook paths) per-mailbox slots while the request is on the wire. */
class LimitMiddleware implements Middleware {
    private next?: Middleware;

    constructor(private readonly limits: TenantLimits) {}

    setNext(next: Middleware): void {
        this.next = next;
    }

    async execute(context: Context): Promise<void> {
        const mailbox = mailboxOf(requestUrl(context));
        if (mailbox !== undefined) await this.limits.mailboxes.acquire(mailbox);
        await this.limits.overall.acquire();
        try {
            await this.next?.execute(context);
        } finally {
            this.limits.overall.release();
            if (mailbox !== undefined) this.limits.mailboxes.release(mailbox);
        }
    }
}

/** Retries throttled and transient failures, waiting at least Retry-After. */
class RetryMiddleware implements Middleware {
    private next?: Middleware;

    constructor(
        private readonly policy: RetryPolicy,
        private readonly attempts: WeakMap<Context, number>,
        private readonly log: SafeLogger,
    ) {}

    setNext(next: Middleware): void {
        this.next = next;
    }

    async execute(context: Context): Promise<void> {
        const override = context.middlewareControl?.getMiddlewareOptions(GraphRetryOptions) as
            GraphRetryOptions | undefined;
        const policy = { ...this.policy, ...override?.policy };
        const method = requestMethod(context);
        const url = requestUrl(context);
        const path = new URL(url).pathname;

        for (let attempt = 1; ; attempt++) {
            this.attempts.set(context, attempt);

            // 1. Send; a network failure is retried only when repeating it is safe.
            let response: Response;
            try {
                await this.next?.execute(context);
                response = context.response as Response;
            } catch (err) {
                const transient =
                    err instanceof NetworkError && TRANSIENT_NETWORK_CODES.includes(err.code ?? "");
                if (!transient || !isIdempotent(method, url) || attempt >= policy.maxAttempts) {
                    throw err;
                }
                const wait = defaultRetryDelayMs(attempt);
                this.log.log(
                    "warn",
                    `Graph ${method} ${path}: ${(err as NetworkError).code}; retrying in ${wait} ms (attempt ${attempt + 1} of ${policy.maxAttempts}).`,
                );
                await waitAtLeast(wait);
                continue;
            }

            // 2. Decide whether this status is worth another attempt.
            const status = response.status;
            const throttled = status === 429 || status === 503 || status === 504;
            const transientServer = (status === 500 || status === 502) && isIdempotent(method, url);
            if ((!throttled && !transientServer) || attempt >= policy.maxAttempts) return;

            // 3. Wait at least what the service asked; give up on waits longer than the policy allows.
            const asked = retryAfterMs(response.headers);
            if (asked !== undefined && asked > policy.maxRetryAfterSeconds * 1000) return;
            const wait = asked ?? defaultRetryDelayMs(attempt);
            this.log.log(
                "warn",
                `Graph ${method} ${path}: ${status}; waiting ${wait} ms ` +
                    `(${asked !== undefined ? "Retry-After" : "no Retry-After, backoff"}) ` +
                    `before attempt ${attempt + 1} of ${policy.maxAttempts}.`,
            );
            await response.arrayBuffer().catch(() => undefined);
            await waitAtLeast(wait);
        }
    }
}

/** Turns failed responses and network failures into GraphRequestError. */
class ErrorMapper implements Middleware {
    private next?: Middleware;

    constructor(private readonly attempts: WeakMap<Context, number>) {}

    setNext(next: Middleware): void {
        this.next = next;
    }

    async execute(context: Context): Promise<void> {
        const method = requestMethod(context);
        const url = requestUrl(context);
        try {
            await this.next?.execute(context);
        } catch (err) {
            if (err instanceof GraphClientError) throw err;
            throw networkFailure(err as Error, method, url, this.attempts.get(context) ?? 1);
        }
        const response = context.response as Response;
        if (response.ok || response.status < 400) return;
        const text = await response.clone().text();
        throw graphErrorFromResponse({
            status: response.status,
            headers: response.headers,
            bodyText: text,
            method,
            url,
            requestBody: context.options?.body,
            attempts: this.attempts.get(context) ?? 1,
        });
    }
}

function networkFailure(
    err: Error,
    method: string,
    url: string,
    attempts: number,
): GraphRequestError {
    const host = new URL(url).host;
    // @azure/identity failures surface here too: the token is fetched inside the chain.
    const tokenFailure =
        /^(CredentialUnavailableError|AuthenticationError|AuthenticationRequiredError)$/.test(
            err.name,
        );
    const code = err instanceof NetworkError ? (err.code ?? "NetworkError") : err.name;
    let advice: string;
    if (tokenFailure) {
        advice =
            "Getting a token failed: check the tenant id, client id and credential; for a custom " +
            "cloud also check bec-guard:authorityHost and that bec-guard:caCertPath (or " +
            "BEC_GUARD_CA_CERT) names the CA that signed the authority's TLS certificate.";
    } else if (attempts > 1) {
        advice = `No response after ${attempts} attempts; check connectivity to ${host} and run again (every step converges).`;
    } else {
        advice = `Check connectivity to ${host} and run again (every step converges).`;
    }
    return new GraphRequestError({
        status: 0,
        code,
        graphMessage: err.message,
        method,
        path: new URL(url).pathname,
        attempts,
        advice,
    });
}

/**
 * Build a GraphRequestError from a failed response (also used for failed `$batch` items).
 *
 * @param init.status HTTP status.
 * @param init.headers Response headers (for Retry-After, request-id, Date).
 * @param init.bodyText Raw body, or `init.body` the parsed one.
 * @param init.method, init.url The request, for the message and the 403 permission hint.
 * @param init.requestBody The request body, to tell apart operations sharing a path.
 */
export function graphErrorFromResponse(init: {
    status: number;
    headers?: Headers | Record<string, string>;
    bodyText?: string;
    body?: unknown;
    method: string;
    url: string;
    requestBody?: unknown;
    attempts: number;
}): GraphRequestError {
    // 1. Graph's error envelope, tolerating non-JSON bodies (gateways answer HTML).
    const headers =
        init.headers instanceof Headers ? init.headers : new Headers(init.headers ?? {});
    let body = init.body;
    if (body === undefined && init.bodyText !== undefined) {
        try {
            body = JSON.parse(init.bodyText);
        } catch {
            body = undefined;
        }
    }
    const error = (body as { error?: Record<string, unknown> } | undefined)?.error ?? {};
    const inner = (error.innerError ?? error.innererror ?? {}) as Record<string, unknown>;
    const code = typeof error.code === "string" ? error.code : `HTTP${init.status}`;
    const graphMessage =
        typeof error.message === "string" && error.message.length > 0
            ? error.message
            : (init.bodyText ?? "").slice(0, 200) || "(no error body)";

    // 2. What the request was, and which manifest operation it matches.
    const path = /^https?:\/\//i.test(init.url)
        ? new URL(init.url).pathname
        : init.url.split("?")[0];
    let requestBody = init.requestBody;
    if (typeof requestBody === "string") {
        try {
            requestBody = JSON.parse(requestBody);
        } catch {
            requestBody = undefined;
        }
    }
    const operations = findGraphOperations(init.method, init.url, requestBody);
    const requiredPermissions = [...new Set(operations.flatMap((op) => op.permissions))];

    // 3. The advice.
    const advice = adviceFor(
        init.status,
        code,
        operations,
        requiredPermissions,
        headers,
        init.attempts,
    );
    return new GraphRequestError({
        status: init.status,
        code,
        graphMessage,
        requestId: str(inner["request-id"]) ?? headers.get("request-id") ?? undefined,
        clientRequestId:
            str(inner["client-request-id"]) ?? headers.get("client-request-id") ?? undefined,
        date: str(inner.date) ?? headers.get("date") ?? undefined,
        method: init.method,
        path,
        operations: operations.map((op) => op.operation),
        requiredPermissions,
        attempts: init.attempts,
        advice,
        retryAfterMs: retryAfterMs(headers),
    });
}

function adviceFor(
    status: number,
    code: string,
    operations: ReturnType<typeof findGraphOperations>,
    permissions: string[],
    headers: Headers,
    attempts: number,
): string {
    if (status === 401) {
        return (
            "The token was refused: check the tenant id, client id and credential, and that " +
            "the app registration lives in this cloud."
        );
    }
    if (status === 403) {
        if (operations.length === 0) {
            return (
                "This call is missing from the permission manifest " +
                "(dynamic-providers/connection/permissions.ts): add it there with the " +
                "permission Microsoft documents, then grant that permission."
            );
        }
        const notes = operations
            .map((op) => /Note: (.*)$/.exec(op.why)?.[1])
            .filter((n): n is string => n !== undefined);
        return (
            `The app needs the Microsoft Graph application permission ` +
            `${permissions.join(" and ")} (operation ${operations.map((op) => op.operation).join(" or ")}): ` +
            `grant it with admin consent (see docs/permissions.md) and run again.` +
            (notes.length > 0 ? ` Note: ${notes.join(" ")}` : "")
        );
    }
    if (status === 404) {
        return "The object does not exist (deleted, or a wrong id or UPN): check the identifier.";
    }
    if (status === 429 || status === 503 || status === 504) {
        const asked = retryAfterMs(headers);
        const when =
            asked !== undefined ? ` Graph asked to wait ${Math.ceil(asked / 1000)} s.` : "";
        return `Still throttled or unavailable after ${attempts} attempt(s).${when} Run again later; every step converges.`;
    }
    if (status >= 500) {
        return "Graph failed on its side; run again (every step converges).";
    }
    if (status === 400 && /password/i.test(code)) {
        return "The password was refused by the tenant's password policy.";
    }
    return "Graph refused the request as sent; the message above says which part.";
}

function str(value: unknown): string | undefined {
    return typeof value === "string" && value.length > 0 ? value : undefined;
}
