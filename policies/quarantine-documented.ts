/**
 * Every quarantine is documented and approved: it names the incident, says why, says since
 * when the account is believed compromised, and carries an approver from the configured list.
 *
 * Why: containment disables a colleague's account and rewrites their mailbox. The pull request
 * is the record of that decision; this policy makes the record complete and makes sure the
 * person who approved it is allowed to, and is not the user being contained.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { accountSet, normalizeAccount } from "./lib/identity";
import { QuarantinedUser, quarantinedUser } from "./lib/quarantined-user";
import { QUARANTINE } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface QuarantineDocumentedConfig {
    /** UPNs of the people who may approve a containment. */
    approvers: string[];
    /** Regular expression an incident id must match. */
    incidentPattern: string;
    /** Shortest accepted reason, in characters. */
    minimumReasonLength: number;
    /** How far in the future a compromise start may lie (clock skew), in minutes. */
    clockSkewMinutes: number;
}

const configSchema = {
    properties: {
        approvers: {
            type: "array" as const,
            items: { type: "string" as const, minLength: 3 },
            default: [],
            description:
                "User principal names of the people who may approve a containment (security " +
                "leads, the incident manager on call). Required: with none, every quarantine " +
                "is a violation.",
        },
        incidentPattern: {
            type: "string" as const,
            format: "regex",
            default: "^[A-Za-z][A-Za-z0-9._-]{1,63}$",
            description:
                "Regular expression the incident id must match, e.g. ^INC-[0-9]+$ to require " +
                "your ticketing system's ids. Default: 2 to 64 letters, digits, '.', '_' or " +
                "'-', starting with a letter.",
        },
        minimumReasonLength: {
            type: "integer" as const,
            minimum: 1,
            default: 10,
            description: "Shortest accepted reason, in characters. Default: 10.",
        },
        clockSkewMinutes: {
            type: "integer" as const,
            minimum: 0,
            default: 5,
            description:
                "How far in the future compromisedSince may lie before it is refused, to " +
                "allow for clock skew. Default: 5.",
        },
    },
};

/** An ISO 8601 date-time with seconds optional and a zone (Z or an offset) required. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export const quarantineDocumented: ResourceValidationPolicy = {
    name: "quarantine-documented",
    description:
        "Checks that every quarantine names an incident, a reason, a compromise start, and an " +
        "approver from the configured approvers who is not the contained user.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== QUARANTINE) {
            return;
        }
        const config = configOf<QuarantineDocumentedConfig>(configSchema, args);
        const what = `Quarantine "${args.name}"`;
        const unknowns = new PreviewUnknowns();
        const field = (name: string): unknown => unknowns.read((): unknown => args.props[name]);
        const user = quarantinedUser(args.props, unknowns);
        const incident = field("incident");
        const reason = field("reason");
        const compromisedSince = field("compromisedSince");
        const approvedBy = field("approvedBy");

        // 1. The incident: the ticket the evidence and the pull request hang off.
        if (!isUnknown(incident)) {
            const pattern = new RegExp(config.incidentPattern);
            if (typeof incident !== "string" || !pattern.test(incident)) {
                reportViolation(
                    `${what} has incident ${show(incident)}, which does not match ` +
                        `${config.incidentPattern}. Fix: set incident to the ticket id of the ` +
                        "incident (for example INC-2041) in the incident file.",
                );
            }
        }

        // 2. The reason, in words a later reviewer understands.
        if (!isUnknown(reason)) {
            const length = typeof reason === "string" ? reason.trim().length : 0;
            if (length < config.minimumReasonLength) {
                reportViolation(
                    `${what} has reason ${show(reason)}, shorter than ` +
                        `${config.minimumReasonLength} characters. Fix: say in a sentence why ` +
                        "the user is contained (for example: forwarding rule to an external " +
                        "address and sign-ins from an unknown country).",
                );
            }
        }

        // 3. The compromise start: an ISO time with a zone, not in the future. Investigation
        //    and the evidence window start there.
        if (!isUnknown(compromisedSince)) {
            const problem = compromiseStartProblem(compromisedSince, config.clockSkewMinutes);
            if (problem) {
                reportViolation(
                    `${what} has compromisedSince ${show(compromisedSince)}: ${problem}. Fix: ` +
                        "give the time of the first suspicious sign-in as ISO 8601 with a zone, " +
                        "for example 2026-11-28T09:14:00Z.",
                );
            }
        }

        // 4. The approver: someone on the list, and never the contained user (an attacker
        //    holding the mailbox must not approve their own "release" or cover-up), whichever
        //    name the incident file uses for them.
        if (!isUnknown(approvedBy)) {
            const approvers = accountSet(config.approvers);
            if (approvers.size === 0) {
                reportViolation(
                    `${what} cannot be checked for an authorised approver: the policy config ` +
                        "lists no approvers. Fix: set approvers of policy quarantine-documented " +
                        "to the UPNs of the people who may approve a containment.",
                );
            } else if (
                typeof approvedBy !== "string" ||
                !approvers.has(normalizeAccount(approvedBy))
            ) {
                reportViolation(
                    `${what} is approved by ${show(approvedBy)}, who is not among the ` +
                        `configured approvers (${config.approvers.join(", ")}). Fix: have one ` +
                        "of them approve the pull request and set approvedBy to their UPN, or " +
                        "add the approver to the approvers of policy quarantine-documented.",
                );
            }
            checkNotSelfApproved(what, approvedBy, user, approvers, unknowns, reportViolation);
        }

        // 5. Fields unknown in this preview are checked again at `pulumi up`.
        unknowns.rethrow();
    },
};

/**
 * The approver is not the contained user, by any name the pack knows: the incident file's
 * name, or the UPN the quarantine resolved (its output, when known here). A user named by
 * object id whose UPN is not known yet cannot be compared with an approver's UPN: that is left
 * as an advisory note, since the approvers list is the only way the user could approve.
 */
function checkNotSelfApproved(
    what: string,
    approvedBy: unknown,
    user: QuarantinedUser,
    approvers: Set<string>,
    unknowns: PreviewUnknowns,
    reportViolation: (message: string) => void,
): void {
    if (typeof approvedBy !== "string") {
        return;
    }
    const approver = normalizeAccount(approvedBy);
    if (user.names.has(approver)) {
        const named = user.user === approver ? "" : ` (${user.written})`;
        reportViolation(
            `${what} is approved by the contained user ${approvedBy}${named}. Fix: a different ` +
                "person from the approvers list must approve.",
        );
        return;
    }
    if (user.upn === undefined && user.id !== undefined && approvers.has(approver)) {
        unknowns.awaitOutput(
            "userPrincipalName",
            `${what} names its user by object id ${user.written}, so the pack cannot tell ` +
                `whether the approver ${approvedBy} is that user before the quarantine resolves ` +
                "their UPN. Fix: name the user by UPN in the incident file (the runbook's " +
                "convention).",
        );
    }
}

/** Why a compromise start is refused, or undefined if it is acceptable. */
function compromiseStartProblem(value: unknown, clockSkewMinutes: number): string | undefined {
    if (typeof value !== "string" || value.trim() === "") {
        return "it is missing";
    }
    if (!ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
        return "it is not an ISO 8601 date-time with a zone";
    }
    if (Date.parse(value) > Date.now() + clockSkewMinutes * 60_000) {
        return "it is in the future";
    }
    return undefined;
}

/** A value as a message shows it: quoted strings, "missing" for nothing. */
function show(value: unknown): string {
    if (value === undefined || value === null || value === "") {
        return "(missing)";
    }
    return typeof value === "string" ? `"${value}"` : JSON.stringify(value);
}
