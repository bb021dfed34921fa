/**
 * Shared set-up for the tenant-settings provider tests: one local tenant (granted exactly the
 * permission manifest) and one SDK provider host per test file, and small helpers that run a
 * resource through the host the way `pulumi up`, `pulumi refresh` and `pulumi destroy` do.
 */
import * as pulumi from "@pulumi/pulumi";
import { captureProvider, ProviderHost, testUrn, type Props } from "../support/provider-host";
import { startTestTenant, type TestTenant, type TestTenantOptions } from "../support/local-tenant";
import { rememberConfig } from "../../dynamic-providers/settings-clients";

export interface SettingsHarness {
    tenant: TestTenant;
    host: ProviderHost;
    stop(): Promise<void>;
}

/** Starts the tenant and a provider host configured for it (credentials from the env). */
export async function startSettingsHarness(opts: TestTenantOptions = {}): Promise<SettingsHarness> {
    const tenant = await startTestTenant(opts);
    const host = await ProviderHost.start({ env: tenant.env });
    await host.configure({});
    return {
        tenant,
        host,
        async stop() {
            await host.stop();
            await tenant.stop();
        },
    };
}

/** A resource as the engine would register it: its URN and its inputs (with `__provider`). */
export interface Declared {
    urn: string;
    inputs: Props;
}

/** Runs a resource constructor under mocks and returns what the engine would receive. */
export async function declare(name: string, create: () => pulumi.Resource): Promise<Declared> {
    const captured = await captureProvider(create);
    return { urn: testUrn(captured.type, name), inputs: captured.inputs };
}

/** check, then create: what `pulumi up` does for a new resource. */
export async function up(host: ProviderHost, d: Declared): Promise<{ id: string; outs: Props }> {
    const checked = await host.check(d.urn, {}, d.inputs);
    if (checked.failures.length > 0) {
        throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    }
    return host.create(d.urn, checked.inputs);
}

/** A deep copy of the tenant state (the control API returns the live object). */
export function snapshot(tenant: TestTenant): any {
    return JSON.parse(JSON.stringify(tenant.control.getState()));
}

/** Changes the tenant behind the provider's back, as an administrator in a portal would. */
export function changeTenant(tenant: TestTenant, change: (state: any) => void): void {
    const state = snapshot(tenant);
    change(state);
    tenant.control.putState(state);
}

/** Write requests (anything but GET and Exchange Get- cmdlets) since the log was cleared. */
export function writes(tenant: TestTenant): string[] {
    return tenant.control
        .getRequests()
        .filter((r) => (r.cmdlet ? !/^Get-/i.test(r.cmdlet) : r.method !== "GET"))
        .filter((r) => !/\/oauth2\//.test(r.path))
        .map((r) => (r.cmdlet ? r.cmdlet : `${r.method} ${r.path}`));
}

/**
 * Points providers called in this process (not through the host) at the tenant, the way the
 * host's `configure` would. Used where the host harness cannot carry the answer: an init
 * failure's details include the ~200 KB serialized provider, beyond the gRPC client's default
 * metadata limit.
 */
export function configureInProcess(tenant: TestTenant): void {
    const byKey: Record<string, string> = {
        "bec-guard:tenantId": tenant.env.AZURE_TENANT_ID,
        "bec-guard:clientId": tenant.env.AZURE_CLIENT_ID,
        "bec-guard:clientSecret": tenant.env.AZURE_CLIENT_SECRET,
        "bec-guard:authorityHost": tenant.env.AZURE_AUTHORITY_HOST,
        "bec-guard:cloud": "custom",
        "bec-guard:graphUrl": tenant.env.BEC_GUARD_GRAPH_URL,
        "bec-guard:exchangeUrl": tenant.env.BEC_GUARD_EXCHANGE_URL,
        "bec-guard:caCertPath": tenant.env.BEC_GUARD_CA_CERT,
    };
    rememberConfig({ get: (key: string) => byKey[key] });
}
