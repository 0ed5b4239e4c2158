/**
 * The identity and ingress keys of the config model (components/config/identity.ts), through parseConfig: defaults
 * per platform, every bad value reported at once with key and value, ready-made TLS material and credentials
 * (secret only, checked, never echoed).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../components/config/parse";
import { IdentityPki, ensureIdentityPki } from "../../sim/pki";
import { problemsOf } from "../harness/problems";
import { CommittedStack, rawConfig, readStackFile, stackConfig, testHostKey } from "../harness/stacks";

type Json = Record<string, unknown>;

const parse = (stack: CommittedStack, changes: Json = {}, secrets: Json = {}) =>
    parseConfig(rawConfig(stackConfig(stack, changes, secrets)));
const problemsFor = (stack: CommittedStack, changes: Json = {}, secrets: Json = {}) => problemsOf(() => parse(stack, changes, secrets));

const ingressHost = "httpbin.zta.test";
const keycloakHost = "keycloak.keycloak.svc.cluster.local";

// One identity PKI per file (openssl, the sim's own recipe): P-256 CA and server certificates, RSA 2048 realm key.
let pki: IdentityPki;
let pkiDir: string;
beforeAll(() => {
    pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-identity-pki-"));
    pki = ensureIdentityPki(pkiDir, ingressHost, keycloakHost);
});
afterAll(() => {
    fs.rmSync(pkiDir, { recursive: true, force: true });
});

/** The `identityTls` value as `pulumi config set --secret --path` builds it. */
const identityTls = (change: Partial<IdentityPki> = {}): IdentityPki => ({ ...pki, ...change });

/** Base64 bodies of every private key of the PKI: none may appear in a problem. */
function privateKeyBodies(): string[] {
    return [pki.ingressKey, pki.keycloakKey, pki.realmSigningKey].flatMap((pem) =>
        pem.split("\n").filter((line) => line !== "" && !line.startsWith("-----")),
    );
}

function expectNoKeyEchoed(problems: string[]): void {
    const text = problems.join("\n");
    expect(text).not.toContain("PRIVATE KEY");
    for (const line of privateKeyBodies()) {
        expect(text).not.toContain(line);
    }
}

const firstCluster = (stack: CommittedStack) => (readStackFile(stack)["zta-testbed:clusters"] as { name: string }[])[0].name;

describe("defaults", () => {
    test.each(["cloud", "sim"] as const)("%s: Keycloak in the first cluster, reached by its Service name", (stack) => {
        const identity = parse(stack).identity;
        expect(identity).toEqual({
            realm: "zta",
            clientId: "zta-client",
            audience: "zta-ingress",
            accessTokenLifespanSeconds: 300,
            jwks: "inline",
            hostname: keycloakHost,
            port: 8443,
            placement: { kind: "cluster", cluster: firstCluster(stack), namespace: "keycloak" },
            ingressHost,
            certValidityHours: 365 * 24,
        });
        expect(identity.placement).toEqual({ kind: "cluster", cluster: stack === "cloud" ? "aks" : "cluster1", namespace: "keycloak" });
    });

    test("testbed: Keycloak on the host with the role keycloak, reached at its management address", () => {
        const model = parse("testbed");
        const keycloakHosts = model.baremetal?.hosts.filter((h) => h.roles.includes("keycloak")) ?? [];
        expect(keycloakHosts.map((h) => h.name)).toEqual(["server1"]);
        const [host] = keycloakHosts;
        expect(model.identity.placement).toEqual({ kind: "host", host: host.name, address: host.management.address });
        expect(model.identity.placement).toEqual({ kind: "host", host: "server1", address: "10.5.0.2" });
        expect(model.identity.hostname).toBe("10.5.0.2");
        expect(model.identity).toMatchObject({ realm: "zta", clientId: "zta-client", audience: "zta-ingress", port: 8443, ingressHost });
    });

    test("valid values are taken as given", () => {
        const identity = parse("cloud", {
            identity: {
                realm: "lab-1",
                clientId: "caller",
                audience: "https://ingress.lab/api",
                accessTokenLifespanSeconds: 900,
                hostname: "10.5.0.2",
                port: 443,
                certValidityDays: 30,
            },
            ingressHost: "app.lab.example",
        }).identity;
        expect(identity).toMatchObject({
            realm: "lab-1",
            clientId: "caller",
            audience: "https://ingress.lab/api",
            accessTokenLifespanSeconds: 900,
            hostname: "10.5.0.2",
            port: 443,
            certValidityHours: 30 * 24,
            ingressHost: "app.lab.example",
        });
    });
});

describe("bad values are reported all at once, each with its key and value", () => {
    test("realm, audience, token lifespan, port, hostname and ingressHost together", () => {
        const problems = problemsFor("cloud", {
            identity: { realm: "master", audience: "zta ingress", accessTokenLifespanSeconds: 30, port: 9000, hostname: "Bad_Host" },
            ingressHost: "*.wild.test",
        });
        const expected = [
            'zta-testbed:identity.realm: must not be "master" (Keycloak\'s administration realm)',
            'zta-testbed:identity.audience: must be 1-255 characters of [A-Za-z0-9._:/-], got "zta ingress"',
            "zta-testbed:identity.accessTokenLifespanSeconds: must be an integer from 60 to 900 (short-lived tokens), got 30",
            "zta-testbed:identity.port: must be an integer from 1 to 65535 other than 9000 (Keycloak's management port), got 9000",
            'zta-testbed:identity.hostname: must be a lower-case DNS name or an IPv4 address, got "Bad_Host"',
            'zta-testbed:ingressHost: must be a lower-case DNS name with at least two labels and no wildcard, got "*.wild.test"',
        ];
        expect(problems).toHaveLength(expected.length);
        expect(problems).toEqual(expect.arrayContaining(expected));
    });

    test("the same bad values on the sim stack", () => {
        const problems = problemsFor("sim", { identity: { realm: "master", port: 9000 }, ingressHost: "*.wild.test" });
        expect(problems).toHaveLength(3);
        expect(problems).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^zta-testbed:identity\.realm: must not be "master"/),
                expect.stringMatching(/^zta-testbed:identity\.port: .*got 9000$/),
                expect.stringMatching(/^zta-testbed:ingressHost: .*got "\*\.wild\.test"$/),
            ]),
        );
    });

    test("an unknown key in identity", () => {
        expect(problemsFor("cloud", { identity: { realm: "zta", issuerUrl: "https://x" } })).toEqual([
            'zta-testbed:identity: unknown key "issuerUrl"',
        ]);
    });

    test.each([
        ["a realm with upper case", { realm: "ZTA" }, /^zta-testbed:identity\.realm: must be 1-63 characters of \[a-z0-9-\], got "ZTA"$/],
        [
            "a client id with a space",
            { clientId: "zta client" },
            /^zta-testbed:identity\.clientId: must be 1-63 characters of \[a-z0-9-\], got "zta client"$/,
        ],
        ["a fractional lifespan", { accessTokenLifespanSeconds: 60.5 }, /^zta-testbed:identity\.accessTokenLifespanSeconds: .* got 60\.5$/],
        [
            "a lifespan over 15 minutes",
            { accessTokenLifespanSeconds: 901 },
            /^zta-testbed:identity\.accessTokenLifespanSeconds: .* got 901$/,
        ],
        ["port 0", { port: 0 }, /^zta-testbed:identity\.port: .* got 0$/],
        ["a single-label host name", { hostname: "keycloak" }, /^zta-testbed:identity\.hostname: .* got "keycloak"$/],
        ["a certificate validity over 825 days", { certValidityDays: 826 }, /^zta-testbed:identity\.certValidityDays: .* got 826$/],
        ["a port given as text", { port: "8443" }, /^zta-testbed:identity\.port: expected number \(got "8443"\)$/],
        ["an IPv4-looking name that is no address", { hostname: "10.5.0.300" }, /^zta-testbed:identity\.hostname: .* got "10\.5\.0\.300"$/],
        [
            "a loopback address",
            { hostname: "127.0.0.1" },
            /^zta-testbed:identity\.hostname: must be reachable from the clusters, but "127\.0\.0\.1" is a loopback address$/,
        ],
        // Addresses that name no single reachable host: each used to pass, leaving an issuer nobody can serve.
        ["the unspecified address", { hostname: "0.0.0.0" }, /^zta-testbed:identity\.hostname: .* "0\.0\.0\.0" is an unspecified address$/],
        [
            "a link-local address",
            { hostname: "169.254.10.1" },
            /^zta-testbed:identity\.hostname: .* "169\.254\.10\.1" is a link-local address$/,
        ],
        [
            "a multicast address",
            { hostname: "224.0.0.251" },
            /^zta-testbed:identity\.hostname: .* "224\.0\.0\.251" is a multicast address$/,
        ],
        ["the broadcast address", { hostname: "255.255.255.255" }, /^zta-testbed:identity\.hostname: .* is a broadcast address$/],
        [
            "localhost (one label)",
            { hostname: "localhost" },
            /^zta-testbed:identity\.hostname: must be a lower-case DNS name .* got "localhost"$/,
        ],
        [
            "a .localhost name (RFC 6761)",
            { hostname: "keycloak.localhost" },
            /^zta-testbed:identity\.hostname: .* "keycloak\.localhost" is a loopback name$/,
        ],
    ])("%s", (_what, identity, expected) => {
        expect(problemsFor("cloud", { identity })).toEqual([expect.stringMatching(expected)]);
    });

    test("ingressHost: a .localhost name resolves to every client's own loopback", () => {
        expect(problemsFor("cloud", { ingressHost: "httpbin.localhost" })).toEqual([
            'zta-testbed:ingressHost: must be a name clients resolve to the ingress, but "httpbin.localhost" is a loopback name',
        ]);
    });

    test.each(["1.2.3.4", "10.5.0.300"])("ingressHost %s: an address is not a host name", (ingressHost) => {
        expect(problemsFor("cloud", { ingressHost })).toEqual([
            expect.stringMatching(/^zta-testbed:ingressHost: must be a lower-case DNS name/),
        ]);
    });
});

describe("identityTls", () => {
    test("a valid set parses with no problem and yields the given PEMs, keys wrapped", () => {
        const model = parse("cloud", {}, { identityTls: identityTls() });
        const tls = model.identity.tls;
        expect(tls).toBeDefined();
        expect(tls?.caCertPem).toBe(pki.caCert);
        expect(tls?.ingress.certPem).toBe(pki.ingressCert);
        expect(tls?.keycloak.certPem).toBe(pki.keycloakCert);
        expect(tls?.ingress.keyPem.reveal()).toBe(pki.ingressKey);
        expect(tls?.keycloak.keyPem.reveal()).toBe(pki.keycloakKey);
        expect(tls?.realmSigningKeyPem.reveal()).toBe(pki.realmSigningKey);
        for (const key of [tls?.ingress.keyPem, tls?.keycloak.keyPem, tls?.realmSigningKeyPem]) {
            expect(String(key)).toBe("[secret]");
        }
        expect(JSON.stringify(model.identity)).not.toContain("PRIVATE KEY");
    });

    test("the valid set parses on the sim stack too", () => {
        expect(parse("sim", {}, { identityTls: identityTls() }).identity.tls?.caCertPem).toBe(pki.caCert);
    });

    test("stored in plain text: must be set with --secret", () => {
        const problems = problemsFor("cloud", { identityTls: identityTls() });
        expect(problems).toEqual([expect.stringMatching(/^zta-testbed:identityTls: .*must be set with --secret/)]);
        expectNoKeyEchoed(problems);
    });

    test("a keycloak certificate not valid for the configured hostname", () => {
        const problems = problemsFor("cloud", { identity: { hostname: "keycloak.other.test" } }, { identityTls: identityTls() });
        expect(problems).toEqual([
            expect.stringMatching(/^zta-testbed:identityTls\.keycloakCert: .*not valid for "keycloak\.other\.test"/),
        ]);
        expectNoKeyEchoed(problems);
    });

    test("an ingress key that does not match its certificate", () => {
        const problems = problemsFor("cloud", {}, { identityTls: identityTls({ ingressKey: pki.keycloakKey }) });
        expect(problems).toEqual([
            expect.stringMatching(/^zta-testbed:identityTls\.ingress(Cert|Key): .*private key does not match its certificate$/),
        ]);
        expectNoKeyEchoed(problems);
    });

    test("an EC realm signing key", () => {
        const problems = problemsFor("cloud", {}, { identityTls: identityTls({ realmSigningKey: pki.keycloakKey }) });
        expect(problems).toEqual([
            expect.stringMatching(/^zta-testbed:identityTls\.realmSigningKey: must be an RSA private key of at least 2048 bits/),
        ]);
        expectNoKeyEchoed(problems);
    });

    test("all three at once, each under its key", () => {
        const problems = problemsFor(
            "cloud",
            { identity: { hostname: "keycloak.other.test" } },
            { identityTls: identityTls({ ingressKey: pki.keycloakKey, realmSigningKey: pki.ingressKey }) },
        );
        expect(problems).toHaveLength(3);
        expect(problems).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^zta-testbed:identityTls\.keycloakCert: .*not valid for "keycloak\.other\.test"/),
                expect.stringMatching(/^zta-testbed:identityTls\.ingress(Cert|Key): .*private key does not match its certificate$/),
                expect.stringMatching(/^zta-testbed:identityTls\.realmSigningKey: /),
            ]),
        );
        expectNoKeyEchoed(problems);
    });

    test("an ingress certificate for another host name", () => {
        const problems = problemsFor("cloud", { ingressHost: "app.lab.example" }, { identityTls: identityTls() });
        expect(problems).toEqual([expect.stringMatching(/^zta-testbed:identityTls\.ingressCert: .*not valid for "app\.lab\.example"/)]);
    });

    test("keys that are not keys and a missing member are reported without echoing anything secret", () => {
        const marker = "SECRETMARKER-0123456789";
        const withoutKeycloakKey: Json = { ...identityTls({ realmSigningKey: `not a key ${marker}` }) };
        delete withoutKeycloakKey.keycloakKey;
        const problems = problemsFor("cloud", {}, { identityTls: withoutKeycloakKey });
        expect(problems).toEqual([expect.stringMatching(/^zta-testbed:identityTls\.keycloakKey: expected string \(missing\)$/)]);
        const unparsable = problemsFor(
            "cloud",
            {},
            { identityTls: identityTls({ realmSigningKey: `not a key ${marker}`, ingressKey: marker }) },
        );
        expect(unparsable).toHaveLength(2);
        expect(unparsable).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^zta-testbed:identityTls\.ingress(Cert|Key): .*not a parsable PEM private key$/),
                "zta-testbed:identityTls.realmSigningKey: is not a parsable PEM private key",
            ]),
        );
        expect([...problems, ...unparsable].join("\n")).not.toContain(marker);
        expectNoKeyEchoed(unparsable);
    });
});

describe("identityCredentials", () => {
    const clientSecret = "Q2xpZW50U2VjcmV0LWZvci10ZXN0cy0xMjM0NTY3OA";
    const adminPassword = "admin-password-for-tests!";

    test("valid credentials are accepted and wrapped", () => {
        const model = parse("cloud", {}, { identityCredentials: { clientSecret, adminPassword } });
        const credentials = model.identity.credentials;
        expect(String(credentials?.clientSecret)).toBe("[secret]");
        expect(String(credentials?.adminPassword)).toBe("[secret]");
        expect(credentials?.clientSecret.reveal()).toBe(clientSecret);
        expect(credentials?.adminPassword?.reveal()).toBe(adminPassword);
        expect(JSON.stringify(model.identity)).not.toContain(clientSecret);
        expect(JSON.stringify(model.identity)).not.toContain(adminPassword);
    });

    test("stored in plain text: refused", () => {
        const problems = problemsFor("cloud", { identityCredentials: { clientSecret, adminPassword } });
        expect(problems).toEqual([
            "zta-testbed:identityCredentials: holds credentials and must be set with --secret (it is stored in plain text now)",
        ]);
    });

    test('clientSecret "short" and adminPassword "x" each reported, neither echoed', () => {
        const problems = problemsFor("cloud", {}, { identityCredentials: { clientSecret: "short", adminPassword: "x" } });
        expect(problems).toHaveLength(2);
        expect(problems).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^zta-testbed:identityCredentials\.clientSecret: must be 32-128 characters/),
                expect.stringMatching(/^zta-testbed:identityCredentials\.adminPassword: must be 16-256 characters/),
            ]),
        );
        expect(problems.join("\n")).not.toContain('"short"');
        expect(problems.join("\n")).not.toContain('"x"');
    });

    test("testbed: an admin password is refused (Keycloak on a host has no admin user); the client secret alone is accepted", () => {
        expect(problemsFor("testbed", {}, { identityCredentials: { clientSecret, adminPassword } })).toEqual([
            "zta-testbed:identityCredentials.adminPassword: Keycloak on a host has no admin user (the realm is imported from code); leave it out",
        ]);
        const credentials = parse("testbed", {}, { identityCredentials: { clientSecret } }).identity.credentials;
        expect(credentials?.clientSecret.reveal()).toBe(clientSecret);
        expect(credentials?.adminPassword).toBeUndefined();
    });

    test("a client secret with characters Keycloak's placeholder substitution cannot carry", () => {
        const problems = problemsFor("cloud", {}, { identityCredentials: { clientSecret: `${clientSecret}"}`, adminPassword } });
        expect(problems).toEqual([expect.stringMatching(/^zta-testbed:identityCredentials\.clientSecret: /)]);
    });
});

describe("testbed placement", () => {
    const hosts = JSON.parse(stackConfig("testbed").config["zta-testbed:hosts"]) as Json[];

    test("the keycloak role on a host that is not the registry host", () => {
        const moved = [
            ...hosts.map((h) => (h.name === "server1" ? { ...h, roles: ["registry"] } : h)),
            { name: "server4", management: "10.5.0.5/24", roles: ["keycloak"], hostKey: testHostKey("server4") },
        ];
        const problems = problemsFor("testbed", { hosts: moved });
        expect(problems).toEqual([
            expect.stringMatching(/^zta-testbed:hosts\.server4\.roles: "keycloak" must be on the registry host "server1"/),
        ]);
    });

    test("no keycloak host", () => {
        const none = hosts.map((h) => (h.name === "server1" ? { ...h, roles: ["registry"] } : h));
        expect(problemsFor("testbed", { hosts: none })).toEqual([
            expect.stringMatching(/^zta-testbed:hosts: exactly one host needs the role "keycloak" .*got none$/),
        ]);
    });

    test("an address of the wrong host: Keycloak is published on the keycloak host's management address only", () => {
        expect(problemsFor("testbed", { identity: { hostname: "10.5.0.3" } })).toEqual([
            'zta-testbed:identity.hostname: must be the management address of the "keycloak" host "server1" (10.5.0.2), where Keycloak is published, got "10.5.0.3", an address of "server2"',
        ]);
        // the keycloak host's own service address: Keycloak does not listen there either
        expect(problemsFor("testbed", { identity: { hostname: "10.5.1.2" } })).toEqual([
            expect.stringMatching(
                /^zta-testbed:identity\.hostname: must be the management address .* got "10\.5\.1\.2", an address of "server1"$/,
            ),
        ]);
        // an address of no host at all
        expect(problemsFor("testbed", { identity: { hostname: "192.0.2.7" } })).toEqual([
            expect.stringMatching(/^zta-testbed:identity\.hostname: must be the management address .* got "192\.0\.2\.7"$/),
        ]);
        expect(parse("testbed", { identity: { hostname: "10.5.0.2" } }).identity.hostname).toBe("10.5.0.2");
    });

    test("an explicit hostname replaces the management address", () => {
        const identity = parse("testbed", { identity: { hostname: "keycloak.lab.example" } }).identity;
        expect(identity.hostname).toBe("keycloak.lab.example");
        expect(identity.placement).toEqual({ kind: "host", host: "server1", address: "10.5.0.2" });
    });
});
