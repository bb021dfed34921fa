/**
 * The request log behind `GET /_local/requests`: what reached the local tenant, in order, with
 * start and end times, so tests and benchmarks can count round trips and see what ran in
 * parallel. Kept in memory only.
 */
import { performance } from "perf_hooks";

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
    /** The Exchange cmdlet, for InvokeCommand requests. */
    cmdlet?: string;
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
