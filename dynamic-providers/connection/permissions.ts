/**
 * The permission manifest: every Microsoft Graph application permission and every Exchange
 * Online role that BEC Guard uses, with the operations that need it and why.
 *
 * This is the ONE place permissions live. The local tenant issues tokens carrying exactly the
 * roles listed here, so code that calls an endpoint missing from this table fails its tests with
 * a 403. When you add a Graph call or an Exchange cmdlet, add its row here in the same commit.
 *
 * Rules for a row:
 * - `permissions` is what the app must hold for the call, ALL of them (Conditional Access writes
 *   need Policy.Read.All and Policy.ReadWrite.ConditionalAccess together).
 * - Prefer the documented least-privileged application permission. Where we already hold a
 *   documented higher one for another operation on the same resource (reads of consent grants
 *   are covered by DelegatedPermissionGrant.ReadWrite.All), list the one we hold, and say so in
 *   `why`, so the granted set stays as small as possible overall.
 * - Only what the code calls: a permission "for later" is a permission an attacker who steals
 *   the app's credential gets today.
 * - `why` is written for the administrator who grants it: what breaks without it.
 *
 * docs/permissions.md is the human-readable copy of this table; keep both in step.
 */

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** One Graph call the product makes. */
export interface GraphOperation {
    /** Stable name, `area.action`, used in 403 hints and docs. */
    operation: string;
    method: HttpMethod;
    /**
     * Path below the version (no `/v1.0` or `/beta`), `{name}` matching one segment. Literal
     * segments match case-insensitively, as Graph does.
     */
    path: string;
    /**
     * When several operations share a method and path (PATCH /users/{id} disables an account or
     * resets a password), the request body property that tells them apart.
     */
    bodyHas?: string;
    /** Application permissions needed, all of them. */
    permissions: string[];
    /** Which API versions the product calls it on (default v1.0). */
    versions?: Array<"v1.0" | "beta">;
    /** Why the product needs it, for the administrator granting it. */
    why: string;
}

/** One Exchange cmdlet the product invokes through the admin API. */
export interface ExchangeOperation {
    cmdlet: string;
    /** The Exchange management role (RBAC for applications) we assign for it. */
    role: string;
    why: string;
}

/**
 * The app role on the Office 365 Exchange Online resource that lets an app call the Exchange
 * admin API at all. It grants nothing by itself: the management roles below say which cmdlets.
 */
export const EXCHANGE_APP_ROLE = "Exchange.ManageAsApp";

/**
 * Graph operations. Grouped by the playbook step that needs them.
 */
export const GRAPH_OPERATIONS: readonly GraphOperation[] = [
    // Resolve the user, refuse break-glass and synced accounts.
    {
        operation: "users.get",
        method: "GET",
        path: "/users/{id}",
        permissions: ["User.Read.All"],
        why: "Resolve the user to contain (id, UPN, enabled, synced from on-premises, guest).",
    },
    {
        operation: "users.list",
        method: "GET",
        path: "/users",
        permissions: ["User.Read.All"],
        why: "Look users up by UPN or filter (break-glass accounts, incident users).",
    },

    // Cut off: disable, revoke, reset.
    {
        operation: "users.setAccountEnabled",
        method: "PATCH",
        path: "/users/{id}",
        bodyHas: "accountEnabled",
        permissions: ["User.EnableDisableAccount.All"],
        why: "Disable the compromised account on containment and enable it again on release.",
    },
    {
        operation: "users.resetPassword",
        method: "PATCH",
        path: "/users/{id}",
        bodyHas: "passwordProfile",
        permissions: ["User-PasswordProfile.ReadWrite.All"],
        why:
            "Reset the password to a random value the attacker does not know. Note: app-only " +
            "password resets also need an Entra role on the app (User Administrator, or " +
            "Privileged Authentication Administrator for users holding admin roles).",
    },
    {
        operation: "users.revokeSignInSessions",
        method: "POST",
        path: "/users/{id}/revokeSignInSessions",
        permissions: ["User.RevokeSessions.All"],
        why: "Invalidate the attacker's refresh tokens and browser sessions.",
    },

    // Authentication methods.
    {
        operation: "authMethods.list",
        method: "GET",
        path: "/users/{id}/authentication/methods",
        permissions: ["UserAuthenticationMethod.ReadWrite.All"],
        why:
            "Record the user's MFA methods as evidence. Least documented is " +
            "UserAuthenticationMethod.Read.All; the ReadWrite we hold for removal covers it.",
    },
    {
        operation: "authMethods.getSignInPreferences",
        method: "GET",
        path: "/users/{id}/authentication/signInPreferences",
        permissions: ["UserAuthenticationMethod.ReadWrite.All"],
        versions: ["beta"],
        why: "Find the default MFA method, which must be removed last.",
    },
    {
        operation: "authMethods.updateSignInPreferences",
        method: "PATCH",
        path: "/users/{id}/authentication/signInPreferences",
        permissions: ["UserAuthenticationMethod.ReadWrite.All"],
        versions: ["beta"],
        why:
            "Make a method the user keeps their default, so the attacker's default method can be " +
            "removed (Graph refuses to remove the default while other methods remain).",
    },
    {
        operation: "authMethods.delete",
        method: "DELETE",
        path: "/users/{id}/authentication/{methodType}/{methodId}",
        permissions: ["UserAuthenticationMethod.ReadWrite.All"],
        why: "Remove MFA methods the attacker may have registered.",
    },
    {
        operation: "authMethods.createTemporaryAccessPass",
        method: "POST",
        path: "/users/{id}/authentication/temporaryAccessPassMethods",
        permissions: ["UserAuthenticationMethod.ReadWrite.All"],
        why: "Issue a one-time Temporary Access Pass on release for in-person MFA re-registration.",
    },

    // OAuth consent grants and app role assignments.
    {
        operation: "grants.listForUser",
        method: "GET",
        path: "/users/{id}/oauth2PermissionGrants",
        permissions: ["DelegatedPermissionGrant.ReadWrite.All"],
        why:
            "Record the user's delegated consent grants. Least documented is Directory.Read.All, " +
            "which reads the whole directory; the grant-scoped ReadWrite we hold covers it.",
    },
    {
        operation: "grants.list",
        method: "GET",
        path: "/oauth2PermissionGrants",
        permissions: ["DelegatedPermissionGrant.ReadWrite.All"],
        why: "Find tenant-wide (AllPrincipals) grants to apps the user consented to.",
    },
    {
        operation: "grants.delete",
        method: "DELETE",
        path: "/oauth2PermissionGrants/{grantId}",
        permissions: ["DelegatedPermissionGrant.ReadWrite.All"],
        why: "Revoke consent grants to apps outside the allow-list.",
    },
    {
        operation: "appRoleAssignments.listForUser",
        method: "GET",
        path: "/users/{id}/appRoleAssignments",
        permissions: ["AppRoleAssignment.ReadWrite.All"],
        why: "Record the apps the user is assigned to (covered by the ReadWrite we hold).",
    },
    {
        operation: "appRoleAssignments.delete",
        method: "DELETE",
        path: "/users/{id}/appRoleAssignments/{assignmentId}",
        permissions: ["AppRoleAssignment.ReadWrite.All"],
        why: "Remove app role assignments outside the allow-list.",
    },

    // Service principals: read only. Containment records the app behind a grant and revokes
    // the user's grant; disabling an app for everyone is a responder's separate decision.
    {
        operation: "servicePrincipals.get",
        method: "GET",
        path: "/servicePrincipals/{id}",
        permissions: ["Application.Read.All"],
        why: "Read the app behind a grant (publisher, verified, enabled).",
    },
    {
        operation: "servicePrincipals.list",
        method: "GET",
        path: "/servicePrincipals",
        permissions: ["Application.Read.All"],
        why: "Find an app's service principal by appId.",
    },

    // Permission classifications: what user consent "low risk" lets users grant.
    {
        operation: "servicePrincipals.listPermissionClassifications",
        method: "GET",
        path: "/servicePrincipals/{id}/delegatedPermissionClassifications",
        permissions: ["Application.Read.All"],
        why:
            "Record Microsoft Graph's delegated permission classifications before classifying " +
            "the sign-in permissions low risk (Application.Read.All is the least documented).",
    },
    {
        operation: "servicePrincipals.createPermissionClassification",
        method: "POST",
        path: "/servicePrincipals/{id}/delegatedPermissionClassifications",
        permissions: ["Policy.ReadWrite.PermissionGrant"],
        why:
            "Classify openid, profile, email, offline_access and User.Read as low risk, so users " +
            "limited to verified publishers and low-risk permissions can still sign in to apps.",
    },
    {
        operation: "servicePrincipals.deletePermissionClassification",
        method: "DELETE",
        path: "/servicePrincipals/{id}/delegatedPermissionClassifications/{classificationId}",
        permissions: ["Policy.ReadWrite.PermissionGrant"],
        why: "Replace a permission's other classification, and restore what the tenant had on delete.",
    },

    // Tenant-wide policies (singletons: record, patch declared fields, restore).
    {
        operation: "policies.getAuthenticationMethodsPolicy",
        method: "GET",
        path: "/policies/authenticationMethodsPolicy",
        permissions: ["Policy.ReadWrite.AuthenticationMethod"],
        why: "Record the methods policy before changing it (covered by the ReadWrite we hold).",
    },
    {
        operation: "policies.updateAuthenticationMethodsPolicy",
        method: "PATCH",
        path: "/policies/authenticationMethodsPolicy",
        permissions: ["Policy.ReadWrite.AuthenticationMethod"],
        why: "Set the registration campaign and policy-wide settings.",
    },
    {
        operation: "policies.getAuthenticationMethodConfiguration",
        method: "GET",
        path: "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{methodId}",
        permissions: ["Policy.ReadWrite.AuthenticationMethod"],
        why:
            "Record one method's configuration (FIDO2, SMS, TAP, ...) before changing it, and " +
            "read the Temporary Access Pass limits before a quarantine release issues one.",
    },
    {
        operation: "policies.updateAuthenticationMethodConfiguration",
        method: "PATCH",
        path: "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{methodId}",
        permissions: ["Policy.ReadWrite.AuthenticationMethod"],
        why: "Turn phishable methods off and phishing-resistant ones on.",
    },
    {
        operation: "policies.getAuthorizationPolicy",
        method: "GET",
        path: "/policies/authorizationPolicy",
        permissions: ["Policy.Read.All"],
        why: "Record the user consent settings before changing them.",
    },
    {
        operation: "policies.updateAuthorizationPolicy",
        method: "PATCH",
        path: "/policies/authorizationPolicy",
        permissions: ["Policy.ReadWrite.Authorization"],
        why: "Limit user consent to verified publishers and low-risk permissions, or turn it off.",
    },
    {
        operation: "policies.getAdminConsentRequestPolicy",
        method: "GET",
        path: "/policies/adminConsentRequestPolicy",
        permissions: ["Policy.Read.All"],
        why: "Record the admin consent workflow settings before changing them.",
    },
    {
        operation: "policies.putAdminConsentRequestPolicy",
        method: "PUT",
        path: "/policies/adminConsentRequestPolicy",
        permissions: ["Policy.ReadWrite.ConsentRequest"],
        why: "Turn the admin consent workflow on with named reviewers (PUT replaces the object).",
    },

    // Conditional Access (azuread manages most; token protection is a beta dynamic provider).
    {
        operation: "conditionalAccess.listPolicies",
        method: "GET",
        path: "/identity/conditionalAccess/policies",
        permissions: ["Policy.Read.All"],
        versions: ["v1.0", "beta"],
        why: "Read Conditional Access policies (drift, token protection policy).",
    },
    {
        operation: "conditionalAccess.getPolicy",
        method: "GET",
        path: "/identity/conditionalAccess/policies/{policyId}",
        permissions: ["Policy.Read.All"],
        versions: ["v1.0", "beta"],
        why: "Read one Conditional Access policy.",
    },
    {
        operation: "conditionalAccess.createPolicy",
        method: "POST",
        path: "/identity/conditionalAccess/policies",
        permissions: ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        versions: ["v1.0", "beta"],
        why:
            "Create the baseline policies. Graph documents Application.Read.All beside these " +
            "two for policy writes (to resolve app conditions); the Application.Read.All we " +
            "hold for service principals covers it.",
    },
    {
        operation: "conditionalAccess.updatePolicy",
        method: "PATCH",
        path: "/identity/conditionalAccess/policies/{policyId}",
        permissions: ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        versions: ["v1.0", "beta"],
        why: "Move a policy from report-only to enforced, or correct drift.",
    },
    {
        operation: "conditionalAccess.deletePolicy",
        method: "DELETE",
        path: "/identity/conditionalAccess/policies/{policyId}",
        permissions: ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        versions: ["v1.0", "beta"],
        why: "Remove a baseline policy when it leaves the stack.",
    },
    {
        operation: "conditionalAccess.listNamedLocations",
        method: "GET",
        path: "/identity/conditionalAccess/namedLocations",
        permissions: ["Policy.Read.All"],
        why: "Read the allowed-countries named locations.",
    },
    {
        operation: "conditionalAccess.createNamedLocation",
        method: "POST",
        path: "/identity/conditionalAccess/namedLocations",
        permissions: ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        why: "Create the allowed-countries named location.",
    },
    {
        operation: "conditionalAccess.updateNamedLocation",
        method: "PATCH",
        path: "/identity/conditionalAccess/namedLocations/{locationId}",
        permissions: ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        why: "Change the allowed countries.",
    },
    {
        operation: "conditionalAccess.deleteNamedLocation",
        method: "DELETE",
        path: "/identity/conditionalAccess/namedLocations/{locationId}",
        permissions: ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"],
        why: "Remove a named location when it leaves the stack.",
    },

    // JSON batching itself needs no permission; each item is checked on its own.
    {
        operation: "batch",
        method: "POST",
        path: "/$batch",
        permissions: [],
        versions: ["v1.0", "beta"],
        why:
            "Send up to 20 independent requests in one round trip (beta for the beta-only " +
            "signInPreferences reads and writes).",
    },
];

/**
 * Exchange cmdlets, each with the management role we assign to the app's service principal in
 * Exchange (RBAC for applications). All of them also need the Exchange.ManageAsApp app role.
 */
export const EXCHANGE_OPERATIONS: readonly ExchangeOperation[] = [
    // Mailbox containment (Quarantine).
    {
        cmdlet: "Get-Mailbox",
        role: "Mail Recipients",
        why: "Record mailbox forwarding and send-on-behalf.",
    },
    {
        cmdlet: "Set-Mailbox",
        role: "Mail Recipients",
        why: "Clear mailbox forwarding and send-on-behalf delegates.",
    },
    {
        cmdlet: "Get-InboxRule",
        role: "Mail Recipients",
        why: "Record inbox rules including hidden ones (-IncludeHidden).",
    },
    {
        cmdlet: "Disable-InboxRule",
        role: "Mail Recipients",
        why: "Disable rules Graph cannot see (hidden rules).",
    },
    {
        cmdlet: "Get-MailboxPermission",
        role: "Mail Recipients",
        why: "Record FullAccess delegates.",
    },
    {
        cmdlet: "Remove-MailboxPermission",
        role: "Mail Recipients",
        why: "Remove FullAccess delegates outside the allow-list.",
    },
    { cmdlet: "Get-RecipientPermission", role: "Mail Recipients", why: "Record SendAs delegates." },
    {
        cmdlet: "Remove-RecipientPermission",
        role: "Mail Recipients",
        why: "Remove SendAs delegates outside the allow-list.",
    },
    {
        cmdlet: "Get-MailboxFolderPermission",
        role: "Mail Recipients",
        why: "Record folder-level delegates.",
    },
    {
        cmdlet: "Remove-MailboxFolderPermission",
        role: "Mail Recipients",
        why: "Remove folder delegates outside the allow-list.",
    },
    {
        cmdlet: "Get-CASMailbox",
        role: "Mail Recipients",
        why: "Record which mail protocols were on before containment.",
    },
    {
        cmdlet: "Set-CASMailbox",
        role: "Mail Recipients",
        why: "Turn off legacy mail protocols (POP, IMAP, ActiveSync, EWS).",
    },

    // Baseline: forwarding, Reply-To warning, auditing, DKIM.
    {
        cmdlet: "Get-HostedOutboundSpamFilterPolicy",
        role: "Transport Hygiene",
        why: "Read the automatic forwarding setting.",
    },
    {
        cmdlet: "Set-HostedOutboundSpamFilterPolicy",
        role: "Transport Hygiene",
        why: "Turn automatic external forwarding off.",
    },
    {
        cmdlet: "Get-DkimSigningConfig",
        role: "Transport Hygiene",
        why: "Read DKIM selectors for the DNS CNAMEs.",
    },
    {
        cmdlet: "New-DkimSigningConfig",
        role: "Transport Hygiene",
        why: "Create DKIM keys for a domain.",
    },
    {
        cmdlet: "Set-DkimSigningConfig",
        role: "Transport Hygiene",
        why: "Enable DKIM signing once the CNAMEs exist.",
    },
    {
        cmdlet: "Get-RemoteDomain",
        role: "Remote and Accepted Domains",
        why: "Read per-domain auto-forward settings.",
    },
    {
        cmdlet: "Set-RemoteDomain",
        role: "Remote and Accepted Domains",
        why: "Turn auto-forwarding off for remote domains.",
    },
    {
        cmdlet: "Get-AcceptedDomain",
        role: "Remote and Accepted Domains",
        why: "List the organisation's own domains (Reply-To rule, DKIM).",
    },
    {
        cmdlet: "Get-TransportRule",
        role: "Transport Rules",
        why: "Read the Reply-To warning rule.",
    },
    {
        cmdlet: "New-TransportRule",
        role: "Transport Rules",
        why: "Create the Reply-To warning rule.",
    },
    {
        cmdlet: "Set-TransportRule",
        role: "Transport Rules",
        why: "Move the Reply-To rule from audit to enforce.",
    },
    {
        cmdlet: "Remove-TransportRule",
        role: "Transport Rules",
        why: "Remove the rule when it leaves the stack.",
    },
    {
        cmdlet: "Get-OrganizationConfig",
        role: "Organization Configuration",
        why: "Read organisation-wide auditing and tagging settings.",
    },
    {
        cmdlet: "Set-OrganizationConfig",
        role: "Organization Configuration",
        why: "Turn mailbox auditing on by default.",
    },
    {
        cmdlet: "Get-AdminAuditLogConfig",
        role: "Audit Logs",
        why: "Read whether the unified audit log is on.",
    },
    {
        cmdlet: "Set-AdminAuditLogConfig",
        role: "Audit Logs",
        why: "Turn the unified audit log on.",
    },
    {
        cmdlet: "Enable-TransportRule",
        role: "Transport Rules",
        why: "Turn the Reply-To warning rule back on if someone disabled it.",
    },
    {
        cmdlet: "Get-ExternalInOutlook",
        role: "Organization Configuration",
        why: "Read whether Outlook tags external senders (recorded before changing it).",
    },
    {
        cmdlet: "Set-ExternalInOutlook",
        role: "Organization Configuration",
        why: "Tag mail from outside the organisation as External in Outlook.",
    },
    {
        cmdlet: "Get-TransportConfig",
        role: "Organization Transport Settings",
        why: "Read whether SMTP AUTH client submission is allowed (recorded before changing it).",
    },
    {
        cmdlet: "Set-TransportConfig",
        role: "Organization Transport Settings",
        why: "Turn SMTP AUTH off tenant-wide: basic-auth SMTP submission bypasses MFA.",
    },
];

/** Every Graph application permission the product needs, sorted, each once. */
export function requiredGraphRoles(): string[] {
    const all = GRAPH_OPERATIONS.flatMap((op) => op.permissions);
    return [...new Set(all)].sort();
}

/**
 * Every Exchange management role (RBAC for applications) the product needs, sorted, each once.
 *
 * Note: the Exchange.ManageAsApp app role is not in this list; it is a separate grant on the
 * Office 365 Exchange Online resource (`EXCHANGE_APP_ROLE`, see `requiredExchangeAppRoles`).
 */
export function requiredExchangeRoles(): string[] {
    return [...new Set(EXCHANGE_OPERATIONS.map((op) => op.role))].sort();
}

/** App roles on the Office 365 Exchange Online resource: only Exchange.ManageAsApp. */
export function requiredExchangeAppRoles(): string[] {
    return [EXCHANGE_APP_ROLE];
}

/** The management role an Exchange cmdlet needs, or undefined for a cmdlet not in the table. */
export function exchangeRoleFor(cmdlet: string): string | undefined {
    const wanted = cmdlet.toLowerCase();
    return EXCHANGE_OPERATIONS.find((op) => op.cmdlet.toLowerCase() === wanted)?.role;
}

/**
 * Find the manifest rows for one Graph request, for 403 hints.
 *
 * @param method HTTP method of the request.
 * @param url The request URL: absolute (`https://graph.microsoft.com/v1.0/users/x`), or a path
 *   with or without the version prefix (`/v1.0/users/x`, `/users/x`). Query strings are ignored.
 * @param body The request body, if any; used to tell apart operations sharing one path.
 * @returns The matching operations (usually one; several when the body cannot decide), or an
 *   empty array for a call that is not in the manifest (itself a bug to fix here).
 */
export function findGraphOperations(method: string, url: string, body?: unknown): GraphOperation[] {
    // 1. Reduce the URL to path segments below the version.
    const segments = graphPathSegments(url);

    // 2. Candidates with the same method and a matching path pattern.
    const upper = method.toUpperCase();
    const candidates = GRAPH_OPERATIONS.filter(
        (op) => op.method === upper && patternMatches(op.path, segments),
    );

    // 3. Narrow by body properties where rows share a path; keep all when the body says nothing.
    if (candidates.length > 1 && body !== null && typeof body === "object") {
        const keys = Object.keys(body as Record<string, unknown>);
        const byBody = candidates.filter((op) => op.bodyHas && keys.includes(op.bodyHas));
        if (byBody.length > 0) return byBody;
    }
    return candidates;
}

/** Path segments below `/v1.0` or `/beta`, decoded, without the query string. */
function graphPathSegments(url: string): string[] {
    const path = /^https?:\/\//i.test(url) ? new URL(url).pathname : url.split("?")[0];
    const segments = path.split("/").filter((s) => s.length > 0);
    if (segments.length > 0 && /^(v1\.0|beta)$/i.test(segments[0])) segments.shift();
    return segments.map((s) => safeDecode(s));
}

function patternMatches(pattern: string, segments: string[]): boolean {
    const parts = pattern.split("/").filter((s) => s.length > 0);
    if (parts.length !== segments.length) return false;
    return parts.every(
        (part, i) =>
            (part.startsWith("{") && part.endsWith("}")) ||
            part.toLowerCase() === segments[i].toLowerCase(),
    );
}

function safeDecode(segment: string): string {
    try {
        return decodeURIComponent(segment);
    } catch {
        return segment;
    }
}
