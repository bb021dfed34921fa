/**
 * Token protection: a Conditional Access session control that binds sign-in sessions to the
 * device they were issued to, so a token stolen by an adversary-in-the-middle phishing kit
 * cannot be replayed from the attacker's machine. azuread cannot set it (beta Graph only), so
 * this thin component wraps the `TokenProtectionPolicy` dynamic resource, in report-only mode
 * unless a stack enforces it.
 */
import * as pulumi from "@pulumi/pulumi";

import {
    PolicyMode as TokenProtectionMode,
    TokenProtectionPolicy,
    TokenProtectionPolicyInputs,
} from "../dynamic-providers/token-protection-policy";
import { PolicyMode } from "./conditional-access";

export interface TokenProtectionBaselineArgs {
    /**
     * Break-glass accounts (object ids or UPNs) excluded from the policy. Required for
     * `enforced`. Risk if missing: the emergency accounts can be locked out with everyone else.
     */
    breakGlassAccounts: string[];

    /**
     * `report-only`, `enforced` or `off`. Default: `report-only`. Risk if enforced too early:
     * users on unsupported clients (older Office builds, unregistered devices) lose mail.
     */
    mode?: PolicyMode;

    /**
     * Groups in scope (object ids), for a pilot. Default: none, which means all users.
     * Risk if wrong: a pilot group that never grows leaves everyone else unprotected.
     */
    includeGroupIds?: string[];

    /**
     * Groups excluded (object ids), for users on devices token protection does not support.
     * Default: none. Risk if broad: the excluded users' tokens stay replayable.
     */
    excludeGroupIds?: string[];

    /**
     * The policy's display name. Default: the dynamic resource's own
     * ("BEC Guard - Token protection (Exchange, SharePoint, Teams on Windows)"). Keep it unique
     * in the tenant: a crashed create finds its policy again by name.
     */
    displayName?: string;
}

/** The dynamic resource's name for each rollout mode. */
const MODES: Record<PolicyMode, TokenProtectionMode> = {
    "report-only": "reportOnly",
    enforced: "enforced",
    off: "disabled",
};

/** The token protection policy inputs for the args. */
export function tokenProtectionInputs(
    args: TokenProtectionBaselineArgs,
): TokenProtectionPolicyInputs {
    const inputs: TokenProtectionPolicyInputs = {
        mode: MODES[args.mode ?? "report-only"],
        breakGlassAccounts: [...args.breakGlassAccounts],
    };
    if (args.displayName !== undefined) {
        inputs.displayName = args.displayName;
    }
    if (args.includeGroupIds && args.includeGroupIds.length > 0) {
        inputs.includeGroups = [...args.includeGroupIds];
    }
    if (args.excludeGroupIds && args.excludeGroupIds.length > 0) {
        inputs.excludeGroups = [...args.excludeGroupIds];
    }
    return inputs;
}

/**
 * Token protection for Exchange Online, SharePoint Online and Teams on Windows.
 *
 * Note: needs Entra ID P1 and Windows devices that are Entra joined, hybrid joined or
 * registered; browsers are not covered (Microsoft does not support them). Review the
 * report-only results in the sign-in logs before enforcing.
 */
export class TokenProtectionBaseline extends pulumi.ComponentResource {
    public readonly policy: TokenProtectionPolicy;

    constructor(
        name: string,
        args: TokenProtectionBaselineArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("bec-guard:baseline:TokenProtectionBaseline", name, {}, opts);

        this.policy = new TokenProtectionPolicy(`${name}-policy`, tokenProtectionInputs(args), {
            parent: this,
        });

        this.registerOutputs({ policyId: this.policy.policyId, drift: this.policy.drift });
    }
}
