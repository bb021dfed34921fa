/**
 * Sign-in logs and directory audit logs, newest first, with the filters an investigation
 * uses: `userId eq`, `userPrincipalName eq`, `ipAddress eq`, `createdDateTime ge/le` for
 * sign-ins; `activityDateTime ge/le` and `initiatedBy/user/id eq` for directory audits (the
 * shared OData helper evaluates them; these handlers only order the rows).
 *
 * Both endpoints need AuditLog.Read.All AND Directory.Read.All for an app: examples.json
 * records the pages' "AuditLog.Read.All and Directory.Read.All", and the sign-in page links a
 * known issue saying consent to both is required. They count against the documented
 * "5 requests per 10 seconds per app and tenant" bucket.
 */
import type { GraphRequestContext, GraphResponse, GraphRoute } from "../contracts";
import { collection } from "../odata";
import { clone, newestFirst } from "./shared";

function listSignIns(ctx: GraphRequestContext): GraphResponse {
    const rows = newestFirst(clone(ctx.state.auditLogs.signIns), "createdDateTime");
    return collection(ctx, rows, {
        defaultPageSize: 1000,
        maxPageSize: 1000,
        context: "auditLogs/signIns",
    });
}

function listDirectoryAudits(ctx: GraphRequestContext): GraphResponse {
    const rows = newestFirst(clone(ctx.state.auditLogs.directoryAudits), "activityDateTime");
    return collection(ctx, rows, {
        defaultPageSize: 1000,
        maxPageSize: 1000,
        context: "auditLogs/directoryAudits",
    });
}

const AUDIT_READ = { anyOf: ["AuditLog.Read.All"], allOf: ["Directory.Read.All"] };

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/auditLogs/signIns",
        permissions: AUDIT_READ,
        bucket: "audit-logs",
        handler: listSignIns,
    },
    {
        method: "GET",
        pattern: "/auditLogs/directoryAudits",
        permissions: AUDIT_READ,
        bucket: "audit-logs",
        handler: listDirectoryAudits,
    },
];
