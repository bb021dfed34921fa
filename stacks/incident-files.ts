/**
 * Incident files: one YAML file per incident under stacks/incidents/, turned into Quarantine
 * resources. A responder contains users by opening a pull request that adds a file; the
 * preview shows what will change; merging and `pulumi up` contains.
 *
 * Every file is checked before any resource is declared: against the JSON Schema
 * (stacks/incidents/schema.json), then field by field with the same checks the provider runs
 * at preview, then across files (one incident id per file, one open incident per user). Any
 * problem stops the program with the file, the field and the fix, so nothing in the tenant
 * changes.
 */
import Ajv, { type ErrorObject } from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { Quarantine, type QuarantineArgs } from "../dynamic-providers/quarantine";
import { validateInputs } from "../dynamic-providers/quarantine/inputs";

/** Where incident files live by default. */
export const INCIDENT_DIR = path.join(__dirname, "incidents");

/** One user of one incident, ready to become a Quarantine. */
export interface IncidentUser {
    /** The Pulumi resource name: `<incident>-<user>` (stable for the life of the quarantine). */
    name: string;
    file: string;
    args: QuarantineArgs & { state: "contained" | "released" };
}

/** Raised when incident files are wrong; `problems` holds one line per problem. */
export class IncidentFileError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `Incident files have ${problems.length} problem(s); nothing was changed:\n` +
                problems.map((p) => `- ${p}`).join("\n"),
        );
        this.name = "IncidentFileError";
    }
}

/**
 * Declares one Quarantine per user of every incident file.
 *
 * @param opts.dir Folder of incident files (default stacks/incidents).
 * @param opts.breakGlassAccounts The stack's `bec-guard:breakGlassAccounts`: never quarantined.
 * @param opts.now The time compromise starts are compared with (default now).
 * @throws IncidentFileError listing every problem in every file.
 */
export function declareQuarantines(opts: {
    dir?: string;
    breakGlassAccounts: string[];
    now?: Date;
}): Quarantine[] {
    const users = loadIncidents(opts);
    return users.map((u) => new Quarantine(u.name, u.args));
}

/** Reads and checks every incident file; returns the users to contain, or throws. */
export function loadIncidents(opts: {
    dir?: string;
    breakGlassAccounts: string[];
    now?: Date;
}): IncidentUser[] {
    const dir = opts.dir ?? INCIDENT_DIR;
    const now = opts.now ?? new Date();
    const problems: string[] = [];
    const users: IncidentUser[] = [];

    // 1. The files: *.yaml and *.yml, in name order (a stable order of resources).
    const files = fs.existsSync(dir)
        ? fs
              .readdirSync(dir)
              .filter((f) => /\.ya?ml$/i.test(f))
              .sort()
        : [];
    const validate = schemaValidator();
    const incidentOfFile = new Map<string, string>();

    for (const file of files) {
        const shown = path.join(path.relative(process.cwd(), dir) || ".", file);
        const say = (field: string, message: string) =>
            problems.push(`${shown}: ${field}: ${message}`);

        // 2. Parse: YAML errors come with their line.
        const document = parseDocument(fs.readFileSync(path.join(dir, file), "utf8"), {
            prettyErrors: true,
        });
        if (document.errors.length > 0) {
            for (const e of document.errors)
                say("(file)", `not valid YAML: ${e.message}. Fix the syntax at that line.`);
            continue;
        }
        const data = document.toJS() as Record<string, any> | null;
        if (data === null || typeof data !== "object" || Array.isArray(data)) {
            say("(file)", "is empty or not a map. Fix: start from stacks/incidents/INC-2041.yaml.");
            continue;
        }

        // 3. The schema: shape, unknown fields, required fields.
        if (!validate(data)) {
            for (const e of validate.errors ?? []) say(fieldOf(e), schemaMessage(e));
            continue;
        }

        // 4. The incident id names the file, once across all files.
        const expected = file.replace(/\.ya?ml$/i, "");
        if (data.incident !== expected) {
            say(
                "incident",
                `is "${data.incident}" but the file is named ${file}. Fix: name the file ${data.incident}.yaml, or set incident: ${expected}.`,
            );
        }
        const other = incidentOfFile.get(String(data.incident).toLowerCase());
        if (other) {
            say(
                "incident",
                `"${data.incident}" is already used by ${other}. Fix: one file per incident; put every user of the incident in that file's users list.`,
            );
        }
        incidentOfFile.set(String(data.incident).toLowerCase(), shown);

        // 5. Each user: the provider's own checks, with the incident's fields filled in.
        const seen = new Set<string>();
        (data.users as Array<Record<string, any>>).forEach((entry, i) => {
            const args: Record<string, unknown> = {
                user: entry.user,
                incident: data.incident,
                reason: data.reason,
                compromisedSince: entry.compromisedSince ?? data.compromisedSince,
                approvedBy: data.approvedBy,
                state: entry.state ?? "contained",
                ...(entry.steps ? { steps: entry.steps } : {}),
                ...(entry.keep ? { keep: entry.keep } : {}),
            };
            for (const failure of validateInputs(args, now, opts.breakGlassAccounts)) {
                const top = ["incident", "reason", "approvedBy"].includes(failure.property);
                const field =
                    top ||
                    (failure.property === "compromisedSince" &&
                        entry.compromisedSince === undefined)
                        ? failure.property
                        : `users[${i}].${failure.property}`;
                say(field, failure.reason);
            }
            const key = String(entry.user).toLowerCase();
            if (seen.has(key)) {
                say(
                    `users[${i}].user`,
                    `${entry.user} is listed twice. Fix: keep one entry per user.`,
                );
            }
            seen.add(key);
            users.push({
                name: resourceName(String(data.incident), String(entry.user)),
                file: shown,
                args: args as unknown as IncidentUser["args"],
            });
        });
    }

    // 6. Across files: a user contained in two open incidents would have two quarantines
    //    fighting each other (releasing one re-enables the account the other contains).
    const containedIn = new Map<string, IncidentUser[]>();
    for (const u of users.filter((x) => x.args.state === "contained")) {
        const key = String(u.args.user).toLowerCase();
        containedIn.set(key, [...(containedIn.get(key) ?? []), u]);
    }
    for (const [user, entries] of containedIn) {
        if (entries.length > 1) {
            problems.push(
                `${entries.map((e) => e.file).join(" and ")}: users: ${user} is contained by ${entries.length} open incidents (${entries.map((e) => e.args.incident).join(", ")}). ` +
                    `Fix: keep the user in one incident (add the other incident's details to its reason), or set state: released in all but one.`,
            );
        }
    }
    const names = new Map<string, string>();
    for (const u of users) {
        const clash = names.get(u.name);
        if (clash)
            problems.push(
                `${u.file}: users: two users map to the resource name ${u.name} (also in ${clash}). Fix: use object ids for these users.`,
            );
        names.set(u.name, u.file);
    }

    if (problems.length > 0) throw new IncidentFileError(problems);
    return users;
}

/** `INC-2041` + `megan.bowen@contoso.com` -> `INC-2041-megan.bowen-contoso.com`. */
export function resourceName(incident: string, user: string): string {
    return `${incident}-${user
        .toLowerCase()
        .replace(/#ext#/g, "-ext-")
        .replace(/[^a-z0-9._-]+/g, "-")}`;
}

function schemaValidator() {
    const schema = JSON.parse(fs.readFileSync(path.join(INCIDENT_DIR, "schema.json"), "utf8"));
    const ajv = new Ajv({ allErrors: true, strict: false });
    return ajv.compile(schema);
}

/** The field an ajv error is about, as a path a person reads (users[0].keep.apps). */
function fieldOf(e: ErrorObject): string {
    const parts = e.instancePath
        .split("/")
        .filter((p) => p !== "")
        .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
        .join("")
        .replace(/^\./, "");
    if (e.keyword === "required") {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        return parts ? `${parts}.${missing}` : missing;
    }
    if (e.keyword === "additionalProperties") {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        return parts ? `${parts}.${extra}` : extra;
    }
    return parts || "(file)";
}

function schemaMessage(e: ErrorObject): string {
    switch (e.keyword) {
        case "required":
            return "is missing. Fix: add it (see docs/incident-response.md for every field).";
        case "additionalProperties":
            return "is not a known field. Fix: check the spelling against stacks/incidents/schema.json, or remove it.";
        case "enum":
            return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}. Fix: use one of those values.`;
        case "type":
            return `must be ${(e.params as { type: string }).type}. Fix: change the value's type.`;
        case "minItems":
            return "is empty. Fix: list at least one user.";
        case "pattern":
            return `does not match ${(e.params as { pattern: string }).pattern}. Fix: use the ticket id, e.g. INC-2041.`;
        default:
            return `${e.message ?? "is invalid"}. Fix: see stacks/incidents/schema.json.`;
    }
}
