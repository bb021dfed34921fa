/**
 * DMARC tells receivers to reject mail that fails authentication (p=reject), for the domain
 * and its subdomains, for all of it (pct=100). Every mail domain the stack declares has one
 * DMARC record, exactly one.
 *
 * Why: without p=reject, a spoofed "From: ceo@yourdomain" asking finance for a wire transfer
 * reaches the inbox (p=none) or the junk folder (p=quarantine), where people still find it.
 *
 * During rollout a domain may sit at p=quarantine while reports confirm every legitimate sender
 * passes. With `allowQuarantineDuringRollout` (the default) this mandatory policy accepts it and
 * the advisory `dmarc-quarantine-rollout` policy keeps saying that rollout is not finished. One
 * policy has one enforcement level, so "quarantine is advisory" is expressed as that pair; set
 * `allowQuarantineDuringRollout: false` once rollout is done to make quarantine blocking.
 *
 * Two DMARC records on one name make receivers apply no DMARC policy at all (RFC 7489
 * §6.6.3), and a mail domain with no record (`dmarc: false`, or a record left out) has none
 * either: both leave the domain as open to spoofing as p=none.
 */
import { StackValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import {
    dmarcTags,
    findTxtRecords,
    FoundTxtRecord,
    isDmarc,
    mailDomains,
} from "./lib/mail-records";
import { PreviewUnknowns } from "./lib/unknowns";

export interface DmarcRejectConfig {
    /** Accept p=quarantine (reported by dmarc-quarantine-rollout as advisory). */
    allowQuarantineDuringRollout: boolean;
    /** Require pct=100 (or no pct, which means 100). */
    requireFullPercentage: boolean;
    /** Mail domains whose DMARC record another stack or team manages. */
    domainsManagedElsewhere: string[];
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
        domainsManagedElsewhere: {
            type: "array" as const,
            items: { type: "string" as const, minLength: 1 },
            default: [],
            description:
                "Mail domains declared in this stack (MailAuthentication with dmarc: false) " +
                "whose DMARC record another stack or team publishes; they are not required to " +
                "have one here. Default: none.",
        },
    },
};

export const dmarcReject: StackValidationPolicy = {
    name: "dmarc-reject",
    description:
        "Checks that every DMARC record has p=reject (p=quarantine only during rollout), a " +
        "subdomain policy no weaker, and pct=100, and that every mail domain of the stack has " +
        "exactly one DMARC record.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema,
    validateStack: (args, reportViolation) => {
        const config = configOf<DmarcRejectConfig>(configSchema, args);
        const accepted = config.allowQuarantineDuringRollout
            ? ["reject", "quarantine"]
            : ["reject"];
        const unknowns = new PreviewUnknowns();
        const records = findTxtRecords(args.resources, unknowns).filter(isDmarc);

        // 1. Each record's policy.
        for (const record of records) {
            const tags = dmarcTags(record.value);
            const problems: string[] = [];

            // The domain's policy.
            const p = (tags.get("p") ?? "").toLowerCase();
            if (!accepted.includes(p)) {
                problems.push(p === "" ? "no p tag" : `p=${p}`);
            }

            // Subdomains: sp defaults to p; when set it must be as strict.
            const sp = tags.get("sp")?.toLowerCase();
            if (sp !== undefined && !accepted.includes(sp)) {
                problems.push(`sp=${sp}`);
            }

            // Coverage: pct below 100 applies the policy to only part of the failing mail.
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

        // 2. One record per name: with two, receivers apply none.
        const byName = new Map<string, FoundTxtRecord[]>();
        for (const record of records) {
            const key = record.name.toLowerCase().replace(/\.$/, "");
            byName.set(key, [...(byName.get(key) ?? []), record]);
        }
        for (const [name, same] of byName) {
            if (same.length > 1) {
                reportViolation(
                    `${name} has ${same.length} DMARC records (in ` +
                        `${[...new Set(same.map((r) => r.where))].join(", ")}). Receivers then ` +
                        "apply no DMARC policy at all (RFC 7489 §6.6.3), so spoofed mail from " +
                        "this domain is delivered as if p=none. Fix: keep one v=DMARC1 record " +
                        "with p=reject on this name and remove the others.",
                    same[1].resource.urn,
                );
            }
        }

        // 3. Every mail domain has a record, its own or (for a subdomain) its parent's. A
        //    verdict of "missing" that may rest on a record unknown in this preview waits.
        const managedElsewhere = new Set(
            config.domainsManagedElsewhere.map((d) => d.toLowerCase().replace(/\.$/, "")),
        );
        const recordsKnown = !unknowns.any;
        for (const { domain, resource } of mailDomains(args.resources, unknowns)) {
            if (managedElsewhere.has(domain) || !recordsKnown) {
                continue;
            }
            const labels = domain.split(".");
            const candidates = labels.slice(0, -1).map((_, i) => labels.slice(i).join("."));
            if (candidates.some((name) => byName.has(`_dmarc.${name}`))) {
                continue;
            }
            reportViolation(
                `MailAuthentication "${resource.name}" declares mail domain ${domain}, but the ` +
                    `stack has no DMARC record for it (_dmarc.${domain}). Without one, receivers ` +
                    "apply no DMARC policy and anyone can send mail as this domain. Fix: let the " +
                    "component manage DMARC (remove dmarc: false; the default is p=reject), or, " +
                    "if another stack publishes it, list the domain in domainsManagedElsewhere " +
                    "of policy dmarc-reject.",
                resource.urn,
            );
        }

        // Records unknown in this preview are checked again at `pulumi up`.
        unknowns.rethrow();
    },
};
