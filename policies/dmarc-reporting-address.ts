/**
 * Every DMARC record sends aggregate reports (rua) to a mailto: address you control.
 *
 * Why: the reports are how you see a legitimate sender failing before p=reject drops its mail,
 * and how you see someone spoofing your domain. Sent to an address outside your control, they
 * map your mail senders for whoever reads them.
 */
import { StackValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { dmarcTags, findTxtRecords, isDmarc } from "./lib/mail-records";
import { PreviewUnknowns } from "./lib/unknowns";

export interface DmarcReportingAddressConfig {
    /** Domains report addresses may be at; empty accepts any domain. */
    allowedReportDomains: string[];
}

const configSchema = {
    properties: {
        allowedReportDomains: {
            type: "array" as const,
            items: { type: "string" as const, minLength: 1 },
            default: [],
            description:
                "Domains the rua addresses may be at (your own domains, your DMARC report " +
                "service). Default: empty, any domain.",
        },
    },
};

/** `mailto:user@domain` with an optional `!size` suffix (RFC 7489 §6.2). */
const MAILTO = /^mailto:[^\s@]+@([^\s@!]+)(![0-9]+[kmgt]?)?$/i;

export const dmarcReportingAddress: StackValidationPolicy = {
    name: "dmarc-reporting-address",
    description:
        "Checks that every DMARC record has a rua tag with mailto: addresses (at an allowed " +
        "domain, when configured).",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema,
    validateStack: (args, reportViolation) => {
        const config = configOf<DmarcReportingAddressConfig>(configSchema, args);
        const allowed = config.allowedReportDomains.map((domain) => domain.toLowerCase());
        const unknowns = new PreviewUnknowns();

        for (const record of findTxtRecords(args.resources, unknowns).filter(isDmarc)) {
            const rua = dmarcTags(record.value).get("rua");

            // 1. No reports at all.
            if (rua === undefined || rua === "") {
                reportViolation(
                    `DMARC record ${record.name} in ${record.where} has no rua (aggregate report ` +
                        "address), so nobody sees legitimate senders failing or others spoofing " +
                        "the domain. Fix: add a mailto: address you read, e.g. " +
                        "dmarc.aggregateReportUris: [mailto:dmarc-reports@yourdomain].",
                    record.resource.urn,
                );
                continue;
            }

            // 2. Each address: a mailto: URI, at an allowed domain when a list is configured.
            for (const uri of rua.split(",").map((part) => part.trim())) {
                const match = MAILTO.exec(uri);
                if (!match) {
                    reportViolation(
                        `DMARC record ${record.name} in ${record.where} has rua entry "${uri}", ` +
                            "which is not a mailto: URI, so receivers send no reports to it. " +
                            "Fix: write it as mailto:name@domain.",
                        record.resource.urn,
                    );
                } else if (allowed.length > 0) {
                    const domain = match[1].toLowerCase();
                    const ok = allowed.some(
                        (permitted) => domain === permitted || domain.endsWith(`.${permitted}`),
                    );
                    if (!ok) {
                        reportViolation(
                            `DMARC record ${record.name} in ${record.where} sends reports to ` +
                                `${uri}, outside the allowed report domains ` +
                                `(${config.allowedReportDomains.join(", ")}). Reports reveal ` +
                                "every server that sends as your domain. Fix: use an address " +
                                "at an allowed domain, or add the report service's domain to " +
                                "allowedReportDomains of policy dmarc-reporting-address.",
                            record.resource.urn,
                        );
                    }
                }
            }
        }
        unknowns.rethrow();
    },
};
