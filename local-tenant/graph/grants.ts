/**
 * Delegated permission grants (OAuth consent) and app role assignments.
 *
 * `/users/{id}/oauth2PermissionGrants` returns only the grants the user gave for themself
 * (consentType Principal); tenant-wide grants (AllPrincipals) are not included, as the
 * documentation says. Those appear in `/oauth2PermissionGrants` (filterable by clientId,
 * consentType, principalId and resourceId).
 *
 * Permissions come from ../shared/graph-docs/examples.json (user-list-oauth2permissiongrants,
 * oauth2permissiongrant-list, oauth2permissiongrant-delete, user-list-approleassignments)
 * unless a comment names another source.
 */
import type { GraphRequestContext, GraphResponse, GraphRoute } from "../contracts";
import type { GraphObject } from "../model";
import { collection, entity } from "../odata";
import { clone, directoryObjectNotFound, requireUser } from "./shared";

function grantsOfUser(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    const grants = ctx.state.oauth2PermissionGrants.filter(
        (g) => g.consentType === "Principal" && g.principalId === user.id,
    );
    return collection(ctx, clone(grants), { context: "oauth2PermissionGrants" });
}

function listGrants(ctx: GraphRequestContext): GraphResponse {
    return collection(ctx, clone(ctx.state.oauth2PermissionGrants), {
        defaultPageSize: 100,
        maxPageSize: 999,
        context: "oauth2PermissionGrants",
    });
}

function findGrant(ctx: GraphRequestContext): GraphObject {
    const id = ctx.params.grantId ?? "";
    const grant = ctx.state.oauth2PermissionGrants.find((g) => g.id === id);
    if (!grant) {
        throw directoryObjectNotFound(id);
    }
    return grant;
}

function getGrant(ctx: GraphRequestContext): GraphResponse {
    return entity(ctx, clone(findGrant(ctx)), "oauth2PermissionGrants/$entity");
}

function deleteGrant(ctx: GraphRequestContext): GraphResponse {
    const grant = findGrant(ctx);
    ctx.state.oauth2PermissionGrants = ctx.state.oauth2PermissionGrants.filter((g) => g !== grant);
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// App role assignments

function assignmentsOfUser(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    const items = ctx.state.appRoleAssignments.filter((a) => a.principalId === user.id);
    return collection(ctx, clone(items), { context: `users('${user.id}')/appRoleAssignments` });
}

function deleteAssignmentOfUser(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    const id = ctx.params.assignmentId ?? "";
    const assignment = ctx.state.appRoleAssignments.find(
        (a) => a.id === id && a.principalId === user.id,
    );
    if (!assignment) {
        throw directoryObjectNotFound(id);
    }
    ctx.state.appRoleAssignments = ctx.state.appRoleAssignments.filter((a) => a !== assignment);
    return { status: 204 };
}

/** The service principal named by `{spId}` (object id), or Graph's 404. */
export function requireServicePrincipal(ctx: GraphRequestContext, id: string): GraphObject {
    const sp = ctx.state.servicePrincipals.find(
        (s) => String(s.id).toLowerCase() === id.toLowerCase(),
    );
    if (!sp) {
        throw directoryObjectNotFound(id);
    }
    return sp;
}

function assignedTo(ctx: GraphRequestContext): GraphResponse {
    const sp = requireServicePrincipal(ctx, ctx.params.spId ?? "");
    const items = ctx.state.appRoleAssignments.filter((a) => a.resourceId === sp.id);
    return collection(ctx, clone(items), {
        defaultPageSize: 100,
        maxPageSize: 999,
        context: `servicePrincipals('${String(sp.id)}')/appRoleAssignedTo`,
    });
}

function deleteAssignedTo(ctx: GraphRequestContext): GraphResponse {
    const sp = requireServicePrincipal(ctx, ctx.params.spId ?? "");
    const id = ctx.params.assignmentId ?? "";
    const assignment = ctx.state.appRoleAssignments.find(
        (a) => a.id === id && a.resourceId === sp.id,
    );
    if (!assignment) {
        throw directoryObjectNotFound(id);
    }
    ctx.state.appRoleAssignments = ctx.state.appRoleAssignments.filter((a) => a !== assignment);
    return { status: 204 };
}

const GRANTS_READ = [
    "Directory.Read.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
];
// examples.json (an older oauth2permissiongrant-delete version) lists only
// Directory.ReadWrite.All for applications; the current page names
// DelegatedPermissionGrant.ReadWrite.All as least privileged, so both are accepted.
const GRANTS_DELETE = ["DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"];
const APP_ROLE_READ = ["Directory.Read.All", "AppRoleAssignment.ReadWrite.All"];

// Path literals match case-insensitively in the core, so /oAuth2PermissionGrants (the
// spelling of the delete page) reaches the same routes.

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/users/{userId}/oauth2PermissionGrants",
        permissions: { anyOf: GRANTS_READ },
        handler: grantsOfUser,
    },
    {
        method: "GET",
        pattern: "/oauth2PermissionGrants",
        permissions: { anyOf: GRANTS_READ },
        handler: listGrants,
    },
    {
        method: "GET",
        pattern: "/oauth2PermissionGrants/{grantId}",
        // oauth2permissiongrant-get is not in examples.json; it documents the list's
        // permissions (Directory.Read.All least, then DelegatedPermissionGrant.ReadWrite.All,
        // Directory.ReadWrite.All).
        permissions: { anyOf: GRANTS_READ },
        handler: getGrant,
    },
    {
        method: "DELETE",
        pattern: "/oauth2PermissionGrants/{grantId}",
        permissions: { anyOf: GRANTS_DELETE },
        bucket: "directory-write",
        handler: deleteGrant,
    },
    {
        method: "GET",
        pattern: "/users/{userId}/appRoleAssignments",
        permissions: { anyOf: APP_ROLE_READ },
        handler: assignmentsOfUser,
    },
    {
        method: "DELETE",
        pattern: "/users/{userId}/appRoleAssignments/{assignmentId}",
        // user-delete-approleassignments (stored page, read with the search tool): Application
        // AppRoleAssignment.ReadWrite.All.
        permissions: { anyOf: ["AppRoleAssignment.ReadWrite.All"] },
        bucket: "directory-write",
        handler: deleteAssignmentOfUser,
    },
    {
        method: "GET",
        pattern: "/servicePrincipals/{spId}/appRoleAssignedTo",
        // serviceprincipal-list-approleassignedto include (read with the search tool):
        // Application.Read.All least, then Application.ReadWrite.OwnedBy, Directory.Read.All,
        // Application.ReadWrite.All, Directory.ReadWrite.All.
        permissions: {
            anyOf: [
                "Application.Read.All",
                "Application.ReadWrite.OwnedBy",
                "Directory.Read.All",
                "Application.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
        },
        handler: assignedTo,
    },
    {
        method: "DELETE",
        pattern: "/servicePrincipals/{spId}/appRoleAssignedTo/{assignmentId}",
        // serviceprincipal-delete-approleassignedto (recalled, not in examples.json):
        // AppRoleAssignment.ReadWrite.All, the same as deleting through the user.
        permissions: { anyOf: ["AppRoleAssignment.ReadWrite.All"] },
        bucket: "directory-write",
        handler: deleteAssignedTo,
    },
];
