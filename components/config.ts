/**
 * The hardening baseline's stack config: the typed shape of the `bec-guard:baseline` object and
 * its validation.
 *
 * Validation runs when the program starts, so `pulumi preview` fails before anything reaches the
 * tenant. Every problem is reported at once, each naming the config key, the value, why it is
 * refused and the fix, for example:
 *
 *   bec-guard:baseline.conditionalAccess.allowedCountries[1] is "UK": not an ISO 3166-1 alpha-2
 *   country code. Fix: use "GB" (the ISO 3166-1 code for the United Kingdom)
 *
 * The settings providers validate their own inputs again in `check`; validating here as well
 * gives the operator the config key rather than a resource input name, and catches mistakes that
 * span families (phishing-resistant MFA required while FIDO2 is off).
 */
import { validateAuthenticationMethodsPolicy } from "../dynamic-providers/authentication-methods-policy";
import { validateConsentPolicy } from "../dynamic-providers/consent-policy";
import { validateExchangeProtection } from "../dynamic-providers/exchange-protection";
import { InputFailure } from "../dynamic-providers/settings-support";
import {
    AuthenticationMethodsBaselineArgs,
    authenticationMethodsInputs,
} from "./authentication-methods";
import { isBreakGlassEntry, OBJECT_ID_PATTERN } from "./break-glass";
import {
    ADMIN_ROLE_TEMPLATE_IDS,
    CONDITIONAL_ACCESS_POLICY_KEYS,
    ConditionalAccessBaselineArgs,
    ConditionalAccessPolicyKey,
    declaredPolicyKeys,
    isPolicyDeclared,
    POLICY_MODES,
    PolicyMode,
    PolicySettings,
} from "./conditional-access";
import { ConsentBaselineArgs, consentInputs } from "./consent";
import {
    EXCHANGE_PROTECTION_SWITCHES,
    ExchangeProtectionBaselineArgs,
    exchangeProtectionInputs,
} from "./exchange-protection";
import { MailAuthenticationArgs } from "./mail-authentication";
import { TokenProtectionBaselineArgs } from "./token-protection";

/** The stack config key (namespace `bec-guard`) holding the baseline object. */
export const BASELINE_CONFIG_KEY = "baseline";

/** Prefix of every key in a validation message. */
const ROOT = "bec-guard:baseline";

/**
 * The lifetime of the Temporary Access Pass quarantine release issues, in minutes (the same as
 * `TAP_LIFETIME_MINUTES` in dynamic-providers/quarantine/release.ts, which a test checks). The
 * baseline's TAP limits must allow it.
 */
export const RELEASE_TAP_LIFETIME_MINUTES = 60;

// ---------------------------------------------------------------------------------------------
// The shape
// ---------------------------------------------------------------------------------------------

/** Every family has this switch; a family is applied when its section is present and not off. */
export interface FamilySwitch {
    /** Set to false to keep the section in the file but not apply it. Default: true. */
    enabled?: boolean;
}

/**
 * The `bec-guard:baseline` object. A family is applied only when its section is present (and
 * its `enabled` is not false), so a stack opts into each family deliberately.
 */
export interface BaselineConfig {
    /**
     * Rollout mode for Conditional Access and token protection policies that set none:
     * `report-only`, `enforced` or `off`. Default: `report-only`.
     */
    defaultMode?: PolicyMode;
    conditionalAccess?: FamilySwitch & Omit<ConditionalAccessBaselineArgs, "breakGlassAccounts">;
    tokenProtection?: FamilySwitch & Omit<TokenProtectionBaselineArgs, "breakGlassAccounts">;
    authenticationMethods?: FamilySwitch & AuthenticationMethodsBaselineArgs;
    consent?: FamilySwitch & ConsentBaselineArgs;
    exchangeProtection?: FamilySwitch & ExchangeProtectionBaselineArgs;
    mailAuthentication?: FamilySwitch & { domains: MailAuthenticationArgs[] };
}

/** What the validated config turns into: the arguments of `HardeningBaseline`. */
export interface ValidatedBaseline {
    breakGlassAccounts: string[];
    defaultMode: PolicyMode;
    conditionalAccess?: Omit<ConditionalAccessBaselineArgs, "breakGlassAccounts">;
    tokenProtection?: Omit<TokenProtectionBaselineArgs, "breakGlassAccounts">;
    authenticationMethods?: AuthenticationMethodsBaselineArgs;
    consent?: ConsentBaselineArgs;
    exchangeProtection?: ExchangeProtectionBaselineArgs;
    mailDomains: MailAuthenticationArgs[];
    /**
     * Risks the config cannot rule out by itself (they depend on the tenant), one sentence each,
     * for the program to print as preview warnings. Empty when there are none.
     */
    warnings: string[];
}

/** One thing wrong with the config. */
export interface ConfigProblem {
    /** The full config key, e.g. `bec-guard:baseline.consent.userConsent`. */
    key: string;
    message: string;
}

/** Thrown when the config is invalid; the message lists every problem. */
export class BaselineConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            `Invalid hardening baseline config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.message}`).join("\n"),
        );
        this.name = "BaselineConfigError";
    }
}

// ---------------------------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------------------------

/** ISO 3166-1 alpha-2 codes (all 249 officially assigned), the codes Entra ID's locations use. */
export const ISO_COUNTRY_CODES: ReadonlySet<string> = new Set(
    (
        "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ " +
        "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM " +
        "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS " +
        "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN " +
        "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ " +
        "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM " +
        "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV " +
        "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI " +
        "VN VU WF WS YE YT ZA ZM ZW"
    ).split(" "),
);

/** Codes people write that ISO 3166-1 spells differently, with the right one. */
const COUNTRY_HINTS: Record<string, string> = {
    UK: 'use "GB" (the ISO 3166-1 code for the United Kingdom)',
    EL: 'use "GR" (the ISO 3166-1 code for Greece)',
    EU: "list each member country (the EU has no ISO 3166-1 alpha-2 code)",
};

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const MAILBOX = /^[^\s@<>,;]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const IPV4_CIDR =
    /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
const IPV6_CIDR = /^[0-9a-f:]*:[0-9a-f:.]*(\/(12[0-8]|1[01]\d|\d?\d))?$/i;

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** Collects problems with their full key. */
class Problems {
    readonly list: ConfigProblem[] = [];

    /** `key is value: why. Fix: fix` */
    add(key: string, value: unknown, why: string, fix: string): void {
        this.list.push({ key, message: `${key} is ${show(value)}: ${why}. Fix: ${fix}` });
    }

    /** Re-homes a settings provider's failures under a config key. */
    addFromProvider(prefix: string, failures: InputFailure[]): void {
        for (const failure of failures) {
            this.list.push({
                key: `${prefix}.${failure.property}`,
                message: `${prefix}.${failure.reason}`,
            });
        }
    }
}

function show(value: unknown): string {
    if (value === undefined) return "missing";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Validates the raw `bec-guard:baseline` object and `bec-guard:breakGlassAccounts`, and returns
 * the `HardeningBaseline` arguments, or throws a `BaselineConfigError` listing every problem.
 */
export function parseBaselineConfig(
    raw: unknown,
    breakGlassAccounts: unknown = [],
): ValidatedBaseline {
    const problems = new Problems();

    // 1. The object itself and its top-level keys.
    if (!isObject(raw)) {
        problems.add(
            ROOT,
            raw,
            "not an object",
            "give the baseline as a YAML map of families (see stacks/Pulumi.example.yaml)",
        );
        throw new BaselineConfigError(problems.list);
    }
    const config = raw as BaselineConfig;
    knownKeys(problems, ROOT, raw, [
        "defaultMode",
        "conditionalAccess",
        "tokenProtection",
        "authenticationMethods",
        "consent",
        "exchangeProtection",
        "mailAuthentication",
    ]);
    oneOf(problems, `${ROOT}.defaultMode`, config.defaultMode, POLICY_MODES);
    const defaultMode = POLICY_MODES.includes(config.defaultMode as PolicyMode)
        ? (config.defaultMode as PolicyMode)
        : "report-only";

    // 2. Break-glass accounts: object ids or UPNs, never anything else.
    const breakGlass = checkBreakGlass(problems, breakGlassAccounts);

    // 3. Each family that is switched on.
    const result: ValidatedBaseline = {
        breakGlassAccounts: breakGlass,
        defaultMode,
        mailDomains: [],
        warnings: [],
    };
    const conditionalAccess = section(problems, "conditionalAccess", config.conditionalAccess);
    if (conditionalAccess) {
        result.conditionalAccess = checkConditionalAccess(
            problems,
            conditionalAccess,
            defaultMode,
            breakGlass,
        );
    }
    const tokenProtection = section(problems, "tokenProtection", config.tokenProtection);
    if (tokenProtection) {
        result.tokenProtection = checkTokenProtection(
            problems,
            tokenProtection,
            defaultMode,
            breakGlass,
        );
    }
    const authenticationMethods = section(
        problems,
        "authenticationMethods",
        config.authenticationMethods,
    );
    if (authenticationMethods) {
        result.authenticationMethods = checkAuthenticationMethods(problems, authenticationMethods);
    }
    const consent = section(problems, "consent", config.consent);
    if (consent) {
        result.consent = checkConsent(problems, consent);
    }
    const exchangeProtection = section(problems, "exchangeProtection", config.exchangeProtection);
    if (exchangeProtection) {
        result.exchangeProtection = checkExchangeProtection(problems, exchangeProtection);
    }
    const mail = section(problems, "mailAuthentication", config.mailAuthentication);
    if (mail) {
        result.mailDomains = checkMailAuthentication(problems, mail);
    }

    // 4. Mistakes across families, and with what quarantine release needs.
    checkPhishingResistantNeedsFido2(problems, result);
    checkReleaseTemporaryAccessPass(problems, result);

    if (problems.list.length > 0) {
        throw new BaselineConfigError(problems.list);
    }
    return result;
}

/** A family's section without its `enabled` switch, or undefined when absent or switched off. */
function section(
    problems: Problems,
    name: string,
    value: unknown,
): Record<string, unknown> | undefined {
    const key = `${ROOT}.${name}`;
    if (value === undefined || value === null) {
        return undefined;
    }
    if (!isObject(value)) {
        problems.add(
            key,
            value,
            "not an object",
            `give ${name} as a YAML map, or leave it out to not apply it`,
        );
        return undefined;
    }
    if (value.enabled !== undefined && typeof value.enabled !== "boolean") {
        problems.add(`${key}.enabled`, value.enabled, "not a boolean", "use true or false");
        return undefined;
    }
    if (value.enabled === false) {
        return undefined;
    }
    const rest = { ...value };
    delete rest.enabled;
    return rest;
}

function knownKeys(
    problems: Problems,
    key: string,
    value: Record<string, unknown>,
    known: readonly string[],
): void {
    for (const name of Object.keys(value)) {
        if (!known.includes(name)) {
            problems.add(
                `${key}.${name}`,
                value[name],
                "not a known setting",
                `use one of ${known.join(", ")}`,
            );
        }
    }
}

function oneOf(problems: Problems, key: string, value: unknown, allowed: readonly string[]): void {
    if (value !== undefined && !allowed.includes(value as string)) {
        problems.add(
            key,
            value,
            "not an allowed value",
            `use one of ${allowed.map((a) => `"${a}"`).join(", ")}`,
        );
    }
}

function boolean(problems: Problems, key: string, value: unknown): void {
    if (value !== undefined && typeof value !== "boolean") {
        problems.add(key, value, "not a boolean", "use true or false");
    }
}

function integer(problems: Problems, key: string, value: unknown, min: number, max: number): void {
    if (
        value !== undefined &&
        (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    ) {
        problems.add(
            key,
            value,
            `not a whole number from ${min} to ${max}`,
            `use a whole number from ${min} to ${max}`,
        );
    }
}

/** A list of strings each passing `valid`; returns the valid ones. */
function stringList(
    problems: Problems,
    key: string,
    value: unknown,
    valid: (entry: string) => boolean,
    what: string,
    fix: string,
): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        problems.add(key, value, "not a list", `give a YAML list, each ${what}`);
        return [];
    }
    return value.filter((entry, i) => {
        if (typeof entry === "string" && valid(entry)) return true;
        problems.add(`${key}[${i}]`, entry, `not ${what}`, fix);
        return false;
    });
}

function checkBreakGlass(problems: Problems, value: unknown): string[] {
    return stringList(
        problems,
        "bec-guard:breakGlassAccounts",
        value,
        isBreakGlassEntry,
        "an object id (GUID) or a user principal name",
        "use the account's object id (Entra admin center > Users > the account > Object ID) or its UPN, e.g. breakglass1@contoso.onmicrosoft.com",
    );
}

// ----- Conditional Access --------------------------------------------------------------------

function checkConditionalAccess(
    problems: Problems,
    ca: Record<string, unknown>,
    defaultMode: PolicyMode,
    breakGlass: string[],
): Omit<ConditionalAccessBaselineArgs, "breakGlassAccounts"> {
    const key = `${ROOT}.conditionalAccess`;
    knownKeys(problems, key, ca, [
        "defaultMode",
        "allowedCountries",
        "includeUnknownCountries",
        "highRiskGroupIds",
        "adminRoleTemplateIds",
        "excludedRoleTemplateIds",
        "exemptTrustedLocationsFromRegistration",
        "displayNamePrefix",
        "policies",
    ]);

    // 1. Modes, countries, groups and roles.
    oneOf(problems, `${key}.defaultMode`, ca.defaultMode, POLICY_MODES);
    const caMode = (
        POLICY_MODES.includes(ca.defaultMode as PolicyMode) ? ca.defaultMode : defaultMode
    ) as PolicyMode;
    checkCountries(problems, `${key}.allowedCountries`, ca.allowedCountries);
    boolean(problems, `${key}.includeUnknownCountries`, ca.includeUnknownCountries);
    boolean(
        problems,
        `${key}.exemptTrustedLocationsFromRegistration`,
        ca.exemptTrustedLocationsFromRegistration,
    );
    const groups = stringList(
        problems,
        `${key}.highRiskGroupIds`,
        ca.highRiskGroupIds,
        isGuid,
        "a group object id (GUID)",
        "use the group's object id from the Entra admin center",
    );
    const roles = stringList(
        problems,
        `${key}.adminRoleTemplateIds`,
        ca.adminRoleTemplateIds,
        isGuid,
        "a directory role template id (GUID)",
        "use the role's template id (docs: Microsoft Entra built-in roles), or leave the key out for the built-in admin list",
    );
    stringList(
        problems,
        `${key}.excludedRoleTemplateIds`,
        ca.excludedRoleTemplateIds,
        isGuid,
        "a directory role template id (GUID)",
        "use the role's template id, e.g. d29b2b05-8046-44ba-8758-1e26182fcf32 (Directory Synchronization Accounts), or [] to exclude no role",
    );
    if (
        ca.displayNamePrefix !== undefined &&
        (typeof ca.displayNamePrefix !== "string" || ca.displayNamePrefix.trim() === "")
    ) {
        problems.add(
            `${key}.displayNamePrefix`,
            ca.displayNamePrefix,
            "not a non-empty string",
            'use a short name such as "BEC Guard"',
        );
    }

    // 2. Per-policy settings.
    const policies = checkPolicies(problems, `${key}.policies`, ca.policies);

    // 3. Phishing-resistant MFA needs someone to apply to.
    if (
        isPolicyDeclared("requirePhishingResistantMfa", policies.requirePhishingResistantMfa) &&
        ca.adminRoleTemplateIds !== undefined &&
        roles.length === 0 &&
        groups.length === 0
    ) {
        problems.add(
            `${key}.adminRoleTemplateIds`,
            ca.adminRoleTemplateIds,
            "with no high-risk groups either, the phishing-resistant MFA policy would apply to nobody",
            "leave adminRoleTemplateIds out (built-in admin roles), list highRiskGroupIds, or set policies.requirePhishingResistantMfa.enabled to false",
        );
    }

    // 4. An enforced policy without a break-glass account can lock every administrator out
    //    (only policies the component will declare: no country block without countries).
    const allowedCountries = Array.isArray(ca.allowedCountries) ? ca.allowedCountries : [];
    const enforced = declaredPolicyKeys({ policies, allowedCountries }).filter(
        (policy) => (policies[policy]?.mode ?? caMode) === "enforced",
    );
    if (enforced.length > 0 && breakGlass.length === 0) {
        problems.add(
            "bec-guard:breakGlassAccounts",
            [],
            `Conditional Access policies ${enforced.join(", ")} are enforced and no break-glass account is excluded from them`,
            "list at least one emergency-access account (two are recommended), or keep the policies report-only",
        );
    }

    return {
        ...(ca as Omit<ConditionalAccessBaselineArgs, "breakGlassAccounts">),
        defaultMode: caMode,
        policies,
    };
}

function checkCountries(problems: Problems, key: string, value: unknown): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
        problems.add(
            key,
            value,
            "not a list",
            'give a YAML list of ISO 3166-1 alpha-2 codes, e.g. ["GB", "IE"]',
        );
        return;
    }
    value.forEach((code, i) => {
        if (typeof code === "string" && ISO_COUNTRY_CODES.has(code)) return;
        const upper = typeof code === "string" ? code.toUpperCase() : "";
        const fix =
            COUNTRY_HINTS[upper] ??
            (ISO_COUNTRY_CODES.has(upper)
                ? `write it in capitals: "${upper}"`
                : 'use a two-letter ISO 3166-1 alpha-2 code, e.g. "GB", "US", "DE"');
        problems.add(`${key}[${i}]`, code, "not an ISO 3166-1 alpha-2 country code", fix);
    });
}

function checkPolicies(
    problems: Problems,
    key: string,
    value: unknown,
): Partial<Record<ConditionalAccessPolicyKey, PolicySettings>> {
    if (value === undefined) return {};
    if (!isObject(value)) {
        problems.add(
            key,
            value,
            "not an object",
            "give a YAML map of policy name to { mode, enabled }",
        );
        return {};
    }
    knownKeys(problems, key, value, CONDITIONAL_ACCESS_POLICY_KEYS);
    const policies: Partial<Record<ConditionalAccessPolicyKey, PolicySettings>> = {};
    for (const policy of CONDITIONAL_ACCESS_POLICY_KEYS) {
        const settings = value[policy];
        if (settings === undefined) continue;
        if (!isObject(settings)) {
            problems.add(
                `${key}.${policy}`,
                settings,
                "not an object",
                'give { mode: "report-only" } or { enabled: false }',
            );
            continue;
        }
        knownKeys(problems, `${key}.${policy}`, settings, ["mode", "enabled"]);
        oneOf(problems, `${key}.${policy}.mode`, settings.mode, POLICY_MODES);
        boolean(problems, `${key}.${policy}.enabled`, settings.enabled);
        policies[policy] = settings as PolicySettings;
    }
    return policies;
}

function isGuid(value: string): boolean {
    return OBJECT_ID_PATTERN.test(value);
}

// ----- Token protection ----------------------------------------------------------------------

function checkTokenProtection(
    problems: Problems,
    tp: Record<string, unknown>,
    defaultMode: PolicyMode,
    breakGlass: string[],
): Omit<TokenProtectionBaselineArgs, "breakGlassAccounts"> {
    const key = `${ROOT}.tokenProtection`;
    knownKeys(problems, key, tp, ["mode", "includeGroupIds", "excludeGroupIds", "displayName"]);
    oneOf(problems, `${key}.mode`, tp.mode, POLICY_MODES);
    stringList(
        problems,
        `${key}.includeGroupIds`,
        tp.includeGroupIds,
        isGuid,
        "a group object id (GUID)",
        "use the group's object id",
    );
    stringList(
        problems,
        `${key}.excludeGroupIds`,
        tp.excludeGroupIds,
        isGuid,
        "a group object id (GUID)",
        "use the group's object id",
    );
    if (
        tp.displayName !== undefined &&
        (typeof tp.displayName !== "string" || tp.displayName.trim() === "")
    ) {
        problems.add(
            `${key}.displayName`,
            tp.displayName,
            "not a non-empty string",
            "give the policy a unique, readable name",
        );
    }
    const mode = (
        POLICY_MODES.includes(tp.mode as PolicyMode) ? tp.mode : defaultMode
    ) as PolicyMode;
    if (mode === "enforced" && breakGlass.length === 0) {
        problems.add(
            "bec-guard:breakGlassAccounts",
            [],
            "token protection is enforced and no break-glass account is excluded from it",
            "list at least one emergency-access account, or keep tokenProtection.mode report-only",
        );
    }
    return { ...(tp as Omit<TokenProtectionBaselineArgs, "breakGlassAccounts">), mode };
}

// ----- Authentication methods, consent, Exchange ---------------------------------------------

function checkAuthenticationMethods(
    problems: Problems,
    am: Record<string, unknown>,
): AuthenticationMethodsBaselineArgs {
    const key = `${ROOT}.authenticationMethods`;
    const sections = [
        "fido2",
        "microsoftAuthenticator",
        "sms",
        "voice",
        "email",
        "temporaryAccessPass",
        "softwareOath",
        "x509Certificate",
        "registrationCampaign",
    ];
    knownKeys(problems, key, am, sections);
    let shapeOk = true;
    for (const name of sections) {
        const value = am[name];
        if (value !== undefined && value !== false && !isObject(value)) {
            problems.add(
                `${key}.${name}`,
                value,
                "not a map of settings",
                `give ${name} as a YAML map, or false to leave it as the tenant has it`,
            );
            shapeOk = false;
        }
    }
    const args = am as AuthenticationMethodsBaselineArgs;
    if (shapeOk) {
        // The provider's own validation, on exactly what the resource will receive.
        problems.addFromProvider(
            key,
            validateAuthenticationMethodsPolicy(
                authenticationMethodsInputs(args) as Record<string, unknown>,
            ),
        );
    }
    return args;
}

function checkConsent(problems: Problems, consent: Record<string, unknown>): ConsentBaselineArgs {
    const key = `${ROOT}.consent`;
    knownKeys(problems, key, consent, [
        "userConsent",
        "lowRiskPermissions",
        "adminConsentWorkflow",
        "reviewers",
        "notifyReviewers",
        "remindersEnabled",
        "requestDurationInDays",
    ]);
    boolean(problems, `${key}.adminConsentWorkflow`, consent.adminConsentWorkflow);
    if (consent.lowRiskPermissions !== undefined && !Array.isArray(consent.lowRiskPermissions)) {
        problems.add(
            `${key}.lowRiskPermissions`,
            consent.lowRiskPermissions,
            "not a list",
            "give a YAML list of openid, profile, email, offline_access, User.Read, or [] to leave the tenant's classifications",
        );
        return consent as ConsentBaselineArgs;
    }
    if (consent.reviewers !== undefined && !Array.isArray(consent.reviewers)) {
        problems.add(
            `${key}.reviewers`,
            consent.reviewers,
            "not a list",
            "give a YAML list of { type: user|group|role, id: <GUID> }",
        );
        return consent as ConsentBaselineArgs;
    }
    const failures = validateConsentPolicy(
        consentInputs(consent as ConsentBaselineArgs) as Record<string, unknown>,
    );
    // The provider names the workflow fields as the resource has them; map them to config keys.
    problems.addFromProvider(
        key,
        failures.map((f) => renamed(f, consentConfigKey)),
    );
    return consent as ConsentBaselineArgs;
}

function checkExchangeProtection(
    problems: Problems,
    ex: Record<string, unknown>,
): ExchangeProtectionBaselineArgs {
    const key = `${ROOT}.exchangeProtection`;
    knownKeys(problems, key, ex, [
        ...EXCHANGE_PROTECTION_SWITCHES,
        "replyToWarning",
        "partnerDomains",
    ]);
    for (const name of EXCHANGE_PROTECTION_SWITCHES) {
        boolean(problems, `${key}.${name}`, ex[name]);
    }
    oneOf(problems, `${key}.replyToWarning`, ex.replyToWarning, ["audit", "enforce", "off"]);
    stringList(
        problems,
        `${key}.partnerDomains`,
        ex.partnerDomains,
        (d) => DOMAIN_NAME.test(d),
        "a domain name",
        "use a bare domain such as fabrikam.com",
    );
    if (problems.list.some((p) => p.key.startsWith(key))) {
        return ex as ExchangeProtectionBaselineArgs;
    }
    const failures = validateExchangeProtection(
        exchangeProtectionInputs(ex as ExchangeProtectionBaselineArgs) as Record<string, unknown>,
    );
    problems.addFromProvider(
        key,
        failures.map((f) =>
            renamed(f, (field) =>
                field
                    .replace(/^replyToWarning\.partnerDomains/, "partnerDomains")
                    .replace(/^replyToWarning\.mode/, "replyToWarning"),
            ),
        ),
    );
    return ex as ExchangeProtectionBaselineArgs;
}

/** The config key of a consent resource input: the workflow's fields sit flat in the config. */
function consentConfigKey(field: string): string {
    return field === "adminConsentWorkflow.enabled"
        ? "adminConsentWorkflow"
        : field.replace(/^adminConsentWorkflow\./, "");
}

/** A provider failure with its field renamed to the config key (also where the reason names it). */
function renamed(failure: InputFailure, rename: (field: string) => string): InputFailure {
    const property = rename(failure.property);
    const reason = failure.reason.startsWith(failure.property)
        ? property + failure.reason.slice(failure.property.length)
        : failure.reason;
    return { property, reason };
}

// ----- Mail authentication -------------------------------------------------------------------

function checkMailAuthentication(
    problems: Problems,
    mail: Record<string, unknown>,
): MailAuthenticationArgs[] {
    const key = `${ROOT}.mailAuthentication`;
    knownKeys(problems, key, mail, ["domains"]);
    if (!Array.isArray(mail.domains) || mail.domains.length === 0) {
        problems.add(
            `${key}.domains`,
            mail.domains,
            "no mail domains to protect",
            "list at least one { domain: contoso.com } or set mailAuthentication.enabled to false",
        );
        return [];
    }
    const seen = new Set<string>();
    return mail.domains.flatMap((entry, i) => {
        const domainKey = `${key}.domains[${i}]`;
        if (!isObject(entry)) {
            problems.add(domainKey, entry, "not an object", "give { domain: contoso.com, ... }");
            return [];
        }
        const domain = typeof entry.domain === "string" ? entry.domain.toLowerCase() : "";
        if (seen.has(domain)) {
            problems.add(
                `${domainKey}.domain`,
                entry.domain,
                "listed twice",
                "merge the two entries into one",
            );
        }
        seen.add(domain);
        checkMailDomain(problems, domainKey, entry);
        return [entry as unknown as MailAuthenticationArgs];
    });
}

function checkMailDomain(problems: Problems, key: string, entry: Record<string, unknown>): void {
    knownKeys(problems, key, entry, [
        "domain",
        "dnsZone",
        "ttl",
        "dmarc",
        "spf",
        "dkim",
        "mtaSts",
        "tlsRpt",
    ]);

    // 1. The domain and where its zone lives.
    const domain = typeof entry.domain === "string" ? entry.domain.toLowerCase() : undefined;
    if (!domain || !DOMAIN_NAME.test(domain)) {
        problems.add(
            `${key}.domain`,
            entry.domain,
            "not a domain name",
            "use the bare mail domain, e.g. contoso.com",
        );
    } else if (/\.onmicrosoft\.com$/.test(domain)) {
        problems.add(
            `${key}.domain`,
            entry.domain,
            "Microsoft publishes the onmicrosoft.com records itself",
            "list only your custom domains",
        );
    }
    const zone = entry.dnsZone;
    if (zone !== undefined) {
        if (!isObject(zone)) {
            problems.add(
                `${key}.dnsZone`,
                zone,
                "not an object",
                "give { resourceGroupName: dns-rg, zoneName: contoso.com }, or leave it out for a zone hosted elsewhere",
            );
        } else {
            knownKeys(problems, `${key}.dnsZone`, zone, ["resourceGroupName", "zoneName"]);
            if (
                typeof zone.resourceGroupName !== "string" ||
                zone.resourceGroupName.trim() === ""
            ) {
                problems.add(
                    `${key}.dnsZone.resourceGroupName`,
                    zone.resourceGroupName,
                    "the Azure DNS zone's resource group is required",
                    "give the resource group that holds the zone",
                );
            }
            if (zone.zoneName !== undefined) {
                const zoneName = String(zone.zoneName).toLowerCase();
                if (!DOMAIN_NAME.test(zoneName)) {
                    problems.add(
                        `${key}.dnsZone.zoneName`,
                        zone.zoneName,
                        "not a domain name",
                        "use the zone's name, e.g. contoso.com",
                    );
                } else if (domain && domain !== zoneName && !domain.endsWith(`.${zoneName}`)) {
                    problems.add(
                        `${key}.dnsZone.zoneName`,
                        zone.zoneName,
                        `the mail domain ${domain} is not inside this zone`,
                        `use the zone that contains ${domain}`,
                    );
                }
            }
        }
    }
    integer(problems, `${key}.ttl`, entry.ttl, 60, 86400);

    // 2. Each record family: a map of settings, or false to leave it unmanaged.
    const family = (name: string): Record<string, unknown> | undefined => {
        const value = entry[name];
        if (value === undefined || value === false) return undefined;
        if (!isObject(value)) {
            problems.add(
                `${key}.${name}`,
                value,
                "not a map of settings",
                `give ${name} as a YAML map, or false to leave it unmanaged`,
            );
            return undefined;
        }
        return value;
    };

    const dmarc = family("dmarc");
    if (dmarc) checkDmarc(problems, `${key}.dmarc`, dmarc);
    const spf = family("spf");
    if (spf) checkSpf(problems, `${key}.spf`, spf);
    const dkim = family("dkim");
    if (dkim) {
        knownKeys(problems, `${key}.dkim`, dkim, ["enableSigning"]);
        boolean(problems, `${key}.dkim.enableSigning`, dkim.enableSigning);
    }
    const mtaSts = family("mtaSts");
    if (mtaSts) {
        knownKeys(problems, `${key}.mtaSts`, mtaSts, ["mode", "mx", "maxAgeSeconds"]);
        oneOf(problems, `${key}.mtaSts.mode`, mtaSts.mode, ["enforce", "testing", "none"]);
        stringList(
            problems,
            `${key}.mtaSts.mx`,
            mtaSts.mx,
            (mx) => DOMAIN_NAME.test(mx.replace(/^\*\./, "")),
            "an MX host name or *. pattern",
            "use e.g. *.mail.protection.outlook.com",
        );
        integer(problems, `${key}.mtaSts.maxAgeSeconds`, mtaSts.maxAgeSeconds, 1, 31557600);
    }
    const tlsRpt = family("tlsRpt");
    if (tlsRpt) {
        knownKeys(problems, `${key}.tlsRpt`, tlsRpt, ["reportUris"]);
        if (!Array.isArray(tlsRpt.reportUris) || tlsRpt.reportUris.length === 0) {
            problems.add(
                `${key}.tlsRpt.reportUris`,
                tlsRpt.reportUris,
                "TLS-RPT needs at least one report URI",
                "list e.g. mailto:tls-reports@contoso.com, or leave tlsRpt out",
            );
        } else {
            stringList(
                problems,
                `${key}.tlsRpt.reportUris`,
                tlsRpt.reportUris,
                (u) => isMailtoUri(u) || /^https:\/\/\S+$/.test(u),
                "a mailto: or https: URI",
                "use e.g. mailto:tls-reports@contoso.com",
            );
        }
    }
}

function isMailtoUri(uri: string): boolean {
    // DMARC allows a size limit suffix (mailto:a@b.com!10m).
    const match = /^mailto:([^!]+)(![0-9]+[kmgt]?)?$/i.exec(uri);
    return match !== null && MAILBOX.test(match[1]);
}

function checkDmarc(problems: Problems, key: string, dmarc: Record<string, unknown>): void {
    knownKeys(problems, key, dmarc, [
        "policy",
        "subdomainPolicy",
        "percent",
        "aggregateReportUris",
        "failureReportUris",
        "dkimAlignment",
        "spfAlignment",
    ]);
    oneOf(problems, `${key}.policy`, dmarc.policy, ["none", "quarantine", "reject"]);
    oneOf(problems, `${key}.subdomainPolicy`, dmarc.subdomainPolicy, [
        "none",
        "quarantine",
        "reject",
    ]);
    integer(problems, `${key}.percent`, dmarc.percent, 0, 100);
    oneOf(problems, `${key}.dkimAlignment`, dmarc.dkimAlignment, ["r", "s"]);
    oneOf(problems, `${key}.spfAlignment`, dmarc.spfAlignment, ["r", "s"]);
    for (const name of ["aggregateReportUris", "failureReportUris"]) {
        stringList(
            problems,
            `${key}.${name}`,
            dmarc[name],
            isMailtoUri,
            "a mailto: URI",
            `write it as mailto:${exampleMailbox(dmarc[name])}`,
        );
    }
}

/** For a fix message: the address the operator meant, turned into a mailto: URI. */
function exampleMailbox(list: unknown): string {
    const first = Array.isArray(list)
        ? list.find((u) => typeof u === "string" && !isMailtoUri(u))
        : undefined;
    return typeof first === "string" && MAILBOX.test(first) ? first : "dmarc-reports@contoso.com";
}

function checkSpf(problems: Problems, key: string, spf: Record<string, unknown>): void {
    knownKeys(problems, key, spf, ["includes", "ip4", "ip6", "keepApexTxt"]);
    const includes = stringList(
        problems,
        `${key}.includes`,
        spf.includes,
        (d) => DOMAIN_NAME.test(d),
        "a domain name",
        "use the sender's SPF domain, e.g. spf.protection.outlook.com",
    );
    if (includes.length > 10) {
        problems.add(
            `${key}.includes`,
            spf.includes,
            "more than 10 includes exceeds SPF's limit of 10 DNS lookups, so receivers fail SPF for every message",
            "remove senders you no longer use, or replace includes by ip4/ip6 ranges",
        );
    }
    stringList(
        problems,
        `${key}.ip4`,
        spf.ip4,
        (ip) => IPV4_CIDR.test(ip),
        "an IPv4 address or CIDR range",
        "use e.g. 203.0.113.10 or 203.0.113.0/24",
    );
    stringList(
        problems,
        `${key}.ip6`,
        spf.ip6,
        (ip) => IPV6_CIDR.test(ip),
        "an IPv6 address or CIDR range",
        "use e.g. 2001:db8::/32",
    );
    stringList(
        problems,
        `${key}.keepApexTxt`,
        spf.keepApexTxt,
        (txt) => !/^v=spf1\b/i.test(txt),
        "a TXT value other than SPF",
        "remove it: a second SPF record makes SPF fail (permerror); put its senders in includes/ip4/ip6",
    );
}

// ----- Across families -----------------------------------------------------------------------

/**
 * Requiring phishing-resistant MFA while FIDO2 is off, or on only for groups that leave some of
 * the covered people out, locks them out: the strength accepts FIDO2 keys, passkeys, Windows
 * Hello and certificates, and in most tenants FIDO2/passkeys are the only one of those deployed.
 */
function checkPhishingResistantNeedsFido2(problems: Problems, result: ValidatedBaseline): void {
    const ca = result.conditionalAccess;
    const am = result.authenticationMethods;
    if (!ca || !am) return;
    const mode =
        ca.policies?.requirePhishingResistantMfa?.mode ?? ca.defaultMode ?? result.defaultMode;
    if (!declaredPolicyKeys(ca).includes("requirePhishingResistantMfa") || mode === "off") return;
    if (am.fido2 === false) return; // not managed here: the tenant's own setting stands
    const policy = `Conditional Access requires phishing-resistant MFA (policy requirePhishingResistantMfa, mode ${mode})`;
    const fido2 = authenticationMethodsInputs(am).fido2 ?? {};

    // 1. FIDO2 off: nobody the policy covers can meet it.
    if ((fido2.state ?? "enabled") === "disabled") {
        problems.add(
            `${ROOT}.authenticationMethods.fido2.state`,
            "disabled",
            `${policy} while FIDO2 and passkeys are off in the same stack, so the finance, executive and admin users it covers cannot sign in once it is enforced`,
            'set authenticationMethods.fido2.state to "enabled", or set conditionalAccess.policies.requirePhishingResistantMfa.mode to "off"',
        );
        return;
    }

    // 2. FIDO2 for some groups only: every high-risk group must be one of them.
    const included = (fido2.includeGroups ?? ["all_users"]).map((g) => g.toLowerCase());
    if (included.includes("all_users")) return;
    const missing = (ca.highRiskGroupIds ?? []).filter((g) => !included.includes(g.toLowerCase()));
    if (missing.length > 0) {
        problems.add(
            `${ROOT}.authenticationMethods.fido2.includeGroups`,
            fido2.includeGroups,
            `${policy} for conditionalAccess.highRiskGroupIds ${missing.join(", ")}, which FIDO2 and passkeys are not enabled for, so their members cannot register a passkey and are locked out once it is enforced`,
            `add ${missing.join(", ")} to authenticationMethods.fido2.includeGroups, or set it to ["all_users"]`,
        );
    }

    // 3. Admin roles are not groups: whether their holders are in the FIDO2 groups is the
    //    tenant's to say, so warn rather than refuse.
    const roles = ca.adminRoleTemplateIds ?? Object.values(ADMIN_ROLE_TEMPLATE_IDS);
    if (roles.length > 0) {
        result.warnings.push(
            `${ROOT}.authenticationMethods.fido2.includeGroups limits FIDO2 and passkeys to ${JSON.stringify(fido2.includeGroups)}, ` +
                `but ${policy} also covers ${roles.length} admin role(s): an administrator outside those groups cannot register a passkey and is locked out once it is enforced. ` +
                'Fix: put every administrator in one of those groups, or set fido2.includeGroups to ["all_users"].',
        );
    }
}

/**
 * Quarantine release issues a Temporary Access Pass of `RELEASE_TAP_LIFETIME_MINUTES` for MFA
 * re-registration in person. Graph refuses a pass while the method is off or outside the
 * policy's lifetime limits, so such a baseline would make every release fail.
 */
function checkReleaseTemporaryAccessPass(problems: Problems, result: ValidatedBaseline): void {
    const am = result.authenticationMethods;
    if (!am || am.temporaryAccessPass === false) return; // not managed here
    const tap = authenticationMethodsInputs(am).temporaryAccessPass ?? {};
    const key = `${ROOT}.authenticationMethods.temporaryAccessPass`;
    const minutes = RELEASE_TAP_LIFETIME_MINUTES;
    const why = `quarantine release issues a ${minutes}-minute Temporary Access Pass for MFA re-registration, which Graph refuses`;

    if (tap.state === "disabled") {
        problems.add(
            `${key}.state`,
            tap.state,
            `${why} while the method is off, so no contained user could be released`,
            'set it to "enabled", or set temporaryAccessPass to false to leave the tenant\'s setting',
        );
    }
    const max = tap.maximumLifetimeInMinutes;
    if (typeof max === "number" && max < minutes) {
        problems.add(
            `${key}.maximumLifetimeInMinutes`,
            max,
            `${why} above this maximum, so every release would fail`,
            `raise it to at least ${minutes}`,
        );
    }
    const min = tap.minimumLifetimeInMinutes;
    if (typeof min === "number" && min > minutes) {
        problems.add(
            `${key}.minimumLifetimeInMinutes`,
            min,
            `${why} below this minimum, so every release would fail`,
            `lower it to at most ${minutes}`,
        );
    }
}
