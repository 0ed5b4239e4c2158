import { ConfigError } from "../../components/config/problems";

/** The problems of the ConfigError `fn` throws; fails the test if it throws nothing or something else. */
export function problemsOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigError) {
            return [...e.problems];
        }
        throw e;
    }
    throw new Error("expected a ConfigError");
}
