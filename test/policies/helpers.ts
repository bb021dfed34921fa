/**
 * Run one policy the way `@pulumi/policy`'s analyzer server runs it, without starting a pack.
 *
 * The server (node_modules/@pulumi/policy/server.js) builds `ResourceValidationArgs` /
 * `StackValidationArgs` from each gRPC request: the properties wrapped in the SDK's
 * unknown-checking proxy, `getConfig()` returning the policy's config without
 * `enforcementLevel`, the level taken from config, then the policy, then the pack. A policy
 * that throws `UnknownValueError` gets an ADVISORY "can't run ... during preview" diagnostic.
 * These helpers do the same, so a unit test sees what the engine would see.
 */
import {
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
    UnknownValueError,
} from "@pulumi/policy";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

/**
 * The value the engine sends for an input that is unknown during preview (an output of a
 * resource not created yet). Put it anywhere in `props` to simulate a preview.
 */
export const UNKNOWN = unknownValue;

/** One diagnostic, as the engine would print it. */
export interface Violation {
    policy: string;
    message: string;
    enforcementLevel: EnforcementLevel;
    urn?: string;
}

/** A resource as a test describes it. */
export interface TestResource {
    type: string;
    name: string;
    props: Record<string, any>;
    /** Default: a URN built from type and name in stack `test`, project `bec-guard`. */
    urn?: string;
    parent?: string;
}

/** Config for one policy: its parameters plus an optional enforcementLevel override. */
export type TestPolicyConfig = Record<string, unknown> & { enforcementLevel?: EnforcementLevel };

/** A URN the way the engine writes one (parent type chains are not needed by the pack). */
export function testUrn(type: string, name: string): string {
    return `urn:pulumi:test::bec-guard::${type}::${name}`;
}

const defaultOptions: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

/** Run a resource policy on one resource; returns its diagnostics (empty: it passed). */
export async function validateResource(
    policy: ResourceValidationPolicy,
    resource: TestResource,
    config: TestPolicyConfig = {},
): Promise<Violation[]> {
    const level = levelOf(policy, config);
    if (level === "disabled") {
        return [];
    }
    const urn = resource.urn ?? testUrn(resource.type, resource.name);
    const violations: Violation[] = [];
    const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : policy.validateResource
          ? [policy.validateResource]
          : [];

    for (const validation of validations) {
        // A fresh proxy per validation, as the server deserializes per call.
        const props = unknownCheckingProxy(copy(resource.props));
        const args: ResourceValidationArgs = {
            type: resource.type,
            props,
            urn,
            name: resource.name,
            opts: { ...defaultOptions, parent: resource.parent },
            stackTags: new Map(),
            isType: () => {
                throw new Error("policies match on type tokens, not classes");
            },
            asType: () => {
                throw new Error("policies match on type tokens, not classes");
            },
            getConfig: <T extends object>() => withoutLevel(config) as T,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        };
        await runCatchingUnknowns(policy.name, violations, () =>
            validation(args, (message) =>
                violations.push({ policy: policy.name, message, enforcementLevel: level, urn }),
            ),
        );
    }
    return violations;
}

/** Run a stack policy on a list of resources; returns its diagnostics. */
export async function validateStack(
    policy: StackValidationPolicy,
    resources: TestResource[],
    config: TestPolicyConfig = {},
): Promise<Violation[]> {
    const level = levelOf(policy, config);
    if (level === "disabled") {
        return [];
    }
    const policyResources: PolicyResource[] = resources.map((resource) => {
        const props = unknownCheckingProxy(copy(resource.props));
        return {
            type: resource.type,
            name: resource.name,
            urn: resource.urn ?? testUrn(resource.type, resource.name),
            props,
            opts: { ...defaultOptions, parent: resource.parent },
            dependencies: [],
            propertyDependencies: {},
            isType: () => {
                throw new Error("policies match on type tokens, not classes");
            },
            asType: () => {
                throw new Error("policies match on type tokens, not classes");
            },
        };
    });
    const byUrn = new Map(policyResources.map((resource) => [resource.urn, resource]));
    for (const [i, resource] of resources.entries()) {
        if (resource.parent) {
            policyResources[i].parent = byUrn.get(resource.parent);
        }
    }

    const violations: Violation[] = [];
    const args: StackValidationArgs = {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: <T extends object>() => withoutLevel(config) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    await runCatchingUnknowns(policy.name, violations, () =>
        policy.validateStack(args, (message, urn) =>
            violations.push({ policy: policy.name, message, enforcementLevel: level, urn }),
        ),
    );
    return violations;
}

/** The messages of the violations, for compact assertions. */
export function messages(violations: Violation[]): string[] {
    return violations.map((violation) => violation.message);
}

class NotApplicable extends Error {}

/**
 * A deep copy made in this realm. Not `structuredClone`: under jest that returns objects of
 * Node's main realm, which fail the proxy's `instanceof Object` test inside the test realm and
 * so would never be wrapped, hiding every unknown.
 */
function copy<T>(value: T): T {
    return JSON.parse(JSON.stringify(value)) as T;
}

/** As the server: config level, then the policy's level, then the pack default (mandatory). */
function levelOf(
    policy: { enforcementLevel?: EnforcementLevel },
    config: TestPolicyConfig,
): EnforcementLevel {
    const level = config.enforcementLevel ?? policy.enforcementLevel ?? "mandatory";
    return level === "remediate" ? "mandatory" : level;
}

function withoutLevel(config: TestPolicyConfig): Record<string, unknown> {
    return Object.fromEntries(Object.entries(config).filter(([key]) => key !== "enforcementLevel"));
}

/** As the server: an unknown read becomes an advisory diagnostic; not-applicable is silent. */
async function runCatchingUnknowns(
    policyName: string,
    violations: Violation[],
    run: () => void | Promise<void>,
): Promise<void> {
    try {
        await run();
    } catch (error) {
        if (error instanceof UnknownValueError) {
            violations.push({
                policy: policyName,
                message: `can't run policy '${policyName}' during preview: ${(error as Error).message}`,
                enforcementLevel: "advisory",
            });
        } else if (!(error instanceof NotApplicable)) {
            throw error;
        }
    }
}
