/**
 * How a quarantine names its user, and what happens when the user goes away: a user named by
 * object id rather than UPN, and a user deleted from the directory while contained. Driven
 * through the SDK's provider host against the contoso-bec tenant.
 */
import type { TenantState } from "../../local-tenant/model";
import type { TestTenant } from "../support/local-tenant";
import { MEGAN_ID, writesIn, type Harness, startContoso, stopContoso } from "./quarantine-support";

let tenant: TestTenant;
let h: Harness;
let initial: TenantState;

beforeAll(async () => ({ tenant, h, initial } = await startContoso()), 120_000);
afterAll(() => stopContoso(h, tenant));

beforeEach(() => {
    tenant.control.putState(structuredClone(initial));
    tenant.control.clearRequests();
});

describe("a user named by object id", () => {
    it("is contained, with Exchange reads anchored where Exchange can route them", async () => {
        const inputs = h.inputs("by-id", { user: MEGAN_ID, incident: "INC-5001" });
        const created = await h.host.create(h.urn("by-id"), inputs);

        expect(created.outs.status).toBe("contained");
        const megan = tenant.control.getState().users.find((u) => u.id === MEGAN_ID)!;
        expect(megan.mailbox!.forwardingSmtpAddress).toBeNull();
        const anchors = tenant.control
            .getRequests()
            .map((r) => r.anchorMailbox)
            .filter((a): a is string => typeof a === "string");
        expect(anchors.length).toBeGreaterThan(0);
        expect(anchors.filter((a) => a.toLowerCase().includes(MEGAN_ID))).toEqual([]);
    }, 60_000);
});

describe("a user deleted from the directory while contained", () => {
    it("lets the quarantine be removed without touching the tenant", async () => {
        const inputs = h.inputs("deleted", { incident: "INC-5002" });
        const created = await h.host.create(h.urn("deleted"), inputs);
        expect(created.outs.status).toBe("contained");

        const state = tenant.control.getState();
        state.users = state.users.filter((u) => u.id !== MEGAN_ID);
        state.oauth2PermissionGrants = state.oauth2PermissionGrants.filter(
            (g) => g.principalId !== MEGAN_ID,
        );
        state.appRoleAssignments = state.appRoleAssignments.filter(
            (a) => a.principalId !== MEGAN_ID,
        );
        tenant.control.putState(state);
        tenant.control.clearRequests();

        await h.host.delete(created.id, h.urn("deleted"), created.outs);
        expect(writesIn(tenant)).toEqual([]);
        expect(h.host.output).toMatch(/deleted: .* no longer exists in the directory/);
    }, 60_000);

    it("is still refused while the user exists and is contained", async () => {
        const inputs = h.inputs("present", { incident: "INC-5003" });
        const created = await h.host.create(h.urn("present"), inputs);
        await expect(h.host.delete(created.id, h.urn("present"), created.outs)).rejects.toThrow(
            /still contained/,
        );
    }, 60_000);
});
