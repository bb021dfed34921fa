/**
 * A quarantine that could not finish: what it reports, how the record it leaves behaves under
 * refresh and delete, and how the next `up` finishes it. Driven through the SDK's provider host
 * against the contoso-bec tenant. A failure here means a stack that says "contained" while the
 * mailbox still forwards mail out, or a partial record that blocks the very `up` meant to
 * finish it.
 */
import type { TenantState, User } from "../../local-tenant/model";
import type { TestTenant } from "../support/local-tenant";
import type { ProviderError } from "../support/provider-host";
import { MEGAN_ID, type Harness, startContoso, stopContoso } from "./quarantine-support";

let tenant: TestTenant;
let h: Harness;
let initial: TenantState;

beforeAll(async () => ({ tenant, h, initial } = await startContoso()), 120_000);
afterAll(() => stopContoso(h, tenant));

/** Each case starts from the scenario as shipped, with no faults. */
function resetTenant(): void {
    tenant.control.setFaults({});
    tenant.control.putState(structuredClone(initial));
}

function megan(): User {
    return tenant.control.getState().users.find((u) => u.id === MEGAN_ID)!;
}

/** Runs create and returns the init-error record it leaves; fails the test if it succeeds. */
async function createPartial(name: string, incident: string) {
    const error = await h.host
        .create(h.urn(name), h.inputs(name, { incident }))
        .then(() => undefined)
        .catch((e: ProviderError) => e);
    if (!error?.initFailure) throw new Error(`expected a partial create, got ${error}`);
    return error.initFailure;
}

describe("when Exchange cannot be read at all", () => {
    let partial: { id: string; properties: Record<string, any>; reasons: string[] };

    beforeAll(async () => {
        resetTenant();
        tenant.control.setFaults({
            failNth: [{ pathPattern: "InvokeCommand", n: 1, status: 403, times: 100_000 }],
        });
        partial = await createPartial("exo-down", "INC-3001");
        tenant.control.setFaults({});
    }, 60_000);

    it("still cuts the attacker off, but reports partial rather than contained", () => {
        expect(megan().accountEnabled).toBe(false);
        expect(megan().mailbox!.forwardingSmtpAddress).not.toBeNull();
        expect(partial.properties.status).toBe("partial");
        expect(partial.properties.containedAt).toBeNull();
    });

    it("names each mailbox read that failed, so the operator knows what is unchecked", () => {
        const reasons = partial.reasons.join("\n");
        expect(reasons).toMatch(/read the inbox rules/);
        expect(reasons).toMatch(/read the mailbox \(Get-Mailbox\)/);
        expect(reasons).toMatch(/read the mail protocol settings/);
    });

    it("leaves a record that refresh reads back unchanged and delete refuses", async () => {
        const urn = h.urn("exo-down");
        const read = await h.host.read(partial.id, urn, partial.properties);
        expect(read.props.status).toBe("partial");
        expect(read.props.evidence).toEqual(partial.properties.evidence);
        expect(h.host.output).toMatch(/exo-down: containment of .* is unfinished/);

        await expect(h.host.delete(partial.id, urn, read.props)).rejects.toThrow(
            /not released.*never re-enables an account.*Fix:/s,
        );
    });

    it("shows as a change, and the next up finishes containment with the full provider", async () => {
        const urn = h.urn("exo-down");
        const inputs = h.inputs("exo-down", { incident: "INC-3001" });
        const diff = await h.host.diff(partial.id, urn, partial.properties, inputs);
        expect(diff.changes).toBe("some");

        const updated = await h.host.update(partial.id, urn, partial.properties, inputs);
        expect(updated.outs.status).toBe("contained");
        expect(megan().mailbox!.forwardingSmtpAddress).toBeNull();
        expect(megan().mailbox!.inboxRules.filter((r) => r.isEnabled)).toHaveLength(1);
        expect(updated.outs.__provider).toBe(inputs.__provider);
    }, 60_000);
});

describe("when the authentication methods cannot be read", () => {
    it("reports partial and keeps the methods, instead of calling the user contained", async () => {
        resetTenant();
        tenant.control.setFaults({
            failNth: [
                {
                    method: "GET",
                    pathPattern: "/authentication/methods$",
                    n: 1,
                    status: 403,
                    times: 100_000,
                },
            ],
        });
        const partial = await createPartial("methods-down", "INC-3002");

        expect(partial.properties.status).toBe("partial");
        expect(partial.reasons.join("\n")).toMatch(/read the authentication methods/);
        const ids = megan().authenticationMethods.map((m) => m.id);
        expect(ids).toEqual(
            initial.users.find((u) => u.id === MEGAN_ID)!.authenticationMethods.map((m) => m.id),
        );
    }, 60_000);
});

describe("a failure from an earlier run", () => {
    it("no longer counts once its target is gone from the tenant", async () => {
        resetTenant();
        const created = await h.host.create(
            h.urn("stale"),
            h.inputs("stale", { incident: "INC-3003" }),
        );
        expect(created.outs.status).toBe("contained");

        // An earlier run failed to remove a method that someone has since removed by hand.
        const olds = structuredClone(created.outs);
        olds.status = "partial";
        olds.evidence.changes.push({
            step: "6",
            action: "remove authentication method",
            target: "authenticationMethods:00000000-0000-0000-0000-00000000dead",
            result: "failed",
            at: "2026-11-28T10:00:00.000Z",
            error: "ServiceUnavailable: try again",
        });

        const updated = await h.host.update(
            created.id,
            h.urn("stale"),
            olds,
            h.inputs("stale", { incident: "INC-3003" }),
        );
        expect(updated.outs.status).toBe("contained");
        expect(updated.outs.evidence.changes).toContainEqual(
            expect.objectContaining({ result: "failed", error: "ServiceUnavailable: try again" }),
        );
    }, 60_000);
});

describe("a release that did not finish", () => {
    it("keeps the Temporary Access Pass it issued when the next up finishes the release", async () => {
        resetTenant();
        const inputs = h.inputs("rel", { incident: "INC-3004" });
        const created = await h.host.create(h.urn("rel"), inputs);
        const released = h.inputs("rel", { incident: "INC-3004", state: "released" });

        // Enabling the account fails once; the pass is issued in the same round trip.
        tenant.control.setFaults({
            failNth: [{ method: "PATCH", pathPattern: `/users/${MEGAN_ID}$`, n: 1, status: 400 }],
        });
        const error = await h.host
            .update(created.id, h.urn("rel"), created.outs, released)
            .then(() => undefined)
            .catch((e: ProviderError) => e);
        tenant.control.setFaults({});
        const partial = error?.initFailure;
        expect(partial?.properties.status).toBe("partial");
        const pass = partial!.properties.temporaryAccessPass;
        expect(typeof pass).toBe("string");

        const finished = await h.host.update(
            created.id,
            h.urn("rel"),
            partial!.properties,
            released,
        );
        expect(finished.outs.status).toBe("released");
        expect(finished.outs.temporaryAccessPass).toBe(pass);
        expect(megan().accountEnabled).toBe(true);
        const passes = megan().authenticationMethods.filter((m) =>
            String(m["@odata.type"]).includes("temporaryAccessPass"),
        );
        expect(passes).toHaveLength(1);
    }, 60_000);
});

describe("a release in a tenant whose pass policy does not allow 60 minutes", () => {
    it("asks for the longest pass the policy allows instead of failing", async () => {
        resetTenant();
        const state = tenant.control.getState();
        const methodsPolicy = state.policies.authenticationMethodsPolicy as {
            authenticationMethodConfigurations: Array<Record<string, unknown>>;
        };
        const tap = methodsPolicy.authenticationMethodConfigurations.find(
            (c) => c.id === "TemporaryAccessPass",
        )!;
        Object.assign(tap, { minimumLifetimeInMinutes: 15, maximumLifetimeInMinutes: 30 });
        tenant.control.putState(state);

        const created = await h.host.create(
            h.urn("short"),
            h.inputs("short", { incident: "INC-3005" }),
        );
        const released = await h.host.update(
            created.id,
            h.urn("short"),
            created.outs,
            h.inputs("short", { incident: "INC-3005", state: "released" }),
        );
        expect(released.outs.status).toBe("released");
        const pass = megan().authenticationMethods.find((m) =>
            String(m["@odata.type"]).includes("temporaryAccessPass"),
        );
        expect(pass).toMatchObject({ lifetimeInMinutes: 30 });
    }, 60_000);
});
