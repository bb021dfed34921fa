/**
 * The Exchange admin API client against a real local tenant: anchor mailbox, paging through
 * @odata.nextLink, no-op warnings as success, typed errors, retries after Retry-After (proven
 * from the request log), and no blind repeat of a cmdlet that creates something.
 */
import type { Cmdlet } from "../../../local-tenant/contracts";
import type { RequestLogEntry } from "../../../local-tenant/server";
import {
    connect,
    ExchangeClient,
    ExchangeCommandError,
    isNotFound,
    loadSettings,
    parseCmdletError,
    SYSTEM_MAILBOX_GUID,
    type TenantConnection,
} from "../../../dynamic-providers/connection";
import {
    DOMAIN,
    envWithoutNodeCa,
    RESTRICTED_CLIENT_ID,
    RESTRICTED_SECRET,
    startConnectionTenant,
    TENANT_ID,
    type TestTenant,
} from "./fixture";

/** Echoes the X-AnchorMailbox header the client sent. Test-only. */
const anchorProbe: Cmdlet = {
    name: "Get-AnchorProbe",
    roles: ["Mail Recipients"],
    parameters: [],
    handler: (ctx) => ({ value: [{ anchor: ctx.anchorMailbox ?? null }] }),
};

let tenant: TestTenant;
let conn: TenantConnection;

beforeAll(async () => {
    tenant = await startConnectionTenant(10, { exchangePageSize: 2, cmdlets: [anchorProbe] });
    conn = connect(loadSettings(undefined, envWithoutNodeCa(tenant)));
});

afterAll(async () => {
    await tenant?.stop();
});

beforeEach(() => {
    tenant.control.setFaults({});
    tenant.control.clearRequests();
});

function invokes(cmdlet: string): RequestLogEntry[] {
    return tenant.control.getRequests().filter((r) => r.cmdlet === cmdlet);
}

/** Every InvokeCommand request, including ones a fault answered before the cmdlet was read. */
function allInvokes(): RequestLogEntry[] {
    return tenant.control.getRequests().filter((r) => r.path.startsWith("/adminapi/"));
}

test("anchors organisation cmdlets on the system mailbox and mailbox cmdlets on the mailbox", async () => {
    const org = await conn.exchange.invoke<{ anchor: string }>("Get-AnchorProbe");
    const mailbox = await conn.exchange.invoke<{ anchor: string }>(
        "Get-AnchorProbe",
        {},
        { anchorMailbox: `user1@${DOMAIN}` },
    );

    expect(org.value[0].anchor).toBe(`APP:SystemMailbox{${SYSTEM_MAILBOX_GUID}}@${TENANT_ID}`);
    expect(mailbox.value[0].anchor).toBe(`user1@${DOMAIN}`);
});

test("follows @odata.nextLink by posting the same body until the last page", async () => {
    const result = await conn.exchange.invoke<{ DomainName: string }>("Get-AcceptedDomain");

    expect(result.value.map((d) => d.DomainName)).toEqual(
        [0, 1, 2, 3, 4].map((i) => `domain${i}.example`),
    );
    expect(invokes("Get-AcceptedDomain").map((r) => [r.method, r.status])).toEqual([
        ["POST", 200],
        ["POST", 200],
        ["POST", 200],
    ]);
});

test("a change that changes nothing is a success carrying Exchange's warning", async () => {
    const result = await conn.exchange.invoke("Set-RemoteDomain", {
        Identity: "Default",
        AutoForwardEnabled: true,
    });

    expect(result.noOp).toBe(true);
    expect(result.warnings.join(" ")).toMatch(/no settings of .* have been modified/);
});

test("a missing mailbox is a typed not-found error, and is not retried", async () => {
    const error = await conn.exchange
        .invoke("Get-Mailbox", { Identity: `nobody@${DOMAIN}` })
        .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ExchangeCommandError);
    expect(isNotFound(error)).toBe(true);
    expect(error).toMatchObject({
        cmdlet: "Get-Mailbox",
        exceptionType: expect.stringContaining("ManagementObjectNotFoundException"),
    });
    expect((error as Error).message).toContain("check the identity");
    expect(invokes("Get-Mailbox")).toHaveLength(1);
});

test("retries a throttled cmdlet only after its Retry-After", async () => {
    tenant.control.setFaults({
        retryAfterSeconds: 1,
        failNth: [{ method: "POST", pathPattern: "^/adminapi/", n: 1, status: 429 }],
    });

    const result = await conn.exchange.invoke("Get-Mailbox", { Identity: `user2@${DOMAIN}` });

    expect(result.value).toHaveLength(1);
    const sent = allInvokes();
    expect(sent.map((r) => r.status)).toEqual([429, 200]);
    expect(sent[1].startedAt - sent[0].endedAt).toBeGreaterThanOrEqual(1000);
});

test("does not blindly repeat a cmdlet that creates an object after a reset", async () => {
    tenant.control.setFaults({
        failNth: [{ method: "POST", pathPattern: "^/adminapi/", n: 1, status: 0 }],
    });

    const error = await conn.exchange
        .invoke("New-TransportRule", { Name: "Reply-To warning", Mode: "Audit" })
        .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ExchangeCommandError);
    expect((error as ExchangeCommandError).status).toBe(0);
    expect((error as Error).message).toContain("may or may not exist");
    expect(allInvokes()).toHaveLength(1);
});

test("keeps at most 4 cmdlets in flight per anchor mailbox, so Exchange never refuses one for concurrency", async () => {
    // The local tenant, like Outlook, answers a fifth concurrent request on one mailbox 429.
    tenant.control.setFaults({ latencyMs: 100 });

    await Promise.all([
        ...Array.from({ length: 6 }, () => conn.exchange.invoke("Get-AcceptedDomain")),
        ...Array.from({ length: 6 }, () =>
            conn.exchange.invoke("Get-AnchorProbe", {}, { anchorMailbox: `UPN:user2@${DOMAIN}` }),
        ),
    ]);

    const statuses = allInvokes().map((r) => r.status);
    expect(statuses).toHaveLength(6 * 3 + 6);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
});

test("a missing Exchange role names the role and how to assign it", async () => {
    const restricted = new ExchangeClient(
        loadSettings(undefined, {
            ...envWithoutNodeCa(tenant),
            AZURE_CLIENT_ID: RESTRICTED_CLIENT_ID,
            AZURE_CLIENT_SECRET: RESTRICTED_SECRET,
        }),
    );

    const error = (await restricted
        .invoke("Get-Mailbox", { Identity: `user3@${DOMAIN}` })
        .catch((e: unknown) => e)) as ExchangeCommandError;

    expect(error).toBeInstanceOf(ExchangeCommandError);
    expect(error.message).toContain('"Mail Recipients"');
    expect(error.message).toContain("Add-RoleGroupMember");
});

describe("parseCmdletError", () => {
    test("reads Exchange's ErrorId|ExceptionType|Message form", () => {
        const parsed = parseCmdletError({
            error: {
                details: [
                    {
                        message:
                            "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed | really.",
                    },
                ],
            },
        });
        expect(parsed).toEqual({
            exceptionType:
                "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            category: "ManagementObjectNotFoundException",
            message: "The operation couldn't be performed | really.",
        });
    });

    test("reads the Type|Category|Message form", () => {
        expect(
            parseCmdletError({
                error: {
                    details: [{ message: "System.ArgumentException|InvalidArgument|Bad value" }],
                },
            }),
        ).toEqual({
            exceptionType: "System.ArgumentException",
            category: "InvalidArgument",
            message: "Bad value",
        });
    });
});
