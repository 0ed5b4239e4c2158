/**
 * Credentials written into URLs (`https://user:pass@…`) used to be accepted and ended up in plain-text state and
 * outputs. Every URL the config takes is refused with credentials, a query string or a fragment where a base URL is
 * expected — naming the key, never repeating the credential (not in this problem, not in any other).
 */
import { parseConfig } from "../../components/config/parse";
import { checkHttpsBase } from "../../components/identity/inputs";
import { show } from "../../components/config/problems";
import { problemsOf } from "../harness/problems";
import { existingCloudClusters, existingCloudConfig, rawConfig } from "../harness/stacks";

const secret = "s3cr3t-Pa55";
const cloudClusters = existingCloudClusters();

/** The problems of a cloud stack with these changes; none of them may contain the secret. */
function problemsWith(changes: Record<string, unknown>): string[] {
    const problems = problemsOf(() => parseConfig(rawConfig(existingCloudConfig(changes))));
    expect(problems.filter((p) => p.includes(secret))).toEqual([]);
    return problems;
}

describe("URLs with credentials, queries or fragments", () => {
    test("an API server with user:password@ is refused, naming the key, without the password", () => {
        const problems = problemsWith({
            clusters: [{ ...cloudClusters[0], apiServer: `https://admin:${secret}@203.0.113.10:443` }, cloudClusters[1]],
        });
        expect(problems).toContainEqual(
            expect.stringMatching(/^zta-testbed:clusters\[0\]\.apiServer: .*must not carry credentials \(user:password@\)/),
        );
        expect(problems.join("\n")).toContain("<credentials hidden>@203.0.113.10");
    });

    test("an API server with a query string or a fragment is refused", () => {
        const problems = problemsWith({
            clusters: [
                { ...cloudClusters[0], apiServer: "https://203.0.113.10:443/?token=abc" },
                { ...cloudClusters[1], apiServer: "https://203.0.113.11:443#x" },
            ],
        });
        expect(problems).toContainEqual(expect.stringMatching(/^zta-testbed:clusters\[0\]\.apiServer: .*must not carry a query string/));
        expect(problems).toContainEqual(expect.stringMatching(/^zta-testbed:clusters\[1\]\.apiServer: .*must not carry a fragment/));
    });

    test("a chart repository with credentials, a query or a fragment is refused; a plain one passes", () => {
        expect(problemsWith({ chartRepository: `https://bot:${secret}@charts.example.org/istio` })).toContainEqual(
            'zta-testbed:chartRepository: must not carry credentials (user:password@): set them as secrets, never in a URL; got "https://<credentials hidden>@charts.example.org/istio"',
        );
        expect(problemsWith({ chartRepository: "https://charts.example.org/istio?sig=1", trustDomian: "x" })).toContainEqual(
            'zta-testbed:chartRepository: must not carry a query string; got "https://charts.example.org/istio?<hidden>"',
        );
        expect(() => parseConfig(rawConfig(existingCloudConfig({ chartRepository: "https://charts.example.org/istio" })))).not.toThrow();
    });

    test("a password with / ? # (the URL does not even parse) and a token in a query are hidden all the same", () => {
        for (const apiServer of [`https://admin:pa#${secret}@203.0.113.10`, `https://admin:p?${secret}@h`, `https://a:p/${secret}@h/x`]) {
            const problems = problemsWith({ clusters: [{ ...cloudClusters[0], apiServer }, cloudClusters[1]] });
            expect(problems.join("\n")).not.toContain(secret);
            expect(problems).toContainEqual(
                expect.stringMatching(/^zta-testbed:clusters\[0\]\.apiServer: "https:\/\/<credentials hidden>@/),
            );
        }
        const token = "tok-3f9a1c";
        const problems = problemsWith({ chartRepository: `https://charts.example.org/istio?token=${token}#x` });
        expect(problems.join("\n")).not.toContain(token);
    });

    test("the identity layer's base URLs never repeat a credential in their errors", () => {
        expect(() => checkHttpsBase("issuerUrlBase", `https://kc:${secret}@keycloak.lab:8443`)).toThrow(
            'issuerUrlBase: expected only scheme, host and port (no path, query or credentials), got "https://<credentials hidden>@keycloak.lab:8443"',
        );
    });

    test("show() hides the user info of any URL in any value it shows", () => {
        expect(show({ server: `https://u:${secret}@h:6443`, other: `oci://x:${secret}@r.example/a` })).not.toContain(secret);
        // a password may hold / ? #, so everything up to the last @ counts as user info: hiding too much is the safe side
        expect(show("https://h:6443/p?q=a@b")).toBe('"https://<credentials hidden>@b"');
        expect(show("https://h:6443/p?token=t0k#f")).toBe('"https://h:6443/p?<hidden>"');
    });
});
