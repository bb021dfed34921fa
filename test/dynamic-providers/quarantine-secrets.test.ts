/**
 * Secrets: the new password exists only in the one request that sets it, and the Temporary
 * Access Pass only in the resource's secret output. The local tenant here wraps its own
 * PATCH /users/{id} route to see every password the client sends (the tenant itself keeps only
 * a hash), then every other place is searched for it: outputs, evidence, the journal, the
 * host's stdout and stderr, the request log and the tenant state. A failure here means a
 * credential leaks into Pulumi state, CI logs or disk.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    requiredExchangeRoles,
    requiredGraphRoles,
} from "../../dynamic-providers/connection/permissions";
import type { GraphRoute } from "../../local-tenant/contracts";
import { routes as userRoutes } from "../../local-tenant/graph/users";
import { startLocalTenant, type LocalTenant } from "../../local-tenant/server";
import { startHarness, type Harness } from "./quarantine-support";

const passwordsSent: string[] = [];

// The built-in route, with a look at the body first (batch items come through here too).
const builtIn = userRoutes.find((r) => r.method === "PATCH" && r.pattern === "/users/{userId}")!;
const watchingPasswords: GraphRoute = {
    ...builtIn,
    handler(ctx) {
        const password = (ctx.body as any)?.passwordProfile?.password;
        if (typeof password === "string") passwordsSent.push(password);
        return builtIn.handler(ctx);
    },
};

let tenant: LocalTenant;
let stateDir: string;
let h: Harness;
let contained: { id: string; outs: Record<string, any> };
let released: Record<string, any>;

beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-tenant-"));
    tenant = await startLocalTenant({
        port: 0,
        stateDir,
        scenario: "contoso-bec",
        grantedGraphRoles: requiredGraphRoles(),
        grantedExchangeRoles: requiredExchangeRoles(),
        routes: [watchingPasswords],
    });
    h = await startHarness(tenant as any);
    contained = await h.host.create(h.urn("megan"), h.inputs("megan"));
    released = (
        await h.host.update(
            contained.id,
            h.urn("megan"),
            contained.outs,
            h.inputs("megan", { state: "released" }),
        )
    ).outs;
}, 120_000);

afterAll(async () => {
    await h?.stop();
    await tenant?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
});

/** Every place a secret must not be, as text. */
function everywhere(): Record<string, string> {
    const { temporaryAccessPass: _tap, ...releasedWithoutPass } = released;
    const journal = fs
        .readdirSync(h.evidenceDir)
        .map((f) => fs.readFileSync(path.join(h.evidenceDir, f), "utf8"))
        .join("\n");
    return {
        "outputs after containment": JSON.stringify(contained.outs),
        "outputs after release (but the pass)": JSON.stringify(releasedWithoutPass),
        "evidence journal": journal,
        "provider host stdout and stderr": h.host.output,
        "request log": JSON.stringify(tenant.control.getRequests()),
        "tenant state": JSON.stringify(tenant.control.getState()),
    };
}

it("sends the new password in exactly one request", () => {
    expect(passwordsSent).toHaveLength(1);
    expect(passwordsSent[0].length).toBeGreaterThanOrEqual(16);
});

it("keeps the new password out of outputs, evidence, journal, logs and tenant state", () => {
    for (const [place, text] of Object.entries(everywhere())) {
        expect({ place, leaked: text.includes(passwordsSent[0]) }).toEqual({
            place,
            leaked: false,
        });
    }
});

it("returns the Temporary Access Pass only as the output the resource marks secret", () => {
    const pass = released.temporaryAccessPass;
    expect(typeof pass).toBe("string");
    expect(h.captured.additionalSecretOutputs).toContain("temporaryAccessPass");
    for (const [place, text] of Object.entries(everywhere())) {
        expect({ place, leaked: text.includes(pass) }).toEqual({ place, leaked: false });
    }
});
