/**
 * The observability keys of the config model (components/config/observability.ts), through parseConfig: defaults,
 * the three sources of Istio's dashboards, and every bad value reported at once with its key and (unless secret) its
 * value; credentials only as a secret, checked, never echoed.
 */
import { parseConfig } from "../../components/config/parse";
import { problemsOf } from "../harness/problems";
import { CommittedStack, rawConfig, stackConfig } from "../harness/stacks";

type Json = Record<string, unknown>;

const parse = (stack: CommittedStack, changes: Json = {}, secrets: Json = {}) =>
    parseConfig(rawConfig(stackConfig(stack, changes, secrets)));
const problemsFor = (stack: CommittedStack, changes: Json = {}, secrets: Json = {}) => problemsOf(() => parse(stack, changes, secrets));
const observability = (entry: Json) => ({ observability: entry });

const credentials = {
    grafanaAdminPassword: "Grafana-Admin-Password-1234",
    kialiSigningKey: "A".repeat(16) + "b".repeat(16),
    observerPassword: "observer_password-123",
};

describe("defaults and valid values", () => {
    test.each(["cloud", "testbed", "sim"] as const)(
        "%s: 7 d retention, Kiali on local port 20001, user observer, random credentials",
        (stack) => {
            const obs = parse(stack, { observability: undefined }).observability;
            expect(obs).toEqual({
                retention: "7d",
                istioDashboards: { kind: "download" },
                kialiLocalPort: 20001,
                observerUser: "observer",
            });
        },
    );

    test.each([
        ["none", { kind: "none" }],
        ["download", { kind: "download" }],
        ["/opt/istio/manifests/addons/dashboards", { kind: "directory", path: "/opt/istio/manifests/addons/dashboards" }],
        ["https://mirror.lab.example/istio/dashboards", { kind: "download", baseUrl: "https://mirror.lab.example/istio/dashboards" }],
    ])("istioDashboards %p", (value, expected) => {
        expect(parse("cloud", observability({ istioDashboards: value })).observability.istioDashboards).toEqual(expected);
    });

    test("given values and secret credentials are taken as they are (credentials kept hidden)", () => {
        const obs = parse("cloud", observability({ retention: "12h", kialiLocalPort: 31000, observerUser: "lab.viewer" }), {
            observabilityCredentials: credentials,
        }).observability;
        expect(obs).toMatchObject({ retention: "12h", kialiLocalPort: 31000, observerUser: "lab.viewer" });
        expect(obs.credentials).toBeDefined();
        // Sensitive values: not in a plain JSON rendering of the model.
        expect(JSON.stringify(obs)).not.toContain(credentials.kialiSigningKey);
        expect(JSON.stringify(obs)).not.toContain(credentials.grafanaAdminPassword);
    });
});

describe("problems", () => {
    test("every bad value at once, each with its key and value", () => {
        const problems = problemsFor(
            "cloud",
            observability({
                retention: "7x",
                istioDashboards: "http://mirror.lab.example/d",
                kialiLocalPort: 80,
                observerUser: "service-account-x",
            }),
        );
        expect(problems).toHaveLength(4);
        expect(problems).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^zta-testbed:observability\.retention: .*got "7x"$/),
                expect.stringMatching(/^zta-testbed:observability\.istioDashboards: .*https:\/\/.*got "http:\/\/mirror\.lab\.example\/d"$/),
                expect.stringMatching(/^zta-testbed:observability\.kialiLocalPort: must be an integer from 1024 to 65535 .*got 80$/),
                expect.stringMatching(/^zta-testbed:observability\.observerUser: .*"service-account-".*got "service-account-x"$/),
            ]),
        );
    });

    test.each(["0d", "7", "7m", "1.5d", "10000d", "-1d", ""])("retention %p is refused", (retention) => {
        expect(problemsFor("cloud", observability({ retention }))).toEqual([
            `zta-testbed:observability.retention: must be a Prometheus duration in hours, days or weeks like "7d", got ${JSON.stringify(retention)}`,
        ]);
    });

    test.each([
        "http://mirror.lab.example/d",
        "relative/dashboards",
        "../dashboards",
        "/opt/istio/../../etc",
        "/opt/istio/dashboards/..",
        "https://user:pass@mirror.lab.example/d",
        "https://mirror.lab.example/d?token=x",
        "file:///opt/istio/dashboards",
        "Download",
    ])("istioDashboards %p is refused naming the value (a credential in it hidden)", (value) => {
        const problems = problemsFor("cloud", observability({ istioDashboards: value }));
        expect(problems).toEqual([expect.stringMatching(/^zta-testbed:observability\.istioDashboards: must be /)]);
        expect(problems[0]).toContain(
            `got ${JSON.stringify(value)
                .replace("user:pass@", "<credentials hidden>@")
                .replace(/\?.*"$/, '?<hidden>"')}`,
        );
        expect(problems[0]).not.toContain("user:pass");
    });

    test.each([80, 1023, 65536, 20001.5])("kialiLocalPort %p is refused", (port) => {
        expect(problemsFor("cloud", observability({ kialiLocalPort: port }))).toEqual([
            `zta-testbed:observability.kialiLocalPort: must be an integer from 1024 to 65535 (an unprivileged local port), got ${port}`,
        ]);
    });

    test.each(["service-account-x", "Observer", "", "a b", "x".repeat(65)])("observerUser %p is refused", (user) => {
        expect(problemsFor("cloud", observability({ observerUser: user }))).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^zta-testbed:observability\\.observerUser: .*got ${JSON.stringify(user).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`,
                ),
            ),
        ]);
    });

    test("an unknown key is named", () => {
        expect(problemsFor("cloud", observability({ retention: "7d", grafanaPassword: "x" }))).toEqual([
            expect.stringMatching(/^zta-testbed:observability: unknown key "grafanaPassword"/),
        ]);
    });

    test("credentials in plain text are refused (set them with --secret), and their values are not echoed", () => {
        const problems = problemsFor("cloud", { observabilityCredentials: credentials });
        expect(problems).toEqual([expect.stringMatching(/^zta-testbed:observabilityCredentials: .*must be set with --secret/)]);
        for (const value of Object.values(credentials)) {
            expect(problems.join("\n")).not.toContain(value);
        }
    });

    test.each([
        ["31 characters", "k".repeat(31)],
        ["33 characters", "k".repeat(33)],
        ["16 characters", "k".repeat(16)],
        ["32 with a symbol", `${"k".repeat(31)}!`],
    ])("a Kiali signing key of %s is refused without echoing it", (_what, key) => {
        const problems = problemsFor("cloud", {}, { observabilityCredentials: { ...credentials, kialiSigningKey: key } });
        expect(problems).toEqual([
            expect.stringMatching(/^zta-testbed:observabilityCredentials\.kialiSigningKey: must be exactly 32 characters/),
        ]);
        expect(problems[0]).not.toContain(key);
    });

    test("bad credentials and bad plain values are all reported together, none of the secrets echoed", () => {
        const bad = { grafanaAdminPassword: "short", kialiSigningKey: "tooShortKey", observerPassword: "has spaces in it!!" };
        const problems = problemsFor("cloud", {
            observabilityCredentials: bad,
            ...observability({ retention: "forever", kialiLocalPort: 80 }),
        });
        expect(problems).toHaveLength(6);
        expect(problems).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^zta-testbed:observabilityCredentials: .*--secret/),
                expect.stringMatching(/^zta-testbed:observabilityCredentials\.grafanaAdminPassword: must be 16-256 characters/),
                expect.stringMatching(/^zta-testbed:observabilityCredentials\.kialiSigningKey: must be exactly 32 characters/),
                expect.stringMatching(/^zta-testbed:observabilityCredentials\.observerPassword: must be 16-128 characters/),
                expect.stringMatching(/^zta-testbed:observability\.retention: .*got "forever"$/),
                expect.stringMatching(/^zta-testbed:observability\.kialiLocalPort: .*got 80$/),
            ]),
        );
        for (const value of Object.values(bad)) {
            expect(problems.join("\n")).not.toContain(value);
        }
    });

    test("a credentials object with a missing or extra key names the key, not the values", () => {
        const partial: Json = { ...credentials };
        delete partial.observerPassword;
        const problems = problemsFor("cloud", {}, { observabilityCredentials: { ...partial, extra: "value-of-extra" } });
        expect(problems).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^zta-testbed:observabilityCredentials\.observerPassword: expected string \(missing\)$/),
                expect.stringMatching(/^zta-testbed:observabilityCredentials: unknown key "extra"$/),
            ]),
        );
        expect(problems.join("\n")).not.toContain("value-of-extra");
        expect(problems.join("\n")).not.toContain(credentials.kialiSigningKey);
    });
});
