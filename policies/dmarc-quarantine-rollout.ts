/**
 * Advisory companion of `dmarc-reject`: a DMARC record still at p=quarantine (or
 * sp=quarantine) is reported as "rollout not finished" on every preview, without blocking.
 *
 * Why a separate policy: a CrossGuard policy has one enforcement level. Keeping quarantine as
 * an advisory finding here, while the mandatory policy blocks p=none, is how the pack says
 * "quarantine is allowed during rollout, but visible until it is reject".
 */
import { StackValidationPolicy } from "@pulumi/policy";

import { dmarcTags, findTxtRecords, isDmarc } from "./lib/mail-records";
import { PreviewUnknowns } from "./lib/unknowns";

export const dmarcQuarantineRollout: StackValidationPolicy = {
    name: "dmarc-quarantine-rollout",
    description:
        "Checks that no DMARC record is still at p=quarantine (advisory: rollout to p=reject " +
        "not finished).",
    enforcementLevel: "advisory",
    severity: "medium",
    validateStack: (args, reportViolation) => {
        const unknowns = new PreviewUnknowns();
        for (const record of findTxtRecords(args.resources, unknowns).filter(isDmarc)) {
            const tags = dmarcTags(record.value);
            const atQuarantine = ["p", "sp"].filter(
                (tag) => tags.get(tag)?.toLowerCase() === "quarantine",
            );
            if (atQuarantine.length > 0) {
                reportViolation(
                    `DMARC record ${record.name} in ${record.where} is still at ` +
                        `${atQuarantine.map((tag) => `${tag}=quarantine`).join(", ")}: spoofed ` +
                        "mail lands in junk folders, where people still open it. Fix: once the " +
                        "aggregate reports show every legitimate sender passing, set p=reject " +
                        "(dmarc.policy: reject), then set allowQuarantineDuringRollout: false on " +
                        "policy dmarc-reject.",
                    record.resource.urn,
                );
            }
        }
        unknowns.rethrow();
    },
};
