/**
 * Paging through Graph collections by following `@odata.nextLink`.
 *
 * A plain loop rather than the SDK's PageIterator: the loop returns typed arrays directly, keeps
 * per-page headers (ConsistencyLevel) on every page, refuses a nextLink that repeats or leaves
 * the configured Graph endpoint (the SDK would follow it forever, or to a host that should
 * never see our requests), bounds the number of pages, and lets each page's failure surface as
 * the `GraphRequestError` our middleware builds. The PageIterator adds a callback protocol we
 * do not need and drops custom headers after page one.
 */
import type { Client, GraphRequest } from "@microsoft/microsoft-graph-client";

import { graphBaseUrlOf } from "./graph";

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
    /**
     * The Graph endpoint every page must come from, e.g. https://graph.microsoft.com. Default:
     * the one the client was made for (`createGraphClient`); required for other clients.
     */
    graphBaseUrl?: string;
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
    const origin = graphOrigin(client, options);

    // 1. The first page, from a path or a prepared request; an absolute URL (a nextLink the
    //    caller got elsewhere, e.g. from a $batch item) must be on the Graph endpoint too.
    if (typeof request === "string" && /^https?:\/\//i.test(request)) {
        assertOnGraph(request, origin, "the first page's URL");
    }
    let first = typeof request === "string" ? client.api(request) : request;
    if (typeof request === "string" && options.version) first = first.version(options.version);
    let page = (await withHeaders(first, options.headers).get()) as GraphPage<T>;

    // 2. Follow nextLinks, refusing loops and other hosts.
    for (let count = 1; ; count++) {
        yield Array.isArray(page.value) ? page.value : [];
        const next = page["@odata.nextLink"];
        if (!next) return;
        assertOnGraph(next, origin, "@odata.nextLink");
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

/** The origin (scheme, host and port) of the Graph endpoint pages must come from. */
function graphOrigin(client: Client, options: PageOptions): string {
    const base = options.graphBaseUrl ?? graphBaseUrlOf(client);
    if (base === undefined) {
        throw new Error(
            "Graph paging needs the Graph endpoint to check each @odata.nextLink against: use a " +
                "client from createGraphClient, or pass graphBaseUrl.",
        );
    }
    return new URL(base).origin;
}

/** Refuses a page URL off the Graph endpoint: our requests and token go to Graph only. */
function assertOnGraph(url: string, origin: string, what: string): void {
    const target = new URL(url).origin;
    if (target === origin) return;
    throw new Error(
        `Graph paging stopped: ${what} points to ${target}, not the configured Graph endpoint ` +
            `${origin}; the token is never sent elsewhere. If Graph really lives there, set ` +
            `bec-guard:graphUrl (or bec-guard:cloud) to it.`,
    );
}

function withHeaders(request: GraphRequest, headers?: Record<string, string>): GraphRequest {
    return headers ? request.headers(headers) : request;
}
