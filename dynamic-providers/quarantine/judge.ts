/**
 * The judgements containment makes about what it finds: which inbox rules hide or leak mail,
 * which delegates, methods and app grants go, and which stay because the responder allow-listed
 * them. Pure functions over the objects as Exchange and Graph return them, so each rule of
 * thumb is testable on its own and the playbook only acts on their answers.
 */
import type { QuarantineKeep } from "./inputs";

/**
 * Folders a user rarely opens: a rule moving mail there hides it from the user. (A list, not a
 * Set: Pulumi's closure serializer cannot carry a Set captured at module scope.)
 */
const RARELY_USED_FOLDERS = [
    "rssfeeds",
    "rsssubscriptions",
    "conversationhistory",
    "archive",
    "junkemail",
    "deleteditems",
    "notes",
    "syncissues",
    "conflicts",
    "outbox",
    "scheduled",
];

/** An inbox rule reduced to what containment judges it by. */
export interface RuleView {
    /** Exchange identity (or Graph id): what Disable-InboxRule takes. */
    identity: string;
    name: string;
    enabled: boolean;
    hidden: boolean;
    forwardsTo: string[];
    redirectsTo: string[];
    deletes: boolean;
    movesTo: string | null;
}

/** Reads a property case-insensitively (Exchange returns PascalCase, Graph camelCase). */
export function prop(obj: Record<string, unknown>, name: string): unknown {
    if (name in obj) return obj[name];
    const lower = name.toLowerCase();
    for (const key of Object.keys(obj)) {
        if (key.toLowerCase() === lower) return obj[key];
    }
    return undefined;
}

function asList(value: unknown): unknown[] {
    if (value === undefined || value === null || value === "") return [];
    return Array.isArray(value) ? value : [value];
}

/** An address from `"Name" [SMTP:x@y]`, `{emailAddress:{address}}` or a bare string. */
export function addressOf(value: unknown): string {
    if (value && typeof value === "object") {
        const email = prop(value as Record<string, unknown>, "emailAddress");
        if (email && typeof email === "object") {
            return String(prop(email as Record<string, unknown>, "address") ?? "").toLowerCase();
        }
        return String(prop(value as Record<string, unknown>, "address") ?? "").toLowerCase();
    }
    const text = String(value ?? "");
    const smtp = /smtp:([^\]\s]+)/i.exec(text);
    return (smtp ? smtp[1] : text).trim().toLowerCase();
}

/** Normalises an inbox rule from Get-InboxRule (Exchange) or messageRules (Graph). */
export function viewRule(rule: Record<string, unknown>): RuleView {
    const actions = (prop(rule, "actions") as Record<string, unknown> | undefined) ?? rule;
    const forwardsTo = [
        ...asList(prop(actions, "forwardTo")),
        ...asList(prop(actions, "forwardAsAttachmentTo")),
    ].map(addressOf);
    const redirectsTo = asList(prop(actions, "redirectTo")).map(addressOf);
    const deletes =
        prop(actions, "delete") === true ||
        prop(actions, "permanentDelete") === true ||
        prop(actions, "deleteMessage") === true ||
        prop(actions, "softDeleteMessage") === true;
    const move = prop(actions, "moveToFolder") ?? prop(actions, "copyToFolder");
    const enabledRaw = prop(rule, "enabled") ?? prop(rule, "isEnabled");
    return {
        identity: String(
            prop(rule, "identity") ??
                prop(rule, "ruleIdentity") ??
                prop(rule, "id") ??
                prop(rule, "name"),
        ),
        name: String(prop(rule, "name") ?? prop(rule, "displayName") ?? ""),
        enabled: enabledRaw !== false,
        hidden: prop(rule, "isHidden") === true || prop(rule, "hidden") === true,
        forwardsTo: forwardsTo.filter((a) => a !== ""),
        redirectsTo: redirectsTo.filter((a) => a !== ""),
        deletes,
        movesTo: move === undefined || move === null || move === "" ? null : String(move),
    };
}

/** Folder name without mailbox prefix, path or punctuation: "user:\RSS Feeds" -> "rssfeeds". */
export function folderKey(folder: string): string {
    const last =
        folder
            .split(/[\\/]/)
            .filter((p) => p !== "")
            .pop() ?? folder;
    return last
        .replace(/^.*:/, "")
        .replace(/[^a-z]/gi, "")
        .toLowerCase();
}

/**
 * Why a rule is dangerous, or null when it is not: forwarding or redirecting mail, deleting it,
 * or moving it into a folder the user rarely opens.
 */
export function ruleThreat(rule: RuleView): string | null {
    const reasons: string[] = [];
    if (rule.forwardsTo.length > 0) reasons.push(`forwards mail to ${rule.forwardsTo.join(", ")}`);
    if (rule.redirectsTo.length > 0)
        reasons.push(`redirects mail to ${rule.redirectsTo.join(", ")}`);
    if (rule.deletes) reasons.push("deletes mail");
    if (rule.movesTo !== null && RARELY_USED_FOLDERS.includes(folderKey(rule.movesTo))) {
        reasons.push(`moves mail to the rarely used folder "${rule.movesTo}"`);
    }
    return reasons.length > 0 ? reasons.join("; ") : null;
}

export function isKeptRule(rule: RuleView, keep: QuarantineKeep): boolean {
    const wanted = keep.inboxRules.map((k) => k.toLowerCase());
    return wanted.includes(rule.name.toLowerCase()) || wanted.includes(rule.identity.toLowerCase());
}

// ---- Mailbox delegates ----------------------------------------------------------------------

/** Principals that are the mailbox's own plumbing, never a delegate to remove. */
const SYSTEM_PRINCIPALS = /^(nt authority\\self|default|anonymous|s-1-5-)/i;

export function isSystemPrincipal(user: string): boolean {
    return SYSTEM_PRINCIPALS.test(user.trim());
}

/**
 * Whether a delegate (UPN, address, alias or Exchange identity) is on the allow-list. Matches
 * the whole value or the part before the @, as Exchange may show either.
 */
export function isKeptDelegate(user: string, keep: QuarantineKeep): boolean {
    const value = user.trim().toLowerCase();
    return keep.delegates.some((k) => {
        const kept = k.trim().toLowerCase();
        return kept === value || kept.split("@")[0] === value || value.split("@")[0] === kept;
    });
}

// ---- Authentication methods -----------------------------------------------------------------

/** `#microsoft.graph.fido2AuthenticationMethod` -> `fido2`. */
export function methodType(method: Record<string, unknown>): string {
    const odataType = String(method["@odata.type"] ?? "");
    return odataType.replace(/^#?microsoft\.graph\./, "").replace(/AuthenticationMethod$/, "");
}

/** The URL segment Graph uses to delete a method of this type. */
export function methodCollection(type: string): string | null {
    const collections: Record<string, string> = {
        fido2: "fido2Methods",
        microsoftAuthenticator: "microsoftAuthenticatorMethods",
        phone: "phoneMethods",
        email: "emailMethods",
        softwareOath: "softwareOathMethods",
        hardwareOath: "hardwareOathMethods",
        temporaryAccessPass: "temporaryAccessPassMethods",
        windowsHelloForBusiness: "windowsHelloForBusinessMethods",
        platformCredential: "platformCredentialMethods",
    };
    return collections[type] ?? null;
}

export function isKeptMethod(method: Record<string, unknown>, keep: QuarantineKeep): boolean {
    const id = String(method.id ?? "").toLowerCase();
    const type = methodType(method).toLowerCase();
    return keep.methods.some((k) => {
        const kept = k.trim().toLowerCase();
        return kept === id || kept === type;
    });
}

/**
 * Whether a method is the user's default MFA method, from the beta
 * `signInPreferences.userPreferredMethodForSecondaryAuthentication` value, so it can be removed
 * last. For phones the preference names the number (mobile, alternate mobile or office).
 */
export function isDefaultMethod(method: Record<string, unknown>, preferred: unknown): boolean {
    const type = methodType(method);
    const phoneType = String(method.phoneType ?? "");
    switch (String(preferred ?? "")) {
        case "push":
            return type === "microsoftAuthenticator";
        case "oath":
            return type === "softwareOath" || type === "hardwareOath";
        case "sms":
        case "voiceMobile":
            return type === "phone" && phoneType === "mobile";
        case "voiceAlternateMobile":
            return type === "phone" && phoneType === "alternateMobile";
        case "voiceOffice":
            return type === "phone" && phoneType === "office";
        case "fido2":
        case "passkey":
            return type === "fido2";
        default:
            return false;
    }
}

// ---- Apps ------------------------------------------------------------------------------------

export interface AppView {
    servicePrincipalId: string;
    appId?: string;
    displayName?: string;
}

export function isKeptApp(app: AppView, keep: QuarantineKeep): boolean {
    const names = [app.servicePrincipalId, app.appId, app.displayName]
        .filter((v): v is string => typeof v === "string" && v !== "")
        .map((v) => v.toLowerCase());
    return keep.apps.some((k) => names.includes(k.trim().toLowerCase()));
}
