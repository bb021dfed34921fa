/**
 * The local stack's baseline applied to the local tenant (scenario contoso-bec) the way
 * `pulumi up` would apply it: the program runs under mocks to capture every resource it
 * declares, then each settings resource goes through the SDK's provider host, in declaration
 * order, against the tenant. The tenant's state must then match the stack config, and
 * `pulumi destroy` (deletes in reverse) must put the recorded settings back.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

import { captureResources, testUrn } from "../support/provider-host";
import {
    snapshot,
    startSettingsHarness,
    up,
    type SettingsHarness,
} from "../dynamic-providers/settings-harness";
import { declareBaseline } from "../../stacks/baseline";

const LOCAL_STACK = path.resolve(__dirname, "../../stacks/Pulumi.local.yaml");

/** The settings resources the local stack declares, as the engine would receive them. */
async function declaredByLocalStack() {
    const config: Record<string, unknown> = parse(fs.readFileSync(LOCAL_STACK, "utf8")).config;
    const captured = await captureResources(() => {
        pulumi.runtime.setAllConfig(
            Object.fromEntries(
                Object.entries(config).map(([k, v]) => [
                    k,
                    typeof v === "string" ? v : JSON.stringify(v),
                ]),
            ),
        );
        return declareBaseline(new pulumi.Config("bec-guard"))!;
    });
    return captured
        .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
        .map((r) => ({ type: r.type, urn: testUrn(r.type, r.name), inputs: r.inputs }));
}

function method(state: any, id: string): any {
    return state.policies.authenticationMethodsPolicy.authenticationMethodConfigurations.find(
        (m: any) => m.id === id,
    );
}

/**
 * Every part of the tenant the baseline writes, whole, without what the tenant itself moves on
 * every write (modification times, the admin consent policy's version counter, the ids of
 * permission classifications). The transport
 * config is compared on the properties the scenario gave it: the local Exchange's
 * Set-TransportConfig fills in the defaults of the others, as a real Get- shows them anyway.
 */
function touched(state: any, transportConfigKeys: string[]): Record<string, unknown> {
    const copy = JSON.parse(JSON.stringify(state));
    const transportConfig = Object.fromEntries(
        transportConfigKeys.map((key) => [key, copy.exchange.transportConfig?.[key]]),
    );
    delete copy.policies.authenticationMethodsPolicy.lastModifiedDateTime;
    delete copy.policies.adminConsentRequestPolicy.version;
    return {
        authenticationMethodsPolicy: copy.policies.authenticationMethodsPolicy,
        authorizationPolicy: copy.policies.authorizationPolicy,
        adminConsentRequestPolicy: copy.policies.adminConsentRequestPolicy,
        // A classification deleted and created again on restore gets a new id.
        delegatedPermissionClassifications: (copy.delegatedPermissionClassifications ?? []).map(
            ({ id, ...rest }: any) => (void id, rest),
        ),
        conditionalAccess: copy.conditionalAccess,
        hostedOutboundSpamFilterPolicies: copy.exchange.hostedOutboundSpamFilterPolicies,
        remoteDomains: copy.exchange.remoteDomains,
        transportRules: copy.exchange.transportRules,
        externalInOutlook: copy.exchange.externalInOutlook,
        organizationConfig: copy.exchange.organizationConfig,
        adminAuditLogConfig: copy.exchange.adminAuditLogConfig,
        transportConfig,
        dkimSigningConfigs: copy.exchange.dkimSigningConfigs,
    };
}

describe("the local stack's baseline on the contoso-bec tenant", () => {
    let h: SettingsHarness;
    let before: any;
    let after: any;
    const created: Array<{ urn: string; id: string; outs: Record<string, any> }> = [];
    const failures: string[] = [];

    beforeAll(async () => {
        h = await startSettingsHarness({ scenario: "contoso-bec" });
        before = snapshot(h.tenant);
        for (const resource of await declaredByLocalStack()) {
            try {
                const { id, outs } = await up(h.host, resource);
                created.push({ urn: resource.urn, id, outs });
            } catch (err) {
                // Keep going, so one failing family does not hide what the others did.
                failures.push(`${resource.urn}: ${(err as Error).message}`);
            }
        }
        after = snapshot(h.tenant);
    });

    afterAll(async () => {
        pulumi.runtime.setAllConfig({});
        await h?.stop();
    });

    test("every settings family of the stack was applied", () => {
        expect(failures).toEqual([]);
        expect(created.map((c) => c.urn.slice(c.urn.lastIndexOf("::") + 2)).sort()).toEqual([
            "baseline-authentication-methods-policy",
            "baseline-consent-policy",
            "baseline-exchange-protection-settings",
            "baseline-mail-contoso-com-dkim-keys",
            "baseline-token-protection-policy",
        ]);
    });

    test("authentication methods match the baseline", () => {
        expect(method(after, "Fido2").state).toBe("enabled");
        expect(method(after, "MicrosoftAuthenticator").state).toBe("enabled");
        expect(method(after, "Sms").state).toBe("disabled");
        expect(method(after, "Voice").state).toBe("disabled");
        expect(method(after, "Email").state).toBe("disabled");
        expect(method(after, "TemporaryAccessPass")).toMatchObject({
            state: "enabled",
            defaultLifetimeInMinutes: 60,
            isUsableOnce: true,
        });
    });

    test("user consent is limited to verified publishers, sign-in permissions are low risk, and the admin workflow is on", () => {
        const assigned: string[] =
            after.policies.authorizationPolicy.defaultUserRolePermissions
                .permissionGrantPoliciesAssigned;
        expect(assigned.filter((p) => /^ManagePermissionGrantsForSelf\./i.test(p))).toEqual([
            "ManagePermissionGrantsForSelf.microsoft-user-default-low",
        ]);
        expect(after.policies.adminConsentRequestPolicy.isEnabled).toBe(true);
        expect(
            after.delegatedPermissionClassifications.map((c: any) => [
                c.permissionName,
                c.classification,
            ]),
        ).toEqual([
            ["openid", "low"],
            ["profile", "low"],
            ["email", "low"],
            ["offline_access", "low"],
            ["User.Read", "low"],
        ]);
        expect(JSON.stringify(after.policies.adminConsentRequestPolicy.reviewers)).toContain(
            "62e90394-69f5-4237-9190-012177145e10",
        );
    });

    test("token protection is a report-only policy excluding the break-glass account", () => {
        const policy = after.conditionalAccess.policies.find(
            (p: any) => p.sessionControls?.secureSignInSession?.isEnabled === true,
        );
        expect(policy.state).toBe("enabledForReportingButNotEnforced");
        expect(policy.conditions.users.excludeUsers).toContain(
            "734a9b85-fe0b-4599-89a9-4993762843dc",
        );
    });

    test("Exchange forwarding, Reply-To rule, auditing and SMTP AUTH match the baseline", () => {
        for (const policy of after.exchange.hostedOutboundSpamFilterPolicies) {
            expect(policy.AutoForwardingMode).toBe("Off");
        }
        for (const domain of after.exchange.remoteDomains) {
            expect(domain.AutoForwardEnabled).toBe(false);
        }
        expect(after.exchange.organizationConfig.AuditDisabled).toBe(false);
        expect(after.exchange.adminAuditLogConfig.UnifiedAuditLogIngestionEnabled).toBe(true);
        expect(after.exchange.transportConfig.SmtpClientAuthenticationDisabled).toBe(true);
        const rule = after.exchange.transportRules.find(
            (r: any) => r.Name === "BEC Guard - Reply-To outside the organisation",
        );
        expect(rule).toBeDefined();
        expect(rule.Mode).toBe("Audit");
    });

    test("DKIM keys exist for contoso.com and signing stays off until the CNAMEs are published", () => {
        const config = after.exchange.dkimSigningConfigs.find(
            (c: any) => c.Domain === "contoso.com",
        );
        expect(config.Enabled).toBe(false);
        const keys = created.find((c) => c.urn.endsWith("::baseline-mail-contoso-com-dkim-keys"));
        expect(keys?.outs.selector1Cname).toBe(config.Selector1CNAME);
    });

    test("destroying the stack puts back what the tenant had", async () => {
        for (const resource of [...created].reverse()) {
            await h.host.delete(resource.id, resource.urn, resource.outs);
        }
        const restored = snapshot(h.tenant);
        const keys = Object.keys(before.exchange.transportConfig ?? {});
        expect(touched(restored, keys)).toEqual(touched(before, keys));
    });
});
