/**
 * A user's authentication methods: the list of all of them, each type's own collection with
 * get and delete, Temporary Access Pass creation under the tenant's TAP policy, and (beta) the
 * user's sign-in preferences.
 *
 * Rules Graph enforces and this module reproduces:
 * - The user's default MFA method cannot be deleted while other methods that could be the
 *   default remain (400 badRequest, the message Graph gives); it can go once it is the last.
 * - A Temporary Access Pass is returned once, at creation. The local tenant stores neither
 *   the pass nor a hash of it. A user holds at most one pass: a new one replaces the old.
 * - Passes follow the TemporaryAccessPass configuration of the authentication methods
 *   policy: disabled or not targeting the user gives 400; lifetime outside the configured
 *   bounds gives 400; a one-time-only policy refuses reusable passes.
 *
 * Permissions: examples.json (authentication-list-methods, the *-delete pages and
 * authentication-post-temporaryaccesspassmethods) and, per type, the stored includes
 * authentication-list-emailmethods, authentication-list-softwareoathmethods and
 * authentication-post-fido2methods (read with the search tool), whose pattern is: least the
 * type's own UserAuthMethod-<Type> permission, higher UserAuthenticationMethod.Read.All /
 * ReadWrite.All.
 */
import { randomInt } from "crypto";
import {
    GraphHttpError,
    type GraphRequestContext,
    type GraphResponse,
    type GraphRoute,
} from "../contracts";
import type { GraphObject, User } from "../model";
import { collection, entity } from "../odata";
import { badRequest, bodyObject, clone, requireUser } from "./shared";

/** The password method's fixed id in every tenant. */
export const PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490";

interface MethodType {
    /** Path segment under /authentication, e.g. "phoneMethods". */
    segment: string;
    /** Graph's @odata.type of the method. */
    odataType: string;
    /** The type's own permission stem (UserAuthMethod-<stem>.Read.All), where documented. */
    granular?: string;
    /** Whether Graph offers DELETE on this type. */
    deletable: boolean;
}

export const METHOD_TYPES: MethodType[] = [
    {
        segment: "phoneMethods",
        odataType: "#microsoft.graph.phoneAuthenticationMethod",
        granular: "Phone",
        deletable: true,
    },
    {
        segment: "emailMethods",
        odataType: "#microsoft.graph.emailAuthenticationMethod",
        granular: "Email",
        deletable: true,
    },
    {
        segment: "fido2Methods",
        odataType: "#microsoft.graph.fido2AuthenticationMethod",
        granular: "Passkey",
        deletable: true,
    },
    {
        segment: "microsoftAuthenticatorMethods",
        odataType: "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
        granular: "MicrosoftAuthApp",
        deletable: true,
    },
    {
        segment: "softwareOathMethods",
        odataType: "#microsoft.graph.softwareOathAuthenticationMethod",
        granular: "SoftwareOATH",
        deletable: true,
    },
    {
        segment: "windowsHelloForBusinessMethods",
        odataType: "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
        deletable: true,
    },
    {
        segment: "temporaryAccessPassMethods",
        odataType: "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        granular: "TAP",
        deletable: true,
    },
    {
        segment: "passwordMethods",
        odataType: "#microsoft.graph.passwordAuthenticationMethod",
        deletable: false,
    },
    {
        segment: "platformCredentialMethods",
        odataType: "#microsoft.graph.platformCredentialAuthenticationMethod",
        deletable: true,
    },
];

const ALL_READ = ["UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"];
const ALL_WRITE = ["UserAuthenticationMethod.ReadWrite.All"];

function readPermissions(type: MethodType): string[] {
    return type.granular
        ? [
              `UserAuthMethod-${type.granular}.Read.All`,
              ...ALL_READ,
              `UserAuthMethod-${type.granular}.ReadWrite.All`,
          ]
        : ALL_READ;
}

function writePermissions(type: MethodType): string[] {
    return type.granular
        ? [`UserAuthMethod-${type.granular}.ReadWrite.All`, ...ALL_WRITE]
        : ALL_WRITE;
}

/** The 404 for a method id the user does not have (or that is of another type). */
function methodNotFound(id: string): GraphHttpError {
    return new GraphHttpError(
        404,
        "itemNotFound",
        `The authentication method '${id}' was not found for this user.`,
    );
}

function methodsContext(user: User, segment: string): string {
    return `users('${user.id}')/authentication/${segment}`;
}

function listAll(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    return collection(ctx, clone(user.authenticationMethods), {
        context: methodsContext(user, "methods"),
    });
}

function getAny(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    const method = user.authenticationMethods.find((m) => m.id === ctx.params.methodId);
    if (!method) {
        throw methodNotFound(ctx.params.methodId ?? "");
    }
    return entity(ctx, clone(method), `${methodsContext(user, "methods")}/$entity`);
}

function ofType(user: User, type: MethodType): GraphObject[] {
    return user.authenticationMethods.filter((m) => m["@odata.type"] === type.odataType);
}

function findOfType(user: User, type: MethodType, id: string | undefined): GraphObject {
    const method = ofType(user, type).find((m) => m.id === id);
    if (!method) {
        throw methodNotFound(id ?? "");
    }
    return method;
}

/**
 * Method types that can be a user's default MFA method. Graph's default-method rule counts
 * only these as "other methods": a FIDO2 key, Windows Hello, a password or a Temporary Access
 * Pass cannot become the default, so they do not block deleting it.
 *
 * Note: the documentation states the rule ("change the default method, then delete"), not
 * which methods count; this is the reading under which the rule can always be satisfied.
 */
const DEFAULT_CAPABLE = [
    "#microsoft.graph.phoneAuthenticationMethod",
    "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
    "#microsoft.graph.softwareOathAuthenticationMethod",
    "#microsoft.graph.hardwareOathAuthenticationMethod",
];

/**
 * Deletes one method with Graph's rules: the default method goes last, and a mobile number
 * cannot go while an alternate mobile remains ("a user can't have an alternateMobile number
 * without a mobile number", phoneAuthenticationMethod-delete). The error texts are written
 * from the documented rules, not captured from the service.
 */
function deleteMethod(ctx: GraphRequestContext, type: MethodType): GraphResponse {
    const user = requireUser(ctx);
    const method = findOfType(user, type, ctx.params.methodId);
    const isPhone = (m: GraphObject, phoneType: string) =>
        m["@odata.type"] === "#microsoft.graph.phoneAuthenticationMethod" &&
        m.phoneType === phoneType;
    if (
        isPhone(method, "mobile") &&
        user.authenticationMethods.some((m) => isPhone(m, "alternateMobile"))
    ) {
        throw badRequest(
            "Cannot delete the mobile phone method while an alternate mobile phone method exists. Delete the alternateMobile number first.",
            "badRequest",
        );
    }
    const others = user.authenticationMethods.filter(
        (m) => m !== method && DEFAULT_CAPABLE.includes(String(m["@odata.type"])),
    );
    if (user.defaultMethodId === method.id && others.length > 0) {
        throw badRequest(
            "Cannot delete default method with other methods configured. Please change default method before deletion.",
            "badRequest",
        );
    }
    user.authenticationMethods = user.authenticationMethods.filter((m) => m !== method);
    if (user.defaultMethodId === method.id) {
        user.defaultMethodId = null;
    }
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Temporary Access Pass

/** The method configuration with this id from the authentication methods policy. */
export function methodConfiguration(ctx: GraphRequestContext, id: string): GraphObject | undefined {
    const configs =
        ctx.state.policies.authenticationMethodsPolicy.authenticationMethodConfigurations;
    if (!Array.isArray(configs)) {
        return undefined;
    }
    return (configs as GraphObject[]).find((c) => String(c.id).toLowerCase() === id.toLowerCase());
}

/** Whether a method configuration's include/exclude targets cover the user. */
export function targetsUser(config: GraphObject, user: User): boolean {
    const matches = (target: unknown): boolean => {
        const id = (target as GraphObject | null)?.id;
        return (
            id === "all_users" ||
            (typeof id === "string" && (user.memberOf.includes(id) || id === user.id))
        );
    };
    const include = Array.isArray(config.includeTargets) ? config.includeTargets : [];
    const exclude = Array.isArray(config.excludeTargets) ? config.excludeTargets : [];
    return include.some(matches) && !exclude.some(matches);
}

/** Characters of a generated pass; Entra's passes mix letters, digits and symbols. */
const TAP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789@#$%&*+=?";

function generatePass(length: number): string {
    let pass = "";
    for (let i = 0; i < length; i++) {
        pass += TAP_ALPHABET[randomInt(TAP_ALPHABET.length)];
    }
    return pass;
}

function numberOr(value: unknown, fallback: number): number {
    return typeof value === "number" ? value : fallback;
}

function createTemporaryAccessPass(ctx: GraphRequestContext): GraphResponse {
    // 1. Resolve the user and the tenant's TAP policy; refuse when it does not apply.
    const user = requireUser(ctx);
    const body = ctx.body === undefined || ctx.body === null ? {} : bodyObject(ctx);
    const config = methodConfiguration(ctx, "TemporaryAccessPass");
    if (!config || config.state !== "enabled" || !targetsUser(config, user)) {
        throw badRequest(
            "The Temporary Access Pass authentication method is not enabled for this user by the authentication methods policy.",
            "badRequest",
        );
    }

    // 2. Check the requested lifetime and usage against the policy's bounds.
    const min = numberOr(config.minimumLifetimeInMinutes, 60);
    const max = numberOr(config.maximumLifetimeInMinutes, 480);
    const lifetime = numberOr(
        body.lifetimeInMinutes,
        numberOr(config.defaultLifetimeInMinutes, 60),
    );
    if (!Number.isInteger(lifetime) || lifetime < min || lifetime > max) {
        throw badRequest(
            `lifetimeInMinutes ${String(body.lifetimeInMinutes)} is outside the policy's range of ${min} to ${max} minutes.`,
            "badRequest",
        );
    }
    if ("isUsableOnce" in body && typeof body.isUsableOnce !== "boolean") {
        throw badRequest("isUsableOnce must be a Boolean.", "badRequest");
    }
    const onceOnly = config.isUsableOnce === true;
    if (onceOnly && body.isUsableOnce === false) {
        throw badRequest(
            "The policy allows only one-time Temporary Access Passes; set isUsableOnce to true.",
            "badRequest",
        );
    }
    const isUsableOnce = typeof body.isUsableOnce === "boolean" ? body.isUsableOnce : onceOnly;
    const now = ctx.now();
    let start = now;
    if (body.startDateTime !== undefined) {
        start = new Date(String(body.startDateTime));
        if (Number.isNaN(start.getTime())) {
            throw badRequest("startDateTime is not a valid date and time.", "badRequest");
        }
    }

    // 3. Replace any existing pass, store the method without the pass, return the pass once.
    const tapType = "#microsoft.graph.temporaryAccessPassAuthenticationMethod";
    user.authenticationMethods = user.authenticationMethods.filter(
        (m) => m["@odata.type"] !== tapType,
    );
    const notYetValid = start.getTime() > now.getTime();
    const method: GraphObject = {
        "@odata.type": tapType,
        id: ctx.newId(),
        temporaryAccessPass: null,
        createdDateTime: now.toISOString(),
        startDateTime: start.toISOString().replace(/\.\d{3}Z$/, "Z"),
        lifetimeInMinutes: lifetime,
        isUsableOnce,
        isUsable: !notYetValid,
        methodUsabilityReason: notYetValid ? "NotYetValid" : "EnabledByPolicy",
    };
    user.authenticationMethods.push(method);
    const pass = generatePass(Math.max(8, Math.min(48, numberOr(config.defaultLength, 8))));
    return { status: 201, body: { ...clone(method), temporaryAccessPass: pass } };
}

// ---------------------------------------------------------------------------------------------
// Sign-in preferences (beta)

/** userPreferredMethodForSecondaryAuthentication values and the method each needs. */
function preferenceFor(method: GraphObject | undefined): string | null {
    if (!method) return null;
    switch (method["@odata.type"]) {
        case "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod":
            return "push";
        case "#microsoft.graph.softwareOathAuthenticationMethod":
            return "oath";
        case "#microsoft.graph.phoneAuthenticationMethod":
            return method.phoneType === "office"
                ? "voiceOffice"
                : method.phoneType === "alternateMobile"
                  ? "voiceAlternateMobile"
                  : "sms";
        default:
            return null;
    }
}

/** The strongest registered method, as the system-preferred MFA feature would pick it. */
function systemPreferred(user: User): string | null {
    const has = (t: string) =>
        user.authenticationMethods.some((m) => m["@odata.type"] === `#microsoft.graph.${t}`);
    if (has("fido2AuthenticationMethod")) return "Fido2";
    if (has("microsoftAuthenticatorAuthenticationMethod")) return "Push";
    if (has("softwareOathAuthenticationMethod")) return "Oath";
    if (has("phoneAuthenticationMethod")) return "Sms";
    return null;
}

function signInPreferencesView(user: User): GraphObject {
    const defaultMethod = user.authenticationMethods.find((m) => m.id === user.defaultMethodId);
    const stored = user.signInPreferences ?? {};
    return {
        isSystemPreferredAuthenticationMethodEnabled:
            stored.isSystemPreferredAuthenticationMethodEnabled ?? true,
        userPreferredMethodForSecondaryAuthentication: preferenceFor(defaultMethod),
        systemPreferredAuthenticationMethod: systemPreferred(user),
    };
}

function getSignInPreferences(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    return entity(
        ctx,
        signInPreferencesView(user),
        `users('${user.id}')/authentication/signInPreferences`,
    );
}

/**
 * Changes the user's preferred MFA method (the default method) or the system-preferred
 * switch. A preference for a method type the user has not registered is refused.
 */
function updateSignInPreferences(ctx: GraphRequestContext): GraphResponse {
    const user = requireUser(ctx);
    const body = bodyObject(ctx);
    let newDefault: GraphObject | undefined;
    if ("userPreferredMethodForSecondaryAuthentication" in body) {
        const wanted = body.userPreferredMethodForSecondaryAuthentication;
        newDefault = user.authenticationMethods.find((m) => preferenceFor(m) === wanted);
        if (!newDefault) {
            throw badRequest(
                `The user has no registered method for preference '${String(wanted)}'.`,
                "badRequest",
            );
        }
    }
    const flag = body.isSystemPreferredAuthenticationMethodEnabled;
    if (flag !== undefined && typeof flag !== "boolean") {
        throw badRequest(
            "isSystemPreferredAuthenticationMethodEnabled must be a Boolean.",
            "badRequest",
        );
    }
    if (newDefault) {
        user.defaultMethodId = newDefault.id as string;
    }
    if (typeof flag === "boolean") {
        user.signInPreferences = {
            ...(user.signInPreferences ?? {}),
            isSystemPreferredAuthenticationMethodEnabled: flag,
        };
    }
    return { status: 204 };
}

// ---------------------------------------------------------------------------------------------
// Routes

function typeRoutes(type: MethodType): GraphRoute[] {
    const routes: GraphRoute[] = [
        {
            method: "GET",
            pattern: `/users/{userId}/authentication/${type.segment}`,
            permissions: { anyOf: readPermissions(type) },
            handler: (ctx) => {
                const user = requireUser(ctx);
                return collection(ctx, clone(ofType(user, type)), {
                    context: methodsContext(user, type.segment),
                });
            },
        },
        {
            method: "GET",
            pattern: `/users/{userId}/authentication/${type.segment}/{methodId}`,
            permissions: { anyOf: readPermissions(type) },
            handler: (ctx) => {
                const user = requireUser(ctx);
                const method = findOfType(user, type, ctx.params.methodId);
                return entity(ctx, clone(method), `${methodsContext(user, type.segment)}/$entity`);
            },
        },
    ];
    if (type.deletable) {
        routes.push({
            method: "DELETE",
            pattern: `/users/{userId}/authentication/${type.segment}/{methodId}`,
            permissions: { anyOf: writePermissions(type) },
            bucket: "directory-write",
            handler: (ctx) => deleteMethod(ctx, type),
        });
    }
    return routes;
}

export const routes: GraphRoute[] = [
    {
        method: "GET",
        pattern: "/users/{userId}/authentication/methods",
        permissions: { anyOf: ALL_READ },
        handler: listAll,
    },
    {
        method: "GET",
        pattern: "/users/{userId}/authentication/methods/{methodId}",
        permissions: { anyOf: ALL_READ },
        handler: getAny,
    },
    {
        method: "POST",
        pattern: "/users/{userId}/authentication/temporaryAccessPassMethods",
        // examples.json: UserAuthenticationMethod.ReadWrite.All. The newer stored include lists
        // UserAuthMethod-TAP.ReadWrite.All too (and read-only permissions, which cannot create
        // anything and are not honoured here).
        permissions: {
            anyOf: ["UserAuthMethod-TAP.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All"],
        },
        bucket: "directory-write",
        handler: createTemporaryAccessPass,
    },
    ...METHOD_TYPES.flatMap(typeRoutes),
    {
        method: "GET",
        pattern: "/users/{userId}/authentication/signInPreferences",
        versions: ["beta"],
        // Beta page authentication-get-signinpreferences (recalled, not in examples.json):
        // UserAuthenticationMethod.Read.All, higher UserAuthenticationMethod.ReadWrite.All.
        permissions: { anyOf: ALL_READ },
        handler: getSignInPreferences,
    },
    {
        method: "PATCH",
        pattern: "/users/{userId}/authentication/signInPreferences",
        versions: ["beta"],
        // Beta page authentication-update-signinpreferences (recalled, not in examples.json).
        permissions: { anyOf: ALL_WRITE },
        bucket: "directory-write",
        handler: updateSignInPreferences,
    },
];
