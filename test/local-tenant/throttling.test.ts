import { Throttler, type Admission } from "../../local-tenant/throttling";
import type { LocalTenant } from "../../local-tenant/server";
import { CONTOSO, startScenarioTenant, tokenWith } from "./graph-support";
import { call, closeAgents, getToken, startCoreTenant } from "./helpers";
import { TEST_ROLES, gate, testRoutes } from "./test-routes";

const key = { appId: "app-1", tenantId: "tenant-1" };

function rejected(a: Admission): Extract<Admission, { admitted: false }> {
    if (a.admitted) throw new Error("expected a rejection");
    return a;
}

describe("throttling buckets", () => {
    let now = 0;
    let throttler: Throttler;

    beforeEach(() => {
        now = 1_000_000;
        throttler = new Throttler(() => now);
    });

    test("directory writes allow 3,000 per 150 s per app and tenant, then 429 with Retry-After", () => {
        for (let i = 0; i < 3000; i++) {
            now += 10;
            expect(throttler.admit("directory-write", key).admitted).toBe(true);
        }

        const refusal = rejected(throttler.admit("directory-write", key));

        // The first write was 29.99 s ago and the window is 150 s: it frees in 120.01 s.
        expect(refusal.retryAfterSeconds).toBe(121);
        expect(throttler.admit("directory-write", { ...key, appId: "app-2" }).admitted).toBe(true);
        now += 120_010;
        expect(throttler.admit("directory-write", key).admitted).toBe(true);
    });

    test("sign-in and audit log reads allow 5 per 10 s per app and tenant", () => {
        for (let i = 0; i < 5; i++) expect(throttler.admit("audit-logs", key).admitted).toBe(true);

        expect(rejected(throttler.admit("audit-logs", key)).retryAfterSeconds).toBe(10);
        now += 10_000;
        expect(throttler.admit("audit-logs", key).admitted).toBe(true);
    });

    test("Conditional Access writes allow 1 per second per tenant and send no Retry-After", () => {
        expect(throttler.admit("conditional-access-write", key).admitted).toBe(true);

        const otherApp = rejected(
            throttler.admit("conditional-access-write", { ...key, appId: "app-2" }),
        );

        expect(otherApp.retryAfterSeconds).toBeUndefined();
        now += 1000;
        expect(throttler.admit("conditional-access-write", key).admitted).toBe(true);
    });

    test("Outlook allows 4 concurrent requests per mailbox and frees a slot on release", () => {
        const running = Array.from({ length: 4 }, () =>
            throttler.admit("outlook", { ...key, mailbox: "m1" }),
        );
        expect(running.every((a) => a.admitted)).toBe(true);

        const fifth = rejected(throttler.admit("outlook", { ...key, mailbox: "m1" }));
        expect(fifth.code).toBe("ApplicationThrottled");
        expect(fifth.message).toMatch(/MailboxConcurrency/);
        expect(throttler.admit("outlook", { ...key, mailbox: "m2" }).admitted).toBe(true);

        if (running[0].admitted) running[0].release();
        expect(throttler.admit("outlook", { ...key, mailbox: "m1" }).admitted).toBe(true);
    });

    test("Outlook allows 10,000 requests per 10 minutes per app and mailbox", () => {
        for (let i = 0; i < 10_000; i++) {
            const a = throttler.admit("outlook", { ...key, mailbox: "m1" });
            if (a.admitted) a.release();
        }

        const refusal = rejected(throttler.admit("outlook", { ...key, mailbox: "m1" }));

        expect(refusal.retryAfterSeconds).toBe(600);
        expect(throttler.admit("outlook", { ...key, appId: "app-2", mailbox: "m1" }).admitted).toBe(
            true,
        );
    });

    test("switched off, nothing is throttled", () => {
        throttler.enabled = false;

        const results = Array.from(
            { length: 20 },
            () => throttler.admit("audit-logs", key).admitted,
        );

        expect(results.every(Boolean)).toBe(true);
    });
});

describe("throttling over HTTP", () => {
    let tenant: LocalTenant;
    let token: string;

    beforeAll(async () => {
        tenant = await startCoreTenant({ routes: testRoutes, grantedGraphRoles: TEST_ROLES });
        token = await getToken(tenant);
    });
    afterAll(async () => {
        gate.releaseAll();
        closeAgents();
        await tenant.stop();
    });

    test("the sixth audit log read within 10 s gets 429 with Retry-After in Graph's envelope", async () => {
        const answers = [];
        for (let i = 0; i < 6; i++)
            answers.push(await call(tenant, "GET", "/v1.0/auditLogs/test", { token }));

        const last = answers[5];
        expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
        expect(last.status).toBe(429);
        expect(Number(last.headers["retry-after"])).toBeGreaterThanOrEqual(1);
        expect(last.body.error.code).toBe("TooManyRequests");
    });

    test("a second Conditional Access write in the same second gets 429 without Retry-After", async () => {
        const first = await call(tenant, "POST", "/v1.0/identity/conditionalAccess/test", {
            token,
            body: {},
        });
        const second = await call(tenant, "POST", "/v1.0/identity/conditionalAccess/test", {
            token,
            body: {},
        });

        expect(first.status).toBe(201);
        expect(second.status).toBe(429);
        expect(second.headers["retry-after"]).toBeUndefined();
    });

    test("a fifth concurrent Outlook request on one mailbox gets 429 while another mailbox is served", async () => {
        const held = Array.from({ length: 4 }, () =>
            call(tenant, "GET", "/v1.0/users/u1/slowRules", { token }),
        );
        while (gate.waiting.length < 4) await new Promise((r) => setTimeout(r, 5));

        const fifth = await call(tenant, "GET", "/v1.0/users/u1/slowRules", { token });
        const other = call(tenant, "GET", "/v1.0/users/u2/slowRules", { token });
        while (gate.waiting.length < 5) await new Promise((r) => setTimeout(r, 5));
        gate.releaseAll();

        expect(fifth.status).toBe(429);
        expect(fifth.body.error.code).toBe("ApplicationThrottled");
        expect(fifth.headers["retry-after"]).toBe("1");
        expect((await Promise.all(held)).map((a) => a.status)).toEqual([200, 200, 200, 200]);
        expect((await other).status).toBe(200);
    });

    test("with throttling switched off the same reads all succeed", async () => {
        tenant.control.setThrottling(false);
        try {
            const answers = await Promise.all(
                Array.from({ length: 8 }, () =>
                    call(tenant, "GET", "/v1.0/auditLogs/test", { token }),
                ),
            );

            expect(answers.every((a) => a.status === 200)).toBe(true);
        } finally {
            tenant.control.setThrottling(true);
        }
    });
});

describe("Outlook concurrency of direct requests under latency", () => {
    // The injected latency stands for the time a request is in flight, so a request holds its
    // mailbox slot through it: 12 requests at once on one mailbox leave 8 to be refused.
    let tenant: LocalTenant;
    let graphToken: string;
    let exchangeToken: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant("contoso-bec", { throttling: true });
        const app = tenant.control.getState().apps[0];
        app.exchangeManageAsApp = true;
        app.exchangeRoles = ["Mail Recipients"];
        exchangeToken = await getToken(tenant, "https://outlook.office365.com");
        graphToken = await tokenWith(tenant, ["MailboxSettings.ReadWrite", "User.Read.All"]);
        // Twelve connections opened before the latency starts, so all twelve requests below
        // arrive while the first four are still in flight.
        await Promise.all(
            Array.from({ length: 12 }, () =>
                call(tenant, "GET", `/v1.0/users/${CONTOSO.megan.id}`, { token: graphToken }),
            ),
        );
        tenant.control.setFaults({ latencyMs: 1000 });
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    test("12 concurrent Graph requests on one mailbox: 4 are served, 8 get 429 with Retry-After", async () => {
        const answers = await Promise.all(
            Array.from({ length: 12 }, () =>
                call(
                    tenant,
                    "GET",
                    `/v1.0/users/${CONTOSO.megan.id}/mailFolders/inbox/messageRules`,
                    {
                        token: graphToken,
                    },
                ),
            ),
        );

        const refused = answers.filter((a) => a.status === 429);
        expect(answers.map((a) => a.status).sort()).toEqual([
            ...Array(4).fill(200),
            ...Array(8).fill(429),
        ]);
        expect(refused.every((a) => a.headers["retry-after"] === "1")).toBe(true);
        expect(refused[0].body.error.code).toBe("ApplicationThrottled");
    });

    test("12 concurrent InvokeCommand requests anchored on one mailbox: 4 run, 8 get 429 with Retry-After", async () => {
        const answers = await Promise.all(
            Array.from({ length: 12 }, () =>
                call(tenant, "POST", `/adminapi/beta/${tenant.tenantId}/InvokeCommand`, {
                    token: exchangeToken,
                    headers: { "X-AnchorMailbox": `UPN:${CONTOSO.megan.upn}` },
                    body: {
                        CmdletInput: {
                            CmdletName: "Get-Mailbox",
                            Parameters: { Identity: CONTOSO.megan.upn },
                        },
                    },
                }),
            ),
        );

        const refused = answers.filter((a) => a.status === 429);
        expect(answers.map((a) => a.status).sort()).toEqual([
            ...Array(4).fill(200),
            ...Array(8).fill(429),
        ]);
        expect(refused.every((a) => a.headers["retry-after"] === "1")).toBe(true);
    });
});
