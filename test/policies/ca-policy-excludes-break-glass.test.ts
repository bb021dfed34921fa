import { caPolicyExcludesBreakGlass } from "../../policies/ca-policy-excludes-break-glass";
import {
    CONDITIONAL_ACCESS_POLICY,
    TOKEN_PROTECTION_POLICY,
} from "../../policies/lib/resource-types";
import { messages, TestResource, UNKNOWN, validateResource } from "./helpers";

const BREAK_GLASS_1 = "11111111-1111-4111-8111-111111111111";
const BREAK_GLASS_2 = "22222222-2222-4222-8222-222222222222";
const BREAK_GLASS_GROUP = "99999999-9999-4999-8999-999999999999";

const config = { breakGlassAccounts: [BREAK_GLASS_1, BREAK_GLASS_2, "bg1@contoso.com"] };

/** The legacy-authentication block as the baseline declares it: a valid policy. */
function policy(users: Record<string, unknown>): TestResource {
    return {
        type: CONDITIONAL_ACCESS_POLICY,
        name: "baseline-ca-block-legacy-authentication",
        props: {
            displayName: "BEC Guard - Block legacy authentication",
            state: "enabled",
            conditions: {
                users: { includedUsers: ["All"], ...users },
                applications: { includedApplications: ["All"] },
                clientAppTypes: ["exchangeActiveSync", "other"],
            },
            grantControls: { operator: "OR", builtInControls: ["block"] },
        },
    };
}

const valid = policy({ excludedUsers: [BREAK_GLASS_1, BREAK_GLASS_2] });

/** The token protection resource's inputs, as the baseline declares them. */
function tokenProtection(change: Record<string, unknown>): TestResource {
    return {
        type: TOKEN_PROTECTION_POLICY,
        name: "baseline-token-protection",
        props: { mode: "reportOnly", includeUsers: ["All"], ...change },
    };
}

describe("ca-policy-excludes-break-glass", () => {
    test("a policy excluding every break-glass object id passes", async () => {
        expect(await validateResource(caPolicyExcludesBreakGlass, valid, config)).toEqual([]);
    });

    test("object ids match whatever their letter case", async () => {
        const upper = policy({ excludedUsers: [BREAK_GLASS_1.toUpperCase(), BREAK_GLASS_2] });
        expect(await validateResource(caPolicyExcludesBreakGlass, upper, config)).toEqual([]);
    });

    test("a policy missing one break-glass account is a mandatory violation naming it", async () => {
        const missingOne = policy({ excludedUsers: [BREAK_GLASS_1] });
        const violations = await validateResource(caPolicyExcludesBreakGlass, missingOne, config);
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain(
            'Conditional Access policy "baseline-ca-block-legacy-authentication" does not exclude',
        );
        expect(violations[0].message).toContain(BREAK_GLASS_2);
        expect(violations[0].message).not.toContain(BREAK_GLASS_1);
        expect(violations[0].message).toContain(
            "Fix: add every break-glass account to conditions.users.excludedUsers",
        );
    });

    test("a policy with no exclusions at all is a violation", async () => {
        const none = policy({});
        expect(await validateResource(caPolicyExcludesBreakGlass, none, config)).toHaveLength(1);
    });

    test("excluding a configured break-glass group counts as excluding every account", async () => {
        const byGroup = policy({ excludedGroups: [BREAK_GLASS_GROUP] });
        const withGroups = { ...config, breakGlassGroups: [BREAK_GLASS_GROUP] };
        expect(await validateResource(caPolicyExcludesBreakGlass, byGroup, withGroups)).toEqual([]);
    });

    test("excluding some other group does not count", async () => {
        const otherGroup = policy({ excludedGroups: ["88888888-8888-4888-8888-888888888888"] });
        const withGroups = { ...config, breakGlassGroups: [BREAK_GLASS_GROUP] };
        const violations = await validateResource(
            caPolicyExcludesBreakGlass,
            otherGroup,
            withGroups,
        );
        expect(messages(violations)[0]).toContain(
            `nor any break-glass group (${BREAK_GLASS_GROUP})`,
        );
    });

    test("a config with no break-glass object id is reported instead of passing silently", async () => {
        const violations = await validateResource(caPolicyExcludesBreakGlass, valid, {
            breakGlassAccounts: ["bg1@contoso.com"],
        });
        expect(messages(violations)[0]).toContain("lists no break-glass object id");
    });

    test("token protection is checked on its breakGlassAccounts input", async () => {
        const violations = await validateResource(
            caPolicyExcludesBreakGlass,
            tokenProtection({ breakGlassAccounts: [BREAK_GLASS_1] }),
            config,
        );
        expect(messages(violations)[0]).toContain(
            `Token protection policy "baseline-token-protection" does not exclude break-glass account(s) ${BREAK_GLASS_2}`,
        );
        expect(messages(violations)[0]).toContain(
            "Fix: add every break-glass account to breakGlassAccounts",
        );
    });

    test("token protection naming the break-glass accounts by UPN passes", async () => {
        const byUpn = tokenProtection({ breakGlassAccounts: ["BG1@contoso.com"] });
        expect(await validateResource(caPolicyExcludesBreakGlass, byUpn, config)).toEqual([]);
    });

    test("other resource types are not checked", async () => {
        const other: TestResource = { type: "azuread:index/group:Group", name: "g", props: {} };
        expect(await validateResource(caPolicyExcludesBreakGlass, other, config)).toEqual([]);
    });

    test("exclusions unknown in preview become an advisory note, checked again at up", async () => {
        const unknown = policy({ excludedUsers: UNKNOWN });
        const violations = await validateResource(caPolicyExcludesBreakGlass, unknown, config);
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("advisory");
        expect(violations[0].message).toContain("conditions.users.excludedUsers");
    });

    test("a known break-glass group exclusion passes even while the user list is unknown", async () => {
        const mixed = policy({ excludedUsers: UNKNOWN, excludedGroups: [BREAK_GLASS_GROUP] });
        const withGroups = { ...config, breakGlassGroups: [BREAK_GLASS_GROUP] };
        expect(await validateResource(caPolicyExcludesBreakGlass, mixed, withGroups)).toEqual([]);
    });

    test("the enforcement level can be lowered to advisory in config", async () => {
        const missingOne = policy({ excludedUsers: [BREAK_GLASS_1] });
        const violations = await validateResource(caPolicyExcludesBreakGlass, missingOne, {
            ...config,
            enforcementLevel: "advisory",
        });
        expect(violations[0].enforcementLevel).toBe("advisory");
    });
});
