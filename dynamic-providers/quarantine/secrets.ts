/**
 * The one secret containment makes: the new password. It is generated here, handed to the one
 * request that sets it, and never returned, logged or stored.
 */
import * as crypto from "crypto";

const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER = "abcdefghijkmnopqrstuvwxyz";
const DIGITS = "23456789";
const SYMBOLS = "!#%*+-=?@^_~";
const ALL = UPPER + LOWER + DIGITS + SYMBOLS;

/**
 * A random password that meets Entra ID's complexity rules (three of four character classes,
 * 8 to 256 characters): 32 characters from all four classes, drawn with a CSPRNG.
 */
export function randomPassword(length = 32): string {
    // One of each class guarantees complexity; the rest come from the whole alphabet.
    const chars = [UPPER, LOWER, DIGITS, SYMBOLS].map(pick);
    while (chars.length < length) chars.push(pick(ALL));

    // Shuffle so the guaranteed characters are not always first (Fisher-Yates, CSPRNG).
    for (let i = chars.length - 1; i > 0; i--) {
        const j = crypto.randomInt(i + 1);
        [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    return chars.join("");
}

function pick(alphabet: string): string {
    return alphabet[crypto.randomInt(alphabet.length)];
}
