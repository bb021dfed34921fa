/**
 * Starts a local tenant for one test file, granted exactly the permission manifest's roles,
 * so every test also proves that the manifest is enough for what it exercises; and, on stop,
 * that every Graph and Exchange call made against it is an operation the manifest lists.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startLocalTenant } from "../../local-tenant/server";
import type { RequestLogEntry } from "../../local-tenant/request-log";
import { callsOutsideManifest } from "./manifest-calls";
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
    /**
     * Let calls the manifest does not list pass (default false: `stop()` fails naming them).
     * Only for tests of the local tenant itself, which call endpoints the product does not.
     */
    allowCallsOutsideManifest?: boolean;
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
    const cleaned = removeStateDirOnStop(tenant, stateDir);
    return opts.allowCallsOutsideManifest ? cleaned : failOnCallsOutsideManifest(cleaned);
}

/**
 * Makes `tenant.stop()` fail, after stopping, when any request the tenant saw (including
 * those a test cleared from its log with `control.clearRequests`) is a call the permission
 * manifest does not list.
 *
 * Note: entries cleared through the HTTP control API (`DELETE /_local/requests`) are not seen.
 */
export function failOnCallsOutsideManifest<T extends TestTenant>(tenant: T): T {
    const seen: RequestLogEntry[] = [];
    const clear = tenant.control.clearRequests.bind(tenant.control);
    tenant.control.clearRequests = () => {
        seen.push(...tenant.control.getRequests());
        clear();
    };
    const stop = tenant.stop.bind(tenant);
    tenant.stop = async () => {
        seen.push(...tenant.control.getRequests());
        await stop();
        const outside = callsOutsideManifest(seen);
        if (outside.length > 0) {
            throw new Error(
                `The code made ${outside.length} call(s) that the permission manifest ` +
                    `(dynamic-providers/connection/permissions.ts) does not list; add an ` +
                    `operation for each, with the permission Microsoft documents, and update ` +
                    `docs/permissions.md:\n${outside.map((c) => `- ${c}`).join("\n")}`,
            );
        }
    };
    return tenant;
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
