/**
 * `npm run demo`: the whole incident-response loop on the local tenant.
 *
 * 1. Find the Pulumi CLI (on PATH, or the copy the `pulumi` npm package caches). Without it
 *    nothing else can run, so say so in one line and stop before starting anything.
 * 2. Start the local tenant with the `contoso-bec` scenario: a finance user mid-attack.
 * 3. Point a local file state backend inside the project at the `local` stack.
 * 4. `pulumi up --stack local`: the hardening baseline plus the example incident file.
 * 5. Show what changed in the tenant, then stop the tenant.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { startLocalTenant } from "../local-tenant/server";
import {
    requiredExchangeRoles,
    requiredGraphRoles,
} from "../dynamic-providers/connection/permissions";

const repoRoot = path.resolve(__dirname, "..");

export async function runDemo(_argv: string[]): Promise<number> {
    // 1. The CLI comes first: without it the demo cannot show anything.
    const pulumiBin = await findPulumiCli();
    if (typeof pulumiBin !== "string") {
        process.stderr.write(`bec-guard demo: ${pulumiBin.reason}\n`);
        return 1;
    }

    // 2. A tenant mid-attack, granted exactly the permission manifest.
    const stateDir = path.join(repoRoot, ".local-tenant", "demo");
    fs.rmSync(stateDir, { recursive: true, force: true });
    const tenant = await startLocalTenant({
        port: 0,
        stateDir,
        scenario: "contoso-bec",
        grantedGraphRoles: requiredGraphRoles(),
        grantedExchangeRoles: requiredExchangeRoles(),
    });
    console.log(`Local tenant ${tenant.tenantId} is up at ${tenant.url} (scenario contoso-bec).`);

    try {
        // 3. State stays inside the project; the passphrase only guards demo secrets.
        const backendDir = path.join(repoRoot, ".pulumi-state");
        fs.mkdirSync(backendDir, { recursive: true });
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            ...tenant.env,
            PULUMI_BACKEND_URL: `file://${backendDir}`,
            PULUMI_CONFIG_PASSPHRASE:
                process.env.PULUMI_CONFIG_PASSPHRASE ?? "bec-guard-local-demo",
            PULUMI_SKIP_UPDATE_CHECK: "true",
        };
        const run = (args: string[]) => runPulumi(pulumiBin, args, env);

        const select = spawnSync(pulumiBin, ["stack", "select", "local", "--create"], {
            cwd: repoRoot,
            env,
            stdio: "inherit",
        });
        if (select.status !== 0) {
            return select.status ?? 1;
        }

        // 4. One `up` applies the baseline and contains the user named in INC-2041.
        const code = await run(["up", "--stack", "local", "--yes"]);
        if (code !== 0) {
            return code;
        }

        // 5. What the responder would check next.
        await run(["stack", "output", "--stack", "local"]);
        console.log(`Tenant state after the run: GET ${tenant.url}/_local/state`);
        return 0;
    } finally {
        await tenant.stop();
    }
}

/** How the demo looks for the CLI; tests replace the parts that touch the network. */
export interface CliSources {
    /** The PATH to search (default this process's). */
    path?: string;
    /** Downloads the CLI into a folder (default: the `pulumi` npm package's installer). */
    install?: (version: string, dir: string) => Promise<void>;
    /** Where the `pulumi` npm package caches CLIs (default its own cache folder). */
    cacheDir?: (version: string) => string;
}

/** The path of a usable Pulumi CLI, or why there is none. */
export async function findPulumiCli(
    sources: CliSources = {},
): Promise<string | { reason: string }> {
    const env = { ...process.env, PATH: sources.path ?? process.env.PATH };
    const onPath = spawnSync("pulumi", ["version"], { encoding: "utf8", env });
    if (onPath.status === 0) {
        return "pulumi";
    }

    // The `pulumi` npm package downloads the CLI on first use; on a closed network that fails.
    try {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const cacheDir = sources.cacheDir ?? require("pulumi/lib/cache").cacheDir;
        const install = sources.install ?? require("pulumi/lib/download").installCLI;
        const version: string = require("pulumi/package.json").version;
        /* eslint-enable @typescript-eslint/no-require-imports */
        const bin = path.join(cacheDir(version), "bin", "pulumi");
        if (!fs.existsSync(bin)) {
            // Air-gapped machines can say up front that a download is pointless.
            if (process.env.BEC_GUARD_PULUMI_DOWNLOAD === "off") {
                throw new Error("downloads are off: BEC_GUARD_PULUMI_DOWNLOAD=off");
            }
            await install(version, cacheDir(version));
        }
        return bin;
    } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return {
            reason:
                `the Pulumi CLI is not on PATH and could not be downloaded (${why}); install it ` +
                "(https://www.pulumi.com/docs/install/) or run `npm run demo` where the internet " +
                "is reachable.",
        };
    }
}

function runPulumi(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
    return new Promise((resolve) => {
        const child = spawn(bin, args, { cwd: repoRoot, env, stdio: "inherit" });
        child.on("exit", (code) => resolve(code ?? 1));
        child.on("error", () => resolve(1));
    });
}
