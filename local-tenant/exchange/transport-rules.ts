/**
 * Transport (mail flow) rule cmdlets: Get-, New-, Set-, Remove-, Enable- and Disable-TransportRule.
 *
 * The local tenant delivers no mail, so a rule is data: what matters is that the parameters
 * are the real cmdlets' names and types, that they bind and validate as Exchange does, and that
 * Get-TransportRule returns what was set. The conditions and actions modelled are the ones the
 * baseline's rules need (the Reply-To warning: HeaderMatchesMessageHeader "Reply-To" with
 * ExceptIfHeaderMatchesPatterns for the organisation's domains and ApplyHtmlDisclaimerText;
 * external sender tagging: FromScope NotInOrganization with a prepended disclaimer) plus the
 * common ones around them; any other parameter is refused with a parameter-binding error.
 *
 * Roles: "Transport Rules"; Get- also "View-Only Configuration" (Microsoft365DSC
 * EXOTransportRule settings.json: read View-Only Configuration, update Transport Rules).
 */
import { CmdletError, type Cmdlet, type CmdletContext, type CmdletResult } from "../contracts";
import type { TenantState } from "../model";
import {
    ARGUMENT_EXCEPTION,
    CHANGE_PARAMETERS,
    COMMON_PARAMETERS,
    applyResultSize,
    bind,
    noChangeWarning,
    objectNotFound,
    sameValue,
    type BoundParameters,
} from "./common";
import { bindValue, type ParameterSpec } from "./settings";

const READ_ROLES = ["Transport Rules", "View-Only Configuration"];
const WRITE_ROLES = ["Transport Rules"];

const SCOPES = ["InOrganization", "NotInOrganization"] as const;
const SENT_TO_SCOPES = [
    "InOrganization",
    "NotInOrganization",
    "ExternalPartner",
    "ExternalNonPartner",
] as const;

/** Conditions; each also exists as an exception with the "ExceptIf" prefix. */
const CONDITIONS: ParameterSpec = {
    FromScope: SCOPES,
    SentToScope: SENT_TO_SCOPES,
    From: "list",
    SentTo: "list",
    FromMemberOf: "list",
    SentToMemberOf: "list",
    SenderDomainIs: "list",
    RecipientDomainIs: "list",
    FromAddressContainsWords: "list",
    FromAddressMatchesPatterns: "list",
    RecipientAddressContainsWords: "list",
    RecipientAddressMatchesPatterns: "list",
    SubjectContainsWords: "list",
    SubjectMatchesPatterns: "list",
    SubjectOrBodyContainsWords: "list",
    SubjectOrBodyMatchesPatterns: "list",
    HeaderContainsMessageHeader: "nullableString",
    HeaderContainsWords: "list",
    HeaderMatchesMessageHeader: "nullableString",
    HeaderMatchesPatterns: "list",
    AttachmentHasExecutableContent: "bool",
    HasSenderOverride: "bool",
};

/** Actions and rule properties. */
const ACTIONS: ParameterSpec = {
    ApplyHtmlDisclaimerText: "nullableString",
    ApplyHtmlDisclaimerLocation: ["Append", "Prepend"],
    ApplyHtmlDisclaimerFallbackAction: ["Wrap", "Ignore", "Reject"],
    PrependSubject: "nullableString",
    SetHeaderName: "nullableString",
    SetHeaderValue: "nullableString",
    RemoveHeader: "nullableString",
    SetSCL: "nullableString",
    SetAuditSeverity: ["DoNotAudit", "Low", "Medium", "High"],
    DeleteMessage: "bool",
    Quarantine: "bool",
    RedirectMessageTo: "list",
    BlindCopyTo: "list",
    AddToRecipients: "list",
    CopyTo: "list",
    ModerateMessageByUser: "list",
    RejectMessageReasonText: "nullableString",
    RejectMessageEnhancedStatusCode: "nullableString",
    GenerateIncidentReport: "nullableString",
    IncidentReportContent: "list",
    GenerateNotification: "nullableString",
    StopRuleProcessing: "bool",
};

const RULE_PROPERTIES: ParameterSpec = {
    Mode: ["Audit", "AuditAndNotify", "Enforce"],
    Comments: "nullableString",
    SenderAddressLocation: ["Header", "Envelope", "HeaderOrEnvelope"],
    RuleErrorAction: ["Ignore", "Defer"],
    ActivationDate: "nullableString",
    ExpiryDate: "nullableString",
};

const SETTABLE: ParameterSpec = {
    ...RULE_PROPERTIES,
    ...CONDITIONS,
    ...Object.fromEntries(Object.entries(CONDITIONS).map(([k, v]) => [`ExceptIf${k}`, v])),
    ...ACTIONS,
};

/** Parameters whose values are regular expressions (validated at bind time, as Exchange does). */
const PATTERN_PARAMETERS = Object.keys(SETTABLE).filter((k) => k.endsWith("Patterns"));

/** Parameters that only make sense together. */
const PAIRS: Array<[string, string]> = [
    ["HeaderMatchesMessageHeader", "HeaderMatchesPatterns"],
    ["HeaderContainsMessageHeader", "HeaderContainsWords"],
    ["ExceptIfHeaderMatchesMessageHeader", "ExceptIfHeaderMatchesPatterns"],
    ["ExceptIfHeaderContainsMessageHeader", "ExceptIfHeaderContainsWords"],
    ["SetHeaderName", "SetHeaderValue"],
];

/** Exchange's defaults for a new rule: every modelled property present, unset ones null. */
function blankRule(): Record<string, unknown> {
    const rule: Record<string, unknown> = {};
    for (const [key, type] of Object.entries(SETTABLE)) {
        rule[key] = type === "bool" ? false : null;
    }
    return {
        ...rule,
        Mode: "Enforce",
        SenderAddressLocation: "Header",
        RuleErrorAction: "Ignore",
        SetAuditSeverity: "Low",
        ApplyHtmlDisclaimerLocation: null,
        ApplyHtmlDisclaimerFallbackAction: null,
    };
}

function invalid(message: string): CmdletError {
    return new CmdletError(ARGUMENT_EXCEPTION, "InvalidArgument", message);
}

/** Binds and validates the rule parameters the caller sent, over a copy of the rule. */
function applyRuleParameters(params: BoundParameters, rule: Record<string, unknown>) {
    for (const name of params.names()) {
        const type = SETTABLE[name];
        if (type === undefined) continue;
        rule[name] = bindValue(params, name, type, rule[name]);
    }

    // Patterns must compile (Exchange uses .NET regular expressions; JavaScript's are close).
    for (const name of PATTERN_PARAMETERS) {
        for (const pattern of (rule[name] as string[] | null) ?? []) {
            try {
                new RegExp(pattern);
            } catch {
                throw invalid(
                    `The value "${pattern}" of parameter ${name} isn't a valid regular expression.`,
                );
            }
        }
    }

    // Paired parameters: one without the other cannot be evaluated.
    for (const [a, b] of PAIRS) {
        const hasA = isSet(rule[a]);
        const hasB = isSet(rule[b]);
        if (hasA !== hasB) {
            const [given, missing] = hasA ? [a, b] : [b, a];
            throw invalid(
                `The ${given} parameter requires the ${missing} parameter. Specify both.`,
            );
        }
    }

    // A disclaimer gets Exchange's defaults for where it goes and what happens if it cannot.
    if (isSet(rule.ApplyHtmlDisclaimerText)) {
        if ((rule.ApplyHtmlDisclaimerText as string).length > 5000) {
            throw invalid(
                "The ApplyHtmlDisclaimerText parameter can't be longer than 5000 characters.",
            );
        }
        rule.ApplyHtmlDisclaimerLocation ??= "Append";
        rule.ApplyHtmlDisclaimerFallbackAction ??= "Wrap";
    }

    const scl = rule.SetSCL;
    if (isSet(scl) && !/^(-1|[0-9])$/.test(String(scl))) {
        throw invalid(
            `The value "${String(scl)}" of parameter SetSCL must be an integer from -1 to 9.`,
        );
    }
}

function isSet(value: unknown): boolean {
    if (value === null || value === undefined || value === "" || value === false) return false;
    return !(Array.isArray(value) && value.length === 0);
}

/** The stored rules in priority order, with Priority renumbered 0..n-1 and Identity filled in. */
function orderedRules(state: TenantState): Array<Record<string, unknown>> {
    const rules = state.exchange.transportRules;
    rules.forEach((rule, index) => {
        if (typeof rule.Priority !== "number") rule.Priority = index;
    });
    rules.sort((a, b) => (a.Priority as number) - (b.Priority as number));
    rules.forEach((rule, index) => {
        rule.Priority = index;
        rule.Identity = rule.Name;
        rule.State ??= "Enabled";
    });
    return rules;
}

function findRule(state: TenantState, identity: string) {
    const wanted = identity.toLowerCase();
    const rule = orderedRules(state).find((r) =>
        ["Name", "Identity", "Guid", "ImmutableId"].some(
            (k) => String(r[k] ?? "").toLowerCase() === wanted,
        ),
    );
    if (!rule) throw objectNotFound(identity);
    return rule;
}

/** Moves a rule to `priority`, shifting the others, as Exchange does. */
function placeAt(
    state: TenantState,
    rule: Record<string, unknown>,
    priority: number,
    isNew: boolean,
) {
    const rules = orderedRules(state).filter((r) => r !== rule);
    const max = rules.length;
    if (priority < 0 || priority > max) {
        throw invalid(
            `The value of the Priority parameter must be between 0 and ${max}` +
                (isNew ? "." : `. There are ${max + 1} rules.`),
        );
    }
    rules.splice(priority, 0, rule);
    state.exchange.transportRules.length = 0;
    state.exchange.transportRules.push(...rules);
    rules.forEach((r, index) => (r.Priority = index));
}

/** The Get-TransportRule object, with a generated Description like Exchange's. */
function ruleObject(rule: Record<string, unknown>): Record<string, unknown> {
    const copy = structuredClone(rule);
    copy.Description = describe(rule);
    return copy;
}

function describe(rule: Record<string, unknown>): string {
    const lines: string[] = [];
    const conditions = Object.keys(CONDITIONS).filter((k) => isSet(rule[k]));
    const exceptions = Object.keys(CONDITIONS).filter((k) => isSet(rule[`ExceptIf${k}`]));
    const actions = Object.keys(ACTIONS).filter((k) => isSet(rule[k]));
    const show = (key: string) => `${key}: ${JSON.stringify(rule[key])}`;
    if (conditions.length > 0)
        lines.push("If the message:", ...conditions.map((k) => `\t${show(k)}`));
    if (actions.length > 0)
        lines.push("Take the following actions:", ...actions.map((k) => `\t${show(k)}`));
    if (exceptions.length > 0) {
        lines.push("Except if the message:", ...exceptions.map((k) => `\t${show(`ExceptIf${k}`)}`));
    }
    return lines.join("\r\n");
}

// ---------------------------------------------------------------------------------------------
// Cmdlets.

const GET_PARAMETERS = ["Identity", "State", "ResultSize", ...COMMON_PARAMETERS];

const getTransportRule: Cmdlet = {
    name: "Get-TransportRule",
    roles: READ_ROLES,
    parameters: GET_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-TransportRule", GET_PARAMETERS, ctx);
        const state = structuredClone(ctx.state);
        const identity = params.string("Identity");
        let rules = identity === undefined ? orderedRules(state) : [findRule(state, identity)];
        const wantedState = params.enumValue(
            "State",
            ["Enabled", "Disabled"] as const,
            "RuleState",
        );
        if (wantedState) rules = rules.filter((r) => r.State === wantedState);
        return { value: applyResultSize(params, rules.map(ruleObject)) };
    },
};

const NEW_PARAMETERS = [
    "Name",
    "Priority",
    "Enabled",
    ...Object.keys(SETTABLE),
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

const newTransportRule: Cmdlet = {
    name: "New-TransportRule",
    roles: WRITE_ROLES,
    parameters: NEW_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        // 1. Bind everything onto a new rule; nothing is stored until it all validates.
        const params = bind("New-TransportRule", NEW_PARAMETERS, ctx);
        params.require("Name");
        const name = params.string("Name")!;
        if (
            ctx.state.exchange.transportRules.some(
                (r) => String(r.Name).toLowerCase() === name.toLowerCase(),
            )
        ) {
            throw new CmdletError(
                "Microsoft.Exchange.MessagingPolicies.Rules.Tasks.RuleNameAlreadyExistsException",
                "RuleNameAlreadyExistsException",
                `A rule named '${name}' already exists. Specify a different name.`,
            );
        }
        const id = ctx.newId();
        const rule: Record<string, unknown> = {
            Name: name,
            Identity: name,
            Guid: id,
            ImmutableId: id,
            State: params.bool("Enabled") === false ? "Disabled" : "Enabled",
            ...blankRule(),
            WhenChanged: ctx.now().toISOString(),
        };
        applyRuleParameters(params, rule);

        // 2. Store at the requested priority (default: last).
        const count = orderedRules(ctx.state).length;
        const priority = params.int("Priority") ?? count;
        placeAt(ctx.state, rule, priority, true);
        return { value: [ruleObject(rule)] };
    },
};

const SET_PARAMETERS = [
    "Identity",
    "Name",
    "Priority",
    ...Object.keys(SETTABLE),
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

const setTransportRule: Cmdlet = {
    name: "Set-TransportRule",
    roles: WRITE_ROLES,
    parameters: SET_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Set-TransportRule", SET_PARAMETERS, ctx);
        params.require("Identity");
        const rule = findRule(ctx.state, params.string("Identity")!);
        const next = structuredClone(rule);

        const rename = params.string("Name");
        if (rename !== undefined) {
            const clash = ctx.state.exchange.transportRules.some(
                (r) => r !== rule && String(r.Name).toLowerCase() === rename.toLowerCase(),
            );
            if (clash) {
                throw new CmdletError(
                    "Microsoft.Exchange.MessagingPolicies.Rules.Tasks.RuleNameAlreadyExistsException",
                    "RuleNameAlreadyExistsException",
                    `A rule named '${rename}' already exists. Specify a different name.`,
                );
            }
            next.Name = rename;
            next.Identity = rename;
        }
        applyRuleParameters(params, next);
        const priority = params.int("Priority");

        const moved = priority !== undefined && priority !== rule.Priority;
        if (!moved && sameValue(rule, next)) {
            return { value: [], warnings: [noChangeWarning(String(rule.Name))] };
        }
        if (moved) {
            const others = orderedRules(ctx.state).length - 1;
            if (priority < 0 || priority > others) {
                throw invalid(
                    `The value of the Priority parameter must be between 0 and ${others}.`,
                );
            }
        }
        Object.assign(rule, next, { WhenChanged: ctx.now().toISOString() });
        if (moved) placeAt(ctx.state, rule, priority, false);
        return { value: [] };
    },
};

const IDENTITY_PARAMETERS = ["Identity", ...CHANGE_PARAMETERS, ...COMMON_PARAMETERS];

const removeTransportRule: Cmdlet = {
    name: "Remove-TransportRule",
    roles: WRITE_ROLES,
    parameters: IDENTITY_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Remove-TransportRule", IDENTITY_PARAMETERS, ctx);
        params.require("Identity");
        const rule = findRule(ctx.state, params.string("Identity")!);
        const rules = ctx.state.exchange.transportRules;
        rules.splice(rules.indexOf(rule), 1);
        orderedRules(ctx.state);
        return { value: [] };
    },
};

function setState(name: string, state: "Enabled" | "Disabled"): Cmdlet {
    const parameters = name.startsWith("Enable")
        ? [...IDENTITY_PARAMETERS, "Mode"]
        : IDENTITY_PARAMETERS;
    return {
        name,
        roles: WRITE_ROLES,
        parameters,
        handler(ctx: CmdletContext): CmdletResult {
            const params = bind(name, parameters, ctx);
            params.require("Identity");
            const rule = findRule(ctx.state, params.string("Identity")!);
            const mode = params.has("Mode")
                ? bindValue(params, "Mode", RULE_PROPERTIES.Mode, rule.Mode)
                : rule.Mode;
            if (rule.State === state && rule.Mode === mode) {
                return { value: [], warnings: [noChangeWarning(String(rule.Name))] };
            }
            rule.State = state;
            rule.Mode = mode;
            return { value: [] };
        },
    };
}

export const cmdlets: Cmdlet[] = [
    getTransportRule,
    newTransportRule,
    setTransportRule,
    removeTransportRule,
    setState("Enable-TransportRule", "Enabled"),
    setState("Disable-TransportRule", "Disabled"),
];
