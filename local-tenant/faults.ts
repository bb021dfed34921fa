/**
 * Fault injection: what a flaky network and a busy service do to a client, on demand. Tests and
 * demos use it to prove that the product retries 429 and 5xx, survives dropped connections and
 * converges after a failure halfway.
 *
 * Faults apply to Graph requests, Exchange requests and each `$batch` item; never to the
 * control API, and to the identity endpoints only when `includeIdentity` is set.
 */

/** The body of `PUT /_local/faults`. Every field is optional; an empty object clears faults. */
export interface FaultConfig {
    /** Extra delay before every request is answered, in ms (overrides the start-up latency). */
    latencyMs?: number;
    /** Probability (0..1) of answering 429 TooManyRequests with Retry-After. */
    rate429?: number;
    /** Probability (0..1) of answering a 5xx (503, 500 or 504). */
    rate5xx?: number;
    /** Probability (0..1) of destroying the connection without an answer. */
    resetRate?: number;
    /** Fail chosen calls: the n-th (1-based) matching request gets `status`. */
    failNth?: FailNthRule[];
    /** Seed for the random choices: the same seed and the same requests fail the same way. */
    seed?: number;
    /** Retry-After (seconds) sent with injected 429 and 503 answers (default 1). */
    retryAfterSeconds?: number;
    /** Apply faults to the token endpoint and OpenID configuration too (default false). */
    includeIdentity?: boolean;
}

export interface FailNthRule {
    /** HTTP method to match (any when omitted), case-insensitive. */
    method?: string;
    /** Regular expression tested against the path with its version, e.g. "^/v1.0/users/". */
    pathPattern: string;
    /** Which matching call fails, counting from 1 after the faults were set. */
    n: number;
    /** Status to answer (for example 429, 500, 503, or 0 to reset the connection). */
    status: number;
    /** How many consecutive matching calls fail from the n-th on (default 1). */
    times?: number;
}

/** What to do with one request. */
export type FaultDecision =
    | { kind: "none" }
    | { kind: "reset" }
    | { kind: "status"; status: number; retryAfterSeconds?: number };

/** Raised for a fault configuration that cannot be applied; the message names the field. */
export class FaultConfigError extends Error {}

interface CompiledRule {
    rule: FailNthRule;
    pattern: RegExp;
    seen: number;
}

export class Faults {
    private config: FaultConfig = {};
    private rules: CompiledRule[] = [];
    private random: () => number = Math.random;

    /** The faults in force, as last set. */
    get current(): FaultConfig {
        return this.config;
    }

    /** Latency to add, if faults set one. */
    get latencyMs(): number | undefined {
        return this.config.latencyMs;
    }

    /** Replaces the fault configuration (counters of failNth rules restart). */
    set(input: unknown): FaultConfig {
        const config = validate(input);
        this.config = config;
        this.rules = (config.failNth ?? []).map((rule) => ({
            rule,
            pattern: new RegExp(rule.pathPattern),
            seen: 0,
        }));
        this.random = config.seed === undefined ? Math.random : mulberry32(config.seed);
        return config;
    }

    /** Whether the identity endpoints are subject to faults. */
    get includeIdentity(): boolean {
        return this.config.includeIdentity === true;
    }

    /**
     * Decides the fate of one request. Chosen calls (failNth) come first, then the random ones.
     *
     * @param path The path including the version (`/v1.0/users/x`) or the Exchange path.
     * @param allowReset False for `$batch` items, which share a connection with their batch.
     */
    decide(method: string, path: string, allowReset = true): FaultDecision {
        const retryAfterSeconds = this.config.retryAfterSeconds ?? 1;

        // 1. Chosen calls: every matching rule counts the request, the first due one fires.
        let chosen: FaultDecision | undefined;
        for (const compiled of this.rules) {
            const { rule } = compiled;
            if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
            if (!compiled.pattern.test(path)) continue;
            compiled.seen++;
            const due = compiled.seen >= rule.n && compiled.seen < rule.n + (rule.times ?? 1);
            if (due && !chosen) {
                chosen =
                    rule.status === 0
                        ? allowReset
                            ? { kind: "reset" }
                            : { kind: "status", status: 503, retryAfterSeconds }
                        : { kind: "status", status: rule.status, retryAfterSeconds };
            }
        }
        if (chosen) return chosen;

        // 2. Random faults, each drawn in a fixed order so a seed replays exactly.
        if (this.config.resetRate && this.random() < this.config.resetRate && allowReset) {
            return { kind: "reset" };
        }
        if (this.config.rate429 && this.random() < this.config.rate429) {
            return { kind: "status", status: 429, retryAfterSeconds };
        }
        if (this.config.rate5xx && this.random() < this.config.rate5xx) {
            const status = [503, 500, 504][Math.floor(this.random() * 3)];
            return { kind: "status", status, retryAfterSeconds };
        }
        return { kind: "none" };
    }
}

function validate(input: unknown): FaultConfig {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
        throw new FaultConfigError("The fault configuration must be a JSON object.");
    }
    const c = input as Record<string, unknown>;
    const known = [
        "latencyMs",
        "rate429",
        "rate5xx",
        "resetRate",
        "failNth",
        "seed",
        "retryAfterSeconds",
        "includeIdentity",
    ];
    for (const key of Object.keys(c)) {
        if (!known.includes(key)) {
            throw new FaultConfigError(
                `Unknown fault setting "${key}". Known settings: ${known.join(", ")}.`,
            );
        }
    }
    nonNegative(c, "latencyMs");
    nonNegative(c, "retryAfterSeconds");
    for (const rate of ["rate429", "rate5xx", "resetRate"]) {
        if (
            c[rate] !== undefined &&
            !(typeof c[rate] === "number" && (c[rate] as number) >= 0 && (c[rate] as number) <= 1)
        ) {
            throw new FaultConfigError(
                `${rate} must be a probability between 0 and 1, got ${JSON.stringify(c[rate])}.`,
            );
        }
    }
    if (c.seed !== undefined && !Number.isInteger(c.seed)) {
        throw new FaultConfigError(`seed must be an integer, got ${JSON.stringify(c.seed)}.`);
    }
    if (c.includeIdentity !== undefined && typeof c.includeIdentity !== "boolean") {
        throw new FaultConfigError(
            `includeIdentity must be true or false, got ${JSON.stringify(c.includeIdentity)}.`,
        );
    }
    if (c.failNth !== undefined) {
        if (!Array.isArray(c.failNth))
            throw new FaultConfigError("failNth must be an array of rules.");
        c.failNth.forEach((rule, i) => validateRule(rule, `failNth[${i}]`));
    }
    return c as FaultConfig;
}

function validateRule(rule: unknown, at: string): void {
    if (typeof rule !== "object" || rule === null)
        throw new FaultConfigError(`${at} must be an object.`);
    const r = rule as Record<string, unknown>;
    if (typeof r.pathPattern !== "string") {
        throw new FaultConfigError(`${at}.pathPattern must be a regular expression as a string.`);
    }
    try {
        new RegExp(r.pathPattern);
    } catch (err) {
        throw new FaultConfigError(
            `${at}.pathPattern is not a valid regular expression: ${(err as Error).message}`,
        );
    }
    if (!Number.isInteger(r.n) || (r.n as number) < 1) {
        throw new FaultConfigError(
            `${at}.n must be an integer of 1 or more (the first call is 1).`,
        );
    }
    if (
        !Number.isInteger(r.status) ||
        !(
            (r.status as number) === 0 ||
            ((r.status as number) >= 400 && (r.status as number) <= 599)
        )
    ) {
        throw new FaultConfigError(
            `${at}.status must be an HTTP error status (400-599), or 0 to reset the connection.`,
        );
    }
    if (r.method !== undefined && typeof r.method !== "string")
        throw new FaultConfigError(`${at}.method must be a string.`);
    if (r.times !== undefined && (!Number.isInteger(r.times) || (r.times as number) < 1)) {
        throw new FaultConfigError(`${at}.times must be an integer of 1 or more.`);
    }
}

function nonNegative(c: Record<string, unknown>, key: string): void {
    if (c[key] !== undefined && !(typeof c[key] === "number" && (c[key] as number) >= 0)) {
        throw new FaultConfigError(
            `${key} must be a number of 0 or more, got ${JSON.stringify(c[key])}.`,
        );
    }
}

/** A small seedable PRNG (mulberry32): deterministic fault sequences for a given seed. */
function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
