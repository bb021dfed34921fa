/**
 * What a quarantine would change, worked out from the tenant as it is now, without changing
 * anything: the list a reviewer reads on the pull request that adds an incident file.
 *
 * Pulumi's own preview shows the Quarantine resources and their inputs; it cannot show which
 * inbox rules, methods, grants and delegates containment will find, because the provider does
 * not read the tenant at preview time. This does, with the same reads and the same judgements
 * as containment itself (steps 1 and 2, then the plan), and only reads.
 */
import type { QuarantineInputs } from "./inputs";
import { planContainment, unreadForSteps } from "./plan";
import { isRefusal, refuseIfProtected } from "./playbook";
import { ACTION_WORDS } from "./steps/apply";
import { readApps, readTenant } from "./steps/snapshot";
import type { TenantApi } from "./tenant";

/** One user's preview. */
export interface ContainmentPreview {
    user: string;
    incident: string;
    /**
     * `contain` or `release`; `refuse` when containment would stop before any change;
     * `unreadable` when the user could not be read at all.
     */
    outcome: "contain" | "release" | "refuse" | "unreadable";
    /** Why it would refuse, or what could not be read (so the list may be incomplete). */
    notes: string[];
    /** What containment would change, one action per object, in playbook order. */
    actions: Array<{ step: string; what: string }>;
}

/**
 * Reads the tenant for one quarantine and lists what containment (or release) would do.
 * Sends only reads: Graph GETs and Exchange Get- cmdlets.
 */
export async function previewContainment(
    tenant: TenantApi,
    inputs: QuarantineInputs,
    breakGlassAccounts: readonly string[],
    now: () => Date = () => new Date(),
): Promise<ContainmentPreview> {
    const preview: ContainmentPreview = {
        user: inputs.user,
        incident: inputs.incident,
        outcome: inputs.state === "released" ? "release" : "contain",
        notes: [],
        actions: [],
    };

    // 1. The same reads and refusals as containment's first steps.
    const [view, caller] = await Promise.all([
        readTenant(tenant, inputs.user, now, inputs.keep.delegates),
        tenant.callerObjectId(),
    ]);
    try {
        refuseIfProtected(view, inputs, breakGlassAccounts, caller);
    } catch (error) {
        preview.outcome = isRefusal(error) ? "refuse" : "unreadable";
        preview.notes.push((error as Error).message);
        return preview;
    }

    // 2. Release: enabling, revoking again and a Temporary Access Pass; nothing else changes.
    if (inputs.state === "released") {
        preview.actions.push(
            { step: "R", what: "enable the account" },
            { step: "R", what: "revoke sign-in sessions again" },
            { step: "R", what: "issue a one-time Temporary Access Pass (secret output)" },
        );
        return preview;
    }

    // 3. Containment: the plan on what is there now, with the app names for the allow-list.
    const apps = await readApps(tenant, [
        ...(view.grants ?? []).map((g) => String(g.clientId)),
        ...(view.appRoleAssignments ?? []).map((a) => String(a.resourceId)),
    ]);
    for (const action of planContainment(view, inputs, apps, false)) {
        const byHand =
            action.kind === "removeMethod" && action.collection === null
                ? " (no Graph API removes this type: a person must, or containment stays partial)"
                : "";
        preview.actions.push({
            step: action.step,
            what: `${ACTION_WORDS[action.kind]}: ${action.why}${byHand}`,
        });
    }
    for (const unread of unreadForSteps(view, inputs)) {
        preview.notes.push(`Could not read ${unread.what} (${unread.error}); the list is partial.`);
    }
    return preview;
}

/** A preview as lines of Markdown, for a pull request comment or a terminal. */
export function previewMarkdown(previews: ContainmentPreview[]): string {
    const lines: string[] = [];
    for (const p of previews) {
        const heading = {
            refuse: "would be refused; nothing would change",
            unreadable: "could not be read",
            release: "would be released",
            contain: `would be contained: ${p.actions.length} change(s)`,
        }[p.outcome];
        lines.push(`### ${p.incident}: ${p.user} ${heading}`, "");
        for (const a of p.actions) lines.push(`- step ${a.step}: ${a.what}`);
        for (const n of p.notes) lines.push(`- note: ${n}`);
        lines.push("");
    }
    lines.push(
        "_Read from the tenant now, changing nothing; `pulumi up` acts on what it finds then._",
    );
    return lines.join("\n");
}
