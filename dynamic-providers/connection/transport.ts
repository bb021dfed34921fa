/**
 * The HTTPS transport every Graph and Exchange request goes through, with an explicit CA trust.
 *
 * Why not NODE_EXTRA_CA_CERTS: the Pulumi engine starts the dynamic provider host itself and
 * may not pass it on, and it is read once at process start. Why not the global `fetch`: on
 * node 20 that is undici, whose TLS options can only be changed through a `dispatcher` built
 * from the separate `undici` package (not a dependency of ours, and version-coupled to the one
 * inside node). Mutating global TLS state (tls.setDefaultCACertificates, a global dispatcher)
 * would affect every other library in the process.
 *
 * So: one `https.Agent` per CA file, trusting the public roots plus that CA, and a small
 * fetch-compatible function over `node:https` that uses it. The Graph client gets it as its
 * last middleware, the Exchange client calls it directly, and @azure/identity gets the same
 * CA list through its own pipeline option (`tlsOptions`, see credentials.ts). Nothing global
 * changes, and only requests made by this connection trust the extra CA.
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as tls from "tls";

import { completeError } from "./errors";

/** A fetch-compatible function: what the Graph SDK's last middleware and the Exchange client call. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A request that never got an HTTP response (reset, refused, timed out, TLS failure). */
export class NetworkError extends Error {
    constructor(
        message: string,
        /** Node's error code, e.g. ECONNRESET, ECONNREFUSED, ETIMEDOUT, DEPTH_ZERO_SELF_SIGNED_CERT. */
        readonly code: string | undefined,
        readonly method: string,
        readonly url: string,
    ) {
        super(message);
        completeError(this, NetworkError.prototype, "NetworkError", message);
    }
}

/**
 * Codes where the request may simply be repeated (for idempotent methods). An array, not a Set:
 * Pulumi's closure serializer does not carry module-level Sets or Maps.
 */
export const TRANSIENT_NETWORK_CODES: readonly string[] = [
    "ECONNRESET",
    "ECONNREFUSED",
    "EPIPE",
    "ETIMEDOUT",
    "ESOCKETTIMEDOUT",
    "EAI_AGAIN",
    "UND_ERR_SOCKET",
];

/**
 * The CA list to trust: Node's bundled public roots plus the PEM file's certificates.
 *
 * @param caCertPath PEM file (may hold several certificates); undefined means public roots only.
 * @returns undefined when no extra CA is configured (use Node's defaults untouched).
 */
export function trustedCas(caCertPath?: string): string[] | undefined {
    if (caCertPath === undefined) return undefined;
    return [...tls.rootCertificates, fs.readFileSync(caCertPath, "utf8")];
}

/**
 * One keep-alive agent per CA file for the whole process. Stored on a global-registry symbol
 * so that dynamic providers deserialized separately in one provider host still share sockets.
 */
export function httpsAgentFor(caCertPath?: string): https.Agent {
    const registry = processRegistry<Map<string, https.Agent>>(
        "bec-guard.connection.agents",
        () => new Map(),
    );
    const key = caCertPath ?? "";
    let agent = registry.get(key);
    if (agent === undefined) {
        agent = new https.Agent({ keepAlive: true, ca: trustedCas(caCertPath) });
        registry.set(key, agent);
    }
    return agent;
}

/**
 * A fetch-compatible function over `node:https` with the given agent.
 *
 * Supports what the Graph SDK and our Exchange client send: string/Buffer/typed-array bodies,
 * Headers or plain header objects, AbortSignal. Responses are fully buffered (Graph pages are
 * small; we never stream downloads).
 *
 * @param agent From `httpsAgentFor`.
 * @param timeoutMs Socket idle timeout; a request silent this long fails with ETIMEDOUT.
 *   Default 120 s (Graph's own gateway timeout is shorter, so this only catches dead sockets).
 */
export function createHttpsFetch(agent: https.Agent, timeoutMs = 120_000): FetchLike {
    return async (input, init = {}) => {
        // 1. Normalise the request: URL, method, headers, body.
        const request = input instanceof Request ? input : undefined;
        const url = new URL(request ? request.url : input.toString());
        const method = (init.method ?? request?.method ?? "GET").toUpperCase();
        const headers = new Headers(request?.headers);
        new Headers(init.headers).forEach((value, key) => headers.set(key, value));
        const body = await bodyBytes(init.body ?? (request ? await request.arrayBuffer() : null));
        if (body !== undefined) headers.set("content-length", String(body.length));
        if (url.protocol !== "https:") {
            throw new NetworkError(
                `Refusing plain http to ${url.origin}: use https.`,
                "EPROTO",
                method,
                url.href,
            );
        }

        // 2. Send it and collect the whole response.
        return new Promise<Response>((resolve, reject) => {
            const outgoing: Record<string, string> = {};
            headers.forEach((value, key) => (outgoing[key] = value));
            const req = https.request(url, { method, headers: outgoing, agent }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (chunk: Buffer) => chunks.push(chunk));
                res.on("error", (err) => reject(toNetworkError(err, method, url)));
                res.on("end", () => resolve(toResponse(res, Buffer.concat(chunks), method)));
            });
            req.setTimeout(timeoutMs, () => {
                req.destroy(
                    Object.assign(new Error(`no response in ${timeoutMs} ms`), {
                        code: "ETIMEDOUT",
                    }),
                );
            });
            req.on("error", (err) => reject(toNetworkError(err, method, url)));

            // 3. Honour the caller's abort signal.
            const signal = init.signal ?? request?.signal;
            if (signal) {
                if (signal.aborted) req.destroy(abortError());
                signal.addEventListener("abort", () => req.destroy(abortError()), { once: true });
            }
            req.end(body);
        });
    };
}

/**
 * A process-wide value under a global-registry symbol. Module-level variables are not shared
 * between dynamic providers (each is serialized with its own copy of module state); this is.
 */
export function processRegistry<T>(name: string, create: () => T): T {
    const key = Symbol.for(name);
    const holder = globalThis as unknown as Record<symbol, T | undefined>;
    let value = holder[key];
    if (value === undefined) {
        value = create();
        holder[key] = value;
    }
    return value;
}

async function bodyBytes(body: unknown): Promise<Buffer | undefined> {
    if (body === null || body === undefined) return undefined;
    if (typeof body === "string") return Buffer.from(body, "utf8");
    if (Buffer.isBuffer(body)) return body;
    if (body instanceof ArrayBuffer) return Buffer.from(body);
    if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (body instanceof Blob) return Buffer.from(await body.arrayBuffer());
    if (body instanceof URLSearchParams) return Buffer.from(body.toString(), "utf8");
    throw new TypeError(`Unsupported request body type ${Object.prototype.toString.call(body)}.`);
}

function toResponse(res: http.IncomingMessage, body: Buffer, method: string): Response {
    const headers = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
        if (Array.isArray(value)) value.forEach((v) => headers.append(key, v));
        else if (value !== undefined) headers.set(key, value);
    }
    const status = res.statusCode ?? 502;
    // The Response constructor refuses a body for these statuses.
    const noBody = method === "HEAD" || status === 204 || status === 205 || status === 304;
    return new Response(noBody ? null : body, {
        status,
        statusText: res.statusMessage ?? "",
        headers,
    });
}

function toNetworkError(err: Error & { code?: string }, method: string, url: URL): Error {
    if (err.name === "AbortError") return err;
    const hint =
        err.code === "DEPTH_ZERO_SELF_SIGNED_CERT" ||
        err.code === "SELF_SIGNED_CERT_IN_CHAIN" ||
        err.code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
            ? " The server's certificate is not trusted: set bec-guard:caCertPath (or " +
              "BEC_GUARD_CA_CERT) to its CA certificate."
            : "";
    return new NetworkError(
        `${method} ${url.origin}${url.pathname} failed before any response: ` +
            `${err.code ?? err.name}: ${err.message}.${hint}`,
        err.code,
        method,
        url.href,
    );
}

function abortError(): Error {
    const err = new Error("The request was aborted.");
    err.name = "AbortError";
    return err;
}
