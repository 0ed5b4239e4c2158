/**
 * Unit tier: Pulumi mocks and pure functions. ts-jest transpiles only (tsc typechecks separately in
 * `npm test`); all test tooling is pure JavaScript, so `npm ci` needs no platform-specific binaries.
 */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests", "<rootDir>/components"],
    testMatch: ["**/*.test.ts"],
    // tests/sim needs the simulated clusters (`npm run test:sim`); tests/ssh a real sshd in a netns (`npm run test:ssh`);
    // *.script.test.ts run rendered scripts with bash, hundreds of times (`npm run test:scripts`, jest.scripts.config.js).
    testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/sim/", "<rootDir>/tests/ssh/", "\\.script\\.test\\.ts$"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    // Inside the clone (not the shared /tmp/jest_0), so a fresh clone starts cold and `npm run bench:test` can clear it.
    cacheDirectory: "<rootDir>/node_modules/.cache/jest",
    // Both cores (jest's default leaves one idle on a 2-core machine); `npm test` runs the typecheck, ESLint and Prettier
    // beside it, so the machine stays busy to the end.
    maxWorkers: "100%",
    testTimeout: 60000,
    reporters: ["default", "<rootDir>/tests/harness/summaryReporter.js"],
};
