/**
 * Exchange Online protections against BEC as one Pulumi resource, over the Exchange admin API:
 * - no automatic forwarding to the outside (every outbound spam policy AutoForwardingMode Off,
 *   every remote domain AutoForwardEnabled false): the attacker's favourite way to keep reading
 *   a mailbox after the password is reset;
 * - a mail flow rule that warns recipients when Reply-To points outside the organisation's
 *   accepted domains and listed partner domains (audit mode first, then enforce): the "reply
 *   goes to the attacker" step of invoice fraud;
 * - external sender tagging in Outlook (Set-ExternalInOutlook);
 * - mailbox auditing on by default (OrganizationConfig AuditDisabled false) and unified audit
 *   log ingestion on (AdminAuditLogConfig): without them an investigation has nothing to read;
 * - SMTP AUTH off tenant-wide (TransportConfig SmtpClientAuthenticationDisabled): basic-auth
 *   SMTP bypasses MFA.
 *
 * These are tenant settings, not objects we own: create records the values it replaces, delete
 * restores them, and the Reply-To rule (which we create) is removed.
 *
 * Note: every switch here only turns a protection ON. `false` or leaving a switch out means
 * "not managed" (the tenant keeps its value); this resource never turns a protection off.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    checkOneOf,
    declaredEntries,
    declaredMatches,
    describeError,
    inputFailure,
    InputFailure,
    isDomainName,
    isObject,
    partialFailure,
    progress,
    settingsDiff,
    showValue,
} from "./settings-support";
import {
    isExchangeNotFound,
    openExchange,
    rememberConfig,
    SettingsExchange,
} from "./settings-clients";

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

export interface ReplyToWarningSettings {
    /**
     * `audit`: the rule is evaluated and logged (message trace, rule reports) but changes no
     * mail: start here to see how often partners legitimately use another Reply-To.
     * `enforce`: the warning is prepended to matching messages.
     */
    mode: "audit" | "enforce";
    /**
     * Domains whose Reply-To addresses are expected (suppliers, the bank, the payroll
     * provider), besides the organisation's accepted domains, which are always included.
     * Default none. Risk if too broad: a compromised partner's mail is not flagged.
     */
    partnerDomains?: string[];
    /** Rule name (unique in the tenant). Default "BEC Guard - Reply-To outside the organisation". */
    ruleName?: string;
    /** HTML prepended to the message body. Default: a short caution naming payment requests. */
    warningHtml?: string;
}

export interface ExchangeProtectionInputs {
    /**
     * Blocks automatic forwarding to external addresses on every outbound spam policy and every
     * remote domain. Default: not managed. Note: users with a business need (a shared mailbox
     * forwarding to a partner) need a scoped outbound policy after this.
     */
    blockExternalForwarding?: boolean;
    /** The Reply-To warning rule. Default: no rule. */
    replyToWarning?: ReplyToWarningSettings;
    /** Tags mail from outside the organisation as External in Outlook. Default: not managed. */
    tagExternalSenders?: boolean;
    /** Mailbox auditing on by default for every mailbox. Default: not managed. */
    mailboxAuditing?: boolean;
    /** Unified audit log ingestion on. Default: not managed. */
    unifiedAuditLog?: boolean;
    /** SMTP AUTH client submission off for the organisation. Default: not managed. */
    disableSmtpClientAuth?: boolean;
}

export type ExchangeProtectionArgs = {
    [K in keyof ExchangeProtectionInputs]?: pulumi.Input<ExchangeProtectionInputs[K]>;
};

// ---------------------------------------------------------------------------------------------
// Pure logic
// ---------------------------------------------------------------------------------------------

export const DEFAULT_REPLY_TO_RULE_NAME = "BEC Guard - Reply-To outside the organisation";

export const DEFAULT_REPLY_TO_WARNING =
    '<div style="border:2px solid #b00020;padding:8px;margin-bottom:8px;background:#fff4f4">' +
    "<b>Caution:</b> replies to this message go to an address outside our organisation and our " +
    "known partners. If it asks for a payment, a change of bank details or your password, " +
    "confirm with the sender by phone on a number you already have.</div>";

/** One organisation setting we declare: a property of a Get-/Set- noun. */
export interface ExchangeSetting {
    field: string;
    /** The cmdlet noun: Set-<noun> writes it, Get-<noun> reads it. */
    noun: string;
    /** For collections (policies, remote domains): which object. Undefined for singletons. */
    identity?: string;
    property: string;
    value: unknown;
}

/** What the tenant had at one setting before we changed it. */
export interface RecordedExchangeSetting extends Omit<ExchangeSetting, "value"> {
    present: boolean;
    value?: unknown;
}

/** A declaration before collections are expanded to their objects. */
interface SettingTemplate {
    field: string;
    noun: string;
    collection: boolean;
    property: string;
    value: unknown;
}

const TEMPLATES: Record<string, SettingTemplate[]> = {
    blockExternalForwarding: [
        {
            field: "blockExternalForwarding",
            noun: "HostedOutboundSpamFilterPolicy",
            collection: true,
            property: "AutoForwardingMode",
            value: "Off",
        },
        {
            field: "blockExternalForwarding",
            noun: "RemoteDomain",
            collection: true,
            property: "AutoForwardEnabled",
            value: false,
        },
    ],
    tagExternalSenders: [
        {
            field: "tagExternalSenders",
            noun: "ExternalInOutlook",
            collection: false,
            property: "Enabled",
            value: true,
        },
    ],
    mailboxAuditing: [
        {
            field: "mailboxAuditing",
            noun: "OrganizationConfig",
            collection: false,
            property: "AuditDisabled",
            value: false,
        },
    ],
    unifiedAuditLog: [
        {
            field: "unifiedAuditLog",
            noun: "AdminAuditLogConfig",
            collection: false,
            property: "UnifiedAuditLogIngestionEnabled",
            value: true,
        },
    ],
    disableSmtpClientAuth: [
        {
            field: "disableSmtpClientAuth",
            noun: "TransportConfig",
            collection: false,
            property: "SmtpClientAuthenticationDisabled",
            value: true,
        },
    ],
};

export const SWITCHES = Object.keys(TEMPLATES);

/** Validates inputs at preview time. */
export function validateExchangeProtection(inputs: Record<string, unknown>): InputFailure[] {
    const failures: InputFailure[] = [];
    const known = [...SWITCHES, "replyToWarning"];

    // 1. Known keys, switches as booleans.
    for (const [key, value] of declaredEntries(inputs)) {
        if (!known.includes(key)) {
            failures.push(
                inputFailure(
                    key,
                    value,
                    "not a setting of Exchange protection",
                    `use one of ${known.join(", ")}`,
                ),
            );
        } else if (SWITCHES.includes(key) && typeof value !== "boolean") {
            failures.push(
                inputFailure(
                    key,
                    value,
                    "not a boolean",
                    "use true to turn the protection on (false leaves the tenant's setting)",
                ),
            );
        }
    }

    // 2. The Reply-To rule.
    const rule = inputs.replyToWarning;
    if (rule === undefined) return failures;
    if (!isObject(rule)) {
        failures.push(
            inputFailure(
                "replyToWarning",
                rule,
                "not an object",
                'give { mode: "audit", partnerDomains: [...] }',
            ),
        );
        return failures;
    }
    const ruleKeys = ["mode", "partnerDomains", "ruleName", "warningHtml"];
    for (const key of Object.keys(rule)) {
        if (rule[key] !== undefined && !ruleKeys.includes(key)) {
            failures.push(
                inputFailure(
                    `replyToWarning.${key}`,
                    rule[key],
                    "not a setting of the Reply-To rule",
                    `use one of ${ruleKeys.join(", ")}`,
                ),
            );
        }
    }
    if (rule.mode === undefined) {
        failures.push(
            inputFailure(
                "replyToWarning.mode",
                undefined,
                "required",
                'start with "audit", move to "enforce" once the audit looks right',
            ),
        );
    }
    checkOneOf(failures, "replyToWarning.mode", rule.mode, ["audit", "enforce"]);
    if (rule.partnerDomains !== undefined) {
        if (!Array.isArray(rule.partnerDomains)) {
            failures.push(
                inputFailure(
                    "replyToWarning.partnerDomains",
                    rule.partnerDomains,
                    "not a list",
                    'give ["fabrikam.com", ...]',
                ),
            );
        } else {
            rule.partnerDomains.forEach((d, i) => {
                if (!isDomainName(d)) {
                    failures.push(
                        inputFailure(
                            `replyToWarning.partnerDomains[${i}]`,
                            d,
                            "not a domain name",
                            "use the bare domain, e.g. fabrikam.com (no @, no URL)",
                        ),
                    );
                }
            });
        }
    }
    const name = rule.ruleName;
    if (
        name !== undefined &&
        (typeof name !== "string" || name.trim() === "" || name.length > 64)
    ) {
        failures.push(
            inputFailure(
                "replyToWarning.ruleName",
                name,
                "a rule name must have 1 to 64 characters",
                "use a short unique name",
            ),
        );
    }
    const html = rule.warningHtml;
    if (
        html !== undefined &&
        (typeof html !== "string" || html.trim() === "" || html.length > 5000)
    ) {
        failures.push(
            inputFailure(
                "replyToWarning.warningHtml",
                html,
                "the warning must have 1 to 5000 characters",
                "shorten it (Exchange's disclaimer limit is 5000)",
            ),
        );
    }
    return failures;
}

/** Expands the declared switches to one setting per object (collections) or singleton. */
export function declaredExchangeSettings(
    inputs: ExchangeProtectionInputs,
    snapshot: ExchangeSnapshot,
): ExchangeSetting[] {
    const settings: ExchangeSetting[] = [];
    for (const key of SWITCHES) {
        if ((inputs as Record<string, unknown>)[key] !== true) continue;
        for (const t of TEMPLATES[key]) {
            if (!t.collection) {
                settings.push({
                    field: t.field,
                    noun: t.noun,
                    property: t.property,
                    value: t.value,
                });
                continue;
            }
            for (const object of snapshot[t.noun] ?? []) {
                settings.push({
                    field: t.field,
                    noun: t.noun,
                    identity: identityOf(object),
                    property: t.property,
                    value: t.value,
                });
            }
        }
    }
    return settings;
}

/** The nouns to read for a set of inputs and records. */
export function nounsFor(
    inputs: ExchangeProtectionInputs,
    recorded: RecordedExchangeSetting[],
): string[] {
    const nouns = new Set(recorded.map((r) => r.noun));
    for (const key of SWITCHES) {
        if ((inputs as Record<string, unknown>)[key] === true)
            TEMPLATES[key].forEach((t) => nouns.add(t.noun));
    }
    return [...nouns];
}

export function identityOf(object: Record<string, unknown>): string {
    return String(object.Identity ?? object.Name ?? "");
}

/** Objects per noun, as Get-<noun> returned them. */
export type ExchangeSnapshot = Record<string, Array<Record<string, unknown>>>;

export function exchangeSettingKey(s: {
    noun: string;
    identity?: string;
    property: string;
}): string {
    return `${s.noun}|${(s.identity ?? "").toLowerCase()}|${s.property}`;
}

/** The current value of a setting, and whether its object still exists. */
export function currentExchangeValue(
    snapshot: ExchangeSnapshot,
    s: { noun: string; identity?: string; property: string },
): { exists: boolean; present: boolean; value?: unknown } {
    const objects = snapshot[s.noun] ?? [];
    const object =
        s.identity === undefined
            ? objects[0]
            : objects.find((o) => identityOf(o).toLowerCase() === s.identity!.toLowerCase());
    if (!object) return { exists: false, present: false };
    const key = Object.keys(object).find((k) => k.toLowerCase() === s.property.toLowerCase());
    return key === undefined
        ? { exists: true, present: false }
        : { exists: true, present: true, value: object[key] };
}

export function recordExchangeSettings(
    snapshot: ExchangeSnapshot,
    settings: ExchangeSetting[],
): RecordedExchangeSetting[] {
    return settings.map((s) => {
        const current = currentExchangeValue(snapshot, s);
        // No undefined members: outputs travel as protobuf Structs, which refuse them.
        const where: Omit<RecordedExchangeSetting, "present" | "value"> = {
            field: s.field,
            noun: s.noun,
            property: s.property,
        };
        if (s.identity !== undefined) where.identity = s.identity;
        return current.present
            ? { ...where, present: true, value: current.value }
            : { ...where, present: false };
    });
}

/** One Set- call. */
export interface ExchangeWrite {
    cmdlet: string;
    parameters: Record<string, unknown>;
}

function writeOf(
    s: { noun: string; identity?: string; property: string },
    value: unknown,
): ExchangeWrite {
    const parameters: Record<string, unknown> = {};
    if (s.identity !== undefined) parameters.Identity = s.identity;
    parameters[s.property] = value;
    return { cmdlet: `Set-${s.noun}`, parameters };
}

/** Merges writes to the same object into one Set- call. */
function mergeWrites(writes: ExchangeWrite[]): ExchangeWrite[] {
    const merged = new Map<string, ExchangeWrite>();
    for (const w of writes) {
        const key = `${w.cmdlet}|${String(w.parameters.Identity ?? "").toLowerCase()}`;
        const existing = merged.get(key);
        if (existing) Object.assign(existing.parameters, w.parameters);
        else merged.set(key, { cmdlet: w.cmdlet, parameters: { ...w.parameters } });
    }
    return [...merged.values()];
}

/**
 * What an apply must do: restore released settings, record new ones, write declared values the
 * tenant does not have. Objects that no longer exist are skipped.
 */
export function planExchangeChange(
    snapshot: ExchangeSnapshot,
    recorded: RecordedExchangeSetting[],
    declared: ExchangeSetting[],
): { writes: ExchangeWrite[]; recorded: RecordedExchangeSetting[] } {
    const declaredKeys = new Set(declared.map(exchangeSettingKey));
    const recordedKeys = new Set(recorded.map(exchangeSettingKey));

    const released = recorded.filter((r) => !declaredKeys.has(exchangeSettingKey(r)));
    const restores = released.filter((r) => {
        const now = currentExchangeValue(snapshot, r);
        return r.present && now.exists && !declaredMatches(r.value, now.value);
    });
    const kept = recorded.filter((r) => declaredKeys.has(exchangeSettingKey(r)));
    const added = recordExchangeSettings(
        snapshot,
        declared.filter((d) => !recordedKeys.has(exchangeSettingKey(d))),
    );
    const writes = declared.filter(
        (d) => !declaredMatches(d.value, currentExchangeValue(snapshot, d).value),
    );

    return {
        writes: mergeWrites([
            ...restores.map((r) => writeOf(r, r.value)),
            ...writes.map((d) => writeOf(d, d.value)),
        ]),
        recorded: [...kept, ...added],
    };
}

/** The Set- calls that put every recorded value back (for delete). */
export function planExchangeRestore(
    snapshot: ExchangeSnapshot,
    recorded: RecordedExchangeSetting[],
): ExchangeWrite[] {
    return planExchangeChange(snapshot, recorded, []).writes;
}

export function exchangeDrift(snapshot: ExchangeSnapshot, declared: ExchangeSetting[]): string[] {
    return declared
        .filter((d) => !declaredMatches(d.value, currentExchangeValue(snapshot, d).value))
        .map((d) => {
            const where = d.identity === undefined ? d.noun : `${d.noun} "${d.identity}"`;
            return `${d.field}: declared ${d.property} ${showValue(d.value)} on ${where}, tenant has ${showValue(currentExchangeValue(snapshot, d).value)}`;
        });
}

// The parts of a Reply-To header the exception pattern accepts. The attacker writes this header,
// so the pattern must match the WHOLE value and allow exactly one "@": the one of the address
// at the end. Display-name text therefore may hold no "@", and nothing that could open a second
// address or make a mail client read the quotes differently from the pattern: no "<" ">", no
// list separators "," ";", no group ":", no comment "(" ")", no domain literal "[" "]", no
// escape "\". A quoted display name may hold commas ("Smith, John"), never "@", "<", ">" or "\".
// Only the syntax Exchange documents for rule patterns is used (classes, \s, \A, \z, *, +, ?).

/** One display-name character outside quotes. */
const PHRASE_CHAR = '[^"@<>,;:\\\\()\\[\\]]';
/** A quoted display name. */
const QUOTED_PHRASE = '"[^"@<>\\\\]*"';
/** The address's local part: no space and nothing that could start another address. */
const LOCAL_PART = '[^"@<>,;:\\\\()\\[\\]\\s]+';

/**
 * The Exchange rule pattern (case-insensitive, as Exchange matches) for a Reply-To header whose
 * one and only address is at exactly this domain: `addr@domain`, `<addr@domain>` or
 * `Display Name <addr@domain>`, anchored from the start (`\A`) to the end (`\z`) of the header.
 * A header with a second address, or with the domain only in its display name, does not match,
 * so it is not exempt from the warning. Subdomains are not included: list them as their own
 * accepted or partner domains.
 */
export function replyToDomainPattern(domain: string): string {
    const escaped = domain.toLowerCase().replace(/[.*+?^${}()|[\]\\-]/g, (c) => `\\${c}`);
    return `\\A(${PHRASE_CHAR}|${QUOTED_PHRASE})*<?${LOCAL_PART}@${escaped}>?\\s*\\z`;
}

/** The domains whose Reply-To addresses are expected: accepted domains plus partners. */
export function allowedReplyToDomains(
    acceptedDomains: readonly string[],
    partners: readonly string[] = [],
): string[] {
    return [...new Set([...acceptedDomains, ...partners].map((d) => d.toLowerCase()))].sort();
}

/** The New-/Set-TransportRule parameters for the Reply-To warning (without Name). */
export function replyToRuleParameters(
    rule: ReplyToWarningSettings,
    allowedDomains: readonly string[],
): Record<string, unknown> {
    return {
        Mode: rule.mode === "enforce" ? "Enforce" : "Audit",
        // Warn our people; mail leaving the organisation is not ours to annotate.
        SentToScope: "InOrganization",
        // The message has a Reply-To at all...
        HeaderMatchesMessageHeader: "Reply-To",
        HeaderMatchesPatterns: ["@"],
        // ...and it is not at one of the expected domains.
        ExceptIfHeaderMatchesMessageHeader: "Reply-To",
        ExceptIfHeaderMatchesPatterns: allowedDomains.map(replyToDomainPattern),
        ApplyHtmlDisclaimerLocation: "Prepend",
        ApplyHtmlDisclaimerText: rule.warningHtml ?? DEFAULT_REPLY_TO_WARNING,
        ApplyHtmlDisclaimerFallbackAction: "Wrap",
        SetAuditSeverity: "Medium",
        Comments:
            "Managed by BEC Guard (Pulumi): warns when replies would go outside the organisation and its partners.",
    };
}

export function ruleNameOf(rule: ReplyToWarningSettings): string {
    return rule.ruleName ?? DEFAULT_REPLY_TO_RULE_NAME;
}

/** Drift of the rule: missing, disabled, or a declared parameter changed. */
export function ruleDrift(
    name: string,
    declared: Record<string, unknown>,
    actual: Record<string, unknown> | undefined,
): string[] {
    if (!actual) return [`replyToWarning: rule "${name}" no longer exists`];
    const drift: string[] = [];
    if (actual.State !== undefined && actual.State !== "Enabled") {
        drift.push(
            `replyToWarning: rule "${name}" is ${showValue(actual.State)}, declared Enabled`,
        );
    }
    for (const [key, value] of Object.entries(declared)) {
        if (!declaredMatches(value, actual[key])) {
            drift.push(
                `replyToWarning: ${key} declared ${showValue(value)}, tenant has ${showValue(actual[key])}`,
            );
        }
    }
    return drift;
}

/** What we know about the rule before we touched it. */
export interface RecordedRule {
    name: string;
    /** True when a rule of that name existed and was not ours: delete restores it instead. */
    existedBefore: boolean;
    /** Its values for the parameters we set, when it existed before. */
    before?: Record<string, unknown>;
}

export function exchangeInputsOf(props: Record<string, any>): ExchangeProtectionInputs {
    const out: Record<string, unknown> = {};
    for (const key of [...SWITCHES, "replyToWarning"]) {
        if (props[key] !== undefined) out[key] = props[key];
    }
    return out as ExchangeProtectionInputs;
}

// ---------------------------------------------------------------------------------------------
// Tenant access
// ---------------------------------------------------------------------------------------------

export async function readExchangeSnapshot(
    exchange: SettingsExchange,
    nouns: string[],
): Promise<ExchangeSnapshot> {
    const results = await Promise.all(nouns.map((noun) => exchange.invoke(`Get-${noun}`)));
    const snapshot: ExchangeSnapshot = {};
    nouns.forEach((noun, i) => (snapshot[noun] = results[i]));
    return snapshot;
}

async function runWrites(
    exchange: SettingsExchange,
    writes: ExchangeWrite[],
    label: string,
): Promise<void> {
    for (const w of writes) {
        const { Identity, ...rest } = w.parameters;
        progress(
            label,
            `${w.cmdlet}${Identity ? ` "${String(Identity)}"` : ""} ${Object.entries(rest)
                .map(([k, v]) => `-${k} ${JSON.stringify(v)}`)
                .join(" ")}`,
        );
        await exchange.invoke(w.cmdlet, w.parameters);
    }
}

async function getRule(
    exchange: SettingsExchange,
    name: string,
): Promise<Record<string, unknown> | undefined> {
    try {
        const rules = await exchange.invoke("Get-TransportRule", { Identity: name });
        return rules[0];
    } catch (err) {
        if (isExchangeNotFound(err)) return undefined;
        throw err;
    }
}

async function acceptedDomainNames(exchange: SettingsExchange): Promise<string[]> {
    const domains = await exchange.invoke("Get-AcceptedDomain");
    return domains.map((d) => String(d.DomainName ?? d.Name ?? "")).filter((d) => d.length > 0);
}

/**
 * Makes the Reply-To rule what the inputs declare. Returns what it recorded about the rule
 * (kept from `recorded` when the rule was already ours).
 */
async function ensureRule(
    exchange: SettingsExchange,
    rule: ReplyToWarningSettings,
    recorded: RecordedRule | undefined,
    label: string,
): Promise<{ record: RecordedRule; allowedDomains: string[] }> {
    const name = ruleNameOf(rule);
    const allowedDomains = allowedReplyToDomains(
        await acceptedDomainNames(exchange),
        rule.partnerDomains,
    );
    const parameters = replyToRuleParameters(rule, allowedDomains);
    const existing = await getRule(exchange, name);

    // 1. No rule yet: create it, as ours.
    if (!existing) {
        progress(label, `creating mail flow rule "${name}" (${parameters.Mode})`);
        await exchange.invoke("New-TransportRule", { Name: name, ...parameters });
        return {
            record: recorded?.name === name ? recorded : { name, existedBefore: false },
            allowedDomains,
        };
    }

    // 2. A rule of that name exists: ours already (recorded, or left by a crashed run and
    //    matching), or someone's, whose values we record before changing them.
    let record: RecordedRule;
    if (recorded?.name === name) {
        record = recorded;
    } else if (ruleDrift(name, parameters, existing).length === 0) {
        record = { name, existedBefore: false };
    } else {
        const before: Record<string, unknown> = {};
        for (const key of Object.keys(parameters)) before[key] = existing[key] ?? null;
        record = { name, existedBefore: true, before };
        progress(label, `adopting existing mail flow rule "${name}" (its settings are recorded)`);
    }
    if (ruleDrift(name, parameters, existing).length > 0) {
        progress(label, `updating mail flow rule "${name}" (${parameters.Mode})`);
        await exchange.invoke("Set-TransportRule", { Identity: name, ...parameters });
    }
    if (existing.State !== undefined && existing.State !== "Enabled") {
        await exchange.invoke("Enable-TransportRule", { Identity: name });
    }
    return { record, allowedDomains };
}

/** Removes the rule we created, or puts an adopted one back as it was. */
async function releaseRule(
    exchange: SettingsExchange,
    record: RecordedRule,
    label: string,
): Promise<void> {
    const existing = await getRule(exchange, record.name);
    if (!existing) return;
    if (record.existedBefore && record.before) {
        progress(label, `restoring mail flow rule "${record.name}" to its recorded settings`);
        await exchange.invoke("Set-TransportRule", { Identity: record.name, ...record.before });
        return;
    }
    progress(label, `removing mail flow rule "${record.name}"`);
    try {
        await exchange.invoke("Remove-TransportRule", { Identity: record.name, Confirm: false });
    } catch (err) {
        if (!isExchangeNotFound(err)) throw err;
    }
}

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------

const EXCHANGE_ID = "exchangeProtection";

function exLabel(props: Record<string, any>): string {
    return typeof props.label === "string" ? props.label : "ExchangeProtection";
}

interface ExchangeOutputs {
    previous: RecordedExchangeSetting[];
    replyToRule: RecordedRule | null;
    replyToAllowedDomains: string[];
    drift: string[];
}

/** Applies inputs over what was recorded; the core of create and update. */
async function converge(
    exchange: SettingsExchange,
    inputs: ExchangeProtectionInputs,
    recorded: RecordedExchangeSetting[],
    recordedRule: RecordedRule | null,
    label: string,
): Promise<ExchangeOutputs> {
    // 1. Read the settings involved and record what the tenant has for newly declared ones.
    const snapshot = await readExchangeSnapshot(exchange, nounsFor(inputs, recorded));
    const declared = declaredExchangeSettings(inputs, snapshot);
    const plan = planExchangeChange(snapshot, recorded, declared);
    const outputs: ExchangeOutputs = {
        previous: plan.recorded,
        replyToRule: recordedRule,
        replyToAllowedDomains: [],
        drift: [],
    };

    // 2. Organisation settings. A failure carries the records made so far.
    try {
        await runWrites(exchange, plan.writes, label);

        // 3. The Reply-To rule: ensure it, or release it when no longer declared.
        const wanted = inputs.replyToWarning;
        if (recordedRule && (!wanted || ruleNameOf(wanted) !== recordedRule.name)) {
            await releaseRule(exchange, recordedRule, label);
            outputs.replyToRule = null;
        }
        if (wanted) {
            const ensured = await ensureRule(
                exchange,
                wanted,
                outputs.replyToRule ?? undefined,
                label,
            );
            outputs.replyToRule = ensured.record;
            outputs.replyToAllowedDomains = ensured.allowedDomains;
        }
    } catch (err) {
        const keep = [
            ...plan.recorded,
            ...recorded.filter(
                (r) => !plan.recorded.some((p) => exchangeSettingKey(p) === exchangeSettingKey(r)),
            ),
        ];
        // create and update add the id.
        throw partialFailure(`Exchange protection: ${describeError(err)}`, undefined, {
            ...outputs,
            previous: keep,
            drift: ["apply did not finish"],
        });
    }
    return outputs;
}

export const exchangeProtectionProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        // Stack config (credentials, cloud, break-glass accounts) for every later call.
        rememberConfig(req.config);
    },

    async check(_olds, news) {
        return { inputs: news, failures: validateExchangeProtection(news) };
    },

    async diff(_id, olds, news) {
        return settingsDiff(olds, news, exchangeInputsOf);
    },

    async create(inputs) {
        const exchange = await openExchange();
        try {
            const outputs = await converge(
                exchange,
                exchangeInputsOf(inputs),
                [],
                null,
                exLabel(inputs),
            );
            return { id: EXCHANGE_ID, outs: { ...inputs, ...outputs } };
        } catch (err) {
            const e = err as Error & { properties?: Record<string, unknown> };
            throw Object.assign(e, {
                id: EXCHANGE_ID,
                properties: { ...inputs, ...(e.properties ?? {}) },
            });
        }
    },

    async read(id, props) {
        const exchange = await openExchange();
        const inputs = exchangeInputsOf(props);
        const recorded: RecordedExchangeSetting[] = Array.isArray(props.previous)
            ? props.previous
            : [];
        const snapshot = await readExchangeSnapshot(exchange, nounsFor(inputs, recorded));
        const drift = exchangeDrift(snapshot, declaredExchangeSettings(inputs, snapshot));

        // Also drift: a policy or remote domain added since apply still forwards.
        const unrecorded = declaredExchangeSettings(inputs, snapshot).filter(
            (d) => !recorded.some((r) => exchangeSettingKey(r) === exchangeSettingKey(d)),
        );
        for (const d of unrecorded) {
            if (!drift.some((line) => line.includes(`"${d.identity}"`))) {
                drift.push(`${d.field}: ${d.noun} "${d.identity}" appeared since the last apply`);
            }
        }
        if (inputs.replyToWarning) {
            const name = ruleNameOf(inputs.replyToWarning);
            const allowed = allowedReplyToDomains(
                await acceptedDomainNames(exchange),
                inputs.replyToWarning.partnerDomains,
            );
            drift.push(
                ...ruleDrift(
                    name,
                    replyToRuleParameters(inputs.replyToWarning, allowed),
                    await getRule(exchange, name),
                ),
            );
        }
        return { id, props: { ...props, drift } };
    },

    async update(id, olds, news) {
        const exchange = await openExchange();
        const recorded: RecordedExchangeSetting[] = Array.isArray(olds.previous)
            ? olds.previous
            : [];
        try {
            const outputs = await converge(
                exchange,
                exchangeInputsOf(news),
                recorded,
                olds.replyToRule ?? null,
                exLabel(news),
            );
            return { outs: { ...news, ...outputs } };
        } catch (err) {
            const e = err as Error & { properties?: Record<string, unknown> };
            throw Object.assign(e, { id, properties: { ...news, ...(e.properties ?? {}) } });
        }
    },

    async delete(_id, props) {
        const label = exLabel(props);
        const exchange = await openExchange();
        const recorded: RecordedExchangeSetting[] = Array.isArray(props.previous)
            ? props.previous
            : [];

        // 1. The rule first (it is ours), then every recorded setting back.
        if (isObject(props.replyToRule)) {
            await releaseRule(exchange, props.replyToRule as unknown as RecordedRule, label);
        }
        const snapshot = await readExchangeSnapshot(exchange, nounsFor({}, recorded));
        await runWrites(exchange, planExchangeRestore(snapshot, recorded), label);
    },
};

/**
 * Exchange Online protections against BEC (forwarding, Reply-To warning, external tagging,
 * auditing, SMTP AUTH): records and restores the organisation settings it changes, and removes
 * the mail flow rule it creates.
 *
 * Note: declare at most one per tenant. The Reply-To rule name is reserved for BEC Guard: a
 * rule of that name that already matches what is declared is treated as ours (left by an
 * interrupted run) and removed on delete; a different one is adopted and restored on delete.
 */
export class ExchangeProtection extends pulumi.dynamic.Resource {
    /** What the tenant had for every setting this resource changed. */
    declare readonly previous: pulumi.Output<RecordedExchangeSetting[]>;
    /** The Reply-To rule and whether it existed before. */
    declare readonly replyToRule: pulumi.Output<RecordedRule | null>;
    /** Domains whose Reply-To is not flagged (accepted + partners), as applied. */
    declare readonly replyToAllowedDomains: pulumi.Output<string[]>;
    /** Declared settings the tenant no longer matches (after a refresh). */
    declare readonly drift: pulumi.Output<string[]>;

    constructor(name: string, args: ExchangeProtectionArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            exchangeProtectionProvider,
            name,
            {
                ...args,
                label: name,
                previous: undefined,
                replyToRule: undefined,
                replyToAllowedDomains: undefined,
                drift: undefined,
            },
            opts,
            "bec-guard",
            "ExchangeProtection",
        );
    }
}
