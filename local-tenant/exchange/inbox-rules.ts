/**
 * Inbox rule cmdlets: Get-InboxRule, Enable-InboxRule, Disable-InboxRule, Remove-InboxRule.
 *
 * The rules live once, in `users[].mailbox.inboxRules`, shaped as Graph messageRules; Graph
 * routes and these cmdlets share them. Exchange shows the same rule with its own names (Name,
 * RuleIdentity, Enabled, Priority, ForwardTo, ...), so this module maps between the two.
 *
 * Identity: Exchange identifies a rule by a 64-bit number, RuleIdentity, and shows it as
 * "<mailbox>\<RuleIdentity>". Graph's messageRule id is that number's 8 bytes, little-endian,
 * in base64 (for example "AQAAAJ5dZqA="). An id in a scenario that is not 8 bytes of base64 is
 * hashed to a stable 64-bit number instead, so every rule still has one RuleIdentity.
 *
 * Roles: the InboxRule cmdlets are in the "Mail Recipients" management role (Exchange:
 * `Get-ManagementRole -Cmdlet Get-InboxRule`).
 *
 * Note: Get-InboxRule without -Mailbox runs against the caller's own mailbox; an application
 * has none, so here it uses the mailbox named by X-AnchorMailbox ("UPN:user@..." form) and
 * otherwise fails asking for -Mailbox.
 */
import { randomBytes } from "crypto";
import { CmdletError, type Cmdlet, type CmdletContext, type CmdletResult } from "../contracts";
import type { GraphObject, InboxRule, TenantState } from "../model";
import {
    CHANGE_PARAMETERS,
    COMMON_PARAMETERS,
    bareAddress,
    bind,
    findRecipient,
    noChangeWarning,
    objectNotFound,
    recipientIdentity,
    recipientNotFound,
    sameValue,
    resolveMailbox,
    type BoundParameters,
    type Recipient,
} from "./common";

const ROLES = ["Mail Recipients"];

// ---------------------------------------------------------------------------------------------
// RuleIdentity <-> Graph id.

/** Exchange's RuleIdentity (decimal 64-bit) for a Graph messageRule id. */
export function ruleIdentityFromGraphId(graphId: string): string {
    const bytes = Buffer.from(graphId, "base64");
    const isEightBytes = bytes.length === 8 && bytes.toString("base64") === graphId;
    if (isEightBytes) return bytes.readBigUInt64LE(0).toString();
    return fnv1a64(graphId).toString();
}

/** The Graph messageRule id for an Exchange RuleIdentity (the inverse of the above). */
export function graphIdFromRuleIdentity(ruleIdentity: string): string {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(BigInt(ruleIdentity), 0);
    return bytes.toString("base64");
}

function fnv1a64(text: string): bigint {
    let hash = 0xcbf29ce484222325n;
    for (const byte of Buffer.from(text, "utf8")) {
        hash ^= BigInt(byte);
        hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    return hash;
}

// ---------------------------------------------------------------------------------------------
// Graph messageRule <-> Exchange InboxRule.

/** Graph well-known folder names -> the folder names Exchange shows. */
const WELL_KNOWN_FOLDERS: Record<string, string> = {
    inbox: "Inbox",
    archive: "Archive",
    rssfeeds: "RSS Feeds",
    deleteditems: "Deleted Items",
    junkemail: "Junk Email",
    sentitems: "Sent Items",
    drafts: "Drafts",
    outbox: "Outbox",
    conversationhistory: "Conversation History",
    notes: "Notes",
};

/** How a property is shown in Exchange and stored in Graph. */
type Kind = "words" | "recipients" | "flag" | "enum" | "folder";

/** Exchange InboxRule property, Graph predicate or action property, and how they map. */
type Mapping = [exchange: string, graph: string, kind: Kind, values?: readonly string[]];

/** Conditions; exceptions use the same table with Exchange's "ExceptIf" prefix. */
const PREDICATES: Mapping[] = [
    ["BodyContainsWords", "bodyContains", "words"],
    ["SubjectContainsWords", "subjectContains", "words"],
    ["SubjectOrBodyContainsWords", "bodyOrSubjectContains", "words"],
    ["FromAddressContainsWords", "senderContains", "words"],
    ["RecipientAddressContainsWords", "recipientContains", "words"],
    ["HeaderContainsWords", "headerContains", "words"],
    ["From", "fromAddresses", "recipients"],
    ["SentTo", "sentToAddresses", "recipients"],
    ["HasAttachment", "hasAttachments", "flag"],
    ["MyNameInToBox", "sentToMe", "flag"],
    ["MyNameInCcBox", "sentCcMe", "flag"],
    ["MyNameInToOrCcBox", "sentToOrCcMe", "flag"],
    ["MyNameNotInToBox", "notSentToMe", "flag"],
    ["SentOnlyToMe", "sentOnlyToMe", "flag"],
    ["WithImportance", "importance", "enum", ["Low", "Normal", "High"]],
    ["WithSensitivity", "sensitivity", "enum", ["Normal", "Personal", "Private", "Confidential"]],
];

const ACTIONS: Mapping[] = [
    ["ForwardTo", "forwardTo", "recipients"],
    ["ForwardAsAttachmentTo", "forwardAsAttachmentTo", "recipients"],
    ["RedirectTo", "redirectTo", "recipients"],
    ["MoveToFolder", "moveToFolder", "folder"],
    ["CopyToFolder", "copyToFolder", "folder"],
    ["DeleteMessage", "delete", "flag"],
    ["SoftDeleteMessage", "permanentDelete", "flag"],
    ["MarkAsRead", "markAsRead", "flag"],
    ["MarkImportance", "markImportance", "enum", ["Low", "Normal", "High"]],
    ["ApplyCategory", "assignCategories", "words"],
    ["StopProcessingRules", "stopProcessingRules", "flag"],
];

/** Exchange's view of one Graph value. */
function toExchange(kind: Kind, value: unknown, mailboxIdentity: string): unknown {
    switch (kind) {
        case "words":
            return Array.isArray(value) && value.length > 0 ? value.map(String) : null;
        case "recipients":
            return recipientsDisplay(value);
        case "flag":
            return value === true;
        case "enum":
            return typeof value === "string" && value !== ""
                ? value.charAt(0).toUpperCase() + value.slice(1)
                : null;
        case "folder":
            return folderDisplay(mailboxIdentity, value);
    }
}

/** Exchange shows a folder as "<mailbox>:\<Folder>". */
function folderDisplay(mailboxIdentity: string, folder: unknown): string | null {
    if (typeof folder !== "string" || folder === "") return null;
    const name = WELL_KNOWN_FOLDERS[folder.toLowerCase()] ?? folder;
    return `${mailboxIdentity}:\\${name}`;
}

/** Exchange shows a recipient in a rule as `"Name" [SMTP:address]`. */
function recipientsDisplay(value: unknown): string[] | null {
    if (!Array.isArray(value) || value.length === 0) return null;
    return value.map((entry) => {
        const email = (entry as GraphObject)?.emailAddress as GraphObject | undefined;
        const address = String(email?.address ?? "");
        const name = String(email?.name ?? address);
        return `"${name}" [SMTP:${address}]`;
    });
}

/** Exchange's properties for one Graph predicates object (conditions or exceptions). */
function predicatesToExchange(
    predicates: GraphObject | undefined,
    prefix: "" | "ExceptIf",
    mailboxIdentity: string,
): Record<string, unknown> {
    const p = predicates ?? {};
    const size = p.withinSizeRange as GraphObject | undefined;
    return {
        ...Object.fromEntries(
            PREDICATES.map(([exchange, graph, kind]) => [
                `${prefix}${exchange}`,
                toExchange(kind, p[graph], mailboxIdentity),
            ]),
        ),
        [`${prefix}FlaggedForAction`]: flagForActionDisplay(p.messageActionFlag),
        [`${prefix}WithinSizeRangeMinimum`]: size?.minimumSize ?? null,
        [`${prefix}WithinSizeRangeMaximum`]: size?.maximumSize ?? null,
    };
}

/** Graph's messageActionFlag "fyi" is Exchange's "ForYourInformation"; the rest just capitalise. */
function flagForActionDisplay(value: unknown): string | null {
    if (value === "fyi") return "ForYourInformation";
    return toExchange("enum", value, "") as string | null;
}

/** The Get-InboxRule object for one rule. */
export function inboxRuleObject(recipient: Recipient, rule: InboxRule): Record<string, unknown> {
    const mailboxIdentity = recipientIdentity(recipient);
    const ruleIdentity = ruleIdentityFromGraphId(rule.id);
    const actions = rule.actions ?? {};
    return {
        Name: rule.displayName,
        Identity: `${mailboxIdentity}\\${ruleIdentity}`,
        RuleIdentity: ruleIdentity,
        MailboxOwnerId: mailboxIdentity,
        Enabled: rule.isEnabled,
        Priority: priorityOf(recipient, rule),
        InError: rule.hasError === true,
        IsValid: rule.hasError !== true,
        Description: describe(mailboxIdentity, rule),
        ...predicatesToExchange(rule.conditions, "", mailboxIdentity),
        ...predicatesToExchange(rule.exceptions, "ExceptIf", mailboxIdentity),
        ...Object.fromEntries(
            ACTIONS.map(([exchange, graph, kind]) => [
                exchange,
                toExchange(kind, actions[graph], mailboxIdentity),
            ]),
        ),
    };
}

/** Graph's value for one Exchange parameter value (New-InboxRule, Set-InboxRule). */
function toGraph(
    state: TenantState,
    params: BoundParameters,
    name: string,
    mapping: Mapping,
): unknown {
    const [, , kind, values] = mapping;
    switch (kind) {
        case "words": {
            const list = params.list(name);
            return list && list.length > 0 ? list : undefined;
        }
        case "recipients": {
            const list = params.list(name);
            return list && list.length > 0 ? list.map((v) => ruleRecipient(state, v)) : undefined;
        }
        case "flag":
            return params.bool(name) ? true : undefined;
        case "enum": {
            const value = params.enumValue(name, values!, "Importance");
            return value === undefined ? undefined : value.charAt(0).toLowerCase() + value.slice(1);
        }
        case "folder": {
            const value = params.nullableString(name);
            return value === null ? undefined : graphFolder(value);
        }
    }
}

/** A recipient in a rule: a mailbox of the tenant by any identity, or an outside SMTP address. */
function ruleRecipient(state: TenantState, value: string): GraphObject {
    const recipient = findRecipient(state, value);
    if (recipient) {
        return {
            emailAddress: {
                name: recipient.user.displayName,
                address: recipient.mailbox.primarySmtpAddress,
            },
        };
    }
    const address = bareAddress(value);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) throw recipientNotFound(value);
    return { emailAddress: { name: address, address } };
}

/** "mailbox:\RSS Feeds" or "RSS Feeds" -> Graph's well-known name, or the folder's own name. */
function graphFolder(value: string): string {
    const at = value.indexOf(":\\");
    const name = (at < 0 ? value : value.slice(at + 2)).replace(/^\\/, "");
    const known = Object.entries(WELL_KNOWN_FOLDERS).find(
        ([, display]) => display.toLowerCase() === name.toLowerCase(),
    );
    return known ? known[0] : name;
}

/** Applies the rule parameters the caller sent to a copy of the rule's Graph shape. */
function applyRuleParameters(state: TenantState, params: BoundParameters, rule: InboxRule) {
    const conditions = { ...(rule.conditions ?? {}) };
    const exceptions = { ...(rule.exceptions ?? {}) };
    const actions = { ...(rule.actions ?? {}) };
    const set = (target: GraphObject, key: string, value: unknown) => {
        if (value === undefined) delete target[key];
        else target[key] = value;
    };
    for (const mapping of PREDICATES) {
        const [exchange, graph] = mapping;
        if (params.has(exchange)) set(conditions, graph, toGraph(state, params, exchange, mapping));
        const except = `ExceptIf${exchange}`;
        if (params.has(except)) set(exceptions, graph, toGraph(state, params, except, mapping));
    }
    for (const mapping of ACTIONS) {
        const [exchange, graph] = mapping;
        if (params.has(exchange)) set(actions, graph, toGraph(state, params, exchange, mapping));
    }
    rule.conditions = conditions;
    rule.actions = actions;
    if (Object.keys(exceptions).length > 0) rule.exceptions = exceptions;
    else delete rule.exceptions;
    const name = params.string("Name");
    if (name !== undefined) rule.displayName = name;
}

/** The Exchange parameters New-InboxRule and Set-InboxRule take for conditions and actions. */
const RULE_PROPERTY_PARAMETERS = [
    ...PREDICATES.flatMap(([exchange]) => [exchange, `ExceptIf${exchange}`]),
    ...ACTIONS.map(([exchange]) => exchange),
];

/** Priority is the rule's 1-based place in the mailbox's rule order (Graph's sequence). */
function priorityOf(recipient: Recipient, rule: InboxRule): number {
    const ordered = [...recipient.mailbox.inboxRules].sort((a, b) => a.sequence - b.sequence);
    return ordered.indexOf(rule) + 1;
}

function words(value: unknown): string[] | null {
    return toExchange("words", value, "") as string[] | null;
}

function flag(value: unknown): boolean {
    return value === true;
}

/** A short text in the style of Exchange's Description ("If the message: ... Take the following actions: ..."). */
function describe(mailboxIdentity: string, rule: InboxRule): string {
    const conditions: string[] = [];
    const c = rule.conditions ?? {};
    const list = (v: unknown) =>
        Array.isArray(v) ? v.map((x) => `'${String(x)}'`).join(" or ") : "";
    if (words(c.subjectContains))
        conditions.push(`includes ${list(c.subjectContains)} in the subject`);
    if (words(c.bodyContains)) conditions.push(`includes ${list(c.bodyContains)} in the body`);
    if (words(c.bodyOrSubjectContains)) {
        conditions.push(`includes ${list(c.bodyOrSubjectContains)} in the subject or body`);
    }
    if (words(c.senderContains))
        conditions.push(`includes ${list(c.senderContains)} in the sender's address`);
    if (recipientsDisplay(c.fromAddresses)) {
        conditions.push(`is received from ${recipientsDisplay(c.fromAddresses)!.join(" or ")}`);
    }

    const actions: string[] = [];
    const a = rule.actions ?? {};
    if (recipientsDisplay(a.forwardTo))
        actions.push(`forward the message to ${recipientsDisplay(a.forwardTo)!.join(" or ")}`);
    if (recipientsDisplay(a.forwardAsAttachmentTo)) {
        actions.push(
            `forward the message as an attachment to ${recipientsDisplay(a.forwardAsAttachmentTo)!.join(" or ")}`,
        );
    }
    if (recipientsDisplay(a.redirectTo))
        actions.push(`redirect the message to ${recipientsDisplay(a.redirectTo)!.join(" or ")}`);
    if (folderDisplay(mailboxIdentity, a.moveToFolder)) {
        actions.push(
            `move the message to folder '${folderDisplay(mailboxIdentity, a.moveToFolder)}'`,
        );
    }
    if (flag(a.delete)) actions.push("delete the message");
    if (flag(a.permanentDelete)) actions.push("delete the message permanently");
    if (flag(a.markAsRead)) actions.push("mark the message as read");
    if (flag(a.stopProcessingRules)) actions.push("stop processing more rules");

    const ifPart =
        conditions.length > 0 ? `If the message:\r\n\t${conditions.join("\r\n\tand ")}\r\n` : "";
    return `${ifPart}Take the following actions:\r\n\t${actions.join("\r\n\tand ")}\r\n`;
}

// ---------------------------------------------------------------------------------------------
// Finding rules.

/** The mailbox the cmdlet works on: -Mailbox, the mailbox part of -Identity, or the anchor. */
function targetMailbox(
    ctx: CmdletContext,
    params: BoundParameters,
    identityMailbox: string | undefined,
): Recipient {
    const named = params.string("Mailbox") ?? identityMailbox;
    if (named !== undefined) return resolveMailbox(ctx.state, named);

    const anchor = ctx.anchorMailbox?.replace(/^UPN:/i, "");
    const anchored = anchor ? findRecipient(ctx.state, anchor) : undefined;
    if (anchored) return anchored;
    throw new CmdletError(
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
        "ManagementObjectNotFoundException",
        "The mailbox to search couldn't be determined: an application has no mailbox of its " +
            "own. Pass -Mailbox (or an -Identity of the form '<mailbox>\\<rule>').",
        404,
    );
}

/** Splits an InboxRule -Identity "<mailbox>\<rule>" (the rule part may be a name or RuleIdentity). */
function splitIdentity(identity: string): { mailbox?: string; rule: string } {
    const at = identity.lastIndexOf("\\");
    if (at < 0) return { rule: identity };
    return { mailbox: identity.slice(0, at), rule: identity.slice(at + 1) };
}

/** Finds a rule by RuleIdentity, Graph id or name, as Exchange's InboxRuleIdParameter does. */
function findRule(recipient: Recipient, wanted: string, identity: string): InboxRule {
    const rules = recipient.mailbox.inboxRules;
    const byId = rules.find((r) => ruleIdentityFromGraphId(r.id) === wanted || r.id === wanted);
    if (byId) return byId;
    const byName = rules.filter((r) => r.displayName.toLowerCase() === wanted.toLowerCase());
    if (byName.length === 1) return byName[0];
    if (byName.length > 1) {
        throw new CmdletError(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
            "ManagementObjectAmbiguousException",
            `The operation couldn't be performed because '${identity}' matches multiple entries.`,
        );
    }
    throw objectNotFound(identity);
}

/** Resolves -Identity (and -Mailbox) to one rule of one mailbox. */
function resolveRule(
    ctx: CmdletContext,
    params: BoundParameters,
): { recipient: Recipient; rule: InboxRule } {
    params.require("Identity");
    const identity = params.string("Identity")!;
    const parts = splitIdentity(identity);
    const recipient = targetMailbox(ctx, params, parts.mailbox);
    return { recipient, rule: findRule(recipient, parts.rule, identity) };
}

// ---------------------------------------------------------------------------------------------
// Cmdlets.

const GET_PARAMETERS = ["Identity", "Mailbox", "IncludeHidden", "ResultSize", ...COMMON_PARAMETERS];

/**
 * Get-InboxRule. Hidden rules (made through MAPI, often by attackers) come back only with
 * -IncludeHidden, as in Exchange; Graph's list never shows them.
 */
const getInboxRule: Cmdlet = {
    name: "Get-InboxRule",
    roles: ROLES,
    parameters: GET_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-InboxRule", GET_PARAMETERS, ctx);
        const includeHidden = params.switch("IncludeHidden");

        if (params.has("Identity")) {
            const { recipient, rule } = resolveRule(ctx, params);
            return { value: [inboxRuleObject(recipient, rule)] };
        }

        const recipient = targetMailbox(ctx, params, undefined);
        const rules = [...recipient.mailbox.inboxRules]
            .sort((a, b) => a.sequence - b.sequence)
            .filter((rule) => includeHidden || rule.isHidden !== true);
        return { value: rules.map((rule) => inboxRuleObject(recipient, rule)) };
    },
};

const CHANGE_RULE_PARAMETERS = [
    "Identity",
    "Mailbox",
    "AlwaysDeleteOutlookRulesBlob",
    "Force",
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

function setEnabled(name: string, enabled: boolean): Cmdlet {
    return {
        name,
        roles: ROLES,
        parameters: CHANGE_RULE_PARAMETERS,
        handler(ctx: CmdletContext): CmdletResult {
            const params = bind(name, CHANGE_RULE_PARAMETERS, ctx);
            const { recipient, rule } = resolveRule(ctx, params);
            if (rule.isEnabled === enabled) {
                const identity = `${recipientIdentity(recipient)}\\${ruleIdentityFromGraphId(rule.id)}`;
                return { value: [], warnings: [noChangeWarning(identity)] };
            }
            rule.isEnabled = enabled;
            return { value: [] };
        },
    };
}

const removeInboxRule: Cmdlet = {
    name: "Remove-InboxRule",
    roles: ROLES,
    parameters: CHANGE_RULE_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Remove-InboxRule", CHANGE_RULE_PARAMETERS, ctx);
        const { recipient, rule } = resolveRule(ctx, params);
        const rules = recipient.mailbox.inboxRules;
        rules.splice(rules.indexOf(rule), 1);
        return { value: [] };
    },
};

/** Moves `rule` to 1-based `priority` among the mailbox's rules, renumbering Graph's sequence. */
function placeRule(recipient: Recipient, rule: InboxRule, priority: number | undefined) {
    const ordered = [...recipient.mailbox.inboxRules]
        .filter((r) => r !== rule)
        .sort((a, b) => a.sequence - b.sequence);
    const at = priority === undefined ? ordered.length : priority - 1;
    if (at < 0 || at > ordered.length) {
        throw new CmdletError(
            "System.ArgumentOutOfRangeException",
            "InvalidArgument",
            `The value of the Priority parameter must be between 1 and ${ordered.length + 1}.`,
        );
    }
    ordered.splice(at, 0, rule);
    ordered.forEach((r, index) => (r.sequence = index + 1));
}

const NEW_PARAMETERS = [
    "Name",
    "Mailbox",
    "Priority",
    "StopProcessingRules",
    "AlwaysDeleteOutlookRulesBlob",
    "Force",
    ...RULE_PROPERTY_PARAMETERS,
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
].filter((name, index, all) => all.indexOf(name) === index);

/**
 * New-InboxRule: a rule made through Exchange, stored as the Graph messageRule both APIs share
 * (the way an attacker with Exchange access plants one, and the way tests plant drift).
 */
const newInboxRule: Cmdlet = {
    name: "New-InboxRule",
    roles: ROLES,
    parameters: NEW_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("New-InboxRule", NEW_PARAMETERS, ctx);
        params.require("Name");
        const recipient = targetMailbox(ctx, params, undefined);

        // Graph's ids are the RuleIdentity's 8 bytes; Exchange issues them with a low word of 1.
        const id = Buffer.concat([Buffer.from([1, 0, 0, 0]), randomBytes(4)]).toString("base64");
        const rule: InboxRule = {
            id,
            displayName: params.string("Name")!,
            sequence: 0,
            isEnabled: true,
            hasError: false,
            isReadOnly: false,
            conditions: {},
            actions: {},
        };
        applyRuleParameters(ctx.state, params, rule);
        const priority = params.int("Priority");
        recipient.mailbox.inboxRules.push(rule);
        try {
            placeRule(recipient, rule, priority);
        } catch (error) {
            recipient.mailbox.inboxRules.pop();
            throw error;
        }
        return { value: [inboxRuleObject(recipient, rule)] };
    },
};

const SET_PARAMETERS = [
    "Identity",
    "Mailbox",
    "Name",
    "Priority",
    "AlwaysDeleteOutlookRulesBlob",
    "Force",
    ...RULE_PROPERTY_PARAMETERS,
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

/** Set-InboxRule: changes the named conditions and actions; others stay as they are. */
const setInboxRule: Cmdlet = {
    name: "Set-InboxRule",
    roles: ROLES,
    parameters: SET_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Set-InboxRule", SET_PARAMETERS, ctx);
        const { recipient, rule } = resolveRule(ctx, params);
        const next = structuredClone(rule);
        applyRuleParameters(ctx.state, params, next);
        const priority = params.int("Priority");
        const moved = priority !== undefined && priority !== priorityOf(recipient, rule);
        if (!moved && sameValue(next, rule)) {
            const identity = `${recipientIdentity(recipient)}\\${ruleIdentityFromGraphId(rule.id)}`;
            return { value: [], warnings: [noChangeWarning(identity)] };
        }
        if (moved) placeRule(recipient, rule, priority);
        Object.assign(rule, { ...next, sequence: rule.sequence });
        if (next.exceptions === undefined) delete rule.exceptions;
        return { value: [] };
    },
};

export const cmdlets: Cmdlet[] = [
    getInboxRule,
    newInboxRule,
    setInboxRule,
    setEnabled("Enable-InboxRule", true),
    setEnabled("Disable-InboxRule", false),
    removeInboxRule,
];

/** For tests and the Graph side: the rules of a mailbox in Exchange's shape. */
export function exchangeRules(state: TenantState, mailbox: string, includeHidden = true) {
    const recipient = resolveMailbox(state, mailbox);
    return recipient.mailbox.inboxRules
        .filter((r) => includeHidden || r.isHidden !== true)
        .map((rule) => inboxRuleObject(recipient, rule));
}
