/**
 * Who may hand an application access to organisational data. An illicit consent grant is how a
 * BEC attacker keeps reading a mailbox after the password is reset, so the baseline limits user
 * consent to verified publishers asking for low-risk permissions and sends everything else to
 * named reviewers through the admin consent workflow. "Low-risk" means the permissions
 * classified low on Microsoft Graph's service principal, so the baseline classifies the sign-in
 * permissions (openid, profile, email, offline_access, User.Read): in a tenant with no
 * classifications users could otherwise consent to nothing. A thin component over the
 * `ConsentPolicy` dynamic resource (authorization policy, admin consent request policy,
 * permission classifications).
 */
import * as pulumi from "@pulumi/pulumi";

import {
    ConsentPolicy,
    ConsentPolicyInputs,
    ConsentReviewer,
    LOW_RISK_PERMISSIONS,
    LowRiskPermission,
    UserConsent,
} from "../dynamic-providers/consent-policy";
import { ADMIN_ROLE_TEMPLATE_IDS } from "./conditional-access";

/** Reviewers used when a stack names none: everyone holding the Global Administrator role. */
export const DEFAULT_CONSENT_REVIEWERS: ConsentReviewer[] = [
    { type: "role", id: ADMIN_ROLE_TEMPLATE_IDS["Global Administrator"] },
];

/**
 * The permissions classified low risk by default: the sign-in and basic profile permissions of
 * Microsoft Graph (openid, profile, email, offline_access, User.Read), as Microsoft recommends.
 */
export const DEFAULT_LOW_RISK_PERMISSIONS: LowRiskPermission[] = [...LOW_RISK_PERMISSIONS];

export interface ConsentBaselineArgs {
    /**
     * What users may consent to themselves: `verifiedPublishersLowRisk`, `disabled` or
     * `allApps`. Default: `verifiedPublishersLowRisk` (Microsoft's recommendation).
     * Risk if `allApps`: any phished user can grant an attacker's app standing mailbox access.
     * `disabled` is safest but sends every request to the reviewers.
     */
    userConsent?: UserConsent;

    /**
     * Microsoft Graph permissions classified low risk, which `verifiedPublishersLowRisk` lets
     * users consent to: any of openid, profile, email, offline_access, User.Read. Default: all
     * five when user consent is `verifiedPublishersLowRisk`, otherwise not managed; `[]` leaves
     * the tenant's classifications as they are. Deleting restores the previous classifications.
     * Risk if empty in a tenant with no classifications: users can consent to nothing, and
     * every new app sign-in becomes an admin consent request.
     *
     * Note: needs the Graph permission Policy.ReadWrite.PermissionGrant.
     */
    lowRiskPermissions?: LowRiskPermission[];

    /**
     * Whether the admin consent workflow is on. Default: true. Risk if off while user consent is
     * limited: users have no way to ask and look for workarounds.
     */
    adminConsentWorkflow?: boolean;

    /**
     * Who reviews consent requests: users, groups (members) or directory roles (template id).
     * Default: the Global Administrator role. Risk if wrong: requests wait for people who never
     * look, or are approved by people who cannot judge an app's permissions.
     */
    reviewers?: ConsentReviewer[];

    /** Reviewers get an email per new request. Default: true. Risk if off: requests go unseen. */
    notifyReviewers?: boolean;

    /** Reviewers get reminders before a request expires. Default: true. Risk if off: as above. */
    remindersEnabled?: boolean;

    /**
     * Days before an unanswered request expires (1 to 30). Default: 30. Risk if short: users
     * must ask again and give up, or look for workarounds.
     */
    requestDurationInDays?: number;
}

/** The consent policy inputs for the args, with the baseline's defaults filled in. */
export function consentInputs(args: ConsentBaselineArgs = {}): ConsentPolicyInputs {
    const userConsent = args.userConsent ?? "verifiedPublishersLowRisk";
    const lowRisk =
        args.lowRiskPermissions ??
        (userConsent === "verifiedPublishersLowRisk" ? DEFAULT_LOW_RISK_PERMISSIONS : []);
    return {
        userConsent,
        // An empty list manages nothing; leave it out so the policy reads cleanly.
        ...(lowRisk.length > 0 ? { lowRiskPermissions: [...lowRisk] } : {}),
        adminConsentWorkflow: {
            enabled: args.adminConsentWorkflow ?? true,
            reviewers: args.reviewers ?? DEFAULT_CONSENT_REVIEWERS,
            notifyReviewers: args.notifyReviewers ?? true,
            remindersEnabled: args.remindersEnabled ?? true,
            requestDurationInDays: args.requestDurationInDays ?? 30,
        },
    };
}

/**
 * User consent and the admin consent workflow at the BEC baseline. Deleting it restores what
 * the tenant had.
 *
 * Note: declare at most one per tenant (both policies are singletons).
 */
export class ConsentBaseline extends pulumi.ComponentResource {
    public readonly policy: ConsentPolicy;

    constructor(
        name: string,
        args: ConsentBaselineArgs = {},
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("bec-guard:baseline:ConsentBaseline", name, {}, opts);

        this.policy = new ConsentPolicy(`${name}-policy`, consentInputs(args), { parent: this });

        this.registerOutputs({ previous: this.policy.previous, drift: this.policy.drift });
    }
}
