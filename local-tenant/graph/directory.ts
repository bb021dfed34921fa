/**
 * Groups (to resolve break-glass and target groups), the organization and its domains.
 *
 * Permissions (not in examples.json; read with the search tool): group-get and
 * group-list-members includes (GroupMember.Read.All least, then Group.Read.All,
 * Directory.Read.All and the write permissions), domain-list (Domain.Read.All, then
 * Domain.ReadWrite.All, Directory.Read.All), organization-list include (Directory.Read.All,
 * then Directory.ReadWrite.All; the current organization pages also name
 * Organization.Read.All / Organization.ReadWrite.All, accepted too).
 */
import type { GraphRequestContext, GraphResponse, GraphRoute } from "../contracts";
import type { GraphObject } from "../model";
import { collection, entity } from "../odata";
import { DEFAULT_USER_PROPERTIES, userFields } from "./users";
import { clone, directoryObjectNotFound } from "./shared";

function findGroup(ctx: GraphRequestContext): GraphObject {
    const id = ctx.params.groupId ?? "";
    const group = ctx.state.groups.find((g) => g.id.toLowerCase() === id.toLowerCase());
    if (!group) {
        throw directoryObjectNotFound(id);
    }
    return { ...clone(group) } as unknown as GraphObject;
}

/** Members of a group: the users whose memberOf names it, in Graph's directoryObject form. */
function listMembers(ctx: GraphRequestContext): GraphResponse {
    const group = findGroup(ctx);
    const members = ctx.state.users
        .filter((u) => u.memberOf.includes(String(group.id)))
        .map((u) => {
            const view = userFields(u);
            const out: GraphObject = { "@odata.type": "#microsoft.graph.user" };
            for (const key of DEFAULT_USER_PROPERTIES) out[key] = view[key];
            return clone(out);
        });
    return collection(ctx, members, {
        defaultPageSize: 100,
        maxPageSize: 999,
        context: "directoryObjects",
    });
}

/** The tenant's domains: the initial *.onmicrosoft.com one and the verified custom ones. */
function domains(ctx: GraphRequestContext): GraphObject[] {
    const { initialDomain, verifiedDomains } = ctx.state.tenant;
    const names = [...new Set([...verifiedDomains, initialDomain])];
    const defaultName = names.find((n) => n !== initialDomain) ?? initialDomain;
    return names.map((name) => ({
        id: name,
        authenticationType: "Managed",
        isAdminManaged: true,
        isDefault: name === defaultName,
        isInitial: name === initialDomain,
        isRoot: true,
        isVerified: true,
        supportedServices: ["Email", "OfficeCommunicationsOnlineServices"],
    }));
}

function organization(ctx: GraphRequestContext): GraphObject {
    const { id, displayName } = ctx.state.tenant;
    return {
        id,
        displayName,
        onPremisesSyncEnabled: ctx.state.users.some((u) => u.onPremisesSyncEnabled === true)
            ? true
            : null,
        verifiedDomains: domains(ctx).map((d) => ({
            capabilities: "Email, OfficeCommunicationsOnlineServices",
            isDefault: d.isDefault,
            isInitial: d.isInitial,
            name: d.id,
            type: "Managed",
        })),
    };
}

const GROUP_READ = [
    "GroupMember.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const ORG_READ = [
    "Organization.Read.All",
    "Directory.Read.All",
    "Organization.ReadWrite.All",
    "Directory.ReadWrite.All",
];

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/groups/{groupId}",
        permissions: { anyOf: GROUP_READ },
        handler: (ctx) => entity(ctx, findGroup(ctx), "groups/$entity"),
    },
    {
        method: "GET",
        pattern: "/groups/{groupId}/members",
        permissions: { anyOf: GROUP_READ },
        handler: listMembers,
    },
    {
        method: "GET",
        pattern: "/organization",
        permissions: { anyOf: ORG_READ },
        handler: (ctx) => collection(ctx, [organization(ctx)], { context: "organization" }),
    },
    {
        method: "GET",
        pattern: "/organization/{orgId}",
        permissions: { anyOf: ORG_READ },
        handler: (ctx) => {
            if ((ctx.params.orgId ?? "").toLowerCase() !== ctx.state.tenant.id.toLowerCase()) {
                throw directoryObjectNotFound(ctx.params.orgId ?? "");
            }
            return entity(ctx, organization(ctx), "organization/$entity");
        },
    },
    {
        method: "GET",
        pattern: "/domains",
        permissions: { anyOf: ["Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All"] },
        handler: (ctx) => collection(ctx, domains(ctx), { context: "domains" }),
    },
];
