/**
 * Helpers for the Graph route tests: a local tenant on a shipped scenario in a temporary state
 * directory, tokens carrying exactly the permissions a test names, and the scenario's ids.
 */
import type { TenantState } from "../../local-tenant/model";
import {
    startLocalTenant,
    type LocalTenant,
    type LocalTenantOptions,
} from "../../local-tenant/server";
import { removeStateDirOnStop, tempStateDir } from "../support/local-tenant";
import { call, getToken, type Answer } from "./helpers";

export { call, closeAgents } from "./helpers";

/** Starts a tenant on `scenario` in a fresh temporary state directory, throttling off. */
export async function startScenarioTenant(
    scenario = "contoso-bec",
    options: LocalTenantOptions = {},
): Promise<LocalTenant> {
    const stateDir = tempStateDir("bec-guard-graph-");
    const tenant = await startLocalTenant({
        scenario,
        port: 0,
        throttling: false,
        ...options,
        stateDir,
    });
    return removeStateDirOnStop(tenant, stateDir);
}

/**
 * A Graph token for the tenant's first app carrying exactly `roles`: the grants are changed
 * in the live state, then a fresh token is asked for (tokens carry the roles granted when
 * they were issued, as in Entra).
 */
export async function tokenWith(tenant: LocalTenant, roles: string[]): Promise<string> {
    tenant.control.getState().apps[0].graphRoles = [...roles];
    return getToken(tenant);
}

/** Shorthand for a Graph call with a token: `graph(t, token, "GET", "/v1.0/users")`. */
export function graph(
    tenant: LocalTenant,
    token: string,
    method: string,
    urlPath: string,
    body?: unknown,
): Promise<Answer> {
    return call(tenant, method, urlPath, { token, body });
}

/** A deep copy of the tenant state, for comparisons before and after a call. */
export function snapshot(tenant: LocalTenant): TenantState {
    return structuredClone(tenant.control.getState());
}

/**
 * A valid Conditional Access policy, conditions including applications: MFA for everyone but
 * contoso-bec's break-glass group, report-only. `overrides` replaces whole top-level properties.
 */
export function mfaPolicy(overrides: Record<string, unknown> = {}) {
    return {
        displayName: "Require MFA for all users",
        state: "enabledForReportingButNotEnforced",
        conditions: {
            users: { includeUsers: ["All"], excludeGroups: [CONTOSO.groups.breakGlass] },
            applications: { includeApplications: ["All"] },
            clientAppTypes: ["all"],
        },
        grantControls: { operator: "OR", builtInControls: ["mfa"] },
        ...overrides,
    };
}

/** Ids of the contoso-bec scenario (docs/local-tenant-scenarios.md tells their story). */
export const CONTOSO = {
    tenantId: "e545e4ef-0b72-467e-a024-02d9e16b004a",
    megan: { id: "a229b752-17ec-4704-9971-4b4021745a1c", upn: "megan.bowen@contoso.com" },
    pradeep: { id: "70e9f528-e871-4b4b-ace3-f756894d8c64", upn: "pradeep.gupta@contoso.com" },
    grady: { id: "2682b219-ae4b-40a2-bdb3-4903b0a1885b", upn: "grady.archie@contoso.com" },
    nestor: { id: "2cc790db-4e9a-4344-ac49-5e59bff8ab80", upn: "nestor.wilke@contoso.com" },
    isaiah: { id: "70e5825c-8fe8-439f-84ee-e4c38eb8d330", upn: "isaiah.langer@contoso.com" },
    alex: { id: "64d63e71-a429-4f27-a1a1-6d70867244be", upn: "alex.wilber@contoso.com" },
    sharedMailbox: {
        id: "8479dd9e-c39f-4a02-a4f1-8bf809001b0d",
        upn: "accounts.payable@contoso.com",
    },
    breakGlass: {
        id: "734a9b85-fe0b-4599-89a9-4993762843dc",
        upn: "breakglass01@contoso.onmicrosoft.com",
    },
    synced: { id: "93698fa0-e107-451d-aabe-9e8a00798bc7", upn: "lynne.robbins@contoso.com" },
    guest: {
        id: "4bc18241-4c48-4a27-aaa3-16d470b30f9c",
        upn: "kat.larson_fabrikam.com#EXT#@contoso.onmicrosoft.com",
    },
    admin: { id: "468fbb25-4069-4939-93dc-a0f0cb362882", upn: "diego.siciliani@contoso.com" },
    groups: {
        finance: "4310be70-ea3a-4afa-9464-7e3bde5aaec8",
        allStaff: "da10dbb6-1edd-4470-91ca-28866accf3cb",
        breakGlass: "bfe45462-1c1f-46f3-af25-99646e1a9345",
        executives: "98dd0471-17aa-4189-81a8-f7824c7cebc7",
    },
    servicePrincipals: {
        becGuard: "5d1949bf-e569-417f-8b20-c88415e94b56",
        graph: "4b14817b-2938-4435-a482-700553693a24",
        malicious: "0a9f1eba-e4fe-4b25-9c45-00527651c91f",
        expense: "fc7a43f5-d0fd-4c24-90ce-4c8f135f514d",
    },
    apps: {
        becGuard: "4f302b5e-4562-4792-8f6f-01842cc39122",
        malicious: "1c62a59e-6b0d-40e2-bcc0-9172058e4b4f",
    },
    rules: {
        hiddenForward: "AQAAAJ6Z6yg=",
        rssFeeds: "AQAAAPZ+srs=",
        meganTeam: "AQAAAEz+hjU=",
        alexNewsletters: "AQAAABMqCY0=",
        nestorNewsletters: "AQAAACEqrlQ=",
    },
    methods: {
        meganFido2: "34cb993b-30a1-4b0b-b056-5581d19057c3",
        attackerAuthenticator: "1a950e17-94da-4075-b940-70f6c3612df8",
        attackerPhone: "3179e48a-750b-4051-897c-87b9720928f7",
        password: "28c10230-6103-485e-b985-444c60001490",
    },
    grants: {
        malicious: "SkssD14TtFosVKypfKdsNLsyqrGK7ghIE_vNmC7xKZVf5FJVOvKocLou1jCsk3zB",
        expenseTenantWide: "rFrz7zDot60ZFrjY4LfCQDgkBeiU8EPvm7M-yAHSsJWghisIPDR-c203cW8EECLW",
        alexExpense: "ge228Riu-cS-qmIDJEB4Ovs9thkEVTcqnislW8jXsb6a8TbKy1SoSmS9a1Ow8ybN",
    },
    appRoleAssignments: {
        meganMalicious: "WT4pcxe5AgOUd8Hrv7iqRc5BA2ym1zInMtLGQqrzhDl",
        meganExpense: "JT4nCiE5vcaXRe5UH9bXDQ9KC_imi5ec_BZxiWshIuL",
    },
    attackerIp: "185.220.101.47",
    forwardingAddress: "ap.remittance.contoso@proton.me",
};
