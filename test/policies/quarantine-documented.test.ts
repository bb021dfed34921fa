import { QUARANTINE } from "../../policies/lib/resource-types";
import { quarantineDocumented } from "../../policies/quarantine-documented";
import { messages, TestResource, UNKNOWN, validateResource } from "./helpers";

const config = { approvers: ["secops.lead@contoso.com", "ciso@contoso.com"] };
const ALICE_ID = "aaaaaaaa-1111-4111-8111-111111111111";

const validProps = {
    user: "alice@contoso.com",
    incident: "INC-2041",
    reason: "Forwarding rule to an external address and sign-ins from an unknown country",
    compromisedSince: "2026-11-28T09:14:00Z",
    approvedBy: "secops.lead@contoso.com",
    state: "contained",
};

/** The valid quarantine with ONE field changed (or removed, with `undefined`). */
function quarantine(change: Record<string, unknown> = {}): TestResource {
    const props: Record<string, unknown> = { ...validProps, ...change };
    for (const key of Object.keys(change)) {
        if (change[key] === undefined) {
            delete props[key];
        }
    }
    return { type: QUARANTINE, name: "inc-2041-alice", props };
}

async function check(
    change: Record<string, unknown>,
    policyConfig: Record<string, unknown> = config,
) {
    return validateResource(quarantineDocumented, quarantine(change), policyConfig);
}

describe("quarantine-documented", () => {
    test("a complete quarantine approved by a listed approver passes", async () => {
        expect(await check({})).toEqual([]);
    });

    test("approvers match whatever their letter case", async () => {
        expect(await check({ approvedBy: "CISO@contoso.com" })).toEqual([]);
    });

    test("a missing incident is a mandatory violation", async () => {
        const violations = await check({ incident: undefined });
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain(
            'Quarantine "inc-2041-alice" has incident (missing)',
        );
    });

    test("an incident not matching the configured pattern is a violation", async () => {
        const violations = await check(
            { incident: "2041" },
            { ...config, incidentPattern: "^INC-[0-9]+$" },
        );
        expect(messages(violations)[0]).toContain("does not match ^INC-[0-9]+$");
    });

    test("a reason that says nothing is a violation", async () => {
        expect(messages(await check({ reason: "bec" }))[0]).toContain("shorter than 10 characters");
    });

    test("a missing compromise start is a violation", async () => {
        expect(messages(await check({ compromisedSince: undefined }))[0]).toContain(
            "it is missing",
        );
    });

    test("a compromise start without a zone is a violation", async () => {
        const violations = await check({ compromisedSince: "2026-11-28 09:14" });
        expect(messages(violations)[0]).toContain("not an ISO 8601 date-time with a zone");
    });

    test("a compromise start in the future is a violation", async () => {
        const future = new Date(Date.now() + 24 * 3600_000).toISOString();
        expect(messages(await check({ compromisedSince: future }))[0]).toContain("in the future");
    });

    test("an approver not on the list is a violation naming the list and the fix", async () => {
        const violations = await check({ approvedBy: "bob@contoso.com" });
        expect(violations).toHaveLength(1);
        expect(violations[0].message).toContain('approved by "bob@contoso.com", who is not among');
        expect(violations[0].message).toContain("secops.lead@contoso.com, ciso@contoso.com");
    });

    test("a missing approver is a violation", async () => {
        expect(await check({ approvedBy: undefined })).toHaveLength(1);
    });

    test("the contained user approving their own quarantine is a violation", async () => {
        const self = await check(
            { approvedBy: "Alice@contoso.com" },
            { approvers: [...config.approvers, "alice@contoso.com"] },
        );
        expect(messages(self)).toEqual([expect.stringContaining("approved by the contained user")]);
    });

    test("a user named by object id cannot approve with their own UPN once it is resolved", async () => {
        const self = await check(
            {
                user: ALICE_ID,
                userId: ALICE_ID,
                userPrincipalName: "alice@contoso.com",
                approvedBy: "Alice@contoso.com",
            },
            { approvers: [...config.approvers, "alice@contoso.com"] },
        );
        expect(self.map((v) => v.enforcementLevel)).toEqual(["mandatory"]);
        expect(self[0].message).toContain(
            `approved by the contained user Alice@contoso.com (${ALICE_ID})`,
        );
    });

    test("a user named by object id with an unresolved UPN leaves self-approval as an advisory note", async () => {
        const violations = await check({ user: ALICE_ID });
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
        expect(violations[0].message).toContain(
            `names its user by object id ${ALICE_ID}, so the pack cannot tell whether the approver secops.lead@contoso.com is that user`,
        );
        expect(violations[0].message).toContain("Fix: name the user by UPN in the incident file");
    });

    test("a user named by object id whose resolved UPN is someone else passes", async () => {
        const resolved = await check({
            user: ALICE_ID,
            userId: ALICE_ID,
            userPrincipalName: "alice@contoso.com",
        });
        expect(resolved).toEqual([]);
    });

    test("an empty approvers list is reported rather than accepting anyone", async () => {
        expect(messages(await check({}, {}))[0]).toContain("lists no approvers");
    });

    test("known problems stay mandatory while an unknown field is noted as advisory", async () => {
        const violations = await check({ reason: "x", approvedBy: UNKNOWN });
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["mandatory", "advisory"]);
        expect(violations[1].message).toContain("approvedBy");
    });
});
