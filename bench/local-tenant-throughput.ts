/**
 * How many simple Graph GETs per second the local tenant answers, so that benchmarks of the
 * product measure the client and not the server (target: at least 2,000/s on 2 cores with
 * latency off).
 *
 * The tenant runs in its own process (as `bec-guard local-tenant` does), the load comes from
 * this one over keep-alive HTTPS connections on loopback. Bounded: at most REQUESTS requests
 * and at most SECONDS seconds, whichever comes first.
 *
 * Run: npx ts-node --transpile-only bench/local-tenant-throughput.ts [--requests N]
 *      [--seconds S] [--concurrency C]
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";

const repo = path.resolve(__dirname, "..");

interface Printed {
    url: string;
    caCertPath: string;
    tenantId: string;
    clientId: string;
    clientSecret: string;
}

function option(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    const value = i === -1 ? fallback : Number(process.argv[i + 1]);
    if (!Number.isInteger(value) || value <= 0)
        throw new Error(`--${name} must be a positive whole number`);
    return value;
}

async function main(): Promise<void> {
    const requests = option("requests", 20_000);
    const seconds = option("seconds", 15);
    const concurrency = option("concurrency", 16);

    // 1. Start the tenant in its own process, latency off, throttling off.
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-bench-"));
    const child = spawn(
        process.execPath,
        [
            path.join(repo, "bin", "bec-guard.js"),
            "local-tenant",
            "--scenario",
            "contoso-bec",
            "--state-dir",
            stateDir,
            "--no-throttling",
        ],
        { cwd: repo, stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
        const printed = await firstLine(child.stdout!);
        const agent = new https.Agent({
            keepAlive: true,
            maxSockets: concurrency,
            ca: fs.readFileSync(printed.caCertPath, "utf8"),
        });
        const get = (urlPath: string, token?: string) =>
            request(agent, printed.url, "GET", urlPath, undefined, token);

        // 2. A token, and the path of one user (the "simple GET").
        const form = new URLSearchParams({
            grant_type: "client_credentials",
            client_id: printed.clientId,
            client_secret: printed.clientSecret,
            scope: "https://graph.microsoft.com/.default",
        }).toString();
        const tokenAnswer = await request(
            agent,
            printed.url,
            "POST",
            `/${printed.tenantId}/oauth2/v2.0/token`,
            form,
        );
        const token = (JSON.parse(tokenAnswer.body) as { access_token: string }).access_token;
        const users = JSON.parse((await get("/v1.0/users?$top=1&$select=id", token)).body) as {
            value: Array<{ id: string }>;
        };
        const target = `/v1.0/users/${users.value[0].id}?$select=id,displayName,accountEnabled`;

        // 3. Warm up (connections, JIT), then measure.
        const ca = fs.readFileSync(printed.caCertPath, "utf8");
        await load(printed, ca, target, token, 1_000, 10, concurrency);
        const cpuBefore = processCpuMs(child.pid!);
        const result = await load(printed, ca, target, token, requests, seconds, concurrency);
        const serverCpuMs = processCpuMs(child.pid!) - cpuBefore;

        // Client and server share two cores (and any other load on the machine), so the
        // server's own CPU time per request shows what it could serve with a core to itself.
        const perSecond = Math.round(result.done / result.seconds);
        const serverCpuMsPerRequest = serverCpuMs / result.done;
        console.log(
            JSON.stringify({
                benchmark: "local-tenant-throughput",
                request: `GET ${target}`,
                concurrency,
                requests: result.done,
                failures: result.failures,
                seconds: Number(result.seconds.toFixed(2)),
                requestsPerSecond: perSecond,
                serverCpuMsPerRequest: Number(serverCpuMsPerRequest.toFixed(3)),
                serverCapacityPerCoreSecond:
                    serverCpuMs > 0 ? Math.round(1000 / serverCpuMsPerRequest) : null,
                target: 2000,
                cpus: os.cpus().length,
                loadAverage: os.loadavg()[0],
            }),
        );
        agent.destroy();
        if (result.failures > 0) process.exitCode = 1;
    } finally {
        child.kill("SIGTERM");
        await new Promise((resolve) => child.once("close", resolve));
        fs.rmSync(stateDir, { recursive: true, force: true });
    }
}

/**
 * Keeps `concurrency` requests in flight until `count` are done or `seconds` have passed.
 *
 * The load comes from a lean HTTP/1.1 client over raw TLS sockets (one request in flight per
 * connection, keep-alive), not from node's https module: on two cores the client competes with
 * the server for CPU, and the benchmark is about the server.
 */
async function load(
    printed: Printed,
    ca: string,
    target: string,
    token: string,
    count: number,
    seconds: number,
    concurrency: number,
): Promise<{ done: number; failures: number; seconds: number }> {
    const { hostname, port } = new URL(printed.url);
    const requestText = Buffer.from(
        `GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\nConnection: keep-alive\r\n\r\n`,
    );
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(seconds) * 1_000_000_000n;
    let started = 0;
    let done = 0;
    let failures = 0;

    const connection = () =>
        new Promise<void>((resolve, reject) => {
            const socket = tls.connect({
                host: hostname,
                port: Number(port),
                ca,
                servername: "localhost",
            });
            let buffer: Buffer = Buffer.alloc(0);
            const next = () => {
                if (started >= count || process.hrtime.bigint() >= deadline) {
                    socket.end();
                    resolve();
                    return;
                }
                started++;
                socket.write(requestText);
            };
            socket.on("secureConnect", next);
            socket.on("error", reject);
            socket.on("data", (chunk: Buffer) => {
                buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
                // One whole response: status line and headers, then Content-Length bytes.
                for (;;) {
                    const end = buffer.indexOf("\r\n\r\n");
                    if (end === -1) return;
                    const head = buffer.subarray(0, end).toString("latin1");
                    const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
                    if (buffer.length < end + 4 + length) return;
                    buffer = buffer.subarray(end + 4 + length);
                    done++;
                    if (!head.startsWith("HTTP/1.1 200")) failures++;
                    next();
                }
            });
        });
    await Promise.all(Array.from({ length: concurrency }, connection));
    return { done, failures, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** CPU time (user + system) a process has used, in ms; Linux only (0 elsewhere). */
function processCpuMs(pid: number): number {
    try {
        const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        // After "pid (comm) ", utime and stime are fields 12 and 13, in clock ticks (100/s).
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
        return 0;
    }
}

function request(
    agent: https.Agent,
    origin: string,
    method: string,
    urlPath: string,
    form?: string,
    token?: string,
): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const headers: Record<string, string> = {};
        if (token) headers.Authorization = `Bearer ${token}`;
        if (form) headers["Content-Type"] = "application/x-www-form-urlencoded";
        const req = https.request(`${origin}${urlPath}`, { method, agent, headers }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end(form);
    });
}

function firstLine(stream: NodeJS.ReadableStream): Promise<Printed> {
    return new Promise((resolve, reject) => {
        let text = "";
        stream.on("data", (d) => {
            text += d;
            const nl = text.indexOf("\n");
            if (nl !== -1) resolve(JSON.parse(text.slice(0, nl)) as Printed);
        });
        stream.on("end", () =>
            reject(new Error("the local tenant exited before printing its address")),
        );
    });
}

main().catch((err) => {
    console.error(`local-tenant-throughput: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
});
