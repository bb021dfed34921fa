/**
 * Service principals: list (filter by appId), get by object id or by appId
 * (`servicePrincipals(appId='...')`), and update (accountEnabled is how a malicious
 * multi-tenant app is contained: disabled, not deleted).
 *
 * Application.ReadWrite.OwnedBy lets an app change only service principals it owns. The
 * local tenant keeps the owners in an `ownerIds` list on the service principal object (object
 * ids of the owning service principals); it is bookkeeping and never returned.
 *
 * Permissions: serviceprincipal-update from ../shared/graph-docs/examples.json; get and list
 * from the stored includes serviceprincipal-get-permissions.md and
 * serviceprincipal-list-permissions.md (read with the search tool).
 */
import type { GraphRequestContext, GraphResponse, GraphRoute } from "../contracts";
import type { GraphObject } from "../model";
import { collection, entity } from "../odata";
import {
    accessDenied,
    badRequest,
    bodyObject,
    clone,
    directoryObjectNotFound,
    rolesOf,
    withoutKeys,
} from "./shared";

const INTERNAL_SP_FIELDS = ["ownerIds"];

/** Properties a PATCH may change here; the rest of a service principal is the app's. */
const WRITABLE_SP_PROPERTIES = [
    "accountEnabled",
    "appRoleAssignmentRequired",
    "tags",
    "notes",
    "notificationEmailAddresses",
    "customSecurityAttributes",
    "description",
    "loginUrl",
    "preferredSingleSignOnMode",
];

function spView(sp: GraphObject): GraphObject {
    return withoutKeys(sp, INTERNAL_SP_FIELDS);
}

function byId(ctx: GraphRequestContext): GraphObject {
    const id = ctx.params.spId ?? "";
    const sp = ctx.state.servicePrincipals.find(
        (s) => String(s.id).toLowerCase() === id.toLowerCase(),
    );
    if (!sp) {
        throw directoryObjectNotFound(id);
    }
    return sp;
}

/** The service principal of `servicePrincipals(appId='{appId}')`, by its application id. */
function byAppId(ctx: GraphRequestContext): GraphObject {
    const appId = ctx.params.appId ?? "";
    const sp = ctx.state.servicePrincipals.find(
        (s) => String(s.appId).toLowerCase() === appId.toLowerCase(),
    );
    if (!sp) {
        throw directoryObjectNotFound(appId);
    }
    return sp;
}

function listServicePrincipals(ctx: GraphRequestContext): GraphResponse {
    return collection(ctx, ctx.state.servicePrincipals.map(spView), {
        defaultPageSize: 100,
        maxPageSize: 999,
        context: "servicePrincipals",
    });
}

function getServicePrincipal(ctx: GraphRequestContext, sp: GraphObject): GraphResponse {
    return entity(ctx, spView(sp), "servicePrincipals/$entity");
}

/**
 * Applies a PATCH. With only Application.ReadWrite.OwnedBy the caller must own the target;
 * Application.ReadWrite.All or Directory.ReadWrite.All may change any service principal.
 */
function updateServicePrincipal(ctx: GraphRequestContext, sp: GraphObject): GraphResponse {
    const body = bodyObject(ctx);

    const roles = rolesOf(ctx);
    const broad = roles.has("Application.ReadWrite.All") || roles.has("Directory.ReadWrite.All");
    const owners = Array.isArray(sp.ownerIds) ? (sp.ownerIds as string[]) : [];
    if (!broad && !owners.includes(ctx.app.servicePrincipalId)) {
        throw accessDenied();
    }

    for (const [key, value] of Object.entries(body)) {
        if (!WRITABLE_SP_PROPERTIES.includes(key)) {
            throw badRequest(
                `Property '${key}' is read-only or not supported on servicePrincipal.`,
            );
        }
        if (
            (key === "accountEnabled" || key === "appRoleAssignmentRequired") &&
            typeof value !== "boolean"
        ) {
            throw badRequest(
                `Invalid value specified for property '${key}' of resource 'ServicePrincipal'.`,
            );
        }
    }
    for (const [key, value] of Object.entries(body)) {
        sp[key] = clone(value);
    }
    return { status: 204 };
}

const SP_READ = [
    "Application.Read.All",
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.Read.All",
];
const SP_WRITE = [
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.ReadWrite.All",
];

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/servicePrincipals",
        permissions: { anyOf: SP_READ },
        handler: listServicePrincipals,
    },
    {
        method: "GET",
        pattern: "/servicePrincipals/{spId}",
        permissions: { anyOf: SP_READ },
        handler: (ctx) => getServicePrincipal(ctx, byId(ctx)),
    },
    {
        method: "PATCH",
        pattern: "/servicePrincipals/{spId}",
        permissions: { anyOf: SP_WRITE },
        bucket: "directory-write",
        handler: (ctx) => updateServicePrincipal(ctx, byId(ctx)),
    },
    // The alternate key: Graph addresses a service principal by its application id too.
    {
        method: "GET",
        pattern: "/servicePrincipals(appId='{appId}')",
        permissions: { anyOf: SP_READ },
        handler: (ctx) => getServicePrincipal(ctx, byAppId(ctx)),
    },
    {
        method: "PATCH",
        pattern: "/servicePrincipals(appId='{appId}')",
        permissions: { anyOf: SP_WRITE },
        bucket: "directory-write",
        handler: (ctx) => updateServicePrincipal(ctx, byAppId(ctx)),
    },
];
