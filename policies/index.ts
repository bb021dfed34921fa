/**
 * The BEC Guard policy pack. The Pulumi CLI runs this module in its own process
 * (`pulumi preview --policy-pack policies`); constructing the pack starts the analyzer's gRPC
 * server, so nothing else should import this file: tests import `./policies` instead.
 *
 * Every policy is mandatory unless it says otherwise (the two advisory ones are
 * dmarc-quarantine-rollout and baseline-complete). Levels and parameters are set per policy in
 * a config file: see docs/policy-pack.md.
 */
import { PolicyPack } from "@pulumi/policy";

import { becGuardPolicies } from "./policies";

new PolicyPack("bec-guard", {
    description:
        "Guardrails for BEC Guard stacks: break-glass accounts, documented quarantines, mail " +
        "authentication, consent, MFA methods, legacy authentication, baseline completeness.",
    enforcementLevel: "mandatory",
    policies: becGuardPolicies,
});
