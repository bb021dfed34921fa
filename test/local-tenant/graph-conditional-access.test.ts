/**
 * Conditional Access policies and named locations through Graph on the local tenant, v1.0
 * and beta. The baseline's policies must be refused here exactly when Graph would refuse
 * them, and token protection must exist only in beta.
 */
import type { LocalTenant } from "../../local-tenant/server";
import {
    CONTOSO,
    closeAgents,
    graph,
    mfaPolicy,
    startScenarioTenant,
    tokenWith,
} from "./graph-support";

const POLICIES = "/identity/conditionalAccess/policies";
const LOCATIONS = "/identity/conditionalAccess/namedLocations";

describe("Graph Conditional Access on the local tenant", () => {
    let tenant: LocalTenant;
    let token: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
        token = await tokenWith(tenant, [
            "Policy.Read.All",
            "Policy.ReadWrite.ConditionalAccess",
            "Application.Read.All",
        ]);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    const policies = () => tenant.control.getState().conditionalAccess.policies;

    test("a valid policy is created with Graph's defaults filled in", async () => {
        const answer = await graph(tenant, token, "POST", `/v1.0${POLICIES}`, mfaPolicy());

        expect(answer.status).toBe(201);
        expect(answer.body).toMatchObject({
            state: "enabledForReportingButNotEnforced",
            sessionControls: null,
            modifiedDateTime: null,
            conditions: {
                users: { includeRoles: [], excludeGroups: [CONTOSO.groups.breakGlass] },
                signInRiskLevels: [],
            },
            grantControls: { operator: "OR", builtInControls: ["mfa"], termsOfUse: [] },
        });
        expect(policies().map((p) => p.id)).toContain(answer.body.id);
    });

    test("a policy state outside the three Graph knows is refused", async () => {
        const answer = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({ state: "on" }),
        );

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toContain("state");
    });

    test("a policy without users or applications is refused", async () => {
        const noUsers = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({ conditions: { applications: { includeApplications: ["All"] } } }),
        );
        const noApps = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({ conditions: { users: { includeUsers: ["All"] } } }),
        );

        expect([noUsers.status, noApps.status]).toEqual([400, 400]);
    });

    test("a policy without grant or session controls is refused", async () => {
        const answer = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({ grantControls: null }),
        );

        expect(answer.status).toBe(400);
    });

    test("block cannot be combined with other grant controls", async () => {
        const answer = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({ grantControls: { operator: "OR", builtInControls: ["block", "mfa"] } }),
        );

        expect(answer.status).toBe(400);
    });

    test("writing the application condition needs Application.Read.All as well", async () => {
        const narrow = await tokenWith(tenant, [
            "Policy.Read.All",
            "Policy.ReadWrite.ConditionalAccess",
        ]);

        const answer = await graph(tenant, narrow, "POST", `/v1.0${POLICIES}`, mfaPolicy());

        expect(answer.status).toBe(403);
        expect(answer.body.error.message).toContain("Application.Read.All");
    });

    test("writes need Policy.Read.All besides Policy.ReadWrite.ConditionalAccess", async () => {
        const narrow = await tokenWith(tenant, [
            "Policy.ReadWrite.ConditionalAccess",
            "Application.Read.All",
        ]);

        const answer = await graph(tenant, narrow, "POST", `/v1.0${POLICIES}`, mfaPolicy());

        expect(answer.status).toBe(403);
    });

    test("token protection is kept in beta and hidden from v1.0", async () => {
        const created = await graph(
            tenant,
            token,
            "POST",
            `/beta${POLICIES}`,
            mfaPolicy({
                displayName: "Token protection",
                grantControls: null,
                sessionControls: { secureSignInSession: { isEnabled: true } },
            }),
        );

        const beta = await graph(tenant, token, "GET", `/beta${POLICIES}/${created.body.id}`);
        const v1 = await graph(tenant, token, "GET", `/v1.0${POLICIES}/${created.body.id}`);
        expect(created.status).toBe(201);
        expect(beta.body.sessionControls.secureSignInSession).toEqual({ isEnabled: true });
        expect(v1.body.sessionControls).not.toHaveProperty("secureSignInSession");
    });

    test("v1.0 refuses token protection on input", async () => {
        const answer = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({ sessionControls: { secureSignInSession: { isEnabled: true } } }),
        );

        expect(answer.status).toBe(400);
    });

    test("a PATCH merges conditions and is checked as a whole", async () => {
        const created = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({ displayName: "To change" }),
        );

        const good = await graph(tenant, token, "PATCH", `/v1.0${POLICIES}/${created.body.id}`, {
            conditions: { signInRiskLevels: ["high", "medium"] },
        });
        const bad = await graph(tenant, token, "PATCH", `/v1.0${POLICIES}/${created.body.id}`, {
            state: "sometimes",
        });

        const stored = policies().find((p) => p.id === created.body.id)!;
        expect([good.status, bad.status]).toEqual([204, 400]);
        expect(stored.conditions).toMatchObject({
            signInRiskLevels: ["high", "medium"],
            applications: { includeApplications: ["All"] },
        });
        expect(stored.state).toBe("enabledForReportingButNotEnforced");
        expect(stored.modifiedDateTime).not.toBeNull();
    });

    test("a policy is deleted and then not found", async () => {
        const created = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({ displayName: "To delete" }),
        );

        const deleted = await graph(tenant, token, "DELETE", `/v1.0${POLICIES}/${created.body.id}`);
        const read = await graph(tenant, token, "GET", `/v1.0${POLICIES}/${created.body.id}`);

        expect(deleted.status).toBe(204);
        expect(read.status).toBe(404);
    });

    test("a country named location takes ISO 3166-1 alpha-2 codes only", async () => {
        const good = await graph(tenant, token, "POST", `/v1.0${LOCATIONS}`, {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            displayName: "Operating countries",
            countriesAndRegions: ["US", "GB", "NL"],
        });
        const bad = await graph(tenant, token, "POST", `/v1.0${LOCATIONS}`, {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            displayName: "Typo",
            countriesAndRegions: ["UK"],
        });

        expect(good.status).toBe(201);
        expect(good.body).toMatchObject({
            includeUnknownCountriesAndRegions: false,
            countriesAndRegions: ["US", "GB", "NL"],
        });
        expect(bad.status).toBe(400);
        expect(bad.body.error.message).toContain("'UK'");
    });

    test("an IP named location needs valid CIDR ranges", async () => {
        const answer = await graph(tenant, token, "POST", `/v1.0${LOCATIONS}`, {
            "@odata.type": "#microsoft.graph.ipNamedLocation",
            displayName: "Office",
            ipRanges: [
                {
                    "@odata.type": "#microsoft.graph.iPv4CidrRange",
                    cidrAddress: "131.107.300.0/24",
                },
            ],
        });

        expect(answer.status).toBe(400);
    });

    test("a policy may name only existing locations, and a used location cannot be deleted", async () => {
        const location = await graph(tenant, token, "POST", `/v1.0${LOCATIONS}`, {
            "@odata.type": "#microsoft.graph.ipNamedLocation",
            displayName: "Head office",
            isTrusted: true,
            ipRanges: [
                {
                    "@odata.type": "#microsoft.graph.iPv4CidrRange",
                    cidrAddress: "131.107.159.0/24",
                },
            ],
        });
        const unknown = await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({
                conditions: {
                    ...mfaPolicy().conditions,
                    locations: {
                        includeLocations: ["All"],
                        excludeLocations: ["11111111-2222-3333-4444-555555555555"],
                    },
                },
            }),
        );
        await graph(
            tenant,
            token,
            "POST",
            `/v1.0${POLICIES}`,
            mfaPolicy({
                displayName: "Uses head office",
                conditions: {
                    ...mfaPolicy().conditions,
                    locations: { includeLocations: ["All"], excludeLocations: [location.body.id] },
                },
            }),
        );

        const deleted = await graph(
            tenant,
            token,
            "DELETE",
            `/v1.0${LOCATIONS}/${location.body.id}`,
        );

        expect(unknown.status).toBe(400);
        expect(deleted.status).toBe(400);
        expect(deleted.body.error.message).toContain("Uses head office");
    });

    test("named locations filter by type with isof()", async () => {
        const answer = await graph(
            tenant,
            token,
            "GET",
            `/v1.0${LOCATIONS}?$filter=isof('microsoft.graph.countryNamedLocation')`,
        );

        expect(answer.status).toBe(200);
        expect(answer.body.value.length).toBeGreaterThan(0);
        for (const location of answer.body.value) {
            expect(location["@odata.type"]).toBe("#microsoft.graph.countryNamedLocation");
        }
    });

    test("a named location PATCH must restate its @odata.type", async () => {
        const created = await graph(tenant, token, "POST", `/v1.0${LOCATIONS}`, {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            displayName: "Blocked countries",
            countriesAndRegions: ["KP"],
        });

        const without = await graph(
            tenant,
            token,
            "PATCH",
            `/v1.0${LOCATIONS}/${created.body.id}`,
            { countriesAndRegions: ["KP", "IR"] },
        );
        const withType = await graph(
            tenant,
            token,
            "PATCH",
            `/v1.0${LOCATIONS}/${created.body.id}`,
            {
                "@odata.type": "#microsoft.graph.countryNamedLocation",
                countriesAndRegions: ["KP", "IR"],
            },
        );

        expect([without.status, withType.status]).toEqual([400, 204]);
    });

    test("Conditional Access writes count against their bucket: 429 without Retry-After", async () => {
        tenant.control.setThrottling(true);
        try {
            const answers = await Promise.all(
                [1, 2, 3].map((n) =>
                    graph(
                        tenant,
                        token,
                        "POST",
                        `/v1.0${POLICIES}`,
                        mfaPolicy({ displayName: `Burst ${n}` }),
                    ),
                ),
            );

            const throttled = answers.filter((a) => a.status === 429);
            expect(throttled.length).toBeGreaterThan(0);
            expect(throttled[0].headers["retry-after"]).toBeUndefined();
        } finally {
            tenant.control.setThrottling(false);
        }
    });
});
