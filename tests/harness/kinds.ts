/** Resource type tokens the tests look up in recordings. */
export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/**
 * A `k8s.types.input` type with every Pulumi Input unwrapped, so tests can read rendered manifests (plain data
 * that `satisfies` those types) field by field: e.g. Plain<k8s.types.input.core.v1.Container>.
 */
export type Plain<T> =
    T extends PromiseLike<infer U>
        ? Plain<U>
        : T extends { apply: unknown; get: unknown }
          ? never
          : T extends readonly (infer E)[]
            ? readonly Plain<E>[]
            : T extends object
              ? { readonly [K in keyof T]: Plain<T[K]> }
              : T;
