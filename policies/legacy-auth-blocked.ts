/**
 * Legacy authentication is blocked for all users by an enforced Conditional Access policy.
 *
 * Why: IMAP, POP, SMTP AUTH, Exchange ActiveSync and the other legacy protocols cannot do MFA,
 * so a stolen or sprayed password is enough to read the mailbox. Password spraying over these
 * protocols is the most common way a BEC starts. A report-only policy logs the attack and
 * blocks nothing, so only an enforced one counts.
 *
 * "For all users" means no condition narrows it: no location, platform, device, risk, client
 * application, authentication flow or excluded application, and no exclusions but the
 * configured break-glass accounts and groups and the roles allowed in config. Each of those
 * would leave a way in with a password alone (a "trusted" network, a spoofable platform, a
 * sign-in the risk engine scores low).
 *
 * A stack check: the control is "some policy does it", not a property of one resource.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";

import { breakGlassAccountsSchema, breakGlassGroupsSchema, configOf } from "./lib/config";
import { AccountEntry, accountSet, parseAccounts } from "./lib/identity";
import { CONDITIONAL_ACCESS_POLICY, declaresBaseline } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface LegacyAuthBlockedConfig {
    /** Accounts the block may exclude (the break-glass accounts; their object ids count). */
    breakGlassAccounts: AccountEntry[];
    /** Groups the block may exclude: groups holding only break-glass accounts. */
    breakGlassGroups: string[];
    /** Directory role template ids the block may exclude. */
    allowedExcludedRoles: string[];
}

const configSchema = {
    properties: {
        breakGlassAccounts: breakGlassAccountsSchema,
        breakGlassGroups: breakGlassGroupsSchema,
        allowedExcludedRoles: {
            type: "array" as const,
            items: { type: "string" as const, minLength: 1 },
            default: [],
            description:
                "Directory role template ids the legacy block may exclude, e.g. Directory " +
                "Synchronization Accounts (d29b2b05-8046-44ba-8758-1e26182fcf32) for Entra " +
                "Connect. Every member of an excluded role may sign in over legacy protocols " +
                "with a password alone. Default: none.",
        },
    },
};

/** The client app types Conditional Access uses for legacy protocols. */
const LEGACY_CLIENT_APP_TYPES = ["exchangeActiveSync", "other"];

/** What the policy config allows the legacy block to exclude (all lower case). */
interface AllowedExclusions {
    users: Set<string>;
    groups: Set<string>;
    roles: Set<string>;
}

export const legacyAuthBlocked: StackValidationPolicy = {
    name: "legacy-auth-blocked",
    description:
        "Checks that an enforced Conditional Access policy blocks legacy authentication " +
        "(Exchange ActiveSync and other clients) for all users and all apps.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema,
    validateStack: (args, reportViolation) => {
        // 0. A stack holding only incident files has no baseline to judge (the tenant's
        //    baseline lives in another stack).
        if (!declaresBaseline(args.resources)) {
            args.notApplicable("the stack declares no hardening baseline");
        }
        const config = configOf<LegacyAuthBlockedConfig>(configSchema, args);
        const allowedExclusions: AllowedExclusions = {
            users: new Set(
                parseAccounts(config.breakGlassAccounts).accounts.flatMap((a) =>
                    a.id ? [a.id] : [],
                ),
            ),
            groups: accountSet(config.breakGlassGroups),
            roles: accountSet(config.allowedExcludedRoles),
        };
        const unknowns = new PreviewUnknowns();

        // 1. Judge every policy that blocks some legacy client: it either does the whole job,
        //    or it has a list of reasons why not.
        const candidates: Array<{ resource: PolicyResource; problems: string[] }> = [];
        for (const resource of args.resources) {
            if (resource.type !== CONDITIONAL_ACCESS_POLICY) {
                continue;
            }
            const judged = judge(resource, allowedExclusions, unknowns);
            if (judged === "not-a-legacy-block") {
                continue;
            }
            if (judged.length === 0) {
                return;
            }
            candidates.push({ resource, problems: judged });
        }

        // 2. No qualifying policy. If a policy could not be judged in this preview, leave the
        //    verdict to the check at `pulumi up`.
        unknowns.rethrow();

        // 3. Say exactly what keeps each candidate from counting, or that there is none.
        if (candidates.length === 0) {
            reportViolation(
                "No Conditional Access policy in this stack blocks legacy authentication, so a " +
                    "password alone opens mailboxes over IMAP, POP, SMTP AUTH and ActiveSync. " +
                    "Fix: enable the baseline's blockLegacyAuthentication policy with mode " +
                    "enforced (clientAppTypes exchangeActiveSync and other, all users, all apps, " +
                    "grant control block).",
            );
            return;
        }
        for (const { resource, problems } of candidates) {
            reportViolation(
                `Conditional Access policy "${resource.name}" blocks legacy clients but does not ` +
                    `count as the legacy authentication block: ${problems.join("; ")}. Legacy ` +
                    "protocols cannot do MFA, so every gap is a way in with a password alone. " +
                    "Fix: correct the above (the baseline's blockLegacyAuthentication policy " +
                    "with mode enforced does all of it).",
                resource.urn,
            );
        }
    },
};

/**
 * Whether one Conditional Access policy is THE legacy block: "not-a-legacy-block" if it does
 * not block legacy clients at all, otherwise the list of problems (empty: it qualifies).
 * A field unknown in preview counts as a problem and is recorded in `unknowns`.
 */
function judge(
    resource: PolicyResource,
    allowed: AllowedExclusions,
    unknowns: PreviewUnknowns,
): string[] | "not-a-legacy-block" {
    const props = resource.props;
    const list = (get: () => unknown): string[] | undefined => {
        const value = unknowns.read(get);
        if (isUnknown(value)) {
            return undefined;
        }
        return Array.isArray(value) ? value.map(String) : [];
    };
    const clientAppTypes = list(() => props.conditions?.clientAppTypes);
    const controls = list(() => props.grantControls?.builtInControls);
    if (
        clientAppTypes?.some((type) => LEGACY_CLIENT_APP_TYPES.includes(type)) === false ||
        controls?.includes("block") === false
    ) {
        return "not-a-legacy-block";
    }

    const problems: string[] = [];
    const unknown = (field: string) => problems.push(`${field} is not known in this preview`);

    // 1. Enforced, not report-only or off.
    const state = unknowns.read((): unknown => props.state);
    if (isUnknown(state)) {
        unknown("state");
    } else if (state !== "enabled") {
        problems.push(`its state is ${JSON.stringify(state)}, not "enabled" (enforced)`);
    }

    // 2. Both legacy client types.
    if (clientAppTypes === undefined) {
        unknown("conditions.clientAppTypes");
    } else {
        const missing = LEGACY_CLIENT_APP_TYPES.filter((type) => !clientAppTypes.includes(type));
        if (missing.length > 0) {
            problems.push(`conditions.clientAppTypes lacks ${missing.join(" and ")}`);
        }
    }
    if (controls === undefined) {
        unknown("grantControls.builtInControls");
    }

    // 3. All users, with no exclusions but those the policy config allows.
    const included = list(() => props.conditions?.users?.includedUsers);
    if (included === undefined) {
        unknown("conditions.users.includedUsers");
    } else if (!included.includes("All")) {
        problems.push("conditions.users.includedUsers is not All");
    }
    const exclusions: Array<[string, Set<string>, string]> = [
        ["excludedUsers", allowed.users, "configured break-glass accounts (breakGlassAccounts)"],
        ["excludedGroups", allowed.groups, "configured break-glass groups (breakGlassGroups)"],
        ["excludedRoles", allowed.roles, "roles allowed in allowedExcludedRoles"],
    ];
    for (const [field, permitted, what] of exclusions) {
        const excluded = list(() => props.conditions?.users?.[field]);
        if (excluded === undefined) {
            unknown(`conditions.users.${field}`);
            continue;
        }
        const extra = excluded.filter((id) => !permitted.has(id.toLowerCase()));
        if (extra.length > 0) {
            problems.push(
                `conditions.users.${field} excludes ${extra.join(", ")}, which are not ${what} ` +
                    "of policy legacy-auth-blocked (remove them, or list them there if they " +
                    "truly must use legacy protocols)",
            );
        }
    }
    narrowing(problems, unknowns, "conditions.users.excludedGuestsOrExternalUsers", () =>
        setValue(props.conditions?.users?.excludedGuestsOrExternalUsers),
    );

    // 4. All apps, none excluded.
    const apps = list(() => props.conditions?.applications?.includedApplications);
    if (apps === undefined) {
        unknown("conditions.applications.includedApplications");
    } else if (!apps.includes("All")) {
        problems.push("conditions.applications.includedApplications is not All");
    }
    narrowing(problems, unknowns, "conditions.applications.excludedApplications", () =>
        setValue(props.conditions?.applications?.excludedApplications),
    );

    // 5. No other condition: each one limits the block to some sign-ins and lets the rest in.
    //    Locations and platforms narrow unless they are "All" / "all" with nothing excluded.
    narrowing(problems, unknowns, "conditions.locations", () =>
        unlessEverything(
            props.conditions?.locations,
            "includedLocations",
            "excludedLocations",
            "All",
        ),
    );
    narrowing(problems, unknowns, "conditions.platforms", () =>
        unlessEverything(
            props.conditions?.platforms,
            "includedPlatforms",
            "excludedPlatforms",
            "all",
        ),
    );
    for (const field of NARROWING_CONDITIONS) {
        narrowing(problems, unknowns, `conditions.${field}`, () =>
            setValue(props.conditions?.[field]),
        );
    }

    return problems;
}

/** Conditions that, whatever their value, limit a policy to some sign-ins. */
const NARROWING_CONDITIONS = [
    "signInRiskLevels",
    "userRiskLevels",
    "servicePrincipalRiskLevels",
    "insiderRiskLevels",
    "authenticationFlowTransferMethods",
    "clientApplications",
    "devices",
];

/**
 * Records a narrowing condition: `describe` returns the condition as text when it is set, or
 * undefined when it is absent.
 */
function narrowing(
    problems: string[],
    unknowns: PreviewUnknowns,
    field: string,
    describe: () => string | undefined,
): void {
    const value = unknowns.read(describe);
    if (isUnknown(value)) {
        problems.push(`${field} is not known in this preview`);
    } else if (value !== undefined) {
        problems.push(
            `${field} is set (${value}), so the block applies only to some sign-ins and the ` +
                `rest may use legacy protocols with a password alone (remove ${field})`,
        );
    }
}

/** A condition value as text when it is set (a non-empty list, text, or object), else undefined. */
function setValue(value: unknown): string | undefined {
    if (value === undefined || value === null || value === "") {
        return undefined;
    }
    if (Array.isArray(value) && value.length === 0) {
        return undefined;
    }
    if (typeof value === "object" && !Array.isArray(value)) {
        const anySet = Object.values(value).some((inner) => setValue(inner) !== undefined);
        return anySet ? JSON.stringify(value) : undefined;
    }
    return JSON.stringify(value);
}

/**
 * A locations or platforms block as text, unless it covers everything: `included` exactly
 * `[everything]` and nothing in `excluded`.
 */
function unlessEverything(
    block: any,
    included: string,
    excluded: string,
    everything: string,
): string | undefined {
    if (setValue(block) === undefined) {
        return undefined;
    }
    const inside: unknown[] = block[included] ?? [];
    const covers = inside.length === 1 && inside[0] === everything;
    return covers && setValue(block[excluded]) === undefined ? undefined : JSON.stringify(block);
}
