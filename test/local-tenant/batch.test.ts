import type { LocalTenant } from "../../local-tenant/server";
import { call, closeAgents, getToken, startCoreTenant } from "./helpers";
import { TEST_ROLES, testRoutes } from "./test-routes";

type Item = {
    id: string;
    method: string;
    url: string;
    dependsOn?: string[];
    body?: unknown;
    headers?: Record<string, string>;
};

describe("local tenant $batch", () => {
    let tenant: LocalTenant;
    let token: string;
    const batch = (requests: Item[], version = "v1.0") =>
        call(tenant, "POST", `/${version}/$batch`, { token, body: { requests } });
    const byId = (answer: { body: { responses: Array<{ id: string }> } }) =>
        Object.fromEntries(answer.body.responses.map((r) => [r.id, r])) as unknown as Record<
            string,
            { status: number; headers: Record<string, string>; body: any }
        >;

    beforeAll(async () => {
        tenant = await startCoreTenant({ routes: testRoutes, grantedGraphRoles: TEST_ROLES });
        token = await getToken(tenant);
    });
    afterEach(() => tenant.control.setFaults({}));
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    test("twenty requests run and answer in one 200 envelope", async () => {
        const requests = Array.from({ length: 20 }, (_, i) => ({
            id: String(i + 1),
            method: "GET",
            url: `/things/thing-${String(i).padStart(2, "0")}`,
        }));

        const answer = await batch(requests, "beta");

        expect(answer.status).toBe(200);
        expect(answer.body.responses).toHaveLength(20);
        expect(byId(answer)["7"]).toMatchObject({ status: 200, body: { id: "thing-06" } });
    });

    test("twenty-one requests are refused as a whole with 400", async () => {
        const requests = Array.from({ length: 21 }, (_, i) => ({
            id: String(i + 1),
            method: "GET",
            url: "/things",
        }));

        const answer = await batch(requests);

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toMatch(/20/);
    });

    test("an item URL with a version prefix gets its own 400 while the others run", async () => {
        const answer = await batch([
            { id: "1", method: "GET", url: "/v1.0/things" },
            { id: "2", method: "GET", url: "beta/things" },
            { id: "3", method: "GET", url: "https://graph.microsoft.com/v1.0/things" },
            { id: "4", method: "GET", url: "things?$top=1" },
        ]);

        const items = byId(answer);
        expect(answer.status).toBe(200);
        expect([
            items["1"].status,
            items["2"].status,
            items["3"].status,
            items["4"].status,
        ]).toEqual([400, 400, 400, 200]);
        expect(items["1"].body.error.code).toBe("BadRequest");
        expect(items["4"].body.value).toHaveLength(1);
    });

    test("a failed dependency answers 424 for its dependents and the chain after them", async () => {
        const answer = await batch([
            { id: "a", method: "GET", url: "/things/missing" },
            { id: "b", method: "GET", url: "/things/thing-01", dependsOn: ["a"] },
            { id: "c", method: "GET", url: "/things/thing-02", dependsOn: ["b"] },
            { id: "d", method: "GET", url: "/things/thing-03" },
        ]);

        const items = byId(answer);
        expect(items.a.status).toBe(404);
        expect(items.b.status).toBe(424);
        expect(items.b.body.error.code).toBe("FailedDependency");
        expect(items.c.status).toBe(424);
        expect(items.d.status).toBe(200);
    });

    test("dependencies run before their dependents", async () => {
        tenant.control.clearRequests();

        await batch([
            { id: "2", method: "GET", url: "/things/thing-02", dependsOn: ["1"] },
            {
                id: "1",
                method: "POST",
                url: "/directory/notes",
                body: { name: "first" },
                headers: { "Content-Type": "application/json" },
            },
        ]);

        const items = tenant.control.getRequests().filter((r) => r.batch);
        expect(items.map((r) => r.batch!.itemId)).toEqual(["1", "2"]);
        expect(items[0].endedAt).toBeLessThanOrEqual(items[1].startedAt);
    });

    test("an unknown dependency, a duplicate id or a cycle refuses the whole batch", async () => {
        const answers = await Promise.all([
            batch([{ id: "1", method: "GET", url: "/things", dependsOn: ["9"] }]),
            batch([
                { id: "1", method: "GET", url: "/things" },
                { id: "1", method: "GET", url: "/things" },
            ]),
            batch([
                { id: "1", method: "GET", url: "/things", dependsOn: ["2"] },
                { id: "2", method: "GET", url: "/things", dependsOn: ["1"] },
            ]),
        ]);

        expect(answers.map((a) => a.status)).toEqual([400, 400, 400]);
    });

    test("each item is permission-checked on its own", async () => {
        const answer = await batch([
            { id: "1", method: "POST", url: "/things", body: {} },
            { id: "2", method: "GET", url: "/things" },
        ]);

        const items = byId(answer);
        expect(items["1"].status).toBe(403);
        expect(items["1"].body.error.code).toBe("Authorization_RequestDenied");
        expect(items["2"].status).toBe(200);
    });

    test("a throttled item gets 429 with Retry-After inside the 200 envelope", async () => {
        const requests = Array.from({ length: 7 }, (_, i) => ({
            id: String(i + 1),
            method: "GET",
            url: "/auditLogs/test",
        }));

        const answer = await batch(requests);

        const statuses = answer.body.responses.map((r: { status: number }) => r.status);
        expect(answer.status).toBe(200);
        expect(statuses.filter((s: number) => s === 200)).toHaveLength(5);
        const throttled = answer.body.responses.filter((r: { status: number }) => r.status === 429);
        expect(throttled).toHaveLength(2);
        expect(Number(throttled[0].headers["Retry-After"])).toBeGreaterThanOrEqual(1);
    });

    test("faults apply to each item: the n-th matching item fails, the others succeed", async () => {
        tenant.control.setFaults({
            failNth: [{ pathPattern: "^/v1\\.0/things/", n: 2, status: 503 }],
        });

        const answer = await batch([
            { id: "1", method: "GET", url: "/things/thing-01" },
            { id: "2", method: "GET", url: "/things/thing-02", dependsOn: ["1"] },
            { id: "3", method: "GET", url: "/things/thing-03", dependsOn: ["2"] },
        ]);

        const items = byId(answer);
        expect([items["1"].status, items["2"].status, items["3"].status]).toEqual([200, 503, 424]);
        expect(items["2"].headers["Retry-After"]).toBe("1");
    });

    test("batch items appear in the request log marked with their batch", async () => {
        tenant.control.clearRequests();

        const answer = await batch([{ id: "x", method: "GET", url: "/things/thing-01" }]);

        const log = tenant.control.getRequests();
        const outer = log.find((r) => r.path === "/v1.0/$batch")!;
        expect(outer.requestId).toBe(answer.headers["request-id"]);
        expect(log.find((r) => r.batch)).toMatchObject({
            method: "GET",
            path: "/v1.0/things/thing-01",
            status: 200,
            batch: { batchRequestId: outer.requestId, itemId: "x" },
        });
    });
});
