/** Unit tier: Pulumi mocks and pure functions; swc transpiles (tsc typechecks separately in `npm test`). */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests", "<rootDir>/components"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }] },
    testTimeout: 60000,
};
