/**
 * The whole pack, loaded by the SDK's analyzer host exactly as `pulumi preview --policy-pack
 * policies` loads it, and driven over gRPC with the engine's calls: GetAnalyzerInfo,
 * Configure, Analyze (each resource's inputs) and AnalyzeStack (the whole stack). The
 * resources are those the program registers in a preview of the `local` and `example` stacks.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse } from "yaml";

import {
    AnalyzerHost,
    AnalyzerInfo,
    Diagnostic,
    EngineResource,
    packDir,
    PolicyConfig,
} from "./analyzer-host";
import { CapturedProgram, fakeObjectId } from "./capture-program";

const repoRoot = path.resolve(__dirname, "../..");
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const MANDATORY = [
    "ca-policy-excludes-break-glass",
    "quarantine-not-break-glass",
    "quarantine-documented",
    "quarantine-one-per-user",
    "dmarc-reject",
    "dmarc-reporting-address",
    "spf-hard-fail",
    "user-consent-restricted",
    "sms-voice-disabled",
    "legacy-auth-blocked",
];
const ADVISORY = ["dmarc-quarantine-rollout", "baseline-complete"];
/** The policies that read the mail records. */
const MAIL_POLICIES = [
    "dmarc-reject",
    "dmarc-quarantine-rollout",
    "dmarc-reporting-address",
    "spf-hard-fail",
];

let host: AnalyzerHost;
let info: AnalyzerInfo;
const programs: Record<string, CapturedProgram> = {};

let starting: Promise<AnalyzerHost> | undefined;

beforeAll(async () => {
    // The pack (ts-node type-checks it on start) and one preview per stack, each in its own
    // process (Pulumi's runtime state is global, one program run per process), in parallel.
    starting = AnalyzerHost.start();
    const [started, local, example] = await Promise.all([
        starting,
        previewInChild("local"),
        previewInChild("example"),
    ]);
    host = started;
    programs.local = local;
    programs.example = example;
    info = await host.getAnalyzerInfo();
}, 120_000);

afterAll(async () => {
    // Stop the pack even when a preview failed before the host was handed over.
    const started = await starting?.catch(() => undefined);
    await started?.stop();
});

describe("GetAnalyzerInfo", () => {
    test("names the pack bec-guard at the version in policies/package.json", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8"));
        expect(info.name).toBe("bec-guard");
        expect(info.version).toBe(pkg.version);
        expect(info.supportsConfig).toBe(true);
    });

    test("lists every policy, mandatory except the two advisory ones", () => {
        const levels = Object.fromEntries(info.policies.map((p) => [p.name, p.enforcementLevel]));
        expect(Object.keys(levels).sort()).toEqual([...MANDATORY, ...ADVISORY].sort());
        for (const name of MANDATORY) {
            expect([name, levels[name]]).toEqual([name, "mandatory"]);
        }
        for (const name of ADVISORY) {
            expect([name, levels[name]]).toEqual([name, "advisory"]);
        }
    });

    test("describes every policy with 'Checks that' and types stack checks as stack policies", () => {
        for (const policy of info.policies) {
            expect(policy.description).toMatch(/^Checks that /);
        }
        const stackPolicies = info.policies.filter((p) => p.type === "stack").map((p) => p.name);
        expect(stackPolicies.sort()).toEqual(
            [
                "quarantine-one-per-user",
                "legacy-auth-blocked",
                "baseline-complete",
                ...MAIL_POLICIES,
            ].sort(),
        );
    });

    test("the example config file in the docs is valid against every policy's schema", () => {
        const example = JSON.parse(
            fs.readFileSync(path.join(packDir, "policy-config.example.json"), "utf8"),
        );
        expect(Object.keys(example).sort()).toEqual(info.policies.map((p) => p.name).sort());
        expect(() => engineConfig(example)).not.toThrow();
    });

    test("a config the engine would refuse is refused here too (the schema is real)", () => {
        expect(() =>
            engineConfig({ "user-consent-restricted": { allowedUserConsent: ["everyone"] } }),
        ).toThrow(/user-consent-restricted/);
    });
});

describe.each(["local", "example"])("the %s stack in preview", (stack) => {
    let resourceDiagnostics: Diagnostic[];
    let stackDiagnostics: Diagnostic[];

    beforeAll(async () => {
        await host.configure(engineConfig(packConfigFor(stack)));
        resourceDiagnostics = [];
        for (const resource of programs[stack].analyze) {
            resourceDiagnostics.push(...(await host.analyze(resource)));
        }
        stackDiagnostics = await host.analyzeStack(programs[stack].stack);
    }, 60_000);

    test("every resource passes the resource policies", () => {
        expect(resourceDiagnostics).toEqual([]);
    });

    test("diagnostics carry the pack's name and version", () => {
        for (const d of stackDiagnostics) {
            expect([d.policyPackName, d.policyPackVersion]).toEqual(["bec-guard", info.version]);
        }
    });

    test("the mail records are checked in the first preview, with no note that they could not be", () => {
        const mail = stackDiagnostics.filter((d) => MAIL_POLICIES.includes(d.policyName));
        expect(mail.filter((d) => d.message.includes("can't run policy"))).toEqual([]);
    });

    test("the mail policies report no mandatory finding on the program's own records", () => {
        const mail = stackDiagnostics.filter((d) => MAIL_POLICIES.includes(d.policyName));
        expect(mail.filter((d) => d.enforcementLevel === "mandatory")).toEqual([]);
    });

    test("the mail policies see every mail domain the stack declares", () => {
        const domains = programs[stack].stack
            .filter((r) => r.type === "bec-guard:baseline:MailAuthentication")
            .map((r) => (r.properties as { domain?: string }).domain);
        expect(domains).toEqual(
            stack === "local" ? ["contoso.com"] : ["contoso.com", "contoso.co.uk"],
        );
    });

    test("the baseline-complete advisory names exactly the controls this stack leaves out", () => {
        const complete = stackDiagnostics.filter((d) => d.policyName === "baseline-complete");
        expect(complete).toHaveLength(1);
        expect(complete[0].enforcementLevel).toBe("advisory");
        const expected =
            stack === "local"
                ? [
                      "phishingResistantMfa",
                      "countryBlock",
                      "noLegacyAuthentication",
                      "outOfBandPaymentChecks",
                  ]
                : ["outOfBandPaymentChecks"];
        const listed = [...complete[0].message.matchAll(/\((\w+)\): /g)].map((m) => m[1]);
        expect(listed).toEqual(expected);
    });

    test("legacy authentication: blocked in example, reported as missing in local (CA is off there)", () => {
        const legacy = stackDiagnostics.filter((d) => d.policyName === "legacy-auth-blocked");
        if (stack === "local") {
            expect(legacy).toHaveLength(1);
            expect(legacy[0].enforcementLevel).toBe("mandatory");
            expect(legacy[0].message).toContain(
                "No Conditional Access policy in this stack blocks legacy",
            );
        } else {
            expect(legacy).toEqual([]);
        }
    });

    test("nothing else is reported", () => {
        const known = new Set(["baseline-complete", "legacy-auth-blocked"]);
        expect(stackDiagnostics.filter((d) => !known.has(d.policyName))).toEqual([]);
    });
});

describe("violations over the wire, on the example stack's own resources", () => {
    beforeAll(async () => {
        await host.configure(engineConfig(packConfigFor("example")));
    });

    const find = (type: string, name?: string): EngineResource => {
        const found = programs.example.stack.find(
            (r) => r.type.endsWith(type) && (!name || r.name === name),
        );
        if (!found) {
            throw new Error(`the example program declares no ${type} ${name ?? ""}`);
        }
        return JSON.parse(JSON.stringify(found));
    };

    test("a CA policy losing a break-glass exclusion is a mandatory Analyze diagnostic", async () => {
        const policy = find(
            "ConditionalAccessPolicy",
            "baseline-conditional-access-block-legacy-authentication",
        );
        const users = (policy.properties as any).conditions.users;
        users.excludedUsers = users.excludedUsers.slice(1);
        const diagnostics = await host.analyze(policy);
        expect(diagnostics).toHaveLength(1);
        // Analyze diagnostics carry no URN: the engine attaches the analysed resource's own.
        expect(diagnostics[0]).toMatchObject({
            policyName: "ca-policy-excludes-break-glass",
            enforcementLevel: "mandatory",
            urn: "",
        });
        expect(diagnostics[0].message).toContain("does not exclude break-glass account(s)");
    });

    test("the same exclusions unknown in preview are downgraded to advisory by the host", async () => {
        const policy = find(
            "ConditionalAccessPolicy",
            "baseline-conditional-access-block-legacy-authentication",
        );
        (policy.properties as any).conditions.users.excludedUsers = UNKNOWN;
        const diagnostics = await host.analyze(policy);
        expect(diagnostics).toHaveLength(1);
        expect(diagnostics[0].enforcementLevel).toBe("advisory");
        expect(diagnostics[0].message).toContain(
            "can't run policy 'ca-policy-excludes-break-glass' from policy pack 'bec-guard@v0.1.0' during preview",
        );
    });

    test("a quarantine of a break-glass account is a mandatory Analyze diagnostic", async () => {
        const quarantine = find("Quarantine");
        (quarantine.properties as any).user = "breakglass01@contoso.onmicrosoft.com";
        const diagnostics = await host.analyze(quarantine);
        expect(diagnostics.map((d) => [d.policyName, d.enforcementLevel])).toEqual([
            ["quarantine-not-break-glass", "mandatory"],
        ]);
    });

    test("a DMARC record set at p=none is a mandatory AnalyzeStack diagnostic on that record set", async () => {
        const resources = JSON.parse(JSON.stringify(programs.example.stack)) as EngineResource[];
        const dmarc = resources.find((r) => r.name === "baseline-mail-contoso-com-dmarc")!;
        const record = (dmarc.properties as any).txtRecords[0];
        record.value = record.value.map((s: string) => s.replace("p=reject", "p=none"));
        const diagnostics = (await host.analyzeStack(resources)).filter(
            (d) => d.policyName === "dmarc-reject",
        );
        expect(diagnostics.map((d) => `${d.enforcementLevel} ${d.urn}`)).toEqual([
            `mandatory ${dmarc.urn}`,
        ]);
    });

    test("a DMARC record at p=none for a domain published elsewhere is mandatory in the first preview", async () => {
        const resources = JSON.parse(JSON.stringify(programs.example.stack)) as EngineResource[];
        const external = resources.find((r) => r.name === "baseline-mail-contoso-co-uk")!;
        const props = external.properties as { records: unknown; txtRecordsToPublish: any[] };
        expect(props.records).toBe(UNKNOWN);
        const dmarc = props.txtRecordsToPublish.find((r) => r.purpose === "DMARC");
        dmarc.value = dmarc.value.replace("p=reject", "p=none");
        const diagnostics = (await host.analyzeStack(resources)).filter(
            (d) => d.policyName === "dmarc-reject",
        );
        expect(diagnostics.map((d) => `${d.enforcementLevel} ${d.urn}`)).toEqual([
            `mandatory ${external.urn}`,
        ]);
    });

    test("a mail domain with DMARC turned off is a mandatory AnalyzeStack diagnostic", async () => {
        const resources = JSON.parse(JSON.stringify(programs.example.stack)) as EngineResource[];
        const external = resources.find((r) => r.name === "baseline-mail-contoso-co-uk")!;
        const props = external.properties as { txtRecordsToPublish: any[] };
        props.txtRecordsToPublish = props.txtRecordsToPublish.filter((r) => r.purpose !== "DMARC");
        const diagnostics = (await host.analyzeStack(resources)).filter(
            (d) => d.policyName === "dmarc-reject",
        );
        expect(diagnostics.map((d) => [d.enforcementLevel, d.urn])).toEqual([
            ["mandatory", external.urn],
        ]);
        expect(diagnostics[0].message).toContain("declares mail domain contoso.co.uk");
    });

    test("a user in two containing quarantines is a mandatory AnalyzeStack diagnostic", async () => {
        const resources = JSON.parse(JSON.stringify(programs.example.stack)) as EngineResource[];
        const quarantine = resources.find((r) => r.type.endsWith("Quarantine"))!;
        const again = JSON.parse(JSON.stringify(quarantine)) as EngineResource;
        again.name = "INC-2050-megan";
        again.urn = quarantine.urn.replace(quarantine.name, again.name);
        (again.properties as any).incident = "INC-2050";
        resources.push(again);
        const diagnostics = (await host.analyzeStack(resources)).filter(
            (d) => d.policyName === "quarantine-one-per-user",
        );
        expect(diagnostics.map((d) => [d.enforcementLevel, d.urn])).toEqual([
            ["mandatory", again.urn],
        ]);
    });

    test("a policy set to disabled in config is not run", async () => {
        await host.configure(
            engineConfig({ ...packConfigFor("example"), "baseline-complete": "disabled" }),
        );
        const diagnostics = await host.analyzeStack(programs.example.stack);
        expect(diagnostics.filter((d) => d.policyName === "baseline-complete")).toEqual([]);
    });
});

/**
 * The UPNs of the break-glass accounts the stack files name by object id only: the team
 * writing the policy config knows both names of its emergency-access accounts.
 */
const BREAK_GLASS_UPNS: Record<string, string> = {
    "734a9b85-fe0b-4599-89a9-4993762843dc": "breakglass01@contoso.onmicrosoft.com",
    "8d3f7c2a-1b4e-4f6a-9c0d-2e5b7a9f1c3d": "breakglass02@contoso.onmicrosoft.com",
};

/**
 * The policy config a team would write for a stack: its break-glass accounts, each as
 * "<object id>|<upn>" (the program resolves UPNs; here the mock's stable fake ids), and its
 * approvers.
 */
function packConfigFor(stack: string): Record<string, unknown> {
    const file = path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`);
    const config = parse(fs.readFileSync(file, "utf8")).config ?? {};
    const entries: string[] = config["bec-guard:breakGlassAccounts"] ?? [];
    const breakGlass = entries.map((entry) =>
        entry.includes("@")
            ? `${fakeObjectId(entry)}|${entry}`
            : `${entry}|${BREAK_GLASS_UPNS[entry.toLowerCase()]}`,
    );
    return {
        "ca-policy-excludes-break-glass": { breakGlassAccounts: breakGlass },
        "quarantine-not-break-glass": { breakGlassAccounts: breakGlass },
        "legacy-auth-blocked": { breakGlassAccounts: breakGlass },
        // Contoso's approvers: the security lead who approved INC-2041, and the CISO.
        "quarantine-documented": { approvers: ["isaiah.langer@contoso.com", "ciso@contoso.com"] },
    };
}

/**
 * What the engine sends to Configure for a config file: every policy, its schema defaults
 * filled in, the file's values over them, the level from the file or the policy; the whole
 * config validated against each policy's schema first (the CLI refuses an invalid file).
 */
function engineConfig(file: Record<string, unknown>): Record<string, PolicyConfig> {
    const ajv = new Ajv({
        allErrors: true,
        // JSON Schema's `type: [a, b]`, which the CLI's validator accepts (break-glass entries
        // are a string or an {id, upn} object).
        allowUnionTypes: true,
        formats: { regex: (s: string) => isRegExp(s) },
    });
    const result: Record<string, PolicyConfig> = {};
    for (const policy of info.policies) {
        const given = file[policy.name];
        const { enforcementLevel, ...properties } =
            typeof given === "string"
                ? { enforcementLevel: given }
                : ((given ?? {}) as Record<string, unknown>);
        const schema = policy.configSchema ?? { properties: {}, required: [] };
        const defaults = Object.fromEntries(
            Object.entries(schema.properties)
                .filter(([, p]) => p.default !== undefined)
                .map(([k, p]) => [k, p.default]),
        );
        const merged = { ...defaults, ...properties };
        const validate = ajv.compile({
            type: "object",
            properties: schema.properties,
            required: schema.required,
        });
        if (!validate(merged)) {
            throw new Error(`${policy.name}: ${ajv.errorsText(validate.errors)}`);
        }
        result[policy.name] = {
            enforcementLevel:
                (enforcementLevel as PolicyConfig["enforcementLevel"]) ?? policy.enforcementLevel,
            properties: merged,
        };
    }
    return result;
}

function isRegExp(source: string): boolean {
    try {
        new RegExp(source);
        return true;
    } catch {
        return false;
    }
}

/** Runs test/policies/capture-program.ts for one stack in its own process. */
function previewInChild(stack: string): Promise<CapturedProgram> {
    return new Promise((resolve, reject) => {
        const script = path.join(__dirname, "capture-program.ts");
        const child = spawn(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", script, stack],
            {
                cwd: repoRoot,
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.once("error", reject);
        child.once("exit", (code) => {
            if (code !== 0) {
                reject(new Error(`the ${stack} preview failed (exit ${code}):\n${stderr}`));
            } else {
                resolve(JSON.parse(stdout) as CapturedProgram);
            }
        });
    });
}
