/**
 * Evidence: everything containment found, as it was when first seen, and every change it made,
 * with times. Nothing is lost: a later snapshot only adds objects not seen before, so the
 * original of an inbox rule disabled by an earlier (perhaps crashed) run is kept as found.
 *
 * Evidence holds no secret: never a password, never a Temporary Access Pass code.
 */

/** One object as first seen in the tenant. */
export interface FoundItem {
    /** Stable key within its kind (object id, rule identity, "FullAccess:attacker@x"). */
    key: string;
    /** When this object was first read. */
    seenAt: string;
    /** The object exactly as Graph or Exchange returned it. */
    object: Record<string, unknown>;
}

/** The kinds of object a quarantine records. */
export type FoundKind =
    | "user"
    | "mailbox"
    | "casMailbox"
    | "inboxRules"
    | "mailboxPermissions"
    | "recipientPermissions"
    | "sendOnBehalf"
    | "folderPermissions"
    | "authenticationMethods"
    | "signInPreferences"
    | "oauth2PermissionGrants"
    | "tenantWideGrants"
    | "appRoleAssignments"
    | "servicePrincipals";

export const FOUND_KINDS: readonly FoundKind[] = [
    "user",
    "mailbox",
    "casMailbox",
    "inboxRules",
    "mailboxPermissions",
    "recipientPermissions",
    "sendOnBehalf",
    "folderPermissions",
    "authenticationMethods",
    "signInPreferences",
    "oauth2PermissionGrants",
    "tenantWideGrants",
    "appRoleAssignments",
    "servicePrincipals",
];

/** One change made (or found already made, or attempted and failed). */
export interface EvidenceChange {
    /** The playbook step: 3 cut off, 4 password, 5 mailbox, 6 methods, 7 apps, R release. */
    step: string;
    /** What was done, in an operator's words ("disable inbox rule"). */
    action: string;
    /** What it was done to: `<kind>:<key>`, matching a FoundItem. */
    target: string;
    /** The value or object before the change (never a secret). */
    before?: unknown;
    /** The value after the change, when it is a value (never a secret). */
    after?: unknown;
    result: "changed" | "already" | "failed";
    /** When the tenant confirmed the change (or the failure). */
    at: string;
    /** For failures: what the service said, with its code and request id. */
    error?: string;
}

export interface Evidence {
    incident: string;
    userId: string;
    userPrincipalName: string;
    firstSnapshotAt: string;
    lastSnapshotAt: string;
    found: Record<FoundKind, FoundItem[]>;
    changes: EvidenceChange[];
    /** Evidence that could not be read, and why (a snapshot gap is never silent). */
    gaps: string[];
}

export function emptyEvidence(incident: string, userId: string, upn: string, at: string): Evidence {
    return {
        incident,
        userId,
        userPrincipalName: upn,
        firstSnapshotAt: at,
        lastSnapshotAt: at,
        found: Object.fromEntries(FOUND_KINDS.map((k) => [k, []])) as unknown as Record<
            FoundKind,
            FoundItem[]
        >,
        changes: [],
        gaps: [],
    };
}

/**
 * Records objects seen now. Objects already recorded keep their first version (the original);
 * objects seen for the first time are added with this time.
 */
export function recordFound(
    evidence: Evidence,
    kind: FoundKind,
    objects: Array<{ key: string; object: Record<string, unknown> }>,
    at: string,
): void {
    const list = evidence.found[kind];
    for (const { key, object } of objects) {
        if (!list.some((item) => item.key === key)) {
            list.push({ key, seenAt: at, object });
        }
    }
    evidence.lastSnapshotAt = at;
}

/** The original (first seen) version of an object, if recorded. */
export function original(
    evidence: Evidence,
    kind: FoundKind,
    key: string,
): Record<string, unknown> | undefined {
    return evidence.found[kind].find((item) => item.key === key)?.object;
}

/**
 * Joins two evidence records of the same quarantine (for example the one in state and the one
 * in the local journal after a crash): first-seen objects win, changes and gaps are unioned.
 */
export function mergeEvidence(a: Evidence, b: Evidence | undefined): Evidence {
    if (!b) return a;
    const merged: Evidence = JSON.parse(JSON.stringify(a));
    merged.firstSnapshotAt = earliest(a.firstSnapshotAt, b.firstSnapshotAt);
    merged.lastSnapshotAt =
        a.lastSnapshotAt > b.lastSnapshotAt ? a.lastSnapshotAt : b.lastSnapshotAt;
    for (const kind of FOUND_KINDS) {
        const byKey = new Map<string, FoundItem>();
        for (const item of [...(b.found[kind] ?? []), ...(a.found[kind] ?? [])]) {
            const seen = byKey.get(item.key);
            if (!seen || item.seenAt < seen.seenAt) byKey.set(item.key, item);
        }
        merged.found[kind] = [...byKey.values()].sort((x, y) => x.seenAt.localeCompare(y.seenAt));
    }
    const changeKey = (c: EvidenceChange) => `${c.at}|${c.action}|${c.target}|${c.result}`;
    const changes = new Map<string, EvidenceChange>();
    for (const c of [...b.changes, ...a.changes]) changes.set(changeKey(c), c);
    merged.changes = [...changes.values()].sort((x, y) => x.at.localeCompare(y.at));
    merged.gaps = [...new Set([...b.gaps, ...a.gaps])];
    return merged;
}

function earliest(x: string, y: string): string {
    return x < y ? x : y;
}
