/**
 * The whole BEC hardening baseline as one component: Conditional Access, token protection,
 * authentication methods, consent, Exchange protection and mail authentication. Each family is
 * declared only when its args are given, so a stack can adopt the baseline one family at a
 * time; each family's component is also usable on its own.
 */
import * as pulumi from "@pulumi/pulumi";

import {
    AuthenticationMethodsBaseline,
    AuthenticationMethodsBaselineArgs,
} from "./authentication-methods";
import {
    ConditionalAccessBaseline,
    ConditionalAccessBaselineArgs,
    PolicyMode,
} from "./conditional-access";
import { ConsentBaseline, ConsentBaselineArgs } from "./consent";
import { ExchangeProtectionBaseline, ExchangeProtectionBaselineArgs } from "./exchange-protection";
import { MailAuthentication, MailAuthenticationArgs, MailDnsRecord } from "./mail-authentication";
import { TokenProtectionBaseline, TokenProtectionBaselineArgs } from "./token-protection";

export interface HardeningBaselineArgs {
    /**
     * Break-glass accounts (object ids or UPNs) excluded from every Conditional Access and token
     * protection policy. Default: none. Risk if empty: one mistaken enforced policy can lock
     * every administrator out (validation refuses enforced policies without one).
     */
    breakGlassAccounts: string[];

    /**
     * Rollout mode of Conditional Access and token protection policies that set none.
     * Default: `report-only`. Risk if `enforced` on a first rollout: sign-ins you did not know
     * about (legacy clients, travellers) are blocked before you saw them in report-only logs.
     */
    defaultMode?: PolicyMode;

    /**
     * Conditional Access policies and named location. Absent: not declared. Risk if absent: a
     * stolen password (with relayed MFA) is enough to sign in from anywhere.
     */
    conditionalAccess?: Omit<ConditionalAccessBaselineArgs, "breakGlassAccounts">;

    /**
     * Token protection (beta CA session control). Absent: not declared. Risk if absent: a token
     * stolen by an AiTM kit can be replayed from the attacker's machine.
     */
    tokenProtection?: Omit<TokenProtectionBaselineArgs, "breakGlassAccounts">;

    /**
     * The authentication methods policy at the baseline. Absent: not declared (the tenant's
     * methods stay). Risk if absent: SMS and voice stay available to phish.
     */
    authenticationMethods?: AuthenticationMethodsBaselineArgs;

    /**
     * User consent and the admin consent workflow. Absent: not declared. Risk if absent: users
     * may grant an attacker's app standing mailbox access.
     */
    consent?: ConsentBaselineArgs;

    /**
     * Exchange Online protections. Absent: not declared. Risk if absent: forwarding rules and
     * Reply-To redirection keep working for the attacker.
     */
    exchangeProtection?: ExchangeProtectionBaselineArgs;

    /**
     * Mail authentication, one entry per domain. Default: none. Risk if a sending domain is
     * missing: it can be spoofed.
     */
    mailDomains?: MailAuthenticationArgs[];
}

/**
 * Every prevention control of the BEC playbook, composed. Children are named
 * `${name}-conditional-access`, `${name}-token-protection`, ... and `${name}-mail-<domain>`.
 */
export class HardeningBaseline extends pulumi.ComponentResource {
    public readonly conditionalAccess?: ConditionalAccessBaseline;
    public readonly tokenProtection?: TokenProtectionBaseline;
    public readonly authenticationMethods?: AuthenticationMethodsBaseline;
    public readonly consent?: ConsentBaseline;
    public readonly exchangeProtection?: ExchangeProtectionBaseline;
    /** Mail authentication per domain, keyed by domain. */
    public readonly mail: Record<string, MailAuthentication>;
    /** Every DNS record to publish, per domain (also those created in Azure DNS). */
    public readonly mailRecords: pulumi.Output<Record<string, MailDnsRecord[]>>;
    /** MTA-STS policy file contents, per domain that manages MTA-STS. */
    public readonly mtaStsPolicies: Record<string, string>;

    constructor(name: string, args: HardeningBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bec-guard:baseline:HardeningBaseline", name, {}, opts);
        const parent = { parent: this };
        const defaultMode = args.defaultMode ?? "report-only";

        // 1. Authentication methods first: the phishing-resistant CA policy waits for FIDO2.
        if (args.authenticationMethods) {
            this.authenticationMethods = new AuthenticationMethodsBaseline(
                `${name}-authentication-methods`,
                args.authenticationMethods,
                parent,
            );
        }

        // 2. Conditional Access and token protection, at the baseline's default mode. The
        //    phishing-resistant policy waits for the methods policy, so it never lands before
        //    FIDO2 is on.
        if (args.conditionalAccess) {
            const methodsPolicy = this.authenticationMethods?.policy;
            this.conditionalAccess = new ConditionalAccessBaseline(
                `${name}-conditional-access`,
                {
                    defaultMode,
                    ...args.conditionalAccess,
                    breakGlassAccounts: args.breakGlassAccounts,
                    phishingResistantMfaDependsOn: [
                        ...(args.conditionalAccess.phishingResistantMfaDependsOn ?? []),
                        ...(methodsPolicy ? [methodsPolicy] : []),
                    ],
                },
                parent,
            );
        }
        if (args.tokenProtection) {
            this.tokenProtection = new TokenProtectionBaseline(
                `${name}-token-protection`,
                {
                    mode: defaultMode,
                    ...args.tokenProtection,
                    breakGlassAccounts: args.breakGlassAccounts,
                },
                parent,
            );
        }

        // 3. Consent and Exchange Online.
        if (args.consent) {
            this.consent = new ConsentBaseline(`${name}-consent`, args.consent, parent);
        }
        if (args.exchangeProtection) {
            this.exchangeProtection = new ExchangeProtectionBaseline(
                `${name}-exchange-protection`,
                args.exchangeProtection,
                parent,
            );
        }

        // 4. Mail authentication, one component per domain. Each may write the DMARC report
        //    authorisation for its report addresses into the other domains' Azure DNS zones.
        this.mail = {};
        const zones = (args.mailDomains ?? []).flatMap((d) =>
            d.dnsZone ? [{ ...d.dnsZone, zoneName: d.dnsZone.zoneName ?? d.domain }] : [],
        );
        for (const domain of args.mailDomains ?? []) {
            const key = domain.domain.toLowerCase();
            this.mail[key] = new MailAuthentication(
                `${name}-mail-${key.replace(/\./g, "-")}`,
                { ...domain, reportZones: zones },
                parent,
            );
        }
        this.mailRecords = pulumi.all(
            Object.fromEntries(Object.entries(this.mail).map(([key, mail]) => [key, mail.records])),
        );

        this.mtaStsPolicies = Object.fromEntries(
            Object.entries(this.mail).flatMap(([key, mail]) =>
                mail.mtaStsPolicy ? [[key, mail.mtaStsPolicy]] : [],
            ),
        );

        this.registerOutputs({
            mailRecords: this.mailRecords,
            mtaStsPolicies: this.mtaStsPolicies,
        });
    }
}
