/**
 * The Exchange Online admin API client: runs cmdlets through
 * `POST {exchangeBase}/adminapi/beta/{tenantId}/InvokeCommand`, the REST endpoint behind the
 * ExchangeOnlineManagement v3 module (as ScubaGear and CIPP use it).
 *
 * The shape, as those tools and the local tenant use it:
 * - body `{"CmdletInput":{"CmdletName":"Get-Mailbox","Parameters":{...}}}`;
 * - a token for the Exchange resource (`https://outlook.office365.com/.default` globally) whose
 *   app holds Exchange.ManageAsApp and an Exchange management role allowing the cmdlet;
 * - header `X-AnchorMailbox`: `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@{tenant}`
 *   for organisation cmdlets, or the target mailbox's UPN (routes to the mailbox's server);
 * - answer `{"value":[...], "@adminapi.warnings":[...], "@odata.nextLink": "..."}`; the next
 *   page is fetched by POSTing the same body to the nextLink;
 * - errors `{"error":{"code","message","details":[{"message":"Type|Category|Message"}]}}`;
 *   Exchange itself writes `ErrorId|ExceptionType|Message` (e.g. `Ex6F9304|...
 *   ManagementObjectNotFoundException|...`); both forms are read. A cmdlet error may come with
 *   HTTP 400 or 500: an error that names a cmdlet exception is never retried;
 * - no-op changes are warnings ("...no settings of '...' have been modified", "...ACE doesn't
 *   exist..."): success, returned in `warnings`;
 * - requests anchored on one mailbox count against Outlook's 4 concurrent requests per mailbox
 *   (the system mailbox for organisation cmdlets): at most 4 per anchor are in flight from this
 *   process, the rest queue here instead of collecting 429s.
 *
 * It is undocumented; everything that depends on it stays in this file so it can move to the
 * documented Admin API v2.0 as that grows.
 */
import type { TokenCredential } from "@azure/identity";

import { resolveEndpoints, type CloudEndpoints } from "./clouds";
import { createCredential } from "./credentials";
import { completeError } from "./errors";
import {
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_RETRY_AFTER_SECONDS,
    defaultRetryDelayMs,
    retryAfterMs,
} from "./graph";
import { tenantLimits, waitAtLeast, type KeyedLimiter, type Semaphore } from "./limits";
import { safeLogger, type ConnectionLogger, type SafeLogger } from "./log";
import { exchangeRoleFor, EXCHANGE_APP_ROLE } from "./permissions";
import type { ConnectionSettings } from "./settings";
import {
    createHttpsFetch,
    httpsAgentFor,
    NetworkError,
    TRANSIENT_NETWORK_CODES,
    type FetchLike,
} from "./transport";

/** The system mailbox Exchange uses to route organisation-wide cmdlets. */
export const SYSTEM_MAILBOX_GUID = "bb558c35-97f1-4cb9-8ff7-d53741dc928c";

/** Warnings that mean "nothing to change": the desired state already holds. */
export const NO_OP_WARNINGS: readonly RegExp[] = [
    /no settings of .* have been modified/i,
    /ACE doesn't exist/i,
];

/** The outcome of one cmdlet, all pages. */
export interface ExchangeResult<T = Record<string, unknown>> {
    value: T[];
    /** Exchange's warnings, including no-op ones ("... no settings ... have been modified"). */
    warnings: string[];
    /** True when a warning says the cmdlet changed nothing because nothing needed changing. */
    noOp: boolean;
}

export interface InvokeOptions {
    /**
     * `X-AnchorMailbox`: the target mailbox's UPN for mailbox cmdlets (routes to its server);
     * default the system mailbox (`APP:SystemMailbox{...}@{tenant}`).
     */
    anchorMailbox?: string;
    /** `$select` properties, to keep large objects (mailboxes) small. */
    select?: string[];
    /** Stop with an error after this many pages. Default 1,000. */
    maxPages?: number;
}

/** A cmdlet that Exchange refused, with what to do. */
export class ExchangeCommandError extends Error {
    constructor(
        readonly cmdlet: string,
        /** .NET exception type, e.g. Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException. */
        readonly exceptionType: string,
        /** Category, e.g. ManagementObjectNotFoundException or InvalidArgument. */
        readonly category: string,
        /** Exchange's own message. */
        readonly exchangeMessage: string,
        /** HTTP status; 0 when no response arrived. */
        readonly status: number,
        /** What to do. */
        readonly advice: string,
        readonly requestId?: string,
        /** Times the request was sent. */
        readonly attempts = 1,
    ) {
        const message =
            `Exchange ${cmdlet} failed: ${status === 0 ? "no response" : status} ` +
            `${exceptionType || category}: ${exchangeMessage} ${advice}` +
            (requestId ? ` (request-id ${requestId})` : "");
        super(message);
        completeError(this, ExchangeCommandError.prototype, "ExchangeCommandError", message);
    }

    /** The object (mailbox, rule, permission...) does not exist. */
    get isNotFound(): boolean {
        return (
            /NotFound|NoSuchObject/i.test(this.exceptionType) ||
            /NotFound/i.test(this.category) ||
            /couldn't be found|could not be found|doesn't exist|does not exist/i.test(
                this.exchangeMessage,
            )
        );
    }
}

/** True when `err` is an ExchangeCommandError for a missing object. */
export function isNotFound(err: unknown): boolean {
    return err instanceof ExchangeCommandError && err.isNotFound;
}

export interface ExchangeClientOptions {
    credential?: TokenCredential;
    logger?: ConnectionLogger;
    /** Sends per request at most (first included). Default 5. */
    maxAttempts?: number;
    /** Longest Retry-After waited out, in seconds. Default 300. */
    maxRetryAfterSeconds?: number;
    /** Max Exchange requests in flight for this tenant in this process. Default 8. */
    overallConcurrency?: number;
}

/** Runs Exchange cmdlets for one tenant. */
export class ExchangeClient {
    readonly endpoints: CloudEndpoints;
    private readonly credential: TokenCredential;
    private readonly fetchImpl: FetchLike;
    private readonly log: SafeLogger;
    private readonly limit: Semaphore;
    private readonly mailboxes: KeyedLimiter;
    private readonly maxAttempts: number;
    private readonly maxRetryAfterMs: number;

    /**
     * @param settings From `loadSettings`.
     * @param options Credential, logger, retry bounds, concurrency.
     */
    constructor(
        private readonly settings: ConnectionSettings,
        options: ExchangeClientOptions = {},
    ) {
        this.endpoints = resolveEndpoints(settings);
        this.credential = options.credential ?? createCredential(settings, this.endpoints);
        this.fetchImpl = createHttpsFetch(httpsAgentFor(this.endpoints.caCertPath));
        this.log = safeLogger(options.logger, [
            settings.clientSecret,
            settings.clientCertificatePassword,
        ]);
        const limits = tenantLimits(
            `${this.endpoints.exchangeBaseUrl}|${settings.tenantId}`,
            options.overallConcurrency,
        );
        this.limit = limits.overall;
        this.mailboxes = limits.mailboxes;
        this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
        this.maxRetryAfterMs =
            (options.maxRetryAfterSeconds ?? DEFAULT_MAX_RETRY_AFTER_SECONDS) * 1000;
    }

    /** The InvokeCommand URL for this tenant. */
    get invokeUrl(): string {
        return `${this.endpoints.exchangeBaseUrl}/adminapi/beta/${encodeURIComponent(this.settings.tenantId)}/InvokeCommand`;
    }

    /**
     * Run a cmdlet and collect every page.
     *
     * @param cmdlet e.g. "Get-InboxRule".
     * @param parameters The cmdlet's parameters, as JSON (switches as `true`; hashtables such as
     *   `{ add: [...], remove: [...] }` as objects).
     * @param options Anchor mailbox, $select, page bound.
     * @throws ExchangeCommandError for a refused cmdlet or a request that kept failing.
     */
    async invoke<T = Record<string, unknown>>(
        cmdlet: string,
        parameters: Record<string, unknown> = {},
        options: InvokeOptions = {},
    ): Promise<ExchangeResult<T>> {
        // 1. Request pieces: body, anchor, first URL.
        const body = JSON.stringify({
            CmdletInput: { CmdletName: cmdlet, Parameters: parameters },
        });
        const anchor =
            options.anchorMailbox ??
            `APP:SystemMailbox{${SYSTEM_MAILBOX_GUID}}@${this.settings.tenantId}`;
        const select = options.select?.length
            ? `?$select=${options.select.map(encodeURIComponent).join(",")}`
            : "";
        let url: string | undefined = this.invokeUrl + select;

        // 2. Pages: POST the same body to each nextLink until there is none.
        const value: T[] = [];
        const warnings: string[] = [];
        const seen = new Set<string>();
        const maxPages = options.maxPages ?? 1000;
        for (let page = 1; url !== undefined; page++) {
            if (page > maxPages) {
                throw new Error(
                    `Exchange ${cmdlet}: stopped after ${maxPages} pages; narrow the query (Filter, ResultSize).`,
                );
            }
            seen.add(url);
            const answer = await this.send(cmdlet, url, body, anchor);
            if (answer.noOp) {
                warnings.push(...answer.warnings);
                break;
            }
            value.push(...((answer.body.value as T[] | undefined) ?? []));
            warnings.push(...toStrings(answer.body["@adminapi.warnings"]));
            const next = answer.body["@odata.nextLink"];
            url = typeof next === "string" && next.length > 0 ? next : undefined;
            if (url !== undefined && seen.has(url)) {
                throw new Error(
                    `Exchange ${cmdlet}: @odata.nextLink repeated a page; paging stopped.`,
                );
            }
        }
        return {
            value,
            warnings,
            noOp: warnings.some((w) => NO_OP_WARNINGS.some((re) => re.test(w))),
        };
    }

    /** One POST with retries; returns the parsed body, or a no-op error turned into warnings. */
    private async send(
        cmdlet: string,
        url: string,
        body: string,
        anchor: string,
    ): Promise<{ body: Record<string, unknown>; warnings: string[]; noOp: boolean }> {
        const repeatable = !/^New-/i.test(cmdlet);
        const mailbox = anchorKey(anchor);
        for (let attempt = 1; ; attempt++) {
            // 1. Token and request; the token is cached by @azure/identity until near expiry.
            const token = await this.credential
                .getToken([this.endpoints.exchangeScope])
                .catch((err: Error) => {
                    throw new ExchangeCommandError(
                        cmdlet,
                        "",
                        err.name,
                        err.message,
                        0,
                        "Getting a token failed: check the tenant id, client id and credential; for " +
                            "a custom cloud also check bec-guard:authorityHost and bec-guard:caCertPath.",
                    );
                });
            if (!token) throw new Error(`No token for ${this.endpoints.exchangeScope}.`);
            // The anchor's slot first, so a queued request does not hold an overall slot.
            let response: Response;
            await this.mailboxes.acquire(mailbox);
            await this.limit.acquire();
            try {
                response = await this.fetchImpl(url, {
                    method: "POST",
                    headers: {
                        Authorization: `Bearer ${token.token}`,
                        "Content-Type": "application/json",
                        Accept: "application/json",
                        "X-AnchorMailbox": anchor,
                        "X-CmdletName": cmdlet,
                    },
                    body,
                });
            } catch (err) {
                const transient =
                    err instanceof NetworkError && TRANSIENT_NETWORK_CODES.includes(err.code ?? "");
                if (!transient || !repeatable || attempt >= this.maxAttempts) {
                    throw new ExchangeCommandError(
                        cmdlet,
                        "",
                        err instanceof NetworkError
                            ? (err.code ?? "NetworkError")
                            : (err as Error).name,
                        (err as Error).message,
                        0,
                        repeatable
                            ? `No response after ${attempt} attempt(s); check connectivity and run again.`
                            : "The connection failed mid-request, so the object may or may not exist now; run again (the resource reads before it creates).",
                        undefined,
                        attempt,
                    );
                }
                await this.wait(cmdlet, attempt, defaultRetryDelayMs(attempt), "connection failed");
                continue;
            } finally {
                this.limit.release();
                this.mailboxes.release(mailbox);
            }

            // 2. Success.
            const text = await response.text();
            const parsed = parseJson(text);
            if (response.ok) return { body: parsed ?? {}, warnings: [], noOp: false };

            // 3. A cmdlet error: a no-op is success, anything else is final.
            const error = parseCmdletError(parsed);
            const requestId = response.headers.get("request-id") ?? undefined;
            if (error && NO_OP_WARNINGS.some((re) => re.test(error.message))) {
                return { body: {}, warnings: [error.message], noOp: true };
            }
            const status = response.status;
            // 429 and 503 mean "not processed, come back later" even when they carry an exception
            // type; other 5xx are retried only without a cmdlet error and for repeatable cmdlets.
            const retryable =
                status === 429 ||
                status === 503 ||
                (error === undefined && status >= 500 && repeatable);
            const asked = retryAfterMs(response.headers);
            if (retryable && attempt < this.maxAttempts && (asked ?? 0) <= this.maxRetryAfterMs) {
                await this.wait(
                    cmdlet,
                    attempt,
                    asked ?? defaultRetryDelayMs(attempt),
                    `HTTP ${status}`,
                );
                continue;
            }
            throw this.toError(cmdlet, status, error, parsed, text, requestId, attempt, asked);
        }
    }

    private async wait(cmdlet: string, attempt: number, ms: number, why: string): Promise<void> {
        this.log.log(
            "warn",
            `Exchange ${cmdlet}: ${why}; waiting ${ms} ms before attempt ${attempt + 1} of ${this.maxAttempts}.`,
        );
        await waitAtLeast(ms);
    }

    private toError(
        cmdlet: string,
        status: number,
        error: ParsedCmdletError | undefined,
        parsed: Record<string, unknown> | undefined,
        text: string,
        requestId: string | undefined,
        attempts: number,
        asked: number | undefined,
    ): ExchangeCommandError {
        const envelope = (parsed?.error ?? {}) as Record<string, unknown>;
        const exceptionType =
            error?.exceptionType ??
            (typeof envelope.code === "string" ? envelope.code : `HTTP${status}`);
        const category = error?.category ?? "";
        const message =
            error?.message ??
            (typeof envelope.message === "string"
                ? envelope.message
                : text.slice(0, 200) || "(no body)");
        return new ExchangeCommandError(
            cmdlet,
            exceptionType,
            category,
            message,
            status,
            adviceFor(cmdlet, status, exceptionType, category, message, attempts, asked),
            requestId,
            attempts,
        );
    }
}

/**
 * The per-mailbox limit's key for an `X-AnchorMailbox` value: the address without its `UPN:`,
 * `SMTP:` or `APP:` prefix, lower-cased, so it matches the key Graph requests to the same
 * mailbox by UPN use when both go through one limiter (the local tenant serves both on one host).
 *
 * Note: a mailbox anchored by UPN and addressed in Graph by object id gets two sets of slots.
 */
function anchorKey(anchor: string): string {
    return anchor.replace(/^(UPN|SMTP|APP):/i, "").toLowerCase();
}

interface ParsedCmdletError {
    exceptionType: string;
    category: string;
    message: string;
}

/**
 * Read `error.details[].message` as `Type|Category|Message` (the local tenant, DESIGN §3) or
 * Exchange's own `ErrorId|ExceptionType|Message`. Undefined when the body is not a cmdlet error.
 */
export function parseCmdletError(
    body: Record<string, unknown> | undefined,
): ParsedCmdletError | undefined {
    const error = body?.error as { details?: Array<{ message?: unknown }> } | undefined;
    const detail = error?.details
        ?.map((d) => d.message)
        .find((m): m is string => typeof m === "string" && m.includes("|"));
    if (detail === undefined) return undefined;
    const parts = detail.split("|");
    if (parts.length < 3) return undefined;
    if (parts[0] === "" || /^Ex[0-9A-F]{4,}$/i.test(parts[0])) {
        // Exchange's own form: ErrorId|ExceptionType|Message.
        const exceptionType = parts[1];
        return {
            exceptionType,
            category: exceptionType.split(".").pop() ?? exceptionType,
            message: parts.slice(2).join("|"),
        };
    }
    return { exceptionType: parts[0], category: parts[1], message: parts.slice(2).join("|") };
}

function adviceFor(
    cmdlet: string,
    status: number,
    exceptionType: string,
    category: string,
    message: string,
    attempts: number,
    asked: number | undefined,
): string {
    if (status === 401) {
        return "The token was refused: check the credential and that the app registration lives in this cloud.";
    }
    if (
        status === 403 ||
        /AccessDenied|not allowed|isn't allowed|permission/i.test(
            `${exceptionType} ${category} ${message}`,
        )
    ) {
        const role = exchangeRoleFor(cmdlet);
        return role
            ? `Grant the app the ${EXCHANGE_APP_ROLE} app role and put its service principal in a ` +
                  `role group holding the Exchange management role "${role}" ` +
                  `(New-RoleGroup / Add-RoleGroupMember; see docs/permissions.md).`
            : `${cmdlet} is missing from the permission manifest (dynamic-providers/connection/permissions.ts): add it with its Exchange role.`;
    }
    if (
        /NotFound/i.test(`${exceptionType} ${category}`) ||
        /couldn't be found|doesn't exist/i.test(message)
    ) {
        return "The object does not exist (deleted, or a wrong identity): check the identity.";
    }
    if (/ParameterBinding|InvalidArgument|ValidationError/i.test(`${exceptionType} ${category}`)) {
        return `Exchange refused a parameter of ${cmdlet}; the message says which.`;
    }
    if (status === 429 || status === 503 || status >= 500) {
        const when =
            asked !== undefined ? ` Exchange asked to wait ${Math.ceil(asked / 1000)} s.` : "";
        return `Still failing after ${attempts} attempt(s).${when} Run again later; every step converges.`;
    }
    return "Exchange refused the cmdlet; the message says why.";
}

function parseJson(text: string): Record<string, unknown> | undefined {
    if (text.trim() === "") return undefined;
    try {
        const value: unknown = JSON.parse(text);
        return value !== null && typeof value === "object"
            ? (value as Record<string, unknown>)
            : undefined;
    } catch {
        return undefined;
    }
}

function toStrings(value: unknown): string[] {
    if (!Array.isArray(value)) return [];
    return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
}
