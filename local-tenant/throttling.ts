/**
 * Throttling as Microsoft documents it for the services BEC Guard calls, so that the product's
 * retry and batching code meets the same limits locally that it meets in a real tenant:
 *
 * - directory writes: 3,000 requests per 150 s per app and tenant;
 * - sign-in and audit logs: 5 requests per 10 s per app and tenant;
 * - Conditional Access and named-location writes: 1 per second per tenant, answered with 429
 *   and NO Retry-After (the documented behaviour that makes clients fall back to their own
 *   back-off);
 * - Outlook (inbox rules, messages, and Exchange admin calls per anchor mailbox): 4 concurrent
 *   requests per mailbox and 10,000 requests per 10 minutes per app and mailbox.
 *
 * Every other 429 carries Retry-After in whole seconds, computed from when the oldest request
 * in the window leaves it. Rejected requests do not count against the window.
 *
 * The limits are Microsoft's by default and can be changed at run time (`setLimits`, behind
 * `PUT /_local/throttling`) so a benchmark can make a quota bind at a small scale.
 */
import type { ThrottleBucket } from "./contracts";

/** The outcome of asking to run one request. */
export type Admission =
    | {
          admitted: true;
          /** Call when the request has finished (frees a concurrency slot). */ release(): void;
      }
    | {
          admitted: false;
          /** Seconds to wait, or undefined where the service sends no Retry-After. */
          retryAfterSeconds: number | undefined;
          code: string;
          message: string;
      };

/** Who a request is counted for. */
export interface ThrottleKey {
    appId: string;
    tenantId: string;
    /** Normalised mailbox (user id or lower-case address) for the outlook bucket. */
    mailbox?: string;
}

const NOOP = () => undefined;

/** A sliding-window log: at most `limit` admissions in any `windowMs`. */
class SlidingWindow {
    private times: number[] = [];
    private head = 0;

    constructor(
        private readonly limit: number,
        private readonly windowMs: number,
    ) {}

    /** Admits (and records) one request at `now`, or returns the ms until a slot frees. */
    tryAdmit(now: number): number | undefined {
        while (this.head < this.times.length && this.times[this.head] <= now - this.windowMs) {
            this.head++;
        }
        // Compact now and then so the log does not grow without bound.
        if (this.head > 1024 && this.head * 2 > this.times.length) {
            this.times = this.times.slice(this.head);
            this.head = 0;
        }
        if (this.times.length - this.head < this.limit) {
            this.times.push(now);
            return undefined;
        }
        return this.times[this.head] + this.windowMs - now;
    }
}

/** A bucket's limit as configured: at most `limit` requests in any `windowSeconds`. */
export interface BucketLimit {
    /** Requests admitted per window (a positive integer). */
    limit: number;
    /** Length of the sliding window in seconds (a positive number, at most one day). */
    windowSeconds: number;
    /** Outlook only: requests in flight per mailbox (a positive integer). */
    concurrency?: number;
}

/** Every bucket's limit; what `GET /_local/throttling` shows next to `enabled`. */
export type ThrottleLimits = Record<ThrottleBucket, BucketLimit>;

/** The body of `PUT /_local/throttling`: any buckets to change (null: back to the default). */
export type ThrottleLimitsInput = Partial<Record<ThrottleBucket, Partial<BucketLimit> | null>>;

/** Raised for a limit that cannot be applied; the message names the field, the value and the fix. */
export class ThrottleConfigError extends Error {}

/** Outlook allows this many requests in flight per mailbox. */
export const OUTLOOK_CONCURRENCY = 4;

/** Microsoft's documented limits: the local tenant's defaults. */
export const DEFAULT_THROTTLE_LIMITS: Readonly<ThrottleLimits> = Object.freeze({
    "directory-write": { limit: 3000, windowSeconds: 150 },
    "audit-logs": { limit: 5, windowSeconds: 10 },
    "conditional-access-write": { limit: 1, windowSeconds: 1 },
    outlook: { limit: 10_000, windowSeconds: 600, concurrency: OUTLOOK_CONCURRENCY },
});

/** What does not change with the limit: whether Retry-After is sent, the code, the wording. */
const BEHAVIOUR: Record<
    ThrottleBucket,
    { sendRetryAfter: boolean; code: string; what: string; per: string }
> = {
    "directory-write": {
        sendRetryAfter: true,
        code: "TooManyRequests",
        what: "directory writes",
        per: "per app and tenant",
    },
    "audit-logs": {
        sendRetryAfter: true,
        code: "TooManyRequests",
        what: "sign-in and audit log reads",
        per: "per app and tenant",
    },
    "conditional-access-write": {
        sendRetryAfter: false,
        code: "TooManyRequests",
        what: "Conditional Access and named-location writes",
        per: "per tenant",
    },
    outlook: {
        sendRetryAfter: true,
        code: "ApplicationThrottled",
        what: "Outlook requests",
        per: "per app and mailbox",
    },
};

const BUCKETS = Object.keys(BEHAVIOUR) as ThrottleBucket[];
const MAX_WINDOW_SECONDS = 86_400;

interface BucketSpec {
    limit: number;
    windowMs: number;
    sendRetryAfter: boolean;
    code: string;
    describe: string;
}

function spec(bucket: ThrottleBucket, limit: BucketLimit): BucketSpec {
    const b = BEHAVIOUR[bucket];
    return {
        limit: limit.limit,
        windowMs: limit.windowSeconds * 1000,
        sendRetryAfter: b.sendRetryAfter,
        code: b.code,
        describe: `${b.what} (${limit.limit.toLocaleString("en-US")} per ${limit.windowSeconds} seconds ${b.per})`,
    };
}

/**
 * Checks a `PUT /_local/throttling` body's buckets and merges them onto `current`. Nothing is
 * applied when any field is wrong: the error names the bucket, the field, the value and the fix.
 */
export function mergeThrottleLimits(current: ThrottleLimits, input: unknown): ThrottleLimits {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
        throw new ThrottleConfigError(
            'The throttling limits must be a JSON object, e.g. {"directory-write": {"limit": 100, "windowSeconds": 10}}.',
        );
    }
    const next = structuredClone(current);
    for (const [bucket, value] of Object.entries(input as Record<string, unknown>)) {
        if (!BUCKETS.includes(bucket as ThrottleBucket)) {
            throw new ThrottleConfigError(
                `Unknown throttling bucket '${bucket}': use one of ${BUCKETS.join(", ")} (or "enabled").`,
            );
        }
        const name = bucket as ThrottleBucket;
        if (value === null) {
            next[name] = { ...DEFAULT_THROTTLE_LIMITS[name] };
            continue;
        }
        if (typeof value !== "object" || Array.isArray(value)) {
            throw new ThrottleConfigError(
                `${bucket}: expected an object like {"limit": 100, "windowSeconds": 10} or null (the default), got ${JSON.stringify(value)}.`,
            );
        }
        const fields = value as Record<string, unknown>;
        const allowed =
            name === "outlook"
                ? ["limit", "windowSeconds", "concurrency"]
                : ["limit", "windowSeconds"];
        for (const [field, v] of Object.entries(fields)) {
            if (!allowed.includes(field)) {
                throw new ThrottleConfigError(
                    `${bucket}.${field} is not a setting of this bucket: use ${allowed.join(", ")}.`,
                );
            }
            const positiveInteger = field !== "windowSeconds";
            const ok =
                typeof v === "number" &&
                Number.isFinite(v) &&
                v > 0 &&
                (positiveInteger ? Number.isInteger(v) : v <= MAX_WINDOW_SECONDS);
            if (!ok) {
                throw new ThrottleConfigError(
                    positiveInteger
                        ? `${bucket}.${field} must be a positive whole number, got ${JSON.stringify(v)}.`
                        : `${bucket}.windowSeconds must be a number of seconds above 0 and at most ${MAX_WINDOW_SECONDS}, got ${JSON.stringify(v)}.`,
                );
            }
        }
        next[name] = { ...next[name], ...(fields as Partial<BucketLimit>) };
    }
    return next;
}

export class Throttler {
    private readonly windows = new Map<string, SlidingWindow>();
    private readonly inFlight = new Map<string, number>();
    private current: ThrottleLimits = structuredClone(DEFAULT_THROTTLE_LIMITS) as ThrottleLimits;

    /**
     * @param now Clock in ms (the server's controllable clock).
     * @param enabled Whether limits apply (default true). Off, every request is admitted.
     */
    constructor(
        private readonly now: () => number,
        public enabled = true,
    ) {}

    /** The limits in force (a copy). */
    get limits(): ThrottleLimits {
        return structuredClone(this.current);
    }

    /**
     * Changes some buckets' limits (see {@link mergeThrottleLimits}; throws ThrottleConfigError
     * and changes nothing when a field is wrong). The counts of a changed bucket start over, so
     * a smaller limit never refuses for requests counted under the old one.
     */
    setLimits(input: ThrottleLimitsInput): ThrottleLimits {
        const next = mergeThrottleLimits(this.current, input);
        const changed = BUCKETS.filter(
            (b) => JSON.stringify(next[b]) !== JSON.stringify(this.current[b]),
        );
        this.current = next;
        for (const key of [...this.windows.keys()]) {
            if (changed.some((b) => key.startsWith(`${b}|`))) this.windows.delete(key);
        }
        return this.limits;
    }

    /** Forgets all counts (after the state is replaced). The limits stay. */
    reset(): void {
        this.windows.clear();
        this.inFlight.clear();
    }

    /** Asks to run one request counted against `bucket`. */
    admit(bucket: ThrottleBucket | undefined, key: ThrottleKey): Admission {
        if (!this.enabled || bucket === undefined) return { admitted: true, release: NOOP };
        if (bucket === "outlook") return this.admitOutlook(key);

        // Conditional Access writes are counted per tenant; the others per app and tenant.
        const bucketSpec = spec(bucket, this.current[bucket]);
        const scope =
            bucket === "conditional-access-write" ? key.tenantId : `${key.appId}|${key.tenantId}`;
        const waitMs = this.window(`${bucket}|${scope}`, bucketSpec).tryAdmit(this.now());
        if (waitMs === undefined) return { admitted: true, release: NOOP };
        return this.rejected(bucketSpec, waitMs);
    }

    private admitOutlook(key: ThrottleKey): Admission {
        const mailbox = key.mailbox ?? "(no mailbox)";

        // 1. Concurrency first: a request over the limit must not use up the rate window.
        const concurrencyKey = `${key.tenantId}|${mailbox}`;
        const running = this.inFlight.get(concurrencyKey) ?? 0;
        const concurrency = this.current.outlook.concurrency ?? OUTLOOK_CONCURRENCY;
        if (running >= concurrency) {
            return {
                admitted: false,
                retryAfterSeconds: 1,
                code: "ApplicationThrottled",
                message: `Application is over its MailboxConcurrency limit (${concurrency} concurrent requests per mailbox).`,
            };
        }

        // 2. Then the 10-minute rate per app and mailbox.
        const outlookSpec = spec("outlook", this.current.outlook);
        const waitMs = this.window(`outlook|${key.appId}|${concurrencyKey}`, outlookSpec).tryAdmit(
            this.now(),
        );
        if (waitMs !== undefined) return this.rejected(outlookSpec, waitMs);

        this.inFlight.set(concurrencyKey, running + 1);
        let released = false;
        return {
            admitted: true,
            release: () => {
                if (released) return;
                released = true;
                const n = (this.inFlight.get(concurrencyKey) ?? 1) - 1;
                if (n <= 0) this.inFlight.delete(concurrencyKey);
                else this.inFlight.set(concurrencyKey, n);
            },
        };
    }

    private window(key: string, bucketSpec: BucketSpec): SlidingWindow {
        let w = this.windows.get(key);
        if (!w) {
            w = new SlidingWindow(bucketSpec.limit, bucketSpec.windowMs);
            this.windows.set(key, w);
        }
        return w;
    }

    private rejected(bucketSpec: BucketSpec, waitMs: number): Admission {
        const retryAfterSeconds = bucketSpec.sendRetryAfter
            ? Math.max(1, Math.ceil(waitMs / 1000))
            : undefined;
        const advice =
            retryAfterSeconds === undefined
                ? "Back off and retry."
                : `Retry after ${retryAfterSeconds} seconds.`;
        return {
            admitted: false,
            retryAfterSeconds,
            code: bucketSpec.code,
            message: `Too many requests: over the limit for ${bucketSpec.describe}. ${advice}`,
        };
    }
}
