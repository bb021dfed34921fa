/**
 * A small tenant for the connection tests: enough users to page through, mailboxes with inbox
 * rules for the Outlook limits, and the Exchange objects the client tests read. Built in code
 * (not a scenario file) so each test file can size it, and written to the test's temp dir.
 */
import * as fs from "fs";
import * as path from "path";

import type { TenantState, User } from "../../../local-tenant/model";
import { startLocalTenant } from "../../../local-tenant/server";
import {
    requiredExchangeRoles,
    requiredGraphRoles,
} from "../../../dynamic-providers/connection/permissions";
import { newMailbox } from "../../support/mailbox";
import { removeStateDirOnStop, tempStateDir, type TestTenant } from "../../support/local-tenant";

export type { TestTenant };

export const TENANT_ID = "7d6a4c2e-3b1f-4e8a-9c5d-2f1e0b9a8c7d";
export const CLIENT_ID = "0f3c9a51-6e2d-4b7a-8c1e-5d4f3a2b1c0e";
export const DOMAIN = "fabrikam-test.onmicrosoft.com";
/** A second app holding the manifest minus User.EnableDisableAccount.All and "Mail Recipients". */
export const RESTRICTED_CLIENT_ID = "5b8e2d41-9c3a-4f6e-b7d2-1a0c9e8f7d6b";
export const RESTRICTED_SECRET = "restricted-app-secret-for-403-tests";

/** A deterministic GUID from a number (ids stay stable across runs). */
export function guid(n: number): string {
    const hex = n.toString(16).padStart(12, "0");
    return `00000000-0000-4000-8000-${hex}`;
}

function user(n: number): User {
    const upn = `user${n}@${DOMAIN}`;
    return {
        id: guid(n),
        userPrincipalName: upn,
        displayName: `User ${n}`,
        mail: upn,
        accountEnabled: true,
        userType: "Member",
        onPremisesSyncEnabled: null,
        createdDateTime: "2025-01-01T00:00:00Z",
        signInSessionsValidFromDateTime: "2025-01-01T00:00:00Z",
        lastPasswordChangeDateTime: "2025-01-01T00:00:00Z",
        authenticationMethods: [],
        memberOf: [],
        mailbox: newMailbox(`user${n}`, upn, {
            inboxRules: [
                {
                    id: `AQAAAJ5dZ${n}=`,
                    displayName: `Rule of user ${n}`,
                    sequence: 1,
                    isEnabled: true,
                    conditions: { subjectContains: ["invoice"] },
                    actions: { moveToFolder: "archive" },
                },
            ],
        }),
    };
}

/** The tenant state with `userCount` users (user1 ... userN). */
export function connectionTenant(userCount: number): TenantState {
    return {
        schemaVersion: 1,
        tenant: {
            id: TENANT_ID,
            displayName: "Fabrikam (connection tests)",
            initialDomain: DOMAIN,
            verifiedDomains: [DOMAIN],
        },
        apps: [
            {
                clientId: CLIENT_ID,
                clientSecret: "fixture-secret-replaced-at-start",
                displayName: "BEC Guard",
                servicePrincipalId: guid(900_000),
                graphRoles: [],
                exchangeManageAsApp: false,
                exchangeRoles: [],
            },
            {
                clientId: RESTRICTED_CLIENT_ID,
                clientSecret: RESTRICTED_SECRET,
                displayName: "BEC Guard without account enable/disable and Mail Recipients",
                servicePrincipalId: guid(900_001),
                graphRoles: requiredGraphRoles().filter(
                    (r) => r !== "User.EnableDisableAccount.All",
                ),
                exchangeManageAsApp: true,
                exchangeRoles: requiredExchangeRoles().filter((r) => r !== "Mail Recipients"),
            },
        ],
        users: Array.from({ length: userCount }, (_, i) => user(i + 1)),
        groups: [],
        servicePrincipals: [],
        oauth2PermissionGrants: [],
        appRoleAssignments: [],
        policies: {
            authenticationMethodsPolicy: { id: "authenticationMethodsPolicy" },
            authorizationPolicy: { id: "authorizationPolicy" },
            adminConsentRequestPolicy: { isEnabled: false },
        },
        conditionalAccess: { policies: [], namedLocations: [] },
        auditLogs: { signIns: [], directoryAudits: [] },
        exchange: {
            organizationConfig: { Name: "fabrikam-test", AuditDisabled: false },
            adminAuditLogConfig: { UnifiedAuditLogIngestionEnabled: false },
            hostedOutboundSpamFilterPolicies: [
                { Identity: "Default", AutoForwardingMode: "Automatic" },
            ],
            remoteDomains: [{ Identity: "Default", DomainName: "*", AutoForwardEnabled: true }],
            transportRules: [],
            dkimSigningConfigs: [],
            acceptedDomains: Array.from({ length: 5 }, (_, i) => ({
                Identity: `domain${i}.example`,
                DomainName: `domain${i}.example`,
                DomainType: "Authoritative",
                Default: i === 0,
            })),
        },
    };
}

/**
 * Graph roles the connection tests hold on top of the manifest: they exercise the connection's
 * Outlook per-mailbox limits on Graph inbox-rule reads, a mailbox path the product itself
 * reaches through Exchange rather than Graph.
 */
export const CONNECTION_TEST_GRAPH_ROLES = [...requiredGraphRoles(), "MailboxSettings.Read"];

/**
 * Start a local tenant for one test file, granted the manifest's roles (and the mailbox read
 * above).
 *
 * @param userCount Users in the tenant (paging tests want more than a page).
 * @param extra Options passed through to startLocalTenant (exchangePageSize, throttling).
 * @param mutate Changes to the tenant before it starts (extra apps, certificates).
 */
export async function startConnectionTenant(
    userCount = 30,
    extra: Partial<Parameters<typeof startLocalTenant>[0]> = {},
    mutate?: (state: TenantState) => void,
): Promise<TestTenant> {
    const stateDir = tempStateDir("bec-guard-conn-");
    const scenarioFile = path.join(stateDir, "scenario.json");
    const state = connectionTenant(userCount);
    mutate?.(state);
    fs.writeFileSync(scenarioFile, JSON.stringify(state));
    const tenant = await startLocalTenant({
        port: 0,
        stateDir,
        scenario: scenarioFile,
        grantedGraphRoles: CONNECTION_TEST_GRAPH_ROLES,
        grantedExchangeRoles: requiredExchangeRoles(),
        ...extra,
    });
    return removeStateDirOnStop(tenant, stateDir);
}

/** The tenant's env without NODE_EXTRA_CA_CERTS: our code must trust the CA on its own. */
export function envWithoutNodeCa(tenant: TestTenant): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...tenant.env };
    delete env.NODE_EXTRA_CA_CERTS;
    return env;
}
