/**
 * Small Graph routes and Exchange cmdlets used to test the local tenant's core (pipeline,
 * OData, batch, throttling, faults) independently of the real route modules.
 */
import {
    CmdletError,
    GraphHttpError,
    type Cmdlet,
    type GraphRoute,
} from "../../local-tenant/contracts";
import { collection, entity } from "../../local-tenant/odata";

/** 25 things with nested properties and collections to filter on. */
export function things(): Array<Record<string, unknown>> {
    return Array.from({ length: 25 }, (_, i) => ({
        id: `thing-${String(i).padStart(2, "0")}`,
        displayName: `Thing ${i}`,
        size: i,
        enabled: i % 2 === 0,
        createdDateTime: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(),
        owner: { name: i < 5 ? "alice" : "bob", department: i % 3 === 0 ? "Finance" : null },
        identities: [
            { signInType: "userPrincipalName", issuerAssignedId: `t${i}@contoso.example` },
        ],
        tags: i % 5 === 0 ? ["red", "blue"] : ["green"],
    }));
}

/** Lets a test hold outlook requests open to fill the concurrency limit. */
export const gate = {
    waiting: [] as Array<() => void>,
    releaseAll(): void {
        for (const release of this.waiting.splice(0)) release();
    },
};

export const testRoutes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/things",
        permissions: { anyOf: ["Test.Read.All", "Test.ReadWrite.All"] },
        handler: (ctx) => collection(ctx, things(), { defaultPageSize: 10, maxPageSize: 20 }),
    },
    {
        method: "GET",
        pattern: "/things/{id}",
        permissions: { anyOf: ["Test.Read.All"] },
        handler: (ctx) => {
            const thing = things().find((t) => t.id === ctx.params.id);
            if (!thing)
                throw new GraphHttpError(
                    404,
                    "Request_ResourceNotFound",
                    `Resource '${ctx.params.id}' does not exist.`,
                );
            return entity(ctx, thing, "things/$entity");
        },
    },
    {
        method: "GET",
        pattern: "/things(name='{name}',size={size})",
        permissions: { anyOf: ["Test.Read.All"] },
        handler: (ctx) => ({ status: 200, body: { ...ctx.params } }),
    },
    {
        method: "POST",
        pattern: "/things",
        permissions: { anyOf: ["Test.ReadWrite.All"] },
        handler: () => ({ status: 201, body: {} }),
    },
    {
        method: "PATCH",
        pattern: "/policies/test",
        permissions: { anyOf: ["Test.Read.All"], allOf: ["Policy.Test.Write"] },
        handler: () => ({ status: 204 }),
    },
    {
        method: "POST",
        pattern: "/directory/notes",
        permissions: { anyOf: ["Test.Read.All"] },
        bucket: "directory-write",
        handler: (ctx) => {
            ctx.state.groups.push({
                id: ctx.newId(),
                displayName: String((ctx.body as { name?: string })?.name),
                securityEnabled: true,
                mailEnabled: false,
            });
            return { status: 201, body: { ok: true } };
        },
    },
    {
        method: "GET",
        pattern: "/auditLogs/test",
        permissions: { anyOf: ["Test.Read.All"] },
        bucket: "audit-logs",
        handler: () => ({ status: 200, body: { value: [] } }),
    },
    {
        method: "POST",
        pattern: "/identity/conditionalAccess/test",
        permissions: { anyOf: ["Test.Read.All"] },
        bucket: "conditional-access-write",
        handler: () => ({ status: 201, body: {} }),
    },
    {
        method: "GET",
        pattern: "/users/{userId}/slowRules",
        permissions: { anyOf: ["Test.Read.All"] },
        bucket: "outlook",
        mailboxOf: (ctx) => ctx.params.userId,
        handler: () =>
            new Promise((resolve) =>
                gate.waiting.push(() => resolve({ status: 200, body: { value: [] } })),
            ),
    },
    {
        method: "GET",
        pattern: "/broken",
        permissions: { anyOf: [] },
        handler: () => {
            throw new Error("deliberate bug");
        },
    },
];

export const TEST_ROLES = ["Test.Read.All"];

/** 2,500 mailboxes for paging tests. */
const MANY = Array.from({ length: 2500 }, (_, i) => ({ Identity: `mbx${i}`, Alias: `mbx${i}` }));

export const testCmdlets: Cmdlet[] = [
    {
        name: "Get-TestMailbox",
        roles: ["View-Only Recipients", "Mail Recipients"],
        parameters: ["Identity", "ResultSize"],
        handler: () => ({ value: MANY }),
    },
    {
        name: "Set-TestMailbox",
        roles: ["Mail Recipients"],
        parameters: ["Identity", "ForwardingSmtpAddress"],
        handler: () => ({ value: [] }),
    },
    {
        name: "Disable-TestRule",
        roles: ["View-Only Recipients"],
        parameters: ["Identity"],
        handler: (ctx) => {
            if (ctx.parameters.Identity === "missing") {
                throw new CmdletError(
                    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                    "NotSpecified",
                    "The operation couldn't be performed because object 'missing' couldn't be found.",
                    404,
                );
            }
            return {
                value: [],
                warnings: [
                    "The command completed successfully but no settings of 'x' have been modified.",
                ],
            };
        },
    },
    {
        name: "Get-SlowThing",
        roles: ["View-Only Recipients"],
        parameters: [],
        handler: () => new Promise((resolve) => gate.waiting.push(() => resolve({ value: [] }))),
    },
];
