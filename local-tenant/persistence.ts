/**
 * Keeps the tenant state on disk without slowing requests: a change schedules one write a
 * short moment later (many changes, one write), the write goes to a temporary file that is then
 * renamed over state.json (a crash never leaves half a file), and `flush()` on stop writes
 * whatever is pending.
 */
import * as fs from "fs";
import type { TenantState } from "./model";

/** How long after a change the state is written (changes in between share the write). */
const DEBOUNCE_MS = 100;

export class StateStore {
    private timer: NodeJS.Timeout | undefined;
    private writing: Promise<void> = Promise.resolve();
    private failure: Error | undefined;

    /**
     * @param file Path of state.json. It holds the app's client secret: written with mode 0600.
     * @param current Returns the live state to write.
     */
    constructor(
        readonly file: string,
        private readonly current: () => TenantState,
    ) {}

    /** Notes that the state changed; a write follows shortly. */
    changed(): void {
        if (this.timer) return;
        this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.write();
        }, DEBOUNCE_MS);
        // A pending write must not keep a finished test process alive; stop() flushes it.
        this.timer.unref();
    }

    /** Writes any pending change now and waits for every write to finish. */
    async flush(): Promise<void> {
        if (this.timer) {
            clearTimeout(this.timer);
            this.timer = undefined;
            await this.write();
        }
        await this.writing;
        if (this.failure) {
            const err = this.failure;
            this.failure = undefined;
            throw err;
        }
    }

    /** Writes the state now (tmp file + rename), after any write already running. */
    write(): Promise<void> {
        const text = JSON.stringify(this.current(), null, 2);
        this.writing = this.writing.then(async () => {
            const tmp = `${this.file}.${process.pid}.tmp`;
            try {
                await fs.promises.writeFile(tmp, text, { mode: 0o600 });
                await fs.promises.rename(tmp, this.file);
            } catch (err) {
                this.failure = new Error(
                    `Could not save the local tenant state to ${this.file}: ${(err as Error).message}`,
                );
                process.stderr.write(`${this.failure.message}\n`);
            }
        });
        return this.writing;
    }
}
