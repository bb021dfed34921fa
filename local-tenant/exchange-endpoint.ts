/**
 * The Exchange Online admin API endpoint behind the ExchangeOnlineManagement v3 module:
 * `POST /adminapi/beta/{tenantId}/InvokeCommand` with `{"CmdletInput":{"CmdletName",
 * "Parameters"}}`. The core checks the token (audience https://outlook.office365.com, app role
 * Exchange.ManageAsApp), the cmdlet's parameters and Exchange roles, throttles per anchor
 * mailbox, pages `value`, and answers errors in the shape Exchange uses:
 *
 * `{"error":{"code":"BadRequest","message":"Invalid Operation","details":[{"code":"Client",
 * "target":"","message":"<ExId>|<exception type>|<message>"}],"innererror":{...,
 * "internalexception":{"message","type"}}}}`
 *
 * Note: a cmdlet error's `category` is not on the wire (Exchange puts only the exception type
 * and message in `details`); the ExId is derived from the exception type.
 */
import { createHash, randomUUID } from "crypto";
import type { TenantState } from "./model";
import { CmdletError, type Cmdlet } from "./contracts";
import { EXCHANGE_APP_ROLE, EXCHANGE_AUDIENCE, type Identity, tenantMatches } from "./identity";
import type { Throttler } from "./throttling";
import { normaliseMailbox, type InFlight } from "./graph-engine";

export interface ExchangeHost {
    state(): TenantState;
    origin(): string;
    now(): number;
    identity: Identity;
    throttler: Throttler;
    changed(): void;
}

export interface ExchangeRequest {
    /** The {tenantId} segment of the URL. */
    tenant: string;
    query: URLSearchParams;
    headers: Record<string, string | string[] | undefined>;
    bodyText: string;
    /**
     * The HTTP request in flight: an admitted cmdlet waits out its latency holding its anchor
     * mailbox's slot, which the server frees after answering. Without it the slot is held only
     * while the cmdlet runs.
     */
    inFlight?: InFlight;
}

export interface ExchangeAnswer {
    status: number;
    headers: Record<string, string>;
    body: unknown;
    cmdlet?: string;
    appId?: string;
}

const STATUS_CODES: Record<number, string> = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
};

/** Default number of objects per page (what the ExchangeOnlineManagement module asks for). */
export const DEFAULT_EXCHANGE_PAGE_SIZE = 1000;

export class ExchangeEndpoint {
    private readonly cmdlets = new Map<string, Cmdlet>();

    /**
     * @param cmdlets Cmdlets served; the first of a name wins (case-insensitive).
     * @param pageSize Objects per page when the client sends no `Prefer: odata.maxpagesize`.
     */
    constructor(
        private readonly host: ExchangeHost,
        cmdlets: Cmdlet[],
        private readonly pageSize = DEFAULT_EXCHANGE_PAGE_SIZE,
    ) {
        for (const cmdlet of cmdlets) {
            const key = cmdlet.name.toLowerCase();
            if (!this.cmdlets.has(key)) this.cmdlets.set(key, cmdlet);
        }
    }

    async invoke(request: ExchangeRequest): Promise<ExchangeAnswer> {
        const state = this.host.state();

        // 1. The token: Exchange's audience, this tenant, and the Exchange.ManageAsApp role.
        const auth = header(request.headers, "authorization") ?? "";
        const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
        if (!token) return unauthorized("The request has no bearer token.");
        const verified = this.host.identity.verify(token, EXCHANGE_AUDIENCE, state.tenant.id);
        if ("problem" in verified)
            return unauthorized(`The access token is not valid: ${verified.problem}`);
        const { claims } = verified;
        if (!tenantMatches(state, request.tenant)) {
            return unauthorized(
                `The tenant '${request.tenant}' in the URL is not the token's tenant.`,
            );
        }
        const app = state.apps.find((a) => a.clientId === claims.appid);
        if (!app)
            return unauthorized(
                "The application in the token is no longer registered in the tenant.",
            );
        if (!claims.roles.includes(EXCHANGE_APP_ROLE)) {
            return exchangeError(
                403,
                "",
                "Microsoft.Exchange.Security.Authorization.UnauthorizedAccessException",
                `The application '${app.displayName}' does not hold the ${EXCHANGE_APP_ROLE} app role. Grant it on the Office 365 Exchange Online API and get a new token.`,
                { appId: app.clientId },
            );
        }

        // 2. The command.
        let input: { CmdletName?: unknown; Parameters?: unknown } | undefined;
        try {
            input = (JSON.parse(request.bodyText) as { CmdletInput?: typeof input }).CmdletInput;
        } catch {
            input = undefined;
        }
        if (!input || typeof input.CmdletName !== "string") {
            return exchangeError(
                400,
                "",
                "Microsoft.Exchange.AdminApi.CommandInvocation.InvalidRequestException",
                'The body must be {"CmdletInput":{"CmdletName":"...","Parameters":{...}}}.',
                { appId: app.clientId },
            );
        }
        const name = input.CmdletName;
        const parameters = input.Parameters ?? {};
        if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
            return exchangeError(
                400,
                "",
                "Microsoft.Exchange.AdminApi.CommandInvocation.InvalidRequestException",
                "CmdletInput.Parameters must be an object.",
                { appId: app.clientId, cmdlet: name },
            );
        }
        const cmdlet = this.cmdlets.get(name.toLowerCase());
        const meta = { appId: app.clientId, cmdlet: cmdlet?.name ?? name };
        if (!cmdlet) {
            return exchangeError(
                400,
                "",
                "System.Management.Automation.CommandNotFoundException",
                `The term '${name}' is not recognized as the name of a cmdlet, function, script file, or operable program.`,
                meta,
            );
        }
        const accepted = new Set(cmdlet.parameters.map((p) => p.toLowerCase()));
        const unknown = Object.keys(parameters).filter((p) => !accepted.has(p.toLowerCase()));
        if (unknown.length > 0) {
            return exchangeError(
                400,
                "",
                "Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException",
                `Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. ${unknown.join(", ")}`,
                meta,
            );
        }

        // 3. Exchange RBAC for applications: one of the cmdlet's roles must be assigned.
        if (cmdlet.roles.length > 0 && !cmdlet.roles.some((r) => app.exchangeRoles.includes(r))) {
            return exchangeError(
                403,
                exId("CmdletAccessDeniedException"),
                "Microsoft.Exchange.Configuration.Tasks.CmdletAccessDeniedException",
                `The application '${app.displayName}' is not assigned any management role that allows ${cmdlet.name}. Assign one of: ${cmdlet.roles.join(", ")}.`,
                meta,
            );
        }

        // 4. Throttling per anchor mailbox (X-AnchorMailbox: "UPN:x", "APP:SystemMailbox{...}@tenant" or an address).
        const anchor = header(request.headers, "x-anchormailbox");
        const admission = this.host.throttler.admit(anchor ? "outlook" : undefined, {
            appId: app.clientId,
            tenantId: state.tenant.id,
            mailbox: anchor
                ? normaliseMailbox(state, anchor.replace(/^(UPN|SMTP|APP):/i, ""))
                : undefined,
        });
        if (!admission.admitted) {
            const answer = exchangeError(
                429,
                "",
                "Microsoft.Exchange.Data.Storage.TooManyObjectsOpenedException",
                admission.message,
                meta,
            );
            if (admission.retryAfterSeconds !== undefined)
                answer.headers["Retry-After"] = String(admission.retryAfterSeconds);
            return answer;
        }

        // 5. The time on the wire, holding the slot; the server frees it after answering.
        if (request.inFlight) {
            request.inFlight.releases.push(admission.release);
            await request.inFlight.latency();
        }

        // 6. Run it.
        let value: Array<Record<string, unknown>>;
        let warnings: string[];
        try {
            const result = await cmdlet.handler({
                state,
                app,
                parameters: parameters as Record<string, unknown>,
                anchorMailbox: anchor,
                now: () => new Date(this.host.now()),
                newId: () => randomUUID(),
            });
            value = result.value;
            warnings = result.warnings ?? [];
        } catch (err) {
            if (err instanceof CmdletError) {
                return exchangeError(
                    err.status,
                    exId(err.exceptionType),
                    err.exceptionType,
                    err.message,
                    meta,
                );
            }
            const message = err instanceof Error ? err.message : String(err);
            process.stderr.write(
                `local tenant: ${cmdlet.name} failed: ${err instanceof Error ? err.stack : message}\n`,
            );
            return exchangeError(
                500,
                "",
                "System.Exception",
                `The local tenant failed to run ${cmdlet.name}: ${message}`,
                meta,
            );
        } finally {
            if (!request.inFlight) admission.release();
        }
        if (!/^get-/i.test(cmdlet.name)) this.host.changed();

        // 7. Page `value`; the client POSTs the same body to the next link.
        const pageSize = preferredPageSize(header(request.headers, "prefer")) ?? this.pageSize;
        const offset = skipOffset(request.query.get("$skiptoken"));
        if (offset === undefined) {
            return exchangeError(
                400,
                "",
                "Microsoft.Exchange.AdminApi.CommandInvocation.InvalidRequestException",
                "The $skiptoken is not valid: POST to the @odata.nextLink exactly as returned.",
                meta,
            );
        }
        const base = `${this.host.origin()}/adminapi/beta/${request.tenant}`;
        const body: Record<string, unknown> = {
            "@odata.context": `${base}/$metadata#Collection(Exchange.GenericHashTable)`,
            "adminapi.warnings@odata.type": "#Collection(String)",
            "@adminapi.warnings": warnings,
        };
        if (offset + pageSize < value.length) {
            const token = Buffer.from(JSON.stringify({ o: offset + pageSize })).toString(
                "base64url",
            );
            body["@odata.nextLink"] = `${base}/InvokeCommand?$skiptoken=${token}`;
        }
        body.value = value.slice(offset, offset + pageSize);
        return { status: 200, headers: {}, body, ...meta };
    }
}

function header(headers: ExchangeRequest["headers"], name: string): string | undefined {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
}

function preferredPageSize(prefer: string | undefined): number | undefined {
    const m = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(prefer ?? "");
    return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
}

function skipOffset(token: string | null): number | undefined {
    if (token === null) return 0;
    try {
        const o = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o?: unknown })
            .o;
        return Number.isInteger(o) && (o as number) >= 0 ? (o as number) : undefined;
    } catch {
        return undefined;
    }
}

/** A stable Exchange-style error id ("Ex" + 6 hex digits) for an exception type. */
function exId(exceptionType: string): string {
    return `Ex${createHash("sha1").update(exceptionType).digest("hex").slice(0, 6).toUpperCase()}`;
}

function unauthorized(message: string): ExchangeAnswer {
    return {
        status: 401,
        headers: {
            "WWW-Authenticate": `Bearer client_id="00000002-0000-0ff1-ce00-000000000000", token_types="app_asserted_user_v1 service_asserted_app_v1", error="invalid_token"`,
        },
        body: { error: { code: "Unauthorized", message } },
    };
}

function exchangeError(
    status: number,
    id: string,
    exceptionType: string,
    message: string,
    meta: { appId?: string; cmdlet?: string },
): ExchangeAnswer {
    return {
        status,
        headers: {},
        ...meta,
        body: {
            error: {
                code: STATUS_CODES[status] ?? "BadRequest",
                message: "Invalid Operation",
                details: [
                    {
                        code: status >= 500 ? "Server" : "Client",
                        target: "",
                        message: `${id}|${exceptionType}|${message}`,
                    },
                ],
                innererror: {
                    message: "Invalid Operation",
                    type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
                    stacktrace: "",
                    internalexception: { message, type: exceptionType, stacktrace: "" },
                },
            },
            "adminapi.warnings@odata.type": "#Collection(String)",
            "@adminapi.warnings": [],
        },
    };
}
