import {
    DEFAULT_TOKEN_PROTECTION_NAME,
    TOKEN_PROTECTION_APPS,
    tokenProtectionBody,
    tokenProtectionDrift,
    TokenProtectionPolicy,
    upnFilter,
    validateTokenProtectionPolicy,
    writablePolicy,
} from "../../dynamic-providers/token-protection-policy";
import {
    changeTenant,
    declare,
    snapshot,
    startSettingsHarness,
    up,
    writes,
    type SettingsHarness,
} from "./settings-harness";

// contoso-bec's emergency-access account, by UPN and by object id.
const BREAK_GLASS_UPN = "breakglass01@contoso.onmicrosoft.com";
const BREAK_GLASS_ID = "734a9b85-fe0b-4599-89a9-4993762843dc";
// A B2B guest in contoso-bec: its UPN carries "#", which ends a URL's query unless encoded.
const GUEST_UPN = "kat.larson_fabrikam.com#EXT#@contoso.onmicrosoft.com";
const GUEST_ID = "4bc18241-4c48-4a27-aaa3-16d470b30f9c";

function policyNamed(state: any, name: string): any {
    return state.conditionalAccess.policies.find((p: any) => p.displayName === name);
}

describe("TokenProtectionPolicy through the provider host", () => {
    let h: SettingsHarness;
    beforeAll(async () => {
        h = await startSettingsHarness({ scenario: "contoso-bec" });
    });
    afterAll(async () => h?.stop());

    it("creates a report-only beta CA policy binding sessions for Exchange, SharePoint and Teams on Windows", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_UPN] }),
        );

        const { id, outs } = await up(h.host, d);

        const policy = policyNamed(snapshot(h.tenant), DEFAULT_TOKEN_PROTECTION_NAME);
        expect(policy.id).toBe(id);
        expect(policy.state).toBe("enabledForReportingButNotEnforced");
        expect(policy.sessionControls.secureSignInSession.isEnabled).toBe(true);
        expect(policy.conditions.applications.includeApplications).toEqual(
            Object.values(TOKEN_PROTECTION_APPS),
        );
        expect(policy.conditions.platforms.includePlatforms).toEqual(["windows"]);
        expect(policy.conditions.clientAppTypes).toEqual(["mobileAppsAndDesktopClients"]);
        expect(policy.conditions.users.excludeUsers).toEqual([BREAK_GLASS_ID]);
        expect(outs.excludedUserIds).toEqual([BREAK_GLASS_ID]);
        await h.host.delete(id, d.urn, outs);
    });

    it("moves from report-only to enforced by update, in place", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_ID] }),
        );
        const { id, outs } = await up(h.host, d);
        const enforced = await declare(
            "tp",
            () =>
                new TokenProtectionPolicy("tp", {
                    breakGlassAccounts: [BREAK_GLASS_ID],
                    mode: "enforced",
                }),
        );

        expect((await h.host.diff(id, d.urn, outs, enforced.inputs)).changes).toBe("some");
        const updated = await h.host.update(id, d.urn, outs, enforced.inputs);

        expect(policyNamed(snapshot(h.tenant), DEFAULT_TOKEN_PROTECTION_NAME)).toMatchObject({
            id,
            state: "enabled",
        });
        await h.host.delete(id, d.urn, updated.outs);
    });

    it("reports drift when the session control is switched off behind its back", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_ID] }),
        );
        const { id, outs } = await up(h.host, d);

        changeTenant(h.tenant, (state) => {
            const policy = policyNamed(state, DEFAULT_TOKEN_PROTECTION_NAME);
            policy.sessionControls.secureSignInSession.isEnabled = false;
            policy.conditions.users.excludeUsers = [];
        });
        const read = await h.host.read(id, d.urn, outs);

        expect(read.props.drift).toEqual([
            expect.stringContaining("users: declared"),
            expect.stringContaining("secureSignInSession: declared true"),
        ]);
        expect((await h.host.diff(id, d.urn, read.props, d.inputs)).changes).toBe("some");
        await h.host.update(id, d.urn, read.props, d.inputs);
        const policy = policyNamed(snapshot(h.tenant), DEFAULT_TOKEN_PROTECTION_NAME);
        expect(policy.sessionControls.secureSignInSession.isEnabled).toBe(true);
        expect(policy.conditions.users.excludeUsers).toEqual([BREAK_GLASS_ID]);
        await h.host.delete(id, d.urn, outs);
    });

    it("tells the engine the policy is gone when it was deleted behind its back", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_ID] }),
        );
        const { id, outs } = await up(h.host, d);
        changeTenant(h.tenant, (state) => {
            state.conditionalAccess.policies = state.conditionalAccess.policies.filter(
                (p: any) => p.id !== id,
            );
        });

        const read = await h.host.read(id, d.urn, outs);

        expect(read.id).toBe("");
        await h.host.delete(id, d.urn, outs);
    });

    it("leaves the Conditional Access policies exactly as they were after delete", async () => {
        const before = snapshot(h.tenant).conditionalAccess;
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_ID] }),
        );
        const { id, outs } = await up(h.host, d);

        await h.host.delete(id, d.urn, outs);

        expect(snapshot(h.tenant).conditionalAccess).toEqual(before);
    });

    it("finds its own policy after a crash between the POST and the engine recording the id", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_ID] }),
        );
        const first = await up(h.host, d);

        // The engine never heard of `first`: the next run creates again.
        const second = await up(h.host, d);

        expect(second.id).toBe(first.id);
        expect(
            snapshot(h.tenant).conditionalAccess.policies.filter(
                (p: any) => p.displayName === DEFAULT_TOKEN_PROTECTION_NAME,
            ),
        ).toHaveLength(1);
        await h.host.delete(second.id, d.urn, second.outs);
        expect(policyNamed(snapshot(h.tenant), DEFAULT_TOKEN_PROTECTION_NAME)).toBeUndefined();
    });

    it("adopts a different policy of the same name and puts it back on delete", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_ID] }),
        );
        const seeded = await up(h.host, d);
        changeTenant(h.tenant, (state) => {
            // Someone else's policy: off, for all platforms, carrying the deprecated members
            // Graph beta still returns.
            const theirs = policyNamed(state, DEFAULT_TOKEN_PROTECTION_NAME);
            theirs.state = "disabled";
            theirs.conditions.platforms = null;
            theirs.conditions.times = null;
            theirs.conditions.deviceStates = null;
        });
        const before = snapshot(h.tenant).conditionalAccess;

        // Another stack (or a person) made this policy; ours must not delete it.
        const adopted = await up(h.host, d);

        expect(adopted.id).toBe(seeded.id);
        expect(adopted.outs.previous).toMatchObject({ state: "disabled" });
        expect(policyNamed(snapshot(h.tenant), DEFAULT_TOKEN_PROTECTION_NAME).state).toBe(
            "enabledForReportingButNotEnforced",
        );
        await h.host.delete(adopted.id, d.urn, adopted.outs);
        const after = snapshot(h.tenant).conditionalAccess;
        const withoutTimestamp = (policy: any) => ({ ...policy, modifiedDateTime: undefined });
        expect(after.policies.map(withoutTimestamp)).toEqual(before.policies.map(withoutTimestamp));
        await h.host.delete(seeded.id, d.urn, seeded.outs);
    });

    it("sends nothing but reads when refreshed with the tenant as declared", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_ID] }),
        );
        const { id, outs } = await up(h.host, d);
        h.tenant.control.clearRequests();

        const read = await h.host.read(id, d.urn, outs);

        expect(read.props.drift).toEqual([]);
        expect((await h.host.diff(id, d.urn, read.props, d.inputs)).changes).toBe("none");
        expect(writes(h.tenant)).toEqual([]);
        await h.host.delete(id, d.urn, outs);
    });

    it("waits out Conditional Access throttling (429 without Retry-After) between writes", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [BREAK_GLASS_ID] }),
        );
        const enforced = await declare(
            "tp",
            () =>
                new TokenProtectionPolicy("tp", {
                    breakGlassAccounts: [BREAK_GLASS_ID],
                    mode: "enforced",
                }),
        );
        h.tenant.control.clearRequests();

        // Two writes back to back: the tenant admits one CA write per second and answers the
        // second with 429 and no Retry-After, as Graph documents for this bucket.
        const { id, outs } = await up(h.host, d);
        const updated = await h.host.update(id, d.urn, outs, enforced.inputs);

        const throttled = h.tenant.control
            .getRequests()
            .filter((r) => r.status === 429 && /conditionalAccess\/policies/.test(r.path));
        expect(throttled.length).toBeGreaterThan(0);
        expect(policyNamed(snapshot(h.tenant), DEFAULT_TOKEN_PROTECTION_NAME)).toMatchObject({
            id,
            state: "enabled",
        });
        await h.host.delete(id, d.urn, updated.outs);
    });

    it("resolves a guest's break-glass UPN, #EXT# and all", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: [GUEST_UPN] }),
        );

        const { id, outs } = await up(h.host, d);

        expect(outs.excludedUserIds).toEqual([GUEST_ID]);
        expect(
            policyNamed(snapshot(h.tenant), DEFAULT_TOKEN_PROTECTION_NAME).conditions.users
                .excludeUsers,
        ).toEqual([GUEST_ID]);
        await h.host.delete(id, d.urn, outs);
    });

    it("writes nothing for a break-glass UPN that does not exist", async () => {
        const d = await declare(
            "tp",
            () => new TokenProtectionPolicy("tp", { breakGlassAccounts: ["nobody@contoso.com"] }),
        );

        await expect(up(h.host, d)).rejects.toThrow(/nobody@contoso.com/);

        expect(policyNamed(snapshot(h.tenant), DEFAULT_TOKEN_PROTECTION_NAME)).toBeUndefined();
    });

    it("rejects bad input at preview with the field, the value and the fix", async () => {
        const d = await declare(
            "bad",
            () =>
                new TokenProtectionPolicy("bad", { mode: "enforced", includeGroups: ["Finance"] }),
        );

        const checked = await h.host.check(d.urn, {}, d.inputs);

        expect(checked.failures).toEqual([
            {
                property: "includeGroups[0]",
                reason: 'includeGroups[0] is "Finance": not a group object id (GUID). Fix: use a group object id (GUID)',
            },
            expect.objectContaining({
                property: "breakGlassAccounts",
                reason: expect.stringContaining("keep mode reportOnly"),
            }),
        ]);
    });
});

describe("token protection policy logic", () => {
    it("applies to all users unless groups are named", () => {
        expect((tokenProtectionBody({}, []).conditions as any).users.includeUsers).toEqual(["All"]);
        expect(
            (
                tokenProtectionBody({ includeGroups: ["4310be70-ea3a-4afa-9464-7e3bde5aaec8"] }, [])
                    .conditions as any
            ).users.includeUsers,
        ).toEqual([]);
    });

    it("does not count Graph's extra properties as drift", () => {
        const body = tokenProtectionBody({}, [BREAK_GLASS_ID]);
        const actual = JSON.parse(JSON.stringify(body));
        actual.conditions.users.includeRoles = [];
        actual.createdDateTime = "2026-01-01T00:00:00Z";
        expect(tokenProtectionDrift(body, actual)).toEqual([]);
    });

    it("restores an adopted policy with only its writable conditions, clearing the ones ours added", () => {
        const read = {
            id: "p1",
            displayName: "Theirs",
            state: "disabled",
            createdDateTime: "2026-01-01T00:00:00Z",
            conditions: {
                users: { includeUsers: ["All"] },
                applications: { includeApplications: ["All"] },
                clientAppTypes: ["all"],
                times: null,
                deviceStates: null,
            },
            grantControls: {
                operator: "OR",
                authenticationStrength: {
                    id: "00000000-0000-0000-0000-000000000004",
                    displayName: "Phishing-resistant MFA",
                },
            },
        };

        const body = writablePolicy(read) as any;

        expect(Object.keys(body).sort()).toEqual([
            "conditions",
            "displayName",
            "grantControls",
            "state",
        ]);
        expect(body.conditions).not.toHaveProperty("times");
        expect(body.conditions).not.toHaveProperty("deviceStates");
        expect(body.conditions.platforms).toBeNull();
        expect(body.conditions).not.toHaveProperty("userRiskLevels");
        expect(body.conditions.users).toEqual({ includeUsers: ["All"] });
        expect(body.grantControls.authenticationStrength).toEqual({
            id: "00000000-0000-0000-0000-000000000004",
        });
    });

    it("quotes a UPN as an OData string literal", () => {
        expect(upnFilter("o'neil@contoso.com")).toBe("userPrincipalName eq 'o''neil@contoso.com'");
    });

    it("accepts object ids and UPNs for break-glass accounts", () => {
        expect(
            validateTokenProtectionPolicy({
                breakGlassAccounts: [BREAK_GLASS_ID, BREAK_GLASS_UPN],
            }),
        ).toEqual([]);
        expect(
            validateTokenProtectionPolicy({ breakGlassAccounts: ["breakglass"] }).map(
                (f) => f.property,
            ),
        ).toEqual(["breakGlassAccounts[0]"]);
    });
});
