/**
 * `bec-guard preview-incidents`: what the incident files would change in the tenant, read now
 * and changing nothing. CI runs it on a pull request that adds or edits an incident file and
 * posts the result beside `pulumi preview`, so the reviewer approves the inbox rules, methods,
 * grants and delegates that containment will remove, not only the Quarantine resources.
 *
 * 1. Read the command line and, with --stack, the stack's plain config values (connection
 *    settings and break-glass accounts; secrets come from the environment, as for `up`).
 * 2. Load and check the incident files, as the program does.
 * 3. Read the tenant for each user and work out the plan, with containment's own judgements.
 * 4. Print Markdown (or JSON); exit 1 when a user would be refused or could not be read.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import type { ConfigSource } from "../dynamic-providers/connection/settings";

export const PREVIEW_USAGE = `Usage: bec-guard preview-incidents [--stack NAME] [--dir DIR] [--json]

  --stack NAME  read connection settings and bec-guard:breakGlassAccounts from
                stacks/Pulumi.NAME.yaml (plain values; secrets come from the environment)
  --dir DIR     folder of incident files (default stacks/incidents)
  --json        print JSON instead of Markdown

Sends only reads (Graph GETs, Exchange Get- cmdlets). Credentials as for pulumi up: the
AZURE_* variables (or bec-guard:* stack config). Exit code 1 when a user would be refused or
could not be read, 2 for bad usage or settings.`;

interface Options {
    stack?: string;
    dir?: string;
    json: boolean;
}

export async function runPreviewIncidents(argv: string[]): Promise<number> {
    // 1. The command line and the stack's config.
    let options: Options;
    try {
        options = parseArguments(argv);
    } catch (err) {
        if ((err as Error).message === "help") {
            process.stdout.write(`${PREVIEW_USAGE}\n`);
            return 0;
        }
        return fail(`${(err as Error).message} (see bec-guard preview-incidents --help)`, 2);
    }
    const repoRoot = path.resolve(__dirname, "..");
    let config: ConfigSource | undefined;
    if (options.stack) {
        const file = path.join(repoRoot, "stacks", `Pulumi.${options.stack}.yaml`);
        if (!fs.existsSync(file)) return fail(`no stack config at ${file}`, 2);
        config = plainStackConfig(fs.readFileSync(file, "utf8"));
    }

    // Loaded here, not at the top, so --help and bad usage answer at once.
    const { loadSettings, ConnectionSettingsError } =
        await import("../dynamic-providers/connection/settings");
    const { parseAccountList, withDefaults } =
        await import("../dynamic-providers/quarantine/inputs");
    const { IncidentFileError, loadIncidents } = await import("../stacks/incident-files");
    const { connectTenant } = await import("../dynamic-providers/quarantine/connect");
    const { previewContainment, previewMarkdown } =
        await import("../dynamic-providers/quarantine/preview");

    // 2. The incident files, checked as the program checks them.
    const breakGlassAccounts = parseAccountList(
        config?.get("bec-guard:breakGlassAccounts") ?? process.env.BEC_GUARD_BREAK_GLASS_ACCOUNTS,
    );
    let users;
    try {
        users = loadIncidents({ dir: options.dir, breakGlassAccounts });
    } catch (err) {
        if (err instanceof IncidentFileError) return fail(err.message, 1);
        throw err;
    }
    if (users.length === 0) {
        process.stdout.write("No incident files: no quarantine would change anything.\n");
        return 0;
    }

    // 3. One read-only look at the tenant per user.
    let settings;
    try {
        settings = loadSettings(config, process.env);
    } catch (err) {
        if (err instanceof ConnectionSettingsError) return fail(err.message, 2);
        throw err;
    }
    const tenant = connectTenant(settings);
    const previews = await Promise.all(
        users.map((u) =>
            previewContainment(tenant, withDefaults({ ...u.args }, u.name), [
                ...settings.breakGlassAccounts,
                ...breakGlassAccounts,
            ]),
        ),
    );

    // 4. The report.
    process.stdout.write(
        options.json ? `${JSON.stringify(previews, null, 2)}\n` : `${previewMarkdown(previews)}\n`,
    );
    const blocked = previews.filter((p) => p.outcome === "refuse" || p.outcome === "unreadable");
    return blocked.length > 0 ? 1 : 0;
}

function parseArguments(argv: string[]): Options {
    const options: Options = { json: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            const next = argv[++i];
            if (next === undefined || next.startsWith("--"))
                throw new Error(`${arg} needs a value`);
            return next;
        };
        if (arg === "--help" || arg === "-h") throw new Error("help");
        else if (arg === "--stack") options.stack = value();
        else if (arg === "--dir") options.dir = path.resolve(value());
        else if (arg === "--json") options.json = true;
        else throw new Error(`unknown option ${arg}`);
    }
    return options;
}

/**
 * A stack file's `config:` as Pulumi would hand it to a provider, without the encrypted
 * values (`secure:`), which only the Pulumi CLI can decrypt: lists and maps as JSON text.
 */
export function plainStackConfig(text: string): ConfigSource {
    const data = (parseDocument(text).toJS() ?? {}) as { config?: Record<string, unknown> };
    const values = new Map<string, string>();
    for (const [key, value] of Object.entries(data.config ?? {})) {
        const isSecret = value !== null && typeof value === "object" && "secure" in value;
        if (value === undefined || value === null || isSecret) continue;
        values.set(key, typeof value === "string" ? value : JSON.stringify(value));
    }
    return { get: (key) => values.get(key) };
}

function fail(message: string, code: number): number {
    process.stderr.write(`bec-guard preview-incidents: ${message}\n`);
    return code;
}
