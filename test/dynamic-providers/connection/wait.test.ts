/**
 * A retry must never come before the Retry-After the tenant asked for, even when the event
 * loop's timer wakes a little early (Node rounds timers to whole milliseconds against a cached
 * clock). A responder would otherwise see a throttled containment throttled again.
 */
import { waitAtLeast } from "../../../dynamic-providers/connection/limits";

describe("waitAtLeast", () => {
    const realSetTimeout = global.setTimeout;
    let clock = 0;
    const wakes: number[] = [];

    beforeEach(() => {
        clock = 1000;
        wakes.length = 0;
        jest.spyOn(performance, "now").mockImplementation(() => clock);
        // A timer that wakes up to 2 ms before it was asked to (never before 1 ms has passed).
        (global as any).setTimeout = (fn: () => void, ms: number) => {
            clock += Math.max(1, ms - 2);
            wakes.push(clock);
            return realSetTimeout(fn, 0);
        };
    });

    afterEach(() => {
        jest.restoreAllMocks();
        global.setTimeout = realSetTimeout;
    });

    it("waits out the rest when the timer wakes early", async () => {
        await waitAtLeast(1000);
        expect(clock).toBeGreaterThanOrEqual(2000);
        expect(wakes.length).toBeGreaterThan(1);
    });

    it("does not wait at all for zero", async () => {
        await waitAtLeast(0);
        expect(wakes).toEqual([]);
    });
});
