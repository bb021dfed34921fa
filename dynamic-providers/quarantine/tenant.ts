/**
 * What the quarantine playbook needs from a tenant, in the playbook's own terms: a set of
 * independent Graph requests sent in one round trip, one Exchange cmdlet, and who is calling.
 * `connect.ts` builds it on the shared connection layer; the playbook sees only this.
 */

/** One Graph request. Requests passed together are independent and share one round trip. */
export interface GraphRequest {
    method: "GET" | "POST" | "PATCH" | "DELETE";
    /** Path below the version, with any query: `/users/{id}/authentication/methods`. */
    url: string;
    body?: unknown;
    /** Default v1.0. */
    version?: "v1.0" | "beta";
    /**
     * Index (in the same call) of a request that must succeed first. It still travels in the
     * same `$batch` (Graph runs it after the other), so it costs no extra round trip.
     */
    dependsOn?: number;
}

/** Graph's answer to one request. Never thrown: the playbook decides what a failure means. */
export interface GraphReply {
    status: number;
    /** Parsed body. For a GET of a collection, `value` holds every page. */
    body: any;
    ok: boolean;
    /** For failures: `Code: message (request-id ...)`, ready to show an operator. */
    error?: string;
    /** Graph error code (`Request_ResourceNotFound`, `Authorization_RequestDenied`, ...). */
    code?: string;
}

export interface ExchangeReply {
    value: Array<Record<string, unknown>>;
    warnings: string[];
    /** Exchange said the change was already in place ("no settings ... modified", ...). */
    noOp: boolean;
}

/**
 * An Exchange cmdlet that failed, with Exchange's own type and message. A plain Error with
 * fields (not a subclass), so it survives Pulumi's closure serialization intact.
 */
export interface ExchangeCallError extends Error {
    /** Exception type, e.g. ManagementObjectNotFoundException. */
    exceptionType: string;
    status: number;
    /** The object (mailbox, rule, permission entry) does not exist. */
    notFound: boolean;
}

export function exchangeCallError(
    message: string,
    exceptionType: string,
    status: number,
    notFound: boolean,
): ExchangeCallError {
    return Object.assign(new Error(message), {
        name: "ExchangeCallError",
        exceptionType,
        status,
        notFound,
    });
}

export function isExchangeCallError(error: unknown): error is ExchangeCallError {
    return error instanceof Error && error.name === "ExchangeCallError";
}

/** How a call waits for the connection's limits. */
export interface CallOptions {
    /**
     * Served before ordinary calls waiting for the same limits: the reads that resolve the user
     * and the cut-off, so that with many users at once everyone is cut off first.
     */
    urgent?: boolean;
}

export interface TenantApi {
    /** Sends independent Graph requests, batched (20 per `$batch`), in one round trip. */
    graph(requests: GraphRequest[], options?: CallOptions): Promise<GraphReply[]>;
    /** Runs one Exchange cmdlet. Throws an ExchangeCallError; no-op warnings are success. */
    exchange(
        cmdlet: string,
        parameters: Record<string, unknown>,
        anchorMailbox?: string,
        options?: CallOptions,
    ): Promise<ExchangeReply>;
    /** Object id of the identity running the deployment (from its Graph token), if known. */
    callerObjectId(): Promise<string | undefined>;
}

/** A user path segment: object ids as they are, UPNs encoded (guest UPNs carry `#EXT#`). */
export function userSegment(user: string): string {
    return encodeURIComponent(user).replace(/%40/g, "@");
}
