import { legacyAuthBlocked } from "../../policies/legacy-auth-blocked";
import { CONDITIONAL_ACCESS_POLICY } from "../../policies/lib/resource-types";
import { messages, TestResource, UNKNOWN, validateStack } from "./helpers";

const BREAK_GLASS = "11111111-1111-4111-8111-111111111111";
const config = { breakGlassAccounts: [BREAK_GLASS, "bg1@contoso.com"] };

interface Change {
    state?: unknown;
    clientAppTypes?: unknown;
    users?: Record<string, unknown>;
    includedApplications?: unknown;
    builtInControls?: unknown;
    /** Further conditions (locations, platforms, risk levels, ...), merged into `conditions`. */
    conditions?: Record<string, unknown>;
    applications?: Record<string, unknown>;
}

/** The baseline's legacy block, enforced: valid. Each test changes ONE thing. */
function legacyBlock(
    change: Change = {},
    name = "baseline-ca-block-legacy-authentication",
): TestResource {
    return {
        type: CONDITIONAL_ACCESS_POLICY,
        name,
        props: {
            displayName: "BEC Guard - Block legacy authentication",
            state: "state" in change ? change.state : "enabled",
            conditions: {
                users: { includedUsers: ["All"], excludedUsers: [BREAK_GLASS], ...change.users },
                applications: {
                    includedApplications: change.includedApplications ?? ["All"],
                    ...change.applications,
                },
                clientAppTypes: change.clientAppTypes ?? ["exchangeActiveSync", "other"],
                ...change.conditions,
            },
            grantControls: { operator: "OR", builtInControls: change.builtInControls ?? ["block"] },
        },
    };
}

const requireMfa: TestResource = {
    type: CONDITIONAL_ACCESS_POLICY,
    name: "baseline-ca-require-mfa-all-users",
    props: {
        state: "enabled",
        conditions: {
            users: { includedUsers: ["All"], excludedUsers: [BREAK_GLASS] },
            applications: { includedApplications: ["All"] },
            clientAppTypes: ["all"],
        },
        grantControls: { operator: "OR", builtInControls: ["mfa"] },
    },
};

async function check(resources: TestResource[]) {
    return validateStack(legacyAuthBlocked, resources, config);
}

describe("legacy-auth-blocked", () => {
    test("an enforced block for all users and apps passes", async () => {
        expect(await check([requireMfa, legacyBlock()])).toEqual([]);
    });

    test("a stack holding only incidents is not judged", async () => {
        const incidentOnly: TestResource = {
            type: "pulumi-nodejs:dynamic/bec-guard:Quarantine",
            name: "inc-2041-alice",
            props: { user: "alice@contoso.com" },
        };
        expect(await check([incidentOnly])).toEqual([]);
    });

    test("a stack with no legacy block is a mandatory stack-level violation", async () => {
        const violations = await check([requireMfa]);
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].urn).toBeUndefined();
        expect(violations[0].message).toContain(
            "No Conditional Access policy in this stack blocks legacy",
        );
    });

    test("a report-only block is a violation on that policy saying it is not enforced", async () => {
        const violations = await check([
            legacyBlock({ state: "enabledForReportingButNotEnforced" }),
        ]);
        expect(violations).toHaveLength(1);
        expect(violations[0].urn).toContain("baseline-ca-block-legacy-authentication");
        expect(violations[0].message).toContain(
            'its state is "enabledForReportingButNotEnforced", not "enabled" (enforced)',
        );
    });

    test("a block missing one legacy client type is a violation", async () => {
        const violations = await check([legacyBlock({ clientAppTypes: ["exchangeActiveSync"] })]);
        expect(messages(violations)[0]).toContain("conditions.clientAppTypes lacks other");
    });

    test("a block for one group instead of all users is a violation", async () => {
        const violations = await check([
            legacyBlock({ users: { includedUsers: [], includedGroups: ["g"] } }),
        ]);
        expect(messages(violations)[0]).toContain("conditions.users.includedUsers is not All");
    });

    test("excluding someone who is not a break-glass account is a violation", async () => {
        const violations = await check([
            legacyBlock({
                users: { excludedUsers: [BREAK_GLASS, "33333333-3333-4333-8333-333333333333"] },
            }),
        ]);
        expect(messages(violations)[0]).toContain(
            "conditions.users.excludedUsers excludes 33333333-3333-4333-8333-333333333333, which are not configured break-glass accounts",
        );
    });

    test("excluding a group is a violation", async () => {
        const violations = await check([legacyBlock({ users: { excludedGroups: ["g"] } })]);
        expect(messages(violations)[0]).toContain(
            "conditions.users.excludedGroups excludes g, which are not configured break-glass groups (breakGlassGroups)",
        );
    });

    test("excluding a configured break-glass group passes", async () => {
        const group = "99999999-9999-4999-8999-999999999999";
        const violations = await validateStack(
            legacyAuthBlocked,
            [legacyBlock({ users: { excludedGroups: [group.toUpperCase()] } })],
            { ...config, breakGlassGroups: [group] },
        );
        expect(violations).toEqual([]);
    });

    test("excluding a directory role is a violation unless the role is allowed in config", async () => {
        const sync = "d29b2b05-8046-44ba-8758-1e26182fcf32";
        const block = legacyBlock({ users: { excludedRoles: [sync] } });
        expect(messages(await check([block]))[0]).toContain(
            `conditions.users.excludedRoles excludes ${sync}, which are not roles allowed in allowedExcludedRoles`,
        );
        const allowed = { ...config, allowedExcludedRoles: [sync] };
        expect(await validateStack(legacyAuthBlocked, [block], allowed)).toEqual([]);
    });

    test("excluding guests is a violation", async () => {
        const violations = await check([
            legacyBlock({
                users: {
                    excludedGuestsOrExternalUsers: [
                        { guestOrExternalUserTypes: ["internalGuest"] },
                    ],
                },
            }),
        ]);
        expect(messages(violations)[0]).toContain(
            "conditions.users.excludedGuestsOrExternalUsers is set",
        );
    });

    test("a break-glass account paired with its UPN in config may be excluded", async () => {
        const violations = await validateStack(legacyAuthBlocked, [legacyBlock()], {
            breakGlassAccounts: [`${BREAK_GLASS}|bg1@contoso.com`],
        });
        expect(violations).toEqual([]);
    });

    test("a block limited to some apps is a violation", async () => {
        const violations = await check([legacyBlock({ includedApplications: ["Office365"] })]);
        expect(messages(violations)[0]).toContain("includedApplications is not All");
    });

    test("an explicit everywhere location condition passes", async () => {
        const everywhere = legacyBlock({
            conditions: { locations: { includedLocations: ["All"] } },
        });
        expect(await check([everywhere])).toEqual([]);
    });

    test("excluding trusted locations is a violation naming the condition and the fix", async () => {
        const violations = await check([
            legacyBlock({
                conditions: {
                    locations: { includedLocations: ["All"], excludedLocations: ["AllTrusted"] },
                },
            }),
        ]);
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain(
            'conditions.locations is set ({"includedLocations":["All"],"excludedLocations":["AllTrusted"]}), so the block applies only to some sign-ins',
        );
        expect(violations[0].message).toContain("(remove conditions.locations)");
    });

    test("a block limited to some locations is a violation", async () => {
        const violations = await check([
            legacyBlock({ conditions: { locations: { includedLocations: ["loc-id"] } } }),
        ]);
        expect(messages(violations)[0]).toContain("conditions.locations is set");
    });

    test("a block limited to some platforms is a violation", async () => {
        const violations = await check([
            legacyBlock({ conditions: { platforms: { includedPlatforms: ["windows"] } } }),
        ]);
        expect(messages(violations)[0]).toContain("conditions.platforms is set");
    });

    test("a block for all platforms but some is a violation", async () => {
        const violations = await check([
            legacyBlock({
                conditions: {
                    platforms: { includedPlatforms: ["all"], excludedPlatforms: ["linux"] },
                },
            }),
        ]);
        expect(messages(violations)[0]).toContain("conditions.platforms is set");
    });

    test.each([
        ["signInRiskLevels", ["high"]],
        ["userRiskLevels", ["high"]],
        ["servicePrincipalRiskLevels", ["high"]],
        ["insiderRiskLevels", "elevated"],
        ["authenticationFlowTransferMethods", ["deviceCodeFlow"]],
        ["clientApplications", { includedServicePrincipals: ["ServicePrincipalsInMyTenant"] }],
        ["devices", { filter: { mode: "exclude", rule: 'device.trustType -eq "ServerAD"' } }],
    ])("a block narrowed by conditions.%s is a violation", async (field, value) => {
        const violations = await check([legacyBlock({ conditions: { [field]: value } })]);
        expect(violations).toHaveLength(1);
        expect(violations[0].message).toContain(`conditions.${field} is set`);
        expect(violations[0].message).toContain(`(remove conditions.${field})`);
    });

    test("an empty narrowing condition does not count as set", async () => {
        const empty = legacyBlock({ conditions: { signInRiskLevels: [], devices: {} } });
        expect(await check([empty])).toEqual([]);
    });

    test("a block excluding some apps is a violation", async () => {
        const violations = await check([
            legacyBlock({ applications: { excludedApplications: ["Office365"] } }),
        ]);
        expect(messages(violations)[0]).toContain(
            "conditions.applications.excludedApplications is set",
        );
    });

    test("a narrowing condition unknown in preview is left to the check at up", async () => {
        const violations = await check([
            legacyBlock({ conditions: { locations: { includedLocations: UNKNOWN } } }),
        ]);
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    });

    test("a legacy policy that grants with MFA instead of blocking does not count", async () => {
        const violations = await check([legacyBlock({ builtInControls: ["mfa"] })]);
        expect(messages(violations)[0]).toContain(
            "No Conditional Access policy in this stack blocks",
        );
    });

    test("one qualifying policy is enough even next to a report-only duplicate", async () => {
        const reportOnly = legacyBlock(
            { state: "enabledForReportingButNotEnforced" },
            "pilot-legacy-block",
        );
        expect(await check([reportOnly, legacyBlock()])).toEqual([]);
    });

    test("a block whose state is unknown in preview is left to the check at up", async () => {
        const violations = await check([legacyBlock({ state: UNKNOWN })]);
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    });
});
