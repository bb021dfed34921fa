/**
 * The request log behind `GET /_local/requests`: what reached the local tenant, in order, with
 * start and end times, so tests and benchmarks can count round trips and see what ran in
 * parallel, and tell each throttled request's retry apart (same method, path, query and body
 * fingerprint, or the same cmdlet and parameters) to check it waited the Retry-After it was
 * sent. Kept in memory only.
 *
 * Bodies are never logged, only a SHA-256 fingerprint of them, so a password or a Temporary
 * Access Pass in a body does not reach the log.
 */
import { createHash } from "crypto";
import { performance } from "perf_hooks";
import type { ThrottleBucket } from "./contracts";

/** One item of a `$batch` envelope, as the envelope carried it. */
export interface BatchItemSummary {
    /** The item's id within its batch. */
    id: string;
    method: string;
    /** Path with the batch's version, as an item's own entry logs it, e.g. `/v1.0/users/x`. */
    path: string;
    query?: string;
    bodySha256?: string;
}

export interface RequestLogEntry {
    /** The request-id the server answered with. */
    requestId: string;
    method: string;
    /** The path as sent (still URL-encoded), without the query. */
    path: string;
    /** The query string without "?", when there was one. */
    query?: string;
    /** HTTP status answered; 0 when the connection was reset on purpose. */
    status: number;
    /** Wall-clock start and end in ms since the epoch, with sub-millisecond precision. */
    startedAt: number;
    endedAt: number;
    /** The calling app (client id) when a token was presented and valid. */
    appId?: string;
    /** Set on `$batch` items: the batch's request-id and the item's id. */
    batch?: { batchRequestId: string; itemId: string };
    /**
     * The Exchange cmdlet (`CmdletInput.CmdletName`) for InvokeCommand requests, also when a
     * fault or the throttle answered before the cmdlet ran.
     */
    cmdlet?: string;
    /** The `X-AnchorMailbox` header of an InvokeCommand request, as sent. */
    anchorMailbox?: string;
    /** The Retry-After the answer carried, in seconds (a `$batch` item: its own header). */
    retryAfterSeconds?: number;
    /**
     * SHA-256 (hex) of the request body: of its JSON re-serialised when it is JSON (so the same
     * body as a request or as a `$batch` item has one fingerprint), else of its text. Absent
     * when there was no body. For InvokeCommand it covers the cmdlet and its parameters.
     */
    bodySha256?: string;
    /** The throttling bucket of the Graph route that matched, when it has one. */
    bucket?: ThrottleBucket;
    /**
     * On a `$batch` envelope: the items it carried. An envelope answered as a whole (a fault,
     * a bad token) never runs its items, so this is the only trace of them.
     */
    items?: BatchItemSummary[];
}

/** The fingerprint of a body already parsed (or its text); undefined when there is none. */
export function bodyFingerprint(body: unknown): string | undefined {
    if (body === undefined || body === "") return undefined;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The fingerprint of a raw body: of its JSON re-serialised when it parses, else of its text. */
export function rawBodyFingerprint(raw: Buffer): string | undefined {
    if (raw.length === 0) return undefined;
    const text = raw.toString("utf8");
    try {
        return bodyFingerprint(JSON.parse(text) as unknown);
    } catch {
        return bodyFingerprint(text);
    }
}

/** The path and query a `$batch` item is logged under: the batch's version, then its URL. */
export function batchItemLocation(version: string, url: string): { path: string; query?: string } {
    const q = url.indexOf("?");
    const pathPart = q === -1 ? url : url.slice(0, q);
    return {
        path: `/${version}${pathPart.replace(/^\/?/, "/")}`,
        ...(q === -1 ? {} : { query: url.slice(q + 1) }),
    };
}

/** A `$batch` item's body as the engine reads it: a JSON string is parsed when it says so. */
export function batchItemBody(item: Record<string, unknown>): unknown {
    const headers = (item.headers ?? {}) as Record<string, unknown>;
    const contentType = Object.entries(headers).find(
        ([k]) => k.toLowerCase() === "content-type",
    )?.[1];
    if (typeof item.body === "string" && String(contentType ?? "").includes("json")) {
        try {
            return JSON.parse(item.body) as unknown;
        } catch {
            return item.body;
        }
    }
    return item.body;
}

/** Retry-After in seconds from response headers (any case), when it is a number of seconds. */
export function retryAfterHeader(headers: Record<string, string> | undefined): number | undefined {
    const value = Object.entries(headers ?? {}).find(
        ([k]) => k.toLowerCase() === "retry-after",
    )?.[1];
    if (value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
    return Number(value);
}

/** Entries kept at most; the oldest half is dropped when full (long benchmarks). */
const MAX_ENTRIES = 100_000;

export class RequestLog {
    private entries: RequestLogEntry[] = [];

    /** Wall-clock now in ms with sub-millisecond precision. */
    static now(): number {
        return performance.timeOrigin + performance.now();
    }

    add(entry: RequestLogEntry): void {
        if (this.entries.length >= MAX_ENTRIES) {
            this.entries = this.entries.slice(MAX_ENTRIES / 2);
        }
        this.entries.push(entry);
    }

    list(): RequestLogEntry[] {
        return [...this.entries];
    }

    clear(): void {
        this.entries = [];
    }
}
