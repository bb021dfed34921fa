import { dmarcReportingAddress } from "../../policies/dmarc-reporting-address";
import { messages, validateStack } from "./helpers";
import { azureComponent, GOOD_DMARC, txtRecordSet } from "./mail-fixtures";

const stack = (dmarc: string) => [azureComponent, txtRecordSet("_dmarc", dmarc)];

describe("dmarc-reporting-address", () => {
    test("a mailto: rua passes", async () => {
        expect(await validateStack(dmarcReportingAddress, stack(GOOD_DMARC))).toEqual([]);
    });

    test("no rua is a mandatory violation with the fix", async () => {
        const violations = await validateStack(
            dmarcReportingAddress,
            stack(GOOD_DMARC.replace("; rua=mailto:dmarc@contoso.com", "")),
        );
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain("has no rua");
        expect(violations[0].message).toContain("Fix: add a mailto: address");
    });

    test("a rua that is not a mailto: URI is a violation", async () => {
        const violations = await validateStack(
            dmarcReportingAddress,
            stack(GOOD_DMARC.replace("mailto:dmarc@contoso.com", "dmarc@contoso.com")),
        );
        expect(messages(violations)[0]).toContain(
            'rua entry "dmarc@contoso.com", which is not a mailto: URI',
        );
    });

    test("a record longer than one 255-character TXT string is read as one value", async () => {
        // Pad the record so that the 255-character split falls inside "rua=mailto:...": only a
        // value joined without separators, as receivers join it, still has a valid rua.
        const head = "v=DMARC1; p=reject; ruf=mailto:";
        const tail = "@contoso.com; rua=mailto:dmarc@contoso.com";
        const padding = "f".repeat(255 - head.length - "@contoso.com; rua=mai".length);
        const long = `${head}${padding}${tail}`;
        expect(long.slice(0, 255).endsWith("rua=mai")).toBe(true);
        expect(await validateStack(dmarcReportingAddress, stack(long))).toEqual([]);
    });

    test("a size limit suffix is accepted", async () => {
        const sized = GOOD_DMARC.replace(
            "mailto:dmarc@contoso.com",
            "mailto:dmarc@contoso.com!10m",
        );
        expect(await validateStack(dmarcReportingAddress, stack(sized))).toEqual([]);
    });

    test("an address outside the allowed report domains is a violation", async () => {
        const elsewhere = GOOD_DMARC.replace("dmarc@contoso.com", "reports@attacker.example");
        const violations = await validateStack(dmarcReportingAddress, stack(elsewhere), {
            allowedReportDomains: ["contoso.com", "dmarc-vendor.example"],
        });
        expect(messages(violations)[0]).toContain("outside the allowed report domains");
    });

    test("an address at a subdomain of an allowed domain passes", async () => {
        const sub = GOOD_DMARC.replace("dmarc@contoso.com", "dmarc@reports.contoso.com");
        const violations = await validateStack(dmarcReportingAddress, stack(sub), {
            allowedReportDomains: ["contoso.com"],
        });
        expect(violations).toEqual([]);
    });
});
