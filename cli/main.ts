/**
 * The `bec-guard` command: dispatches a subcommand. bin/bec-guard.js loads this through
 * ts-node, so the CLI runs from the TypeScript sources without a build step.
 */
import { runDemo } from "./demo";
import { runLocalTenant } from "./local-tenant";
import { runPreviewIncidents } from "./preview-incidents";

interface Command {
    summary: string;
    run(argv: string[]): Promise<number>;
}

/** Subcommands by name. */
export const COMMANDS: Record<string, Command> = {
    "local-tenant": {
        summary: "run the local tenant (Graph, Exchange admin API, token endpoint) on 127.0.0.1",
        run: runLocalTenant,
    },
    "preview-incidents": {
        summary: "read the tenant and list what the incident files would change, changing nothing",
        run: runPreviewIncidents,
    },
    demo: {
        summary:
            "contain the contoso-bec finance user on the local tenant with pulumi up --stack local",
        run: runDemo,
    },
};

export function usage(): string {
    const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
    const lines = Object.entries(COMMANDS).map(
        ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
    );
    return `Usage: bec-guard <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun bec-guard <command> --help for a command's options.`;
}

/**
 * Runs the command line.
 *
 * @param argv Arguments after the program name.
 * @returns The exit code: 0 success, 2 bad usage, 1 failure.
 */
export async function main(argv: string[]): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        (name === undefined ? process.stderr : process.stdout).write(`${usage()}\n`);
        return name === undefined ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (!command) {
        process.stderr.write(
            `bec-guard: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(", ")}.\n`,
        );
        return 2;
    }
    return command.run(rest);
}
