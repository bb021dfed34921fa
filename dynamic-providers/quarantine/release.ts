/**
 * After containment: checking that it holds (refresh), and releasing the user.
 *
 * Release, as a responder does it once the user is cleared to work again:
 *   R1. Resolve the user.
 *   R2. Enable the account, revoke sessions again (anything issued while contained ends), and
 *       issue a one-time Temporary Access Pass for MFA re-registration in person.
 * The evidence stays; mailbox clean-up is not undone (those were the attacker's changes).
 */
import { mergeEvidence, recordFound, type Evidence } from "./evidence";
import type { QuarantineInputs } from "./inputs";
import { driftOf, planContainment, unreadForSteps } from "./plan";
import { recordView, refuseIfProtected, type PlaybookContext } from "./playbook";
import { recordChange, type StepContext } from "./steps/apply";
import { readApps, readTenant } from "./steps/snapshot";
import { userSegment } from "./tenant";
import { readJournal } from "./journal";

type Obj = Record<string, any>;

/**
 * How long the release Temporary Access Pass works, in minutes (one use), when the tenant's
 * policy allows it; otherwise the nearest lifetime it allows (`passLifetime`).
 */
export const TAP_LIFETIME_MINUTES = 60;

export interface DriftResult {
    evidence: Evidence;
    /** One sentence per thing that came back; empty when containment holds. */
    drift: string[];
    userExists: boolean;
}

/**
 * Re-reads the tenant and lists what containment would change again. Changes nothing in the
 * tenant; newly seen objects are added to the evidence so their originals are kept.
 */
export async function checkDrift(ctx: PlaybookContext, previous: Evidence): Promise<DriftResult> {
    const view = await readTenant(ctx.tenant, ctx.inputs.user, ctx.now, ctx.inputs.keep.delegates);
    if (view.userMissing || !view.user) {
        return {
            evidence: previous,
            drift: [
                `The user ${ctx.inputs.user} could not be read: ${view.userError ?? "not found"}.`,
            ],
            userExists: !view.userMissing,
        };
    }
    const evidence = mergeEvidence(
        previous,
        readJournal(ctx.journalDir, ctx.inputs.incident, String(view.user.id)),
    );
    recordView(evidence, view);
    const apps = await readApps(ctx.tenant, [
        ...(view.grants ?? []).map((g) => String(g.clientId)),
        ...(view.appRoleAssignments ?? []).map((a) => String(a.resourceId)),
    ]);
    recordFound(
        evidence,
        "servicePrincipals",
        [...apps.values()].map((sp) => ({ key: String(sp.id), object: sp })),
        view.at,
    );
    // What came back, and what could not be checked: either way the next `up` contains again.
    const drift = [
        ...driftOf(planContainment(view, ctx.inputs, apps, true)),
        ...unreadForSteps(view, ctx.inputs).map((u) => `Could not verify ${u.what}: ${u.error}.`),
    ];
    for (const line of drift) ctx.log(`${ctx.inputs.name}: drift: ${line}`);
    return { evidence, drift, userExists: true };
}

export interface ReleaseResult {
    evidence: Evidence;
    releasedAt: string;
    /** The one-time pass: returned only to become the resource's secret output. */
    temporaryAccessPass: string | null;
    temporaryAccessPassExpiresAt: string | null;
    failures: string[];
}

/** A Temporary Access Pass already issued by an earlier, unfinished release. */
export interface IssuedPass {
    code: string;
    expiresAt: string;
}

/**
 * Releases a contained user (R1, R2). A pass issued by an earlier attempt that is still valid
 * for a while is kept, not replaced: a new one would void the one already handed over.
 */
export async function release(
    ctx: PlaybookContext,
    previous: Evidence,
    issued?: IssuedPass,
): Promise<ReleaseResult> {
    const { inputs, tenant } = ctx;
    const log = (line: string) => ctx.log(`${inputs.name}: ${line}`);
    const evidence: Evidence = JSON.parse(JSON.stringify(previous));
    const step: StepContext = { tenant, evidence, now: ctx.now };

    // R1. Resolve the user; the same refusals hold (a user may have become synced meanwhile).
    //     The tenant's Temporary Access Pass limits are read alongside, so the pass asked for
    //     is one the policy allows.
    const [view, caller, [tapPolicy]] = await Promise.all([
        readTenant(tenant, inputs.user, ctx.now, inputs.keep.delegates),
        tenant.callerObjectId(),
        tenant.graph([
            {
                method: "GET",
                url: "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
            },
        ]),
    ]);
    const lifetime = passLifetime(tapPolicy.ok ? tapPolicy.body : undefined);
    const user = refuseIfProtected(view, inputs, ctx.breakGlassAccounts, caller);
    recordView(evidence, view);
    log(
        `R1. Resolved ${user.userPrincipalName} for release (account ${user.accountEnabled ? "enabled" : "disabled"}).`,
    );
    if (evidence.found.user[0]?.object.accountEnabled === false) {
        log(
            "R1. Note: the account was already disabled before this quarantine (Defender attack " +
                "disruption or another administrator); releasing enables it as requested.",
        );
    }

    // R2. Enable, revoke again, and issue the Temporary Access Pass: one round trip.
    const id = userSegment(String(user.id));
    const target = `user:${user.id}`;
    const stillValid =
        issued !== undefined && Date.parse(issued.expiresAt) - ctx.now().getTime() > 10 * 60_000;
    const [enable, revoke, tap] = await tenant.graph([
        { method: "PATCH", url: `/users/${id}`, body: { accountEnabled: true } },
        { method: "POST", url: `/users/${id}/revokeSignInSessions` },
        ...(stillValid
            ? []
            : [
                  {
                      method: "POST" as const,
                      url: `/users/${id}/authentication/temporaryAccessPassMethods`,
                      body: { isUsableOnce: true, lifetimeInMinutes: lifetime },
                  },
              ]),
    ]);
    const failures: string[] = [];
    const note = (ok: boolean, words: string, before: unknown, after: unknown, error?: string) => {
        recordChange(step, "R", words, target, ok ? "changed" : "failed", {
            before,
            after,
            ...(ok ? {} : { error }),
        });
        if (!ok) failures.push(`${words}: ${error}`);
    };
    note(
        enable.ok,
        "enable account",
        { accountEnabled: user.accountEnabled },
        { accountEnabled: true },
        enable.error,
    );
    note(
        revoke.ok,
        "revoke sign-in sessions",
        { signInSessionsValidFromDateTime: user.signInSessionsValidFromDateTime },
        "sessions issued before now are invalid",
        revoke.error,
    );

    // The pass itself is never written to the evidence: only its id and lifetime.
    let code: string | null;
    let expires: string | null;
    if (stillValid) {
        code = issued.code;
        expires = issued.expiresAt;
        log(`R2. Kept the Temporary Access Pass issued earlier (valid until ${expires}).`);
    } else {
        const pass = tap.ok ? (tap.body as Obj) : null;
        note(
            tap.ok,
            "issue Temporary Access Pass",
            null,
            pass
                ? {
                      id: pass.id,
                      isUsableOnce: pass.isUsableOnce,
                      lifetimeInMinutes: pass.lifetimeInMinutes,
                      startDateTime: pass.startDateTime,
                  }
                : null,
            tap.ok
                ? undefined
                : `${tap.error}. Check that the Temporary Access Pass method is enabled for this user in the authentication methods policy.`,
        );
        code =
            pass && typeof pass.temporaryAccessPass === "string" ? pass.temporaryAccessPass : null;
        expires = pass ? expiry(pass, ctx.now()) : null;
    }
    log(
        failures.length === 0
            ? `R2. Released: account enabled, sessions revoked again, one-time Temporary Access Pass ` +
                  `valid until ${expires}; read it with \`pulumi stack output --show-secrets\` and ` +
                  "hand it over in person."
            : `R2. Release incomplete: ${failures.join("; ")}`,
    );
    return {
        evidence,
        releasedAt: ctx.now().toISOString(),
        temporaryAccessPass: code,
        temporaryAccessPassExpiresAt: expires,
        failures,
    };
}

/**
 * The pass lifetime to ask for: `TAP_LIFETIME_MINUTES`, moved into the tenant's allowed range
 * (Graph refuses a lifetime outside the policy's minimum and maximum). Without the policy, the
 * preferred lifetime is asked for and Graph says if it is refused.
 */
export function passLifetime(policy: Obj | undefined): number {
    const min = Number(policy?.minimumLifetimeInMinutes);
    const max = Number(policy?.maximumLifetimeInMinutes);
    let minutes = TAP_LIFETIME_MINUTES;
    if (Number.isFinite(max) && max > 0) minutes = Math.min(minutes, max);
    if (Number.isFinite(min) && min > 0) minutes = Math.max(minutes, min);
    return minutes;
}

function expiry(pass: Obj, now: Date): string {
    const start = Date.parse(String(pass.startDateTime ?? "")) || now.getTime();
    const minutes = Number(pass.lifetimeInMinutes ?? TAP_LIFETIME_MINUTES);
    return new Date(start + minutes * 60_000).toISOString();
}

export type { QuarantineInputs };
