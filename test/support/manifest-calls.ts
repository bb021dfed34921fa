/**
 * Checks a local tenant's request log against the permission manifest: every Graph request and
 * `$batch` item must match a manifest operation (method, path and API version), and every
 * InvokeCommand must run a cmdlet the manifest lists.
 *
 * Why: the tenant grants exactly the manifest's permissions, which catches a call needing a
 * permission the manifest lacks, but not a call the manifest does not list whose permission it
 * happens to hold already (a new read covered by an existing ReadWrite). Such a call would work
 * in tests and be missing from docs/permissions.md and from the 403 advice.
 */
import type { RequestLogEntry } from "../../local-tenant/request-log";
import {
    exchangeRoleFor,
    findGraphOperations,
} from "../../dynamic-providers/connection/permissions";

const GRAPH = /^\/(v1\.0|beta)(\/.*)$/;
const EXCHANGE = /^\/adminapi\/beta\/[^/]+\/InvokeCommand$/i;
const IDENTITY = /^\/[^/]+\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/i;

/**
 * The calls in `entries` that the manifest does not list, each once, as `METHOD /path (why)`.
 * Token and OpenID configuration requests are not product calls and are skipped.
 */
export function callsOutsideManifest(entries: RequestLogEntry[]): string[] {
    const outside = new Set<string>();
    for (const entry of entries) {
        // 1. Identity: @azure/identity's own requests.
        if (IDENTITY.test(entry.path)) continue;

        // 2. Exchange: the cmdlet must be in the manifest.
        if (EXCHANGE.test(entry.path)) {
            if (!entry.cmdlet) outside.add(`POST ${entry.path} (InvokeCommand without a cmdlet)`);
            else if (!exchangeRoleFor(entry.cmdlet))
                outside.add(`Exchange ${entry.cmdlet} (no cmdlet row in the manifest)`);
            continue;
        }

        // 3. Graph: a manifest operation for this method and path, on this API version.
        const graph = GRAPH.exec(entry.path);
        if (!graph) {
            outside.add(`${entry.method} ${entry.path} (neither Graph nor the Exchange admin API)`);
            continue;
        }
        const version = graph[1] as "v1.0" | "beta";
        const operations = findGraphOperations(entry.method, entry.path);
        if (operations.length === 0) {
            outside.add(`${entry.method} ${entry.path} (no operation in the manifest)`);
        } else if (!operations.some((op) => (op.versions ?? ["v1.0"]).includes(version))) {
            const names = operations.map((op) => op.operation).join(", ");
            outside.add(`${entry.method} ${entry.path} (${names} is not listed for ${version})`);
        }
    }
    return [...outside];
}
