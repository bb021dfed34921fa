import * as fs from "fs";
import { isLoopback, type LocalTenant } from "../../local-tenant/server";
import { FIXTURE, call, closeAgents, getToken, startCoreTenant } from "./helpers";
import { TEST_ROLES, testRoutes } from "./test-routes";

describe("local tenant control API", () => {
    let tenant: LocalTenant;
    let token: string;

    beforeAll(async () => {
        tenant = await startCoreTenant({ routes: testRoutes, grantedGraphRoles: TEST_ROLES });
        token = await getToken(tenant);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    test("GET /_local/state returns the whole tenant with the generated client secret", async () => {
        const answer = await call(tenant, "GET", "/_local/state");

        expect(answer.status).toBe(200);
        expect(answer.body.tenant.id).toBe(tenant.tenantId);
        expect(answer.body.apps[0].clientSecret).toBe(tenant.clientSecret);
        expect(tenant.clientSecret).toHaveLength(40);
    });

    test("PUT /_local/state replaces the tenant with a valid scenario", async () => {
        const scenario = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
        scenario.tenant.displayName = "Replaced";
        scenario.apps[0].clientSecret = "replaced-secret";

        const answer = await call(tenant, "PUT", "/_local/state", { body: scenario });
        const state = await call(tenant, "GET", "/_local/state");

        expect(answer.status).toBe(200);
        expect(answer.body.clientSecret).toBe("replaced-secret");
        expect(state.body.tenant.displayName).toBe("Replaced");
        expect(tenant.clientSecret).toBe("replaced-secret");
        expect(tenant.env.AZURE_CLIENT_SECRET).toBe("replaced-secret");
    });

    test("PUT /_local/state with an invalid scenario is a 400 naming the JSON path and keeps the state", async () => {
        const scenario = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
        scenario.apps[0].graphRoles = "User.Read.All";
        delete scenario.tenant.initialDomain;

        const answer = await call(tenant, "PUT", "/_local/state", { body: scenario });

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toMatch(
            /\$\.apps\[0\]\.graphRoles: expected an array, got the string "User.Read.All"/,
        );
        expect(answer.body.error.message).toMatch(
            /\$\.tenant\.initialDomain: required field is missing/,
        );
        expect(tenant.control.getState().tenant.displayName).toBe("Replaced");
    });

    test("PUT /_local/state with a scenario that sets no secret keeps the app's secret and granted roles", async () => {
        const scenario = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
        const secretBefore = tenant.clientSecret;
        const envBefore = tenant.env;

        const answer = await call(tenant, "PUT", "/_local/state", { body: scenario });
        const things = await call(tenant, "GET", "/v1.0/things", { token: await getToken(tenant) });

        expect(scenario.apps[0].clientSecret).toBe("");
        expect(answer.body.clientSecret).toBe(secretBefore);
        expect(tenant.env).toEqual(envBefore);
        expect(tenant.control.getState().apps[0].graphRoles).toEqual(TEST_ROLES);
        expect(things.status).toBe(200);
    });

    test("GET /_local/requests lists method, path, status, times, app and request id", async () => {
        await call(tenant, "DELETE", "/_local/requests");

        const graph = await call(tenant, "GET", "/v1.0/things?$top=1", { token });
        const log = await call(tenant, "GET", "/_local/requests");

        expect(log.body.value).toEqual([
            {
                requestId: graph.headers["request-id"],
                method: "GET",
                path: "/v1.0/things",
                query: "$top=1",
                status: 200,
                startedAt: expect.any(Number),
                endedAt: expect.any(Number),
                appId: tenant.clientId,
            },
        ]);
        expect(log.body.value[0].endedAt).toBeGreaterThanOrEqual(log.body.value[0].startedAt);
    });

    test("DELETE /_local/requests empties the log", async () => {
        await call(tenant, "GET", "/v1.0/things", { token });

        const cleared = await call(tenant, "DELETE", "/_local/requests");

        expect(cleared.status).toBe(204);
        expect(tenant.control.getRequests()).toEqual([]);
    });

    test("PUT /_local/throttling switches throttling", async () => {
        const off = await call(tenant, "PUT", "/_local/throttling", { body: { enabled: false } });
        const reads = await Promise.all(
            Array.from({ length: 7 }, () => call(tenant, "GET", "/v1.0/auditLogs/test", { token })),
        );
        await call(tenant, "PUT", "/_local/throttling", { body: { enabled: true } });

        expect(off.body.enabled).toBe(false);
        expect(reads.every((r) => r.status === 200)).toBe(true);
    });

    test("an unknown control endpoint is a 404 listing the known ones", async () => {
        const answer = await call(tenant, "POST", "/_local/reboot");

        expect(answer.status).toBe(404);
        expect(answer.body.error.message).toMatch(/GET\/PUT \/_local\/state/);
    });

    test("only loopback peers are answered", () => {
        expect(["127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.0.2"].map(isLoopback)).toEqual([
            true,
            true,
            true,
            true,
        ]);
        expect(["10.0.0.5", "::ffff:192.168.1.2", "fe80::1", undefined].map(isLoopback)).toEqual([
            false,
            false,
            false,
            false,
        ]);
    });
});
