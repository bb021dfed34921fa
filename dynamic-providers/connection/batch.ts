/**
 * JSON batching: many independent Graph requests in few round trips.
 *
 * What Graph's `$batch` requires and the SDK does not do for us:
 * - at most 20 requests per batch; we chunk;
 * - item URLs relative to the version (`/users/x`, never `/v1.0/users/x`: Graph rejects those,
 *   and the SDK's BatchRequestContent 3.0.7 keeps the prefix when given absolute URLs), so we
 *   build the items ourselves;
 * - every item has its own status; throttled items (429, 503, 504) come back inside a 200
 *   envelope and the SDK never retries them. We retry them in a NEW batch, and only after the
 *   LONGEST Retry-After among them has passed since their response arrived (never earlier);
 *   without a Retry-After we back off 1, 2, 4, ... s (capped at 30 s);
 * - `dependsOn` keeps a chain in one batch and in order; a dependent of a failed item gets 424.
 *   A 424 caused only by a throttled dependency is retried with it, not reported;
 * - Outlook allows 4 concurrent requests per mailbox: the items of a batch addressing a mailbox
 *   hold as many of that mailbox's 4 slots (shared with direct requests and other batches in this
 *   process) as can run at once, from send until the batch answers. Items linked by dependsOn
 *   run one after the other, so a chain of any length on one mailbox holds one slot; a group
 *   that would run more than 4 at once on one mailbox is refused up front;
 * - a Retry-After longer than the connection's `maxRetryAfterSeconds` is not waited out: the
 *   item (or every item of a throttled envelope) finishes with its throttling error, which says
 *   how long Graph asked to wait, as a direct request does;
 * - the envelope itself can be throttled or fail (429/5xx): then every item in it is retried
 *   the same way.
 *
 * Note: when the envelope fails without any response (connection reset) the items may or may
 * not have run; all are sent again. Batch only requests that are safe to repeat (every request
 * BEC Guard batches sets absolute values, reads, or deletes).
 */
import {
    GraphRetryOptions,
    GraphRequestError,
    defaultRetryDelayMs,
    graphErrorFromResponse,
    type GraphConnection,
} from "./graph";
import { mailboxOf, waitAtLeast } from "./limits";
import type { HttpMethod } from "./permissions";

/** Graph's limit on requests per `$batch`. */
export const MAX_BATCH_SIZE = 20;

/** One request to batch. */
export interface BatchRequest {
    /** Caller's id (unique in one `run`); default: the index as a string. */
    id?: string;
    method: HttpMethod;
    /**
     * The resource, relative (`/users/x`), version-prefixed (`/v1.0/users/x`) or absolute; the
     * batcher strips host and version and sends the relative form.
     */
    url: string;
    /** API version when `url` has none. Default v1.0. */
    version?: "v1.0" | "beta";
    body?: unknown;
    headers?: Record<string, string>;
    /** Ids of requests in the same `run` that must succeed first. */
    dependsOn?: string[];
}

/** The outcome of one request. */
export interface BatchResult<T = unknown> {
    id: string;
    status: number;
    ok: boolean;
    headers: Record<string, string>;
    body: T | undefined;
    /** Set when `ok` is false: the typed error with code, request-id and advice. */
    error?: GraphRequestError;
    /** Times the request was sent. */
    attempts: number;
}

export interface BatcherOptions {
    /** Sends per item at most (first included). Default: the connection's policy (5). */
    maxAttempts?: number;
    /**
     * Longest Retry-After waited out, in seconds; an item asked to wait longer finishes with its
     * throttling error. Default: the connection's policy (300).
     */
    maxRetryAfterSeconds?: number;
    /** Items per `$batch` (1..20). Default 20. */
    maxBatchSize?: number;
}

interface Item {
    index: number;
    id: string;
    /** The id on the wire: the index, since caller ids may hold characters Graph does not expect. */
    wire: string;
    method: HttpMethod;
    version: "v1.0" | "beta";
    relativeUrl: string;
    body?: unknown;
    headers?: Record<string, string>;
    dependsOn: string[];
    mailbox?: string;
    attempts: number;
    /** Earliest time (ms epoch) the item may be sent again. */
    notBefore: number;
    result?: BatchResult;
}

/** Items sent together in one `$batch`, and the mailbox slots they hold until it answers. */
interface Batch {
    items: Item[];
    /** One entry per slot held (a mailbox appears as often as slots are held on it). */
    slots: string[];
}

interface RawItemResponse {
    id: string;
    status: number;
    headers?: Record<string, string>;
    body?: unknown;
}

// An array, not a Set: Pulumi's closure serializer does not carry module-level Sets.
const RETRYABLE_ITEM: readonly number[] = [429, 503, 504];

/**
 * Runs requests through `$batch` with the rules in the file comment.
 *
 * One batcher per connection; `run` may be called concurrently (each call's batches share the
 * process-wide mailbox and overall limits).
 */
export class GraphBatcher {
    private readonly maxAttempts: number;
    private readonly maxRetryAfterMs: number;
    private readonly maxBatchSize: number;

    constructor(
        private readonly connection: GraphConnection,
        options: BatcherOptions = {},
    ) {
        this.maxAttempts = options.maxAttempts ?? connection.policy.maxAttempts;
        this.maxRetryAfterMs =
            (options.maxRetryAfterSeconds ?? connection.policy.maxRetryAfterSeconds) * 1000;
        this.maxBatchSize = Math.min(
            MAX_BATCH_SIZE,
            Math.max(1, options.maxBatchSize ?? MAX_BATCH_SIZE),
        );
    }

    /**
     * Send the requests and return one result per request, in the order given.
     *
     * @param requests Requests; `dependsOn` may only name ids in this same call.
     * @throws Error for bad input (duplicate ids, unknown or cyclic dependencies, a dependency
     *   group larger than 20 or running more than 4 requests on one mailbox at once). Failed
     *   requests do not throw: see each result's `error`.
     */
    async run<T = unknown>(requests: BatchRequest[]): Promise<Array<BatchResult<T>>> {
        // 1. Normalise and validate the requests.
        const items = this.prepare(requests);
        const byId = new Map(items.map((item) => [item.id, item]));

        // 2. Rounds: send what is ready, then wait for the longest Retry-After of what must be retried.
        while (items.some((item) => item.result === undefined)) {
            const pending = items.filter((item) => item.result === undefined);
            this.failDependentsOfFailures(pending, byId);
            const ready = pending.filter((item) => item.result === undefined);
            if (ready.length === 0) break;

            const wake = Math.max(...ready.map((item) => item.notBefore));
            const wait = wake - Date.now();
            if (wait > 0) {
                this.connection.log.log(
                    "info",
                    `Graph $batch: waiting ${wait} ms (Retry-After) before retrying ${ready.length} request(s).`,
                );
                await waitAtLeast(wait);
            }

            const batches = await this.compose(ready, byId);
            await Promise.all(batches.map((batch) => this.send(batch, byId)));
        }
        return items.map((item) => item.result as BatchResult<T>);
    }

    private prepare(requests: BatchRequest[]): Item[] {
        const items = requests.map((request, index): Item => {
            const { version, relativeUrl } = relativeGraphUrl(request.url, request.version);
            return {
                index,
                id: request.id ?? String(index),
                wire: String(index + 1),
                method: request.method,
                version,
                relativeUrl,
                body: request.body,
                headers: request.headers,
                dependsOn: [...(request.dependsOn ?? [])],
                mailbox: mailboxOf(relativeUrl),
                attempts: 0,
                notBefore: 0,
            };
        });
        const ids = new Set<string>();
        for (const item of items) {
            if (ids.has(item.id))
                throw new Error(`Batch request id "${item.id}" is used twice; ids must be unique.`);
            ids.add(item.id);
        }
        const byId = new Map(items.map((item) => [item.id, item]));
        for (const item of items) {
            for (const dep of item.dependsOn) {
                const target = byId.get(dep);
                if (!target)
                    throw new Error(`Batch request "${item.id}" depends on unknown id "${dep}".`);
                if (target.version !== item.version) {
                    throw new Error(
                        `Batch request "${item.id}" depends on "${dep}" in another API version; one batch has one version.`,
                    );
                }
            }
        }
        for (const item of items) {
            const group = dependencyGroup(item, byId);
            if (group.length > this.maxBatchSize) {
                throw new Error(
                    `Batch requests depending on each other (${group.map((i) => i.id).join(", ")}) exceed ${this.maxBatchSize}, the most one $batch holds.`,
                );
            }
        }
        assertAcyclic(items, byId);
        this.assertMailboxWidth(items, byId);
        return items;
    }

    /**
     * A dependency group must fit the mailbox limit even when all of it is pending: otherwise it
     * could never get its slots and the run would wait forever.
     */
    private assertMailboxWidth(items: Item[], byId: Map<string, Item>): void {
        const capacity = this.connection.limits.mailboxes.capacity;
        for (const item of items) {
            const group = dependencyGroup(item, byId);
            for (const [mailbox, width] of concurrentOnMailbox(group, byId)) {
                if (width <= capacity) continue;
                const onMailbox = group.filter((g) => g.mailbox === mailbox).map((g) => g.id);
                throw new Error(
                    `Batch requests ${onMailbox.join(", ")} on mailbox ${mailbox} are linked by ` +
                        `dependsOn so that ${width} of them would run at once, more than the ` +
                        `${capacity} requests Outlook allows in flight per mailbox: chain them ` +
                        `with dependsOn or send them without it.`,
                );
            }
        }
    }

    /** A dependent whose dependency finally failed gets 424, as Graph would answer. */
    private failDependentsOfFailures(pending: Item[], byId: Map<string, Item>): void {
        let changed = true;
        while (changed) {
            changed = false;
            for (const item of pending) {
                if (item.result) continue;
                const failed = item.dependsOn
                    .map((d) => byId.get(d) as Item)
                    .find((d) => d.result && !d.result.ok);
                if (failed) {
                    item.result = failedDependency(item, failed.id);
                    changed = true;
                }
            }
        }
    }

    /**
     * Pack ready items into batches of at most 20: a dependency group goes whole into one batch
     * and must get, for each mailbox it addresses, as many slots as its items there can run at
     * once (one for a chain). Groups that cannot get their slots wait for the next round; if
     * none can go at all, wait for a slot held elsewhere in this process to free.
     */
    private async compose(ready: Item[], byId: Map<string, Item>): Promise<Batch[]> {
        const limits = this.connection.limits.mailboxes;
        for (;;) {
            const batches: Batch[] = [];
            const placed = new Set<Item>();
            for (const version of ["v1.0", "beta"] as const) {
                let current: Batch = { items: [], slots: [] };
                for (const item of ready) {
                    if (item.version !== version || placed.has(item)) continue;
                    // The whole group of items linked by dependsOn that are still pending.
                    const group = dependencyGroup(item, byId).filter((g) => g.result === undefined);
                    if (group.some((g) => placed.has(g))) continue;
                    const slots = acquireSlots(group, byId, limits);
                    if (slots === undefined) continue;
                    if (current.items.length + group.length > this.maxBatchSize) {
                        batches.push(current);
                        current = { items: [], slots: [] };
                    }
                    current.items.push(...group);
                    current.slots.push(...slots);
                    group.forEach((g) => placed.add(g));
                }
                if (current.items.length > 0) batches.push(current);
            }
            if (batches.length > 0) return batches;

            // Nothing could go: only a slot held elsewhere can change that. With none held,
            // waiting would be forever, so say so instead (prepare should make this unreachable).
            const mailboxes = [...new Set(ready.flatMap((i) => (i.mailbox ? [i.mailbox] : [])))];
            if (!mailboxes.some((m) => limits.inFlight(m) > 0)) {
                throw new Error(
                    `Graph $batch: requests ${ready.map((i) => i.id).join(", ")} cannot get ` +
                        `mailbox slots although none is in use; this is a bug in the batcher.`,
                );
            }
            await limits.nextRelease();
        }
    }

    /** Send one batch and record each item's outcome (or schedule its retry). */
    private async send({ items: batch, slots }: Batch, byId: Map<string, Item>): Promise<void> {
        const version = batch[0].version;
        const inBatch = new Set(batch.map((item) => item.id));
        batch.forEach((item) => item.attempts++);
        let responses: RawItemResponse[] | undefined;
        let envelopeError: GraphRequestError | undefined;
        try {
            // 1. The envelope; its own throttling is handled here, not by the retry middleware.
            const payload = {
                requests: batch.map((item) => toBatchItem(item, inBatch, byId)),
            };
            const answer = (await this.connection.client
                .api("/$batch")
                .version(version)
                .middlewareOptions([new GraphRetryOptions({ maxAttempts: 1 })])
                .post(payload)) as { responses?: RawItemResponse[] };
            responses = answer.responses ?? [];
        } catch (err) {
            if (!(err instanceof GraphRequestError)) throw err;
            envelopeError = err;
        } finally {
            slots.forEach((mailbox) => this.connection.limits.mailboxes.release(mailbox));
        }
        const receivedAt = Date.now();

        // 2. A failed envelope: retry every item when it was throttling or transient, unless it
        //    asked for a longer wait than we allow.
        if (envelopeError) {
            const retryable =
                (envelopeError.status === 0 ||
                    envelopeError.status === 429 ||
                    envelopeError.status >= 500) &&
                (envelopeError.retryAfterMs ?? 0) <= this.maxRetryAfterMs;
            for (const item of batch) {
                if (retryable && item.attempts < this.maxAttempts) {
                    item.notBefore =
                        receivedAt +
                        (envelopeError.retryAfterMs ?? defaultRetryDelayMs(item.attempts));
                } else {
                    item.result = {
                        id: item.id,
                        status: envelopeError.status,
                        ok: false,
                        headers: {},
                        body: undefined,
                        error: envelopeError,
                        attempts: item.attempts,
                    };
                }
            }
            return;
        }

        // 3. Per item: success, final failure, or retry after a Retry-After we may wait out.
        const byResponseId = new Map((responses ?? []).map((r) => [String(r.id), r]));
        const retrying = new Set<string>();
        for (const item of batch) {
            const response = byResponseId.get(item.wire);
            if (!response) {
                item.notBefore = receivedAt + defaultRetryDelayMs(item.attempts);
                if (item.attempts >= this.maxAttempts) item.result = missingResponse(item);
                else retrying.add(item.id);
                continue;
            }
            const headers = lowerCaseKeys(response.headers ?? {});
            const asked = retryAfterFromItem(headers);
            const retryable =
                (RETRYABLE_ITEM.includes(response.status) ||
                    ((response.status === 500 || response.status === 502) &&
                        item.method !== "POST")) &&
                (asked ?? 0) <= this.maxRetryAfterMs;
            if (retryable && item.attempts < this.maxAttempts) {
                item.notBefore = receivedAt + (asked ?? defaultRetryDelayMs(item.attempts));
                retrying.add(item.id);
                continue;
            }
            item.result = this.toResult(item, response.status, headers, response.body);
        }

        // 4. A 424 caused by a dependency that is being retried is retried with it.
        for (const item of batch) {
            if (item.result?.status !== 424) continue;
            const blockedByRetry = transitiveDeps(item, byId).some((d) => retrying.has(d.id));
            if (blockedByRetry && item.attempts < this.maxAttempts) {
                item.result = undefined;
                item.notBefore = Math.max(...transitiveDeps(item, byId).map((d) => d.notBefore));
            }
        }
    }

    private toResult(
        item: Item,
        status: number,
        headers: Record<string, string>,
        body: unknown,
    ): BatchResult {
        const ok = status >= 200 && status < 300;
        return {
            id: item.id,
            status,
            ok,
            headers,
            body,
            attempts: item.attempts,
            error: ok
                ? undefined
                : graphErrorFromResponse({
                      status,
                      headers,
                      body,
                      bodyText: typeof body === "string" ? body : undefined,
                      method: item.method,
                      url: `/${item.version}${item.relativeUrl}`,
                      requestBody: item.body,
                      attempts: item.attempts,
                  }),
        };
    }
}

/**
 * Split a URL into the version and the path Graph expects inside a batch.
 *
 * @returns e.g. `{ version: "v1.0", relativeUrl: "/users/x?$select=id" }`.
 */
export function relativeGraphUrl(
    url: string,
    version: "v1.0" | "beta" = "v1.0",
): { version: "v1.0" | "beta"; relativeUrl: string } {
    let rest = url;
    if (/^https?:\/\//i.test(rest)) {
        const parsed = new URL(rest);
        rest = parsed.pathname + parsed.search;
    }
    rest = "/" + rest.replace(/^\/+/, "");
    const match = /^\/(v1\.0|beta)(\/.*)?$/i.exec(rest.split("?")[0]);
    if (match) {
        const v = match[1].toLowerCase() === "beta" ? "beta" : "v1.0";
        return { version: v, relativeUrl: rest.slice(match[1].length + 1) || "/" };
    }
    return { version, relativeUrl: rest };
}

function toBatchItem(
    item: Item,
    inBatch: Set<string>,
    byId: Map<string, Item>,
): Record<string, unknown> {
    const headers: Record<string, string> = { ...(item.headers ?? {}) };
    if (
        item.body !== undefined &&
        !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")
    ) {
        headers["Content-Type"] = "application/json";
    }
    // Dependencies already satisfied in earlier rounds are not in this batch; drop them.
    const dependsOn = item.dependsOn.filter((d) => inBatch.has(d));
    return {
        id: item.wire,
        method: item.method,
        url: item.relativeUrl,
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(item.body !== undefined ? { body: item.body } : {}),
        ...(dependsOn.length > 0
            ? { dependsOn: dependsOn.map((d) => (byId.get(d) as Item).wire) }
            : {}),
    };
}

/** Every pending item linked to this one through dependsOn in either direction. */
function dependencyGroup(start: Item, byId: Map<string, Item>): Item[] {
    const all = [...byId.values()];
    const group = new Set<Item>([start]);
    let grew = true;
    while (grew) {
        grew = false;
        for (const item of all) {
            if (group.has(item)) continue;
            const linked =
                item.dependsOn.some((d) => group.has(byId.get(d) as Item)) ||
                [...group].some((g) => g.dependsOn.includes(item.id));
            if (linked) {
                group.add(item);
                grew = true;
            }
        }
    }
    // Keep the caller's order so dependencies come before dependents where the caller ordered so.
    return [...group].sort((a, b) => a.index - b.index);
}

function transitiveDeps(item: Item, byId: Map<string, Item>): Item[] {
    const out = new Set<Item>();
    const stack = [...item.dependsOn];
    while (stack.length > 0) {
        const dep = byId.get(stack.pop() as string) as Item;
        if (out.has(dep)) continue;
        out.add(dep);
        stack.push(...dep.dependsOn);
    }
    return [...out];
}

function assertAcyclic(items: Item[], byId: Map<string, Item>): void {
    for (const item of items) {
        if (transitiveDeps(item, byId).includes(item)) {
            throw new Error(
                `Batch request "${item.id}" depends on itself through dependsOn; remove the cycle.`,
            );
        }
    }
}

/**
 * Takes the mailbox slots a group needs (see `concurrentOnMailbox`), all or none.
 *
 * @returns One entry per slot taken, or undefined (and nothing held) when one was not free.
 */
function acquireSlots(
    group: Item[],
    byId: Map<string, Item>,
    limits: GraphConnection["limits"]["mailboxes"],
): string[] | undefined {
    const taken: string[] = [];
    for (const [mailbox, width] of concurrentOnMailbox(group, byId)) {
        for (let n = 0; n < width; n++) {
            if (!limits.tryAcquire(mailbox)) {
                taken.forEach((m) => limits.release(m));
                return undefined;
            }
            taken.push(mailbox);
        }
    }
    return taken;
}

/**
 * For each mailbox a group addresses, how many of its items there may run at the same time:
 * the largest set of them none of which depends on another through the group's dependsOn
 * links (1 for a chain, all of them when independent). By Dilworth's theorem that is the item
 * count minus a maximum matching of "runs before" pairs; a group holds at most 20 items, so a
 * simple augmenting-path matching is plenty.
 */
function concurrentOnMailbox(group: Item[], byId: Map<string, Item>): Map<string, number> {
    // What each item waits for, through items of this group only (done ones order nothing now).
    const inGroup = new Set(group);
    const before = new Map<Item, Set<Item>>();
    for (const item of group) {
        const reached = new Set<Item>();
        const stack = [...item.dependsOn];
        while (stack.length > 0) {
            const dep = byId.get(stack.pop() as string) as Item;
            if (!inGroup.has(dep) || reached.has(dep)) continue;
            reached.add(dep);
            stack.push(...dep.dependsOn);
        }
        before.set(item, reached);
    }

    const widths = new Map<string, number>();
    for (const mailbox of new Set(group.flatMap((i) => (i.mailbox ? [i.mailbox] : [])))) {
        const items = group.filter((i) => i.mailbox === mailbox);
        // matchedTo.get(b) = a: in the chains being built, b runs right after a.
        const matchedTo = new Map<Item, Item>();
        const augment = (a: Item, seen: Set<Item>): boolean => {
            for (const b of items) {
                if (seen.has(b) || !(before.get(b) as Set<Item>).has(a)) continue;
                seen.add(b);
                const holder = matchedTo.get(b);
                if (holder === undefined || augment(holder, seen)) {
                    matchedTo.set(b, a);
                    return true;
                }
            }
            return false;
        };
        items.forEach((a) => augment(a, new Set()));
        widths.set(mailbox, items.length - matchedTo.size);
    }
    return widths;
}

function failedDependency(item: Item, dependencyId: string): BatchResult {
    const error = graphErrorFromResponse({
        status: 424,
        body: {
            error: {
                code: "FailedDependency",
                message: `Request "${dependencyId}" that this one depends on failed.`,
            },
        },
        method: item.method,
        url: `/${item.version}${item.relativeUrl}`,
        attempts: item.attempts,
    });
    return {
        id: item.id,
        status: 424,
        ok: false,
        headers: {},
        body: undefined,
        error,
        attempts: item.attempts,
    };
}

function missingResponse(item: Item): BatchResult {
    const error = graphErrorFromResponse({
        status: 502,
        body: {
            error: {
                code: "MissingBatchResponse",
                message: "The $batch answer had no response for this request.",
            },
        },
        method: item.method,
        url: `/${item.version}${item.relativeUrl}`,
        attempts: item.attempts,
    });
    return {
        id: item.id,
        status: 502,
        ok: false,
        headers: {},
        body: undefined,
        error,
        attempts: item.attempts,
    };
}

function retryAfterFromItem(headers: Record<string, string>): number | undefined {
    const value = headers["retry-after"];
    if (value === undefined) return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = String(value);
    return out;
}
