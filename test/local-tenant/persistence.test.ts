import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StateStore } from "../../local-tenant/persistence";
import { ScenarioError, loadScenarioFile, resolveScenarioPath } from "../../local-tenant/scenario";
import { startLocalTenant, type LocalTenant } from "../../local-tenant/server";
import { FIXTURE, call, closeAgents, getToken } from "./helpers";
import { TEST_ROLES, testRoutes } from "./test-routes";

describe("local tenant persistence", () => {
    let stateDir: string;
    let first: LocalTenant;

    beforeAll(async () => {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-persist-"));
        first = await startLocalTenant({
            port: 0,
            stateDir,
            scenario: FIXTURE,
            routes: testRoutes,
            grantedGraphRoles: TEST_ROLES,
        });
    });
    afterAll(() => {
        closeAgents();
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    test("a restart keeps every change, the generated secret, the certificates and issued tokens", async () => {
        // 1. Change the tenant and take a token before the restart.
        const token = await getToken(first);
        const write = await call(first, "POST", "/v1.0/directory/notes", {
            token,
            body: { name: "made before restart" },
        });
        expect(write.status).toBe(201);
        const caBefore = fs.readFileSync(first.caCertPath, "utf8");
        await first.stop();

        // 2. Start again on the same directory, asking for the same scenario.
        const second = await startLocalTenant({
            port: 0,
            stateDir,
            scenario: FIXTURE,
            routes: testRoutes,
            grantedGraphRoles: TEST_ROLES,
        });
        try {
            expect(second.loadedFrom).toBe(path.join(stateDir, "state.json"));
            expect(second.control.getState().groups.map((g) => g.displayName)).toContain(
                "made before restart",
            );
            expect(second.clientSecret).toBe(first.clientSecret);
            expect(fs.readFileSync(second.caCertPath, "utf8")).toBe(caBefore);
            const answer = await call(second, "GET", "/v1.0/things?$top=1", { token });
            expect(answer.status).toBe(200);
        } finally {
            await second.stop();
        }
    });

    test("state.json is written atomically and readable only by its owner", () => {
        const file = path.join(stateDir, "state.json");

        expect(fs.readdirSync(stateDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
        expect(fs.statSync(file).mode & 0o077).toBe(0);
        expect(() => loadScenarioFile(file)).not.toThrow();
    });
});

describe("state store", () => {
    test("a burst of changes is written once, after the burst, through a temporary file", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-store-"));
        const file = path.join(dir, "state.json");
        const state = loadScenarioFile(FIXTURE);
        const store = new StateStore(file, () => state);
        const writes = jest.spyOn(fs.promises, "writeFile");
        const renames = jest.spyOn(fs.promises, "rename");
        try {
            for (let i = 0; i < 100; i++) {
                state.groups.push({
                    id: `g${i}`,
                    displayName: `G${i}`,
                    securityEnabled: true,
                    mailEnabled: false,
                });
                store.changed();
            }
            expect(fs.existsSync(file)).toBe(false);

            await store.flush();

            expect(writes).toHaveBeenCalledTimes(1);
            expect(String(writes.mock.calls[0][0])).toMatch(/\.tmp$/);
            expect(renames).toHaveBeenCalledWith(writes.mock.calls[0][0], file);
            expect(JSON.parse(fs.readFileSync(file, "utf8")).groups).toHaveLength(100);
        } finally {
            writes.mockRestore();
            renames.mockRestore();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("scenario files", () => {
    let dir: string;
    const write = (name: string, text: string) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        return file;
    };

    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bec-guard-scenario-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("malformed JSON names the file, the line and the column", () => {
        const file = write("broken.json", '{\n  "schemaVersion": 1,\n  "tenant": {,\n}');

        expect(() => loadScenarioFile(file)).toThrow(ScenarioError);
        expect(() => loadScenarioFile(file)).toThrow(
            new RegExp(`${file} is not valid JSON: .*line 3, column 14`),
        );
    });

    test("a missing field and a wrong type are named by their JSON path", () => {
        const scenario = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
        delete scenario.apps[1].servicePrincipalId;
        scenario.exchange.remoteDomains = {};
        scenario.users = [{ id: "u1" }];
        const file = write("wrong.json", JSON.stringify(scenario));

        let message = "";
        try {
            loadScenarioFile(file);
        } catch (err) {
            message = (err as Error).message;
        }

        expect(message).toContain(file);
        expect(message).toContain("$.apps[1].servicePrincipalId: required field is missing");
        expect(message).toContain("$.exchange.remoteDomains: expected an array, got an object");
        expect(message).toContain("$.users[0].accountEnabled: required field is missing");
    });

    test("an unknown scenario name lists the known ones; a missing path says so", () => {
        expect(() => resolveScenarioPath("no-such-scenario")).toThrow(
            /Unknown scenario "no-such-scenario".*Known scenarios:/,
        );
        expect(() => resolveScenarioPath("./nowhere/x.json")).toThrow(/does not exist/);
    });
});
