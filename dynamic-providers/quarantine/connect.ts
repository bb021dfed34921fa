/**
 * The quarantine's view of a tenant (`TenantApi`), built on the shared connection layer: Graph
 * requests go through the batcher (20 per `$batch`, throttled items retried after Retry-After,
 * per-mailbox and overall limits shared by the whole provider process), Exchange cmdlets
 * through the Exchange admin client.
 *
 * One TenantApi per tenant and app per provider process (every Quarantine of a stack shares the
 * same process, its token cache and its concurrency limits).
 */
import { GraphBatcher, type BatchRequest } from "../connection/batch";
import { resolveEndpoints } from "../connection/clouds";
import { createCredential } from "../connection/credentials";
import { ExchangeClient, ExchangeCommandError } from "../connection/exchange";
import { createGraphClient } from "../connection/graph";
import { urgently } from "../connection/limits";
import { pageAll } from "../connection/paging";
import type { ConnectionSettings } from "../connection/settings";
import { processRegistry } from "../connection/transport";
import {
    exchangeCallError,
    type CallOptions,
    type GraphReply,
    type GraphRequest,
    type TenantApi,
} from "./tenant";

/**
 * Requests in flight per tenant in this provider process, for Graph and for Exchange each.
 * Every quarantine of a stack shares them: 50 users contained at once queue here, not in 429s.
 */
const CONCURRENCY = 16;

/** The tenant for these settings, shared by every quarantine in this process. */
export function connectTenant(settings: ConnectionSettings): TenantApi {
    const key = `bec-guard.quarantine.tenant|${settings.cloud}|${settings.graphUrl ?? ""}|${settings.tenantId}|${settings.clientId ?? ""}`;
    return processRegistry(key, () => buildTenant(settings));
}

function buildTenant(settings: ConnectionSettings): TenantApi {
    // 1. One credential (one token cache) for Graph, Exchange and the caller check.
    const endpoints = resolveEndpoints(settings);
    const credential = createCredential(settings, endpoints);
    const graph = createGraphClient(settings, { credential, overallConcurrency: CONCURRENCY });
    const batcher = new GraphBatcher(graph);
    const exchange = new ExchangeClient(settings, { credential, overallConcurrency: CONCURRENCY });

    // 2. Graph: independent requests in one run of the batcher; collections read to the end.
    //    (Outlook's 4 requests at a time per mailbox are queued by the clients themselves.)
    function sendGraph(requests: GraphRequest[], options: CallOptions = {}) {
        return options.urgent ? urgently(() => graphCall(requests)) : graphCall(requests);
    }

    async function graphCall(requests: GraphRequest[]): Promise<GraphReply[]> {
        if (requests.length === 0) return [];
        const batch: BatchRequest[] = requests.map((r, i) => ({
            id: String(i),
            method: r.method,
            url: r.url,
            version: r.version ?? "v1.0",
            ...(r.body !== undefined ? { body: r.body } : {}),
            ...(r.dependsOn !== undefined ? { dependsOn: [String(r.dependsOn)] } : {}),
        }));
        const results = await batcher.run<any>(batch);
        return Promise.all(
            results.map(async (result, i): Promise<GraphReply> => {
                if (!result.ok) {
                    const e = result.error;
                    return {
                        status: result.status,
                        body: result.body,
                        ok: false,
                        code: e?.code,
                        error: e
                            ? `${e.code}: ${e.graphMessage} ${e.advice}` +
                              (e.requestId ? ` (request-id ${e.requestId})` : "")
                            : `HTTP ${result.status}`,
                    };
                }
                const body = result.body as any;
                const next = body?.["@odata.nextLink"];
                if (requests[i].method === "GET" && typeof next === "string") {
                    const rest = await pageAll<any>(graph.client, next);
                    return {
                        status: result.status,
                        ok: true,
                        body: { ...body, value: [...body.value, ...rest] },
                    };
                }
                return { status: result.status, ok: true, body };
            }),
        );
    }

    // 3. Exchange: typed errors become ExchangeCallError; no-op warnings are success.
    function sendExchange(
        cmdlet: string,
        parameters: Record<string, unknown>,
        anchorMailbox?: string,
        options: CallOptions = {},
    ) {
        const call = () => exchangeCall(cmdlet, parameters, anchorMailbox);
        return options.urgent ? urgently(call) : call();
    }

    async function exchangeCall(
        cmdlet: string,
        parameters: Record<string, unknown>,
        anchorMailbox?: string,
    ) {
        try {
            const reply = await exchange.invoke(
                cmdlet,
                parameters,
                anchorMailbox ? { anchorMailbox } : {},
            );
            return { value: reply.value, warnings: reply.warnings, noOp: reply.noOp };
        } catch (error) {
            if (error instanceof ExchangeCommandError) {
                // Built from the fields: a serialized Error subclass loses its message.
                const message =
                    `Exchange ${error.cmdlet} failed: ${error.exceptionType || error.category}: ` +
                    `${error.exchangeMessage} ${error.advice}` +
                    (error.requestId ? ` (request-id ${error.requestId})` : "");
                throw exchangeCallError(
                    message,
                    error.exceptionType,
                    error.status,
                    /NotFound|NoSuchObject/i.test(`${error.exceptionType} ${error.category}`) ||
                        /couldn't be found|could not be found|doesn't exist|no existing permission entry/i.test(
                            error.exchangeMessage,
                        ),
                );
            }
            throw error;
        }
    }

    // 4. Who is calling: the object id in the Graph token (an app's service principal, or a
    //    user when the deployment runs with a user's Azure CLI login).
    async function callerObjectId(): Promise<string | undefined> {
        const token = await credential.getToken(endpoints.graphScope);
        if (!token) return undefined;
        try {
            const payload = JSON.parse(
                Buffer.from(token.token.split(".")[1], "base64url").toString("utf8"),
            );
            return typeof payload.oid === "string" ? payload.oid : undefined;
        } catch {
            return undefined;
        }
    }

    return { graph: sendGraph, exchange: sendExchange, callerObjectId };
}
