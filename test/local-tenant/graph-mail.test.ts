/**
 * Inbox rules and messages through Graph on the local tenant. A responder relying on Graph
 * alone must see exactly what a real tenant shows: hidden rules are invisible here, which is
 * why containment also asks Exchange (Get-InboxRule -IncludeHidden).
 */
import type { LocalTenant } from "../../local-tenant/server";
import { CONTOSO, closeAgents, graph, startScenarioTenant, tokenWith } from "./graph-support";

const { megan, rules } = CONTOSO;
const rulesPath = `/v1.0/users/${megan.id}/mailFolders/inbox/messageRules`;

describe("Graph mail on the local tenant", () => {
    let tenant: LocalTenant;
    let rulesToken: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
        rulesToken = await tokenWith(tenant, ["MailboxSettings.ReadWrite", "Mail.Read"]);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    const storedRule = (id: string) =>
        tenant.control
            .getState()
            .users.find((u) => u.id === megan.id)!
            .mailbox!.inboxRules.find((r) => r.id === id);

    test("the rule list leaves out hidden rules, as Graph does", async () => {
        const answer = await graph(tenant, rulesToken, "GET", rulesPath);

        const ids = answer.body.value.map((r: { id: string }) => r.id);
        expect(ids).toEqual([rules.rssFeeds, rules.meganTeam]);
        expect(storedRule(rules.hiddenForward)).toBeDefined();
    });

    test("a hidden rule is not found by id either", async () => {
        const answer = await graph(
            tenant,
            rulesToken,
            "GET",
            `${rulesPath}/${encodeURIComponent(rules.hiddenForward)}`,
        );

        expect(answer.status).toBe(404);
        expect(answer.body.error.code).toBe("ErrorItemNotFound");
    });

    test("a rule is read by id with its conditions and actions", async () => {
        const answer = await graph(
            tenant,
            rulesToken,
            "GET",
            `${rulesPath}/${encodeURIComponent(rules.rssFeeds)}`,
        );

        expect(answer.body).toMatchObject({
            id: rules.rssFeeds,
            displayName: "..",
            actions: { moveToFolder: "rssfeeds" },
        });
        expect(answer.body).not.toHaveProperty("isHidden");
    });

    test("a rule is disabled by PATCH and answered with the updated rule", async () => {
        const answer = await graph(
            tenant,
            rulesToken,
            "PATCH",
            `${rulesPath}/${encodeURIComponent(rules.rssFeeds)}`,
            {
                isEnabled: false,
            },
        );

        expect(answer.status).toBe(200);
        expect(answer.body.isEnabled).toBe(false);
        expect(storedRule(rules.rssFeeds)!.isEnabled).toBe(false);
    });

    test("reading rules needs a MailboxSettings permission", async () => {
        const token = await tokenWith(tenant, ["Mail.Read"]);

        const answer = await graph(tenant, token, "GET", rulesPath);

        expect(answer.status).toBe(403);
    });

    test("a rule is created and deleted", async () => {
        const created = await graph(tenant, rulesToken, "POST", rulesPath, {
            displayName: "Drop test",
            sequence: 9,
            conditions: { subjectContains: ["test"] },
            actions: { delete: true },
        });
        const deleted = await graph(
            tenant,
            rulesToken,
            "DELETE",
            `${rulesPath}/${encodeURIComponent(created.body.id)}`,
        );

        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({
            displayName: "Drop test",
            isEnabled: true,
            hasError: false,
        });
        expect(deleted.status).toBe(204);
        expect(storedRule(created.body.id)).toBeUndefined();
    });

    test("a user without a mailbox gets Outlook's MailboxNotEnabledForRESTAPI", async () => {
        const answer = await graph(
            tenant,
            rulesToken,
            "GET",
            `/v1.0/users/${CONTOSO.breakGlass.id}/mailFolders/inbox/messageRules`,
        );

        expect(answer.status).toBe(404);
        expect(answer.body.error.code).toBe("MailboxNotEnabledForRESTAPI");
    });

    test("Sent Items lists the phishing mail newest first with $select and $filter", async () => {
        const since = "2026-12-02T00:00:00Z";
        const answer = await graph(
            tenant,
            rulesToken,
            "GET",
            `/v1.0/users/${megan.upn}/mailFolders/sentitems/messages?$filter=sentDateTime ge ${since}&$select=subject,toRecipients,sentDateTime`,
        );

        expect(answer.status).toBe(200);
        expect(answer.body.value.map((m: { subject: string }) => m.subject)).toEqual([
            "Change of bank account for outstanding invoices",
            "Updated remittance details for December payment run",
        ]);
        // Outlook adds the id to whatever $select names.
        expect(Object.keys(answer.body.value[0]).sort()).toEqual([
            "id",
            "sentDateTime",
            "subject",
            "toRecipients",
        ]);
    });

    test("messages page with $top and an absolute @odata.nextLink", async () => {
        const answer = await graph(
            tenant,
            rulesToken,
            "GET",
            `/v1.0/users/${megan.id}/messages?$top=3`,
        );

        expect(answer.body.value).toHaveLength(3);
        expect(answer.body["@odata.nextLink"]).toMatch(
            /^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\//,
        );
    });

    test("Mail.ReadBasic.All reads messages without their body", async () => {
        const token = await tokenWith(tenant, ["Mail.ReadBasic.All"]);

        const answer = await graph(
            tenant,
            token,
            "GET",
            `/v1.0/users/${megan.id}/mailFolders/sentitems/messages`,
        );

        expect(answer.status).toBe(200);
        expect(answer.body.value[0].subject).toBeDefined();
        expect(answer.body.value[0]).not.toHaveProperty("bodyPreview");
    });

    test("mailbox settings report automatic replies, and a shared mailbox's purpose", async () => {
        const own = await graph(
            tenant,
            rulesToken,
            "GET",
            `/v1.0/users/${megan.id}/mailboxSettings`,
        );
        const shared = await graph(
            tenant,
            rulesToken,
            "GET",
            `/v1.0/users/${CONTOSO.sharedMailbox.upn}/mailboxSettings`,
        );

        expect(own.status).toBe(200);
        expect(own.body.automaticRepliesSetting.status).toBe("disabled");
        expect(own.body.userPurpose).toBe("user");
        expect(shared.body.userPurpose).toBe("shared");
    });

    test("an unknown folder is Outlook's ErrorItemNotFound", async () => {
        const answer = await graph(
            tenant,
            rulesToken,
            "GET",
            `/v1.0/users/${megan.id}/mailFolders/nosuchfolder/messages`,
        );

        expect(answer.status).toBe(404);
        expect(answer.body.error.code).toBe("ErrorItemNotFound");
    });
});
