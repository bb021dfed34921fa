/**
 * Pulumi.yaml's typed `config:` schema declares every `bec-guard:*` key the code reads, so
 * `pulumi config set` and the Pulumi Cloud console know each key, its type and whether it is a
 * secret. A key read but not declared is one an operator cannot discover.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

import { connectionConfigKeys } from "../../../dynamic-providers/connection/settings";
import { BASELINE_CONFIG_KEY } from "../../../components/config";

const REPO = path.resolve(__dirname, "../../..");
const PRODUCT_DIRS = ["stacks", "components", "dynamic-providers", "policies", "cli"];

interface Declared {
    type?: string;
    description?: string;
    secret?: boolean;
}

const declared = (
    parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, Declared>;
    }
).config;

/** Every .ts file of the product (not tests, not node_modules). */
function productFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === "node_modules" ? [] : productFiles(full);
        return entry.name.endsWith(".ts") ? [full] : [];
    });
}

/**
 * Keys the code names in its source: quoted `"bec-guard:key"` literals (lower camel case;
 * `bec-guard:Name` type tokens are not keys), and literal keys read through a
 * `pulumi.Config("bec-guard")` object (`config.get("cloud")`, `config.getObject<...>("x")`,
 * and the `setting("cloud", "BEC_GUARD_CLOUD")` helper of stacks/baseline.ts).
 */
function keysInSource(): Map<string, string> {
    const found = new Map<string, string>();
    for (const file of PRODUCT_DIRS.flatMap((d) => productFiles(path.join(REPO, d)))) {
        const text = fs.readFileSync(file, "utf8");
        const where = path.relative(REPO, file);
        for (const m of text.matchAll(/["'`]bec-guard:([a-z][A-Za-z0-9]*)["'`]/g))
            found.set(`bec-guard:${m[1]}`, where);
        if (!/new pulumi\.Config\(/.test(text) && !/config: pulumi\.Config/.test(text)) continue;
        const reads =
            /\bconfig\.(?:get|getObject|getSecret|getBoolean|getNumber|getSecretObject|require|requireObject|requireSecret|requireBoolean|requireNumber)(?:<[^>]*>)?\(\s*["'`]([a-z][A-Za-z0-9]*)["'`]/g;
        for (const m of text.matchAll(reads)) found.set(`bec-guard:${m[1]}`, where);
        for (const m of text.matchAll(/\bsetting\(\s*"([a-z][A-Za-z0-9]*)"\s*,\s*"[A-Z_]+"\s*\)/g))
            found.set(`bec-guard:${m[1]}`, where);
    }
    return found;
}

describe("Pulumi.yaml config schema", () => {
    test("declares every stack config key the connection reads", () => {
        const missing = connectionConfigKeys()
            .map((k) => k.key)
            .filter((key) => !(key in declared));

        expect(missing).toEqual([]);
    });

    test("declares every bec-guard key named in the program, components and providers", () => {
        const read = keysInSource();
        read.set(`bec-guard:${BASELINE_CONFIG_KEY}`, "components/config.ts");

        const missing = [...read].filter(([key]) => !(key in declared));

        expect(missing).toEqual([]);
        // The scan must see the program's own reads, or it proves nothing.
        expect([...read.keys()]).toEqual(
            expect.arrayContaining(["bec-guard:breakGlassAccounts", "bec-guard:cloud"]),
        );
    });

    test("marks the connection's secrets secret", () => {
        const notSecret = connectionConfigKeys()
            .filter((k) => k.secret && declared[k.key]?.secret !== true)
            .map((k) => k.key);

        expect(notSecret).toEqual([]);
    });

    test("gives every key a type and a description", () => {
        const incomplete = Object.entries(declared)
            .filter(([, d]) => typeof d.type !== "string" || !d.description)
            .map(([key]) => key);

        expect(incomplete).toEqual([]);
    });
});
