/**
 * The Exchange cmdlets through the real endpoint: HTTPS InvokeCommand with a token for
 * https://outlook.office365.com, the app granted exactly the permission manifest's Exchange
 * roles. What a BEC Guard client sees here (pages, warnings, errors, the state Graph shares)
 * is what it must handle against Exchange Online.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startTestTenant, type TestTenant } from "../support/local-tenant";
import { call, closeAgents, getToken, type Answer } from "./helpers";
import { RSS_RULE, buildExchangeTenant } from "./exchange-fixture";

let tenant: TestTenant;
let exchangeToken: string;
let graphToken: string;
let scenarioDir: string;

beforeAll(async () => {
    scenarioDir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-exchange-"));
    const scenario = path.join(scenarioDir, "exchange.json");
    fs.writeFileSync(scenario, JSON.stringify(buildExchangeTenant()));
    tenant = await startTestTenant({ scenario, throttling: false });
    exchangeToken = await getToken(tenant, "https://outlook.office365.com");
    graphToken = await getToken(tenant, "https://graph.microsoft.com");
});

afterAll(async () => {
    closeAgents();
    await tenant.stop();
    fs.rmSync(scenarioDir, { recursive: true, force: true });
});

/** POSTs one cmdlet invocation to `url` (the endpoint, or an @odata.nextLink). */
function invoke(
    cmdlet: string,
    parameters: Record<string, unknown> = {},
    options: { url?: string; pageSize?: number; anchor?: string } = {},
): Promise<Answer> {
    const headers: Record<string, string> = {
        "X-AnchorMailbox":
            options.anchor ??
            `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tenant.tenantId}`,
    };
    if (options.pageSize) headers.Prefer = `odata.maxpagesize=${options.pageSize}`;
    return call(tenant, "POST", options.url ?? `/adminapi/beta/${tenant.tenantId}/InvokeCommand`, {
        token: exchangeToken,
        headers,
        body: { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } },
    });
}

test("pages Get-Mailbox through @odata.nextLink, POSTing the same body", async () => {
    const first = await invoke("Get-Mailbox", {}, { pageSize: 2 });
    expect(first.status).toBe(200);
    expect(first.body.value.map((m: { Alias: string }) => m.Alias)).toEqual(["meganb", "attacker"]);
    expect(first.body["@odata.nextLink"]).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/adminapi\/beta\//);

    const second = await invoke(
        "Get-Mailbox",
        {},
        { pageSize: 2, url: first.body["@odata.nextLink"] },
    );
    expect(second.body.value.map((m: { Alias: string }) => m.Alias)).toEqual(["alexw"]);
    expect(second.body["@odata.nextLink"]).toBeUndefined();
});

test("answers a no-op Set-Mailbox with 200 and the warning in @adminapi.warnings", async () => {
    const answer = await invoke("Set-Mailbox", {
        Identity: "meganb@contoso.com",
        AuditEnabled: true,
    });
    expect(answer.status).toBe(200);
    expect(answer.body["@adminapi.warnings"]).toEqual([
        "The command completed successfully but no settings of 'meganb' have been modified.",
    ]);
});

test("answers an unknown mailbox with 404 and Exchange's Type|Category|Message detail", async () => {
    const answer = await invoke("Get-Mailbox", { Identity: "nobody@contoso.com" });
    expect(answer.status).toBe(404);
    expect(answer.body.error.details[0].message).toMatch(
        /^Ex[0-9A-F]{6}\|Microsoft\.Exchange\.Configuration\.Tasks\.ManagementObjectNotFoundException\|The operation couldn't be performed because object 'nobody@contoso\.com' couldn't be found on '.+'\.$/,
    );
});

test("returns the hidden forwarding rule only with -IncludeHidden", async () => {
    const visible = await invoke("Get-InboxRule", { Mailbox: "meganb@contoso.com" });
    const all = await invoke("Get-InboxRule", {
        Mailbox: "meganb@contoso.com",
        IncludeHidden: true,
    });
    expect(visible.body.value.map((r: { Name: string }) => r.Name)).toEqual(["Move replies"]);
    expect(all.body.value.map((r: { ForwardTo: unknown }) => r.ForwardTo)).toEqual([
        ['"Ops" [SMTP:ops@evil.example]'],
        null,
    ]);
});

test("disables a rule through Exchange that Graph then shows disabled", async () => {
    const [rule] = (await invoke("Get-InboxRule", { Mailbox: "meganb@contoso.com" })).body.value;
    const disabled = await invoke("Disable-InboxRule", { Identity: rule.Identity, Confirm: false });
    expect(disabled.status).toBe(200);

    const graph = await call(
        tenant,
        "GET",
        `/v1.0/users/meganb@contoso.com/mailFolders/inbox/messageRules/${encodeURIComponent(RSS_RULE.id)}`,
        { token: graphToken },
    );
    expect(graph.status).toBe(200);
    expect(graph.body).toMatchObject({ id: RSS_RULE.id, isEnabled: false });
});

test("removes FullAccess and reports the ACE warning on the repeat, both as success", async () => {
    const parameters = {
        Identity: "meganb@contoso.com",
        User: "attacker@contoso.com",
        AccessRights: ["FullAccess"],
        InheritanceType: "All",
        Confirm: false,
    };
    const first = await invoke("Remove-MailboxPermission", parameters);
    const again = await invoke("Remove-MailboxPermission", parameters);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(first.body["@adminapi.warnings"]).toEqual([]);
    expect(again.body["@adminapi.warnings"][0]).toContain(
        "because the ACE doesn't exist on the object.",
    );
    const users = tenant.control.getState().users[0].mailbox!.mailboxPermissions.map((p) => p.user);
    expect(users).toEqual([]);
});

test("refuses to enable DKIM before the CNAMEs are published, then enables it after", async () => {
    const created = await invoke("New-DkimSigningConfig", {
        DomainName: "contoso.com",
        Enabled: false,
    });
    expect(created.body.value[0].Selector1CNAME).toBe(
        "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
    );
    const refused = await invoke("Set-DkimSigningConfig", {
        Identity: "contoso.com",
        Enabled: true,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0].message).toContain(
        "|Microsoft.Exchange.Management.Tasks.ValidationException|CNAME record does not exist for this config.",
    );

    const state = structuredClone(tenant.control.getState());
    state.exchange.dkimSigningConfigs.find((c) => c.Domain === "contoso.com")!.cnamesPublished =
        true;
    tenant.control.putState(state);
    const enabled = await invoke("Set-DkimSigningConfig", {
        Identity: "contoso.com",
        Enabled: true,
    });
    expect(enabled.status).toBe(200);
    expect(
        (await invoke("Get-DkimSigningConfig", { Identity: "contoso.com" })).body.value[0].Enabled,
    ).toBe(true);
});
