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
import { accountSet, normalizeAccount } from "./lib/identity";
import { QUARANTINE } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface QuarantineNotBreakGlassConfig {
    /** Break-glass accounts, by object id and/or UPN (list both to catch either form). */
    breakGlassAccounts: string[];
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

        // 1. Without a list there is nothing to compare against; passing would be a lie.
        if (config.breakGlassAccounts.length === 0) {
            reportViolation(
                `Quarantine "${args.name}" cannot be checked against the break-glass accounts: ` +
                    "the policy config lists none. Fix: set breakGlassAccounts of policy " +
                    "quarantine-not-break-glass to the emergency-access accounts' UPNs and " +
                    "object ids (the same accounts as the stack's bec-guard:breakGlassAccounts).",
            );
            return;
        }

        // 2. The user as the incident file names it (UPN or object id).
        const unknowns = new PreviewUnknowns();
        const user = unknowns.read((): unknown => args.props.user);
        if (isUnknown(user)) {
            unknowns.rethrow();
            return;
        }

        // 3. Refuse a break-glass account in any state: even a released quarantine of it has
        //    already disabled it once.
        if (
            typeof user === "string" &&
            accountSet(config.breakGlassAccounts).has(normalizeAccount(user))
        ) {
            reportViolation(
                `Quarantine "${args.name}" names break-glass account ${user}. Containing it ` +
                    "would disable the emergency way back into the tenant. Fix: remove this " +
                    "user from the incident file and handle a suspicious break-glass sign-in " +
                    "by hand: rotate its credentials in person and review its sign-in log.",
            );
        }
    },
};
