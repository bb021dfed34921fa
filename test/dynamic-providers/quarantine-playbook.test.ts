/**
 * The containment playbook's ordering, on a tenant double whose answers and timing the test
 * controls: what happens first when a read is slow, and which writes must wait for others.
 * The provider-host tests cover the same playbook against the local tenant; these cover the
 * timings a local tenant cannot produce on demand.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { withDefaults } from "../../dynamic-providers/quarantine/inputs";
import { contain, type PlaybookContext } from "../../dynamic-providers/quarantine/playbook";
import { previewContainment } from "../../dynamic-providers/quarantine/preview";
import type {
    ExchangeReply,
    GraphReply,
    GraphRequest,
    TenantApi,
} from "../../dynamic-providers/quarantine/tenant";

const USER_ID = "6e7b768e-07e2-4810-8459-485f84f8f204";
const UPN = "adele.vance@contoso.com";

type Obj = Record<string, any>;

/**
 * A tenant double: one enabled user with the given methods, default method preference and inbox
 * rules. Every Graph request and Exchange cmdlet is logged in the order it reached the double;
 * `holdRules` keeps the inbox rules read waiting until the test releases it.
 */
class DummyTenant implements TenantApi {
    log: string[] = [];
    private releaseRules: () => void = () => {};
    private readonly rulesHeld: Promise<void>;

    constructor(
        private readonly methods: Obj[],
        private readonly rules: Obj[],
        holdRules = false,
        private readonly preferred = "push",
        /** Answers a request differently from the default double, when it returns a reply. */
        private readonly override: (r: GraphRequest) => GraphReply | undefined = () => undefined,
    ) {
        this.rulesHeld = holdRules
            ? new Promise((resolve) => (this.releaseRules = resolve))
            : Promise.resolve();
    }

    release(): void {
        this.releaseRules();
    }

    async graph(requests: GraphRequest[]): Promise<GraphReply[]> {
        return requests.map((r) => {
            this.log.push(`${r.method} ${r.url}${r.body ? ` ${JSON.stringify(r.body)}` : ""}`);
            return this.answer(r);
        });
    }

    async exchange(cmdlet: string): Promise<ExchangeReply> {
        this.log.push(cmdlet);
        if (cmdlet === "Get-InboxRule") {
            await this.rulesHeld;
            this.log.push("inbox rules answered");
            return { value: this.rules, warnings: [], noOp: false };
        }
        if (cmdlet === "Get-Mailbox") {
            const mailbox = { Identity: "AdeleV", UserPrincipalName: UPN, GrantSendOnBehalfTo: [] };
            return { value: [mailbox], warnings: [], noOp: false };
        }
        if (cmdlet === "Get-CASMailbox") {
            const cas = { PopEnabled: false, ImapEnabled: false };
            return { value: [{ ...cas, SmtpClientAuthenticationDisabled: true }], ...none() };
        }
        return { value: [], ...none() };
    }

    async callerObjectId(): Promise<string | undefined> {
        return undefined;
    }

    private answer(r: GraphRequest): GraphReply {
        const special = this.override(r);
        if (special) return special;
        const ok = (body: unknown = {}) => ({ status: 200, ok: true, body });
        if (r.method !== "GET") return ok();
        if (r.url.startsWith(`/users/${UPN}?`)) {
            return ok({ id: USER_ID, userPrincipalName: UPN, accountEnabled: true });
        }
        if (r.url.endsWith("/authentication/methods")) return ok({ value: this.methods });
        if (r.url.endsWith("/signInPreferences")) {
            return ok({ userPreferredMethodForSecondaryAuthentication: this.preferred });
        }
        return ok({ value: [] });
    }
}

function none() {
    return { warnings: [], noOp: false };
}

function context(tenant: TenantApi, overrides: Partial<PlaybookContext> = {}): PlaybookContext {
    const inputs = withDefaults(
        {
            user: UPN,
            incident: "INC-4001",
            reason: "Phishing sign-in from an anonymous IP",
            compromisedSince: "2026-11-30T08:00:00Z",
            approvedBy: "isaiah.langer@contoso.com",
        },
        "adele",
    );
    return {
        inputs,
        tenant,
        breakGlassAccounts: [],
        now: () => new Date(),
        log: () => {},
        journalDir: fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-playbook-")),
        ...overrides,
    };
}

const FORWARDING_RULE = {
    Identity: "AdeleV\\1",
    Name: "x",
    Enabled: true,
    ForwardTo: ['"drop" [SMTP:drop@evil.example]'],
};

describe("when the inbox rules read is slow", () => {
    it("cuts the attacker off without waiting for it, and still records and disables the rule", async () => {
        const tenant = new DummyTenant([], [FORWARDING_RULE], true);
        const lines: string[] = [];
        const running = contain(context(tenant, { rulesWaitMs: 50, log: (l) => lines.push(l) }));

        // The cut-off goes out while the rules read is still waiting.
        await waitFor(() => tenant.log.some((l) => l.includes('"accountEnabled":false')));
        expect(tenant.log).not.toContain("inbox rules answered");
        tenant.release();

        const result = await running;
        expect(result.evidence.found.inboxRules.map((r) => r.key)).toEqual(["AdeleV\\1"]);
        expect(tenant.log).toContain("Disable-InboxRule");
        expect(result.failures).toEqual([]);
        expect(lines.join("\n")).toMatch(
            /did not arrive within 0\.05 s, so the cut-off goes first/,
        );
    });

    it("waits for a read that answers in time, so the rules are recorded before any change", async () => {
        const tenant = new DummyTenant([], [FORWARDING_RULE]);
        await contain(context(tenant, { rulesWaitMs: 5_000 }));
        const answered = tenant.log.indexOf("inbox rules answered");
        const disabled = tenant.log.findIndex((l) => l.includes('"accountEnabled":false'));
        expect(answered).toBeGreaterThanOrEqual(0);
        expect(answered).toBeLessThan(disabled);
    });
});

describe("phone numbers", () => {
    it("removes the alternate mobile before the mobile, and the default office number last", async () => {
        const phone = (id: string, phoneType: string) => ({
            "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
            id,
            phoneType,
            phoneNumber: "+1 5555550100",
        });
        const MOBILE = "3179e48a-750b-4051-897c-87b9720928f7";
        const ALTERNATE = "b6332ec1-7057-4abe-9331-3d72feddfe41";
        const OFFICE = "e37fc753-ff3b-4958-9484-eaa9425c82bc";
        const tenant = new DummyTenant(
            [phone(MOBILE, "mobile"), phone(ALTERNATE, "alternateMobile"), phone(OFFICE, "office")],
            [],
            false,
            "voiceOffice",
        );
        await contain(context(tenant));
        const deletes = tenant.log.filter((l) => l.startsWith("DELETE"));
        const at = (id: string) => deletes.findIndex((l) => l.endsWith(id));
        expect(at(ALTERNATE)).toBeGreaterThanOrEqual(0);
        expect(at(ALTERNATE)).toBeLessThan(at(MOBILE));
        expect(at(MOBILE)).toBeLessThan(at(OFFICE));
    });
});

describe("methods containment cannot remove", () => {
    const method = (type: string, id: string) => ({
        "@odata.type": `#microsoft.graph.${type}AuthenticationMethod`,
        id,
    });

    it("records a method of a type with no known Graph API as a failure that says what to do", async () => {
        const tenant = new DummyTenant(
            [method("microsoftAuthenticator", "m1"), method("qrCodePin", "q1")],
            [],
        );
        const result = await contain(context(tenant));
        expect(tenant.log.some((l) => l.startsWith("DELETE") && l.endsWith("/m1"))).toBe(true);
        expect(result.failures).toEqual([
            expect.objectContaining({
                target: "authenticationMethods:q1",
                error: expect.stringMatching(/cannot remove a qrCodePin method.*keep\.methods/s),
            }),
        ]);
    });

    it("says how to proceed when Graph refuses to remove the default method", async () => {
        const refuse = (r: GraphRequest): GraphReply | undefined =>
            r.method === "DELETE" && r.url.endsWith("/m1")
                ? {
                      status: 400,
                      ok: false,
                      body: {},
                      error: "BadRequest: Cannot delete default method with other methods configured.",
                  }
                : undefined;
        const tenant = new DummyTenant(
            [method("microsoftAuthenticator", "m1"), method("fido2", "f1")],
            [],
            false,
            "push",
            refuse,
        );
        const result = await contain(context(tenant));
        expect(result.failures).toEqual([
            expect.objectContaining({
                target: "authenticationMethods:m1",
                error: expect.stringMatching(/Cannot delete default method.*set another default/s),
            }),
        ]);
    });
});

describe("the preview of a containment", () => {
    it("lists what would change, says which method a person must remove, and writes nothing", async () => {
        const tenant = new DummyTenant(
            [
                {
                    "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
                    id: "m1",
                },
                { "@odata.type": "#microsoft.graph.qrCodePinAuthenticationMethod", id: "q1" },
            ],
            [FORWARDING_RULE],
        );
        const preview = await previewContainment(tenant, context(tenant).inputs, []);

        expect(preview.outcome).toBe("contain");
        const lines = preview.actions.map((a) => a.what).join("\n");
        expect(lines).toMatch(/disable inbox rule: rule "x" forwards mail to drop@evil\.example/);
        expect(lines).toMatch(/qrCodePin method .*a person must/);
        expect(tenant.log.filter((l) => !l.startsWith("GET") && !l.startsWith("Get-"))).toEqual([
            "inbox rules answered",
        ]);
    });
});

async function waitFor(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !condition(); i++) {
        await new Promise((r) => setTimeout(r, 10));
    }
    if (!condition()) throw new Error("condition not met within 2 s");
}
