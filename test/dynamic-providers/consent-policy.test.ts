import {
    adminConsentBody,
    ConsentPolicy,
    consentPolicyProvider,
    LOW_RISK_PERMISSION_IDS,
    LOW_RISK_PERMISSIONS,
    planClassifications,
    restoredConsentList,
    reviewerQuery,
    userConsentOf,
    validateConsentPolicy,
    withUserConsent,
    type ConsentPolicyInputs,
} from "../../dynamic-providers/consent-policy";
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

// contoso-bec: the CISO-like reviewer and the Finance group.
const REVIEWER = "a229b752-17ec-4704-9971-4b4021745a1c";
const FINANCE = "4310be70-ea3a-4afa-9464-7e3bde5aaec8";
const GLOBAL_ADMIN_ROLE = "62e90394-69f5-4237-9190-012177145e10";

const BASELINE: ConsentPolicyInputs = {
    userConsent: "verifiedPublishersLowRisk",
    adminConsentWorkflow: {
        enabled: true,
        reviewers: [
            { type: "user", id: REVIEWER },
            { type: "group", id: FINANCE },
            { type: "role", id: GLOBAL_ADMIN_ROLE },
        ],
        requestDurationInDays: 14,
    },
    lowRiskPermissions: [...LOW_RISK_PERMISSIONS],
};

// Microsoft Graph's service principal in contoso-bec.
const GRAPH_SP = "4b14817b-2938-4435-a482-700553693a24";

/** The classifications on Microsoft Graph's service principal, as name -> classification. */
function classified(state: any): Record<string, string> {
    return Object.fromEntries(
        (state.delegatedPermissionClassifications ?? [])
            .filter((c: any) => c.servicePrincipalId === GRAPH_SP)
            .map((c: any) => [c.permissionName, c.classification]),
    );
}

function grantPolicies(state: any): string[] {
    return state.policies.authorizationPolicy.defaultUserRolePermissions
        .permissionGrantPoliciesAssigned;
}

/**
 * The tenant state without what Graph moves or makes itself: the admin consent policy's version
 * counter, and the ids of classifications (one replaced on restore comes back with a new id).
 */
function comparable(state: any): any {
    const copy = JSON.parse(JSON.stringify(state));
    delete copy.policies.adminConsentRequestPolicy.version;
    copy.delegatedPermissionClassifications = (copy.delegatedPermissionClassifications ?? []).map(
        ({ id, ...rest }: any) => (void id, rest),
    );
    return copy;
}

describe("ConsentPolicy through the provider host", () => {
    let h: SettingsHarness;
    beforeAll(async () => {
        h = await startSettingsHarness({ scenario: "contoso-bec" });
    });
    afterAll(async () => h?.stop());

    it("limits user consent and turns the admin consent workflow on with the reviewers", async () => {
        const before = snapshot(h.tenant);
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));

        const { id, outs } = await up(h.host, d);

        const after = snapshot(h.tenant);
        expect(userConsentOf(grantPolicies(after))).toBe("verifiedPublishersLowRisk");
        expect(after.policies.adminConsentRequestPolicy).toMatchObject({
            isEnabled: true,
            notifyReviewers: true,
            remindersEnabled: true,
            requestDurationInDays: 14,
            reviewers: [
                expect.objectContaining({ query: `/users/${REVIEWER}` }),
                expect.objectContaining({
                    query: `/groups/${FINANCE}/transitiveMembers/microsoft.graph.user`,
                }),
                expect.objectContaining({ query: expect.stringContaining(GLOBAL_ADMIN_ROLE) }),
            ],
        });
        expect(outs.previous.permissionGrantPoliciesAssigned).toEqual(grantPolicies(before));
        await h.host.delete(id, d.urn, outs);
    });

    it("classifies Microsoft Graph's sign-in permissions low, so verified-publisher consent allows them", async () => {
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));

        const { id, outs } = await up(h.host, d);

        expect(classified(snapshot(h.tenant))).toEqual({
            openid: "low",
            profile: "low",
            email: "low",
            offline_access: "low",
            "User.Read": "low",
        });
        expect(outs.previous.permissionClassifications).toEqual(
            LOW_RISK_PERMISSIONS.map((permissionName) => ({
                permissionName,
                permissionId: LOW_RISK_PERMISSION_IDS[permissionName],
                classification: null,
            })),
        );
        await h.host.delete(id, d.urn, outs);
        expect(classified(snapshot(h.tenant))).toEqual({});
    });

    it("replaces a permission's other classification and puts it back on delete", async () => {
        changeTenant(h.tenant, (state) => {
            state.delegatedPermissionClassifications = [
                {
                    id: "classification-1",
                    servicePrincipalId: GRAPH_SP,
                    permissionId: LOW_RISK_PERMISSION_IDS["User.Read"],
                    permissionName: "User.Read",
                    classification: "medium",
                },
            ];
        });
        const before = comparable(snapshot(h.tenant));
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        const { id, outs } = await up(h.host, d);
        expect(classified(snapshot(h.tenant))["User.Read"]).toBe("low");

        await h.host.delete(id, d.urn, outs);

        const restored = comparable(snapshot(h.tenant));
        changeTenant(h.tenant, (state) => (state.delegatedPermissionClassifications = []));
        expect(restored).toEqual(before);
    });

    it("reports drift when a classification is removed behind its back, and update puts it back", async () => {
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        const { id, outs } = await up(h.host, d);
        changeTenant(h.tenant, (state) => {
            state.delegatedPermissionClassifications =
                state.delegatedPermissionClassifications.filter(
                    (c: any) => c.permissionName !== "offline_access",
                );
        });

        const read = await h.host.read(id, d.urn, outs);

        expect(read.props.drift).toEqual([
            "lowRiskPermissions: declared offline_access classified low, tenant has null",
        ]);
        const updated = await h.host.update(id, d.urn, read.props, d.inputs);
        expect(classified(snapshot(h.tenant)).offline_access).toBe("low");
        expect(updated.outs.previous.permissionClassifications).toEqual(
            outs.previous.permissionClassifications,
        );
        await h.host.delete(id, d.urn, updated.outs);
    });

    it("removes the classification of a permission no longer listed", async () => {
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        const { id, outs } = await up(h.host, d);
        const fewer = await declare(
            "consent",
            () => new ConsentPolicy("consent", { ...BASELINE, lowRiskPermissions: ["openid"] }),
        );

        const updated = await h.host.update(id, d.urn, outs, fewer.inputs);

        expect(classified(snapshot(h.tenant))).toEqual({ openid: "low" });
        expect(updated.outs.previous.permissionClassifications).toEqual([
            expect.objectContaining({ permissionName: "openid", classification: null }),
        ]);
        await h.host.delete(id, d.urn, updated.outs);
        expect(classified(snapshot(h.tenant))).toEqual({});
    });

    it("keeps the non-consent entries of the grant policy list untouched", async () => {
        const teamConsent =
            "managePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team";
        changeTenant(h.tenant, (state) => grantPolicies(state).unshift(teamConsent));
        const d = await declare(
            "consent",
            () => new ConsentPolicy("consent", { userConsent: "disabled" }),
        );

        const { id, outs } = await up(h.host, d);

        expect(grantPolicies(snapshot(h.tenant))).toEqual([teamConsent]);
        await h.host.delete(id, d.urn, outs);
        expect(grantPolicies(snapshot(h.tenant))[0]).toBe(teamConsent);
    });

    it("reports drift when consent is opened behind its back, and update closes it again", async () => {
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        const { id, outs } = await up(h.host, d);

        changeTenant(h.tenant, (state) => {
            state.policies.authorizationPolicy.defaultUserRolePermissions.permissionGrantPoliciesAssigned =
                ["managePermissionGrantsForSelf.microsoft-user-default-legacy"];
            state.policies.adminConsentRequestPolicy.isEnabled = false;
        });
        const read = await h.host.read(id, d.urn, outs);

        expect(read.props.drift).toEqual([
            expect.stringContaining('userConsent: declared "verifiedPublishersLowRisk"'),
            expect.stringContaining("adminConsentWorkflow: declared"),
        ]);
        expect((await h.host.diff(id, d.urn, read.props, d.inputs)).changes).toBe("some");
        const updated = await h.host.update(id, d.urn, read.props, d.inputs);
        const after = snapshot(h.tenant);
        expect(userConsentOf(grantPolicies(after))).toBe("verifiedPublishersLowRisk");
        expect(after.policies.adminConsentRequestPolicy.isEnabled).toBe(true);
        expect(updated.outs.previous).toEqual(outs.previous);
        await h.host.delete(id, d.urn, updated.outs);
    });

    it("restores both policies exactly on delete", async () => {
        const before = comparable(snapshot(h.tenant));
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        const { id, outs } = await up(h.host, d);

        await h.host.delete(id, d.urn, outs);

        expect(comparable(snapshot(h.tenant))).toEqual(before);
    });

    it("sends nothing when run again with the tenant already as declared", async () => {
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        const { id, outs } = await up(h.host, d);
        h.tenant.control.clearRequests();

        await h.host.update(id, d.urn, outs, d.inputs);

        expect(writes(h.tenant)).toEqual([]);
        await h.host.delete(id, d.urn, outs);
    });

    it("puts the workflow back when it stops being declared", async () => {
        const before = comparable(snapshot(h.tenant));
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        const { id, outs } = await up(h.host, d);
        const narrower = await declare(
            "consent",
            () => new ConsentPolicy("consent", { userConsent: "verifiedPublishersLowRisk" }),
        );

        const updated = await h.host.update(id, d.urn, outs, narrower.inputs);

        expect(comparable(snapshot(h.tenant)).policies.adminConsentRequestPolicy).toEqual(
            before.policies.adminConsentRequestPolicy,
        );
        expect(updated.outs.previous.adminConsentRequestPolicy).toBeUndefined();
        await h.host.delete(id, d.urn, updated.outs);
        expect(comparable(snapshot(h.tenant))).toEqual(before);
    });

    it("rides out 429 answers with Retry-After", async () => {
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        h.tenant.control.setFaults({
            failNth: [
                {
                    method: "PUT",
                    pathPattern: "adminConsentRequestPolicy",
                    n: 1,
                    status: 429,
                    times: 2,
                },
            ],
            retryAfterSeconds: 0,
        });
        try {
            const { id, outs } = await up(h.host, d);
            expect(snapshot(h.tenant).policies.adminConsentRequestPolicy.isEnabled).toBe(true);
            await h.host.delete(id, d.urn, outs);
        } finally {
            h.tenant.control.setFaults({});
        }
    });

    it("keeps its record when the second write fails, so the next run can finish and restore", async () => {
        const before = comparable(snapshot(h.tenant));
        const d = await declare("consent", () => new ConsentPolicy("consent", BASELINE));
        const checked = await h.host.check(d.urn, {}, d.inputs);
        h.tenant.control.setFaults({
            failNth: [
                { method: "PUT", pathPattern: "adminConsentRequestPolicy", n: 1, status: 400 },
            ],
        });

        configureInProcess(h.tenant);
        const failure: any = await consentPolicyProvider.create!(checked.inputs).catch((e) => e);
        h.tenant.control.setFaults({});

        expect(failure.properties.previous.permissionGrantPoliciesAssigned).toEqual(
            before.policies.authorizationPolicy.defaultUserRolePermissions
                .permissionGrantPoliciesAssigned,
        );
        const finished = await h.host.update(failure.id, d.urn, failure.properties, checked.inputs);
        await h.host.delete(failure.id, d.urn, finished.outs);
        expect(comparable(snapshot(h.tenant))).toEqual(before);
    });

    it("rejects bad input at preview with the field, the value and the fix", async () => {
        const d = await declare(
            "bad",
            () =>
                new ConsentPolicy("bad", {
                    userConsent: "everyone" as any,
                    adminConsentWorkflow: {
                        enabled: true,
                        reviewers: [{ type: "user", id: "megan.bowen@contoso.com" }],
                        requestDurationInDays: 90,
                    },
                    lowRiskPermissions: ["Mail.Read" as any],
                }),
        );

        const checked = await h.host.check(d.urn, {}, d.inputs);

        expect(checked.failures).toEqual([
            {
                property: "userConsent",
                reason: 'userConsent is "everyone": not an allowed value. Fix: use one of "disabled", "verifiedPublishersLowRisk", "allApps"',
            },
            {
                property: "lowRiskPermissions[0]",
                reason: 'lowRiskPermissions[0] is "Mail.Read": not a sign-in or basic profile permission of Microsoft Graph, so it is never classified low risk here (users could then grant it to any verified publisher\'s app). Fix: use openid, profile, email, offline_access, User.Read; approve apps needing more through the admin consent workflow',
            },
            expect.objectContaining({
                property: "adminConsentWorkflow.requestDurationInDays",
                reason: expect.stringContaining("from 1 to 30"),
            }),
            expect.objectContaining({
                property: "adminConsentWorkflow.reviewers[0].id",
                reason: expect.stringContaining("not a name or UPN"),
            }),
        ]);
    });
});

describe("consent policy logic", () => {
    it("replaces only the user consent entries, keeping the others in place", () => {
        const list = [
            "managePermissionGrantsForOwnedResource.x",
            "ManagePermissionGrantsForSelf.microsoft-user-default-legacy",
        ];
        expect(withUserConsent(list, "verifiedPublishersLowRisk")).toEqual([
            "managePermissionGrantsForOwnedResource.x",
            "ManagePermissionGrantsForSelf.microsoft-user-default-low",
        ]);
        expect(withUserConsent(list, "disabled")).toEqual([
            "managePermissionGrantsForOwnedResource.x",
        ]);
    });

    it("reads the user consent setting whatever the casing", () => {
        expect(userConsentOf(["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"])).toBe(
            "allApps",
        );
        expect(userConsentOf([])).toBe("disabled");
        expect(userConsentOf(["managePermissionGrantsForSelf.custom-policy"])).toBeUndefined();
    });

    it("keeps someone else's later change to non-consent entries when restoring", () => {
        const recorded = ["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"];
        const current = [
            "managePermissionGrantsForSelf.microsoft-user-default-low",
            "managePermissionGrantsForOwnedResource.y",
        ];
        expect(restoredConsentList(recorded, current)).toEqual([
            "managePermissionGrantsForOwnedResource.y",
            "ManagePermissionGrantsForSelf.microsoft-user-default-legacy",
        ]);
    });

    it("builds Graph's reviewer queries for users, groups and roles", () => {
        expect(reviewerQuery({ type: "group", id: FINANCE }).query).toBe(
            `/groups/${FINANCE}/transitiveMembers/microsoft.graph.user`,
        );
        expect(reviewerQuery({ type: "role", id: GLOBAL_ADMIN_ROLE }).query).toBe(
            `/beta/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '${GLOBAL_ADMIN_ROLE}'`,
        );
    });

    it("sends the whole admin consent object, defaults filled in", () => {
        expect(adminConsentBody({ enabled: false })).toEqual({
            isEnabled: false,
            notifyReviewers: true,
            remindersEnabled: true,
            requestDurationInDays: 30,
            reviewers: [],
        });
    });

    it("replaces a classification by deleting it and creating the wanted one", () => {
        const current = [
            {
                id: "c1",
                permissionId: LOW_RISK_PERMISSION_IDS.openid,
                permissionName: "openid",
                classification: "medium",
            },
        ];
        expect(
            planClassifications(current, [
                {
                    permissionName: "openid",
                    permissionId: LOW_RISK_PERMISSION_IDS.openid,
                    classification: "low",
                },
            ]),
        ).toEqual([
            { kind: "delete", id: "c1", permissionName: "openid" },
            {
                kind: "create",
                permissionId: LOW_RISK_PERMISSION_IDS.openid,
                permissionName: "openid",
                classification: "low",
            },
        ]);
    });

    it("requires a reviewer for an enabled workflow", () => {
        const failures = validateConsentPolicy({ adminConsentWorkflow: { enabled: true } });
        expect(failures.map((f) => f.property)).toEqual(["adminConsentWorkflow.reviewers"]);
    });
});
