/**
 * The judgements containment makes, on their own: which rules leak or hide mail, which
 * delegates, methods and apps go, what counts as drift, and how evidence keeps originals. A
 * failure here means containment either misses an attacker artifact or breaks a colleague's
 * access.
 */
import {
    emptyEvidence,
    mergeEvidence,
    recordFound,
} from "../../dynamic-providers/quarantine/evidence";
import {
    validateInputs,
    withDefaults,
    parseAccountList,
} from "../../dynamic-providers/quarantine/inputs";
import { folderKey, ruleThreat, viewRule } from "../../dynamic-providers/quarantine/judge";
import { driftOf, planContainment } from "../../dynamic-providers/quarantine/plan";
import { randomPassword } from "../../dynamic-providers/quarantine/secrets";
import type { TenantView } from "../../dynamic-providers/quarantine/steps/snapshot";

const NOW = new Date("2026-12-03T12:00:00Z");
const VALID = {
    user: "megan.bowen@contoso.com",
    incident: "INC-2041",
    reason: "Forwarding rule to an outside address",
    compromisedSince: "2026-11-28T09:14:00Z",
    approvedBy: "isaiah.langer@contoso.com",
};

function view(overrides: Partial<TenantView> = {}): TenantView {
    return {
        at: NOW.toISOString(),
        user: {
            id: "u1",
            userPrincipalName: VALID.user,
            accountEnabled: false,
            userType: "Member",
        },
        userMissing: false,
        methods: [],
        signInPreferences: null,
        grants: [],
        tenantWideGrants: [],
        appRoleAssignments: [],
        mailbox: {
            UserPrincipalName: VALID.user,
            ForwardingSmtpAddress: null,
            ForwardingAddress: null,
            GrantSendOnBehalfTo: [],
        },
        noMailbox: false,
        casMailbox: {
            PopEnabled: false,
            ImapEnabled: false,
            SmtpClientAuthenticationDisabled: true,
        },
        inboxRules: [],
        mailboxPermissions: [],
        recipientPermissions: [],
        folderPermissions: [],
        keptDelegateNames: [],
        gaps: [],
        unread: {},
        ...overrides,
    };
}

describe("inbox rules", () => {
    it("flags an Exchange rule forwarding outside, whatever its name", () => {
        const rule = viewRule({
            Name: ".",
            Identity: "MeganB\\1",
            Enabled: true,
            ForwardTo: ['"x" [SMTP:x@proton.me]'],
        });
        expect(ruleThreat(rule)).toBe("forwards mail to x@proton.me");
    });

    it("flags a Graph rule moving mail to RSS Feeds and one deleting it", () => {
        expect(ruleThreat(viewRule({ id: "a", actions: { moveToFolder: "rssfeeds" } }))).toMatch(
            /rarely used folder/,
        );
        expect(ruleThreat(viewRule({ id: "b", actions: { delete: true } }))).toBe("deletes mail");
    });

    it("leaves a rule filing mail into an ordinary folder alone", () => {
        expect(
            ruleThreat(
                viewRule({ Name: "Finance", MoveToFolder: "MeganB:\\Finance Team", Enabled: true }),
            ),
        ).toBeNull();
    });

    it("reads folder names the way Exchange and Graph write them", () => {
        expect(folderKey("MeganB:\\RSS Feeds")).toBe("rssfeeds");
        expect(folderKey("junkemail")).toBe("junkemail");
        expect(folderKey("MeganB:\\Gelöschte Elemente")).toBe("geloschteelemente");
    });

    const moving = (folder: string, extra: Record<string, unknown> = {}) =>
        ruleThreat(
            viewRule({ Name: "Filing", Identity: "MeganB\\9", MoveToFolder: folder, ...extra }),
        );

    it.each([
        ["a folder made inside RSS Feeds", "MeganB:\\RSS Feeds\\."],
        ["Archive in a German mailbox", "MeganB:\\Archiv"],
        ["Deleted Items in a French mailbox", "MeganB:\\Éléments supprimés"],
        ["Conversation History in a Spanish mailbox", "MeganB:\\Historial de conversaciones"],
    ])("flags a rule moving mail into %s", (_what, folder) => {
        expect(moving(folder)).toMatch(/rarely used folder/);
    });

    it("flags a rule moving mail into a folder named with no letters", () => {
        expect(moving("MeganB:\\..")).toMatch(/named to go unnoticed/);
        expect(moving("MeganB:\\Inbox\\ - ")).toMatch(/named to go unnoticed/);
    });

    it("flags a rule that files mail already marked as read, but not plain filing", () => {
        expect(moving("MeganB:\\Newsletters", { MarkAsRead: true })).toMatch(/marked as read/);
        expect(moving("MeganB:\\Newsletters")).toBeNull();
    });

    it("flags a blank-named rule that hides mail, and one texting mail alerts out", () => {
        const blank = viewRule({ Name: "..", Identity: "MeganB\\3", MarkAsRead: true });
        expect(ruleThreat(blank)).toMatch(/is named "\.\."/);
        const texting = viewRule({
            Name: "Alerts",
            Identity: "MeganB\\4",
            SendTextMessageNotificationTo: ["+15555550123"],
        });
        expect(ruleThreat(texting)).toBe("texts mail alerts to +15555550123");
    });

    it("leaves a rule copying mail to another folder alone (the message stays in the Inbox)", () => {
        const copy = viewRule({
            Name: "Copy",
            Identity: "MeganB\\5",
            CopyToFolder: "MeganB:\\Archive",
        });
        expect(ruleThreat(copy)).toBeNull();
    });
});

describe("the containment plan", () => {
    const inputs = withDefaults(VALID, "megan");

    it("disables only enabled harmful rules that are not allow-listed", () => {
        const rules = [
            { Name: "Fwd", Identity: "M\\1", Enabled: true, RedirectTo: ["a@evil.example"] },
            { Name: "Old", Identity: "M\\2", Enabled: false, RedirectTo: ["a@evil.example"] },
            { Name: "Kept", Identity: "M\\3", Enabled: true, DeleteMessage: true },
        ];
        const plan = planContainment(
            view({ inboxRules: rules }),
            { ...inputs, keep: { ...inputs.keep, inboxRules: ["kept"] } },
            new Map(),
            true,
        );
        expect(plan.filter((a) => a.kind === "disableInboxRule").map((a) => a.target)).toEqual([
            "inboxRules:M\\1",
        ]);
    });

    it("removes delegates but never SELF, Default, Anonymous, inherited rows or the allow-listed (by name too)", () => {
        const plan = planContainment(
            view({
                mailboxPermissions: [
                    {
                        User: "NT AUTHORITY\\SELF",
                        AccessRights: ["FullAccess"],
                        IsInherited: false,
                    },
                    {
                        User: "pradeep.gupta@contoso.com",
                        AccessRights: ["FullAccess"],
                        IsInherited: false,
                    },
                    { User: "admin@contoso.com", AccessRights: ["FullAccess"], IsInherited: true },
                ],
                folderPermissions: [
                    {
                        Identity: "M:\\Calendar",
                        User: "Default",
                        AccessRights: ["AvailabilityOnly"],
                    },
                    { Identity: "M:\\Calendar", User: "Grady Archie", AccessRights: ["Reviewer"] },
                ],
                keptDelegateNames: ["Grady Archie"],
            }),
            { ...inputs, keep: { ...inputs.keep, delegates: ["grady.archie@contoso.com"] } },
            new Map(),
            true,
        );
        expect(plan.filter((a) => a.step === "5").map((a) => a.target)).toEqual([
            "mailboxPermissions:FullAccess:pradeep.gupta@contoso.com",
        ]);
    });

    it("removes a delegate whose name merely starts like a system entry", () => {
        const plan = planContainment(
            view({
                mailboxPermissions: [
                    { User: "defaultadmin@contoso.com", AccessRights: ["FullAccess"] },
                    { User: "anonymous.tips@contoso.com", AccessRights: ["FullAccess"] },
                ],
            }),
            inputs,
            new Map(),
            true,
        );
        expect(plan.filter((a) => a.step === "5").map((a) => a.target)).toEqual([
            "mailboxPermissions:FullAccess:defaultadmin@contoso.com",
            "mailboxPermissions:FullAccess:anonymous.tips@contoso.com",
        ]);
    });

    it("removes every method but the password and the allow-listed, marking the default", () => {
        const plan = planContainment(
            view({
                methods: [
                    { id: "p", "@odata.type": "#microsoft.graph.passwordAuthenticationMethod" },
                    { id: "k", "@odata.type": "#microsoft.graph.fido2AuthenticationMethod" },
                    {
                        id: "a",
                        "@odata.type":
                            "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
                    },
                ],
                signInPreferences: { userPreferredMethodForSecondaryAuthentication: "push" },
            }),
            { ...inputs, keep: { ...inputs.keep, methods: ["fido2"] } },
            new Map(),
            true,
        );
        expect(plan.filter((a) => a.kind === "removeMethod")).toEqual([
            expect.objectContaining({
                id: "a",
                collection: "microsoftAuthenticatorMethods",
                isDefault: true,
            }),
        ]);
    });

    it("keeps an app named by appId, not one merely sharing its display name, and leaves tenant-wide grants alone", () => {
        const EXPENSE = "3851b138-00e2-45bd-a69c-1f5115153382";
        const plan = planContainment(
            view({
                grants: [
                    {
                        id: "g1",
                        clientId: "sp1",
                        consentType: "Principal",
                        scope: "Mail.ReadWrite",
                    },
                    { id: "g2", clientId: "sp2", consentType: "Principal", scope: "User.Read" },
                    { id: "g3", clientId: "sp1", consentType: "AllPrincipals", scope: "User.Read" },
                ],
            }),
            { ...inputs, keep: { ...inputs.keep, apps: [EXPENSE] } },
            new Map([
                ["sp1", { id: "sp1", appId: "0f8a...", displayName: "Contoso Expense" }],
                ["sp2", { id: "sp2", appId: EXPENSE, displayName: "Contoso Expense" }],
            ]),
            true,
        );
        expect(plan.filter((a) => a.step === "7").map((a) => a.target)).toEqual([
            "oauth2PermissionGrants:g1",
        ]);
    });

    it("leaves an app in place, as a failure to retry, when it could not be checked against keep.apps", () => {
        const plan = planContainment(
            view({
                grants: [
                    { id: "g1", clientId: "sp9", consentType: "Principal", scope: "Mail.Read" },
                ],
            }),
            { ...inputs, keep: { ...inputs.keep, apps: ["3851b138-00e2-45bd-a69c-1f5115153382"] } },
            new Map(),
            true,
        );
        expect(plan.filter((a) => a.step === "7")).toEqual([
            expect.objectContaining({
                kind: "revokeGrant",
                undecided: expect.stringMatching(/could not read service principal sp9/),
            }),
        ]);
    });

    it("resets the password once when the incident keeps the account enabled", () => {
        const enabled = view({ user: { id: "u1", accountEnabled: true } });
        const keepEnabled = { ...inputs, steps: { ...inputs.steps, disableAccount: false } };
        const first = planContainment(enabled, keepEnabled, new Map(), false);
        const again = planContainment(enabled, keepEnabled, new Map(), true);
        expect(first.some((a) => a.kind === "resetPassword")).toBe(true);
        expect(again.some((a) => a.kind === "resetPassword")).toBe(false);
    });

    it("resets the password again only when the account was found enabled", () => {
        const disabled = planContainment(view(), inputs, new Map(), true);
        const enabled = planContainment(
            view({ user: { id: "u1", accountEnabled: true } }),
            inputs,
            new Map(),
            true,
        );
        expect(disabled.some((a) => a.kind === "resetPassword")).toBe(false);
        expect(enabled.some((a) => a.kind === "resetPassword")).toBe(true);
    });

    it("reports nothing as drift when containment holds, and mailbox forwarding when it is back", () => {
        expect(driftOf(planContainment(view(), inputs, new Map(), true))).toEqual([]);
        const back = view({
            mailbox: { ...view().mailbox, ForwardingSmtpAddress: "smtp:x@evil.example" },
        });
        expect(driftOf(planContainment(back, inputs, new Map(), true))).toEqual([
            "Mailbox forwarding is set: forwards to x@evil.example.",
        ]);
    });

    it("runs no step that the incident switched off", () => {
        const off = withDefaults(
            { ...VALID, steps: { disableAccount: false, removeAuthenticationMethods: false } },
            "m",
        );
        const plan = planContainment(
            view({
                user: { id: "u1", accountEnabled: true },
                methods: [{ id: "a", "@odata.type": "#microsoft.graph.phoneAuthenticationMethod" }],
            }),
            off,
            new Map(),
            true,
        );
        expect(plan.map((a) => a.kind)).not.toContain("disableAccount");
        expect(plan.map((a) => a.kind)).not.toContain("removeMethod");
    });
});

describe("evidence", () => {
    it("keeps the first version of an object seen twice", () => {
        const evidence = emptyEvidence("INC-1", "u1", VALID.user, "2026-12-01T00:00:00Z");
        recordFound(
            evidence,
            "inboxRules",
            [{ key: "r", object: { Enabled: true } }],
            "2026-12-01T00:00:00Z",
        );
        recordFound(
            evidence,
            "inboxRules",
            [{ key: "r", object: { Enabled: false } }],
            "2026-12-02T00:00:00Z",
        );
        expect(evidence.found.inboxRules).toEqual([
            { key: "r", seenAt: "2026-12-01T00:00:00Z", object: { Enabled: true } },
        ]);
    });

    it("merges a journal without losing either side's originals or changes", () => {
        const a = emptyEvidence("INC-1", "u1", VALID.user, "2026-12-02T00:00:00Z");
        const b = emptyEvidence("INC-1", "u1", VALID.user, "2026-12-01T00:00:00Z");
        recordFound(
            b,
            "authenticationMethods",
            [{ key: "m", object: { id: "m" } }],
            "2026-12-01T00:00:00Z",
        );
        b.changes.push({
            step: "6",
            action: "remove authentication method",
            target: "authenticationMethods:m",
            result: "changed",
            at: "2026-12-01T00:00:01Z",
        });
        const merged = mergeEvidence(a, b);
        expect(merged.found.authenticationMethods.map((i) => i.key)).toEqual(["m"]);
        expect(merged.changes).toHaveLength(1);
        expect(merged.firstSnapshotAt).toBe("2026-12-01T00:00:00Z");
    });
});

describe("inputs and secrets", () => {
    it("accepts a valid quarantine and defaults to contained with every step on", () => {
        expect(validateInputs(VALID, NOW)).toEqual([]);
        const inputs = withDefaults(VALID, "m");
        expect(inputs.state).toBe("contained");
        expect(Object.values(inputs.steps).every(Boolean)).toBe(true);
    });

    it("refuses an app allow-listed by display name, naming the field and the fix", () => {
        const failures = validateInputs({ ...VALID, keep: { apps: ["Contoso Expense"] } }, NOW);
        expect(failures).toEqual([
            {
                property: "keep.apps",
                reason: expect.stringMatching(/"Contoso Expense" is not an appId.*Fix:/s),
            },
        ]);
        const byId = { ...VALID, keep: { apps: ["3851b138-00e2-45bd-a69c-1f5115153382"] } };
        expect(validateInputs(byId, NOW)).toEqual([]);
    });

    it("accepts every character Entra allows in a user name", () => {
        for (const user of ["o'brien@contoso.com", "a!b^c~d_e.f-g#h@contoso.com"]) {
            expect(validateInputs({ ...VALID, user }, NOW)).toEqual([]);
        }
    });

    it("reads the break-glass list from JSON or comma-separated config", () => {
        expect(parseAccountList('["a@x.com","b@x.com"]')).toEqual(["a@x.com", "b@x.com"]);
        expect(parseAccountList("a@x.com, b@x.com")).toEqual(["a@x.com", "b@x.com"]);
    });

    it("makes passwords of four character classes that never repeat", () => {
        const a = randomPassword();
        expect(a).toHaveLength(32);
        expect([/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].every((re) => re.test(a))).toBe(true);
        expect(randomPassword()).not.toBe(a);
    });
});
