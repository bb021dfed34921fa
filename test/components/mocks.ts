/**
 * Pulumi mocks for component tests: every resource a component declares is recorded with its
 * inputs and the resources it depends on, and the `azuread:index/getUser:getUser` lookup
 * answers from a small directory, so break-glass UPNs resolve as they would in a tenant.
 */
import * as pulumi from "@pulumi/pulumi";

import { HardeningBaseline } from "../../components/baseline";
import { observeRegistrations } from "../support/registrations";

export interface DeclaredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** Names of the resources this one waits for (explicit dependsOn and input dependencies). */
    dependsOn: string[];
}

/** Users the mocked `getUser` knows, by UPN (lower case). */
export const DIRECTORY: Record<string, string> = {
    "breakglass1@contoso.example": "11111111-1111-4111-8111-111111111111",
    "breakglass2@contoso.example": "22222222-2222-4222-8222-222222222222",
};

/** The selector CNAME target Exchange Online would generate for a domain. */
export function dkimTarget(selector: string, domain: string): string {
    return `${selector}-${domain.replace(/\./g, "-")}._domainkey.contoso.onmicrosoft.com`;
}

/** Outputs the engine would add for resources whose outputs are not just their inputs. */
function outputsOf(type: string, inputs: Record<string, any>): Record<string, any> {
    if (type === "pulumi-nodejs:dynamic/bec-guard:DkimSigning") {
        return {
            selector1Cname: dkimTarget("selector1", inputs.domain),
            selector2Cname: dkimTarget("selector2", inputs.domain),
            enabled: inputs.enable === true,
        };
    }
    return {};
}

/**
 * Installs the mocks and returns the lists that fill as resources are declared and users
 * looked up. Call it in `beforeEach` so every test starts from empty lists.
 */
export function installMocks(): { resources: DeclaredResource[]; lookups: string[] } {
    const resources: DeclaredResource[] = [];
    const lookups: string[] = [];
    const dependencies = new Map<string, string[]>();

    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    dependsOn: dependencies.get(args.name) ?? [],
                });
                const state = { ...args.inputs, ...outputsOf(args.type, args.inputs) };
                return { id: `${args.name}-id`, state };
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

    // The mocks' newResource does not see resource options; read the dependencies off the
    // registration request (URNs end in the resource name).
    observeRegistrations((req) => {
        const urns: string[] = req.getDependenciesList();
        dependencies.set(
            req.getName(),
            urns.map((urn) => urn.slice(urn.lastIndexOf("::") + 2)),
        );
    });

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

/** The resource of a type and name, or an error listing what was declared. */
export function declared(resources: DeclaredResource[], name: string): DeclaredResource {
    const found = resources.find((r) => r.name === name);
    if (!found) {
        throw new Error(
            `no resource ${name}; declared: ${resources.map((r) => r.name).join(", ")}`,
        );
    }
    return found;
}

/**
 * Waits until every resource a `HardeningBaseline` declared has reached the mocks (dynamic
 * resources serialize their provider first, which takes a moment), so a test never ends with
 * registrations still running.
 */
export async function settleBaseline(baseline: HardeningBaseline): Promise<void> {
    const children: pulumi.CustomResource[] = [
        ...Object.values(baseline.conditionalAccess?.policies ?? {}),
        ...(baseline.conditionalAccess?.allowedCountriesLocation
            ? [baseline.conditionalAccess.allowedCountriesLocation]
            : []),
        ...(baseline.tokenProtection ? [baseline.tokenProtection.policy] : []),
        ...(baseline.authenticationMethods ? [baseline.authenticationMethods.policy] : []),
        ...(baseline.consent ? [baseline.consent.policy] : []),
        ...(baseline.exchangeProtection ? [baseline.exchangeProtection.protection] : []),
        ...Object.values(baseline.mail).flatMap((mail) => [
            ...Object.values(mail.recordSets),
            ...(mail.dkimKeys ? [mail.dkimKeys] : []),
            ...(mail.dkimSigning ? [mail.dkimSigning] : []),
        ]),
    ];
    await Promise.all(children.map((child) => valueOf(child.id)));
    await valueOf(baseline.mailRecords);
}
