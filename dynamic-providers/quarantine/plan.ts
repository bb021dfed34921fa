/**
 * What containment still has to do, worked out from one read of the tenant. The same plan is
 * what refresh reports as drift: anything the plan would change on a contained user is
 * something that came back (an account enabled again, a new forwarding rule, a new method).
 *
 * Pure: no tenant calls. Each action names its playbook step, its target and, in an operator's
 * words, why it is needed.
 */
import type { QuarantineInputs } from "./inputs";
import {
    addressOf,
    isDefaultMethod,
    isKeptApp,
    isKeptDelegate,
    isKeptMethod,
    isKeptRule,
    isSystemPrincipal,
    methodCollection,
    methodType,
    prop,
    ruleThreat,
    viewRule,
    type AppView,
} from "./judge";
import type { ReadKind, TenantView } from "./steps/snapshot";

type Obj = Record<string, any>;

export type Action =
    | { step: "3"; kind: "disableAccount"; target: string; why: string }
    | { step: "3"; kind: "revokeSessions"; target: string; why: string }
    | { step: "4"; kind: "resetPassword"; target: string; why: string }
    | {
          step: "5";
          kind: "disableInboxRule";
          target: string;
          why: string;
          identity: string;
          name: string;
      }
    | { step: "5"; kind: "clearForwarding"; target: string; why: string; before: Obj }
    | { step: "5"; kind: "removeSendOnBehalf"; target: string; why: string; delegate: string }
    | {
          step: "5";
          kind: "removeFullAccess";
          target: string;
          why: string;
          user: string;
          rights: string[];
      }
    | { step: "5"; kind: "removeSendAs"; target: string; why: string; trustee: string }
    | {
          step: "5";
          kind: "removeFolderPermission";
          target: string;
          why: string;
          folder: string;
          user: string;
      }
    | { step: "5"; kind: "disableLegacyProtocols"; target: string; why: string; before: Obj }
    | {
          step: "6";
          kind: "removeMethod";
          target: string;
          why: string;
          id: string;
          type: string;
          /** The Graph collection to delete it from; null for a type BEC Guard cannot remove. */
          collection: string | null;
          isDefault: boolean;
      }
    | {
          step: "7";
          kind: "revokeGrant";
          target: string;
          why: string;
          id: string;
          app: AppView;
          /** Set when the app could not be read, so the allow-list cannot be checked. */
          undecided?: string;
      }
    | {
          step: "7";
          kind: "removeAppRoleAssignment";
          target: string;
          why: string;
          id: string;
          app: AppView;
          undecided?: string;
      };

export type ActionKind = Action["kind"];

/** Protocols an attacker uses to pull mail with a stolen password or token. */
export const LEGACY_PROTOCOLS = {
    PopEnabled: false,
    ImapEnabled: false,
    SmtpClientAuthenticationDisabled: true,
};

/**
 * Everything containment would change now.
 *
 * @param view One read of the tenant.
 * @param inputs The quarantine (its switches and allow-lists).
 * @param apps Service principals by object id (names for the app allow-list).
 * @param passwordAlreadyReset Whether an earlier run of this quarantine reset the password
 *   (a re-run resets again only if the account was found enabled).
 */
export function planContainment(
    view: TenantView,
    inputs: QuarantineInputs,
    apps: Map<string, Obj>,
    passwordAlreadyReset: boolean,
): Action[] {
    const actions: Action[] = [];
    const { steps } = inputs;
    const keep = {
        ...inputs.keep,
        delegates: [...inputs.keep.delegates, ...view.keptDelegateNames],
    };
    const user = view.user ?? {};
    const userTarget = `user:${user.id}`;

    // 3. Cut off: disable if enabled; revoke sessions on every run (cheap and idempotent).
    if (steps.disableAccount && user.accountEnabled !== false) {
        actions.push({
            step: "3",
            kind: "disableAccount",
            target: userTarget,
            why: "the account is enabled",
        });
    }
    if (steps.revokeSessions) {
        actions.push({
            step: "3",
            kind: "revokeSessions",
            target: userTarget,
            why: "sessions may be live",
        });
    }

    // 4. Password: once, and again whenever the account was found enabled behind the
    //    quarantine's back (with disableAccount off it stays enabled, so once is enough).
    const enabledAgain = steps.disableAccount && user.accountEnabled !== false;
    if (steps.resetPassword && (!passwordAlreadyReset || enabledAgain)) {
        actions.push({
            step: "4",
            kind: "resetPassword",
            target: userTarget,
            why: passwordAlreadyReset
                ? "the account was enabled again"
                : "the attacker may know the password",
        });
    }

    // 5. Mailbox.
    if (view.mailbox) actions.push(...planMailbox(view, { ...inputs, keep }));

    // 6. Authentication methods: every one but the password and the allow-listed, default last.
    if (steps.removeAuthenticationMethods && view.methods) {
        const preferred = view.signInPreferences?.userPreferredMethodForSecondaryAuthentication;
        for (const method of view.methods) {
            const type = methodType(method);
            const collection = methodCollection(type);
            if (type === "password" || isKeptMethod(method, keep)) continue;
            actions.push({
                step: "6",
                kind: "removeMethod",
                target: `authenticationMethods:${method.id}`,
                why: `${type} method${method.displayName ? ` "${method.displayName}"` : ""} may be the attacker's`,
                id: String(method.id),
                type,
                collection,
                isDefault: isDefaultMethod(method, preferred),
            });
        }
    }

    // 7. Apps: the user's own consent grants and app role assignments outside the allow-list.
    if (steps.revokeAppAccess) {
        for (const grant of view.grants ?? []) {
            if (grant.consentType === "AllPrincipals") continue; // tenant-wide: recorded, not changed
            const app = appView(String(grant.clientId), apps);
            if (isKeptApp(app, keep)) continue;
            actions.push({
                step: "7",
                kind: "revokeGrant",
                target: `oauth2PermissionGrants:${grant.id}`,
                why: `consent to ${app.displayName ?? app.servicePrincipalId} (${String(grant.scope ?? "").trim()})`,
                id: String(grant.id),
                app,
                ...undecided(app, apps, keep),
            });
        }
        for (const assignment of view.appRoleAssignments ?? []) {
            const app = appView(
                String(assignment.resourceId),
                apps,
                assignment.resourceDisplayName,
            );
            if (isKeptApp(app, keep)) continue;
            actions.push({
                step: "7",
                kind: "removeAppRoleAssignment",
                target: `appRoleAssignments:${assignment.id}`,
                why: `assigned to ${app.displayName ?? app.servicePrincipalId}`,
                id: String(assignment.id),
                app,
                ...undecided(app, apps, keep),
            });
        }
    }
    return actions;
}

function planMailbox(view: TenantView, inputs: QuarantineInputs): Action[] {
    const actions: Action[] = [];
    const { steps, keep } = inputs;
    const mailbox = view.mailbox as Obj;
    const owner = String(prop(mailbox, "UserPrincipalName") ?? inputs.user).toLowerCase();

    // Inbox rules that forward, redirect, delete or bury mail, unless allow-listed.
    if (steps.disableInboxRules) {
        for (const raw of view.inboxRules ?? []) {
            const rule = viewRule(raw);
            const threat = ruleThreat(rule);
            if (!rule.enabled || threat === null || isKeptRule(rule, keep)) continue;
            actions.push({
                step: "5",
                kind: "disableInboxRule",
                target: `inboxRules:${rule.identity}`,
                why: `${rule.hidden ? "hidden " : ""}rule "${rule.name}" ${threat}`,
                identity: rule.identity,
                name: rule.name,
            });
        }
    }

    // Mailbox forwarding (either kind) and send-on-behalf delegates.
    if (steps.clearMailboxForwarding) {
        const smtp = prop(mailbox, "ForwardingSmtpAddress");
        const internal = prop(mailbox, "ForwardingAddress");
        if (smtp || internal) {
            const to = [smtp, internal]
                .filter(Boolean)
                .map((v) => addressOf(v))
                .join(", ");
            actions.push({
                step: "5",
                kind: "clearForwarding",
                target: `mailbox:${owner}`,
                why: `mailbox forwards to ${to}`,
                before: {
                    ForwardingSmtpAddress: smtp ?? null,
                    ForwardingAddress: internal ?? null,
                    DeliverToMailboxAndForward: prop(mailbox, "DeliverToMailboxAndForward") ?? null,
                },
            });
        }
    }
    if (steps.removeDelegates) {
        const onBehalf = (prop(mailbox, "GrantSendOnBehalfTo") as unknown[] | null) ?? [];
        for (const delegate of onBehalf.map(String)) {
            if (isKeptDelegate(delegate, keep)) continue;
            actions.push({
                step: "5",
                kind: "removeSendOnBehalf",
                target: `sendOnBehalf:${delegate}`,
                why: `${delegate} may send on behalf of the user`,
                delegate,
            });
        }
        for (const row of view.mailboxPermissions ?? []) {
            const who = String(prop(row, "User") ?? "");
            const rights = ((prop(row, "AccessRights") as string[]) ?? []).map(String);
            if (prop(row, "IsInherited") === true || prop(row, "Deny") === true) continue;
            if (isSystemPrincipal(who) || who.toLowerCase() === owner || isKeptDelegate(who, keep))
                continue;
            if (!rights.some((r) => /fullaccess/i.test(r))) continue;
            actions.push({
                step: "5",
                kind: "removeFullAccess",
                target: `mailboxPermissions:FullAccess:${who}`,
                why: `${who} has full access to the mailbox`,
                user: who,
                rights: ["FullAccess"],
            });
        }
        for (const row of view.recipientPermissions ?? []) {
            const who = String(prop(row, "Trustee") ?? "");
            const rights = ((prop(row, "AccessRights") as string[]) ?? []).map(String);
            if (prop(row, "IsInherited") === true || !rights.some((r) => /sendas/i.test(r)))
                continue;
            if (isSystemPrincipal(who) || who.toLowerCase() === owner || isKeptDelegate(who, keep))
                continue;
            actions.push({
                step: "5",
                kind: "removeSendAs",
                target: `recipientPermissions:SendAs:${who}`,
                why: `${who} may send as the user`,
                trustee: who,
            });
        }
        for (const row of view.folderPermissions ?? []) {
            const who = String(prop(row, "User") ?? "");
            const folder = String(prop(row, "Identity") ?? "");
            if (isSystemPrincipal(who) || isKeptDelegate(who, keep)) continue;
            const rights = ((prop(row, "AccessRights") as string[]) ?? []).map(String);
            if (rights.every((r) => /^none$/i.test(r))) continue;
            actions.push({
                step: "5",
                kind: "removeFolderPermission",
                target: `folderPermissions:${folder}:${who}`,
                why: `${who} has ${rights.join(", ")} on ${folder}`,
                folder,
                user: who,
            });
        }
    }

    // Legacy protocols that read mail with a password alone.
    if (steps.disableLegacyProtocols && view.casMailbox) {
        const cas = view.casMailbox;
        const on = Object.entries(LEGACY_PROTOCOLS)
            .filter(([name, off]) => prop(cas, name) !== off)
            .map(([name]) => name);
        if (on.length > 0) {
            actions.push({
                step: "5",
                kind: "disableLegacyProtocols",
                target: `casMailbox:${owner}`,
                why: `${on.map(protocolName).join(", ")} still on`,
                before: Object.fromEntries(
                    Object.keys(LEGACY_PROTOCOLS).map((k) => [k, prop(cas, k) ?? null]),
                ),
            });
        }
    }
    return actions;
}

/** A read an enabled step needed and did not get: that step cannot be judged done. */
export interface UnreadStep {
    step: "5" | "6" | "7";
    kind: ReadKind;
    /** What could not be read, in an operator's words. */
    what: string;
    /** What the service answered. */
    error: string;
}

/**
 * The reads each enabled step depends on that failed in this snapshot. Without them the plan
 * would simply find nothing to do, and a mailbox still forwarding mail would look contained;
 * the caller records each as a failure so the quarantine stays partial until a run reads them.
 */
export function unreadForSteps(view: TenantView, inputs: QuarantineInputs): UnreadStep[] {
    const { steps } = inputs;
    const needs: Array<[boolean, "5" | "6" | "7", ReadKind[]]> = [
        [steps.disableInboxRules, "5", ["mailbox", "inboxRules"]],
        [steps.clearMailboxForwarding, "5", ["mailbox"]],
        [
            steps.removeDelegates,
            "5",
            ["mailbox", "mailboxPermissions", "recipientPermissions", ...folderKinds(view)],
        ],
        [steps.disableLegacyProtocols, "5", ["mailbox", "casMailbox"]],
        [steps.removeAuthenticationMethods, "6", ["methods"]],
        [steps.revokeAppAccess, "7", ["grants", "appRoleAssignments"]],
    ];
    const unread: UnreadStep[] = [];
    for (const [on, step, kinds] of needs) {
        if (!on) continue;
        for (const kind of kinds) {
            const error = view.unread[kind];
            if (error === undefined || unread.some((u) => u.kind === kind)) continue;
            unread.push({ step, kind, what: readWords(kind), error });
        }
    }
    return unread;
}

function folderKinds(view: TenantView): ReadKind[] {
    return Object.keys(view.unread).filter((k) => k.startsWith("folderPermissions ")) as ReadKind[];
}

function readWords(kind: ReadKind): string {
    const words: Record<string, string> = {
        mailbox: "the mailbox (Get-Mailbox)",
        inboxRules: "the inbox rules (Get-InboxRule)",
        mailboxPermissions: "the FullAccess delegates (Get-MailboxPermission)",
        recipientPermissions: "the SendAs delegates (Get-RecipientPermission)",
        casMailbox: "the mail protocol settings (Get-CASMailbox)",
        methods: "the authentication methods",
        grants: "the user's consent grants",
        appRoleAssignments: "the user's app role assignments",
    };
    return words[kind] ?? kind.replace(/^folderPermissions /, "the folder delegates of ");
}

function protocolName(setting: string): string {
    return setting === "PopEnabled" ? "POP" : setting === "ImapEnabled" ? "IMAP" : "SMTP AUTH";
}

/**
 * An app whose service principal could not be read cannot be checked against an allow-list
 * that names apps by appId: say so rather than revoke what the responder meant to keep.
 */
function undecided(app: AppView, apps: Map<string, Obj>, keep: QuarantineInputs["keep"]) {
    if (keep.apps.length === 0 || apps.has(app.servicePrincipalId)) return {};
    return {
        undecided:
            `could not read service principal ${app.servicePrincipalId} to check it against ` +
            "keep.apps, so it was left in place this run",
    };
}

function appView(id: string, apps: Map<string, Obj>, fallbackName?: unknown): AppView {
    const sp = apps.get(id);
    return {
        servicePrincipalId: id,
        appId: sp?.appId,
        displayName:
            sp?.displayName ?? (typeof fallbackName === "string" ? fallbackName : undefined),
    };
}

/**
 * Drift on a contained user: what the plan would change, without the actions every run repeats
 * (revoking sessions) and the password reset that follows from an enabled account.
 */
export function driftOf(actions: Action[]): string[] {
    return actions
        .filter((a) => a.kind !== "revokeSessions" && a.kind !== "resetPassword")
        .map((a) => describeDrift(a));
}

function describeDrift(action: Action): string {
    switch (action.kind) {
        case "disableAccount":
            return "The account is enabled again.";
        case "disableInboxRule":
            return `Inbox rule "${action.name}" is enabled: ${action.why.replace(/^(hidden )?rule "[^"]*" /, "it ")}.`;
        case "clearForwarding":
            return `Mailbox forwarding is set: ${action.why.replace(/^mailbox /, "")}.`;
        case "removeMethod":
            return `Authentication method ${action.type} (${action.id}) is registered.`;
        case "revokeGrant":
            return `App consent grant ${action.id}: ${action.why}.`;
        case "removeAppRoleAssignment":
            return `App role assignment ${action.id}: ${action.why}.`;
        case "disableLegacyProtocols":
            return `Legacy mail protocols are on: ${action.why.replace(/ still on$/, "")}.`;
        default:
            return `Delegate: ${action.why}.`;
    }
}
