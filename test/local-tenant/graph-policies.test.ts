/**
 * Tenant-wide policies through Graph on the local tenant: the authentication methods policy
 * and its method configurations, the authorization (consent) policy, the admin consent
 * request policy (PUT only) and security defaults. The baseline relies on these refusing what
 * Graph refuses, so a bad setting fails here before it reaches a customer's tenant.
 */
import type { LocalTenant } from "../../local-tenant/server";
import type { GraphObject } from "../../local-tenant/model";
import { CONTOSO, closeAgents, graph, startScenarioTenant, tokenWith } from "./graph-support";

const configPath = (id: string) =>
    `/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/${id}`;

describe("Graph tenant policies on the local tenant", () => {
    let tenant: LocalTenant;
    let token: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
        token = await tokenWith(tenant, [
            "Policy.Read.All",
            "Policy.ReadWrite.AuthenticationMethod",
            "Policy.ReadWrite.Authorization",
            "Policy.ReadWrite.ConsentRequest",
            "Policy.ReadWrite.SecurityDefaults",
        ]);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    const state = () => tenant.control.getState();
    const config = (id: string) =>
        (
            state().policies.authenticationMethodsPolicy
                .authenticationMethodConfigurations as GraphObject[]
        ).find((c) => c.id === id)!;

    test("the authentication methods policy is read with Policy.Read.AuthenticationMethod", async () => {
        const reader = await tokenWith(tenant, ["Policy.Read.AuthenticationMethod"]);

        const answer = await graph(
            tenant,
            reader,
            "GET",
            "/v1.0/policies/authenticationMethodsPolicy",
        );

        expect(answer.status).toBe(200);
        expect(answer.body.id).toBe("authenticationMethodsPolicy");
        expect(
            answer.body.authenticationMethodConfigurations.map((c: GraphObject) => c.id),
        ).toContain("Sms");
    });

    test("a policy PATCH answers 200 with the updated policy, as documented", async () => {
        const answer = await graph(
            tenant,
            token,
            "PATCH",
            "/v1.0/policies/authenticationMethodsPolicy",
            {
                registrationEnforcement: {
                    authenticationMethodsRegistrationCampaign: {
                        snoozeDurationInDays: 1,
                        state: "enabled",
                        excludeTargets: [],
                        includeTargets: [
                            {
                                id: "all_users",
                                targetType: "group",
                                targetedAuthenticationMethod: "microsoftAuthenticator",
                            },
                        ],
                    },
                },
            },
        );

        expect(answer.status).toBe(200);
        expect(
            answer.body.registrationEnforcement.authenticationMethodsRegistrationCampaign.state,
        ).toBe("enabled");
    });

    test("a method configuration is read and changed by its id with its @odata.type", async () => {
        const read = await graph(tenant, token, "GET", configPath("sms"));
        const changed = await graph(tenant, token, "PATCH", configPath("Sms"), {
            "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration",
            state: "disabled",
        });

        expect(read.body["@odata.type"]).toBe(
            "#microsoft.graph.smsAuthenticationMethodConfiguration",
        );
        expect(changed.status).toBe(204);
        expect(config("Sms").state).toBe("disabled");
    });

    test("numberMatchingRequiredState is refused in Microsoft Authenticator feature settings", async () => {
        const answer = await graph(tenant, token, "PATCH", configPath("MicrosoftAuthenticator"), {
            "@odata.type":
                "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
            featureSettings: {
                numberMatchingRequiredState: {
                    state: "enabled",
                    includeTarget: { targetType: "group", id: "all_users" },
                },
            },
        });

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toContain("numberMatchingRequiredState");
        expect(config("MicrosoftAuthenticator").featureSettings).not.toHaveProperty(
            "numberMatchingRequiredState",
        );
    });

    test("Authenticator feature settings merge per feature", async () => {
        const answer = await graph(tenant, token, "PATCH", configPath("MicrosoftAuthenticator"), {
            "@odata.type":
                "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
            featureSettings: {
                displayAppInformationRequiredState: {
                    state: "enabled",
                    includeTarget: { targetType: "group", id: "all_users" },
                },
            },
        });

        expect(answer.status).toBe(204);
        const settings = config("MicrosoftAuthenticator").featureSettings as GraphObject;
        expect((settings.displayAppInformationRequiredState as GraphObject).state).toBe("enabled");
        expect(settings.displayLocationInformationRequiredState).toBeDefined();
    });

    test("a Temporary Access Pass configuration must keep minimum <= default <= maximum", async () => {
        const answer = await graph(tenant, token, "PATCH", configPath("TemporaryAccessPass"), {
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
            defaultLifetimeInMinutes: 600,
        });

        expect(answer.status).toBe(400);
        expect(config("TemporaryAccessPass").defaultLifetimeInMinutes).toBe(60);
    });

    test("a configuration PATCH with another type's @odata.type is refused", async () => {
        const answer = await graph(tenant, token, "PATCH", configPath("Fido2"), {
            "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration",
            state: "enabled",
        });

        expect(answer.status).toBe(400);
    });

    test("user consent is restricted to low-risk permissions", async () => {
        const answer = await graph(tenant, token, "PATCH", "/v1.0/policies/authorizationPolicy", {
            defaultUserRolePermissions: {
                permissionGrantPoliciesAssigned: [
                    "managePermissionGrantsForSelf.microsoft-user-default-low",
                ],
            },
        });

        const permissions = state().policies.authorizationPolicy
            .defaultUserRolePermissions as GraphObject;
        expect(answer.status).toBe(204);
        expect(permissions.permissionGrantPoliciesAssigned).toEqual([
            "managePermissionGrantsForSelf.microsoft-user-default-low",
        ]);
        expect(permissions.allowedToCreateApps).toBe(true);
    });

    test("an unknown permission grant policy is refused", async () => {
        const answer = await graph(tenant, token, "PATCH", "/v1.0/policies/authorizationPolicy", {
            defaultUserRolePermissions: {
                permissionGrantPoliciesAssigned: ["managePermissionGrantsForSelf.anything-goes"],
            },
        });

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toContain("permissionGrantPoliciesAssigned");
    });

    test("the admin consent request policy is replaced whole by PUT", async () => {
        const answer = await graph(
            tenant,
            token,
            "PUT",
            "/v1.0/policies/adminConsentRequestPolicy",
            {
                isEnabled: true,
                notifyReviewers: true,
                remindersEnabled: true,
                requestDurationInDays: 7,
                reviewers: [{ query: `/users/${CONTOSO.admin.id}`, queryType: "MicrosoftGraph" }],
            },
        );

        expect(answer.status).toBe(204);
        expect(state().policies.adminConsentRequestPolicy).toMatchObject({
            isEnabled: true,
            requestDurationInDays: 7,
            version: 1,
        });
    });

    test("a PUT missing a property is refused: it would not replace the whole policy", async () => {
        const answer = await graph(
            tenant,
            token,
            "PUT",
            "/v1.0/policies/adminConsentRequestPolicy",
            { isEnabled: false },
        );

        expect(answer.status).toBe(400);
    });

    test("an enabled admin consent request policy needs a reviewer that exists", async () => {
        const answer = await graph(
            tenant,
            token,
            "PUT",
            "/v1.0/policies/adminConsentRequestPolicy",
            {
                isEnabled: true,
                notifyReviewers: false,
                remindersEnabled: false,
                requestDurationInDays: 7,
                reviewers: [
                    {
                        query: "/users/00000000-1111-2222-3333-444444444444",
                        queryType: "MicrosoftGraph",
                    },
                ],
            },
        );

        expect(answer.status).toBe(400);
    });

    test("PATCH on the admin consent request policy is 405", async () => {
        const answer = await graph(
            tenant,
            token,
            "PATCH",
            "/v1.0/policies/adminConsentRequestPolicy",
            { isEnabled: false },
        );

        expect(answer.status).toBe(405);
    });

    test("security defaults are switched off and on with isEnabled", async () => {
        const answer = await graph(
            tenant,
            token,
            "PATCH",
            "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy",
            { isEnabled: true },
        );
        const read = await graph(
            tenant,
            token,
            "GET",
            "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy",
        );

        expect(answer.status).toBe(204);
        expect(read.body.isEnabled).toBe(true);
    });

    test("a read permission cannot change security defaults", async () => {
        const reader = await tokenWith(tenant, ["Policy.Read.All"]);

        const answer = await graph(
            tenant,
            reader,
            "PATCH",
            "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy",
            { isEnabled: false },
        );

        expect(answer.status).toBe(403);
    });

    test.each([
        ["PATCH", "/v1.0/policies/authenticationMethodsPolicy"],
        ["PATCH", configPath("Sms")],
        ["PATCH", "/v1.0/policies/authorizationPolicy"],
        ["PUT", "/v1.0/policies/adminConsentRequestPolicy"],
        ["PATCH", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"],
    ])("%s %s counts against the directory writes bucket", async (method, path) => {
        tenant.control.clearRequests();

        await graph(tenant, token, method, path, {});

        const [entry] = tenant.control.getRequests().filter((r) => r.path === path);
        expect(entry.bucket).toBe("directory-write");
    });

    test("a policy write over the directory writes quota gets 429 with Retry-After", async () => {
        tenant.control.setThrottling(true);
        tenant.control.setThrottleLimits({ "directory-write": { limit: 1, windowSeconds: 60 } });
        try {
            const write = () =>
                graph(tenant, token, "PATCH", "/v1.0/policies/authorizationPolicy", {
                    allowedToUseSSPR: true,
                });

            const first = await write();
            const second = await write();

            expect(first.status).toBe(204);
            expect(second.status).toBe(429);
            expect(Number(second.headers["retry-after"])).toBeGreaterThanOrEqual(1);
        } finally {
            tenant.control.setThrottleLimits({ "directory-write": null });
            tenant.control.setThrottling(false);
        }
    });
});
