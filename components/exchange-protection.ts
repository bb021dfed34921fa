/**
 * Exchange Online protections against the mail side of BEC: no automatic forwarding to the
 * outside, a warning when Reply-To leaves the organisation, external sender tags, mailbox and
 * unified audit logging, and SMTP AUTH off. A thin component over the `ExchangeProtection`
 * dynamic resource; every protection is on unless a stack turns it off here.
 */
import * as pulumi from "@pulumi/pulumi";

import {
    ExchangeProtection,
    ExchangeProtectionInputs,
} from "../dynamic-providers/exchange-protection";

export interface ExchangeProtectionBaselineArgs {
    /**
     * Block automatic forwarding to external addresses (every outbound spam policy and remote
     * domain). Default: true. Risk if off: an attacker's forwarding rule keeps sending mail out
     * after the account is contained.
     */
    blockExternalForwarding?: boolean;

    /**
     * The Reply-To warning rule: `audit` (logged only), `enforce` (warning added), or `off` (no
     * rule). Default: `audit`. Risk if off: "reply to this new address" invoice fraud looks like
     * an ordinary reply.
     */
    replyToWarning?: "audit" | "enforce" | "off";

    /**
     * Domains whose Reply-To addresses are expected besides the organisation's own accepted
     * domains (suppliers, bank, payroll). Default: none. Risk if too broad: mail from a
     * compromised partner is not flagged.
     */
    partnerDomains?: string[];

    /**
     * Tag external senders in Outlook. Default: true. Risk if off: a lookalike "CEO" from
     * outside looks like an internal message.
     */
    tagExternalSenders?: boolean;

    /**
     * Mailbox auditing on by default. Default: true. Risk if off: an investigation cannot tell
     * what the attacker read or deleted.
     */
    mailboxAuditing?: boolean;

    /**
     * Unified audit log ingestion. Default: true. Risk if off: no sign-in-to-mailbox trail.
     */
    unifiedAuditLog?: boolean;

    /**
     * SMTP AUTH client submission off for the organisation. Default: true. Risk if on: basic-auth
     * SMTP lets a stolen password send mail without MFA.
     */
    disableSmtpClientAuth?: boolean;
}

/** The on/off protections of the args: each is on unless the stack turns it off. */
export const EXCHANGE_PROTECTION_SWITCHES = [
    "blockExternalForwarding",
    "tagExternalSenders",
    "mailboxAuditing",
    "unifiedAuditLog",
    "disableSmtpClientAuth",
] as const;

/**
 * The Exchange protection inputs for the args. A switch the stack turns off is left out
 * ("not managed"), because the resource never turns a protection off.
 */
export function exchangeProtectionInputs(
    args: ExchangeProtectionBaselineArgs = {},
): ExchangeProtectionInputs {
    const inputs: ExchangeProtectionInputs = {};
    for (const key of EXCHANGE_PROTECTION_SWITCHES) {
        if (args[key] ?? true) {
            inputs[key] = true;
        }
    }

    const replyTo = args.replyToWarning ?? "audit";
    if (replyTo !== "off") {
        inputs.replyToWarning = { mode: replyTo, partnerDomains: [...(args.partnerDomains ?? [])] };
    }
    return inputs;
}

/**
 * Exchange Online at the BEC baseline. Deleting it restores the recorded settings and removes
 * the Reply-To rule it created.
 *
 * Note: declare at most one per tenant. Turning a switch off here stops managing it; it does
 * not turn the protection off in the tenant (do that deliberately in Exchange).
 */
export class ExchangeProtectionBaseline extends pulumi.ComponentResource {
    public readonly protection: ExchangeProtection;

    constructor(
        name: string,
        args: ExchangeProtectionBaselineArgs = {},
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("bec-guard:baseline:ExchangeProtectionBaseline", name, {}, opts);

        this.protection = new ExchangeProtection(
            `${name}-settings`,
            exchangeProtectionInputs(args),
            {
                parent: this,
            },
        );

        this.registerOutputs({
            replyToAllowedDomains: this.protection.replyToAllowedDomains,
            drift: this.protection.drift,
        });
    }
}
