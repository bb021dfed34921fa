/**
 * CA trust without NODE_EXTRA_CA_CERTS: the Pulumi engine may start the provider host without
 * it, so the connection must trust the configured CA by itself, for @azure/identity's token
 * requests, the Graph client and the Exchange client alike. Proven in a child process whose
 * environment never had the variable.
 */
import { spawn } from "child_process";
import * as path from "path";

import { envWithoutNodeCa, startConnectionTenant, type TestTenant } from "./fixture";

const ROOT = path.resolve(__dirname, "../../..");
const CHILD = path.join(__dirname, "support", "ca-trust-child.ts");

let tenant: TestTenant;

beforeAll(async () => {
    tenant = await startConnectionTenant(12);
});

afterAll(async () => {
    await tenant?.stop();
});

/**
 * Run the child with exactly the given environment (plus PATH and ts-node's settings). Async:
 * the local tenant serves from this very process, so blocking here would starve it.
 */
function runChild(
    env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; result: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register", CHILD], {
            cwd: ROOT,
            env: {
                PATH: process.env.PATH,
                TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
                TS_NODE_TRANSPILE_ONLY: "true",
                ...env,
            },
        });
        let stdout = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        const timer = setTimeout(() => child.kill(), 60_000);
        child.on("error", reject);
        child.on("close", (status) => {
            clearTimeout(timer);
            const line = stdout.trim().split("\n").pop() || "{}";
            resolve({ status, result: JSON.parse(line) as Record<string, unknown> });
        });
    });
}

test("tokens, Graph, $batch and Exchange trust the configured CA without NODE_EXTRA_CA_CERTS", async () => {
    const { status, result } = await runChild(envWithoutNodeCa(tenant));

    expect(result).toEqual({ nodeExtraCaCerts: null, users: 12, batchStatus: 200, domains: 5 });
    expect(status).toBe(0);
});

test("without the CA setting the same process refuses the local tenant's certificate", async () => {
    const env = envWithoutNodeCa(tenant);
    delete env.BEC_GUARD_CA_CERT;

    const { status, result } = await runChild(env);

    expect(status).toBe(1);
    expect(String(result.error)).toContain("Getting a token failed");
    expect(String(result.error)).toContain("caCertPath");
});

test("a request to an untrusted server fails naming the CA setting to fix it", async () => {
    const { createHttpsFetch, httpsAgentFor } =
        await import("../../../dynamic-providers/connection/transport");
    const untrusting = createHttpsFetch(httpsAgentFor(undefined));

    const error = await untrusting(`${tenant.url}/v1.0/users`).catch((e: unknown) => e);

    expect((error as Error).name).toBe("NetworkError");
    expect((error as Error).message).toContain("bec-guard:caCertPath");
});
