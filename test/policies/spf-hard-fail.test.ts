import { spfHardFail } from "../../policies/spf-hard-fail";
import { messages, validateStack } from "./helpers";
import { azureComponent, externalComponent, GOOD_SPF, txtRecordSet } from "./mail-fixtures";

const stack = (...apex: string[]) => [azureComponent, txtRecordSet("@", ...apex)];

describe("spf-hard-fail", () => {
    test("an SPF record ending in -all passes, next to other apex TXT values", async () => {
        expect(await validateStack(spfHardFail, stack(GOOD_SPF, "MS=ms12345678"))).toEqual([]);
    });

    test("~all is a mandatory violation explaining soft fail", async () => {
        const violations = await validateStack(
            spfHardFail,
            stack(GOOD_SPF.replace("-all", "~all")),
        );
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain("SPF record contoso.com in Azure DNS record set");
        expect(violations[0].message).toContain("ends in ~all (soft fail)");
        expect(violations[0].message).toContain("Fix: end it in -all");
    });

    test("+all is a violation", async () => {
        const violations = await validateStack(
            spfHardFail,
            stack(GOOD_SPF.replace("-all", "+all")),
        );
        expect(messages(violations)[0]).toContain("every server on the internet");
    });

    test("a record with no all mechanism is a violation", async () => {
        const violations = await validateStack(
            spfHardFail,
            stack("v=spf1 include:spf.protection.outlook.com"),
        );
        expect(messages(violations)[0]).toContain("has no all mechanism");
    });

    test("redirect= without all is refused unless allowed", async () => {
        const redirect = "v=spf1 redirect=_spf.contoso.com";
        expect(messages(await validateStack(spfHardFail, stack(redirect)))[0]).toContain(
            "redirect=",
        );
        expect(await validateStack(spfHardFail, stack(redirect), { allowRedirect: true })).toEqual(
            [],
        );
    });

    test("~all before -all is a violation: receivers stop at the first all", async () => {
        const violations = await validateStack(
            spfHardFail,
            stack("v=spf1 include:spf.protection.outlook.com ~all -all"),
        );
        expect(messages(violations)).toEqual([
            expect.stringContaining(
                "has 2 all mechanisms (~all -all): receivers stop at the first, so only ~all applies",
            ),
        ]);
    });

    test("a bare all is +all", async () => {
        const violations = await validateStack(spfHardFail, stack("v=spf1 mx all"));
        expect(messages(violations)[0]).toContain("ends in +all");
    });

    test("modifiers after -all change nothing: exp= passes", async () => {
        const withExp =
            "v=spf1 include:spf.protection.outlook.com -all exp=explain._spf.contoso.com";
        expect(await validateStack(spfHardFail, stack(withExp))).toEqual([]);
    });

    test("a mechanism after -all is a violation: receivers never reach it", async () => {
        const violations = await validateStack(
            spfHardFail,
            stack("v=spf1 -all include:mail.zendesk.com"),
        );
        expect(messages(violations)[0]).toContain(
            "has mechanisms after -all (include:mail.zendesk.com), which receivers never evaluate",
        );
    });

    test("an allowed redirect to a record in the stack ending in ~all is a violation", async () => {
        const violations = await validateStack(
            spfHardFail,
            [
                ...stack("v=spf1 redirect=_spf.contoso.com"),
                txtRecordSet("_spf", "v=spf1 include:spf.protection.outlook.com ~all"),
            ],
            { allowRedirect: true },
        );
        expect(violations).toHaveLength(2);
        expect(messages(violations)[0]).toContain("SPF record contoso.com in Azure DNS record set");
        expect(messages(violations)[0]).toContain(
            "redirects to _spf.contoso.com, whose SPF record ends in ~all",
        );
    });

    test("an allowed redirect to a record in the stack ending in -all passes", async () => {
        const violations = await validateStack(
            spfHardFail,
            [...stack("v=spf1 redirect=_spf.contoso.com"), txtRecordSet("_spf", GOOD_SPF)],
            { allowRedirect: true },
        );
        expect(violations).toEqual([]);
    });

    test("two redirect= modifiers are a violation even when redirects are allowed", async () => {
        const twice = "v=spf1 redirect=_spf.contoso.com redirect=_spf2.contoso.com";
        const violations = await validateStack(spfHardFail, stack(twice), { allowRedirect: true });
        expect(messages(violations)[0]).toContain("has 2 redirect= modifiers");
    });

    test("two SPF records on one name are a violation", async () => {
        const violations = await validateStack(
            spfHardFail,
            stack(GOOD_SPF, "v=spf1 include:mailgun.org -all"),
        );
        expect(messages(violations)).toEqual([
            expect.stringContaining("contoso.com has 2 SPF records"),
        ]);
    });

    test("an SPF record of a zone hosted elsewhere is checked in the component's output", async () => {
        const external = externalComponent([{ name: "fabrikam.com", value: "v=spf1 mx ?all" }]);
        const violations = await validateStack(spfHardFail, [external]);
        expect(messages(violations)[0]).toContain("ends in ?all");
    });
});
