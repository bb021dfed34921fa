/**
 * The connection's concurrency limits: who gets a slot next when requests queue. With many
 * quarantines in one provider process, a failure here means the last user is cut off only
 * after every other user's mailbox clean-up.
 */
import { isUrgent, Semaphore, urgently } from "../../../dynamic-providers/connection/limits";

describe("a semaphore with requests waiting", () => {
    it("serves an urgent waiter before ordinary ones that queued earlier", async () => {
        const semaphore = new Semaphore(1);
        await semaphore.acquire();
        const order: string[] = [];
        const ordinary = semaphore.acquire().then(() => order.push("ordinary"));
        const urgent = urgently(() => semaphore.acquire()).then(() => order.push("urgent"));

        semaphore.release();
        await urgent;
        semaphore.release();
        await ordinary;
        expect(order).toEqual(["urgent", "ordinary"]);
    });

    it("serves ordinary waiters first come, first served", async () => {
        const semaphore = new Semaphore(1);
        await semaphore.acquire();
        const order: number[] = [];
        const waiting = [1, 2, 3].map((n) => semaphore.acquire().then(() => order.push(n)));
        for (let i = 0; i < 3; i++) {
            semaphore.release();
            await waiting[i];
        }
        expect(order).toEqual([1, 2, 3]);
    });
});

describe("urgency", () => {
    it("follows the work through awaits and timers, and nowhere else", async () => {
        const seen = await urgently(async () => {
            await new Promise((r) => setTimeout(r, 5));
            return isUrgent();
        });
        expect(seen).toBe(true);
        expect(isUrgent()).toBe(false);
    });
});
