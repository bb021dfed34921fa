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
import { accountSet, isObjectId, isUserPrincipalName, normalizeAccount } from "./lib/identity";
import { CONDITIONAL_ACCESS_POLICY, TOKEN_PROTECTION_POLICY } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface CaPolicyExcludesBreakGlassConfig {
    /**
     * Break-glass accounts. Conditional Access policies are checked against the object ids;
     * token protection (which resolves UPNs itself) against the object ids or the UPNs.
     */
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
        const isTokenProtection = args.type === TOKEN_PROTECTION_POLICY;

        // 1. Conditional Access exclusions hold object ids only. A config listing only UPNs
        //    would make this policy pass everything, so say so instead.
        const breakGlassIds = config.breakGlassAccounts.filter(isObjectId);
        const breakGlassUpns = config.breakGlassAccounts.filter(isUserPrincipalName);
        const checkable =
            breakGlassIds.length > 0 || (isTokenProtection && breakGlassUpns.length > 0);
        if (!checkable && config.breakGlassGroups.length === 0) {
            reportViolation(
                `${what} cannot be checked for break-glass exclusions: the policy config lists ` +
                    "no break-glass object id. Fix: set breakGlassAccounts of policy " +
                    "ca-policy-excludes-break-glass to the object ids of the emergency-access " +
                    "accounts (UPNs alone cannot be matched against excludedUsers).",
            );
            return;
        }

        // 2. Read the exclusions. azuread policies keep them in conditions.users; the token
        //    protection resource takes breakGlassAccounts (ids or UPNs, resolved when written)
        //    and excludeGroups at the top level.
        const unknowns = new PreviewUnknowns();
        const excludedUsers = unknowns.read((): string[] =>
            isTokenProtection
                ? (args.props.breakGlassAccounts ?? [])
                : (args.props.conditions?.users?.excludedUsers ?? []),
        );
        const excludedGroups = unknowns.read((): string[] =>
            isTokenProtection
                ? (args.props.excludeGroups ?? [])
                : (args.props.conditions?.users?.excludedGroups ?? []),
        );

        // 3. Excluding one break-glass group covers every account.
        const breakGlassGroups = accountSet(config.breakGlassGroups);
        if (
            !isUnknown(excludedGroups) &&
            excludedGroups.some((group) => breakGlassGroups.has(group.toLowerCase()))
        ) {
            return;
        }

        // 4. Otherwise every break-glass account must be excluded: all configured object ids,
        //    or (token protection, which resolves UPNs itself) all configured UPNs.
        const missingFrom = (wanted: string[]): string[] =>
            isUnknown(excludedUsers)
                ? wanted
                : wanted.filter(
                      (account) => !accountSet(excludedUsers).has(normalizeAccount(account)),
                  );
        const missingIds = missingFrom(breakGlassIds);
        const missingUpns = missingFrom(breakGlassUpns);
        if (!isUnknown(excludedUsers)) {
            if (breakGlassIds.length > 0 && missingIds.length === 0) {
                return;
            }
            if (isTokenProtection && breakGlassUpns.length > 0 && missingUpns.length === 0) {
                return;
            }
        }

        // 5. Not shown to be excluded. If that rests on a value unknown in this preview, the
        //    SDK records it as advisory and `pulumi up` checks again with the real value.
        unknowns.rethrow();
        const field = isTokenProtection ? "breakGlassAccounts" : "conditions.users.excludedUsers";
        const groups =
            config.breakGlassGroups.length > 0
                ? ` nor any break-glass group (${config.breakGlassGroups.join(", ")})`
                : "";
        const accounts = missingIds.length > 0 ? missingIds : missingUpns;
        reportViolation(
            `${what} does not exclude break-glass account(s) ${accounts.join(", ")}${groups}. ` +
                "If this policy locks administrators out, nobody can sign in to undo it. " +
                `Fix: add every break-glass account to ${field} (the baseline does this from ` +
                "the stack's bec-guard:breakGlassAccounts), or exclude a group listed in this " +
                "policy's breakGlassGroups.",
        );
    },
};

/** `Conditional Access policy "name"` or `Token protection policy "name"`. */
function describe(type: string, name: string): string {
    const kind =
        type === TOKEN_PROTECTION_POLICY ? "Token protection policy" : "Conditional Access policy";
    return `${kind} "${name}"`;
}
