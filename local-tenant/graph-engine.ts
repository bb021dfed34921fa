/**
 * Runs Graph calls for the local tenant: one call as it arrives at /v1.0 or /beta, and the
 * items of a `$batch`. For every call (a batch item included) the order is: faults, route
 * match, permission check, throttling, handler. Authentication happened before (the server
 * checks the token once per HTTP request; batch items share it).
 *
 * A call sent on its own (not a batch item) carries its HTTP request's `InFlight`: once
 * admitted, it waits out the injected latency holding its throttling slot, and the server
 * frees the slot after the answer is written. So Outlook's 4 concurrent requests per mailbox
 * hold for requests that take time on the wire, not only for slow handlers.
 */
import { randomUUID } from "crypto";
import type { AppRegistration, TenantState } from "./model";
import {
    GraphHttpError,
    type GraphRequestContext,
    type GraphResponse,
    type GraphRoute,
    type ThrottleBucket,
} from "./contracts";
import type { FaultDecision, Faults } from "./faults";
import {
    RequestLog,
    batchItemBody,
    batchItemLocation,
    bodyFingerprint,
    retryAfterHeader,
} from "./request-log";
import type { Throttler } from "./throttling";

/** What the engine needs from the server around it. */
export interface GraphEngineHost {
    state(): TenantState;
    /** Server origin, e.g. https://127.0.0.1:8443 */
    origin(): string;
    now(): number;
    faults: Faults;
    throttler: Throttler;
    log: RequestLog;
    /** The state changed: persist it soon. */
    changed(): void;
}

/**
 * One HTTP request while it is in flight: the latency it waits out (once, wherever the
 * pipeline reaches it first) and the throttling slots it holds until its answer is written.
 */
export interface InFlight {
    /** Waits out the injected latency; later calls return at once. */
    latency(): Promise<void>;
    /** Slots to free once the answer is written (the server calls them). */
    readonly releases: Array<() => void>;
}

/** An InFlight for a request with `latencyMs` of injected latency. */
export function inFlight(latencyMs: number): InFlight {
    let waited: Promise<void> | undefined;
    return {
        latency: () =>
            (waited ??=
                latencyMs > 0
                    ? new Promise<void>((resolve) => setTimeout(resolve, latencyMs))
                    : Promise.resolve()),
        releases: [],
    };
}

/** One Graph call, from the wire or from a batch item. */
export interface GraphCall {
    method: string;
    version: "v1.0" | "beta";
    /** Path below the version as sent (URL-encoded), starting with "/". */
    rawPath: string;
    query: URLSearchParams;
    headers: Record<string, string | undefined>;
    body: unknown;
    app: AppRegistration;
    /** Roles from the access token. */
    roles: string[];
    requestId: string;
    clientRequestId: string;
    /** Filled in while the call runs, for the request log: the matched route's bucket. */
    trace?: { bucket?: ThrottleBucket };
    /**
     * The HTTP request this call is, when sent on its own: the admitted call waits out its
     * latency holding the throttling slot, which the server frees after answering. Batch items
     * have none (they hold a slot only while their handler runs).
     */
    inFlight?: InFlight;
}

export const GRAPH_JSON =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/** At most this many requests in one `$batch`, as Graph allows. */
export const MAX_BATCH_REQUESTS = 20;

/** How one segment of a route pattern matches one segment of a request path. */
type SegmentMatcher =
    /** Literal text, kept lower case (literals match case-insensitively). */
    | { kind: "literal"; text: string }
    /** `{name}`: the whole segment is the parameter. */
    | { kind: "param"; name: string }
    /** Literal text around parameters, e.g. `servicePrincipals(appId='{appId}')`. */
    | { kind: "mixed"; regex: RegExp; names: string[] };

interface CompiledRoute {
    route: GraphRoute;
    segments: SegmentMatcher[];
}

const PARAMETER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Compiles one segment of a route pattern. Inside a segment, a parameter matches the
 * (non-empty) text between its literal neighbours and the literals match case-insensitively.
 * A malformed pattern is a bug in the route table, so it fails the start, naming the pattern.
 */
function compileSegment(segment: string, pattern: string, seen: Set<string>): SegmentMatcher {
    const refuse = (why: string) =>
        new Error(`Graph route pattern '${pattern}': ${why} in segment '${segment}'.`);
    const claim = (name: string) => {
        if (seen.has(name)) throw refuse(`parameter '{${name}}' is used twice`);
        seen.add(name);
        return name;
    };

    // 1. The common cases: a literal, or a whole-segment parameter.
    const whole = PARAMETER.exec(segment);
    if (whole) return { kind: "param", name: claim(whole[1]) };
    if (!/[{}]/.test(segment)) return { kind: "literal", text: segment.toLowerCase() };

    // 2. Literals and parameters mixed: parts alternate literal, parameter, literal, ...
    const parts = segment.split(/(\{[^{}]*\})/);
    const names: string[] = [];
    let source = "^";
    parts.forEach((part, i) => {
        if (i % 2 === 0) {
            if (/[{}]/.test(part)) throw refuse("a brace does not belong to a {name}");
            if (part === "" && i > 0 && i < parts.length - 1) {
                throw refuse("two parameters touch, so where one ends is ambiguous");
            }
            source += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        } else {
            const name = PARAMETER.exec(part)?.[1];
            if (!name) throw refuse(`'${part}' is not a valid parameter name`);
            names.push(claim(name));
            source += "(.+?)";
        }
    });
    return { kind: "mixed", regex: new RegExp(`${source}$`, "i"), names };
}

/**
 * Builds Graph's error envelope: `{"error":{"code","message","innerError":{"date",
 * "request-id","client-request-id"}}}` (innerError with a capital E, as the SDK reads it).
 */
export function graphError(
    status: number,
    code: string,
    message: string,
    requestId: string,
    clientRequestId: string,
    headers: Record<string, string> = {},
): GraphResponse {
    return {
        status,
        headers,
        body: {
            error: {
                code,
                message,
                innerError: {
                    date: new Date().toISOString().slice(0, 19),
                    "request-id": requestId,
                    "client-request-id": clientRequestId,
                },
            },
        },
    };
}

/** Turns an injected fault into the answer Graph would give (a reset is the caller's job). */
export function faultAnswer(
    decision: Extract<FaultDecision, { kind: "status" }>,
    requestId: string,
    clientRequestId: string,
): GraphResponse {
    const codes: Record<number, [string, string]> = {
        429: [
            "TooManyRequests",
            "Too many requests (injected fault). Retry after the Retry-After interval.",
        ],
        500: ["InternalServerError", "An internal server error occurred (injected fault)."],
        503: [
            "ServiceNotAvailable",
            "The service is temporarily unavailable (injected fault). Retry later.",
        ],
        504: ["GatewayTimeout", "The gateway timed out (injected fault). Retry later."],
    };
    const [code, message] = codes[decision.status] ?? [
        "InjectedFault",
        `Injected fault with status ${decision.status}.`,
    ];
    const headers: Record<string, string> = {};
    if (
        (decision.status === 429 || decision.status === 503) &&
        decision.retryAfterSeconds !== undefined
    ) {
        headers["Retry-After"] = String(decision.retryAfterSeconds);
    }
    return graphError(decision.status, code, message, requestId, clientRequestId, headers);
}

export class GraphEngine {
    private readonly compiled: CompiledRoute[];

    /**
     * @param routes Route table; patterns are tried in order and the first match wins.
     */
    constructor(
        private readonly host: GraphEngineHost,
        routes: GraphRoute[],
    ) {
        this.compiled = routes.map((route) => {
            const seen = new Set<string>();
            const segments = route.pattern
                .replace(/^\//, "")
                .split("/")
                .map((segment) => compileSegment(segment, route.pattern, seen));
            return { route, segments };
        });
    }

    /**
     * Runs one call: optional faults, route, permission, throttling, handler.
     *
     * @param applyFaults False when the server already applied faults to this HTTP request.
     */
    async execute(call: GraphCall, applyFaults: boolean): Promise<GraphResponse> {
        const { requestId, clientRequestId } = call;

        // 1. Faults (batch items: a reset cannot hit one item, so it becomes a 503).
        if (applyFaults) {
            const decision = this.host.faults.decide(
                call.method,
                `/${call.version}${call.rawPath}`,
                false,
            );
            if (decision.kind === "status")
                return faultAnswer(decision, requestId, clientRequestId);
        }

        // 2. Route.
        let segments: string[];
        try {
            segments = call.rawPath.replace(/^\//, "").split("/").map(decodeURIComponent);
        } catch {
            return graphError(
                400,
                "BadRequest",
                `The path '${call.rawPath}' is not validly URL-encoded.`,
                requestId,
                clientRequestId,
            );
        }
        const match = this.match(call.method, call.version, segments);
        if (match === "method") {
            return graphError(
                405,
                "BadRequest",
                "Specified HTTP method is not allowed for the request target.",
                requestId,
                clientRequestId,
            );
        }
        if (!match) {
            return graphError(
                404,
                "ResourceNotFound",
                `Resource not found for the segment '${segments[0] ?? ""}'. The local tenant does not serve ${call.method} /${call.version}/${segments.join("/")}.`,
                requestId,
                clientRequestId,
            );
        }
        const { route, params } = match;
        if (call.trace) call.trace.bucket = route.bucket;

        // 3. Permission: one of anyOf, and all of allOf.
        const missing = missingPermissions(route, call.roles);
        if (missing) {
            return graphError(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
                requestId,
                clientRequestId,
                {
                    "x-local-tenant-required-permissions": missing,
                },
            );
        }

        // 4. Throttling, counted for the calling app (and the mailbox for Outlook).
        const state = this.host.state();
        const ctx = this.context(call, segments, params, state);
        let mailbox: string | undefined;
        if (route.bucket === "outlook") {
            try {
                mailbox = normaliseMailbox(
                    state,
                    route.mailboxOf ? route.mailboxOf(ctx) : (segments[1] ?? ""),
                );
            } catch (err) {
                return this.handlerError(err, call);
            }
        }
        const admission = this.host.throttler.admit(route.bucket, {
            appId: call.app.clientId,
            tenantId: state.tenant.id,
            mailbox,
        });
        if (!admission.admitted) {
            const headers: Record<string, string> = {};
            if (admission.retryAfterSeconds !== undefined)
                headers["Retry-After"] = String(admission.retryAfterSeconds);
            return graphError(
                429,
                admission.code,
                admission.message,
                requestId,
                clientRequestId,
                headers,
            );
        }

        // 5. The time on the wire, holding the slot; the server frees it after answering.
        if (call.inFlight) {
            call.inFlight.releases.push(admission.release);
            await call.inFlight.latency();
        }

        // 6. Handler. A successful write marks the state for saving.
        try {
            const response = await route.handler(ctx);
            if (response.status === 303) {
                throw new Error(
                    "a route answered 303, which the Graph SDK's redirect handler loops on",
                );
            }
            if (call.method !== "GET" && response.status < 400) this.host.changed();
            return response;
        } catch (err) {
            return this.handlerError(err, call);
        } finally {
            if (!call.inFlight) admission.release();
        }
    }

    /**
     * Runs a `$batch` body: validation of the whole, then each item through {@link execute}
     * with its own faults, permission and throttling, `dependsOn` honoured (424 when a
     * dependency failed). Always a 200 envelope once the batch itself is valid.
     */
    async batch(call: GraphCall): Promise<GraphResponse> {
        const { requestId, clientRequestId } = call;
        const bad = (message: string) =>
            graphError(400, "BadRequest", message, requestId, clientRequestId);

        // 1. The batch as a whole: shape, size, ids, dependencies.
        const body = call.body as { requests?: unknown } | undefined;
        if (!body || typeof body !== "object" || !Array.isArray(body.requests)) {
            return bad(
                "Invalid batch payload format: expected a JSON object with a 'requests' array.",
            );
        }
        const items = body.requests as Array<Record<string, unknown>>;
        if (items.length === 0) return bad("Invalid batch payload format: 'requests' is empty.");
        if (items.length > MAX_BATCH_REQUESTS) {
            return bad(
                `Maximum number of requests allowed in a batch is ${MAX_BATCH_REQUESTS}; this batch has ${items.length}. Split it.`,
            );
        }
        const ids = new Set<string>();
        for (const [i, item] of items.entries()) {
            if (!item || typeof item !== "object")
                return bad(`Batch request ${i} is not an object.`);
            if (typeof item.id !== "string" || item.id === "")
                return bad(`Batch request ${i} has no 'id' (a string).`);
            if (ids.has(item.id))
                return bad(`Batch request id '${item.id}' is used twice; ids must be unique.`);
            ids.add(item.id);
            if (typeof item.method !== "string")
                return bad(`Batch request '${item.id}' has no 'method'.`);
            if (typeof item.url !== "string")
                return bad(`Batch request '${item.id}' has no 'url'.`);
            if (
                item.dependsOn !== undefined &&
                !(
                    Array.isArray(item.dependsOn) &&
                    item.dependsOn.every((d) => typeof d === "string")
                )
            ) {
                return bad(
                    `Batch request '${item.id}' has a 'dependsOn' that is not an array of ids.`,
                );
            }
        }
        for (const item of items) {
            for (const dep of (item.dependsOn as string[] | undefined) ?? []) {
                if (!ids.has(dep))
                    return bad(
                        `Batch request '${String(item.id)}' depends on '${dep}', which is not in the batch.`,
                    );
            }
        }
        if (hasCycle(items)) return bad("The dependsOn references of this batch form a cycle.");

        // 2. Run every item once its dependencies are done; independent items run together.
        const results = new Map<string, Promise<Record<string, unknown>>>();
        const run = (item: Record<string, unknown>): Promise<Record<string, unknown>> => {
            const id = item.id as string;
            let promise = results.get(id);
            if (!promise) {
                const deps = ((item.dependsOn as string[] | undefined) ?? []).map((d) =>
                    run(items.find((x) => x.id === d)!),
                );
                promise = Promise.all(deps).then((done) => this.batchItem(call, item, done));
                results.set(id, promise);
            }
            return promise;
        };
        const responses = await Promise.all(items.map(run));
        return { status: 200, body: { responses } };
    }

    private async batchItem(
        batch: GraphCall,
        item: Record<string, unknown>,
        dependencies: Array<Record<string, unknown>>,
    ): Promise<Record<string, unknown>> {
        const id = item.id as string;
        const method = (item.method as string).toUpperCase();
        const url = item.url as string;
        const itemHeaders = lowerCaseHeaders(item.headers);
        const clientRequestId = itemHeaders["client-request-id"] ?? randomUUID();
        const requestId = randomUUID();
        const startedAt = RequestLog.now();
        const trace: { bucket?: ThrottleBucket } = {};

        const response = await (async (): Promise<GraphResponse> => {
            // A failed dependency fails its dependents without running them.
            const failed = dependencies.find((d) => (d.status as number) >= 400);
            if (failed) {
                return graphError(
                    424,
                    "FailedDependency",
                    `The request depends on request '${String(failed.id)}', which failed with status ${String(failed.status)}.`,
                    requestId,
                    clientRequestId,
                );
            }
            // Item URLs are relative to the batch's version: a version prefix or an absolute URL is refused.
            if (/^[a-z]+:\/\//i.test(url) || /^\/?(v1\.0|beta)(\/|$)/i.test(url)) {
                return graphError(
                    400,
                    "BadRequest",
                    `Invalid request URL '${url}': a $batch item URL is relative to the batch's version and must not start with /v1.0, /beta or a host.`,
                    requestId,
                    clientRequestId,
                );
            }
            const [pathPart, queryPart = ""] = url.split("?", 2);
            const rawPath = pathPart.startsWith("/") ? pathPart : `/${pathPart}`;
            if (rawPath.toLowerCase() === "/$batch") {
                return graphError(
                    400,
                    "BadRequest",
                    "A $batch cannot contain another $batch.",
                    requestId,
                    clientRequestId,
                );
            }
            let body = item.body;
            if (typeof body === "string" && (itemHeaders["content-type"] ?? "").includes("json")) {
                try {
                    body = JSON.parse(body);
                } catch {
                    return graphError(
                        400,
                        "BadRequest",
                        `The body of batch request '${id}' is not valid JSON.`,
                        requestId,
                        clientRequestId,
                    );
                }
            }
            return this.execute(
                {
                    ...batch,
                    method,
                    rawPath,
                    query: new URLSearchParams(queryPart),
                    headers: { ...itemHeaders },
                    body,
                    requestId,
                    clientRequestId,
                    trace,
                    inFlight: undefined,
                },
                true,
            );
        })();

        // The log entry: enough to tell this item's retry apart and check its Retry-After.
        const retryAfterSeconds = retryAfterHeader(response.headers);
        const bodySha256 = bodyFingerprint(batchItemBody(item));
        this.host.log.add({
            requestId,
            method,
            ...batchItemLocation(batch.version, url),
            status: response.status,
            startedAt,
            endedAt: RequestLog.now(),
            appId: batch.app.clientId,
            batch: { batchRequestId: batch.requestId, itemId: id },
            ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
            ...(bodySha256 ? { bodySha256 } : {}),
            ...(trace.bucket ? { bucket: trace.bucket } : {}),
        });

        const headers: Record<string, string> = { ...(response.headers ?? {}) };
        const out: Record<string, unknown> = { id, status: response.status, headers };
        if (response.body !== undefined && response.status !== 204) {
            headers["Content-Type"] = GRAPH_JSON;
            out.body = response.body;
        }
        return out;
    }

    private match(
        method: string,
        version: "v1.0" | "beta",
        segments: string[],
    ): { route: GraphRoute; params: Record<string, string> } | "method" | undefined {
        let pathMatched = false;
        const lower = segments.map((s) => s.toLowerCase());
        for (const c of this.compiled) {
            if (c.segments.length !== segments.length) continue;
            if (c.route.versions && !c.route.versions.includes(version)) continue;
            const params = matchSegments(c.segments, segments, lower);
            if (!params) continue;
            if (c.route.method !== method) {
                pathMatched = true;
                continue;
            }
            return { route: c.route, params };
        }
        return pathMatched ? "method" : undefined;
    }

    private context(
        call: GraphCall,
        segments: string[],
        params: Record<string, string>,
        state: TenantState,
    ): GraphRequestContext {
        const host = this.host;
        return {
            state,
            app: call.app,
            roles: call.roles,
            method: call.method,
            version: call.version,
            path: `/${segments.join("/")}`,
            params,
            query: call.query,
            headers: call.headers,
            body: call.body,
            baseUrl: `${host.origin()}/${call.version}`,
            now: () => new Date(host.now()),
            newId: () => randomUUID(),
        };
    }

    private handlerError(err: unknown, call: GraphCall): GraphResponse {
        if (err instanceof GraphHttpError) {
            return graphError(
                err.status,
                err.code,
                err.message,
                call.requestId,
                call.clientRequestId,
                err.headers,
            );
        }
        // A bug in a route: answer 500 as Graph would, and say where on stderr.
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(
            `local tenant: ${call.method} /${call.version}${call.rawPath} failed: ${err instanceof Error ? err.stack : message}\n`,
        );
        return graphError(
            500,
            "InternalServerError",
            `The local tenant failed to handle the request: ${message}`,
            call.requestId,
            call.clientRequestId,
        );
    }
}

/**
 * The parameters when every segment matches, else undefined.
 *
 * @param lower The same segments in lower case, for the literal comparisons.
 */
function matchSegments(
    matchers: SegmentMatcher[],
    segments: string[],
    lower: string[],
): Record<string, string> | undefined {
    const params: Record<string, string> = {};
    for (let i = 0; i < matchers.length; i++) {
        const m = matchers[i];
        if (m.kind === "literal") {
            if (m.text !== lower[i]) return undefined;
        } else if (m.kind === "param") {
            params[m.name] = segments[i];
        } else {
            const found = m.regex.exec(segments[i]);
            if (!found) return undefined;
            m.names.forEach((name, j) => (params[name] = found[j + 1]));
        }
    }
    return params;
}

/** Undefined when the roles satisfy the route, else the requirement as text. */
function missingPermissions(route: GraphRoute, roles: string[]): string | undefined {
    const { anyOf, allOf = [] } = route.permissions;
    const anyOk = anyOf.length === 0 || anyOf.some((p) => roles.includes(p));
    const allOk = allOf.every((p) => roles.includes(p));
    if (anyOk && allOk) return undefined;
    const parts: string[] = [];
    if (anyOf.length) parts.push(`one of ${anyOf.join(", ")}`);
    if (allOf.length) parts.push(`all of ${allOf.join(", ")}`);
    return parts.join("; and ");
}

/** The same mailbox by id or by address counts as one. */
export function normaliseMailbox(state: TenantState, idOrAddress: string): string {
    const key = idOrAddress.toLowerCase();
    const user = state.users.find(
        (u) =>
            u.id.toLowerCase() === key ||
            u.userPrincipalName.toLowerCase() === key ||
            u.mail?.toLowerCase() === key ||
            u.mailbox?.primarySmtpAddress.toLowerCase() === key,
    );
    return user ? user.id : key;
}

function lowerCaseHeaders(headers: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (headers && typeof headers === "object") {
        for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
            if (typeof v === "string") out[k.toLowerCase()] = v;
        }
    }
    return out;
}

function hasCycle(items: Array<Record<string, unknown>>): boolean {
    const deps = new Map(
        items.map((i) => [i.id as string, (i.dependsOn as string[] | undefined) ?? []]),
    );
    const state = new Map<string, "visiting" | "done">();
    const visit = (id: string): boolean => {
        if (state.get(id) === "done") return false;
        if (state.get(id) === "visiting") return true;
        state.set(id, "visiting");
        const cyclic = (deps.get(id) ?? []).some(visit);
        state.set(id, "done");
        return cyclic;
    };
    return [...deps.keys()].some(visit);
}
