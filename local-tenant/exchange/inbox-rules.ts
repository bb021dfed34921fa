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
import { CmdletError, type Cmdlet, type CmdletContext, type CmdletResult } from "../contracts";
import type { GraphObject, InboxRule, TenantState } from "../model";
import {
    CHANGE_PARAMETERS,
    COMMON_PARAMETERS,
    bind,
    findRecipient,
    noChangeWarning,
    objectNotFound,
    recipientIdentity,
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
// Graph messageRule -> Exchange InboxRule.

/** Graph well-known folder names -> the folder names Exchange shows. */
const WELL_KNOWN_FOLDERS: Record<string, string> = {
    inbox: "Inbox",
    archive: "Archive",
    rssfeeds: "RSS Feeds",
    rssfeed: "RSS Feeds",
    deleteditems: "Deleted Items",
    junkemail: "Junk Email",
    sentitems: "Sent Items",
    drafts: "Drafts",
    outbox: "Outbox",
    conversationhistory: "Conversation History",
    notes: "Notes",
};

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

function words(value: unknown): string[] | null {
    return Array.isArray(value) && value.length > 0 ? value.map(String) : null;
}

function flag(value: unknown): boolean {
    return value === true;
}

function capitalise(value: unknown): string | null {
    return typeof value === "string" && value !== ""
        ? value.charAt(0).toUpperCase() + value.slice(1)
        : null;
}

/** Exchange's condition properties from Graph messageRulePredicates (prefix "ExceptIf" for exceptions). */
function predicates(p: GraphObject | undefined, prefix: "" | "ExceptIf"): Record<string, unknown> {
    const predicate = p ?? {};
    const size = predicate.withinSizeRange as GraphObject | undefined;
    return {
        [`${prefix}BodyContainsWords`]: words(predicate.bodyContains),
        [`${prefix}SubjectContainsWords`]: words(predicate.subjectContains),
        [`${prefix}SubjectOrBodyContainsWords`]: words(predicate.bodyOrSubjectContains),
        [`${prefix}FromAddressContainsWords`]: words(predicate.senderContains),
        [`${prefix}RecipientAddressContainsWords`]: words(predicate.recipientContains),
        [`${prefix}HeaderContainsWords`]: words(predicate.headerContains),
        [`${prefix}From`]: recipientsDisplay(predicate.fromAddresses),
        [`${prefix}SentTo`]: recipientsDisplay(predicate.sentToAddresses),
        [`${prefix}HasAttachment`]: flag(predicate.hasAttachments),
        [`${prefix}MyNameInToBox`]: flag(predicate.sentToMe),
        [`${prefix}MyNameInCcBox`]: flag(predicate.sentCcMe),
        [`${prefix}MyNameInToOrCcBox`]: flag(predicate.sentToOrCcMe),
        [`${prefix}MyNameNotInToBox`]: flag(predicate.notSentToMe),
        [`${prefix}SentOnlyToMe`]: flag(predicate.sentOnlyToMe),
        [`${prefix}WithImportance`]: capitalise(predicate.importance),
        [`${prefix}WithSensitivity`]: capitalise(predicate.sensitivity),
        [`${prefix}FlaggedForAction`]: capitalise(predicate.messageActionFlag),
        [`${prefix}WithinSizeRangeMinimum`]: size?.minimumSize ?? null,
        [`${prefix}WithinSizeRangeMaximum`]: size?.maximumSize ?? null,
    };
}

/** The Get-InboxRule object for one rule. */
export function inboxRuleObject(recipient: Recipient, rule: InboxRule): Record<string, unknown> {
    const mailboxIdentity = recipientIdentity(recipient);
    const ruleIdentity = ruleIdentityFromGraphId(rule.id);
    const actions = rule.actions ?? {};
    const object: Record<string, unknown> = {
        Name: rule.displayName,
        Identity: `${mailboxIdentity}\\${ruleIdentity}`,
        RuleIdentity: ruleIdentity,
        MailboxOwnerId: mailboxIdentity,
        Enabled: rule.isEnabled,
        Priority: priorityOf(recipient, rule),
        InError: rule.hasError === true,
        IsValid: rule.hasError !== true,
        Description: describe(mailboxIdentity, rule),
        ...predicates(rule.conditions, ""),
        ...predicates(rule.exceptions, "ExceptIf"),
        ForwardTo: recipientsDisplay(actions.forwardTo),
        ForwardAsAttachmentTo: recipientsDisplay(actions.forwardAsAttachmentTo),
        RedirectTo: recipientsDisplay(actions.redirectTo),
        MoveToFolder: folderDisplay(mailboxIdentity, actions.moveToFolder),
        CopyToFolder: folderDisplay(mailboxIdentity, actions.copyToFolder),
        DeleteMessage: flag(actions.delete),
        SoftDeleteMessage: flag(actions.permanentDelete),
        MarkAsRead: flag(actions.markAsRead),
        MarkImportance: capitalise(actions.markImportance),
        ApplyCategory: words(actions.assignCategories),
        StopProcessingRules: flag(actions.stopProcessingRules),
    };
    return object;
}

/** Priority is the rule's 1-based place in the mailbox's rule order (Graph's sequence). */
function priorityOf(recipient: Recipient, rule: InboxRule): number {
    const ordered = [...recipient.mailbox.inboxRules].sort((a, b) => a.sequence - b.sequence);
    return ordered.indexOf(rule) + 1;
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

export const cmdlets: Cmdlet[] = [
    getInboxRule,
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
