/**
 * The resources the BEC Guard program registers for one stack in a preview: what the engine
 * would hand the policy pack. Used by pack-host.test.ts; also runs alone to print them as JSON:
 *
 *   node -r ts-node/register/transpile-only test/policies/capture-program.ts local
 *
 * The program runs under `pulumi.runtime.setMocks` in preview mode, with the stack's config
 * from stacks/Pulumi.<stack>.yaml. Requests are captured at the resource monitor, in the form
 * the engine receives them: inputs with unknowns as the wire's sentinel values, parents and
 * dependencies as URNs, component outputs as registered.
 *
 * The program is stacks/index.ts: the baseline from the stack config and one quarantine per
 * user of each incident file in stacks/incidents/.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

import type { EngineResource } from "./analyzer-host";

const repoRoot = path.resolve(__dirname, "../..");

/** What the script prints. */
export interface CapturedProgram {
    /** Custom resources with their inputs: one Analyze call each. */
    analyze: EngineResource[];
    /** Every resource with its outputs (inputs echoed for custom resources): AnalyzeStack. */
    stack: EngineResource[];
}

interface Registration {
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    dependencies: string[];
    inputs: Record<string, unknown>;
    urn?: string;
    outputs?: Record<string, unknown>;
}

/** Captures one stack's preview; `load` requires the program's modules. */
export async function captureProgram(
    stack: string,
    load: (file: string) => any = require,
): Promise<CapturedProgram> {
    // 1. The stack's config, as `pulumi` would load it (objects as JSON strings).
    const file = path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`);
    const config = (parse(fs.readFileSync(file, "utf8"))?.config ?? {}) as Record<string, unknown>;

    // 2. Mocks in preview mode: resources echo their inputs; the one invoke the baseline makes
    //    (azuread getUser, for a break-glass UPN) answers a stable fake object id.
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
            call: (args) => {
                if (args.token === "azuread:index/getUser:getUser") {
                    return {
                        ...args.inputs,
                        objectId: fakeObjectId(String(args.inputs.userPrincipalName)),
                    };
                }
                return {};
            },
        },
        "bec-guard",
        stack,
        true,
    );
    pulumi.runtime.setAllConfig(
        Object.fromEntries(
            Object.entries(config).map(([key, value]) => [
                key,
                typeof value === "string" ? value : JSON.stringify(value),
            ]),
        ),
    );

    // 3. Capture at the monitor, in wire form.
    const registrations: Registration[] = [];
    const monitor = (pulumi.runtime as any).getMonitor();
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        const registration: Registration = {
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            parent: req.getParent() || undefined,
            dependencies: req.getDependenciesList(),
            inputs: req.getObject()?.toJavaScript() ?? {},
        };
        registrations.push(registration);
        return registerResource(req, (err: unknown, resp: any) => {
            registration.urn = resp?.getUrn();
            callback(err, resp);
        });
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, callback: any) => {
        const registration = registrations.find((r) => r.urn === req.getUrn());
        if (registration) {
            registration.outputs = req.getOutputs()?.toJavaScript() ?? {};
        }
        return registerOutputs(req, callback);
    };

    // 4. Dynamic resources carry their provider serialized into `__provider`. The pack never
    //    reads it (every policy ignores it), and serializing each provider's closure costs
    //    seconds, so a placeholder of the same kind (a string) stands in for it here.
    //    Serialization itself is exercised by the provider-host tests.
    const closure = load(require.resolve("@pulumi/pulumi/runtime/closure/serializeClosure"));
    closure.serializeFunction = async () => ({
        text: "exports.handler = __provider; /* serialized provider omitted in this test */",
        exportName: "handler",
        containsSecrets: false,
    });

    // 5. Run the program and wait until every registration and output has been sent.
    await runProgram(load);
    await settle(registrations);

    // 6. The two views the engine gives the pack.
    const engineResource = (r: Registration, properties: Record<string, unknown>) => ({
        type: r.type,
        name: r.name,
        urn: r.urn ?? "",
        properties,
        parent: r.parent,
        dependencies: r.dependencies,
    });
    return {
        analyze: registrations.filter((r) => r.custom).map((r) => engineResource(r, r.inputs)),
        stack: registrations.map((r) => engineResource(r, r.custom ? r.inputs : (r.outputs ?? {}))),
    };
}

/** Runs the program, stacks/index.ts (it declares everything when its module loads). */
async function runProgram(load: (file: string) => any): Promise<void> {
    const exported = load(path.join(repoRoot, "stacks", "index.ts"));
    if (typeof exported === "function") {
        await exported();
    }
}

/** Waits until no registration or output has arrived for a few ticks. */
async function settle(registrations: Registration[]): Promise<void> {
    let last = "";
    let stable = 0;
    while (stable < 10) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        const now = `${registrations.length}/${registrations.filter((r) => r.outputs).length}`;
        stable = now === last ? stable + 1 : 0;
        last = now;
    }
}

/** A deterministic GUID-shaped id for a UPN, so assertions can name it. */
export function fakeObjectId(upn: string): string {
    let hash = 0;
    for (const char of upn.toLowerCase()) {
        hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    }
    const hex = hash.toString(16).padStart(8, "0");
    return `${hex}-0000-4000-8000-000000000000`;
}

if (require.main === module) {
    captureProgram(process.argv[2] ?? "local")
        .then((captured) => process.stdout.write(JSON.stringify(captured)))
        .catch((error) => {
            process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
            process.exit(1);
        });
}
