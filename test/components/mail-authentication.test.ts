import { declared, dkimTarget, installMocks, valueOf } from "./mocks";
import { observeRegistrations } from "../support/registrations";
import {
    dmarcRecord,
    externalReportHosts,
    MailAuthentication,
    MailAuthenticationArgs,
    mtaStsPolicy,
    mtaStsRecord,
    relativeRecordName,
    spfRecord,
    tlsRptRecord,
    txtStrings,
} from "../../components/mail-authentication";

const RECORD_SET = "azure-native:dns:RecordSet";
const DKIM = "pulumi-nodejs:dynamic/bec-guard:DkimSigning";

let mocks: ReturnType<typeof installMocks>;
/** Resource names registered with `retainOnDelete: true`. */
let retained: string[];

beforeEach(() => {
    mocks = installMocks();
    retained = [];
    observeRegistrations((req) => {
        if (req.getRetainondelete()) {
            retained.push(req.getName());
        }
    });
});

/** Declares the component and waits until its records (and so every child) resolved. */
async function declare(args: Partial<MailAuthenticationArgs> = {}) {
    const mail = new MailAuthentication("contoso", {
        domain: "contoso.com",
        dnsZone: { resourceGroupName: "dns-rg" },
        ...args,
    });
    const records = await valueOf(mail.records);
    const children = [
        ...Object.values(mail.recordSets),
        ...(mail.dkimKeys ? [mail.dkimKeys] : []),
        ...(mail.dkimSigning ? [mail.dkimSigning] : []),
    ];
    await Promise.all(children.map((child) => valueOf(child.id)));
    return { mail, records };
}

describe("mail record builders", () => {
    test("DMARC defaults to reject for the domain and its subdomains, all mail, relaxed alignment", () => {
        expect(dmarcRecord()).toBe("v=DMARC1; p=reject; sp=reject; pct=100; adkim=r; aspf=r");
    });

    test("DMARC carries report URIs, percent and strict alignment when given", () => {
        expect(
            dmarcRecord({
                policy: "quarantine",
                subdomainPolicy: "reject",
                percent: 50,
                aggregateReportUris: ["mailto:dmarc@contoso.com", "mailto:rua@vendor.example"],
                failureReportUris: ["mailto:forensic@contoso.com"],
                dkimAlignment: "s",
                spfAlignment: "s",
            }),
        ).toBe(
            "v=DMARC1; p=quarantine; sp=reject; pct=50; adkim=s; aspf=s; " +
                "rua=mailto:dmarc@contoso.com,mailto:rua@vendor.example; " +
                "ruf=mailto:forensic@contoso.com; fo=1",
        );
    });

    test("SPF defaults to Exchange Online and ends in a hard fail", () => {
        expect(spfRecord()).toBe("v=spf1 include:spf.protection.outlook.com -all");
    });

    test("SPF lists addresses before includes and still ends in -all", () => {
        expect(
            spfRecord({
                ip4: ["203.0.113.0/24"],
                ip6: ["2001:db8::/32"],
                includes: ["spf.protection.outlook.com", "mail.zendesk.com"],
            }),
        ).toBe(
            "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8::/32 include:spf.protection.outlook.com " +
                "include:mail.zendesk.com -all",
        );
    });

    test("the MTA-STS policy file is CRLF lines in RFC 8461 order, testing mode by default", () => {
        expect(mtaStsPolicy()).toBe(
            "version: STSv1\r\nmode: testing\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n",
        );
    });

    test("the MTA-STS id changes exactly when the policy changes", () => {
        const testing = mtaStsRecord(mtaStsPolicy({ mode: "testing" }));
        expect(testing).toMatch(/^v=STSv1; id=[0-9a-f]{20}$/);
        expect(mtaStsRecord(mtaStsPolicy({ mode: "testing" }))).toBe(testing);
        expect(mtaStsRecord(mtaStsPolicy({ mode: "enforce" }))).not.toBe(testing);
    });

    test("TLS-RPT lists its report URIs", () => {
        expect(
            tlsRptRecord({ reportUris: ["mailto:tls@contoso.com", "https://rpt.example/v1"] }),
        ).toBe("v=TLSRPTv1; rua=mailto:tls@contoso.com,https://rpt.example/v1");
    });

    test("report hosts outside the domain's own tree need an authorisation, each once", () => {
        expect(
            externalReportHosts("contoso.co.uk", {
                aggregateReportUris: [
                    "mailto:dmarc@contoso.com",
                    "mailto:rua@Vendor.example!10m",
                    "mailto:again@contoso.com",
                ],
                failureReportUris: ["mailto:ruf@forensics.example"],
            }),
        ).toEqual(["contoso.com", "vendor.example", "forensics.example"]);
    });

    test("report hosts that are the domain, below it or above it need none", () => {
        expect(
            externalReportHosts("eu.contoso.com", {
                aggregateReportUris: [
                    "mailto:d@eu.contoso.com",
                    "mailto:d@reports.eu.contoso.com",
                    "mailto:d@contoso.com",
                ],
            }),
        ).toEqual([]);
    });

    test("long TXT values are split into 255-character strings", () => {
        const value = "x".repeat(600);
        expect(txtStrings(value).map((s) => s.length)).toEqual([255, 255, 90]);
        expect(txtStrings(value).join("")).toBe(value);
    });

    test("record names are made relative to their zone", () => {
        expect(relativeRecordName("contoso.com", "contoso.com")).toBe("@");
        expect(relativeRecordName("_dmarc.eu.contoso.com", "contoso.com")).toBe("_dmarc.eu");
        expect(() => relativeRecordName("_dmarc.fabrikam.com", "contoso.com")).toThrow(
            "The record _dmarc.fabrikam.com is not inside the DNS zone contoso.com. " +
                "Set the mail domain's zoneName to the zone that contains it.",
        );
    });
});

describe("MailAuthentication in Azure DNS", () => {
    test("declares SPF and DMARC TXT record sets with the exact values", async () => {
        await declare();
        expect(declared(mocks.resources, "contoso-spf").inputs).toEqual({
            resourceGroupName: "dns-rg",
            zoneName: "contoso.com",
            relativeRecordSetName: "@",
            recordType: "TXT",
            ttl: 3600,
            txtRecords: [{ value: ["v=spf1 include:spf.protection.outlook.com -all"] }],
        });
        expect(declared(mocks.resources, "contoso-dmarc").inputs).toEqual({
            resourceGroupName: "dns-rg",
            zoneName: "contoso.com",
            relativeRecordSetName: "_dmarc",
            recordType: "TXT",
            ttl: 3600,
            txtRecords: [{ value: ["v=DMARC1; p=reject; sp=reject; pct=100; adkim=r; aspf=r"] }],
        });
    });

    test("the apex TXT record set keeps the other apex values it is told to keep", async () => {
        await declare({ spf: { keepApexTxt: ["MS=ms12345678"] } });
        expect(declared(mocks.resources, "contoso-spf").inputs.txtRecords).toEqual([
            { value: ["v=spf1 include:spf.protection.outlook.com -all"] },
            { value: ["MS=ms12345678"] },
        ]);
    });

    test("the apex TXT record set stays in DNS on delete; the other record sets do not", async () => {
        await declare({ spf: { keepApexTxt: ["MS=ms12345678"] } });
        expect(retained).toEqual(["contoso-spf"]);
    });

    test("every TXT record is written to Azure DNS, so none is left to publish", async () => {
        const { mail } = await declare();
        expect(mail.domain).toBe("contoso.com");
        expect(mail.txtRecordsToPublish).toEqual([]);
    });

    test("a report address in another zone given to the component gets its authorisation written there", async () => {
        const { records } = await declare({
            domain: "contoso.co.uk",
            dnsZone: undefined,
            dmarc: { aggregateReportUris: ["mailto:dmarc-reports@contoso.com"] },
            reportZones: [{ resourceGroupName: "dns-rg", zoneName: "contoso.com" }],
        });
        expect(declared(mocks.resources, "contoso-dmarc-report-contoso-com").inputs).toEqual({
            resourceGroupName: "dns-rg",
            zoneName: "contoso.com",
            relativeRecordSetName: "contoso.co.uk._report._dmarc",
            recordType: "TXT",
            ttl: 3600,
            txtRecords: [{ value: ["v=DMARC1"] }],
        });
        expect(records).toContainEqual({
            name: "contoso.co.uk._report._dmarc.contoso.com",
            type: "TXT",
            value: "v=DMARC1",
            ttl: 3600,
            purpose: "DMARC report authorization",
        });
    });

    test("DKIM selector CNAMEs point at the targets Exchange generated", async () => {
        await declare();
        for (const selector of ["selector1", "selector2"]) {
            expect(declared(mocks.resources, `contoso-dkim-${selector}`).inputs).toEqual({
                resourceGroupName: "dns-rg",
                zoneName: "contoso.com",
                relativeRecordSetName: `${selector}._domainkey`,
                recordType: "CNAME",
                ttl: 3600,
                cnameRecord: { cname: dkimTarget(selector, "contoso.com") },
            });
        }
    });

    test("DKIM keys are made with signing off and signing waits for both CNAME records", async () => {
        await declare();
        const keys = declared(mocks.resources, "contoso-dkim-keys");
        expect(keys.type).toBe(DKIM);
        expect(keys.inputs).toMatchObject({ domain: "contoso.com", enable: false });

        const signing = declared(mocks.resources, "contoso-dkim-signing");
        expect(signing.type).toBe(DKIM);
        expect(signing.inputs).toMatchObject({ domain: "contoso.com", enable: true });
        expect(signing.dependsOn).toEqual(
            expect.arrayContaining([
                "contoso-dkim-keys",
                "contoso-dkim-selector1",
                "contoso-dkim-selector2",
            ]),
        );
    });

    test("MTA-STS and TLS-RPT records are declared when configured, with the policy as an output", async () => {
        const { mail } = await declare({
            mtaSts: { mode: "enforce" },
            tlsRpt: { reportUris: ["mailto:tls@contoso.com"] },
        });
        const policy =
            "version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n";
        expect(mail.mtaStsPolicy).toBe(policy);
        expect(declared(mocks.resources, "contoso-mta-sts").inputs).toMatchObject({
            relativeRecordSetName: "_mta-sts",
            recordType: "TXT",
            txtRecords: [{ value: [mtaStsRecord(policy)] }],
        });
        expect(declared(mocks.resources, "contoso-tls-rpt").inputs).toMatchObject({
            relativeRecordSetName: "_smtp._tls",
            recordType: "TXT",
            txtRecords: [{ value: ["v=TLSRPTv1; rua=mailto:tls@contoso.com"] }],
        });
    });

    test("MTA-STS and TLS-RPT are not declared unless configured", async () => {
        const { mail } = await declare();
        expect(mail.mtaStsPolicy).toBeUndefined();
        expect(mocks.resources.map((r) => r.name)).not.toContain("contoso-mta-sts");
        expect(mocks.resources.map((r) => r.name)).not.toContain("contoso-tls-rpt");
    });

    test("a mail domain below its zone gets names relative to that zone", async () => {
        await declare({
            domain: "eu.contoso.com",
            dnsZone: { resourceGroupName: "dns-rg", zoneName: "contoso.com" },
        });
        expect(declared(mocks.resources, "contoso-dmarc").inputs.relativeRecordSetName).toBe(
            "_dmarc.eu",
        );
        expect(declared(mocks.resources, "contoso-spf").inputs.relativeRecordSetName).toBe("eu");
        expect(
            declared(mocks.resources, "contoso-dkim-selector1").inputs.relativeRecordSetName,
        ).toBe("selector1._domainkey.eu");
    });

    test("families set to false are left unmanaged", async () => {
        await declare({ spf: false, dkim: false });
        const names = mocks.resources.map((r) => r.name);
        expect(names).toContain("contoso-dmarc");
        expect(names).not.toContain("contoso-spf");
        expect(mocks.resources.some((r) => r.type === DKIM)).toBe(false);
    });
});

describe("MailAuthentication for a zone hosted elsewhere", () => {
    test("creates no DNS resources and outputs every record to publish", async () => {
        const { records } = await declare({
            dnsZone: undefined,
            tlsRpt: { reportUris: ["mailto:tls@contoso.com"] },
        });
        expect(mocks.resources.some((r) => r.type === RECORD_SET)).toBe(false);
        expect(records).toEqual([
            {
                name: "contoso.com",
                type: "TXT",
                value: "v=spf1 include:spf.protection.outlook.com -all",
                ttl: 3600,
                purpose: "SPF",
            },
            {
                name: "_dmarc.contoso.com",
                type: "TXT",
                value: "v=DMARC1; p=reject; sp=reject; pct=100; adkim=r; aspf=r",
                ttl: 3600,
                purpose: "DMARC",
            },
            {
                name: "_smtp._tls.contoso.com",
                type: "TXT",
                value: "v=TLSRPTv1; rua=mailto:tls@contoso.com",
                ttl: 3600,
                purpose: "TLS-RPT",
            },
            {
                name: "selector1._domainkey.contoso.com",
                type: "CNAME",
                value: dkimTarget("selector1", "contoso.com"),
                ttl: 3600,
                purpose: "DKIM selector1",
            },
            {
                name: "selector2._domainkey.contoso.com",
                type: "CNAME",
                value: dkimTarget("selector2", "contoso.com"),
                ttl: 3600,
                purpose: "DKIM selector2",
            },
        ]);
    });

    test("the TXT records to publish are plain values, known before any resource exists", async () => {
        const mail = new MailAuthentication("contoso", {
            domain: "Contoso.com",
            dmarc: { aggregateReportUris: ["mailto:dmarc@contoso.com"] },
        });
        const published = mail.txtRecordsToPublish;
        await valueOf(mail.records);
        await valueOf(mail.dkimKeys!.id);
        expect(published).toEqual([
            {
                name: "contoso.com",
                type: "TXT",
                value: "v=spf1 include:spf.protection.outlook.com -all",
                ttl: 3600,
                purpose: "SPF",
            },
            {
                name: "_dmarc.contoso.com",
                type: "TXT",
                value: "v=DMARC1; p=reject; sp=reject; pct=100; adkim=r; aspf=r; rua=mailto:dmarc@contoso.com",
                ttl: 3600,
                purpose: "DMARC",
            },
        ]);
    });

    test("a report address whose zone is not in the stack gets its authorisation listed to publish", async () => {
        const { mail, records } = await declare({
            dnsZone: undefined,
            dmarc: { aggregateReportUris: ["mailto:rua@reports.vendor.example"] },
        });
        const authorization = {
            name: "contoso.com._report._dmarc.reports.vendor.example",
            type: "TXT",
            value: "v=DMARC1",
            ttl: 3600,
            purpose: "DMARC report authorization",
        };
        expect(mail.txtRecordsToPublish).toContainEqual(authorization);
        expect(records).toContainEqual(authorization);
        expect(mocks.resources.some((r) => r.type === RECORD_SET)).toBe(false);
    });

    test("an Azure DNS domain reporting outside the stack's zones lists only the authorisation to publish", async () => {
        const { mail } = await declare({
            dmarc: { aggregateReportUris: ["mailto:rua@vendor.example"] },
        });
        expect(mail.txtRecordsToPublish.map((r) => r.name)).toEqual([
            "contoso.com._report._dmarc.vendor.example",
        ]);
    });

    test("DKIM keys are made but signing stays off until the operator says the CNAMEs are published", async () => {
        const { mail } = await declare({ dnsZone: undefined });
        expect(mail.dkimKeys).toBeDefined();
        expect(mail.dkimSigning).toBeUndefined();
        expect(mocks.resources.filter((r) => r.type === DKIM).map((r) => r.name)).toEqual([
            "contoso-dkim-keys",
        ]);
    });

    test("signing is enabled once the operator sets enableSigning", async () => {
        await declare({ dnsZone: undefined, dkim: { enableSigning: true } });
        const signing = declared(mocks.resources, "contoso-dkim-signing");
        expect(signing.inputs).toMatchObject({ enable: true });
        expect(signing.dependsOn).toEqual(["contoso-dkim-keys"]);
    });
});
