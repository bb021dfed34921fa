import { Faults } from "../../local-tenant/faults";
import type { LocalTenant } from "../../local-tenant/server";
import { call, closeAgents, getToken, startCoreTenant } from "./helpers";
import { TEST_ROLES, testRoutes } from "./test-routes";

describe("fault decisions", () => {
    test("the same seed replays the same sequence of faults", () => {
        const run = () => {
            const faults = new Faults();
            faults.set({ rate429: 0.3, rate5xx: 0.3, seed: 42 });
            return Array.from({ length: 50 }, () => {
                const d = faults.decide("GET", "/v1.0/users");
                return d.kind === "status" ? d.status : 200;
            });
        };

        const first = run();

        expect(run()).toEqual(first);
        expect(first.filter((s) => s === 429).length).toBeGreaterThan(0);
        expect(first.filter((s) => s >= 500).length).toBeGreaterThan(0);
        expect(first.filter((s) => s === 200).length).toBeGreaterThan(0);
    });

    test("failNth fails exactly the n-th matching call, for `times` calls", () => {
        const faults = new Faults();
        faults.set({
            failNth: [{ method: "PATCH", pathPattern: "/users/", n: 2, status: 500, times: 2 }],
        });

        const statuses = ["PATCH", "GET", "PATCH", "PATCH", "PATCH"].map((m) => {
            const d = faults.decide(m, "/v1.0/users/x");
            return d.kind === "status" ? d.status : 200;
        });

        expect(statuses).toEqual([200, 200, 500, 500, 200]);
    });

    test.each([
        [{ rate429: 2 }, /rate429 must be a probability/],
        [
            { failNth: [{ pathPattern: "(", n: 1, status: 500 }] },
            /failNth\[0\]\.pathPattern is not a valid regular expression/,
        ],
        [{ failNth: [{ pathPattern: "x", n: 0, status: 500 }] }, /failNth\[0\]\.n must be/],
        [{ latencyMs: -1 }, /latencyMs must be/],
        [{ typo: 1 }, /Unknown fault setting "typo"/],
    ])("a bad configuration %j is refused with a message naming the field", (config, message) => {
        expect(() => new Faults().set(config)).toThrow(message);
    });
});

describe("faults over HTTP", () => {
    let tenant: LocalTenant;
    let token: string;

    beforeAll(async () => {
        tenant = await startCoreTenant({ routes: testRoutes, grantedGraphRoles: TEST_ROLES });
        token = await getToken(tenant);
    });
    afterEach(() => tenant.control.setFaults({}));
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    test("rate429 of 1 answers every Graph call 429 with Retry-After", async () => {
        await call(tenant, "PUT", "/_local/faults", { body: { rate429: 1, retryAfterSeconds: 3 } });

        const answer = await call(tenant, "GET", "/v1.0/things", { token });

        expect(answer.status).toBe(429);
        expect(answer.headers["retry-after"]).toBe("3");
        expect(answer.body.error.code).toBe("TooManyRequests");
    });

    test("rate5xx of 1 answers a 500, 503 or 504 in Graph's envelope", async () => {
        tenant.control.setFaults({ rate5xx: 1, seed: 7 });

        const answers = await Promise.all(
            Array.from({ length: 6 }, () => call(tenant, "GET", "/v1.0/things", { token })),
        );

        for (const a of answers) {
            expect([500, 503, 504]).toContain(a.status);
            expect(a.body.error.innerError["request-id"]).toBe(a.headers["request-id"]);
        }
    });

    test("failNth fails the n-th call of a route only", async () => {
        tenant.control.setFaults({
            failNth: [{ method: "GET", pathPattern: "^/v1\\.0/things$", n: 3, status: 503 }],
        });

        const statuses = [];
        for (let i = 0; i < 4; i++)
            statuses.push((await call(tenant, "GET", "/v1.0/things", { token })).status);

        expect(statuses).toEqual([200, 200, 503, 200]);
    });

    test("resetRate of 1 drops the connection without an answer", async () => {
        tenant.control.setFaults({ resetRate: 1 });

        await expect(call(tenant, "GET", "/v1.0/things", { token })).rejects.toThrow(
            /socket hang up|ECONNRESET/,
        );
        expect(tenant.control.getRequests().at(-1)).toMatchObject({
            path: "/v1.0/things",
            status: 0,
        });
    });

    test("injected latency delays the answer by at least the configured time", async () => {
        tenant.control.setFaults({ latencyMs: 150 });
        tenant.control.clearRequests();

        await call(tenant, "GET", "/v1.0/things", { token });

        const [entry] = tenant.control.getRequests();
        expect(entry.endedAt - entry.startedAt).toBeGreaterThanOrEqual(149);
    });

    test("faults spare the control API and the token endpoint unless includeIdentity is set", async () => {
        tenant.control.setFaults({ rate5xx: 1 });

        const control = await call(tenant, "GET", "/_local/faults");
        const freshToken = await getToken(tenant);

        expect(control.status).toBe(200);
        expect(freshToken).toBeTruthy();
        tenant.control.setFaults({ rate5xx: 1, includeIdentity: true });
        await expect(getToken(tenant)).rejects.toThrow(/token request failed: 50[034]/);
    });

    test("faults apply to the Exchange endpoint too", async () => {
        tenant.control.setFaults({
            failNth: [{ pathPattern: "InvokeCommand", n: 1, status: 500 }],
        });

        const answer = await call(
            tenant,
            "POST",
            `/adminapi/beta/${tenant.tenantId}/InvokeCommand`,
            { body: {} },
        );

        expect(answer.status).toBe(500);
    });

    test("a bad fault configuration sent to the control API is a 400 naming the field", async () => {
        const answer = await call(tenant, "PUT", "/_local/faults", { body: { rate5xx: "often" } });

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toMatch(/rate5xx must be a probability/);
    });
});
