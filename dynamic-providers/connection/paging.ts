/**
 * Paging through Graph collections by following `@odata.nextLink`.
 *
 * A plain loop rather than the SDK's PageIterator: the loop returns typed arrays directly, keeps
 * per-page headers (ConsistencyLevel) on every page, refuses a nextLink that repeats or points to
 * another host (the SDK would send it without a token, or forever), bounds the number of pages,
 * and lets each page's failure surface as the `GraphRequestError` our middleware builds. The
 * PageIterator adds a callback protocol we do not need and drops custom headers after page one.
 */
import type { Client, GraphRequest } from "@microsoft/microsoft-graph-client";

/** A Graph collection page. */
export interface GraphPage<T> {
    value: T[];
    "@odata.nextLink"?: string;
    "@odata.count"?: number;
}

export interface PageOptions {
    /** API version for a path given as a string. Default: the client's (v1.0). */
    version?: "v1.0" | "beta";
    /** Headers for every page, e.g. `{ ConsistencyLevel: "eventual" }`. */
    headers?: Record<string, string>;
    /**
     * Stop with an error after this many pages. Default 1,000 (100,000 objects at $top=100):
     * a guard against a server that never stops, not a limit we expect to reach.
     */
    maxPages?: number;
}

/**
 * Every item of a collection, following `@odata.nextLink` to the end.
 *
 * @param client The Graph client (`createGraphClient(...).client`).
 * @param request A path (`/users/x/mailFolders/inbox/messageRules`) or a prepared request
 *   (`client.api(...).select([...]).filter(...)`) for the first page.
 * @param options Version, headers, page bound.
 * @returns All items in service order.
 * @throws GraphRequestError when a page fails; Error when paging does not terminate.
 */
export async function pageAll<T>(
    client: Client,
    request: string | GraphRequest,
    options: PageOptions = {},
): Promise<T[]> {
    const items: T[] = [];
    for await (const page of iteratePages<T>(client, request, options)) items.push(...page);
    return items;
}

/**
 * The pages of a collection one at a time (stop early by breaking out of the loop).
 *
 * @param client, request, options As for `pageAll`.
 */
export async function* iteratePages<T>(
    client: Client,
    request: string | GraphRequest,
    options: PageOptions = {},
): AsyncGenerator<T[]> {
    const maxPages = options.maxPages ?? 1000;
    const seen = new Set<string>();

    // 1. The first page, from a path or a prepared request.
    let first = typeof request === "string" ? client.api(request) : request;
    if (typeof request === "string" && options.version) first = first.version(options.version);
    let page = (await withHeaders(first, options.headers).get()) as GraphPage<T>;
    let firstHost: string | undefined;

    // 2. Follow nextLinks, refusing loops and foreign hosts.
    for (let count = 1; ; count++) {
        yield Array.isArray(page.value) ? page.value : [];
        const next = page["@odata.nextLink"];
        if (!next) return;
        const host = new URL(next).host;
        firstHost ??= host;
        if (host !== firstHost) {
            throw new Error(
                `Graph paging stopped: @odata.nextLink moved to another host (${host}).`,
            );
        }
        if (seen.has(next)) {
            throw new Error(
                `Graph paging stopped: @odata.nextLink repeated a page (${new URL(next).pathname}).`,
            );
        }
        if (count >= maxPages) {
            throw new Error(
                `Graph paging stopped after ${maxPages} pages of ${new URL(next).pathname}; ` +
                    `narrow the query ($filter, $top) or raise maxPages.`,
            );
        }
        seen.add(next);
        page = (await withHeaders(client.api(next), options.headers).get()) as GraphPage<T>;
    }
}

function withHeaders(request: GraphRequest, headers?: Record<string, string>): GraphRequest {
    return headers ? request.headers(headers) : request;
}
