/**
 * Endpoints per Microsoft cloud: where Graph, the Exchange admin API and the token authority
 * live, and which token scopes each needs.
 *
 * Sources (checked 2026-12): Microsoft Graph "National cloud deployments" (Graph root and
 * Entra ID endpoints per cloud); the Exchange Online PowerShell module's environments
 * (O365Default outlook.office365.com, O365USGovGCCHigh outlook.office365.us, O365USGovDoD
 * webmail.apps.mil, O365China partner.outlook.cn); @azure/identity's AzureAuthorityHosts.
 * In a national cloud the token scope uses that cloud's own resource host.
 *
 * Note: GCC (moderate) tenants use the global endpoints; `usgov` here is GCC High.
 */
import type { ConnectionSettings } from "./settings";

export interface CloudEndpoints {
    /** Graph base URL without version, no trailing slash. */
    graphBaseUrl: string;
    /** Scope for Graph tokens. */
    graphScope: string;
    /** Exchange admin API base URL (InvokeCommand lives under /adminapi/beta/{tenant}). */
    exchangeBaseUrl: string;
    /** Scope for Exchange admin API tokens. */
    exchangeScope: string;
    /** Entra ID authority host for token requests. */
    authorityHost: string;
    /**
     * Hosts the Graph SDK may send the token to besides its built-in list: bare host names,
     * never with a port (the SDK compares host names and silently drops the token otherwise).
     */
    customHosts: string[];
    /** Skip Entra instance discovery (needed for authorities Microsoft does not know). */
    disableInstanceDiscovery: boolean;
    /** PEM CA file to trust in addition to the public roots, if any. */
    caCertPath?: string;
}

interface FixedCloud {
    graph: string;
    exchange: string;
    authority: string;
}

/** The four Microsoft clouds. Hosts only; scopes derive from them. */
export const CLOUDS: Readonly<Record<"global" | "usgov" | "dod" | "china", FixedCloud>> = {
    global: {
        graph: "https://graph.microsoft.com",
        exchange: "https://outlook.office365.com",
        authority: "https://login.microsoftonline.com",
    },
    // Microsoft 365 GCC High.
    usgov: {
        graph: "https://graph.microsoft.us",
        exchange: "https://outlook.office365.us",
        authority: "https://login.microsoftonline.us",
    },
    // Microsoft 365 DoD (US Government L5).
    dod: {
        graph: "https://dod-graph.microsoft.us",
        exchange: "https://webmail.apps.mil",
        authority: "https://login.microsoftonline.us",
    },
    // Microsoft 365 operated by 21Vianet.
    china: {
        graph: "https://microsoftgraph.chinacloudapi.cn",
        exchange: "https://partner.outlook.cn",
        authority: "https://login.chinacloudapi.cn",
    },
};

/** Global token scopes; the custom cloud (local tenant) uses these, as real audiences. */
export const GLOBAL_GRAPH_SCOPE = "https://graph.microsoft.com/.default";
export const GLOBAL_EXCHANGE_SCOPE = "https://outlook.office365.com/.default";

/**
 * Resolve the endpoints for validated settings.
 *
 * @param settings From `loadSettings`; for `custom` the URLs are present (validated there).
 */
export function resolveEndpoints(settings: ConnectionSettings): CloudEndpoints {
    // 1. Custom: everything from the settings, scopes stay the global ones.
    if (settings.cloud === "custom") {
        const graphBaseUrl = stripSlash(settings.graphUrl as string);
        const exchangeBaseUrl = stripSlash(settings.exchangeUrl as string);
        return {
            graphBaseUrl,
            graphScope: GLOBAL_GRAPH_SCOPE,
            exchangeBaseUrl,
            exchangeScope: GLOBAL_EXCHANGE_SCOPE,
            authorityHost: stripSlash(settings.authorityHost as string),
            customHosts: [new URL(graphBaseUrl).hostname],
            disableInstanceDiscovery: true,
            caCertPath: settings.caCertPath,
        };
    }

    // 2. A Microsoft cloud: fixed hosts; the scope is the cloud's own resource.
    const cloud = CLOUDS[settings.cloud];
    return {
        graphBaseUrl: cloud.graph,
        graphScope: `${cloud.graph}/.default`,
        exchangeBaseUrl: cloud.exchange,
        exchangeScope: `${cloud.exchange}/.default`,
        authorityHost: stripSlash(settings.authorityHost ?? cloud.authority),
        customHosts: settings.cloud === "global" ? [] : [new URL(cloud.graph).hostname],
        disableInstanceDiscovery: false,
        caCertPath: settings.caCertPath,
    };
}

function stripSlash(url: string): string {
    return url.replace(/\/+$/, "");
}
