/**
 * The contracts between the local tenant's server core and the modules that implement Graph
 * routes and Exchange cmdlets. The core (server.ts) authenticates, checks permissions,
 * throttles, injects faults and logs; a route or cmdlet module only reads and changes state.
 */
import type { TenantState, AppRegistration } from "./model";

/** Throttling buckets as Microsoft documents them (see README / DESIGN §4). */
export type ThrottleBucket =
    | "directory-write" // 3,000 writes per 150 s per app and tenant
    | "audit-logs" // sign-in and audit logs: 5 requests per 10 s per app and tenant
    | "conditional-access-write" // CA and named-location writes: 1 per second per tenant, no Retry-After
    | "outlook"; // per mailbox: 4 concurrent requests, 10,000 per 10 minutes per app

/** Thrown by a handler to answer with Graph's error envelope. */
export class GraphHttpError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly headers: Record<string, string> = {},
    ) {
        super(message);
    }
}

export interface GraphRequestContext {
    /** The live tenant state; handlers mutate it in place (the core persists after writes). */
    state: TenantState;
    /** The app that called, from the token. */
    app: AppRegistration;
    /**
     * The `roles` claim of the caller's access token (for a `$batch` item, the batch's token).
     * Handlers that check a permission per property (PATCH /users passwordProfile, ...) read
     * this, never `app.graphRoles`: as in Entra, a token keeps the roles it was issued with
     * when the grants change afterwards.
     */
    roles: string[];
    method: string;
    /** "v1.0" or "beta". */
    version: "v1.0" | "beta";
    /** Path below the version, decoded per segment, e.g. "/users/a@b.com/authentication/methods". */
    path: string;
    /** Named parameters from the route pattern, URL-decoded. */
    params: Record<string, string>;
    query: URLSearchParams;
    headers: Record<string, string | undefined>;
    /** Parsed JSON body, or undefined. */
    body: unknown;
    /** Absolute base of this server's Graph endpoint including version, e.g. https://127.0.0.1:8443/v1.0 */
    baseUrl: string;
    /** A time source the core controls (tests can move it). */
    now(): Date;
    /** A fresh GUID. */
    newId(): string;
}

export interface GraphResponse {
    status: number;
    body?: unknown;
    headers?: Record<string, string>;
}

export interface GraphRoute {
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
    /**
     * Path pattern below the version with `{name}` parameters, e.g.
     * "/users/{userId}/mailFolders/{folderId}/messageRules/{ruleId}". A parameter that is a
     * whole segment matches any one path segment; one inside a segment, as in
     * "/servicePrincipals(appId='{appId}')", matches the non-empty text between the literals
     * around it. Literals match case-insensitively, parameters arrive URL-decoded. Patterns
     * are tried in registration order; the first match wins.
     */
    pattern: string;
    /** Which API versions serve it (default both). */
    versions?: Array<"v1.0" | "beta">;
    /**
     * The documented application permissions: the app needs at least one of `anyOf`
     * (least privileged first, then the documented higher ones). When `allOf` is given the
     * app needs every one of those too (CA writes need Policy.Read.All as well).
     */
    permissions: { anyOf: string[]; allOf?: string[] };
    /** Throttling bucket the request counts against, if any. */
    bucket?: ThrottleBucket;
    /** For the outlook bucket: which mailbox (user id or UPN) the request targets. */
    mailboxOf?: (ctx: GraphRequestContext) => string;
    handler(ctx: GraphRequestContext): GraphResponse | Promise<GraphResponse>;
}

/** One Exchange cmdlet invocation through InvokeCommand. */
export interface CmdletContext {
    state: TenantState;
    app: AppRegistration;
    /** CmdletInput.Parameters as sent (keys as the caller spelled them). */
    parameters: Record<string, unknown>;
    /** The X-AnchorMailbox header. */
    anchorMailbox: string | undefined;
    now(): Date;
    newId(): string;
}

export interface CmdletResult {
    /** Objects for the `value` array (the core pages them). */
    value: Array<Record<string, unknown>>;
    /** Warnings Exchange writes for no-op changes ("... no settings ... have been modified"). */
    warnings?: string[];
}

/** Thrown by a cmdlet to answer with Exchange's error shape (`Type|Category|Message`). */
export class CmdletError extends Error {
    constructor(
        /** e.g. "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException" */
        readonly exceptionType: string,
        /** e.g. "ManagementObjectNotFoundException" or "InvalidArgument" */
        readonly category: string,
        message: string,
        readonly status = 400,
    ) {
        super(message);
    }
}

export interface Cmdlet {
    name: string;
    /**
     * Exchange management roles (RBAC for applications) that allow this cmdlet; the app needs
     * one of them. The token also needs the Exchange.ManageAsApp app role.
     */
    roles: string[];
    /** Parameters the cmdlet accepts (case-insensitive); others get a parameter-binding error. */
    parameters: string[];
    /** Counts against the per-mailbox outlook bucket when it targets one mailbox. */
    handler(ctx: CmdletContext): CmdletResult | Promise<CmdletResult>;
}
