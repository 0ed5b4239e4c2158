/**
 * Sim tier: the real engine against the simulated clusters. Run by `npm run test:sim` (sim/sim.sh test), which
 * starts the clusters and runs jest inside their network namespace.
 */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests/sim"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    testTimeout: 1200000,
    reporters: ["default", "<rootDir>/tests/harness/summaryReporter.js"],
};
