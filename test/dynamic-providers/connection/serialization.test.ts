/**
 * A dynamic provider's code reaches the provider host as text: the SDK serializes the closure
 * (local modules by value, node_modules as require). This serializes a function that uses the
 * whole connection, runs the text in a plain node process (no ts-node, no NODE_EXTRA_CA_CERTS),
 * and checks that Graph, $batch and Exchange all work from it. It also keeps an eye on how much
 * text the connection adds to every dynamic resource's state.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import {
    connect,
    ConnectionSettingsError,
    ExchangeCommandError,
    GraphRequestError,
    loadSettings,
} from "../../../dynamic-providers/connection";
import { envWithoutNodeCa, startConnectionTenant, type TestTenant } from "./fixture";

const ROOT = path.resolve(__dirname, "../../..");
let tenant: TestTenant;
let dir: string;

beforeAll(async () => {
    tenant = await startConnectionTenant(6);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-serialized-"));
});

afterAll(async () => {
    await tenant?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

/** What a provider method does: build the connection inside the call, from settings. */
async function providerMethod(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
    const t = connect(loadSettings(undefined, env));
    const users = await t.pageAll("/users?$top=4");
    const [batched] = await t.batcher.run([{ method: "GET", url: "/users?$top=1" }]);
    const domains = await t.exchange.invoke("Get-AcceptedDomain");

    // Errors keep their class, getters and message after serialization.
    const graphError = await t.graph
        .api("/users/nobody@example.com")
        .get()
        .catch((e: unknown) => e);
    const exchangeError = await t.exchange
        .invoke("Get-Mailbox", { Identity: "nobody@example.com" })
        .catch((e: unknown) => e);
    const settingsError = (() => {
        try {
            loadSettings(undefined, { AZURE_TENANT_ID: "bad tenant" });
        } catch (e) {
            return e;
        }
    })();
    return {
        users: users.length,
        batch: batched.status,
        domains: domains.value.length,
        graphError: [
            graphError instanceof GraphRequestError,
            (graphError as GraphRequestError).isNotFound,
            (graphError as GraphRequestError).code,
        ],
        exchangeError: [
            exchangeError instanceof ExchangeCommandError,
            (exchangeError as ExchangeCommandError).isNotFound,
        ],
        settingsError: [
            settingsError instanceof ConnectionSettingsError,
            String((settingsError as Error).message).includes("AZURE_TENANT_ID"),
        ],
    };
}

function runNode(
    script: string,
    env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-e", script], {
            cwd: ROOT,
            env: { PATH: process.env.PATH, NODE_PATH: path.join(ROOT, "node_modules"), ...env },
        });
        let stdout = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.stderr.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout }));
    });
}

test("the serialized connection works in a plain node process, as in the provider host", async () => {
    const serialized = await pulumi.runtime.serializeFunction(providerMethod, {
        isFactoryFunction: false,
    });
    const file = path.join(dir, "provider.js");
    fs.writeFileSync(file, serialized.text);
    const script =
        `require(${JSON.stringify(file)}).${serialized.exportName}(process.env)` +
        `.then((r) => console.log(JSON.stringify(r)), (e) => { console.log(String(e && e.stack)); process.exit(1); });`;

    const { status, stdout } = await runNode(script, envWithoutNodeCa(tenant));

    expect(JSON.parse(stdout.trim())).toEqual({
        users: 6,
        batch: 200,
        domains: 5,
        graphError: [true, true, "Request_ResourceNotFound"],
        exchangeError: [true, true],
        settingsError: [true, true],
    });
    expect(status).toBe(0);
    // Every dynamic resource's state carries this text; a jump here is worth a look.
    expect(serialized.text.length).toBeLessThan(250_000);
});
