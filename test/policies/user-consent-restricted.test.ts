import { CONSENT_POLICY } from "../../policies/lib/resource-types";
import { userConsentRestricted } from "../../policies/user-consent-restricted";
import { messages, TestResource, UNKNOWN, validateResource } from "./helpers";

function consent(change: Record<string, unknown>): TestResource {
    const props: Record<string, unknown> = {
        userConsent: "verifiedPublishersLowRisk",
        adminConsentWorkflow: { enabled: true, reviewers: [{ type: "role", id: "x" }] },
        label: "baseline-consent",
        ...change,
    };
    for (const key of Object.keys(change)) {
        if (change[key] === undefined) {
            delete props[key];
        }
    }
    return { type: CONSENT_POLICY, name: "baseline-consent", props };
}

describe("user-consent-restricted", () => {
    test("consent limited to verified publishers and low-risk permissions passes", async () => {
        expect(await validateResource(userConsentRestricted, consent({}))).toEqual([]);
    });

    test("user consent disabled passes", async () => {
        const disabled = consent({ userConsent: "disabled" });
        expect(await validateResource(userConsentRestricted, disabled)).toEqual([]);
    });

    test("consent to all apps is a mandatory violation with the fix", async () => {
        const violations = await validateResource(
            userConsentRestricted,
            consent({ userConsent: "allApps" }),
        );
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain(
            'Consent policy "baseline-consent" sets userConsent to "allApps"',
        );
        expect(violations[0].message).toContain(
            "Fix: set userConsent to disabled or verifiedPublishersLowRisk",
        );
    });

    test("leaving user consent unmanaged is a violation", async () => {
        const unmanaged = consent({ userConsent: undefined });
        expect(messages(await validateResource(userConsentRestricted, unmanaged))[0]).toContain(
            "does not manage userConsent",
        );
    });

    test("a stricter config refuses verified-publisher consent", async () => {
        const violations = await validateResource(userConsentRestricted, consent({}), {
            allowedUserConsent: ["disabled"],
        });
        expect(messages(violations)[0]).toContain("Fix: set userConsent to disabled and route");
    });

    test("a value unknown in preview is left to the check at up (advisory)", async () => {
        const unknown = consent({ userConsent: UNKNOWN });
        const violations = await validateResource(userConsentRestricted, unknown);
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    });
});
