/**
 * Helpers the Graph route modules share: finding users the way Graph does (object id or UPN,
 * case-insensitively), Graph's own error answers, and per-property permission checks that a
 * route's static `permissions` cannot express (for example passwordProfile on PATCH /users).
 */
import { createHash, randomBytes } from "crypto";
import { GraphHttpError, type GraphRequestContext } from "../contracts";
import type { GraphObject, Mailbox, User } from "../model";

/** Graph's 403 text for a token without the permission an operation needs. */
export const INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation.";

/** A 403 `Authorization_RequestDenied`, as Graph answers a token lacking a permission. */
export function accessDenied(message = INSUFFICIENT_PRIVILEGES): GraphHttpError {
    return new GraphHttpError(403, "Authorization_RequestDenied", message);
}

/** Directory objects that do not exist: Graph's 404 for users, groups, grants and apps. */
export function directoryObjectNotFound(id: string): GraphHttpError {
    return new GraphHttpError(
        404,
        "Request_ResourceNotFound",
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
}

/** A 400 `Request_BadRequest`, the directory's answer to a malformed body. */
export function badRequest(message: string, code = "Request_BadRequest"): GraphHttpError {
    return new GraphHttpError(400, code, message);
}

/** Graph's answer to a method the resource does not support (seen in the $batch docs). */
export function methodNotAllowed(): GraphHttpError {
    return new GraphHttpError(
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    );
}

/**
 * The application permissions (app roles) the caller's token carries. Not the app's current
 * grants: a token issued before a grant changed keeps what it was issued with, as in Entra.
 */
export function rolesOf(ctx: GraphRequestContext): Set<string> {
    return new Set(ctx.roles);
}

/**
 * Refuses the request unless the app holds at least one of `anyOf` and every one of `allOf`.
 * Used where Graph checks a permission per property or per condition, beyond the route's own.
 */
export function requireRoles(
    ctx: GraphRequestContext,
    anyOf: string[],
    allOf: string[] = [],
    message = INSUFFICIENT_PRIVILEGES,
): void {
    const roles = rolesOf(ctx);
    const hasOne = anyOf.length === 0 || anyOf.some((r) => roles.has(r));
    const hasAll = allOf.every((r) => roles.has(r));
    if (!hasOne || !hasAll) {
        throw accessDenied(message);
    }
}

/** The request body as an object, or Graph's 400 when it is missing or not an object. */
export function bodyObject(ctx: GraphRequestContext): Record<string, unknown> {
    const body = ctx.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
        throw badRequest("Empty Payload. JSON content expected.");
    }
    return body as Record<string, unknown>;
}

/** A deep copy, so handlers never hand out references into the live state. */
export function clone<T>(value: T): T {
    return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * A deep copy of an answer object, for the hot paths: the same result as {@link clone} for
 * the JSON values the state holds, but strings, numbers, Booleans and null are taken as they
 * are, so an answer of plain properties costs no JSON round trip.
 */
export function copyOf(obj: GraphObject): GraphObject {
    const out: GraphObject = {};
    for (const key of Object.keys(obj)) {
        const value = obj[key];
        if (value === undefined) continue;
        out[key] = typeof value === "object" && value !== null ? clone(value) : value;
    }
    return out;
}

/** The current time as Graph writes it (UTC, seconds, trailing Z). */
export function isoNow(ctx: GraphRequestContext): string {
    return ctx
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z");
}

/** SHA-256 hex digest; the local tenant keeps hashes of secrets, never the secrets. */
export function sha256(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Random bytes rendered in base64, the look of Exchange-issued message rule ids. */
export function exchangeStyleId(): string {
    return Buffer.concat([Buffer.from([1, 0, 0, 0]), randomBytes(4)]).toString("base64");
}

/**
 * Finds a user by object id or user principal name, case-insensitively, as Graph does. A
 * guest's UPN contains `#EXT#`; the core has already URL-decoded the segment.
 */
export function findUser(ctx: GraphRequestContext, idOrUpn: string): User | undefined {
    const key = idOrUpn.toLowerCase();
    return ctx.state.users.find(
        (u) => u.id.toLowerCase() === key || u.userPrincipalName.toLowerCase() === key,
    );
}

/** The user named by the `{userId}` route parameter, or Graph's 404. */
export function requireUser(ctx: GraphRequestContext, param = "userId"): User {
    const idOrUpn = ctx.params[param];
    const user = idOrUpn === undefined ? undefined : findUser(ctx, idOrUpn);
    if (!user) {
        throw directoryObjectNotFound(idOrUpn ?? "");
    }
    return user;
}

/**
 * The Exchange Online mailbox behind `{userId}`. A user without one (a guest, an unlicensed
 * account) gets the error Outlook's REST API gives for it.
 */
export function requireMailbox(
    ctx: GraphRequestContext,
    param = "userId",
): {
    user: User;
    mailbox: Mailbox;
} {
    const user = requireUser(ctx, param);
    if (!user.mailbox) {
        throw new GraphHttpError(
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        );
    }
    return { user, mailbox: user.mailbox };
}

/** The mailbox a request for `/users/{userId}/...` targets, for the outlook throttling bucket. */
export function mailboxOfUserParam(ctx: GraphRequestContext): string {
    const user = findUser(ctx, ctx.params.userId ?? "");
    return user ? user.id : (ctx.params.userId ?? "").toLowerCase();
}

/** Drops the keys the local tenant keeps for itself from a Graph object before returning it. */
export function withoutKeys(obj: GraphObject, keys: readonly string[]): GraphObject {
    const copy = clone(obj);
    for (const key of keys) {
        delete copy[key];
    }
    return copy;
}

/** True when the string is a GUID in its usual 8-4-4-4-12 form. */
export function isGuid(value: unknown): value is string {
    return (
        typeof value === "string" &&
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
    );
}

/** Sorts newest first by an ISO timestamp property (missing values last). */
export function newestFirst<T extends GraphObject>(items: T[], property: string): T[] {
    return [...items].sort((a, b) => {
        const left = typeof a[property] === "string" ? (a[property] as string) : "";
        const right = typeof b[property] === "string" ? (b[property] as string) : "";
        return right.localeCompare(left);
    });
}
