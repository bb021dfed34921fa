/**
 * A mailbox as the test tenants seed it before a test gives it a story: a plain user mailbox
 * with no forwarding, no rules, no delegates and every client protocol on, as Exchange
 * creates one.
 */
import type { Mailbox } from "../../local-tenant/model";

/** A fresh user mailbox for `alias` at `primarySmtpAddress`; `extra` overrides any field. */
export function newMailbox(
    alias: string,
    primarySmtpAddress: string,
    extra: Partial<Mailbox> = {},
): Mailbox {
    return {
        alias,
        primarySmtpAddress,
        recipientTypeDetails: "UserMailbox",
        forwardingSmtpAddress: null,
        forwardingAddress: null,
        deliverToMailboxAndForward: false,
        grantSendOnBehalfTo: [],
        auditEnabled: true,
        popEnabled: true,
        imapEnabled: true,
        activeSyncEnabled: true,
        ewsEnabled: true,
        mapiEnabled: true,
        owaEnabled: true,
        smtpClientAuthenticationDisabled: null,
        inboxRules: [],
        mailboxPermissions: [],
        recipientPermissions: [],
        folderPermissions: [],
        messages: [],
        ...extra,
    };
}
