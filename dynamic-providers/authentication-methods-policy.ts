/**
 * The tenant's authentication methods policy as a Pulumi resource.
 *
 * The policy (`/policies/authenticationMethodsPolicy` and its `authenticationMethodConfigurations`)
 * is a singleton: it cannot be created or deleted. So this resource:
 * 1. on create, records the tenant's current value of every field it declares, then patches
 *    only those fields;
 * 2. on refresh, reports drift only on the fields it declares (`drift` output);
 * 3. on update, records newly declared fields, restores fields no longer declared, and patches
 *    the rest back to what is declared;
 * 4. on delete, restores the recorded values exactly.
 *
 * Note: `numberMatchingRequiredState` is never sent. Microsoft enforces number matching for
 * everyone and rejects writes that carry it, so it is removed from every body, including
 * restored values.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    checkBoolean,
    checkInteger,
    checkOneOf,
    clone,
    declaredEntries,
    declaredMatches,
    describeError,
    getPath,
    inputFailure,
    InputFailure,
    isGuid,
    isObject,
    partialFailure,
    progress,
    setPath,
    settingsDiff,
    showValue,
    withoutKeysDeep,
    withoutODataControl,
} from "./settings-support";
import { openGraph, PolicyGraph, rememberConfig } from "./settings-clients";

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** Whether a method may be used by its targets. */
export type MethodState = "enabled" | "disabled";

/** Settings every method has. */
export interface MethodSettings {
    /**
     * Turns the method on or off for its targets. Default: not managed (the tenant's value stays).
     * Risk if wrong: disabling a method users depend on locks them out of MFA.
     */
    state?: MethodState;
    /**
     * Group object ids (or `"all_users"`) the method applies to. Replaces the method's include
     * targets. Default: not managed. Risk if wrong: an empty or wrong group enables the method
     * for nobody (or for the wrong people).
     */
    includeGroups?: string[];
}

export interface Fido2Settings extends MethodSettings {
    /**
     * Lets users register FIDO2 security keys and passkeys themselves. Default: not managed.
     * Risk if wrong: `false` means every passkey must be provisioned by an administrator.
     */
    allowSelfServiceRegistration?: boolean;
    /**
     * Requires authenticator attestation at registration, so only genuine, certified keys and
     * passkeys are accepted. Default: not managed. Note: device-bound passkeys in Microsoft
     * Authenticator need attestation off unless their AAGUIDs are in `keyRestrictions`.
     */
    enforceAttestation?: boolean;
    /**
     * Allows or blocks specific authenticator models by AAGUID. Default: not managed.
     * Risk if wrong: an `allow` list without the models your users hold blocks their keys.
     */
    keyRestrictions?: { enforcementType: "allow" | "block"; aaGuids: string[] };
}

export interface MicrosoftAuthenticatorSettings extends MethodSettings {
    /**
     * Shows the name of the application asking for approval in push notifications (for all
     * users). Default: not managed. Risk if off: users approve prompts without knowing which
     * app asked, which MFA-fatigue attacks rely on.
     */
    showAppName?: boolean;
    /**
     * Shows the geographic location of the sign-in in push notifications (for all users).
     * Default: not managed. Risk if off: a prompt from another country looks like a local one.
     */
    showLocation?: boolean;
}

export interface EmailOtpSettings extends MethodSettings {
    /**
     * Lets external (B2B guest) users use email one-time passcodes, while `state` governs
     * members. Default: not managed. The BEC baseline sets `state: "disabled"` and this to
     * `true`: members cannot fall back to a code sent to a mailbox an attacker may control.
     */
    allowExternalUsers?: boolean;
}

export interface TemporaryAccessPassSettings extends MethodSettings {
    /** Lifetime of a new pass in minutes (10 to 43200). Default: not managed. Shorter is safer. */
    defaultLifetimeInMinutes?: number;
    /** Shortest lifetime an administrator may choose (10 to 43200). Default: not managed. */
    minimumLifetimeInMinutes?: number;
    /** Longest lifetime an administrator may choose (10 to 43200). Default: not managed. */
    maximumLifetimeInMinutes?: number;
    /** Length of a pass in characters (8 to 48). Default: not managed. */
    defaultLength?: number;
    /**
     * Makes every pass single-use. Default: not managed. Risk if false: a leaked pass can be
     * replayed until it expires.
     */
    isUsableOnce?: boolean;
}

export interface RegistrationCampaignSettings {
    /**
     * `enabled` nudges users without Microsoft Authenticator to register it at sign-in;
     * `default` lets Microsoft decide; `disabled` turns the nudge off. Default: not managed.
     */
    state?: "enabled" | "disabled" | "default";
    /** Days a user may postpone registration (0 to 14). Default: not managed. */
    snoozeDurationInDays?: number;
    /** After the allowed snoozes, registration is required. Default: not managed. */
    enforceRegistrationAfterAllowedSnoozes?: boolean;
    /** Group object ids (or `"all_users"`) the campaign targets. Default: not managed. */
    includeGroups?: string[];
    /** Group object ids excluded from the campaign. Default: not managed. */
    excludeGroups?: string[];
}

/** What an `AuthenticationMethodsPolicy` manages. Every field left out stays as the tenant has it. */
export interface AuthenticationMethodsPolicyInputs {
    /** FIDO2 security keys and passkeys: the phishing-resistant method the baseline relies on. */
    fido2?: Fido2Settings;
    /** Microsoft Authenticator push and passwordless sign-in. */
    microsoftAuthenticator?: MicrosoftAuthenticatorSettings;
    /** SMS codes (phishable and SIM-swappable: the baseline turns them off). */
    sms?: MethodSettings;
    /** Voice calls (phishable: the baseline turns them off). */
    voice?: MethodSettings;
    /** Email one-time passcodes (members off, external users only in the baseline). */
    email?: EmailOtpSettings;
    /** Temporary Access Pass, used to re-register MFA in person after a compromise. */
    temporaryAccessPass?: TemporaryAccessPassSettings;
    /** Software OATH tokens (authenticator apps showing codes). */
    softwareOath?: MethodSettings;
    /** Certificate-based authentication. */
    x509Certificate?: MethodSettings;
    /** The registration campaign (registrationEnforcement.authenticationMethodsRegistrationCampaign). */
    registrationCampaign?: RegistrationCampaignSettings;
}

/** Resource arguments: every input may be a Pulumi output. */
export type AuthenticationMethodsPolicyArgs = {
    [K in keyof AuthenticationMethodsPolicyInputs]?: pulumi.Input<
        AuthenticationMethodsPolicyInputs[K]
    >;
};

// ---------------------------------------------------------------------------------------------
// Pure logic: validation, declared settings, records, request bodies
// ---------------------------------------------------------------------------------------------

/** The Graph configuration id and type of each method input. */
export const METHODS = {
    fido2: { id: "Fido2", odataType: "#microsoft.graph.fido2AuthenticationMethodConfiguration" },
    microsoftAuthenticator: {
        id: "MicrosoftAuthenticator",
        odataType: "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
    },
    sms: { id: "Sms", odataType: "#microsoft.graph.smsAuthenticationMethodConfiguration" },
    voice: { id: "Voice", odataType: "#microsoft.graph.voiceAuthenticationMethodConfiguration" },
    email: { id: "Email", odataType: "#microsoft.graph.emailAuthenticationMethodConfiguration" },
    temporaryAccessPass: {
        id: "TemporaryAccessPass",
        odataType: "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
    },
    softwareOath: {
        id: "SoftwareOath",
        odataType: "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
    },
    x509Certificate: {
        id: "X509Certificate",
        odataType: "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration",
    },
} as const;

type MethodKey = keyof typeof METHODS;

/** Properties Graph refuses in writes; removed from every body we send. */
export const NEVER_SEND = ["numberMatchingRequiredState"] as const;

/** The policy object itself is the target "policy"; a method configuration is its Graph id. */
const POLICY = "policy";
const CAMPAIGN = ["registrationEnforcement", "authenticationMethodsRegistrationCampaign"];
const ALL_USERS = "all_users";

/** One field a resource declares: where it lives in Graph and the value it must have. */
export interface DeclaredSetting {
    /** The input path, for messages ("fido2.state"). */
    field: string;
    /** "policy" or a method configuration id ("Fido2"). */
    target: string;
    /** Property path inside the target. */
    path: string[];
    value: unknown;
}

/** What the tenant had at one declared path before this resource changed it. */
export interface RecordedSetting {
    field: string;
    target: string;
    path: string[];
    /** False when the property did not exist; such a field cannot be restored by PATCH. */
    present: boolean;
    value?: unknown;
}

/** The tenant's policy and the method configurations we read. */
export interface PolicySnapshot {
    policy: Record<string, unknown>;
    /** Method configurations keyed by Graph id. */
    methods: Record<string, Record<string, unknown>>;
}

const METHOD_FIELDS: Record<MethodKey, readonly string[]> = {
    fido2: [
        "state",
        "includeGroups",
        "allowSelfServiceRegistration",
        "enforceAttestation",
        "keyRestrictions",
    ],
    microsoftAuthenticator: ["state", "includeGroups", "showAppName", "showLocation"],
    sms: ["state", "includeGroups"],
    voice: ["state", "includeGroups"],
    email: ["state", "includeGroups", "allowExternalUsers"],
    temporaryAccessPass: [
        "state",
        "includeGroups",
        "defaultLifetimeInMinutes",
        "minimumLifetimeInMinutes",
        "maximumLifetimeInMinutes",
        "defaultLength",
        "isUsableOnce",
    ],
    softwareOath: ["state", "includeGroups"],
    x509Certificate: ["state", "includeGroups"],
};

const CAMPAIGN_FIELDS = [
    "state",
    "snoozeDurationInDays",
    "enforceRegistrationAfterAllowedSnoozes",
    "includeGroups",
    "excludeGroups",
];

/** Validates inputs at preview time; every failure names the field, the value and the fix. */
export function validateAuthenticationMethodsPolicy(
    inputs: Record<string, unknown>,
): InputFailure[] {
    const failures: InputFailure[] = [];

    // 1. Only known sections (a typo would otherwise silently manage nothing).
    const sections = [...Object.keys(METHODS), "registrationCampaign"];
    for (const [key, value] of declaredEntries(inputs)) {
        if (!sections.includes(key)) {
            failures.push(
                inputFailure(
                    key,
                    value,
                    "not a setting of the authentication methods policy",
                    `use one of ${sections.join(", ")}`,
                ),
            );
        }
    }

    // 2. Each method section.
    for (const key of Object.keys(METHODS) as MethodKey[]) {
        const section = inputs[key];
        if (section === undefined) continue;
        if (!isObject(section)) {
            failures.push(
                inputFailure(
                    key,
                    section,
                    "not an object",
                    `give ${key} as an object, e.g. { state: "enabled" }`,
                ),
            );
            continue;
        }
        checkKnownKeys(failures, key, section, METHOD_FIELDS[key]);
        checkOneOf(failures, `${key}.state`, section.state, ["enabled", "disabled"]);
        checkTargets(failures, `${key}.includeGroups`, section.includeGroups, true);
    }

    // 3. Method-specific fields.
    const fido2 = asObject(inputs.fido2);
    checkBoolean(
        failures,
        "fido2.allowSelfServiceRegistration",
        fido2.allowSelfServiceRegistration,
    );
    checkBoolean(failures, "fido2.enforceAttestation", fido2.enforceAttestation);
    checkKeyRestrictions(failures, fido2.keyRestrictions);

    const authenticator = asObject(inputs.microsoftAuthenticator);
    checkBoolean(failures, "microsoftAuthenticator.showAppName", authenticator.showAppName);
    checkBoolean(failures, "microsoftAuthenticator.showLocation", authenticator.showLocation);

    checkBoolean(failures, "email.allowExternalUsers", asObject(inputs.email).allowExternalUsers);

    checkTemporaryAccessPass(failures, asObject(inputs.temporaryAccessPass));

    // 4. The registration campaign.
    const campaign = inputs.registrationCampaign;
    if (campaign !== undefined) {
        if (!isObject(campaign)) {
            failures.push(
                inputFailure(
                    "registrationCampaign",
                    campaign,
                    "not an object",
                    'give it as an object, e.g. { state: "enabled" }',
                ),
            );
        } else {
            checkKnownKeys(failures, "registrationCampaign", campaign, CAMPAIGN_FIELDS);
            checkOneOf(failures, "registrationCampaign.state", campaign.state, [
                "enabled",
                "disabled",
                "default",
            ]);
            checkInteger(
                failures,
                "registrationCampaign.snoozeDurationInDays",
                campaign.snoozeDurationInDays,
                0,
                14,
            );
            checkBoolean(
                failures,
                "registrationCampaign.enforceRegistrationAfterAllowedSnoozes",
                campaign.enforceRegistrationAfterAllowedSnoozes,
            );
            checkTargets(
                failures,
                "registrationCampaign.includeGroups",
                campaign.includeGroups,
                true,
            );
            checkTargets(
                failures,
                "registrationCampaign.excludeGroups",
                campaign.excludeGroups,
                false,
            );
        }
    }
    return failures;
}

function asObject(value: unknown): Record<string, unknown> {
    return isObject(value) ? value : {};
}

function checkKnownKeys(
    failures: InputFailure[],
    section: string,
    value: Record<string, unknown>,
    known: readonly string[],
): void {
    for (const key of Object.keys(value)) {
        if (value[key] === undefined || known.includes(key)) continue;
        const why =
            key === "numberMatchingRequiredState" || key === "numberMatching"
                ? "number matching is enforced by Microsoft for everyone and cannot be set"
                : "not a setting of this method";
        failures.push(
            inputFailure(
                `${section}.${key}`,
                value[key],
                why,
                `remove it; known settings are ${known.join(", ")}`,
            ),
        );
    }
}

function checkTargets(
    failures: InputFailure[],
    field: string,
    value: unknown,
    allowAllUsers: boolean,
): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
        failures.push(
            inputFailure(
                field,
                value,
                "not a list",
                'give a list of group object ids, e.g. ["all_users"]',
            ),
        );
        return;
    }
    if (allowAllUsers && value.length === 0) {
        failures.push(
            inputFailure(
                field,
                value,
                "an empty list would apply the setting to nobody",
                'list at least one group object id or "all_users"',
            ),
        );
    }
    value.forEach((id, i) => {
        if (isGuid(id) || (allowAllUsers && id === ALL_USERS)) return;
        const fix = allowAllUsers
            ? 'use a group object id (a GUID) or "all_users"'
            : "use a group object id (a GUID)";
        failures.push(inputFailure(`${field}[${i}]`, id, "not a group object id", fix));
    });
}

function checkKeyRestrictions(failures: InputFailure[], value: unknown): void {
    if (value === undefined) return;
    if (!isObject(value)) {
        failures.push(
            inputFailure(
                "fido2.keyRestrictions",
                value,
                "not an object",
                'give { enforcementType: "allow", aaGuids: ["..."] }',
            ),
        );
        return;
    }
    checkOneOf(failures, "fido2.keyRestrictions.enforcementType", value.enforcementType, [
        "allow",
        "block",
    ]);
    if (value.enforcementType === undefined) {
        failures.push(
            inputFailure(
                "fido2.keyRestrictions.enforcementType",
                undefined,
                "required",
                'use "allow" or "block"',
            ),
        );
    }
    if (!Array.isArray(value.aaGuids)) {
        failures.push(
            inputFailure(
                "fido2.keyRestrictions.aaGuids",
                value.aaGuids,
                "not a list",
                "list the AAGUIDs of the authenticator models",
            ),
        );
        return;
    }
    value.aaGuids.forEach((g, i) => {
        if (!isGuid(g)) {
            failures.push(
                inputFailure(
                    `fido2.keyRestrictions.aaGuids[${i}]`,
                    g,
                    "not an AAGUID",
                    "use the model's AAGUID (a GUID) from its vendor",
                ),
            );
        }
    });
    if (value.enforcementType === "allow" && value.aaGuids.length === 0) {
        failures.push(
            inputFailure(
                "fido2.keyRestrictions.aaGuids",
                value.aaGuids,
                "an empty allow list blocks every FIDO2 key and passkey",
                'list the allowed AAGUIDs or use enforcementType "block"',
            ),
        );
    }
}

function checkTemporaryAccessPass(failures: InputFailure[], tap: Record<string, unknown>): void {
    const lifetimes = [
        "defaultLifetimeInMinutes",
        "minimumLifetimeInMinutes",
        "maximumLifetimeInMinutes",
    ];
    for (const key of lifetimes) {
        checkInteger(failures, `temporaryAccessPass.${key}`, tap[key], 10, 43200);
    }
    checkInteger(failures, "temporaryAccessPass.defaultLength", tap.defaultLength, 8, 48);
    checkBoolean(failures, "temporaryAccessPass.isUsableOnce", tap.isUsableOnce);

    // The lifetimes must nest: minimum <= default <= maximum (only among the declared ones).
    const min = tap.minimumLifetimeInMinutes;
    const def = tap.defaultLifetimeInMinutes;
    const max = tap.maximumLifetimeInMinutes;
    const ordered = (a: unknown, b: unknown) =>
        typeof a !== "number" || typeof b !== "number" || a <= b;
    if (!ordered(min, def)) {
        failures.push(
            inputFailure(
                "temporaryAccessPass.defaultLifetimeInMinutes",
                def,
                `shorter than minimumLifetimeInMinutes (${showValue(min)})`,
                "raise it or lower the minimum",
            ),
        );
    }
    if (!ordered(def, max)) {
        failures.push(
            inputFailure(
                "temporaryAccessPass.defaultLifetimeInMinutes",
                def,
                `longer than maximumLifetimeInMinutes (${showValue(max)})`,
                "lower it or raise the maximum",
            ),
        );
    }
    if (!ordered(min, max)) {
        failures.push(
            inputFailure(
                "temporaryAccessPass.minimumLifetimeInMinutes",
                min,
                `longer than maximumLifetimeInMinutes (${showValue(max)})`,
                "make the minimum at most the maximum",
            ),
        );
    }
}

/** The include target Graph expects for a method, with the safest per-method defaults. */
function methodTarget(key: MethodKey, id: string): Record<string, unknown> {
    const target: Record<string, unknown> = {
        targetType: "group",
        id,
        isRegistrationRequired: false,
    };
    // Push and passwordless both allowed; the method state decides whether it is on at all.
    if (key === "microsoftAuthenticator") target.authenticationMode = "any";
    // SMS as a first factor (sign-in with a code, no password) is never wanted here.
    if (key === "sms") target.isUsableForSignIn = false;
    return target;
}

/** Turns inputs into the list of Graph fields they declare, each with its required value. */
export function declaredSettings(inputs: AuthenticationMethodsPolicyInputs): DeclaredSetting[] {
    const settings: DeclaredSetting[] = [];
    const add = (field: string, target: string, path: string[], value: unknown) => {
        if (value !== undefined) settings.push({ field, target, path, value });
    };

    // 1. Settings every method shares.
    for (const key of Object.keys(METHODS) as MethodKey[]) {
        const section = inputs[key] as MethodSettings | undefined;
        if (!section) continue;
        const target = METHODS[key].id;
        add(`${key}.state`, target, ["state"], section.state);
        add(
            `${key}.includeGroups`,
            target,
            ["includeTargets"],
            section.includeGroups?.map((id) => methodTarget(key, id)),
        );
    }

    // 2. FIDO2 and passkeys.
    const fido2 = inputs.fido2;
    if (fido2) {
        add(
            "fido2.allowSelfServiceRegistration",
            "Fido2",
            ["isSelfServiceRegistrationAllowed"],
            fido2.allowSelfServiceRegistration,
        );
        add(
            "fido2.enforceAttestation",
            "Fido2",
            ["isAttestationEnforced"],
            fido2.enforceAttestation,
        );
        if (fido2.keyRestrictions) {
            add("fido2.keyRestrictions", "Fido2", ["keyRestrictions"], {
                isEnforced: true,
                enforcementType: fido2.keyRestrictions.enforcementType,
                aaGuids: fido2.keyRestrictions.aaGuids,
            });
        }
    }

    // 3. Authenticator context: app name and location, for all users when shown.
    const authenticator = inputs.microsoftAuthenticator;
    const feature = (field: string, name: string, shown: boolean | undefined) => {
        if (shown === undefined) return;
        const base = ["featureSettings", name];
        add(field, "MicrosoftAuthenticator", [...base, "state"], shown ? "enabled" : "disabled");
        if (shown) {
            add(field, "MicrosoftAuthenticator", [...base, "includeTarget"], {
                targetType: "group",
                id: ALL_USERS,
            });
        }
    };
    feature(
        "microsoftAuthenticator.showAppName",
        "displayAppInformationRequiredState",
        authenticator?.showAppName,
    );
    feature(
        "microsoftAuthenticator.showLocation",
        "displayLocationInformationRequiredState",
        authenticator?.showLocation,
    );

    // 4. Email OTP for external users.
    const external = inputs.email?.allowExternalUsers;
    add(
        "email.allowExternalUsers",
        "Email",
        ["allowExternalIdToUseEmailOtp"],
        external === undefined ? undefined : external ? "enabled" : "disabled",
    );

    // 5. Temporary Access Pass.
    const tap = inputs.temporaryAccessPass;
    if (tap) {
        for (const key of [
            "defaultLifetimeInMinutes",
            "minimumLifetimeInMinutes",
            "maximumLifetimeInMinutes",
            "defaultLength",
            "isUsableOnce",
        ] as const) {
            add(`temporaryAccessPass.${key}`, "TemporaryAccessPass", [key], tap[key]);
        }
    }

    // 6. The registration campaign on the policy itself.
    const campaign = inputs.registrationCampaign;
    if (campaign) {
        add("registrationCampaign.state", POLICY, [...CAMPAIGN, "state"], campaign.state);
        add(
            "registrationCampaign.snoozeDurationInDays",
            POLICY,
            [...CAMPAIGN, "snoozeDurationInDays"],
            campaign.snoozeDurationInDays,
        );
        add(
            "registrationCampaign.enforceRegistrationAfterAllowedSnoozes",
            POLICY,
            [...CAMPAIGN, "enforceRegistrationAfterAllowedSnoozes"],
            campaign.enforceRegistrationAfterAllowedSnoozes,
        );
        add(
            "registrationCampaign.includeGroups",
            POLICY,
            [...CAMPAIGN, "includeTargets"],
            campaign.includeGroups?.map((id) => ({
                id,
                targetType: "group",
                targetedAuthenticationMethod: "microsoftAuthenticator",
            })),
        );
        add(
            "registrationCampaign.excludeGroups",
            POLICY,
            [...CAMPAIGN, "excludeTargets"],
            campaign.excludeGroups?.map((id) => ({ id, targetType: "group" })),
        );
    }
    return settings;
}

/** A stable key for a Graph location ("Fido2:state"). */
export function settingKey(s: { target: string; path: string[] }): string {
    return `${s.target}:${s.path.join(".")}`;
}

/** The method configuration ids a list of settings touches (to read them before writing). */
export function targetsOf(settings: Array<{ target: string }>): string[] {
    return [...new Set(settings.map((s) => s.target).filter((t) => t !== POLICY))];
}

/** The current tenant value at a setting's location. */
export function currentValue(
    snapshot: PolicySnapshot,
    s: { target: string; path: string[] },
): unknown {
    const root = s.target === POLICY ? snapshot.policy : snapshot.methods[s.target];
    return getPath(root, s.path);
}

/** Records what the tenant has now at each declared location (before we change it). */
export function recordSettings(
    snapshot: PolicySnapshot,
    settings: DeclaredSetting[],
): RecordedSetting[] {
    const seen = new Set<string>();
    const records: RecordedSetting[] = [];
    for (const s of settings) {
        if (seen.has(settingKey(s))) continue;
        seen.add(settingKey(s));
        const value = currentValue(snapshot, s);
        records.push(
            value === undefined
                ? { field: s.field, target: s.target, path: s.path, present: false }
                : {
                      field: s.field,
                      target: s.target,
                      path: s.path,
                      present: true,
                      value: clone(value),
                  },
        );
    }
    return records;
}

/** Human-readable drift lines for the declared fields the tenant no longer matches. */
export function findDrift(snapshot: PolicySnapshot, settings: DeclaredSetting[]): string[] {
    return settings
        .filter((s) => !declaredMatches(s.value, currentValue(snapshot, s)))
        .map((s) => {
            const where = `${s.target === POLICY ? "policy" : s.target}.${s.path.join(".")}`;
            return `${s.field}: declared ${showValue(s.value)} at ${where}, tenant has ${showValue(currentValue(snapshot, s))}`;
        });
}

/** One PATCH to send: the policy itself or one method configuration. */
export interface PolicyPatch {
    target: string;
    body: Record<string, unknown>;
}

/**
 * Builds the PATCH bodies that put `values` in place. Complex properties are sent whole (Graph
 * replaces them), starting from the tenant's current value so their other members survive;
 * method bodies carry their `@odata.type`, which Graph requires. `numberMatchingRequiredState`
 * is stripped everywhere.
 */
export function buildPatches(
    snapshot: PolicySnapshot,
    values: Array<{ target: string; path: string[]; value: unknown }>,
): PolicyPatch[] {
    const bodies = new Map<string, Record<string, unknown>>();
    for (const v of values) {
        const base = v.target === POLICY ? snapshot.policy : snapshot.methods[v.target];
        let body = bodies.get(v.target);
        if (!body) {
            body = {};
            if (v.target !== POLICY) {
                body["@odata.type"] = base?.["@odata.type"] ?? odataTypeOf(v.target);
            }
            bodies.set(v.target, body);
        }
        setPath(body, v.path, v.value, base);
    }
    return [...bodies.entries()].map(([target, body]) => ({
        target,
        body: withoutKeysDeep(body, NEVER_SEND),
    }));
}

function odataTypeOf(methodId: string): string | undefined {
    return Object.values(METHODS).find((m) => m.id.toLowerCase() === methodId.toLowerCase())
        ?.odataType;
}

/**
 * What an update must do: restore locations no longer declared, record newly declared ones,
 * and put every declared value in place where the tenant differs.
 */
export function planChange(
    snapshot: PolicySnapshot,
    recorded: RecordedSetting[],
    declared: DeclaredSetting[],
): { patches: PolicyPatch[]; recorded: RecordedSetting[]; restoredFields: string[] } {
    const declaredKeys = new Set(declared.map(settingKey));
    const recordedKeys = new Set(recorded.map(settingKey));

    // 1. Locations no longer declared go back to what they were (when they existed).
    const released = recorded.filter((r) => !declaredKeys.has(settingKey(r)));
    const restores = released
        .filter((r) => r.present && !declaredMatches(r.value, currentValue(snapshot, r)))
        .map((r) => ({ target: r.target, path: r.path, value: r.value }));

    // 2. Newly declared locations are recorded before we touch them.
    const kept = recorded.filter((r) => declaredKeys.has(settingKey(r)));
    const added = recordSettings(
        snapshot,
        declared.filter((d) => !recordedKeys.has(settingKey(d))),
    );

    // 3. Every declared value the tenant does not have is written.
    const writes = declared
        .filter((d) => !declaredMatches(d.value, currentValue(snapshot, d)))
        .map((d) => ({ target: d.target, path: d.path, value: d.value }));

    return {
        patches: buildPatches(snapshot, [...restores, ...writes]),
        recorded: [...kept, ...added],
        restoredFields: released.map((r) => r.field),
    };
}

/** The PATCHes that put every recorded value back (for delete). */
export function planRestore(snapshot: PolicySnapshot, recorded: RecordedSetting[]): PolicyPatch[] {
    const restores = recorded
        .filter((r) => r.present && !declaredMatches(r.value, currentValue(snapshot, r)))
        .map((r) => ({ target: r.target, path: r.path, value: r.value }));
    return buildPatches(snapshot, restores);
}

/** Inputs without the provider's own bookkeeping (outputs and the serialized provider). */
export function inputsOf(props: Record<string, any>): AuthenticationMethodsPolicyInputs {
    const out: Record<string, unknown> = {};
    for (const key of [...Object.keys(METHODS), "registrationCampaign"]) {
        if (props[key] !== undefined) out[key] = props[key];
    }
    return out as AuthenticationMethodsPolicyInputs;
}

// ---------------------------------------------------------------------------------------------
// Tenant access (the only code here that makes requests)
// ---------------------------------------------------------------------------------------------

const POLICY_PATH = "/policies/authenticationMethodsPolicy";
const METHOD_PATH = `${POLICY_PATH}/authenticationMethodConfigurations`;

/** Reads the policy and every method configuration `methodIds` names. */
export async function readSnapshot(
    graph: PolicyGraph,
    methodIds: string[],
): Promise<PolicySnapshot> {
    // 1. The policy; Graph returns the method configurations inline.
    const policy = withoutODataControl(await graph.get(POLICY_PATH)) as Record<string, unknown>;
    const methods: Record<string, Record<string, unknown>> = {};
    const inline = Array.isArray(policy.authenticationMethodConfigurations)
        ? (policy.authenticationMethodConfigurations as Array<Record<string, unknown>>)
        : [];
    for (const id of methodIds) {
        const found = inline.find(
            (m) => typeof m.id === "string" && m.id.toLowerCase() === id.toLowerCase(),
        );
        if (found) methods[id] = found;
    }

    // 2. Any declared method the inline list did not carry is read on its own.
    const missing = methodIds.filter((id) => !methods[id]);
    const fetched = await Promise.all(
        missing.map(async (id) => withoutODataControl(await graph.get(`${METHOD_PATH}/${id}`))),
    );
    missing.forEach((id, i) => (methods[id] = fetched[i] as Record<string, unknown>));

    delete policy.authenticationMethodConfigurations;
    return { policy, methods };
}

/** Sends the patches, policy first, then each method. Returns the targets written. */
export async function applyPatches(
    graph: PolicyGraph,
    patches: PolicyPatch[],
    label: string,
): Promise<string[]> {
    const done: string[] = [];
    for (const patch of patches) {
        const path = patch.target === POLICY ? POLICY_PATH : `${METHOD_PATH}/${patch.target}`;
        progress(
            label,
            `updating ${patch.target === POLICY ? "the registration campaign" : `method ${patch.target}`}`,
        );
        await graph.patch(path, patch.body);
        done.push(patch.target);
    }
    return done;
}

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------

const SINGLETON_ID = "authenticationMethodsPolicy";

/** Outputs beside the inputs. */
export interface AuthenticationMethodsPolicyOutputs extends AuthenticationMethodsPolicyInputs {
    /** What the tenant had at each declared location before this resource changed it. */
    previous: RecordedSetting[];
    /** Declared fields the tenant no longer matches (filled by refresh; empty after apply). */
    drift: string[];
}

function labelOf(props: Record<string, any>): string {
    return typeof props.label === "string" ? props.label : "AuthenticationMethodsPolicy";
}

function partial(err: unknown, id: string, properties: Record<string, unknown>): Error {
    return partialFailure(`authentication methods policy: ${describeError(err)}`, id, properties);
}

export const authenticationMethodsPolicyProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        // Stack config (credentials, cloud, break-glass accounts) for every later call.
        rememberConfig(req.config);
    },

    async check(_olds, news) {
        return { inputs: news, failures: validateAuthenticationMethodsPolicy(news) };
    },

    async diff(_id, olds, news) {
        return settingsDiff(olds, news, inputsOf);
    },

    async create(inputs) {
        const label = labelOf(inputs);
        const graph = await openGraph();
        const declared = declaredSettings(inputsOf(inputs));

        // 1. Read and record what the tenant has before anything changes.
        const snapshot = await readSnapshot(graph, targetsOf(declared));
        const previous = recordSettings(snapshot, declared);
        progress(
            label,
            `recorded ${previous.length} current value(s) of the authentication methods policy`,
        );

        // 2. Write the declared values the tenant does not already have.
        const plan = planChange(snapshot, previous, declared);
        const outs = { ...inputs, previous, drift: [] as string[] };
        try {
            await applyPatches(graph, plan.patches, label);
        } catch (err) {
            throw partial(err, SINGLETON_ID, { ...outs, drift: ["apply did not finish"] });
        }
        return { id: SINGLETON_ID, outs };
    },

    async read(id, props) {
        const graph = await openGraph();
        const declared = declaredSettings(inputsOf(props));
        const previous: RecordedSetting[] = Array.isArray(props.previous) ? props.previous : [];
        const snapshot = await readSnapshot(graph, targetsOf([...declared, ...previous]));
        return { id, props: { ...props, drift: findDrift(snapshot, declared) } };
    },

    async update(id, olds, news) {
        const label = labelOf(news);
        const graph = await openGraph();
        const declared = declaredSettings(inputsOf(news));
        const recorded: RecordedSetting[] = Array.isArray(olds.previous) ? olds.previous : [];

        // 1. Read; plan restores of released fields, records of new ones, writes of the rest.
        const snapshot = await readSnapshot(graph, targetsOf([...declared, ...recorded]));
        const plan = planChange(snapshot, recorded, declared);
        if (plan.restoredFields.length > 0) {
            progress(
                label,
                `restoring fields no longer declared: ${plan.restoredFields.join(", ")}`,
            );
        }

        // 2. Write; on failure keep the union of records so nothing recorded is lost.
        const outs = { ...news, previous: plan.recorded, drift: [] as string[] };
        try {
            await applyPatches(graph, plan.patches, label);
        } catch (err) {
            const union = [
                ...plan.recorded,
                ...recorded.filter(
                    (r) => !plan.recorded.some((p) => settingKey(p) === settingKey(r)),
                ),
            ];
            throw partial(err, id, { ...outs, previous: union, drift: ["apply did not finish"] });
        }
        return { outs };
    },

    async delete(_id, props) {
        const label = labelOf(props);
        const graph = await openGraph();
        const recorded: RecordedSetting[] = Array.isArray(props.previous) ? props.previous : [];

        // 1. Read, then put back every recorded value that differs.
        const snapshot = await readSnapshot(graph, targetsOf(recorded));
        const patches = planRestore(snapshot, recorded);
        const absent = recorded.filter((r) => !r.present).map((r) => r.field);
        if (absent.length > 0) {
            progress(
                label,
                `left as is (the tenant had no value to restore): ${absent.join(", ")}`,
            );
        }
        progress(label, `restoring ${patches.length} part(s) of the authentication methods policy`);
        await applyPatches(graph, patches, label);
    },
};

/**
 * The tenant's authentication methods policy (a singleton): declares method states, targets and
 * settings; records and restores what it replaces.
 *
 * Note: declare at most one per tenant; two resources over the same singleton would record each
 * other's values.
 */
export class AuthenticationMethodsPolicy extends pulumi.dynamic.Resource {
    /** What the tenant had at each declared location before this resource changed it. */
    declare readonly previous: pulumi.Output<RecordedSetting[]>;
    /** Declared fields the tenant no longer matches (after a refresh). */
    declare readonly drift: pulumi.Output<string[]>;

    constructor(
        name: string,
        args: AuthenticationMethodsPolicyArgs,
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            authenticationMethodsPolicyProvider,
            name,
            { ...args, label: name, previous: undefined, drift: undefined },
            opts,
            "bec-guard",
            "AuthenticationMethodsPolicy",
        );
    }
}
