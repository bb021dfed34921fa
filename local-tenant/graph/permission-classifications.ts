/**
 * Delegated permission classifications of an API's service principal: list, create and delete
 * (`/servicePrincipals/{id}/delegatedPermissionClassifications`). With user consent set to
 * `microsoft-user-default-low`, users may consent only to permissions classified `low` here, so
 * the consent baseline classifies a few sign-in permissions of Microsoft Graph.
 *
 * A classification has no update in Graph: it is deleted and created again. The local tenant
 * keeps them in a top-level `delegatedPermissionClassifications` list of the state (an extra
 * property the scenario format allows), each with the `servicePrincipalId` it belongs to, which
 * is bookkeeping and never returned.
 *
 * Permissions (Microsoft Graph docs, serviceprincipal-list/post/delete-
 * delegatedpermissionclassifications, read with the search tool): list Application.Read.All
 * (higher Application.ReadWrite.OwnedBy, Directory.Read.All; Application.ReadWrite.All covers
 * it too, as for the service principal itself); create and delete
 * Policy.ReadWrite.PermissionGrant only.
 */
import type { GraphRequestContext, GraphResponse, GraphRoute } from "../contracts";
import type { GraphObject, TenantState } from "../model";
import { collection } from "../odata";
import {
    badRequest,
    bodyObject,
    clone,
    directoryObjectNotFound,
    isGuid,
    withoutKeys,
} from "./shared";

/** The state with the classifications list this module keeps. */
type StateWithClassifications = TenantState & {
    delegatedPermissionClassifications?: GraphObject[];
};

const CLASSIFICATIONS = ["low", "medium", "high"];
const INTERNAL_FIELDS = ["servicePrincipalId"];

function servicePrincipalOf(ctx: GraphRequestContext): GraphObject {
    const id = ctx.params.spId ?? "";
    const sp = ctx.state.servicePrincipals.find(
        (s) => String(s.id).toLowerCase() === id.toLowerCase(),
    );
    if (!sp) throw directoryObjectNotFound(id);
    return sp;
}

function allClassifications(ctx: GraphRequestContext): GraphObject[] {
    const state = ctx.state as StateWithClassifications;
    state.delegatedPermissionClassifications ??= [];
    return state.delegatedPermissionClassifications;
}

function classificationsOf(ctx: GraphRequestContext, sp: GraphObject): GraphObject[] {
    return allClassifications(ctx).filter((c) => c.servicePrincipalId === sp.id);
}

function listClassifications(ctx: GraphRequestContext): GraphResponse {
    const sp = servicePrincipalOf(ctx);
    return collection(
        ctx,
        classificationsOf(ctx, sp).map((c) => withoutKeys(c, INTERNAL_FIELDS)),
        { context: `servicePrincipals('${String(sp.id)}')/delegatedPermissionClassifications` },
    );
}

/** Creates one; a permission is classified at most once, as Graph refuses a second. */
function createClassification(ctx: GraphRequestContext): GraphResponse {
    const sp = servicePrincipalOf(ctx);
    const body = bodyObject(ctx);

    // 1. The body: a permission id, a known classification, optionally the permission's name.
    if (!isGuid(body.permissionId)) {
        throw badRequest("permissionId is required and must be the id of a delegated permission.");
    }
    if (!CLASSIFICATIONS.includes(body.classification as string)) {
        throw badRequest(
            `Invalid value '${String(body.classification)}' for classification; use low, medium or high.`,
        );
    }
    if (body.permissionName !== undefined && typeof body.permissionName !== "string") {
        throw badRequest("permissionName must be a string.");
    }

    // 2. One classification per permission.
    const permissionId = String(body.permissionId).toLowerCase();
    if (classificationsOf(ctx, sp).some((c) => c.permissionId === permissionId)) {
        throw badRequest(
            `Permission '${permissionId}' already has a classification; delete it first.`,
        );
    }

    // 3. Store and answer 201 with the new object.
    const created: GraphObject = {
        id: ctx.newId(),
        permissionId,
        permissionName: (body.permissionName as string | undefined) ?? null,
        classification: body.classification,
    };
    allClassifications(ctx).push({ ...created, servicePrincipalId: sp.id });
    return {
        status: 201,
        body: {
            "@odata.context": `${ctx.baseUrl}/$metadata#servicePrincipals('${String(sp.id)}')/delegatedPermissionClassifications/$entity`,
            ...clone(created),
        },
    };
}

function deleteClassification(ctx: GraphRequestContext): GraphResponse {
    const sp = servicePrincipalOf(ctx);
    const id = ctx.params.classificationId ?? "";
    const found = classificationsOf(ctx, sp).find(
        (c) => String(c.id).toLowerCase() === id.toLowerCase(),
    );
    if (!found) throw directoryObjectNotFound(id);
    const state = ctx.state as StateWithClassifications;
    state.delegatedPermissionClassifications = allClassifications(ctx).filter((c) => c !== found);
    return { status: 204 };
}

const LIST = [
    "Application.Read.All",
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.Read.All",
];
const WRITE = ["Policy.ReadWrite.PermissionGrant"];

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/servicePrincipals/{spId}/delegatedPermissionClassifications",
        permissions: { anyOf: LIST },
        handler: listClassifications,
    },
    {
        method: "POST",
        pattern: "/servicePrincipals/{spId}/delegatedPermissionClassifications",
        permissions: { anyOf: WRITE },
        bucket: "directory-write",
        handler: createClassification,
    },
    {
        method: "DELETE",
        pattern: "/servicePrincipals/{spId}/delegatedPermissionClassifications/{classificationId}",
        permissions: { anyOf: WRITE },
        bucket: "directory-write",
        handler: deleteClassification,
    },
];
