/**
 * Reading users copies only what the answer returns. The state's mailboxes, messages and
 * authentication methods are bookkeeping a user answer never contains; copying them for every
 * GET /users/{id} was most of the local tenant's CPU per request, and slow answers make the
 * product's benchmarks measure the local tenant instead of the client.
 */
import type { User } from "../../local-tenant/model";
import type { LocalTenant } from "../../local-tenant/server";
import { CONTOSO, closeAgents, graph, startScenarioTenant, tokenWith } from "./graph-support";

describe("Graph user answers copy only what they return", () => {
    let tenant: LocalTenant;
    let token: string;

    beforeAll(async () => {
        tenant = await startScenarioTenant();
        token = await tokenWith(tenant, ["User.ReadWrite.All"]);
    });
    afterAll(async () => {
        closeAgents();
        await tenant.stop();
    });

    /**
     * Runs `action` while Megan's mailbox and methods count every property read, and returns
     * the count. The tenant writes nothing in this file, so only the request can read them.
     */
    async function readsOfBookkeeping(action: () => Promise<void>): Promise<number> {
        const user = tenant.control.getState().users.find((u) => u.id === CONTOSO.megan.id)!;
        const original = { mailbox: user.mailbox, methods: user.authenticationMethods };
        let reads = 0;
        const counting = <T extends object>(target: T): T =>
            new Proxy(target, {
                get(object, property, receiver) {
                    reads++;
                    return Reflect.get(object, property, receiver) as unknown;
                },
            });
        user.mailbox = counting(original.mailbox!);
        user.authenticationMethods = counting(original.methods);
        try {
            await action();
        } finally {
            user.mailbox = original.mailbox;
            user.authenticationMethods = original.methods as User["authenticationMethods"];
        }
        return reads;
    }

    test("getting and listing users never reads a mailbox or the authentication methods", async () => {
        const answers: number[] = [];

        const reads = await readsOfBookkeeping(async () => {
            for (const path of [
                `/v1.0/users/${CONTOSO.megan.id}`,
                `/beta/users/${CONTOSO.megan.id}`,
                `/v1.0/users/${CONTOSO.megan.id}?$select=id,displayName,accountEnabled`,
                "/v1.0/users?$filter=accountEnabled eq true&$select=id,mail",
                "/beta/users",
            ]) {
                answers.push((await graph(tenant, token, "GET", path)).status);
            }
        });

        expect(answers).toEqual([200, 200, 200, 200, 200]);
        expect(reads).toBe(0);
    });

    test("a user answer holds the public properties, unset common ones as null, no bookkeeping", async () => {
        const answer = await graph(tenant, token, "GET", `/beta/users/${CONTOSO.megan.id}`);

        expect(answer.body).toMatchObject({
            id: CONTOSO.megan.id,
            userPrincipalName: CONTOSO.megan.upn,
            passwordProfile: null,
            mobilePhone: null,
        });
        for (const internal of ["mailbox", "authenticationMethods", "memberOf", "passwordSha256"]) {
            expect(answer.body).not.toHaveProperty(internal);
        }
    });

    test("a $batch read answers the user as it was, not as a later item in the batch changed it", async () => {
        const nestor = tenant.control.getState().users.find((u) => u.id === CONTOSO.nestor.id)!;
        const before = structuredClone(
            (nestor as unknown as Record<string, unknown>).businessPhones,
        );

        const answer = await graph(tenant, token, "POST", "/v1.0/$batch", {
            requests: [
                {
                    id: "read",
                    method: "GET",
                    url: `/users/${CONTOSO.nestor.id}?$select=id,businessPhones`,
                },
                {
                    id: "write",
                    method: "PATCH",
                    url: `/users/${CONTOSO.nestor.id}`,
                    headers: { "Content-Type": "application/json" },
                    body: { businessPhones: ["+1 555 0100"] },
                },
            ],
        });

        const byId = (id: string) =>
            (answer.body.responses as Array<{ id: string; status: number; body: any }>).find(
                (r) => r.id === id,
            )!;
        expect(byId("write").status).toBe(204);
        expect(byId("read").body.businessPhones).toEqual(before ?? []);
    });
});
