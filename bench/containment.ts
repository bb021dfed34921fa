/**
 * Containment benchmark: how fast the playbook cuts an attacker off and contains a user, next
 * to a naive sequential run of the very same steps (one request at a time, the shape of a
 * PowerShell runbook), in one run, against the local tenant with 50 ms of latency per request.
 * Then 50 users of one incident at once: as the tenant answers, with 5% of requests answered
 * 429 (Microsoft's quotas, which 50 users do not reach), and with the directory write quota
 * scaled down so that the incident needs at least three windows of it, to show the quota
 * setting the time.
 *
 *   npx ts-node --transpile-only bench/containment.ts
 *
 * Every throttled request (a Graph request, a `$batch` item, an item of a throttled `$batch`
 * envelope, an Exchange command) is matched to its retry in the tenant's request log: the same
 * method, path, query and body fingerprint, or the same cmdlet, parameters and anchor mailbox.
 * The run fails (exit code 1) when a retry came earlier than the Retry-After its 429 carried
 * (by more than the 5 ms the clocks can be apart, see RETRY_TOLERANCE_MS), or when a
 * throttled request was never retried and the client did not give it up by design (its
 * attempts spent, or a Retry-After longer than it waits out). Note: where several callers
 * send the very same request (a tenant-wide read made by each of the 50 quarantines), the log
 * cannot tell which attempt retried which 429; there any attempt that waited long enough is
 * taken as the retry, and the table says how many were matched that way.
 *
 * The tenant runs in a child process (its CPU must not share the measured client's event loop)
 * and is driven through its loopback control API. Bounded: one user three times (the first
 * run only warms up), the same user with 20 of each, then 50 users three times; the scaled
 * run takes about two windows of 10 s. BENCH_LATENCY_MS changes the latency (0 shows the CPU
 * cost alone).
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
import {
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_RETRY_AFTER_SECONDS,
} from "../dynamic-providers/connection/graph";
import { connectTenant } from "../dynamic-providers/quarantine/connect";
import { withDefaults } from "../dynamic-providers/quarantine/inputs";
import { contain, type PlaybookContext } from "../dynamic-providers/quarantine/playbook";
import type { GraphRequest, TenantApi } from "../dynamic-providers/quarantine/tenant";
import type { TenantState, User } from "../local-tenant/model";
import type { RequestLogEntry } from "../local-tenant/request-log";
import { startLocalTenant } from "../local-tenant/server";
import { DEFAULT_THROTTLE_LIMITS, type ThrottleLimitsInput } from "../local-tenant/throttling";

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const USERS_IN_INCIDENT = 50;
const MEGAN = "megan.bowen@contoso.com";

/** Directory writes Graph allows per app and tenant (DESIGN.md §4): the tenant's default. */
const DIRECTORY_WRITE_QUOTA = DEFAULT_THROTTLE_LIMITS["directory-write"];

/** The scaled run's window: short, so the run stays bounded (about two of them). */
const SCALED_WINDOW_SECONDS = 10;

/**
 * How much sooner than its Retry-After a retry may be seen to start and still count as on
 * time: the client measures in whole milliseconds (Date.now()), Node fires a timer against the
 * event loop's cached clock, which lags the wall clock by however long the loop has been busy
 * (a few ms with 50 quarantines on a loaded machine), and the tenant in its own process stamps
 * the log with its own high-resolution clock. The table shows the signed margin unrounded, so
 * a retry inside this tolerance is still visible there.
 */
const RETRY_TOLERANCE_MS = 5;

/** Contoso Expense, the finance team's own app in contoso-bec, by appId. */
const CONTOSO_EXPENSE_APP_ID = "3851b138-00e2-45bd-a69c-1f5115153382";

const INC_2041 = {
    user: MEGAN,
    incident: "INC-2041",
    reason: "Hidden inbox rule forwarding invoices outside",
    compromisedSince: "2026-11-28T09:14:00Z",
    approvedBy: "isaiah.langer@contoso.com",
    keep: {
        apps: [CONTOSO_EXPENSE_APP_ID],
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
    setThrottleLimits(limits: ThrottleLimitsInput): Promise<void>;
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
            setThrottleLimits: (limits) => call("PUT", "throttling", limits),
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

        // The aims: cut-off within 2 round trips of resolving the user, full containment
        // within 6. Cut-off is a hard requirement; with 20 of each, Exchange's 4 requests at
        // a time per mailbox makes the mailbox clean-up queue (README, limitations), so that
        // figure is reported against the aim rather than failed on.
        const problems: string[] = [];
        console.log("\nAims (round trips)\n");
        table(
            ["", "aim", "contoso-bec", "20 of each"],
            [
                ["resolve to cut-off", "<= 2", fast.resolveToCutOff, big.resolveToCutOff],
                ["critical path, full containment", "<= 6", fast.criticalPath, big.criticalPath],
            ],
        );
        for (const [run, m] of [
            ["contoso-bec", fast],
            ["20 of each", big],
        ] as const) {
            if (typeof m.resolveToCutOff !== "number" || m.resolveToCutOff > 2)
                problems.push(`${run}: cut-off ${m.resolveToCutOff} round trips after resolving.`);
        }
        if (fast.criticalPath > 6)
            problems.push(`contoso-bec: full containment took ${fast.criticalPath} round trips.`);

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
            Math.max(0, Math.ceil(writes / DIRECTORY_WRITE_QUOTA.limit) - 1) *
            DIRECTORY_WRITE_QUOTA.windowSeconds;
        const retries = matchRetries(log);
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
                    `${quotaBoundSeconds} s of waiting forced by the quota (writes ${writes <= DIRECTORY_WRITE_QUOTA.limit ? "fit in one window" : "exceed one window"})`,
                ],
                ["requests (HTTP)", many.requests],
                ["429s answered (HTTP and batch items)", retries.throttled],
                ...retryRows(retries),
                [
                    "round trips, critical path",
                    `${many.criticalPath} (${clean.criticalPath} without 429s)`,
                ],
                [
                    "time until every user is cut off (ms)",
                    `${many.lastCutOffMs} (${clean.lastCutOffMs} without 429s)`,
                ],
                ["time to contain all (ms)", `${many.totalMs} (${clean.totalMs} without 429s)`],
                [
                    "floor from concurrency (ms)",
                    `${Math.round((clean.requests / (2 * 16)) * LATENCY_MS)} (${clean.requests} requests, 16 Graph + 16 Exchange in flight)`,
                ],
            ],
        );
        problems.push(...retryProblems("5% of requests answered 429", retries));
        if (contained < USERS_IN_INCIDENT)
            problems.push(`5% 429s: only ${contained} of ${USERS_IN_INCIDENT} users contained.`);

        // 5. The same fifty with the directory write quota scaled down so that the writes of
        //    the clean run need three windows of it: the quota, not the latency, sets the time.
        //    No injected faults: every 429 here is the quota's, with its computed Retry-After.
        const cleanWrites = directoryWrites(clean.log);
        const scaledLimit = Math.max(1, Math.floor(cleanWrites / 2.5));
        await tenant.control.putState(seedUsers(structuredClone(scenario), USERS_IN_INCIDENT));
        fs.rmSync(evidenceDir, { recursive: true, force: true });
        await tenant.control.setThrottleLimits({
            "directory-write": { limit: scaledLimit, windowSeconds: SCALED_WINDOW_SECONDS },
        });
        let scaled: Measured<Awaited<ReturnType<typeof contain>>[]>;
        try {
            scaled = await measure(tenant, () =>
                Promise.all(users.map((u) => contain(context(u, api)))),
            );
        } finally {
            await tenant.control.setThrottleLimits({ "directory-write": null });
        }
        const scaledWrites = directoryWrites(scaled.log);
        const windows = Math.ceil(scaledWrites / scaledLimit);
        const strictBoundMs = (windows - 1) * SCALED_WINDOW_SECONDS * 1000;
        const rateBoundMs = Math.round((scaledWrites / scaledLimit) * SCALED_WINDOW_SECONDS * 1000);
        const scaledRetries = matchRetries(scaled.log);
        const scaledContained = scaled.result.filter((r) => r.failures.length === 0).length;
        console.log(
            `\n${USERS_IN_INCIDENT} users in one incident, directory write quota scaled to ${scaledLimit} writes / ${SCALED_WINDOW_SECONDS} s (no injected faults)\n`,
        );
        table(
            ["", "value"],
            [
                ["users contained", `${scaledContained} / ${USERS_IN_INCIDENT}`],
                ["directory writes", `${scaledWrites} (${windows} windows of ${scaledLimit})`],
                [
                    "lower bound from the quota (ms)",
                    `${strictBoundMs} ((${windows} - 1) windows x ${SCALED_WINDOW_SECONDS} s: the first ${scaledLimit} go at once)`,
                ],
                [
                    "writes / limit x window (ms)",
                    `${rateBoundMs} (the sustained-rate figure; not a strict bound)`,
                ],
                ["time until every user is cut off (ms)", scaled.lastCutOffMs],
                [
                    "time to contain all (ms)",
                    `${scaled.totalMs} (${(scaled.totalMs / Math.max(1, strictBoundMs)).toFixed(2)} x the lower bound)`,
                ],
                ["requests (HTTP)", scaled.requests],
                ["429s answered by the quota", scaledRetries.throttled],
                ...retryRows(scaledRetries),
            ],
        );
        problems.push(...retryProblems("scaled quota", scaledRetries));
        if (scaledContained < USERS_IN_INCIDENT)
            problems.push(
                `Scaled quota: only ${scaledContained} of ${USERS_IN_INCIDENT} users contained.`,
            );
        if (windows < 2)
            problems.push(
                `Scaled quota: ${scaledWrites} writes fit in one window of ${scaledLimit}: the quota set no time.`,
            );
        if (scaled.totalMs < strictBoundMs)
            problems.push(
                `Scaled quota: contained in ${scaled.totalMs} ms, under the ${strictBoundMs} ms the quota allows: the tenant did not enforce it.`,
            );

        if (problems.length > 0) {
            console.log(`\nFAILED:\n${problems.map((p) => `- ${p}`).join("\n")}`);
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
    /** The tenant's request log of the run. */
    log: RequestLogEntry[];
    totalMs: number;
    cutOffMs: number | string;
    /** When the last user's sessions were revoked (many users at once). */
    lastCutOffMs: number | string;
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
                e.retryAfterSeconds ?? "",
            );

    // Cut-off: the answer to the request that carried revokeSignInSessions (the first one; with
    // many users, the last one says when everyone was cut off).
    const carrierOf = (e: RequestLogEntry) =>
        e.batch ? http.find((h) => h.requestId === e.batch!.batchRequestId) : e;
    const revokes = log.filter((e) => e.path.endsWith("/revokeSignInSessions") && e.status < 300);
    const carrier = revokes.length > 0 ? carrierOf(revokes[0]) : undefined;
    const lastCarrierEnd = Math.max(...revokes.map((e) => carrierOf(e)?.endedAt ?? 0));
    const resolve = log.find(
        (e) => e.method === "GET" && /\/users\/[^/]+$/.test(e.path) && e.query?.includes("select"),
    );
    const resolveCarrier = resolve?.batch
        ? http.find((e) => e.requestId === resolve.batch!.batchRequestId)
        : resolve;
    return {
        result,
        log,
        totalMs,
        cutOffMs: carrier ? Math.round(carrier.endedAt - started) : "n/a",
        lastCutOffMs: revokes.length > 0 ? Math.round(lastCarrierEnd - started) : "n/a",
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

/** Requests the directory write quota admitted: routes of that bucket, not refused by it. */
function directoryWrites(log: RequestLogEntry[]): number {
    return log.filter((e) => e.bucket === "directory-write" && e.status !== 429).length;
}

/** One attempt of one request, as the log shows it. */
interface Attempt {
    /** What the request was: a retry has the same key. */
    key: string;
    kind: "Graph" | "$batch item" | "throttled envelope's item" | "Exchange";
    startedAt: number;
    endedAt: number;
    status: number;
    retryAfterSeconds?: number;
}

/** Throttled requests matched to their retries, and those that could not be. */
interface RetryMatch {
    throttled: number;
    matched: number;
    /** Throttled and matched, per kind of request. */
    byKind: Map<Attempt["kind"], { throttled: number; matched: number }>;
    /** Matched where one key had several callers (the same read by several quarantines). */
    matchedShared: number;
    /** Throttled without Retry-After (Conditional Access writes): retried on its own back-off. */
    withoutRetryAfter: number;
    /** Smallest (retry start - 429 end - Retry-After) over the matched, in ms, and whose. */
    earliestMarginMs?: number;
    earliestOf?: string;
    early: string[];
    /** Never retried because the client gave up by design, with the reason. */
    abandoned: string[];
    unmatched: string[];
}

/**
 * Every attempt of every request in the log, keyed by what it was. A Graph request or `$batch`
 * item: method, path (with version), query and body fingerprint; the items of a `$batch`
 * envelope answered as a whole (so its items never ran) each count as an attempt of that item,
 * with the envelope's times and Retry-After; an Exchange command: cmdlet, anchor mailbox,
 * query (the page) and body fingerprint (the cmdlet and its parameters). Token requests and
 * envelopes whose items ran (the items are logged on their own) are left out.
 */
function attemptsOf(log: RequestLogEntry[]): Attempt[] {
    const graphKey = (method: string, p: string, query?: string, body?: string) =>
        `${method} ${p}?${query ?? ""} #${body ?? ""}`;
    const attempts: Attempt[] = [];
    for (const e of log) {
        const times = {
            startedAt: e.startedAt,
            endedAt: e.endedAt,
            status: e.status,
            retryAfterSeconds: e.retryAfterSeconds,
        };
        if (/\/oauth2\/|openid-configuration|^\/_local/.test(e.path)) continue;
        if (!e.batch && /\/\$batch$/.test(e.path)) {
            if (e.status === 200) continue;
            for (const item of e.items ?? [])
                attempts.push({
                    key: graphKey(item.method, item.path, item.query, item.bodySha256),
                    kind: "throttled envelope's item",
                    ...times,
                });
            continue;
        }
        const exchange = e.path.endsWith("/InvokeCommand");
        attempts.push({
            key: exchange
                ? `${e.cmdlet ?? "(no cmdlet)"} @${e.anchorMailbox ?? ""} ?${e.query ?? ""} #${e.bodySha256 ?? ""}`
                : graphKey(e.method, e.path, e.query, e.bodySha256),
            kind: exchange ? "Exchange" : e.batch ? "$batch item" : "Graph",
            ...times,
        });
    }
    return attempts;
}

/**
 * Matches every 429 to the attempt of the same request that followed it. Where only one caller
 * sends a request (its attempts, minus the throttled ones, leave one), the retry is simply the
 * next attempt after the 429 was answered. Where several callers share a key, the earliest
 * later attempt that waited long enough is taken, else the earliest later one: a retry that
 * came early there is reported unless another caller's request can stand for it.
 */
function matchRetries(log: RequestLogEntry[]): RetryMatch {
    const byKey = new Map<string, Attempt[]>();
    for (const a of attemptsOf(log)) byKey.set(a.key, [...(byKey.get(a.key) ?? []), a]);
    const out: RetryMatch = {
        throttled: 0,
        matched: 0,
        byKind: new Map(),
        matchedShared: 0,
        withoutRetryAfter: 0,
        early: [],
        abandoned: [],
        unmatched: [],
    };

    for (const [key, list] of byKey) {
        list.sort((a, b) => a.startedAt - b.startedAt);
        const throttled = list.filter((a) => a.status === 429);
        if (throttled.length === 0) continue;
        const shared = list.length - throttled.length > 1;
        const used = new Set<Attempt>();
        for (const t of throttled) {
            out.throttled++;
            const kind = out.byKind.get(t.kind) ?? { throttled: 0, matched: 0 };
            out.byKind.set(t.kind, kind);
            kind.throttled++;
            const waitMs = (t.retryAfterSeconds ?? 0) * 1000;
            const later = list.filter((a) => a.startedAt > t.endedAt && !used.has(a));
            const retry = shared
                ? (later.find((a) => a.startedAt - t.endedAt >= waitMs - RETRY_TOLERANCE_MS) ??
                  later[0])
                : later[0];

            // Never retried: by design when the client spent its attempts on this request or
            // was asked to wait longer than it ever waits; otherwise a request was lost.
            if (!retry) {
                const tries = list.filter((a) => a.startedAt <= t.startedAt).length;
                if (tries >= DEFAULT_MAX_ATTEMPTS)
                    out.abandoned.push(`${key}: given up after ${tries} attempts`);
                else if ((t.retryAfterSeconds ?? 0) > DEFAULT_MAX_RETRY_AFTER_SECONDS)
                    out.abandoned.push(
                        `${key}: Retry-After ${t.retryAfterSeconds} s not waited out`,
                    );
                else out.unmatched.push(`${key}: 429 at attempt ${tries}, never retried`);
                continue;
            }
            used.add(retry);
            out.matched++;
            kind.matched++;
            if (shared) out.matchedShared++;
            if (shared && process.env.BENCH_TRACE)
                console.log(
                    `shared key ${key}: ${list.length} attempts, 429 answered at ${Math.round(t.endedAt)}, matched retry at +${Math.round(retry.startedAt - t.endedAt)} ms, next later attempt at +${Math.round((later[0]?.startedAt ?? NaN) - t.endedAt)} ms`,
                );
            if (t.retryAfterSeconds === undefined) {
                out.withoutRetryAfter++;
                continue;
            }
            const marginMs = retry.startedAt - t.endedAt - waitMs;
            if (marginMs < (out.earliestMarginMs ?? Infinity)) {
                out.earliestMarginMs = marginMs;
                out.earliestOf = `${t.kind}: ${key.replace(/ #[0-9a-f]{64}$/, "")}`.slice(0, 60);
            }
            if (marginMs < -RETRY_TOLERANCE_MS)
                out.early.push(
                    `${key}: retried ${Math.round(retry.startedAt - t.endedAt)} ms after a 429 with Retry-After ${t.retryAfterSeconds} s`,
                );
        }
    }
    return out;
}

/** The table rows that show how throttled requests met their retries. */
function retryRows(m: RetryMatch): Array<[string, string]> {
    const margin =
        m.earliestMarginMs === undefined
            ? "n/a"
            : `${m.earliestMarginMs >= 0 ? "+" : ""}${m.earliestMarginMs.toFixed(1)} ms`;
    return [
        [
            "throttled requests matched to their retry",
            `${m.matched} of ${m.throttled} (${m.matchedShared} on keys several callers share; ${m.abandoned.length} given up by design; ${m.unmatched.length} unmatched)`,
        ],
        [
            "matched, by kind of request",
            [...m.byKind].map(([k, n]) => `${k} ${n.matched}/${n.throttled}`).join(", ") || "n/a",
        ],
        [
            "retries earlier than Retry-After",
            `${m.early.length}${m.withoutRetryAfter ? ` (${m.withoutRetryAfter} 429s had no Retry-After)` : ""}`,
        ],
        ["earliest retry vs its Retry-After", `${margin} (retry start - 429 end - Retry-After)`],
        ["  that retry", m.earliestOf ?? "n/a"],
    ];
}

/** Why a run's retries fail the benchmark, if they do. */
function retryProblems(run: string, m: RetryMatch): string[] {
    return [
        ...m.early.map((e) => `${run}: early retry: ${e}`),
        ...m.unmatched.map((e) => `${run}: throttled and never retried: ${e}`),
    ];
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
