import {
    BaselineConfigError,
    ISO_COUNTRY_CODES,
    parseBaselineConfig,
    RELEASE_TAP_LIFETIME_MINUTES,
} from "../../components/config";
import { TAP_LIFETIME_MINUTES } from "../../dynamic-providers/quarantine/release";

const BREAK_GLASS = [
    "734a9b85-fe0b-4599-89a9-4993762843dc",
    "breakglass02@contoso.onmicrosoft.com",
];
const FINANCE = "4310be70-ea3a-4afa-9464-7e3bde5aaec8";

/** A complete, valid baseline; each bad-config test changes one thing. */
function validConfig(): Record<string, any> {
    return {
        defaultMode: "report-only",
        conditionalAccess: {
            allowedCountries: ["GB", "IE"],
            highRiskGroupIds: [FINANCE],
            policies: { blockLegacyAuthentication: { mode: "enforced" } },
        },
        tokenProtection: { mode: "report-only" },
        authenticationMethods: {},
        consent: { userConsent: "verifiedPublishersLowRisk" },
        exchangeProtection: { replyToWarning: "audit", partnerDomains: ["fabrikam.com"] },
        mailAuthentication: {
            domains: [
                {
                    domain: "contoso.com",
                    dnsZone: { resourceGroupName: "dns-rg" },
                    dmarc: { aggregateReportUris: ["mailto:dmarc@contoso.com"] },
                    tlsRpt: { reportUris: ["mailto:tls@contoso.com"] },
                },
            ],
        },
    };
}

/** The problems a config produces, as their messages. */
function problemsOf(config: unknown, breakGlass: unknown = BREAK_GLASS): string[] {
    try {
        parseBaselineConfig(config, breakGlass);
    } catch (err) {
        if (err instanceof BaselineConfigError) {
            return err.problems.map((p) => p.message);
        }
        throw err;
    }
    return [];
}

describe("baseline config validation", () => {
    test("a complete valid config passes and keeps every family", () => {
        const parsed = parseBaselineConfig(validConfig(), BREAK_GLASS);
        expect(parsed.breakGlassAccounts).toEqual(BREAK_GLASS);
        expect(parsed.defaultMode).toBe("report-only");
        expect(parsed.conditionalAccess?.allowedCountries).toEqual(["GB", "IE"]);
        expect(parsed.conditionalAccess?.defaultMode).toBe("report-only");
        expect(parsed.tokenProtection?.mode).toBe("report-only");
        expect(parsed.authenticationMethods).toEqual({});
        expect(parsed.consent?.userConsent).toBe("verifiedPublishersLowRisk");
        expect(parsed.exchangeProtection?.partnerDomains).toEqual(["fabrikam.com"]);
        expect(parsed.mailDomains.map((d) => d.domain)).toEqual(["contoso.com"]);
    });

    test("a family absent or switched off is not applied", () => {
        const config = validConfig();
        delete config.consent;
        config.tokenProtection = { enabled: false, mode: "enforced" };
        const parsed = parseBaselineConfig(config, BREAK_GLASS);
        expect(parsed.consent).toBeUndefined();
        expect(parsed.tokenProtection).toBeUndefined();
    });

    test("the thrown error lists every problem under one heading", () => {
        const config = validConfig();
        config.conditionalAccess.allowedCountries = ["UK"];
        config.consent.userConsent = "everyone";
        expect(() => parseBaselineConfig(config, BREAK_GLASS)).toThrow(
            "Invalid hardening baseline config (2 problems):\n" +
                '  - bec-guard:baseline.conditionalAccess.allowedCountries[0] is "UK": not an ISO 3166-1 alpha-2 country code. Fix: use "GB" (the ISO 3166-1 code for the United Kingdom)\n' +
                '  - bec-guard:baseline.consent.userConsent is "everyone": not an allowed value. Fix: use one of "disabled", "verifiedPublishersLowRisk", "allApps"',
        );
    });

    test("the country list holds all 249 ISO 3166-1 alpha-2 codes", () => {
        expect(ISO_COUNTRY_CODES.size).toBe(249);
        expect(ISO_COUNTRY_CODES.has("GB")).toBe(true);
        expect(ISO_COUNTRY_CODES.has("UK")).toBe(false);
    });

    test("an unknown country code is refused with the key, the value and the fix", () => {
        const config = validConfig();
        config.conditionalAccess.allowedCountries = ["GB", "XX"];
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.conditionalAccess.allowedCountries[1] is "XX": not an ISO 3166-1 alpha-2 country code. Fix: use a two-letter ISO 3166-1 alpha-2 code, e.g. "GB", "US", "DE"',
        ]);
    });

    test("a lower-case country code is refused with its capitalised form as the fix", () => {
        const config = validConfig();
        config.conditionalAccess.allowedCountries = ["ie"];
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.conditionalAccess.allowedCountries[0] is "ie": not an ISO 3166-1 alpha-2 country code. Fix: write it in capitals: "IE"',
        ]);
    });

    test("a break-glass entry that is neither an object id nor a UPN is refused", () => {
        expect(
            problemsOf(validConfig(), ["734a9b85-fe0b-4599-89a9-4993762843dc", "breakglass"]),
        ).toEqual([
            'bec-guard:breakGlassAccounts[1] is "breakglass": not an object id (GUID) or a user principal name. Fix: use the account\'s object id (Entra admin center > Users > the account > Object ID) or its UPN, e.g. breakglass1@contoso.onmicrosoft.com',
        ]);
    });

    test("an enforced Conditional Access policy without any break-glass account is refused", () => {
        expect(problemsOf(validConfig(), [])).toEqual([
            "bec-guard:breakGlassAccounts is []: Conditional Access policies blockLegacyAuthentication are enforced and no break-glass account is excluded from them. Fix: list at least one emergency-access account (two are recommended), or keep the policies report-only",
        ]);
    });

    test("report-only policies without a break-glass account are allowed", () => {
        const config = validConfig();
        delete config.conditionalAccess.policies;
        expect(problemsOf(config, [])).toEqual([]);
    });

    test("enforced token protection without a break-glass account is refused", () => {
        const config = validConfig();
        delete config.conditionalAccess;
        config.tokenProtection.mode = "enforced";
        expect(problemsOf(config, [])).toEqual([
            "bec-guard:breakGlassAccounts is []: token protection is enforced and no break-glass account is excluded from it. Fix: list at least one emergency-access account, or keep tokenProtection.mode report-only",
        ]);
    });

    test("a DMARC report address that is not a mailto: URI is refused", () => {
        const config = validConfig();
        config.mailAuthentication.domains[0].dmarc.aggregateReportUris = ["dmarc@contoso.com"];
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.mailAuthentication.domains[0].dmarc.aggregateReportUris[0] is "dmarc@contoso.com": not a mailto: URI. Fix: write it as mailto:dmarc@contoso.com',
        ]);
    });

    test("a DMARC mailto: URI with a size limit is accepted", () => {
        const config = validConfig();
        config.mailAuthentication.domains[0].dmarc.failureReportUris = [
            "mailto:ruf@contoso.com!10m",
        ];
        expect(problemsOf(config)).toEqual([]);
    });

    test("a DMARC percent outside 0-100 is refused", () => {
        const config = validConfig();
        config.mailAuthentication.domains[0].dmarc.percent = 150;
        expect(problemsOf(config)).toEqual([
            "bec-guard:baseline.mailAuthentication.domains[0].dmarc.percent is 150: not a whole number from 0 to 100. Fix: use a whole number from 0 to 100",
        ]);
    });

    test("requiring phishing-resistant MFA while FIDO2 is off in the same stack is refused", () => {
        const config = validConfig();
        config.authenticationMethods = { fido2: { state: "disabled" } };
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.authenticationMethods.fido2.state is "disabled": Conditional Access requires phishing-resistant MFA (policy requirePhishingResistantMfa, mode report-only) while FIDO2 and passkeys are off in the same stack, so the finance, executive and admin users it covers cannot sign in once it is enforced. Fix: set authenticationMethods.fido2.state to "enabled", or set conditionalAccess.policies.requirePhishingResistantMfa.mode to "off"',
        ]);
    });

    test("FIDO2 scoped to groups that leave a high-risk group out is refused", () => {
        const config = validConfig();
        const pilot = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
        config.authenticationMethods = { fido2: { includeGroups: [pilot] } };
        expect(problemsOf(config)).toEqual([
            `bec-guard:baseline.authenticationMethods.fido2.includeGroups is ["${pilot}"]: Conditional Access requires phishing-resistant MFA (policy requirePhishingResistantMfa, mode report-only) for conditionalAccess.highRiskGroupIds ${FINANCE}, which FIDO2 and passkeys are not enabled for, so their members cannot register a passkey and are locked out once it is enforced. Fix: add ${FINANCE} to authenticationMethods.fido2.includeGroups, or set it to ["all_users"]`,
        ]);
    });

    test("FIDO2 scoped to every high-risk group is accepted, with a warning for the admin roles", () => {
        const config = validConfig();
        config.authenticationMethods = { fido2: { includeGroups: [FINANCE.toUpperCase()] } };
        const parsed = parseBaselineConfig(config, BREAK_GLASS);
        expect(parsed.warnings).toEqual([
            expect.stringContaining(
                "covers 16 admin role(s): an administrator outside those groups cannot register a passkey",
            ),
        ]);
    });

    test("FIDO2 for all users gives no warning", () => {
        expect(parseBaselineConfig(validConfig(), BREAK_GLASS).warnings).toEqual([]);
    });

    test("FIDO2 off is accepted when the phishing-resistant policy is off", () => {
        const config = validConfig();
        config.authenticationMethods = { fido2: { state: "disabled" } };
        config.conditionalAccess.policies.requirePhishingResistantMfa = { mode: "off" };
        expect(problemsOf(config)).toEqual([]);
    });

    test("an unknown key is refused, naming the keys that exist", () => {
        const config = validConfig();
        config.conditionalAccess.allowedCountry = ["GB"];
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.conditionalAccess.allowedCountry is ["GB"]: not a known setting. Fix: use one of defaultMode, allowedCountries, includeUnknownCountries, highRiskGroupIds, adminRoleTemplateIds, excludedRoleTemplateIds, exemptTrustedLocationsFromRegistration, displayNamePrefix, policies',
        ]);
    });

    test("an unknown policy mode is refused", () => {
        const config = validConfig();
        config.conditionalAccess.policies.blockLegacyAuthentication.mode = "on";
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.conditionalAccess.policies.blockLegacyAuthentication.mode is "on": not an allowed value. Fix: use one of "report-only", "enforced", "off"',
        ]);
    });

    test("a high-risk group that is not an object id is refused", () => {
        const config = validConfig();
        config.conditionalAccess.highRiskGroupIds = ["Finance"];
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.conditionalAccess.highRiskGroupIds[0] is "Finance": not a group object id (GUID). Fix: use the group\'s object id from the Entra admin center',
        ]);
    });

    test("a role left out of MFA for all users that is not a template id is refused", () => {
        const config = validConfig();
        config.conditionalAccess.excludedRoleTemplateIds = ["Directory Synchronization Accounts"];
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.conditionalAccess.excludedRoleTemplateIds[0] is "Directory Synchronization Accounts": not a directory role template id (GUID). Fix: use the role\'s template id, e.g. d29b2b05-8046-44ba-8758-1e26182fcf32 (Directory Synchronization Accounts), or [] to exclude no role',
        ]);
    });

    test("an authentication methods setting the provider refuses is reported under the config key", () => {
        const config = validConfig();
        config.authenticationMethods = { temporaryAccessPass: { defaultLifetimeInMinutes: 5 } };
        const problems = problemsOf(config);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(
            /^bec-guard:baseline\.authenticationMethods\.temporaryAccessPass\.defaultLifetimeInMinutes is 5: /,
        );
    });

    test("the release pass lifetime checked here is the one quarantine release asks for", () => {
        expect(RELEASE_TAP_LIFETIME_MINUTES).toBe(TAP_LIFETIME_MINUTES);
    });

    test("a Temporary Access Pass maximum below the release pass's 60 minutes is refused", () => {
        const config = validConfig();
        config.authenticationMethods = {
            temporaryAccessPass: { defaultLifetimeInMinutes: 30, maximumLifetimeInMinutes: 30 },
        };
        expect(problemsOf(config)).toEqual([
            "bec-guard:baseline.authenticationMethods.temporaryAccessPass.maximumLifetimeInMinutes is 30: quarantine release issues a 60-minute Temporary Access Pass for MFA re-registration, which Graph refuses above this maximum, so every release would fail. Fix: raise it to at least 60",
        ]);
    });

    test("a Temporary Access Pass minimum above the release pass's 60 minutes is refused", () => {
        const config = validConfig();
        config.authenticationMethods = {
            temporaryAccessPass: { defaultLifetimeInMinutes: 120, minimumLifetimeInMinutes: 90 },
        };
        expect(problemsOf(config)).toEqual([
            "bec-guard:baseline.authenticationMethods.temporaryAccessPass.minimumLifetimeInMinutes is 90: quarantine release issues a 60-minute Temporary Access Pass for MFA re-registration, which Graph refuses below this minimum, so every release would fail. Fix: lower it to at most 60",
        ]);
    });

    test("the Temporary Access Pass turned off is refused, since release issues one", () => {
        const config = validConfig();
        config.authenticationMethods = { temporaryAccessPass: { state: "disabled" } };
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.authenticationMethods.temporaryAccessPass.state is "disabled": quarantine release issues a 60-minute Temporary Access Pass for MFA re-registration, which Graph refuses while the method is off, so no contained user could be released. Fix: set it to "enabled", or set temporaryAccessPass to false to leave the tenant\'s setting',
        ]);
    });

    test("an enforced country block without countries is not counted as enforced without break-glass", () => {
        const config = validConfig();
        delete config.conditionalAccess.allowedCountries;
        config.conditionalAccess.policies = { blockOutsideAllowedCountries: { mode: "enforced" } };
        expect(problemsOf(config, [])).toEqual([]);
    });

    test("a low-risk permission beyond sign-in and basic profile is refused under the config key", () => {
        const config = validConfig();
        config.consent.lowRiskPermissions = ["openid", "Mail.Read"];
        expect(problemsOf(config)).toEqual([
            expect.stringMatching(
                /^bec-guard:baseline\.consent\.lowRiskPermissions\[1\] is "Mail\.Read": not a sign-in or basic profile permission/,
            ),
        ]);
    });

    test("a mail domain outside its DNS zone is refused", () => {
        const config = validConfig();
        config.mailAuthentication.domains[0].dnsZone.zoneName = "fabrikam.com";
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.mailAuthentication.domains[0].dnsZone.zoneName is "fabrikam.com": the mail domain contoso.com is not inside this zone. Fix: use the zone that contains contoso.com',
        ]);
    });

    test("more than ten SPF includes are refused for breaking SPF's lookup limit", () => {
        const config = validConfig();
        const includes = Array.from({ length: 11 }, (_, i) => `spf${i}.example.com`);
        config.mailAuthentication.domains[0].spf = { includes };
        expect(problemsOf(config)).toEqual([
            `bec-guard:baseline.mailAuthentication.domains[0].spf.includes is ${JSON.stringify(includes).slice(0, 77)}...: more than 10 includes exceeds SPF's limit of 10 DNS lookups, so receivers fail SPF for every message. Fix: remove senders you no longer use, or replace includes by ip4/ip6 ranges`,
        ]);
    });

    test("a second SPF value kept at the apex is refused", () => {
        const config = validConfig();
        config.mailAuthentication.domains[0].spf = {
            keepApexTxt: ["v=spf1 include:old.example -all"],
        };
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.mailAuthentication.domains[0].spf.keepApexTxt[0] is "v=spf1 include:old.example -all": not a TXT value other than SPF. Fix: remove it: a second SPF record makes SPF fail (permerror); put its senders in includes/ip4/ip6',
        ]);
    });

    test("TLS-RPT without a report URI is refused", () => {
        const config = validConfig();
        config.mailAuthentication.domains[0].tlsRpt = {};
        expect(problemsOf(config)).toEqual([
            "bec-guard:baseline.mailAuthentication.domains[0].tlsRpt.reportUris is missing: TLS-RPT needs at least one report URI. Fix: list e.g. mailto:tls-reports@contoso.com, or leave tlsRpt out",
        ]);
    });

    test("the same mail domain listed twice is refused", () => {
        const config = validConfig();
        config.mailAuthentication.domains.push({ domain: "Contoso.com" });
        expect(problemsOf(config)).toEqual([
            'bec-guard:baseline.mailAuthentication.domains[1].domain is "Contoso.com": listed twice. Fix: merge the two entries into one',
        ]);
    });

    test("a baseline that is not an object is refused", () => {
        expect(problemsOf("on")).toEqual([
            'bec-guard:baseline is "on": not an object. Fix: give the baseline as a YAML map of families (see stacks/Pulumi.example.yaml)',
        ]);
    });
});
