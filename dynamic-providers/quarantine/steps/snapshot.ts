/**
 * Step 2, snapshot: read everything containment may change, in one round trip, so that the
 * evidence holds each object as it was before anything touched it. Inbox rules have no
 * timestamps and no audit trail of their content: this read is their only record.
 *
 * The same read serves refresh (drift detection) and the start of every later run.
 */
import { prop } from "../judge";
import { isExchangeCallError, userSegment, type GraphReply, type TenantApi } from "../tenant";

/** Folders whose permissions are recorded and cleaned ("Top of Information Store" is "\"). */
export const DELEGATED_FOLDERS = ["\\", "\\Inbox", "\\Calendar"];

const USER_FIELDS = [
    "id",
    "userPrincipalName",
    "displayName",
    "mail",
    "accountEnabled",
    "userType",
    "onPremisesSyncEnabled",
    "onPremisesImmutableId",
    "createdDateTime",
    "signInSessionsValidFromDateTime",
    "lastPasswordChangeDateTime",
    "passwordPolicies",
].join(",");

type Obj = Record<string, any>;

/** The tenant as one read saw it. `null` lists mean "could not read" (see `gaps`). */
export interface TenantView {
    at: string;
    /** The user, or null when Graph does not know it (`userMissing`) or could not say. */
    user: Obj | null;
    userMissing: boolean;
    userError?: string;
    methods: Obj[] | null;
    signInPreferences: Obj | null;
    grants: Obj[] | null;
    tenantWideGrants: Obj[] | null;
    appRoleAssignments: Obj[] | null;
    /** Get-Mailbox; null when the user has no mailbox (`noMailbox`) or it could not be read. */
    mailbox: Obj | null;
    noMailbox: boolean;
    casMailbox: Obj | null;
    inboxRules: Obj[] | null;
    mailboxPermissions: Obj[] | null;
    recipientPermissions: Obj[] | null;
    folderPermissions: Obj[] | null;
    /** Display names and addresses of the allow-listed delegates (Exchange shows either). */
    keptDelegateNames: string[];
    /** Evidence that could not be read, one sentence each. */
    gaps: string[];
    /**
     * The reads that failed, by what they read, with the service's answer. A step that needs
     * one of them cannot be judged done (see `unreadForSteps`).
     */
    unread: Partial<Record<ReadKind, string>>;
}

/** The parts of a snapshot a containment step may depend on. */
export type ReadKind =
    | "methods"
    | "signInPreferences"
    | "grants"
    | "tenantWideGrants"
    | "appRoleAssignments"
    | "mailbox"
    | "casMailbox"
    | "inboxRules"
    | "mailboxPermissions"
    | "recipientPermissions"
    | `folderPermissions ${string}`;

/** One Exchange read: its rows, or why it failed (never thrown, so reads can run together). */
export type ExchangeRead = { ok: true; value: Obj[] } | { ok: false; error: unknown };

/** The reads of one snapshot, started together; each part can be awaited on its own. */
export interface SnapshotReads {
    /** Graph: the user, its methods, grants and assignments, and the default method. */
    directory: Promise<TenantView>;
    /** Exchange: the inbox rules alone (the evidence with no other record, read first). */
    rules: Promise<ExchangeRead>;
    /** Everything: the directory part completed with the mailbox part. */
    all: Promise<TenantView>;
}

/**
 * Starts every snapshot read at once: one `$batch` to Graph v1.0, one to beta, and the
 * Exchange reads (inbox rules first: Exchange serves 4 requests per mailbox at a time).
 *
 * @param user UPN or object id as the incident names it (Exchange accepts both).
 */
export function startReads(
    tenant: TenantApi,
    user: string,
    now: () => Date,
    keptDelegates: readonly string[] = [],
): SnapshotReads {
    const u = userSegment(user);

    // Allow-listed delegates given as UPNs: Exchange shows folder delegates by display name,
    // so read the names to recognise them (same batch, no extra round trip).
    const kept = keptDelegates.filter((d) => d.includes("@")).slice(0, 10);

    // Graph: the user and its methods, grants and app assignments in one batch; the default
    // method (beta only) in a second batch sent at the same time. Both resolve the user, which
    // the cut-off waits for: they go ahead of other quarantines' clean-up (urgent).
    const urgent = { urgent: true };
    const graphReads = tenant.graph(
        [
            { method: "GET", url: `/users/${u}?$select=${USER_FIELDS}` },
            { method: "GET", url: `/users/${u}/authentication/methods` },
            { method: "GET", url: `/users/${u}/oauth2PermissionGrants` },
            { method: "GET", url: `/users/${u}/appRoleAssignments` },
            {
                method: "GET",
                url: `/oauth2PermissionGrants?$filter=consentType eq 'AllPrincipals'`,
            },
            ...kept.map((d) => ({
                method: "GET" as const,
                url: `/users/${userSegment(d)}?$select=id,userPrincipalName,displayName,mail`,
            })),
        ],
        urgent,
    );
    const betaReads = tenant.graph(
        [{ method: "GET", url: `/users/${u}/authentication/signInPreferences`, version: "beta" }],
        urgent,
    );

    // Exchange: rules (hidden ones too) first, then mailbox, delegates and protocols. A user
    // named by UPN anchors on its mailbox; one named by object id cannot ("UPN:<guid>" routes
    // nowhere), so those reads take the client's default, the tenant's system mailbox.
    const anchor = user.includes("@") ? `UPN:${user}` : undefined;
    const exchange = (cmdlet: string, parameters: Obj, first = false): Promise<ExchangeRead> =>
        tenant.exchange(cmdlet, parameters, anchor, { urgent: first }).then(
            (reply) => ({ ok: true as const, value: reply.value }),
            (error: unknown) => ({ ok: false as const, error }),
        );
    const rules = exchange("Get-InboxRule", { Mailbox: user, IncludeHidden: true }, true);
    const others = [
        exchange("Get-Mailbox", { Identity: user }),
        exchange("Get-MailboxPermission", { Identity: user }),
        exchange("Get-RecipientPermission", { Identity: user }),
        exchange("Get-CASMailbox", { Identity: user }),
        ...DELEGATED_FOLDERS.map((folder) =>
            exchange("Get-MailboxFolderPermission", { Identity: `${user}:${folder}` }),
        ),
    ];

    const directory = Promise.all([graphReads, betaReads]).then(
        ([[userReply, methods, grants, assignments, allGrants, ...keptUsers], [prefs]]) => {
            const gaps: string[] = [];
            const unread: TenantView["unread"] = {};
            const userMissing = userReply.status === 404;
            const list = (reply: GraphReply, kind: ReadKind, what: string): Obj[] | null => {
                if (reply.ok) return (reply.body?.value ?? []) as Obj[];
                if (!userMissing) {
                    gaps.push(`Could not read ${what}: ${reply.error}`);
                    unread[kind] = String(reply.error);
                }
                return null;
            };
            if (!prefs.ok && !userMissing) {
                gaps.push(
                    `Could not read the default MFA method (beta signInPreferences): ${prefs.error}`,
                );
                unread.signInPreferences = String(prefs.error);
            }
            const view: TenantView = {
                at: now().toISOString(),
                user: userReply.ok ? (userReply.body as Obj) : null,
                userMissing,
                userError: userReply.ok ? undefined : userReply.error,
                methods: list(methods, "methods", "authentication methods"),
                signInPreferences: prefs.ok ? (prefs.body as Obj) : null,
                grants: list(grants, "grants", "the user's consent grants"),
                tenantWideGrants: list(allGrants, "tenantWideGrants", "tenant-wide consent grants"),
                appRoleAssignments: list(assignments, "appRoleAssignments", "app role assignments"),
                mailbox: null,
                noMailbox: false,
                casMailbox: null,
                inboxRules: null,
                mailboxPermissions: null,
                recipientPermissions: null,
                folderPermissions: null,
                keptDelegateNames: keptUsers
                    .filter((r) => r.ok)
                    .flatMap((r) => [r.body?.displayName, r.body?.mail, r.body?.userPrincipalName])
                    .filter((n): n is string => typeof n === "string" && n !== ""),
                gaps,
                unread,
            };
            return view;
        },
    );

    const all = Promise.all([directory, rules, Promise.all(others)]).then(
        ([base, ruleRead, rest]) => {
            const view: TenantView = {
                ...base,
                gaps: [...base.gaps],
                unread: { ...base.unread },
                at: now().toISOString(),
            };
            const [mbx, fullAccess, sendAs, cas, ...folders] = rest;

            // A user without a mailbox (a guest, an unlicensed user) is not a gap.
            view.noMailbox = !mbx.ok && isExchangeCallError(mbx.error) && mbx.error.notFound;
            const rows = (read: ExchangeRead, kind: ReadKind, what: string): Obj[] | null => {
                if (read.ok) return read.value;
                if (!view.noMailbox && !view.userMissing) {
                    view.gaps.push(`Could not read ${what}: ${errorText(read.error)}`);
                    view.unread[kind] = errorText(read.error);
                }
                return null;
            };
            view.mailbox = mbx.ok ? (mbx.value[0] ?? null) : null;
            if (!mbx.ok) rows(mbx, "mailbox", "the mailbox (Get-Mailbox)");
            view.inboxRules = rows(
                ruleRead,
                "inboxRules",
                "inbox rules (Get-InboxRule -IncludeHidden)",
            );
            view.mailboxPermissions = rows(
                fullAccess,
                "mailboxPermissions",
                "mailbox permissions (Get-MailboxPermission)",
            );
            view.recipientPermissions = rows(
                sendAs,
                "recipientPermissions",
                "SendAs permissions (Get-RecipientPermission)",
            );
            view.casMailbox =
                rows(cas, "casMailbox", "mail protocol settings (Get-CASMailbox)")?.[0] ?? null;
            const folderRows: Obj[] = [];
            let complete = true;
            folders.forEach((read, i) => {
                const folder = DELEGATED_FOLDERS[i];
                const value = rows(
                    read,
                    `folderPermissions ${folder}`,
                    `folder permissions of ${folder}`,
                );
                if (value) folderRows.push(...value);
                else complete = false;
            });
            view.folderPermissions = complete || folderRows.length > 0 ? folderRows : null;
            return view;
        },
    );

    return { directory, rules, all };
}

/** One complete snapshot (refresh, release). */
export function readTenant(
    tenant: TenantApi,
    user: string,
    now: () => Date,
    keptDelegates: readonly string[] = [],
): Promise<TenantView> {
    return startReads(tenant, user, now, keptDelegates).all;
}

/**
 * Reads the service principals behind the user's grants and app assignments (name, appId,
 * publisher), so the allow-list can name apps the way a responder knows them.
 */
export async function readApps(tenant: TenantApi, ids: string[]): Promise<Map<string, Obj>> {
    const unique = [...new Set(ids.filter((id) => typeof id === "string" && id !== ""))];
    const replies = await tenant.graph(
        unique.map((id) => ({
            method: "GET" as const,
            url: `/servicePrincipals/${id}?$select=id,appId,displayName,publisherName,verifiedPublisher,accountEnabled,appOwnerOrganizationId`,
        })),
    );
    const apps = new Map<string, Obj>();
    replies.forEach((reply, i) => {
        if (reply.ok) apps.set(unique[i], reply.body as Obj);
    });
    return apps;
}

export function errorText(error: unknown): string {
    if (error instanceof Error) return error.message;
    return String(error);
}

/** A stable key for an Exchange row (which has no id of its own). */
export function rowKey(row: Obj, ...fields: string[]): string {
    return fields.map((f) => String(prop(row, f) ?? "")).join("|");
}
