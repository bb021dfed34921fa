/**
 * Every Conditional Access policy leaves the break-glass accounts out.
 *
 * Why: one mistaken enforced policy (a country block while travelling, an authentication
 * strength nobody has registered) can lock every administrator out of the tenant. The
 * break-glass accounts are the way back in, so no policy may apply to them. The same holds
 * for token protection, which is a Conditional Access policy too.
 *
 * Every configured account must be shown excluded by one of its own names: its object id, or
 * (token protection, which takes UPNs too) the UPN the config pairs with it. A UPN in the policy
 * never counts for an account the config lists by object id alone, since nothing says they are
 * the same person.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";

import { AccountEntry, accountSet, ConfiguredAccount, parseAccounts } from "./lib/identity";
import { breakGlassAccountsSchema, breakGlassGroupsSchema, configOf } from "./lib/config";
import { CONDITIONAL_ACCESS_POLICY, TOKEN_PROTECTION_POLICY } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface CaPolicyExcludesBreakGlassConfig {
    /**
     * Break-glass accounts: object ids, UPNs, or pairs of both (`"id|upn"`, `{ id, upn }`).
     * Conditional Access policies are checked against the object ids; token protection against
     * each account's object id or its paired UPN.
     */
    breakGlassAccounts: AccountEntry[];
    /**
     * Object ids of groups that hold exactly the break-glass accounts. Excluding one of them
     * counts as excluding every break-glass account.
     */
    breakGlassGroups: string[];
}

const configSchema = {
    properties: {
        breakGlassAccounts: breakGlassAccountsSchema,
        breakGlassGroups: breakGlassGroupsSchema,
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
        const { accounts, invalid } = parseAccounts(config.breakGlassAccounts);

        // 1. A config entry that names no account would silently check nothing for it.
        if (invalid.length > 0) {
            reportViolation(
                `${what} cannot be checked for break-glass account(s) ${invalid.join(", ")}: ` +
                    "those entries of breakGlassAccounts of policy ca-policy-excludes-break-glass " +
                    "are neither an object id, a UPN, nor a pair of both. Fix: write each as " +
                    '"<object id>|<upn>" or {"id": "<object id>", "upn": "<upn>"}.',
            );
        }
        if (accounts.length === 0 && config.breakGlassGroups.length === 0) {
            if (invalid.length === 0) {
                reportViolation(
                    `${what} cannot be checked for break-glass exclusions: the policy config ` +
                        "lists no break-glass accounts. Fix: set breakGlassAccounts of policy " +
                        "ca-policy-excludes-break-glass to the emergency-access accounts, each " +
                        'as "<object id>|<upn>".',
                );
            }
            return;
        }

        // 2. Read the exclusions. azuread policies keep them in conditions.users; the token
        //    protection resource takes breakGlassAccounts (ids or UPNs, resolved when written,
        //    the resolved ids then in its excludedUserIds output) and excludeGroups.
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
        const resolvedIds = isTokenProtection
            ? unknowns.read((): string[] | undefined => args.props.excludedUserIds)
            : undefined;

        // 3. Excluding one break-glass group covers every account.
        const breakGlassGroups = accountSet(config.breakGlassGroups);
        const groupUnknown = breakGlassGroups.size > 0 && isUnknown(excludedGroups);
        if (
            !isUnknown(excludedGroups) &&
            excludedGroups.some((group) => breakGlassGroups.has(group.toLowerCase()))
        ) {
            return;
        }

        // 4. Every account must be excluded by one of its own names. Conditional Access holds
        //    object ids only, so an account the config names by UPN alone cannot be matched.
        const names = isUnknown(excludedUsers) ? undefined : accountSet(excludedUsers);
        const ids =
            Array.isArray(resolvedIds) && !isUnknown(resolvedIds)
                ? accountSet(resolvedIds)
                : new Set<string>();
        const covered = (account: ConfiguredAccount): boolean =>
            (account.id !== undefined &&
                (names?.has(account.id) === true || ids.has(account.id))) ||
            (isTokenProtection && account.upn !== undefined && names?.has(account.upn) === true);
        const checkable = isTokenProtection ? accounts : accounts.filter((a) => a.id);
        const byUpnOnly = accounts.filter((account) => !checkable.includes(account));
        const missing = checkable.filter((account) => !covered(account));
        if (checkable.length > 0 && missing.length === 0 && byUpnOnly.length === 0) {
            return;
        }

        // 5. An account the pack cannot match is a config problem, known now (unless a group
        //    exclusion, unknown in this preview, may still cover everyone).
        if (byUpnOnly.length > 0 && !groupUnknown) {
            reportViolation(
                `${what} cannot be checked for break-glass account(s) ` +
                    `${byUpnOnly.map((a) => a.label).join(", ")}: the policy config names them ` +
                    "by UPN only, and Conditional Access exclusions hold object ids. Fix: pair " +
                    "each with its object id in breakGlassAccounts of policy " +
                    'ca-policy-excludes-break-glass ("<object id>|<upn>").',
            );
        }

        // 6. Not shown to be excluded. If that rests on a value unknown in this preview, the
        //    SDK records it as advisory and `pulumi up` checks again with the real value.
        if (groupUnknown || (missing.length > 0 && names === undefined)) {
            unknowns.rethrow();
        }
        // (No accounts configured at all: only the groups are missing.)
        if (missing.length > 0 || accounts.length === 0) {
            reportViolation(
                `${what} does not exclude ${missingText(missing, config.breakGlassGroups)}. If ` +
                    "this policy locks administrators out, nobody can sign in to undo it. " +
                    fixText(isTokenProtection, config.breakGlassGroups) +
                    unpairedHint(isTokenProtection, missing, accounts, names),
            );
        }
    },
};

/** `Conditional Access policy "name"` or `Token protection policy "name"`. */
function describe(type: string, name: string): string {
    const kind =
        type === TOKEN_PROTECTION_POLICY ? "Token protection policy" : "Conditional Access policy";
    return `${kind} "${name}"`;
}

/** What is not excluded: the accounts, the groups, or both. */
function missingText(missing: ConfiguredAccount[], groups: string[]): string {
    const accounts = `break-glass account(s) ${missing.map((a) => a.label).join(", ")}`;
    const anyGroup = `any break-glass group (${groups.join(", ")})`;
    if (missing.length === 0) {
        return anyGroup;
    }
    return groups.length > 0 ? `${accounts}, nor ${anyGroup}` : accounts;
}

/** The fix, naming the field to change and the group alternative when there is one. */
function fixText(isTokenProtection: boolean, groups: string[]): string {
    const field = isTokenProtection ? "breakGlassAccounts" : "conditions.users.excludedUsers";
    const group = isTokenProtection ? "excludeGroups" : "conditions.users.excludedGroups";
    return groups.length > 0
        ? `Fix: add every break-glass account to ${field} (the baseline does this from the ` +
              `stack's bec-guard:breakGlassAccounts), or add one of the break-glass groups to ` +
              `${group}.`
        : `Fix: add every break-glass account to ${field} (the baseline does this from the ` +
              "stack's bec-guard:breakGlassAccounts).";
}

/**
 * For token protection naming an account by a UPN the config does not pair with an object id:
 * the likely cause of a missing account known by id only, and how to tell the pack they are one.
 */
function unpairedHint(
    isTokenProtection: boolean,
    missing: ConfiguredAccount[],
    accounts: ConfiguredAccount[],
    names: Set<string> | undefined,
): string {
    if (!isTokenProtection || names === undefined || !missing.some((a) => a.upn === undefined)) {
        return "";
    }
    // UPNs the config does not tie to an object id: any of them may be a missing account.
    const pairedUpns = new Set(accounts.flatMap((a) => (a.id && a.upn ? [a.upn] : [])));
    const unpaired = [...names].filter((name) => name.includes("@") && !pairedUpns.has(name));
    if (unpaired.length === 0) {
        return "";
    }
    return (
        ` The policy names ${unpaired.join(", ")} by UPN; if that is one of the accounts above, ` +
        'pair them in the policy config ("<object id>|<upn>") so the pack can match them.'
    );
}
