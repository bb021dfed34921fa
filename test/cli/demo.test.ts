/**
 * `npm run demo` on a machine without the Pulumi CLI must stop at once with one line that
 * says what is missing, before it starts a tenant or touches any state.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { findPulumiCli } from "../../cli/demo";

const repoRoot = path.resolve(__dirname, "../..");

describe("the demo's search for the Pulumi CLI", () => {
    const emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-cli-cache-"));
    afterAll(() => fs.rmSync(emptyCache, { recursive: true, force: true }));

    it("says why when the CLI is neither on PATH nor downloadable", async () => {
        const found = await findPulumiCli({
            path: "/nonexistent",
            cacheDir: () => emptyCache,
            install: async () => {
                throw new Error("fetch failed");
            },
        });
        expect(found).toEqual({
            reason: expect.stringContaining(
                "the Pulumi CLI is not on PATH and could not be downloaded (fetch failed)",
            ),
        });
    });

    it("uses a CLI already in the npm package's cache without downloading", async () => {
        const bin = path.join(emptyCache, "bin", "pulumi");
        fs.mkdirSync(path.dirname(bin), { recursive: true });
        fs.writeFileSync(bin, "#!/bin/sh\n", { mode: 0o755 });
        const found = await findPulumiCli({
            path: "/nonexistent",
            cacheDir: () => emptyCache,
            install: async () => {
                throw new Error("must not download");
            },
        });
        expect(found).toBe(bin);
        fs.rmSync(bin);
    });

    it("exits non-zero with a single line when the CLI cannot be had", () => {
        const run = spawnSync(process.execPath, ["bin/bec-guard.js", "demo"], {
            cwd: repoRoot,
            encoding: "utf8",
            env: {
                ...process.env,
                PATH: path.dirname(process.execPath),
                PULUMI_HOME: emptyCache,
                BEC_GUARD_PULUMI_DOWNLOAD: "off",
            },
            timeout: 60_000,
        });
        expect(run.status).toBe(1);
        expect(run.stderr.trim().split("\n")).toHaveLength(1);
        expect(run.stderr).toMatch(/^bec-guard demo: the Pulumi CLI is not on PATH/);
        expect(run.stdout).not.toMatch(/Local tenant/);
    });
});
