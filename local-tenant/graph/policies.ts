/**
 * Tenant-wide policies, singletons that can be read and changed but never created or deleted:
 * the authentication methods policy and its per-method configurations, the authorization
 * (consent) policy, the admin consent request policy (PUT only: it replaces the whole
 * object) and security defaults.
 *
 * Validation follows what Graph refuses with 400, so a product bug shows here rather than in
 * a customer's tenant. Two rules matter most for BEC Guard:
 * - `numberMatchingRequiredState` is refused in a Microsoft Authenticator PATCH: number
 *   matching is enforced for everyone and real Graph rejects the setting.
 * - `permissionGrantPoliciesAssigned` only accepts `managePermissionGrantsForSelf.<policy>` /
 *   `managePermissionGrantsForOwnedResource.<policy>` with an existing permission grant policy.
 *
 * Permissions come from ../shared/graph-docs/examples.json (authenticationmethodspolicy-get
 * and -update, authorizationpolicy-get and -update, adminconsentrequestpolicy-get and
 * -update) unless a comment names another source.
 */
import {
    GraphHttpError,
    type GraphRequestContext,
    type GraphResponse,
    type GraphRoute,
} from "../contracts";
import type { GraphObject } from "../model";
import { entity } from "../odata";
import { badRequest, bodyObject, clone, isGuid, methodNotAllowed } from "./shared";

function isObject(value: unknown): value is GraphObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireBoolean(body: GraphObject, key: string, resource: string): void {
    if (key in body && typeof body[key] !== "boolean") {
        throw badRequest(
            `Invalid value specified for property '${key}' of resource '${resource}'.`,
        );
    }
}

function requireOneOf(body: GraphObject, key: string, allowed: string[], resource: string): void {
    if (key in body && !allowed.includes(body[key] as string)) {
        throw badRequest(
            `Invalid value '${String(body[key])}' for property '${key}' of resource '${resource}'; expected one of ${allowed.join(", ")}.`,
        );
    }
}

function refuseReadOnly(body: GraphObject, keys: string[]): void {
    for (const key of keys) {
        if (key in body) {
            throw badRequest(`Property '${key}' is read-only and cannot be set.`);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication methods policy

function methodsPolicy(ctx: GraphRequestContext): GraphObject {
    return ctx.state.policies.authenticationMethodsPolicy;
}

function configurations(ctx: GraphRequestContext): GraphObject[] {
    const policy = methodsPolicy(ctx);
    if (!Array.isArray(policy.authenticationMethodConfigurations)) {
        policy.authenticationMethodConfigurations = [];
    }
    return policy.authenticationMethodConfigurations as GraphObject[];
}

function findConfiguration(ctx: GraphRequestContext, id: string): GraphObject {
    const config = configurations(ctx).find((c) => String(c.id).toLowerCase() === id.toLowerCase());
    if (!config) {
        throw new GraphHttpError(
            404,
            "Request_ResourceNotFound",
            `Authentication method configuration '${id}' does not exist.`,
        );
    }
    return config;
}

function getMethodsPolicy(ctx: GraphRequestContext): GraphResponse {
    return entity(ctx, clone(methodsPolicy(ctx)), "authenticationMethodsPolicy");
}

/**
 * Updates the policy. Answered as the current documentation shows: 200 with the policy (an
 * older page version showed 204; clients must accept both).
 */
function updateMethodsPolicy(ctx: GraphRequestContext): GraphResponse {
    const body = bodyObject(ctx);
    const policy = methodsPolicy(ctx);
    const writable = [
        "registrationEnforcement",
        "reportSuspiciousActivitySettings",
        "systemCredentialPreferences",
        "policyMigrationState",
        "authenticationMethodConfigurations",
        "description",
    ];
    for (const key of Object.keys(body)) {
        if (!writable.includes(key) && !key.startsWith("@odata.")) {
            throw badRequest(
                `Property '${key}' is read-only or not supported on authenticationMethodsPolicy.`,
            );
        }
    }
    requireOneOf(
        body,
        "policyMigrationState",
        ["preMigration", "migrationInProgress", "migrationComplete"],
        "AuthenticationMethodsPolicy",
    );

    // Method configurations sent inline (older API shape) are validated and merged one by one.
    const inline = body.authenticationMethodConfigurations;
    if (inline !== undefined && !Array.isArray(inline)) {
        throw badRequest("authenticationMethodConfigurations must be an array.");
    }
    const pending = ((inline as unknown[] | undefined) ?? []).map((item) => {
        if (!isObject(item) || typeof item.id !== "string") {
            throw badRequest("Each authentication method configuration needs an id.");
        }
        const config = findConfiguration(ctx, item.id);
        const changes = { ...item };
        delete changes.id;
        validateConfigurationPatch(config, changes);
        return { config, changes };
    });

    for (const key of [
        "registrationEnforcement",
        "reportSuspiciousActivitySettings",
        "systemCredentialPreferences",
        "policyMigrationState",
        "description",
    ]) {
        if (key in body) {
            policy[key] = clone(body[key]);
        }
    }
    for (const { config, changes } of pending) {
        mergeConfiguration(config, changes);
    }
    policy.lastModifiedDateTime = ctx.now().toISOString();
    return entity(ctx, clone(policy), "authenticationMethodsPolicy");
}

function getConfiguration(ctx: GraphRequestContext): GraphResponse {
    const config = findConfiguration(ctx, ctx.params.configId ?? "");
    return entity(
        ctx,
        clone(config),
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
    );
}

function updateConfiguration(ctx: GraphRequestContext): GraphResponse {
    const config = findConfiguration(ctx, ctx.params.configId ?? "");
    const body = bodyObject(ctx);
    validateConfigurationPatch(config, body);
    mergeConfiguration(config, body);
    return { status: 204 };
}

const TARGET_TYPES = ["group", "user"];

function validateTargets(value: unknown, key: string): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
        throw badRequest(`${key} must be an array of targets.`);
    }
    for (const target of value) {
        if (!isObject(target) || typeof target.id !== "string") {
            throw badRequest(
                `Each entry of ${key} needs an id ("all_users" or a group object id).`,
            );
        }
        if (target.id !== "all_users" && !isGuid(target.id)) {
            throw badRequest(
                `Target id '${target.id}' in ${key} is neither "all_users" nor an object id.`,
            );
        }
        requireOneOf(target, "targetType", TARGET_TYPES, "AuthenticationMethodTarget");
        if ("numberMatchingRequiredState" in target) {
            throw numberMatchingRefused();
        }
    }
}

function numberMatchingRefused(): GraphHttpError {
    return badRequest(
        "numberMatchingRequiredState cannot be set: number matching is enforced for all Microsoft Authenticator notifications.",
        "badRequest",
    );
}

/** Checks a configuration PATCH against the rules of its method type. */
function validateConfigurationPatch(config: GraphObject, body: GraphObject): void {
    const type = String(config["@odata.type"] ?? "");
    if (body["@odata.type"] !== undefined && body["@odata.type"] !== type) {
        throw badRequest(
            `@odata.type '${String(body["@odata.type"])}' does not match configuration '${String(config.id)}' (${type}).`,
        );
    }
    refuseReadOnly(body, ["id"]);
    requireOneOf(body, "state", ["enabled", "disabled"], "AuthenticationMethodConfiguration");
    validateTargets(body.includeTargets, "includeTargets");
    validateTargets(body.excludeTargets, "excludeTargets");

    switch (String(config.id).toLowerCase()) {
        case "microsoftauthenticator":
            validateAuthenticator(body);
            break;
        case "temporaryaccesspass":
            validateTemporaryAccessPass(config, body);
            break;
        case "fido2":
            requireBoolean(body, "isAttestationEnforced", "Fido2AuthenticationMethodConfiguration");
            requireBoolean(
                body,
                "isSelfServiceRegistrationAllowed",
                "Fido2AuthenticationMethodConfiguration",
            );
            if (body.keyRestrictions !== undefined) {
                if (!isObject(body.keyRestrictions))
                    throw badRequest("keyRestrictions must be an object.");
                requireOneOf(
                    body.keyRestrictions,
                    "enforcementType",
                    ["allow", "block"],
                    "Fido2KeyRestrictions",
                );
            }
            break;
        case "email":
            requireOneOf(
                body,
                "allowExternalIdToUseEmailOtp",
                ["default", "enabled", "disabled"],
                "EmailAuthenticationMethodConfiguration",
            );
            break;
        case "voice":
            requireBoolean(body, "isOfficePhoneAllowed", "VoiceAuthenticationMethodConfiguration");
            break;
        default:
            break;
    }
}

const FEATURE_SETTINGS = [
    "displayAppInformationRequiredState",
    "displayLocationInformationRequiredState",
    "companionAppAllowedState",
];

function validateAuthenticator(body: GraphObject): void {
    requireBoolean(
        body,
        "isSoftwareOathEnabled",
        "MicrosoftAuthenticatorAuthenticationMethodConfiguration",
    );
    const settings = body.featureSettings;
    if (settings === undefined) return;
    if (!isObject(settings)) {
        throw badRequest("featureSettings must be an object.");
    }
    for (const [name, setting] of Object.entries(settings)) {
        if (name === "numberMatchingRequiredState") {
            throw numberMatchingRefused();
        }
        if (name.startsWith("@odata.")) continue;
        if (!FEATURE_SETTINGS.includes(name)) {
            throw badRequest(`Unknown Microsoft Authenticator feature setting '${name}'.`);
        }
        if (!isObject(setting)) {
            throw badRequest(`featureSettings.${name} must be an object with a state.`);
        }
        requireOneOf(
            setting,
            "state",
            ["default", "enabled", "disabled"],
            "AuthenticationMethodFeatureConfiguration",
        );
    }
}

/** The TAP policy's documented bounds: lifetimes 10 to 43,200 minutes, length 8 to 48. */
function validateTemporaryAccessPass(config: GraphObject, body: GraphObject): void {
    requireBoolean(body, "isUsableOnce", "TemporaryAccessPassAuthenticationMethodConfiguration");
    const merged = { ...config, ...body };
    const fields = [
        "defaultLifetimeInMinutes",
        "minimumLifetimeInMinutes",
        "maximumLifetimeInMinutes",
    ];
    for (const key of fields) {
        const value = merged[key];
        if (!Number.isInteger(value) || (value as number) < 10 || (value as number) > 43200) {
            throw badRequest(
                `${key} must be a whole number of minutes from 10 to 43200, not ${String(value)}.`,
            );
        }
    }
    const length = merged.defaultLength;
    if (!Number.isInteger(length) || (length as number) < 8 || (length as number) > 48) {
        throw badRequest(`defaultLength must be from 8 to 48 characters, not ${String(length)}.`);
    }
    const min = merged.minimumLifetimeInMinutes as number;
    const max = merged.maximumLifetimeInMinutes as number;
    const def = merged.defaultLifetimeInMinutes as number;
    if (!(min <= def && def <= max)) {
        throw badRequest(
            `Lifetimes must satisfy minimum (${min}) <= default (${def}) <= maximum (${max}) minutes.`,
        );
    }
}

/** Top-level properties replace; featureSettings merges per feature, as Graph patches it. */
function mergeConfiguration(config: GraphObject, body: GraphObject): void {
    for (const [key, value] of Object.entries(body)) {
        if (key === "@odata.type") continue;
        if (key === "featureSettings" && isObject(config.featureSettings) && isObject(value)) {
            config.featureSettings = { ...config.featureSettings, ...clone(value) };
        } else {
            config[key] = clone(value);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization policy

/** Microsoft's built-in permission grant policies a default user role may be assigned. */
const BUILT_IN_GRANT_POLICIES = [
    "microsoft-user-default-legacy",
    "microsoft-user-default-low",
    "microsoft-user-default-recommended",
    "microsoft-all-application-permissions",
    "microsoft-all-application-permissions-verified",
    "microsoft-application-admin",
    "microsoft-company-admin",
    "microsoft-dynamically-managed-permissions-for-chat",
    "microsoft-dynamically-managed-permissions-for-team",
    "microsoft-pre-approval-apps-for-chat",
    "microsoft-pre-approval-apps-for-team",
];

/** Role template ids guestUserRoleId accepts: member-like, guest, restricted guest. */
const GUEST_ROLE_IDS = [
    "a0b1b346-4d3e-4e8b-98f8-753987be4970",
    "10dae51f-b6af-4016-8d66-8c2a99b929b3",
    "2af84b1e-32c8-42b7-82bc-daa82404023b",
];

function validatePermissionGrantPolicies(value: unknown): void {
    if (!Array.isArray(value)) {
        throw badRequest("permissionGrantPoliciesAssigned must be an array of strings.");
    }
    for (const entry of value) {
        const match =
            typeof entry === "string"
                ? /^managePermissionGrantsFor(Self|OwnedResource)\.(.+)$/i.exec(entry)
                : null;
        if (!match || !BUILT_IN_GRANT_POLICIES.includes(match[2].toLowerCase())) {
            throw badRequest(
                `Invalid value '${String(entry)}' in permissionGrantPoliciesAssigned: expected ` +
                    `'managePermissionGrantsForSelf.<policy id>' naming an existing permission grant policy ` +
                    `(for example managePermissionGrantsForSelf.microsoft-user-default-low), or an empty list to turn user consent off.`,
            );
        }
    }
}

function getAuthorizationPolicy(ctx: GraphRequestContext): GraphResponse {
    return entity(
        ctx,
        clone(ctx.state.policies.authorizationPolicy),
        "policies/authorizationPolicy/$entity",
    );
}

function updateAuthorizationPolicy(ctx: GraphRequestContext): GraphResponse {
    const body = bodyObject(ctx);
    const policy = ctx.state.policies.authorizationPolicy;
    const resource = "AuthorizationPolicy";

    refuseReadOnly(body, ["id"]);
    requireOneOf(
        body,
        "allowInvitesFrom",
        ["none", "adminsAndGuestInviters", "adminsGuestInvitersAndAllMembers", "everyone"],
        resource,
    );
    for (const key of [
        "allowedToSignUpEmailBasedSubscriptions",
        "allowedToUseSSPR",
        "allowEmailVerifiedUsersToJoinOrganization",
        "allowUserConsentForRiskyApps",
        "blockMsolPowerShell",
    ]) {
        requireBoolean(body, key, resource);
    }
    if ("guestUserRoleId" in body && !GUEST_ROLE_IDS.includes(body.guestUserRoleId as string)) {
        throw badRequest(
            `Invalid value specified for property 'guestUserRoleId' of resource '${resource}'.`,
        );
    }
    const roleChanges = body.defaultUserRolePermissions;
    if (roleChanges !== undefined) {
        if (!isObject(roleChanges)) {
            throw badRequest("defaultUserRolePermissions must be an object.");
        }
        for (const [key, value] of Object.entries(roleChanges)) {
            if (key === "permissionGrantPoliciesAssigned") {
                validatePermissionGrantPolicies(value);
            } else if (typeof value !== "boolean") {
                throw badRequest(
                    `Invalid value specified for property 'defaultUserRolePermissions.${key}'.`,
                );
            }
        }
    }

    for (const [key, value] of Object.entries(body)) {
        if (key === "defaultUserRolePermissions" && isObject(policy.defaultUserRolePermissions)) {
            policy.defaultUserRolePermissions = {
                ...policy.defaultUserRolePermissions,
                ...clone(value as GraphObject),
            };
        } else {
            policy[key] = clone(value);
        }
    }
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Admin consent request policy

function getAdminConsentRequestPolicy(ctx: GraphRequestContext): GraphResponse {
    return entity(
        ctx,
        clone(ctx.state.policies.adminConsentRequestPolicy),
        "policies/adminConsentRequestPolicy/$entity",
    );
}

/**
 * PUT replaces the whole policy: every writable property must be given. Reviewers that name
 * a user (`/users/{id}`) must exist. When enabled, at least one reviewer and a duration of 1
 * to 30 days are needed.
 */
function replaceAdminConsentRequestPolicy(ctx: GraphRequestContext): GraphResponse {
    const body = bodyObject(ctx);
    const resource = "AdminConsentRequestPolicy";
    for (const key of ["isEnabled", "notifyReviewers", "remindersEnabled"]) {
        if (typeof body[key] !== "boolean") {
            throw badRequest(
                `Property '${key}' is required (PUT replaces the whole ${resource}) and must be a Boolean.`,
            );
        }
    }
    const duration = body.requestDurationInDays;
    if (!Number.isInteger(duration)) {
        throw badRequest(
            `Property 'requestDurationInDays' is required (PUT replaces the whole ${resource}) and must be a whole number.`,
        );
    }
    if (!Array.isArray(body.reviewers)) {
        throw badRequest(
            `Property 'reviewers' is required (PUT replaces the whole ${resource}) and must be an array.`,
        );
    }
    for (const reviewer of body.reviewers) {
        if (
            !isObject(reviewer) ||
            typeof reviewer.query !== "string" ||
            reviewer.queryType !== "MicrosoftGraph"
        ) {
            throw badRequest("Each reviewer needs a query string and queryType 'MicrosoftGraph'.");
        }
        const userMatch = /^\/users\/([^/?]+)$/.exec(reviewer.query);
        if (
            userMatch &&
            !ctx.state.users.some((u) => u.id.toLowerCase() === userMatch[1].toLowerCase())
        ) {
            throw badRequest(`Reviewer '${reviewer.query}' does not name an existing user.`);
        }
    }
    if (body.isEnabled === true) {
        if (body.reviewers.length === 0) {
            throw badRequest(
                "An enabled admin consent request policy needs at least one reviewer.",
            );
        }
        if ((duration as number) < 1 || (duration as number) > 30) {
            throw badRequest(
                "requestDurationInDays must be from 1 to 30 when the policy is enabled.",
            );
        }
    }

    const previous = ctx.state.policies.adminConsentRequestPolicy;
    ctx.state.policies.adminConsentRequestPolicy = {
        isEnabled: body.isEnabled,
        notifyReviewers: body.notifyReviewers,
        remindersEnabled: body.remindersEnabled,
        requestDurationInDays: duration,
        reviewers: clone(body.reviewers).map((r: GraphObject) => ({ queryRoot: null, ...r })),
        version: (typeof previous.version === "number" ? previous.version : 0) + 1,
    };
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Security defaults

/** What a tenant without a stored security defaults policy reports. */
const DEFAULT_SECURITY_DEFAULTS: GraphObject = {
    id: "00000000-0000-0000-0000-000000000005",
    displayName: "Security Defaults",
    description:
        "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks.",
    isEnabled: false,
};

function securityDefaults(ctx: GraphRequestContext): GraphObject {
    if (!ctx.state.policies.identitySecurityDefaultsEnforcementPolicy) {
        ctx.state.policies.identitySecurityDefaultsEnforcementPolicy =
            clone(DEFAULT_SECURITY_DEFAULTS);
    }
    return ctx.state.policies.identitySecurityDefaultsEnforcementPolicy;
}

function updateSecurityDefaults(ctx: GraphRequestContext): GraphResponse {
    const body = bodyObject(ctx);
    refuseReadOnly(body, ["id", "displayName", "description"]);
    requireBoolean(body, "isEnabled", "IdentitySecurityDefaultsEnforcementPolicy");
    if ("isEnabled" in body) {
        securityDefaults(ctx).isEnabled = body.isEnabled;
    }
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Routes

const METHODS_POLICY_READ = [
    "Policy.Read.AuthenticationMethod",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.Read.All",
];
const METHODS_POLICY_WRITE = ["Policy.ReadWrite.AuthenticationMethod"];
const CONSENT_REQUEST_WRITE = ["Policy.ReadWrite.ConsentRequest", "Directory.ReadWrite.All"];

/** Policy writes are directory writes, and count against that bucket as in Graph. */
export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/policies/authenticationMethodsPolicy",
        permissions: { anyOf: METHODS_POLICY_READ },
        handler: getMethodsPolicy,
    },
    {
        method: "PATCH",
        pattern: "/policies/authenticationMethodsPolicy",
        permissions: { anyOf: METHODS_POLICY_WRITE },
        bucket: "directory-write",
        handler: updateMethodsPolicy,
    },
    {
        method: "GET",
        pattern:
            "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{configId}",
        // The per-method configuration pages (e.g. fido2authenticationmethodconfiguration-get,
        // not in examples.json) document the policy's own permissions.
        permissions: { anyOf: METHODS_POLICY_READ },
        handler: getConfiguration,
    },
    {
        method: "PATCH",
        pattern:
            "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{configId}",
        permissions: { anyOf: METHODS_POLICY_WRITE },
        bucket: "directory-write",
        handler: updateConfiguration,
    },
    {
        method: "GET",
        pattern: "/policies/authorizationPolicy",
        permissions: { anyOf: ["Policy.Read.All", "Policy.ReadWrite.Authorization"] },
        handler: getAuthorizationPolicy,
    },
    {
        method: "PATCH",
        pattern: "/policies/authorizationPolicy",
        permissions: { anyOf: ["Policy.ReadWrite.Authorization"] },
        bucket: "directory-write",
        handler: updateAuthorizationPolicy,
    },
    {
        method: "GET",
        pattern: "/policies/adminConsentRequestPolicy",
        permissions: {
            anyOf: [
                "Policy.Read.All",
                "Policy.ReadWrite.ConsentRequest",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
        },
        handler: getAdminConsentRequestPolicy,
    },
    {
        method: "PUT",
        pattern: "/policies/adminConsentRequestPolicy",
        permissions: { anyOf: CONSENT_REQUEST_WRITE },
        bucket: "directory-write",
        handler: replaceAdminConsentRequestPolicy,
    },
    {
        method: "PATCH",
        pattern: "/policies/adminConsentRequestPolicy",
        // Not supported by Graph (the documented update is a PUT); answered 405.
        permissions: { anyOf: CONSENT_REQUEST_WRITE },
        handler: () => {
            throw methodNotAllowed();
        },
    },
    {
        method: "GET",
        pattern: "/policies/identitySecurityDefaultsEnforcementPolicy",
        // identitysecuritydefaultsenforcementpolicy-get (v1.0 page, found with the search tool):
        // Policy.Read.All, higher Policy.ReadWrite.SecurityDefaults.
        permissions: { anyOf: ["Policy.Read.All", "Policy.ReadWrite.SecurityDefaults"] },
        handler: (ctx) =>
            entity(
                ctx,
                clone(securityDefaults(ctx)),
                "policies/identitySecurityDefaultsEnforcementPolicy/$entity",
            ),
    },
    {
        method: "PATCH",
        pattern: "/policies/identitySecurityDefaultsEnforcementPolicy",
        // identitysecuritydefaultsenforcementpolicy-update (v1.0 page, found with the search
        // tool) lists Policy.Read.All as "least privileged", then Policy.ReadWrite.SecurityDefaults
        // and Policy.ReadWrite.ConditionalAccess. A read permission cannot change anything, so
        // only the two write permissions are honoured.
        permissions: {
            anyOf: ["Policy.ReadWrite.SecurityDefaults", "Policy.ReadWrite.ConditionalAccess"],
        },
        bucket: "directory-write",
        handler: updateSecurityDefaults,
    },
];
