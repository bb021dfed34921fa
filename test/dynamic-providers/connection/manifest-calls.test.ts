/**
 * A Graph or Exchange call the code makes must be an operation of the permission manifest,
 * even when the permissions already granted happen to allow it: otherwise docs/permissions.md,
 * the 403 advice and an administrator's grant list silently miss it. Every tenant started by
 * `startTestTenant` (the quarantine and settings provider tests) checks its whole request log
 * on stop; these tests prove that check can fail.
 */
import type { RequestLogEntry } from "../../../local-tenant/request-log";
import { callsOutsideManifest } from "../../support/manifest-calls";
import { startTestTenant } from "../../support/local-tenant";
import { call, closeAgents, getToken } from "../../local-tenant/helpers";

function entry(
    method: string,
    path: string,
    extra: Partial<RequestLogEntry> = {},
): RequestLogEntry {
    return { requestId: "r", method, path, status: 200, startedAt: 0, endedAt: 1, ...extra };
}

describe("callsOutsideManifest", () => {
    test("passes manifest operations, $batch items and listed cmdlets", () => {
        const log = [
            entry("GET", "/v1.0/users/megan.bowen%40contoso.com"),
            entry("POST", "/v1.0/$batch"),
            entry("PATCH", "/v1.0/users/a229b752", { batch: { batchRequestId: "b", itemId: "1" } }),
            entry("GET", "/beta/users/x/authentication/signInPreferences"),
            entry("POST", "/e545e4ef/oauth2/v2.0/token"),
            entry("POST", "/adminapi/beta/e545e4ef/InvokeCommand", { cmdlet: "Get-InboxRule" }),
        ];

        expect(callsOutsideManifest(log)).toEqual([]);
    });

    test("names a Graph call with no manifest operation, even one a granted permission allows", () => {
        // Reading a mail folder itself is no operation of the manifest, whatever it would need.
        const log = [entry("GET", "/v1.0/users/x/mailFolders/inbox")];

        expect(callsOutsideManifest(log)).toEqual([
            "GET /v1.0/users/x/mailFolders/inbox (no operation in the manifest)",
        ]);
    });

    test("names an operation called on an API version the manifest does not list", () => {
        const log = [entry("GET", "/v1.0/users/x/authentication/signInPreferences")];

        expect(callsOutsideManifest(log)).toEqual([
            "GET /v1.0/users/x/authentication/signInPreferences (authMethods.getSignInPreferences is not listed for v1.0)",
        ]);
    });

    test("names a cmdlet the manifest does not list, and a request to neither API", () => {
        const log = [
            entry("POST", "/adminapi/beta/t/InvokeCommand", { cmdlet: "Get-MessageTrace" }),
            entry("GET", "/metadata/endpoints"),
        ];

        expect(callsOutsideManifest(log)).toEqual([
            "Exchange Get-MessageTrace (no cmdlet row in the manifest)",
            "GET /metadata/endpoints (neither Graph nor the Exchange admin API)",
        ]);
    });
});

describe("a test tenant's stop", () => {
    afterAll(() => closeAgents());

    test("fails naming a call outside the manifest, also when the test cleared its log since", async () => {
        const tenant = await startTestTenant({ scenario: "contoso-bec" });
        const token = await getToken(tenant);
        await call(tenant, "GET", "/v1.0/users/megan.bowen%40contoso.com/mailFolders/inbox", {
            token,
        });
        tenant.control.clearRequests();

        await expect(tenant.stop()).rejects.toThrow(
            "- GET /v1.0/users/megan.bowen%40contoso.com/mailFolders/inbox (no operation in the manifest)",
        );
    });

    test("succeeds when every call is in the manifest", async () => {
        const tenant = await startTestTenant({ scenario: "contoso-bec" });
        const token = await getToken(tenant);
        const user = await call(tenant, "GET", "/v1.0/users/megan.bowen%40contoso.com", { token });

        expect(user.status).toBe(200);
        await expect(tenant.stop()).resolves.toBeUndefined();
    });
});
