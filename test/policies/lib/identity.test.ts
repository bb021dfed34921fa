import { namesOf, parseAccounts } from "../../../policies/lib/identity";

const ID = "11111111-1111-4111-8111-111111111111";

describe("parseAccounts", () => {
    test("a bare object id or UPN is an account known by that one name", () => {
        expect(parseAccounts([ID, "BG1@Contoso.com"]).accounts).toEqual([
            { id: ID, upn: undefined, label: ID },
            { id: undefined, upn: "bg1@contoso.com", label: "bg1@contoso.com" },
        ]);
    });

    test("an id and a UPN joined by | are one account, in either order", () => {
        const expected = { id: ID, upn: "bg1@contoso.com", label: `${ID} (bg1@contoso.com)` };
        expect(parseAccounts([`${ID}|bg1@contoso.com`]).accounts).toEqual([expected]);
        expect(parseAccounts([` bg1@contoso.com | ${ID.toUpperCase()} `]).accounts).toEqual([
            expected,
        ]);
    });

    test("the object form pairs the two names like the string form", () => {
        expect(parseAccounts([{ id: ID, upn: "bg1@contoso.com" }]).accounts).toEqual([
            { id: ID, upn: "bg1@contoso.com", label: `${ID} (bg1@contoso.com)` },
        ]);
    });

    test("entries naming no account, two of a kind, or a name in the wrong field are invalid", () => {
        const entries = [
            "breakglass",
            `${ID}|${ID}`,
            "a@contoso.com|b@contoso.com",
            `${ID}|bg1@contoso.com|x`,
            { id: "bg1@contoso.com" },
            {},
        ];
        const parsed = parseAccounts(entries);
        expect(parsed.accounts).toEqual([]);
        expect(parsed.invalid).toHaveLength(entries.length);
        expect(parsed.invalid[0]).toBe("breakglass");
        expect(parsed.invalid[4]).toBe('{"id":"bg1@contoso.com"}');
    });

    test("namesOf holds every name of every account", () => {
        const { accounts } = parseAccounts([`${ID}|bg1@contoso.com`, "bg2@contoso.com"]);
        expect([...namesOf(accounts)].sort()).toEqual([ID, "bg1@contoso.com", "bg2@contoso.com"]);
    });
});
