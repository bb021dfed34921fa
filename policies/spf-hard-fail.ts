/**
 * Every SPF record ends in -all (hard fail), and each name has at most one SPF record.
 *
 * Why: ~all (soft fail) and ?all tell receivers that an unlisted server sending as your domain
 * is merely suspicious; +all authorises the whole internet. Two SPF records on one name are a
 * permanent error, so SPF fails for all mail. Either way, DMARC then rests on DKIM alone.
 */
import { StackValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { FoundTxtRecord, findTxtRecords, isSpf, spfTerms } from "./lib/mail-records";
import { PreviewUnknowns } from "./lib/unknowns";

export interface SpfHardFailConfig {
    /** Accept a record that delegates with redirect= and has no all mechanism. */
    allowRedirect: boolean;
}

const configSchema = {
    properties: {
        allowRedirect: {
            type: "boolean" as const,
            default: false,
            description:
                "Accept `v=spf1 redirect=<domain>` without an all mechanism (the target " +
                "record's all then applies; make sure it ends in -all). Default: false.",
        },
    },
};

export const spfHardFail: StackValidationPolicy = {
    name: "spf-hard-fail",
    description:
        "Checks that every SPF record ends in -all and that no DNS name has two SPF records.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema,
    validateStack: (args, reportViolation) => {
        const config = configOf<SpfHardFailConfig>(configSchema, args);
        const unknowns = new PreviewUnknowns();
        const records = findTxtRecords(args.resources, unknowns).filter(isSpf);

        // 1. Each record must end in -all.
        for (const record of records) {
            const terms = spfTerms(record.value);
            const last = terms[terms.length - 1] ?? "";
            if (last === "-all") {
                continue;
            }
            const redirects = terms.some((term) => term.startsWith("redirect="));
            const hasAll = terms.some((term) => /^[-~?+]?all$/.test(term));
            if (redirects && !hasAll && config.allowRedirect) {
                continue;
            }
            reportViolation(
                `SPF record ${record.name} in ${record.where} ${ending(last, redirects, hasAll)} ` +
                    `("${record.value}"). Fix: end it in -all (the baseline's spf record always ` +
                    "does), after listing every service that sends as this domain.",
                record.resource.urn,
            );
        }

        // 2. Two SPF records on one name make SPF fail for every message.
        const byName = new Map<string, FoundTxtRecord[]>();
        for (const record of records) {
            const key = record.name.toLowerCase();
            byName.set(key, [...(byName.get(key) ?? []), record]);
        }
        for (const [name, same] of byName) {
            if (same.length > 1) {
                reportViolation(
                    `${name} has ${same.length} SPF records (in ${[...new Set(same.map((r) => r.where))].join(", ")}); ` +
                        "receivers treat that as a permanent error and SPF fails for all mail. " +
                        "Fix: merge them into one v=spf1 record ending in -all.",
                    same[1].resource.urn,
                );
            }
        }
        unknowns.rethrow();
    },
};

/** What is wrong with the record's ending, in words. */
function ending(last: string, redirects: boolean, hasAll: boolean): string {
    if (last === "~all") {
        return "ends in ~all (soft fail): spoofed mail is only marked suspicious";
    }
    if (last === "?all") {
        return "ends in ?all (neutral): spoofed mail is neither passed nor failed";
    }
    if (last === "+all" || last === "all") {
        return "ends in +all: every server on the internet may send as this domain";
    }
    if (redirects && !hasAll) {
        return "delegates with redirect= and has no all mechanism of its own (set allowRedirect on policy spf-hard-fail if the target ends in -all)";
    }
    return hasAll ? "has all before its last term" : "has no all mechanism";
}
