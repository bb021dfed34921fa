/**
 * Values that are not known during preview.
 *
 * In `pulumi preview`, an input computed from another resource's output (an object id, a
 * zone name) reaches the pack as "unknown". The SDK hands policies a proxy that throws
 * `UnknownValueError` on reading such a value and turns that throw into an ADVISORY
 * "can't run policy during preview" diagnostic, even for a mandatory policy. During
 * `pulumi up` the same resource is analysed again with the real value, so the check still
 * runs before the change is made.
 *
 * Left alone, one unknown field would silence every other finding of the policy. The helpers
 * here let a policy read each field on its own, report what it can judge from known values
 * (mandatory findings stay mandatory), and only then let the SDK record that the rest could
 * not be checked in this preview.
 *
 * Note: the analyzer process is not told whether it runs for a preview or an update
 * (`@pulumi/policy` 1.21 ignores the dry-run flag of `ConfigureStack`, and
 * `pulumi.runtime.isDryRun()` is not set up in the analyzer process), so "unknown" is the
 * only preview signal a policy gets.
 */
import { UnknownValueError } from "@pulumi/policy";

/**
 * `@pulumi/policy` exports `UnknownValueError` at run time but its typings declare nothing for
 * it, so the shape the pack relies on is stated here.
 */
type UnknownRead = Error & { props: string[] };

/** The wire's sentinel for an unknown string (`@pulumi/policy`'s unknownStringValue). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Marks a value that could not be read because it is unknown until the update. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

/**
 * Collects unknowns while a policy reads the values it checks. Create one per policy call.
 */
export class PreviewUnknowns {
    private readonly errors: UnknownRead[] = [];

    /**
     * Read a value through the SDK's proxy and copy it to plain data, so that an unknown
     * nested anywhere inside (an element of an array, a field of an object) is found now
     * rather than later. Returns `UNKNOWN` if any part is unknown.
     */
    read<T>(get: () => T): T | Unknown {
        try {
            return toPlain(get());
        } catch (error) {
            if (error instanceof UnknownValueError) {
                this.errors.push(error as UnknownRead);
                return UNKNOWN;
            }
            throw error;
        }
    }

    /**
     * Record that a judgement waits for a value the preview does not have at all: an output
     * the provider fills in when it runs (a quarantine's resolved object id, say). The SDK
     * reports it like any unknown, as an advisory note, with `why` saying what could not be
     * decided and how to make the pack decide it without waiting.
     */
    awaitOutput(field: string, why: string): void {
        const error = new UnknownValueError(UNKNOWN_STRING, [field]) as UnknownRead;
        error.message = `${field} can't be known during preview: ${why}`;
        this.errors.push(error);
    }

    /** Whether any read so far met an unknown. */
    get any(): boolean {
        return this.errors.length > 0;
    }

    /**
     * Hand the first unknown back to the SDK, which records it as an advisory "can't run
     * during preview" diagnostic naming the field. Call this LAST, after every finding from
     * known values has been reported.
     */
    rethrow(): void {
        if (this.errors.length > 0) {
            throw this.errors[0];
        }
    }
}

/** Whether a value read by `PreviewUnknowns.read` was unknown. */
export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

/**
 * A deep plain copy. Reading each property through the SDK proxy throws for unknowns, which is
 * the point: a copy either holds only known data or does not exist.
 */
function toPlain<T>(value: T): T {
    if (Array.isArray(value)) {
        const copy: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
            copy.push(toPlain(value[i]));
        }
        return copy as T;
    }
    if (value !== null && typeof value === "object") {
        const copy: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
            copy[key] = toPlain((value as Record<string, unknown>)[key]);
        }
        return copy as T;
    }
    return value;
}
