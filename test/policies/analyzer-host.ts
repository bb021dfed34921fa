/**
 * Runs the WHOLE policy pack the way `pulumi preview --policy-pack policies` does, without the
 * Pulumi CLI, and speaks to it over gRPC as the engine would.
 *
 * How the CLI starts a Node.js pack (read from the SDK and the CLI's plugin code):
 * - it runs `@pulumi/pulumi/cmd/run-policy-pack` with the working directory set to the pack
 *   directory and the arguments `<engine address> .`;
 * - run-policy-pack drops the engine address (nothing in the pack talks back to the engine, so
 *   no fake engine server is needed), registers ts-node with type checking (the pack is
 *   TypeScript: `policies/tsconfig.json` is picked up from that working directory), and
 *   requires the directory, which loads `policies/index.ts`;
 * - `new PolicyPack` reads the version from `policies/package.json`, starts the analyzer's
 *   gRPC server on 127.0.0.1 and prints its port on stdout.
 * The engine then calls GetAnalyzerInfo, Configure (with every policy's config, schema
 * defaults filled in), Analyze per resource (its inputs) and AnalyzeStack once (every resource
 * with its outputs, parents and dependencies).
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { fromSdk, repoRoot, sdkScript, servedPort } from "../support/sdk";

const grpc = fromSdk("@grpc/grpc-js");
const analyzerRpc = fromSdk("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerProto = fromSdk("@pulumi/pulumi/proto/analyzer_pb");
const structProto = fromSdk("google-protobuf/google/protobuf/struct_pb");
const emptyProto = fromSdk("google-protobuf/google/protobuf/empty_pb");

const hostScript = sdkScript("@pulumi/pulumi/cmd/run-policy-pack/index.js");

/** The pack directory, as passed to `--policy-pack`. */
export const packDir = path.join(repoRoot, "policies");

export type Level = "advisory" | "mandatory" | "disabled" | "remediate";
const LEVELS: Level[] = ["advisory", "mandatory", "disabled", "remediate"];

/** A resource as the engine describes it to the analyzer. */
export interface EngineResource {
    type: string;
    name: string;
    urn: string;
    /** Inputs (Analyze) or outputs (AnalyzeStack), in wire form: unknowns as sentinels. */
    properties: Record<string, unknown>;
    parent?: string;
    dependencies?: string[];
}

/** One diagnostic from the pack. */
export interface Diagnostic {
    policyName: string;
    policyPackName: string;
    policyPackVersion: string;
    message: string;
    enforcementLevel: Level;
    urn: string;
}

export interface PolicyInfo {
    name: string;
    description: string;
    enforcementLevel: Level;
    type: "resource" | "stack" | "unknown";
    configSchema?: { properties: Record<string, any>; required: string[] };
}

export interface AnalyzerInfo {
    name: string;
    version: string;
    supportsConfig: boolean;
    description: string;
    policies: PolicyInfo[];
}

/** Config for one policy, as the engine sends it after filling in defaults. */
export interface PolicyConfig {
    enforcementLevel: Level;
    properties: Record<string, unknown>;
}

/** The pack in its own process. */
export class AnalyzerHost {
    /** What the host wrote to stdout and stderr after the port (errors, console output). */
    output = "";

    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
    ) {}

    /** Starts the pack as the CLI does and connects to it. */
    static async start(): Promise<AnalyzerHost> {
        const child = spawn(process.execPath, [hostScript, "127.0.0.1:1", "."], {
            cwd: packDir,
            env: process.env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let early = "";
        child.stderr!.on("data", (c: Buffer) => (early += c.toString()));
        const port = await servedPort(
            child,
            (code) => new Error(`the policy pack exited before serving (${code}):\n${early}`),
        );
        const client = new analyzerRpc.AnalyzerClient(
            `127.0.0.1:${port}`,
            grpc.credentials.createInsecure(),
        );
        const host = new AnalyzerHost(child, client);
        child.stdout!.on("data", (c: Buffer) => (host.output += c.toString()));
        child.stderr!.on("data", (c: Buffer) => (host.output += early + c.toString()));
        return host;
    }

    async getAnalyzerInfo(): Promise<AnalyzerInfo> {
        const info = await this.call("getAnalyzerInfo", new emptyProto.Empty());
        return {
            name: info.getName(),
            version: info.getVersion(),
            supportsConfig: info.getSupportsconfig(),
            description: info.getDescription(),
            policies: info.getPoliciesList().map((p: any) => {
                const schema = p.getConfigschema();
                return {
                    name: p.getName(),
                    description: p.getDescription(),
                    enforcementLevel: LEVELS[p.getEnforcementlevel()],
                    type: ["unknown", "resource", "stack"][p.getPolicyType()] as PolicyInfo["type"],
                    configSchema: schema
                        ? {
                              properties: schema.getProperties()?.toJavaScript() ?? {},
                              required: schema.getRequiredList(),
                          }
                        : undefined,
                };
            }),
        };
    }

    async configure(config: Record<string, PolicyConfig>): Promise<void> {
        const req = new analyzerProto.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, policy] of Object.entries(config)) {
            const pc = new analyzerProto.PolicyConfig();
            pc.setEnforcementlevel(LEVELS.indexOf(policy.enforcementLevel));
            pc.setProperties(structProto.Struct.fromJavaScript(policy.properties));
            map.set(name, pc);
        }
        await this.call("configure", req);
    }

    async analyze(resource: EngineResource): Promise<Diagnostic[]> {
        const req = new analyzerProto.AnalyzeRequest();
        req.setType(resource.type);
        req.setName(resource.name);
        req.setUrn(resource.urn);
        req.setProperties(structProto.Struct.fromJavaScript(resource.properties));
        req.setOptions(options(resource.parent));
        return diagnostics(await this.call("analyze", req));
    }

    async analyzeStack(resources: EngineResource[]): Promise<Diagnostic[]> {
        const req = new analyzerProto.AnalyzeStackRequest();
        req.setResourcesList(
            resources.map((resource) => {
                const r = new analyzerProto.AnalyzerResource();
                r.setType(resource.type);
                r.setName(resource.name);
                r.setUrn(resource.urn);
                r.setProperties(structProto.Struct.fromJavaScript(resource.properties));
                r.setOptions(options(resource.parent));
                r.setParent(resource.parent ?? "");
                r.setDependenciesList(resource.dependencies ?? []);
                return r;
            }),
        );
        return diagnostics(await this.call("analyzeStack", req));
    }

    async stop(): Promise<void> {
        this.client.close();
        if (this.child.exitCode === null) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill();
            await exited;
        }
    }

    private call(method: string, req: unknown): Promise<any> {
        return new Promise((resolve, reject) => {
            this.client[method](req, (err: Error | null, resp: any) => {
                if (err) {
                    reject(new Error(`${method}: ${err.message}\n${this.output}`));
                } else {
                    resolve(resp);
                }
            });
        });
    }
}

function options(parent: string | undefined): unknown {
    const opts = new analyzerProto.AnalyzerResourceOptions();
    opts.setProtect(false);
    if (parent) {
        opts.setParent(parent);
    }
    return opts;
}

function diagnostics(resp: any): Diagnostic[] {
    return resp.getDiagnosticsList().map((d: any) => ({
        policyName: d.getPolicyname(),
        policyPackName: d.getPolicypackname(),
        policyPackVersion: d.getPolicypackversion(),
        message: d.getMessage(),
        enforcementLevel: LEVELS[d.getEnforcementlevel()],
        urn: d.getUrn(),
    }));
}
