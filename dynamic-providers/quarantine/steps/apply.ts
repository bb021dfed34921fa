/**
 * Carrying out planned actions and writing down what happened. Every change, whether done,
 * found already done, or failed, becomes one evidence entry with its time and the object as it
 * was before.
 */
import type { Evidence, EvidenceChange } from "../evidence";
import type { Action } from "../plan";
import type { CallOptions, ExchangeReply, GraphReply, GraphRequest, TenantApi } from "../tenant";
import { errorText } from "./snapshot";

export interface StepContext {
    tenant: TenantApi;
    evidence: Evidence;
    now: () => Date;
}

/** What the action was, in an operator's words. */
export const ACTION_WORDS: Record<Action["kind"], string> = {
    disableAccount: "disable account",
    revokeSessions: "revoke sign-in sessions",
    resetPassword: "reset password",
    disableInboxRule: "disable inbox rule",
    clearForwarding: "clear mailbox forwarding",
    removeSendOnBehalf: "remove send-on-behalf delegate",
    removeFullAccess: "remove FullAccess delegate",
    removeSendAs: "remove SendAs delegate",
    removeFolderPermission: "remove folder delegate",
    disableLegacyProtocols: "turn off legacy mail protocols",
    removeMethod: "remove authentication method",
    revokeGrant: "revoke app consent grant",
    removeAppRoleAssignment: "remove app role assignment",
};

export function record(
    ctx: StepContext,
    action: Pick<Action, "step" | "kind" | "target">,
    result: EvidenceChange["result"],
    extra: { before?: unknown; after?: unknown; error?: string } = {},
): EvidenceChange {
    return recordChange(ctx, action.step, ACTION_WORDS[action.kind], action.target, result, extra);
}

/** Records a change described in words (release steps, which have no planned action). */
export function recordChange(
    ctx: StepContext,
    step: string,
    words: string,
    target: string,
    result: EvidenceChange["result"],
    extra: { before?: unknown; after?: unknown; error?: string } = {},
): EvidenceChange {
    const change: EvidenceChange = {
        step,
        action: words,
        target,
        ...(extra.before !== undefined ? { before: extra.before } : {}),
        ...(extra.after !== undefined ? { after: extra.after } : {}),
        result,
        at: ctx.now().toISOString(),
        ...(extra.error !== undefined ? { error: extra.error } : {}),
    };
    ctx.evidence.changes.push(change);
    return change;
}

/** One Graph write for one action; `gone` says a 404 means the work is already done. */
export interface GraphWrite {
    action: Action;
    request: GraphRequest;
    before?: unknown;
    after?: unknown;
    gone?: boolean;
}

/** Sends independent Graph writes in one round trip and records each result. */
export async function applyGraph(
    ctx: StepContext,
    writes: GraphWrite[],
    options: CallOptions = {},
): Promise<GraphReply[]> {
    if (writes.length === 0) return [];
    const replies = await ctx.tenant.graph(
        writes.map((w) => w.request),
        options,
    );
    writes.forEach((write, i) => {
        const reply = replies[i];
        if (reply.ok) {
            record(ctx, write.action, "changed", { before: write.before, after: write.after });
        } else if (write.gone && reply.status === 404) {
            record(ctx, write.action, "already", { before: write.before, after: "already gone" });
        } else {
            record(ctx, write.action, "failed", {
                before: write.before,
                error: reply.error ?? `HTTP ${reply.status}`,
            });
        }
    });
    return replies;
}

/** Runs one Exchange cmdlet for one or more actions and records each. */
export async function applyExchange(
    ctx: StepContext,
    actions: Array<{ action: Action; before?: unknown; after?: unknown }>,
    cmdlet: string,
    parameters: Record<string, unknown>,
    anchorMailbox: string,
    options: { notFoundIsDone?: boolean } = {},
): Promise<boolean> {
    let reply: ExchangeReply;
    try {
        reply = await ctx.tenant.exchange(cmdlet, parameters, anchorMailbox);
    } catch (error) {
        const notFound = (error as { notFound?: boolean }).notFound === true;
        for (const a of actions) {
            if (options.notFoundIsDone && notFound) {
                record(ctx, a.action, "already", { before: a.before, after: "already gone" });
            } else {
                record(ctx, a.action, "failed", {
                    before: a.before,
                    error: `${cmdlet}: ${errorText(error)}`,
                });
            }
        }
        return options.notFoundIsDone === true && notFound;
    }
    // Exchange answers a change that was already made with a warning and changes nothing.
    const noOp = reply.noOp || reply.warnings.some((w) => /isn't present|already present/i.test(w));
    for (const a of actions) {
        record(ctx, a.action, noOp ? "already" : "changed", { before: a.before, after: a.after });
    }
    return true;
}
