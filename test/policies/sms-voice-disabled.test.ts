import { AUTHENTICATION_METHODS_POLICY } from "../../policies/lib/resource-types";
import { smsVoiceDisabled } from "../../policies/sms-voice-disabled";
import { messages, TestResource, UNKNOWN, validateResource } from "./helpers";

/** The baseline's methods policy with ONE method changed (or removed, with `undefined`). */
function methods(change: Record<string, unknown> = {}): TestResource {
    const props: Record<string, unknown> = {
        fido2: { state: "enabled", isSelfServiceRegistrationAllowed: true },
        microsoftAuthenticator: { state: "enabled" },
        sms: { state: "disabled" },
        voice: { state: "disabled" },
        email: { state: "disabled" },
        temporaryAccessPass: { state: "enabled" },
        label: "baseline-auth-methods",
        ...change,
    };
    for (const key of Object.keys(change)) {
        if (change[key] === undefined) {
            delete props[key];
        }
    }
    return { type: AUTHENTICATION_METHODS_POLICY, name: "baseline-auth-methods", props };
}

describe("sms-voice-disabled", () => {
    test("SMS and voice declared disabled passes", async () => {
        expect(await validateResource(smsVoiceDisabled, methods())).toEqual([]);
    });

    test("SMS enabled is a mandatory violation naming the method and the fix", async () => {
        const violations = await validateResource(
            smsVoiceDisabled,
            methods({ sms: { state: "enabled" } }),
        );
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("mandatory");
        expect(violations[0].message).toContain(
            'Authentication methods policy "baseline-auth-methods" sets its state to "enabled" for sms',
        );
        expect(violations[0].message).toContain('Fix: declare sms: { state: "disabled" }');
    });

    test("voice left unmanaged is a violation", async () => {
        const violations = await validateResource(smsVoiceDisabled, methods({ voice: undefined }));
        expect(messages(violations)).toEqual([expect.stringContaining("does not manage it")]);
    });

    test("voice declared without a state is a violation", async () => {
        const violations = await validateResource(
            smsVoiceDisabled,
            methods({ voice: { includeGroups: ["all_users"] } }),
        );
        expect(violations).toHaveLength(1);
    });

    test("the methods list is configurable (email too)", async () => {
        const violations = await validateResource(
            smsVoiceDisabled,
            methods({ email: { state: "enabled" } }),
            {
                methodsOff: ["sms", "voice", "email"],
            },
        );
        expect(messages(violations)[0]).toContain("for email");
    });

    test("a known SMS problem stays mandatory while voice is unknown in preview", async () => {
        const violations = await validateResource(
            smsVoiceDisabled,
            methods({ sms: { state: "enabled" }, voice: { state: UNKNOWN } }),
        );
        expect(violations.map((v) => v.enforcementLevel)).toEqual(["mandatory", "advisory"]);
    });
});
