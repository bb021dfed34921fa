import type { GraphRoute } from "../../local-tenant/contracts";
import { GraphEngine, type GraphEngineHost } from "../../local-tenant/graph-engine";
import type { LocalTenant } from "../../local-tenant/server";
import { SECOND_APP, call, closeAgents, getToken, startCoreTenant } from "./helpers";
import { TEST_ROLES, testRoutes } from "./test-routes";

describe("local tenant Graph request pipeline", () => {
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

    test("a request without a token gets 401 InvalidAuthenticationToken in Graph's envelope", async () => {
        const answer = await call(tenant, "GET", "/v1.0/things", {
            headers: { "client-request-id": "abc-123" },
        });

        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({
            error: {
                code: "InvalidAuthenticationToken",
                message: "Access token is empty.",
                innerError: {
                    date: expect.any(String),
                    "request-id": expect.any(String),
                    "client-request-id": "abc-123",
                },
            },
        });
        expect(answer.headers["request-id"]).toBe(answer.body.error.innerError["request-id"]);
        expect(answer.headers["client-request-id"]).toBe("abc-123");
    });

    test("a token for the Exchange audience is refused by Graph with 401", async () => {
        const exchangeToken = await getToken(tenant, "https://outlook.office365.com");

        const answer = await call(tenant, "GET", "/v1.0/things", { token: exchangeToken });

        expect(answer.status).toBe(401);
        expect(answer.body.error.code).toBe("InvalidAuthenticationToken");
        expect(answer.body.error.message).toMatch(/Invalid audience/);
    });

    test("a forged or garbled token gets 401", async () => {
        const [header, payload] = token.split(".");
        const forged = `${header}.${payload}.${Buffer.from("not the signature").toString("base64url")}`;

        const answers = await Promise.all([
            call(tenant, "GET", "/v1.0/things", { token: forged }),
            call(tenant, "GET", "/v1.0/things", { token: "garbage" }),
        ]);

        expect(answers.map((a) => a.status)).toEqual([401, 401]);
    });

    test("an expired token gets 401 with the lifetime message", async () => {
        const stale = await getToken(tenant);
        tenant.control.advanceClock(61 * 60_000);
        try {
            const answer = await call(tenant, "GET", "/v1.0/things", { token: stale });

            expect(answer.status).toBe(401);
            expect(answer.body.error.message).toMatch(/token is expired/);
        } finally {
            tenant.control.advanceClock(-61 * 60_000);
        }
    });

    test("a route whose permission the app lacks gets 403 Authorization_RequestDenied", async () => {
        const answer = await call(tenant, "POST", "/v1.0/things", { token, body: {} });

        expect(answer.status).toBe(403);
        expect(answer.body.error.code).toBe("Authorization_RequestDenied");
        expect(answer.body.error.message).toBe(
            "Insufficient privileges to complete the operation.",
        );
        expect(answer.headers["x-local-tenant-required-permissions"]).toMatch(/Test.ReadWrite.All/);
    });

    test("an allOf permission is required on top of anyOf", async () => {
        const answer = await call(tenant, "PATCH", "/v1.0/policies/test", { token, body: {} });

        expect(answer.status).toBe(403);
    });

    test("an app granted nothing gets 403 where the first app gets 200", async () => {
        const bare = await getToken(tenant, "https://graph.microsoft.com", SECOND_APP);

        const [denied, allowed] = await Promise.all([
            call(tenant, "GET", "/v1.0/things", { token: bare }),
            call(tenant, "GET", "/v1.0/things", { token }),
        ]);

        expect([denied.status, allowed.status]).toEqual([403, 200]);
    });

    test("an unknown path gets 404 in Graph's envelope and a wrong method 405", async () => {
        const [unknown, wrongMethod] = await Promise.all([
            call(tenant, "GET", "/v1.0/nothing/here", { token }),
            call(tenant, "DELETE", "/v1.0/things", { token }),
        ]);

        expect(unknown.status).toBe(404);
        expect(unknown.body.error.innerError["request-id"]).toBe(unknown.headers["request-id"]);
        expect(wrongMethod.status).toBe(405);
    });

    test("an unknown one-segment path gets 404 for every method, whatever the token holds", async () => {
        const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
        // Node's client sends a GET or DELETE body without a length: send none there.
        const body = (method: string) =>
            ["POST", "PUT", "PATCH"].includes(method) ? {} : undefined;

        const answers = await Promise.all(
            methods.map((method) =>
                call(tenant, method, "/v1.0/nothingHere", { token, body: body(method) }),
            ),
        );

        expect(answers.map((a) => a.status)).toEqual(methods.map(() => 404));
        expect(answers.map((a) => a.body.error.code)).toEqual(
            methods.map(() => "ResourceNotFound"),
        );
    });

    test("a parameter inside a segment matches the text between its literals, case-insensitively and URL-decoded", async () => {
        const answer = await call(tenant, "GET", "/v1.0/THINGS(Name=%27a%20b%27,SIZE=7)", {
            token,
        });

        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ name: "a b", size: "7" });
    });

    test("a segment that does not fit a pattern's literals is a 404, another method on one that does a 405", async () => {
        const [partial, empty, wrongMethod] = await Promise.all([
            call(tenant, "GET", "/v1.0/things(name='a')", { token }),
            call(tenant, "GET", "/v1.0/things(name='',size=1)", { token }),
            call(tenant, "DELETE", "/v1.0/things(name='a',size=1)", { token }),
        ]);

        expect([partial.status, empty.status, wrongMethod.status]).toEqual([404, 404, 405]);
    });

    test("a route pattern with touching or repeated parameters fails the start, naming the pattern", () => {
        const route = (pattern: string): GraphRoute => ({
            method: "GET",
            pattern,
            permissions: { anyOf: [] },
            handler: () => ({ status: 204 }),
        });
        const host = {} as GraphEngineHost;

        expect(() => new GraphEngine(host, [route("/x({a}{b})")])).toThrow(
            "Graph route pattern '/x({a}{b})': two parameters touch",
        );
        expect(() => new GraphEngine(host, [route("/x/{a}/y({a})")])).toThrow(
            "parameter '{a}' is used twice",
        );
        expect(() => new GraphEngine(host, [route("/x(a={a)")])).toThrow(
            "a brace does not belong to a {name}",
        );
    });

    test("route literals match case-insensitively and parameters are URL-decoded", async () => {
        const answer = await call(tenant, "GET", "/beta/THINGS/thing%2D03", { token });

        expect(answer.status).toBe(200);
        expect(answer.body.id).toBe("thing-03");
    });

    test("a handler's GraphHttpError keeps its status and code", async () => {
        const answer = await call(tenant, "GET", "/v1.0/things/nope", { token });

        expect(answer.status).toBe(404);
        expect(answer.body.error.code).toBe("Request_ResourceNotFound");
    });

    test("a bug in a handler becomes a 500 in Graph's envelope, not a dropped connection", async () => {
        const spy = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
        try {
            const answer = await call(tenant, "GET", "/v1.0/broken", { token });

            expect(answer.status).toBe(500);
            expect(answer.body.error.message).toMatch(/deliberate bug/);
        } finally {
            spy.mockRestore();
        }
    });

    test("a body that is not JSON gets 400", async () => {
        const answer = await call(tenant, "POST", "/v1.0/directory/notes", {
            token,
            body: "{not json",
        });

        expect(answer.status).toBe(400);
        expect(answer.body.error.code).toBe("BadRequest");
    });
});
