/**
 * The local tenant's Exchange cmdlets, called directly with a tenant built here. Each test is
 * one behaviour a BEC Guard client depends on: if one fails, the product would be tested
 * against answers a real Exchange Online never gives.
 */
import { CmdletError, type CmdletResult } from "../../local-tenant/contracts";
import type { TenantState } from "../../local-tenant/model";
import { allCmdlets } from "../../local-tenant/exchange";
import {
    graphIdFromRuleIdentity,
    ruleIdentityFromGraphId,
} from "../../local-tenant/exchange/inbox-rules";
import { EXCHANGE_OPERATIONS } from "../../dynamic-providers/connection/permissions";
import { FORWARD_RULE, RSS_RULE, buildExchangeTenant as buildState } from "./exchange-fixture";

// ---------------------------------------------------------------------------------------------
// Calling a cmdlet as the server core would.

let state: TenantState;
let ids = 0;

beforeEach(() => {
    state = buildState();
});

function run(
    name: string,
    parameters: Record<string, unknown> = {},
    anchorMailbox?: string,
): CmdletResult {
    const cmdlet = allCmdlets.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!cmdlet) throw new Error(`no cmdlet ${name}`);
    return cmdlet.handler({
        state,
        app: {
            clientId: "app",
            clientSecret: "unused",
            displayName: "BEC Guard",
            servicePrincipalId: "sp",
            graphRoles: [],
            exchangeManageAsApp: true,
            exchangeRoles: [],
        },
        parameters,
        anchorMailbox,
        now: () => new Date("2026-01-01T00:00:00Z"),
        newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`,
    }) as CmdletResult;
}

/** The CmdletError a call throws (fails the test when it does not throw one). */
function errorOf(name: string, parameters: Record<string, unknown>): CmdletError {
    try {
        run(name, parameters);
    } catch (error) {
        if (error instanceof CmdletError) return error;
        throw error;
    }
    throw new Error(`${name} did not fail`);
}

const megan = () => state.users[0].mailbox!;

// ---------------------------------------------------------------------------------------------

describe("the cmdlet table", () => {
    test("serves every cmdlet the product's permission manifest lists, under the manifest's role", () => {
        for (const operation of EXCHANGE_OPERATIONS) {
            const cmdlet = allCmdlets.find((c) => c.name === operation.cmdlet);
            expect(cmdlet?.name).toBe(operation.cmdlet);
            expect(cmdlet?.roles).toContain(operation.role);
        }
    });

    test("has one entry per cmdlet name, each with roles and its common parameters", () => {
        const names = allCmdlets.map((c) => c.name.toLowerCase());
        expect(new Set(names).size).toBe(names.length);
        for (const cmdlet of allCmdlets) {
            expect(cmdlet.roles.length).toBeGreaterThan(0);
            expect(cmdlet.parameters).toContain("ErrorAction");
        }
    });
});

describe("parameter binding and identities", () => {
    test("resolves a mailbox by UPN, SMTP address, alias, object id and display name", () => {
        for (const identity of [
            "meganb@contoso.com",
            "SMTP:MeganB@contoso.com",
            "meganb",
            "11111111-1111-4111-8111-111111111111",
            "Megan Bowen",
            "meganb@contoso.onmicrosoft.com",
        ]) {
            expect(run("Get-Mailbox", { Identity: identity }).value[0].UserPrincipalName).toBe(
                "meganb@contoso.com",
            );
        }
    });

    test("answers an unknown identity with Exchange's ManagementObjectNotFoundException text", () => {
        const error = errorOf("Get-Mailbox", { Identity: "nobody@contoso.com" });
        expect(error.exceptionType).toBe(
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
        );
        expect(error.status).toBe(404);
        expect(error.message).toMatch(
            /^The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found on '.+'\.$/,
        );
    });

    test("refuses a parameter the cmdlet does not have with a parameter-binding error", () => {
        const error = errorOf("Set-Mailbox", { Identity: "meganb", ForwardingSmtpAdress: null });
        expect(error.exceptionType).toBe("System.Management.Automation.ParameterBindingException");
        expect(error.message).toBe(
            "A parameter cannot be found that matches parameter name 'ForwardingSmtpAdress'.",
        );
        expect(megan().forwardingSmtpAddress).toBe("smtp:drop@evil.example");
    });

    test("does not treat a directory user without a mailbox as a recipient", () => {
        expect(errorOf("Get-Mailbox", { Identity: "breakglass@contoso.com" }).status).toBe(404);
    });

    test("matches parameter names case-insensitively", () => {
        run("set-mailbox", { identity: "meganb", forwardingsmtpaddress: null });
        expect(megan().forwardingSmtpAddress).toBeNull();
    });

    test("refuses a value of the wrong type before changing anything", () => {
        const error = errorOf("Set-Mailbox", {
            Identity: "meganb",
            ForwardingSmtpAddress: null,
            DeliverToMailboxAndForward: "maybe",
        });
        expect(error.message).toContain(
            "Cannot process argument transformation on parameter 'DeliverToMailboxAndForward'",
        );
        expect(megan().forwardingSmtpAddress).toBe("smtp:drop@evil.example");
    });
});

describe("Get-Mailbox and Set-Mailbox", () => {
    test("shows forwarding and delegates with Exchange's property names and smtp: prefix", () => {
        const [box] = run("Get-Mailbox", { Identity: "meganb" }).value;
        expect(box).toMatchObject({
            Identity: "meganb",
            Alias: "meganb",
            PrimarySmtpAddress: "meganb@contoso.com",
            ExternalDirectoryObjectId: "11111111-1111-4111-8111-111111111111",
            ForwardingSmtpAddress: "smtp:drop@evil.example",
            ForwardingAddress: null,
            DeliverToMailboxAndForward: true,
            GrantSendOnBehalfTo: ["attacker", "alexw"],
            RecipientTypeDetails: "UserMailbox",
        });
    });

    test("lists only users that have a mailbox", () => {
        const aliases = run("Get-Mailbox").value.map((m) => m.Alias);
        expect(aliases).toEqual(["meganb", "attacker", "alexw"]);
    });

    test("clears mailbox forwarding", () => {
        const result = run("Set-Mailbox", {
            Identity: "meganb@contoso.com",
            ForwardingSmtpAddress: null,
            ForwardingAddress: null,
            DeliverToMailboxAndForward: false,
        });
        expect(result.warnings ?? []).toEqual([]);
        expect(megan()).toMatchObject({
            forwardingSmtpAddress: null,
            forwardingAddress: null,
            deliverToMailboxAndForward: false,
        });
    });

    test("warns that nothing was modified when every value is already set", () => {
        const result = run("Set-Mailbox", {
            Identity: "meganb",
            ForwardingSmtpAddress: "drop@evil.example",
            DeliverToMailboxAndForward: true,
        });
        expect(result.warnings).toEqual([
            "The command completed successfully but no settings of 'meganb' have been modified.",
        ]);
    });

    test("removes one send-on-behalf delegate with the REST hashtable form", () => {
        run("Set-Mailbox", {
            Identity: "meganb",
            GrantSendOnBehalfTo: {
                "@odata.type": "#Exchange.GenericHashTable",
                remove: "attacker@contoso.com",
            },
        });
        expect(megan().grantSendOnBehalfTo).toEqual(["alexw"]);
    });

    test("adds and removes send-on-behalf delegates in one call with Add/Remove arrays", () => {
        run("Set-Mailbox", {
            Identity: "meganb",
            GrantSendOnBehalfTo: { Add: ["Adele Vance"], Remove: ["alexw", "attacker"] },
        });
        expect(megan().grantSendOnBehalfTo).toEqual([]);
        run("Set-Mailbox", { Identity: "meganb", GrantSendOnBehalfTo: { add: "alexw" } });
        expect(megan().grantSendOnBehalfTo).toEqual(["alexw"]);
    });

    test("warns that nothing was modified when removing a delegate that is not there", () => {
        const result = run("Set-Mailbox", {
            Identity: "meganb",
            GrantSendOnBehalfTo: { remove: "meganb@contoso.com" },
        });
        expect(result.warnings?.[0]).toContain("no settings of 'meganb' have been modified");
    });

    test("refuses a forwarding address that is not an SMTP address", () => {
        const error = errorOf("Set-Mailbox", {
            Identity: "meganb",
            ForwardingSmtpAddress: "drop at evil",
        });
        expect(error.message).toContain("isn't a valid SMTP address");
        expect(megan().forwardingSmtpAddress).toBe("smtp:drop@evil.example");
    });

    test("fails on an unknown forwarding recipient and changes nothing", () => {
        const error = errorOf("Set-Mailbox", {
            Identity: "meganb",
            DeliverToMailboxAndForward: false,
            ForwardingAddress: "ghost",
        });
        expect(error.message).toBe(
            `Couldn't find object "ghost". Please make sure that it was spelled correctly or specify a different object.`,
        );
        expect(megan().deliverToMailboxAndForward).toBe(true);
    });
});

describe("Get-CASMailbox and Set-CASMailbox", () => {
    test("turns off legacy protocols and shows them off", () => {
        run("Set-CASMailbox", {
            Identity: "meganb",
            PopEnabled: false,
            ImapEnabled: false,
            ActiveSyncEnabled: false,
            EwsEnabled: false,
            SmtpClientAuthenticationDisabled: true,
        });
        expect(run("Get-CASMailbox", { Identity: "meganb" }).value[0]).toMatchObject({
            PopEnabled: false,
            ImapEnabled: false,
            ActiveSyncEnabled: false,
            EwsEnabled: false,
            OWAEnabled: true,
            MAPIEnabled: true,
            SmtpClientAuthenticationDisabled: true,
        });
    });

    test("warns when the protocols are already as asked", () => {
        const result = run("Set-CASMailbox", { Identity: "meganb", OWAEnabled: true });
        expect(result.warnings).toEqual([
            "The command completed successfully but no settings of 'meganb' have been modified.",
        ]);
    });
});

describe("inbox rules", () => {
    test("derives RuleIdentity from the Graph id's eight bytes, little-endian, and back", () => {
        const ruleIdentity = ruleIdentityFromGraphId("AQAAAJ5dZqA=");
        expect(ruleIdentity).toBe(0xa0665d9e00000001n.toString());
        expect(graphIdFromRuleIdentity(ruleIdentity)).toBe("AQAAAJ5dZqA=");
    });

    test("gives a stable RuleIdentity to a scenario id that is not eight bytes of base64", () => {
        expect(ruleIdentityFromGraphId("rule-1")).toBe(ruleIdentityFromGraphId("rule-1"));
        expect(ruleIdentityFromGraphId("rule-1")).not.toBe(ruleIdentityFromGraphId("rule-2"));
        expect(ruleIdentityFromGraphId("rule-1")).toMatch(/^\d+$/);
    });

    test("hides hidden rules unless -IncludeHidden is given", () => {
        expect(run("Get-InboxRule", { Mailbox: "meganb" }).value.map((r) => r.Name)).toEqual([
            "Move replies",
        ]);
        expect(
            run("Get-InboxRule", { Mailbox: "meganb", IncludeHidden: true }).value.map(
                (r) => r.Name,
            ),
        ).toEqual([".", "Move replies"]);
    });

    test("shows a rule with Exchange's property names and value shapes", () => {
        const [hidden, rss] = run("Get-InboxRule", {
            Mailbox: "meganb",
            IncludeHidden: true,
        }).value;
        const ruleIdentity = ruleIdentityFromGraphId(FORWARD_RULE.id);
        expect(hidden).toMatchObject({
            Name: ".",
            Identity: `meganb\\${ruleIdentity}`,
            RuleIdentity: ruleIdentity,
            Enabled: true,
            Priority: 1,
            SubjectContainsWords: ["invoice", "payment"],
            ForwardTo: ['"Ops" [SMTP:ops@evil.example]'],
            RedirectTo: null,
            DeleteMessage: false,
            StopProcessingRules: true,
        });
        expect(rss).toMatchObject({
            Priority: 2,
            FromAddressContainsWords: ["cfo"],
            MoveToFolder: "meganb:\\RSS Feeds",
            MarkAsRead: true,
        });
    });

    test("disables a hidden rule by the Identity Get-InboxRule returned, in the state Graph shares", () => {
        const [hidden] = run("Get-InboxRule", { Mailbox: "meganb", IncludeHidden: true }).value;
        run("Disable-InboxRule", { Identity: hidden.Identity, Confirm: false });
        expect(megan().inboxRules.find((r) => r.id === FORWARD_RULE.id)?.isEnabled).toBe(false);
        expect(megan().inboxRules.find((r) => r.id === RSS_RULE.id)?.isEnabled).toBe(true);
    });

    test("disables a rule named with -Mailbox and warns when it is already disabled", () => {
        run("Disable-InboxRule", { Mailbox: "meganb@contoso.com", Identity: "Move replies" });
        const again = run("Disable-InboxRule", {
            Mailbox: "meganb@contoso.com",
            Identity: "Move replies",
        });
        expect(again.warnings?.[0]).toMatch(
            /^The command completed successfully but no settings of 'meganb\\\d+' have been modified\.$/,
        );
        run("Enable-InboxRule", {
            Mailbox: "meganb",
            Identity: ruleIdentityFromGraphId(RSS_RULE.id),
        });
        expect(megan().inboxRules[1].isEnabled).toBe(true);
    });

    test("answers an unknown rule with the not-found error", () => {
        const error = errorOf("Disable-InboxRule", { Identity: "meganb\\123" });
        expect(error.message).toContain("couldn't be found on");
    });

    test("removes a rule", () => {
        run("Remove-InboxRule", { Mailbox: "meganb", Identity: "Move replies", Confirm: false });
        expect(megan().inboxRules.map((r) => r.id)).toEqual([FORWARD_RULE.id]);
    });

    test("creates a forwarding rule through Exchange as the Graph messageRule both APIs share", () => {
        const [created] = run("New-InboxRule", {
            Mailbox: "meganb",
            Name: "Invoices out",
            SubjectOrBodyContainsWords: ["invoice"],
            ForwardTo: ["collector@evil.example", "Alex Wilber"],
            MoveToFolder: "meganb:\\RSS Feeds",
            MarkAsRead: true,
            Priority: 1,
        }).value;
        const stored = megan().inboxRules.find((r) => r.displayName === "Invoices out")!;
        expect(stored).toMatchObject({
            sequence: 1,
            isEnabled: true,
            conditions: { bodyOrSubjectContains: ["invoice"] },
            actions: {
                forwardTo: [
                    {
                        emailAddress: {
                            name: "collector@evil.example",
                            address: "collector@evil.example",
                        },
                    },
                    { emailAddress: { name: "Alex Wilber", address: "alexw@contoso.com" } },
                ],
                moveToFolder: "rssfeeds",
                markAsRead: true,
            },
        });
        expect(created).toMatchObject({
            Priority: 1,
            RuleIdentity: ruleIdentityFromGraphId(stored.id),
            ForwardTo: [
                '"collector@evil.example" [SMTP:collector@evil.example]',
                '"Alex Wilber" [SMTP:alexw@contoso.com]',
            ],
            MoveToFolder: "meganb:\\RSS Feeds",
        });
        expect(megan().inboxRules.map((r) => [r.displayName, r.sequence])).toEqual([
            [".", 2],
            ["Move replies", 3],
            ["Invoices out", 1],
        ]);
    });

    test("refuses a rule forwarding to something that is neither a recipient nor an address", () => {
        const error = errorOf("New-InboxRule", {
            Mailbox: "meganb",
            Name: "x",
            RedirectTo: "nobody",
        });
        expect(error.message).toContain(`Couldn't find object "nobody"`);
        expect(megan().inboxRules).toHaveLength(2);
    });

    test("changes only the named parts of a rule with Set-InboxRule, and warns on the repeat", () => {
        const parameters = {
            Mailbox: "meganb",
            Identity: "Move replies",
            MoveToFolder: "Inbox",
            MarkAsRead: false,
        };
        run("Set-InboxRule", parameters);
        expect(megan().inboxRules[1]).toMatchObject({
            conditions: { senderContains: ["cfo"] },
            actions: { moveToFolder: "inbox" },
        });
        expect(megan().inboxRules[1].actions).not.toHaveProperty("markAsRead");
        expect(run("Set-InboxRule", parameters).warnings?.[0]).toContain(
            "no settings of 'meganb\\",
        );
    });

    test("uses the X-AnchorMailbox mailbox when -Mailbox is absent", () => {
        const rules = run("Get-InboxRule", { IncludeHidden: true }, "UPN:meganb@contoso.com").value;
        expect(rules).toHaveLength(2);
    });
});

describe("mailbox permissions", () => {
    test("lists SELF and the delegates, delegates by UPN", () => {
        const rows = run("Get-MailboxPermission", { Identity: "meganb" }).value;
        expect(rows).toEqual([
            expect.objectContaining({
                User: "NT AUTHORITY\\SELF",
                AccessRights: ["FullAccess", "ReadPermission"],
            }),
            {
                Identity: "meganb",
                User: "attacker@contoso.com",
                AccessRights: ["FullAccess"],
                IsInherited: false,
                Deny: false,
                InheritanceType: "All",
            },
        ]);
    });

    test("removes FullAccess, then warns that the ACE doesn't exist", () => {
        const parameters = {
            Identity: "meganb",
            User: "Adele Vance",
            AccessRights: ["FullAccess"],
            InheritanceType: "All",
            Confirm: false,
        };
        expect(run("Remove-MailboxPermission", parameters).warnings ?? []).toEqual([]);
        expect(megan().mailboxPermissions).toEqual([]);
        expect(run("Remove-MailboxPermission", parameters).warnings).toEqual([
            `Can't remove the access control entry on the object "meganb" for account ` +
                `"attacker@contoso.com" because the ACE doesn't exist on the object.`,
        ]);
    });

    test("refuses an access right that does not exist", () => {
        const error = errorOf("Remove-MailboxPermission", {
            Identity: "meganb",
            User: "attacker",
            AccessRights: ["FullControl"],
        });
        expect(error.message).toContain("Unable to match the identifier name FullControl");
        expect(megan().mailboxPermissions).toHaveLength(1);
    });

    test("adds FullAccess and says so when it is already there", () => {
        run("Add-MailboxPermission", {
            Identity: "meganb",
            User: "alexw",
            AccessRights: "FullAccess",
        });
        const again = run("Add-MailboxPermission", {
            Identity: "meganb",
            User: "alexw",
            AccessRights: "FullAccess",
        });
        expect(again.warnings?.[0]).toContain(
            "The appropriate access control entry is already present",
        );
        expect(megan().mailboxPermissions).toHaveLength(2);
    });
});

describe("recipient permissions (SendAs)", () => {
    test("lists SELF and SendAs trustees", () => {
        const rows = run("Get-RecipientPermission", { Identity: "meganb" }).value;
        expect(rows.map((r) => r.Trustee)).toEqual(["NT AUTHORITY\\SELF", "attacker@contoso.com"]);
        expect(rows[1]).toMatchObject({
            AccessRights: ["SendAs"],
            AccessControlType: "Allow",
            IsInherited: false,
        });
    });

    test("finds a trustee's SendAs across mailboxes", () => {
        const rows = run("Get-RecipientPermission", { Trustee: "attacker@contoso.com" }).value;
        expect(rows.map((r) => r.Identity)).toEqual(["meganb"]);
    });

    test("removes SendAs, then warns that the ACE isn't present", () => {
        const parameters = {
            Identity: "meganb",
            Trustee: "attacker@contoso.com",
            AccessRights: "SendAs",
            Confirm: false,
        };
        expect(run("Remove-RecipientPermission", parameters).warnings ?? []).toEqual([]);
        expect(megan().recipientPermissions).toEqual([]);
        expect(run("Remove-RecipientPermission", parameters).warnings?.[0]).toContain(
            "because the ACE isn't present",
        );
    });
});

describe("mailbox folder permissions", () => {
    test("lists Default, Anonymous and delegates of a folder, delegates by display name", () => {
        const rows = run("Get-MailboxFolderPermission", {
            Identity: "meganb@contoso.com:\\Inbox",
        }).value;
        expect(rows.map((r) => [r.User, r.AccessRights])).toEqual([
            ["Default", ["None"]],
            ["Anonymous", ["None"]],
            ["Adele Vance", ["Reviewer"]],
        ]);
        expect(rows[2]).toMatchObject({ Identity: "meganb:\\Inbox", FolderName: "Inbox" });
    });

    test("removes a folder delegate named by UPN, then fails as Exchange does for a missing entry", () => {
        run("Remove-MailboxFolderPermission", {
            Identity: "meganb:\\Inbox",
            User: "attacker@contoso.com",
            Confirm: false,
        });
        expect(megan().folderPermissions.map((p) => p.folder)).toEqual(["\\Calendar"]);
        const error = errorOf("Remove-MailboxFolderPermission", {
            Identity: "meganb:\\Inbox",
            User: "attacker@contoso.com",
        });
        expect(error.exceptionType).toBe(
            "Microsoft.Exchange.StoreTasks.UserNotFoundInPermissionEntryException",
        );
        expect(error.message).toBe(
            "There is no existing permission entry found for user: attacker@contoso.com.",
        );
    });
});

describe("folder enumeration", () => {
    test("lists the default folders and the folders a scenario gives permissions on", () => {
        state.users[0].mailbox!.folderPermissions.push({
            folder: "\\Finance\\Invoices",
            user: "alexw",
            accessRights: ["Reviewer"],
        });
        const folders = run("Get-MailboxFolderStatistics", { Identity: "meganb" }).value;
        expect(folders[0]).toMatchObject({
            Identity: "meganb",
            FolderPath: "/",
            FolderType: "Root",
        });
        expect(folders.map((f) => f.FolderPath)).toEqual(
            expect.arrayContaining(["/Inbox", "/Calendar", "/RSS Feeds", "/Finance/Invoices"]),
        );
        const invoices = folders.find((f) => f.Name === "Finance\\Invoices")!;
        expect(
            run("Get-MailboxFolderPermission", { Identity: `meganb:\\${invoices.Name}` }).value[2],
        ).toMatchObject({
            User: "Alex Wilber",
            AccessRights: ["Reviewer"],
        });
    });
});

describe("organisation settings", () => {
    test("shows Exchange's Default outbound policy when the scenario has none, without storing it", () => {
        const [policy] = run("Get-HostedOutboundSpamFilterPolicy").value;
        expect(policy).toMatchObject({ Identity: "Default", AutoForwardingMode: "Automatic" });
        expect(state.exchange.hostedOutboundSpamFilterPolicies).toEqual([]);
    });

    test("turns automatic external forwarding off, then warns on the repeat", () => {
        run("Set-HostedOutboundSpamFilterPolicy", {
            Identity: "Default",
            AutoForwardingMode: "off",
        });
        expect(state.exchange.hostedOutboundSpamFilterPolicies[0].AutoForwardingMode).toBe("Off");
        expect(
            run("Set-HostedOutboundSpamFilterPolicy", {
                Identity: "default",
                AutoForwardingMode: "Off",
            }).warnings,
        ).toEqual([
            "The command completed successfully but no settings of 'Default' have been modified.",
        ]);
    });

    test("refuses an AutoForwardingMode that is not Automatic, On or Off", () => {
        const error = errorOf("Set-HostedOutboundSpamFilterPolicy", {
            Identity: "Default",
            AutoForwardingMode: "Disabled",
        });
        expect(error.message).toContain("Automatic, Off, On");
        expect(state.exchange.hostedOutboundSpamFilterPolicies).toEqual([]);
    });

    test("turns auto-forwarding off for the default remote domain, found by name or by *", () => {
        run("Set-RemoteDomain", { Identity: "Default", AutoForwardEnabled: false });
        expect(run("Get-RemoteDomain", { Identity: "*" }).value[0]).toMatchObject({
            Name: "Default",
            DomainName: "*",
            AutoForwardEnabled: false,
        });
    });

    test("answers an unknown remote domain with the not-found error", () => {
        expect(
            errorOf("Set-RemoteDomain", { Identity: "partner", AutoForwardEnabled: false }).status,
        ).toBe(404);
    });

    test("turns mailbox auditing and the unified audit log on", () => {
        run("Set-OrganizationConfig", { AuditDisabled: false });
        run("Set-AdminAuditLogConfig", { UnifiedAuditLogIngestionEnabled: true });
        expect(run("Get-OrganizationConfig").value[0].AuditDisabled).toBe(false);
        expect(run("Get-AdminAuditLogConfig").value[0]).toMatchObject({
            Identity: "Admin Audit Log Settings",
            UnifiedAuditLogIngestionEnabled: true,
        });
    });

    test("turns external sender tagging on and edits its allow list with Add/Remove", () => {
        run("Set-ExternalInOutlook", {
            Enabled: true,
            AllowList: ["fabrikam.com", "partner.example"],
        });
        run("Set-ExternalInOutlook", {
            AllowList: { Remove: "partner.example", Add: ["tailspin.example"] },
        });
        expect(run("Get-ExternalInOutlook").value[0]).toMatchObject({
            Enabled: true,
            AllowList: ["fabrikam.com", "tailspin.example"],
        });
    });

    test("changes no setting when one value of a Set- call fails to bind", () => {
        const error = errorOf("Set-AdminAuditLogConfig", {
            UnifiedAuditLogIngestionEnabled: true,
            LogLevel: "Everything",
        });
        expect(error.message).toContain("None, Verbose");
        expect(state.exchange.adminAuditLogConfig).toEqual({
            UnifiedAuditLogIngestionEnabled: false,
        });
    });

    test("turns SMTP AUTH off organisation-wide", () => {
        run("Set-TransportConfig", { SmtpClientAuthenticationDisabled: true });
        expect(run("Get-TransportConfig").value[0].SmtpClientAuthenticationDisabled).toBe(true);
    });

    test("lists the tenant's domains as accepted domains, the initial one default", () => {
        const domains = run("Get-AcceptedDomain").value;
        expect(domains.map((d) => [d.DomainName, d.Default])).toEqual([
            ["contoso.onmicrosoft.com", true],
            ["contoso.com", false],
        ]);
    });
});

describe("transport rules", () => {
    const replyToRule = {
        Name: "BEC Guard: external Reply-To warning",
        Mode: "Audit",
        FromScope: "NotInOrganization",
        HeaderMatchesMessageHeader: "Reply-To",
        HeaderMatchesPatterns: ["@"],
        ExceptIfHeaderMatchesMessageHeader: "Reply-To",
        ExceptIfHeaderMatchesPatterns: ["@contoso\\.com", "@fabrikam\\.com"],
        ApplyHtmlDisclaimerLocation: "Prepend",
        ApplyHtmlDisclaimerText: "<p>Replies to this message go outside Contoso.</p>",
        SenderAddressLocation: "Header",
    };

    test("creates the Reply-To warning rule and returns it with Exchange's defaults", () => {
        const [created] = run("New-TransportRule", replyToRule).value;
        expect(created).toMatchObject({
            ...replyToRule,
            Priority: 0,
            State: "Enabled",
            ApplyHtmlDisclaimerFallbackAction: "Wrap",
        });
        expect(run("Get-TransportRule", { Identity: replyToRule.Name }).value[0]).toMatchObject(
            replyToRule,
        );
    });

    test("refuses a second rule with the same name", () => {
        run("New-TransportRule", replyToRule);
        expect(errorOf("New-TransportRule", replyToRule).message).toContain("already exists");
        expect(state.exchange.transportRules).toHaveLength(1);
    });

    test("refuses a header condition without its patterns and stores nothing", () => {
        const error = errorOf("New-TransportRule", {
            Name: "half",
            HeaderMatchesMessageHeader: "Reply-To",
        });
        expect(error.message).toContain("HeaderMatchesPatterns");
        expect(state.exchange.transportRules).toEqual([]);
    });

    test("refuses a pattern that is not a regular expression", () => {
        const error = errorOf("New-TransportRule", {
            ...replyToRule,
            ExceptIfHeaderMatchesPatterns: ["@contoso(\\.com"],
        });
        expect(error.message).toContain("isn't a valid regular expression");
    });

    test("refuses a Mode that is not Audit, AuditAndNotify or Enforce", () => {
        expect(
            errorOf("New-TransportRule", { ...replyToRule, Mode: "ReportOnly" }).message,
        ).toContain("Audit, AuditAndNotify, Enforce");
    });

    test("inserts at a priority and moves a rule to another, renumbering the rest", () => {
        run("New-TransportRule", { Name: "a" });
        run("New-TransportRule", { Name: "b" });
        run("New-TransportRule", { ...replyToRule, Priority: 0 });
        expect(run("Get-TransportRule").value.map((r) => [r.Name, r.Priority])).toEqual([
            [replyToRule.Name, 0],
            ["a", 1],
            ["b", 2],
        ]);
        run("Set-TransportRule", { Identity: replyToRule.Name, Priority: 2 });
        expect(run("Get-TransportRule").value.map((r) => r.Name)).toEqual([
            "a",
            "b",
            replyToRule.Name,
        ]);
    });

    test("moves the rule from audit to enforce, then warns on the repeat", () => {
        run("New-TransportRule", replyToRule);
        run("Set-TransportRule", { Identity: replyToRule.Name, Mode: "Enforce" });
        expect(run("Get-TransportRule").value[0].Mode).toBe("Enforce");
        expect(
            run("Set-TransportRule", { Identity: replyToRule.Name, Mode: "Enforce" }).warnings,
        ).toEqual([
            `The command completed successfully but no settings of '${replyToRule.Name}' have been modified.`,
        ]);
    });

    test("removes a rule and renumbers the others", () => {
        run("New-TransportRule", { Name: "a" });
        run("New-TransportRule", { Name: "b" });
        run("Remove-TransportRule", { Identity: "a", Confirm: false });
        expect(run("Get-TransportRule").value.map((r) => [r.Name, r.Priority])).toEqual([["b", 0]]);
    });

    test("refuses Set-TransportRule -Enabled, which only New-TransportRule has", () => {
        run("New-TransportRule", { Name: "a" });
        expect(errorOf("Set-TransportRule", { Identity: "a", Enabled: false }).message).toBe(
            "A parameter cannot be found that matches parameter name 'Enabled'.",
        );
    });
});

describe("DKIM", () => {
    test("has the initial domain's config enabled from the start", () => {
        const [config] = run("Get-DkimSigningConfig").value;
        expect(config).toMatchObject({ Domain: "contoso.onmicrosoft.com", Enabled: true });
        expect(config).not.toHaveProperty("cnamesPublished");
    });

    test("creates a custom domain's config with the selector CNAME targets", () => {
        const [config] = run("New-DkimSigningConfig", {
            DomainName: "contoso.com",
            Enabled: false,
        }).value;
        expect(config).toMatchObject({
            Domain: "contoso.com",
            Enabled: false,
            Selector1CNAME: "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
            Selector2CNAME: "selector2-contoso-com._domainkey.contoso.onmicrosoft.com",
        });
    });

    test("refuses to enable signing before the CNAMEs are published, with Exchange's text", () => {
        run("New-DkimSigningConfig", { DomainName: "contoso.com", Enabled: false });
        const error = errorOf("Set-DkimSigningConfig", { Identity: "contoso.com", Enabled: true });
        expect(error.exceptionType).toBe("Microsoft.Exchange.Management.Tasks.ValidationException");
        expect(error.message).toMatch(/^CNAME record does not exist for this config\./);
        expect(error.message).toContain("selector1-contoso-com._domainkey.contoso.onmicrosoft.com");
        expect(error.message).toContain("Return and retry this step later.");
    });

    test("enables signing once the CNAMEs are published", () => {
        run("New-DkimSigningConfig", { DomainName: "contoso.com", Enabled: false });
        state.exchange.dkimSigningConfigs.find((c) => c.Domain === "contoso.com")!.cnamesPublished =
            true;
        run("Set-DkimSigningConfig", { Identity: "contoso.com", Enabled: true });
        expect(run("Get-DkimSigningConfig", { Identity: "contoso.com" }).value[0].Enabled).toBe(
            true,
        );
    });

    test("refuses a domain that is not one of the organisation's", () => {
        expect(
            errorOf("New-DkimSigningConfig", { DomainName: "evil.example", Enabled: false }).status,
        ).toBe(404);
    });
});
