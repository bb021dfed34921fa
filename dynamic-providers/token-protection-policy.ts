/**
 * Token protection (Conditional Access session control `secureSignInSession`) as a Pulumi
 * resource.
 *
 * Token protection binds sign-in sessions to the device they were issued to, so a refresh token
 * stolen by an adversary-in-the-middle phishing kit cannot be replayed from the attacker's
 * machine: the classic first step of a BEC. `@pulumi/azuread` cannot set this control (it is
 * beta Graph only), so this is a dynamic provider over
 * `/beta/identity/conditionalAccess/policies`.
 *
 * Unlike the tenant singletons, a CA policy is a real object: create POSTs it, update PATCHes
 * it, delete removes it. It is scoped as Microsoft supports the control: Exchange Online,
 * SharePoint Online and Teams, desktop apps (not browsers) on Windows.
 *
 * Conditional Access writes are throttled to about one per second per tenant and answered with
 * 429 without `Retry-After`; the connection layer's retry handles that, and a crash between the
 * POST and the engine recording the id is healed on the next run by finding the policy by name.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    checkOneOf,
    declaredEntries,
    declaredMatches,
    inputFailure,
    InputFailure,
    isGuid,
    isObject,
    isUpn,
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
 * - `reportOnly`: evaluated and logged in sign-in logs, never blocks (start here).
 * - `enforced`: unbound sessions are refused.
 * - `disabled`: kept but not evaluated.
 */
export type PolicyMode = "reportOnly" | "enforced" | "disabled";

export interface TokenProtectionPolicyInputs {
    /**
     * The policy's name in the Entra admin center. Default
     * "BEC Guard - Token protection (Exchange, SharePoint, Teams on Windows)". The name is how a
     * crashed create finds its policy again: keep it unique in the tenant.
     */
    displayName?: string;
    /**
     * Report-only or enforced. Default `reportOnly`. Risk if enforced too early: users on
     * unsupported clients (older Office builds, non-registered devices) lose access to mail.
     */
    mode?: PolicyMode;
    /**
     * Users in scope: object ids, or `"All"`. Default `["All"]` when `includeGroups` is not set.
     */
    includeUsers?: string[];
    /** Groups in scope (object ids). Default none. A pilot group is the safest way to start. */
    includeGroups?: string[];
    /**
     * Emergency-access accounts (object ids or UPNs) excluded from the policy. UPNs are
     * resolved to object ids when the policy is written. Risk if empty: an enforced policy can
     * lock out the accounts meant to recover from a lock-out (refused when `mode: "enforced"`).
     */
    breakGlassAccounts?: string[];
    /** Further groups excluded (object ids), for example users on unsupported devices. */
    excludeGroups?: string[];
}

export type TokenProtectionPolicyArgs = {
    [K in keyof TokenProtectionPolicyInputs]?: pulumi.Input<TokenProtectionPolicyInputs[K]>;
};

// ---------------------------------------------------------------------------------------------
// Pure logic
// ---------------------------------------------------------------------------------------------

export const DEFAULT_TOKEN_PROTECTION_NAME =
    "BEC Guard - Token protection (Exchange, SharePoint, Teams on Windows)";

/** The resources token protection supports, by first-party application id. */
export const TOKEN_PROTECTION_APPS = {
    exchangeOnline: "00000002-0000-0ff1-ce00-000000000000",
    sharePointOnline: "00000003-0000-0ff1-ce00-000000000000",
    teamsServices: "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
} as const;

const MODE_STATES: Record<PolicyMode, string> = {
    reportOnly: "enabledForReportingButNotEnforced",
    enforced: "enabled",
    disabled: "disabled",
};

/** The inputs a TokenProtectionPolicy declares (everything else in its state is output). */
const INPUT_KEYS = [
    "displayName",
    "mode",
    "includeUsers",
    "includeGroups",
    "breakGlassAccounts",
    "excludeGroups",
];

/** Validates inputs at preview time. */
export function validateTokenProtectionPolicy(inputs: Record<string, unknown>): InputFailure[] {
    const failures: InputFailure[] = [];

    // 1. Known keys only.
    for (const [key, value] of declaredEntries(inputs)) {
        if (!INPUT_KEYS.includes(key)) {
            failures.push(
                inputFailure(
                    key,
                    value,
                    "not a setting of the token protection policy",
                    `use one of ${INPUT_KEYS.join(", ")}`,
                ),
            );
        }
    }

    // 2. Name and mode.
    const name = inputs.displayName;
    if (
        name !== undefined &&
        (typeof name !== "string" || name.trim().length === 0 || name.length > 256)
    ) {
        failures.push(
            inputFailure(
                "displayName",
                name,
                "must be a non-empty name of at most 256 characters",
                "give the policy a unique, readable name",
            ),
        );
    }
    checkOneOf(failures, "mode", inputs.mode, Object.keys(MODE_STATES));

    // 3. Who is in scope and who is excluded.
    checkIdList(
        failures,
        "includeUsers",
        inputs.includeUsers,
        (v) => isGuid(v) || v === "All",
        'a user object id (GUID) or "All"',
    );
    checkIdList(
        failures,
        "includeGroups",
        inputs.includeGroups,
        isGuid,
        "a group object id (GUID)",
    );
    checkIdList(
        failures,
        "excludeGroups",
        inputs.excludeGroups,
        isGuid,
        "a group object id (GUID)",
    );
    checkIdList(
        failures,
        "breakGlassAccounts",
        inputs.breakGlassAccounts,
        (v) => isGuid(v) || isUpn(v),
        "an object id (GUID) or a UPN (name@domain)",
    );
    const breakGlass = Array.isArray(inputs.breakGlassAccounts) ? inputs.breakGlassAccounts : [];
    if (inputs.mode === "enforced" && breakGlass.length === 0) {
        failures.push(
            inputFailure(
                "breakGlassAccounts",
                inputs.breakGlassAccounts,
                "an enforced policy must exclude the emergency-access accounts",
                "list them (bec-guard:breakGlassAccounts), or keep mode reportOnly",
            ),
        );
    }
    return failures;
}

function checkIdList(
    failures: InputFailure[],
    field: string,
    value: unknown,
    valid: (v: string) => boolean,
    what: string,
): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
        failures.push(inputFailure(field, value, "not a list", `give a list, each ${what}`));
        return;
    }
    value.forEach((v, i) => {
        if (typeof v !== "string" || !valid(v)) {
            failures.push(inputFailure(`${field}[${i}]`, v, `not ${what}`, `use ${what}`));
        }
    });
}

/**
 * The policy body for the inputs, with break-glass accounts already resolved to object ids.
 * Only session controls: token protection grants nothing, it binds the session.
 */
export function tokenProtectionBody(
    inputs: TokenProtectionPolicyInputs,
    excludedUserIds: string[],
): Record<string, unknown> {
    const includeGroups = inputs.includeGroups ?? [];
    const includeUsers = inputs.includeUsers ?? (includeGroups.length > 0 ? [] : ["All"]);
    return {
        displayName: inputs.displayName ?? DEFAULT_TOKEN_PROTECTION_NAME,
        state: MODE_STATES[inputs.mode ?? "reportOnly"],
        conditions: {
            users: {
                includeUsers,
                includeGroups,
                excludeUsers: [...new Set(excludedUserIds.map((id) => id.toLowerCase()))],
                excludeGroups: inputs.excludeGroups ?? [],
            },
            applications: { includeApplications: Object.values(TOKEN_PROTECTION_APPS) },
            platforms: { includePlatforms: ["windows"] },
            // Token protection covers desktop apps; browsers are not supported and would fail.
            clientAppTypes: ["mobileAppsAndDesktopClients"],
        },
        sessionControls: { secureSignInSession: { isEnabled: true } },
    };
}

/** Drift lines: the declared parts of the policy the tenant no longer has. */
export function tokenProtectionDrift(
    declared: Record<string, unknown>,
    actual: Record<string, unknown>,
): string[] {
    const parts: Array<[string, string[]]> = [
        ["displayName", ["displayName"]],
        ["mode", ["state"]],
        ["users", ["conditions", "users"]],
        ["applications", ["conditions", "applications", "includeApplications"]],
        ["platforms", ["conditions", "platforms", "includePlatforms"]],
        ["clientAppTypes", ["conditions", "clientAppTypes"]],
        ["secureSignInSession", ["sessionControls", "secureSignInSession", "isEnabled"]],
    ];
    const at = (root: unknown, path: string[]) =>
        path.reduce<unknown>((n, k) => (isObject(n) ? n[k] : undefined), root);
    return parts
        .filter(([, path]) => !declaredMatches(at(declared, path), at(actual, path)))
        .map(
            ([name, path]) =>
                `${name}: declared ${showValue(at(declared, path))}, tenant has ${showValue(at(actual, path))}`,
        );
}

/**
 * The members of a policy's `conditions` a write may carry (beta conditionalAccessConditionSet),
 * with the empty value that clears each. Graph also returns deprecated members (`times`,
 * `deviceStates`) that a write must not send back.
 */
const WRITABLE_CONDITIONS: Readonly<Record<string, null | []>> = {
    users: null,
    applications: null,
    clientApplications: null,
    clientAppTypes: [],
    platforms: null,
    locations: null,
    devices: null,
    signInRiskLevels: [],
    userRiskLevels: [],
    servicePrincipalRiskLevels: [],
    insiderRiskLevels: null,
    authenticationFlows: null,
};

/**
 * The writable fields of a policy we read, as a PATCH that restores an adopted policy exactly:
 * its writable conditions as read, the deprecated ones left out, and each condition our own
 * body sets but the policy lacked sent empty, so what our write added is cleared again. An
 * authentication strength is sent by id only (Graph returns it expanded, read-only fields and all).
 */
export function writablePolicy(policy: Record<string, unknown>): Record<string, unknown> {
    const clean = withoutODataControl(policy);
    const out: Record<string, unknown> = {};
    for (const key of ["displayName", "state", "grantControls", "sessionControls"]) {
        if (clean[key] !== undefined) out[key] = clean[key];
    }
    if (isObject(clean.conditions)) {
        const read = clean.conditions;
        const ours = Object.keys(tokenProtectionBody({}, []).conditions as object);
        out.conditions = Object.fromEntries(
            Object.entries(WRITABLE_CONDITIONS)
                .filter(([key]) => key in read || ours.includes(key))
                .map(([key, empty]) => [key, read[key] ?? empty]),
        );
    }
    const grant = out.grantControls;
    if (isObject(grant) && isObject(grant.authenticationStrength)) {
        out.grantControls = {
            ...grant,
            authenticationStrength: { id: grant.authenticationStrength.id },
        };
    }
    return out;
}

export function tokenProtectionInputsOf(props: Record<string, any>): TokenProtectionPolicyInputs {
    const out: Record<string, unknown> = {};
    for (const key of INPUT_KEYS) {
        if (props[key] !== undefined) out[key] = props[key];
    }
    return out as TokenProtectionPolicyInputs;
}

// ---------------------------------------------------------------------------------------------
// Tenant access
// ---------------------------------------------------------------------------------------------

const POLICIES = "/identity/conditionalAccess/policies";
const BETA = { version: "beta" as const };

/**
 * Object ids for the accounts; UPNs are looked up by filter (an empty answer means no such
 * user, without relying on a 404 error surviving the provider's serialization). An unknown
 * account stops the write: a policy is never written without its exclusions.
 */
export async function resolveAccounts(
    graph: PolicyGraph,
    accounts: readonly string[],
): Promise<string[]> {
    return Promise.all(
        accounts.map(async (account) => {
            if (isGuid(account)) return account.toLowerCase();
            const found = await graph.list(
                `/users?$filter=${encodeURIComponent(upnFilter(account))}&$select=id`,
            );
            if (found.length === 0) {
                throw new Error(
                    `breakGlassAccounts has "${account}": no such user in the tenant. Fix the UPN or ` +
                        `use the account's object id; the policy is not written without its exclusions.`,
                );
            }
            return String(found[0].id).toLowerCase();
        }),
    );
}

/**
 * The OData filter for one UPN: the value quoted as an OData string literal (a quote doubled).
 * The caller URL-encodes it, since a guest's UPN holds "#" (`..._fabrikam.com#EXT#@...`), which
 * would otherwise end the URL's query there, and may hold "+" or "&".
 */
export function upnFilter(upn: string): string {
    return `userPrincipalName eq '${String(upn).replace(/'/g, "''")}'`;
}

/** Every CA policy (beta, so token protection's session control is visible). */
async function listPolicies(graph: PolicyGraph): Promise<Array<Record<string, unknown>>> {
    return graph.list(POLICIES, BETA);
}

async function findByName(
    graph: PolicyGraph,
    displayName: string,
): Promise<Record<string, unknown> | undefined> {
    return (await listPolicies(graph)).find((p) => p.displayName === displayName);
}

/** The policy with this id, or undefined when it was deleted (found by listing, not by a 404). */
async function getPolicy(
    graph: PolicyGraph,
    id: string,
): Promise<Record<string, unknown> | undefined> {
    return (await listPolicies(graph)).find((p) => String(p.id).toLowerCase() === id.toLowerCase());
}

/** Break-glass accounts from the inputs plus the stack's `bec-guard:breakGlassAccounts`. */
function excludedAccounts(
    inputs: TokenProtectionPolicyInputs,
    configured: readonly string[],
): string[] {
    return [...new Set([...(inputs.breakGlassAccounts ?? []), ...configured])];
}

/**
 * The policy body a resource declares, with its exclusions (its break-glass accounts plus the
 * stack's) resolved to object ids first: no policy is written without them.
 */
async function declaredPolicy(
    graph: PolicyGraph,
    props: Record<string, any>,
): Promise<{ excluded: string[]; body: Record<string, unknown> }> {
    const declared = tokenProtectionInputsOf(props);
    const excluded = await resolveAccounts(
        graph,
        excludedAccounts(declared, graph.breakGlassAccounts),
    );
    return { excluded, body: tokenProtectionBody(declared, excluded) };
}

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------

function tpLabel(props: Record<string, any>): string {
    return typeof props.label === "string" ? props.label : "TokenProtectionPolicy";
}

export const tokenProtectionPolicyProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        // Stack config (credentials, cloud, break-glass accounts) for every later call.
        rememberConfig(req.config);
    },

    async check(_olds, news) {
        return { inputs: news, failures: validateTokenProtectionPolicy(news) };
    },

    async diff(_id, olds, news) {
        return settingsDiff(olds, news, tokenProtectionInputsOf);
    },

    async create(inputs) {
        const label = tpLabel(inputs);
        const graph = await openGraph();

        // 1. Resolve the exclusions first: no policy is written without them.
        const { excluded, body } = await declaredPolicy(graph, inputs);

        // 2. A policy with this name may exist: ours from a crashed run (it matches what we
        //    declare) or someone's (recorded, and restored on delete instead of deleted).
        const existing = await findByName(graph, body.displayName as string);
        let id: string;
        let previous: Record<string, unknown> | null = null;
        if (existing) {
            id = String(existing.id);
            const ours = tokenProtectionDrift(body, existing).length === 0;
            if (!ours) previous = writablePolicy(existing);
            progress(
                label,
                ours
                    ? `found policy ${id} from an earlier run`
                    : `adopting existing policy ${id} (recorded)`,
            );
            if (!ours) await graph.patch(`${POLICIES}/${id}`, body, BETA);
        } else {
            // 3. Create (a 429 without Retry-After is retried by the connection layer).
            progress(
                label,
                `creating the token protection policy (${inputs.mode ?? "reportOnly"})`,
            );
            const created = await graph.post(POLICIES, body, BETA);
            id = String(created.id);
        }
        return {
            id,
            outs: { ...inputs, policyId: id, excludedUserIds: excluded, previous, drift: [] },
        };
    },

    async read(id, props) {
        const graph = await openGraph();
        const policy = await getPolicy(graph, id);
        // A policy deleted behind our back: an empty id tells the engine it is gone.
        if (!policy) return { id: "", props: {} };
        const declared = tokenProtectionInputsOf(props);
        const excluded: string[] = Array.isArray(props.excludedUserIds)
            ? props.excludedUserIds
            : [];
        const body = tokenProtectionBody(declared, excluded);
        return { id, props: { ...props, drift: tokenProtectionDrift(body, policy) } };
    },

    async update(id, olds, news) {
        const label = tpLabel(news);
        const graph = await openGraph();
        const { excluded, body } = await declaredPolicy(graph, news);

        // PATCH the whole declared body; if the policy vanished, create it again.
        const current = await getPolicy(graph, id);
        let policyId = id;
        if (current) {
            progress(label, `updating the token protection policy (${news.mode ?? "reportOnly"})`);
            await graph.patch(`${POLICIES}/${id}`, body, BETA);
        } else {
            progress(label, "the policy was deleted outside Pulumi; creating it again");
            policyId = String((await graph.post(POLICIES, body, BETA)).id);
        }
        return {
            outs: {
                ...news,
                policyId,
                excludedUserIds: excluded,
                previous: olds.previous ?? null,
                drift: [],
            },
        };
    },

    async delete(id, props) {
        const label = tpLabel(props);
        const graph = await openGraph();
        const policyId = typeof props.policyId === "string" ? props.policyId : id;

        // An adopted policy goes back to what it was; one we created is removed.
        if (isObject(props.previous)) {
            progress(label, `restoring adopted policy ${policyId} to its recorded settings`);
            // Filtered again: a record written by an older version holds every member read.
            if (await getPolicy(graph, policyId))
                await graph.patch(`${POLICIES}/${policyId}`, writablePolicy(props.previous), BETA);
            return;
        }
        if (!(await getPolicy(graph, policyId))) return;
        progress(label, `deleting the token protection policy ${policyId}`);
        await graph.delete(`${POLICIES}/${policyId}`, BETA);
    },
};

/**
 * A beta Conditional Access policy requiring token protection (`secureSignInSession`) for
 * Exchange Online, SharePoint Online and Teams on Windows desktop apps. Report-only by default.
 *
 * Note: token protection needs Entra ID P1, Windows devices that are Entra joined, hybrid
 * joined or registered, and supported client versions; check the report-only results in the
 * sign-in logs before enforcing. Browsers are out of scope by design (unsupported).
 */
export class TokenProtectionPolicy extends pulumi.dynamic.Resource {
    /** The CA policy's object id. */
    declare readonly policyId: pulumi.Output<string>;
    /** The object ids excluded (break-glass accounts, resolved). */
    declare readonly excludedUserIds: pulumi.Output<string[]>;
    /** Declared parts the tenant no longer matches (after a refresh). */
    declare readonly drift: pulumi.Output<string[]>;

    constructor(
        name: string,
        args: TokenProtectionPolicyArgs,
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            tokenProtectionPolicyProvider,
            name,
            {
                ...args,
                label: name,
                policyId: undefined,
                excludedUserIds: undefined,
                previous: undefined,
                drift: undefined,
            },
            opts,
            "bec-guard",
            "TokenProtectionPolicy",
        );
    }
}
