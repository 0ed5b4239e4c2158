/**
 * The observability layer as the engine receives it (cloud and testbed stacks under the recording mocks): what runs
 * where, what waits for the zero-trust baseline, what is secret, and how Kiali's login is wired into the realm.
 */
import { parse as parseYaml } from "yaml";
import { RecordedResource, Recording, SECRET, promiseOf } from "../harness/engine";
import { ProgramRun, runProgram } from "../harness/program";
import { CommittedStack, stackConfig } from "../harness/stacks";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET_TYPE = "kubernetes:core/v1:Secret";
const SERVICE = "kubernetes:core/v1:Service";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

type Json = Record<string, any>;

const stacks: { stack: CommittedStack; clusters: [string, string]; keycloak: "pods" | "host" }[] = [
    { stack: "cloud", clusters: ["aks", "gke"], keycloak: "pods" },
    { stack: "testbed", clusters: ["cluster1", "cluster2"], keycloak: "host" },
];

/** The realm file Keycloak imports: the in-cluster ConfigMap, or the heredoc of the host setup script. */
function realmOf(rec: Recording, keycloak: "pods" | "host"): Json {
    if (keycloak === "pods") {
        return JSON.parse(rec.get("identity-realm").inputs.data["realm.json"] as string) as Json;
    }
    const script = (rec.get("identity-server1-setup").inputs.create as string).replace(/'\\''/g, "'");
    const m = /\/import\/realm\.json' 644 <<'ZTA_EOF'[^\n]*\n([\s\S]*?)\nZTA_EOF\n/.exec(script);
    if (!m) {
        throw new Error("no realm.json heredoc in the Keycloak setup script");
    }
    return JSON.parse(m[1]) as Json;
}

const onCluster = (r: RecordedResource, cluster: string) => r.provider.includes(`::${cluster}-provider::`);

describe.each(stacks)("$stack: observability", ({ stack, clusters, keycloak }) => {
    const [first, second] = clusters;
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram(stack, stackConfig(stack));
    });
    const rec = () => run.recording;
    const obsDeployments = () =>
        rec()
            .ofType(DEPLOYMENT)
            .filter((d) => d.inputs.metadata?.namespace === "observability");

    test("namespace observability (injected, Pod Security restricted) in both clusters, each through its own provider", () => {
        for (const c of clusters) {
            const ns = rec().get(`observability-${c}-namespace`, NAMESPACE);
            expect(ns.inputs.metadata.name).toBe("observability");
            expect(ns.inputs.metadata.labels).toMatchObject({
                "istio-injection": "enabled",
                "pod-security.kubernetes.io/enforce": "restricted",
            });
            expect([c, onCluster(ns, c)]).toEqual([c, true]);
        }
        expect(
            rec()
                .ofType(NAMESPACE)
                .filter((n) => n.inputs.metadata?.name === "observability"),
        ).toHaveLength(2);
    });

    test("Prometheus in each cluster; Grafana and Kiali only in the first; a stub Service names the second's Prometheus in the first", () => {
        expect(
            obsDeployments()
                .map((d) => d.name)
                .sort(),
        ).toEqual(
            [
                `observability-${first}-prometheus`,
                `observability-${second}-prometheus`,
                `observability-${first}-grafana`,
                `observability-${first}-kiali`,
            ].sort(),
        );
        for (const d of obsDeployments()) {
            const cluster = d.name.split("-")[1];
            expect([d.name, onCluster(d, cluster)]).toEqual([d.name, true]);
        }
        expect(rec().get(`observability-${first}-prometheus`, DEPLOYMENT).inputs.spec.template.spec.serviceAccountName).toBe(
            "prometheus-federator",
        );
        expect(rec().get(`observability-${second}-prometheus`, DEPLOYMENT).inputs.spec.template.spec.serviceAccountName).toBe("prometheus");

        const stub = rec().get(`observability-${first}-prometheus-stub-${second}`, SERVICE);
        expect(onCluster(stub, first)).toBe(true);
        expect(stub.inputs.metadata).toMatchObject({ name: `prometheus-${second}`, namespace: "observability" });
        expect(stub.inputs.spec.selector).toEqual({ app: "prometheus", "zta.observability/cluster": second });
        // The real one in the second cluster has the same name and selector (Istio merges both).
        const real = rec().get(`observability-${second}-prometheus-service`, SERVICE);
        expect(onCluster(real, second)).toBe(true);
        expect(real.inputs.metadata.name).toBe(stub.inputs.metadata.name);
        expect(real.inputs.spec).toEqual(stub.inputs.spec);
        // And the federator scrapes exactly that name.
        const config = parseYaml(rec().get(`observability-${first}-prometheus-config`).inputs.data["prometheus.yml"] as string) as Json;
        const federate = (config.scrape_configs as Json[]).find((j) => j.job_name === `federate-${second}`)!;
        expect(federate.static_configs[0].targets).toEqual([`prometheus-${second}.observability.svc.cluster.local:9090`]);
        expect(rec().find((r) => r.name === `observability-${second}-prometheus-stub-${first}`)).toEqual([]);
    });

    test("credentials are secret: Grafana's admin, Kiali's signing key and remote kubeconfig", () => {
        for (const name of [
            `observability-${first}-grafana-admin`,
            `observability-${first}-kiali-signing-key`,
            `observability-${first}-kiali-remote-${second}`,
        ]) {
            expect([name, rec().get(name, SECRET_TYPE).redacted.stringData]).toEqual([name, SECRET]);
        }
        const grafana = rec().get(`observability-${first}-grafana-admin`, SECRET_TYPE).inputs.stringData as Record<string, string>;
        expect(grafana["admin-user"]).toBe("admin");
        expect(grafana["admin-password"]).toMatch(/^[A-Za-z0-9]{32}$/);
        const signing = rec().get(`observability-${first}-kiali-signing-key`, SECRET_TYPE).inputs.stringData as Record<string, string>;
        expect(signing["value.txt"]).toMatch(/^[A-Za-z0-9]{32}$/);
        // Nothing secret leaks into the Deployments or ConfigMaps of the layer.
        const plain = JSON.stringify(
            rec()
                .resources.filter((r) => r.name.startsWith("observability-") && r.type !== SECRET_TYPE)
                .map((r) => r.inputs),
        );
        expect(plain).not.toContain(grafana["admin-password"]);
        expect(plain).not.toContain(signing["value.txt"]);
    });

    test("Kiali's remote kubeconfig is the second cluster's read-only kiali token, never its admin credentials", () => {
        const remote = rec().get(`observability-${first}-kiali-remote-${second}`, SECRET_TYPE).inputs;
        expect(remote.metadata).toMatchObject({
            name: `kiali-remote-cluster-secret-${second}`,
            labels: { "kiali.io/multiCluster": "true" },
            annotations: { "kiali.io/cluster": second },
        });
        const kubeconfig = parseYaml(remote.stringData[second] as string) as Json;
        expect(kubeconfig.users[0].user.token).toBe(`token-of-observability-${second}-kiali-token`);
        expect(remote.stringData[second]).not.toContain("TEST-ADMIN-TOKEN");
        const token = rec().get(`observability-${second}-kiali-token`, SECRET_TYPE);
        expect(onCluster(token, second)).toBe(true);
        expect(token.inputs.metadata.annotations).toEqual({ "kubernetes.io/service-account.name": "kiali" });
        const binding = rec().get(`observability-${second}-kiali-viewer-binding`).inputs;
        expect(binding.roleRef.name).toBe(rec().get(`observability-${second}-kiali-viewer`).inputs.metadata.name);
        expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "kiali", namespace: "observability" }]);
    });

    test("stack outputs: Grafana's admin and Kiali's login are secret; both match what Grafana and the realm use", async () => {
        const obs = run.outputs.observability as Json;
        expect(await promiseOf(obs.grafana.admin.isSecret)).toBe(true);
        expect(await promiseOf(obs.kiali.login.isSecret)).toBe(true);
        const admin = (await promiseOf(obs.grafana.admin)) as { username: string; password: string };
        const grafana = rec().get(`observability-${first}-grafana-admin`, SECRET_TYPE).inputs.stringData as Record<string, string>;
        expect(admin).toEqual({ username: grafana["admin-user"], password: grafana["admin-password"] });
        const login = (await promiseOf(obs.kiali.login)) as { username: string; password: string };
        expect(login.username).toBe("observer");
        expect(login.password).toMatch(/^[A-Za-z0-9]{32}$/);
        if (keycloak === "pods") {
            const realmSecrets = rec().get("identity-realm-secrets", SECRET_TYPE);
            expect(realmSecrets.redacted.stringData).toBe(SECRET);
            expect(realmSecrets.inputs.stringData["test-user-password"]).toBe(login.password);
        } else {
            expect(rec().get("identity-server1-setup").redacted.stdin).toBe(SECRET);
            expect(rec().get("identity-server1-setup").inputs.create).not.toContain(login.password);
        }
        expect(obs.prometheus).toEqual(
            Object.fromEntries(clusters.map((c) => [c, `http://prometheus-${c}.observability.svc.cluster.local:9090`])),
        );
        expect(obs.meshPrometheus).toBe(`http://prometheus-${first}.observability.svc.cluster.local:9090`);
        expect(obs.istioDashboards).toEqual([]);
    });

    test("every observability Deployment waits for its cluster's STRICT mTLS, allow-nothing and the namespace's default deny", () => {
        expect(obsDeployments()).toHaveLength(4);
        for (const d of obsDeployments()) {
            const c = d.name.split("-")[1];
            const strict = rec().get(`mesh-${c}-policy-strict-mtls`);
            expect(strict.inputs).toMatchObject({
                kind: "PeerAuthentication",
                metadata: { name: "default", namespace: "istio-system" },
                spec: { mtls: { mode: "STRICT" } },
            });
            const nothing = rec().get(`mesh-${c}-policy-allow-nothing`);
            expect(nothing.inputs).toMatchObject({
                kind: "AuthorizationPolicy",
                metadata: { name: "allow-nothing", namespace: "istio-system" },
                spec: {},
            });
            const deny = rec().get(`observability-${c}-np-default-deny`, NP);
            expect(deny.inputs.metadata).toEqual({ name: "default-deny", namespace: "observability" });
            expect(deny.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });
            for (const dep of [strict, nothing, deny]) {
                expect([d.name, dep.name, rec().waitsFor(d, dep)]).toEqual([d.name, dep.name, true]);
            }
            // The default deny itself comes after every allow of the namespace (no window with nothing allowed).
            for (const allow of rec().find((r) => r.type === NP && r.name.startsWith(`observability-${c}-np-`) && r !== deny)) {
                expect([allow.name, rec().dependsOn(deny, allow)]).toEqual([allow.name, true]);
            }
        }
        // Kiali also waits for Keycloak (its OpenID provider).
        const kiali = rec().get(`observability-${first}-kiali`, DEPLOYMENT);
        expect(rec().waitsFor(kiali, rec().get(keycloak === "pods" ? "identity-keycloak" : "identity-server1-setup"))).toBe(true);
    });

    test("the realm has Kiali's public client (localhost redirects only) and the observer, whose password is only a placeholder", () => {
        const realm = realmOf(rec(), keycloak);
        const kiali = (realm.clients as Json[]).filter((c) => c.clientId === "kiali");
        expect(kiali).toHaveLength(1);
        expect(kiali[0]).toMatchObject({
            publicClient: true,
            standardFlowEnabled: true,
            implicitFlowEnabled: false,
            directAccessGrantsEnabled: false,
            serviceAccountsEnabled: false,
        });
        expect(kiali[0].secret).toBeUndefined();
        expect(kiali[0].redirectUris.length).toBeGreaterThan(0);
        for (const uri of kiali[0].redirectUris as string[]) {
            expect(uri).toMatch(/^http:\/\/localhost:20001\/kiali(\/\*)?$/);
        }
        expect(kiali[0].webOrigins).toEqual([]);
        const observers = (realm.users as Json[]).filter((u) => u.username === "observer");
        expect(observers).toHaveLength(1);
        expect(observers[0].credentials).toEqual([{ type: "password", value: expect.stringMatching(/^\$\{[A-Z_]+\}$/), temporary: false }]);
        // Its one role is Kiali's sign-in role, which Keycloak demands in Kiali's browser flow.
        expect(observers[0].realmRoles).toEqual(["kiali-viewer"]);
    });

    test("only holders of kiali-viewer sign in to Kiali: its browser flow denies a signed-in user without the role", () => {
        const realm = realmOf(rec(), keycloak);
        const kiali = (realm.clients as Json[]).find((c) => c.clientId === "kiali") as Json;
        const flows = realm.authenticationFlows as Json[];
        const browser = flows.find((f) => f.id === kiali.authenticationFlowBindingOverrides.browser) as Json;
        const check = flows.find((f) => f.alias === (browser.authenticationExecutions as Json[])[1].flowAlias) as Json;
        expect((browser.authenticationExecutions as Json[])[1].requirement).toBe("CONDITIONAL");
        expect((check.authenticationExecutions as Json[]).map((e) => e.authenticator)).toEqual([
            "conditional-user-role",
            "deny-access-authenticator",
        ]);
        const config = (realm.authenticatorConfig as Json[]).find(
            (c) => c.alias === (check.authenticationExecutions as Json[])[0].authenticatorConfig,
        ) as Json;
        expect(config.config).toEqual({ condUserRole: "kiali-viewer", negate: "true" });
        expect((realm.roles as Json).realm).toEqual([expect.objectContaining({ name: "kiali-viewer" })]);
        expect(realm.browserFlow).toBe("zta-deny-all");
    });

    if (keycloak === "pods") {
        test("Keycloak's namespace lets Kiali's pods in on 8443, and Kiali's egress reaches Keycloak's pods on 8443", () => {
            const allow = rec().get("identity-allow-clients-observability", NP).inputs.spec;
            expect(allow.ingress).toEqual([
                {
                    from: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } },
                            podSelector: { matchLabels: { app: "kiali" } },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 8443 }],
                },
            ]);
            const egress = rec().get(`observability-${first}-np-allow-kiali-egress`, NP).inputs.spec.egress as Json[];
            expect(egress).toContainEqual({
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keycloak" } },
                        podSelector: { matchLabels: allow.podSelector.matchLabels },
                    },
                ],
                ports: [{ protocol: "TCP", port: 8443 }],
            });
        });
    } else {
        test("Kiali may reach Keycloak on its host (10.5.0.2:8443) and the remote API server", () => {
            const egress = rec().get(`observability-${first}-np-allow-kiali-egress`, NP).inputs.spec.egress as Json[];
            expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: "10.5.0.2/32" } }], ports: [{ protocol: "TCP", port: 8443 }] });
            expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: "10.5.0.4/32" } }], ports: [{ protocol: "TCP", port: 6443 }] });
        });
    }
});
