/**
 * Graph users, memberships, organization and domains on the local tenant, over real HTTPS.
 * A responder loses the ability to cut an attacker off if any of these answer differently
 * from Graph: wrong user resolved, password policy not enforced, sessions not revoked.
 */
import type { LocalTenant } from "../../local-tenant/server";
import { passwordPolicyViolation } from "../../local-tenant/graph/users";
import { CONTOSO, closeAgents, graph, startScenarioTenant, tokenWith } from "./graph-support";

const { megan, guest, synced, breakGlass } = CONTOSO;

describe("Graph users on the local tenant", () => {
    let tenant: LocalTenant;
    let readToken: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
        readToken = await tokenWith(tenant, [
            "User.Read.All",
            "Directory.Read.All",
            "Domain.Read.All",
        ]);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    test("a user is found by UPN in any letter case", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/users/${megan.upn.toUpperCase()}`,
        );

        expect(answer.status).toBe(200);
        expect(answer.body.id).toBe(megan.id);
    });

    test("a guest is found by its URL-encoded #EXT# UPN", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/users/${encodeURIComponent(guest.upn)}`,
        );

        expect(answer.status).toBe(200);
        expect(answer.body.id).toBe(guest.id);
    });

    test("v1.0 returns the default properties unless $select asks for more", async () => {
        const plain = await graph(tenant, readToken, "GET", `/v1.0/users/${megan.id}`);
        const selected = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/users/${megan.id}?$select=id,accountEnabled,onPremisesSyncEnabled`,
        );

        expect(plain.body.accountEnabled).toBeUndefined();
        expect(plain.body.userPrincipalName).toBe(megan.upn);
        expect(selected.body).toMatchObject({
            id: megan.id,
            accountEnabled: true,
            onPremisesSyncEnabled: null,
        });
        expect(selected.body.userPrincipalName).toBeUndefined();
    });

    test("the local tenant's bookkeeping never appears in a user", async () => {
        const answer = await graph(tenant, readToken, "GET", `/beta/users/${megan.id}`);

        for (const key of [
            "authenticationMethods",
            "mailbox",
            "passwordSha256",
            "defaultMethodId",
            "memberOf",
        ]) {
            expect(answer.body).not.toHaveProperty(key);
        }
    });

    test("an unknown user is Graph's 404 Request_ResourceNotFound", async () => {
        const answer = await graph(tenant, readToken, "GET", "/v1.0/users/nobody@contoso.com");

        expect(answer.status).toBe(404);
        expect(answer.body.error.code).toBe("Request_ResourceNotFound");
    });

    test("the user list filters on properties outside the default set", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            "/v1.0/users?$filter=onPremisesSyncEnabled eq true&$select=id",
        );

        expect(answer.body.value).toEqual([{ id: synced.id }]);
    });

    test("memberOf lists groups and directory roles as directory objects", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "GET",
            `/v1.0/users/${breakGlass.id}/memberOf`,
        );

        expect(answer.body.value).toEqual([
            expect.objectContaining({
                "@odata.type": "#microsoft.graph.group",
                id: CONTOSO.groups.breakGlass,
            }),
            expect.objectContaining({
                "@odata.type": "#microsoft.graph.directoryRole",
                displayName: "Global Administrator",
            }),
        ]);
    });

    test("group members are the users whose memberships name the group", async () => {
        const token = await tokenWith(tenant, ["GroupMember.Read.All"]);

        const answer = await graph(
            tenant,
            token,
            "GET",
            `/v1.0/groups/${CONTOSO.groups.breakGlass}/members`,
        );

        expect(answer.body.value.map((m: { id: string }) => m.id)).toEqual([breakGlass.id]);
    });

    test("the organization and its domains name the default and initial domain", async () => {
        const org = await graph(tenant, readToken, "GET", "/v1.0/organization");
        const domains = await graph(tenant, readToken, "GET", "/v1.0/domains");

        expect(org.body.value[0].id).toBe(CONTOSO.tenantId);
        expect(domains.body.value).toEqual(
            expect.arrayContaining([
                expect.objectContaining({ id: "contoso.com", isDefault: true, isInitial: false }),
                expect.objectContaining({
                    id: "contoso.onmicrosoft.com",
                    isDefault: false,
                    isInitial: true,
                }),
            ]),
        );
    });

    test("disabling an account with User.EnableDisableAccount.All alone is refused: User.Read.All is needed too", async () => {
        const token = await tokenWith(tenant, ["User.EnableDisableAccount.All"]);

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${CONTOSO.alex.id}`, {
            accountEnabled: false,
        });

        expect(answer.status).toBe(403);
        expect(answer.body.error.code).toBe("Authorization_RequestDenied");
        expect(
            tenant.control.getState().users.find((u) => u.id === CONTOSO.alex.id)!.accountEnabled,
        ).toBe(true);
    });

    test("User.EnableDisableAccount.All with User.Read.All disables an account", async () => {
        const token = await tokenWith(tenant, ["User.EnableDisableAccount.All", "User.Read.All"]);

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${CONTOSO.alex.id}`, {
            accountEnabled: false,
        });

        expect(answer.status).toBe(204);
        expect(
            tenant.control.getState().users.find((u) => u.id === CONTOSO.alex.id)!.accountEnabled,
        ).toBe(false);
    });

    test("a password reset needs a password permission: account permissions are not enough", async () => {
        const token = await tokenWith(tenant, ["User.EnableDisableAccount.All", "User.Read.All"]);

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${megan.id}`, {
            passwordProfile: {
                password: "Str0ng!Passphrase-42",
                forceChangePasswordNextSignIn: true,
            },
        });

        expect(answer.status).toBe(403);
    });

    test("a password that breaks the Entra policy is Graph's 400 and changes nothing", async () => {
        const token = await tokenWith(tenant, ["User-PasswordProfile.ReadWrite.All"]);
        const before = tenant.control
            .getState()
            .users.find((u) => u.id === megan.id)!.lastPasswordChangeDateTime;

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${megan.id}`, {
            passwordProfile: { password: "password", forceChangePasswordNextSignIn: true },
        });

        expect(answer.status).toBe(400);
        expect(answer.body.error).toMatchObject({
            code: "Request_BadRequest",
            message:
                "The specified password does not comply with password complexity requirements. Please provide a different password.",
        });
        expect(
            tenant.control.getState().users.find((u) => u.id === megan.id)!
                .lastPasswordChangeDateTime,
        ).toBe(before);
    });

    test("a password reset records a hash and the time, never the password", async () => {
        const token = await tokenWith(tenant, ["User-PasswordProfile.ReadWrite.All"]);
        const password = "Kx9!vR2#mQ7$wL4p";

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${megan.id}`, {
            passwordProfile: { password, forceChangePasswordNextSignIn: true },
        });

        const user = tenant.control.getState().users.find((u) => u.id === megan.id)!;
        expect(answer.status).toBe(204);
        expect(user.passwordSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(user.passwordProfile).toMatchObject({ forceChangePasswordNextSignIn: true });
        expect(Date.parse(user.lastPasswordChangeDateTime)).toBeGreaterThan(
            Date.parse("2026-01-01T00:00:00Z"),
        );
        expect(JSON.stringify(tenant.control.getState())).not.toContain(password);
    });

    test("a synced user's profile cannot be changed in the cloud", async () => {
        const token = await tokenWith(tenant, ["User.ReadWrite.All"]);

        const answer = await graph(tenant, token, "PATCH", `/v1.0/users/${synced.id}`, {
            jobTitle: "Changed",
        });

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toContain("on-premises mastered");
    });

    test("revokeSignInSessions moves the session cut-off and answers the documented Boolean", async () => {
        const token = await tokenWith(tenant, ["User.RevokeSessions.All"]);

        const answer = await graph(
            tenant,
            token,
            "POST",
            `/v1.0/users/${megan.upn}/revokeSignInSessions`,
        );

        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({
            "@odata.context": `${tenant.url}/v1.0/$metadata#Edm.Boolean`,
            value: true,
        });
        const user = tenant.control.getState().users.find((u) => u.id === megan.id)!;
        expect(Date.parse(user.signInSessionsValidFromDateTime)).toBeGreaterThan(
            Date.parse("2026-01-01T00:00:00Z"),
        );
    });

    test("a read-only token cannot revoke sessions", async () => {
        const answer = await graph(
            tenant,
            readToken,
            "POST",
            `/v1.0/users/${megan.id}/revokeSignInSessions`,
        );

        expect(answer.status).toBe(403);
    });
});

describe("the Entra password policy", () => {
    test("needs three of four character classes", () => {
        expect(passwordPolicyViolation("alllowercase1")).toBeDefined();
        expect(passwordPolicyViolation("Lower1Upper")).toBeUndefined();
    });

    test("needs 8 to 256 characters", () => {
        expect(passwordPolicyViolation("Ab1!")).toBeDefined();
        expect(passwordPolicyViolation(`Ab1!${"x".repeat(253)}`)).toBeDefined();
    });

    test("refuses characters outside ASCII letters, digits and the allowed symbols", () => {
        expect(passwordPolicyViolation("Pässwörd123!")).toBeDefined();
    });

    test("relaxes the character classes for DisableStrongPassword", () => {
        expect(passwordPolicyViolation("alllowercase", "DisableStrongPassword")).toBeUndefined();
    });
});
