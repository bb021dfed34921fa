import { QUARANTINE } from "../../policies/lib/resource-types";
import { quarantineNotBreakGlass } from "../../policies/quarantine-not-break-glass";
import { messages, TestResource, UNKNOWN, validateResource } from "./helpers";

const config = {
    breakGlassAccounts: ["bg1@contoso.com", "11111111-1111-4111-8111-111111111111"],
};

function quarantine(user: unknown, state = "contained"): TestResource {
    return {
        type: QUARANTINE,
        name: "inc-2041-alice",
        props: {
            user,
            incident: "INC-2041",
            reason: "Forwarding rule to an external address",
            compromisedSince: "2026-11-28T09:14:00Z",
            approvedBy: "secops.lead@contoso.com",
            state,
            __provider: "exports.handler = __f0; ... (serialized provider, never read)",
        },
    };
}

describe("quarantine-not-break-glass", () => {
    test("a quarantine of an ordinary user passes", async () => {
        const ordinary = quarantine("alice@contoso.com");
        expect(await validateResource(quarantineNotBreakGlass, ordinary, config)).toEqual([]);
    });

    test("a quarantine of a break-glass UPN is a mandatory violation", async () => {
        const breakGlass = quarantine("BG1@Contoso.com");
        const violations = await validateResource(quarantineNotBreakGlass, breakGlass, config);
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain(
            'Quarantine "inc-2041-alice" names break-glass account BG1@Contoso.com',
        );
        expect(violations[0].message).toContain("Fix: remove this user from the incident file");
    });

    test("a quarantine of a break-glass object id is a violation", async () => {
        const byId = quarantine("11111111-1111-4111-8111-111111111111");
        expect(await validateResource(quarantineNotBreakGlass, byId, config)).toHaveLength(1);
    });

    test("a released quarantine of a break-glass account is still a violation", async () => {
        const released = quarantine("bg1@contoso.com", "released");
        expect(await validateResource(quarantineNotBreakGlass, released, config)).toHaveLength(1);
    });

    test("an empty break-glass list is reported rather than passing everything", async () => {
        const ordinary = quarantine("alice@contoso.com");
        const violations = await validateResource(quarantineNotBreakGlass, ordinary, {});
        expect(messages(violations)[0]).toContain("the policy config lists none");
    });

    test("a user unknown in preview is left to the check at up (advisory)", async () => {
        const unknown = quarantine(UNKNOWN);
        const violations = await validateResource(quarantineNotBreakGlass, unknown, config);
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    });
});
