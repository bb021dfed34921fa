/**
 * The local tenant: one HTTPS server on 127.0.0.1 that speaks enough Microsoft Graph, Exchange
 * admin API and Entra ID token endpoint for the real clients (`@azure/identity`,
 * `@microsoft/microsoft-graph-client`) to talk to it unchanged. Demos, tests and benchmarks run
 * against it; nothing in the product knows it is not Microsoft.
 *
 * Every request passes the same pipeline:
 *   control API -> faults -> identity -> token check -> route -> permission -> throttling
 *   -> latency -> handler -> response -> throttling slot freed
 * The control API skips latency and faults; identity skips faults unless asked. Every other
 * answer waits out the injected latency before it leaves, an early one (a fault, 401, 403,
 * 429) too; an admitted request waits it out holding its throttling slot, so a mailbox's
 * concurrency limit counts requests for as long as they are in flight.
 */
import { randomBytes, randomUUID } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import * as path from "path";
import type { Cmdlet, GraphResponse, GraphRoute } from "./contracts";
import type { TenantState } from "./model";
import { loadOrCreateTlsMaterial } from "./certs";
import { ExchangeEndpoint, DEFAULT_EXCHANGE_PAGE_SIZE } from "./exchange-endpoint";
import { FaultConfigError, Faults, type FaultConfig } from "./faults";
import {
    GRAPH_JSON,
    GraphEngine,
    faultAnswer,
    graphError,
    inFlight,
    type InFlight,
} from "./graph-engine";
import { GRAPH_AUDIENCE, Identity, loadOrCreateSigningKey } from "./identity";
import { StateStore } from "./persistence";
import {
    RequestLog,
    batchItemBody,
    batchItemLocation,
    bodyFingerprint,
    rawBodyFingerprint,
    retryAfterHeader,
    type BatchItemSummary,
    type RequestLogEntry,
} from "./request-log";
import {
    ScenarioError,
    loadScenarioFile,
    parseScenario,
    resolveScenarioPath,
    validateScenario,
} from "./scenario";
import {
    ThrottleConfigError,
    Throttler,
    type ThrottleLimits,
    type ThrottleLimitsInput,
} from "./throttling";
import type { ThrottleBucket } from "./contracts";
import { allRoutes } from "./graph";
import { allCmdlets } from "./exchange";

export interface LocalTenantOptions {
    /** TCP port on 127.0.0.1 (default 0: any free port). A port in use fails the start. */
    port?: number;
    /**
     * Where certificates, the token signing key and state.json live (default `.local-tenant/`
     * in the current directory). Two tenants must not share one.
     */
    stateDir?: string;
    /**
     * Scenario loaded when the state directory has no state.json yet (or with `reset`): a name
     * from local-tenant/scenarios (default "empty") or a path to a JSON file. An unknown name
     * is an error even when state.json exists, so a typo never goes unnoticed.
     */
    scenario?: string;
    /**
     * Start from the scenario even when the state directory holds a state.json, which is
     * replaced (default false). The CA, certificates and token signing key are kept, so a
     * shell trusting the CA keeps working. Risk if set wrong: the saved tenant is lost.
     */
    reset?: boolean;
    /** Delay added to every Graph, Exchange and identity answer, in ms (default 0). */
    latencyMs?: number;
    /**
     * Graph application permissions for the first app, replacing the scenario's (tests grant
     * exactly the permission manifest). Default: as the scenario says.
     */
    grantedGraphRoles?: string[];
    /**
     * Exchange roles for the first app, replacing the scenario's; a non-empty list also grants
     * the Exchange.ManageAsApp app role, an empty one removes it. Default: as the scenario says.
     */
    grantedExchangeRoles?: string[];
    /** Apply Microsoft's throttling limits (default true). Off only for benchmarks of the client. */
    throttling?: boolean;
    /**
     * Bucket limits replacing Microsoft's documented ones, e.g.
     * `{"directory-write": {limit: 100, windowSeconds: 10}}` (default: none replaced). A bad
     * value fails the start naming it. Risk if set wrong: the product is measured against
     * limits no real tenant has; keep it to benchmarks and tests.
     */
    throttleLimits?: ThrottleLimitsInput;
    /** Extra Graph routes tried before the built-in ones (tests of the core). */
    routes?: GraphRoute[];
    /** Extra Exchange cmdlets that take precedence over the built-in ones (tests of the core). */
    cmdlets?: Cmdlet[];
    /** Objects per InvokeCommand page without a Prefer header (default 1000). */
    exchangePageSize?: number;
}

/** The in-process equivalents of the control API. */
export interface LocalTenantControl {
    /** The whole tenant state (live object: read it, do not keep it across putState). */
    getState(): TenantState;
    /**
     * Replaces the state with a scenario object (validated; throws ScenarioError when bad). As
     * at start, the first app gets the granted roles, and keeps its current client secret
     * unless the scenario sets one.
     */
    putState(scenario: unknown): void;
    /** Replaces the fault configuration (throws FaultConfigError when bad). */
    setFaults(faults: FaultConfig): void;
    getRequests(): RequestLogEntry[];
    clearRequests(): void;
    /** Turns throttling on or off. */
    setThrottling(enabled: boolean): void;
    /** Whether throttling is on, and every bucket's limit (what `GET /_local/throttling` shows). */
    getThrottling(): { enabled: boolean } & ThrottleLimits;
    /**
     * Changes some buckets' limits (null: back to Microsoft's). Throws ThrottleConfigError
     * naming the field, and changes nothing, when a value is wrong. Returns the limits now.
     */
    setThrottleLimits(limits: ThrottleLimitsInput): ThrottleLimits;
    /** Moves the tenant's clock (token lifetimes, throttling windows, handler time) forward. */
    advanceClock(ms: number): void;
}

export interface LocalTenant {
    /** Origin of the server, e.g. https://127.0.0.1:53211 (Graph at /v1.0 and /beta). */
    url: string;
    caCertPath: string;
    caCertPem: string;
    tenantId: string;
    clientId: string;
    clientSecret: string;
    /** Environment that points BEC Guard (and Node's TLS trust) at this tenant. */
    env: Record<string, string>;
    /** Where the state came from at start: the state file or the scenario file. */
    loadedFrom: string;
    /** True when the start resumed a saved state.json instead of loading the scenario. */
    resumed: boolean;
    stateDir: string;
    control: LocalTenantControl;
    /** Stops listening, closes connections and writes pending state. */
    stop(): Promise<void>;
}

/** Raised when the tenant cannot start; the message says why and what to do. */
export class LocalTenantStartError extends Error {}

/**
 * Starts a local tenant.
 *
 * @param options See {@link LocalTenantOptions}; every field is optional.
 */
export async function startLocalTenant(options: LocalTenantOptions = {}): Promise<LocalTenant> {
    const server = new LocalTenantServer(options);
    return server.start();
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** Whether a socket's remote address is this machine. */
export function isLoopback(address: string | undefined): boolean {
    return address !== undefined && (LOOPBACK.has(address) || address.startsWith("127."));
}

const IDENTITY_CONFIG = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i;
const IDENTITY_TOKEN = /^\/([^/]+)\/oauth2\/v2\.0\/token$/i;
const GRAPH_PATH = /^\/(v1\.0|beta)(\/.*)?$/;
const EXCHANGE_PATH = /^\/adminapi\/beta\/([^/]+)\/InvokeCommand$/i;

interface Incoming {
    req: http.IncomingMessage;
    res: http.ServerResponse;
    method: string;
    rawPath: string;
    query: string;
    body: Buffer;
    requestId: string;
    clientRequestId: string;
    startedAt: number;
}

class LocalTenantServer {
    private readonly stateDir: string;
    private state!: TenantState;
    private store!: StateStore;
    private identity!: Identity;
    private graph!: GraphEngine;
    private exchange!: ExchangeEndpoint;
    private readonly faults = new Faults();
    private readonly log = new RequestLog();
    private readonly throttler: Throttler;
    private clockOffsetMs = 0;
    private origin = "";
    private httpsServer: https.Server | undefined;

    constructor(private readonly options: LocalTenantOptions) {
        this.stateDir = path.resolve(options.stateDir ?? ".local-tenant");
        this.throttler = new Throttler(() => this.now(), options.throttling ?? true);
    }

    /** What `GET /_local/throttling` answers. */
    private throttling(): { enabled: boolean } & ThrottleLimits {
        return { enabled: this.throttler.enabled, ...this.throttler.limits };
    }

    private now(): number {
        return Date.now() + this.clockOffsetMs;
    }

    async start(): Promise<LocalTenant> {
        // 1. Check the input before touching anything: the scenario must exist.
        const port = this.options.port ?? 0;
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
            throw new LocalTenantStartError(
                `Port ${String(port)} is not a TCP port: give 0 (any free port) or 1-65535.`,
            );
        }
        const scenarioFile = resolveScenarioPath(this.options.scenario ?? "empty");
        if (this.options.throttleLimits) {
            try {
                this.throttler.setLimits(this.options.throttleLimits);
            } catch (err) {
                if (err instanceof ThrottleConfigError)
                    throw new LocalTenantStartError(`throttleLimits: ${err.message}`);
                throw err;
            }
        }

        // 2. Key material, made once per state directory.
        fs.mkdirSync(this.stateDir, { recursive: true });
        const tls = loadOrCreateTlsMaterial(this.stateDir);
        this.identity = new Identity(loadOrCreateSigningKey(this.stateDir), () => this.now());

        // 3. The state: what the last run left, else (or when asked to reset) the scenario.
        const stateFile = path.join(this.stateDir, "state.json");
        const resumed = fs.existsSync(stateFile) && !this.options.reset;
        const loadedFrom = resumed ? stateFile : scenarioFile;
        this.state = loadScenarioFile(loadedFrom);
        this.prepareFirstApp();
        this.store = new StateStore(stateFile, () => this.state);
        await this.store.write();

        // 4. The engines that answer Graph and Exchange.
        const host = {
            state: () => this.state,
            origin: () => this.origin,
            now: () => this.now(),
            faults: this.faults,
            throttler: this.throttler,
            log: this.log,
            identity: this.identity,
            changed: () => this.store.changed(),
        };
        this.graph = new GraphEngine(host, [...(this.options.routes ?? []), ...allRoutes]);
        this.exchange = new ExchangeEndpoint(
            host,
            [...(this.options.cmdlets ?? []), ...allCmdlets],
            this.options.exchangePageSize ?? DEFAULT_EXCHANGE_PAGE_SIZE,
        );

        // 5. Listen on loopback only.
        const server = https.createServer(
            { cert: tls.serverCertPem, key: tls.serverKeyPem },
            (req, res) => this.onRequest(req, res),
        );
        server.keepAliveTimeout = 30_000;
        await new Promise<void>((resolve, reject) => {
            server.once("error", (err: NodeJS.ErrnoException) => {
                reject(
                    err.code === "EADDRINUSE"
                        ? new LocalTenantStartError(
                              `Port ${port} on 127.0.0.1 is already in use: pick another with --port, or stop the process using it.`,
                          )
                        : err,
                );
            });
            server.listen(port, "127.0.0.1", () => resolve());
        });
        this.httpsServer = server;
        const actualPort = (server.address() as AddressInfo).port;
        this.origin = `https://127.0.0.1:${actualPort}`;

        // 6. What a client needs to connect.
        return this.describe(tls.caCertPath, tls.caCertPem, loadedFrom, resumed);
    }

    private describe(
        caCertPath: string,
        caCertPem: string,
        loadedFrom: string,
        resumed: boolean,
    ): LocalTenant {
        // Getters: after PUT /_local/state the tenant and its first app may be different ones.
        const current = () => ({ tenant: this.state.tenant, app: this.state.apps[0] });
        const url = this.origin;
        return {
            url,
            caCertPath,
            caCertPem,
            get tenantId() {
                return current().tenant.id;
            },
            get clientId() {
                return current().app.clientId;
            },
            get clientSecret() {
                return current().app.clientSecret;
            },
            get env() {
                const { tenant, app } = current();
                return {
                    AZURE_TENANT_ID: tenant.id,
                    AZURE_CLIENT_ID: app.clientId,
                    AZURE_CLIENT_SECRET: app.clientSecret,
                    AZURE_AUTHORITY_HOST: url,
                    BEC_GUARD_CLOUD: "custom",
                    BEC_GUARD_GRAPH_URL: url,
                    BEC_GUARD_EXCHANGE_URL: url,
                    BEC_GUARD_CA_CERT: caCertPath,
                    NODE_EXTRA_CA_CERTS: caCertPath,
                };
            },
            loadedFrom,
            resumed,
            stateDir: this.stateDir,
            control: {
                getState: () => this.state,
                putState: (scenario) =>
                    this.replaceState(validateScenario(structuredClone(scenario), "putState()")),
                setFaults: (faults) => void this.faults.set(faults),
                getRequests: () => this.log.list(),
                clearRequests: () => this.log.clear(),
                setThrottling: (enabled) => {
                    this.throttler.enabled = enabled;
                },
                getThrottling: () => this.throttling(),
                setThrottleLimits: (limits) => this.throttler.setLimits(limits),
                advanceClock: (ms) => {
                    this.clockOffsetMs += ms;
                },
            },
            stop: () => this.stop(),
        };
    }

    /**
     * The first app (the one the CLI prints) gets a secret if the state gives it none: the one it
     * had (`keepSecret`, so the printed env keeps working after `PUT /_local/state`), else a
     * generated one. It also gets the granted roles when the tenant was started with them: the
     * shipped scenarios grant nothing themselves.
     */
    private prepareFirstApp(keepSecret?: string): void {
        const app = this.state.apps[0];
        if (app.clientSecret === "") {
            // Entra-like secret: 40 URL-safe characters.
            app.clientSecret = keepSecret || randomBytes(30).toString("base64url");
        }
        if (this.options.grantedGraphRoles) app.graphRoles = [...this.options.grantedGraphRoles];
        if (this.options.grantedExchangeRoles) {
            app.exchangeRoles = [...this.options.grantedExchangeRoles];
            app.exchangeManageAsApp = app.exchangeRoles.length > 0;
        }
    }

    /** `PUT /_local/state`: the new state, its first app prepared as at start, counts reset. */
    private replaceState(state: TenantState): void {
        const secretBefore = this.state.apps[0]?.clientSecret;
        this.state = state;
        this.prepareFirstApp(secretBefore);
        this.throttler.reset();
        this.store.changed();
    }

    async stop(): Promise<void> {
        const server = this.httpsServer;
        if (server) {
            this.httpsServer = undefined;
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
        }
        await this.store.flush();
    }

    // -----------------------------------------------------------------------------------------
    // The pipeline

    private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
        const startedAt = RequestLog.now();
        const chunks: Buffer[] = [];
        // A client that goes away mid-request is its own problem, not a crash of the tenant.
        req.on("error", () => undefined);
        res.on("error", () => undefined);
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            const url = req.url ?? "/";
            const q = url.indexOf("?");
            const requestId = randomUUID();
            const incoming: Incoming = {
                req,
                res,
                method: (req.method ?? "GET").toUpperCase(),
                rawPath: q === -1 ? url : url.slice(0, q),
                query: q === -1 ? "" : url.slice(q + 1),
                body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
                requestId,
                clientRequestId: headerValue(req.headers["client-request-id"]) ?? requestId,
                startedAt,
            };
            this.handle(incoming).catch((err: unknown) => {
                process.stderr.write(
                    `local tenant: unexpected failure: ${err instanceof Error ? err.stack : String(err)}\n`,
                );
                if (!res.headersSent) {
                    this.send(
                        incoming,
                        graphError(
                            500,
                            "InternalServerError",
                            "The local tenant failed unexpectedly.",
                            requestId,
                            incoming.clientRequestId,
                        ),
                    );
                }
            });
        });
    }

    private async handle(incoming: Incoming): Promise<void> {
        const { rawPath } = incoming;

        // Control API: loopback only, no latency, no faults, not logged.
        if (rawPath === "/_local" || rawPath.startsWith("/_local/")) {
            return this.control(incoming);
        }

        // Latency stands for the round trip: every answer below waits it out once, and a
        // throttled bucket's slot is held through it and freed only after the answer is written.
        const flight = inFlight(this.faults.latencyMs ?? this.options.latencyMs ?? 0);
        try {
            await this.route(incoming, flight);
        } finally {
            flight.releases.splice(0).forEach((release) => release());
        }
    }

    private async route(incoming: Incoming, flight: InFlight): Promise<void> {
        const { rawPath, method } = incoming;

        // 1. Identity: OpenID configuration and the token endpoint.
        const config = IDENTITY_CONFIG.exec(rawPath);
        const token = IDENTITY_TOKEN.exec(rawPath);
        if (config || token) {
            await flight.latency();
            if (this.faults.includeIdentity && (await this.injectFault(incoming, flight))) return;
            const tenant = decodeURIComponent((config ?? token)![1]);
            if (config && method === "GET") {
                return this.sendIdentity(
                    incoming,
                    this.identity.openIdConfiguration(this.state, this.origin, tenant),
                );
            }
            if (token && method === "POST") {
                const form = new URLSearchParams(incoming.body.toString("utf8"));
                const endpoint = `${this.origin}/${this.state.tenant.id}/oauth2/v2.0/token`;
                return this.sendIdentity(
                    incoming,
                    this.identity.token(this.state, tenant, form, endpoint),
                    form.get("client_id") ?? undefined,
                );
            }
            return this.send(
                incoming,
                graphError(
                    405,
                    "BadRequest",
                    "Specified HTTP method is not allowed for the request target.",
                    incoming.requestId,
                    incoming.clientRequestId,
                ),
            );
        }

        // 2. Graph.
        const graph = GRAPH_PATH.exec(rawPath);
        if (graph) {
            if (await this.injectFault(incoming, flight)) return;
            return this.graphRequest(
                incoming,
                graph[1] as "v1.0" | "beta",
                graph[2] ?? "/",
                flight,
            );
        }

        // 3. Exchange admin API.
        const exchange = EXCHANGE_PATH.exec(rawPath);
        if (exchange && method === "POST") {
            if (await this.injectFault(incoming, flight)) return;
            const answer = await this.exchange.invoke({
                tenant: decodeURIComponent(exchange[1]),
                query: new URLSearchParams(incoming.query),
                headers: incoming.req.headers,
                bodyText: incoming.body.toString("utf8"),
                inFlight: flight,
            });
            await flight.latency();
            return this.send(incoming, answer, { appId: answer.appId, cmdlet: answer.cmdlet });
        }

        await flight.latency();
        this.send(
            incoming,
            graphError(
                404,
                "ResourceNotFound",
                `The local tenant serves nothing at ${method} ${rawPath}.`,
                incoming.requestId,
                incoming.clientRequestId,
            ),
        );
    }

    /**
     * Applies faults to one HTTP request; true when it was answered (or reset) by a fault,
     * after the request's latency.
     */
    private async injectFault(incoming: Incoming, flight: InFlight): Promise<boolean> {
        const decision = this.faults.decide(incoming.method, incoming.rawPath, true);
        if (decision.kind === "none") return false;
        await flight.latency();
        if (decision.kind === "reset") {
            this.logEntry(incoming, 0);
            incoming.req.socket.destroy();
            return true;
        }
        this.send(incoming, faultAnswer(decision, incoming.requestId, incoming.clientRequestId));
        return true;
    }

    private async graphRequest(
        incoming: Incoming,
        version: "v1.0" | "beta",
        rawPath: string,
        flight: InFlight,
    ): Promise<void> {
        const { requestId, clientRequestId } = incoming;

        // Token: present, ours, unexpired, for Graph, for this tenant, of a known app.
        const auth = headerValue(incoming.req.headers.authorization) ?? "";
        const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
        const unauthorized = async (message: string) => {
            await flight.latency();
            this.send(
                incoming,
                graphError(401, "InvalidAuthenticationToken", message, requestId, clientRequestId, {
                    "WWW-Authenticate": `Bearer realm="", authorization_uri="${this.origin}/${this.state.tenant.id}/oauth2/v2.0/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
                }),
            );
        };
        if (!bearer) return unauthorized("Access token is empty.");
        const verified = this.identity.verify(bearer, GRAPH_AUDIENCE, this.state.tenant.id);
        if ("problem" in verified)
            return unauthorized(`Access token validation failure. ${verified.problem}`);
        const app = this.state.apps.find((a) => a.clientId === verified.claims.appid);
        if (!app)
            return unauthorized(
                "Access token validation failure. The application is no longer registered in the tenant.",
            );

        // Body: JSON when there is one.
        let body: unknown;
        if (incoming.body.length > 0) {
            try {
                body = JSON.parse(incoming.body.toString("utf8"));
            } catch {
                await flight.latency();
                return this.send(
                    incoming,
                    graphError(
                        400,
                        "BadRequest",
                        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                        requestId,
                        clientRequestId,
                    ),
                    { appId: app.clientId },
                );
            }
        }

        // A $batch waits out its latency first: its items hold a slot only while they run.
        const isBatch = rawPath.toLowerCase() === "/$batch" && incoming.method === "POST";
        const call = {
            method: incoming.method,
            version,
            rawPath,
            query: new URLSearchParams(incoming.query),
            headers: incoming.req.headers as Record<string, string | undefined>,
            body,
            app,
            roles: verified.claims.roles,
            requestId,
            clientRequestId,
            trace: {} as { bucket?: ThrottleBucket },
            inFlight: isBatch ? undefined : flight,
        };
        if (isBatch) await flight.latency();
        const response = isBatch
            ? await this.graph.batch(call)
            : await this.graph.execute(call, false);
        await flight.latency();
        this.send(incoming, response, { appId: app.clientId, bucket: call.trace.bucket });
    }

    private sendIdentity(
        incoming: Incoming,
        answer: { status: number; body: unknown },
        appId?: string,
    ): void {
        this.send(
            incoming,
            {
                status: answer.status,
                body: answer.body,
                headers: { "Cache-Control": "no-store, no-cache" },
            },
            { appId },
        );
    }

    private async control(incoming: Incoming): Promise<void> {
        const { req, method, rawPath, requestId, clientRequestId } = incoming;
        const answer = (status: number, body?: unknown) =>
            this.send(incoming, { status, body }, undefined, false);
        const refuse = (status: number, code: string, message: string) =>
            this.send(
                incoming,
                graphError(status, code, message, requestId, clientRequestId),
                undefined,
                false,
            );

        if (!isLoopback(req.socket.remoteAddress)) {
            return refuse(403, "Forbidden", "The control API answers loopback clients only.");
        }
        const readJson = (): unknown => JSON.parse(incoming.body.toString("utf8"));
        const route = `${method} ${rawPath.replace(/\/$/, "")}`;
        try {
            switch (route) {
                case "GET /_local/state":
                    return answer(200, this.state);
                case "PUT /_local/state": {
                    this.replaceState(
                        parseScenario(incoming.body.toString("utf8"), "PUT /_local/state"),
                    );
                    await this.store.flush();
                    const app = this.state.apps[0];
                    return answer(200, {
                        tenantId: this.state.tenant.id,
                        clientId: app.clientId,
                        clientSecret: app.clientSecret,
                    });
                }
                case "GET /_local/faults":
                    return answer(200, this.faults.current);
                case "PUT /_local/faults":
                    return answer(200, this.faults.set(readJson()));
                case "GET /_local/requests":
                    return answer(200, { value: this.log.list() });
                case "DELETE /_local/requests":
                    this.log.clear();
                    return answer(204);
                case "GET /_local/throttling":
                    return answer(200, this.throttling());
                case "PUT /_local/throttling": {
                    // {"enabled"?: boolean, "<bucket>"?: {limit?, windowSeconds?} | null, ...}:
                    // everything is checked before anything changes.
                    const body = readJson();
                    if (typeof body !== "object" || body === null || Array.isArray(body))
                        return refuse(
                            400,
                            "BadRequest",
                            'Send a JSON object: {"enabled": true|false} and/or bucket limits such as {"directory-write": {"limit": 100, "windowSeconds": 10}}.',
                        );
                    const { enabled, ...limits } = body as Record<string, unknown>;
                    if (enabled !== undefined && typeof enabled !== "boolean")
                        return refuse(
                            400,
                            "BadRequest",
                            `enabled must be true or false, got ${JSON.stringify(enabled)}.`,
                        );
                    this.throttler.setLimits(limits as ThrottleLimitsInput);
                    if (enabled !== undefined) this.throttler.enabled = enabled;
                    return answer(200, this.throttling());
                }
                default:
                    return refuse(
                        404,
                        "ResourceNotFound",
                        `No control endpoint ${route}. Known: GET/PUT /_local/state, GET/PUT /_local/faults, GET/DELETE /_local/requests, GET/PUT /_local/throttling.`,
                    );
            }
        } catch (err) {
            if (
                err instanceof ScenarioError ||
                err instanceof FaultConfigError ||
                err instanceof ThrottleConfigError
            )
                return refuse(400, "BadRequest", err.message);
            if (err instanceof SyntaxError)
                return refuse(400, "BadRequest", `The body is not valid JSON: ${err.message}`);
            throw err;
        }
    }

    /** Writes an answer (JSON unless 204) with Graph's headers, and logs it. */
    private send(
        incoming: Incoming,
        response: GraphResponse,
        meta: LogMeta = {},
        log = true,
    ): void {
        const { res } = incoming;
        const headers: Record<string, string> = {
            "request-id": incoming.requestId,
            "client-request-id": incoming.clientRequestId,
            ...(response.headers ?? {}),
        };
        let payload: Buffer | undefined;
        if (response.body !== undefined && response.status !== 204) {
            payload = Buffer.from(JSON.stringify(response.body), "utf8");
            headers["Content-Type"] ??= GRAPH_JSON;
        }
        // An explicit length lets headers and body leave in one TLS write (no chunked
        // encoding); a 204 must carry none.
        if (response.status !== 204) headers["Content-Length"] = String(payload?.length ?? 0);
        res.writeHead(response.status, headers);
        res.end(payload);
        if (log)
            this.logEntry(incoming, response.status, {
                ...meta,
                retryAfterSeconds: retryAfterHeader(response.headers),
            });
    }

    /**
     * Logs one HTTP request. Besides what the pipeline learnt (`meta`), the body is read again
     * here, after the answer left, so that requests answered early (a fault, the throttle)
     * still say what they were: the body's fingerprint, an InvokeCommand's cmdlet and anchor
     * mailbox, a `$batch` envelope's items.
     */
    private logEntry(incoming: Incoming, status: number, meta: LogMeta = {}): void {
        const endedAt = RequestLog.now();
        const { method, rawPath, body } = incoming;
        const details: Partial<RequestLogEntry> = {};
        const bodySha256 = rawBodyFingerprint(body);
        if (bodySha256) details.bodySha256 = bodySha256;
        if (EXCHANGE_PATH.test(rawPath)) {
            const cmdlet = meta.cmdlet ?? cmdletNameOf(body);
            const anchor = headerValue(incoming.req.headers["x-anchormailbox"]);
            if (cmdlet) details.cmdlet = cmdlet;
            if (anchor) details.anchorMailbox = anchor;
        }
        const batchPath = /^\/(v1\.0|beta)\/\$batch$/i.exec(rawPath);
        if (batchPath && method === "POST") {
            const items = batchItemsOf(batchPath[1], body);
            if (items) details.items = items;
        }

        this.log.add({
            requestId: incoming.requestId,
            method,
            path: rawPath,
            query: incoming.query || undefined,
            status,
            startedAt: incoming.startedAt,
            endedAt,
            ...(meta.appId ? { appId: meta.appId } : {}),
            ...(meta.cmdlet ? { cmdlet: meta.cmdlet } : {}),
            ...(meta.retryAfterSeconds === undefined
                ? {}
                : { retryAfterSeconds: meta.retryAfterSeconds }),
            ...(meta.bucket ? { bucket: meta.bucket } : {}),
            ...details,
        });
    }
}

/** What the pipeline learnt about a request, for its log entry. */
interface LogMeta {
    appId?: string;
    cmdlet?: string;
    retryAfterSeconds?: number;
    bucket?: ThrottleBucket;
}

/** `CmdletInput.CmdletName` of an InvokeCommand body, when it has one. */
function cmdletNameOf(body: Buffer): string | undefined {
    try {
        const name = (
            JSON.parse(body.toString("utf8")) as { CmdletInput?: { CmdletName?: unknown } }
        )?.CmdletInput?.CmdletName;
        return typeof name === "string" && name !== "" ? name : undefined;
    } catch {
        return undefined;
    }
}

/** The items of a `$batch` body, summarised as their own log entries would be; else undefined. */
function batchItemsOf(version: string, body: Buffer): BatchItemSummary[] | undefined {
    let requests: unknown;
    try {
        requests = (JSON.parse(body.toString("utf8")) as { requests?: unknown })?.requests;
    } catch {
        return undefined;
    }
    if (!Array.isArray(requests)) return undefined;
    return requests
        .filter(
            (r): r is Record<string, unknown> =>
                typeof r === "object" &&
                r !== null &&
                typeof (r as { url?: unknown }).url === "string",
        )
        .map((r) => {
            const bodySha256 = bodyFingerprint(batchItemBody(r));
            return {
                id: String(r.id),
                method: String(r.method ?? "").toUpperCase(),
                ...batchItemLocation(version, r.url as string),
                ...(bodySha256 ? { bodySha256 } : {}),
            };
        });
}

function headerValue(value: string | string[] | undefined): string | undefined {
    return Array.isArray(value) ? value[0] : value;
}

export { ScenarioError } from "./scenario";
export { FaultConfigError } from "./faults";
export type { FaultConfig } from "./faults";
export type { RequestLogEntry } from "./request-log";
