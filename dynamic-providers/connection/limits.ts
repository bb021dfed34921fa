/**
 * Concurrency limits shared by every request a provider process makes to one tenant.
 *
 * All dynamic resources of a stack run in one provider process on one event loop, each with its
 * own deserialized copy of this code. The limits therefore live in a process-wide registry
 * keyed by tenant and Graph base URL (see `processRegistry`), not in module variables.
 *
 * Two limits:
 * - overall: how many Graph requests (a `$batch` counts as one) are in flight at once;
 * - per mailbox: Outlook allows 4 concurrent requests per mailbox per app. Every request to a
 *   mailbox path (`/users/{x}/mailFolders...`, `/users/{x}/messages...`,
 *   `/users/{x}/mailboxSettings...`), whether sent alone or inside a `$batch`, holds a slot.
 *
 * Note: a mailbox is keyed by the id or UPN as written in the path; the same mailbox addressed
 * once by object id and once by UPN gets two sets of slots. Callers address a mailbox one way.
 */
import { AsyncLocalStorage } from "async_hooks";
import { processRegistry } from "./transport";

/** Outlook's documented concurrency limit per mailbox and app. */
export const OUTLOOK_CONCURRENCY_PER_MAILBOX = 4;

/** Default number of Graph requests in flight per tenant in one process. */
export const DEFAULT_OVERALL_CONCURRENCY = 8;

/**
 * A counting semaphore with two FIFO lanes: urgent waiters (see `urgently`) are served before
 * the others, so when many quarantines share one process, every user's cut-off goes ahead of
 * the slower clean-up of users already cut off.
 *
 * Note: fields are set in constructors, never as class field initializers: Pulumi's closure
 * serializer keeps a class's constructor but drops field initializers.
 */
export class Semaphore {
    private used: number;
    private readonly waiters: Array<() => void>;
    private readonly urgentWaiters: Array<() => void>;

    constructor(readonly capacity: number) {
        this.used = 0;
        this.waiters = [];
        this.urgentWaiters = [];
    }

    get inFlight(): number {
        return this.used;
    }

    tryAcquire(): boolean {
        if (this.used >= this.capacity) return false;
        this.used++;
        return true;
    }

    /** Waits for a slot; `urgent` (default: the caller's `urgently` context) jumps the queue. */
    async acquire(urgent: boolean = isUrgent()): Promise<void> {
        if (this.tryAcquire()) return;
        const lane = urgent ? this.urgentWaiters : this.waiters;
        await new Promise<void>((resolve) => lane.push(resolve));
    }

    release(): void {
        const next = this.urgentWaiters.shift() ?? this.waiters.shift();
        // Hand the slot straight to the next waiter so a newcomer cannot overtake it.
        if (next) next();
        else this.used--;
    }
}

/**
 * Runs `work` with every request it makes, however deep, marked urgent: it is served before
 * ordinary requests waiting for the same limits. Containment marks the reads that resolve the
 * user and the cut-off so; the context follows the async calls (Node's AsyncLocalStorage).
 */
export function urgently<T>(work: () => Promise<T>): Promise<T> {
    return urgency().run(true, work);
}

/** Whether the current async context was started by `urgently`. */
export function isUrgent(): boolean {
    return urgency().getStore() === true;
}

function urgency(): AsyncLocalStorage<boolean> {
    return processRegistry("bec-guard.connection.urgency", () => new AsyncLocalStorage<boolean>());
}

/** One semaphore per key (mailbox), plus a way to wait until any slot frees. */
export class KeyedLimiter {
    private readonly byKey: Map<string, Semaphore>;
    private readonly releaseWaiters: Array<() => void>;

    constructor(readonly capacity: number) {
        this.byKey = new Map();
        this.releaseWaiters = [];
    }

    private semaphore(key: string): Semaphore {
        let s = this.byKey.get(key);
        if (s === undefined) {
            s = new Semaphore(this.capacity);
            this.byKey.set(key, s);
        }
        return s;
    }

    inFlight(key: string): number {
        return this.byKey.get(key)?.inFlight ?? 0;
    }

    tryAcquire(key: string): boolean {
        return this.semaphore(key).tryAcquire();
    }

    acquire(key: string, urgent: boolean = isUrgent()): Promise<void> {
        return this.semaphore(key).acquire(urgent);
    }

    release(key: string): void {
        this.semaphore(key).release();
        const waiters = this.releaseWaiters.splice(0);
        waiters.forEach((w) => w());
    }

    /** Resolves at the next release of any key (used by the batcher when all items wait). */
    nextRelease(): Promise<void> {
        return new Promise((resolve) => this.releaseWaiters.push(resolve));
    }
}

export interface TenantLimits {
    overall: Semaphore;
    mailboxes: KeyedLimiter;
}

/**
 * The limits for one tenant endpoint in this process, created on first use.
 *
 * @param key Identifies the tenant endpoint, e.g. `${graphBaseUrl}|${tenantId}`.
 * @param overallConcurrency Used only when the limits are first created. Default 8.
 */
export function tenantLimits(
    key: string,
    overallConcurrency = DEFAULT_OVERALL_CONCURRENCY,
): TenantLimits {
    const registry = processRegistry<Map<string, TenantLimits>>(
        "bec-guard.connection.limits",
        () => new Map(),
    );
    let limits = registry.get(key);
    if (limits === undefined) {
        limits = {
            overall: new Semaphore(overallConcurrency),
            mailboxes: new KeyedLimiter(OUTLOOK_CONCURRENCY_PER_MAILBOX),
        };
        registry.set(key, limits);
    }
    return limits;
}

const MAILBOX_PATH =
    /^\/*(?:(?:v1\.0|beta)\/+)?users\/+([^/?#]+)\/+(?:mailFolders|messages|mailboxSettings)(?:[/?#]|$)/i;

/**
 * The mailbox a Graph path addresses, or undefined when it is not an Outlook request.
 *
 * @param pathOrUrl Absolute URL, or path with or without version (`/users/x/messages`).
 * @returns The user id or UPN, decoded and lower-cased (UPNs are case-insensitive).
 */
export function mailboxOf(pathOrUrl: string): string | undefined {
    const path = /^https?:\/\//i.test(pathOrUrl) ? new URL(pathOrUrl).pathname : pathOrUrl;
    const match = MAILBOX_PATH.exec(path);
    if (!match) return undefined;
    try {
        return decodeURIComponent(match[1]).toLowerCase();
    } catch {
        return match[1].toLowerCase();
    }
}

/**
 * Waits at least `ms` milliseconds. A retry must never come before the Retry-After Graph or
 * Exchange asked for, and Node fires timers against the event loop's cached clock, rounded to
 * whole milliseconds, so a plain setTimeout can wake a little early under load; the clock is
 * read again after each wake and the rest is waited out.
 */
export async function waitAtLeast(ms: number): Promise<void> {
    const until = performance.now() + ms;
    for (let left = ms; left > 0; left = until - performance.now()) {
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
    }
}
