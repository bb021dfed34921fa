/**
 * The connection's logger hook. Callers (providers, CLI, tests) pass a function; the connection
 * reports retries, throttling waits and slow steps through it. Nothing is logged by default.
 *
 * Every message passes through `scrub` before it reaches the hook: the configured secrets, bearer
 * tokens and JSON `password`/`secret` values are replaced, so even a careless message built from
 * a request cannot leak them.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogEntry {
    level: LogLevel;
    message: string;
}

/** What callers pass. Must not throw; a throwing logger is ignored. */
export type ConnectionLogger = (entry: LogEntry) => void;

/** A logger with the secrets it must hide baked in. */
export interface SafeLogger {
    log(level: LogLevel, message: string): void;
}

/**
 * Wrap a caller's logger so that every message is scrubbed.
 *
 * @param logger The caller's hook; undefined logs nothing.
 * @param secrets Values that must never appear (client secret, certificate password).
 */
export function safeLogger(
    logger: ConnectionLogger | undefined,
    secrets: Array<string | undefined>,
): SafeLogger {
    const hidden = secrets.filter((s): s is string => typeof s === "string" && s.length > 0);
    return {
        log(level, message) {
            if (!logger) return;
            try {
                logger({ level, message: scrub(message, hidden) });
            } catch {
                // A logger must never break a containment step.
            }
        },
    };
}

/**
 * Remove secrets from a text: the given values, `Bearer <token>`, JWT-shaped strings, and the
 * values of JSON properties named like password, secret or token.
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join("[redacted]");
    out = out.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer [redacted]");
    out = out.replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, "[redacted-jwt]");
    out = out.replace(
        /("(?:[a-z]*password|[a-z]*secret|client_assertion|access_token|temporaryAccessPass)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
        '$1"[redacted]"',
    );
    return out;
}
