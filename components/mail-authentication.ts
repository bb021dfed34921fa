/**
 * Mail authentication for one domain: the DNS records that stop an attacker from sending mail
 * as the organisation (SPF, DKIM, DMARC at p=reject) and that protect inbound mail in transit
 * (MTA-STS, TLS-RPT).
 *
 * For a zone hosted in Azure DNS the records are `@pulumi/azure-native/dns` RecordSets. For any
 * other DNS host nothing is created there: the `records` output lists every record (name,
 * type, value) to publish by hand or with that host's own provider, and `txtRecordsToPublish`
 * lists its text records as plain values, known in the first preview (the policy pack reads
 * them there; `records` waits for the DKIM targets).
 *
 * DMARC reports sent to an address in another domain are dropped by receivers unless that
 * domain authorises them (RFC 7489 §7.1): a `<domain>._report._dmarc.<report host>` TXT
 * record `v=DMARC1`. The component writes it when the report host's zone is one of the Azure
 * DNS zones it is given, and lists it to publish elsewhere otherwise.
 *
 * DKIM keys live in Exchange Online: a `DkimSigning` resource creates them (signing off) and
 * outputs the two selector CNAME targets; the CNAME records point at them; only then does a
 * second `DkimSigning` turn signing on (it depends on the CNAME records, because Exchange
 * refuses to sign before it can resolve them).
 *
 * The pure builders (dmarcRecord, spfRecord, ...) come first so tests and the config validation
 * call them directly and a reviewer can read exactly which text lands in DNS.
 */
import * as dns from "@pulumi/azure-native/dns";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

import { DkimSigning } from "../dynamic-providers/dkim-signing";

/** A DMARC policy for the domain (`p`) or its subdomains (`sp`). */
export type DmarcPolicy = "none" | "quarantine" | "reject";

/** DMARC identifier alignment: `r` relaxed (organisational domain), `s` strict (exact). */
export type DmarcAlignment = "r" | "s";

export interface DmarcArgs {
    /**
     * What receivers do with mail failing DMARC. Default: `reject`.
     * Risk if wrong: `none` or `quarantine` lets a spoofed "From: ceo@yourdomain" reach inboxes
     * (or junk folders), the classic BEC lure.
     */
    policy?: DmarcPolicy;
    /**
     * Policy for subdomains. Default: the same as `policy`.
     * Risk if wrong: a weaker `sp` lets attackers spoof `anything.yourdomain`.
     */
    subdomainPolicy?: DmarcPolicy;
    /**
     * Percentage of failing mail the policy applies to (0-100). Default: 100.
     * Risk if wrong: below 100, the rest of the spoofed mail is treated as `quarantine`/`none`.
     */
    percent?: number;
    /**
     * Aggregate report recipients, `mailto:` URIs. Default: none.
     * Risk if wrong: without reports nobody sees legitimate senders failing, or spoofing.
     */
    aggregateReportUris?: string[];
    /**
     * Failure (forensic) report recipients, `mailto:` URIs. Default: none. Few receivers send
     * them; they can contain message content, so send them to a restricted mailbox.
     */
    failureReportUris?: string[];
    /**
     * DKIM alignment. Default: `r` (relaxed). `s` breaks senders signing with a subdomain.
     */
    dkimAlignment?: DmarcAlignment;
    /**
     * SPF alignment. Default: `r` (relaxed). `s` breaks senders using a subdomain envelope.
     */
    spfAlignment?: DmarcAlignment;
}

/**
 * The `_dmarc` TXT value. `v` and `p` come first, as RFC 7489 requires; every other tag is
 * written out even at its default, so the record says in DNS what the stack means.
 * `fo=1` (report any failing mechanism) is added only when failure reports are requested.
 */
export function dmarcRecord(args: DmarcArgs = {}): string {
    const policy = args.policy ?? "reject";
    const tags = [
        "v=DMARC1",
        `p=${policy}`,
        `sp=${args.subdomainPolicy ?? policy}`,
        `pct=${args.percent ?? 100}`,
        `adkim=${args.dkimAlignment ?? "r"}`,
        `aspf=${args.spfAlignment ?? "r"}`,
    ];
    if (args.aggregateReportUris && args.aggregateReportUris.length > 0) {
        tags.push(`rua=${args.aggregateReportUris.join(",")}`);
    }
    if (args.failureReportUris && args.failureReportUris.length > 0) {
        tags.push(`ruf=${args.failureReportUris.join(",")}`, "fo=1");
    }
    return tags.join("; ");
}

/** The TXT value that authorises a domain to receive another domain's DMARC reports. */
export const DMARC_REPORT_AUTHORIZATION = "v=DMARC1";

/**
 * The report hosts of a DMARC record's `rua` and `ruf` addresses that must authorise the
 * domain to receive its reports (RFC 7489 §7.1): every host outside the domain's own tree,
 * lower case, each once. A host that is the domain, below it, or above it shares its
 * organisational domain and needs no authorisation. Sibling hosts (`eu.contoso.com` reporting
 * to `reports.contoso.com`) are listed too, since telling them apart from another organisation
 * needs the public suffix list; an authorisation record that is not needed is harmless.
 */
export function externalReportHosts(domain: string, args: DmarcArgs = {}): string[] {
    const own = domain.toLowerCase();
    const hosts = [...(args.aggregateReportUris ?? []), ...(args.failureReportUris ?? [])]
        .map((uri) => /^mailto:[^@\s]+@([^!\s]+)/i.exec(uri.trim())?.[1]?.toLowerCase())
        .filter((host): host is string => host !== undefined)
        .map((host) => host.replace(/\.$/, ""));
    const related = (host: string) =>
        host === own || host.endsWith(`.${own}`) || own.endsWith(`.${host}`);
    return [...new Set(hosts.filter((host) => !related(host)))];
}

/** The name of the record in `reportHost`'s DNS that authorises reports for `domain`. */
export function reportAuthorizationName(domain: string, reportHost: string): string {
    return `${domain.toLowerCase()}._report._dmarc.${reportHost.toLowerCase()}`;
}

/** The SPF include for Exchange Online. */
export const EXCHANGE_ONLINE_SPF_INCLUDE = "spf.protection.outlook.com";

export interface SpfArgs {
    /**
     * Domains whose SPF records are included (`include:`). Default:
     * `spf.protection.outlook.com` only. Each include costs at least one of SPF's ten DNS
     * lookups. Risk if wrong: a missing sender (marketing platform, ticketing system) fails
     * SPF; with DMARC at reject and no DKIM for it, its mail is rejected.
     */
    includes?: string[];
    /**
     * IPv4 addresses or CIDR ranges allowed to send (`ip4:`). Default: none. Risk if too wide:
     * everyone else on a shared range (a hosting provider's /16) may send as your domain.
     */
    ip4?: string[];
    /**
     * IPv6 addresses or CIDR ranges allowed to send (`ip6:`). Default: none. Risk if too wide:
     * as for `ip4`.
     */
    ip6?: string[];
}

/**
 * The apex SPF TXT value. It always ends in `-all` (hard fail): anything softer tells
 * receivers that unlisted senders are merely suspicious, which is what a spoofer needs.
 */
export function spfRecord(args: SpfArgs = {}): string {
    const includes = args.includes ?? [EXCHANGE_ONLINE_SPF_INCLUDE];
    const mechanisms = [
        ...(args.ip4 ?? []).map((range) => `ip4:${range}`),
        ...(args.ip6 ?? []).map((range) => `ip6:${range}`),
        ...includes.map((domain) => `include:${domain}`),
    ];
    return ["v=spf1", ...mechanisms, "-all"].join(" ");
}

/** MTA-STS policy mode (RFC 8461). */
export type MtaStsMode = "enforce" | "testing" | "none";

/** The MX host pattern that matches every Exchange Online inbound host. */
export const EXCHANGE_ONLINE_MX_PATTERN = "*.mail.protection.outlook.com";

export interface MtaStsArgs {
    /**
     * `enforce` (senders refuse to deliver over unauthenticated TLS), `testing` (they deliver
     * and report), or `none`. Default: `testing`, because a wrong `mx` list with `enforce`
     * stops inbound mail from MTA-STS senders.
     */
    mode?: MtaStsMode;
    /**
     * MX host names or `*.` patterns the policy allows. Default:
     * `*.mail.protection.outlook.com` (Exchange Online). Risk if wrong: with `enforce`, mail to
     * an MX not listed is not delivered.
     */
    mx?: string[];
    /**
     * How long senders cache the policy, in seconds. Default: 604800 (one week); RFC 8461
     * allows up to 31557600. Risk if long while the policy is wrong: senders keep refusing
     * delivery until their cached copy expires, even after you fix it.
     */
    maxAgeSeconds?: number;
}

/**
 * The MTA-STS policy file, served at `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
 * Lines end in CRLF as RFC 8461 specifies.
 */
export function mtaStsPolicy(args: MtaStsArgs = {}): string {
    const lines = [
        "version: STSv1",
        `mode: ${args.mode ?? "testing"}`,
        ...(args.mx ?? [EXCHANGE_ONLINE_MX_PATTERN]).map((host) => `mx: ${host}`),
        `max_age: ${args.maxAgeSeconds ?? 604800}`,
    ];
    return lines.map((line) => `${line}\r\n`).join("");
}

/**
 * The policy id: senders re-fetch the policy file only when the `_mta-sts` TXT id changes.
 * Deriving it from the policy text changes it exactly when the policy changes, and never on a
 * no-op `up` (a timestamp would).
 */
export function mtaStsPolicyId(policy: string): string {
    return createHash("sha256").update(policy).digest("hex").slice(0, 20);
}

/** The `_mta-sts` TXT value for a policy. */
export function mtaStsRecord(policy: string): string {
    return `v=STSv1; id=${mtaStsPolicyId(policy)}`;
}

export interface TlsRptArgs {
    /**
     * Where sending servers report TLS failures: `mailto:` or `https:` URIs. Required.
     * Risk if wrong: downgrade attacks and broken MTA-STS go unnoticed.
     */
    reportUris: string[];
}

/** The `_smtp._tls` TXT value (RFC 8460). */
export function tlsRptRecord(args: TlsRptArgs): string {
    return `v=TLSRPTv1; rua=${args.reportUris.join(",")}`;
}

/**
 * Splits a TXT value into strings of at most 255 characters, the limit of one character-string
 * in a TXT record. Receivers concatenate them back without separators.
 */
export function txtStrings(value: string): string[] {
    const chunks: string[] = [];
    for (let start = 0; start < value.length; start += 255) {
        chunks.push(value.slice(start, start + 255));
    }
    return chunks.length > 0 ? chunks : [""];
}

/** The DNS name of a record relative to its zone: `@` for the apex, `_dmarc` below it. */
export function relativeRecordName(fqdn: string, zoneName: string): string {
    const name = fqdn.toLowerCase().replace(/\.$/, "");
    const zone = zoneName.toLowerCase().replace(/\.$/, "");
    if (name === zone) {
        return "@";
    }
    if (!name.endsWith(`.${zone}`)) {
        throw new Error(
            `The record ${fqdn} is not inside the DNS zone ${zoneName}. ` +
                `Set the mail domain's zoneName to the zone that contains it.`,
        );
    }
    return name.slice(0, -(zone.length + 1));
}

// ---------------------------------------------------------------------------------------------
// The component
// ---------------------------------------------------------------------------------------------

/** One DNS record to publish: what the `records` output lists. */
export interface MailDnsRecord {
    /** Fully qualified name without the trailing dot, e.g. `_dmarc.contoso.com`. */
    name: string;
    type: "TXT" | "CNAME";
    /**
     * The value: TXT text as one string (split it into 255-character strings if your DNS host
     * asks you to; receivers join them), or the CNAME target.
     */
    value: string;
    /** Time to live in seconds. */
    ttl: number;
    /**
     * What the record is for: SPF, DMARC, DKIM selector1, DKIM selector2, MTA-STS, TLS-RPT, or
     * `DMARC report authorization` (a record in the report domain's DNS, not this domain's).
     */
    purpose: string;
}

/** Where the domain's zone lives in Azure DNS. */
export interface AzureDnsZone {
    /** Resource group of the Azure DNS zone. Required. Risk if wrong: the `up` fails. */
    resourceGroupName: string;
    /**
     * The zone's name. Default: the mail domain itself. Set it when the mail domain is a
     * subdomain of the zone (mail domain `eu.contoso.com` in zone `contoso.com`). Risk if
     * wrong: the records land at the wrong names (refused at preview when outside the zone).
     */
    zoneName?: string;
}

export interface SpfSettings extends SpfArgs {
    /**
     * Other TXT values at the domain's apex to keep (domain verification such as `MS=ms1234`,
     * `google-site-verification=...`). Default: none. Only used with an Azure DNS zone.
     * Risk if wrong: Azure DNS holds all apex TXT values in one record set, which this
     * component writes as a whole: a value not listed here is removed on `up`.
     */
    keepApexTxt?: string[];
}

export interface DkimSettings {
    /**
     * Whether to turn DKIM signing on in Exchange Online. Default: true with an Azure DNS zone
     * (signing is enabled right after the CNAME records are created); false for a domain hosted
     * elsewhere, because the CNAMEs are published by hand: publish the two records from the
     * `records` output, wait for DNS, then set this to true.
     * Risk if wrong: true before the CNAMEs resolve fails the `up` with the records to publish;
     * false leaves outbound mail unsigned, so DMARC rests on SPF alone.
     */
    enableSigning?: boolean;
}

export interface MailAuthenticationArgs {
    /** The mail domain (an accepted domain of the tenant), e.g. `contoso.com`. Required. */
    domain: string;

    /**
     * The domain's Azure DNS zone. Absent: the zone is hosted elsewhere; no DNS resources are
     * created and the `records` output lists what to publish.
     * Risk if wrong: a wrong resource group or zone fails the `up`; pointing at a zone that is
     * not the one delegated on the internet publishes records nobody reads.
     */
    dnsZone?: AzureDnsZone;

    /**
     * Time to live of every record, in seconds. Default: 3600. Risk if long: a mistake stays
     * cached at receivers that long after it is fixed.
     */
    ttl?: number;

    /**
     * The DMARC record; `false` leaves DMARC unmanaged. Default: `p=reject`, no reports.
     * Risk if unmanaged or weak: anyone can send mail as the domain.
     */
    dmarc?: DmarcArgs | false;

    /**
     * The SPF record; `false` leaves SPF unmanaged. Default: Exchange Online only, `-all`.
     * Risk if a sender is missing: its mail fails SPF (and DMARC without DKIM).
     */
    spf?: SpfSettings | false;

    /**
     * DKIM through Exchange Online; `false` leaves DKIM unmanaged. Default: on.
     * Risk if off: forwarded mail fails DMARC, because SPF does not survive forwarding.
     */
    dkim?: DkimSettings | false;

    /**
     * MTA-STS. Default: unmanaged (publishing the TXT record without hosting the policy file
     * protects nothing). When set, the `_mta-sts` TXT record is declared and the policy file
     * contents are the `mtaStsPolicy` output, to serve at
     * `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
     */
    mtaSts?: MtaStsArgs | false;

    /** TLS-RPT (`_smtp._tls`). Default: unmanaged. Risk if unmanaged: TLS failures are silent. */
    tlsRpt?: TlsRptArgs | false;

    /**
     * Other Azure DNS zones of this stack (each with its `zoneName`) where the component may
     * write the DMARC report authorisation record for a report address in that zone. Default:
     * none besides the domain's own zone. `HardeningBaseline` passes the zones of its other
     * mail domains. Risk if missing: the authorisation record is listed in
     * `txtRecordsToPublish` instead, and until someone publishes it receivers drop the reports.
     */
    reportZones?: AzureDnsZone[];
}

/**
 * SPF, DKIM, DMARC, MTA-STS and TLS-RPT for one mail domain. Usable alone or through
 * `HardeningBaseline` (one per configured domain).
 *
 * Note: the MTA-STS policy file must be served over HTTPS at `mta-sts.<domain>` by a web host
 * of your choice; this component outputs its contents but does not host it.
 *
 * Note: in Azure DNS the apex TXT record set (SPF and the `keepApexTxt` values, such as domain
 * verification) is kept in DNS when the component is deleted or SPF is switched off
 * (`retainOnDelete`): deleting it would also remove values other systems rely on. Remove the
 * SPF value by hand if that is what you want.
 */
export class MailAuthentication extends pulumi.ComponentResource {
    /** The mail domain, lower case. */
    public readonly domain: string;
    /** Every record to publish (also those created in Azure DNS), DKIM targets once known. */
    public readonly records: pulumi.Output<MailDnsRecord[]>;
    /**
     * The TXT records this component does not write to Azure DNS (all of them for a zone
     * hosted elsewhere, plus report authorisations for report domains outside the stack's
     * zones), as plain values known in the first preview.
     */
    public readonly txtRecordsToPublish: MailDnsRecord[];
    /** The MTA-STS policy file contents, when MTA-STS is managed. */
    public readonly mtaStsPolicy?: string;
    /** The Azure DNS record sets created, keyed by purpose (empty for an external zone). */
    public readonly recordSets: Record<string, dns.RecordSet>;
    /** The DKIM key resource (selector CNAME targets), when DKIM is managed. */
    public readonly dkimKeys?: DkimSigning;
    /** The DKIM signing switch, when signing is enabled. */
    public readonly dkimSigning?: DkimSigning;

    constructor(
        name: string,
        args: MailAuthenticationArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("bec-guard:baseline:MailAuthentication", name, {}, opts);

        const domain = args.domain.toLowerCase();
        const ttl = args.ttl ?? 3600;
        const zone = args.dnsZone;
        const zoneName = zone?.zoneName ?? domain;
        this.domain = domain;
        this.recordSets = {};

        // 1. The text records of the domain, built by the pure builders above.
        const planned: MailDnsRecord[] = [];
        if (args.spf !== false) {
            planned.push({
                name: domain,
                type: "TXT",
                value: spfRecord(args.spf ?? {}),
                ttl,
                purpose: "SPF",
            });
        }
        if (args.dmarc !== false) {
            const value = dmarcRecord(args.dmarc ?? {});
            planned.push({ name: `_dmarc.${domain}`, type: "TXT", value, ttl, purpose: "DMARC" });
        }
        if (args.mtaSts) {
            this.mtaStsPolicy = mtaStsPolicy(args.mtaSts);
            const value = mtaStsRecord(this.mtaStsPolicy);
            planned.push({
                name: `_mta-sts.${domain}`,
                type: "TXT",
                value,
                ttl,
                purpose: "MTA-STS",
            });
        }
        if (args.tlsRpt) {
            const value = tlsRptRecord(args.tlsRpt);
            planned.push({
                name: `_smtp._tls.${domain}`,
                type: "TXT",
                value,
                ttl,
                purpose: "TLS-RPT",
            });
        }
        const toPublish: MailDnsRecord[] = zone ? [] : [...planned];

        // 2. In Azure DNS, one record set per text record. The apex TXT set also carries the
        //    other apex values the operator asked to keep, since Azure DNS writes it whole,
        //    and it stays in DNS on delete: those values are not only ours to remove.
        if (zone) {
            for (const record of planned) {
                const values = [record.value];
                const apex = record.purpose === "SPF";
                if (apex && args.spf) {
                    values.push(...(args.spf.keepApexTxt ?? []));
                }
                this.recordSets[record.purpose] = new dns.RecordSet(
                    `${name}-${kebab(record.purpose)}`,
                    {
                        resourceGroupName: zone.resourceGroupName,
                        zoneName,
                        relativeRecordSetName: relativeRecordName(record.name, zoneName),
                        recordType: "TXT",
                        ttl,
                        txtRecords: values.map((value) => ({ value: txtStrings(value) })),
                    },
                    { parent: this, retainOnDelete: apex },
                );
            }
        }

        // 3. DMARC report authorisations in the report domains' DNS: written where the stack
        //    holds that zone, listed to publish otherwise.
        const zones = [...(zone ? [{ ...zone, zoneName }] : []), ...(args.reportZones ?? [])];
        for (const host of args.dmarc === false ? [] : externalReportHosts(domain, args.dmarc)) {
            const record: MailDnsRecord = {
                name: reportAuthorizationName(domain, host),
                type: "TXT",
                value: DMARC_REPORT_AUTHORIZATION,
                ttl,
                purpose: "DMARC report authorization",
            };
            planned.push(record);
            const hostZone = zoneOf(host, zones);
            if (!hostZone) {
                toPublish.push(record);
                continue;
            }
            const hostZoneName = hostZone.zoneName ?? host;
            this.recordSets[`DMARC report authorization ${host}`] = new dns.RecordSet(
                `${name}-dmarc-report-${kebab(host)}`,
                {
                    resourceGroupName: hostZone.resourceGroupName,
                    zoneName: hostZoneName,
                    relativeRecordSetName: relativeRecordName(record.name, hostZoneName),
                    recordType: "TXT",
                    ttl,
                    txtRecords: [{ value: [DMARC_REPORT_AUTHORIZATION] }],
                },
                { parent: this },
            );
        }
        this.txtRecordsToPublish = toPublish;

        // 4. DKIM: keys first (signing off), then the selector CNAMEs at Exchange's targets.
        const dkim = this.declareDkim(name, domain, zone, zoneName, ttl, args.dkim);
        this.dkimKeys = dkim.keys;
        this.dkimSigning = dkim.signing;

        this.records = dkim.records.apply((cnames) => [...planned, ...cnames]);
        this.registerOutputs({
            domain,
            records: this.records,
            txtRecordsToPublish: this.txtRecordsToPublish,
            mtaStsPolicy: this.mtaStsPolicy,
        });
    }

    /**
     * The DKIM steps: keys, CNAME records (Azure DNS only), then signing, in that order.
     * Returns both DKIM resources and the two CNAME records to publish.
     */
    private declareDkim(
        name: string,
        domain: string,
        zone: AzureDnsZone | undefined,
        zoneName: string,
        ttl: number,
        settings: DkimSettings | false | undefined,
    ): { keys?: DkimSigning; signing?: DkimSigning; records: pulumi.Output<MailDnsRecord[]> } {
        if (settings === false) {
            return { records: pulumi.output([]) };
        }

        // 1. Keys and selector targets; `enable: false` never turns signing off.
        const keys = new DkimSigning(
            `${name}-dkim-keys`,
            { domain, enable: false },
            { parent: this },
        );
        const selectors: Array<[string, pulumi.Output<string>]> = [
            ["selector1", keys.selector1Cname],
            ["selector2", keys.selector2Cname],
        ];

        // 2. The CNAME records, in Azure DNS when the zone is there.
        const cnames = selectors.map(([selector, target]) => {
            if (!zone) {
                return undefined;
            }
            const recordSet = new dns.RecordSet(
                `${name}-dkim-${selector}`,
                {
                    resourceGroupName: zone.resourceGroupName,
                    zoneName,
                    relativeRecordSetName: relativeRecordName(
                        `${selector}._domainkey.${domain}`,
                        zoneName,
                    ),
                    recordType: "CNAME",
                    ttl,
                    cnameRecord: { cname: target },
                },
                { parent: this },
            );
            this.recordSets[`DKIM ${selector}`] = recordSet;
            return recordSet;
        });

        // 3. Signing on, only after both CNAME records exist (Exchange refuses before).
        const enableSigning = settings?.enableSigning ?? zone !== undefined;
        let signing: DkimSigning | undefined;
        if (enableSigning) {
            const published = cnames.filter((c): c is dns.RecordSet => c !== undefined);
            signing = new DkimSigning(
                `${name}-dkim-signing`,
                { domain, enable: true },
                { parent: this, dependsOn: [keys, ...published] },
            );
        }

        const records = pulumi.all(selectors.map(([, target]) => target)).apply((targets) =>
            selectors.map(([selector], i) => ({
                name: `${selector}._domainkey.${domain}`,
                type: "CNAME" as const,
                value: targets[i],
                ttl,
                purpose: `DKIM ${selector}`,
            })),
        );
        return { keys, signing, records };
    }
}

/** The zone (of those given) that holds `host`: the one with the longest matching name. */
function zoneOf(host: string, zones: AzureDnsZone[]): AzureDnsZone | undefined {
    const holds = (zone: AzureDnsZone) => {
        const zoneName = (zone.zoneName ?? "").toLowerCase().replace(/\.$/, "");
        return zoneName !== "" && (host === zoneName || host.endsWith(`.${zoneName}`));
    };
    const length = (zone: AzureDnsZone) => (zone.zoneName ?? "").length;
    return zones.filter(holds).sort((a, b) => length(b) - length(a))[0];
}

/** `DKIM selector1` -> `dkim-selector1`, `MTA-STS` -> `mta-sts`, for child resource names. */
function kebab(purpose: string): string {
    return purpose.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
