/**
 * How the pack names accounts: Entra ID object ids and user principal names are both
 * case-insensitive, so every comparison goes through `normalizeAccount`.
 *
 * A break-glass account has two names, its object id and its UPN, and the resources the pack
 * reads use one or the other: Conditional Access exclusions hold object ids, token protection
 * takes either, an incident file names a user either way. The pack can only match the two names
 * of one account if the config says they belong together, so a config entry may pair them:
 * `"<object id>|<upn>"` or `{ "id": "<object id>", "upn": "<upn>" }`. A bare id or a bare UPN
 * is an account known by that one name; the pack never lets one account's name stand in for
 * another's.
 */

/** An Entra ID object id: a GUID in its canonical 8-4-4-4-12 form. */
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user principal name: `local@domain`, one @, a dotted domain, no spaces. */
const UPN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether `value` is an Entra ID object id. */
export function isObjectId(value: string): boolean {
    return OBJECT_ID.test(value.trim());
}

/** Whether `value` looks like a user principal name. */
export function isUserPrincipalName(value: string): boolean {
    return UPN.test(value.trim());
}

/** The form used for comparisons: trimmed and lower case. */
export function normalizeAccount(value: string): string {
    return value.trim().toLowerCase();
}

/** A set of normalized accounts, for membership checks. */
export function accountSet(values: readonly string[]): Set<string> {
    return new Set(values.map(normalizeAccount));
}

/** A config entry naming one account: a bare id or UPN, `"id|upn"`, or `{ id, upn }`. */
export type AccountEntry = string | { id?: string; upn?: string };

/** One account of the config, with the names it is known by (normalized). */
export interface ConfiguredAccount {
    /** The object id, when the entry gives one. */
    id?: string;
    /** The user principal name, when the entry gives one. */
    upn?: string;
    /** How messages name it: `id`, `upn`, or `id (upn)`. */
    label: string;
}

/** The accounts a config lists, and the entries that name no account. */
export interface ParsedAccounts {
    accounts: ConfiguredAccount[];
    /** Entries that are neither an object id, a UPN nor a pair of both, as written. */
    invalid: string[];
}

/** Reads a break-glass list: every entry becomes one account, or is reported as invalid. */
export function parseAccounts(entries: readonly AccountEntry[]): ParsedAccounts {
    const accounts: ConfiguredAccount[] = [];
    const invalid: string[] = [];
    for (const entry of entries) {
        const account = parseEntry(entry);
        if (account) {
            accounts.push(account);
        } else {
            invalid.push(typeof entry === "string" ? entry : JSON.stringify(entry));
        }
    }
    return { accounts, invalid };
}

/** One entry as an account, or undefined when it names none. */
function parseEntry(entry: AccountEntry): ConfiguredAccount | undefined {
    // 1. The names the entry gives: one string, two joined by "|", or the object's fields (each
    //    in its own field: an id under "upn" is a mistake, not a UPN).
    let names: string[];
    if (typeof entry === "string") {
        names = entry.split("|").map((part) => part.trim());
    } else {
        const { id, upn } = entry ?? {};
        if (
            (id !== undefined && !isObjectId(id)) ||
            (upn !== undefined && !isUserPrincipalName(upn))
        ) {
            return undefined;
        }
        names = [id, upn].filter((name): name is string => name !== undefined);
    }

    // 2. At most one object id and one UPN, and nothing else.
    const ids = names.filter(isObjectId);
    const upns = names.filter(isUserPrincipalName);
    const wellFormed =
        names.length > 0 &&
        ids.length <= 1 &&
        upns.length <= 1 &&
        ids.length + upns.length === names.length;
    if (!wellFormed) {
        return undefined;
    }
    const id = ids.length > 0 ? normalizeAccount(ids[0]) : undefined;
    const upn = upns.length > 0 ? normalizeAccount(upns[0]) : undefined;
    const label = id && upn ? `${id} (${upn})` : (id ?? upn ?? "");
    return { id, upn, label };
}

/** Every name of every account, normalized: for "is this one of them" checks. */
export function namesOf(accounts: readonly ConfiguredAccount[]): Set<string> {
    const names = new Set<string>();
    for (const account of accounts) {
        for (const name of [account.id, account.upn]) {
            if (name !== undefined) {
                names.add(name);
            }
        }
    }
    return names;
}
