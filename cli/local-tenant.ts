/**
 * `bec-guard local-tenant`: runs the local tenant in the foreground until Ctrl-C.
 *
 * It prints ONE JSON line on stdout (url, caCertPath, tenantId, clientId, clientSecret, env,
 * stateDir, loadedFrom) so a script can read it, and nothing else there. The app is granted
 * exactly the roles in the permission manifest, so whatever works against it works with the
 * permissions the documentation asks an administrator to grant.
 *
 * A state directory that already holds a state.json is resumed and the scenario is not loaded
 * (a restart loses nothing); when `--scenario` was given anyway, stderr says so and names
 * `--reset`, which starts over from the scenario and keeps the CA and certificates.
 *
 * Bad input (unknown flag or scenario, malformed scenario file, port in use) gets one line on
 * stderr and exit code 2.
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { LocalTenantOptions } from "../local-tenant/server";
import { ScenarioError, loadScenarioFile, resolveScenarioPath } from "../local-tenant/scenario";

export const LOCAL_TENANT_USAGE = `Usage: bec-guard local-tenant [--port N] [--scenario NAME|FILE] [--reset] [--latency MS] [--state-dir DIR] [--no-throttling]

  --port N             TCP port on 127.0.0.1 (default 0: any free port)
  --scenario NAME|FILE scenario for a new state directory: a name from local-tenant/scenarios
                       (default "empty") or a path to a JSON file
  --reset              replace the saved state (state.json) with the scenario; the CA and
                       certificates are kept
  --latency MS         delay added to every answer, to feel a real network (default 0)
  --state-dir DIR      where certificates and state live (default .local-tenant/)
  --no-throttling      switch off Microsoft's throttling limits

Prints one JSON line with url, caCertPath, tenantId, clientId, clientSecret and env.
Ctrl-C stops it; the state persists in the state directory.`;

/** Raised for a bad command line; the message is the line printed. */
class UsageError extends Error {}

/**
 * Runs the command.
 *
 * @param argv Arguments after `local-tenant`.
 * @returns The process exit code: 0 after a clean stop, 2 for bad input, 1 for other failures.
 */
export async function runLocalTenant(argv: string[]): Promise<number> {
    // 1. Read the command line.
    let options: LocalTenantOptions;
    try {
        options = parseArguments(argv);
    } catch (err) {
        if (err instanceof UsageError) {
            if (err.message === "help") {
                process.stdout.write(`${LOCAL_TENANT_USAGE}\n`);
                return 0;
            }
            return fail(`${err.message} (see bec-guard local-tenant --help)`, 2);
        }
        throw err;
    }

    // 2. Check the cheap things first, before loading the server and every route module:
    //    bad input should answer in a moment, not after a full start-up.
    try {
        await precheck(options);
    } catch (err) {
        if (err instanceof ScenarioError || err instanceof UsageError) return fail(err.message, 2);
        throw err;
    }

    // 3. Start, granted exactly the permission manifest.
    const { LocalTenantStartError, startLocalTenant } = await import("../local-tenant/server");
    const { requiredExchangeRoles, requiredGraphRoles } =
        await import("../dynamic-providers/connection/permissions");
    let tenant;
    try {
        tenant = await startLocalTenant({
            ...options,
            grantedGraphRoles: requiredGraphRoles(),
            grantedExchangeRoles: requiredExchangeRoles(),
        });
    } catch (err) {
        if (err instanceof ScenarioError || err instanceof LocalTenantStartError) {
            return fail(err.message, 2);
        }
        return fail(`could not start: ${(err as Error).message}`, 1);
    }

    // 4. Say when a saved state was resumed although a scenario was asked for.
    const { url, caCertPath, tenantId, clientId, clientSecret, env, stateDir, loadedFrom } = tenant;
    if (tenant.resumed && options.scenario !== undefined) {
        process.stderr.write(
            `bec-guard local-tenant: resumed the saved tenant in ${loadedFrom}; --scenario ` +
                `${options.scenario} was not loaded (a scenario only seeds a new state ` +
                `directory). To start over from it, add --reset ` +
                `(the CA and certificates are kept).\n`,
        );
    }

    // 5. One line for scripts; then wait for Ctrl-C. The handlers come first, so a script that
    //    stops the tenant as soon as it has read the line still gets a clean stop.
    const signal = new Promise<NodeJS.Signals>((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    process.stdout.write(
        `${JSON.stringify({ url, caCertPath, tenantId, clientId, clientSecret, env, stateDir, loadedFrom })}\n`,
    );
    const received = await signal;

    // 6. Stop cleanly: close connections and write pending state.
    process.stderr.write(
        `bec-guard local-tenant: ${received} received, saving state and stopping\n`,
    );
    try {
        await tenant.stop();
    } catch (err) {
        return fail(`stopped, but ${(err as Error).message}`, 1);
    }
    return 0;
}

/** The scenario exists, the state to load parses, and the port is free. */
async function precheck(options: LocalTenantOptions): Promise<void> {
    const scenarioFile = resolveScenarioPath(options.scenario ?? "empty");
    const stateFile = path.join(path.resolve(options.stateDir ?? ".local-tenant"), "state.json");
    loadScenarioFile(fs.existsSync(stateFile) && !options.reset ? stateFile : scenarioFile);
    if (options.port) {
        await new Promise<void>((resolve, reject) => {
            const probe = net.createServer();
            probe.once("error", () =>
                reject(
                    new UsageError(
                        `Port ${options.port} on 127.0.0.1 is already in use: pick another with --port, or stop the process using it.`,
                    ),
                ),
            );
            probe.listen(options.port, "127.0.0.1", () => probe.close(() => resolve()));
        });
    }
}

function parseArguments(argv: string[]): LocalTenantOptions {
    const options: LocalTenantOptions = {};
    for (let i = 0; i < argv.length; i++) {
        // Accept both "--flag value" and "--flag=value".
        const [flag, inline] = argv[i].includes("=")
            ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)]
            : [argv[i], undefined];
        const value = (): string => {
            const v = inline ?? argv[++i];
            if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
            return v;
        };
        switch (flag) {
            case "--port":
                options.port = integer(flag, value(), 0, 65535);
                break;
            case "--scenario":
                options.scenario = value();
                break;
            case "--latency":
                options.latencyMs = integer(flag, value(), 0, 600_000);
                break;
            case "--state-dir":
                options.stateDir = value();
                break;
            case "--no-throttling":
                options.throttling = false;
                break;
            case "--reset":
                options.reset = true;
                break;
            case "--help":
            case "-h":
                throw new UsageError("help");
            default:
                throw new UsageError(`unknown argument "${argv[i]}"`);
        }
    }
    return options;
}

function integer(flag: string, text: string, min: number, max: number): number {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
        throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
    }
    return n;
}

function fail(message: string, code: number): number {
    // One line: multi-line validation reports are joined so scripts can show them as one.
    process.stderr.write(
        `bec-guard local-tenant: ${message
            .split("\n")
            .map((l) => l.trim())
            .join(" ")}\n`,
    );
    return code;
}
