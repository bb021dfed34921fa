/**
 * DKIM cmdlets: Get-DkimSigningConfig, New-DkimSigningConfig, Set-DkimSigningConfig.
 *
 * Exchange signs a custom domain only after the domain publishes two CNAMEs, selector1 and
 * selector2 under _domainkey, pointing at the targets Get-DkimSigningConfig shows
 * (`selector1-contoso-com._domainkey.contoso.onmicrosoft.com`). Until they resolve, enabling
 * fails with "CNAME record does not exist for this config...". The local tenant has no DNS,
 * so each config carries a `cnamesPublished` flag (default false) that the baseline's DNS
 * step or a test sets through the control API; Get- never shows it.
 *
 * Roles: "Transport Hygiene" or "Security Admin"; Get- also "View-Only Configuration" and
 * "Security Reader" (Microsoft365DSC EXODkimSigningConfig settings.json).
 *
 * Note: the selector targets use the long-standing `<initial domain>` form. Tenants set up
 * since 2025 may get `...dkim.mail.microsoft` targets instead; clients must read the values
 * from Get-DkimSigningConfig rather than build them, and this tenant checks that they do not
 * need to.
 */
import { CmdletError, type Cmdlet, type CmdletContext, type CmdletResult } from "../contracts";
import type { TenantState } from "../model";
import {
    CHANGE_PARAMETERS,
    COMMON_PARAMETERS,
    VALIDATION_EXCEPTION,
    bind,
    noChangeWarning,
    objectNotFound,
    type BoundParameters,
} from "./common";

const READ_ROLES = [
    "Transport Hygiene",
    "Security Admin",
    "View-Only Configuration",
    "Security Reader",
];
const WRITE_ROLES = ["Transport Hygiene", "Security Admin"];

const CANONICALIZATION = ["Relaxed", "Simple"] as const;

/** The CNAME targets Exchange gives a domain: dots become dashes, under the initial domain. */
export function selectorTargets(state: TenantState, domain: string) {
    const id = domain.toLowerCase().replace(/\./g, "-");
    const initial = state.tenant.initialDomain.toLowerCase();
    return {
        selector1: `selector1-${id}._domainkey.${initial}`,
        selector2: `selector2-${id}._domainkey.${initial}`,
    };
}

/** The stored configs; the initial domain's is there from the start, enabled, as in Exchange. */
function configs(state: TenantState): Array<Record<string, unknown>> {
    const list = state.exchange.dkimSigningConfigs;
    const initial = state.tenant.initialDomain.toLowerCase();
    if (!list.some((c) => String(c.Domain ?? "").toLowerCase() === initial)) {
        list.unshift(newConfig(state, initial, true, 2048));
        list[0].cnamesPublished = true;
    }
    return list;
}

function newConfig(state: TenantState, domain: string, enabled: boolean, keySize: number) {
    const targets = selectorTargets(state, domain);
    return {
        Identity: domain,
        Name: domain,
        Domain: domain,
        Enabled: enabled,
        Selector1CNAME: targets.selector1,
        Selector2CNAME: targets.selector2,
        Selector1KeySize: keySize,
        Selector2KeySize: keySize,
        BodyCanonicalization: "Relaxed",
        HeaderCanonicalization: "Relaxed",
        AdminDisplayName: "",
        Status: enabled ? "Valid" : "CnameMissing",
        cnamesPublished: false,
    } as Record<string, unknown>;
}

/** What Get- shows: everything but the local tenant's DNS flag. */
function shown(config: Record<string, unknown>): Record<string, unknown> {
    const copy = structuredClone(config);
    delete copy.cnamesPublished;
    return copy;
}

function findConfig(state: TenantState, identity: string) {
    const wanted = identity.toLowerCase();
    const match = configs(state).find((c) =>
        ["Identity", "Name", "Domain"].some((k) => String(c[k] ?? "").toLowerCase() === wanted),
    );
    if (!match) throw objectNotFound(identity);
    return match;
}

/** Exchange's refusal to enable signing before the CNAMEs exist (ValidationException). */
function cnameMissing(config: Record<string, unknown>): CmdletError {
    return new CmdletError(
        VALIDATION_EXCEPTION,
        "ValidationException",
        `CNAME record does not exist for this config. Please publish the following two CNAME ` +
            `records first. Domain Name : ${String(config.Domain)} ` +
            `Host Name : selector1._domainkey Points to address or value: ` +
            `${String(config.Selector1CNAME)} ` +
            `Host Name : selector2._domainkey Points to address or value: ` +
            `${String(config.Selector2CNAME)} ` +
            `If you have already published the CNAME records, sync will take a few minutes to ` +
            `as many as 4 days based on DNS. Return and retry this step later.`,
    );
}

const GET_PARAMETERS = ["Identity", ...COMMON_PARAMETERS];

const getDkimSigningConfig: Cmdlet = {
    name: "Get-DkimSigningConfig",
    roles: READ_ROLES,
    parameters: GET_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-DkimSigningConfig", GET_PARAMETERS, ctx);
        const state = structuredClone(ctx.state);
        const identity = params.string("Identity");
        const list = identity === undefined ? configs(state) : [findConfig(state, identity)];
        return { value: list.map(shown) };
    },
};

const NEW_PARAMETERS = [
    "DomainName",
    "Enabled",
    "KeySize",
    "AdminDisplayName",
    "BodyCanonicalization",
    "HeaderCanonicalization",
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

/**
 * New-DkimSigningConfig: creates the keys (and so the selector targets) for an accepted domain.
 *
 * Note: with -Enabled $true before the CNAMEs are published this refuses with the CNAME error
 * and creates nothing; create with -Enabled $false, publish, then Set- -Enabled $true.
 */
const newDkimSigningConfig: Cmdlet = {
    name: "New-DkimSigningConfig",
    roles: WRITE_ROLES,
    parameters: NEW_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("New-DkimSigningConfig", NEW_PARAMETERS, ctx);
        params.require("DomainName", "Enabled");
        const domain = params.string("DomainName")!.toLowerCase();
        const enabled = params.bool("Enabled")!;
        const keySize = params.int("KeySize") ?? 2048;
        if (keySize !== 1024 && keySize !== 2048) {
            throw new CmdletError(
                "System.Management.Automation.ParameterBindingException",
                "InvalidData",
                `Cannot validate argument on parameter 'KeySize'. The argument "${keySize}" does ` +
                    `not belong to the set "1024,2048" specified by the ValidateSet attribute.`,
            );
        }

        // 1. The domain must be one of the organisation's and must not have a config yet.
        const accepted = [ctx.state.tenant.initialDomain, ...ctx.state.tenant.verifiedDomains].map(
            (d) => d.toLowerCase(),
        );
        if (!accepted.includes(domain)) throw objectNotFound(domain);
        const existing = configs(structuredClone(ctx.state));
        if (existing.some((c) => String(c.Domain).toLowerCase() === domain)) {
            throw new CmdletError(
                "Microsoft.Exchange.Management.Tasks.ValidationException",
                "ValidationException",
                `A DKIM signing configuration already exists for the domain '${domain}'.`,
            );
        }

        // 2. Create, refusing to enable before DNS is there.
        const config = newConfig(ctx.state, domain, enabled, keySize);
        applyOptional(params, config);
        if (enabled) throw cnameMissing(config);
        configs(ctx.state).push(config);
        return { value: [shown(config)] };
    },
};

function applyOptional(params: BoundParameters, config: Record<string, unknown>) {
    const body = params.enumValue("BodyCanonicalization", CANONICALIZATION, "CanonicalizationType");
    if (body !== undefined) config.BodyCanonicalization = body;
    const header = params.enumValue(
        "HeaderCanonicalization",
        CANONICALIZATION,
        "CanonicalizationType",
    );
    if (header !== undefined) config.HeaderCanonicalization = header;
    const name = params.string("AdminDisplayName");
    if (name !== undefined) config.AdminDisplayName = name;
}

const SET_PARAMETERS = [
    "Identity",
    "Enabled",
    "AdminDisplayName",
    "BodyCanonicalization",
    "HeaderCanonicalization",
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

const setDkimSigningConfig: Cmdlet = {
    name: "Set-DkimSigningConfig",
    roles: WRITE_ROLES,
    parameters: SET_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Set-DkimSigningConfig", SET_PARAMETERS, ctx);
        params.require("Identity");
        const identity = params.string("Identity")!;
        const config = findConfig(structuredClone(ctx.state), identity);
        const next = structuredClone(config);
        const enabled = params.bool("Enabled");
        if (enabled !== undefined) next.Enabled = enabled;
        applyOptional(params, next);

        if (next.Enabled === true && config.Enabled !== true) {
            if (config.cnamesPublished !== true) throw cnameMissing(config);
            next.Status = "Valid";
        }
        const changed = [
            "Enabled",
            "AdminDisplayName",
            "BodyCanonicalization",
            "HeaderCanonicalization",
        ].some((k) => next[k] !== config[k]);
        if (!changed) return { value: [], warnings: [noChangeWarning(String(config.Domain))] };
        Object.assign(findConfig(ctx.state, identity), next);
        return { value: [] };
    },
};

export const cmdlets: Cmdlet[] = [getDkimSigningConfig, newDkimSigningConfig, setDkimSigningConfig];
