/**
 * The `$batch` runner against a real local tenant: chunking, item URLs, per-item results,
 * dependsOn and 424, throttled items and envelopes retried after the longest Retry-After (proven
 * from the tenant's request log), the attempt bound, and the Outlook per-mailbox limit across
 * concurrent batches.
 */
import type { GraphRoute } from "../../../local-tenant/contracts";
import type { RequestLogEntry } from "../../../local-tenant/server";
import {
    connect,
    createGraphClient,
    GraphBatcher,
    GraphRequestError,
    loadSettings,
    relativeGraphUrl,
    tenantLimits,
    type BatchRequest,
    type TenantConnection,
} from "../../../dynamic-providers/connection";
import { DOMAIN, envWithoutNodeCa, startConnectionTenant, type TestTenant } from "./fixture";

/**
 * A probe route only these tests use: answers 429 with `Retry-After: {ra}` the first time each
 * user asks, then 200. It lets one batch carry items with different Retry-After values.
 */
const throttledOnce = new Set<string>();
const probe: GraphRoute = {
    method: "GET",
    pattern: "/users/{id}/throttleProbe",
    permissions: { anyOf: [] },
    handler(ctx) {
        const key = `${ctx.params.id}|${ctx.query.get("ra")}`;
        if (!throttledOnce.has(key)) {
            throttledOnce.add(key);
            return {
                status: 429,
                headers: { "Retry-After": ctx.query.get("ra") ?? "1" },
                body: { error: { code: "TooManyRequests", message: "Probe throttled." } },
            };
        }
        return { status: 200, body: { id: ctx.params.id, probed: true } };
    },
};

let tenant: TestTenant;
let conn: TenantConnection;

beforeAll(async () => {
    tenant = await startConnectionTenant(50, { routes: [probe] });
    conn = connect(loadSettings(undefined, envWithoutNodeCa(tenant)));
});

afterAll(async () => {
    await tenant?.stop();
});

beforeEach(() => {
    tenant.control.setFaults({});
    tenant.control.clearRequests();
});

const upn = (n: number) => `user${n}@${DOMAIN}`;

function envelopes(): RequestLogEntry[] {
    return tenant.control.getRequests().filter((r) => r.path.endsWith("/$batch"));
}

function items(pathPart: string): RequestLogEntry[] {
    return tenant.control.getRequests().filter((r) => r.batch && r.path.includes(pathPart));
}

describe("relativeGraphUrl", () => {
    test("strips host and version and keeps the query", () => {
        expect(relativeGraphUrl("https://graph.microsoft.com/beta/users/x?$select=id")).toEqual({
            version: "beta",
            relativeUrl: "/users/x?$select=id",
        });
        expect(relativeGraphUrl("/v1.0/users/x")).toEqual({
            version: "v1.0",
            relativeUrl: "/users/x",
        });
        expect(relativeGraphUrl("users/x", "beta")).toEqual({
            version: "beta",
            relativeUrl: "/users/x",
        });
    });
});

test("splits 45 requests into $batch calls of at most 20 and answers each in order", async () => {
    const requests: BatchRequest[] = Array.from({ length: 45 }, (_, i) => ({
        id: `u${i + 1}`,
        method: "GET",
        url: `/users/${upn(i + 1)}?$select=id,displayName`,
    }));

    const results = await conn.batcher.run<{ displayName: string }>(requests);

    expect(results.map((r) => r.id)).toEqual(requests.map((r) => r.id));
    expect(results.every((r) => r.ok && r.status === 200)).toBe(true);
    expect(results[44].body?.displayName).toBe("User 45");
    const sizes = envelopes().map(
        (e) =>
            tenant.control.getRequests().filter((r) => r.batch?.batchRequestId === e.requestId)
                .length,
    );
    expect(sizes.sort((a, b) => b - a)).toEqual([20, 20, 5]);
});

test("sends item URLs without a version prefix whatever form the caller used", async () => {
    const results = await conn.batcher.run([
        { method: "GET", url: `${tenant.url}/v1.0/users/${upn(1)}` },
        { method: "GET", url: `/v1.0/users/${upn(2)}` },
        { method: "GET", url: `users/${upn(3)}` },
    ]);

    // The local tenant, like Graph, rejects items whose URL starts with /v1.0.
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(envelopes()).toHaveLength(1);
});

test("reports each item's own failure as a typed error", async () => {
    const results = await conn.batcher.run([
        { id: "known", method: "GET", url: `/users/${upn(4)}` },
        { id: "unknown", method: "GET", url: `/users/nobody@${DOMAIN}` },
    ]);

    expect(results[0].ok).toBe(true);
    expect(results[1]).toMatchObject({ id: "unknown", ok: false, status: 404 });
    expect(results[1].error).toBeInstanceOf(GraphRequestError);
    expect(results[1].error?.code).toBe("Request_ResourceNotFound");
    expect(results[1].error?.requestId).toBeTruthy();
});

test("a request depending on a failed one gets 424 and is not applied", async () => {
    const results = await conn.batcher.run([
        { id: "lookup", method: "GET", url: `/users/nobody@${DOMAIN}` },
        {
            id: "disable",
            method: "PATCH",
            url: `/users/${upn(8)}`,
            body: { accountEnabled: false },
            dependsOn: ["lookup"],
        },
        { id: "other", method: "GET", url: `/users/${upn(9)}` },
    ]);

    expect(results.map((r) => [r.id, r.status])).toEqual([
        ["lookup", 404],
        ["disable", 424],
        ["other", 200],
    ]);
    expect(results[1].error?.code).toBe("FailedDependency");
    const user8 = tenant.control.getState().users.find((u) => u.userPrincipalName === upn(8));
    expect(user8?.accountEnabled).toBe(true);
});

test("throttled items are retried in a new batch only after the longest Retry-After", async () => {
    const results = await conn.batcher.run([
        { id: "short", method: "GET", url: `/users/${upn(11)}/throttleProbe?ra=1` },
        { id: "long", method: "GET", url: `/users/${upn(12)}/throttleProbe?ra=2` },
        { id: "plain", method: "GET", url: `/users/${upn(13)}` },
    ]);

    expect(results.map((r) => [r.id, r.status, r.attempts])).toEqual([
        ["short", 200, 2],
        ["long", 200, 2],
        ["plain", 200, 1],
    ]);
    const [first, second] = envelopes();
    expect(envelopes()).toHaveLength(2);
    const short = items("user11");
    const long = items("user12");
    expect(short.map((r) => r.status)).toEqual([429, 200]);
    expect(long.map((r) => r.status)).toEqual([429, 200]);
    // Both retries wait for the LONGEST Retry-After (2 s), counted from the throttled answers.
    expect(short[1].startedAt - short[0].endedAt).toBeGreaterThanOrEqual(2000);
    expect(long[1].startedAt - long[0].endedAt).toBeGreaterThanOrEqual(2000);
    expect(second.startedAt - first.endedAt).toBeGreaterThanOrEqual(2000);
    expect(short[1].batch?.batchRequestId).toBe(second.requestId);
});

test("a throttled $batch envelope is sent again after its Retry-After", async () => {
    tenant.control.setFaults({
        retryAfterSeconds: 1,
        failNth: [{ method: "POST", pathPattern: "^/v1\\.0/\\$batch$", n: 1, status: 429 }],
    });

    const results = await conn.batcher.run([{ method: "GET", url: `/users/${upn(14)}` }]);

    expect(results[0]).toMatchObject({ ok: true, attempts: 2 });
    const sent = envelopes();
    expect(sent.map((e) => e.status)).toEqual([429, 200]);
    expect(sent[1].startedAt - sent[0].endedAt).toBeGreaterThanOrEqual(1000);
});

test("a 424 caused only by a throttled dependency is retried with it", async () => {
    const results = await conn.batcher.run([
        { id: "probe", method: "GET", url: `/users/${upn(15)}/throttleProbe?ra=1` },
        { id: "after", method: "GET", url: `/users/${upn(15)}`, dependsOn: ["probe"] },
    ]);

    expect(results.map((r) => [r.id, r.status])).toEqual([
        ["probe", 200],
        ["after", 200],
    ]);
    expect(items("user15").map((r) => r.status)).toEqual([429, 424, 200, 200]);
});

test("stops retrying an item at the attempt bound and says so", async () => {
    const bounded = new GraphBatcher(
        (await import("../../../dynamic-providers/connection")).createGraphClient(
            loadSettings(undefined, envWithoutNodeCa(tenant)),
        ),
        { maxAttempts: 2 },
    );
    tenant.control.setFaults({
        retryAfterSeconds: 0,
        failNth: [
            { method: "GET", pathPattern: "^/v1\\.0/users/user16", n: 1, status: 429, times: 10 },
        ],
    });

    const [result] = await bounded.run([{ method: "GET", url: `/users/${upn(16)}` }]);

    expect(result).toMatchObject({ ok: false, status: 429, attempts: 2 });
    expect(result.error?.message).toContain("after 2 attempt(s)");
    expect(items("user16")).toHaveLength(2);
});

test("a dependsOn chain of 6 requests on one mailbox needs one of its slots and completes", async () => {
    // Graph runs a chain one request after the other: six items never hold more than one slot.
    const chain: BatchRequest[] = Array.from({ length: 6 }, (_, i) => ({
        id: `step${i}`,
        method: "GET",
        url: `/users/${upn(21)}/mailFolders/inbox/messageRules`,
        ...(i > 0 ? { dependsOn: [`step${i - 1}`] } : {}),
    }));

    const results = await conn.batcher.run(chain);

    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(envelopes()).toHaveLength(1);
    const limits = tenantLimits(`${conn.endpoints.graphBaseUrl}|${conn.settings.tenantId}`);
    expect(limits.mailboxes.inFlight(upn(21))).toBe(0);
}, 10_000);

test("refuses a dependsOn group that would run more than 4 requests on one mailbox at once", async () => {
    const fanOut: BatchRequest[] = [
        { id: "root", method: "GET", url: `/users/${upn(22)}` },
        ...Array.from({ length: 5 }, (_, i) => ({
            id: `rules${i}`,
            method: "GET" as const,
            url: `/users/${upn(22)}/mailFolders/inbox/messageRules`,
            dependsOn: ["root"],
        })),
    ];

    await expect(conn.batcher.run(fanOut)).rejects.toThrow(
        `Batch requests rules0, rules1, rules2, rules3, rules4 on mailbox ${upn(22)} are linked by dependsOn so that 5 of them would run at once, more than the 4 requests Outlook allows in flight per mailbox: chain them with dependsOn or send them without it.`,
    );
    expect(envelopes()).toHaveLength(0);
}, 10_000);

test("an item asking to wait longer than maxRetryAfterSeconds finishes with its throttling error", async () => {
    const capped = new GraphBatcher(
        createGraphClient(loadSettings(undefined, envWithoutNodeCa(tenant)), {
            retry: { maxRetryAfterSeconds: 2 },
        }),
    );

    const [result] = await capped.run([
        { method: "GET", url: `/users/${upn(23)}/throttleProbe?ra=30` },
    ]);

    expect(result).toMatchObject({ ok: false, status: 429, attempts: 1 });
    expect(result.error?.advice).toContain("Graph asked to wait 30 s.");
    expect(envelopes()).toHaveLength(1);
});

test("a throttled envelope asking to wait longer than maxRetryAfterSeconds finishes its items", async () => {
    const capped = new GraphBatcher(
        createGraphClient(loadSettings(undefined, envWithoutNodeCa(tenant)), {
            retry: { maxRetryAfterSeconds: 2 },
        }),
    );
    tenant.control.setFaults({
        retryAfterSeconds: 30,
        failNth: [{ method: "POST", pathPattern: "^/v1\\.0/\\$batch$", n: 1, status: 429 }],
    });

    const results = await capped.run([
        { method: "GET", url: `/users/${upn(24)}` },
        { method: "GET", url: `/users/${upn(25)}` },
    ]);

    expect(results.map((r) => [r.status, r.attempts])).toEqual([
        [429, 1],
        [429, 1],
    ]);
    expect(results[0].error?.advice).toContain("Graph asked to wait 30 s.");
    expect(envelopes()).toHaveLength(1);
});

test("keeps at most 4 Outlook requests per mailbox in flight across concurrent batches", async () => {
    tenant.control.setFaults({ latencyMs: 40 });
    const rules = (n: number): BatchRequest[] =>
        Array.from({ length: n }, () => ({
            method: "GET",
            url: `/users/${upn(20)}/mailFolders/inbox/messageRules`,
        }));

    const [a, b] = await Promise.all([conn.batcher.run(rules(6)), conn.batcher.run(rules(6))]);

    expect([...a, ...b].every((r) => r.ok)).toBe(true);
    // Weight each envelope by its items for the mailbox, then find the peak over time.
    const weighted = envelopes().map((e) => ({
        start: e.startedAt,
        end: e.endedAt,
        count: tenant.control.getRequests().filter((r) => r.batch?.batchRequestId === e.requestId)
            .length,
    }));
    expect(weighted.every((w) => w.count <= 4)).toBe(true);
    expect(peak(weighted)).toBeLessThanOrEqual(4);
});

function peak(intervals: Array<{ start: number; end: number; count: number }>): number {
    const events = intervals.flatMap((i) => [
        { t: i.start, d: i.count },
        { t: i.end, d: -i.count },
    ]);
    events.sort((x, y) => x.t - y.t || x.d - y.d);
    let current = 0;
    let max = 0;
    for (const e of events) {
        current += e.d;
        max = Math.max(max, current);
    }
    return max;
}
