/**
 * The names a quarantine knows its user by.
 *
 * The incident file names the user once, by UPN or by object id (`user`). The Quarantine
 * resolves the user when it contains them and records both names as outputs (`userId`,
 * `userPrincipalName`). Where those outputs reach the pack (the stack view of a quarantine
 * already in the stack), a policy can match the user by either name; where they do not (a
 * new quarantine, or a resource check, which the engine hands the inputs only), only the
 * incident file's name is known.
 */
import { isObjectId, isUserPrincipalName, normalizeAccount } from "./identity";
import { isUnknown, PreviewUnknowns } from "./unknowns";

export interface QuarantinedUser {
    /** The incident file's `user`, normalized; undefined when missing or not text. */
    user?: string;
    /** The incident file's `user` as written, for messages. */
    written?: string;
    /** Whether `user` is unknown in this preview. */
    userUnknown: boolean;
    /** The user's object id: the `userId` output, or `user` when that is an object id. */
    id?: string;
    /** The user's UPN: the `userPrincipalName` output, or `user` when that is a UPN. */
    upn?: string;
    /** Every known name, for matching. */
    names: Set<string>;
}

/**
 * Reads a quarantine's user. `user` goes through `unknowns` (an unknown user is something the
 * policy must say it could not check); the outputs are read on the side, since their absence
 * or unknown value only means "not resolved yet".
 */
export function quarantinedUser(
    props: Record<string, any>,
    unknowns: PreviewUnknowns,
): QuarantinedUser {
    // 1. The incident file's name for the user.
    const raw = unknowns.read((): unknown => props.user);
    const userUnknown = isUnknown(raw);
    const user = typeof raw === "string" && raw.trim() !== "" ? normalizeAccount(raw) : undefined;

    // 2. The resolved names, when the quarantine has run and its outputs are known here.
    const outputs = new PreviewUnknowns();
    const output = (read: () => unknown): string | undefined => {
        const value = outputs.read(read);
        return typeof value === "string" && value.trim() !== ""
            ? normalizeAccount(value)
            : undefined;
    };
    const userId = output(() => props.userId);
    const userPrincipalName = output(() => props.userPrincipalName);

    // 3. Both names, from wherever they are known.
    const id = userId ?? (user !== undefined && isObjectId(user) ? user : undefined);
    const upn =
        userPrincipalName ?? (user !== undefined && isUserPrincipalName(user) ? user : undefined);
    const names = new Set([user, id, upn].filter((name): name is string => name !== undefined));
    const written = typeof raw === "string" ? raw.trim() : undefined;
    return { user, written, userUnknown, id, upn, names };
}
