/**
 * Authentication methods through Graph on the local tenant: per-type reads and deletes, the
 * default-method rule, Temporary Access Pass issuance under the tenant's policy, and the beta
 * sign-in preferences. Getting these wrong would leave an attacker's MFA method in place or
 * hand out a pass the policy forbids.
 */
import type { LocalTenant } from "../../local-tenant/server";
import type { GraphObject } from "../../local-tenant/model";
import { CONTOSO, closeAgents, graph, startScenarioTenant, tokenWith } from "./graph-support";

const { megan, methods } = CONTOSO;
const base = `/v1.0/users/${megan.id}/authentication`;

describe("Graph authentication methods on the local tenant", () => {
    let tenant: LocalTenant;
    let token: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
        token = await tokenWith(tenant, ["UserAuthenticationMethod.ReadWrite.All"]);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    const meganMethods = () =>
        tenant.control.getState().users.find((u) => u.id === megan.id)!.authenticationMethods;
    const tapConfig = () =>
        (
            tenant.control.getState().policies.authenticationMethodsPolicy
                .authenticationMethodConfigurations as GraphObject[]
        ).find((c) => c.id === "TemporaryAccessPass")!;

    test("the list shows every method with its @odata.type", async () => {
        const answer = await graph(tenant, token, "GET", `${base}/methods`);

        expect(answer.body.value.map((m: GraphObject) => m["@odata.type"])).toEqual([
            "#microsoft.graph.passwordAuthenticationMethod",
            "#microsoft.graph.fido2AuthenticationMethod",
            "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
            "#microsoft.graph.phoneAuthenticationMethod",
        ]);
    });

    test("a per-type collection holds only its type", async () => {
        const answer = await graph(tenant, token, "GET", `${base}/microsoftAuthenticatorMethods`);

        expect(answer.body.value.map((m: GraphObject) => m.id)).toEqual([
            methods.attackerAuthenticator,
        ]);
    });

    test("the type's own permission reads its collection", async () => {
        const phoneToken = await tokenWith(tenant, ["UserAuthMethod-Phone.Read.All"]);

        const phones = await graph(tenant, phoneToken, "GET", `${base}/phoneMethods`);
        const fido = await graph(tenant, phoneToken, "GET", `${base}/fido2Methods`);

        expect(phones.status).toBe(200);
        expect(fido.status).toBe(403);
    });

    test("a method id under another type's path is not found", async () => {
        const answer = await graph(
            tenant,
            token,
            "DELETE",
            `${base}/phoneMethods/${methods.meganFido2}`,
        );

        expect(answer.status).toBe(404);
    });

    test("the default method cannot be deleted while another method that could be the default remains", async () => {
        const answer = await graph(
            tenant,
            token,
            "DELETE",
            `${base}/microsoftAuthenticatorMethods/${methods.attackerAuthenticator}`,
        );

        expect(answer.status).toBe(400);
        expect(answer.body.error).toMatchObject({
            code: "badRequest",
            message:
                "Cannot delete default method with other methods configured. Please change default method before deletion.",
        });
        expect(meganMethods().some((m) => m.id === methods.attackerAuthenticator)).toBe(true);
    });

    test("the default method goes last, and a FIDO2 key (never a default) does not block it", async () => {
        const phone = await graph(
            tenant,
            token,
            "DELETE",
            `${base}/phoneMethods/${methods.attackerPhone}`,
        );
        const authenticator = await graph(
            tenant,
            token,
            "DELETE",
            `${base}/microsoftAuthenticatorMethods/${methods.attackerAuthenticator}`,
        );

        expect([phone.status, authenticator.status]).toEqual([204, 204]);
        expect(meganMethods().map((m) => m.id)).toEqual([methods.password, methods.meganFido2]);
        expect(
            tenant.control.getState().users.find((u) => u.id === megan.id)!.defaultMethodId,
        ).toBeNull();
    });

    test("a mobile number cannot be deleted while an alternate mobile remains, only after it", async () => {
        const MOBILE = "3179e48a-750b-4051-897c-87b9720928f7";
        const ALTERNATE = "b6332ec1-7057-4abe-9331-3d72feddfe41";
        const user = tenant.control.getState().users.find((u) => u.id === megan.id)!;
        const phone = (id: string, phoneType: string) => ({
            "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
            id,
            phoneNumber: "+1 5555550100",
            phoneType,
            smsSignInState: "notAllowedByPolicy",
        });
        user.authenticationMethods.push(
            phone(MOBILE, "mobile"),
            phone(ALTERNATE, "alternateMobile"),
        );

        const first = await graph(tenant, token, "DELETE", `${base}/phoneMethods/${MOBILE}`);
        expect(first.status).toBe(400);
        expect(first.body.error.message).toMatch(/alternate mobile/);

        const alternate = await graph(tenant, token, "DELETE", `${base}/phoneMethods/${ALTERNATE}`);
        const mobile = await graph(tenant, token, "DELETE", `${base}/phoneMethods/${MOBILE}`);
        expect([alternate.status, mobile.status]).toEqual([204, 204]);
    });

    test("the password method cannot be deleted", async () => {
        const answer = await graph(
            tenant,
            token,
            "DELETE",
            `${base}/passwordMethods/${methods.password}`,
        );

        expect(answer.status).toBe(405);
    });

    test("a Temporary Access Pass is returned once and never stored", async () => {
        const answer = await graph(tenant, token, "POST", `${base}/temporaryAccessPassMethods`, {
            lifetimeInMinutes: 60,
            isUsableOnce: true,
        });

        expect(answer.status).toBe(201);
        expect(answer.body).toMatchObject({
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            lifetimeInMinutes: 60,
            isUsableOnce: true,
            isUsable: true,
        });
        expect(answer.body.temporaryAccessPass).toMatch(/^.{8}$/);
        expect(JSON.stringify(tenant.control.getState())).not.toContain(
            answer.body.temporaryAccessPass,
        );
        const read = await graph(
            tenant,
            token,
            "GET",
            `${base}/temporaryAccessPassMethods/${answer.body.id}`,
        );
        expect(read.body.temporaryAccessPass).toBeNull();
    });

    test("a new pass replaces the user's previous one", async () => {
        await graph(tenant, token, "POST", `${base}/temporaryAccessPassMethods`, {});
        await graph(tenant, token, "POST", `${base}/temporaryAccessPassMethods`, {});

        const passes = meganMethods().filter(
            (m) => m["@odata.type"] === "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        );
        expect(passes).toHaveLength(1);
    });

    test("a pass whose lifetime is outside the policy's bounds is refused", async () => {
        const answer = await graph(tenant, token, "POST", `${base}/temporaryAccessPassMethods`, {
            lifetimeInMinutes: 10,
        });

        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toContain("60 to 480");
    });

    test("a pass starting later is not yet usable", async () => {
        const answer = await graph(tenant, token, "POST", `${base}/temporaryAccessPassMethods`, {
            startDateTime: "2099-06-05T00:00:00.000Z",
        });

        expect(answer.body).toMatchObject({
            startDateTime: "2099-06-05T00:00:00Z",
            isUsable: false,
            methodUsabilityReason: "NotYetValid",
        });
    });

    test("no pass is issued while the policy disables Temporary Access Pass", async () => {
        tapConfig().state = "disabled";
        try {
            const answer = await graph(
                tenant,
                token,
                "POST",
                `${base}/temporaryAccessPassMethods`,
                {},
            );

            expect(answer.status).toBe(400);
            expect(answer.body.error.code).toBe("badRequest");
        } finally {
            tapConfig().state = "enabled";
        }
    });

    test("sign-in preferences (beta) report the default method as the preferred one", async () => {
        const answer = await graph(
            tenant,
            token,
            "GET",
            `/beta/users/${CONTOSO.grady.id}/authentication/signInPreferences`,
        );

        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({
            userPreferredMethodForSecondaryAuthentication: "push",
            systemPreferredAuthenticationMethod: "Push",
        });
    });

    test("sign-in preferences are not served on v1.0", async () => {
        const answer = await graph(
            tenant,
            token,
            "GET",
            `/v1.0/users/${CONTOSO.grady.id}/authentication/signInPreferences`,
        );

        expect(answer.status).toBe(404);
    });

    test("a preference for a method the user has not registered is refused", async () => {
        const answer = await graph(
            tenant,
            token,
            "PATCH",
            `/beta/users/${CONTOSO.grady.id}/authentication/signInPreferences`,
            {
                userPreferredMethodForSecondaryAuthentication: "sms",
            },
        );

        expect(answer.status).toBe(400);
    });
});
