import {
    allowedReplyToDomains,
    DEFAULT_REPLY_TO_RULE_NAME,
    ExchangeProtection,
    exchangeProtectionProvider,
    planExchangeChange,
    replyToDomainPattern,
    replyToRuleParameters,
    validateExchangeProtection,
    type ExchangeProtectionInputs,
} from "../../dynamic-providers/exchange-protection";
import {
    changeTenant,
    configureInProcess,
    declare,
    snapshot,
    startSettingsHarness,
    up,
    writes,
    type SettingsHarness,
} from "./settings-harness";

const BASELINE: ExchangeProtectionInputs = {
    blockExternalForwarding: true,
    replyToWarning: { mode: "audit", partnerDomains: ["fabrikam.com"] },
    tagExternalSenders: true,
    mailboxAuditing: true,
    unifiedAuditLog: true,
    disableSmtpClientAuth: true,
};

function ruleNamed(state: any, name: string): any {
    return state.exchange.transportRules.find((r: any) => r.Name === name);
}

describe("ExchangeProtection through the provider host", () => {
    let h: SettingsHarness;
    beforeAll(async () => {
        h = await startSettingsHarness({ scenario: "contoso-bec" });
    });
    afterAll(async () => h?.stop());

    it("turns the protections on and creates the Reply-To rule in audit mode", async () => {
        const d = await declare("exo", () => new ExchangeProtection("exo", BASELINE));

        const { id, outs } = await up(h.host, d);

        const exchange = snapshot(h.tenant).exchange;
        expect(
            exchange.hostedOutboundSpamFilterPolicies.map((p: any) => p.AutoForwardingMode),
        ).toEqual(["Off"]);
        expect(exchange.remoteDomains.map((r: any) => r.AutoForwardEnabled)).toEqual([false]);
        expect(exchange.externalInOutlook.Enabled).toBe(true);
        expect(exchange.organizationConfig.AuditDisabled).toBe(false);
        expect(exchange.adminAuditLogConfig.UnifiedAuditLogIngestionEnabled).toBe(true);
        expect(exchange.transportConfig.SmtpClientAuthenticationDisabled).toBe(true);
        const rule = ruleNamed(snapshot(h.tenant), DEFAULT_REPLY_TO_RULE_NAME);
        expect(rule).toMatchObject({
            Mode: "Audit",
            HeaderMatchesMessageHeader: "Reply-To",
            ExceptIfHeaderMatchesMessageHeader: "Reply-To",
            ApplyHtmlDisclaimerLocation: "Prepend",
            SentToScope: "InOrganization",
        });
        expect(rule.ExceptIfHeaderMatchesPatterns).toEqual(
            ["contoso.com", "contoso.onmicrosoft.com", "fabrikam.com"].map(replyToDomainPattern),
        );
        expect(outs.previous).toEqual(
            expect.arrayContaining([
                expect.objectContaining({
                    noun: "HostedOutboundSpamFilterPolicy",
                    identity: "Default",
                    property: "AutoForwardingMode",
                    value: "On",
                }),
                expect.objectContaining({
                    noun: "TransportConfig",
                    property: "SmtpClientAuthenticationDisabled",
                    value: false,
                }),
            ]),
        );
        await h.host.delete(id, d.urn, outs);
    });

    it("moves the rule from audit to enforce in place", async () => {
        const d = await declare("exo", () => new ExchangeProtection("exo", BASELINE));
        const { id, outs } = await up(h.host, d);
        const enforce = await declare(
            "exo",
            () =>
                new ExchangeProtection("exo", {
                    ...BASELINE,
                    replyToWarning: { mode: "enforce", partnerDomains: ["fabrikam.com"] },
                }),
        );

        const updated = await h.host.update(id, d.urn, outs, enforce.inputs);

        expect(ruleNamed(snapshot(h.tenant), DEFAULT_REPLY_TO_RULE_NAME).Mode).toBe("Enforce");
        await h.host.delete(id, d.urn, updated.outs);
    });

    it("reports drift when forwarding is turned back on or the rule disappears, and update converges", async () => {
        const d = await declare("exo", () => new ExchangeProtection("exo", BASELINE));
        const { id, outs } = await up(h.host, d);

        changeTenant(h.tenant, (state) => {
            state.exchange.remoteDomains[0].AutoForwardEnabled = true;
            state.exchange.transportRules = [];
        });
        const read = await h.host.read(id, d.urn, outs);

        expect(read.props.drift).toEqual([
            expect.stringContaining(
                'blockExternalForwarding: declared AutoForwardEnabled false on RemoteDomain "Default"',
            ),
            expect.stringContaining("no longer exists"),
        ]);
        const updated = await h.host.update(id, d.urn, read.props, d.inputs);
        const after = snapshot(h.tenant);
        expect(after.exchange.remoteDomains[0].AutoForwardEnabled).toBe(false);
        expect(ruleNamed(after, DEFAULT_REPLY_TO_RULE_NAME)).toBeDefined();
        await h.host.delete(id, d.urn, updated.outs);
    });

    it("covers a remote domain added after apply, and restores it too", async () => {
        const before = snapshot(h.tenant);
        const d = await declare(
            "exo",
            () => new ExchangeProtection("exo", { blockExternalForwarding: true }),
        );
        const { id, outs } = await up(h.host, d);
        const partner = {
            ...before.exchange.remoteDomains[0],
            Identity: "Fabrikam",
            Name: "Fabrikam",
            DomainName: "fabrikam.com",
            AutoForwardEnabled: true,
        };
        changeTenant(h.tenant, (state) => state.exchange.remoteDomains.push(partner));

        const read = await h.host.read(id, d.urn, outs);
        expect(read.props.drift).toEqual([expect.stringContaining('RemoteDomain "Fabrikam"')]);
        const updated = await h.host.update(id, d.urn, read.props, d.inputs);
        expect(
            snapshot(h.tenant).exchange.remoteDomains.map((r: any) => r.AutoForwardEnabled),
        ).toEqual([false, false]);

        await h.host.delete(id, d.urn, updated.outs);
        expect(snapshot(h.tenant).exchange.remoteDomains).toEqual([
            ...before.exchange.remoteDomains,
            partner,
        ]);
        changeTenant(h.tenant, (state) => state.exchange.remoteDomains.pop());
    });

    it("restores every setting exactly and removes the rule it created on delete", async () => {
        const before = snapshot(h.tenant);
        const d = await declare("exo", () => new ExchangeProtection("exo", BASELINE));
        const { id, outs } = await up(h.host, d);

        await h.host.delete(id, d.urn, outs);

        expect(snapshot(h.tenant).exchange).toEqual(before.exchange);
    });

    it("sends nothing when run again with the tenant already as declared", async () => {
        const d = await declare("exo", () => new ExchangeProtection("exo", BASELINE));
        const { id, outs } = await up(h.host, d);
        h.tenant.control.clearRequests();

        const again = await h.host.update(id, d.urn, outs, d.inputs);

        expect(writes(h.tenant)).toEqual([]);
        expect(again.outs.previous).toEqual(outs.previous);
        await h.host.delete(id, d.urn, again.outs);
    });

    it("rides out 429 answers from the Exchange admin API", async () => {
        const d = await declare(
            "exo",
            () => new ExchangeProtection("exo", { disableSmtpClientAuth: true }),
        );
        h.tenant.control.setFaults({
            failNth: [
                { method: "POST", pathPattern: "InvokeCommand", n: 2, status: 429, times: 2 },
            ],
            retryAfterSeconds: 0,
        });
        try {
            const { id, outs } = await up(h.host, d);
            expect(
                snapshot(h.tenant).exchange.transportConfig.SmtpClientAuthenticationDisabled,
            ).toBe(true);
            await h.host.delete(id, d.urn, outs);
        } finally {
            h.tenant.control.setFaults({});
        }
    });

    it("keeps what it recorded when a cmdlet fails halfway, and the next run finishes and restores", async () => {
        const before = snapshot(h.tenant);
        const d = await declare("exo", () => new ExchangeProtection("exo", BASELINE));
        const checked = await h.host.check(d.urn, {}, d.inputs);
        // The 8th InvokeCommand is a Set- after the reads: some settings are already changed.
        h.tenant.control.setFaults({
            failNth: [{ method: "POST", pathPattern: "InvokeCommand", n: 8, status: 400 }],
        });

        configureInProcess(h.tenant);
        const failure: any = await exchangeProtectionProvider.create!(checked.inputs).catch(
            (e) => e,
        );
        h.tenant.control.setFaults({});

        expect(failure.id).toBe("exchangeProtection");
        expect(failure.properties.previous.length).toBeGreaterThan(0);
        const finished = await h.host.update(failure.id, d.urn, failure.properties, checked.inputs);
        await h.host.delete(failure.id, d.urn, finished.outs);
        expect(snapshot(h.tenant).exchange).toEqual(before.exchange);
    });

    it("rejects bad input at preview with the field, the value and the fix", async () => {
        const d = await declare(
            "bad",
            () =>
                new ExchangeProtection("bad", {
                    replyToWarning: { mode: "block" as any, partnerDomains: ["@fabrikam.com"] },
                    mailboxAuditing: "yes" as any,
                }),
        );

        const checked = await h.host.check(d.urn, {}, d.inputs);

        expect(checked.failures).toEqual(
            expect.arrayContaining([
                expect.objectContaining({
                    property: "mailboxAuditing",
                    reason: expect.stringContaining("Fix:"),
                }),
                {
                    property: "replyToWarning.mode",
                    reason: 'replyToWarning.mode is "block": not an allowed value. Fix: use one of "audit", "enforce"',
                },
                expect.objectContaining({
                    property: "replyToWarning.partnerDomains[0]",
                    reason: expect.stringContaining("no @"),
                }),
            ]),
        );
    });
});

/**
 * An Exchange rule pattern as JavaScript, after checking it stays inside the syntax Exchange
 * documents for rule patterns (\d \w \s \S \A \z ^ $ * + ? | ( ) [ ] . and escaped
 * punctuation). Exchange matches case-insensitively; `\A` and `\z` are the start and end of the
 * header, which JavaScript spells `^` and `$` without the multiline flag.
 */
function exchangePattern(pattern: string): RegExp {
    let js = "";
    let inClass = false;
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === "\\") {
            const next = pattern[i + 1] ?? "";
            i++;
            if (/[A-Za-z0-9]/.test(next) && !"dwsSAz".includes(next)) {
                throw new Error(`${pattern}: \\${next} is outside Exchange's pattern syntax`);
            }
            if (!inClass && next === "A") js += "^";
            else if (!inClass && next === "z") js += "$";
            else js += `\\${next}`;
            continue;
        }
        if (c === "{" || c === "}" || (c === "(" && pattern[i + 1] === "?")) {
            throw new Error(`${pattern}: "${c}" at ${i} is outside Exchange's pattern syntax`);
        }
        if (c === "[") inClass = true;
        if (c === "]") inClass = false;
        js += c;
    }
    return new RegExp(js, "i");
}

describe("the Reply-To warning's exceptions", () => {
    // contoso-bec's accepted domains and one partner, as the rule is built for that tenant.
    const patterns = (
        replyToRuleParameters(
            { mode: "audit" },
            allowedReplyToDomains(["contoso.com", "contoso.onmicrosoft.com"], ["fabrikam.com"]),
        ).ExceptIfHeaderMatchesPatterns as string[]
    ).map(exchangePattern);

    /** Whether a message with this Reply-To header is exempt from the warning. */
    const exempt = (replyTo: string) => patterns.some((p) => p.test(replyTo));

    it.each([
        ["a bare address", "ap@contoso.com"],
        ["an address in angle brackets", "<ap@contoso.com>"],
        ["a quoted display name", '"Accounts Payable" <ap@contoso.com>'],
        ["an unquoted display name", "Accounts Payable <AP@Contoso.com>"],
        ["a quoted display name with a comma", '"Smith, John" <john.smith@contoso.com>'],
        ["spaces around the address", "  Accounts Payable <ap@contoso.com>  "],
        ["the tenant's onmicrosoft.com domain", "<it@contoso.onmicrosoft.com>"],
        ["a partner domain", '"Fabrikam Billing" <billing@fabrikam.com>'],
    ])("exempts %s at an allowed domain", (_what, replyTo) => {
        expect(exempt(replyTo)).toBe(true);
    });

    it.each([
        [
            "the allowed domain only in a quoted display name",
            '"ap@contoso.com " <attacker@evil.example>',
        ],
        [
            "the allowed domain only in an unquoted display name",
            "ap@contoso.com <attacker@evil.example>",
        ],
        ["a second address after an outside one", "attacker@evil.example, x@contoso.com"],
        ["a second address before an outside one", "x@contoso.com, attacker@evil.example"],
        ["two named addresses", '"AP" <attacker@evil.example>, "AP" <ap@contoso.com>'],
        ["addresses separated by a semicolon", "attacker@evil.example; <ap@contoso.com>"],
        ["a group holding an outside address", "Billing: attacker@evil.example, <ap@contoso.com>;"],
        ["an outside address hidden in a comment", "(attacker@evil.example) <ap@contoso.com>"],
        [
            "quotes inside comments that shift the pairing",
            '(a"b) <attacker@evil.example>, (c"d) "e" <ap@contoso.com>',
        ],
        [
            "escaped quotes that shift the pairing",
            '"a\\"b" <attacker@evil.example>, "c\\"d" <ap@contoso.com>',
        ],
        ["a quoted local part holding an outside address", '<"attacker@evil.example"@contoso.com>'],
        ["a look-alike domain", "ap@contoso.com.evil.example"],
        ["a domain ending like an allowed one", "ap@notcontoso.com"],
        ["a subdomain that is not an accepted domain", "ap@eu.contoso.com"],
        ["text after the address", "<ap@contoso.com> attacker@evil.example"],
    ])("warns on %s", (_what, replyTo) => {
        expect(exempt(replyTo)).toBe(false);
    });
});

describe("Exchange protection logic", () => {
    it("matches an address at the domain and not a look-alike", () => {
        const pattern = exchangePattern(replyToDomainPattern("contoso.com"));
        expect(pattern.test('"Bob" <bob@contoso.com>')).toBe(true);
        expect(pattern.test("bob@contoso.com")).toBe(true);
        expect(pattern.test("bob@contoso.com.evil.example")).toBe(false);
        expect(pattern.test("bob@notcontoso.com")).toBe(false);
    });

    it("merges changes to one object into a single Set- call", () => {
        const plan = planExchangeChange(
            {
                TransportConfig: [
                    { Identity: "Transport Settings", SmtpClientAuthenticationDisabled: false },
                ],
            },
            [],
            [
                {
                    field: "disableSmtpClientAuth",
                    noun: "TransportConfig",
                    property: "SmtpClientAuthenticationDisabled",
                    value: true,
                },
            ],
        );
        expect(plan.writes).toEqual([
            {
                cmdlet: "Set-TransportConfig",
                parameters: { SmtpClientAuthenticationDisabled: true },
            },
        ]);
    });

    it("treats false as not managed and never plans a protection off", () => {
        expect(validateExchangeProtection({ tagExternalSenders: false })).toEqual([]);
    });
});
