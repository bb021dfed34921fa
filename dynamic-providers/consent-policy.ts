/**
 * Who may consent to applications, as a Pulumi resource over two tenant singletons:
 * - `authorizationPolicy.defaultUserRolePermissions.permissionGrantPoliciesAssigned`: the user
 *   consent setting. Only the `ManagePermissionGrantsForSelf.*` entries are user consent; the
 *   list also holds other entries (for example `ManagePermissionGrantsForOwnedResource.*`, team
 *   and chat consent), which this resource never touches.
 * - `adminConsentRequestPolicy`: the admin consent workflow (users ask, named reviewers decide).
 *   Graph takes it by PUT, so the whole object is always sent.
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
}

export type ConsentPolicyArgs = {
    [K in keyof ConsentPolicyInputs]?: pulumi.Input<ConsentPolicyInputs[K]>;
};

// ---------------------------------------------------------------------------------------------
// Pure logic
// ---------------------------------------------------------------------------------------------

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

/** Validates inputs at preview time. */
export function validateConsentPolicy(inputs: Record<string, unknown>): InputFailure[] {
    const failures: InputFailure[] = [];

    // 1. Known keys only.
    for (const [key, value] of declaredEntries(inputs)) {
        if (key !== "userConsent" && key !== "adminConsentWorkflow") {
            failures.push(
                inputFailure(
                    key,
                    value,
                    "not a setting of the consent policy",
                    "use userConsent or adminConsentWorkflow",
                ),
            );
        }
    }

    // 2. User consent.
    checkOneOf(failures, "userConsent", inputs.userConsent, USER_CONSENT_VALUES);

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
}

/** Inputs without outputs and bookkeeping. */
export function consentInputsOf(props: Record<string, any>): ConsentPolicyInputs {
    const out: ConsentPolicyInputs = {};
    if (props.userConsent !== undefined) out.userConsent = props.userConsent;
    if (props.adminConsentWorkflow !== undefined)
        out.adminConsentWorkflow = props.adminConsentWorkflow;
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
    return drift;
}

// ---------------------------------------------------------------------------------------------
// Tenant access
// ---------------------------------------------------------------------------------------------

const AUTHORIZATION_POLICY = "/policies/authorizationPolicy";
const ADMIN_CONSENT_POLICY = "/policies/adminConsentRequestPolicy";

export interface ConsentTenantState {
    permissionGrantPoliciesAssigned: string[];
    adminConsentRequestPolicy: Record<string, unknown>;
}

/** Reads the parts of both policies this resource may touch (only the ones it needs). */
export async function readConsentState(
    graph: PolicyGraph,
    need: { userConsent: boolean; workflow: boolean },
): Promise<ConsentTenantState> {
    const [authorization, adminConsent] = await Promise.all([
        need.userConsent ? graph.get(AUTHORIZATION_POLICY) : Promise.resolve({}),
        need.workflow ? graph.get(ADMIN_CONSENT_POLICY) : Promise.resolve({}),
    ]);
    const defaults = (authorization as Record<string, any>).defaultUserRolePermissions ?? {};
    return {
        permissionGrantPoliciesAssigned: Array.isArray(defaults.permissionGrantPoliciesAssigned)
            ? [...defaults.permissionGrantPoliciesAssigned]
            : [],
        adminConsentRequestPolicy: adminConsent as Record<string, unknown>,
    };
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
}

/** Puts back what a record holds, for the parts listed in `which`. */
async function restoreConsent(
    graph: PolicyGraph,
    record: ConsentRecord,
    tenant: ConsentTenantState,
    which: { userConsent: boolean; workflow: boolean },
    label: string,
): Promise<void> {
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
        const need = {
            userConsent: declared.userConsent !== undefined,
            workflow: declared.adminConsentWorkflow !== undefined,
        };

        // 1. Record what the tenant has for every declared part.
        const tenant = await readConsentState(graph, need);
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
        const tenant = await readConsentState(graph, {
            userConsent: declared.userConsent !== undefined,
            workflow: declared.adminConsentWorkflow !== undefined,
        });
        return { id, props: { ...props, drift: consentDrift(declared, tenant) } };
    },

    async update(id, olds, news) {
        const label = consentLabel(news);
        const graph = await openGraph();
        const declared = consentInputsOf(news);
        const recorded: ConsentRecord = clone(olds.previous ?? {});
        const tenant = await readConsentState(graph, { userConsent: true, workflow: true });

        // 1. Parts no longer declared go back to their recorded values and leave the record.
        const released = {
            userConsent:
                declared.userConsent === undefined &&
                recorded.permissionGrantPoliciesAssigned !== undefined,
            workflow:
                declared.adminConsentWorkflow === undefined &&
                recorded.adminConsentRequestPolicy !== undefined,
        };
        const previous: ConsentRecord = {
            ...recordOf(tenant, declared),
            ...keptRecord(recorded, declared),
        };
        const outs = { ...news, previous, drift: [] as string[] };
        try {
            await restoreConsent(graph, recorded, tenant, released, label);

            // 2. Declared parts are applied (newly declared ones were recorded above).
            await applyConsent(
                graph,
                declared,
                await readConsentState(graph, { userConsent: true, workflow: true }),
                label,
            );
        } catch (err) {
            throw Object.assign(partial(err, { ...outs, previous: { ...recorded, ...previous } }), {
                id,
            });
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
        };
        const tenant = await readConsentState(graph, which);
        await restoreConsent(graph, recorded, tenant, which, label);
    },
};

/** Keeps the records of parts still declared (their original values, not today's). */
function keptRecord(recorded: ConsentRecord, declared: ConsentPolicyInputs): ConsentRecord {
    const kept: ConsentRecord = {};
    if (declared.userConsent !== undefined && recorded.permissionGrantPoliciesAssigned) {
        kept.permissionGrantPoliciesAssigned = recorded.permissionGrantPoliciesAssigned;
    }
    if (declared.adminConsentWorkflow !== undefined && recorded.adminConsentRequestPolicy) {
        kept.adminConsentRequestPolicy = recorded.adminConsentRequestPolicy;
    }
    return kept;
}

/**
 * User consent and the admin consent workflow (tenant singletons): records and restores what it
 * replaces.
 *
 * Note: declare at most one per tenant. Restoring `adminConsentRequestPolicy` puts back its
 * writable fields (isEnabled, notifyReviewers, remindersEnabled, requestDurationInDays,
 * reviewers); Graph's read-only `version` counter moves on.
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
