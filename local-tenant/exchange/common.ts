/**
 * What every Exchange cmdlet of the local tenant shares: parameter binding the way PowerShell
 * does it (case-insensitive names, typed values, unknown names refused), the exact error and
 * warning texts Exchange Online writes, and recipient identity resolution.
 *
 * The texts below were checked against public transcripts of real Exchange Online output
 * (issue trackers and scripts that match on them, for example CIPP-API's
 * Remove-CIPPMailboxPermissions matching "because the ACE doesn't exist on the object").
 * Clients match on these substrings, so keep them verbatim.
 */
import { CmdletError, type CmdletContext } from "../contracts";
import type { Mailbox, TenantState, User } from "../model";

/** PowerShell's common parameters: every cmdlet binds them, none changes what we model. */
export const COMMON_PARAMETERS = [
    "Verbose",
    "Debug",
    "ErrorAction",
    "WarningAction",
    "InformationAction",
    "ErrorVariable",
    "WarningVariable",
    "InformationVariable",
    "OutVariable",
    "OutBuffer",
    "PipelineVariable",
];

/** Parameters every changing cmdlet accepts; REST callers send Confirm:$false. */
export const CHANGE_PARAMETERS = ["Confirm", "WhatIf"];

/**
 * The server name Exchange puts in "couldn't be found on '...'" messages. Real tenants show a
 * domain controller of their forest; clients must not depend on it, so one constant is enough.
 */
export const DOMAIN_CONTROLLER = "LT1PR01A001DC01.LOCALPR01A001.PROD.OUTLOOK.COM";

// Error types as Exchange names them (the middle part of `Type|Category|Message` in the REST
// error, and the exception type PowerShell shows).
export const NOT_FOUND_EXCEPTION =
    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException";
export const PARAMETER_BINDING_EXCEPTION = "System.Management.Automation.ParameterBindingException";
export const VALIDATION_EXCEPTION = "Microsoft.Exchange.Management.Tasks.ValidationException";
export const ARGUMENT_EXCEPTION = "System.ArgumentException";

/** Unknown -Identity: Exchange's own wording, HTTP 404 as the REST endpoint answers it. */
export function objectNotFound(identity: string): CmdletError {
    return new CmdletError(
        NOT_FOUND_EXCEPTION,
        "ManagementObjectNotFoundException",
        `The operation couldn't be performed because object '${identity}' couldn't be found on ` +
            `'${DOMAIN_CONTROLLER}'.`,
        404,
    );
}

/** Unknown recipient in a parameter other than -Identity (-ForwardingAddress, -User, ...). */
export function recipientNotFound(value: string): CmdletError {
    return new CmdletError(
        NOT_FOUND_EXCEPTION,
        "ManagementObjectNotFoundException",
        `Couldn't find object "${value}". Please make sure that it was spelled correctly or ` +
            `specify a different object.`,
        404,
    );
}

/** The warning Exchange writes when a Set-/Enable-/Disable- cmdlet changed nothing. */
export function noChangeWarning(identity: string): string {
    return (
        `The command completed successfully but no settings of '${identity}' have been ` +
        `modified.`
    );
}

/** A parameter the cmdlet does not have. */
export function unknownParameter(cmdlet: string, name: string): CmdletError {
    return new CmdletError(
        PARAMETER_BINDING_EXCEPTION,
        "InvalidArgument",
        `A parameter cannot be found that matches parameter name '${name}'.`,
    );
}

/** A mandatory parameter that was not sent (REST callers cannot be prompted). */
export function missingParameter(cmdlet: string, names: string[]): CmdletError {
    return new CmdletError(
        PARAMETER_BINDING_EXCEPTION,
        "InvalidArgument",
        `Cannot process command because of one or more missing mandatory parameters: ` +
            `${names.join(" ")}.`,
    );
}

/** A value PowerShell could not convert to the parameter's type. */
export function badArgument(
    name: string,
    value: unknown,
    type: string,
    detail?: string,
): CmdletError {
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    return new CmdletError(
        PARAMETER_BINDING_EXCEPTION,
        "InvalidData",
        `Cannot process argument transformation on parameter '${name}'. Cannot convert value ` +
            `"${shown}" to type "${type}".` +
            (detail ? ` Error: "${detail}"` : ""),
    );
}

/**
 * The parameters of one invocation, bound like PowerShell binds them: names are matched
 * case-insensitively against the cmdlet's declared parameters, and a name the cmdlet does not
 * declare fails with a parameter-binding error before anything changes.
 */
export class BoundParameters {
    private readonly values = new Map<string, unknown>();

    constructor(
        readonly cmdlet: string,
        declared: string[],
        sent: Record<string, unknown>,
    ) {
        const byLower = new Map(declared.map((name) => [name.toLowerCase(), name]));
        for (const [name, value] of Object.entries(sent ?? {})) {
            const canonical = byLower.get(name.replace(/^-/, "").toLowerCase());
            if (!canonical) throw unknownParameter(cmdlet, name);
            this.values.set(canonical, value);
        }
    }

    /** Whether the caller sent the parameter (even with a null value). */
    has(name: string): boolean {
        return this.values.has(name);
    }

    /** The raw value as sent. */
    raw(name: string): unknown {
        return this.values.get(name);
    }

    /** Names the caller sent, in canonical spelling. */
    names(): string[] {
        return [...this.values.keys()];
    }

    /** Fails with PowerShell's missing-parameter error unless every name was sent. */
    require(...names: string[]): void {
        const missing = names.filter((n) => !this.has(n) || this.values.get(n) === null);
        if (missing.length > 0) throw missingParameter(this.cmdlet, missing);
    }

    string(name: string): string | undefined {
        const value = this.values.get(name);
        if (value === undefined || value === null) return undefined;
        if (typeof value === "string") return value;
        if (typeof value === "number" || typeof value === "boolean") return String(value);
        throw badArgument(name, value, "System.String");
    }

    /** A string that may be cleared: $null and "" both mean "no value". */
    nullableString(name: string): string | null {
        const value = this.string(name);
        return value === undefined || value === "" ? null : value;
    }

    /** A [bool] parameter; also accepts the strings PowerShell converts ("true", "$false", 1). */
    bool(name: string): boolean | undefined {
        const value = this.values.get(name);
        if (value === undefined) return undefined;
        if (typeof value === "boolean") return value;
        if (typeof value === "number" && (value === 0 || value === 1)) return value === 1;
        if (typeof value === "string") {
            const text = value.trim().replace(/^\$/, "").toLowerCase();
            if (text === "true" || text === "1") return true;
            if (text === "false" || text === "0") return false;
        }
        throw badArgument(name, value, "System.Boolean");
    }

    /** A [Nullable[bool]] parameter: $null is a value of its own. */
    nullableBool(name: string): boolean | null | undefined {
        if (this.values.get(name) === null) return null;
        return this.bool(name);
    }

    /** A switch: present (or true) means on; `-Switch:$false` means off. */
    switch(name: string): boolean {
        if (!this.has(name)) return false;
        const value = this.values.get(name);
        if (value === null || value === "" || value === undefined) return true;
        return this.bool(name) ?? true;
    }

    /** An integer parameter. */
    int(name: string): number | undefined {
        const value = this.values.get(name);
        if (value === undefined || value === null) return undefined;
        const number = typeof value === "string" ? Number(value.trim()) : value;
        if (typeof number !== "number" || !Number.isInteger(number)) {
            throw badArgument(name, value, "System.Int32");
        }
        return number;
    }

    /** A parameter whose type is an enumeration; the value is returned in canonical case. */
    enumValue<T extends string>(
        name: string,
        allowed: readonly T[],
        typeName: string,
    ): T | undefined {
        const value = this.string(name);
        if (value === undefined) return undefined;
        const match = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
        if (!match) {
            throw badArgument(
                name,
                value,
                typeName,
                `Unable to match the identifier name ${value} to a valid enumerator name. ` +
                    `Specify one of the following enumerator names and try again: ` +
                    `${[...allowed].sort().join(", ")}`,
            );
        }
        return match;
    }

    /**
     * A MultiValuedProperty: an array, one string, or a comma-separated string (which Exchange
     * splits for most multi-valued string parameters). $null clears.
     */
    list(name: string): string[] | null | undefined {
        const value = this.values.get(name);
        if (value === undefined) return undefined;
        if (value === null) return null;
        if (Array.isArray(value)) return value.map((v) => String(v));
        if (typeof value === "string") {
            return value
                .split(",")
                .map((v) => v.trim())
                .filter((v) => v !== "");
        }
        throw badArgument(name, value, "Microsoft.Exchange.Data.MultiValuedProperty");
    }

    /**
     * A multi-valued parameter that also takes `@{Add=...; Remove=...}`. Over the REST API the
     * hashtable arrives as a JSON object, usually `{"@odata.type":"#Exchange.GenericHashTable",
     * "add": "x"}` (what CIPP sends) with keys in any case and a string or an array per key.
     */
    multiValuedChange(name: string): MultiValuedChange | undefined {
        const value = this.values.get(name);
        if (value === undefined) return undefined;
        if (value === null) return { replace: [] };
        if (typeof value === "object" && !Array.isArray(value)) {
            const change: MultiValuedChange = {};
            for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
                const lower = key.toLowerCase();
                if (lower === "@odata.type") continue;
                const items = entry === null ? [] : Array.isArray(entry) ? entry : [entry];
                if (lower === "add") change.add = items.map(String);
                else if (lower === "remove") change.remove = items.map(String);
                else {
                    throw badArgument(
                        name,
                        value,
                        "Microsoft.Exchange.Data.MultiValuedProperty",
                        `The hash table key "${key}" isn't valid. Use Add or Remove.`,
                    );
                }
            }
            return change;
        }
        return { replace: this.list(name) ?? [] };
    }
}

/** A change to a multi-valued property: replace the whole list, or add and remove items. */
export interface MultiValuedChange {
    replace?: string[];
    add?: string[];
    remove?: string[];
}

/** Binds the invocation's parameters against the cmdlet's declared ones. */
export function bind(cmdlet: string, declared: string[], ctx: CmdletContext): BoundParameters {
    return new BoundParameters(cmdlet, declared, ctx.parameters);
}

// ---------------------------------------------------------------------------------------------
// Recipients.

/** A user that has a mailbox, as the recipient cmdlets see it. */
export interface Recipient {
    user: User;
    mailbox: Mailbox;
}

/** The recipient's Exchange Identity and Name: the alias, as for cloud-created mailboxes. */
export function recipientIdentity(recipient: Recipient): string {
    return recipient.mailbox.alias;
}

/** Strips the "SMTP:"/"smtp:" prefix callers may put on an address. */
export function bareAddress(value: string): string {
    return value.replace(/^smtp:/i, "").trim();
}

/** Every SMTP address of the recipient: primary, UPN, Graph mail, alias@initial domain. */
export function recipientAddresses(recipient: Recipient, state: TenantState): string[] {
    const addresses = [
        recipient.mailbox.primarySmtpAddress,
        recipient.user.userPrincipalName,
        recipient.user.mail ?? "",
        `${recipient.mailbox.alias}@${state.tenant.initialDomain}`,
    ];
    return [...new Set(addresses.filter((a) => a !== "").map((a) => a.toLowerCase()))];
}

/** Every mailbox of the tenant. */
export function allRecipients(state: TenantState): Recipient[] {
    return state.users
        .filter((user): user is User & { mailbox: Mailbox } => user.mailbox !== null)
        .map((user) => ({ user, mailbox: user.mailbox }));
}

/**
 * Finds a mailbox the way Exchange's RecipientIdParameter does: by user principal name, any
 * SMTP address, alias (the Name), the Entra object id (ExternalDirectoryObjectId) or the
 * display name. A display name shared by two mailboxes matches neither, as in Exchange, where
 * it is an error ("matches multiple entries").
 */
export function findRecipient(state: TenantState, value: string): Recipient | undefined {
    const wanted = bareAddress(value).toLowerCase();
    const recipients = allRecipients(state);

    const exact = recipients.find(
        (r) =>
            r.user.id.toLowerCase() === wanted ||
            r.mailbox.alias.toLowerCase() === wanted ||
            recipientAddresses(r, state).includes(wanted),
    );
    if (exact) return exact;

    const byDisplayName = recipients.filter((r) => r.user.displayName.toLowerCase() === wanted);
    if (byDisplayName.length > 1) throw ambiguousRecipient(value);
    return byDisplayName[0];
}

function ambiguousRecipient(value: string): CmdletError {
    return new CmdletError(
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
        "ManagementObjectAmbiguousException",
        `The operation couldn't be performed because '${value}' matches multiple entries.`,
    );
}

/** Resolves -Identity to a mailbox or fails with Exchange's not-found error. */
export function resolveMailbox(state: TenantState, identity: string): Recipient {
    const recipient = findRecipient(state, identity);
    if (!recipient) throw objectNotFound(identity);
    return recipient;
}

/** Resolves a recipient named in another parameter (-User, -Trustee, -ForwardingAddress, ...). */
export function resolveOtherRecipient(state: TenantState, value: string): Recipient {
    const recipient = findRecipient(state, value);
    if (!recipient) throw recipientNotFound(value);
    return recipient;
}

/**
 * Whether a stored principal (a permission's user or trustee as the scenario wrote it: UPN,
 * alias, object id or display name) names the same recipient as `other`. Principals that are
 * not mailboxes (NT AUTHORITY\SELF, groups, external accounts) compare as plain text.
 */
export function samePrincipal(state: TenantState, stored: string, other: string): boolean {
    if (stored.toLowerCase() === other.toLowerCase()) return true;
    const a = safeFind(state, stored);
    const b = safeFind(state, other);
    return a !== undefined && b !== undefined && a.user.id === b.user.id;
}

function safeFind(state: TenantState, value: string): Recipient | undefined {
    try {
        return findRecipient(state, value);
    } catch {
        return undefined;
    }
}

/** How Get-* cmdlets show a principal: the recipient's UPN when it is a mailbox user. */
export function principalDisplay(state: TenantState, stored: string): string {
    return safeFind(state, stored)?.user.userPrincipalName ?? stored;
}

/** Case-insensitive lookup of a key in a record (settings objects keep Exchange's casing). */
export function findKey(record: Record<string, unknown>, name: string): string | undefined {
    const lower = name.toLowerCase();
    return Object.keys(record).find((k) => k.toLowerCase() === lower);
}

/** Deep structural equality for JSON values (no-op detection). */
export function sameValue(a: unknown, b: unknown): boolean {
    return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(value: unknown): unknown {
    if (value === undefined) return null;
    if (Array.isArray(value)) return value.map(normalise);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
                .sort(([x], [y]) => x.localeCompare(y))
                .map(([k, v]) => [k, normalise(v)]),
        );
    }
    return value;
}

/** Applies ResultSize ("Unlimited" or a number) to a result list. */
export function applyResultSize(params: BoundParameters, rows: Array<Record<string, unknown>>) {
    const size = params.string("ResultSize");
    if (size === undefined || size.toLowerCase() === "unlimited") return rows;
    const limit = Number(size);
    if (!Number.isInteger(limit) || limit < 0) {
        throw badArgument("ResultSize", size, "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]");
    }
    return rows.slice(0, limit);
}
