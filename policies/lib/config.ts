/**
 * Policy configuration: each policy declares its parameters once, in its `configSchema`, with
 * defaults; `configOf` merges what the engine passes with those defaults.
 *
 * The Pulumi engine already fills schema defaults in before it calls `Configure`, and it
 * validates the config file against the schema. The merge here is a second line: a policy run
 * without that step (a unit test, an older CLI) still sees the documented defaults rather than
 * `undefined`, which for a security check would silently mean "nothing to check".
 */
import { PolicyConfigSchema, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

/** Build a typed config from the engine's config and the schema's defaults. */
export function configOf<T extends object>(
    schema: PolicyConfigSchema,
    args: ResourceValidationArgs | StackValidationArgs,
): T {
    const defaults: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties)) {
        if (property.default !== undefined) {
            defaults[key] = JSON.parse(JSON.stringify(property.default));
        }
    }
    return { ...defaults, ...args.getConfig<Record<string, unknown>>() } as T;
}

/**
 * The break-glass parameter of the policies that need it. CrossGuard config is per policy, so
 * the same list is repeated under each of those policies in the config file.
 *
 * Each entry is one account: an object id, a UPN, or both paired (`"<id>|<upn>"` or
 * `{ "id": ..., "upn": ... }`). Plain strings are the original form and stay valid; pairing is
 * what lets the pack match an account named by its id in one place and by its UPN in another.
 */
export const breakGlassAccountsSchema: PolicyConfigJSONSchema = {
    type: "array",
    items: {
        // A string (id, UPN or "id|upn") or an object pairing the two; each keyword below
        // applies only to its own type.
        type: ["string", "object"],
        minLength: 1,
        properties: {
            id: { type: "string", minLength: 1 },
            upn: { type: "string", minLength: 1 },
        },
        additionalProperties: false,
        minProperties: 1,
    },
    default: [],
    description:
        "Emergency-access accounts, one entry each: the object id paired with the UPN " +
        '("<object id>|<upn>" or {"id": "<object id>", "upn": "<upn>"}), or either name alone. ' +
        "Pair them: Conditional Access exclusions hold object ids, token protection and " +
        "incident files may use either, and the pack never counts one account's name for " +
        "another. Keep it equal to the stack's bec-guard:breakGlassAccounts.",
};

/**
 * The break-glass groups parameter: groups holding only emergency-access accounts, which a
 * Conditional Access policy may exclude in place of the accounts themselves.
 */
export const breakGlassGroupsSchema: PolicyConfigJSONSchema = {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: [],
    description:
        "Object ids of groups holding only the break-glass accounts. A policy that excludes " +
        "one of these groups counts as excluding the break-glass accounts.",
};
