/**
 * Who may consent to applications, as a Pulumi resource over two tenant singletons:
 * - `authorizationPolicy.defaultUserRolePermissions.permissionGrantPoliciesAssigned`: the user
 *   consent setting. Only the `ManagePermissionGrantsForSelf.*` entries are user consent; the
 *   list also holds other entries (for example `ManagePermissionGrantsForOwnedResource.*`, team
 *   and chat consent), which this resource never touches.
 * - `adminConsentRequestPolicy`: the admin consent workflow (users ask, named reviewers decide).
 *   Graph takes it by PUT, so the whole object is always sent.
 * - the delegated permission classifications of Microsoft Graph's service principal: user
 *   consent `verifiedPublishersLowRisk` lets users consent only to permissions classified low,
 *   so a tenant that classified none lets them consent to nothing. The resource classifies the
 *   sign-in permissions it is given (openid, profile, email, offline_access, User.Read) as low.
 *
 * Both cannot be created or deleted: create records what the tenant had, delete restores it.
 * An illicit consent grant is how a BEC attacker keeps mailbox access after a password reset,
 * so the baseline limits user consent and routes everything else to reviewers.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    checkBoolean,
    checkInteger,
    checkOneOf,
    clone,
    declaredEntries,
    deepEqual,
    describeError,
    inputFailure,
    InputFailure,
    isGuid,
    isObject,
    partialFailure,
    progress,
    settingsDiff,
    showValue,
    withoutODataControl,
} from "./settings-support";
import { openGraph, PolicyGraph, rememberConfig } from "./settings-clients";

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/**
 * - `disabled`: users cannot consent to any app; every request goes to the admin workflow.
 * - `verifiedPublishersLowRisk`: users may consent only to apps from verified publishers asking
 *   for permissions classified low-risk (Microsoft's recommended setting).
 * - `allApps`: users may consent to any app for any permission that needs no admin (the legacy
 *   default; how most illicit consent grants happen).
 */
export type UserConsent = "disabled" | "verifiedPublishersLowRisk" | "allApps";

export const USER_CONSENT_VALUES: readonly UserConsent[] = [
    "disabled",
    "verifiedPublishersLowRisk",
    "allApps",
];

/** A reviewer of admin consent requests. */
export interface ConsentReviewer {
    /** `user`, `group` (its members, transitively) or `role` (everyone assigned the directory role). */
    type: "user" | "group" | "role";
    /** The user's or group's object id, or the directory role's template id (a GUID). */
    id: string;
}

export interface AdminConsentWorkflow {
    /**
     * Turns the workflow on: users who cannot consent can ask for admin review. Risk if off with
     * consent disabled: users have no way to ask, and look for workarounds.
     */
    enabled: boolean;
    /** Who reviews requests. Required (at least one) when `enabled`. */
    reviewers?: ConsentReviewer[];
    /** Reviewers get an email for each new request. Default true. */
    notifyReviewers?: boolean;
    /** Reviewers get reminders before a request expires. Default true. */
    remindersEnabled?: boolean;
    /** Days before an unanswered request expires (1 to 30). Default 30. */
    requestDurationInDays?: number;
}

export interface ConsentPolicyInputs {
    /**
     * The user consent setting. Default: not managed. Risk if `allApps`: any user can hand an
     * attacker's app standing access to their mailbox.
     */
    userConsent?: UserConsent;
    /** The admin consent workflow, replaced as a whole. Default: not managed. */
    adminConsentWorkflow?: AdminConsentWorkflow;
    /**
     * Microsoft Graph delegated permissions, by name, classified `low` so that user consent
     * `verifiedPublishersLowRisk` lets users consent to them: only the sign-in and basic profile
     * permissions in `LOW_RISK_PERMISSION_IDS`. Default: not managed. Risk if empty while user
     * consent is `verifiedPublishersLowRisk`: users can consent to nothing (every sign-in with a
     * new app becomes an admin consent request) unless the tenant classified some itself.
     */
    lowRiskPermissions?: LowRiskPermission[];
}

export type ConsentPolicyArgs = {
    [K in keyof ConsentPolicyInputs]?: pulumi.Input<ConsentPolicyInputs[K]>;
};

// ---------------------------------------------------------------------------------------------
// Pure logic
// ---------------------------------------------------------------------------------------------

/** Microsoft Graph's application id: its service principal holds the classifications. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/**
 * The delegated permissions of Microsoft Graph that may be classified low risk here, with their
 * ids (the same in every tenant). Sign-in and the user's own basic profile only, as Microsoft
 * recommends; a permission reaching mail, files or other users is never "low" in a BEC
 * baseline: an app granted it by a phished user reads what the attacker wants.
 */
export const LOW_RISK_PERMISSION_IDS = {
    openid: "37f7f235-527c-4136-accd-4a02d197296e",
    profile: "14dad69e-099b-42c9-810b-d002981feec1",
    email: "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    offline_access: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
} as const;

export type LowRiskPermission = keyof typeof LOW_RISK_PERMISSION_IDS;

export const LOW_RISK_PERMISSIONS = Object.keys(LOW_RISK_PERMISSION_IDS) as LowRiskPermission[];

/** The built-in permission grant policy behind each user consent setting (none for disabled). */
export const USER_CONSENT_POLICIES: Record<UserConsent, string | undefined> = {
    disabled: undefined,
    verifiedPublishersLowRisk: "ManagePermissionGrantsForSelf.microsoft-user-default-low",
    allApps: "ManagePermissionGrantsForSelf.microsoft-user-default-legacy",
};

const SELF_PREFIX = "managepermissiongrantsforself.";

/** Whether an assigned policy entry is a user consent entry (Graph's casing varies). */
export function isUserConsentEntry(entry: string): boolean {
    return entry.toLowerCase().startsWith(SELF_PREFIX);
}

/**
 * The new `permissionGrantPoliciesAssigned` for a user consent setting: every entry that is not
 * user consent kept in place and order, the user consent entries replaced by the one we want.
 */
export function withUserConsent(current: readonly string[], consent: UserConsent): string[] {
    const others = current.filter((e) => !isUserConsentEntry(e));
    const wanted = USER_CONSENT_POLICIES[consent];
    return wanted ? [...others, wanted] : others;
}

/** Reads the user consent setting from the list, or undefined for a combination we do not name. */
export function userConsentOf(current: readonly string[]): UserConsent | undefined {
    const self = current.filter(isUserConsentEntry).map((e) => e.toLowerCase());
    if (self.length === 0) return "disabled";
    if (self.length > 1) return undefined;
    return USER_CONSENT_VALUES.find((v) => USER_CONSENT_POLICIES[v]?.toLowerCase() === self[0]);
}

/**
 * The list to put back on delete. When the non-consent entries are as we found them, the
 * recorded list returns exactly (order included); when someone changed them since, their
 * change is kept and only the recorded user consent entries come back.
 */
export function restoredConsentList(
    recorded: readonly string[],
    current: readonly string[],
): string[] {
    const recordedOthers = recorded.filter((e) => !isUserConsentEntry(e));
    const currentOthers = current.filter((e) => !isUserConsentEntry(e));
    if (deepEqual(recordedOthers, currentOthers)) return [...recorded];
    return [...currentOthers, ...recorded.filter(isUserConsentEntry)];
}

/** Graph's reviewer query for each reviewer kind. */
export function reviewerQuery(reviewer: ConsentReviewer): { query: string; queryType: string } {
    const query =
        reviewer.type === "user"
            ? `/users/${reviewer.id}`
            : reviewer.type === "group"
              ? `/groups/${reviewer.id}/transitiveMembers/microsoft.graph.user`
              : `/beta/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '${reviewer.id}'`;
    return { query, queryType: "MicrosoftGraph" };
}

/** The whole adminConsentRequestPolicy object we PUT for a workflow declaration. */
export function adminConsentBody(workflow: AdminConsentWorkflow): Record<string, unknown> {
    return {
        isEnabled: workflow.enabled,
        notifyReviewers: workflow.notifyReviewers ?? true,
        remindersEnabled: workflow.remindersEnabled ?? true,
        requestDurationInDays: workflow.requestDurationInDays ?? 30,
        reviewers: (workflow.reviewers ?? []).map(reviewerQuery),
    };
}

/**
 * The writable part of a read adminConsentRequestPolicy, as read (what a PUT can put back):
 * everything except the read-only `id` and `version` and OData annotations.
 */
export function writableAdminConsent(policy: Record<string, unknown>): Record<string, unknown> {
    const clean = withoutODataControl(clone(policy ?? {}));
    delete clean.id;
    delete clean.version;
    return clean;
}

/** Whether the tenant's admin consent policy already is what we declare (reviewers in any order). */
export function adminConsentMatches(
    declared: Record<string, unknown>,
    actual: Record<string, unknown>,
): boolean {
    const norm = (p: Record<string, unknown>) => {
        const w = writableAdminConsent(p);
        const reviewers = (Array.isArray(w.reviewers) ? w.reviewers : [])
            .map(
                (r: Record<string, unknown>) =>
                    `${r.queryType}|${String(r.query).toLowerCase()}|${r.queryRoot ?? ""}`,
            )
            .sort();
        return {
            isEnabled: w.isEnabled,
            notifyReviewers: w.notifyReviewers,
            remindersEnabled: w.remindersEnabled,
            requestDurationInDays: w.requestDurationInDays,
            reviewers,
        };
    };
    return deepEqual(norm(declared), norm(actual));
}

/** The inputs a ConsentPolicy declares (everything else in its state is output). */
const INPUT_KEYS = ["userConsent", "adminConsentWorkflow", "lowRiskPermissions"];

function checkLowRiskPermissions(failures: InputFailure[], value: unknown): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
        failures.push(
            inputFailure(
                "lowRiskPermissions",
                value,
                "not a list",
                `give a list of permission names from ${LOW_RISK_PERMISSIONS.join(", ")}`,
            ),
        );
        return;
    }
    value.forEach((name, i) => {
        if (LOW_RISK_PERMISSIONS.includes(name as LowRiskPermission)) return;
        failures.push(
            inputFailure(
                `lowRiskPermissions[${i}]`,
                name,
                "not a sign-in or basic profile permission of Microsoft Graph, so it is never classified low risk here (users could then grant it to any verified publisher's app)",
                `use ${LOW_RISK_PERMISSIONS.join(", ")}; approve apps needing more through the admin consent workflow`,
            ),
        );
    });
}

/** Validates inputs at preview time. */
export function validateConsentPolicy(inputs: Record<string, unknown>): InputFailure[] {
    const failures: InputFailure[] = [];

    // 1. Known keys only.
    for (const [key, value] of declaredEntries(inputs)) {
        if (!INPUT_KEYS.includes(key)) {
            failures.push(
                inputFailure(
                    key,
                    value,
                    "not a setting of the consent policy",
                    `use one of ${INPUT_KEYS.join(", ")}`,
                ),
            );
        }
    }

    // 2. User consent, and the permissions users may consent to under verifiedPublishersLowRisk.
    checkOneOf(failures, "userConsent", inputs.userConsent, USER_CONSENT_VALUES);
    checkLowRiskPermissions(failures, inputs.lowRiskPermissions);

    // 3. The admin consent workflow.
    const workflow = inputs.adminConsentWorkflow;
    if (workflow === undefined) return failures;
    if (!isObject(workflow)) {
        failures.push(
            inputFailure(
                "adminConsentWorkflow",
                workflow,
                "not an object",
                "give { enabled: true, reviewers: [...] }",
            ),
        );
        return failures;
    }
    const known = [
        "enabled",
        "reviewers",
        "notifyReviewers",
        "remindersEnabled",
        "requestDurationInDays",
    ];
    for (const key of Object.keys(workflow)) {
        if (workflow[key] !== undefined && !known.includes(key)) {
            failures.push(
                inputFailure(
                    `adminConsentWorkflow.${key}`,
                    workflow[key],
                    "not a setting of the workflow",
                    `use one of ${known.join(", ")}`,
                ),
            );
        }
    }
    if (typeof workflow.enabled !== "boolean") {
        failures.push(
            inputFailure(
                "adminConsentWorkflow.enabled",
                workflow.enabled,
                "required and must be a boolean",
                "set true to turn the workflow on, false to turn it off",
            ),
        );
    }
    checkBoolean(failures, "adminConsentWorkflow.notifyReviewers", workflow.notifyReviewers);
    checkBoolean(failures, "adminConsentWorkflow.remindersEnabled", workflow.remindersEnabled);
    checkInteger(
        failures,
        "adminConsentWorkflow.requestDurationInDays",
        workflow.requestDurationInDays,
        1,
        30,
    );

    const reviewers = workflow.reviewers;
    if (reviewers !== undefined && !Array.isArray(reviewers)) {
        failures.push(
            inputFailure(
                "adminConsentWorkflow.reviewers",
                reviewers,
                "not a list",
                'give [{ type: "user", id: "<object id>" }, ...]',
            ),
        );
        return failures;
    }
    if (workflow.enabled === true && (!Array.isArray(reviewers) || reviewers.length === 0)) {
        failures.push(
            inputFailure(
                "adminConsentWorkflow.reviewers",
                reviewers,
                "an enabled workflow needs at least one reviewer, or requests go nowhere",
                'add { type: "user" | "group" | "role", id: "<GUID>" }',
            ),
        );
    }
    (Array.isArray(reviewers) ? reviewers : []).forEach((r: unknown, i: number) => {
        const field = `adminConsentWorkflow.reviewers[${i}]`;
        if (!isObject(r)) {
            failures.push(
                inputFailure(field, r, "not an object", 'use { type: "user", id: "<object id>" }'),
            );
            return;
        }
        checkOneOf(failures, `${field}.type`, r.type, ["user", "group", "role"]);
        if (r.type === undefined) {
            failures.push(
                inputFailure(
                    `${field}.type`,
                    undefined,
                    "required",
                    'use "user", "group" or "role"',
                ),
            );
        }
        if (!isGuid(r.id)) {
            const what =
                r.type === "role"
                    ? "the directory role's template id"
                    : `the ${String(r.type ?? "user")}'s object id`;
            failures.push(
                inputFailure(
                    `${field}.id`,
                    r.id,
                    "not a GUID",
                    `use ${what} (a GUID), not a name or UPN`,
                ),
            );
        }
    });
    return failures;
}

/** What the tenant had before this resource changed it. */
export interface ConsentRecord {
    /** The whole permissionGrantPoliciesAssigned list, when user consent is declared. */
    permissionGrantPoliciesAssigned?: string[];
    /** The writable adminConsentRequestPolicy, when the workflow is declared. */
    adminConsentRequestPolicy?: Record<string, unknown>;
    /**
     * For each declared low-risk permission, its classification before (null: none), when
     * `lowRiskPermissions` is declared.
     */
    permissionClassifications?: RecordedClassification[];
}

/** What one permission was classified as before this resource classified it low. */
export interface RecordedClassification {
    permissionName: string;
    permissionId: string;
    /** `low`, `medium` or `high`, or null when it had no classification. */
    classification: string | null;
}

/** One classification on Microsoft Graph's service principal, as Graph returns it. */
export interface PermissionClassification {
    id: string;
    permissionId: string;
    permissionName?: string | null;
    classification: string;
}

/** The classification the tenant has for a permission, if any. */
function classificationOf(
    current: readonly PermissionClassification[],
    permissionId: string,
): PermissionClassification | undefined {
    return current.find((c) => String(c.permissionId).toLowerCase() === permissionId);
}

/** What the tenant has now for each of these permissions (before we change it). */
export function recordClassifications(
    current: readonly PermissionClassification[],
    names: readonly LowRiskPermission[],
): RecordedClassification[] {
    return names.map((permissionName) => {
        const permissionId = LOW_RISK_PERMISSION_IDS[permissionName];
        return {
            permissionName,
            permissionId,
            classification: classificationOf(current, permissionId)?.classification ?? null,
        };
    });
}

/** One change to the classifications: delete one (by its id), or create one. */
export type ClassificationWrite =
    | { kind: "delete"; id: string; permissionName: string }
    | { kind: "create"; permissionId: string; permissionName: string; classification: string };

/**
 * The writes that give each permission the classification wanted (null: none). Graph has no
 * update for a classification, so a different one is deleted and the wanted one created.
 */
export function planClassifications(
    current: readonly PermissionClassification[],
    wanted: ReadonlyArray<{
        permissionName: string;
        permissionId: string;
        classification: string | null;
    }>,
): ClassificationWrite[] {
    return wanted.flatMap((w): ClassificationWrite[] => {
        const now = classificationOf(current, w.permissionId.toLowerCase());
        if ((now?.classification ?? null) === w.classification) return [];
        const remove: ClassificationWrite[] = now
            ? [{ kind: "delete", id: now.id, permissionName: w.permissionName }]
            : [];
        const create: ClassificationWrite[] =
            w.classification === null
                ? []
                : [
                      {
                          kind: "create",
                          permissionId: w.permissionId,
                          permissionName: w.permissionName,
                          classification: w.classification,
                      },
                  ];
        return [...remove, ...create];
    });
}

/** The declared permissions as classifications wanted: every one low. */
function lowRiskWanted(names: readonly LowRiskPermission[]): RecordedClassification[] {
    return names.map((permissionName) => ({
        permissionName,
        permissionId: LOW_RISK_PERMISSION_IDS[permissionName],
        classification: "low",
    }));
}

/** Inputs without outputs and bookkeeping. */
export function consentInputsOf(props: Record<string, any>): ConsentPolicyInputs {
    const out: ConsentPolicyInputs = {};
    if (props.userConsent !== undefined) out.userConsent = props.userConsent;
    if (props.adminConsentWorkflow !== undefined)
        out.adminConsentWorkflow = props.adminConsentWorkflow;
    if (props.lowRiskPermissions !== undefined) out.lowRiskPermissions = props.lowRiskPermissions;
    return out;
}

/** Drift lines for declared settings the tenant no longer matches. */
export function consentDrift(inputs: ConsentPolicyInputs, tenant: ConsentTenantState): string[] {
    const drift: string[] = [];
    if (inputs.userConsent !== undefined) {
        const actual = userConsentOf(tenant.permissionGrantPoliciesAssigned);
        if (actual !== inputs.userConsent) {
            drift.push(
                `userConsent: declared "${inputs.userConsent}", tenant has ${showValue(tenant.permissionGrantPoliciesAssigned.filter(isUserConsentEntry))}`,
            );
        }
    }
    if (inputs.adminConsentWorkflow !== undefined) {
        const declared = adminConsentBody(inputs.adminConsentWorkflow);
        if (!adminConsentMatches(declared, tenant.adminConsentRequestPolicy)) {
            drift.push(
                `adminConsentWorkflow: declared ${showValue(declared)}, tenant has ${showValue(writableAdminConsent(tenant.adminConsentRequestPolicy))}`,
            );
        }
    }
    for (const record of recordClassifications(
        tenant.classifications,
        inputs.lowRiskPermissions ?? [],
    )) {
        if (record.classification !== "low") {
            drift.push(
                `lowRiskPermissions: declared ${record.permissionName} classified low, tenant has ${showValue(record.classification)}`,
            );
        }
    }
    return drift;
}

// ---------------------------------------------------------------------------------------------
// Tenant access
// ---------------------------------------------------------------------------------------------

const AUTHORIZATION_POLICY = "/policies/authorizationPolicy";
const SERVICE_PRINCIPALS = "/servicePrincipals";
const ADMIN_CONSENT_POLICY = "/policies/adminConsentRequestPolicy";

export interface ConsentTenantState {
    permissionGrantPoliciesAssigned: string[];
    adminConsentRequestPolicy: Record<string, unknown>;
    /** Microsoft Graph's service principal (object id), when classifications were read. */
    graphServicePrincipalId?: string;
    /** The classifications on it (empty when not read). */
    classifications: PermissionClassification[];
}

/** Which parts of the tenant a call needs. */
interface ConsentNeeds {
    userConsent: boolean;
    workflow: boolean;
    classifications: boolean;
}

const ALL_PARTS: ConsentNeeds = { userConsent: true, workflow: true, classifications: true };

function needsOf(inputs: ConsentPolicyInputs): ConsentNeeds {
    return {
        userConsent: inputs.userConsent !== undefined,
        workflow: inputs.adminConsentWorkflow !== undefined,
        classifications: inputs.lowRiskPermissions !== undefined,
    };
}

/** Reads the parts of both policies this resource may touch (only the ones it needs). */
export async function readConsentState(
    graph: PolicyGraph,
    need: ConsentNeeds,
): Promise<ConsentTenantState> {
    const [authorization, adminConsent, classified] = await Promise.all([
        need.userConsent ? graph.get(AUTHORIZATION_POLICY) : Promise.resolve({}),
        need.workflow ? graph.get(ADMIN_CONSENT_POLICY) : Promise.resolve({}),
        need.classifications ? readClassifications(graph) : Promise.resolve(undefined),
    ]);
    const defaults = (authorization as Record<string, any>).defaultUserRolePermissions ?? {};
    return {
        permissionGrantPoliciesAssigned: Array.isArray(defaults.permissionGrantPoliciesAssigned)
            ? [...defaults.permissionGrantPoliciesAssigned]
            : [],
        adminConsentRequestPolicy: adminConsent as Record<string, unknown>,
        graphServicePrincipalId: classified?.servicePrincipalId,
        classifications: classified?.classifications ?? [],
    };
}

/** Microsoft Graph's service principal in the tenant and its permission classifications. */
async function readClassifications(
    graph: PolicyGraph,
): Promise<{ servicePrincipalId: string; classifications: PermissionClassification[] }> {
    const filter = encodeURIComponent(`appId eq '${MICROSOFT_GRAPH_APP_ID}'`);
    const found = await graph.list(`/servicePrincipals?$filter=${filter}&$select=id,appId`);
    if (found.length === 0) {
        throw new Error(
            `lowRiskPermissions: Microsoft Graph's service principal (appId ${MICROSOFT_GRAPH_APP_ID}) ` +
                "is not in the tenant, so its permissions cannot be classified. Fix: check the " +
                "tenant, or leave lowRiskPermissions out.",
        );
    }
    const servicePrincipalId = String(found[0].id);
    const classifications = (await graph.list(
        `${SERVICE_PRINCIPALS}/${servicePrincipalId}/delegatedPermissionClassifications`,
    )) as PermissionClassification[];
    return { servicePrincipalId, classifications: withoutODataControl(classifications) };
}

/** Sends the classification writes, deletes before creates (one per permission at a time). */
async function writeClassifications(
    graph: PolicyGraph,
    servicePrincipalId: string | undefined,
    writes: ClassificationWrite[],
    label: string,
): Promise<void> {
    if (writes.length === 0) return;
    if (!servicePrincipalId) throw new Error("Microsoft Graph's service principal was not read");
    const base = `${SERVICE_PRINCIPALS}/${servicePrincipalId}/delegatedPermissionClassifications`;
    for (const write of writes) {
        if (write.kind === "delete") {
            progress(label, `removing the classification of ${write.permissionName}`);
            await graph.delete(`${base}/${write.id}`);
        } else {
            progress(
                label,
                `classifying Microsoft Graph permission ${write.permissionName} as ${write.classification}`,
            );
            await graph.post(base, {
                permissionId: write.permissionId,
                permissionName: write.permissionName,
                classification: write.classification,
            });
        }
    }
}

async function writeUserConsentList(graph: PolicyGraph, list: string[]): Promise<void> {
    // PATCH of defaultUserRolePermissions with one member leaves its other members as they are.
    await graph.patch(AUTHORIZATION_POLICY, {
        defaultUserRolePermissions: { permissionGrantPoliciesAssigned: list },
    });
}

async function putAdminConsent(graph: PolicyGraph, body: Record<string, unknown>): Promise<void> {
    await graph.put(ADMIN_CONSENT_POLICY, body);
}

/** Puts every declared value in place where the tenant differs. */
async function applyConsent(
    graph: PolicyGraph,
    inputs: ConsentPolicyInputs,
    tenant: ConsentTenantState,
    label: string,
): Promise<void> {
    // 1. User consent: replace only the ManagePermissionGrantsForSelf entries.
    if (
        inputs.userConsent !== undefined &&
        userConsentOf(tenant.permissionGrantPoliciesAssigned) !== inputs.userConsent
    ) {
        progress(label, `setting user consent to ${inputs.userConsent}`);
        await writeUserConsentList(
            graph,
            withUserConsent(tenant.permissionGrantPoliciesAssigned, inputs.userConsent),
        );
    }

    // 2. The admin consent workflow, sent whole.
    if (inputs.adminConsentWorkflow !== undefined) {
        const body = adminConsentBody(inputs.adminConsentWorkflow);
        if (!adminConsentMatches(body, tenant.adminConsentRequestPolicy)) {
            progress(
                label,
                `setting the admin consent workflow (${body.isEnabled ? "on" : "off"})`,
            );
            await putAdminConsent(graph, body);
        }
    }

    // 3. The permissions users may consent to under verifiedPublishersLowRisk.
    const lowRisk = inputs.lowRiskPermissions ?? [];
    await writeClassifications(
        graph,
        tenant.graphServicePrincipalId,
        planClassifications(tenant.classifications, lowRiskWanted(lowRisk)),
        label,
    );
    if (inputs.userConsent === "verifiedPublishersLowRisk" && lowRisk.length === 0) {
        progress(
            label,
            "warning: users may consent only to permissions classified low risk, and this " +
                "resource classifies none (lowRiskPermissions); if the tenant has none either, " +
                "every app sign-in needs admin consent",
        );
    }
}

/**
 * Puts back what a record holds, for the parts listed in `which`; for the classifications,
 * only those of the permissions in `releasedPermissions` (all recorded ones when absent).
 */
async function restoreConsent(
    graph: PolicyGraph,
    record: ConsentRecord,
    tenant: ConsentTenantState,
    which: ConsentNeeds,
    label: string,
    releasedPermissions?: readonly string[],
): Promise<void> {
    if (which.classifications && record.permissionClassifications) {
        const released = record.permissionClassifications.filter(
            (r) => releasedPermissions?.includes(r.permissionName) ?? true,
        );
        const writes = planClassifications(tenant.classifications, released);
        if (writes.length > 0) progress(label, "restoring the recorded permission classifications");
        await writeClassifications(graph, tenant.graphServicePrincipalId, writes, label);
    }
    if (which.userConsent && record.permissionGrantPoliciesAssigned) {
        const list = restoredConsentList(
            record.permissionGrantPoliciesAssigned,
            tenant.permissionGrantPoliciesAssigned,
        );
        if (!deepEqual(list, tenant.permissionGrantPoliciesAssigned)) {
            progress(label, "restoring the recorded user consent setting");
            await writeUserConsentList(graph, list);
        }
    }
    if (which.workflow && record.adminConsentRequestPolicy) {
        if (
            !adminConsentMatches(record.adminConsentRequestPolicy, tenant.adminConsentRequestPolicy)
        ) {
            progress(label, "restoring the recorded admin consent workflow");
            await putAdminConsent(graph, record.adminConsentRequestPolicy);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------

const CONSENT_ID = "consentPolicy";

function consentLabel(props: Record<string, any>): string {
    return typeof props.label === "string" ? props.label : "ConsentPolicy";
}

function recordOf(tenant: ConsentTenantState, inputs: ConsentPolicyInputs): ConsentRecord {
    const record: ConsentRecord = {};
    if (inputs.userConsent !== undefined) {
        record.permissionGrantPoliciesAssigned = [...tenant.permissionGrantPoliciesAssigned];
    }
    if (inputs.adminConsentWorkflow !== undefined) {
        record.adminConsentRequestPolicy = writableAdminConsent(tenant.adminConsentRequestPolicy);
    }
    if (inputs.lowRiskPermissions !== undefined) {
        record.permissionClassifications = recordClassifications(
            tenant.classifications,
            inputs.lowRiskPermissions,
        );
    }
    return record;
}

function partial(err: unknown, properties: Record<string, unknown>): Error {
    return partialFailure(`consent policy: ${describeError(err)}`, CONSENT_ID, properties);
}

export const consentPolicyProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        // Stack config (credentials, cloud, break-glass accounts) for every later call.
        rememberConfig(req.config);
    },

    async check(_olds, news) {
        return { inputs: news, failures: validateConsentPolicy(news) };
    },

    async diff(_id, olds, news) {
        return settingsDiff(olds, news, consentInputsOf);
    },

    async create(inputs) {
        const label = consentLabel(inputs);
        const graph = await openGraph();
        const declared = consentInputsOf(inputs);

        // 1. Record what the tenant has for every declared part.
        const tenant = await readConsentState(graph, needsOf(declared));
        const previous = recordOf(tenant, declared);

        // 2. Apply; a failure keeps the record so delete can still restore.
        const outs = { ...inputs, previous, drift: [] as string[] };
        try {
            await applyConsent(graph, declared, tenant, label);
        } catch (err) {
            throw partial(err, { ...outs, drift: ["apply did not finish"] });
        }
        return { id: CONSENT_ID, outs };
    },

    async read(id, props) {
        const graph = await openGraph();
        const declared = consentInputsOf(props);
        const tenant = await readConsentState(graph, needsOf(declared));
        return { id, props: { ...props, drift: consentDrift(declared, tenant) } };
    },

    async update(id, olds, news) {
        const label = consentLabel(news);
        const graph = await openGraph();
        const declared = consentInputsOf(news);
        const recorded: ConsentRecord = clone(olds.previous ?? {});
        const need = {
            ...ALL_PARTS,
            classifications:
                declared.lowRiskPermissions !== undefined ||
                recorded.permissionClassifications !== undefined,
        };
        const tenant = await readConsentState(graph, need);

        // 1. Parts no longer declared go back to their recorded values and leave the record;
        //    so do the classifications of permissions no longer listed.
        const stillListed: readonly string[] = declared.lowRiskPermissions ?? [];
        const releasedPermissions = (recorded.permissionClassifications ?? [])
            .map((r) => r.permissionName)
            .filter((name) => !stillListed.includes(name));
        const released = {
            userConsent:
                declared.userConsent === undefined &&
                recorded.permissionGrantPoliciesAssigned !== undefined,
            workflow:
                declared.adminConsentWorkflow === undefined &&
                recorded.adminConsentRequestPolicy !== undefined,
            classifications: releasedPermissions.length > 0,
        };
        const previous: ConsentRecord = {
            ...recordOf(tenant, declared),
            ...keptRecord(recorded, declared, tenant),
        };
        const outs = { ...news, previous, drift: [] as string[] };
        try {
            await restoreConsent(graph, recorded, tenant, released, label, releasedPermissions);

            // 2. Declared parts are applied (newly declared ones were recorded above).
            await applyConsent(graph, declared, await readConsentState(graph, need), label);
        } catch (err) {
            // Keep every record until its restore is done: nothing recorded may be lost.
            const classifications = [
                ...(previous.permissionClassifications ?? []),
                ...(recorded.permissionClassifications ?? []).filter((r) =>
                    releasedPermissions.includes(r.permissionName),
                ),
            ];
            const kept = {
                ...recorded,
                ...previous,
                ...(classifications.length > 0
                    ? { permissionClassifications: classifications }
                    : {}),
            };
            throw Object.assign(partial(err, { ...outs, previous: kept }), { id });
        }
        return { outs };
    },

    async delete(_id, props) {
        const label = consentLabel(props);
        const graph = await openGraph();
        const recorded: ConsentRecord = props.previous ?? {};
        const which = {
            userConsent: recorded.permissionGrantPoliciesAssigned !== undefined,
            workflow: recorded.adminConsentRequestPolicy !== undefined,
            classifications: recorded.permissionClassifications !== undefined,
        };
        const tenant = await readConsentState(graph, which);
        await restoreConsent(graph, recorded, tenant, which, label);
    },
};

/**
 * Keeps the records of parts still declared (their original values, not today's); a permission
 * newly listed is recorded from the tenant as it is now.
 */
function keptRecord(
    recorded: ConsentRecord,
    declared: ConsentPolicyInputs,
    tenant: ConsentTenantState,
): ConsentRecord {
    const kept: ConsentRecord = {};
    if (declared.userConsent !== undefined && recorded.permissionGrantPoliciesAssigned) {
        kept.permissionGrantPoliciesAssigned = recorded.permissionGrantPoliciesAssigned;
    }
    if (declared.adminConsentWorkflow !== undefined && recorded.adminConsentRequestPolicy) {
        kept.adminConsentRequestPolicy = recorded.adminConsentRequestPolicy;
    }
    const listed = declared.lowRiskPermissions;
    const old = recorded.permissionClassifications;
    if (listed !== undefined && old) {
        // A permission still listed keeps its original record; a new one is recorded now.
        kept.permissionClassifications = listed.map(
            (name) =>
                old.find((r) => r.permissionName === name) ??
                recordClassifications(tenant.classifications, [name])[0],
        );
    }
    return kept;
}

/**
 * User consent and the admin consent workflow (tenant singletons): records and restores what it
 * replaces.
 *
 * Note: declare at most one per tenant. Restoring `adminConsentRequestPolicy` puts back its
 * writable fields (isEnabled, notifyReviewers, remindersEnabled, requestDurationInDays,
 * reviewers); Graph's read-only `version` counter moves on. A permission classification has no
 * update in Graph: one replaced (or restored) is deleted and created again, with a new id.
 */
export class ConsentPolicy extends pulumi.dynamic.Resource {
    /** What the tenant had before this resource changed it. */
    declare readonly previous: pulumi.Output<ConsentRecord>;
    /** Declared settings the tenant no longer matches (after a refresh). */
    declare readonly drift: pulumi.Output<string[]>;

    constructor(name: string, args: ConsentPolicyArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            consentPolicyProvider,
            name,
            { ...args, label: name, previous: undefined, drift: undefined },
            opts,
            "bec-guard",
            "ConsentPolicy",
        );
    }
}
