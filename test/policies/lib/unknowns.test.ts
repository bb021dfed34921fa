import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";

import { isUnknown, PreviewUnknowns } from "../../../policies/lib/unknowns";
import { UNKNOWN } from "../helpers";

/** Props as the analyzer server hands them to a policy: behind the SDK's proxy. */
function props(value: Record<string, unknown>): any {
    return unknownCheckingProxy(JSON.parse(JSON.stringify(value)));
}

describe("PreviewUnknowns", () => {
    test("a known value is returned as a plain copy", () => {
        const unknowns = new PreviewUnknowns();
        const value = unknowns.read(() => props({ a: { b: [1, 2] } }).a);
        expect(value).toEqual({ b: [1, 2] });
        expect(unknowns.any).toBe(false);
    });

    test("an unknown nested deep inside the value read is found at read time", () => {
        const unknowns = new PreviewUnknowns();
        const value = unknowns.read(() => props({ a: { b: ["x", UNKNOWN] } }).a);
        expect(isUnknown(value)).toBe(true);
        expect(unknowns.any).toBe(true);
    });

    test("an unknown elsewhere in the props does not affect the value read", () => {
        const unknowns = new PreviewUnknowns();
        const p = props({ known: "yes", other: UNKNOWN });
        expect(unknowns.read(() => p.known)).toBe("yes");
        expect(unknowns.any).toBe(false);
    });

    test("rethrow hands the SDK its own UnknownValueError naming the field", () => {
        const unknowns = new PreviewUnknowns();
        unknowns.read(
            () => props({ conditions: { users: { excludedUsers: UNKNOWN } } }).conditions,
        );
        expect(() => unknowns.rethrow()).toThrow(UnknownValueError);
        expect(() => unknowns.rethrow()).toThrow("conditions.users.excludedUsers");
    });

    test("awaitOutput hands the SDK an UnknownValueError naming the output and saying why", () => {
        const unknowns = new PreviewUnknowns();
        unknowns.awaitOutput("userId", "the user is resolved when the quarantine runs");
        expect(unknowns.any).toBe(true);
        expect(() => unknowns.rethrow()).toThrow(UnknownValueError);
        expect(() => unknowns.rethrow()).toThrow(
            "userId can't be known during preview: the user is resolved when the quarantine runs",
        );
    });

    test("rethrow does nothing when every read was known", () => {
        const unknowns = new PreviewUnknowns();
        unknowns.read(() => props({ a: 1 }).a);
        expect(() => unknowns.rethrow()).not.toThrow();
    });

    test("errors other than unknowns are not swallowed", () => {
        const unknowns = new PreviewUnknowns();
        expect(() =>
            unknowns.read(() => {
                throw new TypeError("a bug in the policy");
            }),
        ).toThrow(TypeError);
    });
});
