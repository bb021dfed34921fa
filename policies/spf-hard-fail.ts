/**
 * Every SPF record ends in -all (hard fail), and each name has at most one SPF record.
 *
 * Why: ~all (soft fail) and ?all tell receivers that an unlisted server sending as your domain
 * is merely suspicious; +all authorises the whole internet. Two SPF records on one name are a
 * permanent error, so SPF fails for all mail. Either way, DMARC then rests on DKIM alone.
 *
 * "Ends in -all" is read as receivers read it (RFC 7208): exactly one `all` mechanism,
 * qualified `-`, and no mechanism after it; modifiers such as `exp=` may follow. A record
 * without `all` may delegate with `redirect=` when `allowRedirect` is set; the target record is
 * then judged the same way if this stack declares it.
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
                "Accept `v=spf1 redirect=<domain>` without an all mechanism. The target " +
                "record's all then applies: when this stack declares the target, it is checked " +
                "the same way; otherwise make sure it ends in -all. Default: false.",
        },
    },
};

export const spfHardFail: StackValidationPolicy = {
    name: "spf-hard-fail",
    description:
        "Checks that every SPF record ends in -all (its one all mechanism, last) and that no " +
        "DNS name has two SPF records.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema,
    validateStack: (args, reportViolation) => {
        const config = configOf<SpfHardFailConfig>(configSchema, args);
        const unknowns = new PreviewUnknowns();
        const records = findTxtRecords(args.resources, unknowns).filter(isSpf);
        const byName = new Map<string, FoundTxtRecord[]>();
        for (const record of records) {
            const key = record.name.toLowerCase();
            byName.set(key, [...(byName.get(key) ?? []), record]);
        }

        // 1. Each record must fail everything it does not list: one all, -all, last.
        for (const record of records) {
            const problem = spfProblem(record.value, config.allowRedirect, byName, new Set());
            if (problem !== undefined) {
                reportViolation(
                    `SPF record ${record.name} in ${record.where} ${problem} ` +
                        `("${record.value}"). Fix: end it in -all, its only all mechanism ` +
                        "(the baseline's spf record always does), after listing every service " +
                        "that sends as this domain.",
                    record.resource.urn,
                );
            }
        }

        // 2. Two SPF records on one name make SPF fail for every message.
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

/** A mechanism of an SPF record: `[+-~?]name[:argument]`, qualifier `+` when left out. */
interface SpfMechanism {
    qualifier: string;
    name: string;
    text: string;
}

/** A modifier of an SPF record: `name=value` (`redirect=`, `exp=`, or unknown ones). */
interface SpfModifier {
    name: string;
    value: string;
    text: string;
}

/** The mechanisms and modifiers of an SPF record, in order. */
export function parseSpf(value: string): { mechanisms: SpfMechanism[]; modifiers: SpfModifier[] } {
    const mechanisms: SpfMechanism[] = [];
    const modifiers: SpfModifier[] = [];
    for (const text of spfTerms(value)) {
        const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/.exec(text);
        if (modifier) {
            modifiers.push({ name: modifier[1], value: modifier[2], text });
            continue;
        }
        const mechanism = /^([-+~?]?)([a-z0-9]+)/.exec(text);
        mechanisms.push({
            qualifier: mechanism?.[1] || "+",
            name: mechanism?.[2] ?? text,
            text,
        });
    }
    return { mechanisms, modifiers };
}

/**
 * What keeps an SPF record from failing unlisted senders, or undefined when it does.
 *
 * RFC 7208: mechanisms are evaluated left to right and the first match wins, so the record
 * must end its mechanisms with exactly one `all`, qualified `-`. Modifiers (`exp=`, unknown
 * ones) may follow it and change nothing. `redirect=` applies only when there is no `all`:
 * then the target record decides, and is judged the same way when this stack holds it.
 */
function spfProblem(
    value: string,
    allowRedirect: boolean,
    byName: Map<string, FoundTxtRecord[]>,
    seen: Set<string>,
): string | undefined {
    const { mechanisms, modifiers } = parseSpf(value);
    const alls = mechanisms.filter((mechanism) => mechanism.name === "all");
    const redirects = modifiers.filter((modifier) => modifier.name === "redirect");

    // 1. One all mechanism, -all, with no mechanism after it.
    if (alls.length > 1) {
        return (
            `has ${alls.length} all mechanisms (${alls.map((t) => t.text).join(" ")}): ` +
            `receivers stop at the first, so only ${alls[0].text} applies`
        );
    }
    if (alls.length === 1) {
        const [all] = alls;
        if (all.qualifier !== "-") {
            return ending(all.qualifier);
        }
        const after = mechanisms.slice(mechanisms.indexOf(all) + 1);
        if (after.length > 0) {
            return (
                `has mechanisms after -all (${after.map((t) => t.text).join(" ")}), which ` +
                "receivers never evaluate, so those senders fail SPF"
            );
        }
        return undefined;
    }

    // 2. No all: a redirect may delegate the verdict, once.
    if (redirects.length > 1) {
        return `has ${redirects.length} redirect= modifiers, a permanent error for receivers`;
    }
    if (redirects.length === 0) {
        return "has no all mechanism";
    }
    const target = redirects[0].value.toLowerCase().replace(/\.$/, "");
    if (!allowRedirect) {
        return (
            `delegates with redirect=${target} and has no all mechanism of its own (set ` +
            "allowRedirect on policy spf-hard-fail if the target ends in -all)"
        );
    }

    // 3. The target, when this stack declares it (outside it, the pack cannot see it).
    if (seen.has(target)) {
        return `redirects in a loop back to ${target}`;
    }
    for (const targetRecord of byName.get(target) ?? []) {
        const problem = spfProblem(
            targetRecord.value,
            allowRedirect,
            byName,
            new Set([...seen, target]),
        );
        if (problem !== undefined) {
            return `redirects to ${target}, whose SPF record ${problem}`;
        }
    }
    return undefined;
}

/** What is wrong with an all mechanism's qualifier, in words. */
function ending(qualifier: string): string {
    if (qualifier === "~") {
        return "ends in ~all (soft fail): spoofed mail is only marked suspicious";
    }
    if (qualifier === "?") {
        return "ends in ?all (neutral): spoofed mail is neither passed nor failed";
    }
    return "ends in +all: every server on the internet may send as this domain";
}
