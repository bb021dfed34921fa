/**
 * The Exchange cmdlets through the real endpoint, on the contoso-bec scenario (a finance user,
 * Megan Bowen, mid-compromise): HTTPS InvokeCommand with a token for
 * https://outlook.office365.com, the app granted exactly the permission manifest's Exchange
 * roles. What a BEC Guard client sees here (pages, warnings, errors, the state Graph shares)
 * is what it must handle against Exchange Online.
 */
import { graphIdFromRuleIdentity } from "../../local-tenant/exchange/inbox-rules";
import { requiredGraphRoles } from "../../dynamic-providers/connection/permissions";
import { startTestTenant, type TestTenant } from "../support/local-tenant";
import { call, closeAgents, getToken, type Answer } from "./helpers";

const MEGAN = "megan.bowen@contoso.com";
const ATTACKER_DELEGATE = "pradeep.gupta@contoso.com";

let tenant: TestTenant;
let exchangeToken: string;
let graphToken: string;

beforeAll(async () => {
    // Graph's view of inbox rules is read to check Exchange's changes: a read the product
    // itself does not make, so it is granted here on top of the manifest.
    tenant = await startTestTenant({
        scenario: "contoso-bec",
        throttling: false,
        graphRoles: [...requiredGraphRoles(), "MailboxSettings.Read"],
        allowCallsOutsideManifest: true,
    });
    exchangeToken = await getToken(tenant, "https://outlook.office365.com");
    graphToken = await getToken(tenant, "https://graph.microsoft.com");
});

afterAll(async () => {
    closeAgents();
    await tenant.stop();
});

/** POSTs one cmdlet invocation to `url` (the endpoint, or an @odata.nextLink). */
function invoke(
    cmdlet: string,
    parameters: Record<string, unknown> = {},
    options: { url?: string; pageSize?: number } = {},
): Promise<Answer> {
    const headers: Record<string, string> = {
        "X-AnchorMailbox": `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tenant.tenantId}`,
    };
    if (options.pageSize) headers.Prefer = `odata.maxpagesize=${options.pageSize}`;
    return call(tenant, "POST", options.url ?? `/adminapi/beta/${tenant.tenantId}/InvokeCommand`, {
        token: exchangeToken,
        headers,
        body: { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } },
    });
}

function meganMailbox() {
    return tenant.control.getState().users.find((u) => u.userPrincipalName === MEGAN)!.mailbox!;
}

test("pages Get-Mailbox through @odata.nextLink, POSTing the same body until there is none", async () => {
    const aliases: string[] = [];
    let answer = await invoke("Get-Mailbox", {}, { pageSize: 3 });
    expect(answer.body.value).toHaveLength(3);
    for (;;) {
        expect(answer.status).toBe(200);
        aliases.push(...answer.body.value.map((m: { Alias: string }) => m.Alias));
        const next = answer.body["@odata.nextLink"];
        if (next === undefined) break;
        expect(next).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/adminapi\/beta\//);
        answer = await invoke("Get-Mailbox", {}, { pageSize: 3, url: next });
    }
    const expected = tenant.control
        .getState()
        .users.filter((u) => u.mailbox !== null)
        .map((u) => u.mailbox!.alias);
    expect(aliases).toEqual(expected);
});

test("shows the attacker's mailbox forwarding with Exchange's smtp: prefix", async () => {
    const [mailbox] = (await invoke("Get-Mailbox", { Identity: MEGAN })).body.value;
    expect(mailbox).toMatchObject({
        UserPrincipalName: MEGAN,
        ForwardingSmtpAddress: "smtp:ap.remittance.contoso@proton.me",
        DeliverToMailboxAndForward: true,
        GrantSendOnBehalfTo: ["pradeep.gupta"],
    });
});

test("answers a no-op Set-Mailbox with 200 and the warning in @adminapi.warnings", async () => {
    const answer = await invoke("Set-Mailbox", {
        Identity: MEGAN,
        AuditEnabled: meganMailbox().auditEnabled,
    });
    expect(answer.status).toBe(200);
    expect(answer.body["@adminapi.warnings"]).toEqual([
        `The command completed successfully but no settings of '${meganMailbox().alias}' have been modified.`,
    ]);
});

test("answers an unknown mailbox with 404 and Exchange's Type|Category|Message detail", async () => {
    const answer = await invoke("Get-Mailbox", { Identity: "nobody@contoso.com" });
    expect(answer.status).toBe(404);
    expect(answer.body.error.details[0].message).toMatch(
        /^Ex[0-9A-F]{6}\|Microsoft\.Exchange\.Configuration\.Tasks\.ManagementObjectNotFoundException\|The operation couldn't be performed because object 'nobody@contoso\.com' couldn't be found on '.+'\.$/,
    );
});

test("returns the hidden invoice-forwarding rule only with -IncludeHidden", async () => {
    const visible = (await invoke("Get-InboxRule", { Mailbox: MEGAN })).body.value;
    const all = (await invoke("Get-InboxRule", { Mailbox: MEGAN, IncludeHidden: true })).body.value;
    const forwarding = (rules: Array<{ ForwardTo: string[] | null }>) =>
        rules.filter((r) => r.ForwardTo !== null).map((r) => r.ForwardTo);
    expect(forwarding(visible)).toEqual([]);
    expect(forwarding(all)).toEqual([
        ['"ap.remittance.contoso@proton.me" [SMTP:ap.remittance.contoso@proton.me]'],
    ]);
    expect(all.length).toBe(visible.length + 1);
});

test("disables the RSS Feeds rule through Exchange, and Graph then shows it disabled", async () => {
    const rules = (await invoke("Get-InboxRule", { Mailbox: MEGAN })).body.value;
    const rss = rules.find(
        (r: { MoveToFolder: string | null }) =>
            r.MoveToFolder === `${meganMailbox().alias}:\\RSS Feeds`,
    );
    const disabled = await invoke("Disable-InboxRule", { Identity: rss.Identity, Confirm: false });
    expect(disabled.status).toBe(200);

    const graphId = graphIdFromRuleIdentity(rss.RuleIdentity);
    const graph = await call(
        tenant,
        "GET",
        `/v1.0/users/${MEGAN}/mailFolders/inbox/messageRules/${encodeURIComponent(graphId)}`,
        { token: graphToken },
    );
    expect(graph.status).toBe(200);
    expect(graph.body).toMatchObject({ id: graphId, isEnabled: false });
});

test("removes the delegate's FullAccess and reports the ACE warning on the repeat, both as success", async () => {
    const parameters = {
        Identity: MEGAN,
        User: ATTACKER_DELEGATE,
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
    const users = (await invoke("Get-MailboxPermission", { Identity: MEGAN })).body.value.map(
        (p: { User: string }) => p.User,
    );
    expect(users).toEqual(["NT AUTHORITY\\SELF"]);
});

test("removes the delegate's SendAs and folder access", async () => {
    const sendAs = await invoke("Remove-RecipientPermission", {
        Identity: MEGAN,
        Trustee: ATTACKER_DELEGATE,
        AccessRights: ["SendAs"],
        Confirm: false,
    });
    const folder = await invoke("Remove-MailboxFolderPermission", {
        Identity: `${MEGAN}:\\Inbox`,
        User: ATTACKER_DELEGATE,
        Confirm: false,
    });
    expect([sendAs.status, folder.status]).toEqual([200, 200]);
    const trustees = (await invoke("Get-RecipientPermission", { Identity: MEGAN })).body.value;
    expect(trustees.map((t: { Trustee: string }) => t.Trustee)).toEqual(["NT AUTHORITY\\SELF"]);
    const inbox = (await invoke("Get-MailboxFolderPermission", { Identity: `${MEGAN}:\\Inbox` }))
        .body.value;
    expect(inbox.map((p: { User: string }) => p.User)).toEqual(["Default", "Anonymous"]);
});

test("turns automatic external forwarding off tenant-wide", async () => {
    const [before] = (await invoke("Get-HostedOutboundSpamFilterPolicy", { Identity: "Default" }))
        .body.value;
    expect(before.AutoForwardingMode).toBe("On");
    await invoke("Set-HostedOutboundSpamFilterPolicy", {
        Identity: "Default",
        AutoForwardingMode: "Off",
    });
    const [after] = (await invoke("Get-HostedOutboundSpamFilterPolicy", { Identity: "Default" }))
        .body.value;
    expect(after.AutoForwardingMode).toBe("Off");
});

test("refuses to enable DKIM for contoso.com before its CNAMEs are published, then enables it", async () => {
    const [config] = (await invoke("Get-DkimSigningConfig", { Identity: "contoso.com" })).body
        .value;
    expect(config.Selector1CNAME).toBe("selector1-contoso-com._domainkey.contoso.onmicrosoft.com");
    expect(config).not.toHaveProperty("cnamesPublished");
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
    const [after] = (await invoke("Get-DkimSigningConfig", { Identity: "contoso.com" })).body.value;
    expect(after).toMatchObject({ Enabled: true, Status: "Valid" });
});
