/**
 * The containment playbook, as a responder runs it, one numbered step at a time:
 *
 *   1. Resolve the user, and refuse what must not be contained.
 *   2. Snapshot the evidence.
 *   3. Cut off: disable the account and revoke sessions, together.
 *   4. Reset the password (in the same round trip, after the disable).
 *   5. Mailbox: rules, forwarding, delegates, legacy protocols.
 *   6. Authentication methods, the default one last.
 *   7. App consent grants and app role assignments.
 *
 * Steps 5 to 7 touch different objects and run side by side; only true dependencies wait
 * (DESIGN.md §6). Round trips: 1 to resolve and snapshot, 1 to cut off and reset, 1 for the
 * clean-up, plus 1 for the default method, and more only when Exchange's per-mailbox
 * concurrency makes the mailbox clean-up queue.
 *
 * Every step is idempotent: it acts on what the snapshot shows now, so a run after a partial
 * failure or a crash finishes the rest and records what an earlier run already did.
 */
import {
    emptyEvidence,
    mergeEvidence,
    recordFound,
    type Evidence,
    type EvidenceChange,
} from "./evidence";
import type { QuarantineInputs } from "./inputs";
import { methodType, prop, viewRule } from "./judge";
import { readJournal, writeJournal } from "./journal";
import { planContainment, unreadForSteps, type Action } from "./plan";
import { randomPassword } from "./secrets";
import { applyExchange, applyGraph, record, recordChange, type StepContext } from "./steps/apply";
import {
    readApps,
    rowKey,
    startReads,
    type SnapshotReads,
    type TenantView,
} from "./steps/snapshot";
import { userSegment, type GraphRequest, type TenantApi } from "./tenant";

type Obj = Record<string, any>;

/** Where the playbook runs: the tenant, the clock, the operator's log, the journal. */
export interface PlaybookContext {
    inputs: QuarantineInputs;
    tenant: TenantApi;
    breakGlassAccounts: readonly string[];
    now: () => Date;
    /** One progress line an operator reads in the `pulumi up` output. */
    log: (line: string) => void;
    journalDir: string;
    /** Evidence already in state (an update, or the init-error record of a partial create). */
    previous?: Evidence;
    /** How long the cut-off waits for the inbox rules (default `RULES_WAIT_MS`). */
    rulesWaitMs?: number;
}

/**
 * A refusal: nothing in the tenant was changed. The message says why and what to do.
 *
 * A plain Error with a marker, not a subclass: the provider is serialized by Pulumi's closure
 * serializer, which turns classes into functions, and `Error.call(this, message)` then sets no
 * message.
 */
export function quarantineRefused(message: string): Error & { refused: true } {
    return Object.assign(new Error(message), { name: "QuarantineRefused", refused: true as const });
}

export function isRefusal(error: unknown): boolean {
    return (error as { refused?: unknown } | null)?.refused === true;
}

export interface ContainmentResult {
    evidence: Evidence;
    user: Obj;
    /** When the account was disabled and sessions revoked (this run). */
    cutOffAt: string | null;
    containedAt: string;
    /** Changes that failed in this run (the quarantine is partial until a later run succeeds). */
    failures: EvidenceChange[];
    summary: string[];
}

/**
 * How long the cut-off waits for the inbox rules once the user is resolved. The rules have no
 * other record, so they are read first; but a throttled or slow Exchange must not keep an
 * attacker signed in. Disabling the account does not change the rules, so a late read still
 * records them as they were.
 */
export const RULES_WAIT_MS = 5_000;

/** Runs steps 1 to 7 on the user. Throws a refusal (see `quarantineRefused`) before any change if it must. */
export async function contain(ctx: PlaybookContext): Promise<ContainmentResult> {
    const { inputs, tenant } = ctx;
    const log = (line: string) => ctx.log(`${inputs.name}: ${line}`);

    // 1. Resolve the user and refuse unknown, synced, guest, break-glass and the deployment's
    //    own identity. Every snapshot read starts now too, in the same round trip.
    const reads = startReads(tenant, inputs.user, ctx.now, inputs.keep.delegates);
    const [directory, caller] = await Promise.all([reads.directory, tenant.callerObjectId()]);
    const user = refuseIfProtected(directory, inputs, ctx.breakGlassAccounts, caller);
    log(
        `1. Resolved ${user.userPrincipalName} (${user.displayName ?? "no display name"}, id ` +
            `${user.id}): cloud ${String(user.userType ?? "Member").toLowerCase()} account, ` +
            `${user.accountEnabled === false ? "already disabled" : "enabled"}.`,
    );

    // 2. Snapshot: the directory objects and the inbox rules (which have no other record) are
    //    in hand; write them to the journal before the first change. The rest of the mailbox
    //    read finishes while the cut-off runs.
    const rulesWaitMs = ctx.rulesWaitMs ?? RULES_WAIT_MS;
    const rules = await settledWithin(reads.rules, rulesWaitMs);
    const evidence = startEvidence(ctx, user, directory);
    const firstChange = evidence.changes.length;
    const ruleRows = rules?.ok ? rules.value : undefined;
    if (ruleRows) recordView(evidence, { ...directory, inboxRules: ruleRows });
    writeJournal(ctx.journalDir, evidence);
    log(
        `2. Evidence: the account, its methods and app grants` +
            (ruleRows ? `, and ${ruleRows.length} inbox rule(s) (hidden ones included)` : "") +
            " recorded before any change; " +
            (rules === undefined
                ? `the inbox rules did not arrive within ${rulesWaitMs / 1000} s, so the ` +
                  "cut-off goes first (it does not change them) and they are recorded when they do."
                : "the rest of the mailbox is read alongside the cut-off."),
    );
    const step: StepContext = { tenant, evidence, now: ctx.now };
    try {
        return await changeTenant(ctx, step, user, directory, reads, firstChange, log);
    } catch (error) {
        // Whatever was done before the failure is in the evidence: carry it, so the caller
        // records a partial containment instead of orphaning the changes.
        writeJournal(ctx.journalDir, evidence);
        throw Object.assign(error instanceof Error ? error : new Error(String(error)), {
            evidence,
        });
    }
}

/** The value of `promise` if it settles within `ms`, else undefined (it keeps running). */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Steps 3 to 7, after the first part of the snapshot. */
async function changeTenant(
    ctx: PlaybookContext,
    step: StepContext,
    user: Obj,
    directory: TenantView,
    reads: SnapshotReads,
    firstChange: number,
    log: (line: string) => void,
): Promise<ContainmentResult> {
    const { inputs, tenant } = ctx;
    const evidence = step.evidence;

    // App names for the allow-list are read alongside the cut-off, which does not need them.
    const appIds = [
        ...(directory.grants ?? []).map((g) => String(g.clientId)),
        ...(directory.appRoleAssignments ?? []).map((a) => String(a.resourceId)),
    ];
    const appsRead = readApps(tenant, appIds);
    const passwordReset = evidence.changes.some(
        (c) => c.action === "reset password" && c.result === "changed",
    );
    const first = planContainment(directory, inputs, new Map(), passwordReset);

    // 3 and 4. Cut off, then reset the password while disabled: one $batch, one round trip.
    const [cutOffAt, view, apps] = await Promise.all([
        cutOff(step, user, first, log),
        reads.all,
        appsRead,
    ]);

    // 2 (completed). The whole mailbox is now recorded; the journal follows.
    recordView(evidence, view);
    recordFound(
        evidence,
        "servicePrincipals",
        [...apps.values()].map((sp) => ({ key: String(sp.id), object: sp })),
        ctx.now().toISOString(),
    );
    writeJournal(ctx.journalDir, evidence);
    log(`2. Evidence recorded: ${describeSnapshot(view)}.`);
    const plan = planContainment(view, inputs, apps, passwordReset);

    // A step whose read failed would find nothing to do and look done: record it as failed.
    for (const unread of unreadForSteps(view, inputs)) {
        recordChange(step, unread.step, `read ${unread.what}`, `read:${unread.kind}`, "failed", {
            error: `${unread.error}. Step ${unread.step} could not check what is there; the next \`pulumi up\` reads it again.`,
        });
        log(`${unread.step}. Could not read ${unread.what}: ${unread.error}`);
    }

    // 5, 6 and 7 touch different objects: run them side by side.
    await Promise.all([
        cleanMailbox(step, inputs, view, plan, log),
        removeMethods(step, user, plan, log),
        revokeAppAccess(step, user, plan, log),
    ]);

    // Done: keep the journal in step with what is now true, and say what it means. This run
    // read everything afresh and attempted all that was left, so its own failures are exactly
    // what is still outstanding; an earlier failure whose target is gone no longer counts.
    writeJournal(ctx.journalDir, evidence);
    const failures = evidence.changes.slice(firstChange).filter((c) => c.result === "failed");
    const summary = summarise(evidence, view, failures);
    log(
        failures.length === 0
            ? `Contained ${user.userPrincipalName}. ${CAVEAT}`
            : `Partly contained ${user.userPrincipalName}: ${failures.length} change(s) or ` +
                  `read(s) failed and will be retried by the next \`pulumi up\`.`,
    );
    return { evidence, user, cutOffAt, containedAt: ctx.now().toISOString(), failures, summary };
}

/** The time-to-effect caveat every containment carries. */
export const CAVEAT =
    "Access tokens already issued stay valid until they expire (up to 1 hour; continuous " +
    "access evaluation can end them sooner, typically within about 15 minutes, in apps that " +
    "support it). Watch the sign-in logs for that long.";

// ---- Step 1 ---------------------------------------------------------------------------------

/**
 * Refuses, before any change, the users this tool must not contain, saying what to do instead.
 */
export function refuseIfProtected(
    view: TenantView,
    inputs: QuarantineInputs,
    breakGlassAccounts: readonly string[],
    callerObjectId: string | undefined,
): Obj {
    const user = view.user;
    if (view.userMissing) {
        throw quarantineRefused(
            `${inputs.name}: user ${JSON.stringify(inputs.user)} does not exist in this tenant ` +
                `(${view.userError ?? "404"}). Nothing was changed. Fix the user field of ` +
                `incident ${inputs.incident}: use the exact UPN or object id from Entra ID.`,
        );
    }
    if (!user) {
        throw new Error(
            `${inputs.name}: could not read user ${JSON.stringify(inputs.user)}: ${view.userError}. ` +
                `Nothing was changed; run \`pulumi up\` again once Graph answers.`,
        );
    }
    const names = [String(user.id), String(user.userPrincipalName)].map((n) => n.toLowerCase());
    if (breakGlassAccounts.some((b) => names.includes(b.toLowerCase()))) {
        throw quarantineRefused(
            `${inputs.name}: ${user.userPrincipalName} is a break-glass account ` +
                `(bec-guard:breakGlassAccounts). Nothing was changed. Emergency-access accounts are ` +
                `never quarantined automatically: rotate its credentials by hand and review its ` +
                `sign-ins, or take it out of breakGlassAccounts first if it must be contained.`,
        );
    }
    if (
        callerObjectId !== undefined &&
        callerObjectId.toLowerCase() === String(user.id).toLowerCase()
    ) {
        throw quarantineRefused(
            `${inputs.name}: ${user.userPrincipalName} is the identity running this deployment. ` +
                `Nothing was changed: containing it would cut the deployment off halfway. Run the ` +
                `containment with the BEC Guard app's credentials instead.`,
        );
    }
    if (user.onPremisesSyncEnabled === true) {
        throw quarantineRefused(
            `${inputs.name}: ${user.userPrincipalName} is synced from on-premises Active Directory; ` +
                `directory sync would undo a disable or password reset made here. Nothing was ` +
                `changed. On-premises: disable the account (Disable-ADAccount) and reset its ` +
                `password twice, then run a delta sync (Start-ADSyncSyncCycle -PolicyType Delta) ` +
                `and revoke its sessions (Revoke-MgUserSignInSession). Mailbox forwarding, inbox ` +
                `rules, MFA methods and app grants live in the cloud: remove them by hand or with ` +
                `the steps in docs/incident-response.md.`,
        );
    }
    if (String(user.userType).toLowerCase() === "guest") {
        throw quarantineRefused(
            `${inputs.name}: ${user.userPrincipalName} is a guest. Its password, MFA methods and ` +
                `sessions belong to its home tenant, where this tool cannot reach, and ` +
                `revokeSignInSessions does not end a guest's sessions. Nothing was changed. What ` +
                `still applies here: block its sign-in to this tenant (accountEnabled false), ` +
                `remove it from groups and apps, and ask the home tenant's administrators to ` +
                `contain the account.`,
        );
    }
    return user;
}

// ---- Step 2 ---------------------------------------------------------------------------------

/** Evidence from state and from the journal, joined, plus what this read found. */
function startEvidence(ctx: PlaybookContext, user: Obj, view: TenantView): Evidence {
    const { inputs } = ctx;
    const fresh = emptyEvidence(
        inputs.incident,
        String(user.id),
        String(user.userPrincipalName),
        view.at,
    );
    const evidence = mergeEvidence(
        mergeEvidence(fresh, ctx.previous),
        readJournal(ctx.journalDir, inputs.incident, String(user.id)),
    );
    recordView(evidence, view);
    return evidence;
}

/** Adds every object of a read to the evidence (first-seen versions win). */
export function recordView(evidence: Evidence, view: TenantView): void {
    const at = view.at;
    const put = (
        kind: Parameters<typeof recordFound>[1],
        items: Obj[] | null,
        key: (o: Obj) => string,
    ) => {
        if (items)
            recordFound(
                evidence,
                kind,
                items.map((object) => ({ key: key(object), object })),
                at,
            );
    };
    if (view.user) put("user", [view.user], (u) => String(u.id));
    if (view.mailbox) put("mailbox", [view.mailbox], (m) => String(prop(m, "Identity")));
    if (view.casMailbox) put("casMailbox", [view.casMailbox], (m) => String(prop(m, "Identity")));
    put("inboxRules", view.inboxRules, (r) => viewRule(r).identity);
    put("mailboxPermissions", view.mailboxPermissions, (r) => rowKey(r, "User", "AccessRights"));
    put("recipientPermissions", view.recipientPermissions, (r) =>
        rowKey(r, "Trustee", "AccessRights"),
    );
    put("folderPermissions", view.folderPermissions, (r) => rowKey(r, "Identity", "User"));
    if (view.mailbox) {
        const onBehalf = ((prop(view.mailbox, "GrantSendOnBehalfTo") as unknown[]) ?? []).map(
            String,
        );
        put(
            "sendOnBehalf",
            onBehalf.map((delegate) => ({ delegate })),
            (d) => d.delegate,
        );
    }
    put("authenticationMethods", view.methods, (m) => String(m.id));
    if (view.signInPreferences)
        put("signInPreferences", [view.signInPreferences], () => "signInPreferences");
    put("oauth2PermissionGrants", view.grants, (g) => String(g.id));
    put("appRoleAssignments", view.appRoleAssignments, (a) => String(a.id));

    // Tenant-wide grants: only those to apps this user also uses; recorded, never changed here.
    const userApps = new Set([
        ...(view.grants ?? []).map((g) => String(g.clientId)),
        ...(view.appRoleAssignments ?? []).map((a) => String(a.resourceId)),
    ]);
    put(
        "tenantWideGrants",
        (view.tenantWideGrants ?? []).filter((g) => userApps.has(String(g.clientId))),
        (g) => String(g.id),
    );
    evidence.gaps = [...new Set([...evidence.gaps, ...view.gaps.map((g) => `${at}: ${g}`)])];
}

function describeSnapshot(view: TenantView): string {
    const rules = view.inboxRules ?? [];
    const forwarding = view.mailbox
        ? [
              prop(view.mailbox, "ForwardingSmtpAddress"),
              prop(view.mailbox, "ForwardingAddress"),
          ].filter(Boolean)
        : [];
    const parts = [
        view.mailbox
            ? `${rules.length} inbox rule(s), mailbox forwarding ${forwarding.length ? `to ${forwarding.join(", ")}` : "off"}`
            : "no mailbox",
        `${(view.methods ?? []).length} authentication method(s)`,
        `${(view.grants ?? []).length} consent grant(s)`,
        `${(view.appRoleAssignments ?? []).length} app role assignment(s)`,
    ];
    if (view.gaps.length > 0) parts.push(`${view.gaps.length} gap(s) noted`);
    return parts.join(", ");
}

// ---- Steps 3 and 4 --------------------------------------------------------------------------

/**
 * Disables the account and revokes its sessions, and resets the password after the disable,
 * in one `$batch`. Returns when the cut-off took effect, or null if it did not.
 */
async function cutOff(step: StepContext, user: Obj, plan: Action[], log: (l: string) => void) {
    const id = userSegment(String(user.id));
    const writes: Parameters<typeof applyGraph>[1] = [];
    const disable = plan.find((a) => a.kind === "disableAccount");
    const revoke = plan.find((a) => a.kind === "revokeSessions");
    const reset = plan.find((a) => a.kind === "resetPassword");
    if (disable) {
        writes.push({
            action: disable,
            request: { method: "PATCH", url: `/users/${id}`, body: { accountEnabled: false } },
            before: { accountEnabled: user.accountEnabled },
            after: { accountEnabled: false },
        });
    }
    if (revoke) {
        writes.push({
            action: revoke,
            request: { method: "POST", url: `/users/${id}/revokeSignInSessions` },
            before: { signInSessionsValidFromDateTime: user.signInSessionsValidFromDateTime },
            after: "sessions issued before now are invalid",
        });
    }
    if (reset) {
        // The password exists only inside this request body; it is not returned or recorded.
        const request: GraphRequest = {
            method: "PATCH",
            url: `/users/${id}`,
            body: {
                passwordProfile: {
                    forceChangePasswordNextSignIn: true,
                    password: randomPassword(),
                },
            },
            ...(disable ? { dependsOn: 0 } : {}),
        };
        writes.push({
            action: reset,
            request,
            before: { lastPasswordChangeDateTime: user.lastPasswordChangeDateTime },
            after: "a random password nobody knows; change required at next sign-in",
        });
    }
    // Urgent: with many users in one process, each cut-off goes ahead of the others' clean-up.
    const replies = await applyGraph(step, writes, { urgent: true });
    const cutOk = writes.every((w, i) => w.action.kind === "resetPassword" || replies[i].ok);
    const at = step.now().toISOString();

    const did = [
        disable ? "account disabled" : "account already disabled",
        revoke ? "sessions revoked" : "",
    ].filter(Boolean);
    log(
        cutOk
            ? `3. Cut off: ${did.join(" and ")}.`
            : `3. Cut off FAILED: ${failuresOf(writes, replies, ["disableAccount", "revokeSessions"])}`,
    );
    if (reset) {
        const i = writes.findIndex((w) => w.action.kind === "resetPassword");
        log(
            replies[i].ok
                ? "4. Password reset to a random value that is not kept anywhere; the user must change it at next sign-in."
                : `4. Password reset FAILED: ${replies[i].error}`,
        );
    } else {
        log("4. Password: already reset by an earlier run and the account stayed disabled.");
    }
    return cutOk ? at : null;
}

function failuresOf(
    writes: Array<{ action: Action }>,
    replies: Array<{ ok: boolean; error?: string }>,
    kinds: string[],
) {
    return writes
        .map((w, i) =>
            kinds.includes(w.action.kind) && !replies[i].ok
                ? `${w.action.kind}: ${replies[i].error}`
                : "",
        )
        .filter(Boolean)
        .join("; ");
}

// ---- Step 5 ---------------------------------------------------------------------------------

/** Disables bad rules, clears forwarding, removes delegates and legacy protocols. */
async function cleanMailbox(
    step: StepContext,
    inputs: QuarantineInputs,
    view: TenantView,
    plan: Action[],
    log: (l: string) => void,
): Promise<void> {
    if (!view.mailbox) {
        log(
            `5. Mailbox: ${view.noMailbox ? "the user has no mailbox; nothing to clean" : "could not be read; see gaps"}.`,
        );
        return;
    }
    const mailbox = String(prop(view.mailbox, "UserPrincipalName") ?? inputs.user);
    const anchor = `UPN:${mailbox}`;
    const mine = plan.filter((a) => a.step === "5");
    const calls: Array<Promise<boolean>> = [];

    // Inbox rules: disabled, not deleted, so they stay as evidence.
    for (const a of mine) {
        if (a.kind !== "disableInboxRule") continue;
        calls.push(
            applyExchange(
                step,
                [{ action: a, before: { Enabled: true }, after: { Enabled: false } }],
                "Disable-InboxRule",
                { Identity: a.identity, Mailbox: mailbox, Confirm: false },
                anchor,
            ),
        );
    }

    // Forwarding and send-on-behalf: one Set-Mailbox call carries both.
    const forwarding = mine.find((a) => a.kind === "clearForwarding");
    const onBehalf = mine.filter((a) => a.kind === "removeSendOnBehalf");
    if (forwarding || onBehalf.length > 0) {
        const parameters: Obj = { Identity: mailbox };
        const actions: Array<{ action: Action; before?: unknown; after?: unknown }> = [];
        if (forwarding && forwarding.kind === "clearForwarding") {
            Object.assign(parameters, {
                ForwardingSmtpAddress: null,
                ForwardingAddress: null,
                DeliverToMailboxAndForward: false,
            });
            actions.push({
                action: forwarding,
                before: forwarding.before,
                after: {
                    ForwardingSmtpAddress: null,
                    ForwardingAddress: null,
                    DeliverToMailboxAndForward: false,
                },
            });
        }
        if (onBehalf.length > 0) {
            parameters.GrantSendOnBehalfTo = {
                remove: onBehalf.map((a) => (a.kind === "removeSendOnBehalf" ? a.delegate : "")),
            };
            for (const a of onBehalf)
                actions.push({ action: a, before: "delegate", after: "removed" });
        }
        calls.push(applyExchange(step, actions, "Set-Mailbox", parameters, anchor));
    }

    // Delegates: FullAccess, SendAs, folder permissions.
    for (const a of mine) {
        if (a.kind === "removeFullAccess") {
            calls.push(
                applyExchange(
                    step,
                    [{ action: a, before: { User: a.user, AccessRights: a.rights } }],
                    "Remove-MailboxPermission",
                    {
                        Identity: mailbox,
                        User: a.user,
                        AccessRights: a.rights,
                        InheritanceType: "All",
                        Confirm: false,
                    },
                    anchor,
                ),
            );
        } else if (a.kind === "removeSendAs") {
            calls.push(
                applyExchange(
                    step,
                    [{ action: a, before: { Trustee: a.trustee, AccessRights: ["SendAs"] } }],
                    "Remove-RecipientPermission",
                    {
                        Identity: mailbox,
                        Trustee: a.trustee,
                        AccessRights: ["SendAs"],
                        Confirm: false,
                    },
                    anchor,
                ),
            );
        } else if (a.kind === "removeFolderPermission") {
            calls.push(
                applyExchange(
                    step,
                    [{ action: a, before: { Identity: a.folder, User: a.user } }],
                    "Remove-MailboxFolderPermission",
                    { Identity: a.folder, User: a.user, Confirm: false },
                    anchor,
                    { notFoundIsDone: true },
                ),
            );
        } else if (a.kind === "disableLegacyProtocols") {
            calls.push(
                applyExchange(
                    step,
                    [
                        {
                            action: a,
                            before: a.before,
                            after: {
                                PopEnabled: false,
                                ImapEnabled: false,
                                SmtpClientAuthenticationDisabled: true,
                            },
                        },
                    ],
                    "Set-CASMailbox",
                    {
                        Identity: mailbox,
                        PopEnabled: false,
                        ImapEnabled: false,
                        SmtpClientAuthenticationDisabled: true,
                    },
                    anchor,
                ),
            );
        }
    }
    const results = await Promise.all(calls);
    const failed = results.filter((ok) => !ok).length;
    const count = (kind: Action["kind"]) => mine.filter((a) => a.kind === kind).length;
    const delegates =
        count("removeFullAccess") +
        count("removeSendAs") +
        count("removeFolderPermission") +
        count("removeSendOnBehalf");
    const rules = mine
        .filter((a) => a.kind === "disableInboxRule")
        .map((a) => (a.kind === "disableInboxRule" ? `"${a.name}"` : ""));
    log(
        `5. Mailbox: ${rules.length ? `disabled ${rules.length} inbox rule(s) (${rules.join(", ")})` : "no harmful inbox rule enabled"}; ` +
            `${forwarding ? `cleared ${forwarding.why.replace(/^mailbox /, "")}` : "no mailbox forwarding"}; ` +
            `removed ${delegates} delegate(s); ` +
            `${count("disableLegacyProtocols") ? "turned off POP, IMAP and SMTP AUTH" : "legacy protocols already off"}` +
            (failed ? `; ${failed} change(s) FAILED (see evidence)` : "") +
            ".",
    );
}

// ---- Step 6 ---------------------------------------------------------------------------------

/** Removes every non-password method outside the allow-list; the default method goes last. */
async function removeMethods(
    step: StepContext,
    user: Obj,
    plan: Action[],
    log: (l: string) => void,
) {
    const planned = plan.filter(
        (a): a is Extract<Action, { kind: "removeMethod" }> => a.kind === "removeMethod",
    );

    // A type with no Graph API to remove it (a new one, or one BEC Guard does not know) is
    // never skipped in silence: it is a failure, so the quarantine stays partial until a
    // person removes it or allow-lists it.
    for (const m of planned.filter((a) => a.collection === null)) {
        record(step, m, "failed", {
            before: original(step, "authenticationMethods", m.id),
            error:
                `BEC Guard cannot remove a ${m.type} method (no Graph API it knows for that type). ` +
                "Remove it in the Entra admin center (the user's Authentication methods), or, if " +
                "it is the user's own, add its id to keep.methods; then run `pulumi up` again.",
        });
    }
    const methods = planned.filter((a) => a.collection !== null);
    const id = userSegment(String(user.id));
    const writeFor = (a: Extract<Action, { kind: "removeMethod" }>) => ({
        action: a as Action,
        request: {
            method: "DELETE" as const,
            url: `/users/${id}/authentication/${a.collection}/${a.id}`,
        },
        before: original(step, "authenticationMethods", a.id),
        after: "removed",
        gone: true,
    });

    // Graph refuses to remove the default method while others remain: others first. When the
    // user keeps a method that can be the default (their own Authenticator, say), it becomes
    // the default in the same round trip, so the attacker's default can go next.
    const removing = new Set(methods.map((m) => m.id));
    const keptDefault = methods.some((m) => m.isDefault)
        ? step.evidence.found.authenticationMethods
              .map((item) => item.object)
              .find((m) => !removing.has(String(m.id)) && preferenceOf(m) !== null)
        : undefined;
    // Graph also refuses to remove a mobile number while an alternate mobile remains: when both
    // go, the mobile waits for the alternate (one more round trip, only then).
    const phoneType = (m: { id: string }) =>
        original(step, "authenticationMethods", m.id)?.phoneType;
    const alternateGoes = methods.some((m) => phoneType(m) === "alternateMobile");
    const waitsForAlternate = (m: (typeof methods)[number]) =>
        !m.isDefault && alternateGoes && phoneType(m) === "mobile";
    const [first] = await Promise.all([
        applyGraph(
            step,
            methods.filter((m) => !m.isDefault && !waitsForAlternate(m)).map(writeFor),
        ),
        keptDefault ? makeDefault(step, id, keptDefault) : Promise.resolve(),
    ]);
    const second = await applyGraph(step, methods.filter(waitsForAlternate).map(writeFor));
    const last = await applyGraph(step, methods.filter((m) => m.isDefault).map(writeFor));

    // A kept method that cannot be the default (a FIDO2 key) does not block the removal, but a
    // kept default-capable one that could not be made the default does. Say what to do.
    const defaults = methods.filter((m) => m.isDefault);
    defaults.forEach((m, i) => {
        if (last[i].ok || !/default method/i.test(last[i].error ?? "")) return;
        const change = step.evidence.changes.filter((c) => c.target === m.target).pop();
        if (!change) return;
        change.error +=
            " The user's default MFA method cannot be removed while another method that can be " +
            "the default remains and could not be made the default. Either drop that method " +
            "from keep.methods (the user re-registers it in person with the Temporary Access " +
            "Pass on release), or set another default in the Entra admin center and run " +
            "`pulumi up` again.";
    });
    const replies = [...first, ...second, ...last];
    const removed = replies.filter((r) => r.ok || r.status === 404).length;
    const failed = replies.length - removed + (planned.length - methods.length);
    const kept = (step.evidence.found.authenticationMethods ?? []).length - planned.length;
    log(
        `6. Authentication methods: removed ${removed} (${methods.map((m) => m.type).join(", ") || "none"}), ` +
            `kept ${Math.max(kept, 0)} (the password and the allow-listed)` +
            (failed ? `; ${failed} removal(s) FAILED (see evidence)` : "") +
            ".",
    );
}

/** The sign-in preference value that makes this method the default, or null if none can. */
function preferenceOf(method: Obj): string | null {
    switch (methodType(method)) {
        case "microsoftAuthenticator":
            return "push";
        case "softwareOath":
            return "oath";
        case "phone":
            return method.phoneType === "office"
                ? "voiceOffice"
                : method.phoneType === "alternateMobile"
                  ? "voiceAlternateMobile"
                  : "sms";
        default:
            return null;
    }
}

/** Makes a kept method the user's default MFA method (beta signInPreferences). */
async function makeDefault(step: StepContext, id: string, method: Obj): Promise<void> {
    const preference = preferenceOf(method);
    const [reply] = await step.tenant.graph([
        {
            method: "PATCH",
            url: `/users/${id}/authentication/signInPreferences`,
            version: "beta",
            body: { userPreferredMethodForSecondaryAuthentication: preference },
        },
    ]);
    recordChange(
        step,
        "6",
        "make a kept method the default",
        `authenticationMethods:${method.id}`,
        reply.ok ? "changed" : "failed",
        {
            before: step.evidence.found.signInPreferences[0]?.object ?? null,
            after: { userPreferredMethodForSecondaryAuthentication: preference },
            ...(reply.ok ? {} : { error: reply.error }),
        },
    );
}

// ---- Step 7 ---------------------------------------------------------------------------------

/** Revokes the user's consent grants and app role assignments outside the allow-list. */
async function revokeAppAccess(
    step: StepContext,
    user: Obj,
    plan: Action[],
    log: (l: string) => void,
) {
    const id = userSegment(String(user.id));
    const writes: Parameters<typeof applyGraph>[1] = [];
    let undecided = 0;
    for (const a of plan) {
        if ((a.kind === "revokeGrant" || a.kind === "removeAppRoleAssignment") && a.undecided) {
            record(step, a, "failed", { error: a.undecided });
            undecided++;
            continue;
        }
        if (a.kind === "revokeGrant") {
            writes.push({
                action: a,
                request: { method: "DELETE", url: `/oauth2PermissionGrants/${a.id}` },
                before: original(step, "oauth2PermissionGrants", a.id),
                after: "revoked",
                gone: true,
            });
        } else if (a.kind === "removeAppRoleAssignment") {
            writes.push({
                action: a,
                request: { method: "DELETE", url: `/users/${id}/appRoleAssignments/${a.id}` },
                before: original(step, "appRoleAssignments", a.id),
                after: "removed",
                gone: true,
            });
        }
    }
    const replies = await applyGraph(step, writes);
    const failed = replies.filter((r) => !r.ok && r.status !== 404).length + undecided;
    const names = [
        ...new Set(
            writes.map((w) =>
                w.action.kind === "revokeGrant" || w.action.kind === "removeAppRoleAssignment"
                    ? (w.action.app.displayName ?? w.action.app.servicePrincipalId)
                    : "",
            ),
        ),
    ];
    const tenantWide = step.evidence.found.tenantWideGrants.length;
    log(
        `7. Apps: revoked ${writes.filter((w) => w.action.kind === "revokeGrant").length} consent grant(s) and ` +
            `removed ${writes.filter((w) => w.action.kind === "removeAppRoleAssignment").length} app role assignment(s)` +
            `${names.length ? ` (${names.join(", ")})` : ""}` +
            (tenantWide
                ? `; ${tenantWide} tenant-wide grant(s) to the same apps recorded for review (not changed)`
                : "") +
            (failed ? `; ${failed} change(s) FAILED (see evidence)` : "") +
            ".",
    );
}

function original(
    step: StepContext,
    kind: "authenticationMethods" | "oauth2PermissionGrants" | "appRoleAssignments",
    key: string,
) {
    return step.evidence.found[kind].find((item) => item.key === key)?.object;
}

// ---- Summary --------------------------------------------------------------------------------

function summarise(evidence: Evidence, view: TenantView, outstanding: EvidenceChange[]): string[] {
    const changed = evidence.changes.filter((c) => c.result === "changed");
    const byAction = new Map<string, number>();
    for (const c of changed) byAction.set(c.action, (byAction.get(c.action) ?? 0) + 1);
    const lines = [...byAction.entries()].map(([action, n]) => `${action}: ${n}`);
    const firstUser = evidence.found.user[0]?.object;
    if (firstUser && firstUser.accountEnabled === false) {
        lines.push(
            "The account was already disabled when first seen (possibly by Defender attack " +
                "disruption or another administrator); releasing this quarantine will enable it.",
        );
    }
    if (evidence.found.tenantWideGrants.length > 0) {
        lines.push(
            `${evidence.found.tenantWideGrants.length} tenant-wide consent grant(s) to apps this user ` +
                "uses are recorded in the evidence; review them and disable a malicious app's " +
                "service principal (not delete it) if needed.",
        );
    }
    for (const f of outstanding)
        lines.push(`FAILED, will retry on next up: ${f.action} ${f.target}: ${f.error}`);
    for (const g of view.gaps) lines.push(`Evidence gap: ${g}`);
    return lines;
}
