/**
 * Mailbox cmdlets: Get-Mailbox and Set-Mailbox (forwarding, send-on-behalf, auditing), and
 * Get-CASMailbox and Set-CASMailbox (the mail protocols an attacker uses to read mail).
 *
 * Roles: these cmdlets are in the "Mail Recipients" management role; the Get- cmdlets also in
 * "View-Only Recipients" (Exchange: `Get-ManagementRole -Cmdlet Set-Mailbox`; Microsoft365DSC
 * lists the same roles for its EXOMailboxSettings and EXOCASMailboxSettings resources).
 */
import type { Cmdlet, CmdletContext, CmdletResult } from "../contracts";
import {
    CHANGE_PARAMETERS,
    COMMON_PARAMETERS,
    allRecipients,
    applyResultSize,
    badArgument,
    bareAddress,
    bind,
    noChangeWarning,
    recipientIdentity,
    resolveMailbox,
    resolveOtherRecipient,
    sameValue,
    type BoundParameters,
    type Recipient,
} from "./common";
import type { TenantState } from "../model";

const READ_ROLES = ["Mail Recipients", "View-Only Recipients"];
const WRITE_ROLES = ["Mail Recipients"];

const RECIPIENT_TYPES = [
    "UserMailbox",
    "SharedMailbox",
    "RoomMailbox",
    "EquipmentMailbox",
] as const;

/** local@domain.tld, the shape Exchange's SmtpAddress accepts (no spaces, a dotted domain). */
const SMTP_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Exchange stores ForwardingSmtpAddress as a proxy address with the lower-case "smtp:" prefix. */
function forwardingSmtp(value: string | null): string | null {
    if (value === null || value === "") return null;
    return `smtp:${bareAddress(value)}`;
}

/** The Get-Mailbox object, with Exchange's property names. */
export function mailboxObject(state: TenantState, recipient: Recipient): Record<string, unknown> {
    const { user, mailbox } = recipient;
    const identity = recipientIdentity(recipient);
    const initialAddress = `${mailbox.alias}@${state.tenant.initialDomain}`;
    const emailAddresses = [`SMTP:${mailbox.primarySmtpAddress}`];
    if (initialAddress.toLowerCase() !== mailbox.primarySmtpAddress.toLowerCase()) {
        emailAddresses.push(`smtp:${initialAddress}`);
    }
    return {
        Identity: identity,
        Id: identity,
        Name: identity,
        Alias: mailbox.alias,
        DisplayName: user.displayName,
        UserPrincipalName: user.userPrincipalName,
        ExternalDirectoryObjectId: user.id,
        PrimarySmtpAddress: mailbox.primarySmtpAddress,
        WindowsEmailAddress: mailbox.primarySmtpAddress,
        EmailAddresses: emailAddresses,
        RecipientType: "UserMailbox",
        RecipientTypeDetails: mailbox.recipientTypeDetails,
        IsDirSynced: user.onPremisesSyncEnabled === true,
        AccountDisabled: !user.accountEnabled,
        ForwardingAddress: mailbox.forwardingAddress,
        ForwardingSmtpAddress: forwardingSmtp(mailbox.forwardingSmtpAddress),
        DeliverToMailboxAndForward: mailbox.deliverToMailboxAndForward,
        GrantSendOnBehalfTo: mailbox.grantSendOnBehalfTo.map((entry) =>
            showRecipient(state, entry),
        ),
        AuditEnabled: mailbox.auditEnabled,
        WhenCreated: user.createdDateTime,
    };
}

/** How Exchange shows a recipient held in a multi-valued link: its Name (the alias here). */
function showRecipient(state: TenantState, stored: string): string {
    const match = allRecipients(state).find(
        (r) =>
            r.mailbox.alias.toLowerCase() === stored.toLowerCase() ||
            r.user.userPrincipalName.toLowerCase() === stored.toLowerCase() ||
            r.user.id === stored,
    );
    return match ? match.mailbox.alias : stored;
}

/** Resolves -Identity, or the whole tenant when it is absent. */
function selectMailboxes(state: TenantState, params: BoundParameters): Recipient[] {
    const identity = params.string("Identity");
    if (identity !== undefined) return [resolveMailbox(state, identity)];

    const types = params.list("RecipientTypeDetails");
    const all = allRecipients(state);
    if (!types || types.length === 0) return all;
    for (const type of types) {
        if (!RECIPIENT_TYPES.some((t) => t.toLowerCase() === type.toLowerCase())) {
            params.enumValue("RecipientTypeDetails", RECIPIENT_TYPES, "RecipientTypeDetails");
        }
    }
    const wanted = types.map((t) => t.toLowerCase());
    return all.filter((r) => wanted.includes(r.mailbox.recipientTypeDetails.toLowerCase()));
}

const GET_MAILBOX_PARAMETERS = [
    "Identity",
    "ResultSize",
    "RecipientTypeDetails",
    ...COMMON_PARAMETERS,
];

const getMailbox: Cmdlet = {
    name: "Get-Mailbox",
    roles: READ_ROLES,
    parameters: GET_MAILBOX_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-Mailbox", GET_MAILBOX_PARAMETERS, ctx);
        const rows = selectMailboxes(ctx.state, params).map((r) => mailboxObject(ctx.state, r));
        return { value: applyResultSize(params, rows) };
    },
};

const SET_MAILBOX_PARAMETERS = [
    "Identity",
    "ForwardingSmtpAddress",
    "ForwardingAddress",
    "DeliverToMailboxAndForward",
    "GrantSendOnBehalfTo",
    "AuditEnabled",
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

/**
 * Set-Mailbox for the properties BEC containment touches. Nothing changes unless every value
 * binds and every named recipient exists (Exchange validates before it writes).
 */
const setMailbox: Cmdlet = {
    name: "Set-Mailbox",
    roles: WRITE_ROLES,
    parameters: SET_MAILBOX_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        // 1. Bind and validate everything first.
        const params = bind("Set-Mailbox", SET_MAILBOX_PARAMETERS, ctx);
        params.require("Identity");
        const target = resolveMailbox(ctx.state, params.string("Identity")!);
        const mailbox = target.mailbox;
        const before = structuredClone(mailbox);

        const next = structuredClone(mailbox);
        if (params.has("ForwardingSmtpAddress")) {
            const value = params.nullableString("ForwardingSmtpAddress");
            if (value !== null && !SMTP_ADDRESS.test(bareAddress(value))) {
                throw badArgument(
                    "ForwardingSmtpAddress",
                    value,
                    "Microsoft.Exchange.Data.ProxyAddress",
                    `The address '${value}' is invalid: "${bareAddress(value)}" isn't a valid ` +
                        `SMTP address. The domain name can't contain spaces and it has to have a ` +
                        `prefix and a suffix, such as example.com.`,
                );
            }
            next.forwardingSmtpAddress = forwardingSmtp(value);
        }
        if (params.has("ForwardingAddress")) {
            const value = params.nullableString("ForwardingAddress");
            next.forwardingAddress =
                value === null ? null : resolveOtherRecipient(ctx.state, value).mailbox.alias;
        }
        if (params.has("DeliverToMailboxAndForward")) {
            next.deliverToMailboxAndForward = params.bool("DeliverToMailboxAndForward")!;
        }
        if (params.has("AuditEnabled")) {
            next.auditEnabled = params.bool("AuditEnabled")!;
        }
        if (params.has("GrantSendOnBehalfTo")) {
            next.grantSendOnBehalfTo = changeSendOnBehalf(
                ctx.state,
                mailbox.grantSendOnBehalfTo,
                params,
            );
        }

        // 2. Compare in Exchange's normal form: "smtp:" prefix and alias identities.
        const normal = (m: typeof mailbox) => ({
            ...m,
            forwardingSmtpAddress: forwardingSmtp(m.forwardingSmtpAddress),
            grantSendOnBehalfTo: m.grantSendOnBehalfTo.map((g) =>
                showRecipient(ctx.state, g).toLowerCase(),
            ),
        });
        if (sameValue(normal(before), normal(next))) {
            return { value: [], warnings: [noChangeWarning(recipientIdentity(target))] };
        }

        // 3. Write.
        Object.assign(mailbox, next);
        return { value: [] };
    },
};

/**
 * GrantSendOnBehalfTo: a plain list replaces the delegates; `{add, remove}` edits them. Every
 * added recipient must exist; removing one that is not there changes nothing.
 */
function changeSendOnBehalf(
    state: TenantState,
    current: string[],
    params: BoundParameters,
): string[] {
    const change = params.multiValuedChange("GrantSendOnBehalfTo")!;
    const same = (a: string, b: string) =>
        showRecipient(state, a).toLowerCase() === showRecipient(state, b).toLowerCase();

    if (change.replace) {
        return change.replace.map((entry) => resolveOtherRecipient(state, entry).mailbox.alias);
    }
    let result = [...current];
    for (const entry of change.add ?? []) {
        const alias = resolveOtherRecipient(state, entry).mailbox.alias;
        if (!result.some((existing) => same(existing, alias))) result.push(alias);
    }
    for (const entry of change.remove ?? []) {
        const resolved = resolveOtherRecipient(state, entry).mailbox.alias;
        result = result.filter((existing) => !same(existing, resolved));
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Client access (protocols).

/** The Get-CASMailbox object. */
export function casMailboxObject(recipient: Recipient): Record<string, unknown> {
    const { user, mailbox } = recipient;
    return {
        Identity: recipientIdentity(recipient),
        Name: recipientIdentity(recipient),
        DisplayName: user.displayName,
        PrimarySmtpAddress: mailbox.primarySmtpAddress,
        ExternalDirectoryObjectId: user.id,
        ActiveSyncEnabled: mailbox.activeSyncEnabled,
        OWAEnabled: mailbox.owaEnabled,
        PopEnabled: mailbox.popEnabled,
        ImapEnabled: mailbox.imapEnabled,
        MAPIEnabled: mailbox.mapiEnabled,
        EwsEnabled: mailbox.ewsEnabled,
        SmtpClientAuthenticationDisabled: mailbox.smtpClientAuthenticationDisabled,
    };
}

const GET_CAS_PARAMETERS = ["Identity", "ResultSize", ...COMMON_PARAMETERS];

const getCasMailbox: Cmdlet = {
    name: "Get-CASMailbox",
    roles: READ_ROLES,
    parameters: GET_CAS_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Get-CASMailbox", GET_CAS_PARAMETERS, ctx);
        const identity = params.string("Identity");
        const recipients =
            identity === undefined
                ? allRecipients(ctx.state)
                : [resolveMailbox(ctx.state, identity)];
        return { value: applyResultSize(params, recipients.map(casMailboxObject)) };
    },
};

/** Set-CASMailbox parameter -> Mailbox field. */
const PROTOCOL_SWITCHES = {
    ActiveSyncEnabled: "activeSyncEnabled",
    OWAEnabled: "owaEnabled",
    PopEnabled: "popEnabled",
    ImapEnabled: "imapEnabled",
    MAPIEnabled: "mapiEnabled",
    EwsEnabled: "ewsEnabled",
} as const;

const SET_CAS_PARAMETERS = [
    "Identity",
    ...Object.keys(PROTOCOL_SWITCHES),
    "SmtpClientAuthenticationDisabled",
    ...CHANGE_PARAMETERS,
    ...COMMON_PARAMETERS,
];

const setCasMailbox: Cmdlet = {
    name: "Set-CASMailbox",
    roles: WRITE_ROLES,
    parameters: SET_CAS_PARAMETERS,
    handler(ctx: CmdletContext): CmdletResult {
        const params = bind("Set-CASMailbox", SET_CAS_PARAMETERS, ctx);
        params.require("Identity");
        const target = resolveMailbox(ctx.state, params.string("Identity")!);
        const mailbox = target.mailbox;

        // Bind every value before writing any.
        const changes: Partial<typeof mailbox> = {};
        for (const [parameter, field] of Object.entries(PROTOCOL_SWITCHES)) {
            const value = params.bool(parameter);
            if (value !== undefined) changes[field] = value;
        }
        const smtpAuth = params.nullableBool("SmtpClientAuthenticationDisabled");
        if (smtpAuth !== undefined) changes.smtpClientAuthenticationDisabled = smtpAuth;

        const changed = Object.entries(changes).some(
            ([field, value]) => mailbox[field as keyof typeof mailbox] !== value,
        );
        if (!changed) {
            return { value: [], warnings: [noChangeWarning(recipientIdentity(target))] };
        }
        Object.assign(mailbox, changes);
        return { value: [] };
    },
};

export const cmdlets: Cmdlet[] = [getMailbox, setMailbox, getCasMailbox, setCasMailbox];
