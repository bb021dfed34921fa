import { GraphHttpError } from "../../local-tenant/contracts";
import { compileFilter } from "../../local-tenant/odata";
import type { LocalTenant } from "../../local-tenant/server";
import { call, closeAgents, getToken, startCoreTenant } from "./helpers";
import { TEST_ROLES, testRoutes, things } from "./test-routes";

function ids(filter: string): string[] {
    return things()
        .filter(compileFilter(filter))
        .map((t) => t.id as string);
}

describe("OData $filter parser", () => {
    test("comparisons on numbers, strings, booleans and null select the matching items", () => {
        expect(ids("size eq 3")).toEqual(["thing-03"]);
        expect(ids("size ge 23")).toEqual(["thing-23", "thing-24"]);
        expect(ids("size lt 2")).toEqual(["thing-00", "thing-01"]);
        expect(ids("displayName eq 'THING 7'")).toEqual(["thing-07"]);
        expect(ids("enabled eq false and size le 3")).toEqual(["thing-01", "thing-03"]);
        expect(ids("owner/department eq null and size le 2")).toEqual(["thing-01", "thing-02"]);
        expect(ids("owner/department ne null and size le 3")).toEqual(["thing-00", "thing-03"]);
    });

    test("and, or, not and parentheses combine with the usual precedence", () => {
        expect(ids("size eq 1 or size eq 2 and enabled eq true")).toEqual(["thing-01", "thing-02"]);
        expect(ids("(size eq 1 or size eq 2) and enabled eq true")).toEqual(["thing-02"]);
        expect(ids("not (size gt 1)")).toEqual(["thing-00", "thing-01"]);
    });

    test("startswith and endswith compare case-insensitively", () => {
        expect(ids("startswith(displayName, 'thing 2')")).toEqual([
            "thing-02",
            "thing-20",
            "thing-21",
            "thing-22",
            "thing-23",
            "thing-24",
        ]);
        expect(ids("endswith(displayName,'13')")).toEqual(["thing-13"]);
    });

    test("any() lambdas test collections of objects and of strings", () => {
        expect(ids("identities/any(c:c/issuerAssignedId eq 't4@contoso.example')")).toEqual([
            "thing-04",
        ]);
        expect(ids("tags/any(t:t eq 'red') and size gt 10")).toEqual(["thing-15", "thing-20"]);
        expect(ids("tags/all(t:t eq 'green') and size lt 2")).toEqual(["thing-01"]);
    });

    test("unquoted date-time literals compare as instants", () => {
        expect(ids("createdDateTime ge 2024-01-24T00:00:00Z")).toEqual(["thing-23", "thing-24"]);
        expect(ids("createdDateTime lt 2024-01-02T00:00:00.000Z")).toEqual(["thing-00"]);
    });

    test("in matches any listed literal and quotes are escaped by doubling", () => {
        expect(ids("id in ('thing-01', 'thing-09')")).toEqual(["thing-01", "thing-09"]);
        const quoted = [{ id: "a", name: "O'Brien" }].filter(compileFilter("name eq 'o''brien'"));
        expect(quoted).toHaveLength(1);
    });

    test.each([
        ["contains(displayName, 'x')", /function 'contains' is not supported/],
        ["size add 1 eq 2", /operator 'add' is not supported/],
        ["size eq", /ends too early/],
        ["(size eq 1", /expected '\)'/],
        ["displayName eq 'open", /unterminated string/],
    ])("an unsupported or broken filter %s is a 400 BadRequest that says why", (filter, why) => {
        let error: unknown;
        try {
            compileFilter(filter);
        } catch (err) {
            error = err;
        }
        expect(error).toBeInstanceOf(GraphHttpError);
        expect((error as GraphHttpError).status).toBe(400);
        expect((error as GraphHttpError).message).toMatch(why);
    });
});

describe("OData collections over HTTP", () => {
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

    test("following absolute @odata.nextLink links returns every item exactly once", async () => {
        const seen: string[] = [];
        let next: string | undefined = `${tenant.url}/v1.0/things`;
        let pages = 0;
        while (next) {
            expect(next.startsWith(`${tenant.url}/v1.0/things?`) || pages === 0).toBe(true);
            const answer = await call(tenant, "GET", next, { token });
            expect(answer.status).toBe(200);
            seen.push(...answer.body.value.map((v: { id: string }) => v.id));
            next = answer.body["@odata.nextLink"];
            pages++;
        }

        expect(pages).toBe(3);
        expect(seen).toEqual(things().map((t) => t.id));
    });

    test("$top sets the page size and the next link keeps $filter and $select", async () => {
        const first = await call(
            tenant,
            "GET",
            "/v1.0/things?$filter=enabled eq true&$select=id,size&$top=4",
            { token },
        );
        const second = await call(tenant, "GET", first.body["@odata.nextLink"], { token });

        expect(first.body.value).toEqual([
            { id: "thing-00", size: 0 },
            { id: "thing-02", size: 2 },
            { id: "thing-04", size: 4 },
            { id: "thing-06", size: 6 },
        ]);
        expect(first.body["@odata.context"]).toBe(`${tenant.url}/v1.0/$metadata#things(id,size)`);
        expect(second.body.value.map((v: { id: string }) => v.id)).toEqual([
            "thing-08",
            "thing-10",
            "thing-12",
            "thing-14",
        ]);
        expect(Object.keys(second.body.value[0])).toEqual(["id", "size"]);
    });

    test("$top above the maximum page size and a bad $skiptoken are 400", async () => {
        const [tooBig, badToken] = await Promise.all([
            call(tenant, "GET", "/v1.0/things?$top=21", { token }),
            call(tenant, "GET", "/v1.0/things?$skiptoken=nonsense", { token }),
        ]);

        expect(tooBig.status).toBe(400);
        expect(tooBig.body.error.message).toMatch(/between 1 and 20/);
        expect(badToken.status).toBe(400);
    });

    test("$orderby and $count apply before paging", async () => {
        const answer = await call(
            tenant,
            "GET",
            "/v1.0/things?$orderby=size desc&$top=2&$count=true&$filter=size lt 10",
            { token },
        );

        expect(answer.body["@odata.count"]).toBe(10);
        expect(answer.body.value.map((v: { size: number }) => v.size)).toEqual([9, 8]);
    });

    test("an unsupported $filter answers 400 with Graph's envelope", async () => {
        const answer = await call(
            tenant,
            "GET",
            `/v1.0/things?$filter=${encodeURIComponent("contains(displayName,'1')")}`,
            { token },
        );

        expect(answer.status).toBe(400);
        expect(answer.body.error.code).toBe("BadRequest");
        expect(answer.body.error.message).toMatch(/Invalid filter clause/);
    });

    test("entity() applies $select and names the entity in @odata.context", async () => {
        const answer = await call(tenant, "GET", "/v1.0/things/thing-05?$select=displayName", {
            token,
        });

        expect(answer.body).toEqual({
            "@odata.context": `${tenant.url}/v1.0/$metadata#things(displayName)/$entity`,
            displayName: "Thing 5",
        });
    });
});
