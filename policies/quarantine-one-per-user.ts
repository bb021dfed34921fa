/**
 * No user is quarantined twice: at most one quarantine per user is containing at a time.
 *
 * Why: two quarantines of one account fight each other. Releasing one re-enables the account
 * and issues a Temporary Access Pass while the other still believes it is contained, and each
 * records only part of the evidence. A user compromised again belongs in the open quarantine
 * (or the old one is released first).
 *
 * A quarantine already in the stack carries the user's resolved object id and UPN as outputs,
 * and the engine hands a stack policy those outputs, so a new incident file naming the same
 * user by the other name is matched against it.
 *
 * Note: two NEW quarantines, one naming the user by UPN and the other by object id, are not
 * matched (neither has resolved the user yet); incident files should name users by UPN (the
 * runbook's convention).
 */
import { StackValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { quarantinedUser } from "./lib/quarantined-user";
import { QUARANTINE } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface QuarantineOnePerUserConfig {
    /** Whether released quarantines count too. */
    countReleased: boolean;
}

const configSchema = {
    properties: {
        countReleased: {
            type: "boolean" as const,
            default: false,
            description:
                "Count released quarantines as well, so a user appears in at most one " +
                "quarantine per stack ever. Default: false (a released quarantine may stay in " +
                "the stack as a record while a new incident contains the user again).",
        },
    },
};

interface QuarantineEntry {
    name: string;
    urn: string;
    incident: string;
    /** The user as the incident file names them. */
    user: string;
    /** Every name of the user known here (file name, resolved id and UPN). */
    names: Set<string>;
}

export const quarantineOnePerUser: StackValidationPolicy = {
    name: "quarantine-one-per-user",
    description: "Checks that no user is quarantined twice (two containing quarantines).",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema,
    validateStack: (args, reportViolation) => {
        const config = configOf<QuarantineOnePerUserConfig>(configSchema, args);
        const unknowns = new PreviewUnknowns();

        // 1. The containing quarantines, each with every name its user is known by.
        const entries: QuarantineEntry[] = [];
        for (const resource of args.resources) {
            if (resource.type !== QUARANTINE) {
                continue;
            }
            const user = quarantinedUser(resource.props, unknowns);
            const state = unknowns.read((): unknown => resource.props.state ?? "contained");
            const incident = unknowns.read((): unknown => resource.props.incident);
            if (user.user === undefined || isUnknown(state)) {
                continue;
            }
            if (state === "released" && !config.countReleased) {
                continue;
            }
            entries.push({
                name: resource.name,
                urn: resource.urn,
                incident: typeof incident === "string" ? incident : "(unknown incident)",
                user: user.user,
                names: user.names,
            });
        }

        // 2. Quarantines sharing any name are the same user (in the order they appear).
        const byUser = groupBySharedName(entries);

        // 3. Report every quarantine after the first, naming all of them.
        for (const same of byUser) {
            if (same.length < 2) {
                continue;
            }
            const user = [...new Set(same.map((entry) => entry.user))].join(" / ");
            const list = same
                .map((entry) => `Quarantine "${entry.name}" (incident ${entry.incident})`)
                .join(", ");
            for (const entry of same.slice(1)) {
                reportViolation(
                    `User ${user} is quarantined ${same.length} times: ${list}. Two ` +
                        "quarantines of one account fight each other (releasing one re-enables " +
                        "the account while the other still holds it). Fix: keep the user in " +
                        "one incident file; if the user was compromised again, release the old " +
                        "quarantine first (state: released) or add the new incident's details " +
                        "to the open one.",
                    entry.urn,
                );
            }
        }

        // 4. A quarantine whose user is unknown in this preview is checked again at `up`.
        unknowns.rethrow();
    },
};

/** Groups entries that share a name, directly or through another entry, keeping their order. */
function groupBySharedName(entries: QuarantineEntry[]): QuarantineEntry[][] {
    let groups: Array<{ names: Set<string>; members: QuarantineEntry[] }> = [];
    for (const entry of entries) {
        const joined = groups.filter((group) => [...entry.names].some((n) => group.names.has(n)));
        const merged = {
            names: new Set([...entry.names, ...joined.flatMap((group) => [...group.names])]),
            members: [...joined.flatMap((group) => group.members), entry],
        };
        groups = [...groups.filter((group) => !joined.includes(group)), merged];
    }
    const order = (a: QuarantineEntry, b: QuarantineEntry) =>
        entries.indexOf(a) - entries.indexOf(b);
    return groups.map((group) => group.members.sort(order));
}
