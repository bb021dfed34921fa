/**
 * Every Conditional Access policy leaves the break-glass accounts out.
 *
 * Why: one mistaken enforced policy (a country block while travelling, an authentication
 * strength nobody has registered) can lock every administrator out of the tenant. The
 * break-glass accounts are the way back in, so no policy may apply to them. The same holds
 * for token protection, which is a Conditional Access policy too.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";

import { breakGlassAccountsSchema, configOf } from "./lib/config";
import { accountSet, isObjectId } from "./lib/identity";
import { CONDITIONAL_ACCESS_POLICY, TOKEN_PROTECTION_POLICY } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface CaPolicyExcludesBreakGlassConfig {
    /** Break-glass accounts; only the object ids among them can be checked here. */
    breakGlassAccounts: string[];
    /**
     * Object ids of groups that hold exactly the break-glass accounts. Excluding one of them
     * counts as excluding every break-glass account.
     */
    breakGlassGroups: string[];
}

const configSchema = {
    properties: {
        breakGlassAccounts: breakGlassAccountsSchema,
        breakGlassGroups: {
            type: "array" as const,
            items: { type: "string" as const, minLength: 1 },
            default: [],
            description:
                "Object ids of groups holding only the break-glass accounts. A policy that " +
                "excludes one of these groups counts as excluding the break-glass accounts.",
        },
    },
};

export const caPolicyExcludesBreakGlass: ResourceValidationPolicy = {
    name: "ca-policy-excludes-break-glass",
    description:
        "Checks that every Conditional Access policy (token protection included) excludes " +
        "the configured break-glass accounts.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== CONDITIONAL_ACCESS_POLICY && args.type !== TOKEN_PROTECTION_POLICY) {
            return;
        }
        const config = configOf<CaPolicyExcludesBreakGlassConfig>(configSchema, args);
        const what = describe(args.type, args.name);

        // 1. The check needs object ids: Conditional Access exclusions hold nothing else. A
        //    config listing only UPNs would make this policy pass everything, so say so.
        const breakGlassIds = config.breakGlassAccounts.filter(isObjectId);
        if (breakGlassIds.length === 0 && config.breakGlassGroups.length === 0) {
            reportViolation(
                `${what} cannot be checked for break-glass exclusions: the policy config lists ` +
                    "no break-glass object id. Fix: set breakGlassAccounts of policy " +
                    "ca-policy-excludes-break-glass to the object ids of the emergency-access " +
                    "accounts (UPNs alone cannot be matched against excludedUsers).",
            );
            return;
        }

        // 2. Read the exclusions. Token protection takes the same users block (Graph's shape
        //    uses excludeUsers/excludeGroups; azuread's uses excludedUsers/excludedGroups).
        const unknowns = new PreviewUnknowns();
        const excludedUsers = unknowns.read((): string[] => {
            const users = args.props.conditions?.users;
            return users?.excludedUsers ?? users?.excludeUsers ?? [];
        });
        const excludedGroups = unknowns.read((): string[] => {
            const users = args.props.conditions?.users;
            return users?.excludedGroups ?? users?.excludeGroups ?? [];
        });

        // 3. Excluding one break-glass group covers every account.
        const breakGlassGroups = accountSet(config.breakGlassGroups);
        if (
            !isUnknown(excludedGroups) &&
            excludedGroups.some((group) => breakGlassGroups.has(group.toLowerCase()))
        ) {
            return;
        }

        // 4. Otherwise every break-glass object id must be excluded by id.
        const missing = isUnknown(excludedUsers)
            ? breakGlassIds
            : breakGlassIds.filter((id) => !accountSet(excludedUsers).has(id.toLowerCase()));
        if (breakGlassIds.length > 0 && !isUnknown(excludedUsers) && missing.length === 0) {
            return;
        }

        // 5. Not shown to be excluded. If that rests on a value unknown in this preview, the
        //    SDK records it as advisory and `pulumi up` checks again with the real value.
        unknowns.rethrow();
        const notExcluded = [
            ...missing.map((id) => `account ${id}`),
            ...config.breakGlassGroups.map((group) => `group ${group}`),
        ];
        reportViolation(
            `${what} does not exclude the break-glass ${notExcluded.join(" or ")}. ` +
                "If this policy locks administrators out, nobody can sign in to undo it. " +
                "Fix: add every break-glass object id to conditions.users.excludedUsers (the " +
                "baseline does this from the stack's bec-guard:breakGlassAccounts), or exclude " +
                "a group listed in this policy's breakGlassGroups.",
        );
    },
};

/** `Conditional Access policy "name"` or `Token protection policy "name"`. */
function describe(type: string, name: string): string {
    const kind =
        type === TOKEN_PROTECTION_POLICY ? "Token protection policy" : "Conditional Access policy";
    return `${kind} "${name}"`;
}
