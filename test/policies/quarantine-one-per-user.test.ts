import { QUARANTINE } from "../../policies/lib/resource-types";
import { quarantineOnePerUser } from "../../policies/quarantine-one-per-user";
import { TestResource, UNKNOWN, validateStack } from "./helpers";

function quarantine(
    name: string,
    user: unknown,
    incident: string,
    state?: string,
    outputs: Record<string, unknown> = {},
): TestResource {
    const props: Record<string, unknown> = {
        ...outputs,
        user,
        incident,
        reason: "Forwarding rule to an external address",
        compromisedSince: "2026-11-28T09:14:00Z",
        approvedBy: "secops.lead@contoso.com",
    };
    if (state) {
        props.state = state;
    }
    return { type: QUARANTINE, name, props };
}

const alice = quarantine("inc-2041-alice", "alice@contoso.com", "INC-2041");
const bob = quarantine("inc-2041-bob", "bob@contoso.com", "INC-2041");
const ALICE_ID = "aaaaaaaa-1111-4111-8111-111111111111";

describe("quarantine-one-per-user", () => {
    test("one quarantine per user passes", async () => {
        expect(await validateStack(quarantineOnePerUser, [alice, bob])).toEqual([]);
    });

    test("the same user contained by two incidents is a mandatory violation on the second", async () => {
        const again = quarantine("inc-2050-alice", "ALICE@contoso.com", "INC-2050");
        const violations = await validateStack(quarantineOnePerUser, [alice, bob, again]);
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].urn).toContain("inc-2050-alice");
        expect(violations[0].message).toContain("User alice@contoso.com is quarantined 2 times");
        expect(violations[0].message).toContain('Quarantine "inc-2041-alice" (incident INC-2041)');
        expect(violations[0].message).toContain("Fix: keep the user in one incident file");
    });

    test("a new file naming a contained user by object id matches the old one's resolved id", async () => {
        const contained = quarantine("inc-2041-alice", "alice@contoso.com", "INC-2041", undefined, {
            userId: ALICE_ID,
            userPrincipalName: "alice@contoso.com",
        });
        const byId = quarantine("inc-2050-alice", ALICE_ID.toUpperCase(), "INC-2050");
        const violations = await validateStack(quarantineOnePerUser, [contained, bob, byId]);
        expect(violations).toHaveLength(1);
        expect(violations[0].urn).toContain("inc-2050-alice");
        expect(violations[0].message).toContain(
            `User alice@contoso.com / ${ALICE_ID} is quarantined 2 times`,
        );
    });

    test("a new file naming a contained user by UPN matches the old one's resolved UPN", async () => {
        const contained = quarantine("inc-2041-alice", ALICE_ID, "INC-2041", undefined, {
            userId: ALICE_ID,
            userPrincipalName: "alice@contoso.com",
        });
        const byUpn = quarantine("inc-2050-alice", "Alice@contoso.com", "INC-2050");
        expect(await validateStack(quarantineOnePerUser, [contained, byUpn])).toHaveLength(1);
    });

    test("a released quarantine next to a new containing one passes", async () => {
        const released = quarantine("inc-2041-alice", "alice@contoso.com", "INC-2041", "released");
        const again = quarantine("inc-2050-alice", "alice@contoso.com", "INC-2050");
        expect(await validateStack(quarantineOnePerUser, [released, again])).toEqual([]);
    });

    test("with countReleased, a released quarantine counts too", async () => {
        const released = quarantine("inc-2041-alice", "alice@contoso.com", "INC-2041", "released");
        const again = quarantine("inc-2050-alice", "alice@contoso.com", "INC-2050");
        const violations = await validateStack(quarantineOnePerUser, [released, again], {
            countReleased: true,
        });
        expect(violations).toHaveLength(1);
    });

    test("a user unknown in preview does not hide a known duplicate", async () => {
        const again = quarantine("inc-2050-alice", "alice@contoso.com", "INC-2050");
        const unknown = quarantine("inc-2051-x", UNKNOWN, "INC-2051");
        const violations = await validateStack(quarantineOnePerUser, [alice, again, unknown]);
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["mandatory", "advisory"]);
    });
});
