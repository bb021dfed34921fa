/**
 * Legacy authentication is blocked for all users by an enforced Conditional Access policy.
 *
 * Why: IMAP, POP, SMTP AUTH, Exchange ActiveSync and the other legacy protocols cannot do MFA,
 * so a stolen or sprayed password is enough to read the mailbox. Password spraying over these
 * protocols is the most common way a BEC starts. A report-only policy logs the attack and
 * blocks nothing, so only an enforced one counts.
 *
 * A stack check: the control is "some policy does it", not a property of one resource.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";

import { breakGlassAccountsSchema, configOf } from "./lib/config";
import { accountSet, isObjectId } from "./lib/identity";
import { CONDITIONAL_ACCESS_POLICY, declaresBaseline } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface LegacyAuthBlockedConfig {
    /** Object ids that may be excluded from the block (the break-glass accounts). */
    breakGlassAccounts: string[];
}

const configSchema = { properties: { breakGlassAccounts: breakGlassAccountsSchema } };

/** The client app types Conditional Access uses for legacy protocols. */
const LEGACY_CLIENT_APP_TYPES = ["exchangeActiveSync", "other"];

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
        const allowedExclusions = accountSet(config.breakGlassAccounts.filter(isObjectId));
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
    allowedExclusions: Set<string>,
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

    // Enforced, not report-only or off.
    const state = unknowns.read((): unknown => props.state);
    if (isUnknown(state)) {
        unknown("state");
    } else if (state !== "enabled") {
        problems.push(`its state is ${JSON.stringify(state)}, not "enabled" (enforced)`);
    }

    // Both legacy client types.
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

    // All users, with no exclusions but the break-glass accounts.
    const included = list(() => props.conditions?.users?.includedUsers);
    if (included === undefined) {
        unknown("conditions.users.includedUsers");
    } else if (!included.includes("All")) {
        problems.push("conditions.users.includedUsers is not All");
    }
    const excludedUsers = list(() => props.conditions?.users?.excludedUsers);
    if (excludedUsers === undefined) {
        unknown("conditions.users.excludedUsers");
    } else {
        const extra = excludedUsers.filter((id) => !allowedExclusions.has(id.toLowerCase()));
        if (extra.length > 0) {
            problems.push(
                `it excludes ${extra.join(", ")}, which are not configured break-glass accounts`,
            );
        }
    }
    for (const field of ["excludedGroups", "excludedRoles", "excludedGuestsOrExternalUsers"]) {
        const excluded = list(() => props.conditions?.users?.[field]);
        if (excluded === undefined) {
            unknown(`conditions.users.${field}`);
        } else if (excluded.length > 0) {
            problems.push(`it excludes conditions.users.${field}`);
        }
    }

    // All apps.
    const apps = list(() => props.conditions?.applications?.includedApplications);
    if (apps === undefined) {
        unknown("conditions.applications.includedApplications");
    } else if (!apps.includes("All")) {
        problems.push("conditions.applications.includedApplications is not All");
    }

    return problems;
}
