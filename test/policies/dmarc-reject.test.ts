import { dmarcReject } from "../../policies/dmarc-reject";
import { messages, UNKNOWN, validateStack } from "./helpers";
import {
    azureComponent,
    externalComponent,
    GOOD_DMARC,
    GOOD_SPF,
    plannedComponent,
    txtRecordSet,
} from "./mail-fixtures";

const stack = (dmarc: string) => [
    azureComponent,
    txtRecordSet("@", GOOD_SPF),
    txtRecordSet("_dmarc", dmarc),
];

describe("dmarc-reject", () => {
    test("p=reject, sp=reject, pct=100 passes", async () => {
        expect(await validateStack(dmarcReject, stack(GOOD_DMARC))).toEqual([]);
    });

    test("p=none is a mandatory violation on the record set, with the fix", async () => {
        const violations = await validateStack(
            dmarcReject,
            stack(GOOD_DMARC.replace("p=reject", "p=none")),
        );
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].urn).toContain("mail-contoso-com-dmarc");
        expect(violations[0].message).toContain(
            'DMARC record _dmarc.contoso.com in Azure DNS record set "mail-contoso-com-dmarc" has p=none',
        );
        expect(violations[0].message).toContain("Fix: set p=reject");
    });

    test("p=quarantine passes by default (rollout)", async () => {
        const quarantine = GOOD_DMARC.replace("p=reject", "p=quarantine");
        expect(await validateStack(dmarcReject, stack(quarantine))).toEqual([]);
    });

    test("p=quarantine is a violation once rollout is declared finished", async () => {
        const quarantine = GOOD_DMARC.replace("p=reject", "p=quarantine");
        const violations = await validateStack(dmarcReject, stack(quarantine), {
            allowQuarantineDuringRollout: false,
        });
        expect(messages(violations)[0]).toContain("has p=quarantine");
    });

    test("a weaker subdomain policy is a violation", async () => {
        const violations = await validateStack(
            dmarcReject,
            stack(GOOD_DMARC.replace("sp=reject", "sp=none")),
        );
        expect(messages(violations)[0]).toContain("has sp=none");
    });

    test("pct below 100 is a violation", async () => {
        const violations = await validateStack(
            dmarcReject,
            stack(GOOD_DMARC.replace("pct=100", "pct=50")),
        );
        expect(messages(violations)[0]).toContain("has pct=50");
    });

    test("a DMARC record with no p tag is a violation", async () => {
        const violations = await validateStack(
            dmarcReject,
            stack("v=DMARC1; rua=mailto:d@contoso.com"),
        );
        expect(messages(violations)[0]).toContain("has no p tag");
    });

    test("records of a zone hosted elsewhere are checked in the component's output", async () => {
        const external = externalComponent([
            { name: "fabrikam.com", value: GOOD_SPF },
            { name: "_dmarc.fabrikam.com", value: "v=DMARC1; p=none; rua=mailto:d@fabrikam.com" },
        ]);
        const violations = await validateStack(dmarcReject, [external]);
        expect(violations).toHaveLength(1);
        expect(violations[0].message).toContain(
            'DMARC record _dmarc.fabrikam.com in the records output of MailAuthentication "mail-fabrikam-com"',
        );
    });

    test("a component writing to Azure DNS is read through its record sets only (no duplicates)", async () => {
        const component = {
            ...azureComponent,
            props: {
                records: [{ name: "_dmarc.contoso.com", type: "TXT", value: "v=DMARC1; p=none" }],
            },
        };
        const violations = await validateStack(dmarcReject, [
            component,
            txtRecordSet("_dmarc", GOOD_DMARC.replace("p=reject", "p=none")),
        ]);
        expect(violations).toHaveLength(1);
        expect(violations[0].urn).toContain("mail-contoso-com-dmarc");
    });

    test("a record set in its output shape (after an update) is read too", async () => {
        const afterUpdate = {
            ...txtRecordSet("_dmarc", "unused"),
            props: {
                name: "_dmarc",
                fqdn: "_dmarc.contoso.com.",
                type: "Microsoft.Network/dnszones/TXT",
                txtRecords: [{ value: [GOOD_DMARC.replace("p=reject", "p=none")] }],
            },
        };
        const violations = await validateStack(dmarcReject, [azureComponent, afterUpdate]);
        expect(messages(violations)[0]).toContain("DMARC record _dmarc.contoso.com in Azure DNS");
    });

    test("a domain hosted elsewhere is checked in the first preview, from its plain txtRecordsToPublish", async () => {
        const planned = plannedComponent("fabrikam.com", [
            { name: "_dmarc.fabrikam.com", value: "v=DMARC1; p=none; rua=mailto:d@fabrikam.com" },
        ]);
        const violations = await validateStack(dmarcReject, [planned]);
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["mandatory"]);
        expect(violations[0].message).toContain(
            'DMARC record _dmarc.fabrikam.com in the txtRecordsToPublish output of MailAuthentication "mail-fabrikam-com"',
        );
    });

    test("two DMARC records on one name are a violation: receivers apply none", async () => {
        const violations = await validateStack(dmarcReject, [
            azureComponent,
            txtRecordSet("_dmarc", GOOD_DMARC, GOOD_DMARC.replace("pct=100", "pct=100; fo=1")),
        ]);
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain("_dmarc.contoso.com has 2 DMARC records");
        expect(violations[0].message).toContain("RFC 7489 §6.6.3");
    });

    test("a mail domain without a DMARC record is a violation on its component", async () => {
        const violations = await validateStack(dmarcReject, [
            azureComponent,
            txtRecordSet("@", GOOD_SPF),
        ]);
        expect(violations).toHaveLength(1);
        expect(violations[0].urn).toContain("mail-contoso-com");
        expect(violations[0].message).toContain(
            'MailAuthentication "mail-contoso-com" declares mail domain contoso.com, but the stack has no DMARC record for it (_dmarc.contoso.com)',
        );
        expect(violations[0].message).toContain("remove dmarc: false");
    });

    test("a mail domain whose DMARC record is managed elsewhere may be listed in config", async () => {
        const violations = await validateStack(
            dmarcReject,
            [azureComponent, txtRecordSet("@", GOOD_SPF)],
            { domainsManagedElsewhere: ["Contoso.com"] },
        );
        expect(violations).toEqual([]);
    });

    test("a subdomain mail domain is covered by its parent's DMARC record", async () => {
        const eu = plannedComponent("eu.contoso.com", [
            { name: "eu.contoso.com", value: GOOD_SPF },
        ]);
        expect(await validateStack(dmarcReject, [...stack(GOOD_DMARC), eu])).toEqual([]);
    });

    test("a DMARC report authorisation record is not read as a DMARC policy record", async () => {
        const authorization = {
            ...txtRecordSet("fabrikam.com._report._dmarc", "v=DMARC1"),
            name: "mail-fabrikam-com-dmarc-report-contoso-com",
        };
        expect(await validateStack(dmarcReject, [...stack(GOOD_DMARC), authorization])).toEqual([]);
    });

    test("a missing record is not claimed while the records are unknown in preview", async () => {
        const unknownRecords = { ...txtRecordSet("_dmarc", "unused") };
        unknownRecords.props = { ...unknownRecords.props, txtRecords: UNKNOWN };
        const violations = await validateStack(dmarcReject, [azureComponent, unknownRecords]);
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    });

    test("a records output unknown in preview is left to the check at up", async () => {
        const external = { ...externalComponent([]), props: { records: UNKNOWN } };
        const violations = await validateStack(dmarcReject, [external]);
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    });
});
