/**
 * Delegate permission cmdlets: mailbox permissions (FullAccess, ...), recipient permissions
 * (SendAs) and mailbox folder permissions.
 *
 * Every mailbox also carries the entries Exchange itself puts there and that a containment tool
 * must leave alone: "NT AUTHORITY\SELF" with FullAccess and ReadPermission (Get-MailboxPermission)
 * and with SendAs (Get-RecipientPermission), and the "Default" and "Anonymous" folder entries
 * (Get-MailboxFolderPermission). They are shown even when the scenario does not list them.
 *
 * Roles: all of these cmdlets are in the "Mail Recipients" management role; the Get- cmdlets
 * for mailbox and folder permissions also in "View-Only Recipients". Get-RecipientPermission is
 * not in any view-only role (MicrosoftDocs/office-docs-powershell issue 9428).
 */
import { CmdletError, type Cmdlet, type CmdletContext, type CmdletResult } from "../contracts";
import type { Mailbox, TenantState } from "../model";
import {
    CHANGE_PARAMETERS,
    COMMON_PARAMETERS,
    applyResultSize,
    bind,
    findRecipient,
    objectNotFound,
    principalDisplay,
    recipientIdentity,
    resolveMailbox,
    resolveOtherRecipient,
    samePrincipal,
    type Recipient,
} from "./common";

const READ_ROLES = ["Mail Recipients", "View-Only Recipients"];
const WRITE_ROLES = ["Mail Recipients"];

const SELF = "NT AUTHORITY\\SELF";

const MAILBOX_RIGHTS = [
    "ChangeOwner",
    "ChangePermission",
    "DeleteItem",
    "ExternalAccount",
    "FullAccess",
    "ReadPermission",
] as const;

const INHERITANCE_TYPES = ["None", "All", "Children", "Descendents", "SelfAndChildren"] as const;

/** Resolves a -User/-Trustee principal: a mailbox user (shown by UPN) or SELF. */
function resolvePrincipal(state: TenantState, value: string): string {
    if (value.toLowerCase() === SELF.toLowerCase()) return SELF;
    return resolveOtherRecipient(state, value).user.userPrincipalName;
}

function checkRights(name: string, rights: string[], allowed: readonly string[]): string[] {
    return rights.map((right) => {
        const match = allowed.find((a) => a.toLowerCase() === right.toLowerCase());
        if (!match) {
            throw new CmdletError(
                "System.Management.Automation.ParameterBindingException",
                "InvalidData",
                `Cannot process argument transformation on parameter '${name}'. Cannot convert ` +
                    `value "${right}" to type "Microsoft.Exchange.Management.RecipientTasks.` +
                    `MailboxRights[]". Error: "Unable to match the identifier name ${right} to a ` +
                    `valid enumerator name. Specify one of the following enumerator names and try ` +
                    `again: ${[...allowed].join(", ")}"`,
            );
        }
        return match;
    });
}

// ---------------------------------------------------------------------------------------------
// Mailbox permissions.

function mailboxPermissionRows(state: TenantState, recipient: Recipient) {
    const identity = recipientIdentity(recipient);
    const stored = recipient.mailbox.mailboxPermissions;
    const rows: Array<Record<string, unknown>> = [];
    if (!stored.some((p) => p.user.toLowerCase() === SELF.toLowerCase())) {
        rows.push(permissionRow(identity, SELF, ["FullAccess", "ReadPermission"], false, false));
    }
    for (const p of stored) {
        rows.push(
            permissionRow(
                identity,
                principalDisplay(state, p.user),
                p.accessRights,
                p.isInherited,
                p.deny,
            ),
        );
    }
    return rows;
}

function permissionRow(
    identity: string,
    user: string,
    accessRights: string[],
    isInherited: boolean,
    deny: boolean,
): Record<string, unknown> {
    return {
        Identity: identity,
        User: user,
        AccessRights: accessRights,
        IsInherited: isInherited,
        Deny: deny,
        InheritanceType: "All",
    };
}

const GET_MAILBOX_PERMISSION_PARAMETERS = [
    "Identity",
    "User",
    "Owner",
    "ResultSize",
    ...COMMON_PARAMETERS,
];

const getMailboxPermission: Cmdlet = {
    name: "Get-MailboxPermission",
    roles: READ_ROLES,
    parameters: GET_MAILBOX_PERMISSION_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-MailboxPermission", GET_MAILBOX_PERMISSION_PARAMETERS, ctx);
        params.require("Identity");
        const recipient = resolveMailbox(ctx.state, params.string("Identity")!);
        let rows = mailboxPermissionRows(ctx.state, recipient);
        const user = params.string("User");
        if (user !== undefined) {
            const principal = resolvePrincipal(ctx.state, user);
            rows = rows.filter((row) => samePrincipal(ctx.state, String(row.User), principal));
        }
        return { value: applyResultSize(params, rows) };
    },
};

const CHANGE_MAILBOX_PERMISSION_PARAMETERS = [
    "Identity",
    "User",
    "AccessRights",
    "InheritanceType",
    "Deny",
    "AutoMapping",
    "BypassMasterAccountSid",
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

/** The entry for -User on the mailbox (allow or deny), from the scenario's rows. */
function storedEntry(state: TenantState, mailbox: Mailbox, principal: string, deny: boolean) {
    return mailbox.mailboxPermissions.find(
        (p) => p.deny === deny && !p.isInherited && samePrincipal(state, p.user, principal),
    );
}

const addMailboxPermission: Cmdlet = {
    name: "Add-MailboxPermission",
    roles: WRITE_ROLES,
    parameters: CHANGE_MAILBOX_PERMISSION_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Add-MailboxPermission", CHANGE_MAILBOX_PERMISSION_PARAMETERS, ctx);
        params.require("Identity", "User", "AccessRights");
        const recipient = resolveMailbox(ctx.state, params.string("Identity")!);
        const principal = resolvePrincipal(ctx.state, params.string("User")!);
        const rights = checkRights(
            "AccessRights",
            params.list("AccessRights") ?? [],
            MAILBOX_RIGHTS,
        );
        params.enumValue(
            "InheritanceType",
            INHERITANCE_TYPES,
            "ActiveDirectorySecurityInheritance",
        );
        const deny = params.switch("Deny");
        const identity = recipientIdentity(recipient);

        const entry = storedEntry(ctx.state, recipient.mailbox, principal, deny);
        const missing = rights.filter((r) => !entry?.accessRights.includes(r));
        if (missing.length === 0) {
            // Exchange: the entry is already there; it says so and changes nothing.
            return {
                value: [],
                warnings: [
                    `The appropriate access control entry is already present on the object ` +
                        `"${identity}" for account "${principal}".`,
                ],
            };
        }
        if (entry) entry.accessRights.push(...missing);
        else {
            recipient.mailbox.mailboxPermissions.push({
                user: principal,
                accessRights: rights,
                isInherited: false,
                deny,
            });
        }
        return { value: [permissionRow(identity, principal, rights, false, deny)] };
    },
};

/**
 * Remove-MailboxPermission. Removing rights the user does not hold is not an error in
 * Exchange: it warns "...because the ACE doesn't exist on the object." and succeeds.
 */
const REMOVE_MAILBOX_PERMISSION_PARAMETERS = CHANGE_MAILBOX_PERMISSION_PARAMETERS.filter(
    (p) => p !== "AutoMapping",
);

const removeMailboxPermission: Cmdlet = {
    name: "Remove-MailboxPermission",
    roles: WRITE_ROLES,
    parameters: REMOVE_MAILBOX_PERMISSION_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Remove-MailboxPermission", REMOVE_MAILBOX_PERMISSION_PARAMETERS, ctx);
        params.require("Identity", "User", "AccessRights");
        const recipient = resolveMailbox(ctx.state, params.string("Identity")!);
        const principal = resolvePrincipal(ctx.state, params.string("User")!);
        const rights = checkRights(
            "AccessRights",
            params.list("AccessRights") ?? [],
            MAILBOX_RIGHTS,
        );
        params.enumValue(
            "InheritanceType",
            INHERITANCE_TYPES,
            "ActiveDirectorySecurityInheritance",
        );
        const deny = params.switch("Deny");
        const identity = recipientIdentity(recipient);

        const entry = storedEntry(ctx.state, recipient.mailbox, principal, deny);
        const held = rights.filter((r) => entry?.accessRights.includes(r));
        if (!entry || held.length === 0) {
            return {
                value: [],
                warnings: [
                    `Can't remove the access control entry on the object "${identity}" for ` +
                        `account "${principal}" because the ACE doesn't exist on the object.`,
                ],
            };
        }
        entry.accessRights = entry.accessRights.filter((r) => !held.includes(r));
        if (entry.accessRights.length === 0) {
            const list = recipient.mailbox.mailboxPermissions;
            list.splice(list.indexOf(entry), 1);
        }
        return { value: [] };
    },
};

// ---------------------------------------------------------------------------------------------
// Recipient permissions (SendAs).

function recipientPermissionRows(state: TenantState, recipient: Recipient) {
    const identity = recipientIdentity(recipient);
    const stored = recipient.mailbox.recipientPermissions;
    const rows: Array<Record<string, unknown>> = [];
    if (!stored.some((p) => p.trustee.toLowerCase() === SELF.toLowerCase())) {
        rows.push(recipientRow(identity, SELF, ["SendAs"], false));
    }
    for (const p of stored) {
        rows.push(
            recipientRow(
                identity,
                principalDisplay(state, p.trustee),
                p.accessRights,
                p.isInherited,
            ),
        );
    }
    return rows;
}

function recipientRow(identity: string, trustee: string, rights: string[], inherited: boolean) {
    return {
        Identity: identity,
        Trustee: trustee,
        AccessControlType: "Allow",
        AccessRights: rights,
        IsInherited: inherited,
        InheritanceType: "None",
    };
}

const GET_RECIPIENT_PERMISSION_PARAMETERS = [
    "Identity",
    "Trustee",
    "AccessRights",
    "ResultSize",
    ...COMMON_PARAMETERS,
];

/** Get-RecipientPermission; without -Identity it lists every mailbox's entries. */
const getRecipientPermission: Cmdlet = {
    name: "Get-RecipientPermission",
    roles: WRITE_ROLES,
    parameters: GET_RECIPIENT_PERMISSION_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-RecipientPermission", GET_RECIPIENT_PERMISSION_PARAMETERS, ctx);
        const identity = params.string("Identity");
        const recipients =
            identity === undefined
                ? ctx.state.users.flatMap((u) =>
                      u.mailbox ? [{ user: u, mailbox: u.mailbox }] : [],
                  )
                : [resolveMailbox(ctx.state, identity)];
        let rows = recipients.flatMap((r) => recipientPermissionRows(ctx.state, r));

        const trustee = params.string("Trustee");
        if (trustee !== undefined) {
            const principal = resolvePrincipal(ctx.state, trustee);
            rows = rows.filter((row) => samePrincipal(ctx.state, String(row.Trustee), principal));
        }
        const rights = params.list("AccessRights");
        if (rights) checkRights("AccessRights", rights, ["SendAs"]);
        return { value: applyResultSize(params, rows) };
    },
};

const CHANGE_RECIPIENT_PERMISSION_PARAMETERS = [
    "Identity",
    "Trustee",
    "AccessRights",
    "Deny",
    "SkipDomainValidationForMailContact",
    "SkipDomainValidationForMailUser",
    "SkipDomainValidationForSharedMailbox",
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

function bindRecipientChange(name: string, ctx: CmdletContext) {
    const params = bind(name, CHANGE_RECIPIENT_PERMISSION_PARAMETERS, ctx);
    params.require("Identity", "Trustee", "AccessRights");
    const recipient = resolveMailbox(ctx.state, params.string("Identity")!);
    const trustee = resolvePrincipal(ctx.state, params.string("Trustee")!);
    checkRights("AccessRights", params.list("AccessRights") ?? [], ["SendAs"]);
    const entry = recipient.mailbox.recipientPermissions.find(
        (p) =>
            !p.isInherited &&
            p.accessRights.includes("SendAs") &&
            samePrincipal(ctx.state, p.trustee, trustee),
    );
    return { recipient, trustee, entry };
}

const addRecipientPermission: Cmdlet = {
    name: "Add-RecipientPermission",
    roles: WRITE_ROLES,
    parameters: CHANGE_RECIPIENT_PERMISSION_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const { recipient, trustee, entry } = bindRecipientChange("Add-RecipientPermission", ctx);
        const identity = recipientIdentity(recipient);
        if (entry) {
            return {
                value: [],
                warnings: [
                    `The appropriate access control entry is already present on the object ` +
                        `"${identity}" for account "${trustee}".`,
                ],
            };
        }
        recipient.mailbox.recipientPermissions.push({
            trustee,
            accessRights: ["SendAs"],
            isInherited: false,
        });
        return { value: [recipientRow(identity, trustee, ["SendAs"], false)] };
    },
};

/**
 * Remove-RecipientPermission. A trustee without SendAs is a warning, not an error.
 *
 * Note: the public record only corroborates the fragment "because the ACE isn't present" of
 * this warning (clients such as CIPP match on it); the rest of the sentence is ours.
 */
const removeRecipientPermission: Cmdlet = {
    name: "Remove-RecipientPermission",
    roles: WRITE_ROLES,
    parameters: CHANGE_RECIPIENT_PERMISSION_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const { recipient, trustee, entry } = bindRecipientChange(
            "Remove-RecipientPermission",
            ctx,
        );
        if (!entry) {
            return {
                value: [],
                warnings: [
                    `Can't remove the ACL because the ACE isn't present: account "${trustee}" on ` +
                        `object "${recipientIdentity(recipient)}".`,
                ],
            };
        }
        const list = recipient.mailbox.recipientPermissions;
        list.splice(list.indexOf(entry), 1);
        return { value: [] };
    },
};

// ---------------------------------------------------------------------------------------------
// Mailbox folder permissions.

/** Splits "<mailbox>:\<Folder path>" ("alias:\Inbox", "user@x:\Calendar"). */
function splitFolderIdentity(
    state: TenantState,
    identity: string,
): { recipient: Recipient; folder: string } {
    const at = identity.indexOf(":\\");
    const mailboxPart = at < 0 ? identity : identity.slice(0, at);
    const folder = at < 0 ? "\\" : identity.slice(at + 1);
    const recipient = findRecipient(state, mailboxPart);
    if (!recipient) throw objectNotFound(identity);
    return { recipient, folder };
}

function sameFolder(a: string, b: string): boolean {
    const norm = (f: string) =>
        (f.startsWith("\\") ? f : `\\${f}`).replace(/\\+$/, "").toLowerCase() || "\\";
    return norm(a) === norm(b);
}

/** Exchange shows a folder permission's user by display name ("Default", "Anonymous", "Ken Sanchez"). */
function folderUserDisplay(state: TenantState, stored: string): string {
    try {
        return findRecipient(state, stored)?.user.displayName ?? stored;
    } catch {
        return stored;
    }
}

function folderRows(state: TenantState, recipient: Recipient, folder: string) {
    const identity = `${recipientIdentity(recipient)}:${folder}`;
    const folderName = folder === "\\" ? "Top of Information Store" : folder.replace(/^\\/, "");
    const stored = recipient.mailbox.folderPermissions.filter((p) => sameFolder(p.folder, folder));
    const row = (user: string, rights: string[]) => ({
        Identity: identity,
        FolderName: folderName,
        User: user,
        AccessRights: rights,
        SharingPermissionFlags: null,
    });
    const rows: Array<Record<string, unknown>> = [];
    for (const builtIn of ["Default", "Anonymous"]) {
        if (!stored.some((p) => p.user.toLowerCase() === builtIn.toLowerCase())) {
            rows.push(row(builtIn, ["None"]));
        }
    }
    for (const p of stored) rows.push(row(folderUserDisplay(state, p.user), p.accessRights));
    return rows;
}

function folderUserMatches(state: TenantState, stored: string, wanted: string): boolean {
    if (stored.toLowerCase() === wanted.toLowerCase()) return true;
    if (folderUserDisplay(state, stored).toLowerCase() === wanted.toLowerCase()) return true;
    return samePrincipal(state, stored, wanted);
}

const GET_FOLDER_PARAMETERS = ["Identity", "User", "GroupMailbox", ...COMMON_PARAMETERS];

const getMailboxFolderPermission: Cmdlet = {
    name: "Get-MailboxFolderPermission",
    roles: READ_ROLES,
    parameters: GET_FOLDER_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-MailboxFolderPermission", GET_FOLDER_PARAMETERS, ctx);
        params.require("Identity");
        const { recipient, folder } = splitFolderIdentity(ctx.state, params.string("Identity")!);
        let rows = folderRows(ctx.state, recipient, folder);
        const user = params.string("User");
        if (user !== undefined) {
            rows = rows.filter((row) => folderUserMatches(ctx.state, String(row.User), user));
            if (rows.length === 0) throw noFolderEntry(user);
        }
        return { value: rows };
    },
};

/** Exchange's error for a folder permission entry that is not there (it is an error, not a warning). */
function noFolderEntry(user: string): CmdletError {
    return new CmdletError(
        "Microsoft.Exchange.StoreTasks.UserNotFoundInPermissionEntryException",
        "UserNotFoundInPermissionEntryException",
        `There is no existing permission entry found for user: ${user}.`,
    );
}

const REMOVE_FOLDER_PARAMETERS = [
    "Identity",
    "User",
    "ResetDelegateUserCollection",
    "SendNotificationToUser",
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

const removeMailboxFolderPermission: Cmdlet = {
    name: "Remove-MailboxFolderPermission",
    roles: WRITE_ROLES,
    parameters: REMOVE_FOLDER_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Remove-MailboxFolderPermission", REMOVE_FOLDER_PARAMETERS, ctx);
        params.require("Identity", "User");
        const { recipient, folder } = splitFolderIdentity(ctx.state, params.string("Identity")!);
        const user = params.string("User")!;
        const list = recipient.mailbox.folderPermissions;
        const entry = list.find(
            (p) => sameFolder(p.folder, folder) && folderUserMatches(ctx.state, p.user, user),
        );
        if (!entry) throw noFolderEntry(user);
        list.splice(list.indexOf(entry), 1);
        return { value: [] };
    },
};

// ---------------------------------------------------------------------------------------------
// Folder enumeration (to know which folders to ask for permissions).

/** The folders every mailbox has, as Get-MailboxFolderStatistics names them, with their types. */
const DEFAULT_FOLDERS: Array<[name: string, type: string, graphName: string]> = [
    ["Top of Information Store", "Root", "msgfolderroot"],
    ["Inbox", "Inbox", "inbox"],
    ["Sent Items", "SentItems", "sentitems"],
    ["Deleted Items", "DeletedItems", "deleteditems"],
    ["Drafts", "Drafts", "drafts"],
    ["Junk Email", "JunkEmail", "junkemail"],
    ["Archive", "Archive", "archive"],
    ["RSS Feeds", "RssSubscription", "rssfeeds"],
    ["Conversation History", "ConversationHistory", "conversationhistory"],
    ["Outbox", "Outbox", "outbox"],
    ["Calendar", "Calendar", "calendar"],
    ["Contacts", "Contacts", "contacts"],
    ["Tasks", "Tasks", "tasks"],
    ["Notes", "Notes", "notes"],
];

function folderStatistics(recipient: Recipient): Array<Record<string, unknown>> {
    const alias = recipientIdentity(recipient);
    const rows = DEFAULT_FOLDERS.map(([name, type, graphName]) => ({
        name,
        type,
        items: recipient.mailbox.messages.filter((m) => m.folder.toLowerCase() === graphName)
            .length,
    }));

    // Folders only the scenario knows (a delegate's permission on "\\Finance\\Invoices").
    for (const permission of recipient.mailbox.folderPermissions) {
        const name = permission.folder.replace(/^\\/, "");
        if (name !== "" && !rows.some((r) => r.name.toLowerCase() === name.toLowerCase())) {
            rows.push({ name, type: "User Created", items: 0 });
        }
    }
    return rows.map((row) => ({
        Identity: row.type === "Root" ? alias : `${alias}\\${row.name}`,
        Name: row.name,
        FolderPath: row.type === "Root" ? "/" : `/${row.name.replace(/\\/g, "/")}`,
        FolderType: row.type,
        ItemsInFolder: row.items,
    }));
}

const FOLDER_STATISTICS_PARAMETERS = [
    "Identity",
    "FolderScope",
    "ResultSize",
    ...COMMON_PARAMETERS,
];

/**
 * Get-MailboxFolderStatistics, enough to enumerate a mailbox's folders (Name, FolderPath,
 * FolderType, ItemsInFolder) before asking each for its permissions.
 *
 * Note: the folder list is the usual default folders plus any folder a scenario gives a
 * permission on; sizes, item ages and -FolderScope filtering are not modelled.
 */
const getMailboxFolderStatistics: Cmdlet = {
    name: "Get-MailboxFolderStatistics",
    roles: READ_ROLES,
    parameters: FOLDER_STATISTICS_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-MailboxFolderStatistics", FOLDER_STATISTICS_PARAMETERS, ctx);
        params.require("Identity");
        const recipient = resolveMailbox(ctx.state, params.string("Identity")!);
        return { value: applyResultSize(params, folderStatistics(recipient)) };
    },
};

export const cmdlets: Cmdlet[] = [
    getMailboxFolderStatistics,
    getMailboxPermission,
    addMailboxPermission,
    removeMailboxPermission,
    getRecipientPermission,
    addRecipientPermission,
    removeRecipientPermission,
    getMailboxFolderPermission,
    removeMailboxFolderPermission,
];
