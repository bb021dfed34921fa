/**
 * The inputs of a quarantine: their defaults, and the checks that refuse bad input at preview
 * time (the provider's `check`, and the incident-file loader) with a message that names the
 * field, the value and the fix. Pure functions: no tenant calls, no clock except `now`.
 */

/** Which containment steps run. Every switch is on unless the incident turns it off. */
export interface QuarantineSteps {
    disableAccount: boolean;
    revokeSessions: boolean;
    resetPassword: boolean;
    disableInboxRules: boolean;
    clearMailboxForwarding: boolean;
    removeDelegates: boolean;
    disableLegacyProtocols: boolean;
    removeAuthenticationMethods: boolean;
    revokeAppAccess: boolean;
}

/** What containment must leave alone, because the responder knows it is the user's own. */
export interface QuarantineKeep {
    /** Apps: appId or service principal object id (never a display name: names repeat). */
    apps: string[];
    /** Authentication methods: method id, or a method type such as `fido2`. */
    methods: string[];
    /** Inbox rules: rule name or Exchange identity. */
    inboxRules: string[];
    /** Mailbox delegates: UPN, SMTP address or Exchange identity. */
    delegates: string[];
}

export type QuarantineState = "contained" | "released";

/** The inputs after defaults are applied: what the playbook works from. */
export interface QuarantineInputs {
    /** The resource's own name, used to prefix progress lines (the host has no URN). */
    name: string;
    user: string;
    incident: string;
    reason: string;
    compromisedSince: string;
    approvedBy: string;
    state: QuarantineState;
    steps: QuarantineSteps;
    keep: QuarantineKeep;
}

export const STEP_NAMES: ReadonlyArray<keyof QuarantineSteps> = [
    "disableAccount",
    "revokeSessions",
    "resetPassword",
    "disableInboxRules",
    "clearMailboxForwarding",
    "removeDelegates",
    "disableLegacyProtocols",
    "removeAuthenticationMethods",
    "revokeAppAccess",
];

export const KEEP_NAMES: ReadonlyArray<keyof QuarantineKeep> = [
    "apps",
    "methods",
    "inboxRules",
    "delegates",
];

/** Input fields a quarantine accepts (the loader refuses any other field in an incident file). */
export const INPUT_FIELDS = [
    "user",
    "incident",
    "reason",
    "compromisedSince",
    "approvedBy",
    "state",
    "steps",
    "keep",
] as const;

/** One refused field, in the shape of a Pulumi CheckFailure. */
export interface InputFailure {
    property: string;
    reason: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A user principal name: local part (Entra allows letters, digits and ' . - _ ! # ^ ~), one @,
// a domain with a dot. Guest UPNs carry #EXT#.
const UPN = /^[A-Za-z0-9._%+'#!^~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

const INCIDENT_ID = /^[A-Za-z][A-Za-z0-9._-]{1,63}$/;

/** How far ahead of this machine's clock a compromise start may be (clock skew). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export function isObjectId(value: string): boolean {
    return GUID.test(value);
}

export function isUserPrincipalName(value: string): boolean {
    return UPN.test(value);
}

/**
 * Checks raw inputs (as the engine or an incident file gives them) and returns every failure.
 *
 * @param raw The new inputs.
 * @param now The current time (compromise starts in the future are refused).
 * @param breakGlassAccounts Object ids or UPNs from `bec-guard:breakGlassAccounts`.
 * @param olds The previous inputs when the quarantine already exists (the user cannot change).
 */
export function validateInputs(
    raw: Record<string, unknown>,
    now: Date,
    breakGlassAccounts: string[] = [],
    olds?: Record<string, unknown>,
): InputFailure[] {
    const failures: InputFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });

    // 1. The user: a UPN or an object id, never a break-glass account, fixed once contained.
    const user = raw.user;
    if (typeof user !== "string" || user.trim() === "") {
        fail(
            "user",
            `user is ${show(user)}. Fix: set it to the UPN (name@domain) or the object id of the user to contain.`,
        );
    } else if (!isUserPrincipalName(user) && !isObjectId(user)) {
        fail(
            "user",
            `user ${show(user)} is neither a user principal name (name@domain) nor an object id (GUID). Fix: copy the UPN or object id from the user's Entra ID page.`,
        );
    } else {
        const lowered = user.toLowerCase();
        if (breakGlassAccounts.some((b) => b.toLowerCase() === lowered)) {
            fail(
                "user",
                `user ${show(user)} is a break-glass account (bec-guard:breakGlassAccounts). BEC Guard never quarantines emergency-access accounts. Fix: contain it by hand, or remove it from breakGlassAccounts after rotating its credentials.`,
            );
        }
        const oldUser = olds?.user;
        if (typeof oldUser === "string" && oldUser.toLowerCase() !== lowered) {
            fail(
                "user",
                `user changed from ${show(oldUser)} to ${show(user)}. A quarantine holds one user's evidence. Fix: release this quarantine and add a new entry for the other user.`,
            );
        }
    }

    // 2. Incident, reason and approver: the audit trail of who decided what and why.
    if (typeof raw.incident !== "string" || !INCIDENT_ID.test(raw.incident)) {
        fail(
            "incident",
            `incident is ${show(raw.incident)}. Fix: use the ticket id, 2 to 64 letters, digits, '.', '_' or '-', starting with a letter (for example INC-2041).`,
        );
    }
    if (typeof raw.reason !== "string" || raw.reason.trim().length < 3) {
        fail(
            "reason",
            `reason is ${show(raw.reason)}. Fix: say in a sentence why the user is contained (it is kept with the evidence).`,
        );
    } else if (raw.reason.length > 1000) {
        fail(
            "reason",
            `reason is ${raw.reason.length} characters long. Fix: keep it under 1000 characters and link the ticket for the rest.`,
        );
    }
    if (typeof raw.approvedBy !== "string" || raw.approvedBy.trim() === "") {
        fail(
            "approvedBy",
            `approvedBy is ${show(raw.approvedBy)}. Fix: name the person who approved the containment (their UPN), so the change has an accountable approver.`,
        );
    } else if (!isUserPrincipalName(raw.approvedBy)) {
        fail(
            "approvedBy",
            `approvedBy ${show(raw.approvedBy)} is not a user principal name. Fix: use the approver's UPN (name@domain).`,
        );
    } else if (typeof user === "string" && raw.approvedBy.toLowerCase() === user.toLowerCase()) {
        fail(
            "approvedBy",
            `approvedBy ${show(raw.approvedBy)} is the user being contained. Fix: a different person must approve.`,
        );
    }

    // 3. When the compromise started: a real time, with a zone, not in the future.
    const since = raw.compromisedSince;
    if (
        typeof since !== "string" ||
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(since) ||
        Number.isNaN(Date.parse(since))
    ) {
        fail(
            "compromisedSince",
            `compromisedSince is ${show(since)}. Fix: give an ISO 8601 time with a zone, for example 2026-11-28T09:14:00Z (the first suspicious sign-in).`,
        );
    } else if (Date.parse(since) > now.getTime() + CLOCK_SKEW_MS) {
        fail(
            "compromisedSince",
            `compromisedSince ${since} is in the future (now is ${now.toISOString()}). Fix: use the time of the first suspicious sign-in, which has already happened.`,
        );
    }

    // 4. State: contained or released, nothing else.
    if (raw.state !== undefined && raw.state !== "contained" && raw.state !== "released") {
        fail(
            "state",
            `state is ${show(raw.state)}. Fix: use "contained" (the default) or "released".`,
        );
    }

    // 5. Step switches: known names, booleans.
    checkObjectOf(raw.steps, "steps", STEP_NAMES as readonly string[], fail, (key, value) => {
        if (typeof value !== "boolean") {
            fail(`steps.${key}`, `steps.${key} is ${show(value)}. Fix: use true or false.`);
        }
    });

    // 6. Allow-lists: known names, lists of non-empty strings. Apps by id only: display names
    //    are not unique, and an attacker's app can take the name of one the user trusts.
    checkObjectOf(raw.keep, "keep", KEEP_NAMES as readonly string[], fail, (key, value) => {
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.trim() === "")) {
            fail(
                `keep.${key}`,
                `keep.${key} is ${show(value)}. Fix: give a list of non-empty strings, for example ["${exampleFor(key)}"].`,
            );
        } else if (key === "apps") {
            for (const app of value as string[]) {
                if (isObjectId(app.trim())) continue;
                fail(
                    "keep.apps",
                    `keep.apps entry ${show(app)} is not an appId or service principal object id. Display names are not unique, and a malicious app can copy a trusted one's. Fix: use the app's Application ID (Entra admin center > Enterprise applications > the app).`,
                );
            }
        }
    });

    return failures;
}

/** Applies defaults: state contained, every step on, empty allow-lists. Assumes valid input. */
export function withDefaults(raw: Record<string, unknown>, name: string): QuarantineInputs {
    const steps = (raw.steps ?? {}) as Partial<QuarantineSteps>;
    const keep = (raw.keep ?? {}) as Partial<QuarantineKeep>;
    return {
        name,
        user: String(raw.user),
        incident: String(raw.incident),
        reason: String(raw.reason),
        compromisedSince: String(raw.compromisedSince),
        approvedBy: String(raw.approvedBy),
        state: raw.state === "released" ? "released" : "contained",
        steps: Object.fromEntries(
            STEP_NAMES.map((s) => [s, steps[s] === undefined ? true : steps[s]]),
        ) as unknown as QuarantineSteps,
        keep: Object.fromEntries(
            KEEP_NAMES.map((k) => [k, [...(keep[k] ?? [])]]),
        ) as unknown as QuarantineKeep,
    };
}

/** Reads the break-glass list from config, which arrives as a JSON list or a comma list. */
export function parseAccountList(value: unknown): string[] {
    if (value === undefined || value === null || value === "") return [];
    if (Array.isArray(value)) return value.map(String).filter((v) => v.trim() !== "");
    const text = String(value).trim();
    if (text.startsWith("[")) {
        try {
            const parsed = JSON.parse(text);
            if (Array.isArray(parsed)) return parsed.map(String).filter((v) => v.trim() !== "");
        } catch {
            // Not JSON after all: fall through to the comma-separated form.
        }
    }
    return text
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
}

function checkObjectOf(
    value: unknown,
    field: string,
    known: readonly string[],
    fail: (property: string, reason: string) => void,
    each: (key: string, value: unknown) => void,
): void {
    if (value === undefined) return;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        fail(field, `${field} is ${show(value)}. Fix: give a map with any of ${known.join(", ")}.`);
        return;
    }
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (!known.includes(key)) {
            fail(
                `${field}.${key}`,
                `${field}.${key} is not a known field. Fix: use one of ${known.join(", ")} (check the spelling).`,
            );
        } else {
            each(key, v);
        }
    }
}

function exampleFor(key: string): string {
    switch (key) {
        case "apps":
            return "3851b138-00e2-45bd-a69c-1f5115153382";
        case "methods":
            return "fido2";
        case "inboxRules":
            return "Newsletters to Archive";
        default:
            return "assistant@contoso.com";
    }
}

/** A value as it should appear in a message: quoted strings, JSON for the rest. */
export function show(value: unknown): string {
    if (value === undefined) return "missing";
    if (typeof value === "string") return JSON.stringify(value);
    try {
        return JSON.stringify(value);
    } catch {
        return String(value);
    }
}
