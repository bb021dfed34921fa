/**
 * Helpers for the local tenant's own tests: start a tenant on the small core fixture with test
 * routes, call it over real HTTPS (trusting its CA), and get tokens from its token endpoint.
 */
import * as https from "https";
import * as path from "path";
import {
    startLocalTenant,
    type LocalTenant,
    type LocalTenantOptions,
} from "../../local-tenant/server";
import { removeStateDirOnStop, tempStateDir } from "../support/local-tenant";

export const FIXTURE = path.join(__dirname, "fixtures", "core.json");
export const SECOND_APP = {
    clientId: "22222222-2222-4333-8444-555555555555",
    clientSecret: "second-app-secret",
};

/** Starts a tenant on the core fixture in a fresh temporary state directory. */
export async function startCoreTenant(options: LocalTenantOptions = {}): Promise<LocalTenant> {
    const stateDir = options.stateDir ?? tempStateDir("bec-guard-core-");
    const tenant = await startLocalTenant({ scenario: FIXTURE, port: 0, ...options, stateDir });
    // A directory the caller passed is the caller's to keep (restart tests reuse it).
    return options.stateDir ? tenant : removeStateDirOnStop(tenant, stateDir);
}

export interface Answer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;

    body: any;
}

const agents = new Map<string, https.Agent>();

/** One HTTPS request to the tenant; the body is sent as JSON unless it is a string. */
export function call(
    tenant: Pick<LocalTenant, "url" | "caCertPem">,
    method: string,
    urlPath: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
    let agent = agents.get(tenant.url);
    if (!agent) {
        agent = new https.Agent({ keepAlive: true, ca: tenant.caCertPem });
        agents.set(tenant.url, agent);
    }
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let payload: string | undefined;
    if (options.body !== undefined) {
        payload = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
        headers["Content-Type"] ??= "application/json";
    }
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const url = new URL(urlPath, tenant.url);
    return new Promise((resolve, reject) => {
        const req = https.request(url, { method, headers, agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let body: unknown;
                try {
                    body = text ? JSON.parse(text) : undefined;
                } catch {
                    body = undefined;
                }
                resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
            });
        });
        req.on("error", reject);
        req.end(payload);
    });
}

/** Asks the token endpoint for a client-credentials token. */
export async function getToken(
    tenant: LocalTenant,
    resource = "https://graph.microsoft.com",
    client: { clientId: string; clientSecret: string } = tenant,
): Promise<string> {
    const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_id: client.clientId,
        client_secret: client.clientSecret,
        scope: `${resource}/.default`,
    });
    const answer = await call(tenant, "POST", `/${tenant.tenantId}/oauth2/v2.0/token`, {
        body: form.toString(),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    if (answer.status !== 200)
        throw new Error(`token request failed: ${answer.status} ${answer.text}`);
    return answer.body.access_token as string;
}

/** Closes the keep-alive connections so jest can exit. */
export function closeAgents(): void {
    for (const agent of agents.values()) agent.destroy();
    agents.clear();
}
