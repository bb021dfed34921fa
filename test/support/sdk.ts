/**
 * What the two harnesses that play the Pulumi engine (provider-host.ts and
 * policies/analyzer-host.ts) both need from the SDK: its own gRPC and protobuf modules, the
 * host scripts the CLI would start, and the port such a host prints once it serves.
 */
import { ChildProcess } from "child_process";
import * as path from "path";

/** The repository root: the SDK is resolved from here, as the CLI would from a project. */
export const repoRoot = path.resolve(__dirname, "../..");

// The SDK's generated protobuf classes only accept messages built from its own copies of
// google-protobuf and grpc-js, so those load from beside @pulumi/pulumi, not from the root.
const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [repoRoot] }));

/** Loads `id` as the SDK itself resolves it (for grpc-js, google-protobuf and the SDK's protos). */
export function fromSdk(id: string): any {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(require.resolve(id, { paths: [sdkDir] }));
}

/** The path of a script the SDK ships, e.g. `@pulumi/pulumi/cmd/dynamic-provider/index.js`. */
export function sdkScript(id: string): string {
    return require.resolve(id, { paths: [repoRoot] });
}

/**
 * Waits for a host started from an SDK script to print the port it serves gRPC on (a line
 * holding only the number). If the host exits first, rejects with `exitedEarly(code)`.
 */
export function servedPort(
    child: ChildProcess,
    exitedEarly: (code: number | null) => Error,
): Promise<number> {
    return new Promise<number>((resolve, reject) => {
        let buffered = "";
        const onData = (chunk: Buffer) => {
            buffered += chunk.toString();
            const match = /^(\d+)\s*$/m.exec(buffered);
            if (match) {
                child.stdout!.off("data", onData);
                resolve(Number(match[1]));
            }
        };
        child.stdout!.on("data", onData);
        child.once("exit", (code) => reject(exitedEarly(code)));
        child.once("error", reject);
    });
}
