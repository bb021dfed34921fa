/**
 * How the pack compares accounts: Entra ID object ids and user principal names are both
 * case-insensitive, so every comparison goes through `normalizeAccount`.
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
