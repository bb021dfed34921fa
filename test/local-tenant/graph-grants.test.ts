/**
 * OAuth consent grants, app role assignments and service principals through Graph on the
 * local tenant. A responder must see the malicious app's grant for the user, must not be shown
 * tenant-wide grants as the user's own, and contains the app by disabling its service
 * principal (which needs a permission that covers principals the caller does not own).
 */
import type { LocalTenant } from "../../local-tenant/server";
import { CONTOSO, closeAgents, graph, startScenarioTenant, tokenWith } from "./graph-support";

const { megan, grants, servicePrincipals: sps, apps } = CONTOSO;

describe("Graph grants and service principals on the local tenant", () => {
    let tenant: LocalTenant;
    let readToken: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
        readToken = await tokenWith(tenant, ["Directory.Read.All", "Application.Read.All"]);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    test("a user's grants are their own Principal grants only", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/users/${megan.id}/oauth2PermissionGrants`,
        );

        expect(answer.body.value.map((g: { id: string }) => g.id)).toEqual([grants.malicious]);
    });

    test("tenant-wide grants are found through /oauth2PermissionGrants with a consentType filter", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            "/v1.0/oauth2PermissionGrants?$filter=consentType eq 'AllPrincipals'",
        );

        expect(answer.body.value.map((g: { id: string }) => g.id)).toEqual([
            grants.expenseTenantWide,
        ]);
    });

    test("grants filter by clientId and principalId together", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/oauth2PermissionGrants?$filter=clientId eq '${sps.expense}' and principalId eq '${CONTOSO.alex.id}'`,
        );

        expect(answer.body.value.map((g: { id: string }) => g.id)).toEqual([grants.alexExpense]);
    });

    test("deleting a grant needs a write permission", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "DELETE",
            `/v1.0/oauth2PermissionGrants/${grants.malicious}`,
        );

        expect(answer.status).toBe(403);
    });

    test("a grant is deleted with DelegatedPermissionGrant.ReadWrite.All, whatever the path's letter case", async () => {
        const token = await tokenWith(tenant, ["DelegatedPermissionGrant.ReadWrite.All"]);

        const answer = await graph(
            tenant,
            token,
            "DELETE",
            `/v1.0/oAuth2PermissionGrants/${grants.malicious}`,
        );
        const again = await graph(
            tenant,
            token,
            "GET",
            `/v1.0/oauth2PermissionGrants/${grants.malicious}`,
        );

        expect(answer.status).toBe(204);
        expect(again.status).toBe(404);
        expect(again.body.error.code).toBe("Request_ResourceNotFound");
    });

    test("a user's app role assignments include the one made by consent", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/users/${megan.id}/appRoleAssignments`,
        );

        expect(answer.body.value.map((a: { resourceId: string }) => a.resourceId).sort()).toEqual(
            [sps.malicious, sps.expense].sort(),
        );
    });

    test("an app role assignment is deleted through the user with AppRoleAssignment.ReadWrite.All", async () => {
        const token = await tokenWith(tenant, ["AppRoleAssignment.ReadWrite.All"]);
        const id = CONTOSO.appRoleAssignments.meganMalicious;

        const answer = await graph(
            tenant,
            token,
            "DELETE",
            `/v1.0/users/${megan.id}/appRoleAssignments/${id}`,
        );

        expect(answer.status).toBe(204);
        expect(tenant.control.getState().appRoleAssignments.some((a) => a.id === id)).toBe(false);
    });

    test("appRoleAssignedTo lists who holds roles on a service principal", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/servicePrincipals/${sps.expense}/appRoleAssignedTo`,
        );

        expect(answer.body.value.map((a: { principalId: string }) => a.principalId).sort()).toEqual(
            [megan.id, CONTOSO.alex.id].sort(),
        );
    });

    test("a service principal is found by appId, both as a key and as a filter", async () => {
        const byKey = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/servicePrincipals(appId='${apps.malicious}')`,
        );
        const byFilter = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/servicePrincipals?$filter=appId eq '${apps.malicious}'`,
        );

        expect(byKey.status).toBe(200);
        expect(byKey.body.id).toBe(sps.malicious);
        expect(byFilter.body.value.map((s: { id: string }) => s.id)).toEqual([sps.malicious]);
    });

    test("a service principal's appId key may be URL-encoded, and an unknown appId is a 404", async () => {
        const [encoded, unknown] = await Promise.all([
            graph(
                tenant,
                readToken,
                "GET",
                `/v1.0/servicePrincipals(appId=%27${apps.malicious}%27)`,
            ),
            graph(
                tenant,
                readToken,
                "GET",
                "/v1.0/servicePrincipals(appId='00000000-0000-0000-0000-000000000000')",
            ),
        ]);

        expect(encoded.status).toBe(200);
        expect(encoded.body.id).toBe(sps.malicious);
        expect(unknown.status).toBe(404);
        expect(unknown.body.error.code).toBe("Request_ResourceNotFound");
    });

    test("a one-segment path that is no resource is a 404 for every method", async () => {
        const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

        const answers = await Promise.all(
            methods.map((method) =>
                graph(
                    tenant,
                    readToken,
                    method,
                    `/v1.0/servicePrincipal(appId='${apps.malicious}')`,
                    // Node's client sends a GET or DELETE body without a length: none there.
                    method === "GET" || method === "DELETE" ? undefined : {},
                ),
            ),
        );

        expect(answers.map((a) => a.status)).toEqual(methods.map(() => 404));
    });

    test("Application.ReadWrite.OwnedBy cannot disable an app the caller does not own", async () => {
        const token = await tokenWith(tenant, ["Application.ReadWrite.OwnedBy"]);

        const answer = await graph(
            tenant,
            token,
            "PATCH",
            `/v1.0/servicePrincipals/${sps.malicious}`,
            { accountEnabled: false },
        );

        expect(answer.status).toBe(403);
    });

    test("Application.ReadWrite.All disables the malicious app's service principal", async () => {
        const token = await tokenWith(tenant, ["Application.ReadWrite.All"]);

        const answer = await graph(
            tenant,
            token,
            "PATCH",
            `/v1.0/servicePrincipals(appId='${apps.malicious}')`,
            {
                accountEnabled: false,
            },
        );

        expect(answer.status).toBe(204);
        expect(
            tenant.control.getState().servicePrincipals.find((s) => s.id === sps.malicious)!
                .accountEnabled,
        ).toBe(false);
    });

    test("a service principal update refuses a non-Boolean accountEnabled", async () => {
        const token = await tokenWith(tenant, ["Application.ReadWrite.All"]);

        const answer = await graph(
            tenant,
            token,
            "PATCH",
            `/v1.0/servicePrincipals/${sps.malicious}`,
            { accountEnabled: "no" },
        );

        expect(answer.status).toBe(400);
    });
});
