/**
 * Starts a local tenant for one test file, granted exactly the permission manifest's roles,
 * so every test also proves that the manifest is enough for what it exercises.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startLocalTenant } from "../../local-tenant/server";
import {
    requiredExchangeRoles,
    requiredGraphRoles,
} from "../../dynamic-providers/connection/permissions";

export type TestTenant = Awaited<ReturnType<typeof startLocalTenant>>;

export interface TestTenantOptions {
    /** Scenario name or path (default `contoso-bec`). */
    scenario?: string;
    latencyMs?: number;
    /** Throttling buckets (default on, as a real tenant). */
    throttling?: boolean;
    /** Graph roles to grant instead of the manifest's (to prove a 403). */
    graphRoles?: string[];
    exchangeRoles?: string[];
}

export async function startTestTenant(opts: TestTenantOptions = {}): Promise<TestTenant> {
    const stateDir = tempStateDir("bec-guard-tenant-");
    const tenant = await startLocalTenant({
        port: 0,
        stateDir,
        scenario: opts.scenario ?? "contoso-bec",
        latencyMs: opts.latencyMs ?? 0,
        throttling: opts.throttling ?? true,
        grantedGraphRoles: opts.graphRoles ?? requiredGraphRoles(),
        grantedExchangeRoles: opts.exchangeRoles ?? requiredExchangeRoles(),
    });
    return removeStateDirOnStop(tenant, stateDir);
}

/** A fresh temporary directory for one tenant's state, named `<prefix>XXXXXX`. */
export function tempStateDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Makes `tenant.stop()` also remove `stateDir`, so a test file leaves nothing behind. The same
 * object is returned, not a copy: its tenantId, clientSecret and env are getters over the live
 * state.
 */
export function removeStateDirOnStop<T extends { stop(): Promise<void> }>(
    tenant: T,
    stateDir: string,
): T {
    const stop = tenant.stop.bind(tenant);
    tenant.stop = async () => {
        await stop();
        fs.rmSync(stateDir, { recursive: true, force: true });
    };
    return tenant;
}
