/**
 * User consent is not open to all apps.
 *
 * Why: consent phishing and the "keep access" step of a BEC both rely on a user granting an
 * attacker's app standing access to their mailbox (Mail.Read, offline_access). The tenant's
 * consent policy decides whether a user can do that alone.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { CONSENT_POLICY } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface UserConsentRestrictedConfig {
    /** The userConsent values accepted. */
    allowedUserConsent: string[];
}

const configSchema = {
    properties: {
        allowedUserConsent: {
            type: "array" as const,
            items: {
                type: "string" as const,
                enum: ["disabled", "verifiedPublishersLowRisk", "allApps"],
            },
            minItems: 1,
            default: ["disabled", "verifiedPublishersLowRisk"],
            description:
                "The userConsent values accepted. Default: disabled and " +
                "verifiedPublishersLowRisk. Set [disabled] to require admin consent for every app.",
        },
    },
};

export const userConsentRestricted: ResourceValidationPolicy = {
    name: "user-consent-restricted",
    description: "Checks that the consent policy does not let users consent to all apps.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== CONSENT_POLICY) {
            return;
        }
        const config = configOf<UserConsentRestrictedConfig>(configSchema, args);
        const unknowns = new PreviewUnknowns();
        const userConsent = unknowns.read((): unknown => args.props.userConsent);
        if (isUnknown(userConsent)) {
            unknowns.rethrow();
            return;
        }

        // 1. Left out, the resource does not manage user consent and the tenant keeps what it
        //    has; older tenants still allow consent to any app. Declared is the only safe state.
        if (userConsent === undefined || userConsent === null) {
            reportViolation(
                `Consent policy "${args.name}" does not manage userConsent, so the tenant keeps ` +
                    "its current setting (older tenants let users consent to any app). Fix: set " +
                    `userConsent to ${config.allowedUserConsent.join(" or ")} in the stack config.`,
            );
            return;
        }

        // 2. Declared: it must be one of the accepted values.
        if (typeof userConsent !== "string" || !config.allowedUserConsent.includes(userConsent)) {
            reportViolation(
                `Consent policy "${args.name}" sets userConsent to ${JSON.stringify(userConsent)}, ` +
                    "which lets any user hand an app (an attacker's included) standing access to " +
                    `their mailbox. Fix: set userConsent to ${config.allowedUserConsent.join(" or ")} ` +
                    "and route other requests through the admin consent workflow.",
            );
        }
    },
};
