/**
 * Stack completeness (advisory): every prevention control of the BEC playbook
 * (DESIGN.md §1, "Prevention") is present in the stack, and the message lists what is missing.
 * SMS and voice sign-in off is listed too. The mandatory sms-voice-disabled and
 * user-consent-restricted judge their resource only when the stack declares it, so a stack
 * that leaves the resource out is told here (consent limits is one of the §1 controls).
 *
 * Why advisory: a stack may leave a control out on purpose (no Entra ID P1 for token
 * protection, DNS managed by another team). The pack says so on every preview instead of
 * blocking; a team that wants a control enforced removes it from `skip` and raises the
 * enforcement level of this policy.
 *
 * Each control is judged from the resources the baseline declares. "Present" means declared
 * in this stack, whatever its rollout mode; the mandatory policies judge how well.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";

import { configOf } from "./lib/config";
import { dmarcTags, findTxtRecords, isDmarc } from "./lib/mail-records";
import {
    AUTHENTICATION_METHODS_POLICY,
    CONDITIONAL_ACCESS_POLICY,
    CONSENT_POLICY,
    declaresBaseline,
    EXCHANGE_PROTECTION,
    TOKEN_PROTECTION_POLICY,
} from "./lib/resource-types";
import { isUnknown, PreviewUnknowns } from "./lib/unknowns";

/** The built-in phishing-resistant MFA authentication strength, the same in every tenant. */
const PHISHING_RESISTANT_STRENGTH = "00000000-0000-0000-0000-000000000004";

/** The answer for one control: present, missing, or not readable in this preview. */
type Verdict = "present" | "missing" | "unknown";

interface Control {
    key: string;
    /** As DESIGN.md §1 names it. */
    title: string;
    /** What to add to the stack config. */
    fix: string;
    judge: (resources: PolicyResource[], unknowns: PreviewUnknowns) => Verdict;
}

/** The prevention controls, in the order of DESIGN.md §1 (SMS and voice after consent). */
export const PREVENTION_CONTROLS: Control[] = [
    {
        key: "phishingResistantMfa",
        title: "phishing-resistant MFA for finance and executives",
        fix:
            "enable conditionalAccess.policies.requirePhishingResistantMfa and list the finance " +
            "and executive groups in conditionalAccess.highRiskGroupIds",
        judge: (resources, unknowns) =>
            anyPolicy(resources, unknowns, CONDITIONAL_ACCESS_POLICY, (props) => {
                const strength = String(props.grantControls?.authenticationStrengthPolicyId ?? "");
                const groups: unknown[] = props.conditions?.users?.includedGroups ?? [];
                return strength.endsWith(PHISHING_RESISTANT_STRENGTH) && groups.length > 0;
            }),
    },
    {
        key: "countryBlock",
        title: "country blocks",
        fix: "set conditionalAccess.allowedCountries (a named location and a block outside it)",
        judge: (resources, unknowns) =>
            anyPolicy(resources, unknowns, CONDITIONAL_ACCESS_POLICY, (props) => {
                const blocks = (props.grantControls?.builtInControls ?? []).includes("block");
                const excluded: unknown[] = props.conditions?.locations?.excludedLocations ?? [];
                return blocks && excluded.length > 0;
            }),
    },
    {
        key: "tokenProtection",
        title: "token protection",
        fix: "add a tokenProtection section (report-only first; needs Entra ID P1)",
        judge: (resources) =>
            resources.some((r) => r.type === TOKEN_PROTECTION_POLICY) ? "present" : "missing",
    },
    {
        key: "consentLimits",
        title: "consent limits",
        fix: "add consent.userConsent: verifiedPublishersLowRisk (or disabled)",
        judge: (resources, unknowns) =>
            anyPolicy(resources, unknowns, CONSENT_POLICY, (props) =>
                ["disabled", "verifiedPublishersLowRisk"].includes(props.userConsent),
            ),
    },
    {
        key: "smsVoiceOff",
        title: "SMS and voice sign-in off",
        fix:
            "add an authenticationMethods section (the baseline turns SMS and voice off; do " +
            "not set sms or voice to false)",
        judge: (resources, unknowns) =>
            anyPolicy(
                resources,
                unknowns,
                AUTHENTICATION_METHODS_POLICY,
                (props) => props.sms?.state === "disabled" && props.voice?.state === "disabled",
            ),
    },
    {
        key: "noLegacyAuthentication",
        title: "no legacy authentication",
        fix: "enable conditionalAccess.policies.blockLegacyAuthentication",
        judge: (resources, unknowns) =>
            anyPolicy(resources, unknowns, CONDITIONAL_ACCESS_POLICY, (props) => {
                const types: string[] = props.conditions?.clientAppTypes ?? [];
                const blocks = (props.grantControls?.builtInControls ?? []).includes("block");
                return blocks && types.includes("exchangeActiveSync") && types.includes("other");
            }),
    },
    {
        key: "dmarcReject",
        title: "DMARC p=reject",
        fix: "add each mail domain under mailAuthentication.domains (dmarc.policy defaults to reject)",
        judge: (resources, unknowns) => {
            const records = findTxtRecords(resources, unknowns).filter(isDmarc);
            if (records.some((r) => dmarcTags(r.value).get("p")?.toLowerCase() === "reject")) {
                return "present";
            }
            return unknowns.any ? "unknown" : "missing";
        },
    },
    {
        key: "replyToWarning",
        title: "Reply-To warning",
        fix: "set exchangeProtection.replyToWarning: audit (then enforce)",
        judge: (resources, unknowns) =>
            anyPolicy(resources, unknowns, EXCHANGE_PROTECTION, (props) => !!props.replyToWarning),
    },
    {
        key: "noExternalForwarding",
        title: "no external auto-forwarding",
        fix: "set exchangeProtection.blockExternalForwarding: true",
        judge: (resources, unknowns) =>
            anyPolicy(
                resources,
                unknowns,
                EXCHANGE_PROTECTION,
                (props) => props.blockExternalForwarding === true,
            ),
    },
    {
        key: "outOfBandPaymentChecks",
        title: "out-of-band payment checks",
        fix:
            "set exchangeProtection.replyToWarning: enforce, so the warning asking recipients " +
            "to confirm payment requests by phone is shown (the call-back procedure itself is " +
            "a finance process the pack cannot see)",
        judge: (resources, unknowns) =>
            anyPolicy(
                resources,
                unknowns,
                EXCHANGE_PROTECTION,
                (props) => props.replyToWarning?.mode === "enforce",
            ),
    },
];

export interface BaselineCompleteConfig {
    /** Control keys deliberately left out of this stack. */
    skip: string[];
}

const configSchema = {
    properties: {
        skip: {
            type: "array" as const,
            items: { type: "string" as const, enum: PREVENTION_CONTROLS.map((c) => c.key) },
            default: [],
            description:
                "Controls deliberately left out of this stack, by key: " +
                PREVENTION_CONTROLS.map((c) => c.key).join(", ") +
                ". Default: none.",
        },
    },
};

export const baselineComplete: StackValidationPolicy = {
    name: "baseline-complete",
    description:
        "Checks that every prevention control of the BEC playbook is present in the stack " +
        "(advisory; the message lists what is missing).",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema,
    validateStack: (args, reportViolation) => {
        // 0. A stack holding only incident files has no baseline to judge.
        if (!declaresBaseline(args.resources)) {
            args.notApplicable("the stack declares no hardening baseline");
        }
        const config = configOf<BaselineCompleteConfig>(configSchema, args);

        // 1. Judge each control on its own, so one unreadable value does not hide the rest.
        const missing: Control[] = [];
        const unreadable: Control[] = [];
        for (const control of PREVENTION_CONTROLS) {
            if (config.skip.includes(control.key)) {
                continue;
            }
            const verdict = control.judge(args.resources, new PreviewUnknowns());
            if (verdict === "missing") {
                missing.push(control);
            } else if (verdict === "unknown") {
                unreadable.push(control);
            }
        }

        // 2. One message for the stack: what is missing and how to add each.
        if (missing.length > 0) {
            const list = missing.map((c) => `${c.title} (${c.key}): ${c.fix}`).join("; ");
            const unread =
                unreadable.length > 0
                    ? ` Not readable in this preview, checked again at up: ` +
                      `${unreadable.map((c) => c.title).join(", ")}.`
                    : "";
            reportViolation(
                `The stack lacks ${missing.length} of the ${PREVENTION_CONTROLS.length} BEC ` +
                    `prevention controls: ${list}. Fix: add them under bec-guard:baseline in ` +
                    "the stack config, or list a control deliberately left out in skip of " +
                    `policy baseline-complete.${unread}`,
            );
        }
    },
};

/**
 * "present" if some resource of `type` satisfies `test`, "unknown" if none does but one could
 * not be read in this preview, else "missing".
 */
function anyPolicy(
    resources: PolicyResource[],
    unknowns: PreviewUnknowns,
    type: string,
    test: (props: Record<string, any>) => boolean,
): Verdict {
    let unknown = false;
    for (const resource of resources) {
        if (resource.type !== type) {
            continue;
        }
        const result = unknowns.read(() => test(resource.props));
        if (isUnknown(result)) {
            unknown = true;
        } else if (result) {
            return "present";
        }
    }
    return unknown ? "unknown" : "missing";
}
