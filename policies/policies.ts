/**
 * Every policy of the BEC Guard pack, in the order a reviewer reads them. Importing this file
 * starts nothing (only `index.ts` runs `new PolicyPack`, which starts a gRPC server), so tests
 * and tools can use the list directly.
 */
import { Policies } from "@pulumi/policy";

import { baselineComplete } from "./baseline-complete";
import { caPolicyExcludesBreakGlass } from "./ca-policy-excludes-break-glass";
import { dmarcQuarantineRollout } from "./dmarc-quarantine-rollout";
import { dmarcReject } from "./dmarc-reject";
import { dmarcReportingAddress } from "./dmarc-reporting-address";
import { legacyAuthBlocked } from "./legacy-auth-blocked";
import { quarantineDocumented } from "./quarantine-documented";
import { quarantineNotBreakGlass } from "./quarantine-not-break-glass";
import { quarantineOnePerUser } from "./quarantine-one-per-user";
import { smsVoiceDisabled } from "./sms-voice-disabled";
import { spfHardFail } from "./spf-hard-fail";
import { userConsentRestricted } from "./user-consent-restricted";

export const becGuardPolicies: Policies = [
    // Break-glass accounts and containment.
    caPolicyExcludesBreakGlass,
    quarantineNotBreakGlass,
    quarantineDocumented,
    quarantineOnePerUser,

    // Mail authentication.
    dmarcReject,
    dmarcQuarantineRollout,
    dmarcReportingAddress,
    spfHardFail,

    // Sign-in and consent.
    userConsentRestricted,
    smsVoiceDisabled,
    legacyAuthBlocked,

    // The baseline as a whole.
    baselineComplete,
];
