/**
 * Conditional Access policies and named locations, v1.0 and beta.
 *
 * Writes are checked the way Graph checks them, so a baseline that would be refused by a real
 * tenant is refused here: a policy needs a display name, a state of enabled, disabled or
 * enabledForReportingButNotEnforced, conditions naming users and applications, and grant or
 * session controls; locations must be All, AllTrusted or an existing named location; country
 * named locations take ISO 3166-1 alpha-2 codes. Token protection
 * (`sessionControls.secureSignInSession`) exists in beta only: v1.0 refuses it on input and
 * leaves it out of output, beta keeps it.
 *
 * Permissions: examples.json lists the writes as combinations ("Policy.Read.All,
 * Policy.ReadWrite.ConditionalAccess and Application.Read.All" for policy create/update,
 * "Policy.Read.All and Policy.ReadWrite.ConditionalAccess" for delete and for named
 * locations). Graph needs Application.Read.All only when the write adds or edits the
 * application condition: it then answers 403 "Application.Read.All scope is required to
 * add/edit application condition" (seen in a public issue found with the search tool), which
 * is what the handlers here do.
 */
import {
    GraphHttpError,
    type GraphRequestContext,
    type GraphResponse,
    type GraphRoute,
} from "../contracts";
import type { GraphObject } from "../model";
import { collection, entity } from "../odata";
import { bodyObject, clone, rolesOf } from "./shared";

/** Conditional Access answers malformed policies with this code. */
function invalid(message: string): GraphHttpError {
    return new GraphHttpError(400, "BadRequest", message);
}

function notFound(kind: string, id: string): GraphHttpError {
    return new GraphHttpError(404, "ResourceNotFound", `The ${kind} '${id}' was not found.`);
}

function isObject(value: unknown): value is GraphObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown, where: string): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
        throw invalid(`${where} must be an array of strings.`);
    }
    return value as string[];
}

function checkValues(value: unknown, where: string, allowed: string[]): void {
    for (const v of stringArray(value, where)) {
        if (!allowed.includes(v)) {
            throw invalid(`${where} contains '${v}'; allowed values are ${allowed.join(", ")}.`);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policies

const STATES = ["enabled", "disabled", "enabledForReportingButNotEnforced"];
const CLIENT_APP_TYPES = [
    "all",
    "browser",
    "mobileAppsAndDesktopClients",
    "exchangeActiveSync",
    "easSupported",
    "other",
];
const RISK_LEVELS = ["low", "medium", "high", "hidden", "none"];
const BUILT_IN_CONTROLS = [
    "block",
    "mfa",
    "compliantDevice",
    "domainJoinedDevice",
    "approvedApplication",
    "compliantApplication",
    "passwordChange",
    "unknownFutureValue",
];
const KNOWN_CONDITIONS = [
    "users",
    "applications",
    "clientApplications",
    "clientAppTypes",
    "platforms",
    "locations",
    "devices",
    "signInRiskLevels",
    "userRiskLevels",
    "servicePrincipalRiskLevels",
    "insiderRiskLevels",
    "authenticationFlows",
    "times",
    "deviceStates",
];
/** Built-in authentication strengths: MFA, passwordless MFA, phishing-resistant MFA. */
const BUILT_IN_STRENGTHS = [
    "00000000-0000-0000-0000-000000000002",
    "00000000-0000-0000-0000-000000000003",
    "00000000-0000-0000-0000-000000000004",
];
/** The legacy "MFA trusted IPs" location id, accepted in location conditions. */
const MFA_TRUSTED_IPS_ID = "00000000-0000-0000-0000-000000000000";

/** The request's policy body checked in full (a PATCH is checked after merging). */
function validatePolicy(ctx: GraphRequestContext, policy: GraphObject): void {
    // 1. Name and state.
    if (typeof policy.displayName !== "string" || policy.displayName.trim() === "") {
        throw invalid("displayName is required and cannot be empty.");
    }
    if (!STATES.includes(policy.state as string)) {
        throw invalid(
            `state '${String(policy.state)}' is invalid; use enabled, disabled or enabledForReportingButNotEnforced.`,
        );
    }

    // 2. Conditions: users and applications are required.
    const conditions = policy.conditions;
    if (!isObject(conditions)) {
        throw invalid("conditions is required.");
    }
    for (const key of Object.keys(conditions)) {
        if (!KNOWN_CONDITIONS.includes(key) && !key.startsWith("@odata.")) {
            throw invalid(`conditions.${key} is not a known condition.`);
        }
    }
    const users = conditions.users;
    const usersIncluded =
        isObject(users) &&
        (stringArray(users.includeUsers, "conditions.users.includeUsers").length > 0 ||
            stringArray(users.includeGroups, "conditions.users.includeGroups").length > 0 ||
            stringArray(users.includeRoles, "conditions.users.includeRoles").length > 0 ||
            isObject(users.includeGuestsOrExternalUsers));
    if (!usersIncluded) {
        throw invalid(
            "conditions.users is required and must include users, groups, roles or guests.",
        );
    }
    const apps = conditions.applications;
    const appsIncluded =
        isObject(apps) &&
        (stringArray(apps.includeApplications, "conditions.applications.includeApplications")
            .length > 0 ||
            stringArray(apps.includeUserActions, "conditions.applications.includeUserActions")
                .length > 0 ||
            stringArray(
                apps.includeAuthenticationContextClassReferences,
                "conditions.applications.includeAuthenticationContextClassReferences",
            ).length > 0 ||
            isObject(apps.applicationFilter));
    if (!appsIncluded) {
        throw invalid(
            "conditions.applications is required and must include applications, user actions or authentication contexts.",
        );
    }
    checkValues(conditions.clientAppTypes, "conditions.clientAppTypes", CLIENT_APP_TYPES);
    checkValues(conditions.signInRiskLevels, "conditions.signInRiskLevels", RISK_LEVELS);
    checkValues(conditions.userRiskLevels, "conditions.userRiskLevels", RISK_LEVELS);
    if (conditions.locations !== undefined && conditions.locations !== null) {
        validateLocationCondition(ctx, conditions.locations);
    }

    // 3. Controls: a policy must grant, block or shape the session.
    const grant = policy.grantControls;
    const session = policy.sessionControls;
    if (!isObject(grant) && !isObject(session)) {
        throw invalid("A policy needs grantControls or sessionControls.");
    }
    if (isObject(grant)) {
        validateGrantControls(ctx, grant);
    }
    if (isObject(session) && ctx.version === "v1.0" && "secureSignInSession" in session) {
        throw invalid(
            "sessionControls.secureSignInSession (token protection) is available in the beta endpoint only.",
        );
    }
}

function validateLocationCondition(ctx: GraphRequestContext, locations: unknown): void {
    if (!isObject(locations)) {
        throw invalid("conditions.locations must be an object.");
    }
    const known = new Set(
        ctx.state.conditionalAccess.namedLocations.map((l) => String(l.id).toLowerCase()),
    );
    for (const key of ["includeLocations", "excludeLocations"]) {
        for (const id of stringArray(locations[key], `conditions.locations.${key}`)) {
            const ok =
                id === "All" ||
                id === "AllTrusted" ||
                id === MFA_TRUSTED_IPS_ID ||
                known.has(id.toLowerCase());
            if (!ok) {
                throw invalid(
                    `conditions.locations.${key} names '${id}', which is not All, AllTrusted or an existing named location.`,
                );
            }
        }
    }
}

function validateGrantControls(ctx: GraphRequestContext, grant: GraphObject): void {
    if (!["AND", "OR"].includes(grant.operator as string)) {
        throw invalid("grantControls.operator must be AND or OR.");
    }
    const controls = stringArray(grant.builtInControls, "grantControls.builtInControls");
    checkValues(controls, "grantControls.builtInControls", BUILT_IN_CONTROLS);
    if (controls.includes("block") && controls.length > 1) {
        throw invalid(
            "grantControls.builtInControls: block cannot be combined with other controls.",
        );
    }
    const strength = grant.authenticationStrength;
    if (isObject(strength)) {
        const known = (ctx.state.conditionalAccess.authenticationStrengthPolicies ?? []).map((s) =>
            String(s.id),
        );
        if (
            !BUILT_IN_STRENGTHS.includes(String(strength.id)) &&
            !known.includes(String(strength.id))
        ) {
            throw invalid(
                `grantControls.authenticationStrength.id '${String(strength.id)}' is not an authentication strength.`,
            );
        }
        if (controls.includes("mfa")) {
            throw invalid("grantControls cannot require both mfa and an authentication strength.");
        }
    }
    if (
        controls.length === 0 &&
        !isObject(strength) &&
        stringArray(grant.termsOfUse, "grantControls.termsOfUse").length === 0
    ) {
        throw invalid("grantControls needs at least one control.");
    }
}

/** Graph's needs for the application condition (see the module comment). */
function requireApplicationReadForAppCondition(ctx: GraphRequestContext, body: GraphObject): void {
    const touchesApps = isObject(body.conditions) && "applications" in body.conditions;
    // Higher permissions that read applications too satisfy the check (the permission
    // manifest relies on Application.ReadWrite.All covering it).
    const readers = [
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ];
    const roles = rolesOf(ctx);
    if (touchesApps && !readers.some((r) => roles.has(r))) {
        throw new GraphHttpError(
            403,
            "AccessDenied",
            "Insufficient privileges to create or update policy. Application.Read.All scope is required to add/edit application condition.",
        );
    }
}

/** Fills the defaults Graph returns for unset parts of a policy (lists empty, objects null). */
function normalizePolicy(policy: GraphObject): GraphObject {
    const conditions = (policy.conditions ?? {}) as GraphObject;
    const users = (conditions.users ?? {}) as GraphObject;
    const apps = (conditions.applications ?? {}) as GraphObject;
    const normalized: GraphObject = {
        ...policy,
        sessionControls: policy.sessionControls ?? null,
        conditions: {
            signInRiskLevels: [],
            clientAppTypes: ["all"],
            platforms: null,
            locations: null,
            ...conditions,
            applications: {
                excludeApplications: [],
                includeUserActions: [],
                ...apps,
                includeApplications: apps.includeApplications ?? [],
            },
            users: {
                includeUsers: [],
                excludeUsers: [],
                includeGroups: [],
                excludeGroups: [],
                includeRoles: [],
                excludeRoles: [],
                ...users,
            },
        },
        grantControls: isObject(policy.grantControls)
            ? {
                  customAuthenticationFactors: [],
                  termsOfUse: [],
                  builtInControls: [],
                  ...policy.grantControls,
              }
            : (policy.grantControls ?? null),
    };
    const locations = (normalized.conditions as GraphObject).locations;
    if (isObject(locations)) {
        (normalized.conditions as GraphObject).locations = {
            includeLocations: [],
            excludeLocations: [],
            ...locations,
        };
    }
    return normalized;
}

/** The policy as this API version shows it (v1.0 has no token protection control). */
function policyView(ctx: GraphRequestContext, policy: GraphObject): GraphObject {
    const view = clone(policy);
    if (ctx.version === "v1.0" && isObject(view.sessionControls)) {
        delete view.sessionControls.secureSignInSession;
    }
    return view;
}

function findPolicy(ctx: GraphRequestContext): GraphObject {
    const id = ctx.params.policyId ?? "";
    const policy = ctx.state.conditionalAccess.policies.find(
        (p) => String(p.id).toLowerCase() === id.toLowerCase(),
    );
    if (!policy) {
        throw notFound("conditional access policy", id);
    }
    return policy;
}

function listPolicies(ctx: GraphRequestContext): GraphResponse {
    const items = ctx.state.conditionalAccess.policies.map((p) => policyView(ctx, p));
    return collection(ctx, items, { context: "identity/conditionalAccess/policies" });
}

function getPolicy(ctx: GraphRequestContext): GraphResponse {
    return entity(
        ctx,
        policyView(ctx, findPolicy(ctx)),
        "identity/conditionalAccess/policies/$entity",
    );
}

const READ_ONLY_POLICY_FIELDS = ["id", "createdDateTime", "modifiedDateTime", "templateId"];

function createPolicy(ctx: GraphRequestContext): GraphResponse {
    const body = bodyObject(ctx);
    requireApplicationReadForAppCondition(ctx, body);
    const input = clone(body);
    for (const key of READ_ONLY_POLICY_FIELDS) delete input[key];
    validatePolicy(ctx, input);

    const policy = normalizePolicy({
        id: ctx.newId(),
        createdDateTime: ctx.now().toISOString(),
        modifiedDateTime: null,
        ...input,
    });
    ctx.state.conditionalAccess.policies.push(policy);
    const response = entity(
        ctx,
        policyView(ctx, policy),
        "identity/conditionalAccess/policies/$entity",
    );
    return { ...response, status: 201 };
}

/** Merges a PATCH (conditions per condition, the rest per property), validates, saves. */
function updatePolicy(ctx: GraphRequestContext): GraphResponse {
    const policy = findPolicy(ctx);
    const body = bodyObject(ctx);
    requireApplicationReadForAppCondition(ctx, body);
    for (const key of READ_ONLY_POLICY_FIELDS) {
        if (key in body && key !== "id") {
            throw invalid(`${key} is read-only.`);
        }
    }
    const merged: GraphObject = { ...clone(policy) };
    for (const [key, value] of Object.entries(body)) {
        if (key === "id") continue;
        if (key === "conditions" && isObject(value) && isObject(merged.conditions)) {
            merged.conditions = { ...merged.conditions, ...clone(value) };
        } else {
            merged[key] = clone(value);
        }
    }
    validatePolicy(ctx, merged);

    const saved = normalizePolicy({ ...merged, modifiedDateTime: ctx.now().toISOString() });
    const list = ctx.state.conditionalAccess.policies;
    list[list.indexOf(policy)] = saved;
    return { status: 204 };
}

function deletePolicy(ctx: GraphRequestContext): GraphResponse {
    const policy = findPolicy(ctx);
    ctx.state.conditionalAccess.policies = ctx.state.conditionalAccess.policies.filter(
        (p) => p !== policy,
    );
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Named locations

/** ISO 3166-1 alpha-2 codes, the only country values a country named location takes. */
const ISO_COUNTRIES = new Set(
    (
        "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ " +
        "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM " +
        "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS " +
        "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN " +
        "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ " +
        "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM " +
        "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV " +
        "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI " +
        "VN VU WF WS YE YT ZA ZM ZW"
    ).split(" "),
);

export function isIsoCountryCode(code: string): boolean {
    return ISO_COUNTRIES.has(code);
}

const IP_TYPE = "#microsoft.graph.ipNamedLocation";
const COUNTRY_TYPE = "#microsoft.graph.countryNamedLocation";

/** Checks an IPv4 or IPv6 CIDR range; Entra takes IPv4 prefixes /8 to /32, IPv6 /8 to /128. */
function validCidr(type: unknown, cidr: unknown): boolean {
    if (typeof cidr !== "string") return false;
    const [address, prefixText, extra] = cidr.split("/");
    const prefix = Number(prefixText);
    if (extra !== undefined || !Number.isInteger(prefix)) return false;
    if (type === "#microsoft.graph.iPv4CidrRange") {
        const parts = address.split(".");
        const octets = parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
        return parts.length === 4 && octets && prefix >= 8 && prefix <= 32;
    }
    if (type === "#microsoft.graph.iPv6CidrRange") {
        const groups = address.split(":");
        const shape = /^[0-9a-fA-F:]+$/.test(address) && groups.length >= 3 && groups.length <= 8;
        return shape && (address.match(/::/g) ?? []).length <= 1 && prefix >= 8 && prefix <= 128;
    }
    return false;
}

function validateNamedLocation(location: GraphObject): void {
    const type = location["@odata.type"];
    if (type !== IP_TYPE && type !== COUNTRY_TYPE) {
        throw invalid(`@odata.type is required and must be ${IP_TYPE} or ${COUNTRY_TYPE}.`);
    }
    if (typeof location.displayName !== "string" || location.displayName.trim() === "") {
        throw invalid("displayName is required and cannot be empty.");
    }
    if (type === IP_TYPE) {
        const ranges = location.ipRanges;
        if (!Array.isArray(ranges) || ranges.length === 0) {
            throw invalid("An IP named location needs at least one entry in ipRanges.");
        }
        for (const range of ranges) {
            if (!isObject(range) || !validCidr(range["@odata.type"], range.cidrAddress)) {
                throw invalid(
                    `ipRanges entry ${JSON.stringify(range)} is not a valid #microsoft.graph.iPv4CidrRange (/8 to /32) or #microsoft.graph.iPv6CidrRange (/8 to /128).`,
                );
            }
        }
        if ("isTrusted" in location && typeof location.isTrusted !== "boolean") {
            throw invalid("isTrusted must be a Boolean.");
        }
    } else {
        const countries = location.countriesAndRegions;
        if (!Array.isArray(countries) || countries.length === 0) {
            throw invalid(
                "A country named location needs at least one entry in countriesAndRegions.",
            );
        }
        for (const code of countries) {
            if (typeof code !== "string" || !isIsoCountryCode(code)) {
                throw invalid(
                    `countriesAndRegions contains '${String(code)}', which is not an ISO 3166-1 alpha-2 code (for example US, GB, NG).`,
                );
            }
        }
        if (
            "includeUnknownCountriesAndRegions" in location &&
            typeof location.includeUnknownCountriesAndRegions !== "boolean"
        ) {
            throw invalid("includeUnknownCountriesAndRegions must be a Boolean.");
        }
        if (
            "countryLookupMethod" in location &&
            !["clientIpAddress", "authenticatorAppGps"].includes(
                location.countryLookupMethod as string,
            )
        ) {
            throw invalid("countryLookupMethod must be clientIpAddress or authenticatorAppGps.");
        }
    }
}

function findLocation(ctx: GraphRequestContext): GraphObject {
    const id = ctx.params.locationId ?? "";
    const location = ctx.state.conditionalAccess.namedLocations.find(
        (l) => String(l.id).toLowerCase() === id.toLowerCase(),
    );
    if (!location) {
        throw notFound("named location", id);
    }
    return location;
}

/**
 * Lists named locations. The type-cast filters the documentation shows
 * (`isof('microsoft.graph.ipNamedLocation')` and `microsoft.graph.countryNamedLocation/...`)
 * are resolved here; the rest of the filter goes to the shared OData helper.
 */
function listLocations(ctx: GraphRequestContext): GraphResponse {
    let items = ctx.state.conditionalAccess.namedLocations.map(clone);
    let query = ctx.query;
    const filterKey = [...ctx.query.keys()].find(
        (k) => k.replace(/^\$/, "").toLowerCase() === "filter",
    );
    const filter = filterKey ? (ctx.query.get(filterKey) ?? "") : "";
    const isof = /^\s*isof\('microsoft\.graph\.(\w+)'\)\s*$/i.exec(filter);
    const cast = /microsoft\.graph\.(\w+)\//i.exec(filter);
    if (filterKey && (isof || cast)) {
        const typeName = (isof ?? cast)![1].toLowerCase();
        items = items.filter(
            (l) => String(l["@odata.type"]).toLowerCase() === `#microsoft.graph.${typeName}`,
        );
        query = new URLSearchParams(ctx.query);
        if (isof) {
            query.delete(filterKey);
        } else {
            query.set(filterKey, filter.replace(/microsoft\.graph\.\w+\//gi, ""));
        }
    }
    return collection({ ...ctx, query }, items, {
        context: "identity/conditionalAccess/namedLocations",
    });
}

function createLocation(ctx: GraphRequestContext): GraphResponse {
    const input = clone(bodyObject(ctx));
    for (const key of ["id", "createdDateTime", "modifiedDateTime"]) delete input[key];
    validateNamedLocation(input);
    const now = ctx.now().toISOString();
    const location: GraphObject = {
        "@odata.type": input["@odata.type"],
        id: ctx.newId(),
        createdDateTime: now,
        modifiedDateTime: now,
        ...input,
    };
    if (location["@odata.type"] === IP_TYPE && !("isTrusted" in location))
        location.isTrusted = false;
    if (
        location["@odata.type"] === COUNTRY_TYPE &&
        !("includeUnknownCountriesAndRegions" in location)
    ) {
        location.includeUnknownCountriesAndRegions = false;
    }
    ctx.state.conditionalAccess.namedLocations.push(location);
    const response = entity(ctx, clone(location), "namedLocations/$entity");
    return { ...response, status: 201 };
}

/** A PATCH must restate the location's @odata.type, as the documentation requires. */
function updateLocation(ctx: GraphRequestContext): GraphResponse {
    const location = findLocation(ctx);
    const body = bodyObject(ctx);
    if (body["@odata.type"] !== location["@odata.type"]) {
        throw invalid(
            `The request body must include "@odata.type": "${String(location["@odata.type"])}".`,
        );
    }
    const merged: GraphObject = {
        ...clone(location),
        ...clone(body),
        id: location.id,
        createdDateTime: location.createdDateTime,
    };
    validateNamedLocation(merged);
    merged.modifiedDateTime = ctx.now().toISOString();
    const list = ctx.state.conditionalAccess.namedLocations;
    list[list.indexOf(location)] = merged;
    return { status: 204 };
}

/**
 * Deletes a named location. One still used by a policy is refused so that no policy is left
 * pointing at nothing. Note: the exact wording of Graph's refusal is not documented.
 */
function deleteLocation(ctx: GraphRequestContext): GraphResponse {
    const location = findLocation(ctx);
    const id = String(location.id).toLowerCase();
    const users = ctx.state.conditionalAccess.policies.filter((p) => {
        const locations = p.conditions?.locations;
        if (!isObject(locations)) return false;
        const all = [
            ...stringArray(locations.includeLocations, "includeLocations"),
            ...stringArray(locations.excludeLocations, "excludeLocations"),
        ];
        return all.some((l) => l.toLowerCase() === id);
    });
    if (users.length > 0) {
        throw invalid(
            `Named location '${String(location.id)}' is used by Conditional Access policies (${users.map((p) => String(p.displayName)).join(", ")}); remove it from them first.`,
        );
    }
    ctx.state.conditionalAccess.namedLocations = ctx.state.conditionalAccess.namedLocations.filter(
        (l) => l !== location,
    );
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Routes

const BOTH: Array<"v1.0" | "beta"> = ["v1.0", "beta"];
const CA_READ = { anyOf: ["Policy.Read.All"] };
const CA_WRITE = { anyOf: ["Policy.ReadWrite.ConditionalAccess"], allOf: ["Policy.Read.All"] };

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/identity/conditionalAccess/policies",
        versions: BOTH,
        permissions: CA_READ,
        handler: listPolicies,
    },
    {
        method: "POST",
        pattern: "/identity/conditionalAccess/policies",
        versions: BOTH,
        permissions: CA_WRITE,
        bucket: "conditional-access-write",
        handler: createPolicy,
    },
    {
        method: "GET",
        pattern: "/identity/conditionalAccess/policies/{policyId}",
        versions: BOTH,
        // conditionalaccesspolicy-get is not in examples.json; it documents Policy.Read.All like
        // the list.
        permissions: CA_READ,
        handler: getPolicy,
    },
    {
        method: "PATCH",
        pattern: "/identity/conditionalAccess/policies/{policyId}",
        versions: BOTH,
        permissions: CA_WRITE,
        bucket: "conditional-access-write",
        handler: updatePolicy,
    },
    {
        method: "DELETE",
        pattern: "/identity/conditionalAccess/policies/{policyId}",
        versions: BOTH,
        permissions: CA_WRITE,
        bucket: "conditional-access-write",
        handler: deletePolicy,
    },
    {
        method: "GET",
        pattern: "/identity/conditionalAccess/namedLocations",
        versions: BOTH,
        permissions: CA_READ,
        handler: listLocations,
    },
    {
        method: "POST",
        pattern: "/identity/conditionalAccess/namedLocations",
        versions: BOTH,
        permissions: CA_WRITE,
        bucket: "conditional-access-write",
        handler: createLocation,
    },
    {
        method: "GET",
        pattern: "/identity/conditionalAccess/namedLocations/{locationId}",
        versions: BOTH,
        // namedlocation-get is not in examples.json; it documents Policy.Read.All like the list.
        permissions: CA_READ,
        handler: (ctx) =>
            entity(
                ctx,
                clone(findLocation(ctx)),
                "identity/conditionalAccess/namedLocations/$entity",
            ),
    },
    {
        method: "PATCH",
        pattern: "/identity/conditionalAccess/namedLocations/{locationId}",
        versions: BOTH,
        // namedlocation-update / -delete are not in examples.json; they document the same
        // combination as create (Policy.Read.All and Policy.ReadWrite.ConditionalAccess).
        permissions: CA_WRITE,
        bucket: "conditional-access-write",
        handler: updateLocation,
    },
    {
        method: "DELETE",
        pattern: "/identity/conditionalAccess/namedLocations/{locationId}",
        versions: BOTH,
        permissions: CA_WRITE,
        bucket: "conditional-access-write",
        handler: deleteLocation,
    },
];
