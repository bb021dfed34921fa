/**
 * SMS and voice are off as authentication methods.
 *
 * Why: codes sent by SMS or read out by a call are relayed by phishing proxies and stolen by
 * SIM swaps, and an attacker who has the password can often register their own phone number.
 * The authentication methods policy must switch them off explicitly.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { AUTHENTICATION_METHODS_POLICY } from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

export interface SmsVoiceDisabledConfig {
    /** Methods (inputs of the authentication methods policy) that must be declared off. */
    methodsOff: string[];
}

const configSchema = {
    properties: {
        methodsOff: {
            type: "array" as const,
            items: {
                type: "string" as const,
                enum: ["sms", "voice", "email", "softwareOath"],
            },
            minItems: 1,
            default: ["sms", "voice"],
            description:
                "Methods that must be declared with state: disabled. Default: sms and voice. " +
                "Add email to also require email one-time passcodes off.",
        },
    },
};

export const smsVoiceDisabled: ResourceValidationPolicy = {
    name: "sms-voice-disabled",
    description:
        "Checks that the authentication methods policy turns SMS and voice off (state: disabled).",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== AUTHENTICATION_METHODS_POLICY) {
            return;
        }
        const config = configOf<SmsVoiceDisabledConfig>(configSchema, args);
        const unknowns = new PreviewUnknowns();

        // Each method on its own: a method left out is not managed, and the tenant keeps
        // whatever it has (SMS is on in many tenants), so only an explicit "disabled" passes.
        for (const method of config.methodsOff) {
            const state = unknowns.read((): unknown => args.props[method]?.state);
            if (isUnknown(state) || state === "disabled") {
                continue;
            }
            const now =
                state === undefined || state === null
                    ? "does not manage it, so the tenant keeps its current state"
                    : `sets its state to ${JSON.stringify(state)}`;
            reportViolation(
                `Authentication methods policy "${args.name}" ${now} for ${method}. ${method} ` +
                    "codes are relayed by phishing proxies and stolen by SIM swaps. Fix: declare " +
                    `${method}: { state: "disabled" } (the baseline's default), after moving its ` +
                    "users to Microsoft Authenticator or a passkey.",
            );
        }

        // Methods whose state is unknown in this preview are checked again at `pulumi up`.
        unknowns.rethrow();
    },
};
