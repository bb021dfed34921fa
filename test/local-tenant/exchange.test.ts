import type { LocalTenant } from "../../local-tenant/server";
import { SECOND_APP, call, closeAgents, getToken, startCoreTenant } from "./helpers";
import { gate, testCmdlets } from "./test-routes";

describe("local tenant Exchange InvokeCommand", () => {
    let tenant: LocalTenant;
    let token: string;
    const invoke = (
        cmdlet: string,
        parameters: Record<string, unknown> = {},
        options: { token?: string; headers?: Record<string, string>; url?: string } = {},
    ) =>
        call(tenant, "POST", options.url ?? `/adminapi/beta/${tenant.tenantId}/InvokeCommand`, {
            token: options.token ?? token,
            headers: options.headers,
            body: { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } },
        });

    beforeAll(async () => {
        tenant = await startCoreTenant({ cmdlets: testCmdlets, exchangePageSize: 1000 });
        token = await getToken(tenant, "https://outlook.office365.com");
    });
    afterAll(async () => {
        gate.releaseAll();
        closeAgents();
        await tenant.stop();
    });

    test("results are paged and the client POSTs the same body to the absolute next link", async () => {
        const pages = [await invoke("get-testmailbox")];
        while (pages.at(-1)!.body["@odata.nextLink"]) {
            const next = pages.at(-1)!.body["@odata.nextLink"] as string;
            expect(
                next.startsWith(`${tenant.url}/adminapi/beta/${tenant.tenantId}/InvokeCommand?`),
            ).toBe(true);
            pages.push(await invoke("Get-TestMailbox", {}, { url: next }));
        }

        expect(pages.map((p) => p.body.value.length)).toEqual([1000, 1000, 500]);
        expect(pages[2].body.value.at(-1)).toEqual({ Identity: "mbx2499", Alias: "mbx2499" });
        expect(pages[0].body["@odata.context"]).toMatch(
            /\$metadata#Collection\(Exchange\.GenericHashTable\)$/,
        );
    });

    test("Prefer: odata.maxpagesize sets the page size", async () => {
        const answer = await invoke(
            "Get-TestMailbox",
            {},
            { headers: { Prefer: "odata.maxpagesize=100" } },
        );

        expect(answer.body.value).toHaveLength(100);
    });

    test("warnings come back in @adminapi.warnings with a 200", async () => {
        const answer = await invoke("Disable-TestRule", { Identity: "rule-1" });

        expect(answer.status).toBe(200);
        expect(answer.body["@adminapi.warnings"]).toEqual([
            "The command completed successfully but no settings of 'x' have been modified.",
        ]);
    });

    test("a CmdletError is answered in Exchange's error shape with its status", async () => {
        const answer = await invoke("Disable-TestRule", { Identity: "missing" });

        expect(answer.status).toBe(404);
        expect(answer.body.error).toMatchObject({
            code: "NotFound",
            details: [{ code: "Client", target: "" }],
            innererror: {
                internalexception: {
                    type: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                    message:
                        "The operation couldn't be performed because object 'missing' couldn't be found.",
                },
            },
        });
        expect(answer.body.error.details[0].message).toMatch(
            /^Ex[0-9A-F]{6}\|Microsoft\.Exchange\.Configuration\.Tasks\.ManagementObjectNotFoundException\|The operation couldn't be performed/,
        );
    });

    test("an unknown cmdlet and an unknown parameter are 400s saying which", async () => {
        const unknownCmdlet = await invoke("Get-Nothing");
        const unknownParameter = await invoke("Get-TestMailbox", { Identity: "x", Bogus: 1 });

        expect(unknownCmdlet.status).toBe(400);
        expect(unknownCmdlet.body.error.details[0].message).toMatch(
            /CommandNotFoundException\|The term 'Get-Nothing' is not recognized/,
        );
        expect(unknownParameter.status).toBe(400);
        expect(unknownParameter.body.error.details[0].message).toMatch(
            /Invalid cmdlet parameters specified\. Bogus$/,
        );
    });

    test("a cmdlet none of whose roles the app holds is a 403 naming the roles", async () => {
        const answer = await invoke("Set-TestMailbox", { Identity: "x" });

        expect(answer.status).toBe(403);
        expect(answer.body.error.details[0].message).toMatch(/Assign one of: Mail Recipients/);
    });

    test("no token, a Graph token, or a token without Exchange.ManageAsApp are refused", async () => {
        const graphToken = await getToken(tenant);
        const bareToken = await getToken(tenant, "https://outlook.office365.com", SECOND_APP);

        const none = await call(tenant, "POST", `/adminapi/beta/${tenant.tenantId}/InvokeCommand`, {
            body: {},
        });
        const wrongAudience = await invoke("Get-TestMailbox", {}, { token: graphToken });
        const noRole = await invoke("Get-TestMailbox", {}, { token: bareToken });

        expect(none.status).toBe(401);
        expect(none.headers["www-authenticate"]).toMatch(/^Bearer /);
        expect(wrongAudience.status).toBe(401);
        expect(noRole.status).toBe(403);
        expect(noRole.body.error.details[0].message).toMatch(/Exchange\.ManageAsApp/);
    });

    test("the tenant in the URL may be the tenant's domain, but not another tenant", async () => {
        const byDomain = await invoke(
            "Disable-TestRule",
            { Identity: "r" },
            { url: "/adminapi/beta/coretest.onmicrosoft.com/InvokeCommand" },
        );
        const other = await invoke(
            "Disable-TestRule",
            { Identity: "r" },
            { url: "/adminapi/beta/other.onmicrosoft.com/InvokeCommand" },
        );

        expect(byDomain.status).toBe(200);
        expect(other.status).toBe(401);
    });

    test("a fifth concurrent call anchored on one mailbox gets 429 with Retry-After", async () => {
        const anchor = { "X-AnchorMailbox": "UPN:megan@coretest.example" };
        const held = Array.from({ length: 4 }, () =>
            invoke("Get-SlowThing", {}, { headers: anchor }),
        );
        while (gate.waiting.length < 4) await new Promise((r) => setTimeout(r, 5));

        const fifth = await invoke("Get-SlowThing", {}, { headers: anchor });
        gate.releaseAll();

        expect(fifth.status).toBe(429);
        expect(fifth.headers["retry-after"]).toBe("1");
        expect((await Promise.all(held)).map((a) => a.status)).toEqual([200, 200, 200, 200]);
    });

    test("the request log names the cmdlet", async () => {
        tenant.control.clearRequests();

        await invoke("get-testmailbox", {}, { headers: { Prefer: "odata.maxpagesize=1" } });

        expect(tenant.control.getRequests()[0]).toMatchObject({
            method: "POST",
            status: 200,
            cmdlet: "Get-TestMailbox",
            appId: tenant.clientId,
        });
    });
});
