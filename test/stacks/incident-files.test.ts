/**
 * Incident files: the program turns each stacks/incidents/*.yaml into Quarantine resources,
 * and refuses a malformed file at preview with the file, the field and the fix. A failure here
 * means a responder's pull request either contains the wrong thing or fails with a message
 * nobody can act on.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    declareQuarantines,
    loadIncidents,
    IncidentFileError,
    INCIDENT_DIR,
} from "../../stacks/incident-files";
import { captureResources } from "../support/provider-host";
import { CONTOSO_EXPENSE_APP_ID } from "../dynamic-providers/quarantine-support";

const NOW = new Date("2026-12-03T12:00:00Z");
const BREAK_GLASS = ["breakglass01@contoso.onmicrosoft.com"];

let dir: string;

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-incidents-"));
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): void {
    fs.writeFileSync(path.join(dir, name), text);
}

const GOOD = `incident: INC-3001
reason: Forwarding rule to an outside address
compromisedSince: "2026-11-30T08:00:00Z"
approvedBy: isaiah.langer@contoso.com
users:
  - user: alex.wilber@contoso.com
`;

/** The problems loading `dir` reports (throws if it loads cleanly). */
function problems(): string[] {
    try {
        loadIncidents({ dir, breakGlassAccounts: BREAK_GLASS, now: NOW });
    } catch (error) {
        expect(error).toBeInstanceOf(IncidentFileError);
        return (error as IncidentFileError).problems;
    }
    throw new Error("the incident files loaded without a problem");
}

describe("the example incident", () => {
    it("declares one contained Quarantine for the contoso-bec finance user with its allow-lists", async () => {
        const resources = await captureResources(() => {
            declareQuarantines({ dir: INCIDENT_DIR, breakGlassAccounts: BREAK_GLASS, now: NOW });
        });
        const quarantines = resources.filter(
            (r) => r.type === "pulumi-nodejs:dynamic/bec-guard:Quarantine",
        );
        expect(quarantines.map((q) => q.name)).toEqual(["INC-2041-megan.bowen-contoso.com"]);
        expect(quarantines[0].inputs).toMatchObject({
            user: "megan.bowen@contoso.com",
            incident: "INC-2041",
            compromisedSince: "2026-11-28T09:14:00Z",
            approvedBy: "isaiah.langer@contoso.com",
            state: "contained",
            keep: { apps: [CONTOSO_EXPENSE_APP_ID], delegates: ["grady.archie@contoso.com"] },
        });
        expect(quarantines[0].additionalSecretOutputs).toEqual(["temporaryAccessPass", "evidence"]);
    }, 60_000);
});

describe("loading", () => {
    it("gives every user of an incident its own quarantine, with the user's own compromise start", () => {
        write(
            "INC-3001.yaml",
            GOOD +
                `  - user: 64d63e71-a429-4f27-a1a1-6d70867244be\n    compromisedSince: "2026-12-01T10:00:00Z"\n    state: released\n`,
        );
        const users = loadIncidents({ dir, breakGlassAccounts: BREAK_GLASS, now: NOW });
        expect(users.map((u) => [u.name, u.args.state, u.args.compromisedSince])).toEqual([
            ["INC-3001-alex.wilber-contoso.com", "contained", "2026-11-30T08:00:00Z"],
            ["INC-3001-64d63e71-a429-4f27-a1a1-6d70867244be", "released", "2026-12-01T10:00:00Z"],
        ]);
    });

    it("declares nothing when there are no incident files", () => {
        expect(loadIncidents({ dir, breakGlassAccounts: [], now: NOW })).toEqual([]);
    });
});

describe("bad input fails when loading, naming the file, the field and the fix", () => {
    it("refuses a bad UPN", () => {
        write("INC-3001.yaml", GOOD.replace("alex.wilber@contoso.com", "alex.wilber@"));
        expect(problems()).toEqual([
            expect.stringMatching(
                /INC-3001\.yaml: users\[0\]\.user: user "alex\.wilber@" is neither.*Fix:/,
            ),
        ]);
    });

    it("refuses an unknown field", () => {
        write("INC-3001.yaml", GOOD + "    keepp:\n      apps: [x]\n");
        expect(problems()).toEqual([
            expect.stringMatching(/INC-3001\.yaml: users\[0\]\.keepp: is not a known field\. Fix:/),
        ]);
    });

    it("refuses a compromise start in the future", () => {
        write("INC-3001.yaml", GOOD.replace("2026-11-30T08:00:00Z", "2026-12-24T08:00:00Z"));
        expect(problems()).toEqual([
            expect.stringMatching(/INC-3001\.yaml: compromisedSince: .* is in the future.*Fix:/),
        ]);
    });

    it("refuses a missing approver", () => {
        write("INC-3001.yaml", GOOD.replace("approvedBy: isaiah.langer@contoso.com\n", ""));
        expect(problems()).toEqual([
            expect.stringMatching(/INC-3001\.yaml: approvedBy: is missing\. Fix:/),
        ]);
    });

    it("refuses an approver who is the contained user", () => {
        write(
            "INC-3001.yaml",
            GOOD.replace("isaiah.langer@contoso.com", "alex.wilber@contoso.com"),
        );
        expect(problems()).toEqual([
            expect.stringMatching(/approvedBy: .*is the user being contained/),
        ]);
    });

    it("refuses a duplicate incident id", () => {
        write("INC-3001.yaml", GOOD);
        write("INC-3001-copy.yaml", GOOD.replace("alex.wilber", "nestor.wilke"));
        expect(problems()).toEqual(
            expect.arrayContaining([
                expect.stringMatching(
                    /incident: "INC-3001" is already used by .*INC-3001(-copy)?\.yaml\. Fix: one file per incident/,
                ),
            ]),
        );
    });

    it("refuses one user in two open incidents", () => {
        write("INC-3001.yaml", GOOD);
        write("INC-3002.yaml", GOOD.replace("INC-3001", "INC-3002"));
        expect(problems()).toEqual([
            expect.stringMatching(
                /alex\.wilber@contoso\.com is contained by 2 open incidents \(INC-3001, INC-3002\)\. Fix:/,
            ),
        ]);
    });

    it("allows the same user in a second incident once released in the first", () => {
        write("INC-3001.yaml", GOOD + "    state: released\n");
        write("INC-3002.yaml", GOOD.replace("INC-3001", "INC-3002"));
        expect(loadIncidents({ dir, breakGlassAccounts: BREAK_GLASS, now: NOW })).toHaveLength(2);
    });

    it("refuses a break-glass account", () => {
        write("INC-3001.yaml", GOOD.replace("alex.wilber@contoso.com", BREAK_GLASS[0]));
        expect(problems()).toEqual([
            expect.stringMatching(/users\[0\]\.user: .*break-glass account.*Fix:/),
        ]);
    });

    it("refuses a file named differently from its incident", () => {
        write("INC-9999.yaml", GOOD);
        expect(problems()).toEqual([
            expect.stringMatching(
                /INC-9999\.yaml: incident: is "INC-3001" but the file is named INC-9999\.yaml\. Fix:/,
            ),
        ]);
    });

    it("refuses a file that is not YAML, with the line", () => {
        write("INC-3001.yaml", "incident: [INC-3001\nreason: x\n");
        expect(problems()[0]).toMatch(/INC-3001\.yaml: \(file\): not valid YAML: .*line/);
    });

    it("reports every problem of every file at once", () => {
        write(
            "INC-3001.yaml",
            GOOD.replace("alex.wilber@contoso.com", "bad").replace(
                "approvedBy: isaiah.langer@contoso.com\n",
                "",
            ),
        );
        write(
            "INC-3002.yaml",
            GOOD.replace("INC-3001", "INC-3002").replace(
                "2026-11-30T08:00:00Z",
                "2027-01-01T00:00:00Z",
            ),
        );
        expect(problems().length).toBeGreaterThanOrEqual(2);
    });
});
