import * as pulumi from "@pulumi/pulumi";

/**
 * A plaintext secret read from stack config, wrapped so it cannot leak by accident: it prints,
 * stringifies and inspects as "[secret]". The only ways out are `output()` (a Pulumi secret) and
 * `reveal()` (for synchronous validation that never echoes the value).
 */
export class Sensitive {
    readonly #value: string;

    constructor(value: string) {
        this.#value = value;
    }

    /** The value as a Pulumi secret Output: the only form that may flow into resources. */
    output(): pulumi.Output<string> {
        return pulumi.secret(this.#value);
    }

    /** Plaintext, for validation code only. Never log or embed the result. */
    reveal(): string {
        return this.#value;
    }

    toString(): string {
        return "[secret]";
    }

    toJSON(): string {
        return "[secret]";
    }

    [Symbol.for("nodejs.util.inspect.custom")](): string {
        return "[secret]";
    }
}
