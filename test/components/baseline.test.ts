import { declared, DeclaredResource, installMocks, settleBaseline, valueOf } from "./mocks";
import { validateAuthenticationMethodsPolicy } from "../../dynamic-providers/authentication-methods-policy";
import { validateConsentPolicy } from "../../dynamic-providers/consent-policy";
import { validateExchangeProtection } from "../../dynamic-providers/exchange-protection";
import { validateTokenProtectionPolicy } from "../../dynamic-providers/token-protection-policy";
import { authenticationMethodsInputs } from "../../components/authentication-methods";
import { HardeningBaseline, HardeningBaselineArgs } from "../../components/baseline";
import { consentInputs } from "../../components/consent";
import { exchangeProtectionInputs } from "../../components/exchange-protection";
import { tokenProtectionInputs } from "../../components/token-protection";

const DYNAMIC = "pulumi-nodejs:dynamic/bec-guard:";
const BREAK_GLASS = ["734a9b85-fe0b-4599-89a9-4993762843dc", "breakglass1@contoso.example"];

let mocks: ReturnType<typeof installMocks>;

beforeEach(() => {
    mocks = installMocks();
});

/** Declares the baseline and waits until every child resource reached the mocks. */
async function declare(args: Partial<HardeningBaselineArgs>) {
    const baseline = new HardeningBaseline("baseline", {
        breakGlassAccounts: BREAK_GLASS,
        ...args,
    });
    await settleBaseline(baseline);
    return baseline;
}

/** A dynamic resource's inputs without the serialized provider and the label. */
function settingsOf(resource: DeclaredResource): Record<string, unknown> {
    const { __provider, label, ...inputs } = resource.inputs;
    void __provider;
    void label;
    return Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined));
}

describe("baseline defaults for the settings resources", () => {
    test("authentication methods: FIDO2 and Authenticator with context on, SMS, voice and member email off, short single-use TAP", () => {
        expect(authenticationMethodsInputs()).toEqual({
            fido2: {
                state: "enabled",
                includeGroups: ["all_users"],
                allowSelfServiceRegistration: true,
            },
            microsoftAuthenticator: {
                state: "enabled",
                includeGroups: ["all_users"],
                showAppName: true,
                showLocation: true,
            },
            sms: { state: "disabled" },
            voice: { state: "disabled" },
            email: { state: "disabled", allowExternalUsers: true },
            temporaryAccessPass: {
                state: "enabled",
                includeGroups: ["all_users"],
                defaultLifetimeInMinutes: 60,
                isUsableOnce: true,
            },
            registrationCampaign: {
                state: "enabled",
                snoozeDurationInDays: 3,
                includeGroups: ["all_users"],
            },
        });
    });

    test("authentication methods: a section merges over the default, false leaves it unmanaged", () => {
        const inputs = authenticationMethodsInputs({
            temporaryAccessPass: { defaultLifetimeInMinutes: 240 },
            sms: false,
        });
        expect(inputs.temporaryAccessPass?.defaultLifetimeInMinutes).toBe(240);
        expect(inputs.temporaryAccessPass?.isUsableOnce).toBe(true);
        expect(inputs.sms).toBeUndefined();
    });

    test("every default the baseline sends passes the providers' own validation", () => {
        expect(validateAuthenticationMethodsPolicy(authenticationMethodsInputs() as any)).toEqual(
            [],
        );
        expect(validateConsentPolicy(consentInputs() as any)).toEqual([]);
        expect(validateExchangeProtection(exchangeProtectionInputs() as any)).toEqual([]);
        expect(
            validateTokenProtectionPolicy(
                tokenProtectionInputs({ breakGlassAccounts: BREAK_GLASS }) as any,
            ),
        ).toEqual([]);
    });

    test("consent: verified publishers only, sign-in permissions low risk, workflow on with Global Administrators reviewing", () => {
        expect(consentInputs()).toEqual({
            userConsent: "verifiedPublishersLowRisk",
            lowRiskPermissions: ["openid", "profile", "email", "offline_access", "User.Read"],
            adminConsentWorkflow: {
                enabled: true,
                reviewers: [{ type: "role", id: "62e90394-69f5-4237-9190-012177145e10" }],
                notifyReviewers: true,
                remindersEnabled: true,
                requestDurationInDays: 30,
            },
        });
    });

    test("consent: no permission classification is managed when user consent is off", () => {
        expect(consentInputs({ userConsent: "disabled" })).not.toHaveProperty("lowRiskPermissions");
    });

    test("consent: an empty list of low-risk permissions leaves the classifications alone", () => {
        expect(consentInputs({ lowRiskPermissions: [] })).not.toHaveProperty("lowRiskPermissions");
    });

    test("Exchange: every protection on and the Reply-To rule in audit mode", () => {
        expect(exchangeProtectionInputs()).toEqual({
            blockExternalForwarding: true,
            tagExternalSenders: true,
            mailboxAuditing: true,
            unifiedAuditLog: true,
            disableSmtpClientAuth: true,
            replyToWarning: { mode: "audit", partnerDomains: [] },
        });
    });

    test("Exchange: a protection turned off is left unmanaged, and the rule can be removed", () => {
        const inputs = exchangeProtectionInputs({
            disableSmtpClientAuth: false,
            replyToWarning: "off",
        });
        expect(inputs.disableSmtpClientAuth).toBeUndefined();
        expect(inputs.replyToWarning).toBeUndefined();
    });

    test("token protection: report-only for everyone, break-glass excluded, modes mapped", () => {
        expect(tokenProtectionInputs({ breakGlassAccounts: BREAK_GLASS })).toEqual({
            mode: "reportOnly",
            breakGlassAccounts: BREAK_GLASS,
        });
        expect(
            tokenProtectionInputs({ breakGlassAccounts: BREAK_GLASS, mode: "enforced" }).mode,
        ).toBe("enforced");
        expect(tokenProtectionInputs({ breakGlassAccounts: BREAK_GLASS, mode: "off" }).mode).toBe(
            "disabled",
        );
    });
});

describe("HardeningBaseline", () => {
    test("declares nothing but itself when no family is given", async () => {
        await declare({});
        expect(mocks.resources.map((r) => r.type)).toEqual([
            "bec-guard:baseline:HardeningBaseline",
        ]);
    });

    test("declares every family with children named after the baseline", async () => {
        await declare({
            conditionalAccess: { allowedCountries: ["GB"] },
            tokenProtection: {},
            authenticationMethods: {},
            consent: {},
            exchangeProtection: {},
            mailDomains: [{ domain: "contoso.com" }],
        });
        const components = mocks.resources.filter((r) => r.type.startsWith("bec-guard:baseline:"));
        expect(components.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
            "bec-guard:baseline:AuthenticationMethodsBaseline baseline-authentication-methods",
            "bec-guard:baseline:ConditionalAccessBaseline baseline-conditional-access",
            "bec-guard:baseline:ConsentBaseline baseline-consent",
            "bec-guard:baseline:ExchangeProtectionBaseline baseline-exchange-protection",
            "bec-guard:baseline:HardeningBaseline baseline",
            "bec-guard:baseline:MailAuthentication baseline-mail-contoso-com",
            "bec-guard:baseline:TokenProtectionBaseline baseline-token-protection",
        ]);
        expect(declared(mocks.resources, "baseline-authentication-methods-policy").type).toBe(
            `${DYNAMIC}AuthenticationMethodsPolicy`,
        );
        expect(declared(mocks.resources, "baseline-consent-policy").type).toBe(
            `${DYNAMIC}ConsentPolicy`,
        );
        expect(declared(mocks.resources, "baseline-token-protection-policy").type).toBe(
            `${DYNAMIC}TokenProtectionPolicy`,
        );
        expect(declared(mocks.resources, "baseline-exchange-protection-settings").type).toBe(
            `${DYNAMIC}ExchangeProtection`,
        );
    });

    test("the settings resources receive exactly the baseline's inputs", async () => {
        await declare({ authenticationMethods: {}, consent: {}, exchangeProtection: {} });
        expect(
            settingsOf(declared(mocks.resources, "baseline-authentication-methods-policy")),
        ).toEqual(authenticationMethodsInputs());
        expect(settingsOf(declared(mocks.resources, "baseline-consent-policy"))).toEqual(
            consentInputs(),
        );
        expect(
            settingsOf(declared(mocks.resources, "baseline-exchange-protection-settings")),
        ).toEqual(exchangeProtectionInputs());
    });

    test("the default mode reaches Conditional Access and token protection unless they set their own", async () => {
        await declare({
            defaultMode: "enforced",
            conditionalAccess: { policies: { blockDeviceCodeFlow: { mode: "report-only" } } },
            tokenProtection: { mode: "report-only" },
        });
        expect(
            declared(mocks.resources, "baseline-conditional-access-require-mfa-all-users").inputs
                .state,
        ).toBe("enabled");
        expect(
            declared(mocks.resources, "baseline-conditional-access-block-device-code-flow").inputs
                .state,
        ).toBe("enabledForReportingButNotEnforced");
        expect(declared(mocks.resources, "baseline-token-protection-policy").inputs.mode).toBe(
            "reportOnly",
        );
    });

    test("break-glass accounts reach every Conditional Access policy and token protection", async () => {
        await declare({ conditionalAccess: { allowedCountries: ["GB"] }, tokenProtection: {} });
        const policies = mocks.resources.filter(
            (r) => r.type === "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy",
        );
        expect(policies.length).toBeGreaterThan(0);
        for (const policy of policies) {
            expect(policy.inputs.conditions.users.excludedUsers).toEqual([
                "734a9b85-fe0b-4599-89a9-4993762843dc",
                "11111111-1111-4111-8111-111111111111",
            ]);
        }
        expect(
            declared(mocks.resources, "baseline-token-protection-policy").inputs.breakGlassAccounts,
        ).toEqual(BREAK_GLASS);
    });

    test("the phishing-resistant policy waits for the authentication methods policy that turns FIDO2 on", async () => {
        await declare({ conditionalAccess: {}, authenticationMethods: {} });
        expect(
            declared(mocks.resources, "baseline-conditional-access-require-phishing-resistant-mfa")
                .dependsOn,
        ).toContain("baseline-authentication-methods-policy");
    });

    test("the other Conditional Access policies do not wait for the authentication methods policy", async () => {
        await declare({ conditionalAccess: {}, authenticationMethods: {} });
        const waiting = mocks.resources
            .filter(
                (r) => r.type === "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy",
            )
            .filter((r) => r.dependsOn.includes("baseline-authentication-methods-policy"))
            .map((r) => r.name);
        expect(waiting).toEqual(["baseline-conditional-access-require-phishing-resistant-mfa"]);
    });

    test("mail records of every domain are one output, keyed by domain", async () => {
        const baseline = await declare({
            mailDomains: [
                { domain: "contoso.com", dkim: false },
                { domain: "Fabrikam.com", dkim: false },
            ],
        });
        const records = await valueOf(baseline.mailRecords);
        expect(Object.keys(records)).toEqual(["contoso.com", "fabrikam.com"]);
        expect(records["fabrikam.com"].map((r) => r.name)).toEqual([
            "fabrikam.com",
            "_dmarc.fabrikam.com",
        ]);
    });
});
