/**
 * The evidence journal: a local copy of a quarantine's evidence, written before each wave of
 * changes. Pulumi records a resource's outputs only when create returns; if the provider host
 * dies halfway (a crash, a cancelled CI job), the originals of objects already changed would be
 * lost with it. The next run merges the journal back, so the evidence loses nothing.
 *
 * The journal holds evidence only: never a password or a Temporary Access Pass.
 *
 * Note: the journal lives on the machine that ran `pulumi up` (default `.bec-guard/evidence`
 * under the project directory, or BEC_GUARD_EVIDENCE_DIR). A crash on a CI runner whose disk is
 * discarded loses the journal; run the retry on the same machine, or point
 * BEC_GUARD_EVIDENCE_DIR at persistent storage.
 */
import * as fs from "fs";
import * as path from "path";
import type { Evidence } from "./evidence";

export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.BEC_GUARD_EVIDENCE_DIR ?? path.join(process.cwd(), ".bec-guard", "evidence");
}

function journalFile(dir: string, incident: string, userId: string): string {
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
    return path.join(dir, `${safe(incident)}--${safe(userId)}.json`);
}

/** Reads the journal of one quarantine, or undefined when there is none (or it is unreadable). */
export function readJournal(dir: string, incident: string, userId: string): Evidence | undefined {
    try {
        return JSON.parse(fs.readFileSync(journalFile(dir, incident, userId), "utf8")) as Evidence;
    } catch {
        return undefined;
    }
}

/** Writes the journal atomically (temporary file, then rename), so a crash never leaves half. */
export function writeJournal(dir: string, evidence: Evidence): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = journalFile(dir, evidence.incident, evidence.userId);
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(evidence, null, 2), { mode: 0o600 });
    fs.renameSync(temporary, file);
}

/** Removes the journal once the quarantine is deleted (its evidence then lives in history). */
export function removeJournal(dir: string, incident: string, userId: string): void {
    fs.rmSync(journalFile(dir, incident, userId), { force: true });
}
