/**
 * Organisation-wide settings cmdlets, all the same shape: Get- returns the object(s) as stored
 * in `state.exchange`, Set- changes the named properties, binding each value to the type the
 * real parameter has, and warns when nothing changed.
 *
 * - Get/Set-HostedOutboundSpamFilterPolicy (AutoForwardingMode: the tenant-wide external
 *   auto-forwarding switch). Roles "Transport Hygiene" / "Security Admin"; reads also
 *   "View-Only Configuration" / "Security Reader" (Microsoft365DSC EXOHostedOutboundSpamFilterPolicy).
 * - Get/Set-RemoteDomain, Get-AcceptedDomain. Role "Remote and Accepted Domains"; reads also
 *   "View-Only Configuration" (Microsoft365DSC EXORemoteDomain, EXOAcceptedDomain).
 * - Get/Set-OrganizationConfig (AuditDisabled, ...) and Get/Set-ExternalInOutlook (external
 *   sender tagging). Role "Organization Configuration"; reads also "View-Only Configuration"
 *   (Microsoft365DSC EXOOrganizationConfig, EXOExternalInOutlook).
 * - Get/Set-AdminAuditLogConfig (UnifiedAuditLogIngestionEnabled). Role "Audit Logs"; reads
 *   also "View-Only Audit Logs" (Microsoft365DSC O365AdminAuditLogConfig).
 * - Get/Set-TransportConfig (SmtpClientAuthenticationDisabled). Role "Organization Transport
 *   Settings"; reads also "View-Only Configuration" (Microsoft365DSC EXOTransportConfig).
 *
 * A tenant always has a "Default" outbound spam policy, a "Default" remote domain (*), its
 * accepted domains and the singletons; when a scenario leaves one out, the Get- cmdlet shows
 * Exchange's default and the first Set- stores it.
 */
import type { Cmdlet, CmdletContext, CmdletResult } from "../contracts";
import type { TenantState } from "../model";
import {
    CHANGE_PARAMETERS,
    COMMON_PARAMETERS,
    applyResultSize,
    bind,
    findKey,
    noChangeWarning,
    objectNotFound,
    sameValue,
    type BoundParameters,
} from "./common";

/** How a Set- parameter binds: its PowerShell type. */
export type ParameterType =
    | "bool"
    | "nullableBool"
    | "string"
    | "nullableString"
    | "int"
    | "list"
    | "multiValued"
    | readonly string[];

export type ParameterSpec = Record<string, ParameterType>;

export function bindValue(
    params: BoundParameters,
    name: string,
    type: ParameterType,
    current: unknown,
) {
    if (Array.isArray(type)) return params.enumValue(name, type as readonly string[], name);
    switch (type) {
        case "bool":
            return params.bool(name);
        case "nullableBool":
            return params.nullableBool(name);
        case "string":
            return params.string(name);
        case "nullableString":
            return params.nullableString(name);
        case "int":
            return params.int(name);
        case "list":
            return params.list(name) ?? null;
        case "multiValued": {
            const change = params.multiValuedChange(name)!;
            if (change.replace) return change.replace;
            const list = Array.isArray(current) ? current.map(String) : [];
            const lower = (v: string) => v.toLowerCase();
            const added = [
                ...list,
                ...(change.add ?? []).filter((a) => !list.map(lower).includes(lower(a))),
            ];
            const removed = (change.remove ?? []).map(lower);
            return added.filter((v) => !removed.includes(lower(v)));
        }
    }
    return undefined;
}

/** Applies the bound Set- parameters to one object; returns whether anything changed. */
function applySettings(
    params: BoundParameters,
    spec: ParameterSpec,
    target: Record<string, unknown>,
) {
    const updates: Array<[string, unknown]> = [];
    for (const name of params.names()) {
        const type = spec[name];
        if (type === undefined) continue;
        const key = findKey(target, name) ?? name;
        updates.push([key, bindValue(params, name, type, target[key])]);
    }
    const changed = updates.some(([key, value]) => !sameValue(target[key], value));
    for (const [key, value] of updates) target[key] = value;
    return changed;
}

// ---------------------------------------------------------------------------------------------
// Collections of named objects (policies, remote domains).

interface CollectionSpec {
    noun: string;
    readRoles: string[];
    writeRoles: string[];
    list(state: TenantState): Array<Record<string, unknown>>;
    /** Exchange's built-in object, added when the scenario has none. */
    defaults(state: TenantState): Array<Record<string, unknown>>;
    /** Extra keys that identify an object besides Identity and Name. */
    identityKeys: string[];
    set: ParameterSpec;
}

function objectName(object: Record<string, unknown>): string {
    return String(object.Name ?? object.Identity ?? "");
}

function ensureDefaults(spec: CollectionSpec, state: TenantState) {
    const list = spec.list(state);
    if (list.length === 0) list.push(...spec.defaults(state));
    for (const object of list) {
        if (object.Identity === undefined) object.Identity = objectName(object);
        if (object.Name === undefined) object.Name = object.Identity;
    }
    return list;
}

function findObject(spec: CollectionSpec, state: TenantState, identity: string) {
    const wanted = identity.toLowerCase();
    const found = ensureDefaults(spec, state).find((object) =>
        ["Identity", "Name", "Guid", ...spec.identityKeys].some(
            (key) =>
                typeof object[key] === "string" && (object[key] as string).toLowerCase() === wanted,
        ),
    );
    if (!found) throw objectNotFound(identity);
    return found;
}

function collectionCmdlets(spec: CollectionSpec): Cmdlet[] {
    const getParameters = ["Identity", "ResultSize", ...COMMON_PARAMETERS];
    const setParameters = [
        "Identity",
        ...Object.keys(spec.set),
        ...CHANGE_PARAMETERS,
        ...COMMON_PARAMETERS,
    ];
    const get: Cmdlet = {
        name: `Get-${spec.noun}`,
        roles: spec.readRoles,
        parameters: getParameters,
        handler(ctx: CmdletContext): CmdletResult {
            const params = bind(`Get-${spec.noun}`, getParameters, ctx);
            const identity = params.string("Identity");
            // Work on a copy so a read never stores the defaults.
            const state = structuredClone(ctx.state);
            const objects =
                identity === undefined
                    ? ensureDefaults(spec, state)
                    : [findObject(spec, state, identity)];
            return { value: applyResultSize(params, structuredClone(objects)) };
        },
    };
    const set: Cmdlet = {
        name: `Set-${spec.noun}`,
        roles: spec.writeRoles,
        parameters: setParameters,
        handler(ctx: CmdletContext): CmdletResult {
            const params = bind(`Set-${spec.noun}`, setParameters, ctx);
            params.require("Identity");
            const identity = params.string("Identity")!;

            // Bind onto a copy; the tenant (and any built-in default) changes only on success.
            const copy = structuredClone(findObject(spec, structuredClone(ctx.state), identity));
            const changed = applySettings(params, spec.set, copy);
            if (!changed) return { value: [], warnings: [noChangeWarning(objectName(copy))] };
            Object.assign(findObject(spec, ctx.state, identity), copy);
            return { value: [] };
        },
    };
    return [get, set];
}

const hostedOutboundSpamFilterPolicy: CollectionSpec = {
    noun: "HostedOutboundSpamFilterPolicy",
    readRoles: [
        "Transport Hygiene",
        "Security Admin",
        "View-Only Configuration",
        "Security Reader",
    ],
    writeRoles: ["Transport Hygiene", "Security Admin"],
    list: (state) => state.exchange.hostedOutboundSpamFilterPolicies,
    defaults: () => [
        {
            Identity: "Default",
            Name: "Default",
            IsDefault: true,
            AutoForwardingMode: "Automatic",
            RecipientLimitExternalPerHour: 0,
            RecipientLimitInternalPerHour: 0,
            RecipientLimitPerDay: 0,
            ActionWhenThresholdReached: "BlockUserForToday",
            BccSuspiciousOutboundMail: false,
            BccSuspiciousOutboundAdditionalRecipients: [],
            NotifyOutboundSpam: false,
            NotifyOutboundSpamRecipients: [],
        },
    ],
    identityKeys: [],
    set: {
        AutoForwardingMode: ["Automatic", "Off", "On"],
        AdminDisplayName: "nullableString",
        RecipientLimitExternalPerHour: "int",
        RecipientLimitInternalPerHour: "int",
        RecipientLimitPerDay: "int",
        ActionWhenThresholdReached: ["Alert", "BlockUser", "BlockUserForToday"],
        BccSuspiciousOutboundMail: "bool",
        BccSuspiciousOutboundAdditionalRecipients: "multiValued",
        NotifyOutboundSpam: "bool",
        NotifyOutboundSpamRecipients: "multiValued",
    },
};

const remoteDomain: CollectionSpec = {
    noun: "RemoteDomain",
    readRoles: ["Remote and Accepted Domains", "View-Only Configuration"],
    writeRoles: ["Remote and Accepted Domains"],
    list: (state) => state.exchange.remoteDomains,
    defaults: () => [
        {
            Identity: "Default",
            Name: "Default",
            DomainName: "*",
            AutoForwardEnabled: true,
            AutoReplyEnabled: true,
            AllowedOOFType: "External",
            DeliveryReportEnabled: true,
            NDREnabled: true,
            MeetingForwardNotificationEnabled: false,
            TNEFEnabled: null,
            IsInternal: false,
        },
    ],
    identityKeys: ["DomainName"],
    set: {
        AutoForwardEnabled: "bool",
        AutoReplyEnabled: "bool",
        AllowedOOFType: ["External", "ExternalLegacy", "InternalLegacy", "None"],
        DeliveryReportEnabled: "bool",
        NDREnabled: "bool",
        NDRDiagnosticInfoEnabled: "bool",
        MeetingForwardNotificationEnabled: "bool",
        TNEFEnabled: "nullableBool",
        IsInternal: "bool",
        TrustedMailInboundEnabled: "bool",
        TrustedMailOutboundEnabled: "bool",
        CharacterSet: "nullableString",
        NonMimeCharacterSet: "nullableString",
        ContentType: ["MimeHtmlText", "MimeText", "MimeHtml"],
    },
};

/** Get-AcceptedDomain: the scenario's list, or one per verified domain (the initial one default). */
const getAcceptedDomainParameters = ["Identity", "ResultSize", ...COMMON_PARAMETERS];
const getAcceptedDomain: Cmdlet = {
    name: "Get-AcceptedDomain",
    roles: ["Remote and Accepted Domains", "View-Only Configuration"],
    parameters: getAcceptedDomainParameters,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-AcceptedDomain", getAcceptedDomainParameters, ctx);
        const stored = ctx.state.exchange.acceptedDomains;
        const domains =
            stored.length > 0 ? structuredClone(stored) : acceptedDomainDefaults(ctx.state);
        const identity = params.string("Identity");
        if (identity === undefined) return { value: applyResultSize(params, domains) };
        const wanted = identity.toLowerCase();
        const match = domains.find((d) =>
            ["Identity", "Name", "DomainName"].some(
                (k) => String(d[k] ?? "").toLowerCase() === wanted,
            ),
        );
        if (!match) throw objectNotFound(identity);
        return { value: [match] };
    },
};

function acceptedDomainDefaults(state: TenantState): Array<Record<string, unknown>> {
    const names = [state.tenant.initialDomain, ...state.tenant.verifiedDomains];
    return [...new Set(names.map((n) => n.toLowerCase()))].map((domain) => ({
        Identity: domain,
        Name: domain,
        DomainName: domain,
        DomainType: "Authoritative",
        Default: domain === state.tenant.initialDomain.toLowerCase(),
        InitialDomain: domain === state.tenant.initialDomain.toLowerCase(),
    }));
}

// ---------------------------------------------------------------------------------------------
// Singletons.

interface SingletonSpec {
    noun: string;
    readRoles: string[];
    writeRoles: string[];
    /** The stored object, created with Exchange's defaults if the scenario has none. */
    object(state: TenantState): Record<string, unknown>;
    set: ParameterSpec;
}

function singletonCmdlets(spec: SingletonSpec): Cmdlet[] {
    const getParameters = ["Identity", ...COMMON_PARAMETERS];
    const setParameters = [
        "Identity",
        ...Object.keys(spec.set),
        ...CHANGE_PARAMETERS,
        ...COMMON_PARAMETERS,
    ];
    const get: Cmdlet = {
        name: `Get-${spec.noun}`,
        roles: spec.readRoles,
        parameters: getParameters,
        handler(ctx: CmdletContext): CmdletResult {
            bind(`Get-${spec.noun}`, getParameters, ctx);
            return { value: [structuredClone(spec.object(structuredClone(ctx.state)))] };
        },
    };
    const set: Cmdlet = {
        name: `Set-${spec.noun}`,
        roles: spec.writeRoles,
        parameters: setParameters,
        handler(ctx: CmdletContext): CmdletResult {
            const params = bind(`Set-${spec.noun}`, setParameters, ctx);

            // Bind onto a copy; the tenant (and any built-in default) changes only on success.
            const copy = structuredClone(spec.object(structuredClone(ctx.state)));
            if (!applySettings(params, spec.set, copy)) {
                return { value: [], warnings: [noChangeWarning(String(copy.Identity))] };
            }
            Object.assign(spec.object(ctx.state), copy);
            return { value: [] };
        },
    };
    return [get, set];
}

/** Fills Identity/Name and any missing default into a stored singleton, in place. */
function withDefaults(object: Record<string, unknown>, defaults: Record<string, unknown>) {
    for (const [key, value] of Object.entries(defaults)) {
        if (findKey(object, key) === undefined) object[key] = value;
    }
    return object;
}

const organizationConfig: SingletonSpec = {
    noun: "OrganizationConfig",
    readRoles: ["Organization Configuration", "View-Only Configuration"],
    writeRoles: ["Organization Configuration"],
    object: (state) =>
        withDefaults(state.exchange.organizationConfig, {
            Identity: state.tenant.initialDomain,
            Name: state.tenant.initialDomain,
            DisplayName: state.tenant.displayName,
            AuditDisabled: false,
        }),
    set: {
        AuditDisabled: "bool",
        OAuth2ClientProfileEnabled: "bool",
        MailTipsAllTipsEnabled: "bool",
        MailTipsExternalRecipientsTipsEnabled: "bool",
        SmtpActionableMessagesEnabled: "bool",
        CustomerLockBoxEnabled: "bool",
        DefaultAuthenticationPolicy: "nullableString",
        ActivityBasedAuthenticationTimeoutEnabled: "bool",
        ActivityBasedAuthenticationTimeoutInterval: "string",
        FocusedInboxOn: "bool",
    },
};

const adminAuditLogConfig: SingletonSpec = {
    noun: "AdminAuditLogConfig",
    readRoles: ["Audit Logs", "View-Only Audit Logs"],
    writeRoles: ["Audit Logs"],
    object: (state) =>
        withDefaults(state.exchange.adminAuditLogConfig, {
            Identity: "Admin Audit Log Settings",
            Name: "Admin Audit Log Settings",
            AdminAuditLogEnabled: true,
            UnifiedAuditLogIngestionEnabled: false,
            AdminAuditLogCmdlets: ["*"],
            AdminAuditLogParameters: ["*"],
            AdminAuditLogExcludedCmdlets: [],
            AdminAuditLogAgeLimit: "90.00:00:00",
            LogLevel: "None",
        }),
    set: {
        UnifiedAuditLogIngestionEnabled: "bool",
        AdminAuditLogEnabled: "bool",
        AdminAuditLogCmdlets: "multiValued",
        AdminAuditLogParameters: "multiValued",
        AdminAuditLogExcludedCmdlets: "multiValued",
        AdminAuditLogAgeLimit: "string",
        LogLevel: ["None", "Verbose"],
    },
};

const transportConfig: SingletonSpec = {
    noun: "TransportConfig",
    readRoles: ["Organization Transport Settings", "View-Only Configuration"],
    writeRoles: ["Organization Transport Settings"],
    object: (state) => {
        state.exchange.transportConfig ??= {};
        return withDefaults(state.exchange.transportConfig, {
            Identity: "Transport Settings",
            Name: "Transport Settings",
            SmtpClientAuthenticationDisabled: false,
            AllowLegacyTLSClients: false,
        });
    },
    set: {
        SmtpClientAuthenticationDisabled: "bool",
        AllowLegacyTLSClients: "bool",
        ExternalPostmasterAddress: "nullableString",
    },
};

const externalInOutlook: SingletonSpec = {
    noun: "ExternalInOutlook",
    readRoles: ["Organization Configuration", "View-Only Configuration"],
    writeRoles: ["Organization Configuration"],
    object: (state) => {
        state.exchange.externalInOutlook ??= {};
        return withDefaults(state.exchange.externalInOutlook, {
            Identity: state.tenant.initialDomain,
            Enabled: false,
            AllowList: [],
        });
    },
    set: {
        Enabled: "bool",
        AllowList: "multiValued",
    },
};

export const cmdlets: Cmdlet[] = [
    ...collectionCmdlets(hostedOutboundSpamFilterPolicy),
    ...collectionCmdlets(remoteDomain),
    getAcceptedDomain,
    ...singletonCmdlets(organizationConfig),
    ...singletonCmdlets(adminAuditLogConfig),
    ...singletonCmdlets(transportConfig),
    ...singletonCmdlets(externalInOutlook),
];
