/**
 * A break-glass account is never quarantined.
 *
 * Why: containment disables the account, resets its password and removes its MFA methods. Done
 * to an emergency-access account, that removes the way back in exactly when the tenant may be
 * under attack. A suspicious break-glass sign-in is handled by hand (rotate its credentials in
 * person), not by a pull request.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";

import { breakGlassAccountsSchema, configOf } from "./lib/config";
import { AccountEntry, namesOf, parseAccounts } from "./lib/identity";
import { quarantinedUser } from "./lib/quarantined-user";
import { QUARANTINE } from "./lib/resource-types";
import { PreviewUnknowns } from "./lib/unknowns";

export interface QuarantineNotBreakGlassConfig {
    /**
     * Break-glass accounts: object ids, UPNs, or both paired (`"id|upn"`, `{ id, upn }`). Pair
     * them, so a quarantine naming the account by either name is matched.
     */
    breakGlassAccounts: AccountEntry[];
}

const configSchema = { properties: { breakGlassAccounts: breakGlassAccountsSchema } };

export const quarantineNotBreakGlass: ResourceValidationPolicy = {
    name: "quarantine-not-break-glass",
    description: "Checks that no quarantine names a break-glass (emergency-access) account.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== QUARANTINE) {
            return;
        }
        const config = configOf<QuarantineNotBreakGlassConfig>(configSchema, args);
        const what = `Quarantine "${args.name}"`;
        const { accounts, invalid } = parseAccounts(config.breakGlassAccounts);

        // 1. Without a list there is nothing to compare against; passing would be a lie. An
        //    entry that names no account would be skipped just as silently.
        if (config.breakGlassAccounts.length === 0) {
            reportViolation(
                `${what} cannot be checked against the break-glass accounts: the policy config ` +
                    "lists none. Fix: set breakGlassAccounts of policy quarantine-not-break-glass " +
                    'to the emergency-access accounts, each as "<object id>|<upn>" (the same ' +
                    "accounts as the stack's bec-guard:breakGlassAccounts).",
            );
            return;
        }
        if (invalid.length > 0) {
            reportViolation(
                `${what} cannot be checked against break-glass account(s) ${invalid.join(", ")}: ` +
                    "those entries of breakGlassAccounts of policy quarantine-not-break-glass " +
                    "are neither an object id, a UPN, nor a pair of both. Fix: write each as " +
                    '"<object id>|<upn>".',
            );
        }

        // 2. The user as the incident file names it, and as the quarantine resolved it when
        //    that is known here.
        const unknowns = new PreviewUnknowns();
        const user = quarantinedUser(args.props, unknowns);
        if (user.userUnknown) {
            unknowns.rethrow();
            return;
        }

        // 3. Refuse a break-glass account in any state, by any of its names: even a released
        //    quarantine of it has already disabled it once.
        const breakGlass = namesOf(accounts);
        const named = [...user.names].find((name) => breakGlass.has(name));
        if (named !== undefined) {
            const shown = named === user.user ? user.written : `${user.written} (${named})`;
            reportViolation(
                `${what} names break-glass account ${shown}. Containing it would disable the ` +
                    "emergency way back into the tenant. Fix: remove this user from the incident " +
                    "file and handle a suspicious break-glass sign-in by hand: rotate its " +
                    "credentials in person and review its sign-in log.",
            );
            return;
        }

        // 4. An account the config knows by one name only cannot be ruled out for a user named
        //    by the other, until the quarantine resolves the user (its provider then refuses a
        //    break-glass account by either name). Say so, and how to decide it now.
        const idOnly = accounts.filter((a) => a.id !== undefined && a.upn === undefined);
        const upnOnly = accounts.filter((a) => a.upn !== undefined && a.id === undefined);
        const open =
            user.id === undefined && user.upn !== undefined
                ? { field: "userId", by: "UPN", accounts: idOnly, other: "object id" }
                : user.upn === undefined && user.id !== undefined
                  ? { field: "userPrincipalName", by: "object id", accounts: upnOnly, other: "UPN" }
                  : undefined;
        if (open !== undefined && open.accounts.length > 0) {
            unknowns.awaitOutput(
                open.field,
                `${what} names ${user.written} by ${open.by}, and break-glass account(s) ` +
                    `${open.accounts.map((a) => a.label).join(", ")} are configured by ` +
                    `${open.other} only, so the pack cannot rule out that it is one of them ` +
                    "before the quarantine resolves the user (the Quarantine provider then " +
                    "refuses a break-glass account by either name). Fix: pair each break-glass " +
                    "account with its other name in breakGlassAccounts of policy " +
                    'quarantine-not-break-glass ("<object id>|<upn>").',
            );
            unknowns.rethrow();
        }
    },
};
