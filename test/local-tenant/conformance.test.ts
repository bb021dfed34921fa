/**
 * Conformance with Microsoft's documented examples: every request/response pair in
 * ../shared/graph-docs/examples.json whose path the local tenant serves is replayed against a
 * tenant seeded with objects that carry the example's ids and values, with a token holding
 * the documented least-privileged application permission. The status must match, and the body
 * must have the documented shape: the same keys with the same JSON types, recursively.
 *
 * The file is reference data outside the repository (its licence does not let us ship it):
 * it is read from there, nothing of it is copied here, and where it is absent (a user's own
 * clone) the suite is skipped with a message saying why.
 *
 * Rules of the comparison:
 * - A truncated documented body (the docs' "truncated": true) may leave out keys Graph
 *   returns, so keys present in our answer and absent from the docs count only when the
 *   documented body is complete. Documented keys must always be present.
 * - `null` in the docs says nothing about a type and matches anything.
 * - Array items are matched by `id` when both sides have one, else by position.
 * - Server-generated annotations that depend on the data volume or the service
 *   (`@odata.nextLink`, `@odata.id`, `@odata.etag`, `@microsoft.graph.tips`) are not compared.
 * - `/me` forms are replayed as `/users/{id}`: app-only tokens have no signed-in user.
 */
import * as fs from "fs";
import * as path from "path";
import type { GraphObject, TenantState, User } from "../../local-tenant/model";
import { METHOD_TYPES } from "../../local-tenant/graph/authentication-methods";
import type { LocalTenant } from "../../local-tenant/server";
import { newMailbox } from "../support/mailbox";
import { startScenarioTenant } from "./graph-support";
import { call, closeAgents, getToken } from "./helpers";

const EXAMPLES_FILE = path.resolve(__dirname, "../../../shared/graph-docs/examples.json");

interface Example {
    page: string;
    name: string;
    exampleIndex: number;
    note?: string;
    request: {
        method: string;
        url: string;
        headers: Record<string, string>;
        body: unknown;
        bodyLenient?: unknown;
    };
    response: { status: number; body: unknown; bodyLenient?: unknown; truncated?: boolean };
    permissions: { application_least: string | null; application_higher: string[] };
    pathTemplates: string[];
}

/** Examples deliberately not replayed, and why. */
const NOT_REPLAYED: Record<string, string> = {
    get_count_only:
        "GET /users/$count (a text/plain count) is not served: BEC Guard never counts users.",
    get_wa_count: "$search is not implemented by the local tenant; BEC Guard filters with $filter.",
    get_to_count:
        "$search is not implemented by the local tenant (and the documented URL has a typo).",
    security_runhuntingquery:
        "POST /security/runHuntingQuery is not served: investigation uses the audit logs.",
    security_runhuntingquery_alt_response: "POST /security/runHuntingQuery is not served.",
    "json-batching-example-request":
        "$batch is covered by the core's batch tests; this concept page's items (/me/memberOf, planner, group delete, " +
        "getPasswordSingleSignOnCredentials) are endpoints the local tenant does not serve.",
};

/** Documented irregularities honoured, by example name. */
const COMPARE_AS_TRUNCATED: Record<string, string> = {};
/** Documented keys Graph does not return in that situation: the example's body is edited. */
const DOCUMENTED_BUT_NOT_RETURNED: Record<string, { paths: string[]; why: string }> = {
    create_conditionalaccesspolicy_from_conditionalaccessroot_4: {
        paths: [
            "$.conditions.userRiskLevels",
            "$.conditions.times",
            "$.conditions.applications.includeProtectionLevels",
        ],
        why:
            "an older page version whose response adds these defaults, which the page's other three complete " +
            "examples (compared strictly) do not show; one answer cannot match both",
    },
    list_users_startswith: {
        paths: ["$.value[0].mailNickname"],
        why: "mailNickname is outside v1.0's default user properties and the request has no $select",
    },
    get_users_signin_last_time: {
        paths: ["$.value[0].id", "$.value[1].id"],
        why: "id is not in the request's $select, and the page's other $select examples leave it out",
    },
};
const PERMISSION_OVERRIDES: Record<string, { roles: string[]; why: string }> = {
    mailfolder_get_messages: {
        roles: ["Mail.Read"],
        why: "the documented response shows body and bodyPreview, which Mail.ReadBasic.All (least) does not return",
    },
    get_users_signin_last_time: {
        roles: ["User.Read.All", "AuditLog.Read.All"],
        why: "the page says signInActivity also needs AuditLog.Read.All",
    },
};

const IGNORED_ANNOTATIONS = new Set([
    "@odata.nextLink",
    "@odata.id",
    "@odata.etag",
    "@microsoft.graph.tips",
]);

function loadExamples(): Example[] | undefined {
    if (!fs.existsSync(EXAMPLES_FILE)) return undefined;
    return JSON.parse(fs.readFileSync(EXAMPLES_FILE, "utf8")) as Example[];
}

const examples = loadExamples();

if (!examples) {
    describe("Graph conformance with Microsoft's documented examples", () => {
        test.skip(`skipped: ${EXAMPLES_FILE} is absent (Microsoft's examples are reference data kept outside the repository)`, () => {
            // Nothing to replay without the reference file.
        });
    });
} else {
    describe("Graph conformance with Microsoft's documented examples", () => {
        let tenant: LocalTenant;
        let base: TenantState;

        beforeAll(async () => {
            tenant = await startScenarioTenant("empty");
            base = structuredClone(tenant.control.getState());
        });
        afterAll(async () => {
            closeAgents();
            await tenant.stop();
        });

        for (const example of examples) {
            const title = `${example.name} (${example.page} #${example.exampleIndex})`;
            if (NOT_REPLAYED[example.name]) {
                test.skip(`${title}: not replayed: ${NOT_REPLAYED[example.name]}`, () => {});
                continue;
            }
            test(`${title} answers the documented status and shape`, async () => {
                const replay = prepare(example, structuredClone(base));
                tenant.control.putState(replay.state);
                const token = await getToken(tenant);

                const answer = await call(tenant, example.request.method, replay.url, {
                    token,
                    body: replay.body,
                    headers: example.request.headers.ConsistencyLevel
                        ? { ConsistencyLevel: "eventual" }
                        : {},
                });

                expect({ status: answer.status, error: answer.body?.error?.message }).toEqual({
                    status: example.response.status,
                    error: undefined,
                });
                const documented = example.response.body ?? example.response.bodyLenient;
                if (
                    documented !== null &&
                    documented !== undefined &&
                    example.response.status !== 204
                ) {
                    const truncated =
                        example.response.truncated === true || example.name in COMPARE_AS_TRUNCATED;
                    const waived = DOCUMENTED_BUT_NOT_RETURNED[example.name]?.paths ?? [];
                    const differences = shapeDifferences(
                        documented,
                        answer.body,
                        "$",
                        truncated,
                    ).filter((d) => !waived.some((p) => d.startsWith(`${p}: documented, missing`)));
                    expect(differences).toEqual([]);
                }
            });
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Shape comparison

function kind(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    return typeof value;
}

/** Differences between the documented shape and ours, as "path: problem" lines. */
export function shapeDifferences(
    doc: unknown,
    ours: unknown,
    at: string,
    truncated: boolean,
): string[] {
    if (doc === null) return [];
    if (kind(doc) !== kind(ours)) return [`${at}: documented ${kind(doc)}, got ${kind(ours)}`];
    if (Array.isArray(doc)) {
        const mine = ours as unknown[];
        const out: string[] = [];
        doc.forEach((item, i) => {
            const id = (item as GraphObject | null)?.id;
            const match =
                id !== undefined
                    ? (mine.find((m) => (m as GraphObject | null)?.id === id) ?? mine[i])
                    : mine[i];
            if (match === undefined) {
                out.push(`${at}[${i}]: documented item missing`);
            } else {
                out.push(...shapeDifferences(item, match, `${at}[${i}]`, truncated));
            }
        });
        if (!truncated && mine.length > doc.length && doc.length > 0) {
            out.push(`${at}: ${mine.length} items, documented ${doc.length}`);
        }
        return out;
    }
    if (typeof doc === "object") {
        const d = doc as GraphObject;
        const o = ours as GraphObject;
        const out: string[] = [];
        for (const key of Object.keys(d)) {
            if (IGNORED_ANNOTATIONS.has(key)) continue;
            if (!(key in o)) {
                out.push(`${at}.${key}: documented, missing`);
            } else {
                out.push(...shapeDifferences(d[key], o[key], `${at}.${key}`, truncated));
            }
        }
        if (!truncated) {
            for (const key of Object.keys(o)) {
                if (!(key in d) && !IGNORED_ANNOTATIONS.has(key))
                    out.push(`${at}.${key}: not documented`);
            }
        }
        return out;
    }
    return [];
}

// ---------------------------------------------------------------------------------------------
// Seeding: a tenant holding the example's objects, and the request rewritten for it

interface Replay {
    state: TenantState;
    url: string;
    body: unknown;
}

/** The documented least permission(s): "X and Y" and "X, Y and Z" name a combination. */
function leastRoles(example: Example): string[] {
    const override = PERMISSION_OVERRIDES[example.name];
    if (override) return override.roles;
    const least = example.permissions.application_least ?? "";
    return least
        .split(/,\s*|\s+and\s+/)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

const SEED_USER_ID = "5b4e2d1c-0a9f-4e8d-b7c6-a5f4e3d2c1b0";

/** A model user carrying a documented user's properties. */
function modelUser(doc: GraphObject, id: string): User {
    const { "@odata.context": _c, ...values } = doc;
    void _c;
    const upn =
        typeof values.userPrincipalName === "string"
            ? values.userPrincipalName
            : `user-${id.slice(0, 8)}@contoso.com`;
    return {
        createdDateTime: "2024-01-01T00:00:00Z",
        signInSessionsValidFromDateTime: "2024-01-01T00:00:00Z",
        lastPasswordChangeDateTime: "2024-01-01T00:00:00Z",
        accountEnabled: true,
        userType: "Member",
        onPremisesSyncEnabled: null,
        authenticationMethods: [],
        memberOf: [],
        mailbox: null,
        displayName: typeof values.displayName === "string" ? values.displayName : upn,
        mail: typeof values.mail === "string" ? values.mail : null,
        ...(values as Partial<User>),
        id,
        userPrincipalName: upn,
    } as User;
}

/** Drops OData annotations (except @odata.type) from a documented object before seeding it. */
function seedable(obj: unknown): GraphObject {
    const out: GraphObject = {};
    for (const [key, value] of Object.entries(obj as GraphObject)) {
        if (key.startsWith("@") && key !== "@odata.type") continue;
        out[key] = value;
    }
    return out;
}

function documentedValues(example: Example): GraphObject[] {
    const body = (example.response.body ?? example.response.bodyLenient) as {
        value?: unknown[];
    } | null;
    return (body?.value ?? []).map(seedable);
}

function documentedEntity(example: Example): GraphObject {
    return seedable(example.response.body ?? {});
}

/** Another example of the same file, for a resource an update example does not show. */
function exampleNamed(name: string): Example {
    return examples!.find((e) => e.name === name)!;
}

/** Ids in the request path: the segment after `name/`. */
function segmentAfter(url: string, name: string): string | undefined {
    const match = new RegExp(`/${name}/([^/?]+)`, "i").exec(url);
    return match ? decodeURIComponent(match[1]) : undefined;
}

function prepare(example: Example, state: TenantState): Replay {
    state.apps[0].graphRoles = leastRoles(example);
    let url = example.request.url.replace("https://graph.microsoft.com", "");
    url = url.replace(/^\/(v1\.0|beta)\/me(?=\/|\?|$)/, `/$1/users/${SEED_USER_ID}`);
    url = url.replace(/\/users\/\{id\}/, `/users/${SEED_USER_ID}`);
    const body = example.request.body ?? example.request.bodyLenient;
    const template = example.pathTemplates.join(" ");
    const userId = segmentAfter(url, "users") ?? SEED_USER_ID;
    const addUser = (doc: GraphObject, id = userId): User => {
        const user = modelUser(doc, id);
        state.users.push(user);
        return user;
    };

    // Users: the documented users themselves, plus what a filter needs to match them.
    const templates = example.pathTemplates;
    if (templates.includes("GET /users")) {
        documentedValues(example).forEach((doc, i) => {
            const id =
                typeof doc.id === "string" ? doc.id : `0000000${i}-1111-4222-8333-444455556666`;
            const user = addUser(doc, id);
            if (example.name === "get_signinname_users") {
                (user as unknown as GraphObject).identities = [
                    {
                        signInType: "emailAddress",
                        issuer: "My B2C tenant",
                        issuerAssignedId: "j.smith@yahoo.com",
                    },
                ];
            }
            if (example.name === "get_b2b_users")
                user.userPrincipalName = "adelev_adatum.com#EXT#@contoso.com";
        });
        return { state, url, body };
    }
    if (templates.includes("GET /users/{id | userPrincipalName}")) {
        addUser(documentedEntity(example));
        return { state, url, body };
    }
    if (
        templates.some((t) =>
            /^PATCH \/users\/\{id \| userPrincipalName\}$|revokeSignInSessions$/.test(t),
        )
    ) {
        addUser({ displayName: "Seeded user" });
        return { state, url, body };
    }

    // Inbox rules: a mailbox holding the documented rules (or the one the request names).
    if (template.includes("messageRules")) {
        const user = addUser({ displayName: "Seeded user", mail: "seeded@contoso.com" });
        user.mailbox = newMailbox("seeded", "seeded@contoso.com");
        const ruleId = segmentAfter(url, "messageRules");
        const docs =
            example.request.method === "GET" && !ruleId
                ? documentedValues(example)
                : ruleId
                  ? [documentedEntity(example)]
                  : [];
        user.mailbox.inboxRules = docs.map((doc, i) => ({
            sequence: 1,
            isEnabled: true,
            displayName: "Seeded rule",
            ...(doc as object),
            id: ruleId ?? String(doc.id ?? `AQAAAAAAAA${i}=`),
        })) as NonNullable<User["mailbox"]>["inboxRules"];
        return { state, url, body };
    }

    // Messages: a mailbox holding the documented messages in the requested folder.
    if (template.includes("/messages")) {
        const user = addUser({ displayName: "Seeded user", mail: "seeded@contoso.com" });
        user.mailbox = newMailbox("seeded", "seeded@contoso.com");
        const folder = segmentAfter(url, "mailFolders") ?? "inbox";
        user.mailbox.messages = documentedValues(example).map((doc, i) => ({
            subject: "",
            ...(doc as object),
            id: String(doc.id ?? `AAMkSeeded${i}`),
            folder,
        })) as NonNullable<User["mailbox"]>["messages"];
        return { state, url, body };
    }

    // Authentication methods.
    if (template.includes("/authentication/")) {
        const user = addUser(
            {
                displayName: "Seeded user",
                userPrincipalName: userId.includes("@") ? userId : undefined,
            } as GraphObject,
            userId.includes("@") ? SEED_USER_ID : userId,
        );
        if (example.request.method === "GET") {
            user.authenticationMethods = documentedValues(example);
        } else if (example.request.method === "DELETE") {
            const segment = /\/authentication\/(\w+)\//.exec(url)![1];
            const type = METHOD_TYPES.find(
                (t) => t.segment.toLowerCase() === segment.toLowerCase(),
            )!;
            user.authenticationMethods = [
                { "@odata.type": type.odataType, id: decodeURIComponent(url.split("/").pop()!) },
            ];
        } else {
            const configs = state.policies.authenticationMethodsPolicy
                .authenticationMethodConfigurations as GraphObject[];
            const tap = configs.find((c) => c.id === "TemporaryAccessPass")!;
            Object.assign(tap, {
                state: "enabled",
                minimumLifetimeInMinutes: 60,
                maximumLifetimeInMinutes: 480,
                defaultLifetimeInMinutes: 60,
            });
        }
        return { state, url, body };
    }

    // Grants and app role assignments.
    if (
        template.includes("oauth2PermissionGrants") ||
        template.includes("oAuth2PermissionGrants")
    ) {
        if (template.includes("/users/")) addUser({ displayName: "Seeded user" });
        if (example.request.method === "DELETE") {
            const id = "seededGrant-0001";
            url = url.replace("{id}", id);
            state.oauth2PermissionGrants = [
                {
                    id,
                    clientId: SEED_USER_ID,
                    consentType: "AllPrincipals",
                    principalId: null,
                    resourceId: SEED_USER_ID,
                    scope: "User.Read",
                },
            ];
        } else {
            state.oauth2PermissionGrants = documentedValues(example);
        }
        return { state, url, body };
    }
    if (template.includes("appRoleAssignments")) {
        addUser({ displayName: "Seeded user" });
        state.appRoleAssignments = documentedValues(example).map((a) => ({
            ...a,
            principalId: userId,
        }));
        return { state, url, body };
    }

    // Service principals: one the app owns (the least permission is Application.ReadWrite.OwnedBy).
    if (template.includes("servicePrincipals")) {
        const id = "6c2b5a4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d";
        url = url.replace("{id}", id);
        state.servicePrincipals.push({
            id,
            appId: "7d3c6b5e-4f3a-4b2c-8d9e-0f1a2b3c4d5e",
            displayName: "Seeded app",
            accountEnabled: true,
            ownerIds: [state.apps[0].servicePrincipalId],
        });
        return { state, url, body };
    }

    // Policies: the documented object, or the GET example's object for an update.
    if (template.includes("/policies/authenticationMethodsPolicy")) {
        state.policies.authenticationMethodsPolicy =
            example.request.method === "GET"
                ? documentedEntity(example)
                : documentedEntity(exampleNamed("get_authenticationmethodspolicy"));
        return { state, url, body };
    }
    if (template.includes("/policies/authorizationPolicy")) {
        state.policies.authorizationPolicy = documentedEntity(
            exampleNamed("policies_authorizationPolicy_get"),
        );
        return { state, url, body };
    }
    if (template.includes("/policies/adminConsentRequestPolicy")) {
        state.policies.adminConsentRequestPolicy = documentedEntity(
            exampleNamed("get_adminconsentrequestpolicy"),
        );
        for (const reviewer of ((body as GraphObject | null)?.reviewers as
            GraphObject[] | undefined) ?? []) {
            addUser({ displayName: "Reviewer" }, String(reviewer.query).split("/").pop()!);
        }
        return { state, url, body };
    }

    // Conditional Access: documented policies and locations; locations a new policy names.
    if (template.includes("/identity/conditionalAccess/policies")) {
        if (example.request.method === "GET") {
            state.conditionalAccess.policies = documentedValues(example);
        } else if (example.request.method === "POST") {
            const conditions = (body as GraphObject).conditions as GraphObject;
            const locations = (conditions.locations ?? {}) as Record<string, string[]>;
            for (const id of [
                ...(locations.includeLocations ?? []),
                ...(locations.excludeLocations ?? []),
            ]) {
                if (/^[0-9a-f-]{36}$/.test(id) && id !== "00000000-0000-0000-0000-000000000000") {
                    state.conditionalAccess.namedLocations.push({
                        "@odata.type": "#microsoft.graph.countryNamedLocation",
                        id,
                        displayName: `Seeded ${id.slice(0, 8)}`,
                        countriesAndRegions: ["US"],
                        includeUnknownCountriesAndRegions: false,
                    });
                }
            }
        } else {
            const id = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
            url = url.replace("{id}", id);
            state.conditionalAccess.policies = [
                {
                    id,
                    displayName: "Seeded policy",
                    state: "disabled",
                    createdDateTime: "2024-01-01T00:00:00Z",
                    modifiedDateTime: null,
                    sessionControls: null,
                    conditions: {
                        users: { includeUsers: ["All"] },
                        applications: { includeApplications: ["All"] },
                        clientAppTypes: ["all"],
                    },
                    grantControls: { operator: "OR", builtInControls: ["mfa"] },
                },
            ];
        }
        return { state, url, body };
    }
    if (template.includes("/identity/conditionalAccess/namedLocations")) {
        state.conditionalAccess.namedLocations = documentedValues(example);
        return { state, url, body };
    }

    // Audit logs.
    if (/auditLogs\/signIns/i.test(template)) {
        state.auditLogs.signIns = documentedValues(example);
        return { state, url, body };
    }
    if (/auditLogs\/directoryaudits/i.test(template)) {
        state.auditLogs.directoryAudits = documentedValues(example);
        return { state, url, body };
    }
    throw new Error(
        `No seeding rule for ${example.name} (${template}): add one or list it in NOT_REPLAYED.`,
    );
}
