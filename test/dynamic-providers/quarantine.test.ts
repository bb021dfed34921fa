/**
 * The Quarantine provider as `pulumi up` runs it: serialized by the SDK, loaded by the SDK's
 * provider host, called over gRPC, against a local tenant with the contoso-bec attack in
 * progress, granted exactly the permission manifest. A failing test here means a responder
 * would be left with an attacker still inside, or with a colleague's access broken.
 */
import type { TenantState, User } from "../../local-tenant/model";
import type { TestTenant } from "../support/local-tenant";
import {
    BREAK_GLASS,
    INC_2041,
    MEGAN,
    MEGAN_FIDO2,
    MEGAN_ID,
    writesIn,
    type Harness,
    startContoso,
    stopContoso,
} from "./quarantine-support";

const PROTON = "ap.remittance.contoso@proton.me";

let tenant: TestTenant;
let h: Harness;
let initial: TenantState;

beforeAll(async () => ({ tenant, h, initial } = await startContoso()), 120_000);
afterAll(() => stopContoso(h, tenant));

function user(upn: string, state: TenantState = tenant.control.getState()): User {
    const found = state.users.find((u) => u.userPrincipalName === upn);
    if (!found) throw new Error(`no user ${upn}`);
    return found;
}

/** Everything about a user except what containment of Megan may touch on Megan. */
function othersOf(state: TenantState) {
    return {
        users: state.users.filter((u) => u.id !== MEGAN_ID),
        grants: state.oauth2PermissionGrants.filter((g) => g.principalId !== MEGAN_ID),
        assignments: state.appRoleAssignments.filter((a) => a.principalId !== MEGAN_ID),
        servicePrincipals: state.servicePrincipals,
        policies: state.policies,
    };
}

describe("check", () => {
    it("accepts the INC-2041 quarantine as the incident file states it", async () => {
        const checked = await h.host.check(h.urn("megan"), {}, h.inputs("megan"));
        expect(checked.failures).toEqual([]);
    });

    it("refuses a bad UPN, a future compromise start and a missing approver, naming each field and its fix", async () => {
        const checked = await h.host.check(
            h.urn("bad"),
            {},
            h.inputs("bad", {
                user: "megan.bowen@",
                compromisedSince: "2099-01-01T00:00:00Z",
                approvedBy: undefined,
            }),
        );
        const byField = Object.fromEntries(checked.failures.map((f) => [f.property, f.reason]));
        expect(byField.user).toMatch(/"megan\.bowen@".*Fix:/);
        expect(byField.compromisedSince).toMatch(/2099-01-01T00:00:00Z is in the future.*Fix:/);
        expect(byField.approvedBy).toMatch(/approvedBy is missing.*Fix:/);
    });

    it("refuses a new quarantine that starts released, since there is nothing to release", async () => {
        const checked = await h.host.check(
            h.urn("new"),
            {},
            h.inputs("new", { state: "released" }),
        );
        expect(checked.failures).toEqual([
            expect.objectContaining({
                property: "state",
                reason: expect.stringMatching(/nothing to release.*Fix:/),
            }),
        ]);
    });

    it("refuses a break-glass account named in bec-guard:breakGlassAccounts at preview", async () => {
        const checked = await h.host.check(h.urn("bg"), {}, h.inputs("bg", { user: BREAK_GLASS }));
        expect(checked.failures).toEqual([
            expect.objectContaining({
                property: "user",
                reason: expect.stringMatching(/break-glass account/),
            }),
        ]);
    });

    it("refuses to move an existing quarantine to another user", async () => {
        const checked = await h.host.check(
            h.urn("megan"),
            h.inputs("megan"),
            h.inputs("megan", { user: "alex.wilber@contoso.com" }),
        );
        expect(checked.failures[0]).toMatchObject({
            property: "user",
            reason: expect.stringMatching(/release this quarantine/),
        });
    });
});

describe("refusals at create change nothing in the tenant", () => {
    beforeEach(() => tenant.control.clearRequests());

    it.each([
        ["an unknown user", "nobody@contoso.com", /does not exist in this tenant/],
        [
            "a user synced from on-premises AD",
            "lynne.robbins@contoso.com",
            /on-premises.*Disable-ADAccount/s,
        ],
        [
            "a guest",
            "kat.larson_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            /guest.*home tenant.*still applies/s,
        ],
        ["a break-glass account", BREAK_GLASS, /break-glass account/],
    ])("refuses %s", async (_what, upn, message) => {
        await expect(
            h.host.create(h.urn("refused"), h.inputs("refused", { user: upn })),
        ).rejects.toThrow(message);
        expect(writesIn(tenant)).toEqual([]);
    });
});

describe("containing the contoso-bec finance user", () => {
    let outs: Record<string, any>;
    let id: string;

    beforeAll(async () => {
        tenant.control.clearRequests();
        const created = await h.host.create(h.urn("megan"), h.inputs("megan"));
        outs = created.outs;
        id = created.id;
    }, 60_000);

    it("records the resource under the incident and the user's object id", () => {
        expect(id).toBe(`INC-2041/${MEGAN_ID}`);
        expect(outs.status).toBe("contained");
        expect(outs.userId).toBe(MEGAN_ID);
    });

    it("cuts the attacker off: account disabled, sessions revoked, password reset with a change forced", () => {
        const before = user(MEGAN, initial);
        const after = user(MEGAN);
        expect(after.accountEnabled).toBe(false);
        expect(after.signInSessionsValidFromDateTime > before.signInSessionsValidFromDateTime).toBe(
            true,
        );
        expect(after.passwordSha256).not.toBe(before.passwordSha256);
        expect(after.passwordProfile?.forceChangePasswordNextSignIn).toBe(true);
    });

    it("disables the forwarding and hiding inbox rules but keeps them, and leaves the user's own rule on", () => {
        const rules = user(MEGAN).mailbox!.inboxRules;
        expect(rules).toHaveLength(3);
        const byId = Object.fromEntries(rules.map((r) => [r.id, r.isEnabled]));
        expect(byId).toEqual({
            "AQAAAJ6Z6yg=": false,
            "AQAAAPZ+srs=": false,
            "AQAAAEz+hjU=": true,
        });
    });

    it("clears mailbox forwarding and removes the attacker-controlled delegate everywhere, keeping the allow-listed one", () => {
        const mailbox = user(MEGAN).mailbox!;
        expect(mailbox.forwardingSmtpAddress).toBeNull();
        expect(mailbox.grantSendOnBehalfTo).toEqual([]);
        expect(mailbox.mailboxPermissions.map((p) => p.user)).not.toContain(
            "pradeep.gupta@contoso.com",
        );
        expect(mailbox.recipientPermissions.map((p) => p.trustee)).not.toContain(
            "pradeep.gupta@contoso.com",
        );
        expect(mailbox.folderPermissions.map((p) => p.user)).not.toContain(
            "pradeep.gupta@contoso.com",
        );
        expect(mailbox.folderPermissions).toContainEqual({
            folder: "\\Calendar",
            user: "grady.archie@contoso.com",
            accessRights: ["Reviewer"],
        });
    });

    it("turns off POP, IMAP and SMTP AUTH for the mailbox", () => {
        const mailbox = user(MEGAN).mailbox!;
        expect([
            mailbox.popEnabled,
            mailbox.imapEnabled,
            mailbox.smtpClientAuthenticationDisabled,
        ]).toEqual([false, false, true]);
    });

    it("removes the attacker's Authenticator and phone and keeps the password and the user's own FIDO2 key", () => {
        const ids = user(MEGAN)
            .authenticationMethods.map((m) => m.id)
            .sort();
        expect(ids).toEqual(["28c10230-6103-485e-b985-444c60001490", MEGAN_FIDO2].sort());
    });

    it("revokes the malicious app's consent and assignment and keeps Contoso Expense", () => {
        const state = tenant.control.getState();
        const megansGrants = state.oauth2PermissionGrants.filter((g) => g.principalId === MEGAN_ID);
        expect(megansGrants).toEqual([]);
        const assignments = state.appRoleAssignments.filter((a) => a.principalId === MEGAN_ID);
        expect(assignments.map((a) => a.resourceDisplayName)).toEqual(["Contoso Expense"]);
        expect(state.oauth2PermissionGrants.some((g) => g.consentType === "AllPrincipals")).toBe(
            true,
        );
    });

    it("changes nothing belonging to anyone else, nor any app or policy", () => {
        expect(othersOf(tenant.control.getState())).toEqual(othersOf(initial));
    });

    it("keeps every changed object in the evidence in full, as it was before", () => {
        const evidence = outs.evidence;
        const changed = evidence.changes.filter((c: any) => c.result === "changed");
        expect(changed.map((c: any) => c.action).sort()).toEqual(
            [
                "disable account",
                "revoke sign-in sessions",
                "reset password",
                "disable inbox rule",
                "disable inbox rule",
                "clear mailbox forwarding",
                "remove send-on-behalf delegate",
                "remove FullAccess delegate",
                "remove SendAs delegate",
                "remove folder delegate",
                "turn off legacy mail protocols",
                "remove authentication method",
                "remove authentication method",
                "revoke app consent grant",
                "remove app role assignment",
            ].sort(),
        );
        const found = (kind: string, key: string) =>
            evidence.found[kind].find((item: any) => item.key === key)?.object;

        // The hidden forwarding rule exactly as Exchange showed it, enabled, with its target.
        const hidden = evidence.found.inboxRules.find((i: any) =>
            JSON.stringify(i.object).includes(PROTON),
        );
        expect(hidden.object).toMatchObject({ Enabled: true, Name: "." });
        expect(JSON.stringify(hidden.object.ForwardTo)).toContain(PROTON);

        // Removed methods, the revoked grant and the removed assignment, whole.
        for (const id of [
            "1a950e17-94da-4075-b940-70f6c3612df8",
            "3179e48a-750b-4051-897c-87b9720928f7",
        ]) {
            expect(found("authenticationMethods", id)).toEqual(
                user(MEGAN, initial).authenticationMethods.find((m) => m.id === id),
            );
        }
        const grant = initial.oauth2PermissionGrants.find((g) => g.principalId === MEGAN_ID)!;
        expect(found("oauth2PermissionGrants", String(grant.id))).toMatchObject(grant);
        expect(found("mailbox", "MeganB") ?? evidence.found.mailbox[0].object).toMatchObject({
            ForwardingSmtpAddress: `smtp:${PROTON}`,
        });
        expect(evidence.found.user[0].object).toMatchObject({ id: MEGAN_ID, accountEnabled: true });

        // Every change has a time; every change's target was recorded before it.
        for (const change of evidence.changes) {
            expect(Date.parse(change.at)).not.toBeNaN();
        }
    });

    it("states the time-to-effect caveat and no Temporary Access Pass", () => {
        expect(outs.caveat).toMatch(/up to 1 hour.*15 minutes/s);
        expect(outs.temporaryAccessPass).toBeNull();
        expect(h.captured.additionalSecretOutputs).toEqual(["temporaryAccessPass", "evidence"]);
    });

    it("prints one progress line per step, prefixed with the resource name", () => {
        for (const n of ["1.", "2.", "3.", "4.", "5.", "6.", "7."]) {
            expect(h.host.output).toMatch(new RegExp(`^megan: ${n.replace(".", "\\.")} `, "m"));
        }
    });

    it("refuses to delete the quarantine while it contains, and changes nothing", async () => {
        const before = JSON.stringify(tenant.control.getState());
        await expect(h.host.delete(id, h.urn("megan"), outs)).rejects.toThrow(
            /still contained.*set state: released/s,
        );
        expect(JSON.stringify(tenant.control.getState())).toBe(before);
    });

    describe("drift", () => {
        let refreshed: Record<string, any>;

        beforeAll(async () => {
            // Behind the quarantine's back: the account is enabled again and a new rule forwards out.
            const megan = user(MEGAN);
            megan.accountEnabled = true;
            megan.mailbox!.inboxRules.push({
                id: "AQAAAAEAAAA=",
                displayName: "Sync",
                sequence: 9,
                isEnabled: true,
                actions: { redirectTo: [{ emailAddress: { address: "drop@evil.example" } }] },
            });
            refreshed = (await h.host.read(id, h.urn("megan"), outs)).props;
        }, 60_000);

        it("reports the account enabled again and the new redirecting rule on refresh", () => {
            expect(refreshed.drift).toEqual([
                "The account is enabled again.",
                expect.stringMatching(
                    /Inbox rule "Sync" is enabled: it redirects mail to drop@evil\.example/,
                ),
            ]);
        });

        it("shows as a change in preview, so the next up contains again", async () => {
            const diff = await h.host.diff(id, h.urn("megan"), refreshed, h.inputs("megan"));
            expect(diff.changes).toBe("some");
            expect(diff.replaces).toEqual([]);
        });

        it("contains again on update and keeps the new rule's original in the evidence", async () => {
            const updated = await h.host.update(id, h.urn("megan"), refreshed, h.inputs("megan"));
            expect(updated.outs.status).toBe("contained");
            expect(user(MEGAN).accountEnabled).toBe(false);
            expect(
                user(MEGAN).mailbox!.inboxRules.find((r) => r.displayName === "Sync")!.isEnabled,
            ).toBe(false);
            const sync = updated.outs.evidence.found.inboxRules.find(
                (i: any) => i.object.Name === "Sync",
            );
            expect(sync.object.Enabled).toBe(true);
            const again = await h.host.read(id, h.urn("megan"), updated.outs);
            expect(again.props.drift).toEqual([]);
            outs = updated.outs;
        }, 60_000);
    });

    describe("release", () => {
        let released: Record<string, any>;

        beforeAll(async () => {
            released = (
                await h.host.update(
                    id,
                    h.urn("megan"),
                    outs,
                    h.inputs("megan", { state: "released" }),
                )
            ).outs;
        }, 60_000);

        it("enables the account and revokes sessions again", () => {
            expect(released.status).toBe("released");
            expect(user(MEGAN).accountEnabled).toBe(true);
            const revokes = released.evidence.changes.filter(
                (c: any) => c.action === "revoke sign-in sessions",
            );
            expect(revokes.length).toBeGreaterThanOrEqual(2);
        });

        it("issues a one-time Temporary Access Pass that appears only in the secret output", () => {
            const pass = released.temporaryAccessPass;
            expect(typeof pass).toBe("string");
            expect(pass.length).toBeGreaterThanOrEqual(8);
            const { temporaryAccessPass: _pass, ...rest } = released;
            expect(JSON.stringify(rest)).not.toContain(pass);
            expect(h.host.output).not.toContain(pass);
            const tap = user(MEGAN).authenticationMethods.find((m) =>
                String(m["@odata.type"]).includes("temporaryAccessPass"),
            );
            expect(tap).toMatchObject({ isUsableOnce: true });
        });

        it("keeps the evidence of the containment", () => {
            expect(released.evidence.changes.length).toBeGreaterThan(outs.evidence.changes.length);
            expect(released.evidence.found.inboxRules.length).toBeGreaterThanOrEqual(4);
        });

        it("reports no drift once released, and deleting it then changes nothing in the tenant", async () => {
            const read = await h.host.read(id, h.urn("megan"), released);
            expect(read.props.drift).toEqual([]);
            const before = JSON.stringify(tenant.control.getState());
            tenant.control.clearRequests();
            await h.host.delete(id, h.urn("megan"), released);
            expect(JSON.stringify(tenant.control.getState())).toBe(before);
            expect(writesIn(tenant)).toEqual([]);
        });
    });
});

describe("when the attacker's method is the default and the user keeps their own Authenticator", () => {
    const PHONE = "3179e48a-750b-4051-897c-87b9720928f7";
    const AUTHENTICATOR = "1a950e17-94da-4075-b940-70f6c3612df8";
    let outs: Record<string, any>;

    beforeAll(async () => {
        const state = structuredClone(initial);
        user(MEGAN, state).defaultMethodId = PHONE;
        tenant.control.putState(state);
        const keep = { ...INC_2041.keep, methods: [MEGAN_FIDO2, AUTHENTICATOR] };
        outs = (
            await h.host.create(
                h.urn("default"),
                h.inputs("default", { incident: "INC-2044", keep }),
            )
        ).outs;
    }, 60_000);

    it("makes the kept Authenticator the default, then removes the attacker's phone", () => {
        expect(outs.status).toBe("contained");
        const megan = user(MEGAN);
        expect(megan.authenticationMethods.map((m) => m.id).sort()).toEqual(
            ["28c10230-6103-485e-b985-444c60001490", MEGAN_FIDO2, AUTHENTICATOR].sort(),
        );
        expect(megan.defaultMethodId).toBe(AUTHENTICATOR);
        const change = outs.evidence.changes.find(
            (c: any) => c.action === "make a kept method the default",
        );
        expect(change).toMatchObject({
            result: "changed",
            before: { userPreferredMethodForSecondaryAuthentication: "sms" },
        });
    });
});
