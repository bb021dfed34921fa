import { caPolicyExcludesBreakGlass } from "../../policies/ca-policy-excludes-break-glass";
import {
    CONDITIONAL_ACCESS_POLICY,
    TOKEN_PROTECTION_POLICY,
} from "../../policies/lib/resource-types";
import { messages, TestResource, UNKNOWN, validateResource } from "./helpers";

const BREAK_GLASS_1 = "11111111-1111-4111-8111-111111111111";
const BREAK_GLASS_2 = "22222222-2222-4222-8222-222222222222";
const BREAK_GLASS_GROUP = "99999999-9999-4999-8999-999999999999";

/** Two accounts by object id and a UPN the config does not pair with either. */
const config = { breakGlassAccounts: [BREAK_GLASS_1, BREAK_GLASS_2, "bg1@contoso.com"] };
const idsOnly = { breakGlassAccounts: [BREAK_GLASS_1, BREAK_GLASS_2] };

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
        expect(await validateResource(caPolicyExcludesBreakGlass, valid, idsOnly)).toEqual([]);
    });

    test("object ids match whatever their letter case", async () => {
        const upper = policy({ excludedUsers: [BREAK_GLASS_1.toUpperCase(), BREAK_GLASS_2] });
        expect(await validateResource(caPolicyExcludesBreakGlass, upper, idsOnly)).toEqual([]);
    });

    test("a policy missing one break-glass account is a mandatory violation naming it", async () => {
        const missingOne = policy({ excludedUsers: [BREAK_GLASS_1] });
        const violations = await validateResource(caPolicyExcludesBreakGlass, missingOne, idsOnly);
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
        expect(await validateResource(caPolicyExcludesBreakGlass, none, idsOnly)).toHaveLength(1);
    });

    test("excluding a configured break-glass group counts as excluding every account", async () => {
        const byGroup = policy({ excludedGroups: [BREAK_GLASS_GROUP] });
        const withGroups = { ...config, breakGlassGroups: [BREAK_GLASS_GROUP] };
        expect(await validateResource(caPolicyExcludesBreakGlass, byGroup, withGroups)).toEqual([]);
    });

    test("excluding some other group does not count", async () => {
        const otherGroup = policy({ excludedGroups: ["88888888-8888-4888-8888-888888888888"] });
        const withGroups = { ...idsOnly, breakGlassGroups: [BREAK_GLASS_GROUP] };
        const violations = await validateResource(
            caPolicyExcludesBreakGlass,
            otherGroup,
            withGroups,
        );
        expect(messages(violations)).toEqual([
            expect.stringContaining(
                `does not exclude break-glass account(s) ${BREAK_GLASS_1}, ${BREAK_GLASS_2}, nor any break-glass group (${BREAK_GLASS_GROUP}).`,
            ),
        ]);
    });

    test("a config naming an account by UPN only is reported for Conditional Access, which holds ids", async () => {
        const violations = await validateResource(caPolicyExcludesBreakGlass, valid, {
            breakGlassAccounts: ["bg1@contoso.com"],
        });
        expect(violations).toHaveLength(1);
        expect(violations[0].message).toContain(
            "cannot be checked for break-glass account(s) bg1@contoso.com: the policy config names them by UPN only",
        );
        expect(violations[0].message).toContain('("<object id>|<upn>")');
    });

    test("an unpaired UPN next to the ids is reported too: it may be a third account", async () => {
        const violations = await validateResource(caPolicyExcludesBreakGlass, valid, config);
        expect(messages(violations)).toEqual([
            expect.stringContaining("bg1@contoso.com: the policy config names them by UPN only"),
        ]);
    });

    test("a UPN paired with its object id is checked through the id", async () => {
        const paired = { breakGlassAccounts: [`${BREAK_GLASS_1}|bg1@contoso.com`, BREAK_GLASS_2] };
        expect(await validateResource(caPolicyExcludesBreakGlass, valid, paired)).toEqual([]);
    });

    test("the object form of a pair is read like the string form", async () => {
        const paired = {
            breakGlassAccounts: [{ id: BREAK_GLASS_1, upn: "bg1@contoso.com" }, BREAK_GLASS_2],
        };
        expect(await validateResource(caPolicyExcludesBreakGlass, valid, paired)).toEqual([]);
    });

    test("a missing paired account is named by both its names", async () => {
        const paired = { breakGlassAccounts: [BREAK_GLASS_1, `${BREAK_GLASS_2}|bg2@contoso.com`] };
        const missingOne = policy({ excludedUsers: [BREAK_GLASS_1] });
        const violations = await validateResource(caPolicyExcludesBreakGlass, missingOne, paired);
        expect(messages(violations)).toEqual([
            expect.stringContaining(
                `does not exclude break-glass account(s) ${BREAK_GLASS_2} (bg2@contoso.com).`,
            ),
        ]);
    });

    test("a config entry that is neither an id nor a UPN is reported, not skipped", async () => {
        const violations = await validateResource(caPolicyExcludesBreakGlass, valid, {
            breakGlassAccounts: [BREAK_GLASS_1, BREAK_GLASS_2, "breakglass"],
        });
        expect(messages(violations)).toEqual([
            expect.stringContaining(
                "cannot be checked for break-glass account(s) breakglass: those entries",
            ),
        ]);
    });

    test("an empty config is reported instead of passing silently", async () => {
        const violations = await validateResource(caPolicyExcludesBreakGlass, valid, {});
        expect(messages(violations)[0]).toContain("lists no break-glass accounts");
    });

    test("with only groups configured, a policy excluding none of them names the groups alone", async () => {
        const violations = await validateResource(caPolicyExcludesBreakGlass, policy({}), {
            breakGlassGroups: [BREAK_GLASS_GROUP],
        });
        expect(violations).toHaveLength(1);
        expect(violations[0].message).toContain(
            `does not exclude any break-glass group (${BREAK_GLASS_GROUP}). If this policy`,
        );
        expect(violations[0].message).not.toContain("account(s)");
    });

    test("token protection is checked on its breakGlassAccounts input", async () => {
        const violations = await validateResource(
            caPolicyExcludesBreakGlass,
            tokenProtection({ breakGlassAccounts: [BREAK_GLASS_1] }),
            idsOnly,
        );
        expect(messages(violations)[0]).toContain(
            `Token protection policy "baseline-token-protection" does not exclude break-glass account(s) ${BREAK_GLASS_2}`,
        );
        expect(messages(violations)[0]).toContain(
            "Fix: add every break-glass account to breakGlassAccounts",
        );
    });

    test("token protection naming each account by its paired UPN passes", async () => {
        const paired = {
            breakGlassAccounts: [
                `${BREAK_GLASS_1}|bg1@contoso.com`,
                `bg2@contoso.com|${BREAK_GLASS_2}`,
            ],
        };
        const byUpn = tokenProtection({
            breakGlassAccounts: ["BG1@contoso.com", "bg2@contoso.com"],
        });
        expect(await validateResource(caPolicyExcludesBreakGlass, byUpn, paired)).toEqual([]);
    });

    test("token protection excluding only the UPN-listed account leaves the id-listed ones reported", async () => {
        const byUpn = tokenProtection({ breakGlassAccounts: ["BG1@contoso.com"] });
        const violations = await validateResource(caPolicyExcludesBreakGlass, byUpn, config);
        expect(violations).toHaveLength(1);
        expect(violations[0].message).toContain(
            `does not exclude break-glass account(s) ${BREAK_GLASS_1}, ${BREAK_GLASS_2}.`,
        );
        expect(violations[0].message).toContain(
            "The policy names bg1@contoso.com by UPN; if that is one of the accounts above, pair them",
        );
    });

    test("token protection's resolved excludedUserIds count for the ids when known", async () => {
        const resolved = tokenProtection({
            breakGlassAccounts: ["bg1@contoso.com", BREAK_GLASS_2],
            excludedUserIds: [BREAK_GLASS_1, BREAK_GLASS_2],
        });
        expect(await validateResource(caPolicyExcludesBreakGlass, resolved, config)).toEqual([]);
    });

    test("other resource types are not checked", async () => {
        const other: TestResource = { type: "azuread:index/group:Group", name: "g", props: {} };
        expect(await validateResource(caPolicyExcludesBreakGlass, other, config)).toEqual([]);
    });

    test("exclusions unknown in preview become an advisory note, checked again at up", async () => {
        const unknown = policy({ excludedUsers: UNKNOWN });
        const violations = await validateResource(caPolicyExcludesBreakGlass, unknown, idsOnly);
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
            ...idsOnly,
            enforcementLevel: "advisory",
        });
        expect(violations[0].enforcementLevel).toBe("advisory");
    });
});
