import { createHash } from "crypto";
import type { LocalTenant } from "../../local-tenant/server";
import { DEFAULT_THROTTLE_LIMITS, ThrottleConfigError } from "../../local-tenant/throttling";
import { call, closeAgents, getToken, startCoreTenant } from "./helpers";
import { TEST_ROLES, testCmdlets, testRoutes } from "./test-routes";

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * Configurable bucket limits (control API and in-process) and the request-log fields that let
 * a benchmark match every throttled request to its retry: Retry-After, body fingerprint,
 * cmdlet and anchor mailbox, `$batch` items.
 */
describe("local tenant throttle limits and request log", () => {
    let tenant: LocalTenant;
    let graphToken: string;
    let exchangeToken: string;
    const invoke = (cmdlet: string, parameters: Record<string, unknown>, anchor?: string) =>
        call(tenant, "POST", `/adminapi/beta/${tenant.tenantId}/InvokeCommand`, {
            token: exchangeToken,
            headers: anchor ? { "X-AnchorMailbox": anchor } : {},
            body: { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } },
        });

    beforeAll(async () => {
        tenant = await startCoreTenant({
            routes: testRoutes,
            cmdlets: testCmdlets,
            grantedGraphRoles: TEST_ROLES,
            throttleLimits: { "audit-logs": { limit: 7 } },
        });
        graphToken = await getToken(tenant);
        exchangeToken = await getToken(tenant, "https://outlook.office365.com");
    });
    afterEach(async () => {
        await tenant.control.setFaults({});
        tenant.control.setThrottling(true);
        tenant.control.setThrottleLimits({
            "directory-write": null,
            "audit-logs": null,
            "conditional-access-write": null,
            outlook: null,
        });
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    // First test of the file: afterEach sets every bucket back to Microsoft's limit after it.
    test("the start-up option replaces only what it names and keeps Microsoft's other limits", () => {
        const limits = tenant.control.getThrottling();

        expect(limits["audit-logs"]).toEqual({ limit: 7, windowSeconds: 10 });
        expect(limits["directory-write"]).toEqual({ limit: 3000, windowSeconds: 150 });
        expect(limits.outlook).toEqual({ limit: 10_000, windowSeconds: 600, concurrency: 4 });
    });

    test("GET /_local/throttling shows whether it is on and every bucket's limit", async () => {
        const answer = await call(tenant, "GET", "/_local/throttling");

        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ enabled: true, ...DEFAULT_THROTTLE_LIMITS });
    });

    test("PUT /_local/throttling with a smaller directory-write quota makes the next write a 429 with Retry-After", async () => {
        const set = await call(tenant, "PUT", "/_local/throttling", {
            body: { "directory-write": { limit: 2, windowSeconds: 30 } },
        });
        const writes = [];
        for (let i = 0; i < 3; i++) {
            writes.push(
                await call(tenant, "POST", "/v1.0/directory/notes", {
                    token: graphToken,
                    body: { name: `note ${i}` },
                }),
            );
        }

        expect(set.status).toBe(200);
        expect(set.body["directory-write"]).toEqual({ limit: 2, windowSeconds: 30 });
        expect(set.body["audit-logs"]).toEqual(DEFAULT_THROTTLE_LIMITS["audit-logs"]);
        expect(writes.map((w) => w.status)).toEqual([201, 201, 429]);
        expect(Number(writes[2].headers["retry-after"])).toBeGreaterThanOrEqual(29);
        expect(writes[2].body.error.message).toMatch(/directory writes \(2 per 30 seconds/);
    });

    test("a null bucket goes back to Microsoft's limit and its counts start over", async () => {
        tenant.control.setThrottleLimits({ "directory-write": { limit: 1, windowSeconds: 60 } });
        await call(tenant, "POST", "/v1.0/directory/notes", { token: graphToken, body: {} });

        const reset = await call(tenant, "PUT", "/_local/throttling", {
            body: { "directory-write": null },
        });
        const next = await call(tenant, "POST", "/v1.0/directory/notes", {
            token: graphToken,
            body: {},
        });

        expect(reset.body["directory-write"]).toEqual(DEFAULT_THROTTLE_LIMITS["directory-write"]);
        expect(next.status).toBe(201);
    });

    test("the Outlook concurrency per mailbox can be changed in-process", async () => {
        const limits = tenant.control.setThrottleLimits({ outlook: { concurrency: 1 } });

        expect(limits.outlook).toEqual({ limit: 10_000, windowSeconds: 600, concurrency: 1 });
        expect(tenant.control.getThrottling().outlook.concurrency).toBe(1);
    });

    test("PUT /_local/throttling with an unknown bucket is a 400 naming it and changes nothing", async () => {
        const answer = await call(tenant, "PUT", "/_local/throttling", {
            body: { "directory-write": { limit: 5 }, "mail-send": { limit: 1 } },
        });

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toMatch(/Unknown throttling bucket 'mail-send'/);
        expect(tenant.control.getThrottling()["directory-write"]).toEqual(
            DEFAULT_THROTTLE_LIMITS["directory-write"],
        );
    });

    test.each([
        [
            { "directory-write": { limit: 0 } },
            /directory-write\.limit must be a positive whole number, got 0/,
        ],
        [
            { "audit-logs": { windowSeconds: -1 } },
            /audit-logs\.windowSeconds must be a number of seconds above 0/,
        ],
        [
            { "audit-logs": { concurrency: 2 } },
            /audit-logs\.concurrency is not a setting of this bucket/,
        ],
        [{ enabled: "yes" }, /enabled must be true or false, got "yes"/],
    ])("PUT /_local/throttling %j is a 400 saying what is wrong", async (body, message) => {
        const answer = await call(tenant, "PUT", "/_local/throttling", { body });

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toMatch(message);
    });

    test("a bad limit given in-process throws ThrottleConfigError", () => {
        expect(() =>
            tenant.control.setThrottleLimits({ "directory-write": { limit: 2.5 } }),
        ).toThrow(ThrottleConfigError);
    });

    test("PUT /_local/throttling switches throttling off and on with the limits in the answer", async () => {
        const off = await call(tenant, "PUT", "/_local/throttling", { body: { enabled: false } });
        const on = await call(tenant, "PUT", "/_local/throttling", { body: { enabled: true } });

        expect(off.body).toEqual({ ...DEFAULT_THROTTLE_LIMITS, enabled: false });
        expect(on.body.enabled).toBe(true);
    });

    test("a throttled Graph request is logged with the Retry-After it was sent, its bucket and its body fingerprint", async () => {
        tenant.control.setThrottleLimits({ "directory-write": { limit: 1, windowSeconds: 20 } });
        await call(tenant, "POST", "/v1.0/directory/notes", { token: graphToken, body: {} });
        tenant.control.clearRequests();

        const refused = await call(tenant, "POST", "/v1.0/directory/notes", {
            token: graphToken,
            body: '{"name": "x"}',
        });
        const [entry] = tenant.control.getRequests();

        expect(refused.status).toBe(429);
        expect(entry).toMatchObject({
            requestId: refused.headers["request-id"],
            status: 429,
            retryAfterSeconds: Number(refused.headers["retry-after"]),
            bucket: "directory-write",
            // The JSON is re-serialised, so spacing does not change the fingerprint.
            bodySha256: sha256('{"name":"x"}'),
        });
    });

    test("a Graph request without a body and without Retry-After logs neither", async () => {
        tenant.control.clearRequests();

        await call(tenant, "GET", "/v1.0/things?$top=1", { token: graphToken });
        const [entry] = tenant.control.getRequests();

        expect(entry.bodySha256).toBeUndefined();
        expect(entry.retryAfterSeconds).toBeUndefined();
        expect(entry.bucket).toBeUndefined();
    });

    test("an InvokeCommand answered 429 by an injected fault still names its cmdlet, anchor mailbox and Retry-After", async () => {
        tenant.control.setFaults({
            failNth: [{ pathPattern: "InvokeCommand", n: 1, status: 429 }],
            retryAfterSeconds: 3,
        });
        tenant.control.clearRequests();
        const parameters = { Identity: "megan@contoso.example", ForwardingSmtpAddress: null };

        const answer = await invoke("Set-TestMailbox", parameters, "UPN:megan@contoso.example");
        const [entry] = tenant.control.getRequests();

        expect(answer.status).toBe(429);
        expect(entry).toMatchObject({
            status: 429,
            cmdlet: "Set-TestMailbox",
            anchorMailbox: "UPN:megan@contoso.example",
            retryAfterSeconds: 3,
            bodySha256: sha256(
                JSON.stringify({
                    CmdletInput: { CmdletName: "Set-TestMailbox", Parameters: parameters },
                }),
            ),
        });
    });

    test("a throttled $batch item is logged with its item id, Retry-After and the fingerprint of its body", async () => {
        tenant.control.setThrottleLimits({ "directory-write": { limit: 1, windowSeconds: 20 } });
        tenant.control.clearRequests();

        const batch = await call(tenant, "POST", "/v1.0/$batch", {
            token: graphToken,
            body: {
                requests: [
                    { id: "a", method: "POST", url: "/directory/notes", body: { name: "a" } },
                    {
                        id: "b",
                        method: "POST",
                        url: "directory/notes",
                        body: { name: "b" },
                        dependsOn: ["a"],
                    },
                ],
            },
        });
        const log = tenant.control.getRequests();
        const item = log.find((e) => e.batch?.itemId === "b")!;
        const throttled = batch.body.responses.find((r: { id: string }) => r.id === "b");

        expect(throttled.status).toBe(429);
        expect(item).toMatchObject({
            method: "POST",
            path: "/v1.0/directory/notes",
            status: 429,
            retryAfterSeconds: Number(throttled.headers["Retry-After"]),
            bodySha256: sha256('{"name":"b"}'),
            bucket: "directory-write",
            batch: { batchRequestId: batch.headers["request-id"], itemId: "b" },
        });
    });

    test("a $batch envelope answered as a whole by a fault lists the items it carried", async () => {
        tenant.control.setFaults({
            failNth: [{ pathPattern: "^/v1\\.0/\\$batch$", n: 1, status: 429 }],
            retryAfterSeconds: 2,
        });
        tenant.control.clearRequests();

        const batch = await call(tenant, "POST", "/v1.0/$batch", {
            token: graphToken,
            body: {
                requests: [
                    { id: "1", method: "get", url: "/things?$top=1" },
                    { id: "2", method: "POST", url: "/directory/notes", body: { name: "n" } },
                ],
            },
        });
        const log = tenant.control.getRequests();

        expect(batch.status).toBe(429);
        expect(log).toHaveLength(1);
        expect(log[0]).toMatchObject({ status: 429, retryAfterSeconds: 2 });
        expect(log[0].items).toEqual([
            { id: "1", method: "GET", path: "/v1.0/things", query: "$top=1" },
            {
                id: "2",
                method: "POST",
                path: "/v1.0/directory/notes",
                bodySha256: sha256('{"name":"n"}'),
            },
        ]);
    });
});
