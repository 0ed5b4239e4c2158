/**
 * Sample workloads and the JWT ingress (components/workloads/samples.ts): exact objects, Pod Security Standards
 * checks on every pod template (a re-statement of the pod-security-admission checks, baseline and restricted), the
 * PSA level chosen per sidecar mode proved against the containers Istio injects, pinned images, and every Istio object
 * validated against its CRD's v1 openAPIV3Schema at each pinned Istio release.
 */
import { pullSecretName } from "../../components/platform/pullSecret";
import {
    Deployment,
    sampleImages,
    sampleImageTags,
    SampleInput,
    sampleObjects,
    samplePsaLevel,
    SidecarInit,
} from "../../components/workloads/samples";
import { ingressExpectations, IngressInput, ingressObjects } from "../../components/workloads/ingress";
import { sampleAuthorizationPolicies, sampleGatewayDestinations, sampleNetworkPolicies } from "../../components/workloads/samplePolicy";
import { versionProfiles } from "../../components/core/versions";
import { check, undeclaredPaths, v1Of, validator } from "../harness/crdSchemas";

type Pod = Record<string, any>;

const istioVersions = [...new Set(Object.values(versionProfiles).map((p) => p.istio))];

// CRD schema helpers: tests/harness/crdSchemas.ts.

// --- Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards, as pod-security-admission checks them) ---

const baselineCapabilities = new Set([
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
]);
const restrictedVolumeTypes = new Set([
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
]);

const containersOf = (pod: Pod): Pod[] => [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];

function baselineProblems(pod: Pod): string[] {
    const problems: string[] = [];
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (pod[field]) {
            problems.push(`${field}`);
        }
    }
    for (const v of pod.volumes ?? []) {
        if (v.hostPath) {
            problems.push(`volume ${v.name}: hostPath`);
        }
    }
    if (pod.securityContext?.seccompProfile?.type === "Unconfined") {
        problems.push("pod seccomp Unconfined");
    }
    for (const c of containersOf(pod)) {
        const sc = c.securityContext ?? {};
        if (sc.privileged) {
            problems.push(`${c.name}: privileged`);
        }
        for (const cap of sc.capabilities?.add ?? []) {
            if (!baselineCapabilities.has(cap)) {
                problems.push(`${c.name}: adds ${cap}`);
            }
        }
        if ((c.ports ?? []).some((p: Pod) => p.hostPort)) {
            problems.push(`${c.name}: hostPort`);
        }
        if (sc.seccompProfile?.type === "Unconfined") {
            problems.push(`${c.name}: seccomp Unconfined`);
        }
    }
    return problems;
}

function restrictedProblems(pod: Pod): string[] {
    const problems = baselineProblems(pod);
    for (const v of pod.volumes ?? []) {
        const type = Object.keys(v).find((k) => k !== "name");
        if (!type || !restrictedVolumeTypes.has(type)) {
            problems.push(`volume ${v.name}: type ${type}`);
        }
    }
    const podSc = pod.securityContext ?? {};
    if (podSc.runAsUser === 0) {
        problems.push("pod runAsUser 0");
    }
    for (const c of containersOf(pod)) {
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation !== false) {
            problems.push(`${c.name}: allowPrivilegeEscalation not false`);
        }
        if (!(sc.runAsNonRoot === true || (sc.runAsNonRoot === undefined && podSc.runAsNonRoot === true))) {
            problems.push(`${c.name}: runAsNonRoot not true`);
        }
        if (sc.runAsUser === 0) {
            problems.push(`${c.name}: runAsUser 0`);
        }
        const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
            problems.push(`${c.name}: seccomp ${seccomp}`);
        }
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) {
            problems.push(`${c.name}: does not drop ALL`);
        }
        for (const cap of sc.capabilities?.add ?? []) {
            if (cap !== "NET_BIND_SERVICE") {
                problems.push(`${c.name}: restricted forbids adding ${cap}`);
            }
        }
    }
    return problems;
}

/** The spec's extras for pods we deploy: read-only root, explicit non-root uid, requests/limits, probes, no token, pinned image. */
function hardeningProblems(pod: Pod): string[] {
    const problems: string[] = [];
    if (pod.automountServiceAccountToken !== false) {
        problems.push("automountServiceAccountToken not false");
    }
    if (!pod.serviceAccountName || pod.serviceAccountName === "default") {
        problems.push("no dedicated service account");
    }
    for (const c of containersOf(pod)) {
        const sc = c.securityContext ?? {};
        if (sc.readOnlyRootFilesystem !== true) {
            problems.push(`${c.name}: root filesystem writable`);
        }
        if (!(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0)) {
            problems.push(`${c.name}: no explicit non-root uid`);
        }
        for (const kind of ["requests", "limits"]) {
            for (const resource of ["cpu", "memory"]) {
                if (!c.resources?.[kind]?.[resource]) {
                    problems.push(`${c.name}: no ${resource} ${kind.replace(/s$/, "")}`);
                }
            }
        }
        for (const probe of ["readinessProbe", "livenessProbe"]) {
            if (!c[probe]) {
                problems.push(`${c.name}: no ${probe}`);
            }
        }
        if (!pinned(c.image)) {
            problems.push(`${c.name}: image ${c.image} not pinned`);
        }
        if ((c.env ?? []).some((e: Pod) => /secret|password|token|key/i.test(e.name) && e.value !== undefined)) {
            problems.push(`${c.name}: secret-looking env literal`);
        }
    }
    return problems;
}

/** A tag that is not `latest` (or a digest). */
function pinned(image: string): boolean {
    const digest = /@sha256:[0-9a-f]{64}$/.test(image);
    const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(image.replace(/^[^/]*\//, ""));
    return digest || (tag !== null && tag[1] !== "latest");
}

const podOf = (d: Deployment): Pod => JSON.parse(JSON.stringify(d.spec.template)).spec;

/**
 * Security contexts and volumes Istio's sidecar injector adds (manifests/charts/istio-control/istio-discovery/files/
 * injection-template.yaml, 1.24.3 and 1.30.3, default values), to prove the namespace level per sidecar mode.
 */
const injected = {
    istioInit: {
        name: "istio-init",
        securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
            readOnlyRootFilesystem: false,
            runAsGroup: 0,
            runAsNonRoot: false,
            runAsUser: 0,
        },
    },
    istioValidation: {
        name: "istio-validation",
        securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: ["ALL"] },
            readOnlyRootFilesystem: true,
            runAsGroup: 1337,
            runAsUser: 1337,
            runAsNonRoot: true,
        },
    },
    istioProxy: {
        name: "istio-proxy",
        securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            runAsUser: 1337,
            runAsGroup: 1337,
        },
    },
    volumes: [
        { name: "workload-socket", emptyDir: {} },
        { name: "credential-socket", emptyDir: {} },
        { name: "workload-certs", emptyDir: {} },
        { name: "istio-envoy", emptyDir: { medium: "Memory" } },
        { name: "istio-data", emptyDir: {} },
        { name: "istio-podinfo", downwardAPI: { items: [] } },
        {
            name: "istio-token",
            projected: { sources: [{ serviceAccountToken: { path: "istio-token", expirationSeconds: 43200, audience: "istio-ca" } }] },
        },
        { name: "istiod-ca-cert", configMap: { name: "istio-ca-root-cert" } },
    ],
};

function inject(pod: Pod, mode: SidecarInit): Pod {
    return {
        ...pod,
        initContainers: [mode === "istio-init" ? injected.istioInit : injected.istioValidation],
        containers: [...pod.containers, injected.istioProxy],
        volumes: [...(pod.volumes ?? []), ...injected.volumes],
    };
}

// --- inputs ---

// No digests (versions.json imageDigests may get filled): these tests pin the exact tagged references.
const base: SampleInput = { sidecarInit: "istio-cni", pullSecret: false, digests: {} };
const ingress: IngressInput = {
    host: "httpbin.zta.example.org",
    credentialName: "httpbin-tls",
    namespace: "istio-system",
    issuer: "https://keycloak.zta.lab:8443/realms/zta",
    audiences: ["zta-ingress"],
    jwksUri: "https://keycloak.zta.lab:8443/realms/zta/protocol/openid-connect/certs",
};
const publicJwks = JSON.stringify({ keys: [{ kty: "RSA", kid: "k1", use: "sig", alg: "RS256", n: "sXch", e: "AQAB" }] });

describe("images", () => {
    test("upstream by default: the tags Istio's samples pin", () => {
        expect(sampleImages(undefined, {})).toEqual({
            helloworldV1: "docker.io/istio/examples-helloworld-v1:1.0",
            helloworldV2: "docker.io/istio/examples-helloworld-v2:1.0",
            httpbin: "docker.io/mccutchen/go-httpbin:v2.15.0",
            curl: "docker.io/curlimages/curl:8.16.0",
        });
        expect(sampleImageTags).toEqual({ helloworld: "1.0", httpbin: "v2.15.0", curl: "8.16.0" });
    });

    test("from a private mirror: <registry>/<repo>:<tag>", () => {
        expect(sampleImages("10.5.0.2:5000/istio", {})).toEqual({
            helloworldV1: "10.5.0.2:5000/istio/examples-helloworld-v1:1.0",
            helloworldV2: "10.5.0.2:5000/istio/examples-helloworld-v2:1.0",
            httpbin: "10.5.0.2:5000/istio/go-httpbin:v2.15.0",
            curl: "10.5.0.2:5000/istio/curl:8.16.0",
        });
    });

    test.each([undefined, "10.5.0.2:5000/istio", "registry.zta.lab"])("every image is pinned (registry %s)", (registry) => {
        for (const image of Object.values(sampleImages(registry))) {
            expect([image, pinned(image)]).toEqual([image, true]);
            expect(image).not.toMatch(/:latest$/);
        }
        // The pin check itself works.
        expect(pinned("docker.io/curlimages/curl")).toBe(false);
        expect(pinned("docker.io/curlimages/curl:latest")).toBe(false);
        expect(pinned("10.5.0.2:5000/curl")).toBe(false);
        expect(pinned("10.5.0.2:5000/curl@sha256:" + "a".repeat(64))).toBe(true);
    });

    test.each(["https://10.5.0.2:5000/istio", "10.5.0.2:5000/istio/", "Registry.example/istio", "10.5.0.2:5000/istio:1.0", ""])(
        "rejects registry %j",
        (registry) => {
            expect(() => sampleImages(registry)).toThrow(/^registry: /);
        },
    );
});

describe("Pod Security level of the sample namespace", () => {
    test("istio-init → privileged, istio-cni → restricted", () => {
        expect(samplePsaLevel("istio-init")).toBe("privileged");
        expect(samplePsaLevel("istio-cni")).toBe("restricted");
        expect(() => samplePsaLevel("ambient" as SidecarInit)).toThrow(/^sidecarInit: /);
    });

    test("namespace: injection on, PSA labels from the sidecar mode", () => {
        for (const [mode, level] of [
            ["istio-cni", "restricted"],
            ["istio-init", "privileged"],
        ] as [SidecarInit, string][]) {
            expect(sampleObjects({ ...base, sidecarInit: mode }).namespace).toEqual({
                apiVersion: "v1",
                kind: "Namespace",
                metadata: {
                    name: "sample",
                    labels: {
                        "istio-injection": "enabled",
                        "pod-security.kubernetes.io/enforce": level,
                        "pod-security.kubernetes.io/enforce-version": "latest",
                        "pod-security.kubernetes.io/audit": level,
                        "pod-security.kubernetes.io/audit-version": "latest",
                        "pod-security.kubernetes.io/warn": level,
                        "pod-security.kubernetes.io/warn-version": "latest",
                    },
                },
            });
        }
    });

    test("why: with istio-init even baseline refuses the pod (NET_ADMIN, NET_RAW); with istio-cni restricted admits it", () => {
        for (const d of sampleObjects(base).deployments) {
            const withInit = inject(podOf(d), "istio-init");
            expect(baselineProblems(withInit)).toEqual(["istio-init: adds NET_ADMIN", "istio-init: adds NET_RAW"]);
            const withCni = inject(podOf(d), "istio-cni");
            expect(restrictedProblems(withCni)).toEqual([]);
            // It relies on our pod-level seccomp profile: the injected containers set none.
            const noSeccomp = { ...withCni, securityContext: { runAsNonRoot: true } };
            expect(restrictedProblems(noSeccomp)).toEqual(
                expect.arrayContaining(["istio-validation: seccomp undefined", "istio-proxy: seccomp undefined"]),
            );
        }
    });
});

const helloworldV1 = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "helloworld-v1", namespace: "sample", labels: { app: "helloworld", version: "v1" } },
    spec: {
        replicas: 1,
        selector: { matchLabels: { app: "helloworld", version: "v1" } },
        template: {
            metadata: { labels: { app: "helloworld", version: "v1" } },
            spec: {
                serviceAccountName: "helloworld",
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                    {
                        name: "helloworld",
                        image: "docker.io/istio/examples-helloworld-v1:1.0",
                        imagePullPolicy: "IfNotPresent",
                        ports: [{ name: "http", containerPort: 5000, protocol: "TCP" }],
                        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                        readinessProbe: {
                            httpGet: { path: "/health", port: 5000 },
                            periodSeconds: 10,
                            timeoutSeconds: 3,
                            failureThreshold: 3,
                        },
                        livenessProbe: {
                            httpGet: { path: "/health", port: 5000 },
                            periodSeconds: 20,
                            timeoutSeconds: 3,
                            failureThreshold: 3,
                        },
                        securityContext: {
                            allowPrivilegeEscalation: false,
                            capabilities: { drop: ["ALL"] },
                            privileged: false,
                            readOnlyRootFilesystem: true,
                            runAsNonRoot: true,
                            runAsUser: 65534,
                            runAsGroup: 65534,
                        },
                        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                    },
                ],
                volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
            },
        },
    },
};

describe("sample objects (exact)", () => {
    const objects = sampleObjects(base);

    test("one ServiceAccount per workload, no token; one helloworld Service over both versions; httpbin 8000 → 8080", () => {
        expect(objects.serviceAccounts).toEqual(
            ["helloworld", "curl", "httpbin"].map((name) => ({
                apiVersion: "v1",
                kind: "ServiceAccount",
                metadata: { name, namespace: "sample" },
                automountServiceAccountToken: false,
            })),
        );
        expect(objects.services).toEqual([
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "helloworld", namespace: "sample", labels: { app: "helloworld", service: "helloworld" } },
                spec: { selector: { app: "helloworld" }, ports: [{ name: "http", port: 5000, targetPort: 5000, protocol: "TCP" }] },
            },
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "httpbin", namespace: "sample", labels: { app: "httpbin", service: "httpbin" } },
                spec: { selector: { app: "httpbin" }, ports: [{ name: "http", port: 8000, targetPort: 8080, protocol: "TCP" }] },
            },
        ]);
    });

    test("helloworld-v1, exactly; v2 differs only in version and image", () => {
        expect(objects.deployments.map((d) => d.metadata.name)).toEqual(["helloworld-v1", "helloworld-v2", "curl", "httpbin"]);
        expect(objects.deployments[0]).toEqual(helloworldV1);
        const v2 = JSON.stringify(objects.deployments[1]);
        expect(JSON.parse(v2.replace(/v2/g, "v1"))).toEqual(helloworldV1);
    });

    test("curl client and httpbin containers, exactly", () => {
        const [curl, httpbin] = [podOf(objects.deployments[2]), podOf(objects.deployments[3])];
        expect(curl.containers).toEqual([
            {
                name: "curl",
                image: "docker.io/curlimages/curl:8.16.0",
                imagePullPolicy: "IfNotPresent",
                command: ["/bin/sleep", "infinity"],
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
                readinessProbe: { exec: { command: ["curl", "--version"] }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
                livenessProbe: { exec: { command: ["curl", "--version"] }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
                securityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"] },
                    privileged: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    runAsUser: 100,
                    runAsGroup: 101,
                },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
        ]);
        expect(curl.serviceAccountName).toBe("curl");
        expect(httpbin.containers).toEqual([
            {
                name: "httpbin",
                image: "docker.io/mccutchen/go-httpbin:v2.15.0",
                imagePullPolicy: "IfNotPresent",
                ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
                resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                readinessProbe: { httpGet: { path: "/status/200", port: 8080 }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
                livenessProbe: { httpGet: { path: "/status/200", port: 8080 }, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 },
                securityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"] },
                    privileged: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    runAsUser: 65532,
                    runAsGroup: 65532,
                },
            },
        ]);
        expect(httpbin.volumes).toBeUndefined();
        expect(httpbin.serviceAccountName).toBe("httpbin");
    });

    test("per cluster: chosen helloworld versions, optional httpbin, the Service always", () => {
        const v2only = sampleObjects({ ...base, helloworldVersions: ["v2"], httpbin: false });
        expect(v2only.deployments.map((d) => d.metadata.name)).toEqual(["helloworld-v2", "curl"]);
        expect(v2only.services.map((s) => s.metadata.name)).toEqual(["helloworld"]);
        expect(v2only.serviceAccounts.map((s) => s.metadata.name)).toEqual(["helloworld", "curl"]);
        const none = sampleObjects({ ...base, helloworldVersions: [], httpbin: false });
        expect(none.deployments.map((d) => d.metadata.name)).toEqual(["curl"]);
        expect(none.services.map((s) => s.metadata.name)).toEqual(["helloworld"]);
    });

    test("pull secret and mirror: imagePullSecrets on every pod, images from the mirror", () => {
        const mirrored = sampleObjects({ ...base, registry: "10.5.0.2:5000/istio", pullSecret: true });
        for (const d of mirrored.deployments) {
            const pod = podOf(d);
            expect(pod.imagePullSecrets).toEqual([{ name: pullSecretName }]);
            expect(pod.containers[0].image).toMatch(/^10\.5\.0\.2:5000\/istio\//);
        }
        for (const d of objects.deployments) {
            expect(podOf(d).imagePullSecrets).toBeUndefined();
        }
    });

    test.each([
        ["an unknown version", { helloworldVersions: ["v3" as "v1"] }, /^helloworldVersions\[0\]: /],
        ["a duplicate version", { helloworldVersions: ["v1", "v1"] as ("v1" | "v2")[] }, /^helloworldVersions\[1\]: duplicate/],
        ["a non-boolean pullSecret", { pullSecret: "yes" as unknown as boolean }, /^pullSecret: /],
        ["an unknown sidecar mode", { sidecarInit: "ambient" as SidecarInit }, /^sidecarInit: /],
        ["a bad registry", { registry: "http://x" }, /^registry: /],
    ] as [string, Partial<SampleInput>, RegExp][])("rejects %s, naming the field", (_, change, message) => {
        expect(() => sampleObjects({ ...base, ...change })).toThrow(message);
    });
});

describe("every pod template: PSS restricted and the hardening extras", () => {
    const all = [
        sampleObjects(base),
        sampleObjects({ ...base, sidecarInit: "istio-init", registry: "10.5.0.2:5000/istio", pullSecret: true }),
    ].flatMap((o) => o.deployments);

    test.each(all.map((d, i) => [`${d.metadata.name} #${i}`, d] as [string, Deployment]))("%s", (_, d) => {
        const pod = podOf(d);
        expect(restrictedProblems(pod)).toEqual([]);
        expect(hardeningProblems(pod)).toEqual([]);
        expect(pod.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
        expect(d.spec.selector).toEqual({ matchLabels: d.spec.template.metadata.labels });
    });

    test("the checks catch seeded violations (they can fail)", () => {
        const pod = podOf(all[0]);
        const c = pod.containers[0];
        const withContainer = (sc: Pod, extra: Pod = {}): Pod => ({
            ...pod,
            containers: [{ ...c, ...extra, securityContext: { ...c.securityContext, ...sc } }],
        });
        expect(restrictedProblems(withContainer({ privileged: true }))).toContain("helloworld: privileged");
        expect(restrictedProblems(withContainer({ allowPrivilegeEscalation: true }))).toContain(
            "helloworld: allowPrivilegeEscalation not false",
        );
        expect(restrictedProblems(withContainer({ capabilities: { drop: [] } }))).toContain("helloworld: does not drop ALL");
        expect(restrictedProblems(withContainer({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }))).toEqual([
            "helloworld: adds SYS_ADMIN",
            "helloworld: restricted forbids adding SYS_ADMIN",
        ]);
        expect(restrictedProblems(withContainer({ runAsNonRoot: false, runAsUser: 0 }))).toEqual([
            "helloworld: runAsNonRoot not true",
            "helloworld: runAsUser 0",
        ]);
        expect(restrictedProblems(withContainer({ seccompProfile: { type: "Unconfined" } }))).toContain("helloworld: seccomp Unconfined");
        expect(restrictedProblems({ ...pod, hostNetwork: true })).toEqual(["hostNetwork"]);
        expect(restrictedProblems({ ...pod, volumes: [{ name: "h", hostPath: { path: "/" } }] })).toEqual([
            "volume h: hostPath",
            "volume h: type hostPath",
        ]);
        expect(restrictedProblems(withContainer({}, { ports: [{ containerPort: 5000, hostPort: 5000 }] }))).toEqual([
            "helloworld: hostPort",
        ]);
        expect(hardeningProblems(withContainer({ readOnlyRootFilesystem: false }))).toEqual(["helloworld: root filesystem writable"]);
        expect(hardeningProblems(withContainer({}, { image: "docker.io/istio/examples-helloworld-v1:latest" }))).toEqual([
            "helloworld: image docker.io/istio/examples-helloworld-v1:latest not pinned",
        ]);
        expect(hardeningProblems(withContainer({}, { resources: { requests: { cpu: "1" } }, livenessProbe: undefined }))).toEqual([
            "helloworld: no memory request",
            "helloworld: no cpu limit",
            "helloworld: no memory limit",
            "helloworld: no livenessProbe",
        ]);
        expect(hardeningProblems(withContainer({}, { env: [{ name: "DB_PASSWORD", value: "hunter2" }] }))).toEqual([
            "helloworld: secret-looking env literal",
        ]);
        expect(hardeningProblems({ ...pod, automountServiceAccountToken: undefined, serviceAccountName: "default" })).toEqual([
            "automountServiceAccountToken not false",
            "no dedicated service account",
        ]);
    });
});

describe("sample AuthorizationPolicies", () => {
    test("exactly two ALLOWs: curl → helloworld GET /hello on 5000; the ingress gateway → httpbin", () => {
        expect(sampleAuthorizationPolicies("zta.example", "istio-ingress")).toEqual([
            {
                apiVersion: "security.istio.io/v1",
                kind: "AuthorizationPolicy",
                metadata: { name: "helloworld", namespace: "sample" },
                spec: {
                    selector: { matchLabels: { app: "helloworld" } },
                    action: "ALLOW",
                    rules: [
                        {
                            from: [{ source: { principals: ["zta.example/ns/sample/sa/curl"] } }],
                            to: [{ operation: { ports: ["5000"], methods: ["GET"], paths: ["/hello"] } }],
                        },
                    ],
                },
            },
            {
                apiVersion: "security.istio.io/v1",
                kind: "AuthorizationPolicy",
                metadata: { name: "httpbin", namespace: "sample" },
                spec: {
                    selector: { matchLabels: { app: "httpbin" } },
                    action: "ALLOW",
                    rules: [
                        {
                            from: [{ source: { principals: ["zta.example/ns/istio-ingress/sa/istio-ingressgateway"] } }],
                            to: [{ operation: { ports: ["8080"] } }],
                        },
                    ],
                },
            },
        ]);
        expect(JSON.stringify(sampleAuthorizationPolicies("cluster.local", "istio-ingress"))).not.toContain("spiffe://");
        expect(() => sampleAuthorizationPolicies("spiffe://cluster.local", "istio-ingress")).toThrow(
            /^trustDomain: must not start with "spiffe:\/\/"/,
        );
    });

    test("the policies' workloads and ports exist in the sample objects", () => {
        const objects = sampleObjects(base);
        for (const p of sampleAuthorizationPolicies("cluster.local", "istio-ingress")) {
            const pods = objects.deployments
                .filter((d) => d.spec.template.metadata.labels.app === p.spec.selector?.matchLabels.app)
                .map(podOf);
            expect(pods.length).toBeGreaterThan(0);
            const ports = pods.flatMap((pod) =>
                pod.containers.flatMap((c: Pod) => (c.ports ?? []).map((x: Pod) => String(x.containerPort))),
            );
            expect(ports).toEqual(expect.arrayContaining([...(p.spec.rules?.[0].to?.[0].operation.ports ?? [])]));
        }
    });
});

describe("sample NetworkPolicies", () => {
    test("default deny plus the named allows, mirroring the AuthorizationPolicies", () => {
        const policies = sampleNetworkPolicies({
            ingressNamespace: "istio-ingress",
            remoteGatewayAddresses: ["192.0.2.10"],
        });
        expect(policies.map((p) => p.metadata.name)).toEqual([
            "default-deny",
            "allow-dns-egress",
            "allow-istiod-egress",
            "allow-app-traffic",
            "allow-from-eastwest-gateway",
            "allow-from-ingress-gateway",
            "allow-cross-network-egress",
        ]);
        expect(policies.every((p) => p.metadata.namespace === "sample")).toBe(true);
        expect(policies[3].spec.ingress).toEqual([{ from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 5000 }] }]);
        expect(policies[5].spec).toEqual({
            podSelector: { matchLabels: { app: "httpbin" } },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            // The ingress gateway runs in its own namespace.
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-ingress" } },
                            podSelector: { matchLabels: { istio: "ingressgateway", app: "istio-ingressgateway" } },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 8080 }],
                },
            ],
        });
        expect(
            sampleNetworkPolicies({ ingressNamespace: "istio-ingress", remoteGatewayAddresses: [] }).map((p) => p.metadata.name),
        ).not.toContain("allow-cross-network-egress");
    });
});

describe("JWT ingress", () => {
    const objects = ingressObjects(ingress);

    test("the ingress gateway's egress (derived from the policies that admit it) is exactly its route's backend: the Service's pods and target port", () => {
        const routes = objects.virtualService.spec.http.flatMap((h) => h.route.map((r) => r.destination));
        const services = sampleObjects(base).services;
        const backends = routes.map((d) => {
            const svc = services.find((s) => d.host === `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`)!;
            const port = svc.spec.ports.find((p) => p.port === d.port.number)!;
            return { namespace: svc.metadata.namespace, podLabels: svc.spec.selector, ports: [port.targetPort] };
        });
        expect(backends).toEqual([{ namespace: "sample", podLabels: { app: "httpbin" }, ports: [8080] }]);
        expect(sampleGatewayDestinations(ingress.namespace).ingress).toEqual(backends);
    });

    test("Gateway: HTTPS with the credential, HTTP only redirects; route to httpbin by FQDN", () => {
        expect(objects.gateway).toEqual({
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "sample-ingress", namespace: "istio-system" },
            spec: {
                selector: { istio: "ingressgateway" },
                servers: [
                    {
                        port: { number: 443, name: "https", protocol: "HTTPS" },
                        hosts: ["httpbin.zta.example.org"],
                        tls: { mode: "SIMPLE", credentialName: "httpbin-tls", minProtocolVersion: "TLSV1_2" },
                    },
                    {
                        port: { number: 80, name: "http", protocol: "HTTP" },
                        hosts: ["httpbin.zta.example.org"],
                        tls: { httpsRedirect: true },
                    },
                ],
            },
        });
        expect(objects.virtualService).toEqual({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "httpbin", namespace: "istio-system" },
            spec: {
                hosts: ["httpbin.zta.example.org"],
                gateways: ["istio-system/sample-ingress"],
                exportTo: ["."],
                http: [
                    {
                        match: [{ uri: { exact: "/headers" } }, { uri: { exact: "/get" } }, { uri: { prefix: "/status/" } }],
                        route: [{ destination: { host: "httpbin.sample.svc.cluster.local", port: { number: 8000 } } }],
                    },
                ],
            },
        });
    });

    test("RequestAuthentication on the ingress gateway, paired with an ALLOW on requestPrincipals", () => {
        expect(objects.requestAuthentication).toEqual({
            apiVersion: "security.istio.io/v1",
            kind: "RequestAuthentication",
            metadata: { name: "ingress-jwt", namespace: "istio-system" },
            spec: {
                selector: { matchLabels: { istio: "ingressgateway" } },
                jwtRules: [
                    {
                        issuer: "https://keycloak.zta.lab:8443/realms/zta",
                        audiences: ["zta-ingress"],
                        fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
                        jwksUri: "https://keycloak.zta.lab:8443/realms/zta/protocol/openid-connect/certs",
                    },
                ],
            },
        });
        expect(objects.authorizationPolicy).toEqual({
            apiVersion: "security.istio.io/v1",
            kind: "AuthorizationPolicy",
            metadata: { name: "ingress-require-jwt", namespace: "istio-system" },
            spec: {
                selector: { matchLabels: { istio: "ingressgateway" } },
                action: "ALLOW",
                rules: [
                    {
                        from: [{ source: { requestPrincipals: ["https://keycloak.zta.lab:8443/realms/zta/*"] } }],
                        to: [
                            {
                                operation: {
                                    hosts: ["httpbin.zta.example.org", "httpbin.zta.example.org:443"],
                                    ports: ["443"],
                                    methods: ["GET", "HEAD"],
                                    paths: ["/headers", "/get", "/status/*"],
                                },
                            },
                        ],
                    },
                    {
                        to: [
                            {
                                operation: {
                                    hosts: ["httpbin.zta.example.org", "httpbin.zta.example.org:80"],
                                    ports: ["80"],
                                    methods: ["GET", "HEAD"],
                                },
                            },
                        ],
                    },
                ],
            },
        });
        const inline = ingressObjects({ ...ingress, jwksUri: undefined, jwks: publicJwks }).requestAuthentication.spec.jwtRules[0];
        expect(inline).toEqual({
            issuer: ingress.issuer,
            audiences: ["zta-ingress"],
            fromHeaders: [{ name: "Authorization", prefix: "Bearer " }],
            jwks: publicJwks,
        });
    });

    test("tokens are taken from the Authorization header only (fromHeaders set, so not from ?access_token=; no fromParams)", () => {
        for (const variant of [objects, ingressObjects({ ...ingress, jwksUri: undefined, jwks: publicJwks })]) {
            for (const rule of variant.requestAuthentication.spec.jwtRules) {
                expect(rule.fromHeaders).toEqual([{ name: "Authorization", prefix: "Bearer " }]);
                expect(rule).not.toHaveProperty("fromParams");
                expect(rule).not.toHaveProperty("fromCookies");
            }
        }
    });

    test("the ALLOW admits a token holder only to the ingress's host and read-only API on 443; port 80 only GET/HEAD for the redirect", () => {
        const rules = objects.authorizationPolicy.spec.rules ?? [];
        for (const rule of rules) {
            // Every rule limits the operation: no rule admits any host, method or path on any port.
            expect(rule.to?.length).toBeGreaterThan(0);
            for (const t of rule.to ?? []) {
                expect(t.operation.hosts).toEqual(expect.arrayContaining(["httpbin.zta.example.org"]));
                expect(t.operation.methods).toEqual(["GET", "HEAD"]);
                expect(t.operation.ports).toHaveLength(1);
            }
        }
        const withToken = rules.filter((r) => r.from?.some((f) => f.source.requestPrincipals?.length));
        expect(withToken.map((r) => r.to?.[0].operation.ports)).toEqual([["443"]]);
        const withoutSource = rules.filter((r) => r.from === undefined);
        expect(withoutSource.map((r) => r.to?.[0].operation)).toEqual([
            { hosts: ["httpbin.zta.example.org", "httpbin.zta.example.org:80"], ports: ["80"], methods: ["GET", "HEAD"] },
        ]);
        // The route serves exactly the paths the ALLOW admits.
        const routed = objects.virtualService.spec.http.flatMap((h) =>
            h.match.map((m) => ("exact" in m.uri ? m.uri.exact : `${m.uri.prefix}*`)),
        );
        expect(routed).toEqual(withToken[0].to?.[0].operation.paths);
    });

    test("expectations for the verification layer: valid 200, no token 403, bad token 401, plain HTTP 301", () => {
        expect(ingressExpectations).toEqual({ validToken: 200, missingToken: 403, invalidToken: 401, plainHttpRedirect: 301 });
    });

    const sampleJwks = JSON.stringify({ keys: [{ e: "AQAB", kid: "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ", kty: "RSA", n: "xAE7" }] });
    test.each([
        ["an http JWKS URL", { jwksUri: "http://keycloak.zta.lab/realms/zta/protocol/openid-connect/certs" }, /^jwksUri: /],
        ["both jwksUri and jwks", { jwks: publicJwks }, /^jwksUri: set exactly one/],
        ["neither jwksUri nor jwks", { jwksUri: undefined }, /^jwksUri: set exactly one/],
        ["Istio's sample issuer", { issuer: "testing@secure.istio.io" }, /^issuer: .*sample issuer/],
        [
            "Istio's sample JWKS URL",
            { jwksUri: "https://raw.githubusercontent.com/istio/istio/release-1.24/security/tools/jwt/samples/jwks.json" },
            /^jwksUri: .*sample/,
        ],
        ["Istio's sample key inline", { jwksUri: undefined, jwks: sampleJwks }, /^jwks\.keys\[0\]: is Istio's sample key/],
        [
            "a private key inline",
            { jwksUri: undefined, jwks: JSON.stringify({ keys: [{ kty: "RSA", n: "x", e: "AQAB", d: "secret" }] }) },
            /^jwks\.keys\[0\]: holds private/,
        ],
        [
            "a symmetric key inline",
            { jwksUri: undefined, jwks: JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }] }) },
            /^jwks\.keys\[0\]: holds private or symmetric/,
        ],
        ["an empty key set", { jwksUri: undefined, jwks: '{"keys":[]}' }, /^jwks: /],
        ["JWKS that is not JSON", { jwksUri: undefined, jwks: "not json" }, /^jwks: /],
        ["an http issuer", { issuer: "http://keycloak.zta.lab/realms/zta" }, /^issuer: /],
        ["no audiences", { audiences: [] }, /^audiences: /],
        ["a blank audience", { audiences: [" "] }, /^audiences\[0\]: /],
        ["a wildcard host", { host: "*.zta.example.org" }, /^host: /],
        ["a bare wildcard host", { host: "*" }, /^host: /],
        ["a host with a port", { host: "httpbin.zta.example.org:443" }, /^host: /],
        ["a bad credential name", { credentialName: "Httpbin_TLS" }, /^credentialName: /],
        ["a bad namespace", { namespace: "Istio-System" }, /^namespace: /],
    ] as [string, Partial<IngressInput>, RegExp][])("rejects %s, naming the field", (_, change, message) => {
        expect(() => ingressObjects({ ...ingress, ...change })).toThrow(message);
    });
});

describe.each(istioVersions)("Istio %s CRD schemas (v1)", (version) => {
    const inline = ingressObjects({ ...ingress, jwksUri: undefined, jwks: publicJwks });
    const cases: [string, string, { spec: unknown }][] = [
        ["Gateway", "gateways.networking.istio.io", ingressObjects(ingress).gateway],
        ["VirtualService", "virtualservices.networking.istio.io", ingressObjects(ingress).virtualService],
        ["RequestAuthentication (jwksUri)", "requestauthentications.security.istio.io", ingressObjects(ingress).requestAuthentication],
        ["RequestAuthentication (inline jwks)", "requestauthentications.security.istio.io", inline.requestAuthentication],
        ["ingress AuthorizationPolicy", "authorizationpolicies.security.istio.io", ingressObjects(ingress).authorizationPolicy],
        ...sampleAuthorizationPolicies("cluster.local", "istio-ingress").map((p): [string, string, { spec: unknown }] => [
            `AuthorizationPolicy ${p.metadata.name}`,
            "authorizationpolicies.security.istio.io",
            p,
        ]),
    ];

    test.each(cases)("%s satisfies the schema and sets no undeclared field", (_, crd, object) => {
        expect(v1Of(version, crd)).toMatchObject({ served: true });
        expect(check(validator(version, crd), object)).toEqual([true, null]);
        expect(undeclaredPaths(v1Of(version, crd).schema.openAPIV3Schema.properties.spec, object.spec)).toEqual([]);
    });

    test("seeded invalid objects are rejected (the check can fail)", () => {
        const { gateway, virtualService, requestAuthentication } = ingressObjects(ingress);
        const gw = validator(version, "gateways.networking.istio.io");
        const badTls = { ...gateway, spec: { ...gateway.spec, servers: [{ ...gateway.spec.servers[0], tls: { mode: "SIMPLEST" } }] } };
        expect(check(gw, badTls)[0]).toBe(false);
        expect(gw.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/servers/0/tls/mode", keyword: "enum" }));
        expect(check(gw, { ...gateway, spec: { ...gateway.spec, servers: [{ ...gateway.spec.servers[0], hosts: undefined }] } })[0]).toBe(
            false,
        );

        const vs = validator(version, "virtualservices.networking.istio.io");
        const badPort = {
            ...virtualService,
            spec: { ...virtualService.spec, http: [{ route: [{ destination: { host: "h", port: { number: "8000" } } }] }] },
        };
        expect(check(vs, badPort)[0]).toBe(false);
        expect(vs.errors).toContainEqual(
            expect.objectContaining({ instancePath: "/spec/http/0/route/0/destination/port/number", keyword: "type" }),
        );

        const ra = validator(version, "requestauthentications.security.istio.io");
        expect(check(ra, { ...requestAuthentication, spec: { ...requestAuthentication.spec, jwtRules: { issuer: "x" } } })[0]).toBe(false);
        expect(ra.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/jwtRules", keyword: "type" }));
        // 1.24.3 requires issuer, 1.30.3 no longer does; both refuse an empty one.
        expect(check(ra, { ...requestAuthentication, spec: { ...requestAuthentication.spec, jwtRules: [{ issuer: "" }] } })[0]).toBe(false);
        expect(ra.errors).toContainEqual(expect.objectContaining({ instancePath: "/spec/jwtRules/0/issuer", keyword: "minLength" }));
        // A misspelt field would be pruned silently; the undeclared-field check catches it.
        const typo = { spec: { jwtRules: [{ issuer: "x", jwks_url: "https://x" }] } };
        expect(
            undeclaredPaths(v1Of(version, "requestauthentications.security.istio.io").schema.openAPIV3Schema.properties.spec, typo.spec),
        ).toEqual(["jwtRules.0.jwks_url"]);
    });
});
