/**
 * Outlook through Graph: the inbox's message rules and a mailbox's messages.
 *
 * Hidden rules: Graph's messageRules API does not expose rules flagged hidden (for example
 * rules made through MAPI, the way attackers hide forwarding); only Exchange's
 * `Get-InboxRule -IncludeHidden` shows them. The local tenant therefore leaves `isHidden`
 * rules out of the list AND answers 404 for them by id (get, update, delete), so a tool that
 * trusts Graph alone misses them exactly as it would against a real tenant.
 *
 * Permissions come from ../shared/graph-docs/examples.json (mailfolder-list-messagerules,
 * messagerule-get/update/delete, mailfolder-post-messagerules, mailfolder-list-messages,
 * user-list-messages).
 */
import {
    GraphHttpError,
    type GraphRequestContext,
    type GraphResponse,
    type GraphRoute,
} from "../contracts";
import type { GraphObject, InboxRule, MailMessage, Mailbox } from "../model";
import { collection, entity } from "../odata";
import {
    badRequest,
    bodyObject,
    clone,
    exchangeStyleId,
    mailboxOfUserParam,
    requireMailbox,
    rolesOf,
} from "./shared";

/** Outlook's 404 for an item (rule, message, folder) that is not in the mailbox. */
function itemNotFound(): GraphHttpError {
    return new GraphHttpError(
        404,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    );
}

/** Message rules live on the Inbox only; Graph addresses it by its well-known name. */
function requireInbox(ctx: GraphRequestContext): void {
    if ((ctx.params.folderId ?? "").toLowerCase() !== "inbox") {
        throw itemNotFound();
    }
}

/** A rule as Graph returns it (without the local tenant's isHidden flag). */
function ruleView(rule: InboxRule): GraphObject {
    const view: GraphObject = {
        id: rule.id,
        displayName: rule.displayName,
        sequence: rule.sequence,
        isEnabled: rule.isEnabled,
        hasError: rule.hasError ?? false,
        isReadOnly: rule.isReadOnly ?? false,
        conditions: clone(rule.conditions ?? {}),
        actions: clone(rule.actions ?? {}),
    };
    if (rule.exceptions) {
        view.exceptions = clone(rule.exceptions);
    }
    return view;
}

function rulesContext(userId: string): string {
    return `users('${userId}')/mailFolders('inbox')/messageRules`;
}

function visibleRule(mailbox: Mailbox, id: string | undefined): InboxRule {
    const rule = mailbox.inboxRules.find((r) => r.id === id && !r.isHidden);
    if (!rule) {
        throw itemNotFound();
    }
    return rule;
}

function listRules(ctx: GraphRequestContext): GraphResponse {
    requireInbox(ctx);
    const { user, mailbox } = requireMailbox(ctx);
    const rules = mailbox.inboxRules
        .filter((r) => !r.isHidden)
        .sort((a, b) => a.sequence - b.sequence)
        .map(ruleView);
    return collection(ctx, rules, { context: rulesContext(user.id) });
}

function getRule(ctx: GraphRequestContext): GraphResponse {
    requireInbox(ctx);
    const { user, mailbox } = requireMailbox(ctx);
    const rule = visibleRule(mailbox, ctx.params.ruleId);
    return entity(ctx, ruleView(rule), `${rulesContext(user.id)}/$entity`);
}

/** Checks the writable rule properties in a create or update body. */
function validateRuleBody(body: Record<string, unknown>, creating: boolean): void {
    const writable = [
        "displayName",
        "sequence",
        "isEnabled",
        "conditions",
        "actions",
        "exceptions",
    ];
    for (const key of Object.keys(body)) {
        if (!writable.includes(key) && !key.startsWith("@odata.")) {
            throw badRequest(
                `The property '${key}' cannot be set on a message rule.`,
                "ErrorInvalidProperty",
            );
        }
    }
    if (creating && (typeof body.displayName !== "string" || body.displayName.trim() === "")) {
        throw badRequest("The displayName of a message rule is required.", "ErrorInvalidRequest");
    }
    if ("sequence" in body && !(Number.isInteger(body.sequence) && (body.sequence as number) > 0)) {
        throw badRequest(
            "The sequence of a message rule must be a positive integer.",
            "ErrorInvalidRequest",
        );
    }
    if ("isEnabled" in body && typeof body.isEnabled !== "boolean") {
        throw badRequest("isEnabled must be a Boolean.", "ErrorInvalidRequest");
    }
    for (const key of ["conditions", "actions", "exceptions"]) {
        const value = body[key];
        if (
            value !== undefined &&
            (typeof value !== "object" || value === null || Array.isArray(value))
        ) {
            throw badRequest(`${key} must be an object.`, "ErrorInvalidRequest");
        }
    }
}

function createRule(ctx: GraphRequestContext): GraphResponse {
    requireInbox(ctx);
    const { user, mailbox } = requireMailbox(ctx);
    const body = bodyObject(ctx);
    validateRuleBody(body, true);
    const rule: InboxRule = {
        id: exchangeStyleId(),
        displayName: body.displayName as string,
        sequence: typeof body.sequence === "number" ? body.sequence : mailbox.inboxRules.length + 1,
        isEnabled: typeof body.isEnabled === "boolean" ? body.isEnabled : true,
        hasError: false,
        isReadOnly: false,
        conditions: clone((body.conditions as GraphObject | undefined) ?? {}),
        actions: clone((body.actions as GraphObject | undefined) ?? {}),
    };
    if (body.exceptions) {
        rule.exceptions = clone(body.exceptions as GraphObject);
    }
    mailbox.inboxRules.push(rule);
    const response = entity(ctx, ruleView(rule), `${rulesContext(user.id)}/$entity`);
    return { ...response, status: 201 };
}

/**
 * Updates a rule. As the documented example shows, a property given replaces the whole
 * value: sending `actions` replaces every action of the rule.
 */
function updateRule(ctx: GraphRequestContext): GraphResponse {
    requireInbox(ctx);
    const { user, mailbox } = requireMailbox(ctx);
    const rule = visibleRule(mailbox, ctx.params.ruleId);
    const body = bodyObject(ctx);
    validateRuleBody(body, false);
    if (rule.isReadOnly) {
        throw new GraphHttpError(
            403,
            "ErrorAccessDenied",
            "The rule is read-only and cannot be changed.",
        );
    }
    const target = rule as unknown as GraphObject;
    for (const key of [
        "displayName",
        "sequence",
        "isEnabled",
        "conditions",
        "actions",
        "exceptions",
    ]) {
        if (key in body) {
            target[key] = clone(body[key]);
        }
    }
    return entity(ctx, ruleView(rule), `${rulesContext(user.id)}/$entity`);
}

function deleteRule(ctx: GraphRequestContext): GraphResponse {
    requireInbox(ctx);
    const { mailbox } = requireMailbox(ctx);
    const rule = visibleRule(mailbox, ctx.params.ruleId);
    mailbox.inboxRules = mailbox.inboxRules.filter((r) => r !== rule);
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Graph's well-known mail folder names (a folder need not hold messages to exist). */
const WELL_KNOWN_FOLDERS = [
    "archive",
    "clutter",
    "conflicts",
    "conversationhistory",
    "deleteditems",
    "drafts",
    "inbox",
    "junkemail",
    "localfailures",
    "msgfolderroot",
    "outbox",
    "recoverableitemsdeletions",
    "scheduled",
    "searchfolders",
    "sentitems",
    "serverfailures",
    "syncissues",
];

/** Properties Mail.ReadBasic.All does not return (it grants everything but the body). */
const BODY_PROPERTIES = ["body", "bodyPreview", "uniqueBody"];

function messageView(ctx: GraphRequestContext, message: MailMessage): GraphObject {
    const view = clone(message) as unknown as GraphObject;
    delete view.folder;
    const roles = rolesOf(ctx);
    const basicOnly = !roles.has("Mail.Read") && !roles.has("Mail.ReadWrite");
    if (basicOnly) {
        for (const key of BODY_PROPERTIES) {
            delete view[key];
        }
    }
    return view;
}

/** Outlook returns a message's id whatever `$select` names (the documented example shows it). */
function withId(ctx: GraphRequestContext): GraphRequestContext {
    const key = [...ctx.query.keys()].find((k) => k.replace(/^\$/, "").toLowerCase() === "select");
    const select = key === undefined ? undefined : ctx.query.get(key);
    if (
        key === undefined ||
        !select ||
        select.split(",").some((p) => p.trim().toLowerCase() === "id")
    ) {
        return ctx;
    }
    const query = new URLSearchParams(ctx.query);
    query.set(key, `${select},id`);
    return { ...ctx, query };
}

/** Newest first by received (or sent) time, the order Outlook lists a folder in. */
function byNewest(a: MailMessage, b: MailMessage): number {
    const left = a.receivedDateTime ?? a.sentDateTime ?? "";
    const right = b.receivedDateTime ?? b.sentDateTime ?? "";
    return right.localeCompare(left);
}

function listMessages(ctx: GraphRequestContext, folder: string | undefined): GraphResponse {
    const { user, mailbox } = requireMailbox(ctx);
    let messages = mailbox.messages;
    let context = `users('${user.id}')/messages`;
    if (folder !== undefined) {
        const name = folder.toLowerCase();
        const known =
            WELL_KNOWN_FOLDERS.includes(name) ||
            messages.some((m) => m.folder.toLowerCase() === name);
        if (!known) {
            throw itemNotFound();
        }
        messages = messages.filter((m) => m.folder.toLowerCase() === name);
        context = `users('${user.id}')/mailFolders('${folder}')/messages`;
    }
    const items = [...messages].sort(byNewest).map((m) => messageView(ctx, m));
    // Documented: default page size 10, $top from 1 to 1000.
    return collection(withId(ctx), items, { defaultPageSize: 10, maxPageSize: 1000, context });
}

// ---------------------------------------------------------------------------------------------
// Mailbox settings

/** What Outlook reports for a mailbox whose settings the scenario does not give. */
function defaultMailboxSettings(mailbox: Mailbox): GraphObject {
    return {
        archiveFolder: null,
        timeZone: "UTC",
        automaticRepliesSetting: {
            status: "disabled",
            externalAudience: "all",
            internalReplyMessage: "",
            externalReplyMessage: "",
            scheduledStartDateTime: { dateTime: "2026-01-01T00:00:00.0000000", timeZone: "UTC" },
            scheduledEndDateTime: { dateTime: "2026-01-02T00:00:00.0000000", timeZone: "UTC" },
        },
        language: { locale: "en-US", displayName: "English (United States)" },
        workingHours: {
            daysOfWeek: ["monday", "tuesday", "wednesday", "thursday", "friday"],
            startTime: "08:00:00.0000000",
            endTime: "17:00:00.0000000",
            timeZone: { name: "UTC" },
        },
        dateFormat: "M/d/yyyy",
        timeFormat: "h:mm tt",
        userPurpose: mailbox.recipientTypeDetails === "SharedMailbox" ? "shared" : "user",
        delegateMeetingMessageDeliveryOptions: "sendToDelegateOnly",
    };
}

function getMailboxSettings(ctx: GraphRequestContext): GraphResponse {
    const { user, mailbox } = requireMailbox(ctx);
    const settings = {
        ...defaultMailboxSettings(mailbox),
        ...clone(mailbox.mailboxSettings ?? {}),
    };
    return entity(ctx, settings, `users('${user.id}')/mailboxSettings`);
}

const MAIL_READ = ["Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"];
const RULES_READ = ["MailboxSettings.Read", "MailboxSettings.ReadWrite"];
const RULES_WRITE = ["MailboxSettings.ReadWrite"];

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/users/{userId}/mailboxSettings",
        // user-get-mailboxsettings (not in examples.json): MailboxSettings.Read, higher
        // MailboxSettings.ReadWrite.
        permissions: { anyOf: RULES_READ },
        bucket: "outlook",
        mailboxOf: mailboxOfUserParam,
        handler: getMailboxSettings,
    },
    {
        method: "GET",
        pattern: "/users/{userId}/mailFolders/{folderId}/messageRules",
        // examples.json lists MailboxSettings.Read with no higher permission; the ReadWrite
        // permission of the same resource is its superset and is accepted too.
        permissions: { anyOf: RULES_READ },
        bucket: "outlook",
        mailboxOf: mailboxOfUserParam,
        handler: listRules,
    },
    {
        method: "POST",
        pattern: "/users/{userId}/mailFolders/{folderId}/messageRules",
        permissions: { anyOf: RULES_WRITE },
        bucket: "outlook",
        mailboxOf: mailboxOfUserParam,
        handler: createRule,
    },
    {
        method: "GET",
        pattern: "/users/{userId}/mailFolders/{folderId}/messageRules/{ruleId}",
        permissions: { anyOf: RULES_READ },
        bucket: "outlook",
        mailboxOf: mailboxOfUserParam,
        handler: getRule,
    },
    {
        method: "PATCH",
        pattern: "/users/{userId}/mailFolders/{folderId}/messageRules/{ruleId}",
        permissions: { anyOf: RULES_WRITE },
        bucket: "outlook",
        mailboxOf: mailboxOfUserParam,
        handler: updateRule,
    },
    {
        method: "DELETE",
        pattern: "/users/{userId}/mailFolders/{folderId}/messageRules/{ruleId}",
        permissions: { anyOf: RULES_WRITE },
        bucket: "outlook",
        mailboxOf: mailboxOfUserParam,
        handler: deleteRule,
    },
    {
        method: "GET",
        pattern: "/users/{userId}/mailFolders/{folderId}/messages",
        permissions: { anyOf: MAIL_READ },
        bucket: "outlook",
        mailboxOf: mailboxOfUserParam,
        handler: (ctx) => listMessages(ctx, ctx.params.folderId),
    },
    {
        method: "GET",
        pattern: "/users/{userId}/messages",
        permissions: { anyOf: MAIL_READ },
        bucket: "outlook",
        mailboxOf: mailboxOfUserParam,
        handler: (ctx) => listMessages(ctx, undefined),
    },
];
