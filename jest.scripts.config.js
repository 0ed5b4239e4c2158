/**
 * Script tier (`npm run test:scripts`, run by CI after `npm test`): the bare-metal and Keycloak-host scripts run for
 * real by bash against stub system commands (tests/platform/baremetal/stubs.ts), each several times through setups,
 * re-runs, changes and failures. A few hundred bash runs: too heavy for npm test's 60 s on 2 cores, so they have a tier
 * of their own; their pure rendering siblings (gate, host, stubs, program) stay in the unit tier.
 */
const unit = require("./jest.config.js");

module.exports = {
    ...unit,
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.script.test.ts"],
    testPathIgnorePatterns: ["/node_modules/"],
};
