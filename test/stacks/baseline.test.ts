import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

import { installMocks, settleBaseline, valueOf } from "../components/mocks";
import { parseBaselineConfig } from "../../components/config";
import { azureadProvider, declareBaseline } from "../../stacks/baseline";

const STACKS = path.resolve(__dirname, "../../stacks");

/** The `config:` map of a stack file. */
function stackConfig(file: string): Record<string, unknown> {
    return parse(fs.readFileSync(path.join(STACKS, file), "utf8")).config;
}

/** Makes a stack config current, as the engine does before the program runs (values as text). */
function useConfig(config: Record<string, unknown>): pulumi.Config {
    pulumi.runtime.setAllConfig(
        Object.fromEntries(
            Object.entries(config).map(([key, value]) => [
                key,
                typeof value === "string" ? value : JSON.stringify(value),
            ]),
        ),
    );
    return new pulumi.Config("bec-guard");
}

/** A provider input the SDK marked secret arrives wrapped; the value is what we compare. */
function unwrap(value: any): unknown {
    return value !== null && typeof value === "object" && "value" in value ? value.value : value;
}

let mocks: ReturnType<typeof installMocks>;

beforeEach(() => {
    mocks = installMocks();
});

afterEach(() => {
    pulumi.runtime.setAllConfig({});
});

describe("stack files", () => {
    test.each(["Pulumi.local.yaml", "Pulumi.example.yaml"])("%s holds a valid baseline", (file) => {
        const config = stackConfig(file);
        expect(() =>
            parseBaselineConfig(
                config["bec-guard:baseline"],
                config["bec-guard:breakGlassAccounts"],
            ),
        ).not.toThrow();
    });

    test("the local stack targets the custom cloud and pins no connection URL or secret", () => {
        const config = stackConfig("Pulumi.local.yaml");
        expect(config["bec-guard:cloud"]).toBe("custom");
        for (const key of [
            "graphUrl",
            "exchangeUrl",
            "authorityHost",
            "clientSecret",
            "tenantId",
        ]) {
            expect(config[`bec-guard:${key}`]).toBeUndefined();
        }
    });
});

describe("declareBaseline", () => {
    test("declares nothing when the stack has no baseline key", () => {
        expect(declareBaseline(useConfig({ "bec-guard:cloud": "global" }))).toBeUndefined();
        expect(mocks.resources).toEqual([]);
    });

    test("bad config fails before any resource is declared, with every problem listed", () => {
        const config = useConfig({
            "bec-guard:breakGlassAccounts": ["not-an-account"],
            "bec-guard:baseline": { conditionalAccess: { allowedCountries: ["UK"] } },
        });
        expect(() => declareBaseline(config)).toThrow(pulumi.RunError);
        expect(() => declareBaseline(config)).toThrow(
            "Invalid hardening baseline config (2 problems):\n" +
                '  - bec-guard:breakGlassAccounts[0] is "not-an-account": not an object id (GUID) or a user principal name.',
        );
        expect(mocks.resources).toEqual([]);
    });

    test("the local stack declares the settings resources and the mail records", async () => {
        const baseline = declareBaseline(useConfig(stackConfig("Pulumi.local.yaml")));
        expect(baseline).toBeDefined();
        await settleBaseline(baseline!);
        expect(baseline?.conditionalAccess).toBeUndefined();
        const records = await valueOf(baseline!.mailRecords);
        expect(records["contoso.com"].map((r) => `${r.type} ${r.name}`)).toEqual([
            "TXT contoso.com",
            "TXT _dmarc.contoso.com",
            "TXT _mta-sts.contoso.com",
            "TXT _smtp._tls.contoso.com",
            "CNAME selector1._domainkey.contoso.com",
            "CNAME selector2._domainkey.contoso.com",
        ]);
        expect(baseline?.mtaStsPolicies["contoso.com"]).toContain("mode: testing\r\n");
        const types = mocks.resources.map((r) => r.type);
        expect(types).toEqual(
            expect.arrayContaining([
                "pulumi-nodejs:dynamic/bec-guard:TokenProtectionPolicy",
                "pulumi-nodejs:dynamic/bec-guard:AuthenticationMethodsPolicy",
                "pulumi-nodejs:dynamic/bec-guard:ConsentPolicy",
                "pulumi-nodejs:dynamic/bec-guard:ExchangeProtection",
                "pulumi-nodejs:dynamic/bec-guard:DkimSigning",
            ]),
        );
        expect(types).not.toContain("azure-native:dns:RecordSet");
        expect(types).not.toContain("pulumi:providers:azuread");
    });
});

describe("declareBaseline: mail records", () => {
    test("the example stack writes contoso.co.uk's DMARC report authorisation into the contoso.com zone", async () => {
        // The example's mail section alone (its break-glass UPN is unknown to the mocks).
        const example = stackConfig("Pulumi.example.yaml")["bec-guard:baseline"] as any;
        const baseline = declareBaseline(
            useConfig({
                "bec-guard:baseline": { mailAuthentication: example.mailAuthentication },
            }),
        );
        await settleBaseline(baseline!);
        const authorization = mocks.resources.find(
            (r) => r.name === "baseline-mail-contoso-co-uk-dmarc-report-contoso-com",
        );
        expect(authorization?.inputs).toEqual({
            resourceGroupName: "dns-rg",
            zoneName: "contoso.com",
            relativeRecordSetName: "contoso.co.uk._report._dmarc",
            recordType: "TXT",
            ttl: 3600,
            txtRecords: [{ value: ["v=DMARC1"] }],
        });
        // contoso.co.uk's own records are published elsewhere; the authorisation is not.
        expect(baseline!.mail["contoso.co.uk"].txtRecordsToPublish.map((r) => r.purpose)).toEqual([
            "SPF",
            "DMARC",
        ]);
    });
});

describe("azuread provider", () => {
    test("a Microsoft cloud maps to azuread's environment name", async () => {
        const provider = azureadProvider(
            useConfig({
                "bec-guard:cloud": "usgov",
                "bec-guard:tenantId": "t",
                "bec-guard:clientId": "c",
            }),
        );
        await valueOf(provider.urn);
        const declared = mocks.resources.find((r) => r.type === "pulumi:providers:azuread");
        expect(declared?.inputs.environment).toBe("usgovernmentl4");
        expect(unwrap(declared?.inputs.tenantId)).toBe("t");
        expect(unwrap(declared?.inputs.clientId)).toBe("c");
    });

    test("the custom cloud points azuread's metadata host at the local tenant", async () => {
        const provider = azureadProvider(
            useConfig({
                "bec-guard:cloud": "custom",
                "bec-guard:graphUrl": "https://127.0.0.1:8443",
            }),
        );
        await valueOf(provider.urn);
        const declared = mocks.resources.find((r) => r.type === "pulumi:providers:azuread");
        expect(declared?.inputs.metadataHost).toBe("127.0.0.1:8443");
    });

    test("an unknown cloud is refused with the fix", () => {
        expect(() => azureadProvider(useConfig({ "bec-guard:cloud": "azure" }))).toThrow(
            'bec-guard:cloud is "azure": not a known cloud. Fix: use global, usgov, dod, china or custom.',
        );
    });
});
