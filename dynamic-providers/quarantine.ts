/**
 * `Quarantine`: containment of one compromised user as a Pulumi resource.
 *
 * Creating it contains the user (dynamic-providers/quarantine/playbook.ts has the steps);
 * its outputs are the evidence of everything found and changed. Refresh re-checks the tenant,
 * so an account enabled again or a new forwarding rule shows as drift and the next `up`
 * contains again. Setting `state: released` releases the user with a one-time Temporary Access
 * Pass (a secret output). Deleting a quarantine that still contains is refused; deleting a
 * released one changes nothing in the tenant.
 *
 * Type token: `pulumi-nodejs:dynamic/bec-guard:Quarantine`.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadSettings, type ConfigSource } from "./connection/settings";
import { connectTenant } from "./quarantine/connect";
import type { Evidence } from "./quarantine/evidence";
import {
    INPUT_FIELDS,
    validateInputs,
    withDefaults,
    parseAccountList,
    type QuarantineInputs,
    type QuarantineKeep,
    type QuarantineSteps,
} from "./quarantine/inputs";
import { journalDir, removeJournal } from "./quarantine/journal";
import { CAVEAT, contain, isRefusal, type PlaybookContext } from "./quarantine/playbook";
import { checkDrift, release } from "./quarantine/release";
import { userSegment } from "./quarantine/tenant";

/** Per-step switches. Every step is on unless turned off here. */
export interface QuarantineStepsArgs {
    /**
     * Step 3: disable the account. Default true. Risk if off: the attacker can sign in again
     * with any credential containment misses.
     */
    disableAccount?: pulumi.Input<boolean>;
    /**
     * Step 3: revoke refresh tokens and sessions. Default true. Risk if off: the attacker's
     * stolen session keeps working until it expires.
     */
    revokeSessions?: pulumi.Input<boolean>;
    /**
     * Step 4: reset the password to a random value nobody learns. Default true. Risk if off: a
     * phished password stays valid once the account is enabled again.
     */
    resetPassword?: pulumi.Input<boolean>;
    /**
     * Step 5: disable inbox rules that forward, redirect, delete or bury mail (kept, not
     * deleted). Default true. Risk if off: mail keeps leaking or hiding.
     */
    disableInboxRules?: pulumi.Input<boolean>;
    /** Step 5: clear ForwardingSmtpAddress and ForwardingAddress. Default true. */
    clearMailboxForwarding?: pulumi.Input<boolean>;
    /**
     * Step 5: remove FullAccess, SendAs, send-on-behalf and folder delegates outside
     * `keep.delegates`. Default true. Risk if off: an attacker-controlled account keeps access.
     */
    removeDelegates?: pulumi.Input<boolean>;
    /** Step 5: turn off POP, IMAP and SMTP AUTH for the mailbox. Default true. */
    disableLegacyProtocols?: pulumi.Input<boolean>;
    /**
     * Step 6: remove every non-password authentication method outside `keep.methods`.
     * Default true. Risk if off: the attacker's own MFA method lets them back in.
     */
    removeAuthenticationMethods?: pulumi.Input<boolean>;
    /**
     * Step 7: revoke the user's OAuth consent grants and app role assignments outside
     * `keep.apps`. Default true. Risk if off: a consented app keeps reading the mailbox.
     */
    revokeAppAccess?: pulumi.Input<boolean>;
}

/** What containment leaves alone because the responder knows it is the user's own. */
export interface QuarantineKeepArgs {
    /**
     * Apps whose grants and assignments stay: appId or service principal object id. Display
     * names are refused: they are not unique, and a malicious app can copy a trusted one's.
     * Default none. Risk if wrong: a malicious app named here keeps its access.
     */
    apps?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Authentication methods that stay: a method id, or a type (`fido2`, `windowsHelloForBusiness`,
     * ...) for every method of that type. Default none (all non-password methods go). Risk if
     * wrong: an attacker-registered method survives; prefer ids over types.
     */
    methods?: pulumi.Input<pulumi.Input<string>[]>;
    /** Inbox rules that stay enabled: rule name or Exchange identity. Default none. */
    inboxRules?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Mailbox delegates that stay: UPN, SMTP address, alias, or (for folder permissions) the
     * display name Exchange shows. Default none.
     */
    delegates?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface QuarantineArgs {
    /**
     * The user to contain: user principal name or Entra object id. Cannot change once
     * contained (release this quarantine and add another). Risk if wrong: the wrong person is
     * locked out (every change is recorded and reversible by release, but disruptive).
     */
    user: pulumi.Input<string>;
    /** The incident (ticket) id, e.g. INC-2041. Kept with the evidence. */
    incident: pulumi.Input<string>;
    /** Why the user is contained, in a sentence. Kept with the evidence. */
    reason: pulumi.Input<string>;
    /**
     * When the compromise started (ISO 8601 with a zone), e.g. the first suspicious sign-in.
     * Must not be in the future.
     */
    compromisedSince: pulumi.Input<string>;
    /** UPN of the person who approved the containment; never the contained user. */
    approvedBy: pulumi.Input<string>;
    /**
     * `contained` (default) or `released`. Changing it to `released` enables the account,
     * revokes sessions again and issues a Temporary Access Pass.
     */
    state?: pulumi.Input<"contained" | "released">;
    /** Per-step switches; all on by default. */
    steps?: pulumi.Input<QuarantineStepsArgs>;
    /** Allow-lists: what containment leaves alone. Default: nothing is kept. */
    keep?: pulumi.Input<QuarantineKeepArgs>;
}

/**
 * Contains a compromised user: disables the account and revokes its sessions, resets the
 * password, cleans the mailbox (rules, forwarding, delegates, legacy protocols), removes MFA
 * methods and revokes app access, recording everything as evidence first.
 *
 * Note: users synced from on-premises AD are refused (sync would undo the disable and reset);
 * the message says what to do on-premises. Guests are refused (their credentials live in their
 * home tenant); the message says what still applies here.
 *
 * Note: containment cannot end access tokens already issued. They live up to an hour;
 * continuous access evaluation ends them sooner (about 15 minutes) only in apps that support
 * it. The `caveat` output says so.
 *
 * Note: tenant-wide (admin-consented) grants to the apps the user uses are recorded, not
 * changed: disabling an app for everyone is a decision for the responder (disable its service
 * principal, do not delete it).
 */
export class Quarantine extends pulumi.dynamic.Resource {
    /** The user's object id. */
    declare public readonly userId: pulumi.Output<string>;
    declare public readonly userPrincipalName: pulumi.Output<string>;
    /** `contained`, `partial` (a step failed; the next `up` finishes it) or `released`. */
    declare public readonly status: pulumi.Output<"contained" | "partial" | "released">;
    /**
     * Everything found (as first seen) and every change made, with times. A secret output: it
     * holds personal data, so `pulumi stack output --show-secrets` shows it and logs do not.
     */
    declare public readonly evidence: pulumi.Output<Evidence>;
    /** What was done, one line per kind of change, plus warnings and failures. */
    declare public readonly summary: pulumi.Output<string[]>;
    /** The time-to-effect caveat (token lifetime, continuous access evaluation). */
    declare public readonly caveat: pulumi.Output<string>;
    /** What refresh found changed back since containment; empty when containment holds. */
    declare public readonly drift: pulumi.Output<string[]>;
    declare public readonly containedAt: pulumi.Output<string | null>;
    declare public readonly releasedAt: pulumi.Output<string | null>;
    /** The one-time Temporary Access Pass issued on release (secret). */
    declare public readonly temporaryAccessPass: pulumi.Output<string | null>;
    declare public readonly temporaryAccessPassExpiresAt: pulumi.Output<string | null>;

    constructor(name: string, args: QuarantineArgs, opts: pulumi.CustomResourceOptions = {}) {
        super(
            quarantineProvider,
            name,
            {
                ...args,
                resourceName: name,
                userId: undefined,
                userPrincipalName: undefined,
                status: undefined,
                evidence: undefined,
                summary: undefined,
                caveat: undefined,
                drift: undefined,
                containedAt: undefined,
                releasedAt: undefined,
                temporaryAccessPass: undefined,
                temporaryAccessPassExpiresAt: undefined,
            },
            {
                ...opts,
                // The pass is a credential; the evidence holds personal data (phone numbers,
                // mail rules, who the user works with) that must not be printed in CI logs.
                additionalSecretOutputs: [
                    ...(opts.additionalSecretOutputs ?? []),
                    "temporaryAccessPass",
                    "evidence",
                ],
            },
            "bec-guard",
            "Quarantine",
        );
    }
}

export type { QuarantineSteps, QuarantineKeep };

// ---- The provider ---------------------------------------------------------------------------
//
// Everything below runs in the provider host. Clients are created inside the methods (through
// connectTenant's process-wide registry), never at module scope: a captured client would be
// serialized into state.

/** The Pulumi engine's placeholder for a value unknown during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Stack config as `configure` received it (secrets in plain text; kept in memory only). */
const configured: { config?: ConfigSource } = {};

function currentSettings() {
    return loadSettings(configured.config, process.env);
}

function breakGlassAccounts(): string[] {
    const fromConfig = configured.config?.get("bec-guard:breakGlassAccounts");
    return parseAccountList(fromConfig ?? process.env.BEC_GUARD_BREAK_GLASS_ACCOUNTS);
}

function playbookContext(inputs: QuarantineInputs, previous?: Evidence): PlaybookContext {
    const settings = currentSettings();
    return {
        inputs,
        tenant: connectTenant(settings),
        breakGlassAccounts: [...new Set([...settings.breakGlassAccounts, ...breakGlassAccounts()])],
        now: () => new Date(),
        log: (line) => console.log(line),
        journalDir: journalDir(),
        previous,
    };
}

/** The inputs echoed in the outputs, so diff can compare them after a refresh. */
function echoInputs(inputs: QuarantineInputs) {
    const { name, ...rest } = inputs;
    return { ...rest, resourceName: name };
}

function inputsOf(props: Record<string, any>): QuarantineInputs {
    return withDefaults(props, String(props.resourceName ?? "quarantine"));
}

/**
 * The SDK's "created, but not fully initialised" error: Pulumi records the resource with these
 * properties, and the next `up` calls update, which finishes the remaining steps.
 *
 * The record travels in one gRPC trailer, so it is kept small: the serialized provider (over
 * 200 KB) is replaced by the small one below, and evidence too large is compacted (the full
 * evidence stays in the journal, which the next run merges back). Pulumi's engine would accept
 * a larger trailer, but Node's HTTP/2 refuses a header over 64 KB, and a record that fits is
 * one the tests can carry through the SDK's provider host end to end.
 */
function partialError(
    message: string,
    id: string,
    properties: Record<string, any>,
    reasons: string[],
) {
    const name = String(properties.resourceName ?? "quarantine");
    return Object.assign(new Error(message), {
        id,
        properties: {
            ...compactForTrailer(properties),
            __provider: partialRecordProvider(name, String(properties.userPrincipalName ?? "")),
        },
        reasons,
    });
}

/**
 * The provider a partial record carries, in the SDK's serialized form. The engine loads a
 * resource's provider from its recorded state only for refresh and delete (check, diff and
 * update use the program's current one), so this one does just those two: refresh keeps the
 * record as it is, since the next `up` re-reads everything anyway, and delete refuses as it
 * would for any quarantine that is not released.
 */
export function partialRecordProvider(name: string, user: string): string {
    const who = user === "" ? "the user" : user;
    const refreshLine =
        `${name}: containment of ${who} is unfinished (status partial); refresh keeps the ` +
        "record as it is, and the next `pulumi up` reads the tenant again and finishes it.";
    const refusal =
        `${name}: ${who} is not released (containment is unfinished). Deleting a quarantine ` +
        "never re-enables an account. Fix: run `pulumi up` to finish containment, set state: " +
        "released in the incident file and run `pulumi up` again; then remove the entry.";
    return [
        "exports.handler = function () {",
        "    return {",
        "        read: async function (id, props) {",
        `            console.log(${JSON.stringify(refreshLine)});`,
        "            return { id: id, props: props };",
        "        },",
        "        delete: async function () {",
        `            throw new Error(${JSON.stringify(refusal)});`,
        "        },",
        "    };",
        "};",
        "",
    ].join("\n");
}

/** Largest init-error properties we send (a 64 KB header, less the third base64 adds). */
const TRAILER_BUDGET = 40_000;

function compactForTrailer(all: Record<string, any>): Record<string, any> {
    const { __provider: _provider, ...properties } = all;
    const fits = (p: unknown) => JSON.stringify(p).length <= TRAILER_BUDGET;
    if (fits(properties) || !properties.evidence) return properties;
    const evidence = JSON.parse(JSON.stringify(properties.evidence)) as Evidence;

    // 1. A change's "before" repeats the original already kept under `found`.
    for (const change of evidence.changes) {
        const [kind, ...rest] = change.target.split(":");
        const items = (evidence.found as Record<string, Array<{ key: string }>>)[kind];
        if (items?.some((item) => item.key === rest.join(":"))) delete change.before;
    }
    const compacted = { ...properties, evidence };
    if (fits(compacted)) return compacted;

    // 2. Keep the keys of what was found; the objects stay in the journal.
    for (const items of Object.values(evidence.found)) {
        for (const item of items as Array<{ object: unknown }>) item.object = {};
    }
    evidence.gaps = [
        ...evidence.gaps,
        "Evidence compacted in this partial record (too large for Pulumi's init-error record): the objects are in the evidence journal and return to state on the next successful up.",
    ];
    return compacted;
}

const quarantineProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        configured.config = req.config;
    },

    async check(olds, news) {
        const known = Object.fromEntries(Object.entries(news).filter(([, v]) => v !== UNKNOWN));
        const existing = olds && Object.keys(olds).length > 0 ? olds : undefined;
        const failures = validateInputs(known, new Date(), breakGlassAccounts(), existing).filter(
            (f) => news[f.property.split(".")[0]] !== UNKNOWN,
        );
        if (!existing && news.state === "released") {
            failures.push({
                property: "state",
                reason:
                    'state is "released" for a quarantine that does not exist yet, so there is ' +
                    'nothing to release. Fix: add it as "contained" (or leave state out), or ' +
                    "remove the entry if the user no longer needs containing.",
            });
        }
        for (const field of Object.keys(news)) {
            const allowed = [...INPUT_FIELDS, "resourceName", "__provider"];
            if (!allowed.includes(field as never) && news[field] !== undefined) {
                failures.push({
                    property: field,
                    reason: `${field} is not a Quarantine input. Fix: use only ${INPUT_FIELDS.join(", ")}.`,
                });
            }
        }
        return { inputs: news, failures };
    },

    async diff(_id, olds, news) {
        const before = echoInputs(inputsOf(olds));
        const after = echoInputs(inputsOf(news));
        const inputsChanged = JSON.stringify(before) !== JSON.stringify(after);
        const drifted =
            after.state === "contained" && Array.isArray(olds.drift) && olds.drift.length > 0;
        const unfinished = olds.status === "partial";
        return {
            changes: inputsChanged || drifted || unfinished,
            replaces: [],
            deleteBeforeReplace: false,
        };
    },

    async create(props) {
        const inputs = inputsOf(props);
        if (inputs.state === "released") {
            throw new Error(
                `${inputs.name}: a quarantine cannot be created already released (nothing was changed). ` +
                    `Fix: add it with state "contained" (or no state); release it later by changing the state.`,
            );
        }
        const ctx = playbookContext(inputs);
        const result = await runContain(ctx);
        return { id: result.id, outs: result.outs };
    },

    async read(id, props) {
        const inputs = inputsOf(props ?? {});
        if (!props || props.status === "released" || !props.evidence) {
            return { id, props };
        }
        const ctx = playbookContext(inputs);
        const checked = await checkDrift(ctx, props.evidence as Evidence);
        return {
            id,
            props: {
                ...props,
                evidence: checked.evidence,
                drift: checked.drift,
                lastCheckedAt: new Date().toISOString(),
            },
        };
    },

    async update(id, olds, news) {
        const inputs = inputsOf(news);
        const previous = olds.evidence as Evidence | undefined;
        const ctx = playbookContext(inputs, previous);

        // Contained (again): finish or repeat containment. A previous pass is void.
        if (inputs.state === "contained") {
            const result = await runContain(ctx, id);
            return {
                outs: {
                    ...result.outs,
                    releasedAt: null,
                    temporaryAccessPass: null,
                    temporaryAccessPassExpiresAt: null,
                },
            };
        }

        // Released already: only the recorded inputs change.
        if (olds.status === "released") {
            return { outs: { ...olds, ...echoInputs(inputs) } };
        }

        // Release.
        if (!previous) {
            throw new Error(
                `${inputs.name}: no evidence in state to release from. Run \`pulumi refresh\`, then \`pulumi up\` again.`,
            );
        }
        const issued =
            typeof olds.temporaryAccessPass === "string" && olds.temporaryAccessPassExpiresAt
                ? {
                      code: olds.temporaryAccessPass,
                      expiresAt: String(olds.temporaryAccessPassExpiresAt),
                  }
                : undefined;
        const released = await release(ctx, previous, issued);
        const outs = {
            ...olds,
            ...echoInputs(inputs),
            status: released.failures.length === 0 ? "released" : "partial",
            evidence: released.evidence,
            drift: [],
            releasedAt: released.releasedAt,
            temporaryAccessPass: released.temporaryAccessPass,
            temporaryAccessPassExpiresAt: released.temporaryAccessPassExpiresAt,
            summary: [
                ...(olds.summary ?? []),
                ...released.failures.map((f) => `Release FAILED: ${f}`),
            ],
        };
        if (released.failures.length > 0) {
            throw partialError(
                `${inputs.name}: release incomplete: ${released.failures.join("; ")}`,
                id,
                outs,
                released.failures,
            );
        }
        return { outs };
    },

    async delete(_id, props) {
        const inputs = inputsOf(props);

        // A user deleted from the directory can be neither contained nor released: the record
        // may go (its evidence stays in the stack's history).
        if (props.status !== "released" && (await userIsGone(inputs, props))) {
            console.log(
                `${inputs.name}: ${props.userPrincipalName ?? inputs.user} no longer exists in the ` +
                    "directory; removing the quarantine changes nothing in the tenant.",
            );
            removeJournal(journalDir(), inputs.incident, String(props.userId ?? ""));
            return;
        }
        if (props.status !== "released") {
            throw new Error(
                `${inputs.name}: ${props.userPrincipalName ?? inputs.user} is still contained (status ${props.status ?? "unknown"}). ` +
                    `Deleting a quarantine never re-enables an account (nor undoes a Defender attack-disruption disable), ` +
                    `and removing it now would silently drop the containment from the stack. Fix: set state: released in ` +
                    `the incident file and run \`pulumi up\` first; then remove the entry.`,
            );
        }
        // Released: nothing to change in the tenant. The evidence stays in the stack's history.
        removeJournal(journalDir(), inputs.incident, String(props.userId ?? ""));
    },
};

/** Whether Graph says the quarantined user no longer exists (any other answer: it may). */
async function userIsGone(inputs: QuarantineInputs, props: Record<string, any>) {
    const who = String(props.userId ?? inputs.user);
    const [reply] = await connectTenant(currentSettings()).graph([
        { method: "GET", url: `/users/${userSegment(who)}?$select=id` },
    ]);
    return reply.status === 404;
}

/** Runs containment and shapes the outputs; a partial run becomes the SDK's init error. */
async function runContain(ctx: PlaybookContext, existingId?: string) {
    const { inputs } = ctx;
    let result;
    try {
        result = await contain(ctx);
    } catch (error) {
        if (isRefusal(error)) throw error;
        const partial = (error as { evidence?: Evidence; userId?: string }).evidence;
        if (!partial) throw error;
        const id = existingId ?? `${inputs.incident}/${partial.userId}`;
        const outs = {
            ...echoInputs(inputs),
            userId: partial.userId,
            userPrincipalName: partial.userPrincipalName,
            status: "partial",
            evidence: partial,
            summary: [`FAILED part-way: ${(error as Error).message}`],
            caveat: CAVEAT,
            drift: [],
            containedAt: null,
            releasedAt: null,
            temporaryAccessPass: null,
            temporaryAccessPassExpiresAt: null,
        };
        throw partialError(
            `${inputs.name}: containment stopped part-way: ${(error as Error).message}`,
            id,
            outs,
            [(error as Error).message],
        );
    }
    const id = existingId ?? `${inputs.incident}/${result.user.id}`;
    const outstanding = result.failures;
    const outs = {
        ...echoInputs(inputs),
        userId: String(result.user.id),
        userPrincipalName: String(result.user.userPrincipalName),
        status: outstanding.length === 0 ? "contained" : "partial",
        evidence: result.evidence,
        summary: result.summary,
        caveat: CAVEAT,
        drift: [],
        containedAt: outstanding.length === 0 ? result.containedAt : null,
        cutOffAt: result.cutOffAt,
        releasedAt: null,
        temporaryAccessPass: null,
        temporaryAccessPassExpiresAt: null,
    };
    if (outstanding.length > 0) {
        const reasons = outstanding.map((f) => `${f.action} ${f.target}: ${f.error}`);
        throw partialError(
            `${inputs.name}: partly contained; ${outstanding.length} change(s) failed. The next \`pulumi up\` retries them. ${reasons.join("; ")}`,
            id,
            outs,
            reasons,
        );
    }
    return { id, outs };
}
