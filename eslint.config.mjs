// Typed ESLint: typescript-eslint's type-checked rules plus Pulumi's two Output-in-template rules as errors.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    {
        ignores: [
            "node_modules/",
            "bin/",
            "coverage/",
            "toolchain/",
            "eslint.config.mjs",
            "jest.config.js",
            "jest.sim.config.js",
            "jest.scripts.config.js",
            "tests/harness/summaryReporter.js",
        ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            // Pulumi resources are created for their side effect; `new X(...)` without a binding is idiomatic.
            "no-new": "off",
            // The clouds' SDKs one resource file at a time (or their provider): a package root declares 8,000 files
            // (7.4 s and 1.1 GB for tsc, docs/research/issue-16-cloud-provisioning.md), a service's index hundreds.
            "no-restricted-imports": [
                "error",
                {
                    patterns: [
                        {
                            regex: "^@pulumi/(azure-native|gcp)(/(?!provider$)[^/]+)?$",
                            message: "import the resource's own file (@pulumi/azure-native/containerservice/managedCluster, …)",
                        },
                    ],
                },
            ],
        },
    },
    {
        // The test runner's scripts (plain Node ES modules, outside tsconfig's program): lint without type information.
        files: ["scripts/**/*.mjs"],
        ...tseslint.configs.disableTypeChecked,
        languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: "readonly", console: "readonly" } },
        rules: {
            ...tseslint.configs.disableTypeChecked.rules,
            "@pulumi/no-output-in-template-literal": "off",
            "@pulumi/no-output-instance-in-template-literal": "off",
        },
    },
    {
        // Envoy's xDS resources as proto-JSON (dozens of message types, Any-typed configs), and Keycloak's and the API
        // server's JSON in the identity checks: read by path, judged by value.
        files: [
            "components/verification/live/xds.ts",
            "components/verification/live/controlPlane.ts",
            "components/verification/live/identity.ts",
        ],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
        },
    },
    {
        files: ["tests/**/*.ts"],
        rules: {
            // Mocked engine values are untyped by nature.
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/no-explicit-any": "off",
        },
    },
);
