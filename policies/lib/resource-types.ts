/**
 * The Pulumi type tokens of the resources the pack checks. Policies match on these strings
 * rather than importing the resource classes, so the pack stays self-contained: it loads in
 * its own process without the program, and `pulumi policy publish` can ship it alone.
 */

/** A contained (or released) user: `dynamic-providers/quarantine.ts`. */
export const QUARANTINE = "pulumi-nodejs:dynamic/bec-guard:Quarantine";

/** A Conditional Access policy managed through `@pulumi/azuread`. */
export const CONDITIONAL_ACCESS_POLICY =
    "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy";

/** A named location (allowed countries) managed through `@pulumi/azuread`. */
export const NAMED_LOCATION = "azuread:index/namedLocation:NamedLocation";

/** The beta Conditional Access policy carrying token protection (a dynamic resource). */
export const TOKEN_PROTECTION_POLICY = "pulumi-nodejs:dynamic/bec-guard:TokenProtectionPolicy";

/** The tenant's authorization policy: who may consent to apps (a dynamic resource). */
export const CONSENT_POLICY = "pulumi-nodejs:dynamic/bec-guard:ConsentPolicy";

/** The tenant's authentication methods policy (a dynamic resource). */
export const AUTHENTICATION_METHODS_POLICY =
    "pulumi-nodejs:dynamic/bec-guard:AuthenticationMethodsPolicy";

/** Exchange Online protection settings: forwarding, Reply-To warning, auditing (dynamic). */
export const EXCHANGE_PROTECTION = "pulumi-nodejs:dynamic/bec-guard:ExchangeProtection";

/** Exchange DKIM signing for one domain (a dynamic resource). */
export const DKIM_SIGNING = "pulumi-nodejs:dynamic/bec-guard:DkimSigning";

/** A DNS record set in Azure DNS, from `@pulumi/azure-native/dns`. */
export const DNS_RECORD_SET = "azure-native:dns:RecordSet";

/** The mail authentication component; its outputs hold records for zones hosted elsewhere. */
export const MAIL_AUTHENTICATION = "bec-guard:baseline:MailAuthentication";

/** Type prefix of the hardening baseline's components (`bec-guard:baseline:<Name>`). */
export const BASELINE_COMPONENT_PREFIX = "bec-guard:baseline:";

/**
 * Whether a stack declares any hardening baseline: a baseline component or a Conditional
 * Access policy. Stack-wide baseline checks do not apply to a stack that only holds incidents.
 */
export function declaresBaseline(resources: ReadonlyArray<{ type: string }>): boolean {
    return resources.some(
        (r) => r.type.startsWith(BASELINE_COMPONENT_PREFIX) || r.type === CONDITIONAL_ACCESS_POLICY,
    );
}
