/**
 * Small pure helpers shared by the tenant-settings providers (authentication methods policy,
 * consent policy, token protection, Exchange protection, DKIM): input validation messages that
 * name the field, the value and the fix; comparisons that judge drift only on what a resource
 * declares; and the cleaning of values read from Graph before they are recorded.
 *
 * Nothing here talks to a tenant, so every function can be unit tested and is cheap to carry in
 * a serialized provider.
 */

/** A `check` failure as the dynamic-provider host reports it. */
export interface InputFailure {
    property: string;
    reason: string;
}

/**
 * Builds a failure that says which field is wrong, what it was, why it is refused and how to fix
 * it, for example: `fido2.state is "on": not a method state. Fix: use "enabled" or "disabled".`
 */
export function inputFailure(
    field: string,
    value: unknown,
    why: string,
    fix: string,
): InputFailure {
    return { property: field, reason: `${field} is ${showValue(value)}: ${why}. Fix: ${fix}` };
}

/** Renders a value for an error message without ever printing more than a short line. */
export function showValue(value: unknown): string {
    if (value === undefined) return "missing";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function isGuid(value: unknown): value is string {
    return typeof value === "string" && GUID.test(value);
}

export function isUpn(value: unknown): value is string {
    return typeof value === "string" && UPN.test(value);
}

export function isDomainName(value: unknown): value is string {
    return typeof value === "string" && DOMAIN.test(value);
}

/**
 * The properties a resource's author declared: the SDK's own `__` properties, the `label` each
 * resource passes (its name, for progress lines) and unset values are not declarations, so
 * the known-key checks skip them.
 */
export function declaredEntries(inputs: Record<string, unknown>): Array<[string, unknown]> {
    return Object.entries(inputs).filter(
        ([key, value]) => !key.startsWith("__") && key !== "label" && value !== undefined,
    );
}

/** Validates an optional enum-like field and appends a failure when it is set to anything else. */
export function checkOneOf(
    failures: InputFailure[],
    field: string,
    value: unknown,
    allowed: readonly string[],
): void {
    if (value === undefined || allowed.includes(value as string)) return;
    failures.push(
        inputFailure(
            field,
            value,
            "not an allowed value",
            `use one of ${allowed.map((a) => `"${a}"`).join(", ")}`,
        ),
    );
}

export function checkBoolean(failures: InputFailure[], field: string, value: unknown): void {
    if (value === undefined || typeof value === "boolean") return;
    failures.push(inputFailure(field, value, "not a boolean", "use true or false"));
}

/** Validates an optional whole number within [min, max]. */
export function checkInteger(
    failures: InputFailure[],
    field: string,
    value: unknown,
    min: number,
    max: number,
): void {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        failures.push(
            inputFailure(
                field,
                value,
                `not a whole number from ${min} to ${max}`,
                `use a whole number from ${min} to ${max}`,
            ),
        );
    }
}

/** Structural equality of JSON values (key order ignored, array order kept). */
export function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) {
        return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
    }
    const ak = Object.keys(a as object).filter((k) => (a as any)[k] !== undefined);
    const bk = Object.keys(b as object).filter((k) => (b as any)[k] !== undefined);
    if (ak.length !== bk.length) return false;
    return ak.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}

/**
 * Whether the tenant's `actual` value satisfies what a resource `declared`: every property the
 * declaration names must match, properties it does not name are ignored (so Graph adding a new
 * property is never drift). Arrays must have the same length; elements that carry an `id` are
 * matched by id and lists of plain values compared as sets (Graph does not promise order);
 * other arrays in order. Strings in lists compare case-insensitively, as Graph ids do.
 */
export function declaredMatches(declared: unknown, actual: unknown): boolean {
    if (declared === null || typeof declared !== "object") {
        return declared === actual || (declared === null && actual === undefined);
    }
    if (Array.isArray(declared)) {
        if (!Array.isArray(actual) || actual.length !== declared.length) return false;
        const byId = declared.every((d) => isObject(d) && typeof d.id === "string");
        if (byId) {
            return declared.every((d) => {
                const match = actual.find(
                    (a) => isObject(a) && sameId(a.id, (d as Record<string, unknown>).id),
                );
                return match !== undefined && declaredMatches(d, match);
            });
        }
        const primitives = declared.every((d) => d === null || typeof d !== "object");
        if (primitives) {
            // Lists of ids or names: Graph does not promise their order either.
            const key = (v: unknown) =>
                typeof v === "string" ? v.toLowerCase() : JSON.stringify(v);
            return deepEqual(declared.map(key).sort(), actual.map(key).sort());
        }
        return declared.every((d, i) => declaredMatches(d, actual[i]));
    }
    if (!isObject(actual)) return false;
    return Object.entries(declared as Record<string, unknown>).every(
        ([key, value]) => value === undefined || declaredMatches(value, actual[key]),
    );
}

function sameId(a: unknown, b: unknown): boolean {
    return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
}

export function isObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * Removes the given property names at every depth. Used to make sure a body we send never
 * carries a property Graph refuses (for example `numberMatchingRequiredState`, which Microsoft
 * enforces for everyone and rejects in writes).
 */
export function withoutKeysDeep<T>(value: T, keys: readonly string[]): T {
    if (Array.isArray(value)) return value.map((v) => withoutKeysDeep(v, keys)) as T;
    if (!isObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
        if (!keys.includes(k)) out[k] = withoutKeysDeep(v, keys);
    }
    return out as T;
}

/** Drops OData control annotations (`@odata.context`, `@odata.etag`, ...) but keeps `@odata.type`. */
export function withoutODataControl<T>(value: T): T {
    if (Array.isArray(value)) return value.map((v) => withoutODataControl(v)) as T;
    if (!isObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
        if (k.startsWith("@odata.") && k !== "@odata.type") continue;
        out[k] = withoutODataControl(v);
    }
    return out as T;
}

/** Reads the value at `path` inside `root` (undefined when any step is missing). */
export function getPath(root: unknown, path: readonly string[]): unknown {
    let node: unknown = root;
    for (const step of path) {
        if (!isObject(node)) return undefined;
        node = node[step];
    }
    return node;
}

/**
 * Sets the value at `path` inside `root`, creating objects along the way. Objects on the path
 * are copied from `base` first so that the siblings of the changed property survive a PATCH of
 * a complex property (Graph replaces complex properties as a whole).
 */
export function setPath(
    root: Record<string, unknown>,
    path: readonly string[],
    value: unknown,
    base: unknown,
): void {
    let node = root;
    let baseNode: unknown = base;
    path.forEach((step, i) => {
        baseNode = isObject(baseNode) ? baseNode[step] : undefined;
        if (i === path.length - 1) {
            node[step] = clone(value);
            return;
        }
        if (!isObject(node[step])) {
            node[step] = isObject(baseNode) ? clone(baseNode) : {};
        }
        node = node[step] as Record<string, unknown>;
    });
}

/**
 * A readable one-line description of any failure. Error subclasses carried in a serialized
 * provider can lose `message` (the SDK re-wraps them), so the fields the connection layer's
 * errors carry are tried too.
 */
export function describeError(err: unknown): string {
    const e = err as Record<string, unknown> | undefined;
    if (e && typeof e === "object") {
        for (const key of ["message", "exchangeMessage", "graphMessage", "body", "code"]) {
            const value = e[key];
            if (typeof value === "string" && value.trim() !== "") return value;
        }
    }
    return String(err);
}

/**
 * A failure after some writes, shaped as the dynamic-provider host reports a partial create or
 * update: given an `id`, the engine keeps `properties` as the resource's state, so what was
 * recorded before the failure survives and delete can still restore it. Without one (a step
 * that does not know the id), the caller adds it before the error leaves the provider. A plain
 * Error with fields, not a subclass: subclasses do not survive the closure serializer.
 */
export function partialFailure(
    message: string,
    id: string | undefined,
    properties: Record<string, unknown>,
): Error {
    return Object.assign(new Error(message), { id, properties, reasons: [message] });
}

/** Whether the last refresh found drift: declared settings the tenant no longer matches. */
export function hasDrift(props: Record<string, any>): boolean {
    return Array.isArray(props.drift) && props.drift.length > 0;
}

/**
 * The diff of a tenant-settings resource: a change when a declared input changed (as
 * `declaredOf` picks them from the resource's properties) or when the last refresh found drift,
 * so `pulumi up` puts the tenant back. Never a replacement: the settings are the tenant's.
 */
export function settingsDiff(
    olds: Record<string, any>,
    news: Record<string, any>,
    declaredOf: (props: Record<string, any>) => unknown,
): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
    const changed = JSON.stringify(declaredOf(olds)) !== JSON.stringify(declaredOf(news));
    return { changes: changed || hasDrift(olds), replaces: [], deleteBeforeReplace: false };
}

/** One line of progress for the `pulumi up` output, prefixed with the resource so it can be found. */
export function progress(resource: string, message: string): void {
    console.log(`[${resource}] ${message}`);
}
