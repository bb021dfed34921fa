/**
 * Break-glass (emergency access) accounts: the accounts every Conditional Access policy in the
 * baseline leaves out, so that a mistaken policy can never lock the last administrator out.
 *
 * Stack config lists them as object ids or user principal names, because a UPN is what an
 * operator knows. Conditional Access only accepts object ids in `excludeUsers`, so a UPN is
 * looked up once in Entra ID (`azuread.getUserOutput`) and its object id is used instead.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";

/** An Entra ID object id: a GUID in its canonical 8-4-4-4-12 form. */
export const OBJECT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A user principal name: `local@domain`, one @, a dotted domain, no spaces. Entra ID refuses
 * anything else as a UPN, so a value failing this is a typo, not an unusual account.
 */
export const UPN_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether a break-glass entry is an object id (true) or must be resolved as a UPN (false). */
export function isObjectId(entry: string): boolean {
    return OBJECT_ID_PATTERN.test(entry);
}

/** Whether a break-glass entry is usable at all: an object id or a UPN. */
export function isBreakGlassEntry(entry: string): boolean {
    return isObjectId(entry) || UPN_PATTERN.test(entry);
}

/**
 * Turn break-glass entries into the object ids Conditional Access needs.
 *
 * Object ids pass through unchanged (no lookup, so a stack whose app may not read users still
 * works). Each UPN becomes one `getUser` lookup parented to `parent`, so it shows under the
 * component that needed it. A UPN that does not exist fails the preview (azuread's own "user
 * not found" error, or ours if the lookup returns no object id), which is what we want: a
 * policy must never silently miss its exclusion.
 *
 * The result keeps the configured order and drops duplicates (an account listed both by UPN
 * and by id would otherwise appear twice in every policy and show as a permanent diff).
 */
export function resolveBreakGlassAccounts(
    entries: readonly string[],
    parent: pulumi.Resource,
): pulumi.Output<string[]> {
    const ids = entries.map((entry) => {
        if (isObjectId(entry)) {
            return pulumi.output(entry.toLowerCase());
        }
        return azuread
            .getUserOutput({ userPrincipalName: entry }, { parent })
            .apply((user) => objectIdOf(entry, user));
    });

    return pulumi.all(ids).apply((resolved) => [...new Set(resolved)]);
}

/**
 * The object id a `getUser` lookup found for a break-glass UPN. A lookup that found no id
 * throws instead of returning nothing, because an empty exclusion would apply every policy to
 * the emergency account.
 */
export function objectIdOf(upn: string, user: { objectId?: string }): string {
    if (!user.objectId) {
        throw new Error(
            `Break-glass account "${upn}" was not found in Entra ID. Fix: correct the UPN in ` +
                `bec-guard:breakGlassAccounts or list the account's object id.`,
        );
    }
    return user.objectId.toLowerCase();
}
