/**
 * Where the pack finds the mail authentication TXT records of a stack, and how it reads them.
 *
 * Two sources, so that a domain is checked wherever its DNS is hosted:
 * - `azure-native:dns:RecordSet` resources (zones in Azure DNS): what is really written;
 * - the `txtRecordsToPublish` output of a `MailAuthentication` component: the TXT records it
 *   does not write to Azure DNS (a domain hosted elsewhere, a report authorisation in a zone
 *   outside the stack), which the operator publishes by hand. It is a plain value, known in the
 *   first preview. Components from before that output existed are read through their `records`
 *   output instead (unknown in a first preview: it waits for the DKIM targets), unless their
 *   records are written as Azure DNS record sets (their children), so nothing is reported twice.
 */
import { PolicyResource } from "@pulumi/policy";

import { DNS_RECORD_SET, MAIL_AUTHENTICATION } from "./resource-types";
import { isUnknown, PreviewUnknowns } from "./unknowns";

/** One TXT record value found in the stack. */
export interface FoundTxtRecord {
    /** The DNS name as a person reads it: `_dmarc.contoso.com`, or `_dmarc` in zone X. */
    name: string;
    /** The record's text, its 255-character strings joined as receivers join them. */
    value: string;
    /** The resource holding it, for the violation's URN and message. */
    resource: PolicyResource;
    /** How the message names the place to fix it. */
    where: string;
}

/** Every TXT record of the stack that could be read; unknown ones are recorded in `unknowns`. */
export function findTxtRecords(
    resources: PolicyResource[],
    unknowns: PreviewUnknowns,
): FoundTxtRecord[] {
    const found: FoundTxtRecord[] = [];
    const componentsWithRecordSets = new Set<string>();

    // 1. Azure DNS record sets. Inputs (recordType, relativeRecordSetName, zoneName) in a
    //    preview; after an update, outputs carry type "Microsoft.Network/dnszones/TXT", name
    //    and fqdn instead. Both are read.
    for (const resource of resources) {
        if (resource.type !== DNS_RECORD_SET) {
            continue;
        }
        if (resource.parent?.type === MAIL_AUTHENTICATION) {
            componentsWithRecordSets.add(resource.parent.urn);
        }
        const props = resource.props;
        const recordType = unknowns.read(
            (): unknown =>
                props.recordType ??
                String(props.type ?? "")
                    .split("/")
                    .pop(),
        );
        if (isUnknown(recordType) || String(recordType).toUpperCase() !== "TXT") {
            continue;
        }
        const name = dnsName(unknowns, resource);
        const records = unknowns.read((): unknown => props.txtRecords);
        if (isUnknown(records) || !Array.isArray(records)) {
            continue;
        }
        for (const record of records) {
            const strings: unknown[] = Array.isArray(record?.value) ? record.value : [];
            found.push({
                name,
                value: strings.map(String).join(""),
                resource,
                where: `Azure DNS record set "${resource.name}"`,
            });
        }
    }

    // 2. Components publishing elsewhere: their plain txtRecordsToPublish output, or (older
    //    components) their records output when no child record set holds them.
    for (const resource of resources) {
        if (resource.type !== MAIL_AUTHENTICATION) {
            continue;
        }
        const planned = unknowns.read((): unknown => resource.props.txtRecordsToPublish);
        const legacy = planned === undefined && !componentsWithRecordSets.has(resource.urn);
        const records = legacy ? unknowns.read((): unknown => resource.props.records) : planned;
        if (isUnknown(records) || !Array.isArray(records)) {
            continue;
        }
        for (const record of records) {
            if (String(record?.type).toUpperCase() !== "TXT") {
                continue;
            }
            const output = legacy ? "records" : "txtRecordsToPublish";
            found.push({
                name: String(record.name),
                value: String(record.value ?? ""),
                resource,
                where: `the ${output} output of MailAuthentication "${resource.name}" (publish it at your DNS host)`,
            });
        }
    }
    return found;
}

/** A mail domain a `MailAuthentication` component declares (its `domain` output). */
export interface DeclaredMailDomain {
    domain: string;
    resource: PolicyResource;
}

/** The mail domains the stack's `MailAuthentication` components declare, lower case. */
export function mailDomains(
    resources: PolicyResource[],
    unknowns: PreviewUnknowns,
): DeclaredMailDomain[] {
    const domains: DeclaredMailDomain[] = [];
    for (const resource of resources) {
        if (resource.type !== MAIL_AUTHENTICATION) {
            continue;
        }
        const domain = unknowns.read((): unknown => resource.props.domain);
        if (typeof domain === "string" && domain !== "") {
            domains.push({ domain: domain.toLowerCase().replace(/\.$/, ""), resource });
        }
    }
    return domains;
}

/** The record's DNS name: `relative.zone`, the zone itself for `@`, or the fqdn output. */
function dnsName(unknowns: PreviewUnknowns, resource: PolicyResource): string {
    const props = resource.props;
    const relative = unknowns.read((): unknown => props.relativeRecordSetName ?? props.name);
    const zone = unknowns.read((): unknown => props.zoneName);
    const fqdn = unknowns.read((): unknown => props.fqdn);
    if (typeof fqdn === "string" && fqdn !== "") {
        return fqdn.replace(/\.$/, "");
    }
    const relativeText = typeof relative === "string" ? relative : "(unknown name)";
    if (typeof zone !== "string") {
        return relativeText;
    }
    return relativeText === "@" ? zone : `${relativeText}.${zone}`;
}

/**
 * Whether a TXT record is a DMARC policy record: `v=DMARC1` first, and not a report
 * authorisation (`<domain>._report._dmarc.<host>`, whose whole value is `v=DMARC1`).
 */
export function isDmarc(record: FoundTxtRecord): boolean {
    return (
        /^v\s*=\s*DMARC1\s*(;|$)/i.test(record.value.trim()) &&
        !/\._report\._dmarc(\.|$)/i.test(record.name)
    );
}

/** Whether a TXT value is an SPF record (`v=spf1` first). */
export function isSpf(record: FoundTxtRecord): boolean {
    return /^v=spf1(\s|$)/i.test(record.value.trim());
}

/** The tags of a DMARC record, keys lower-cased: `p=reject; rua=...` -> {p: "reject", ...}. */
export function dmarcTags(value: string): Map<string, string> {
    const tags = new Map<string, string>();
    for (const part of value.split(";")) {
        const separator = part.indexOf("=");
        if (separator > 0) {
            tags.set(
                part.slice(0, separator).trim().toLowerCase(),
                part.slice(separator + 1).trim(),
            );
        }
    }
    return tags;
}

/** The terms of an SPF record after `v=spf1`, lower-cased. */
export function spfTerms(value: string): string[] {
    return value.trim().toLowerCase().split(/\s+/).slice(1);
}
