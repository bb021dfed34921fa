/**
 * DKIM signing for one custom domain, as a Pulumi resource over the Exchange admin API.
 *
 * Exchange signs a domain's mail with DKIM only after two CNAMEs (selector1._domainkey and
 * selector2._domainkey) point at targets Exchange generates for the domain. So the rollout has
 * two steps, and this resource serves both:
 * 1. `enable: false` (the default): make sure a DKIM signing config exists for the domain
 *    (New-DkimSigningConfig -Enabled $false) and output its selector CNAME targets, for the DNS
 *    records;
 * 2. `enable: true`, set by the mail-authentication component only once the CNAME records
 *    exist: turn signing on (Set-DkimSigningConfig -Enabled $true).
 *
 * Delete puts back the Enabled state the domain had before. DKIM with DMARC p=reject is what
 * stops an attacker from sending as the organisation's own domain.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    declaredEntries,
    describeError,
    hasDrift,
    inputFailure,
    InputFailure,
    isDomainName,
    partialFailure,
    progress,
} from "./settings-support";
import {
    isExchangeNotFound,
    openExchange,
    rememberConfig,
    SettingsExchange,
} from "./settings-clients";

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

export interface DkimSigningInputs {
    /** The custom domain to sign (an accepted domain of the tenant), e.g. contoso.com. */
    domain: string;
    /**
     * Turns signing on. Default false. Set it only after the selector CNAMEs are published:
     * Exchange refuses to enable signing before it can resolve them. Note: `false` never turns
     * off signing that is already on; it means "do not enable".
     */
    enable?: boolean;
}

export type DkimSigningArgs = {
    [K in keyof DkimSigningInputs]: pulumi.Input<DkimSigningInputs[K]>;
};

// ---------------------------------------------------------------------------------------------
// Pure logic
// ---------------------------------------------------------------------------------------------

export function validateDkimSigning(inputs: Record<string, unknown>): InputFailure[] {
    const failures: InputFailure[] = [];
    for (const [key, value] of declaredEntries(inputs)) {
        if (key !== "domain" && key !== "enable") {
            failures.push(
                inputFailure(key, value, "not a setting of DKIM signing", "use domain and enable"),
            );
        }
    }
    if (!isDomainName(inputs.domain)) {
        failures.push(
            inputFailure(
                "domain",
                inputs.domain,
                "not a domain name",
                "use the bare accepted domain, e.g. contoso.com",
            ),
        );
    } else if (/\.onmicrosoft\.com$/i.test(inputs.domain)) {
        failures.push(
            inputFailure(
                "domain",
                inputs.domain,
                "the initial onmicrosoft.com domain is signed by Microsoft already and has no CNAMEs to publish",
                "list only your custom domains",
            ),
        );
    }
    if (inputs.enable !== undefined && typeof inputs.enable !== "boolean") {
        failures.push(
            inputFailure(
                "enable",
                inputs.enable,
                "not a boolean",
                "use true once the CNAME records exist, false before",
            ),
        );
    }
    return failures;
}

/** What the domain had before this resource touched it. */
export interface DkimRecord {
    /** Whether a signing config existed (New-DkimSigningConfig was not needed). */
    configExisted: boolean;
    /** Its Enabled state then (false when we created it). */
    enabled: boolean;
}

/** The outputs the DNS records need. */
export function selectorOutputs(config: Record<string, unknown>): {
    selector1Cname: string;
    selector2Cname: string;
    enabled: boolean;
} {
    return {
        selector1Cname: String(config.Selector1CNAME ?? ""),
        selector2Cname: String(config.Selector2CNAME ?? ""),
        enabled: config.Enabled === true,
    };
}

/** Whether an Exchange error is its refusal to enable before the CNAMEs resolve. */
export function isCnameMissing(err: unknown): boolean {
    return /CNAME record does not exist/i.test(describeError(err));
}

// ---------------------------------------------------------------------------------------------
// Tenant access
// ---------------------------------------------------------------------------------------------

async function getConfig(
    exchange: SettingsExchange,
    domain: string,
): Promise<Record<string, unknown> | undefined> {
    try {
        return (await exchange.invoke("Get-DkimSigningConfig", { Identity: domain }))[0];
    } catch (err) {
        if (isExchangeNotFound(err)) return undefined;
        throw err;
    }
}

/** Makes sure a config exists; returns it and what was there before. */
async function ensureConfig(
    exchange: SettingsExchange,
    domain: string,
    label: string,
): Promise<{ config: Record<string, unknown>; record: DkimRecord }> {
    const existing = await getConfig(exchange, domain);
    if (existing) {
        return {
            config: existing,
            record: { configExisted: true, enabled: existing.Enabled === true },
        };
    }
    progress(label, `creating DKIM keys for ${domain} (signing stays off until the CNAMEs exist)`);
    await exchange.invoke("New-DkimSigningConfig", { DomainName: domain, Enabled: false });
    const created = await getConfig(exchange, domain);
    if (!created)
        throw new Error(
            `DKIM: New-DkimSigningConfig for ${domain} succeeded but Get-DkimSigningConfig cannot find it; run again.`,
        );
    return { config: created, record: { configExisted: false, enabled: false } };
}

/** Turns signing on, with a message that says which records to publish if Exchange refuses. */
async function enableSigning(
    exchange: SettingsExchange,
    config: Record<string, unknown>,
    domain: string,
    label: string,
): Promise<void> {
    progress(label, `enabling DKIM signing for ${domain}`);
    try {
        await exchange.invoke("Set-DkimSigningConfig", { Identity: domain, Enabled: true });
    } catch (err) {
        if (!isCnameMissing(err)) throw err;
        throw new Error(
            `DKIM signing for ${domain} cannot be enabled yet: Exchange cannot resolve the selector CNAMEs. ` +
                `Publish selector1._domainkey.${domain} CNAME ${String(config.Selector1CNAME)} and ` +
                `selector2._domainkey.${domain} CNAME ${String(config.Selector2CNAME)}, wait for DNS, ` +
                `then run again (or set enable: false until then). Exchange said: ${describeError(err)}`,
        );
    }
}

/** Puts signing back to the Enabled state the domain had before this resource. */
async function restoreSigning(
    exchange: SettingsExchange,
    domain: string,
    enabled: boolean,
    label: string,
): Promise<void> {
    progress(label, `setting DKIM signing for ${domain} back to ${enabled ? "on" : "off"}`);
    await exchange.invoke("Set-DkimSigningConfig", { Identity: domain, Enabled: enabled });
}

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------

function dkimLabel(props: Record<string, any>): string {
    return typeof props.label === "string" ? props.label : `DkimSigning ${String(props.domain)}`;
}

export const dkimSigningProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        // Stack config (credentials, cloud, break-glass accounts) for every later call.
        rememberConfig(req.config);
    },

    async check(_olds, news) {
        const inputs =
            typeof news.domain === "string" ? { ...news, domain: news.domain.toLowerCase() } : news;
        return { inputs, failures: validateDkimSigning(inputs) };
    },

    async diff(_id, olds, news) {
        // Another domain is another config: replace.
        const replaces = olds.domain !== news.domain ? ["domain"] : [];
        const changed = replaces.length > 0 || (olds.enable ?? false) !== (news.enable ?? false);
        return { changes: changed || hasDrift(olds), replaces, deleteBeforeReplace: false };
    },

    async create(inputs) {
        const label = dkimLabel(inputs);
        const exchange = await openExchange();
        const domain = String(inputs.domain);

        // 1. Record and make sure the config exists.
        const { config, record } = await ensureConfig(exchange, domain, label);
        const outs = {
            ...inputs,
            previous: record,
            ...selectorOutputs(config),
            drift: [] as string[],
        };

        // 2. Enable when asked; a refusal still records the resource so delete can restore.
        if (inputs.enable === true && config.Enabled !== true) {
            try {
                await enableSigning(exchange, config, domain, label);
            } catch (err) {
                throw partialFailure(describeError(err), domain, {
                    ...outs,
                    drift: ["signing not enabled"],
                });
            }
            outs.enabled = true;
        }
        return { id: domain, outs };
    },

    async read(id, props) {
        const exchange = await openExchange();
        const config = await getConfig(exchange, String(props.domain ?? id));
        if (!config) return { id: "", props: {} };
        const drift =
            props.enable === true && config.Enabled !== true
                ? ["enable: declared true, signing is off"]
                : [];
        return { id, props: { ...props, ...selectorOutputs(config), drift } };
    },

    async update(id, olds, news) {
        const label = dkimLabel(news);
        const exchange = await openExchange();
        const domain = String(news.domain);
        const { config, record: found } = await ensureConfig(exchange, domain, label);
        const previous: DkimRecord = olds.previous ?? found;
        const outs = { ...news, previous, ...selectorOutputs(config), drift: [] as string[] };

        // 1. Enable when declared; when no longer declared, go back to the recorded state.
        if (news.enable === true && config.Enabled !== true) {
            try {
                await enableSigning(exchange, config, domain, label);
            } catch (err) {
                throw partialFailure(describeError(err), id, {
                    ...outs,
                    drift: ["signing not enabled"],
                });
            }
            outs.enabled = true;
        } else if (
            news.enable !== true &&
            olds.enable === true &&
            config.Enabled !== previous.enabled
        ) {
            await restoreSigning(exchange, domain, previous.enabled, label);
            outs.enabled = previous.enabled;
        }
        return { outs };
    },

    async delete(_id, props) {
        const label = dkimLabel(props);
        const exchange = await openExchange();
        const domain = String(props.domain);
        const previous: DkimRecord | undefined = props.previous;
        const config = await getConfig(exchange, domain);
        if (!config || !previous) return;

        // Put back the Enabled state the domain had. Exchange has no cmdlet to delete a
        // signing config, so one we created stays, disabled (harmless without the CNAMEs).
        if ((config.Enabled === true) !== previous.enabled) {
            await restoreSigning(exchange, domain, previous.enabled, label);
        }
    },
};

/**
 * DKIM signing config for one custom domain: outputs the selector CNAME targets and enables
 * signing when `enable` is true.
 *
 * Note: Exchange Online has no cmdlet to delete a DKIM signing config; deleting this resource
 * restores the previous Enabled state and leaves a config it created in place, disabled.
 */
export class DkimSigning extends pulumi.dynamic.Resource {
    /** CNAME target for selector1._domainkey.<domain>. */
    declare readonly selector1Cname: pulumi.Output<string>;
    /** CNAME target for selector2._domainkey.<domain>. */
    declare readonly selector2Cname: pulumi.Output<string>;
    /** Whether Exchange signs the domain now. */
    declare readonly enabled: pulumi.Output<boolean>;
    /** What the domain had before (config existed, Enabled). */
    declare readonly previous: pulumi.Output<DkimRecord>;
    declare readonly drift: pulumi.Output<string[]>;

    constructor(name: string, args: DkimSigningArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            dkimSigningProvider,
            name,
            {
                ...args,
                label: name,
                selector1Cname: undefined,
                selector2Cname: undefined,
                enabled: undefined,
                previous: undefined,
                drift: undefined,
            },
            opts,
            "bec-guard",
            "DkimSigning",
        );
    }
}
