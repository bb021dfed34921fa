import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { FIXTURE, call, closeAgents } from "./helpers";

const REPO = path.resolve(__dirname, "../..");
const BIN = path.join(REPO, "bin", "bec-guard.js");

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** A `bec-guard local-tenant` running in a child process, after it printed its line. */
interface Started {
    printed: Record<string, any>;
    /** Sends SIGTERM; resolves with the exit code and everything written to stderr. */
    stop(): Promise<{ code: number | null; stderr: string }>;
}

/** Starts `node bin/bec-guard.js ...args` and waits for its JSON line. */
async function start(args: string[]): Promise<Started> {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
            out += d;
            if (out.includes("\n")) resolve(out.split("\n")[0]);
        });
        child.on("close", () => reject(new Error(`exited before printing: ${stderr}`)));
    });
    return {
        printed: JSON.parse(line),
        stop: async () => {
            child.kill("SIGTERM");
            const code = await exited;
            return { code, stderr };
        },
    };
}

/** Runs `node bin/bec-guard.js ...args` to completion. */
function run(args: string[]): Promise<Run> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

describe("bec-guard local-tenant command", () => {
    let dir: string;

    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-cli-"));
        fs.writeFileSync(path.join(dir, "broken.json"), '{ "schemaVersion": 1, ');
    });
    afterAll(() => {
        closeAgents();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test.each([
        [
            "an unknown scenario",
            ["--scenario", "no-such-scenario"],
            /Unknown scenario "no-such-scenario"/,
        ],
        ["a malformed scenario file", ["--scenario", "BROKEN"], /broken\.json is not valid JSON/],
        ["an unknown flag", ["--prot", "8443"], /unknown argument "--prot"/],
        ["a port that is not a number", ["--port", "http"], /--port must be a whole number/],
    ])("%s exits with code 2 and one clear line on stderr", async (_what, args, message) => {
        const argv = args.map((a) => (a === "BROKEN" ? path.join(dir, "broken.json") : a));

        const result = await run([
            "local-tenant",
            "--state-dir",
            path.join(dir, `state-${args[1]}`),
            ...argv,
        ]);

        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        expect(result.stderr).toMatch(message);
    });

    test("a port in use exits with code 2 and says which port", async () => {
        const blocker = net.createServer();
        await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
        const port = (blocker.address() as net.AddressInfo).port;
        try {
            const result = await run([
                "local-tenant",
                "--port",
                String(port),
                "--scenario",
                FIXTURE,
                "--state-dir",
                path.join(dir, "busy"),
            ]);

            expect(result.code).toBe(2);
            expect(result.stderr).toMatch(
                new RegExp(`Port ${port} on 127.0.0.1 is already in use`),
            );
        } finally {
            blocker.close();
        }
    });

    test("it prints one JSON line a client can use, and stops cleanly on SIGTERM with the state saved", async () => {
        const stateDir = path.join(dir, "running");
        const started = await start([
            "local-tenant",
            "--scenario",
            FIXTURE,
            "--state-dir",
            stateDir,
        ]);

        // 1. The line.
        const printed = started.printed;
        expect(Object.keys(printed)).toEqual(
            expect.arrayContaining([
                "url",
                "caCertPath",
                "tenantId",
                "clientId",
                "clientSecret",
                "env",
            ]),
        );
        expect(printed.env).toMatchObject({
            BEC_GUARD_CLOUD: "custom",
            NODE_EXTRA_CA_CERTS: printed.caCertPath,
            AZURE_AUTHORITY_HOST: printed.url,
        });

        // 2. It answers with what it printed.
        const tenant = { url: printed.url, caCertPem: fs.readFileSync(printed.caCertPath, "utf8") };
        const token = await call(tenant, "POST", `/${printed.tenantId}/oauth2/v2.0/token`, {
            body: new URLSearchParams({
                grant_type: "client_credentials",
                client_id: printed.clientId,
                client_secret: printed.clientSecret,
                scope: "https://graph.microsoft.com/.default",
            }).toString(),
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
        });
        expect(token.status).toBe(200);
        closeAgents();

        // 3. Ctrl-C equivalent.
        expect((await started.stop()).code).toBe(0);
        expect(
            JSON.parse(fs.readFileSync(path.join(stateDir, "state.json"), "utf8")).apps[0]
                .clientSecret,
        ).toBe(printed.clientSecret);
    });

    test("a restart with --scenario over a saved state resumes it and says so on stderr, with how to start over", async () => {
        const stateDir = path.join(dir, "resumed");
        const first = await start(["local-tenant", "--scenario", FIXTURE, "--state-dir", stateDir]);
        await first.stop();

        const again = await start([
            "local-tenant",
            "--scenario",
            "contoso-bec",
            "--state-dir",
            stateDir,
        ]);
        const { code, stderr } = await again.stop();

        expect(again.printed.tenantId).toBe(first.printed.tenantId);
        expect(again.printed.loadedFrom).toBe(path.join(stateDir, "state.json"));
        expect(code).toBe(0);
        expect(stderr).toContain(
            `bec-guard local-tenant: resumed the saved tenant in ${path.join(stateDir, "state.json")}; --scenario contoso-bec was not loaded (a scenario only seeds a new state directory). To start over from it, add --reset (the CA and certificates are kept).`,
        );
    });

    test("--reset starts over from the scenario and keeps the CA", async () => {
        const stateDir = path.join(dir, "reset");
        const first = await start(["local-tenant", "--scenario", FIXTURE, "--state-dir", stateDir]);
        await first.stop();
        const caBefore = fs.readFileSync(first.printed.caCertPath, "utf8");

        const reset = await start([
            "local-tenant",
            "--scenario",
            "contoso-bec",
            "--reset",
            "--state-dir",
            stateDir,
        ]);
        const { code, stderr } = await reset.stop();

        expect(reset.printed.tenantId).toBe("e545e4ef-0b72-467e-a024-02d9e16b004a");
        expect(reset.printed.loadedFrom).toMatch(/contoso-bec\.json$/);
        expect(fs.readFileSync(reset.printed.caCertPath, "utf8")).toBe(caBefore);
        expect(code).toBe(0);
        expect(stderr).not.toContain("resumed");
    });
});
