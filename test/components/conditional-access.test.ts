import * as pulumi from "@pulumi/pulumi";

import { DeclaredResource, installMocks, valueOf } from "./mocks";
import {
    ADMIN_ROLE_TEMPLATE_IDS,
    ConditionalAccessBaseline,
    ConditionalAccessBaselineArgs,
} from "../../components/conditional-access";

// Microsoft Entra Connect's sync account holds this role (template id, every tenant).
const DIRECTORY_SYNC_ROLE = "d29b2b05-8046-44ba-8758-1e26182fcf32";

const BREAK_GLASS_ID = "33333333-3333-4333-8333-333333333333";
const FINANCE_GROUP = "aaaaaaaa-0000-4000-8000-000000000001";
const EXEC_GROUP = "aaaaaaaa-0000-4000-8000-000000000002";

let mocks: ReturnType<typeof installMocks>;

beforeEach(() => {
    mocks = installMocks();
});

/** Declares the component and waits until every child reached the mocks. */
async function declare(args: Partial<ConditionalAccessBaselineArgs> = {}) {
    const ca = new ConditionalAccessBaseline("ca", {
        breakGlassAccounts: ["breakglass1@contoso.example", BREAK_GLASS_ID],
        allowedCountries: ["GB", "IE"],
        highRiskGroupIds: [FINANCE_GROUP, EXEC_GROUP],
        ...args,
    });
    const children: pulumi.CustomResource[] = [
        ...Object.values(ca.policies),
        ...(ca.allowedCountriesLocation ? [ca.allowedCountriesLocation] : []),
    ];
    await Promise.all(children.map((child) => valueOf(child.id)));
    return ca;
}

function policies(): DeclaredResource[] {
    return mocks.resources.filter(
        (r) => r.type === "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy",
    );
}

function policy(name: string): Record<string, any> {
    const found = policies().find((r) => r.name === name);
    if (!found) {
        throw new Error(
            `no policy ${name}; declared: ${policies()
                .map((p) => p.name)
                .join(", ")}`,
        );
    }
    return found.inputs;
}

describe("ConditionalAccessBaseline", () => {
    test("declares the six default policies and no risk policies without P2", async () => {
        await declare();
        expect(
            policies()
                .map((p) => p.name)
                .sort(),
        ).toEqual([
            "ca-block-device-code-flow",
            "ca-block-legacy-authentication",
            "ca-block-outside-allowed-countries",
            "ca-protect-security-info-registration",
            "ca-require-mfa-all-users",
            "ca-require-phishing-resistant-mfa",
        ]);
    });

    test("every policy excludes the break-glass accounts, UPNs resolved to object ids", async () => {
        await declare({
            policies: {
                blockHighSignInRisk: { enabled: true },
                requirePasswordChangeHighUserRisk: { enabled: true },
            },
        });
        expect(policies()).toHaveLength(8);
        for (const declared of policies()) {
            expect(declared.inputs.conditions.users.excludedUsers).toEqual([
                "11111111-1111-4111-8111-111111111111",
                BREAK_GLASS_ID,
            ]);
        }
        expect(mocks.lookups).toEqual(["breakglass1@contoso.example"]);
    });

    test("a break-glass account listed by UPN and by id is excluded once", async () => {
        await declare({
            breakGlassAccounts: [
                "breakglass2@contoso.example",
                "22222222-2222-4222-8222-222222222222",
            ],
        });
        expect(policy("ca-require-mfa-all-users").conditions.users.excludedUsers).toEqual([
            "22222222-2222-4222-8222-222222222222",
        ]);
    });

    test("policies are report-only by default", async () => {
        await declare();
        for (const declared of policies()) {
            expect(declared.inputs.state).toBe("enabledForReportingButNotEnforced");
        }
    });

    test("the default mode and per-policy modes map to Graph states", async () => {
        await declare({
            defaultMode: "enforced",
            policies: {
                blockDeviceCodeFlow: { mode: "off" },
                requireMfaAllUsers: { mode: "report-only" },
            },
        });
        expect(policy("ca-block-legacy-authentication").state).toBe("enabled");
        expect(policy("ca-block-device-code-flow").state).toBe("disabled");
        expect(policy("ca-require-mfa-all-users").state).toBe("enabledForReportingButNotEnforced");
    });

    test("a policy with enabled false is not declared at all", async () => {
        await declare({ policies: { blockDeviceCodeFlow: { enabled: false } } });
        expect(policies().map((p) => p.name)).not.toContain("ca-block-device-code-flow");
    });

    test("legacy authentication is blocked for Exchange ActiveSync and other clients", async () => {
        await declare();
        const body = policy("ca-block-legacy-authentication");
        expect(body.displayName).toBe("BEC Guard - Block legacy authentication");
        expect(body.conditions.clientAppTypes).toEqual(["exchangeActiveSync", "other"]);
        expect(body.conditions.users.includedUsers).toEqual(["All"]);
        expect(body.conditions.applications.includedApplications).toEqual(["All"]);
        expect(body.grantControls).toEqual({ operator: "OR", builtInControls: ["block"] });
    });

    test("MFA is required for all users on all apps", async () => {
        await declare();
        const body = policy("ca-require-mfa-all-users");
        expect(body.conditions.users.includedUsers).toEqual(["All"]);
        expect(body.conditions.clientAppTypes).toEqual(["all"]);
        expect(body.grantControls).toEqual({ operator: "OR", builtInControls: ["mfa"] });
    });

    test("MFA for all users leaves out the directory sync role by default, as Microsoft's template does", async () => {
        await declare();
        expect(policy("ca-require-mfa-all-users").conditions.users.excludedRoles).toEqual([
            DIRECTORY_SYNC_ROLE,
        ]);
    });

    test("the roles left out of MFA for all users can be replaced", async () => {
        const billing = ADMIN_ROLE_TEMPLATE_IDS["Billing Administrator"];
        await declare({ excludedRoleTemplateIds: [billing] });
        expect(policy("ca-require-mfa-all-users").conditions.users.excludedRoles).toEqual([
            billing,
        ]);
    });

    test("an empty list of roles leaves no role out of MFA for all users", async () => {
        await declare({ excludedRoleTemplateIds: [] });
        expect(policy("ca-require-mfa-all-users").conditions.users).not.toHaveProperty(
            "excludedRoles",
        );
    });

    test("only MFA for all users leaves a role out; the block policies apply to the sync account", async () => {
        await declare({
            policies: {
                blockHighSignInRisk: { enabled: true },
                requirePasswordChangeHighUserRisk: { enabled: true },
            },
        });
        const withRoles = policies()
            .filter((p) => p.inputs.conditions.users.excludedRoles !== undefined)
            .map((p) => p.name);
        expect(withRoles).toEqual(["ca-require-mfa-all-users"]);
    });

    test("phishing-resistant strength covers the high-risk groups and every admin role", async () => {
        await declare();
        const body = policy("ca-require-phishing-resistant-mfa");
        expect(body.conditions.users.includedGroups).toEqual([FINANCE_GROUP, EXEC_GROUP]);
        expect(body.conditions.users.includedRoles).toEqual(Object.values(ADMIN_ROLE_TEMPLATE_IDS));
        expect(body.conditions.users.includedRoles).toContain(
            "62e90394-69f5-4237-9190-012177145e10",
        );
        expect(body.conditions.users.includedUsers).toBeUndefined();
        expect(body.grantControls).toEqual({
            operator: "OR",
            authenticationStrengthPolicyId:
                "/policies/authenticationStrengthPolicies/00000000-0000-0000-0000-000000000004",
        });
    });

    test("the allowed countries become a country named location without unknown countries", async () => {
        await declare();
        const location = mocks.resources.find(
            (r) => r.type === "azuread:index/namedLocation:NamedLocation",
        );
        expect(location?.name).toBe("ca-allowed-countries");
        expect(location?.inputs).toEqual({
            displayName: "BEC Guard - Allowed countries",
            country: {
                countriesAndRegions: ["GB", "IE"],
                includeUnknownCountriesAndRegions: false,
            },
        });
    });

    test("sign-ins from everywhere but the allowed countries location are blocked", async () => {
        await declare();
        const body = policy("ca-block-outside-allowed-countries");
        expect(body.conditions.locations).toEqual({
            includedLocations: ["All"],
            excludedLocations: ["ca-allowed-countries-id"],
        });
        expect(body.grantControls).toEqual({ operator: "OR", builtInControls: ["block"] });
    });

    test("without allowed countries there is no location and no country block", async () => {
        await declare({ allowedCountries: [] });
        expect(
            mocks.resources.some((r) => r.type === "azuread:index/namedLocation:NamedLocation"),
        ).toBe(false);
        expect(policies().map((p) => p.name)).not.toContain("ca-block-outside-allowed-countries");
    });

    test("the device code flow is blocked through authentication flow transfer methods", async () => {
        await declare();
        const body = policy("ca-block-device-code-flow");
        expect(body.conditions.authenticationFlowTransferMethods).toEqual(["deviceCodeFlow"]);
        expect(body.grantControls).toEqual({ operator: "OR", builtInControls: ["block"] });
    });

    test("security info registration needs MFA or a compliant device outside trusted locations", async () => {
        await declare();
        const body = policy("ca-protect-security-info-registration");
        expect(body.conditions.applications).toEqual({
            includedUserActions: ["urn:user:registersecurityinfo"],
        });
        expect(body.conditions.locations).toEqual({
            includedLocations: ["All"],
            excludedLocations: ["AllTrusted"],
        });
        expect(body.grantControls).toEqual({
            operator: "OR",
            builtInControls: ["mfa", "compliantDevice"],
        });
    });

    test("security info registration can be protected in trusted locations too", async () => {
        await declare({ exemptTrustedLocationsFromRegistration: false });
        expect(policy("ca-protect-security-info-registration").conditions.locations).toEqual({
            includedLocations: ["All"],
        });
    });

    test("high sign-in risk is blocked and high user risk must change the password", async () => {
        await declare({
            policies: {
                blockHighSignInRisk: { enabled: true },
                requirePasswordChangeHighUserRisk: { enabled: true },
            },
        });
        const signIn = policy("ca-block-high-sign-in-risk");
        expect(signIn.conditions.signInRiskLevels).toEqual(["high"]);
        expect(signIn.grantControls).toEqual({ operator: "OR", builtInControls: ["block"] });

        const user = policy("ca-require-password-change-high-user-risk");
        expect(user.conditions.userRiskLevels).toEqual(["high"]);
        expect(user.grantControls).toEqual({
            operator: "AND",
            builtInControls: ["mfa", "passwordChange"],
        });
        expect(user.sessionControls).toEqual({ signInFrequencyInterval: "everyTime" });
    });

    test("without high-risk groups the phishing-resistant policy covers the admin roles only", async () => {
        await declare({ highRiskGroupIds: [] });
        const users = policy("ca-require-phishing-resistant-mfa").conditions.users;
        expect(users.includedGroups).toBeUndefined();
        expect(users.includedRoles).toEqual(Object.values(ADMIN_ROLE_TEMPLATE_IDS));
    });

    test("a phishing-resistant policy that would cover nobody is refused", () => {
        expect(
            () =>
                new ConditionalAccessBaseline("empty", {
                    breakGlassAccounts: [BREAK_GLASS_ID],
                    highRiskGroupIds: [],
                    adminRoleTemplateIds: [],
                }),
        ).toThrow(
            "empty: requirePhishingResistantMfa has no high-risk groups and no admin roles, so it " +
                "would apply to nobody. Fix: give highRiskGroupIds or adminRoleTemplateIds, or set " +
                "policies.requirePhishingResistantMfa.enabled to false.",
        );
    });

    test("the display name prefix names every policy", async () => {
        await declare({ displayNamePrefix: "Contoso BEC" });
        for (const declared of policies()) {
            expect(declared.inputs.displayName).toMatch(/^Contoso BEC - /);
        }
    });
});
