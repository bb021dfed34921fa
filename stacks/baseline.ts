/**
 * The hardening baseline part of the program: reads `bec-guard:baseline` (and the top-level
 * `bec-guard:breakGlassAccounts`), validates all of it before declaring anything, and declares
 * one `HardeningBaseline`. stacks/index.ts calls `declareBaseline(new pulumi.Config())`.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";

import { HardeningBaseline } from "../components/baseline";
import {
    BASELINE_CONFIG_KEY,
    BaselineConfigError,
    parseBaselineConfig,
} from "../components/config";

/** azuread's name for each BEC Guard cloud (`custom` is reached through `metadataHost`). */
const AZUREAD_ENVIRONMENTS: Record<string, string> = {
    global: "global",
    usgov: "usgovernmentl4",
    dod: "usgovernmentl5",
    china: "china",
};

/**
 * Declares the hardening baseline the stack config asks for, or nothing when the stack has no
 * `bec-guard:baseline` key.
 *
 * @param config The `bec-guard` namespace of the stack config.
 * @throws pulumi.RunError listing every config problem (key, value, fix) at preview, before any
 *   resource is declared.
 */
export function declareBaseline(config: pulumi.Config): HardeningBaseline | undefined {
    // 1. No key, no baseline: incident-only stacks stay as they are.
    const raw = config.getObject<unknown>(BASELINE_CONFIG_KEY);
    if (raw === undefined) {
        return undefined;
    }

    // 2. Validate everything first; a RunError prints the problems without a stack trace.
    let args;
    try {
        args = parseBaselineConfig(raw, config.getObject<unknown>("breakGlassAccounts") ?? []);
    } catch (err) {
        if (err instanceof BaselineConfigError) {
            throw new pulumi.RunError(err.message);
        }
        throw err;
    }

    // 3. Risks only the tenant can rule out are printed, not refused.
    const { warnings, ...baseline } = args;
    for (const warning of warnings) {
        pulumi.log.warn(warning);
    }

    // 4. Conditional Access goes through azuread, pointed at the same tenant and cloud as the
    //    settings providers; nothing else needs it.
    const providers = baseline.conditionalAccess ? [azureadProvider(config)] : [];

    return new HardeningBaseline("baseline", baseline, { providers });
}

/**
 * An azuread provider for the stack's tenant, from the same keys the settings providers use
 * (stack config first, then the AZURE_* / BEC_GUARD_* environment).
 *
 * Note: for the `custom` cloud (the local tenant) azuread is pointed at the local tenant's
 * metadata endpoint (`metadataHost`, the host of the Graph URL); that needs the local tenant to
 * serve `/metadata/endpoints` and the provider plugin (a Go binary, which ignores
 * NODE_EXTRA_CA_CERTS) to trust the local CA through SSL_CERT_FILE. A client certificate
 * (bec-guard:clientCertificatePath, PEM) is not passed on: azuread wants PKCS#12; use
 * ARM_CLIENT_CERTIFICATE_PATH or a client secret / OIDC (ARM_USE_OIDC) for azuread.
 */
export function azureadProvider(config: pulumi.Config): azuread.Provider {
    const setting = (key: string, env: string): string | undefined =>
        config.get(key) ?? process.env[env];

    const cloud = setting("cloud", "BEC_GUARD_CLOUD") ?? "global";
    const args: azuread.ProviderArgs = {
        tenantId: setting("tenantId", "AZURE_TENANT_ID"),
        clientId: setting("clientId", "AZURE_CLIENT_ID"),
    };

    // The secret stays a secret in state: from stack config as is, from the environment wrapped.
    const secret = config.getSecret("clientSecret");
    if (secret !== undefined) {
        args.clientSecret = secret;
    } else if (process.env.AZURE_CLIENT_SECRET) {
        args.clientSecret = pulumi.secret(process.env.AZURE_CLIENT_SECRET);
    }

    if (cloud === "custom") {
        const graphUrl = setting("graphUrl", "BEC_GUARD_GRAPH_URL");
        if (!graphUrl) {
            throw new pulumi.RunError(
                "bec-guard:graphUrl is missing: the custom cloud (local tenant) needs its Graph URL. " +
                    "Fix: export the variables the local tenant prints (BEC_GUARD_GRAPH_URL, ...) " +
                    "before `pulumi up`, or set bec-guard:graphUrl.",
            );
        }
        args.metadataHost = new URL(graphUrl).host;
    } else if (AZUREAD_ENVIRONMENTS[cloud]) {
        args.environment = AZUREAD_ENVIRONMENTS[cloud];
    } else {
        throw new pulumi.RunError(
            `bec-guard:cloud is ${JSON.stringify(cloud)}: not a known cloud. ` +
                "Fix: use global, usgov, dod, china or custom.",
        );
    }

    return new azuread.Provider("azuread", args);
}
