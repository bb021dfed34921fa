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
        const a = findGraphOperations("GET", "/beta/Users/x/MailFolders/inbox/messageRules?$top=5");
        const b = findGraphOperations("GET", "/users/x/mailFolders/inbox/messageRules");
        expect(a.map((op) => op.operation)).toEqual(["mail.listInboxRules"]);
        expect(b).toEqual(a);
    });

    test("an unknown call matches nothing", () => {
        expect(findGraphOperations("GET", "/sites/root")).toEqual([]);
    });
});

describe("docs/permissions.md", () => {
    const doc = fs.readFileSync(path.join(__dirname, "../../../docs/permissions.md"), "utf8");

    test("lists every Graph permission and Exchange role in the manifest", () => {
        for (const permission of requiredGraphRoles()) expect(doc).toContain(`\`${permission}\``);
        for (const role of requiredExchangeRoles()) expect(doc).toContain(`\`${role}\``);
        for (const appRole of requiredExchangeAppRoles()) expect(doc).toContain(appRole);
    });

    test("names every Exchange cmdlet the manifest grants", () => {
        for (const op of EXCHANGE_OPERATIONS) expect(doc).toContain(op.cmdlet);
    });
});
