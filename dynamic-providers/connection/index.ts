/**
 * The tenant connection: one object bundling the Graph client, the `$batch` runner and the
 * Exchange admin client for one tenant, all sharing one credential, one CA trust, one logger
 * and the process-wide concurrency limits.
 *
 * In a dynamic provider, call `connect` inside each provider method (never at module scope:
 * a client captured in the provider's closure is serialized into the state):
 *
 *     configure: async (req) => { settings = loadSettings(req.config); },
 *     create: async (inputs) => {
 *         const tenant = connect(settings ?? loadSettings());
 *         const user = await tenant.graph.api(`/users/${id}`).get();
 *         ...
 *     }
 */
import type { Client, GraphRequest } from "@microsoft/microsoft-graph-client";
import type { TokenCredential } from "@azure/identity";

import { GraphBatcher, type BatcherOptions } from "./batch";
import { resolveEndpoints, type CloudEndpoints } from "./clouds";
import { createCredential } from "./credentials";
import { ExchangeClient } from "./exchange";
import { createGraphClient, type RetryPolicy } from "./graph";
import { safeLogger, type ConnectionLogger, type SafeLogger } from "./log";
import { pageAll, type PageOptions } from "./paging";
import { redactedView, type ConnectionSettings } from "./settings";

export * from "./batch";
export * from "./clouds";
export * from "./credentials";
export * from "./exchange";
export * from "./graph";
export * from "./limits";
export * from "./log";
export * from "./paging";
export * from "./permissions";
export * from "./settings";
export { NetworkError } from "./transport";

export interface ConnectOptions {
    /** Logger hook; messages are scrubbed of secrets and tokens. Default: silent. */
    logger?: ConnectionLogger;
    /** Retry policy for Graph and Exchange (attempts, longest Retry-After waited). */
    retry?: Partial<RetryPolicy>;
    /** Max Graph (and, separately, Exchange) requests in flight per tenant in this process. */
    overallConcurrency?: number;
    /** Batcher options (batch size, attempts). */
    batch?: BatcherOptions;
    /** Credential to use instead of the one the settings describe (tests). */
    credential?: TokenCredential;
}

/** Everything a provider needs to talk to one tenant. */
export interface TenantConnection {
    readonly settings: ConnectionSettings;
    readonly endpoints: CloudEndpoints;
    /** The Graph SDK client (v1.0 by default; `.version("beta")` per request). */
    readonly graph: Client;
    /** `$batch` runner sharing the Graph client's limits. */
    readonly batcher: GraphBatcher;
    /** Exchange admin API client. */
    readonly exchange: ExchangeClient;
    /** The scrubbed logger, for callers' own progress lines. */
    readonly log: SafeLogger;
    /** Every item of a Graph collection (follows @odata.nextLink). */
    pageAll<T>(request: string | GraphRequest, options?: PageOptions): Promise<T[]>;
}

/**
 * Connect to the tenant the settings describe. Nothing is sent until the first request.
 *
 * @param settings From `loadSettings`.
 * @param options Logger, retry policy, concurrency, batch options.
 */
export function connect(
    settings: ConnectionSettings,
    options: ConnectOptions = {},
): TenantConnection {
    // 1. One credential for Graph and Exchange (one token cache, one CA trust).
    const endpoints = resolveEndpoints(settings);
    const credential = options.credential ?? createCredential(settings, endpoints);

    // 2. The clients.
    const graph = createGraphClient(settings, {
        credential,
        logger: options.logger,
        retry: options.retry,
        overallConcurrency: options.overallConcurrency,
    });
    const batcher = new GraphBatcher(graph, options.batch);
    const exchange = new ExchangeClient(settings, {
        credential,
        logger: options.logger,
        maxAttempts: options.retry?.maxAttempts,
        maxRetryAfterSeconds: options.retry?.maxRetryAfterSeconds,
        overallConcurrency: options.overallConcurrency,
    });
    const log = safeLogger(options.logger, [
        settings.clientSecret,
        settings.clientCertificatePassword,
    ]);

    // 3. The bundle; its JSON form never includes secrets.
    const connection: TenantConnection = {
        settings,
        endpoints,
        graph: graph.client,
        batcher,
        exchange,
        log,
        pageAll: (request, pageOptions) => pageAll(graph.client, request, pageOptions),
    };
    Object.defineProperty(connection, "toJSON", {
        value: () => ({ settings: redactedView(settings), endpoints }),
        enumerable: false,
    });
    return connection;
}
