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
 */
export const breakGlassAccountsSchema: PolicyConfigJSONSchema = {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: [],
    description:
        "Emergency-access accounts, as Entra ID object ids and/or user principal names. " +
        "List each account by its object id (Conditional Access exclusions hold object ids) " +
        "and, if quarantines may name it by UPN, by its UPN too. Keep it equal to the " +
        "stack's bec-guard:breakGlassAccounts.",
};
