import {
    DkimSigning,
    dkimSigningProvider,
    isCnameMissing,
    selectorOutputs,
    validateDkimSigning,
} from "../../dynamic-providers/dkim-signing";
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

function configFor(state: any, domain: string): any {
    return state.exchange.dkimSigningConfigs.find((c: any) => c.Domain === domain);
}

/** Exchange without the status it derives from DNS (the local tenant has no DNS to re-check). */
function exchangeSettings(state: any): any {
    const exchange = JSON.parse(JSON.stringify(state.exchange));
    for (const config of exchange.dkimSigningConfigs) delete config.Status;
    return exchange;
}

/** What the mail-authentication component does once the CNAMEs resolve (the local tenant has no DNS). */
function publishCnames(h: SettingsHarness, domain: string): void {
    changeTenant(h.tenant, (state) => (configFor(state, domain).cnamesPublished = true));
}

describe("DkimSigning through the provider host", () => {
    let h: SettingsHarness;
    beforeAll(async () => {
        h = await startSettingsHarness({ scenario: "contoso-bec" });
    });
    afterAll(async () => h?.stop());

    it("outputs the selector CNAME targets without enabling signing", async () => {
        const before = snapshot(h.tenant);
        const d = await declare("dkim", () => new DkimSigning("dkim", { domain: "contoso.com" }));

        const { id, outs } = await up(h.host, d);

        expect(id).toBe("contoso.com");
        expect(outs).toMatchObject({
            selector1Cname: "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
            selector2Cname: "selector2-contoso-com._domainkey.contoso.onmicrosoft.com",
            enabled: false,
            previous: { configExisted: true, enabled: false },
        });
        expect(snapshot(h.tenant).exchange).toEqual(before.exchange);
        await h.host.delete(id, d.urn, outs);
    });

    it("enables signing once asked, after the CNAMEs exist, and delete turns it back off exactly", async () => {
        publishCnames(h, "contoso.com");
        const before = snapshot(h.tenant);
        const d = await declare("dkim", () => new DkimSigning("dkim", { domain: "contoso.com" }));
        const { id, outs } = await up(h.host, d);
        const enabled = await declare(
            "dkim",
            () => new DkimSigning("dkim", { domain: "contoso.com", enable: true }),
        );

        const updated = await h.host.update(id, d.urn, outs, enabled.inputs);

        expect(configFor(snapshot(h.tenant), "contoso.com").Enabled).toBe(true);
        expect(updated.outs.enabled).toBe(true);
        await h.host.delete(id, d.urn, updated.outs);
        expect(exchangeSettings(snapshot(h.tenant))).toEqual(exchangeSettings(before));
    });

    it("says which records to publish when Exchange refuses to enable before DNS, and is recorded anyway", async () => {
        changeTenant(
            h.tenant,
            (state) => (configFor(state, "contoso.com").cnamesPublished = false),
        );
        const d = await declare(
            "dkim",
            () => new DkimSigning("dkim", { domain: "contoso.com", enable: true }),
        );
        const checked = await h.host.check(d.urn, {}, d.inputs);

        // Created in this process: the host harness cannot carry an init failure this large.
        configureInProcess(h.tenant);
        const failure: any = await dkimSigningProvider.create!(checked.inputs).catch((e) => e);

        expect(failure.message).toMatch(
            /selector1\._domainkey\.contoso\.com CNAME selector1-contoso-com\._domainkey\.contoso\.onmicrosoft\.com/,
        );
        expect(failure.id).toBe("contoso.com");
        expect(failure.properties.previous).toEqual({ configExisted: true, enabled: false });
        expect(configFor(snapshot(h.tenant), "contoso.com").Enabled).toBe(false);
    });

    it("creates the signing config for a domain that has none", async () => {
        changeTenant(h.tenant, (state) => {
            state.tenant.verifiedDomains.push("fabrikam-payments.com");
            state.exchange.acceptedDomains.push({
                Identity: "fabrikam-payments.com",
                Name: "fabrikam-payments.com",
                DomainName: "fabrikam-payments.com",
                DomainType: "Authoritative",
                Default: false,
                InitialDomain: false,
            });
        });
        const d = await declare(
            "dkim2",
            () => new DkimSigning("dkim2", { domain: "fabrikam-payments.com" }),
        );

        const { id, outs } = await up(h.host, d);

        expect(configFor(snapshot(h.tenant), "fabrikam-payments.com")).toMatchObject({
            Enabled: false,
        });
        expect(outs.previous).toEqual({ configExisted: false, enabled: false });
        expect(outs.selector1Cname).toBe(
            "selector1-fabrikam-payments-com._domainkey.contoso.onmicrosoft.com",
        );
        await h.host.delete(id, d.urn, outs);
    });

    it("reports drift when signing is turned off behind its back", async () => {
        publishCnames(h, "contoso.com");
        const d = await declare(
            "dkim",
            () => new DkimSigning("dkim", { domain: "contoso.com", enable: true }),
        );
        const { id, outs } = await up(h.host, d);

        changeTenant(h.tenant, (state) => (configFor(state, "contoso.com").Enabled = false));
        const read = await h.host.read(id, d.urn, outs);

        expect(read.props.drift).toEqual(["enable: declared true, signing is off"]);
        expect((await h.host.diff(id, d.urn, read.props, d.inputs)).changes).toBe("some");
        await h.host.update(id, d.urn, read.props, d.inputs);
        expect(configFor(snapshot(h.tenant), "contoso.com").Enabled).toBe(true);
        await h.host.delete(id, d.urn, outs);
        expect(configFor(snapshot(h.tenant), "contoso.com").Enabled).toBe(false);
    });

    it("sends nothing when run again with signing already on", async () => {
        publishCnames(h, "contoso.com");
        const d = await declare(
            "dkim",
            () => new DkimSigning("dkim", { domain: "contoso.com", enable: true }),
        );
        const { id, outs } = await up(h.host, d);
        h.tenant.control.clearRequests();

        await h.host.update(id, d.urn, outs, d.inputs);

        expect(writes(h.tenant)).toEqual([]);
        await h.host.delete(id, d.urn, outs);
    });

    it("replaces the resource when the domain changes", async () => {
        const d = await declare("dkim", () => new DkimSigning("dkim", { domain: "contoso.com" }));
        const other = await declare(
            "dkim",
            () => new DkimSigning("dkim", { domain: "fabrikam-payments.com" }),
        );

        const diff = await h.host.diff(
            "contoso.com",
            d.urn,
            { ...d.inputs, enable: false },
            other.inputs,
        );

        expect(diff.replaces).toEqual(["domain"]);
    });

    it("rides out 429 answers from the Exchange admin API", async () => {
        const d = await declare("dkim", () => new DkimSigning("dkim", { domain: "contoso.com" }));
        h.tenant.control.setFaults({
            failNth: [
                { method: "POST", pathPattern: "InvokeCommand", n: 1, status: 429, times: 2 },
            ],
            retryAfterSeconds: 0,
        });
        try {
            const { id, outs } = await up(h.host, d);
            expect(outs.selector1Cname).toContain("selector1-contoso-com");
            await h.host.delete(id, d.urn, outs);
        } finally {
            h.tenant.control.setFaults({});
        }
    });

    it("rejects bad input at preview with the field, the value and the fix", async () => {
        const d = await declare(
            "bad",
            () =>
                new DkimSigning("bad", { domain: "contoso.onmicrosoft.com", enable: "yes" as any }),
        );

        const checked = await h.host.check(d.urn, {}, d.inputs);

        expect(checked.failures).toEqual([
            expect.objectContaining({
                property: "domain",
                reason: expect.stringContaining("Fix: list only your custom domains"),
            }),
            {
                property: "enable",
                reason: 'enable is "yes": not a boolean. Fix: use true once the CNAME records exist, false before',
            },
        ]);
    });
});

describe("DKIM signing logic", () => {
    it("reads the selector targets Exchange gives rather than building them", () => {
        expect(
            selectorOutputs({
                Selector1CNAME: "s1.example",
                Selector2CNAME: "s2.example",
                Enabled: true,
            }),
        ).toEqual({
            selector1Cname: "s1.example",
            selector2Cname: "s2.example",
            enabled: true,
        });
    });

    it("recognises Exchange's refusal before DNS, whatever the error's shape", () => {
        expect(
            isCnameMissing({ exchangeMessage: "CNAME record does not exist for this config." }),
        ).toBe(true);
        expect(isCnameMissing(new Error("other"))).toBe(false);
    });

    it("refuses a domain given as an address", () => {
        expect(validateDkimSigning({ domain: "@contoso.com" }).map((f) => f.property)).toEqual([
            "domain",
        ]);
    });
});
