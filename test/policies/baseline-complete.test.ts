import { baselineComplete, PREVENTION_CONTROLS } from "../../policies/baseline-complete";
import {
    AUTHENTICATION_METHODS_POLICY,
    CONDITIONAL_ACCESS_POLICY,
    CONSENT_POLICY,
    EXCHANGE_PROTECTION,
    TOKEN_PROTECTION_POLICY,
} from "../../policies/lib/resource-types";
import { messages, TestResource, UNKNOWN, validateStack } from "./helpers";
import { azureComponent, GOOD_DMARC, GOOD_SPF, txtRecordSet } from "./mail-fixtures";

const BREAK_GLASS = "11111111-1111-4111-8111-111111111111";

function ca(name: string, body: Record<string, any>): TestResource {
    return {
        type: CONDITIONAL_ACCESS_POLICY,
        name,
        props: {
            state: "enabledForReportingButNotEnforced",
            ...body,
            conditions: {
                users: { includedUsers: ["All"], excludedUsers: [BREAK_GLASS] },
                applications: { includedApplications: ["All"] },
                clientAppTypes: ["all"],
                ...body.conditions,
            },
        },
    };
}

const legacyBlock = ca("ca-block-legacy", {
    conditions: { clientAppTypes: ["exchangeActiveSync", "other"] },
    grantControls: { operator: "OR", builtInControls: ["block"] },
});
const phishingResistant = ca("ca-phishing-resistant", {
    conditions: {
        users: { includedGroups: ["finance"], includedRoles: ["r"], excludedUsers: [BREAK_GLASS] },
    },
    grantControls: {
        operator: "OR",
        authenticationStrengthPolicyId:
            "/policies/authenticationStrengthPolicies/00000000-0000-0000-0000-000000000004",
    },
});
const countryBlock = ca("ca-country-block", {
    conditions: { locations: { includedLocations: ["All"], excludedLocations: ["loc-id"] } },
    grantControls: { operator: "OR", builtInControls: ["block"] },
});
const tokenProtection: TestResource = {
    type: TOKEN_PROTECTION_POLICY,
    name: "token-protection",
    props: { mode: "reportOnly", breakGlassAccounts: [BREAK_GLASS] },
};
const consent: TestResource = {
    type: CONSENT_POLICY,
    name: "consent",
    props: { userConsent: "verifiedPublishersLowRisk" },
};
const methods: TestResource = {
    type: AUTHENTICATION_METHODS_POLICY,
    name: "auth-methods",
    props: { sms: { state: "disabled" }, voice: { state: "disabled" } },
};
function exchange(change: Record<string, unknown> = {}): TestResource {
    return {
        type: EXCHANGE_PROTECTION,
        name: "exchange-protection",
        props: {
            blockExternalForwarding: true,
            replyToWarning: { mode: "enforce", partnerDomains: [] },
            ...change,
        },
    };
}

/** Every control present: the valid stack. */
const complete = [
    legacyBlock,
    phishingResistant,
    countryBlock,
    tokenProtection,
    consent,
    methods,
    exchange(),
    azureComponent,
    txtRecordSet("@", GOOD_SPF),
    txtRecordSet("_dmarc", GOOD_DMARC),
];

const without = (...names: string[]) => complete.filter((r) => !names.includes(r.name));

describe("baseline-complete", () => {
    test("a stack with every prevention control passes", async () => {
        expect(await validateStack(baselineComplete, complete)).toEqual([]);
    });

    test("it covers the nine prevention controls of DESIGN.md §1 and SMS and voice off", () => {
        expect(PREVENTION_CONTROLS.map((c) => c.title)).toEqual([
            "phishing-resistant MFA for finance and executives",
            "country blocks",
            "token protection",
            "consent limits",
            "SMS and voice sign-in off",
            "no legacy authentication",
            "DMARC p=reject",
            "Reply-To warning",
            "no external auto-forwarding",
            "out-of-band payment checks",
        ]);
    });

    test("a missing control is one advisory stack message naming it and its fix", async () => {
        const violations = await validateStack(baselineComplete, without("token-protection"));
        expect(violations).toHaveLength(1);
        expect(violations[0].enforcementLevel).toBe("advisory");
        expect(violations[0].urn).toBeUndefined();
        expect(violations[0].message).toContain("lacks 1 of the 10 BEC prevention controls");
        expect(violations[0].message).toContain(
            "token protection (tokenProtection): add a tokenProtection section",
        );
    });

    test("a stack without an authentication methods policy is told SMS and voice are not off", async () => {
        const violations = await validateStack(baselineComplete, without("auth-methods"));
        expect(messages(violations)).toEqual([
            expect.stringContaining(
                "SMS and voice sign-in off (smsVoiceOff): add an authenticationMethods section",
            ),
        ]);
    });

    test("an authentication methods policy leaving voice on does not count", async () => {
        const voiceOn = { ...methods, props: { ...methods.props, voice: { state: "enabled" } } };
        const violations = await validateStack(baselineComplete, [
            ...without("auth-methods"),
            voiceOn,
        ]);
        expect(messages(violations)[0]).toContain("lacks 1 of the 10");
        expect(messages(violations)[0]).toContain("(smsVoiceOff)");
    });

    test("several missing controls are listed together", async () => {
        const violations = await validateStack(
            baselineComplete,
            without("consent", "ca-country-block"),
        );
        expect(messages(violations)[0]).toContain("lacks 2 of the 10");
        expect(messages(violations)[0]).toContain("country blocks (countryBlock)");
        expect(messages(violations)[0]).toContain("consent limits (consentLimits)");
    });

    test("phishing-resistant MFA for admin roles only does not count as covering finance", async () => {
        const adminsOnly = ca("ca-phishing-resistant", {
            conditions: { users: { includedRoles: ["r"], excludedUsers: [BREAK_GLASS] } },
            grantControls: phishingResistant.props.grantControls,
        });
        const violations = await validateStack(baselineComplete, [
            ...without("ca-phishing-resistant"),
            adminsOnly,
        ]);
        expect(messages(violations)[0]).toContain(
            "phishing-resistant MFA for finance and executives",
        );
    });

    test("DMARC at p=quarantine does not count as DMARC p=reject", async () => {
        const stack = [
            ...without("mail-contoso-com-dmarc"),
            txtRecordSet("_dmarc", GOOD_DMARC.replace("p=reject", "p=quarantine")),
        ];
        expect(messages(await validateStack(baselineComplete, stack))[0]).toContain(
            "DMARC p=reject (dmarcReject)",
        );
    });

    test("a Reply-To warning in audit mode is present but does not show the payment check", async () => {
        const audit = exchange({ replyToWarning: { mode: "audit" } });
        const violations = await validateStack(baselineComplete, [
            ...without("exchange-protection"),
            audit,
        ]);
        expect(messages(violations)[0]).toContain("lacks 1 of the 10");
        expect(messages(violations)[0]).toContain("out-of-band payment checks");
    });

    test("a stack holding only incidents is not judged", async () => {
        const incidentOnly: TestResource = {
            type: "pulumi-nodejs:dynamic/bec-guard:Quarantine",
            name: "inc-2041-alice",
            props: { user: "alice@contoso.com" },
        };
        expect(await validateStack(baselineComplete, [incidentOnly])).toEqual([]);
    });

    test("a skipped control is not reported", async () => {
        const violations = await validateStack(baselineComplete, without("token-protection"), {
            skip: ["tokenProtection"],
        });
        expect(violations).toEqual([]);
    });

    test("a control unreadable in preview is named as such next to the missing ones", async () => {
        const unknownConsent = { ...consent, props: { userConsent: UNKNOWN } };
        const stack = [...without("consent", "token-protection"), unknownConsent];
        const violations = await validateStack(baselineComplete, stack);
        expect(violations).toHaveLength(1);
        expect(violations[0].message).toContain("lacks 1 of the 10");
        expect(violations[0].message).toContain(
            "Not readable in this preview, checked again at up: consent limits",
        );
    });
});
