/**
 * Shared set-up for the Quarantine tests: the INC-2041 quarantine of the contoso-bec finance
 * user, captured once per test file under mocks (serializing the provider is the slow part),
 * and a provider host pointed at a local tenant.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Quarantine, type QuarantineArgs } from "../../dynamic-providers/quarantine";
import {
    captureProvider,
    ProviderHost,
    testUrn,
    type CapturedResource,
} from "../support/provider-host";
import type { TenantState } from "../../local-tenant/model";
import { startTestTenant, type TestTenant } from "../support/local-tenant";

export const MEGAN = "megan.bowen@contoso.com";
export const MEGAN_ID = "a229b752-17ec-4704-9971-4b4021745a1c";
export const MEGAN_FIDO2 = "34cb993b-30a1-4b0b-b056-5581d19057c3";
export const BREAK_GLASS = "breakglass01@contoso.onmicrosoft.com";
/** The appId of Contoso Expense, the finance team's own app in contoso-bec. */
export const CONTOSO_EXPENSE_APP_ID = "3851b138-00e2-45bd-a69c-1f5115153382";

/** INC-2041 as the example incident file states it. */
export const INC_2041: QuarantineArgs = {
    user: MEGAN,
    incident: "INC-2041",
    reason: "Hidden inbox rule forwarding invoices to proton.me and sign-ins from an anonymous IP abroad",
    compromisedSince: "2026-11-28T09:14:00Z",
    approvedBy: "isaiah.langer@contoso.com",
    keep: {
        apps: [CONTOSO_EXPENSE_APP_ID],
        methods: [MEGAN_FIDO2],
        delegates: ["grady.archie@contoso.com"],
    },
};

export interface Harness {
    host: ProviderHost;
    captured: CapturedResource;
    evidenceDir: string;
    /** Inputs as the engine would send them for a quarantine named `name`. */
    inputs(name: string, overrides?: Record<string, unknown>): Record<string, any>;
    urn(name: string): string;
    stop(): Promise<void>;
}

export async function startHarness(
    tenant: TestTenant,
    extraEnv: Record<string, string> = {},
): Promise<Harness> {
    const captured = await captureProvider(() => new Quarantine("megan", INC_2041));
    const evidenceDir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-evidence-"));
    const env = { ...tenant.env, BEC_GUARD_EVIDENCE_DIR: evidenceDir, ...extraEnv };
    const host = await ProviderHost.start({ env });
    await host.configure({ "bec-guard:breakGlassAccounts": JSON.stringify([BREAK_GLASS]) });
    let current = host;
    return {
        get host() {
            return current;
        },
        set host(h: ProviderHost) {
            current = h;
        },
        captured,
        evidenceDir,
        inputs: (name, overrides = {}) => ({
            ...captured.inputs,
            resourceName: name,
            ...overrides,
        }),
        urn: (name) => testUrn(captured.type, name),
        stop: async () => {
            await current.stop();
            fs.rmSync(evidenceDir, { recursive: true, force: true });
        },
    };
}

/** A fresh provider host with the same environment (after a kill). */
export async function restartHost(tenant: TestTenant, harness: Harness): Promise<ProviderHost> {
    const host = await ProviderHost.start({
        env: { ...tenant.env, BEC_GUARD_EVIDENCE_DIR: harness.evidenceDir },
    });
    await host.configure({ "bec-guard:breakGlassAccounts": JSON.stringify([BREAK_GLASS]) });
    harness.host = host;
    return host;
}

/** Writes (non-GET requests and $batch items that change something) in the request log. */
export function writesIn(
    tenant: TestTenant,
): Array<{ method: string; path: string; cmdlet?: string }> {
    return tenant.control
        .getRequests()
        .filter((r) => !r.path.endsWith("/$batch"))
        .filter((r) =>
            r.cmdlet ? !/^Get-/i.test(r.cmdlet) : r.method !== "GET" && !r.path.includes("/token"),
        )
        .map((r) => ({ method: r.method, path: r.path, cmdlet: r.cmdlet }));
}

/**
 * What every provider-host quarantine test file starts once, before its tests: a contoso-bec
 * tenant, its state as shipped, and a provider host pointed at it. Stop it with `stopContoso`.
 */
export async function startContoso(): Promise<{
    tenant: TestTenant;
    h: Harness;
    initial: TenantState;
}> {
    const tenant = await startTestTenant({ scenario: "contoso-bec" });
    const initial = structuredClone(tenant.control.getState());
    return { tenant, initial, h: await startHarness(tenant) };
}

export async function stopContoso(h: Harness | undefined, tenant: TestTenant | undefined) {
    await h?.stop();
    await tenant?.stop();
}
