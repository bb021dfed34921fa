import * as fs from "fs";
import * as path from "path";

import {
    EXCHANGE_OPERATIONS,
    GRAPH_OPERATIONS,
    exchangeRoleFor,
    findGraphOperations,
    requiredExchangeAppRoles,
    requiredExchangeRoles,
    requiredGraphRoles,
} from "../../../dynamic-providers/connection/permissions";

describe("permission manifest", () => {
    test("lists each Graph permission once, sorted", () => {
        const roles = requiredGraphRoles();
        expect(roles).toEqual([...new Set(roles)].sort());
        expect(roles).toContain("User.RevokeSessions.All");
        expect(roles).toContain("User-PasswordProfile.ReadWrite.All");
    });

    test("never asks for a tenant-wide write-everything permission", () => {
        expect(requiredGraphRoles()).not.toContain("Directory.ReadWrite.All");
        expect(requiredGraphRoles()).not.toContain("User.ReadWrite.All");
    });

    test("every row says why it is needed", () => {
        for (const op of GRAPH_OPERATIONS) expect(op.why.length).toBeGreaterThan(10);
        for (const op of EXCHANGE_OPERATIONS) expect(op.why.length).toBeGreaterThan(10);
    });

    test("operation names are unique", () => {
        const names = GRAPH_OPERATIONS.map((op) => op.operation);
        expect(new Set(names).size).toBe(names.length);
    });

    test("Exchange management roles and the ManageAsApp app role are kept apart", () => {
        expect(requiredExchangeRoles()).toContain("Mail Recipients");
        expect(requiredExchangeRoles()).not.toContain("Exchange.ManageAsApp");
        expect(requiredExchangeAppRoles()).toEqual(["Exchange.ManageAsApp"]);
        expect(exchangeRoleFor("set-mailbox")).toBe("Mail Recipients");
    });

    test("a PATCH of accountEnabled maps to the enable/disable permission", () => {
        const ops = findGraphOperations(
            "PATCH",
            "https://graph.microsoft.com/v1.0/users/adele%40contoso.com",
            { accountEnabled: false },
        );
        expect(ops.map((op) => op.permissions)).toEqual([["User.EnableDisableAccount.All"]]);
    });

    test("a PATCH with no telling body returns every candidate", () => {
        const ops = findGraphOperations("PATCH", "/users/x");
        expect(ops.map((op) => op.operation).sort()).toEqual([
            "users.resetPassword",
            "users.setAccountEnabled",
        ]);
    });

    test("paths match with or without version and query, case-insensitively", () => {
        const a = findGraphOperations("GET", "/beta/Users/x/Authentication/Methods?$top=5");
        const b = findGraphOperations("GET", "/users/x/authentication/methods");
        expect(a.map((op) => op.operation)).toEqual(["authMethods.list"]);
        expect(b).toEqual(a);
    });

    test("an unknown call matches nothing", () => {
        expect(findGraphOperations("GET", "/sites/root")).toEqual([]);
    });
});

describe("docs/permissions.md", () => {
    const doc = fs.readFileSync(path.join(__dirname, "../../../docs/permissions.md"), "utf8");

    /**
     * The rows of the Markdown table under `heading`: the first column's code-quoted name, and
     * the names listed (comma-separated) in column `listColumn`.
     */
    function tableRows(heading: string, listColumn: number): Map<string, string[]> {
        const section = doc.slice(doc.indexOf(heading));
        const rows = new Map<string, string[]>();
        for (const line of section.split("\n").slice(1)) {
            if (line.startsWith("#")) break;
            const cells = line.split("|").map((c) => c.trim());
            const name = /^`([^`]+)`$/.exec(cells[1] ?? "")?.[1];
            if (!name) continue;
            rows.set(
                name,
                cells[listColumn].split(",").map((n) => n.trim()),
            );
        }
        return rows;
    }

    /** `area.*` stands for every operation of that area; it must then hold for all of them. */
    function expand(names: string[]): string[] {
        return names.flatMap((n) =>
            n.endsWith(".*")
                ? GRAPH_OPERATIONS.map((op) => op.operation).filter((o) =>
                      o.startsWith(n.slice(0, -1)),
                  )
                : [n],
        );
    }

    test("lists every Graph permission and Exchange role in the manifest", () => {
        for (const permission of requiredGraphRoles()) expect(doc).toContain(`\`${permission}\``);
        for (const role of requiredExchangeRoles()) expect(doc).toContain(`\`${role}\``);
        for (const appRole of requiredExchangeAppRoles()) expect(doc).toContain(appRole);
    });

    test("lists, for each Graph permission, exactly the operations the manifest says need it", () => {
        const rows = tableRows("## Microsoft Graph application permissions", 3);
        const documented = Object.fromEntries(
            [...rows].map(([permission, ops]) => [permission, expand(ops).sort()]),
        );

        const manifest = Object.fromEntries(
            requiredGraphRoles().map((permission) => [
                permission,
                GRAPH_OPERATIONS.filter((op) => op.permissions.includes(permission))
                    .map((op) => op.operation)
                    .sort(),
            ]),
        );
        expect(documented).toEqual(manifest);
    });

    test("lists, for each Exchange role, exactly the cmdlets the manifest assigns it", () => {
        const documented = Object.fromEntries(
            [...tableRows("## Exchange Online", 2)].map(([role, cmdlets]) => [
                role,
                [...cmdlets].sort(),
            ]),
        );

        const manifest = Object.fromEntries(
            requiredExchangeRoles().map((role) => [
                role,
                EXCHANGE_OPERATIONS.filter((op) => op.role === role)
                    .map((op) => op.cmdlet)
                    .sort(),
            ]),
        );
        expect(documented).toEqual(manifest);
    });
});
