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

interface BucketSpec {
    limit: number;
    windowMs: number;
    sendRetryAfter: boolean;
    code: string;
    describe: string;
}

const SPECS: Record<Exclude<ThrottleBucket, "outlook">, BucketSpec> & { outlook: BucketSpec } = {
    "directory-write": {
        limit: 3000,
        windowMs: 150_000,
        sendRetryAfter: true,
        code: "TooManyRequests",
        describe: "directory writes (3,000 per 150 seconds per app and tenant)",
    },
    "audit-logs": {
        limit: 5,
        windowMs: 10_000,
        sendRetryAfter: true,
        code: "TooManyRequests",
        describe: "sign-in and audit log reads (5 per 10 seconds per app and tenant)",
    },
    "conditional-access-write": {
        limit: 1,
        windowMs: 1_000,
        sendRetryAfter: false,
        code: "TooManyRequests",
        describe: "Conditional Access and named-location writes (1 per second per tenant)",
    },
    outlook: {
        limit: 10_000,
        windowMs: 600_000,
        sendRetryAfter: true,
        code: "ApplicationThrottled",
        describe: "Outlook requests (10,000 per 10 minutes per app and mailbox)",
    },
};

/** Outlook allows this many requests in flight per mailbox. */
export const OUTLOOK_CONCURRENCY = 4;

export class Throttler {
    private readonly windows = new Map<string, SlidingWindow>();
    private readonly inFlight = new Map<string, number>();

    /**
     * @param now Clock in ms (the server's controllable clock).
     * @param enabled Whether limits apply (default true). Off, every request is admitted.
     */
    constructor(
        private readonly now: () => number,
        public enabled = true,
    ) {}

    /** Forgets all counts (after the state is replaced). */
    reset(): void {
        this.windows.clear();
        this.inFlight.clear();
    }

    /** Asks to run one request counted against `bucket`. */
    admit(bucket: ThrottleBucket | undefined, key: ThrottleKey): Admission {
        if (!this.enabled || bucket === undefined) return { admitted: true, release: NOOP };
        if (bucket === "outlook") return this.admitOutlook(key);

        // Conditional Access writes are counted per tenant; the others per app and tenant.
        const spec = SPECS[bucket];
        const scope =
            bucket === "conditional-access-write" ? key.tenantId : `${key.appId}|${key.tenantId}`;
        const waitMs = this.window(`${bucket}|${scope}`, spec).tryAdmit(this.now());
        if (waitMs === undefined) return { admitted: true, release: NOOP };
        return this.rejected(spec, waitMs);
    }

    private admitOutlook(key: ThrottleKey): Admission {
        const mailbox = key.mailbox ?? "(no mailbox)";

        // 1. Concurrency first: a request over the limit must not use up the rate window.
        const concurrencyKey = `${key.tenantId}|${mailbox}`;
        const running = this.inFlight.get(concurrencyKey) ?? 0;
        if (running >= OUTLOOK_CONCURRENCY) {
            return {
                admitted: false,
                retryAfterSeconds: 1,
                code: "ApplicationThrottled",
                message: `Application is over its MailboxConcurrency limit (${OUTLOOK_CONCURRENCY} concurrent requests per mailbox).`,
            };
        }

        // 2. Then the 10-minute rate per app and mailbox.
        const spec = SPECS.outlook;
        const waitMs = this.window(`outlook|${key.appId}|${concurrencyKey}`, spec).tryAdmit(
            this.now(),
        );
        if (waitMs !== undefined) return this.rejected(spec, waitMs);

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

    private window(key: string, spec: BucketSpec): SlidingWindow {
        let w = this.windows.get(key);
        if (!w) {
            w = new SlidingWindow(spec.limit, spec.windowMs);
            this.windows.set(key, w);
        }
        return w;
    }

    private rejected(spec: BucketSpec, waitMs: number): Admission {
        const retryAfterSeconds = spec.sendRetryAfter
            ? Math.max(1, Math.ceil(waitMs / 1000))
            : undefined;
        const advice =
            retryAfterSeconds === undefined
                ? "Back off and retry."
                : `Retry after ${retryAfterSeconds} seconds.`;
        return {
            admitted: false,
            retryAfterSeconds,
            code: spec.code,
            message: `Too many requests: over the limit for ${spec.describe}. ${advice}`,
        };
    }
}
