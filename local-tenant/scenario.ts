/**
 * Scenario files: finding them, parsing them and checking them against the tenant model
 * (model.ts) before the server trusts them. A scenario that is wrong must fail at start with
 * the file and the JSON path of the bad field, not later as a confusing 500 from a route.
 */
import * as fs from "fs";
import * as path from "path";
import type { TenantState } from "./model";

/** Raised for a scenario that cannot be found, parsed or validated; the message says which. */
export class ScenarioError extends Error {}

/** Folder of the scenarios that ship with the local tenant. */
export const SCENARIO_DIR = path.join(__dirname, "scenarios");

/**
 * Turns a scenario argument into a file path.
 *
 * @param nameOrPath A bare name ("contoso-bec") resolves to local-tenant/scenarios/<name>.json;
 *   anything with a path separator or a `.json` ending is a file path (relative to the cwd).
 */
export function resolveScenarioPath(nameOrPath: string): string {
    const isPath =
        nameOrPath.includes("/") || nameOrPath.includes("\\") || nameOrPath.endsWith(".json");
    const file = isPath ? path.resolve(nameOrPath) : path.join(SCENARIO_DIR, `${nameOrPath}.json`);
    if (fs.existsSync(file)) {
        return file;
    }
    if (isPath) {
        throw new ScenarioError(
            `Scenario file ${file} does not exist. Pass an existing JSON file.`,
        );
    }
    const known = listScenarios();
    throw new ScenarioError(
        `Unknown scenario "${nameOrPath}": there is no ${path.join(SCENARIO_DIR, nameOrPath)}.json. ` +
            `Known scenarios: ${known.length ? known.join(", ") : "(none)"}; or pass a path to a JSON file.`,
    );
}

/** Names of the scenarios shipped in local-tenant/scenarios. */
export function listScenarios(): string[] {
    try {
        return fs
            .readdirSync(SCENARIO_DIR)
            .filter((f) => f.endsWith(".json"))
            .map((f) => f.slice(0, -".json".length))
            .sort();
    } catch {
        return [];
    }
}

/** Reads, parses and validates a scenario (or a persisted state.json) file. */
export function loadScenarioFile(file: string): TenantState {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new ScenarioError(`Cannot read scenario file ${file}: ${(err as Error).message}`);
    }
    return parseScenario(text, file);
}

/**
 * Parses scenario JSON text and validates it.
 *
 * @param source Where the text came from (a file path or "PUT /_local/state"), named in errors.
 */
export function parseScenario(text: string, source: string): TenantState {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new ScenarioError(
            `Scenario ${source} is not valid JSON: ${describeJsonError(text, err as Error)}`,
        );
    }
    return validateScenario(value, source);
}

/**
 * Checks a parsed value against the tenant model and returns it typed. Unknown extra
 * properties are allowed (Graph objects are open); missing required fields and wrong types
 * are not.
 *
 * @param source Where the value came from, named in the error message.
 */
export function validateScenario(value: unknown, source: string): TenantState {
    const errors: string[] = [];
    tenantStateSchema(value, "$", errors);
    if (errors.length === 0 && (value as TenantState).apps.length === 0) {
        errors.push("$.apps: at least one app registration is needed (the app the CLI prints)");
    }
    if (errors.length > 0) {
        const shown = errors.slice(0, 20).map((e) => `  - ${e}`);
        if (errors.length > 20) {
            shown.push(`  - ... and ${errors.length - 20} more`);
        }
        throw new ScenarioError(
            `Scenario ${source} does not match the tenant model:\n${shown.join("\n")}`,
        );
    }
    return value as TenantState;
}

function describeJsonError(text: string, err: Error): string {
    // Node reports "at position N"; a line and column is what an editor can jump to.
    const match = /position (\d+)/.exec(err.message);
    if (!match) {
        return err.message;
    }
    const before = text.slice(0, Number(match[1]));
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return `${err.message} (line ${line}, column ${column})`;
}

// ---------------------------------------------------------------------------------------------
// A small schema language mirroring model.ts. Each check appends "path: problem" messages.

type Check = (value: unknown, at: string, errors: string[]) => void;
interface Field {
    check: Check;
    optional: boolean;
}

function describe(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 60))}`;
    if (typeof value === "object") return "an object";
    return `${typeof value} ${String(value)}`;
}

function primitive(kind: "string" | "boolean" | "number"): Check {
    return (value, at, errors) => {
        if (typeof value !== kind) {
            errors.push(`${at}: expected a ${kind}, got ${describe(value)}`);
        }
    };
}

const str = primitive("string");
const bool = primitive("boolean");
const num = primitive("number");

function nullable(check: Check): Check {
    return (value, at, errors) => {
        if (value !== null) check(value, at, errors);
    };
}

function oneOf(...allowed: Array<string | number>): Check {
    return (value, at, errors) => {
        if (!allowed.includes(value as string | number)) {
            const list = allowed.map((a) => JSON.stringify(a)).join(", ");
            errors.push(`${at}: expected one of ${list}, got ${describe(value)}`);
        }
    };
}

function arrayOf(item: Check): Check {
    return (value, at, errors) => {
        if (!Array.isArray(value)) {
            errors.push(`${at}: expected an array, got ${describe(value)}`);
            return;
        }
        value.forEach((v, i) => item(v, `${at}[${i}]`, errors));
    };
}

/** Any JSON object (a Graph object or an Exchange settings object). */
const anyObject: Check = (value, at, errors) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        errors.push(`${at}: expected an object, got ${describe(value)}`);
    }
};

function req(check: Check): Field {
    return { check, optional: false };
}
function opt(check: Check): Field {
    return { check, optional: true };
}

function object(fields: Record<string, Field>): Check {
    return (value, at, errors) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            errors.push(`${at}: expected an object, got ${describe(value)}`);
            return;
        }
        const record = value as Record<string, unknown>;
        for (const [name, field] of Object.entries(fields)) {
            const fieldAt = `${at}.${name}`;
            if (record[name] === undefined) {
                if (!field.optional) errors.push(`${fieldAt}: required field is missing`);
                continue;
            }
            field.check(record[name], fieldAt, errors);
        }
    };
}

const appRegistration = object({
    clientId: req(str),
    clientSecret: req(str),
    displayName: req(str),
    servicePrincipalId: req(str),
    graphRoles: req(arrayOf(str)),
    exchangeManageAsApp: req(bool),
    exchangeRoles: req(arrayOf(str)),
    certificates: opt(arrayOf(object({ certificatePem: req(str), displayName: opt(str) }))),
    federatedIdentityCredentials: opt(
        arrayOf(object({ issuer: req(str), subject: req(str), audiences: req(arrayOf(str)) })),
    ),
});

const inboxRule = object({
    id: req(str),
    displayName: req(str),
    sequence: req(num),
    isEnabled: req(bool),
    isHidden: opt(bool),
    hasError: opt(bool),
    isReadOnly: opt(bool),
    conditions: opt(anyObject),
    actions: opt(anyObject),
    exceptions: opt(anyObject),
});

const mailMessage = object({
    id: req(str),
    folder: req(str),
    subject: req(str),
    from: opt(anyObject),
    sender: opt(anyObject),
    toRecipients: opt(arrayOf(anyObject)),
    ccRecipients: opt(arrayOf(anyObject)),
    replyTo: opt(arrayOf(anyObject)),
    receivedDateTime: opt(str),
    sentDateTime: opt(str),
    internetMessageId: opt(str),
    bodyPreview: opt(str),
    hasAttachments: opt(bool),
    isRead: opt(bool),
});

const mailbox = object({
    alias: req(str),
    primarySmtpAddress: req(str),
    recipientTypeDetails: req(
        oneOf("UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox"),
    ),
    forwardingSmtpAddress: req(nullable(str)),
    forwardingAddress: req(nullable(str)),
    deliverToMailboxAndForward: req(bool),
    grantSendOnBehalfTo: req(arrayOf(str)),
    auditEnabled: req(bool),
    popEnabled: req(bool),
    imapEnabled: req(bool),
    activeSyncEnabled: req(bool),
    ewsEnabled: req(bool),
    mapiEnabled: req(bool),
    owaEnabled: req(bool),
    smtpClientAuthenticationDisabled: req(nullable(bool)),
    inboxRules: req(arrayOf(inboxRule)),
    mailboxPermissions: req(
        arrayOf(
            object({
                user: req(str),
                accessRights: req(arrayOf(str)),
                isInherited: req(bool),
                deny: req(bool),
            }),
        ),
    ),
    recipientPermissions: req(
        arrayOf(
            object({ trustee: req(str), accessRights: req(arrayOf(str)), isInherited: req(bool) }),
        ),
    ),
    folderPermissions: req(
        arrayOf(object({ folder: req(str), user: req(str), accessRights: req(arrayOf(str)) })),
    ),
    messages: req(arrayOf(mailMessage)),
});

const user = object({
    id: req(str),
    userPrincipalName: req(str),
    displayName: req(str),
    mail: req(nullable(str)),
    givenName: opt(nullable(str)),
    surname: opt(nullable(str)),
    jobTitle: opt(nullable(str)),
    department: opt(nullable(str)),
    accountEnabled: req(bool),
    userType: req(oneOf("Member", "Guest")),
    onPremisesSyncEnabled: req(nullable(bool)),
    onPremisesImmutableId: opt(nullable(str)),
    createdDateTime: req(str),
    signInSessionsValidFromDateTime: req(str),
    lastPasswordChangeDateTime: req(str),
    passwordPolicies: opt(nullable(str)),
    passwordProfile: opt(
        object({
            forceChangePasswordNextSignIn: req(bool),
            forceChangePasswordNextSignInWithMfa: opt(bool),
        }),
    ),
    passwordSha256: opt(str),
    authenticationMethods: req(arrayOf(anyObject)),
    defaultMethodId: opt(nullable(str)),
    memberOf: req(arrayOf(str)),
    directoryRoles: opt(arrayOf(str)),
    mailbox: req(nullable(mailbox)),
    signInPreferences: opt(anyObject),
});

const group = object({
    id: req(str),
    displayName: req(str),
    mailNickname: opt(str),
    securityEnabled: req(bool),
    mailEnabled: req(bool),
});

const tenantStateSchema: Check = object({
    schemaVersion: req(oneOf(1)),
    tenant: req(
        object({
            id: req(str),
            displayName: req(str),
            initialDomain: req(str),
            verifiedDomains: req(arrayOf(str)),
        }),
    ),
    apps: req(arrayOf(appRegistration)),
    users: req(arrayOf(user)),
    groups: req(arrayOf(group)),
    servicePrincipals: req(arrayOf(anyObject)),
    oauth2PermissionGrants: req(arrayOf(anyObject)),
    appRoleAssignments: req(arrayOf(anyObject)),
    policies: req(
        object({
            authenticationMethodsPolicy: req(anyObject),
            authorizationPolicy: req(anyObject),
            adminConsentRequestPolicy: req(anyObject),
            identitySecurityDefaultsEnforcementPolicy: opt(anyObject),
        }),
    ),
    conditionalAccess: req(
        object({
            policies: req(arrayOf(anyObject)),
            namedLocations: req(arrayOf(anyObject)),
            authenticationStrengthPolicies: opt(arrayOf(anyObject)),
        }),
    ),
    auditLogs: req(
        object({ signIns: req(arrayOf(anyObject)), directoryAudits: req(arrayOf(anyObject)) }),
    ),
    exchange: req(
        object({
            organizationConfig: req(anyObject),
            adminAuditLogConfig: req(anyObject),
            hostedOutboundSpamFilterPolicies: req(arrayOf(anyObject)),
            remoteDomains: req(arrayOf(anyObject)),
            transportRules: req(arrayOf(anyObject)),
            dkimSigningConfigs: req(arrayOf(anyObject)),
            acceptedDomains: req(arrayOf(anyObject)),
            transportConfig: opt(anyObject),
            externalInOutlook: opt(anyObject),
        }),
    ),
});
