/**
 * Containment under a failing network and a crashing provider: 429s, 5xx and dropped
 * connections injected, and the provider host killed halfway through a create. Each run of
 * `pulumi up` that follows must converge, and the evidence must keep every original. A failure
 * here means a responder's second `up` leaves the attacker in, or loses what the attacker did.
 */
import * as fs from "fs";
import type { TenantState, User } from "../../local-tenant/model";
import type { TestTenant } from "../support/local-tenant";
import type { ProviderError } from "../support/provider-host";
import {
    MEGAN,
    MEGAN_ID,
    restartHost,
    type Harness,
    startContoso,
    stopContoso,
} from "./quarantine-support";

let tenant: TestTenant;
let h: Harness;
let initial: TenantState;

beforeAll(async () => ({ tenant, h, initial } = await startContoso()), 120_000);
afterAll(() => stopContoso(h, tenant));

function megan(): User {
    return tenant.control.getState().users.find((u) => u.id === MEGAN_ID)!;
}

/** What `pulumi up` does until the quarantine stops reporting init errors (at most `runs`). */
async function upUntilContained(name: string, inputs: Record<string, any>, runs: number) {
    let olds: Record<string, any> | undefined;
    let id = "";
    for (let run = 1; run <= runs; run++) {
        try {
            if (olds === undefined) {
                const created = await h.host.create(h.urn(name), inputs);
                return { outs: created.outs, runs: run, id: created.id };
            }
            const updated = await h.host.update(id, h.urn(name), olds, inputs);
            return { outs: updated.outs, runs: run, id };
        } catch (error) {
            const init = (error as ProviderError).initFailure;
            if (!init) throw error;
            olds = init.properties;
            id = init.id;
        }
    }
    throw new Error(`still not contained after ${runs} runs`);
}

function expectContained(): void {
    const user = megan();
    expect(user.accountEnabled).toBe(false);
    expect(user.mailbox!.forwardingSmtpAddress).toBeNull();
    expect(user.mailbox!.inboxRules.filter((r) => r.isEnabled).map((r) => r.displayName)).toEqual([
        "Finance team updates",
    ]);
    expect(user.authenticationMethods.map((m) => m["@odata.type"])).toEqual([
        "#microsoft.graph.passwordAuthenticationMethod",
        "#microsoft.graph.fido2AuthenticationMethod",
    ]);
    expect(user.mailbox!.mailboxPermissions.map((p) => p.user)).not.toContain(
        "pradeep.gupta@contoso.com",
    );
}

describe("with 429s, 5xx and connection resets injected", () => {
    let result: Awaited<ReturnType<typeof upUntilContained>>;

    beforeAll(async () => {
        tenant.control.setFaults({
            rate429: 0.1,
            rate5xx: 0.05,
            resetRate: 0.03,
            retryAfterSeconds: 1,
            seed: 42,
        });
        try {
            result = await upUntilContained(
                "faulty",
                h.inputs("faulty", { incident: "INC-2042" }),
                6,
            );
        } finally {
            tenant.control.setFaults({});
        }
    }, 120_000);

    it("converges within a few runs of up", () => {
        expect(result.outs.status).toBe("contained");
        expectContained();
    });

    it("keeps the originals of everything it changed", () => {
        const evidence = result.outs.evidence;
        expect(evidence.found.user[0].object.accountEnabled).toBe(true);
        expect(JSON.stringify(evidence.found.mailbox[0].object)).toContain(
            "ap.remittance.contoso@proton.me",
        );
        const methods = evidence.found.authenticationMethods.map((m: any) => m.key).sort();
        expect(methods).toEqual(
            initial.users
                .find((u) => u.id === MEGAN_ID)!
                .authenticationMethods.map((m) => m.id)
                .sort(),
        );
    });
});

describe("with the provider host killed in the middle of create", () => {
    let outs: Record<string, any>;
    let atKill: { accountEnabled: boolean; attackerArtifactsLeft: boolean };

    beforeAll(async () => {
        tenant.control.putState(structuredClone(initial));
        tenant.control.setFaults({ latencyMs: 150 });
        tenant.control.clearRequests();

        // Start containing, and kill the host as soon as the first change reaches the tenant.
        const inputs = h.inputs("crash", { incident: "INC-2043" });
        const pending = h.host.create(h.urn("crash"), inputs).catch(() => undefined);
        const deadline = Date.now() + 20_000;
        while (
            !tenant.control
                .getRequests()
                .some((r) => r.method === "PATCH" || r.cmdlet === "Disable-InboxRule")
        ) {
            if (Date.now() > deadline) throw new Error("no change reached the tenant");
            await new Promise((r) => setTimeout(r, 2));
        }
        h.host.kill();
        atKill = {
            accountEnabled: megan().accountEnabled,
            attackerArtifactsLeft:
                megan().mailbox!.forwardingSmtpAddress !== null ||
                megan().authenticationMethods.length > 2 ||
                megan().mailbox!.inboxRules.filter((r) => r.isEnabled).length > 1,
        };
        await pending;
        tenant.control.setFaults({});

        // The engine recorded nothing: the next up creates again, in a new host.
        await restartHost(tenant, h);
        outs = (await h.host.create(h.urn("crash"), inputs)).outs;
    }, 120_000);

    it("was killed after changing the tenant and before finishing", () => {
        expect(atKill).toEqual({ accountEnabled: false, attackerArtifactsLeft: true });
        expect(fs.readdirSync(h.evidenceDir).some((f) => f.startsWith("INC-2043"))).toBe(true);
    });

    it("converges when create runs again", () => {
        expect(outs.status).toBe("contained");
        expectContained();
    });

    it("loses no original: the account, the rules and the methods as they were before the crash", () => {
        const evidence = outs.evidence;
        expect(evidence.found.user[0].object.accountEnabled).toBe(true);
        const rules = evidence.found.inboxRules.map((r: any) => [r.object.Name, r.object.Enabled]);
        expect(rules).toEqual(
            expect.arrayContaining([
                [".", true],
                ["..", true],
                ["Finance team updates", true],
            ]),
        );
        expect(evidence.found.authenticationMethods).toHaveLength(4);
        expect(evidence.firstSnapshotAt < evidence.lastSnapshotAt).toBe(true);
    });
});

export { MEGAN };
