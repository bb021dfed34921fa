/**
 * Keeps our error classes whole after Pulumi serializes them into a dynamic provider.
 *
 * The closure serializer rewrites a class into a constructor function that calls its parent as
 * `Parent.call(this, ...)` and runs without `new.target`. For `Error` that call returns a new
 * object and leaves `this` without a message or a stack; the class may also lose its link to
 * the parent's prototype, and a parent that resets the prototype (the Graph SDK's
 * GraphClientError does) would strip our methods. Every error class here calls `completeError`
 * right after `super(...)`; natively it changes nothing.
 *
 * @param error The instance under construction (`this`).
 * @param prototype The class's own prototype (`ClassName.prototype`, never `new.target`).
 * @param name The class name, for `error.name` and the stack's first line.
 * @param message The message passed to `super`.
 * @param parentPrototype The parent class's prototype (default `Error.prototype`), re-linked
 *   when missing so `instanceof Parent` holds (the Graph SDK passes our errors through
 *   unchanged only when they are its GraphClientError).
 */
export function completeError(
    error: Error,
    prototype: object,
    name: string,
    message: string,
    parentPrototype: object = Error.prototype,
): void {
    if (!Object.prototype.isPrototypeOf.call(parentPrototype, prototype)) {
        Object.setPrototypeOf(prototype, parentPrototype);
    }
    Object.setPrototypeOf(error, prototype);
    error.name = name;
    error.message = message;
    if (typeof error.stack !== "string" || !error.stack.includes(message)) {
        const frames = (new Error().stack ?? "").split("\n").slice(2).join("\n");
        error.stack = `${name}: ${message}\n${frames}`;
    }
}
