/**
 * The authentication methods BEC Guard wants a tenant to allow: phishing-resistant methods on,
 * phishable ones off, and a short-lived Temporary Access Pass for re-registering MFA in person
 * after a compromise. A thin component over the `AuthenticationMethodsPolicy` dynamic resource
 * (azuread cannot manage this tenant singleton); it supplies the baseline's values, which any
 * section of the args overrides.
 */
import * as pulumi from "@pulumi/pulumi";

import {
    AuthenticationMethodsPolicy,
    AuthenticationMethodsPolicyInputs,
} from "../dynamic-providers/authentication-methods-policy";

/** A section of the policy: its settings, or `false` to leave it as the tenant has it. */
type Section<K extends keyof AuthenticationMethodsPolicyInputs> =
    NonNullable<AuthenticationMethodsPolicyInputs[K]> | false;

/**
 * The baseline's values. Each section is merged under what the args give, so a stack that
 * only wants a longer TAP lifetime writes `temporaryAccessPass: { defaultLifetimeInMinutes: 240 }`.
 */
export const AUTHENTICATION_METHODS_BASELINE: Required<AuthenticationMethodsPolicyInputs> = {
    // Phishing-resistant: what the Conditional Access strength for high-risk users requires.
    fido2: { state: "enabled", includeGroups: ["all_users"], allowSelfServiceRegistration: true },
    // Push approvals that show which app and where, so MFA-fatigue prompts stand out.
    microsoftAuthenticator: {
        state: "enabled",
        includeGroups: ["all_users"],
        showAppName: true,
        showLocation: true,
    },
    // Codes by SMS or voice are phished by AiTM kits and stolen by SIM swaps.
    sms: { state: "disabled" },
    voice: { state: "disabled" },
    // Members must not fall back to a code mailed to a mailbox the attacker may read; guests may.
    email: { state: "disabled", allowExternalUsers: true },
    // Re-registration after containment: one pass, one hour, used once.
    temporaryAccessPass: {
        state: "enabled",
        includeGroups: ["all_users"],
        defaultLifetimeInMinutes: 60,
        isUsableOnce: true,
    },
    // Left as the tenant has them unless a stack asks.
    softwareOath: {},
    x509Certificate: {},
    // Nudge everyone without Authenticator to register it, three days of snoozing at most.
    registrationCampaign: {
        state: "enabled",
        snoozeDurationInDays: 3,
        includeGroups: ["all_users"],
    },
};

export interface AuthenticationMethodsBaselineArgs {
    /**
     * FIDO2 security keys and passkeys. Default: enabled for all users, self-service
     * registration on. Risk if disabled: nobody can meet the phishing-resistant requirement for
     * high-risk users and administrators, who are then locked out once it is enforced.
     */
    fido2?: Section<"fido2">;
    /**
     * Microsoft Authenticator. Default: enabled for all users, app name and location shown.
     * Risk if the context is hidden: users approve prompts they cannot tell apart.
     */
    microsoftAuthenticator?: Section<"microsoftAuthenticator">;
    /** SMS codes. Default: disabled. Risk if enabled: SIM swap and real-time phishing. */
    sms?: Section<"sms">;
    /** Voice calls. Default: disabled. Risk if enabled: real-time phishing of the call. */
    voice?: Section<"voice">;
    /**
     * Email one-time passcodes. Default: off for members, on for external (guest) users.
     * Risk if on for members: a code goes to a mailbox the attacker may already read.
     */
    email?: Section<"email">;
    /**
     * Temporary Access Pass. Default: enabled for all users, 60-minute lifetime, single use.
     * Risk if long-lived or reusable: a leaked pass is a way back in for the attacker.
     */
    temporaryAccessPass?: Section<"temporaryAccessPass">;
    /** Software OATH tokens. Default: not managed. Risk if enabled: codes can be phished. */
    softwareOath?: Section<"softwareOath">;
    /**
     * Certificate-based authentication. Default: not managed. Risk if disabled while in use:
     * smart-card users lose their phishing-resistant method.
     */
    x509Certificate?: Section<"x509Certificate">;
    /**
     * The Authenticator registration campaign. Default: enabled for all users, 3 days snooze.
     * Risk if off: users keep SMS as their only method once the tenant allows it again.
     */
    registrationCampaign?: Section<"registrationCampaign">;
}

/** The policy inputs for the args: the baseline's sections with the args merged over them. */
export function authenticationMethodsInputs(
    args: AuthenticationMethodsBaselineArgs = {},
): AuthenticationMethodsPolicyInputs {
    const inputs: Record<string, unknown> = {};
    for (const key of Object.keys(AUTHENTICATION_METHODS_BASELINE) as Array<
        keyof AuthenticationMethodsPolicyInputs
    >) {
        const override = args[key];
        if (override === false) {
            continue;
        }
        const merged = { ...AUTHENTICATION_METHODS_BASELINE[key], ...(override ?? {}) };
        // An empty section manages nothing; leave it out so the policy reads cleanly.
        if (Object.keys(merged).length > 0) {
            inputs[key] = merged;
        }
    }
    return inputs as AuthenticationMethodsPolicyInputs;
}

/** Whether FIDO2 ends up enabled with these args (the phishing-resistant strength needs it). */
export function fido2Enabled(args: AuthenticationMethodsBaselineArgs = {}): boolean {
    return authenticationMethodsInputs(args).fido2?.state === "enabled";
}

/**
 * The tenant's authentication methods policy at the BEC baseline. Deleting it restores the
 * values the tenant had before.
 *
 * Note: declare at most one per tenant (the policy is a singleton).
 */
export class AuthenticationMethodsBaseline extends pulumi.ComponentResource {
    public readonly policy: AuthenticationMethodsPolicy;

    constructor(
        name: string,
        args: AuthenticationMethodsBaselineArgs = {},
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("bec-guard:baseline:AuthenticationMethodsBaseline", name, {}, opts);

        this.policy = new AuthenticationMethodsPolicy(
            `${name}-policy`,
            authenticationMethodsInputs(args),
            { parent: this },
        );

        this.registerOutputs({ previous: this.policy.previous, drift: this.policy.drift });
    }
}
