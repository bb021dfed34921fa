/**
 * The narrow client surface the tenant-settings providers use, built on the connection layer.
 *
 * Providers call `openGraph()` / `openExchange()` inside their methods (never at module scope:
 * a client captured at module scope would be serialized into state). Both read the connection
 * settings from the stack config the provider host passed to `configure` (kept in a
 * process-wide registry, because each deserialized provider has its own copy of module state)
 * or from the environment.
 */
// Only the parts each provider uses: everything imported here is serialized into the state of
// every resource (Graph-only providers do not carry the Exchange client or the batcher).
import { ExchangeClient } from "./connection/exchange";
import { createGraphClient } from "./connection/graph";
import { pageAll } from "./connection/paging";
import { loadSettings, type ConfigSource, type ConnectionSettings } from "./connection/settings";
import { processRegistry } from "./connection/transport";

/** Graph calls the settings providers make; paths are below the version. */
export interface PolicyGraph {
    /** The tenant's configured break-glass accounts (bec-guard:breakGlassAccounts). */
    readonly breakGlassAccounts: readonly string[];
    get(path: string, opts?: GraphCallOptions): Promise<any>;
    /** Every item of a collection, following `@odata.nextLink`. */
    list(path: string, opts?: GraphCallOptions): Promise<Array<Record<string, any>>>;
    post(path: string, body: unknown, opts?: GraphCallOptions): Promise<any>;
    patch(path: string, body: unknown, opts?: GraphCallOptions): Promise<unknown>;
    put(path: string, body: unknown, opts?: GraphCallOptions): Promise<unknown>;
    delete(path: string, opts?: GraphCallOptions): Promise<void>;
}

export interface GraphCallOptions {
    /** API version; default v1.0. */
    version?: "v1.0" | "beta";
}

const CONFIG_KEY = "bec-guard.settings-providers.config";

/** Keeps the stack config the provider host passed to `configure`, for every provider copy. */
export function rememberConfig(config: ConfigSource | undefined): void {
    processRegistry<{ config?: ConfigSource }>(CONFIG_KEY, () => ({})).config = config;
}

/** The connection settings: stack config from `configure` first, then the environment. */
export function currentSettings(): ConnectionSettings {
    const holder = processRegistry<{ config?: ConfigSource }>(CONFIG_KEY, () => ({}));
    return loadSettings(holder.config, process.env);
}

/** Opens a Graph connection for one provider call. */
export async function openGraph(): Promise<PolicyGraph> {
    const settings = currentSettings();
    const { client } = createGraphClient(settings);
    const request = (path: string, opts?: GraphCallOptions) =>
        client.api(path).version(opts?.version ?? "v1.0");
    return {
        breakGlassAccounts: settings.breakGlassAccounts,
        get: (path, opts) => request(path, opts).get(),
        list: (path, opts) =>
            pageAll<Record<string, any>>(client, path, { version: opts?.version }),
        post: (path, body, opts) => request(path, opts).post(body),
        patch: (path, body, opts) => request(path, opts).patch(body),
        put: (path, body, opts) => request(path, opts).put(body),
        async delete(path, opts) {
            await request(path, opts).delete();
        },
    };
}

/** Opens an Exchange admin API connection for one provider call. */
export async function openExchange(): Promise<SettingsExchange> {
    const exchange = new ExchangeClient(currentSettings());
    return {
        async invoke(cmdlet, parameters = {}) {
            const result = await exchange.invoke(cmdlet, parameters);
            return result.value;
        },
    };
}

/**
 * Whether a Graph failure means "not found". Checked by shape, not `instanceof`: every
 * deserialized provider carries its own copy of the error classes.
 */
export function isGraphNotFound(err: unknown): boolean {
    const e = err as { status?: number; statusCode?: number; code?: string } | undefined;
    return e?.status === 404 || e?.statusCode === 404 || /NotFound/i.test(String(e?.code ?? ""));
}

/** Exchange admin API calls the settings providers make. */
export interface SettingsExchange {
    /**
     * Runs one cmdlet and returns its objects (every page). No-op warnings ("no settings ...
     * have been modified") count as success.
     */
    invoke(
        cmdlet: string,
        parameters?: Record<string, unknown>,
    ): Promise<Array<Record<string, unknown>>>;
}

/**
 * Whether an Exchange failure means "no such object" (ManagementObjectNotFoundException).
 * Checked by shape, for the same reason as `isGraphNotFound`.
 */
export function isExchangeNotFound(err: unknown): boolean {
    const e = err as
        | {
              status?: number;
              exceptionType?: string;
              category?: string;
              message?: string;
              exchangeMessage?: string;
          }
        | undefined;
    return (
        e?.status === 404 ||
        /ManagementObjectNotFound/i.test(`${e?.exceptionType ?? ""} ${e?.category ?? ""}`) ||
        /couldn't be found on/i.test(`${e?.message ?? ""} ${e?.exchangeMessage ?? ""}`)
    );
}
