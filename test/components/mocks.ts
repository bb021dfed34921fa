/**
 * Pulumi mocks for component tests: every resource a component declares is recorded with its
 * inputs, and the `azuread:index/getUser:getUser` lookup answers from a small directory, so
 * break-glass UPNs resolve as they would in a tenant.
 */
import * as pulumi from "@pulumi/pulumi";

export interface DeclaredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

/** Users the mocked `getUser` knows, by UPN (lower case). */
export const DIRECTORY: Record<string, string> = {
    "breakglass1@contoso.example": "11111111-1111-4111-8111-111111111111",
    "breakglass2@contoso.example": "22222222-2222-4222-8222-222222222222",
};

/**
 * Installs the mocks and returns the list that fills as resources are declared. Each call
 * starts a fresh list; install once per test file or per test (setMocks is cheap).
 */
export function installMocks(): { resources: DeclaredResource[]; lookups: string[] } {
    const resources: DeclaredResource[] = [];
    const lookups: string[] = [];
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: { ...args.inputs } };
            },
            call: (args) => {
                if (args.token === "azuread:index/getUser:getUser") {
                    const upn = String(args.inputs.userPrincipalName).toLowerCase();
                    lookups.push(upn);
                    // An unknown UPN answers with no object id.
                    const objectId = DIRECTORY[upn];
                    return objectId ? { objectId, userPrincipalName: upn } : {};
                }
                throw new Error(`unexpected invoke ${args.token}`);
            },
        },
        "bec-guard",
        "test",
        false,
    );
    return { resources, lookups };
}

/**
 * Resolves an Output to its value, or rejects with the error that failed it (an `apply` alone
 * would never call back on failure and the test would hang until its timeout).
 */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    // `promise()` is the SDK's own internal accessor; mocks resolve every value, so it settles.
    return (pulumi.output(output) as any).promise() as Promise<T>;
}
