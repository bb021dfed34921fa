/**
 * The copy helpers route handlers use so that an answer never shares objects with the live
 * state: a later write (another `$batch` item, say) must not change an answer already made.
 */
import { clone, copyOf } from "../../local-tenant/graph/shared";

describe("copying answers", () => {
    const sample = () => ({
        id: "a229b752-17ec-4704-9971-4b4021745a1c",
        displayName: "Megan Bowen",
        accountEnabled: true,
        mail: null,
        jobTitle: undefined,
        businessPhones: ["+1 425 555 0109"],
        identities: [{ signInType: "userPrincipalName", issuerAssignedId: "megan@contoso.com" }],
    });

    test("copyOf answers exactly what a JSON round trip answers, unset properties left out", () => {
        const user = sample();

        expect(copyOf(user)).toStrictEqual(clone(user));
        expect(Object.keys(copyOf(user))).not.toContain("jobTitle");
    });

    test("copyOf shares no nested object or array with what it copied", () => {
        const user = sample();
        const copy = copyOf(user);

        user.businessPhones.push("+1 425 555 0199");
        user.identities[0].issuerAssignedId = "attacker@contoso.com";

        expect(copy.businessPhones).toEqual(["+1 425 555 0109"]);
        expect(copy.identities).toEqual([
            { signInType: "userPrincipalName", issuerAssignedId: "megan@contoso.com" },
        ]);
    });
});
