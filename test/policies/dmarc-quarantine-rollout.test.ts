import { dmarcQuarantineRollout } from "../../policies/dmarc-quarantine-rollout";
import { validateStack } from "./helpers";
import { azureComponent, GOOD_DMARC, txtRecordSet } from "./mail-fixtures";

const stack = (dmarc: string) => [azureComponent, txtRecordSet("_dmarc", dmarc)];

describe("dmarc-quarantine-rollout", () => {
    test("p=reject passes", async () => {
        expect(await validateStack(dmarcQuarantineRollout, stack(GOOD_DMARC))).toEqual([]);
    });

    test("p=quarantine is an advisory finding saying how to finish rollout", async () => {
        const violations = await validateStack(
            dmarcQuarantineRollout,
            stack(GOOD_DMARC.replace("p=reject", "p=quarantine")),
        );
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("advisory");
        expect(violations[0].message).toContain("is still at p=quarantine");
        expect(violations[0].message).toContain("Fix: once the aggregate reports show");
    });

    test("sp=quarantine alone is reported too", async () => {
        const violations = await validateStack(
            dmarcQuarantineRollout,
            stack(GOOD_DMARC.replace("sp=reject", "sp=quarantine")),
        );
        expect(violations[0].message).toContain("sp=quarantine");
    });
});
