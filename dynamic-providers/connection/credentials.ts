/**
 * The @azure/identity credential for validated settings.
 *
 * Every credential that talks to an authority gets the cloud's `authorityHost`; the custom cloud
 * also gets `disableInstanceDiscovery` (Entra does not know the local tenant's authority) and,
 * when a CA file is configured, `tlsOptions.ca`. @azure/identity sends its discovery and token
 * requests through an @azure/core-rest-pipeline client whose pipeline adds a TLS policy from
 * `tlsOptions`; node's https client then builds an agent with that CA list. We pass the public
 * roots plus the CA, because `ca` replaces the default list rather than extending it.
 */
import {
    AzureCliCredential,
    ClientCertificateCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
    type TokenCredential,
} from "@azure/identity";

import { resolveEndpoints, type CloudEndpoints } from "./clouds";
import type { ConnectionSettings } from "./settings";
import { trustedCas } from "./transport";

/**
 * Build the TokenCredential the settings describe.
 *
 * @param settings From `loadSettings` (already validated).
 * @param endpoints Resolved endpoints; default `resolveEndpoints(settings)`.
 * @returns A credential; it fetches nothing until the first `getToken`.
 */
export function createCredential(
    settings: ConnectionSettings,
    endpoints: CloudEndpoints = resolveEndpoints(settings),
): TokenCredential {
    // 1. Options shared by every credential that talks to an Entra authority.
    const ca = trustedCas(endpoints.caCertPath);
    const authorityOptions = {
        authorityHost: endpoints.authorityHost,
        disableInstanceDiscovery: endpoints.disableInstanceDiscovery,
        ...(ca ? { tlsOptions: { ca } } : {}),
    };

    // 2. The credential itself.
    switch (settings.credential) {
        case "clientSecret":
            return new ClientSecretCredential(
                settings.tenantId,
                settings.clientId as string,
                settings.clientSecret as string,
                authorityOptions,
            );
        case "clientCertificate":
            return new ClientCertificateCredential(
                settings.tenantId,
                settings.clientId as string,
                {
                    certificatePath: settings.clientCertificatePath as string,
                    certificatePassword: settings.clientCertificatePassword,
                },
                authorityOptions,
            );
        case "workloadIdentity":
            return new WorkloadIdentityCredential({
                tenantId: settings.tenantId,
                clientId: settings.clientId,
                tokenFilePath: settings.federatedTokenFile,
                ...authorityOptions,
            });
        case "managedIdentity":
            // The managed identity endpoint is local to the host (IMDS / App Service); the
            // authority does not apply.
            return settings.clientId
                ? new ManagedIdentityCredential({ clientId: settings.clientId })
                : new ManagedIdentityCredential();
        case "azureCli":
            return new AzureCliCredential({ tenantId: settings.tenantId });
    }
}
