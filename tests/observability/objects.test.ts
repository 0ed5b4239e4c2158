/**
 * The observability layer's Kubernetes objects (components/observability/objects.ts): Prometheus per cluster (the
 * mesh cluster's federating and alerting), Grafana without anonymous access and with its admin from a Secret, Kiali
 * read-only behind OpenID with the remote clusters' kubeconfigs mounted where Kiali looks for them.
 */
import { parse as parseYaml } from "yaml";
import { projectDashboards } from "../../components/observability/dashboards";
import { clusterPodLabel, prometheusObjects, prometheusRuleFile, prometheusService } from "../../components/observability/objects";
import { grafanaObjects, grafanaProvisioning } from "../../components/observability/grafana";
import { kialiConfig, kialiObjects, kialiRedirectUris, kialiRemoteApiBypass, kialiViewerRules } from "../../components/observability/kiali";
import { federationMatch } from "../../components/observability/prometheus";

type Json = Record<string, any>;

const meshInput = {
    cluster: "cluster1",
    image: "docker.io/prom/prometheus:v3.10.0",
    retention: "7d",
    federate: [{ cluster: "cluster2", address: "prometheus-cluster2.observability.svc.cluster.local:9090" }],
    alerts: { workloadCertTtlHours: 24 },
};
const mesh = prometheusObjects(meshInput);
const local = prometheusObjects({ ...meshInput, cluster: "cluster2", federate: [], alerts: undefined });

const podSpec = (d: { spec: { template: { spec: unknown } } }) => d.spec.template.spec as Json;
const container = (d: { spec: { template: { spec: unknown } } }) => podSpec(d).containers[0] as Json;
const excludedPorts = (annotations: Record<string, string>) =>
    annotations["traffic.sidecar.istio.io/excludeOutboundPorts"].split(",").map((p) => Number(p));

/** Pod and container security every observability pod must have (Pod Security "restricted" and more). */
function expectHardened(name: string, d: { spec: { template: { spec: unknown } } }) {
    const pod = podSpec(d);
    expect([name, pod.securityContext]).toEqual([
        name,
        expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }),
    ]);
    expect([name, pod.securityContext.runAsUser]).not.toEqual([name, 0]);
    expect([name, pod.hostNetwork ?? false, pod.hostPID ?? false]).toEqual([name, false, false]);
    for (const c of pod.containers as Json[]) {
        expect([name, c.name, c.securityContext]).toEqual([
            name,
            c.name,
            expect.objectContaining({
                runAsNonRoot: true,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ["ALL"] },
            }),
        ]);
        expect([name, c.securityContext.capabilities.add]).toEqual([name, undefined]);
        expect([name, c.resources?.limits?.memory]).toEqual([name, expect.any(String)]);
    }
}

describe("Prometheus in the mesh cluster (federator, alerts)", () => {
    const data = mesh.configMap.data;
    const config = parseYaml(data["prometheus.yml"]) as Json;

    test("prometheus.yml federates the other cluster; alerts.yml holds the rule groups it loads", () => {
        const federate = (config.scrape_configs as Json[]).find((j) => j.job_name === "federate-cluster2")!;
        expect(federate).toMatchObject({
            metrics_path: "/federate",
            honor_labels: true,
            params: { "match[]": [...federationMatch] },
            static_configs: [{ targets: ["prometheus-cluster2.observability.svc.cluster.local:9090"], labels: { cluster: "cluster2" } }],
        });
        expect(config.global.external_labels).toEqual({ cluster: "cluster1" });
        const alerts = parseYaml(data["alerts.yml"]) as { groups: { name: string; rules: Json[] }[] };
        expect(alerts.groups.length).toBeGreaterThan(0);
        const rules = alerts.groups.flatMap((g) => g.rules);
        expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(["WorkloadCertificateExpiring", "MeshFederationDown"]));
        expect(rules.find((r) => r.alert === "MeshFederationDown")!.expr).toContain('job=~"federate-cluster2"');
        for (const r of rules) {
            expect(Object.keys(r).sort()).toEqual(["alert", "annotations", "expr", "for", "labels"]);
        }
    });

    test("the rule file Prometheus loads is the alerts.yml key of the mounted ConfigMap", () => {
        expect(config.rule_files).toEqual([prometheusRuleFile]);
        const mount = (container(mesh.deployment).volumeMounts as Json[]).find((m) => m.name === "config")!;
        const volume = (podSpec(mesh.deployment).volumes as Json[]).find((v) => v.name === "config")!;
        expect(volume.configMap.name).toBe(mesh.configMap.metadata.name);
        expect(prometheusRuleFile).toBe(`${mount.mountPath}/alerts.yml`);
        expect(container(mesh.deployment).args).toContain(`--config.file=${mount.mountPath}/prometheus.yml`);
    });

    test("its identity is prometheus-federator (the only one the other clusters answer /federate to), bound to the read-only role", () => {
        expect(mesh.serviceAccount.metadata.name).toBe("prometheus-federator");
        expect(podSpec(mesh.deployment).serviceAccountName).toBe("prometheus-federator");
        expect(mesh.clusterRoleBinding.subjects).toEqual([
            { kind: "ServiceAccount", name: "prometheus-federator", namespace: "observability" },
        ]);
        expect(mesh.clusterRoleBinding.roleRef.name).toBe(mesh.clusterRole.metadata.name);
        for (const rule of mesh.clusterRole.rules) {
            expect(rule.verbs).toEqual(["get", "list", "watch"]);
            expect(rule.resources).not.toContain("secrets");
        }
    });

    test("the sidecar is bypassed for Istio's metrics ports only: never the API server's 443/6443 (a bypassed port is a hole to every address on it), never Prometheus's own 9090 (federation is mTLS)", () => {
        for (const d of [mesh.deployment, local.deployment]) {
            const annotations = d.spec.template.metadata.annotations as Record<string, string>;
            expect(excludedPorts(annotations)).toEqual([15014, 15020]);
            expect(annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"]).toBeUndefined();
        }
    });

    test("no lifecycle or admin API; TSDB retention as configured; a config change rolls the pod", () => {
        const args = container(mesh.deployment).args as string[];
        expect(args.some((a) => a.startsWith("--web.enable-lifecycle"))).toBe(false);
        expect(args.some((a) => a.startsWith("--web.enable-admin-api"))).toBe(false);
        expect(args).toContain("--storage.tsdb.retention.time=7d");
        const hash = (o: typeof mesh) =>
            (o.deployment.spec.template.metadata.annotations as Record<string, string>)["zta-testbed.dev/config-sha256"];
        expect(hash(mesh)).toMatch(/^[0-9a-f]{64}$/);
        expect(hash(prometheusObjects({ ...meshInput, alerts: { workloadCertTtlHours: 12 } }))).not.toBe(hash(mesh));
    });

    test("hardened: non-root, read-only root, no capabilities, RuntimeDefault seccomp at pod level", () => {
        expectHardened("prometheus", mesh.deployment);
        expectHardened("prometheus (local)", local.deployment);
    });
});

describe("Prometheus elsewhere", () => {
    test("identity prometheus, no alert rules, no federation", () => {
        expect(local.serviceAccount.metadata.name).toBe("prometheus");
        expect(podSpec(local.deployment).serviceAccountName).toBe("prometheus");
        expect(local.clusterRoleBinding.subjects[0].name).toBe("prometheus");
        expect(Object.keys(local.configMap.data as object)).toEqual(["prometheus.yml"]);
        const config = parseYaml(local.configMap.data["prometheus.yml"]) as Json;
        expect(config.rule_files).toEqual([]);
        expect((config.scrape_configs as Json[]).map((j) => j.job_name)).toEqual(["kubernetes-pods"]);
    });
});

describe("prometheusService", () => {
    test("selects exactly this cluster's Prometheus pods, on an http- port (Istio authorizes by path)", () => {
        for (const [cluster, objects] of [
            ["cluster1", mesh],
            ["cluster2", local],
        ] as const) {
            const svc = prometheusService(cluster);
            expect(svc.metadata.name).toBe(`prometheus-${cluster}`);
            expect(svc.metadata.namespace).toBe("observability");
            expect(svc.spec.selector).toEqual({ app: "prometheus", [clusterPodLabel]: cluster });
            expect(svc.spec.ports.map((p) => p.name)).toEqual([expect.stringMatching(/^http(-|$)/)]);
            expect(svc.spec.ports[0].port).toBe(9090);
            expect(objects.service).toEqual(svc);
            // The selector matches the pods of this cluster's Deployment, not the other's.
            const podLabels = objects.deployment.spec.template.metadata.labels as Record<string, string>;
            expect(Object.entries(svc.spec.selector).every(([k, v]) => podLabels[k] === v)).toBe(true);
            const other = cluster === "cluster1" ? local : mesh;
            const otherLabels = other.deployment.spec.template.metadata.labels as Record<string, string>;
            expect(Object.entries(svc.spec.selector).every(([k, v]) => otherLabels[k] === v)).toBe(false);
            expect(objects.deployment.spec.selector.matchLabels).toEqual(podLabels);
        }
    });
});

describe("Grafana", () => {
    const dashboards = projectDashboards({ workloadCertTtlHours: 24 });
    const base = {
        image: "docker.io/grafana/grafana:12.0.1",
        meshCluster: "cluster1",
        projectDashboards: dashboards,
        adminSecretName: "grafana-admin",
    };
    const withIstio = grafanaObjects({ ...base, istioDashboards: { "istio-mesh-dashboard.json": '{"panels":[]}' } });
    const without = grafanaObjects({ ...base, istioDashboards: {} });
    const env = (o: typeof without) => container(o.deployment).env as Json[];

    test("no anonymous access, no sign-up", () => {
        for (const o of [withIstio, without]) {
            const byName = Object.fromEntries(env(o).map((e) => [e.name, e]));
            expect(byName.GF_AUTH_ANONYMOUS_ENABLED).toEqual({ name: "GF_AUTH_ANONYMOUS_ENABLED", value: "false" });
            expect(byName.GF_USERS_ALLOW_SIGN_UP.value).toBe("false");
            expect(env(o).filter((e) => e.name.startsWith("GF_AUTH_") && e.value === "true")).toEqual([]);
        }
    });

    test("the admin user and password come from the Secret only: never a literal, never the default admin/admin", () => {
        const byName = Object.fromEntries(env(without).map((e) => [e.name, e]));
        expect(byName.GF_SECURITY_ADMIN_USER).toEqual({
            name: "GF_SECURITY_ADMIN_USER",
            valueFrom: { secretKeyRef: { name: "grafana-admin", key: "admin-user", optional: false } },
        });
        expect(byName.GF_SECURITY_ADMIN_PASSWORD).toEqual({
            name: "GF_SECURITY_ADMIN_PASSWORD",
            valueFrom: { secretKeyRef: { name: "grafana-admin", key: "admin-password", optional: false } },
        });
        for (const e of env(without)) {
            expect([e.name, e.value]).not.toEqual([e.name, "admin"]);
            if (/PASSWORD|SECRET|TOKEN|KEY/.test(e.name)) {
                expect([e.name, "value" in e]).toEqual([e.name, false]);
            }
        }
        expect(env(without).some((e) => e.name === "GF_SECURITY_ADMIN_PASSWORD__FILE")).toBe(false);
    });

    test("dashboards provisioned from files: Zero Trust always, Istio only when there are Istio dashboards", () => {
        const providers = (o: { provisioning: { data: Record<string, string> } }) =>
            (parseYaml(o.provisioning.data["dashboards.yaml"]) as { providers: Json[] }).providers;
        expect(providers(withIstio).map((p) => [p.name, p.folder])).toEqual([
            ["zta", "Zero Trust"],
            ["istio", "Istio"],
        ]);
        expect(providers(without).map((p) => p.folder)).toEqual(["Zero Trust"]);
        for (const p of providers(withIstio)) {
            expect(p).toMatchObject({ type: "file", allowUiUpdates: false, disableDeletion: true });
            // Each provider's path is where a dashboards ConfigMap is mounted.
            const mount = (container(withIstio.deployment).volumeMounts as Json[]).find((m) => m.mountPath === p.options.path);
            expect([p.name, mount?.readOnly]).toEqual([p.name, true]);
        }
        expect(Object.keys(without.projectDashboards.data as object).sort()).toEqual(dashboards.map((d) => `${d.uid}.json`).sort());
        expect(JSON.parse((without.projectDashboards.data as Record<string, string>)["zta-mtls.json"])).toEqual(dashboards[0]);
        expect(withIstio.provisioning.data).toEqual(grafanaProvisioning({ meshCluster: "cluster1", istioDashboards: { x: "{}" } }));
        expect(without.provisioning.data).toEqual(grafanaProvisioning({ meshCluster: "cluster1", istioDashboards: {} }));
    });

    test("without Istio dashboards there is no Istio ConfigMap, volume or mount", () => {
        expect(without.istioDashboards).toBeUndefined();
        expect(withIstio.istioDashboards?.data).toEqual({ "istio-mesh-dashboard.json": '{"panels":[]}' });
        expect(JSON.stringify(podSpec(without.deployment))).not.toContain("istio");
        expect((podSpec(withIstio.deployment).volumes as Json[]).find((v) => v.name === "dashboards-istio")?.configMap.name).toBe(
            withIstio.istioDashboards?.metadata.name,
        );
    });

    test("no service account token; hardened pod", () => {
        expect(podSpec(without.deployment).automountServiceAccountToken).toBe(false);
        expect(without.serviceAccount.automountServiceAccountToken).toBe(false);
        expectHardened("grafana", without.deployment);
    });
});

describe("Kiali", () => {
    const issuer = "https://keycloak.keycloak.svc.cluster.local:8443/realms/zta";
    const input = {
        image: "quay.io/kiali/kiali:v2.26.1",
        cluster: "cluster1",
        remoteClusters: ["cluster2", "cluster3"],
        issuer,
        localPort: 20001,
        signingKeySecretName: "kiali-signing-key",
        bypassPorts: [8443, 15014],
        bypassAddresses: ["10.5.0.4/32"],
    };
    const objects = kialiObjects(input);

    test("OpenID through the realm (never anonymous), RBAC off (its own read-only identities), view only", () => {
        const config = kialiConfig(input);
        expect(config.auth.strategy).toBe("openid");
        expect(JSON.stringify(config)).not.toContain("anonymous");
        expect(config.auth.openid).toMatchObject({ client_id: "kiali", issuer_uri: issuer, disable_rbac: true });
        expect(config.deployment.view_only_mode).toBe(true);
        expect(config.external_services.prometheus.url).toBe("http://prometheus-cluster1.observability.svc.cluster.local:9090");
        expect(config.server).toMatchObject({ web_root: "/kiali", web_fqdn: "localhost", web_port: "20001", web_schema: "http" });
        // The rendered ConfigMap is the same config.
        expect(parseYaml((objects.configMap.data as Record<string, string>)["config.yaml"])).toEqual(JSON.parse(JSON.stringify(config)));
    });

    test("remote kubeconfigs, signing key and CA bundle are mounted where Kiali reads them", () => {
        const mounts: Record<string, Json> = Object.fromEntries(
            (container(objects.deployment).volumeMounts as Json[]).map((m) => [m.mountPath, m]),
        );
        const volumes = Object.fromEntries((podSpec(objects.deployment).volumes as Json[]).map((v) => [v.name, v]));
        for (const c of input.remoteClusters) {
            const mount = mounts[`/kiali-remote-cluster-secrets/kiali-remote-cluster-secret-${c}`];
            expect([c, mount?.readOnly]).toEqual([c, true]);
            expect(volumes[mount.name].secret).toEqual({ secretName: `kiali-remote-cluster-secret-${c}`, optional: false });
        }
        const signing = mounts["/kiali-override-secrets/login-token-signing-key"];
        expect(volumes[signing.name].secret).toEqual({ secretName: "kiali-signing-key", optional: false });
        const ca = Object.values(mounts).find((m) => m.mountPath === "/kiali-cabundle")!;
        expect(volumes[ca.name].configMap.name).toBe("kiali-cabundle");
        expect(Object.values(mounts).every((m) => m.readOnly === true)).toBe(true);
        expect(container(objects.deployment).command).toEqual(["/opt/kiali/kiali", "-config", "/kiali-configuration/config.yaml"]);
        expectHardened("kiali", objects.deployment);
    });

    test("the sidecar is bypassed for Keycloak and istiod's 15014 by port, the remote API servers by address (a DNS-named one by its port), not for Prometheus", () => {
        const annotations = objects.deployment.spec.template.metadata.annotations as Record<string, string>;
        expect(excludedPorts(annotations)).toEqual([8443, 15014]);
        expect(annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"]).toBe("10.5.0.4/32");
        expect(kialiRemoteApiBypass(["https://10.5.0.4:6443", "https://203.0.113.20", "https://10.5.0.4:6443"])).toEqual({
            ports: [],
            addresses: ["10.5.0.4/32", "203.0.113.20/32"],
        });
        // A name resolves in the pod to an address not known here: only its port can be bypassed.
        expect(kialiRemoteApiBypass(["https://zta-aks-dns-4f2a.hcp.westeurope.azmk8s.io:443"])).toEqual({ ports: [443], addresses: [] });
    });

    test("the viewer role never writes: create only on tokenreviews, no secrets", () => {
        const write = new Set(["create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "*"]);
        const rules = kialiViewerRules();
        for (const rule of rules) {
            expect(rule.resources).not.toContain("secrets");
            const writes = rule.verbs.filter((v) => write.has(v));
            if (writes.length > 0) {
                expect([rule.resources, writes]).toEqual([["tokenreviews"], ["create"]]);
            }
            expect(rule.verbs.every((v) => ["get", "list", "watch", "create"].includes(v))).toBe(true);
            if (rule.resources.includes("*")) {
                expect(rule.verbs).toEqual(["get", "list", "watch"]);
                expect(rule.apiGroups).not.toContain("");
            }
        }
        const creators = rules.filter((r) => r.verbs.includes("create")).flatMap((r) => r.resources);
        expect(creators).toEqual(["tokenreviews"]);
    });

    test("the viewer role opens no way into a pod: no pods/portforward, pods/exec or pods/attach (Envoy admin, istiod's xDS)", () => {
        const core = kialiViewerRules().filter((r) => r.apiGroups.includes("") || r.apiGroups.includes("*"));
        const resources = core.flatMap((r) => r.resources);
        for (const sub of ["pods/portforward", "pods/exec", "pods/attach", "pods/*", "*"]) {
            expect(resources).not.toContain(sub);
        }
    });

    test("redirects only to the local port-forward", () => {
        for (const port of [20001, 31000]) {
            const uris = kialiRedirectUris(port);
            expect(uris.length).toBeGreaterThan(0);
            for (const uri of uris) {
                expect(uri.startsWith(`http://localhost:${port}/kiali`)).toBe(true);
            }
        }
        expect(kialiRedirectUris(20001)).toEqual(["http://localhost:20001/kiali", "http://localhost:20001/kiali/*"]);
    });
});
