/**
 * The judgements containment makes about what it finds: which inbox rules hide or leak mail,
 * which delegates, methods and app grants go, and which stay because the responder allow-listed
 * them. Pure functions over the objects as Exchange and Graph return them, so each rule of
 * thumb is testable on its own and the playbook only acts on their answers.
 */
import type { QuarantineKeep } from "./inputs";

/**
 * Folders a user rarely opens: a rule moving mail there hides it from the user. The names are
 * folded as `folderKey` folds them, in English and in the mailbox languages most often met
 * (German, French, Spanish, Portuguese, Italian, Dutch). A mailbox in another language is still
 * judged by the other signs: a folder named with no letters, or mail marked as read on the way.
 * (A list, not a Set: Pulumi's closure serializer cannot carry a Set captured at module scope.)
 */
const RARELY_USED_FOLDERS = [
    // RSS Feeds / RSS Subscriptions
    "rssfeeds",
    "rsssubscriptions",
    "fluxrss",
    "fuentesrss",
    "feedsrss",
    "feedrss",
    // Archive
    "archive",
    "archiv",
    "archives",
    "archivo",
    "arquivo",
    "archivio",
    "archief",
    // Conversation History
    "conversationhistory",
    "unterhaltungsverlauf",
    "historiquedesconversations",
    "historialdeconversaciones",
    "historicodeconversas",
    "cronologiaconversazioni",
    "gespreksgeschiedenis",
    // Junk Email
    "junkemail",
    "junk",
    "courrierindesirable",
    "correonodeseado",
    "lixoeletronico",
    "postaindesiderata",
    "ongewenstemail",
    // Deleted Items
    "deleteditems",
    "geloschteelemente",
    "elementssupprimes",
    "elementoseliminados",
    "itensexcluidos",
    "posteliminata",
    "verwijderdeitems",
    // Folders no one reads mail in
    "notes",
    "syncissues",
    "conflicts",
    "localfailures",
    "serverfailures",
    "outbox",
    "scheduled",
    "clutter",
    "recoverableitemsdeletions",
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
    /** Phone numbers sent a text message for each matching mail (Exchange only). */
    textsTo: string[];
    deletes: boolean;
    movesTo: string | null;
    marksAsRead: boolean;
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
    const textsTo = asList(prop(actions, "sendTextMessageNotificationTo")).map(addressOf);
    const deletes =
        prop(actions, "delete") === true ||
        prop(actions, "permanentDelete") === true ||
        prop(actions, "deleteMessage") === true ||
        prop(actions, "softDeleteMessage") === true;
    // A copy leaves the message in the Inbox, so only a move can hide it.
    const move = prop(actions, "moveToFolder");
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
        textsTo: textsTo.filter((a) => a !== ""),
        deletes,
        movesTo: move === undefined || move === null || move === "" ? null : String(move),
        marksAsRead: prop(actions, "markAsRead") === true,
    };
}

/**
 * One folder name folded for comparison: no mailbox prefix, accents, spaces or punctuation,
 * lower case ("MeganB:\\RSS Feeds" -> "rssfeeds", "Gelöschte Elemente" -> "geloschteelemente").
 */
export function folderKey(folder: string): string {
    const last = folderPath(folder).pop() ?? folder;
    return foldName(last);
}

/** The segments of a folder path as Exchange or Graph writes it, mailbox prefix dropped. */
function folderPath(folder: string): string[] {
    return folder
        .replace(/^[^\\/]*:(?=[\\/]|$)/, "")
        .split(/[\\/]/)
        .filter((p) => p.trim() !== "");
}

function foldName(name: string): string {
    return name
        .normalize("NFD")
        .replace(/[^\p{L}\p{N}]/gu, "")
        .toLowerCase();
}

/** A name with no letter or digit in it (".", "..", "-"): attackers name rules and folders so. */
function isBlankName(name: string): boolean {
    return foldName(name) === "";
}

/**
 * Why a rule is dangerous, or null when it is not: forwarding, redirecting or texting mail out,
 * deleting it, or hiding it: moving it into a folder the user rarely opens (at any depth), into
 * a folder named with no letters, or out of the Inbox already marked as read. A rule with such a
 * blank name that moves or marks mail is judged the attacker's too.
 */
export function ruleThreat(rule: RuleView): string | null {
    const reasons: string[] = [];
    if (rule.forwardsTo.length > 0) reasons.push(`forwards mail to ${rule.forwardsTo.join(", ")}`);
    if (rule.redirectsTo.length > 0)
        reasons.push(`redirects mail to ${rule.redirectsTo.join(", ")}`);
    if (rule.textsTo.length > 0) reasons.push(`texts mail alerts to ${rule.textsTo.join(", ")}`);
    if (rule.deletes) reasons.push("deletes mail");
    if (rule.movesTo !== null) {
        const segments = folderPath(rule.movesTo);
        if (segments.some((s) => RARELY_USED_FOLDERS.includes(foldName(s)))) {
            reasons.push(`moves mail to the rarely used folder "${rule.movesTo}"`);
        } else if (segments.some(isBlankName)) {
            reasons.push(`moves mail to "${rule.movesTo}", a folder named to go unnoticed`);
        } else if (rule.marksAsRead) {
            reasons.push(`moves mail to "${rule.movesTo}" marked as read, so it goes unseen`);
        }
    }
    if (reasons.length === 0 && isBlankName(rule.name) && (rule.movesTo || rule.marksAsRead)) {
        reasons.push(`is named "${rule.name}", as attackers name rules, and hides mail`);
    }
    return reasons.length > 0 ? reasons.join("; ") : null;
}

export function isKeptRule(rule: RuleView, keep: QuarantineKeep): boolean {
    const wanted = keep.inboxRules.map((k) => k.toLowerCase());
    return wanted.includes(rule.name.toLowerCase()) || wanted.includes(rule.identity.toLowerCase());
}

// ---- Mailbox delegates ----------------------------------------------------------------------

/**
 * Principals that are the mailbox's own plumbing, never a delegate to remove: the whole name,
 * so a delegate called "defaultuser@..." is not mistaken for the Default entry.
 */
const SYSTEM_PRINCIPALS = /^(nt authority\\self|default|anonymous)$|^s-1-5-/i;

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

/** Whether an app is allow-listed, by appId or service principal object id (never by name). */
export function isKeptApp(app: AppView, keep: QuarantineKeep): boolean {
    const ids = [app.servicePrincipalId, app.appId]
        .filter((v): v is string => typeof v === "string" && v !== "")
        .map((v) => v.toLowerCase());
    return keep.apps.some((k) => ids.includes(k.trim().toLowerCase()));
}
