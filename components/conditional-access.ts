/**
 * Conditional Access: the sign-in rules that stop a stolen password from becoming a stolen
 * mailbox. Built on `@pulumi/azuread` (Graph v1.0), which manages Conditional Access policies
 * and named locations natively.
 *
 * The policies, each switchable and each with its own rollout mode:
 * - block legacy authentication (protocols that cannot do MFA: IMAP, POP, SMTP AUTH, EAS, ...);
 * - require MFA for all users;
 * - require phishing-resistant MFA (the built-in authentication strength) for high-risk groups
 *   (finance, executives, payment authority) and administrator roles;
 * - block sign-ins from outside the allowed countries;
 * - block high sign-in risk and require a password change for high user risk (Entra ID P2);
 * - block the device code flow (a common consent/phishing lure);
 * - protect security-info registration, so a password alone cannot add an attacker's MFA method.
 *
 * Every policy excludes the break-glass accounts; MFA for all users also excludes the Directory
 * Synchronization Accounts role by default (Entra Connect's sync account cannot do MFA).
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";

import { resolveBreakGlassAccounts } from "./break-glass";

/**
 * How a policy is rolled out:
 * - `report-only`: evaluated and logged in sign-in logs, never enforced
 *   (`enabledForReportingButNotEnforced`);
 * - `enforced`: enforced (`enabled`);
 * - `off`: kept in the tenant but switched off (`disabled`).
 */
export type PolicyMode = "report-only" | "enforced" | "off";

/** The valid modes, for validation messages. */
export const POLICY_MODES: readonly PolicyMode[] = ["report-only", "enforced", "off"];

/** Graph's `state` value for each mode. */
export function policyState(mode: PolicyMode): string {
    switch (mode) {
        case "report-only":
            return "enabledForReportingButNotEnforced";
        case "enforced":
            return "enabled";
        case "off":
            return "disabled";
    }
}

/**
 * The built-in "Phishing-resistant MFA" authentication strength (Windows Hello for Business,
 * FIDO2 security keys / passkeys, certificate-based MFA). Its id is the same in every tenant.
 */
export const PHISHING_RESISTANT_STRENGTH_ID = "00000000-0000-0000-0000-000000000004";

/**
 * Directory roles whose holders get phishing-resistant MFA by default: the roles Microsoft's
 * own "phishing-resistant MFA for administrators" guidance lists, plus the few that can change
 * authentication or mail flow settings. Keys are the role names, values the role TEMPLATE ids,
 * which are the same in every tenant (Conditional Access `includeRoles` takes template ids).
 */
export const ADMIN_ROLE_TEMPLATE_IDS: Readonly<Record<string, string>> = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "SharePoint Administrator": "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Billing Administrator": "b0f54661-2d74-4c50-afa3-1ec803f12efe",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Conditional Access Administrator": "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Password Administrator": "966707d0-3269-4727-9be2-8c3a10f19b9d",
    "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
    "Authentication Policy Administrator": "0526716b-113d-4c15-b2c8-68e3c22b9f80",
    "Hybrid Identity Administrator": "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
};

/**
 * The built-in "Directory Synchronization Accounts" role (template id, the same in every
 * tenant): the role Microsoft Entra Connect's sync account holds. The account signs in
 * unattended from the sync server and cannot do MFA, so Microsoft's "Require multifactor
 * authentication for all users" template excludes this role; without the exclusion an enforced
 * MFA-for-all policy stops directory synchronization in a hybrid tenant.
 */
export const DIRECTORY_SYNCHRONIZATION_ACCOUNTS_ROLE_ID = "d29b2b05-8046-44ba-8758-1e26182fcf32";

/** The policies this component can declare; the keys of `ConditionalAccessBaselineArgs.policies`. */
export type ConditionalAccessPolicyKey =
    | "blockLegacyAuthentication"
    | "requireMfaAllUsers"
    | "requirePhishingResistantMfa"
    | "blockOutsideAllowedCountries"
    | "blockHighSignInRisk"
    | "requirePasswordChangeHighUserRisk"
    | "blockDeviceCodeFlow"
    | "protectSecurityInfoRegistration";

export const CONDITIONAL_ACCESS_POLICY_KEYS: readonly ConditionalAccessPolicyKey[] = [
    "blockLegacyAuthentication",
    "requireMfaAllUsers",
    "requirePhishingResistantMfa",
    "blockOutsideAllowedCountries",
    "blockHighSignInRisk",
    "requirePasswordChangeHighUserRisk",
    "blockDeviceCodeFlow",
    "protectSecurityInfoRegistration",
];

/** Per-policy settings. */
export interface PolicySettings {
    /**
     * Rollout mode of this one policy. Default: the component's `defaultMode`.
     * Risk if wrong: `enforced` before the report-only results were reviewed can lock users
     * out; `off` leaves the gap the policy closes.
     */
    mode?: PolicyMode;
    /**
     * Set to false to not declare the policy at all (it is then not in the tenant, unlike
     * `mode: off`). Default: true, except the two risk policies, which need Entra ID P2 and
     * default to false.
     * Risk if wrong: declaring a risk policy without P2 licences fails the deployment.
     */
    enabled?: boolean;
}

export interface ConditionalAccessBaselineArgs {
    /**
     * Break-glass accounts (object ids or UPNs) excluded from every policy. UPNs are resolved
     * to object ids in Entra ID at preview.
     * Default: none. Risk if wrong: with no working break-glass account, one mistaken enforced
     * policy can lock every administrator out of the tenant.
     */
    breakGlassAccounts: string[];

    /**
     * Rollout mode for every policy that does not set its own. Default: `report-only`, so that
     * a first `pulumi up` changes what is logged, not who can sign in.
     * Risk if wrong: `enforced` on a tenant never run in report-only can block legitimate
     * sign-ins (service accounts on legacy protocols, travellers).
     */
    defaultMode?: PolicyMode;

    /**
     * ISO 3166-1 alpha-2 codes of the countries sign-ins may come from (for example `GB`, not
     * `UK`). Empty or absent: no named location and no country block policy.
     * Risk if wrong: a missing country blocks everyone working from it once enforced; an
     * extra one lets an attacker sign in from there with a stolen password (MFA still applies).
     */
    allowedCountries?: string[];

    /**
     * Whether sign-ins from IP addresses that map to no country count as allowed.
     * Default: false. Risk if wrong: true lets anonymising networks that geolocate nowhere
     * through the country block.
     */
    includeUnknownCountries?: boolean;

    /**
     * Object ids of the groups whose members must use phishing-resistant MFA: finance,
     * executives, anyone with payment authority. Default: none (administrators only).
     * Risk if wrong: a payment approver left out can be phished with an AiTM proxy that
     * relays ordinary MFA, which is exactly how most BEC wire fraud starts.
     */
    highRiskGroupIds?: string[];

    /**
     * Directory role template ids whose holders must use phishing-resistant MFA.
     * Default: every id in `ADMIN_ROLE_TEMPLATE_IDS`.
     * Risk if wrong: an administrator role left out is the easiest path to take the tenant.
     */
    adminRoleTemplateIds?: string[];

    /**
     * Directory role template ids whose holders are excluded from the MFA-for-all-users policy
     * (`requireMfaAllUsers`): service accounts that sign in unattended and cannot do MFA.
     * Default: the Directory Synchronization Accounts role
     * (`DIRECTORY_SYNCHRONIZATION_ACCOUNTS_ROLE_ID`), as Microsoft's template does; `[]`
     * excludes no role (a cloud-only tenant). Risk if wrong: without the sync role, enforcing
     * MFA for all users stops Entra Connect synchronization; an extra role leaves every holder
     * of it signing in with a password alone.
     *
     * Note: only `requireMfaAllUsers` takes these exclusions. The block policies (legacy
     * authentication, countries, device code, risk) keep applying to these accounts: a sync
     * account never needs those sign-ins, and its password is worth protecting.
     */
    excludedRoleTemplateIds?: string[];

    /**
     * Whether a trusted named location (marked trusted in Entra ID) exempts security-info
     * registration from the MFA-or-compliant-device requirement. Default: true, as Microsoft's
     * template does, so new staff can register their first method in the office.
     * Risk if wrong: true on a tenant whose "trusted" ranges include guest Wi-Fi or a VPN
     * exit shared with others lets anyone there register a method with a password alone.
     */
    exemptTrustedLocationsFromRegistration?: boolean;

    /**
     * Prefix of every policy's display name, so an operator sees which policies this stack
     * owns. Default: `BEC Guard`. Risk if wrong: changing it renames every policy (an update,
     * not a replacement); two stacks with the same prefix are hard to tell apart.
     */
    displayNamePrefix?: string;

    /**
     * Per-policy settings, keyed by policy. Default: every policy at `defaultMode`, the two
     * risk policies not declared. Risk if wrong: see `PolicySettings`.
     */
    policies?: Partial<Record<ConditionalAccessPolicyKey, PolicySettings>>;

    /**
     * Resources the phishing-resistant MFA policy waits for: the authentication methods policy
     * that turns FIDO2 and passkeys on (`HardeningBaseline` passes it when both are declared).
     * Default: none. Risk if missing: on a first `up` an enforced policy can land before FIDO2
     * is on, and the people it covers cannot sign in until it is.
     */
    phishingResistantMfaDependsOn?: pulumi.Resource[];
}

/** The policies the risk detections drive; they need Entra ID P2 and are off unless asked. */
const P2_POLICIES: readonly ConditionalAccessPolicyKey[] = [
    "blockHighSignInRisk",
    "requirePasswordChangeHighUserRisk",
];

/** Whether a policy is declared, given its settings. */
export function isPolicyDeclared(
    key: ConditionalAccessPolicyKey,
    settings: PolicySettings | undefined,
): boolean {
    return settings?.enabled ?? !P2_POLICIES.includes(key);
}

/**
 * The policies the component declares for these args: those enabled (see `isPolicyDeclared`),
 * less the country block when there are no allowed countries (it needs their named location).
 */
export function declaredPolicyKeys(
    args: Pick<ConditionalAccessBaselineArgs, "policies" | "allowedCountries">,
): ConditionalAccessPolicyKey[] {
    return CONDITIONAL_ACCESS_POLICY_KEYS.filter(
        (key) =>
            isPolicyDeclared(key, args.policies?.[key]) &&
            (key !== "blockOutsideAllowedCountries" || (args.allowedCountries ?? []).length > 0),
    );
}

/**
 * The Conditional Access part of the hardening baseline: one named location and up to eight
 * policies. Usable alone or through `HardeningBaseline`.
 *
 * Note: Conditional Access writes are throttled to about one per second per tenant, answered
 * with 429 and no Retry-After; the azuread provider retries them, so a first `up` takes some
 * seconds per policy.
 */
export class ConditionalAccessBaseline extends pulumi.ComponentResource {
    /** The named location holding the allowed countries (absent with no allowed countries). */
    public readonly allowedCountriesLocation?: azuread.NamedLocation;
    /** The declared policies, keyed by policy. */
    public readonly policies: Partial<
        Record<ConditionalAccessPolicyKey, azuread.ConditionalAccessPolicy>
    >;
    /** Object ids of the break-glass accounts every policy excludes. */
    public readonly breakGlassObjectIds: pulumi.Output<string[]>;

    constructor(
        name: string,
        args: ConditionalAccessBaselineArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("bec-guard:baseline:ConditionalAccessBaseline", name, {}, opts);

        const prefix = args.displayNamePrefix ?? "BEC Guard";
        const defaultMode = args.defaultMode ?? "report-only";
        const allowedCountries = args.allowedCountries ?? [];
        const adminRoles = args.adminRoleTemplateIds ?? Object.values(ADMIN_ROLE_TEMPLATE_IDS);
        const highRiskGroups = args.highRiskGroupIds ?? [];
        const excludedRoles = args.excludedRoleTemplateIds ?? [
            DIRECTORY_SYNCHRONIZATION_ACCOUNTS_ROLE_ID,
        ];

        // 1. Resolve the break-glass accounts once; every policy excludes the same ids.
        const excludedUsers = resolveBreakGlassAccounts(args.breakGlassAccounts, this);
        this.breakGlassObjectIds = excludedUsers;

        // 2. The users block every policy shares: who is in, and the break-glass accounts out.
        const allUsers = { includedUsers: ["All"], excludedUsers };

        // 3. One helper declares a policy if it is enabled, at its own or the default mode.
        const declaredKeys = declaredPolicyKeys(args);
        const policies: Partial<
            Record<ConditionalAccessPolicyKey, azuread.ConditionalAccessPolicy>
        > = {};
        const declare = (
            key: ConditionalAccessPolicyKey,
            title: string,
            body: Omit<azuread.ConditionalAccessPolicyArgs, "displayName" | "state">,
            dependsOn: pulumi.Resource[] = [],
        ): void => {
            const settings = args.policies?.[key];
            if (!declaredKeys.includes(key)) {
                return;
            }
            policies[key] = new azuread.ConditionalAccessPolicy(
                `${name}-${kebab(key)}`,
                {
                    displayName: `${prefix} - ${title}`,
                    state: policyState(settings?.mode ?? defaultMode),
                    ...body,
                },
                { parent: this, dependsOn },
            );
        };

        // 4. Legacy protocols cannot do MFA: a password alone gets in. Block them outright.
        declare("blockLegacyAuthentication", "Block legacy authentication", {
            conditions: {
                users: allUsers,
                applications: { includedApplications: ["All"] },
                clientAppTypes: ["exchangeActiveSync", "other"],
            },
            grantControls: { operator: "OR", builtInControls: ["block"] },
        });

        // 5. Everyone proves a second factor for every app, except the service roles that
        //    cannot (the directory sync account), as Microsoft's template does.
        declare("requireMfaAllUsers", "Require MFA for all users", {
            conditions: {
                users: {
                    ...allUsers,
                    // An empty list reads back as absent and would show as a diff every run.
                    ...(excludedRoles.length > 0 ? { excludedRoles } : {}),
                },
                applications: { includedApplications: ["All"] },
                clientAppTypes: ["all"],
            },
            grantControls: { operator: "OR", builtInControls: ["mfa"] },
        });

        // 6. Payment authority and administrators: only phishing-resistant methods, because an
        //    AiTM proxy relays ordinary MFA and steals the session cookie.
        if (
            isPolicyDeclared(
                "requirePhishingResistantMfa",
                args.policies?.requirePhishingResistantMfa,
            ) &&
            highRiskGroups.length === 0 &&
            adminRoles.length === 0
        ) {
            throw new Error(
                `${name}: requirePhishingResistantMfa has no high-risk groups and no admin roles, ` +
                    "so it would apply to nobody. Fix: give highRiskGroupIds or adminRoleTemplateIds, " +
                    "or set policies.requirePhishingResistantMfa.enabled to false.",
            );
        }
        declare(
            "requirePhishingResistantMfa",
            "Require phishing-resistant MFA for high-risk users",
            {
                conditions: {
                    users: {
                        // An empty list reads back as absent and would show as a diff every run.
                        ...(highRiskGroups.length > 0 ? { includedGroups: highRiskGroups } : {}),
                        ...(adminRoles.length > 0 ? { includedRoles: adminRoles } : {}),
                        excludedUsers,
                    },
                    applications: { includedApplications: ["All"] },
                    clientAppTypes: ["all"],
                },
                grantControls: {
                    operator: "OR",
                    authenticationStrengthPolicyId: `/policies/authenticationStrengthPolicies/${PHISHING_RESISTANT_STRENGTH_ID}`,
                },
            },
            // Never before FIDO2 is on: the strength would lock out everyone it covers.
            args.phishingResistantMfaDependsOn ?? [],
        );

        // 7. Countries: a named location of allowed countries, and a block on everything else.
        if (allowedCountries.length > 0) {
            this.allowedCountriesLocation = new azuread.NamedLocation(
                `${name}-allowed-countries`,
                {
                    displayName: `${prefix} - Allowed countries`,
                    country: {
                        countriesAndRegions: [...allowedCountries],
                        includeUnknownCountriesAndRegions: args.includeUnknownCountries ?? false,
                    },
                },
                { parent: this },
            );
            declare(
                "blockOutsideAllowedCountries",
                "Block sign-ins from outside allowed countries",
                {
                    conditions: {
                        users: allUsers,
                        applications: { includedApplications: ["All"] },
                        clientAppTypes: ["all"],
                        locations: {
                            includedLocations: ["All"],
                            excludedLocations: [this.allowedCountriesLocation.id],
                        },
                    },
                    grantControls: { operator: "OR", builtInControls: ["block"] },
                },
            );
        }

        // 8. Risk-based policies (Entra ID P2): a high-risk sign-in is blocked; a user whose
        //    credentials look leaked must change the password after MFA, every time.
        declare("blockHighSignInRisk", "Block high sign-in risk", {
            conditions: {
                users: allUsers,
                applications: { includedApplications: ["All"] },
                clientAppTypes: ["all"],
                signInRiskLevels: ["high"],
            },
            grantControls: { operator: "OR", builtInControls: ["block"] },
        });
        declare("requirePasswordChangeHighUserRisk", "Require password change for high user risk", {
            conditions: {
                users: allUsers,
                applications: { includedApplications: ["All"] },
                clientAppTypes: ["all"],
                userRiskLevels: ["high"],
            },
            grantControls: { operator: "AND", builtInControls: ["mfa", "passwordChange"] },
            sessionControls: { signInFrequencyInterval: "everyTime" },
        });

        // 9. Device code phishing: the attacker starts a device code sign-in and has the victim
        //    enter the code; the token lands with the attacker. Few users ever need this flow.
        declare("blockDeviceCodeFlow", "Block device code flow", {
            conditions: {
                users: allUsers,
                applications: { includedApplications: ["All"] },
                clientAppTypes: ["all"],
                authenticationFlowTransferMethods: ["deviceCodeFlow"],
            },
            grantControls: { operator: "OR", builtInControls: ["block"] },
        });

        // 10. Registering security info (an MFA method) needs MFA or a compliant device, so an
        //     attacker holding only the password cannot add their own method.
        const exemptTrusted = args.exemptTrustedLocationsFromRegistration ?? true;
        declare("protectSecurityInfoRegistration", "Protect security info registration", {
            conditions: {
                users: allUsers,
                applications: { includedUserActions: ["urn:user:registersecurityinfo"] },
                clientAppTypes: ["all"],
                locations: exemptTrusted
                    ? { includedLocations: ["All"], excludedLocations: ["AllTrusted"] }
                    : { includedLocations: ["All"] },
            },
            grantControls: { operator: "OR", builtInControls: ["mfa", "compliantDevice"] },
        });

        this.policies = policies;
        this.registerOutputs({
            breakGlassObjectIds: this.breakGlassObjectIds,
            policyIds: pulumi.all(
                Object.fromEntries(
                    Object.entries(policies).map(([key, policy]) => [key, policy.id]),
                ),
            ),
        });
    }
}

/** `blockLegacyAuthentication` -> `block-legacy-authentication`, for child resource names. */
function kebab(key: string): string {
    return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
