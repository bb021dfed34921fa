/**
 * DMARC tells receivers to reject mail that fails authentication (p=reject), for the domain
 * and its subdomains, for all of it (pct=100).
 *
 * Why: without p=reject, a spoofed "From: ceo@yourdomain" asking finance for a wire transfer
 * reaches the inbox (p=none) or the junk folder (p=quarantine), where people still find it.
 *
 * During rollout a domain may sit at p=quarantine while reports confirm every legitimate sender
 * passes. With `allowQuarantineDuringRollout` (the default) this mandatory policy accepts it and
 * the advisory `dmarc-quarantine-rollout` policy keeps saying that rollout is not finished. One
 * policy has one enforcement level, so "quarantine is advisory" is expressed as that pair; set
 * `allowQuarantineDuringRollout: false` once rollout is done to make quarantine blocking.
 */
import { StackValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { dmarcTags, findTxtRecords, isDmarc } from "./lib/mail-records";
import { PreviewUnknowns } from "./lib/unknowns";

export interface DmarcRejectConfig {
    /** Accept p=quarantine (reported by dmarc-quarantine-rollout as advisory). */
    allowQuarantineDuringRollout: boolean;
    /** Require pct=100 (or no pct, which means 100). */
    requireFullPercentage: boolean;
}

const configSchema = {
    properties: {
        allowQuarantineDuringRollout: {
            type: "boolean" as const,
            default: true,
            description:
                "Accept p=quarantine (and sp=quarantine) while DMARC is rolled out; the " +
                "advisory policy dmarc-quarantine-rollout still reports it. Default: true. Set " +
                "false once every domain is at p=reject.",
        },
        requireFullPercentage: {
            type: "boolean" as const,
            default: true,
            description:
                "Require pct=100 (or no pct tag). Below 100, the rest of the failing mail gets " +
                "the next weaker treatment. Default: true.",
        },
    },
};

export const dmarcReject: StackValidationPolicy = {
    name: "dmarc-reject",
    description:
        "Checks that every DMARC record has p=reject (p=quarantine only during rollout), a " +
        "subdomain policy no weaker, and pct=100.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema,
    validateStack: (args, reportViolation) => {
        const config = configOf<DmarcRejectConfig>(configSchema, args);
        const accepted = config.allowQuarantineDuringRollout
            ? ["reject", "quarantine"]
            : ["reject"];
        const unknowns = new PreviewUnknowns();

        for (const record of findTxtRecords(args.resources, unknowns).filter(isDmarc)) {
            const tags = dmarcTags(record.value);
            const problems: string[] = [];

            // 1. The domain's policy.
            const p = (tags.get("p") ?? "").toLowerCase();
            if (!accepted.includes(p)) {
                problems.push(p === "" ? "no p tag" : `p=${p}`);
            }

            // 2. Subdomains: sp defaults to p; when set it must be as strict.
            const sp = tags.get("sp")?.toLowerCase();
            if (sp !== undefined && !accepted.includes(sp)) {
                problems.push(`sp=${sp}`);
            }

            // 3. Coverage: pct below 100 applies the policy to only part of the failing mail.
            const pct = tags.get("pct");
            if (config.requireFullPercentage && pct !== undefined && Number(pct) !== 100) {
                problems.push(`pct=${pct}`);
            }

            if (problems.length > 0) {
                reportViolation(
                    `DMARC record ${record.name} in ${record.where} has ${problems.join(", ")} ` +
                        `("${record.value}"). Spoofed mail from this domain is not rejected, so a ` +
                        "fake invoice or wire request from it can reach inboxes. Fix: set " +
                        "p=reject (and sp=reject, pct=100); the baseline's dmarc.policy defaults " +
                        "to reject." +
                        (config.allowQuarantineDuringRollout
                            ? " During rollout p=quarantine is accepted."
                            : ""),
                    record.resource.urn,
                );
            }
        }

        // Records unknown in this preview are checked again at `pulumi up`.
        unknowns.rethrow();
    },
};
