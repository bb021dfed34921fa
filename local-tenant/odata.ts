/**
 * OData query options as Microsoft Graph applies them to a collection or an entity: `$filter`,
 * `$select`, `$top`, `$orderby`, `$count`, and server-driven paging with `$skiptoken` and an
 * absolute `@odata.nextLink`. Route handlers hand over the full list; these helpers answer
 * exactly the page the client asked for.
 *
 * `$filter` is a real (small) parser for the forms Graph supports that BEC Guard uses:
 * comparisons (eq, ne, gt, ge, lt, le, in), and/or/not, parentheses, startswith(),
 * endswith(), any()/all() lambdas on collections, and string, number, boolean, null, GUID and
 * date-time literals over nested property paths (`a/b`). Anything else is a 400, as Graph
 * answers an unsupported query, so a product query the local tenant cannot serve fails loudly
 * rather than returning the wrong rows.
 *
 * Note: string comparisons are case-insensitive (as Graph's directory is); ordering of strings
 * that look like ISO dates compares them as instants.
 */
import type { GraphObject } from "./model";
import { GraphHttpError, type GraphRequestContext, type GraphResponse } from "./contracts";

/**
 * Answers a collection with Graph's query options applied.
 *
 * @param items The whole collection; it is not modified.
 * @param options.defaultPageSize Page size without `$top` (default 100, as most directory lists).
 * @param options.maxPageSize Largest `$top` accepted (default 999); larger is a 400 as in Graph.
 * @param options.context The `@odata.context` fragment after `$metadata#` (default: the path).
 */
export function collection(
    ctx: GraphRequestContext,
    items: GraphObject[],
    options: { defaultPageSize?: number; maxPageSize?: number; context?: string } = {},
): GraphResponse {
    const maxPageSize = options.maxPageSize ?? 999;

    // 1. Filter, then order: both see every item, paging comes last.
    const filterText = queryOption(ctx.query, "filter");
    let rows = filterText === undefined ? items : items.filter(compileFilter(filterText));
    const orderBy = queryOption(ctx.query, "orderby");
    if (orderBy !== undefined) {
        rows = [...rows].sort(compileOrderBy(orderBy));
    }

    // 2. Page: $top is the page size, $skiptoken the offset of this page.
    const pageSize =
        parseTop(queryOption(ctx.query, "top"), maxPageSize) ?? options.defaultPageSize ?? 100;
    const offset = parseSkipToken(queryOption(ctx.query, "skiptoken"));
    const page = rows.slice(offset, offset + pageSize);

    // 3. Shape the body as Graph does: context, count, value, next link.
    const select = parseSelect(queryOption(ctx.query, "select"));
    const body: Record<string, unknown> = {
        "@odata.context": contextUrl(ctx, options.context ?? defaultContext(ctx.path), select),
    };
    if (queryOption(ctx.query, "count") === "true") {
        body["@odata.count"] = rows.length;
    }
    if (offset + pageSize < rows.length) {
        body["@odata.nextLink"] = nextLink(ctx, offset + pageSize);
    }
    const wanted = selectedKeys(select);
    body.value = page.map((item) => applySelect(item, wanted));
    return { status: 200, body };
}

/**
 * Answers one entity with `$select` applied.
 *
 * @param context The `@odata.context` fragment after `$metadata#` (default: the collection
 *   path this entity sits in, followed by `/$entity`).
 */
export function entity(
    ctx: GraphRequestContext,
    obj: GraphObject,
    context?: string,
): GraphResponse {
    const select = parseSelect(queryOption(ctx.query, "select"));
    const fragment = context ?? `${defaultContext(ctx.path.replace(/\/[^/]*$/, ""))}/$entity`;
    return {
        status: 200,
        body: {
            "@odata.context": contextUrl(ctx, fragment, select),
            ...applySelect(obj, selectedKeys(select)),
        },
    };
}

/** Reads `$name` (or `name`, which Graph beta also accepts), case-insensitively. */
function queryOption(query: URLSearchParams, name: string): string | undefined {
    for (const [key, value] of query) {
        const bare = key.startsWith("$") ? key.slice(1) : key;
        if (bare.toLowerCase() === name) return value;
    }
    return undefined;
}

function badRequest(message: string): GraphHttpError {
    return new GraphHttpError(400, "BadRequest", message);
}

function parseTop(text: string | undefined, max: number): number | undefined {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) {
        throw badRequest(
            `Invalid page size specified: '${text}'. Must be between 1 and ${max} inclusive.`,
        );
    }
    return n;
}

function parseSkipToken(text: string | undefined): number {
    if (text === undefined) return 0;
    try {
        const decoded = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as {
            o?: unknown;
        };
        if (Number.isInteger(decoded.o) && (decoded.o as number) >= 0) return decoded.o as number;
    } catch {
        // fall through to the error below
    }
    throw badRequest(`Invalid $skiptoken '${text}': use the @odata.nextLink exactly as returned.`);
}

function nextLink(ctx: GraphRequestContext, offset: number): string {
    const token = Buffer.from(JSON.stringify({ o: offset })).toString("base64url");
    const parts: string[] = [];
    for (const [key, value] of ctx.query) {
        if (key.replace(/^\$/, "").toLowerCase() === "skiptoken") continue;
        parts.push(`${encodeQueryKey(key)}=${encodeURIComponent(value)}`);
    }
    parts.push(`$skiptoken=${token}`);
    const path = ctx.path
        .split("/")
        .map((segment) => encodeURIComponent(segment))
        .join("/");
    return `${ctx.baseUrl}${path}?${parts.join("&")}`;
}

function encodeQueryKey(key: string): string {
    return encodeURIComponent(key).replace(/^%24/, "$");
}

function defaultContext(path: string): string {
    return path.replace(/^\//, "");
}

function contextUrl(
    ctx: GraphRequestContext,
    fragment: string,
    select: string[] | undefined,
): string {
    const selected = select ? `(${select.join(",")})` : "";
    if (selected && fragment.endsWith("/$entity")) {
        return `${ctx.baseUrl}/$metadata#${fragment.slice(0, -"/$entity".length)}${selected}/$entity`;
    }
    return `${ctx.baseUrl}/$metadata#${fragment}${selected}`;
}

function parseSelect(text: string | undefined): string[] | undefined {
    if (text === undefined || text.trim() === "") return undefined;
    return text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

/** The `$select`ed names in lower case, made once per answer rather than once per item. */
function selectedKeys(select: string[] | undefined): Set<string> | undefined {
    return select && new Set(select.map((s) => s.toLowerCase()));
}

/** Keeps the selected properties (case-insensitive, as Graph) and the `@odata.*` annotations. */
function applySelect(obj: GraphObject, wanted: Set<string> | undefined): GraphObject {
    if (!wanted) return obj;
    const out: GraphObject = {};
    for (const key of Object.keys(obj)) {
        if (key.startsWith("@odata.") || wanted.has(key.toLowerCase())) out[key] = obj[key];
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// $orderby

function compileOrderBy(text: string): (a: GraphObject, b: GraphObject) => number {
    const keys = text.split(",").map((part) => {
        const [path, direction = "asc", extra] = part.trim().split(/\s+/);
        if (!path || extra !== undefined || !/^(asc|desc)$/i.test(direction)) {
            throw badRequest(
                `Invalid $orderby clause '${part.trim()}': expected 'property [asc|desc]'.`,
            );
        }
        return { path: path.split("/"), sign: direction.toLowerCase() === "desc" ? -1 : 1 };
    });
    return (a, b) => {
        for (const key of keys) {
            const c = compareValues(resolvePath(a, key.path), resolvePath(b, key.path));
            if (c !== 0) return c * key.sign;
        }
        return 0;
    };
}

// ---------------------------------------------------------------------------------------------
// $filter: tokenizer, recursive-descent parser, evaluator.

type Value = unknown;
type Scope = Record<string, Value>;
type Node = (item: GraphObject, scope: Scope) => Value;

interface Token {
    kind: "ident" | "string" | "number" | "punct";
    text: string;
    value?: Value;
    at: number;
}

const filterCache = new Map<string, (item: GraphObject) => boolean>();

/** Parses a `$filter` expression into a predicate (cached: clients repeat the same filters). */
export function compileFilter(text: string): (item: GraphObject) => boolean {
    let predicate = filterCache.get(text);
    if (!predicate) {
        const node = new FilterParser(text).parse();
        predicate = (item) => node(item, {}) === true;
        if (filterCache.size > 500) filterCache.clear();
        filterCache.set(text, predicate);
    }
    return predicate;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    let i = 0;
    while (i < text.length) {
        const ch = text[i];
        if (/\s/.test(ch)) {
            i++;
        } else if (ch === "'") {
            // OData strings double a quote to escape it.
            let value = "";
            let j = i + 1;
            for (;;) {
                if (j >= text.length) throw filterError(text, i, "unterminated string literal");
                if (text[j] === "'") {
                    if (text[j + 1] === "'") {
                        value += "'";
                        j += 2;
                        continue;
                    }
                    break;
                }
                value += text[j++];
            }
            tokens.push({ kind: "string", text: text.slice(i, j + 1), value, at: i });
            i = j + 1;
        } else if ("(),:".includes(ch)) {
            tokens.push({ kind: "punct", text: ch, at: i });
            i++;
        } else {
            // A word: identifier/path, number, GUID or date-time (dates contain ':' and '-').
            const m = /^[-+A-Za-z0-9_./@#:$]+/.exec(text.slice(i));
            if (!m) throw filterError(text, i, `unexpected character '${ch}'`);
            let word = m[0];
            // A ':' belongs to a word only inside a date-time; `c:c/x` is a lambda.
            if (word.includes(":") && !/^\d{4}-\d{2}-\d{2}T/.test(word)) {
                word = word.slice(0, word.indexOf(":"));
            }
            tokens.push(classifyWord(word, i, text));
            i += word.length;
        }
    }
    return tokens;
}

function classifyWord(word: string, at: number, text: string): Token {
    if (/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(word)) {
        return { kind: "number", text: word, value: Number(word), at };
    }
    if (GUID.test(word) || DATE_TIME.test(word)) {
        return { kind: "string", text: word, value: word, at };
    }
    if (!/^[A-Za-z_@#$][A-Za-z0-9_./@#$]*$/.test(word)) {
        throw filterError(text, at, `cannot read '${word}'`);
    }
    return { kind: "ident", text: word, at };
}

function filterError(text: string, at: number, problem: string): GraphHttpError {
    return badRequest(`Invalid filter clause: ${problem} at position ${at} in '${text}'.`);
}

const COMPARISONS = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);

class FilterParser {
    private readonly tokens: Token[];
    private pos = 0;
    private readonly lambdaVars: string[] = [];

    constructor(private readonly text: string) {
        this.tokens = tokenize(text);
    }

    parse(): Node {
        if (this.tokens.length === 0) throw filterError(this.text, 0, "empty expression");
        const node = this.orExpr();
        if (this.pos < this.tokens.length) {
            throw this.error(`unexpected '${this.peek()!.text}'`);
        }
        return node;
    }

    private peek(): Token | undefined {
        return this.tokens[this.pos];
    }

    private isWord(word: string): boolean {
        const t = this.peek();
        return t?.kind === "ident" && t.text.toLowerCase() === word;
    }

    private expectPunct(p: string): void {
        const t = this.peek();
        if (t?.kind !== "punct" || t.text !== p) {
            throw this.error(
                t ? `expected '${p}' but found '${t.text}'` : `expected '${p}' at the end`,
            );
        }
        this.pos++;
    }

    private error(problem: string): GraphHttpError {
        const at = this.peek()?.at ?? this.text.length;
        return filterError(this.text, at, problem);
    }

    private orExpr(): Node {
        let left = this.andExpr();
        while (this.isWord("or")) {
            this.pos++;
            const l = left;
            const r = this.andExpr();
            left = (item, scope) => l(item, scope) === true || r(item, scope) === true;
        }
        return left;
    }

    private andExpr(): Node {
        let left = this.unary();
        while (this.isWord("and")) {
            this.pos++;
            const l = left;
            const r = this.unary();
            left = (item, scope) => l(item, scope) === true && r(item, scope) === true;
        }
        return left;
    }

    private unary(): Node {
        if (this.isWord("not")) {
            this.pos++;
            const inner = this.unary();
            return (item, scope) => inner(item, scope) !== true;
        }
        return this.comparison();
    }

    private comparison(): Node {
        const left = this.primary();
        const t = this.peek();
        if (t?.kind === "ident" && COMPARISONS.has(t.text.toLowerCase())) {
            this.pos++;
            const right = this.primary();
            const op = t.text.toLowerCase();
            return (item, scope) => compare(op, left(item, scope), right(item, scope));
        }
        if (this.isWord("in")) {
            this.pos++;
            const list = this.literalList();
            return (item, scope) => {
                const v = left(item, scope);
                return list.some((candidate) => compare("eq", v, candidate));
            };
        }
        if (["add", "sub", "mul", "div", "mod", "has"].includes(t?.text.toLowerCase() ?? "")) {
            throw this.error(`operator '${t!.text}' is not supported by the local tenant`);
        }
        return left;
    }

    private literalList(): Value[] {
        this.expectPunct("(");
        const values: Value[] = [];
        for (;;) {
            const t = this.peek();
            if (!t || (t.kind !== "string" && t.kind !== "number" && !this.isLiteralWord(t))) {
                throw this.error("expected a literal in the 'in' list");
            }
            values.push(t.kind === "ident" ? wordLiteral(t.text) : t.value);
            this.pos++;
            if (this.peek()?.text === ",") {
                this.pos++;
                continue;
            }
            this.expectPunct(")");
            return values;
        }
    }

    private isLiteralWord(t: Token): boolean {
        return t.kind === "ident" && ["true", "false", "null"].includes(t.text.toLowerCase());
    }

    private primary(): Node {
        const t = this.peek();
        if (!t) throw this.error("expression ends too early");

        // Parenthesised expression.
        if (t.kind === "punct" && t.text === "(") {
            this.pos++;
            const inner = this.orExpr();
            this.expectPunct(")");
            return inner;
        }

        // Literals.
        if (t.kind === "string" || t.kind === "number") {
            this.pos++;
            const value = t.value;
            return () => value;
        }
        if (t.kind !== "ident") throw this.error(`unexpected '${t.text}'`);
        if (this.isLiteralWord(t)) {
            this.pos++;
            const value = wordLiteral(t.text);
            return () => value;
        }

        // Function call or lambda: an identifier followed by '('.
        this.pos++;
        if (this.peek()?.text === "(") {
            const lambda = /^(.*)\/(any|all)$/i.exec(t.text);
            if (lambda) return this.lambda(lambda[1], lambda[2].toLowerCase() as "any" | "all");
            return this.call(t);
        }

        // A property path, possibly starting at a lambda variable.
        const segments = t.text.split("/");
        if (this.lambdaVars.includes(segments[0])) {
            const [name, ...rest] = segments;
            return (_item, scope) => resolvePath(scope[name], rest);
        }
        return (item) => resolvePath(item, segments);
    }

    private call(fn: Token): Node {
        const name = fn.text.toLowerCase();
        if (name !== "startswith" && name !== "endswith") {
            this.pos--;
            throw this.error(
                `function '${fn.text}' is not supported by the local tenant (startswith, endswith)`,
            );
        }
        this.expectPunct("(");
        const subject = this.orExpr();
        this.expectPunct(",");
        const affix = this.orExpr();
        this.expectPunct(")");
        return (item, scope) => {
            const s = subject(item, scope);
            const a = affix(item, scope);
            if (typeof s !== "string" || typeof a !== "string") return false;
            const [hay, needle] = [s.toLowerCase(), a.toLowerCase()];
            return name === "startswith" ? hay.startsWith(needle) : hay.endsWith(needle);
        };
    }

    private lambda(collectionPath: string, kind: "any" | "all"): Node {
        this.expectPunct("(");
        const segments = collectionPath.split("/");
        const source: Node = this.lambdaVars.includes(segments[0])
            ? (_item, scope) => resolvePath(scope[segments[0]], segments.slice(1))
            : (item) => resolvePath(item, segments);

        // `any()` with no predicate: is the collection non-empty.
        if (this.peek()?.text === ")") {
            this.pos++;
            if (kind === "all") throw this.error("all() needs a predicate");
            return (item, scope) => {
                const c = source(item, scope);
                return Array.isArray(c) && c.length > 0;
            };
        }

        const variable = this.peek();
        if (variable?.kind !== "ident" || variable.text.includes("/")) {
            throw this.error("expected a lambda variable, as in any(x:x/name eq 'v')");
        }
        this.pos++;
        this.expectPunct(":");
        this.lambdaVars.push(variable.text);
        const body = this.orExpr();
        this.lambdaVars.pop();
        this.expectPunct(")");
        const name = variable.text;
        return (item, scope) => {
            const c = source(item, scope);
            if (!Array.isArray(c)) return false;
            const test = (element: Value) => body(item, { ...scope, [name]: element }) === true;
            return kind === "any" ? c.some(test) : c.every(test);
        };
    }
}

function wordLiteral(word: string): Value {
    const w = word.toLowerCase();
    return w === "true" ? true : w === "false" ? false : null;
}

function resolvePath(value: Value, segments: string[]): Value {
    let current = value;
    for (const segment of segments) {
        if (current === null || typeof current !== "object" || Array.isArray(current))
            return undefined;
        const record = current as Record<string, Value>;
        if (segment in record) {
            current = record[segment];
        } else {
            // Graph property names are case-insensitive in queries.
            const key = Object.keys(record).find((k) => k.toLowerCase() === segment.toLowerCase());
            current = key === undefined ? undefined : record[key];
        }
    }
    return current;
}

function compare(op: string, left: Value, right: Value): boolean {
    if (op === "eq") return equals(left, right);
    if (op === "ne") return !equals(left, right);
    if (left === null || left === undefined || right === null || right === undefined) return false;
    const c = compareValues(left, right);
    switch (op) {
        case "gt":
            return c > 0;
        case "ge":
            return c >= 0;
        case "lt":
            return c < 0;
        default:
            return c <= 0;
    }
}

function equals(left: Value, right: Value): boolean {
    const l = left === undefined ? null : left;
    const r = right === undefined ? null : right;
    if (typeof l === "string" && typeof r === "string") {
        if (l.toLowerCase() === r.toLowerCase()) return true;
        return isDate(l) && isDate(r) && Date.parse(l) === Date.parse(r);
    }
    return l === r;
}

function isDate(s: string): boolean {
    return DATE_TIME.test(s) && !Number.isNaN(Date.parse(s));
}

function compareValues(left: Value, right: Value): number {
    if (left === right) return 0;
    if (left === null || left === undefined) return -1;
    if (right === null || right === undefined) return 1;
    if (typeof left === "number" && typeof right === "number") return left - right;
    if (typeof left === "string" && typeof right === "string") {
        if (isDate(left) && isDate(right)) return Date.parse(left) - Date.parse(right);
        const [l, r] = [left.toLowerCase(), right.toLowerCase()];
        return l < r ? -1 : l > r ? 1 : 0;
    }
    if (typeof left === "boolean" && typeof right === "boolean")
        return Number(left) - Number(right);
    return String(left).localeCompare(String(right));
}
