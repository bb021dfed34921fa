/**
 * DNS fixtures shared by the mail authentication policy tests: the records the baseline's
 * MailAuthentication component declares, in both places the pack reads them.
 */
import { DNS_RECORD_SET, MAIL_AUTHENTICATION } from "../../policies/lib/resource-types";
import { TestResource, testUrn, UNKNOWN } from "./helpers";

export const GOOD_DMARC =
    "v=DMARC1; p=reject; sp=reject; pct=100; adkim=r; aspf=r; rua=mailto:dmarc@contoso.com";
export const GOOD_SPF = "v=spf1 include:spf.protection.outlook.com -all";

/** The component, when its zone is in Azure DNS (records written as child record sets). */
export const azureComponent: TestResource = {
    type: MAIL_AUTHENTICATION,
    name: "mail-contoso-com",
    props: { domain: "contoso.com", records: [], txtRecordsToPublish: [] },
};

/** A TXT record set under the Azure-hosted component, as preview sends its inputs. */
export function txtRecordSet(relative: string, ...values: string[]): TestResource {
    return {
        type: DNS_RECORD_SET,
        name: `mail-contoso-com-${relative.replace(/[^a-z]/g, "") || "apex"}`,
        parent: testUrn(MAIL_AUTHENTICATION, "mail-contoso-com"),
        props: {
            resourceGroupName: "dns",
            zoneName: "contoso.com",
            relativeRecordSetName: relative,
            recordType: "TXT",
            ttl: 3600,
            // Long values are split into 255-character strings, as the component does.
            txtRecords: values.map((value) => ({ value: chunks(value) })),
        },
    };
}

/**
 * A component for a zone hosted elsewhere, in a first preview: its plain txtRecordsToPublish
 * output is known, its records output (which waits for the DKIM targets) is not.
 */
export function plannedComponent(
    domain: string,
    records: Array<{ name: string; value: string; purpose?: string }>,
): TestResource {
    return {
        type: MAIL_AUTHENTICATION,
        name: `mail-${domain.replace(/\./g, "-")}`,
        props: {
            domain,
            records: UNKNOWN,
            txtRecordsToPublish: records.map((record) => ({
                type: "TXT",
                ttl: 3600,
                purpose: record.name.startsWith("_dmarc") ? "DMARC" : "SPF",
                ...record,
            })),
        },
    };
}

/**
 * A component from before txtRecordsToPublish existed, for a zone hosted elsewhere: its
 * records are an output to publish by hand.
 */
export function externalComponent(records: Array<{ name: string; value: string }>): TestResource {
    return {
        type: MAIL_AUTHENTICATION,
        name: "mail-fabrikam-com",
        props: {
            records: records.map((record) => ({
                ...record,
                type: "TXT",
                ttl: 3600,
                purpose: record.name.startsWith("_dmarc") ? "DMARC" : "SPF",
            })),
        },
    };
}

function chunks(value: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < value.length; i += 255) {
        out.push(value.slice(i, i + 255));
    }
    return out;
}
