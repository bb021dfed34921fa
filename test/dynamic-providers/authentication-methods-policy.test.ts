import {
    AuthenticationMethodsPolicy,
    authenticationMethodsPolicyProvider,
    buildPatches,
    declaredSettings,
    planChange,
    recordSettings,
    validateAuthenticationMethodsPolicy,
    type AuthenticationMethodsPolicyInputs,
    type PolicySnapshot,
} from "../../dynamic-providers/authentication-methods-policy";
import {
    changeTenant,
    configureInProcess,
    declare,
    snapshot,
    startSettingsHarness,
    up,
    writes,
    type SettingsHarness,
} from "./settings-harness";
import { authenticationMethodsInputs } from "../../components/authentication-methods";

// Exactly what the hardening component declares by default (include targets, TAP, campaign).
const BASELINE: AuthenticationMethodsPolicyInputs = authenticationMethodsInputs();

function methodOf(state: any, id: string): any {
    return state.policies.authenticationMethodsPolicy.authenticationMethodConfigurations.find(
        (m: any) => m.id === id,
    );
}

/** The tenant state without the timestamp Graph moves on every write of the policy itself. */
function comparable(state: any): any {
    const copy = JSON.parse(JSON.stringify(state));
    delete copy.policies.authenticationMethodsPolicy.lastModifiedDateTime;
    return copy;
}

describe("AuthenticationMethodsPolicy through the provider host", () => {
    let h: SettingsHarness;
    beforeAll(async () => {
        h = await startSettingsHarness({
            scenario: process.env.BEC_GUARD_SETTINGS_SCENARIO ?? "contoso-bec",
        });
    });
    afterAll(async () => h?.stop());

    it("applies the declared methods and records what the tenant had", async () => {
        const before = snapshot(h.tenant);
        const d = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", BASELINE),
        );

        const { id, outs } = await up(h.host, d);

        const after = snapshot(h.tenant);
        expect(id).toBe("authenticationMethodsPolicy");
        expect(methodOf(after, "Fido2")).toMatchObject({
            state: "enabled",
            isSelfServiceRegistrationAllowed: true,
            includeTargets: [expect.objectContaining({ targetType: "group", id: "all_users" })],
        });
        expect(methodOf(after, "Sms").state).toBe("disabled");
        expect(methodOf(after, "Voice").state).toBe("disabled");
        expect(methodOf(after, "Email")).toMatchObject({
            state: "disabled",
            allowExternalIdToUseEmailOtp: "enabled",
        });
        expect(methodOf(after, "TemporaryAccessPass")).toMatchObject({
            state: "enabled",
            isUsableOnce: true,
        });
        expect(
            methodOf(after, "MicrosoftAuthenticator").featureSettings
                .displayAppInformationRequiredState.state,
        ).toBe("enabled");
        expect(
            methodOf(after, "MicrosoftAuthenticator").featureSettings
                .displayLocationInformationRequiredState.state,
        ).toBe("enabled");
        expect(
            after.policies.authenticationMethodsPolicy.registrationEnforcement
                .authenticationMethodsRegistrationCampaign.state,
        ).toBe("enabled");
        const smsState = outs.previous.find((r: any) => r.field === "sms.state");
        expect(smsState).toEqual({
            field: "sms.state",
            target: "Sms",
            path: ["state"],
            present: true,
            value: methodOf(before, "Sms").state,
        });

        await h.host.delete(id, d.urn, outs);
    });

    it("never sends numberMatchingRequiredState, even when the tenant returns it", async () => {
        changeTenant(h.tenant, (state) => {
            const authenticator = methodOf(state, "MicrosoftAuthenticator");
            authenticator.featureSettings.numberMatchingRequiredState = {
                state: "enabled",
                includeTarget: { targetType: "group", id: "all_users" },
                excludeTarget: { targetType: "group", id: "00000000-0000-0000-0000-000000000000" },
            };
        });
        const d = await declare(
            "methods-nm",
            () =>
                new AuthenticationMethodsPolicy("methods-nm", {
                    microsoftAuthenticator: { showAppName: true },
                }),
        );

        // The local tenant answers 400 to a body carrying it, as Graph does; success proves it was stripped.
        const { id, outs } = await up(h.host, d);

        expect(
            methodOf(snapshot(h.tenant), "MicrosoftAuthenticator").featureSettings
                .displayAppInformationRequiredState.state,
        ).toBe("enabled");
        await h.host.delete(id, d.urn, outs);
    });

    it("reports drift on a declared field changed behind its back, and update converges", async () => {
        const d = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", BASELINE),
        );
        const { id, outs } = await up(h.host, d);

        changeTenant(h.tenant, (state) => (methodOf(state, "Sms").state = "enabled"));
        const read = await h.host.read(id, d.urn, outs);

        expect(read.props.drift).toEqual([
            expect.stringContaining('sms.state: declared "enabled"'.replace("enabled", "disabled")),
        ]);
        const diff = await h.host.diff(id, d.urn, read.props, d.inputs);
        expect(diff.changes).toBe("some");
        const updated = await h.host.update(id, d.urn, read.props, d.inputs);
        expect(methodOf(snapshot(h.tenant), "Sms").state).toBe("disabled");
        expect(updated.outs.previous).toEqual(outs.previous);

        await h.host.delete(id, d.urn, updated.outs);
    });

    it("does not report drift on fields it does not declare", async () => {
        const d = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", { sms: { state: "disabled" } }),
        );
        const { id, outs } = await up(h.host, d);

        changeTenant(h.tenant, (state) => (methodOf(state, "SoftwareOath").state = "disabled"));
        const read = await h.host.read(id, d.urn, outs);

        expect(read.props.drift).toEqual([]);
        expect((await h.host.diff(id, d.urn, read.props, d.inputs)).changes).toBe("none");
        await h.host.delete(id, d.urn, outs);
    });

    it("restores the previous policy exactly on delete", async () => {
        const before = comparable(snapshot(h.tenant));
        const d = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", BASELINE),
        );
        const { id, outs } = await up(h.host, d);
        expect(comparable(snapshot(h.tenant))).not.toEqual(before);

        await h.host.delete(id, d.urn, outs);

        expect(comparable(snapshot(h.tenant))).toEqual(before);
    });

    it("restores pilot-group targets of the methods and the campaign exactly on delete", async () => {
        // A tenant that scoped FIDO2, Authenticator, TAP and the campaign to a pilot group,
        // with settings per target the baseline's targets do not carry.
        const pilot = "4310be70-ea3a-4afa-9464-7e3bde5aaec8"; // contoso-bec's Finance group
        const original = snapshot(h.tenant);
        changeTenant(h.tenant, (state) => {
            methodOf(state, "Fido2").includeTargets = [
                { targetType: "group", id: pilot, isRegistrationRequired: true },
            ];
            methodOf(state, "MicrosoftAuthenticator").includeTargets = [
                {
                    targetType: "group",
                    id: pilot,
                    isRegistrationRequired: false,
                    authenticationMode: "push",
                },
            ];
            methodOf(state, "TemporaryAccessPass").includeTargets = [
                { targetType: "group", id: pilot, isRegistrationRequired: false },
            ];
            const campaign =
                state.policies.authenticationMethodsPolicy.registrationEnforcement
                    .authenticationMethodsRegistrationCampaign;
            campaign.state = "enabled";
            campaign.includeTargets = [
                {
                    id: pilot,
                    targetType: "group",
                    targetedAuthenticationMethod: "microsoftAuthenticator",
                },
            ];
        });
        const before = comparable(snapshot(h.tenant));
        const d = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", BASELINE),
        );
        const { id, outs } = await up(h.host, d);
        expect(methodOf(snapshot(h.tenant), "Fido2").includeTargets).toEqual([
            expect.objectContaining({ id: "all_users" }),
        ]);

        await h.host.delete(id, d.urn, outs);

        const restored = comparable(snapshot(h.tenant));
        h.tenant.control.putState(original);
        expect(restored).toEqual(before);
    });

    it("sends nothing when run again with the tenant already as declared", async () => {
        const d = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", BASELINE),
        );
        const { id, outs } = await up(h.host, d);
        h.tenant.control.clearRequests();

        const again = await h.host.update(id, d.urn, outs, d.inputs);

        expect(writes(h.tenant)).toEqual([]);
        expect(again.outs.previous).toEqual(outs.previous);
        await h.host.delete(id, d.urn, again.outs);
    });

    it("restores a field when it stops being declared", async () => {
        const before = snapshot(h.tenant);
        const d = await declare(
            "methods",
            () =>
                new AuthenticationMethodsPolicy("methods", {
                    sms: { state: "disabled" },
                    voice: { state: "disabled" },
                }),
        );
        const { id, outs } = await up(h.host, d);
        const narrower = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", { sms: { state: "disabled" } }),
        );

        const updated = await h.host.update(id, d.urn, outs, narrower.inputs);

        expect(methodOf(snapshot(h.tenant), "Voice").state).toBe(methodOf(before, "Voice").state);
        expect(updated.outs.previous.map((r: any) => r.field)).toEqual(["sms.state"]);
        await h.host.delete(id, d.urn, updated.outs);
    });

    it("rides out 429 answers with Retry-After", async () => {
        const d = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", { sms: { state: "disabled" } }),
        );
        h.tenant.control.setFaults({
            failNth: [
                {
                    method: "PATCH",
                    pathPattern: "authenticationMethodConfigurations/Sms",
                    n: 1,
                    status: 429,
                    times: 2,
                },
            ],
            retryAfterSeconds: 0,
        });
        try {
            const { id, outs } = await up(h.host, d);
            expect(methodOf(snapshot(h.tenant), "Sms").state).toBe("disabled");
            await h.host.delete(id, d.urn, outs);
        } finally {
            h.tenant.control.setFaults({});
        }
    });

    it("records the resource with its records when a write fails halfway, and the next run finishes", async () => {
        const before = comparable(snapshot(h.tenant));
        const d = await declare(
            "methods",
            () => new AuthenticationMethodsPolicy("methods", BASELINE),
        );
        const checked = await h.host.check(d.urn, {}, d.inputs);
        h.tenant.control.setFaults({
            failNth: [
                {
                    method: "PATCH",
                    pathPattern: "authenticationMethodConfigurations/Voice",
                    n: 1,
                    status: 400,
                },
            ],
        });

        // Created in this process: the host harness cannot carry an init failure this large.
        configureInProcess(h.tenant);
        const failure: any = await authenticationMethodsPolicyProvider.create!(
            checked.inputs,
        ).catch((e) => e);
        h.tenant.control.setFaults({});

        expect(failure.id).toBe("authenticationMethodsPolicy");
        expect(failure.properties.previous.map((r: any) => r.field)).toContain("voice.state");
        const finished = await h.host.update(failure.id, d.urn, failure.properties, checked.inputs);
        expect(methodOf(snapshot(h.tenant), "Voice").state).toBe("disabled");
        await h.host.delete(failure.id, d.urn, finished.outs);
        expect(comparable(snapshot(h.tenant))).toEqual(before);
    });

    it("rejects bad input at preview with the field, the value and the fix", async () => {
        const d = await declare(
            "bad",
            () =>
                new AuthenticationMethodsPolicy("bad", {
                    sms: { state: "off" as any },
                    temporaryAccessPass: {
                        defaultLifetimeInMinutes: 5,
                        minimumLifetimeInMinutes: 60,
                    },
                    microsoftAuthenticator: { numberMatchingRequiredState: "enabled" } as any,
                }),
        );

        const checked = await h.host.check(d.urn, {}, d.inputs);

        expect(checked.failures).toEqual(
            expect.arrayContaining([
                {
                    property: "sms.state",
                    reason: 'sms.state is "off": not an allowed value. Fix: use one of "enabled", "disabled"',
                },
                expect.objectContaining({
                    property: "temporaryAccessPass.defaultLifetimeInMinutes",
                    reason: expect.stringContaining("Fix:"),
                }),
                expect.objectContaining({
                    property: "microsoftAuthenticator.numberMatchingRequiredState",
                    reason: expect.stringContaining("enforced by Microsoft"),
                }),
            ]),
        );
    });
});

describe("authentication methods policy logic", () => {
    const snap: PolicySnapshot = {
        policy: {},
        methods: {
            MicrosoftAuthenticator: {
                "@odata.type":
                    "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
                state: "enabled",
                featureSettings: {
                    displayAppInformationRequiredState: {
                        state: "default",
                        excludeTarget: { targetType: "group", id: "x" },
                    },
                    numberMatchingRequiredState: { state: "enabled" },
                },
            },
            Sms: {
                "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration",
                state: "enabled",
            },
        },
    };

    it("keeps the other members of a complex property it patches", () => {
        const declared = declaredSettings({ microsoftAuthenticator: { showAppName: true } });
        const [patch] = buildPatches(snap, declared);
        expect(patch.body.featureSettings).toEqual({
            displayAppInformationRequiredState: {
                state: "enabled",
                includeTarget: { targetType: "group", id: "all_users" },
                excludeTarget: { targetType: "group", id: "x" },
            },
        });
    });

    it("carries the method's @odata.type in every method patch", () => {
        const [patch] = buildPatches(snap, declaredSettings({ sms: { state: "disabled" } }));
        expect(patch).toEqual({
            target: "Sms",
            body: {
                "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration",
                state: "disabled",
            },
        });
    });

    it("records only the declared fields", () => {
        const records = recordSettings(snap, declaredSettings({ sms: { state: "disabled" } }));
        expect(records).toEqual([
            { field: "sms.state", target: "Sms", path: ["state"], present: true, value: "enabled" },
        ]);
    });

    it("plans no write when the tenant already matches", () => {
        const declared = declaredSettings({ sms: { state: "enabled" } });
        expect(planChange(snap, recordSettings(snap, declared), declared).patches).toEqual([]);
    });

    it("accepts the baseline and an empty declaration", () => {
        expect(validateAuthenticationMethodsPolicy(BASELINE as any)).toEqual([]);
        expect(validateAuthenticationMethodsPolicy({})).toEqual([]);
    });

    it("refuses an allow list with no authenticator models", () => {
        const failures = validateAuthenticationMethodsPolicy({
            fido2: { keyRestrictions: { enforcementType: "allow", aaGuids: [] } },
        });
        expect(failures.map((f) => f.property)).toEqual(["fido2.keyRestrictions.aaGuids"]);
    });
});
