/**
 * The local tenant's data model: everything a scenario file holds and `GET /_local/state`
 * returns. Graph objects keep Graph's own property names so that route handlers can return
 * them with little reshaping; Exchange objects keep the property names that the Exchange
 * admin API (InvokeCommand) returns for the matching Get-* cmdlet.
 *
 * The local tenant imports nothing from the product: this file is the only schema. Graph
 * entities carry their documented properties' types from @microsoft/microsoft-graph-types
 * (`GraphEntity<T>`) and stay open for whatever else a scenario gives them.
 */

import type {
    AppRoleAssignment,
    AuthenticationMethod,
    ConditionalAccessPolicy,
    MessageRuleActions,
    MessageRulePredicates,
    OAuth2PermissionGrant,
    ServicePrincipal,
} from "@microsoft/microsoft-graph-types";

/** A JSON object as Graph returns it (entity properties plus `@odata.type` where Graph has it). */
export type GraphObject = Record<string, unknown>;

/**
 * A Graph entity as the tenant stores and returns it: the documented properties of `T` (from
 * @microsoft/microsoft-graph-types), and any other property a scenario gives it.
 */
export type GraphEntity<T> = T & GraphObject;

/** An app registration that may ask the token endpoint for tokens (client credentials). */
export interface AppRegistration {
    clientId: string;
    clientSecret: string;
    displayName: string;
    /** The object id of the app's service principal (the identity "running the deployment"). */
    servicePrincipalId: string;
    /** Graph application permissions granted to the app (appear as `roles` in Graph tokens). */
    graphRoles: string[];
    /**
     * Exchange Online: whether the `Exchange.ManageAsApp` app role is granted, and the Exchange
     * management roles (RBAC for applications) assigned to the app's service principal.
     */
    exchangeManageAsApp: boolean;
    exchangeRoles: string[];
    /**
     * Optional: certificates (PEM, public part only) whose private key may sign a
     * `client_assertion` for this app (ClientCertificateCredential).
     */
    certificates?: Array<{ certificatePem: string; displayName?: string }>;
    /**
     * Optional: federated identity credentials (WorkloadIdentityCredential). The token endpoint
     * accepts an assertion whose iss, sub and aud match one of these.
     */
    federatedIdentityCredentials?: Array<{ issuer: string; subject: string; audiences: string[] }>;
}

/** An inbox rule as Exchange and Graph both see it; Graph hides `isHidden` rules from lists. */
export interface InboxRule {
    /** Graph messageRule id (base64-looking, as Graph issues them). */
    id: string;
    displayName: string;
    sequence: number;
    isEnabled: boolean;
    /** Hidden rules (for example made through MAPI) are returned only by Get-InboxRule -IncludeHidden. */
    isHidden?: boolean;
    hasError?: boolean;
    isReadOnly?: boolean;
    /** Graph messageRulePredicates. */
    conditions?: GraphEntity<MessageRulePredicates>;
    /** Graph messageRuleActions (forwardTo, redirectTo, moveToFolder, delete, markAsRead, ...). */
    actions?: GraphEntity<MessageRuleActions>;
    exceptions?: GraphEntity<MessageRulePredicates>;
}

/** A message in a mailbox folder (enough for investigation: sent mail, phishing sent out). */
export interface MailMessage {
    id: string;
    /** Well-known folder name: inbox, sentitems, deleteditems, rssfeeds, archive, junkemail, ... */
    folder: string;
    subject: string;
    from?: GraphObject;
    sender?: GraphObject;
    toRecipients?: GraphObject[];
    ccRecipients?: GraphObject[];
    replyTo?: GraphObject[];
    receivedDateTime?: string;
    sentDateTime?: string;
    internetMessageId?: string;
    bodyPreview?: string;
    hasAttachments?: boolean;
    isRead?: boolean;
}

/** Exchange mailbox settings and permissions for one user. */
export interface Mailbox {
    /** Exchange identity fields, as Get-Mailbox returns them. */
    alias: string;
    primarySmtpAddress: string;
    recipientTypeDetails: "UserMailbox" | "SharedMailbox" | "RoomMailbox" | "EquipmentMailbox";
    forwardingSmtpAddress: string | null;
    forwardingAddress: string | null;
    deliverToMailboxAndForward: boolean;
    /** Recipients allowed to send on behalf (Exchange identities: UPN or alias). */
    grantSendOnBehalfTo: string[];
    auditEnabled: boolean;
    /** CAS mailbox protocol switches (Set-CASMailbox). */
    popEnabled: boolean;
    imapEnabled: boolean;
    activeSyncEnabled: boolean;
    ewsEnabled: boolean;
    mapiEnabled: boolean;
    owaEnabled: boolean;
    smtpClientAuthenticationDisabled: boolean | null;
    inboxRules: InboxRule[];
    /** Get-MailboxPermission rows (FullAccess, ReadPermission, ...). */
    mailboxPermissions: Array<{
        user: string;
        accessRights: string[];
        isInherited: boolean;
        deny: boolean;
    }>;
    /** Get-RecipientPermission rows (SendAs). */
    recipientPermissions: Array<{ trustee: string; accessRights: string[]; isInherited: boolean }>;
    /** Get-MailboxFolderPermission rows; folder is the path after the colon, e.g. "\\Inbox". */
    folderPermissions: Array<{ folder: string; user: string; accessRights: string[] }>;
    messages: MailMessage[];
    /**
     * Optional: Graph mailboxSettings (automaticRepliesSetting, timeZone, language, ...) as
     * GET /users/{id}/mailboxSettings returns them; absent means Outlook's defaults.
     */
    mailboxSettings?: GraphObject;
}

/** A directory user plus what hangs off it. */
export interface User {
    id: string;
    userPrincipalName: string;
    displayName: string;
    mail: string | null;
    givenName?: string | null;
    surname?: string | null;
    jobTitle?: string | null;
    department?: string | null;
    accountEnabled: boolean;
    userType: "Member" | "Guest";
    /** True for users synced from on-premises AD (changes are overwritten by sync). */
    onPremisesSyncEnabled: boolean | null;
    onPremisesImmutableId?: string | null;
    createdDateTime: string;
    /** Sessions issued before this time are invalid (moved by revokeSignInSessions). */
    signInSessionsValidFromDateTime: string;
    lastPasswordChangeDateTime: string;
    passwordPolicies?: string | null;
    /** Not returned by Graph; the local tenant keeps whether a change is forced at next sign-in. */
    passwordProfile?: {
        forceChangePasswordNextSignIn: boolean;
        forceChangePasswordNextSignInWithMfa?: boolean;
    };
    /**
     * Only a hash-free marker: the local tenant never stores the plain password. It keeps the
     * time it was last set and a SHA-256 of it so tests can prove a reset happened.
     */
    passwordSha256?: string;
    /** Authentication methods, each with Graph's `@odata.type` (…passwordAuthenticationMethod, …). */
    authenticationMethods: Array<GraphEntity<AuthenticationMethod>>;
    /** Id of the method used by default for MFA (it must be deleted last). */
    defaultMethodId?: string | null;
    /** Group object ids the user belongs to. */
    memberOf: string[];
    /** Directory role template ids held by the user (e.g. Global Administrator). */
    directoryRoles?: string[];
    mailbox: Mailbox | null;
    /**
     * Optional (beta signInPreferences): switches the user set that are not derived from the
     * methods, e.g. `isSystemPreferredAuthenticationMethodEnabled`.
     */
    signInPreferences?: GraphObject;
}

export interface Group {
    id: string;
    displayName: string;
    mailNickname?: string;
    securityEnabled: boolean;
    mailEnabled: boolean;
}

export interface TenantState {
    /** Schema version of this file format. */
    schemaVersion: 1;
    tenant: {
        id: string;
        displayName: string;
        /** The initial *.onmicrosoft.com domain. */
        initialDomain: string;
        verifiedDomains: string[];
    };
    /** App registrations that may get tokens; the first one is what the CLI prints. */
    apps: AppRegistration[];
    users: User[];
    groups: Group[];
    /** Graph servicePrincipal objects (id, appId, displayName, accountEnabled, ...). */
    servicePrincipals: Array<GraphEntity<ServicePrincipal>>;
    /** Graph oAuth2PermissionGrant objects (consentType AllPrincipals or Principal). */
    oauth2PermissionGrants: Array<GraphEntity<OAuth2PermissionGrant>>;
    /** Graph appRoleAssignment objects (principalId is the user or group). */
    appRoleAssignments: Array<GraphEntity<AppRoleAssignment>>;
    policies: {
        authenticationMethodsPolicy: GraphObject;
        authorizationPolicy: GraphObject;
        adminConsentRequestPolicy: GraphObject;
        identitySecurityDefaultsEnforcementPolicy?: GraphObject;
    };
    conditionalAccess: {
        policies: Array<GraphEntity<ConditionalAccessPolicy>>;
        namedLocations: GraphObject[];
        authenticationStrengthPolicies?: GraphObject[];
    };
    auditLogs: {
        signIns: GraphObject[];
        directoryAudits: GraphObject[];
    };
    /** Organisation-wide Exchange Online settings, shaped as the Get-* cmdlets return them. */
    exchange: {
        organizationConfig: Record<string, unknown>;
        adminAuditLogConfig: Record<string, unknown>;
        hostedOutboundSpamFilterPolicies: Array<Record<string, unknown>>;
        remoteDomains: Array<Record<string, unknown>>;
        transportRules: Array<Record<string, unknown>>;
        /**
         * Get-DkimSigningConfig objects (Domain, Enabled, Selector1CNAME, Selector2CNAME, ...).
         * The local tenant also reads `cnamesPublished` (boolean, default false) on each: whether
         * the domain's selector CNAMEs exist in DNS. Exchange refuses to enable signing until
         * they do; the baseline's DNS step or a test sets it (PUT /_local/state).
         */
        dkimSigningConfigs: Array<Record<string, unknown>>;
        acceptedDomains: Array<Record<string, unknown>>;
        transportConfig?: Record<string, unknown>;
        /**
         * Get-ExternalInOutlook (external sender tagging): Identity, Enabled, AllowList.
         * Added by the exchange engineer; absent means Exchange's default (Enabled false).
         */
        externalInOutlook?: Record<string, unknown>;
    };
}
