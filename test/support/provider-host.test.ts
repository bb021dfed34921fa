import * as pulumi from "@pulumi/pulumi";
import { captureProvider, ProviderHost, testUrn } from "./provider-host";

// A tiny provider that exercises what the harness must carry: config, outputs, init errors.
const echoProvider: pulumi.dynamic.ResourceProvider = {
    async configure(req) {
        (globalThis as any).echoGreeting = req.config.get("bec-guard:greeting") ?? "none";
    },
    async check(_olds, news) {
        const failures =
            typeof news.word === "string"
                ? []
                : [{ property: "word", reason: "word must be a string" }];
        return { inputs: news, failures };
    },
    async create(inputs) {
        if (inputs.word === "explode") {
            throw Object.assign(new Error("half done"), {
                id: "echo-1",
                properties: { done: ["first step"], journal: "x".repeat(40_000) },
                reasons: ["second step failed"],
            });
        }
        return {
            id: "echo-1",
            outs: { said: `${(globalThis as any).echoGreeting} ${inputs.word}` },
        };
    },
};

class Echo extends pulumi.dynamic.Resource {
    constructor(name: string, word: unknown) {
        super(
            echoProvider,
            name,
            { word, said: undefined },
            { additionalSecretOutputs: ["said"] },
            "bec-guard",
            "Echo",
        );
    }
}

describe("the provider-host harness", () => {
    let host: ProviderHost;
    beforeAll(async () => {
        host = await ProviderHost.start();
        await host.configure({ "bec-guard:greeting": "hello" });
    });
    afterAll(async () => host.stop());

    it("carries a serialized provider through the SDK host and back", async () => {
        const captured = await captureProvider(() => new Echo("e", "world"));
        expect(captured.type).toBe("pulumi-nodejs:dynamic/bec-guard:Echo");
        expect(captured.additionalSecretOutputs).toEqual(["said"]);

        const urn = testUrn(captured.type, "e");
        const checked = await host.check(urn, {}, captured.inputs);
        expect(checked.failures).toEqual([]);
        const created = await host.create(urn, checked.inputs);
        expect(created.outs.said).toBe("hello world");
    });

    it("reports check failures by property", async () => {
        const captured = await captureProvider(() => new Echo("bad", 42));
        const checked = await host.check(testUrn(captured.type, "bad"), {}, captured.inputs);
        expect(checked.failures).toEqual([{ property: "word", reason: "word must be a string" }]);
    });

    it("decodes a partial create as an init failure with its recorded properties", async () => {
        const captured = await captureProvider(() => new Echo("x", "explode"));
        const urn = testUrn(captured.type, "x");
        await expect(host.create(urn, captured.inputs)).rejects.toMatchObject({
            message: "half done",
            initFailure: {
                id: "echo-1",
                properties: { done: ["first step"], journal: "x".repeat(40_000) },
                reasons: ["second step failed"],
            },
        });
    });
});
