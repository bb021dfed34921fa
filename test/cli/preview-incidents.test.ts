/**
 * `bec-guard preview-incidents` against the contoso-bec tenant: the list a reviewer reads on
 * an incident pull request. It must name what containment would remove, leave out what it
 * would keep, send no write at all, and fail when a user would be refused.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runPreviewIncidents } from "../../cli/preview-incidents";
import { startTestTenant, type TestTenant } from "../support/local-tenant";
import { writesIn } from "../dynamic-providers/quarantine-support";

let tenant: TestTenant;
const saved = { ...process.env };

beforeAll(async () => {
    tenant = await startTestTenant({ scenario: "contoso-bec" });
}, 60_000);

afterAll(async () => {
    process.env = saved;
    await tenant?.stop();
});

beforeEach(() => {
    process.env = { ...saved, ...tenant.env };
    tenant.control.clearRequests();
});

/** Runs the command and returns its exit code and what it printed. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        out += String(chunk);
        return true;
    });
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        err += String(chunk);
        return true;
    });
    try {
        const code = await runPreviewIncidents(argv);
        return { code, out, err };
    } finally {
        stdout.mockRestore();
        stderr.mockRestore();
    }
}

describe("the INC-2041 incident file", () => {
    let result: { code: number; out: string };

    beforeAll(async () => {
        process.env = { ...saved, ...tenant.env };
        tenant.control.clearRequests();
        result = await run([]);
    }, 60_000);

    it("lists every attacker artifact containment would remove", () => {
        expect(result.code).toBe(0);
        expect(result.out).toMatch(/INC-2041: megan\.bowen@contoso\.com would be contained/);
        expect(result.out).toMatch(/disable account: the account is enabled/);
        expect(result.out).toMatch(/disable inbox rule: rule "\." forwards mail to ap\.remittance/);
        expect(result.out).toMatch(/disable inbox rule: rule "\.\." moves mail/);
        expect(result.out).toMatch(/clear mailbox forwarding/);
        expect(result.out).toMatch(/remove FullAccess delegate: pradeep\.gupta@contoso\.com/);
        expect(result.out).toMatch(/remove authentication method: microsoftAuthenticator/);
        expect(result.out).toMatch(/revoke app consent grant: consent to DocuView/);
    });

    it("leaves out what containment keeps: her own rule, FIDO2 key, app and delegate", () => {
        expect(result.out).not.toMatch(/Finance team updates/);
        expect(result.out).not.toMatch(/fido2/);
        expect(result.out).not.toMatch(/Contoso Expense/);
        expect(result.out).not.toMatch(/grady\.archie/i);
    });

    it("changes nothing in the tenant", () => {
        expect(writesIn(tenant)).toEqual([]);
    });
});

describe("with only the read-only preview app's Graph permissions", () => {
    it("previews INC-2041 without a single 403", async () => {
        const readOnly = await startTestTenant({
            scenario: "contoso-bec",
            graphRoles: [
                "User.Read.All",
                "UserAuthenticationMethod.Read.All",
                "Directory.Read.All",
                "Application.Read.All",
                "Policy.Read.All",
            ],
        });
        try {
            process.env = { ...saved, ...readOnly.env };
            const result = await run([]);
            expect(result.code).toBe(0);
            expect(result.out).toMatch(/would be contained: 15 change\(s\)/);
            expect(readOnly.control.getRequests().filter((r) => r.status === 403)).toEqual([]);
        } finally {
            await readOnly.stop();
        }
    }, 60_000);
});

describe("an incident that containment would refuse", () => {
    it("says why and exits 1, still changing nothing", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-incidents-"));
        fs.writeFileSync(
            path.join(dir, "INC-2050.yaml"),
            [
                "incident: INC-2050",
                "reason: Impossible travel sign-in for a synced user",
                'compromisedSince: "2026-11-30T08:00:00Z"',
                "approvedBy: isaiah.langer@contoso.com",
                "users:",
                "    - user: lynne.robbins@contoso.com",
                "",
            ].join("\n"),
        );
        try {
            const result = await run(["--dir", dir]);
            expect(result.code).toBe(1);
            expect(result.out).toMatch(/lynne\.robbins@contoso\.com would be refused/);
            expect(result.out).toMatch(/synced from on-premises Active Directory/);
            expect(writesIn(tenant)).toEqual([]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }, 60_000);

    it("refuses an unknown option with usage advice and exit 2", async () => {
        const result = await run(["--nope"]);
        expect(result.code).toBe(2);
        expect(result.err).toMatch(/unknown option --nope.*--help/);
    });
});
