/**
 * The program (stacks/index.ts) under mocks, with each stack's real config: what `pulumi
 * preview` would register. A responder relies on the local stack containing exactly the users
 * named in the incident files, and on the example stack declaring every prevention control.
 */
import { captureProgram, CapturedProgram } from "../policies/capture-program";

const QUARANTINE = "pulumi-nodejs:dynamic/bec-guard:Quarantine";

describe("the program for the local stack", () => {
    let program: CapturedProgram;
    beforeAll(async () => {
        program = await captureProgram("local", require);
    });

    it("declares one quarantine per incident user, carrying the incident's fields", () => {
        const quarantines = program.analyze.filter((r) => r.type === QUARANTINE);
        expect(quarantines).toHaveLength(1);
        expect(quarantines[0].properties).toMatchObject({
            user: "megan.bowen@contoso.com",
            incident: "INC-2041",
            approvedBy: "isaiah.langer@contoso.com",
            compromisedSince: "2026-11-28T09:14:00Z",
            state: "contained",
        });
    });

    it("declares the tenant-setting resources of the baseline", () => {
        const types = new Set(program.analyze.map((r) => r.type));
        for (const name of ["AuthenticationMethodsPolicy", "ConsentPolicy", "ExchangeProtection"]) {
            expect(types).toContain(`pulumi-nodejs:dynamic/bec-guard:${name}`);
        }
    });
});
