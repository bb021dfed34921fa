/**
 * No user is quarantined twice: at most one quarantine per user is containing at a time.
 *
 * Why: two quarantines of one account fight each other. Releasing one re-enables the account
 * and issues a Temporary Access Pass while the other still believes it is contained, and each
 * records only part of the evidence. A user compromised again belongs in the open quarantine
 * (or the old one is released first).
 *
 * Note: a user named by UPN in one incident file and by object id in another is not matched;
 * incident files should name users by UPN (the runbook's convention).
 */
import { StackValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { normalizeAccount } from "./lib/identity";
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

        // 1. Group the containing quarantines by user.
        const byUser = new Map<string, QuarantineEntry[]>();
        for (const resource of args.resources) {
            if (resource.type !== QUARANTINE) {
                continue;
            }
            const user = unknowns.read((): unknown => resource.props.user);
            const state = unknowns.read((): unknown => resource.props.state ?? "contained");
            const incident = unknowns.read((): unknown => resource.props.incident);
            if (isUnknown(user) || isUnknown(state) || typeof user !== "string") {
                continue;
            }
            if (state === "released" && !config.countReleased) {
                continue;
            }
            const key = normalizeAccount(user);
            const entries = byUser.get(key) ?? [];
            entries.push({
                name: resource.name,
                urn: resource.urn,
                incident: typeof incident === "string" ? incident : "(unknown incident)",
            });
            byUser.set(key, entries);
        }

        // 2. Report every quarantine after the first, naming all of them.
        for (const [user, entries] of byUser) {
            if (entries.length < 2) {
                continue;
            }
            const list = entries
                .map((entry) => `Quarantine "${entry.name}" (incident ${entry.incident})`)
                .join(", ");
            for (const entry of entries.slice(1)) {
                reportViolation(
                    `User ${user} is quarantined ${entries.length} times: ${list}. Two ` +
                        "quarantines of one account fight each other (releasing one re-enables " +
                        "the account while the other still holds it). Fix: keep the user in " +
                        "one incident file; if the user was compromised again, release the old " +
                        "quarantine first (state: released) or add the new incident's details " +
                        "to the open one.",
                    entry.urn,
                );
            }
        }

        // 3. A quarantine whose user is unknown in this preview is checked again at `up`.
        unknowns.rethrow();
    },
};
