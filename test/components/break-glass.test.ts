import * as pulumi from "@pulumi/pulumi";

import { installMocks, valueOf } from "./mocks";
import {
    isBreakGlassEntry,
    objectIdOf,
    resolveBreakGlassAccounts,
} from "../../components/break-glass";

class DummyParent extends pulumi.ComponentResource {
    constructor(name: string) {
        super("bec-guard:test:DummyParent", name, {});
    }
}

let mocks: ReturnType<typeof installMocks>;

beforeEach(() => {
    mocks = installMocks();
});

describe("break-glass accounts", () => {
    test("object ids pass through without a directory lookup", async () => {
        const ids = resolveBreakGlassAccounts(
            ["33333333-3333-4333-8333-333333333333"],
            new DummyParent("p"),
        );
        expect(await valueOf(ids)).toEqual(["33333333-3333-4333-8333-333333333333"]);
        expect(mocks.lookups).toEqual([]);
    });

    test("a UPN is looked up and replaced by its object id", async () => {
        const ids = resolveBreakGlassAccounts(
            ["BreakGlass1@contoso.example"],
            new DummyParent("p"),
        );
        expect(await valueOf(ids)).toEqual(["11111111-1111-4111-8111-111111111111"]);
        expect(mocks.lookups).toEqual(["breakglass1@contoso.example"]);
    });

    test("a UPN the directory does not know fails rather than leaving the exclusion out", () => {
        expect(() => objectIdOf("nobody@contoso.example", {})).toThrow(
            'Break-glass account "nobody@contoso.example" was not found in Entra ID. Fix: correct ' +
                "the UPN in bec-guard:breakGlassAccounts or list the account's object id.",
        );
    });

    test("entries that are neither an object id nor a UPN are recognised as invalid", () => {
        expect(isBreakGlassEntry("33333333-3333-4333-8333-333333333333")).toBe(true);
        expect(isBreakGlassEntry("admin@contoso.onmicrosoft.com")).toBe(true);
        expect(isBreakGlassEntry("breakglass")).toBe(false);
        expect(isBreakGlassEntry("admin@contoso")).toBe(false);
        expect(isBreakGlassEntry("3333-3333")).toBe(false);
    });
});
