import { QUARANTINE } from "../../policies/lib/resource-types";
import { quarantineNotBreakGlass } from "../../policies/quarantine-not-break-glass";
import { messages, TestResource, UNKNOWN, validateResource } from "./helpers";

const BREAK_GLASS_ID = "11111111-1111-4111-8111-111111111111";
const OTHER_ID = "22222222-2222-4222-8222-222222222222";

/** One break-glass account, its two names paired. */
const config = { breakGlassAccounts: [`${BREAK_GLASS_ID}|bg1@contoso.com`] };

function quarantine(
    user: unknown,
    state = "contained",
    outputs: Record<string, unknown> = {},
): TestResource {
    return {
        type: QUARANTINE,
        name: "inc-2041-alice",
        props: {
            ...outputs,
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
        const byId = quarantine(BREAK_GLASS_ID);
        expect(await validateResource(quarantineNotBreakGlass, byId, config)).toHaveLength(1);
    });

    test("a user named by UPN whose resolved userId is a break-glass id is a violation", async () => {
        const resolved = quarantine("Breakglass.Two@contoso.com", "contained", {
            userId: OTHER_ID,
            userPrincipalName: "breakglass.two@contoso.com",
        });
        const violations = await validateResource(quarantineNotBreakGlass, resolved, {
            breakGlassAccounts: [OTHER_ID],
        });
        expect(messages(violations)).toEqual([
            expect.stringContaining(
                `names break-glass account Breakglass.Two@contoso.com (${OTHER_ID})`,
            ),
        ]);
        expect(violations[0].enforcementLevel).toBe("mandatory");
    });

    test("a user named by id whose resolved UPN is a break-glass UPN is a violation", async () => {
        const resolved = quarantine(OTHER_ID, "contained", {
            userId: OTHER_ID,
            userPrincipalName: "bg2@contoso.com",
        });
        const violations = await validateResource(quarantineNotBreakGlass, resolved, {
            breakGlassAccounts: ["bg2@contoso.com"],
        });
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["mandatory"]);
    });

    test("a user named by UPN, with a break-glass account configured by id only, gets an advisory note", async () => {
        const ordinary = quarantine("alice@contoso.com");
        const violations = await validateResource(quarantineNotBreakGlass, ordinary, {
            breakGlassAccounts: [...config.breakGlassAccounts, OTHER_ID],
        });
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("advisory");
        expect(violations[0].message).toContain(
            `names alice@contoso.com by UPN, and break-glass account(s) ${OTHER_ID} are configured by object id only`,
        );
        expect(violations[0].message).toContain('("<object id>|<upn>")');
    });

    test("a user named by id, with a break-glass account configured by UPN only, gets an advisory note", async () => {
        const byId = quarantine(OTHER_ID);
        const violations = await validateResource(quarantineNotBreakGlass, byId, {
            breakGlassAccounts: ["bg2@contoso.com"],
        });
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
        expect(violations[0].message).toContain("are configured by UPN only");
    });

    test("the note is not needed once the user's other name is known", async () => {
        const resolved = quarantine("alice@contoso.com", "contained", { userId: OTHER_ID });
        const violations = await validateResource(quarantineNotBreakGlass, resolved, {
            breakGlassAccounts: [BREAK_GLASS_ID],
        });
        expect(violations).toEqual([]);
    });

    test("a config entry naming no account is reported", async () => {
        const ordinary = quarantine("alice@contoso.com");
        const violations = await validateResource(quarantineNotBreakGlass, ordinary, {
            breakGlassAccounts: [...config.breakGlassAccounts, "bg-account"],
        });
        expect(messages(violations)).toEqual([
            expect.stringContaining("break-glass account(s) bg-account: those entries"),
        ]);
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
