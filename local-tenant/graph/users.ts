/**
 * Users: list, get (by object id or UPN, guests' `#EXT#` UPNs included), update (account
 * state and password reset with the Entra password policy enforced), revokeSignInSessions and
 * the user's direct memberships.
 *
 * Permissions come from ../shared/graph-docs/examples.json (user-get, user-list, user-update,
 * user-revokesigninsessions) unless a comment names another source.
 */
import type { GraphRequestContext, GraphResponse, GraphRoute } from "../contracts";
import type { GraphObject, User } from "../model";
import { collection, entity } from "../odata";
import {
    badRequest,
    bodyObject,
    clone,
    copyOf,
    isoNow,
    requireRoles,
    requireUser,
    rolesOf,
    sha256,
} from "./shared";

/** Properties v1.0 returns for a user when the caller gives no `$select`. */
export const DEFAULT_USER_PROPERTIES = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/** Model fields that are the local tenant's bookkeeping, never part of a Graph user. */
const INTERNAL_USER_FIELDS = new Set([
    "authenticationMethods",
    "defaultMethodId",
    "memberOf",
    "directoryRoles",
    "mailbox",
    "passwordSha256",
    "passwordProfile",
    "signInPreferences",
]);

/** Properties Graph computes; a PATCH that sets them is refused. */
const READ_ONLY_USER_PROPERTIES = [
    "id",
    "createdDateTime",
    "signInSessionsValidFromDateTime",
    "lastPasswordChangeDateTime",
    "onPremisesSyncEnabled",
    "onPremisesImmutableId",
    "signInActivity",
];

/** Properties this local tenant lets a PATCH change besides accountEnabled and passwords. */
const WRITABLE_PROFILE_PROPERTIES = [
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "mail",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "usageLocation",
    "city",
    "country",
    "state",
    "streetAddress",
    "postalCode",
    "companyName",
    "employeeId",
    "otherMails",
    "passwordPolicies",
    "identities",
    "userType",
];

/**
 * Directory role template ids and names, for `memberOf` answers (the model stores only ids).
 * Ids are Microsoft's built-in role template ids.
 */
const ROLE_NAMES: Record<string, string> = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
};

/**
 * A user as Graph returns it: every public property, unset common ones as null. The values are
 * the live state's own, not copies, so that building it costs nothing per property: a caller
 * copies only what it returns (the mailbox, messages and methods never need copying at all).
 */
export function userFields(user: User): GraphObject {
    const view: GraphObject = {
        businessPhones: [],
        givenName: null,
        surname: null,
        jobTitle: null,
        mail: null,
        mobilePhone: null,
        officeLocation: null,
        preferredLanguage: null,
        department: null,
        passwordProfile: null,
    };
    for (const [key, value] of Object.entries(user)) {
        // An undefined value is an unset property: it keeps the null above, as JSON would.
        if (value !== undefined && !INTERNAL_USER_FIELDS.has(key)) {
            view[key] = value;
        }
    }
    return view;
}

/**
 * Without `$select`, v1.0 returns only the default user properties (beta returns them all).
 * The OData helper filters the full objects first, so `$filter` works on every property; the
 * projection happens on the answer.
 */
function projectDefault(ctx: GraphRequestContext, obj: GraphObject): GraphObject {
    const selected = [...ctx.query.keys()].some(
        (k) => k.replace(/^\$/, "").toLowerCase() === "select",
    );
    if (ctx.version !== "v1.0" || selected) {
        return obj;
    }
    const out: GraphObject = {};
    for (const [key, value] of Object.entries(obj)) {
        if (key.startsWith("@odata.") || DEFAULT_USER_PROPERTIES.includes(key)) {
            out[key] = value;
        }
    }
    return out;
}

/**
 * signInActivity is only returned to apps that may also read the audit logs: Graph wants
 * AuditLog.Read.All besides the user permission when a query selects or filters on it
 * (user-list page, examples.json note on get_users_signin_last_time).
 */
function checkSignInActivityPermission(ctx: GraphRequestContext): void {
    const mentions = [...ctx.query.entries()].some(
        ([key, value]) =>
            /^\$?(select|filter)$/i.test(key) && value.toLowerCase().includes("signinactivity"),
    );
    if (mentions) {
        requireRoles(ctx, ["AuditLog.Read.All"]);
    }
}

function listUsers(ctx: GraphRequestContext): GraphResponse {
    checkSignInActivityPermission(ctx);
    const items = ctx.state.users.map(userFields);
    const response = collection(ctx, items, {
        defaultPageSize: 100,
        maxPageSize: 999,
        context: "users",
    });
    // Copy only the page's users, and of them only the properties returned.
    const body = response.body as { value: GraphObject[] };
    body.value = body.value.map((u) => copyOf(projectDefault(ctx, u)));
    return response;
}

function getUser(ctx: GraphRequestContext): GraphResponse {
    checkSignInActivityPermission(ctx);
    const user = requireUser(ctx);
    const response = entity(ctx, userFields(user), "users/$entity");
    return { ...response, body: copyOf(projectDefault(ctx, response.body as GraphObject)) };
}

// ---------------------------------------------------------------------------------------------
// Update

/** Graph's answer to a password the Entra password policy refuses. */
const PASSWORD_POLICY_MESSAGE =
    "The specified password does not comply with password complexity requirements. Please provide a different password.";

/** Characters Microsoft Entra accepts in a cloud password besides letters and digits. */
const PASSWORD_SYMBOLS = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ";

/**
 * Checks a new password against the Microsoft Entra cloud password policy: 8 to 256
 * characters, only ASCII letters, digits and the allowed symbols, and (unless the user's
 * passwordPolicies include DisableStrongPassword) three of the four character classes.
 *
 * @returns undefined when acceptable, otherwise the reason (for tests; Graph gives one text).
 */
export function passwordPolicyViolation(
    password: string,
    passwordPolicies?: string | null,
): string | undefined {
    if (password.length < 8 || password.length > 256) {
        return "length must be 8 to 256 characters";
    }
    for (const ch of password) {
        if (!/[A-Za-z0-9]/.test(ch) && !PASSWORD_SYMBOLS.includes(ch)) {
            return `character ${JSON.stringify(ch)} is not allowed`;
        }
    }
    const strongDisabled = (passwordPolicies ?? "").includes("DisableStrongPassword");
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password));
    if (!strongDisabled && classes.length < 3) {
        return "needs three of: lowercase, uppercase, digits, symbols";
    }
    return undefined;
}

/**
 * The permission Graph wants per property of a user update (the route admits any of them):
 * - accountEnabled: User.EnableDisableAccount.All together with User.Read.All;
 * - passwordProfile: User-PasswordProfile.ReadWrite.All;
 * - identities: User.ManageIdentities.All;
 * - anything else: User.ReadWrite.All; Directory.ReadWrite.All covers all of them.
 * Source: examples.json's user-update permissions note, which quotes the newer user-update
 * page (User-PasswordProfile.ReadWrite.All least privileged for passwordProfile,
 * User.EnableDisableAccount.All + User.Read.All for accountEnabled), and the beta
 * user-update include (User.ManageIdentities.All least, then User.EnableDisableAccount.All,
 * User.ReadWrite.All, Directory.ReadWrite.All).
 */
function checkUpdatePermissions(ctx: GraphRequestContext, body: Record<string, unknown>): void {
    const broad = ["User.ReadWrite.All", "Directory.ReadWrite.All"];
    for (const key of Object.keys(body)) {
        if (key === "accountEnabled") {
            const roles = rolesOf(ctx);
            const narrow = roles.has("User.EnableDisableAccount.All") && roles.has("User.Read.All");
            if (!narrow) {
                requireRoles(ctx, broad);
            }
        } else if (key === "passwordProfile") {
            requireRoles(ctx, ["User-PasswordProfile.ReadWrite.All", ...broad]);
        } else if (key === "identities") {
            requireRoles(ctx, ["User.ManageIdentities.All", ...broad]);
        } else {
            requireRoles(ctx, broad);
        }
    }
}

/** Properties of a user synced from on-premises AD that the cloud may still change. */
const CLOUD_WRITABLE_FOR_SYNCED = ["accountEnabled", "usageLocation"];

function updateUser(ctx: GraphRequestContext): GraphResponse {
    // 1. Resolve the user and read the body.
    const user = requireUser(ctx);
    const body = bodyObject(ctx);

    // 2. Refuse what Graph refuses: unknown or read-only properties, synced-object changes.
    for (const key of Object.keys(body)) {
        if (READ_ONLY_USER_PROPERTIES.includes(key)) {
            throw badRequest(`Property '${key}' is read-only and cannot be set.`);
        }
        const known =
            key === "accountEnabled" ||
            key === "passwordProfile" ||
            WRITABLE_PROFILE_PROPERTIES.includes(key);
        if (!known) {
            throw badRequest(`Invalid property '${key}'.`);
        }
        if (user.onPremisesSyncEnabled && !CLOUD_WRITABLE_FOR_SYNCED.includes(key)) {
            throw badRequest(
                "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
            );
        }
    }

    // 3. Check the per-property permissions.
    checkUpdatePermissions(ctx, body);

    // 4. Validate every value before changing anything, so a bad body changes nothing.
    if ("accountEnabled" in body && typeof body.accountEnabled !== "boolean") {
        throw badRequest(
            "Invalid value specified for property 'accountEnabled' of resource 'User'.",
        );
    }
    const profile = body.passwordProfile;
    if (profile !== undefined) {
        validatePasswordProfile(profile, user, body);
    }

    // 5. Apply. The new password is hashed and the plain text dropped at once.
    if (typeof body.accountEnabled === "boolean") {
        user.accountEnabled = body.accountEnabled;
    }
    for (const key of WRITABLE_PROFILE_PROPERTIES) {
        if (key in body) {
            (user as unknown as GraphObject)[key] = clone(body[key]);
        }
    }
    if (profile !== undefined) {
        applyPasswordProfile(ctx, user, profile as Record<string, unknown>);
    }
    return { status: 204 };
}

function validatePasswordProfile(
    profile: unknown,
    user: User,
    body: Record<string, unknown>,
): void {
    if (typeof profile !== "object" || profile === null || Array.isArray(profile)) {
        throw badRequest(
            "Invalid value specified for property 'passwordProfile' of resource 'User'.",
        );
    }
    const p = profile as Record<string, unknown>;
    for (const flag of ["forceChangePasswordNextSignIn", "forceChangePasswordNextSignInWithMfa"]) {
        if (flag in p && typeof p[flag] !== "boolean") {
            throw badRequest(`Invalid value specified for property '${flag}' of resource 'User'.`);
        }
    }
    if ("password" in p) {
        if (typeof p.password !== "string") {
            throw badRequest("Invalid value specified for property 'password' of resource 'User'.");
        }
        const policies =
            typeof body.passwordPolicies === "string"
                ? body.passwordPolicies
                : user.passwordPolicies;
        if (passwordPolicyViolation(p.password, policies) !== undefined) {
            throw badRequest(PASSWORD_POLICY_MESSAGE);
        }
    }
}

function applyPasswordProfile(
    ctx: GraphRequestContext,
    user: User,
    p: Record<string, unknown>,
): void {
    const previous = user.passwordProfile ?? { forceChangePasswordNextSignIn: false };
    user.passwordProfile = {
        forceChangePasswordNextSignIn:
            typeof p.forceChangePasswordNextSignIn === "boolean"
                ? p.forceChangePasswordNextSignIn
                : previous.forceChangePasswordNextSignIn,
        forceChangePasswordNextSignInWithMfa:
            typeof p.forceChangePasswordNextSignInWithMfa === "boolean"
                ? p.forceChangePasswordNextSignInWithMfa
                : (previous.forceChangePasswordNextSignInWithMfa ?? false),
    };
    if (typeof p.password === "string") {
        user.passwordSha256 = sha256(p.password);
        user.lastPasswordChangeDateTime = isoNow(ctx);
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions and memberships

/**
 * Moves signInSessionsValidFromDateTime to now: refresh tokens and session cookies issued
 * before it stop working. Answered as documented: 200 with an always-true Boolean (the
 * documented known issue says 204 was intended; clients treat any 2xx as success).
 */
function revokeSignInSessions(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    user.signInSessionsValidFromDateTime = isoNow(ctx);
    return {
        status: 200,
        body: { "@odata.context": `${ctx.baseUrl}/$metadata#Edm.Boolean`, value: true },
    };
}

/** Groups and directory roles the user is a direct member of, as directoryObjects. */
function listMemberOf(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    const groups = user.memberOf
        .map((id) => ctx.state.groups.find((g) => g.id === id))
        .filter((g) => g !== undefined)
        .map((g) => ({ "@odata.type": "#microsoft.graph.group", ...clone(g) }));
    const roles = (user.directoryRoles ?? []).map((templateId) => ({
        "@odata.type": "#microsoft.graph.directoryRole",
        id: templateId,
        roleTemplateId: templateId,
        displayName: ROLE_NAMES[templateId] ?? null,
    }));
    return collection(ctx, [...groups, ...roles], {
        defaultPageSize: 100,
        maxPageSize: 999,
        context: "directoryObjects",
    });
}

const USER_READ = [
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/users",
        permissions: { anyOf: USER_READ },
        handler: listUsers,
    },
    {
        method: "GET",
        pattern: "/users/{userId}",
        permissions: { anyOf: USER_READ },
        handler: getUser,
    },
    {
        method: "PATCH",
        pattern: "/users/{userId}",
        // The route admits every permission that allows some property; updateUser then checks
        // the permission each property in the body needs (see checkUpdatePermissions).
        permissions: {
            anyOf: [
                "User.ReadWrite.All",
                "User-PasswordProfile.ReadWrite.All",
                "User.EnableDisableAccount.All",
                "User.ManageIdentities.All",
                "Directory.ReadWrite.All",
            ],
        },
        bucket: "directory-write",
        handler: updateUser,
    },
    {
        method: "POST",
        pattern: "/users/{userId}/revokeSignInSessions",
        // examples.json lists User.ReadWrite.All then Directory.ReadWrite.All. The current
        // user-revokesigninsessions page names User.RevokeSessions.All as least privileged
        // (confirmed by several public least-privilege tables found with the search tool).
        permissions: {
            anyOf: ["User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"],
        },
        bucket: "directory-write",
        handler: revokeSignInSessions,
    },
    {
        method: "GET",
        pattern: "/users/{userId}/memberOf",
        // user-list-memberof ("another user's direct memberships"), found with the search tool:
        // Application Directory.Read.All, higher Directory.ReadWrite.All.
        permissions: { anyOf: ["Directory.Read.All", "Directory.ReadWrite.All"] },
        handler: listMemberOf,
    },
];
