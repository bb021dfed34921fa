/**
 * The Graph client against a real local tenant: authentication through @azure/identity,
 * paging, retries that never come early, the Outlook per-mailbox limit, and errors that say
 * what to do. Timing claims are proven from the tenant's request log, never from wall clock.
 */
import { ClientSecretCredential } from "@azure/identity";
import type { User } from "@microsoft/microsoft-graph-types";

import type { GraphRoute } from "../../../local-tenant/contracts";
import {
    connect,
    GraphRequestError,
    loadSettings,
    pageAll,
    type LogEntry,
    type TenantConnection,
} from "../../../dynamic-providers/connection";
import type { RequestLogEntry } from "../../../local-tenant/server";
import {
    DOMAIN,
    envWithoutNodeCa,
    RESTRICTED_CLIENT_ID,
    RESTRICTED_SECRET,
    startConnectionTenant,
    type TestTenant,
} from "./fixture";

/** A test-only collection whose nextLink leaves the Graph endpoint, as a hostile proxy might. */
const FOREIGN_NEXT = "https://graph.invalid/v1.0/users/x/foreignPages?$skiptoken=2";
const foreignPages: GraphRoute = {
    method: "GET",
    pattern: "/users/{id}/foreignPages",
    permissions: { anyOf: [] },
    handler: () => ({
        status: 200,
        body: { value: [{ id: "1" }], "@odata.nextLink": FOREIGN_NEXT },
    }),
};

let tenant: TestTenant;
let conn: TenantConnection;
const logs: LogEntry[] = [];

beforeAll(async () => {
    tenant = await startConnectionTenant(30, { routes: [foreignPages] });
    conn = connect(loadSettings(undefined, envWithoutNodeCa(tenant)), {
        logger: (entry) => logs.push(entry),
    });
});

afterAll(async () => {
    await tenant?.stop();
});

beforeEach(() => {
    tenant.control.setFaults({});
    tenant.control.clearRequests();
});

function graphRequests(pathPrefix: string): RequestLogEntry[] {
    return tenant.control.getRequests().filter((r) => r.path.startsWith(pathPrefix) && !r.batch);
}

/** Every retry started at least `ms` after the previous attempt's answer ended. */
function expectGapsAtLeast(entries: RequestLogEntry[], ms: number): void {
    for (let i = 1; i < entries.length; i++) {
        expect(entries[i].startedAt - entries[i - 1].endedAt).toBeGreaterThanOrEqual(ms);
    }
}

test("authenticates through @azure/identity with the tenant's token endpoint", async () => {
    const settings = loadSettings(undefined, envWithoutNodeCa(tenant));
    const fresh = connect(settings);
    const user = await fresh.graph.api(`/users/user1@${DOMAIN}`).get();

    expect(user.userPrincipalName).toBe(`user1@${DOMAIN}`);
    const token = tenant.control
        .getRequests()
        .find((r) => r.method === "POST" && r.path.endsWith("/oauth2/v2.0/token"));
    expect(token?.status).toBe(200);
    expect(graphRequests(`/v1.0/users/user1`)[0].appId).toBe(settings.clientId);
});

test("pages through @odata.nextLink until the last page", async () => {
    const users = await conn.pageAll<User>("/users?$top=7&$select=id");

    expect(users).toHaveLength(30);
    expect(new Set(users.map((u) => u.id)).size).toBe(30);
    expect(graphRequests("/v1.0/users")).toHaveLength(5);
});

test("refuses an @odata.nextLink to a host other than the configured Graph endpoint", async () => {
    await expect(conn.pageAll(`/users/user1@${DOMAIN}/foreignPages`)).rejects.toThrow(
        `Graph paging stopped: @odata.nextLink points to https://graph.invalid, not the configured Graph endpoint ${tenant.url}; the token is never sent elsewhere. If Graph really lives there, set bec-guard:graphUrl (or bec-guard:cloud) to it.`,
    );
    expect(graphRequests("/v1.0/users/user1")).toHaveLength(1);
});

test("refuses a first page on another host than the configured Graph endpoint", async () => {
    const client = (await import("../../../dynamic-providers/connection")).createGraphClient(
        loadSettings(undefined, envWithoutNodeCa(tenant)),
    ).client;

    await expect(pageAll(client, FOREIGN_NEXT)).rejects.toThrow(
        `Graph paging stopped: the first page's URL points to https://graph.invalid, not the configured Graph endpoint ${tenant.url};`,
    );
});

test("retries a throttled request only after its Retry-After", async () => {
    tenant.control.setFaults({
        retryAfterSeconds: 1,
        failNth: [
            { method: "GET", pathPattern: "^/v1.0/users/user2", n: 1, status: 429, times: 2 },
        ],
    });

    const user = await conn.graph.api(`/users/user2@${DOMAIN}`).get();

    expect(user.displayName).toBe("User 2");
    const attempts = graphRequests("/v1.0/users/user2");
    expect(attempts.map((r) => r.status)).toEqual([429, 429, 200]);
    expectGapsAtLeast(attempts, 1000);
});

test("repeats a read whose connection was reset", async () => {
    tenant.control.setFaults({
        failNth: [{ method: "GET", pathPattern: "^/v1.0/users/user3", n: 1, status: 0 }],
    });

    const user = await conn.graph.api(`/users/user3@${DOMAIN}`).get();

    expect(user.displayName).toBe("User 3");
    expect(graphRequests("/v1.0/users/user3").map((r) => r.status)).toEqual([0, 200]);
});

test("gives up after the attempt bound with an error that says how often it tried", async () => {
    const bounded = connect(loadSettings(undefined, envWithoutNodeCa(tenant)), {
        retry: { maxAttempts: 3 },
    });
    tenant.control.setFaults({
        retryAfterSeconds: 0,
        failNth: [
            { method: "GET", pathPattern: "^/v1.0/users/user4", n: 1, status: 503, times: 10 },
        ],
    });

    const error = await bounded.graph
        .api(`/users/user4@${DOMAIN}`)
        .get()
        .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    expect((error as Error).message).toContain("after 3 attempt(s)");
    expect(graphRequests("/v1.0/users/user4")).toHaveLength(3);
});

test("maps a missing user to a typed error with Graph's code and request-id", async () => {
    const error = (await conn.graph
        .api(`/users/nobody@${DOMAIN}`)
        .get()
        .catch((e: unknown) => e)) as GraphRequestError;

    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error.status).toBe(404);
    expect(error.code).toBe("Request_ResourceNotFound");
    expect(error.isNotFound).toBe(true);
    expect(error.requestId).toBe(graphRequests("/v1.0/users/nobody")[0].requestId);
    expect(error.clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).toContain(`request-id ${error.requestId}`);
    expect(error.message).toContain("check the identifier");
});

test("a 403 names the permission the manifest lists for the operation", async () => {
    const restricted = connect(
        loadSettings(undefined, {
            ...envWithoutNodeCa(tenant),
            AZURE_CLIENT_ID: RESTRICTED_CLIENT_ID,
            AZURE_CLIENT_SECRET: RESTRICTED_SECRET,
        }),
    );

    const error = (await restricted.graph
        .api(`/users/user5@${DOMAIN}`)
        .patch({ accountEnabled: false })
        .catch((e: unknown) => e)) as GraphRequestError;

    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error.status).toBe(403);
    expect(error.code).toBe("Authorization_RequestDenied");
    expect(error.operations).toEqual(["users.setAccountEnabled"]);
    expect(error.requiredPermissions).toEqual(["User.EnableDisableAccount.All"]);
    expect(error.message).toContain("User.EnableDisableAccount.All");
    expect(error.message).toContain("admin consent");
    expect(tenant.control.getState().users.find((u) => u.id.endsWith("5"))?.accountEnabled).toBe(
        true,
    );
});

test("holds at most 4 requests in flight per mailbox", async () => {
    tenant.control.setFaults({ latencyMs: 50 });
    const mailbox = `user6@${DOMAIN}`;

    await Promise.all(
        Array.from({ length: 12 }, () =>
            conn.graph.api(`/users/${mailbox}/mailFolders/inbox/messageRules`).get(),
        ),
    );

    const entries = graphRequests("/v1.0/users/user6");
    expect(entries).toHaveLength(12);
    expect(entries.every((r) => r.status === 200)).toBe(true);
    expect(maxOverlap(entries)).toBeLessThanOrEqual(4);
});

test("never has more than the overall limit of Graph requests in flight", async () => {
    tenant.control.setFaults({ latencyMs: 30 });

    await Promise.all(
        Array.from({ length: 20 }, (_, i) => conn.graph.api(`/users/user${i + 1}@${DOMAIN}`).get()),
    );

    const entries = graphRequests("/v1.0/users/user");
    expect(entries).toHaveLength(20);
    expect(maxOverlap(entries)).toBeLessThanOrEqual(8);
});

test("log lines name retries but never the secret or a token", async () => {
    tenant.control.setFaults({
        retryAfterSeconds: 0,
        failNth: [{ method: "GET", pathPattern: "^/v1.0/users/user7", n: 1, status: 429 }],
    });
    logs.length = 0;

    await conn.graph.api(`/users/user7@${DOMAIN}`).get();

    expect(logs.some((l) => l.level === "warn" && /429/.test(l.message))).toBe(true);
    const all = logs.map((l) => l.message).join("\n");
    expect(all).not.toContain(tenant.clientSecret);
    expect(all).not.toMatch(/Bearer\s+[A-Za-z0-9]/);
});

test("the credential built for client-secret settings is @azure/identity's", async () => {
    const { createCredential } = await import("../../../dynamic-providers/connection");
    const credential = createCredential(loadSettings(undefined, envWithoutNodeCa(tenant)));

    expect(credential).toBeInstanceOf(ClientSecretCredential);
    const token = await credential.getToken("https://graph.microsoft.com/.default");
    expect(token?.token.split(".")).toHaveLength(3);
});

/** The largest number of entries whose [startedAt, endedAt] intervals overlap at one time. */
function maxOverlap(entries: RequestLogEntry[]): number {
    const events = entries.flatMap((e) => [
        { t: e.startedAt, d: 1 },
        { t: e.endedAt, d: -1 },
    ]);
    events.sort((a, b) => a.t - b.t || a.d - b.d);
    let current = 0;
    let max = 0;
    for (const e of events) {
        current += e.d;
        max = Math.max(max, current);
    }
    return max;
}
