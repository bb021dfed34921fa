/**
 * Sign-in and directory audit logs through Graph on the local tenant, with the filters an
 * investigation uses. Wrong order or a filter that silently matches nothing would hide the
 * first suspicious sign-in or the attacker's changes.
 */
import type { LocalTenant } from "../../local-tenant/server";
import { CONTOSO, closeAgents, graph, startScenarioTenant, tokenWith } from "./graph-support";

const { megan, pradeep, attackerIp } = CONTOSO;

describe("Graph audit logs on the local tenant", () => {
    let tenant: LocalTenant;
    let token: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
        token = await tokenWith(tenant, ["AuditLog.Read.All", "Directory.Read.All"]);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    test("sign-ins come newest first", async () => {
        const answer = await graph(tenant, token, "GET", "/v1.0/auditLogs/signIns");

        const times = answer.body.value.map((s: { createdDateTime: string }) => s.createdDateTime);
        expect(times).toEqual([...times].sort().reverse());
    });

    test("a user's sign-ins since the compromise show the anonymizer IP abroad", async () => {
        const answer = await graph(
            tenant,
            token,
            "GET",
            `/v1.0/auditLogs/signIns?$filter=userId eq '${megan.id}' and createdDateTime ge 2026-12-01T00:00:00Z and createdDateTime le 2026-12-02T00:00:00Z`,
        );

        const abroad = answer.body.value.filter(
            (s: { ipAddress: string }) => s.ipAddress === attackerIp,
        );
        expect(abroad.length).toBeGreaterThan(0);
        expect(abroad[0]).toMatchObject({
            location: { countryOrRegion: "NL" },
            riskEventTypes_v2: ["anonymizedIPAddress"],
        });
        expect(
            answer.body.value.every((s: { createdDateTime: string }) =>
                s.createdDateTime.startsWith("2026-12-01"),
            ),
        ).toBe(true);
    });

    test("filtering by IP finds every account the attacker used", async () => {
        const answer = await graph(
            tenant,
            token,
            "GET",
            `/v1.0/auditLogs/signIns?$filter=ipAddress eq '${attackerIp}'`,
        );

        const users = new Set(
            answer.body.value.map((s: { userPrincipalName: string }) => s.userPrincipalName),
        );
        expect([...users].sort()).toEqual([megan.upn, pradeep.upn].sort());
    });

    test("sign-ins filter by userPrincipalName", async () => {
        const answer = await graph(
            tenant,
            token,
            "GET",
            `/v1.0/auditLogs/signIns?$filter=userPrincipalName eq '${pradeep.upn}'&$top=1`,
        );

        expect(answer.body.value).toHaveLength(1);
        expect(answer.body.value[0].createdDateTime).toBe("2026-11-30T21:45:18Z");
        expect(answer.body["@odata.nextLink"]).toBeDefined();
    });

    test("directory audits initiated by the user since the compromise, newest first", async () => {
        const answer = await graph(
            tenant,
            token,
            "GET",
            `/v1.0/auditLogs/directoryAudits?$filter=initiatedBy/user/id eq '${megan.id}' and activityDateTime ge 2026-12-01T00:00:00Z`,
        );

        const activities = answer.body.value.map(
            (a: { activityDisplayName: string }) => a.activityDisplayName,
        );
        expect(activities[0]).toBe("Add app role assignment grant to user");
        expect(activities).toEqual(
            expect.arrayContaining(["Consent to application", "User registered security info"]),
        );
    });

    test("audit logs need Directory.Read.All besides AuditLog.Read.All", async () => {
        const narrow = await tokenWith(tenant, ["AuditLog.Read.All"]);

        const answer = await graph(tenant, narrow, "GET", "/v1.0/auditLogs/signIns");

        expect(answer.status).toBe(403);
    });

    test("audit log reads count against the 5-per-10-seconds bucket", async () => {
        tenant.control.setThrottling(true);
        try {
            const answers = await Promise.all(
                [1, 2, 3, 4, 5, 6, 7].map(() =>
                    graph(tenant, token, "GET", "/v1.0/auditLogs/directoryAudits?$top=1"),
                ),
            );

            expect(answers.filter((a) => a.status === 429).length).toBeGreaterThan(0);
        } finally {
            tenant.control.setThrottling(false);
        }
    });
});
