/**
 * A token keeps the permissions it was issued with, as in Entra: granting or withdrawing an
 * application permission afterwards changes nothing for that token, in the route checks and
 * in the per-property checks the route handlers make (a password reset, enabling an account,
 * a Conditional Access application condition, owned service principals, message bodies), in
 * a single call and in a `$batch` item. If the local tenant read the live grants instead, a
 * test could pass locally with a permission the product's token never carried.
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

const STRONG_PASSWORD = "Kx9!vR2#mQ7$wL4p";

describe("Graph permission checks read the token's roles", () => {
    let tenant: LocalTenant;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    /** A token carrying `issued`, after which the app's grants become `later`. */
    async function tokenThenGrants(issued: string[], later: string[]): Promise<string> {
        const token = await tokenWith(tenant, issued);
        tenant.control.getState().apps[0].graphRoles = [...later];
        return token;
    }

    const user = (id: string) => tenant.control.getState().users.find((u) => u.id === id)!;
    const servicePrincipal = (id: string) =>
        tenant.control.getState().servicePrincipals.find((s) => s.id === id)!;

    test("a password reset still works when the password permission is withdrawn after the token was issued", async () => {
        const token = await tokenThenGrants(
            ["User-PasswordProfile.ReadWrite.All"],
            ["User.EnableDisableAccount.All", "User.Read.All"],
        );

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${CONTOSO.megan.id}`, {
            passwordProfile: { password: STRONG_PASSWORD, forceChangePasswordNextSignIn: true },
        });

        expect(answer.status).toBe(204);
    });

    test("a password reset stays refused when the password permission is granted after the token was issued", async () => {
        const token = await tokenThenGrants(
            ["User.EnableDisableAccount.All", "User.Read.All"],
            ["User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All"],
        );
        const before = user(CONTOSO.megan.id).lastPasswordChangeDateTime;

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${CONTOSO.megan.id}`, {
            passwordProfile: { password: STRONG_PASSWORD, forceChangePasswordNextSignIn: true },
        });

        expect(answer.status).toBe(403);
        expect(user(CONTOSO.megan.id).lastPasswordChangeDateTime).toBe(before);
    });

    test("disabling an account still works when the account permissions are withdrawn after the token was issued", async () => {
        const token = await tokenThenGrants(
            ["User.EnableDisableAccount.All", "User.Read.All"],
            ["User-PasswordProfile.ReadWrite.All"],
        );

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${CONTOSO.alex.id}`, {
            accountEnabled: false,
        });

        expect(answer.status).toBe(204);
        expect(user(CONTOSO.alex.id).accountEnabled).toBe(false);
    });

    test("disabling an account stays refused when User.ReadWrite.All is granted after the token was issued", async () => {
        const token = await tokenThenGrants(
            ["User-PasswordProfile.ReadWrite.All"],
            ["User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All"],
        );

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${CONTOSO.pradeep.id}`, {
            accountEnabled: false,
        });

        expect(answer.status).toBe(403);
        expect(user(CONTOSO.pradeep.id).accountEnabled).toBe(true);
    });

    test("a Conditional Access application condition stays refused when Application.Read.All is granted after the token was issued", async () => {
        const token = await tokenThenGrants(
            ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
            ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Application.Read.All"],
        );

        const answer = await graph(
            tenant,
            token,
            "POST",
            "/v1.0/identity/conditionalAccess/policies",
            mfaPolicy({ displayName: "Granted too late" }),
        );

        expect(answer.status).toBe(403);
        expect(answer.body.error.message).toContain("Application.Read.All");
    });

    test("a Conditional Access application condition is accepted when Application.Read.All is withdrawn after the token was issued", async () => {
        const token = await tokenThenGrants(
            ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Application.Read.All"],
            ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        );

        const answer = await graph(
            tenant,
            token,
            "POST",
            "/v1.0/identity/conditionalAccess/policies",
            mfaPolicy({ displayName: "Withdrawn too late" }),
        );

        expect(answer.status).toBe(201);
    });

    test("Application.ReadWrite.OwnedBy stays limited to owned apps when Application.ReadWrite.All is granted after the token was issued", async () => {
        const sp = CONTOSO.servicePrincipals.expense;
        const token = await tokenThenGrants(
            ["Application.ReadWrite.OwnedBy"],
            ["Application.ReadWrite.All"],
        );

        const answer = await graph(tenant, token, "PATCH", `/v1.0/servicePrincipals/${sp}`, {
            notes: "changed by a token that never held Application.ReadWrite.All",
        });

        expect(answer.status).toBe(403);
        expect(servicePrincipal(sp).notes).not.toBe(
            "changed by a token that never held Application.ReadWrite.All",
        );
    });

    test("Application.ReadWrite.All still changes any app when it is withdrawn after the token was issued", async () => {
        const sp = CONTOSO.servicePrincipals.expense;
        const token = await tokenThenGrants(
            ["Application.ReadWrite.All"],
            ["Application.ReadWrite.OwnedBy"],
        );

        const answer = await graph(tenant, token, "PATCH", `/v1.0/servicePrincipals/${sp}`, {
            notes: "reviewed",
        });

        expect(answer.status).toBe(204);
        expect(servicePrincipal(sp).notes).toBe("reviewed");
    });

    test("a Mail.ReadBasic.All token gets no message body when Mail.Read is granted after it was issued", async () => {
        const token = await tokenThenGrants(["Mail.ReadBasic.All"], ["Mail.Read"]);

        const answer = await graph(tenant, token, "GET", sentItems());

        expect(answer.status).toBe(200);
        expect(answer.body.value[0].subject).toBeDefined();
        expect(answer.body.value[0]).not.toHaveProperty("bodyPreview");
    });

    test("a Mail.Read token keeps message bodies when only Mail.ReadBasic.All is left after it was issued", async () => {
        const token = await tokenThenGrants(["Mail.Read"], ["Mail.ReadBasic.All"]);

        const answer = await graph(tenant, token, "GET", sentItems());

        expect(answer.status).toBe(200);
        expect(answer.body.value[0]).toHaveProperty("bodyPreview");
    });

    test("$batch items are checked against the batch's token, not the grants changed after it was issued", async () => {
        const token = await tokenThenGrants(
            ["Mail.ReadBasic.All", "User.EnableDisableAccount.All", "User.Read.All"],
            ["Mail.Read", "User.ReadWrite.All", "User-PasswordProfile.ReadWrite.All"],
        );
        const before = user(CONTOSO.grady.id).lastPasswordChangeDateTime;

        const answer = await graph(tenant, token, "POST", "/v1.0/$batch", {
            requests: [
                { id: "1", method: "GET", url: sentItems().replace(/^\/v1\.0/, "") },
                {
                    id: "2",
                    method: "PATCH",
                    url: `/users/${CONTOSO.grady.id}`,
                    headers: { "Content-Type": "application/json" },
                    body: {
                        passwordProfile: {
                            password: STRONG_PASSWORD,
                            forceChangePasswordNextSignIn: true,
                        },
                    },
                },
            ],
        });

        const byId = (id: string) =>
            (answer.body.responses as Array<{ id: string; status: number; body: any }>).find(
                (r) => r.id === id,
            )!;
        expect(answer.status).toBe(200);
        expect(byId("1").status).toBe(200);
        expect(byId("1").body.value[0]).not.toHaveProperty("bodyPreview");
        expect(byId("2").status).toBe(403);
        expect(user(CONTOSO.grady.id).lastPasswordChangeDateTime).toBe(before);
    });
});

/** Megan's sent items, which hold messages with a body preview in contoso-bec. */
function sentItems(): string {
    return `/v1.0/users/${CONTOSO.megan.id}/mailFolders/sentitems/messages`;
}
