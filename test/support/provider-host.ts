/**
 * Drives dynamic providers the way `pulumi up` does, without the Pulumi CLI.
 *
 * 1. `captureProvider` runs a resource constructor under `pulumi.runtime.setMocks`, so the SDK
 *    serializes the provider into the `__provider` input exactly as it would for the engine.
 * 2. `ProviderHost` starts the SDK's own dynamic-provider host
 *    (`@pulumi/pulumi/cmd/dynamic-provider`) as a child process and calls it over gRPC with
 *    the same requests the engine sends: Configure, Check, Diff, Create, Read, Update, Delete.
 *
 * Everything crosses the process boundary as the engine would carry it, so closure
 * serialization failures and state that does not survive a round trip show up in tests.
 */
import { ChildProcess, spawn } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { observeRegistrations } from "./registrations";
import { fromSdk, repoRoot, sdkScript, servedPort } from "./sdk";

const grpc = fromSdk("@grpc/grpc-js");
const provrpc = fromSdk("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = fromSdk("@pulumi/pulumi/proto/provider_pb");
const structproto = fromSdk("google-protobuf/google/protobuf/struct_pb");
const statusproto = fromSdk("@pulumi/pulumi/proto/status_pb");

// Note: a partial create returns its recorded properties in one gRPC trailer. Node's HTTP/2
// library (nghttp2) refuses any single header value over 64 KiB, so through this harness an
// init failure whose properties serialize to more than about 48 KB never returns (the engine's
// Go client has no such limit). Providers' tests keep partial-create properties under that.

const hostScript = sdkScript("@pulumi/pulumi/cmd/dynamic-provider/index.js");

export type Props = Record<string, any>;

/** What the engine would have received for one resource registration. */
export interface CapturedResource {
    type: string;
    name: string;
    /** Inputs as the engine sees them, including the serialized `__provider`. */
    inputs: Props;
    /** Output names the resource asked the engine to keep secret. */
    additionalSecretOutputs: string[];
}

/**
 * Runs `create` under Pulumi's mocks and returns every custom resource it registered, in order.
 * The last one registered is usually the one under test; components register children first.
 */
export async function captureResources(
    create: () => void | pulumi.Resource,
): Promise<CapturedResource[]> {
    const captured: CapturedResource[] = [];
    const secretOutputsByName = new Map<string, string[]>();

    // 1. Mocks that record inputs and echo them back as state.
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                captured.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    additionalSecretOutputs: [],
                });
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: () => ({}),
        },
        "bec-guard",
        "test",
        false,
    );

    // 2. The mock monitor drops resource options; read additionalSecretOutputs off the request.
    observeRegistrations((req) => {
        secretOutputsByName.set(req.getName(), req.getAdditionalsecretoutputsList());
    });

    // 3. Build the resources and wait until the SDK has sent every registration.
    const created = create();
    if (created) {
        await new Promise<void>((resolve) => created.urn.apply(() => resolve()));
    }
    await waitForRegistrations(captured);
    for (const c of captured) {
        c.additionalSecretOutputs = secretOutputsByName.get(c.name) ?? [];
    }
    return captured;
}

/** Captures the single dynamic resource that `create` builds (the last one registered). */
export async function captureProvider(create: () => pulumi.Resource): Promise<CapturedResource> {
    const all = await captureResources(create);
    const dynamic = all.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    if (dynamic.length === 0) {
        throw new Error("captureProvider: the constructor registered no dynamic resource");
    }
    return dynamic[dynamic.length - 1];
}

async function waitForRegistrations(captured: CapturedResource[]): Promise<void> {
    // Registrations are asynchronous; wait until the count stops growing for a few ticks.
    let last = -1;
    let stableTicks = 0;
    while (stableTicks < 5) {
        await new Promise((r) => setTimeout(r, 20));
        if (captured.length === last) {
            stableTicks++;
        } else {
            stableTicks = 0;
            last = captured.length;
        }
    }
}

/** An error from the provider host, with the init-error details when the provider sent them. */
export class ProviderError extends Error {
    constructor(
        message: string,
        /** Present when the resource was created but failed to initialise (a partial create). */
        readonly initFailure?: { id: string; properties: Props; reasons: string[] },
    ) {
        super(message);
    }
}

export interface CheckResult {
    inputs: Props;
    failures: Array<{ property: string; reason: string }>;
}

export interface DiffResult {
    changes: "some" | "none" | "unknown";
    replaces: string[];
    deleteBeforeReplace: boolean;
}

/** The SDK's dynamic-provider host in a child process, spoken to over gRPC. */
export class ProviderHost {
    /** Everything the host process wrote to stdout and stderr (progress lines, errors). */
    output = "";

    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
    ) {}

    /** Starts a host. `env` is added to this process's environment (credentials, CA). */
    static async start(opts: { env?: Record<string, string> } = {}): Promise<ProviderHost> {
        const child = spawn(process.execPath, [hostScript, "127.0.0.1:1"], {
            cwd: repoRoot,
            env: { ...process.env, ...(opts.env ?? {}) },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const port = await servedPort(
            child,
            (code) => new Error(`provider host exited early (${code})`),
        );
        const client = new provrpc.ResourceProviderClient(
            `127.0.0.1:${port}`,
            grpc.credentials.createInsecure(),
        );
        const host = new ProviderHost(child, client);
        child.stdout!.on("data", (c: Buffer) => (host.output += c.toString()));
        child.stderr!.on("data", (c: Buffer) => (host.output += c.toString()));
        return host;
    }

    /** Sends the stack config, keys namespaced as the engine sends them (`bec-guard:key`). */
    async configure(config: Record<string, unknown> = {}): Promise<void> {
        const req = new provproto.ConfigureRequest();
        req.setArgs(structproto.Struct.fromJavaScript(config));
        req.setAcceptsecrets(false);
        await this.call("configure", req);
    }

    async check(urn: string, olds: Props, news: Props): Promise<CheckResult> {
        const req = new provproto.CheckRequest();
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const resp = await this.call("check", req);
        return {
            inputs: resp.getInputs()?.toJavaScript() ?? {},
            failures: resp.getFailuresList().map((f: any) => ({
                property: f.getProperty(),
                reason: f.getReason(),
            })),
        };
    }

    async diff(id: string, urn: string, olds: Props, news: Props): Promise<DiffResult> {
        const req = new provproto.DiffRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const resp = await this.call("diff", req);
        const kinds = provproto.DiffResponse.DiffChanges;
        const changes = resp.getChanges();
        return {
            changes:
                changes === kinds.DIFF_SOME
                    ? "some"
                    : changes === kinds.DIFF_NONE
                      ? "none"
                      : "unknown",
            replaces: resp.getReplacesList(),
            deleteBeforeReplace: resp.getDeletebeforereplace(),
        };
    }

    async create(urn: string, props: Props): Promise<{ id: string; outs: Props }> {
        const req = new provproto.CreateRequest();
        req.setUrn(urn);
        req.setProperties(toStruct(props));
        const resp = await this.call("create", req);
        return { id: resp.getId(), outs: resp.getProperties()?.toJavaScript() ?? {} };
    }

    async read(
        id: string,
        urn: string,
        props: Props,
        inputs?: Props,
    ): Promise<{ id: string; props: Props; inputs?: Props }> {
        const req = new provproto.ReadRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setProperties(toStruct(props));
        if (inputs) {
            req.setInputs(toStruct(inputs));
        }
        const resp = await this.call("read", req);
        return {
            id: resp.getId(),
            props: resp.getProperties()?.toJavaScript() ?? {},
            inputs: resp.getInputs()?.toJavaScript(),
        };
    }

    async update(id: string, urn: string, olds: Props, news: Props): Promise<{ outs: Props }> {
        const req = new provproto.UpdateRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const resp = await this.call("update", req);
        return { outs: resp.getProperties()?.toJavaScript() ?? {} };
    }

    async delete(id: string, urn: string, props: Props): Promise<void> {
        const req = new provproto.DeleteRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setProperties(toStruct(props));
        await this.call("delete", req);
    }

    /** Kills the host at once, as a crash or a cancelled CI job would. */
    kill(): void {
        this.child.kill("SIGKILL");
        this.client.close();
    }

    async stop(): Promise<void> {
        this.client.close();
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
            return;
        }
        const exited = new Promise((r) => this.child.once("exit", r));
        this.child.kill("SIGTERM");
        await exited;
    }

    private call(method: string, req: any): Promise<any> {
        return new Promise((resolve, reject) => {
            this.client[method](req, (err: any, resp: any) => {
                if (err) {
                    reject(toProviderError(err));
                } else {
                    resolve(resp);
                }
            });
        });
    }
}

/** A URN the engine would give a resource of this type and name in the test stack. */
export function testUrn(type: string, name: string): string {
    return `urn:pulumi:test::bec-guard::${type}::${name}`;
}

function toStruct(props: Props): any {
    // The engine strips secrets for providers that do not accept them; so do we.
    return structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
}

function toProviderError(err: any): ProviderError {
    const raw = err?.metadata?.get?.("grpc-status-details-bin")?.[0];
    if (!raw) {
        return new ProviderError(err?.details ?? err?.message ?? String(err));
    }
    const status = statusproto.Status.deserializeBinary(raw);
    for (const any of status.getDetailsList()) {
        const detail = any.unpack(
            provproto.ErrorResourceInitFailed.deserializeBinary,
            "pulumirpc.ErrorResourceInitFailed",
        );
        if (detail) {
            return new ProviderError(status.getMessage(), {
                id: detail.getId(),
                properties: detail.getProperties()?.toJavaScript() ?? {},
                reasons: detail.getReasonsList(),
            });
        }
    }
    return new ProviderError(status.getMessage());
}
