/**
 * Containment benchmark: how fast the playbook cuts an attacker off and contains a user, next
 * to a naive sequential run of the very same steps (one request at a time, the shape of a
 * PowerShell runbook), in one run, against the local tenant with 50 ms of latency per request.
 * Then 50 users of one incident at once, against the bound the directory write quota sets,
 * with 429s injected, checking from the request log that no retry came before its Retry-After.
 *
 *   npx ts-node --transpile-only bench/containment.ts
 *
 * The tenant runs in a child process (its CPU must not share the measured client's event loop)
 * and is driven through its loopback control API. Bounded: one user three times (the first
 * run only warms up), then 50 users twice. Nothing here is a test: it prints numbers.
 * BENCH_LATENCY_MS changes the latency (0 shows the CPU cost alone).
 */
import { fork } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { loadSettings } from "../dynamic-providers/connection/settings";
import {
    requiredExchangeRoles,
    requiredGraphRoles,
} from "../dynamic-providers/connection/permissions";
import { connectTenant } from "../dynamic-providers/quarantine/connect";
import { withDefaults } from "../dynamic-providers/quarantine/inputs";
import { contain, type PlaybookContext } from "../dynamic-providers/quarantine/playbook";
import type { GraphRequest, TenantApi } from "../dynamic-providers/quarantine/tenant";
import type { TenantState, User } from "../local-tenant/model";
import type { RequestLogEntry } from "../local-tenant/request-log";
import { startLocalTenant } from "../local-tenant/server";

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const USERS_IN_INCIDENT = 50;
const MEGAN = "megan.bowen@contoso.com";

/** Directory writes Graph allows per app and tenant (DESIGN.md §4). */
const DIRECTORY_WRITE_QUOTA = { writes: 3000, windowSeconds: 150 };

const INC_2041 = {
    user: MEGAN,
    incident: "INC-2041",
    reason: "Hidden inbox rule forwarding invoices outside",
    compromisedSince: "2026-11-28T09:14:00Z",
    approvedBy: "isaiah.langer@contoso.com",
    keep: {
        apps: ["Contoso Expense"],
        methods: ["34cb993b-30a1-4b0b-b056-5581d19057c3"],
        delegates: ["grady.archie@contoso.com"],
    },
};

/** The local tenant's control API, spoken over HTTPS (the tenant runs in its own process). */
interface Control {
    getState(): Promise<TenantState>;
    putState(state: TenantState): Promise<void>;
    setFaults(faults: Record<string, unknown>): Promise<void>;
    getRequests(): Promise<RequestLogEntry[]>;
    clearRequests(): Promise<void>;
}

interface Tenant {
    env: Record<string, string>;
    control: Control;
    stop(): Promise<void>;
}

/**
 * Starts the local tenant in a child process, so that its CPU does not share this process's
 * event loop with the client being measured (on a 2-core machine, in-process it would).
 */
async function startTenantProcess(stateDir: string): Promise<Tenant> {
    const child = fork(__filename, ["--serve", stateDir], {
        execArgv: ["-r", "ts-node/register/transpile-only"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const started = await new Promise<{
        url: string;
        caCertPem: string;
        env: Record<string, string>;
    }>((resolve, reject) => {
        child.once("message", (m) => resolve(m as never));
        child.once("exit", (code) => reject(new Error(`local tenant exited (${code})`)));
    });
    const agent = new https.Agent({ ca: started.caCertPem, keepAlive: true });
    const call = (method: string, route: string, body?: unknown) =>
        new Promise<any>((resolve, reject) => {
            const request = https.request(
                `${started.url}/_local/${route}`,
                { method, agent, headers: { "Content-Type": "application/json" } },
                (response) => {
                    const chunks: Buffer[] = [];
                    response.on("data", (c: Buffer) => chunks.push(c));
                    response.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        if ((response.statusCode ?? 500) >= 400)
                            reject(new Error(`${method} ${route}: ${text}`));
                        else resolve(text ? JSON.parse(text) : undefined);
                    });
                },
            );
            request.on("error", reject);
            request.end(body === undefined ? undefined : JSON.stringify(body));
        });
    return {
        env: started.env,
        control: {
            getState: () => call("GET", "state"),
            putState: (state) => call("PUT", "state", state),
            setFaults: (faults) => call("PUT", "faults", faults),
            getRequests: async () => (await call("GET", "requests")).value,
            clearRequests: () => call("DELETE", "requests"),
        },
        stop: async () => {
            const exited = new Promise((r) => child.once("exit", r));
            child.kill("SIGTERM");
            await exited;
            agent.destroy();
        },
    };
}

/** In the child: the tenant with the contoso-bec attack, 50 ms per answer, granted the manifest. */
async function serve(stateDir: string): Promise<void> {
    const tenant = await startLocalTenant({
        port: 0,
        stateDir,
        scenario: "contoso-bec",
        latencyMs: LATENCY_MS,
        throttling: true,
        grantedGraphRoles: requiredGraphRoles(),
        grantedExchangeRoles: requiredExchangeRoles(),
    });
    process.on("SIGTERM", () => void tenant.stop().then(() => process.exit(0)));
    process.send!({ url: tenant.url, caCertPem: tenant.caCertPem, env: tenant.env });
}

async function main(): Promise<void> {
    // 1. A local tenant with the contoso-bec attack, in its own process.
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-bench-"));
    const evidenceDir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-bench-evidence-"));
    const tenant = await startTenantProcess(stateDir);
    const scenario = await tenant.control.getState();
    const env = { ...process.env, ...tenant.env };
    const api = connectTenant(loadSettings(undefined, env));
    const quiet = () => undefined;
    const context = (user: string, tenantApi: TenantApi): PlaybookContext => ({
        inputs: withDefaults({ ...INC_2041, user }, user.split("@")[0]),
        tenant: tenantApi,
        breakGlassAccounts: [],
        now: () => new Date(),
        log: quiet,
        journalDir: evidenceDir,
    });

    try {
        // Warm up (tokens, TLS contexts, connections) so neither shape pays for it.
        await api.callerObjectId();
        await Promise.all([
            api.graph([{ method: "GET", url: "/users/grady.archie@contoso.com?$select=id" }]),
            api.graph([
                {
                    method: "GET",
                    url: "/users/grady.archie@contoso.com/authentication/signInPreferences",
                    version: "beta",
                },
            ]),
            api.exchange(
                "Get-Mailbox",
                { Identity: "grady.archie@contoso.com" },
                "UPN:grady.archie@contoso.com",
            ),
        ]);

        // One unmeasured containment loads and compiles every code path once; then start over.
        await contain(context(MEGAN, api));
        await tenant.control.putState(structuredClone(scenario));
        fs.rmSync(evidenceDir, { recursive: true, force: true });

        // 2. One user, the playbook's shape.
        const fast = await measure(tenant, () => contain(context(MEGAN, api)));

        // 3. The same steps, one request at a time.
        await tenant.control.putState(structuredClone(scenario));
        fs.rmSync(evidenceDir, { recursive: true, force: true });
        const slow = await measure(tenant, () => contain(context(MEGAN, oneAtATime(api))));

        console.log(`\nContaining ${MEGAN} (contoso-bec), ${LATENCY_MS} ms per request\n`);
        table(
            ["", "playbook", "sequential"],
            [
                ["round trips, critical path", fast.criticalPath, slow.criticalPath],
                [
                    "round trips after resolving, to cut-off",
                    fast.resolveToCutOff,
                    slow.resolveToCutOff,
                ],
                ["requests (HTTP)", fast.requests, slow.requests],
                ["time to cut-off (ms)", fast.cutOffMs, slow.cutOffMs],
                ["time to full containment (ms)", fast.totalMs, slow.totalMs],
            ],
        );

        // 3b. The same user with 20 harmful rules, 20 methods and 20 app grants.
        await tenant.control.putState(twentyOfEach(structuredClone(scenario)));
        fs.rmSync(evidenceDir, { recursive: true, force: true });
        const big = await measure(tenant, () => contain(context(MEGAN, api)));
        console.log(
            `\nThe same user with 20 harmful inbox rules, 20 MFA methods and 20 consent grants\n`,
        );
        table(
            ["", "playbook"],
            [
                ["round trips, critical path", big.criticalPath],
                ["round trips after resolving, to cut-off", big.resolveToCutOff],
                ["requests (HTTP)", big.requests],
                ["time to cut-off (ms)", big.cutOffMs],
                ["time to full containment (ms)", big.totalMs],
            ],
        );

        // 4. Fifty users of one incident at once: first as the tenant answers, then with 5% of
        //    requests throttled (Retry-After 1 s).
        const users = Array.from(
            { length: USERS_IN_INCIDENT },
            (_, i) => `victim${i + 1}@contoso.com`,
        );
        await tenant.control.putState(seedUsers(structuredClone(scenario), USERS_IN_INCIDENT));
        fs.rmSync(evidenceDir, { recursive: true, force: true });
        const clean = await measure(tenant, () =>
            Promise.all(users.map((u) => contain(context(u, api)))),
        );
        await tenant.control.putState(seedUsers(structuredClone(scenario), USERS_IN_INCIDENT));
        fs.rmSync(evidenceDir, { recursive: true, force: true });
        await tenant.control.setFaults({ rate429: 0.05, retryAfterSeconds: 1, seed: 2041 });
        const many = await measure(tenant, () =>
            Promise.all(users.map((u) => contain(context(u, api)))),
        );
        await tenant.control.setFaults({});

        const log = await tenant.control.getRequests();
        const writes = directoryWrites(log);
        const quotaBoundSeconds =
            Math.max(0, Math.ceil(writes / DIRECTORY_WRITE_QUOTA.writes) - 1) *
            DIRECTORY_WRITE_QUOTA.windowSeconds;
        const early = retriesBeforeRetryAfter(log, 1);
        const contained = many.result.filter((r) => r.failures.length === 0).length;
        console.log(
            `\n${USERS_IN_INCIDENT} users in one incident, 5% of requests answered 429 (Retry-After 1 s)\n`,
        );
        table(
            ["", "value"],
            [
                ["users contained", `${contained} / ${USERS_IN_INCIDENT}`],
                ["directory writes", writes],
                [
                    "quota bound (3,000 writes / 150 s)",
                    `${quotaBoundSeconds} s of waiting forced by the quota (writes ${writes <= DIRECTORY_WRITE_QUOTA.writes ? "fit in one window" : "exceed one window"})`,
                ],
                ["requests (HTTP)", many.requests],
                ["429s answered", log.filter((e) => e.status === 429).length],
                [
                    "retries earlier than Retry-After",
                    `${early.early.length} of ${early.checked} throttled requests checked (${early.skipped} not attributable, skipped)`,
                ],
                [
                    "round trips, critical path",
                    `${many.criticalPath} (${clean.criticalPath} without 429s)`,
                ],
                ["time to contain all (ms)", `${many.totalMs} (${clean.totalMs} without 429s)`],
                [
                    "floor from concurrency (ms)",
                    `${Math.round((clean.requests / (2 * 16)) * LATENCY_MS)} (${clean.requests} requests, 16 Graph + 16 Exchange in flight)`,
                ],
            ],
        );
        if (early.early.length > 0) {
            console.log("Early retries:", early.early.slice(0, 5));
            process.exitCode = 1;
        }
    } finally {
        await tenant.stop();
        fs.rmSync(stateDir, { recursive: true, force: true });
        fs.rmSync(evidenceDir, { recursive: true, force: true });
    }
}

interface Measured<T> {
    result: T;
    totalMs: number;
    cutOffMs: number | string;
    requests: number;
    criticalPath: number;
    resolveToCutOff: number | string;
}

/** Runs `work` with a clean request log and reads timings and round trips from the log. */
async function measure<T>(tenant: Tenant, work: () => Promise<T>): Promise<Measured<T>> {
    await tenant.control.clearRequests();
    const started = Date.now();
    const result = await work();
    const totalMs = Date.now() - started;
    const log = await tenant.control.getRequests();

    // HTTP requests only: batch items ride inside their envelope.
    const http = log.filter((e) => !e.batch && !e.path.startsWith("/_local"));
    const chain = longestChains(http);
    if (process.env.BENCH_TRACE)
        for (const e of http.sort((a, b) => a.startedAt - b.startedAt))
            console.log(
                Math.round(e.startedAt - started),
                Math.round(e.endedAt - started),
                e.method,
                e.path.slice(0, 60),
                e.cmdlet ?? "",
                e.status,
            );

    // Cut-off: the answer to the request that carried revokeSignInSessions.
    const revoke = log.find((e) => e.path.endsWith("/revokeSignInSessions"));
    const carrier = revoke?.batch
        ? http.find((e) => e.requestId === revoke.batch!.batchRequestId)
        : revoke;
    const resolve = log.find(
        (e) => e.method === "GET" && /\/users\/[^/]+$/.test(e.path) && e.query?.includes("select"),
    );
    const resolveCarrier = resolve?.batch
        ? http.find((e) => e.requestId === resolve.batch!.batchRequestId)
        : resolve;
    return {
        result,
        totalMs,
        cutOffMs: carrier ? Math.round(carrier.endedAt - started) : "n/a",
        requests: http.length,
        criticalPath: Math.max(0, ...chain.values()),
        resolveToCutOff:
            carrier && resolveCarrier
                ? (chain.get(carrier) ?? 0) - (chain.get(resolveCarrier) ?? 0)
                : "n/a",
    };
}

/**
 * For each request, the longest chain of requests that each started after the previous one
 * ended and ends with it: the round trips on the critical path up to that request.
 */
function longestChains(entries: RequestLogEntry[]): Map<RequestLogEntry, number> {
    const sorted = [...entries].sort((a, b) => a.startedAt - b.startedAt);
    const byEnd = [...entries].sort((a, b) => a.endedAt - b.endedAt);
    const chain = new Map<RequestLogEntry, number>();
    for (const e of sorted) {
        let best = 0;
        for (const f of byEnd) {
            if (f.endedAt > e.startedAt) break;
            best = Math.max(best, chain.get(f) ?? 0);
        }
        chain.set(e, best + 1);
    }
    return chain;
}

/** A TenantApi that sends one request at a time: every Graph request alone, never overlapping. */
function oneAtATime(api: TenantApi): TenantApi {
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <T>(work: () => Promise<T>): Promise<T> => {
        const next = queue.then(work, work);
        queue = next.catch(() => undefined);
        return next;
    };
    return {
        graph: async (requests: GraphRequest[]) => {
            const replies = [];
            for (const r of requests) {
                const { dependsOn: _dependsOn, ...alone } = r;
                replies.push((await serial(() => api.graph([alone])))[0]);
            }
            return replies;
        },
        exchange: (cmdlet, parameters, anchor) =>
            serial(() => api.exchange(cmdlet, parameters, anchor)),
        callerObjectId: () => api.callerObjectId(),
    };
}

/** Copies of the finance user (rules, forwarding, delegates, methods, grants) as victim1..n. */
function seedUsers(state: TenantState, n: number): TenantState {
    const megan = state.users.find((u) => u.userPrincipalName === MEGAN) as User;
    const hex = (i: number, width: number) => i.toString(16).padStart(width, "0");
    for (let i = 1; i <= n; i++) {
        const id = `00000000-0000-4000-8000-${hex(i, 12)}`;
        const upn = `victim${i}@contoso.com`;
        const copy: User = structuredClone(megan);
        Object.assign(copy, { id, userPrincipalName: upn, displayName: `Victim ${i}`, mail: upn });
        copy.authenticationMethods = copy.authenticationMethods.map((m, j) =>
            String(m["@odata.type"]).includes("password")
                ? m
                : { ...m, id: `${hex(i, 8)}-0000-4000-8000-${hex(j, 12)}` },
        );
        const fido2 = copy.authenticationMethods.find((m) =>
            String(m["@odata.type"]).includes("fido2"),
        );
        copy.authenticationMethods = copy.authenticationMethods.filter((m) => m !== fido2);
        copy.defaultMethodId = copy.authenticationMethods.find((m) =>
            String(m["@odata.type"]).includes("Authenticator"),
        )?.id as string;
        copy.mailbox!.alias = `victim${i}`;
        copy.mailbox!.primarySmtpAddress = upn;
        state.users.push(copy);
        for (const g of state.oauth2PermissionGrants.filter((g) => g.principalId === megan.id)) {
            state.oauth2PermissionGrants.push({
                ...g,
                id: `grant-${i}-${String(g.id).slice(0, 8)}`,
                principalId: id,
            });
        }
        for (const a of state.appRoleAssignments.filter((a) => a.principalId === megan.id)) {
            state.appRoleAssignments.push({
                ...a,
                id: `assignment-${i}-${String(a.id).slice(0, 8)}`,
                principalId: id,
            });
        }
    }
    return state;
}

/** The finance user with 20 forwarding rules, 20 software OATH methods and 20 app grants. */
function twentyOfEach(state: TenantState): TenantState {
    const megan = state.users.find((u) => u.userPrincipalName === MEGAN) as User;
    const hex = (i: number) => i.toString(16).padStart(12, "0");
    for (let i = 1; i <= 20; i++) {
        megan.mailbox!.inboxRules.push({
            id: Buffer.from(Uint8Array.of(i, 0, 0, 0, 0, 0, 0, 1)).toString("base64"),
            displayName: `x${i}`,
            sequence: 100 + i,
            isEnabled: true,
            actions: { forwardTo: [{ emailAddress: { address: `drop${i}@evil.example` } }] },
        });
        megan.authenticationMethods.push({
            "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod",
            id: `00000000-0000-4000-9000-${hex(i)}`,
        });
        state.oauth2PermissionGrants.push({
            id: `bench-grant-${i}`,
            clientId: "0a9f1eba-e4fe-4b25-9c45-00527651c91f",
            consentType: "Principal",
            principalId: megan.id,
            resourceId: "4b14817b-2938-4435-a482-700553693a24",
            scope: `Scope${i}.Read`,
        });
    }
    return state;
}

/** Graph writes that count against the directory write quota (users, methods, grants). */
function directoryWrites(log: RequestLogEntry[]): number {
    return log.filter(
        (e) =>
            (e.batch || !e.path.endsWith("$batch")) &&
            !e.cmdlet &&
            ["PATCH", "POST", "DELETE"].includes(e.method) &&
            /^\/(v1\.0|beta)\//.test(e.path) &&
            e.status < 400,
    ).length;
}

/**
 * Attempts of a request that followed its 429 sooner than Retry-After allowed. A request is
 * told apart by method, path and query (and cmdlet); keys that many callers share (the same
 * read by 50 quarantines, or Exchange calls whose 429 came before the cmdlet was read) cannot
 * be matched to their retry and are counted as skipped.
 */
function retriesBeforeRetryAfter(log: RequestLogEntry[], retryAfterSeconds: number) {
    const key = (e: RequestLogEntry) => `${e.method} ${e.path}?${e.query ?? ""} ${e.cmdlet ?? ""}`;
    const attempts = new Map<string, RequestLogEntry[]>();
    for (const e of [...log].sort((a, b) => a.startedAt - b.startedAt)) {
        if (!e.batch && e.path.endsWith("$batch")) continue; // envelopes: their items are checked
        attempts.set(key(e), [...(attempts.get(key(e)) ?? []), e]);
    }
    const early: string[] = [];
    let checked = 0;
    let skipped = 0;
    for (const [k, list] of attempts) {
        const throttled = list.filter((e) => e.status === 429);
        if (throttled.length === 0) continue;
        const answered = list.filter((e) => e.status !== 429);
        if (answered.length > 1 || !k.includes("/") || k.endsWith("InvokeCommand? ")) {
            skipped += throttled.length;
            continue;
        }
        for (const t of throttled) {
            checked++;
            const next = list.find((e) => e.startedAt > t.startedAt);
            if (next && next.startedAt < t.endedAt + retryAfterSeconds * 1000 - 5) {
                early.push(
                    `${k}: retried ${Math.round(next.startedAt - t.endedAt)} ms after its 429`,
                );
            }
        }
    }
    return { early, checked, skipped };
}

function table(header: string[], rows: Array<Array<string | number>>): void {
    const cells = [header, ...rows].map((r) => r.map(String));
    const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
    for (const [i, r] of cells.entries()) {
        console.log(
            r
                .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
                .join("   "),
        );
        if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("   "));
    }
}

const run = process.argv[2] === "--serve" ? serve(process.argv[3]) : main();
run.catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
