/**
 * The BEC Guard program: one stack holds a tenant's hardening baseline and its open incidents.
 *
 * 1. Read the stack config (`bec-guard:*`); the connection settings are read by the providers.
 * 2. Declare the hardening baseline from `bec-guard:baseline` (nothing when the key is absent).
 * 3. Declare one Quarantine per user in every file under stacks/incidents/.
 * 4. Export what a responder needs after `pulumi up`: DNS records to publish by hand, and each
 *    quarantine's status, summary and evidence (the Temporary Access Pass stays a secret).
 *
 * Both steps validate everything before declaring anything, so bad config or a malformed
 * incident file fails the preview with the file, the key and the fix.
 */
import * as pulumi from "@pulumi/pulumi";

import { Quarantine } from "../dynamic-providers/quarantine";
import { declareBaseline } from "./baseline";
import { IncidentFileError, loadIncidents } from "./incident-files";

// 1. Config.
const config = new pulumi.Config("bec-guard");
const breakGlassAccounts = config.getObject<string[]>("breakGlassAccounts") ?? [];

// 2. Prevention.
const baseline = declareBaseline(config);

// 3. Response.
const incidentUsers = (() => {
    try {
        return loadIncidents({ breakGlassAccounts });
    } catch (err) {
        // A RunError prints the problems without a stack trace.
        if (err instanceof IncidentFileError) {
            throw new pulumi.RunError(err.message);
        }
        throw err;
    }
})();
const quarantines = incidentUsers.map((u) => ({ name: u.name, q: new Quarantine(u.name, u.args) }));

// 4. Outputs.
export const mailRecordsToPublish = baseline?.mailRecords;
export const mtaStsPolicies = baseline?.mtaStsPolicies;
export const incidents = Object.fromEntries(
    quarantines.map(({ name, q }) => [
        name,
        {
            user: q.userPrincipalName,
            status: q.status,
            summary: q.summary,
            caveat: q.caveat,
            drift: q.drift,
            evidence: q.evidence,
            temporaryAccessPass: q.temporaryAccessPass,
            temporaryAccessPassExpiresAt: q.temporaryAccessPassExpiresAt,
        },
    ]),
);
