/** planProcess and its helpers (sim/runtime/plan.ts) turn a pod into the process a kubelet would start, and wait for what is missing. */
import {
    PlanContext,
    PlanResult,
    ProcessPlan,
    VolumePlan,
    appProbe,
    expand,
    planProcess,
    quantity,
    tokenKey,
    tokenNeeds,
} from "../../sim/runtime/plan";
import { Container, DataSource, Pod, Volume, configMapSource, secretSource } from "../../sim/runtime/pod";

const source = (resourceVersion: string, data: Record<string, string>): DataSource => ({
    resourceVersion,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])),
});

function context(o: Partial<PlanContext> = {}): PlanContext {
    return {
        secrets: new Map([
            ["cacerts", source("11", { "ca-cert.pem": "CA", "ca-key.pem": "KEY" })],
            ["db", source("12", { password: "s3cret", user: "app" })],
        ]),
        configMaps: new Map([
            ["istio", source("21", { mesh: "trustDomain: cluster.local", meshNetworks: "networks: {}" })],
            ["kube-root-ca.crt", source("22", { "ca.crt": "ROOT" })],
            ["settings", source("23", { LOG_LEVEL: "debug", MODE: "cm" })],
        ]),
        tokens: new Map([
            ["istio-ca|43200", "istio-token"],
            ["|3607", "api-token"],
        ]),
        apiServer: { host: "172.18.0.2", port: 6443 },
        nodeAllocatable: { cpu: "2", memory: "4Gi" },
        entrypoint: "/usr/local/bin/pilot-discovery",
        extraArgs: ["--httpAddr=10.10.0.5:8080"],
        ...o,
    };
}

function podWith(container: Partial<Container>, spec: Partial<Pod["spec"]> = {}): Pod {
    return {
        metadata: {
            name: "istiod-6d8f9-xyz",
            namespace: "istio-system",
            uid: "uid-1",
            labels: { app: "istiod", "topology.istio.io/network": "net1" },
            annotations: { "sidecar.istio.io/inject": "false" },
        },
        spec: {
            nodeName: "zta-sim-1-worker",
            serviceAccountName: "istiod",
            containers: [
                { name: "discovery", ...container },
                { name: "sidecar", resources: { limits: { cpu: "500m", memory: "256Mi" } } },
            ],
            ...spec,
        },
        status: { podIP: "10.10.0.5", hostIP: "172.18.0.3" },
    };
}

function planOf(r: PlanResult): ProcessPlan {
    if (!("plan" in r)) {
        throw new Error(`expected a plan, got waiting: ${r.waiting}`);
    }
    return r.plan;
}
const waitingOf = (r: PlanResult): string => ("waiting" in r ? r.waiting : `a plan: ${JSON.stringify(r.plan.argv)}`);
const plan = (container: Partial<Container>, spec: Partial<Pod["spec"]> = {}, ctx = context()) =>
    planOf(planProcess(podWith(container, spec), "discovery", ctx));
const envOf = (env: Container["env"], ctx = context()) => plan({ env }, {}, ctx).env;
const text = (v: VolumePlan) => v.files.map((f) => ({ path: f.path, content: f.content.toString(), mode: f.mode.toString(8) }));

describe("quantity", () => {
    test("decimal and binary suffixes, milli, plain numbers", () => {
        expect(quantity("250m")).toBe(0.25);
        expect(quantity("2")).toBe(2);
        expect(quantity("1.5")).toBe(1.5);
        expect(quantity("1k")).toBe(1000);
        expect(quantity("128Mi")).toBe(128 * 1024 * 1024);
        expect(quantity("4Gi")).toBe(4 * 1024 ** 3);
        expect(quantity("1G")).toBe(1e9);
        expect(quantity(" 3Ki ")).toBe(3072);
        expect(quantity(7)).toBe(7);
    });
    test("not a quantity, or an unknown unit: an error", () => {
        expect(() => quantity("lots")).toThrow("not a quantity: lots");
        expect(() => quantity("-1")).toThrow("not a quantity");
        expect(() => quantity("1Xi")).toThrow("unknown quantity unit in 1Xi");
    });
});

describe("expand: the kubelet's $(VAR) expansion", () => {
    const env = { POD_NAME: "istiod-1", EMPTY: "", "A.B-c": "dotted" };
    test("defined names are replaced, also by an empty value", () => {
        expect(expand("--name=$(POD_NAME).$(EMPTY)x", env)).toBe("--name=istiod-1.x");
        expect(expand("$(A.B-c)", env)).toBe("dotted");
    });
    test("undefined names, unclosed references and lone dollars stay as written", () => {
        expect(expand("$(NOPE)", env)).toBe("$(NOPE)");
        expect(expand("$(POD_NAME", env)).toBe("$(POD_NAME");
        expect(expand("cost: $5 $POD_NAME", env)).toBe("cost: $5 $POD_NAME");
    });
    test("$$ escapes: $$(POD_NAME) is the literal $(POD_NAME)", () => {
        expect(expand("$$(POD_NAME)", env)).toBe("$(POD_NAME)");
        expect(expand("$$$(POD_NAME)", env)).toBe("$istiod-1");
        expect(expand("a$$b", env)).toBe("a$b");
    });
});

describe("tokenNeeds and tokenKey", () => {
    const projected = (sources: NonNullable<Volume["projected"]>["sources"]): Volume => ({ name: "v", projected: { sources } });
    test("every projected token, deduplicated, with the kube-api-access defaults", () => {
        const pod = podWith(
            {},
            {
                volumes: [
                    projected([{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 43200, path: "istio-token" } }]),
                    projected([{ serviceAccountToken: { path: "token" } }, { configMap: { name: "kube-root-ca.crt" } }]),
                    projected([{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 43200, path: "again" } }]),
                    { name: "e", emptyDir: {} },
                ],
            },
        );
        expect(tokenNeeds(pod)).toEqual([
            { audience: "istio-ca", expirationSeconds: 43200 },
            { audience: "", expirationSeconds: 3607 },
        ]);
        expect(tokenNeeds(pod).map(tokenKey)).toEqual(["istio-ca|43200", "|3607"]);
    });
    test("another expiration is another token; no projected token, no need", () => {
        const pod = podWith(
            {},
            {
                volumes: [
                    projected([{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 43200, path: "a" } }]),
                    projected([{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 3600, path: "b" } }]),
                ],
            },
        );
        expect(tokenNeeds(pod)).toHaveLength(2);
        expect(tokenNeeds(podWith({}, { volumes: [{ name: "s", secret: { secretName: "cacerts" } }] }))).toEqual([]);
        expect(tokenNeeds(podWith({}))).toEqual([]);
    });
});

describe("planProcess: argv", () => {
    test("the entrypoint, the args, then the context's extra args", () => {
        const p = plan({ args: ["discovery", "--monitoringAddr=:15014"] });
        expect(p.argv).toEqual(["/usr/local/bin/pilot-discovery", "discovery", "--monitoringAddr=:15014", "--httpAddr=10.10.0.5:8080"]);
        expect(p.workingDir).toBe("/");
        expect(plan({ args: ["x"], workingDir: "/var/lib/istio" }, {}, context({ extraArgs: [] })).argv).toEqual([
            "/usr/local/bin/pilot-discovery",
            "x",
        ]);
    });
    test("a command naming the entrypoint is kept with its own arguments", () => {
        const p = plan({ command: ["/usr/local/bin/pilot-discovery", "discovery"], args: ["--log_output_level=default:info"] });
        expect(p.argv).toEqual([
            "/usr/local/bin/pilot-discovery",
            "discovery",
            "--log_output_level=default:info",
            "--httpAddr=10.10.0.5:8080",
        ]);
    });
    test("a command naming another binary is refused, not guessed", () => {
        expect(() => plan({ command: ["/bin/sh", "-c", "pilot-discovery discovery"] })).toThrow(
            "container discovery: command /bin/sh is not the entrypoint the sim runs (/usr/local/bin/pilot-discovery)",
        );
    });
    test("args are expanded with the final environment; $$ escapes; extra args are not expanded", () => {
        const p = plan(
            { args: ["--name=$(POD_NAME)", "--literal=$$(POD_NAME)", "--unknown=$(NOPE)"], env: [{ name: "POD_NAME", value: "istiod-1" }] },
            {},
            context({ extraArgs: ["--raw=$(POD_NAME)"] }),
        );
        expect(p.argv.slice(1)).toEqual(["--name=istiod-1", "--literal=$(POD_NAME)", "--unknown=$(NOPE)", "--raw=$(POD_NAME)"]);
    });
    test("a container the pod does not have is an error", () => {
        expect(() => planProcess(podWith({}), "nope", context())).toThrow("pod istio-system/istiod-6d8f9-xyz has no container nope");
    });
});

describe("planProcess: environment", () => {
    test("the kubelet's own variables", () => {
        expect(envOf([])).toEqual({
            KUBERNETES_SERVICE_HOST: "172.18.0.2",
            KUBERNETES_SERVICE_PORT: "6443",
            KUBERNETES_SERVICE_PORT_HTTPS: "6443",
            HOSTNAME: "istiod-6d8f9-xyz",
            PATH: "/usr/local/bin:/usr/bin:/bin",
            HOME: "/",
        });
    });
    test("envFrom first (with prefixes), then env, the later winning", () => {
        const p = plan({
            envFrom: [
                { configMapRef: { name: "settings" } },
                { secretRef: { name: "db" }, prefix: "DB_" },
                { configMapRef: { name: "istio" } },
            ],
            env: [{ name: "MODE", value: "env" }],
        });
        expect(p.env).toMatchObject({
            LOG_LEVEL: "debug",
            MODE: "env",
            DB_password: "s3cret",
            DB_user: "app",
            mesh: "trustDomain: cluster.local",
        });
        expect(p.sources).toEqual({ "configmap/settings": "23", "secret/db": "12", "configmap/istio": "21" });
    });
    test("$(VAR) in a value refers to earlier entries only", () => {
        const env = envOf([
            { name: "A", value: "$(B)-$(LOG_LEVEL)-$(HOSTNAME)" },
            { name: "B", value: "b" },
            { name: "C", value: "$(B)$$(B)" },
        ]);
        expect(env).toMatchObject({ A: "$(B)-$(LOG_LEVEL)-istiod-6d8f9-xyz", B: "b", C: "b$(B)" });
        expect(plan({ envFrom: [{ configMapRef: { name: "settings" } }], env: [{ name: "A", value: "$(LOG_LEVEL)" }] }).env.A).toBe(
            "debug",
        );
    });
    test("envFrom of a missing object: waiting unless optional", () => {
        expect(waitingOf(planProcess(podWith({ envFrom: [{ secretRef: { name: "gone" } }] }), "discovery", context()))).toBe(
            "secret gone not found",
        );
        expect(waitingOf(planProcess(podWith({ envFrom: [{ configMapRef: { name: "gone" } }] }), "discovery", context()))).toBe(
            "configmap gone not found",
        );
        const p = plan({ envFrom: [{ configMapRef: { name: "gone", optional: true } }] });
        expect(Object.keys(p.env)).toHaveLength(6);
        expect(p.sources).toEqual({ "configmap/gone": "" });
    });
    test("secretKeyRef and configMapKeyRef: the key's value", () => {
        const env = envOf([
            { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
            { name: "MESH", valueFrom: { configMapKeyRef: { name: "istio", key: "mesh" } } },
        ]);
        expect(env).toMatchObject({ PASSWORD: "s3cret", MESH: "trustDomain: cluster.local" });
    });
    test("a missing object or key: waiting, naming it; optional: the variable is left out", () => {
        const waits = (ref: NonNullable<NonNullable<Container["env"]>[number]["valueFrom"]>) =>
            waitingOf(planProcess(podWith({ env: [{ name: "X", valueFrom: ref }] }), "discovery", context()));
        expect(waits({ secretKeyRef: { name: "gone", key: "k" } })).toBe("secret gone not found");
        expect(waits({ secretKeyRef: { name: "db", key: "token" } })).toBe("key token of db not found (env X)");
        expect(waits({ configMapKeyRef: { name: "istio", key: "nope" } })).toBe("key nope of istio not found (env X)");
        const env = envOf([
            { name: "X", valueFrom: { secretKeyRef: { name: "gone", key: "k", optional: true } } },
            { name: "Y", valueFrom: { configMapKeyRef: { name: "istio", key: "nope", optional: true } } },
            { name: "Z", value: "z" },
        ]);
        expect(env).not.toHaveProperty("X");
        expect(env).not.toHaveProperty("Y");
        expect(env.Z).toBe("z");
    });
    test("downward API fields", () => {
        const field = (fieldPath: string) => ({ fieldRef: { fieldPath } });
        const env = envOf([
            { name: "POD_NAME", valueFrom: field("metadata.name") },
            { name: "POD_NAMESPACE", valueFrom: field("metadata.namespace") },
            { name: "POD_UID", valueFrom: field("metadata.uid") },
            { name: "NODE", valueFrom: field("spec.nodeName") },
            { name: "SA", valueFrom: field("spec.serviceAccountName") },
            { name: "POD_IP", valueFrom: field("status.podIP") },
            { name: "POD_IPS", valueFrom: field("status.podIPs") },
            { name: "HOST_IP", valueFrom: field("status.hostIP") },
            { name: "NETWORK", valueFrom: field("metadata.labels['topology.istio.io/network']") },
            { name: "INJECT", valueFrom: field("metadata.annotations['sidecar.istio.io/inject']") },
            { name: "NO_LABEL", valueFrom: field("metadata.labels['absent']") },
        ]);
        expect(env).toMatchObject({
            POD_NAME: "istiod-6d8f9-xyz",
            POD_NAMESPACE: "istio-system",
            POD_UID: "uid-1",
            NODE: "zta-sim-1-worker",
            SA: "istiod",
            POD_IP: "10.10.0.5",
            POD_IPS: "10.10.0.5",
            HOST_IP: "172.18.0.3",
            NETWORK: "net1",
            INJECT: "false",
            NO_LABEL: "",
        });
    });
    test("a downward API field the runtime does not know: an error, not an empty value", () => {
        expect(() => envOf([{ name: "X", valueFrom: { fieldRef: { fieldPath: "status.phase" } } }])).toThrow(
            "downward API field status.phase is not supported",
        );
    });
});

describe("planProcess: resource fields", () => {
    const resource = (name: string, resource: string, divisor?: string, containerName?: string) => ({
        name,
        valueFrom: { resourceFieldRef: { resource, divisor, containerName } },
    });
    test("exact divisions stay exact (no float round-up), and an unset request is 0, not allocatable", () => {
        const p = plan({
            resources: { limits: { cpu: "1001m" } },
            env: [
                resource("CPU_MILLI", "limits.cpu", "1m"),
                resource("REQ_CPU", "requests.cpu", "1m"),
                resource("REQ_MEM", "requests.memory"),
            ],
        });
        expect(p.env).toMatchObject({ CPU_MILLI: "1001", REQ_CPU: "0", REQ_MEM: "0" });
        for (const milli of [1003, 2002, 4001, 4999]) {
            expect(plan({ resources: { limits: { cpu: `${milli}m` } }, env: [resource("C", "limits.cpu", "1m")] }).env.C).toBe(
                String(milli),
            );
        }
    });
    test("a set limit, rounded up to whole divisors", () => {
        const p = plan({
            resources: { limits: { cpu: "250m", memory: "128Mi" }, requests: { cpu: "100m", memory: "64Mi" } },
            env: [
                resource("CPU", "limits.cpu"),
                resource("CPU_MILLI", "limits.cpu", "1m"),
                resource("MEM_MI", "limits.memory", "1Mi"),
                resource("MEM", "limits.memory"),
                resource("MEM_M", "limits.memory", "1M"),
                resource("REQ_CPU_MILLI", "requests.cpu", "1m"),
                resource("REQ_MEM_MI", "requests.memory", "1Mi"),
            ],
        });
        expect(p.env).toMatchObject({
            CPU: "1",
            CPU_MILLI: "250",
            MEM_MI: "128",
            MEM: String(128 * 1024 * 1024),
            MEM_M: "135",
            REQ_CPU_MILLI: "100",
            REQ_MEM_MI: "64",
        });
    });
    test("a limit that is not set: the node's allocatable", () => {
        const p = plan({ env: [resource("CPU", "limits.cpu"), resource("MEM_MI", "limits.memory", "1Mi")] });
        expect(p.env).toMatchObject({ CPU: "2", MEM_MI: "4096" });
        const other = plan({ env: [resource("CPU", "limits.cpu")] }, {}, context({ nodeAllocatable: { cpu: "3500m", memory: "1Gi" } }));
        expect(other.env.CPU).toBe("4");
    });
    test("another container's limits, by containerName", () => {
        const p = plan({
            env: [resource("SIDECAR_CPU", "limits.cpu", "1m", "sidecar"), resource("SIDECAR_MEM", "limits.memory", "1Mi", "sidecar")],
        });
        expect(p.env).toMatchObject({ SIDECAR_CPU: "500", SIDECAR_MEM: "256" });
    });
});

describe("planProcess: volumes", () => {
    const mounted = (volumes: Volume[], ctx = context()) =>
        plan({ volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/etc/${v.name}` })) }, { volumes }, ctx).volumes;
    const waitsOn = (volumes: Volume[], ctx = context()) =>
        waitingOf(
            planProcess(
                podWith({ volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/etc/${v.name}` })) }, { volumes }),
                "discovery",
                ctx,
            ),
        );

    test("a Secret: every key as a file, 0644 unless defaultMode says otherwise", () => {
        const [all, restricted] = mounted([
            { name: "cacerts", secret: { secretName: "cacerts" } },
            { name: "cacerts-ro", secret: { secretName: "cacerts", defaultMode: 0o400 } },
        ]);
        expect(all).toMatchObject({ name: "cacerts", mountPath: "/etc/cacerts", kind: "files" });
        expect(text(all)).toEqual([
            { path: "ca-cert.pem", content: "CA", mode: "644" },
            { path: "ca-key.pem", content: "KEY", mode: "644" },
        ]);
        expect(text(restricted).map((f) => f.mode)).toEqual(["400", "400"]);
    });
    test("items: only those keys, at their paths, with their own modes", () => {
        const [v] = mounted([
            {
                name: "config",
                configMap: {
                    name: "istio",
                    defaultMode: 0o440,
                    items: [
                        { key: "mesh", path: "mesh.yaml" },
                        { key: "meshNetworks", path: "nested/networks.yaml", mode: 0o400 },
                    ],
                },
            },
        ]);
        expect(text(v)).toEqual([
            { path: "mesh.yaml", content: "trustDomain: cluster.local", mode: "440" },
            { path: "nested/networks.yaml", content: "networks: {}", mode: "400" },
        ]);
    });
    test("a missing Secret or ConfigMap, or a missing item key: waiting", () => {
        expect(waitsOn([{ name: "s", secret: { secretName: "gone" } }])).toBe("secret gone not found");
        expect(waitsOn([{ name: "c", configMap: { name: "gone" } }])).toBe("configmap gone not found");
        expect(waitsOn([{ name: "s", secret: { secretName: "cacerts", items: [{ key: "root-cert.pem", path: "root-cert.pem" }] } }])).toBe(
            "secret cacerts: key root-cert.pem not found",
        );
    });
    test("an optional source with a missing key: that item skipped (kubelet), the others written; required: waiting", () => {
        const items = [
            { key: "ca-cert.pem", path: "ca-cert.pem" },
            { key: "absent", path: "absent" },
        ];
        const optional: Volume[] = [{ name: "s", secret: { secretName: "cacerts", optional: true, items } }];
        const p = plan({ volumeMounts: [{ name: "s", mountPath: "/etc/s" }] }, { volumes: optional });
        expect(text(p.volumes[0])).toEqual([{ path: "ca-cert.pem", content: "CA", mode: "644" }]);
        const required: Volume[] = [{ name: "s", secret: { secretName: "cacerts", items } }];
        expect(
            waitingOf(
                planProcess(podWith({ volumeMounts: [{ name: "s", mountPath: "/etc/s" }] }, { volumes: required }), "discovery", context()),
            ),
        ).toBe("secret cacerts: key absent not found");
    });
    test("an optional missing Secret: an empty volume, and its absence recorded as a source", () => {
        const volumes: Volume[] = [{ name: "s", secret: { secretName: "gone", optional: true } }];
        const p = plan({ volumeMounts: [{ name: "s", mountPath: "/etc/s" }] }, { volumes });
        expect(p.volumes[0]).toMatchObject({ kind: "files", files: [] });
        expect(p.sources).toEqual({ "secret/gone": "" });
    });
    test("projected kube-api-access and istio-token: tokens 0600, CA and namespace at the default mode", () => {
        const [api, istio] = mounted([
            {
                name: "kube-api-access",
                projected: {
                    defaultMode: 0o444,
                    sources: [
                        { serviceAccountToken: { path: "token" } },
                        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                        { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
                    ],
                },
            },
            {
                name: "istio-token",
                projected: { sources: [{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 43200, path: "istio-token" } }] },
            },
        ]);
        expect(text(api)).toEqual([
            { path: "token", content: "api-token", mode: "600" },
            { path: "ca.crt", content: "ROOT", mode: "444" },
            { path: "namespace", content: "istio-system", mode: "444" },
        ]);
        expect(text(istio)).toEqual([{ path: "istio-token", content: "istio-token", mode: "600" }]);
    });
    test("a projected token not yet requested: waiting, naming its audience", () => {
        const volumes: Volume[] = [
            { name: "t", projected: { sources: [{ serviceAccountToken: { audience: "istio-ca", path: "istio-token" } }] } },
        ];
        expect(waitsOn(volumes)).toBe('no token for audience "istio-ca"');
        expect(waitsOn(volumes, context({ tokens: new Map([["istio-ca|3607", "t"]]) }))).toMatch(/^a plan/);
    });
    test("projected Secret and downwardAPI volume: their files at the volume's default mode", () => {
        const [projected, downward] = mounted([
            { name: "p", projected: { sources: [{ secret: { name: "db", items: [{ key: "user", path: "user" }] } }] } },
            {
                name: "d",
                downwardAPI: {
                    defaultMode: 0o400,
                    items: [
                        { path: "labels-network", fieldRef: { fieldPath: "metadata.labels['topology.istio.io/network']" } },
                        { path: "name", fieldRef: { fieldPath: "metadata.name" }, mode: 0o444 },
                    ],
                },
            },
        ]);
        expect(text(projected)).toEqual([{ path: "user", content: "app", mode: "644" }]);
        expect(text(downward)).toEqual([
            { path: "labels-network", content: "net1", mode: "400" },
            { path: "name", content: "istiod-6d8f9-xyz", mode: "444" },
        ]);
    });
    test("emptyDir: a writable directory, no files; subPath carried", () => {
        const p = plan(
            {
                volumeMounts: [
                    { name: "local-certs", mountPath: "/var/run/secrets/istio-dns" },
                    { name: "config", mountPath: "/etc/istio/config/mesh", subPath: "mesh" },
                ],
            },
            {
                volumes: [
                    { name: "local-certs", emptyDir: { medium: "Memory" } },
                    { name: "config", configMap: { name: "istio" } },
                ],
            },
        );
        expect(p.volumes[0]).toEqual({
            name: "local-certs",
            mountPath: "/var/run/secrets/istio-dns",
            kind: "emptyDir",
            files: [],
            subPath: undefined,
        });
        expect(p.volumes[1]).toMatchObject({ name: "config", kind: "files", subPath: "mesh" });
        expect(p.volumes[1].files.map((f) => f.path)).toEqual(["mesh", "meshNetworks"]);
    });
    test("a mount naming no volume, or a volume type the runtime cannot make: an error", () => {
        expect(() => plan({ volumeMounts: [{ name: "nope", mountPath: "/x" }] })).toThrow(
            "container discovery: volume mount nope names no volume of the pod",
        );
        const hostPath = { name: "host", hostPath: { path: "/etc" } } as Volume;
        expect(() => mounted([hostPath])).toThrow(
            "volume host: only secret, configMap, projected, downwardAPI and emptyDir volumes are supported",
        );
    });
    test("every Secret and ConfigMap read is recorded with its resourceVersion", () => {
        const p = plan(
            {
                env: [{ name: "P", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }],
                volumeMounts: [{ name: "ca", mountPath: "/ca" }],
            },
            { volumes: [{ name: "ca", projected: { sources: [{ configMap: { name: "kube-root-ca.crt" } }] } }] },
        );
        expect(p.sources).toEqual({ "secret/db": "12", "configmap/kube-root-ca.crt": "22" });
    });
});

describe("planProcess: readiness probe", () => {
    const ports = [
        { name: "http-debug", containerPort: 8080 },
        { name: "grpc-xds", containerPort: 15010 },
    ];
    test("httpGet on a named port, with the kubelet's defaults", () => {
        expect(plan({ ports, readinessProbe: { httpGet: { path: "/ready", port: "http-debug" } } }).readiness).toEqual({
            scheme: "HTTP",
            port: 8080,
            path: "/ready",
            initialDelaySeconds: 0,
            periodSeconds: 10,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
        });
    });
    test("HTTPS (any case), numeric ports, default path, explicit timings", () => {
        const r = plan({
            readinessProbe: { httpGet: { port: 15021, scheme: "https" }, initialDelaySeconds: 1, periodSeconds: 3, failureThreshold: 30 },
        }).readiness;
        expect(r).toMatchObject({
            scheme: "HTTPS",
            port: 15021,
            path: "/",
            initialDelaySeconds: 1,
            periodSeconds: 3,
            failureThreshold: 30,
        });
    });
    test("tcpSocket on a named port", () => {
        expect(plan({ ports, readinessProbe: { tcpSocket: { port: "grpc-xds" } } }).readiness).toMatchObject({
            scheme: "TCP",
            port: 15010,
            path: "",
        });
    });
    test("no probe: no readiness; a port name the container lacks, or an exec probe: an error", () => {
        expect(plan({}).readiness).toBeUndefined();
        expect(() => plan({ ports, readinessProbe: { httpGet: { port: "http-monitoring" } } })).toThrow(
            "container discovery: probe port http-monitoring is not a named port of the container",
        );
        expect(() => plan({ readinessProbe: { exec: { command: ["true"] } } as never })).toThrow(
            "only httpGet and tcpSocket readiness probes",
        );
    });
});

describe("planProcess: the user to run as", () => {
    test("the pod's security context, the container's winning field by field; fsGroup from the pod", () => {
        const p = plan({ securityContext: { runAsUser: 1337 } }, { securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000 } });
        expect([p.uid, p.gid, p.fsGroup]).toEqual([1337, 2000, 3000]);
        const q = plan({ securityContext: { runAsGroup: 1337 } }, { securityContext: { runAsUser: 1000, runAsGroup: 2000 } });
        expect([q.uid, q.gid, q.fsGroup]).toEqual([1000, 1337, undefined]);
    });
    test("no security context: no user given", () => {
        const p = plan({});
        expect([p.uid, p.gid, p.fsGroup]).toEqual([undefined, undefined, undefined]);
    });
});

describe("secretSource and configMapSource", () => {
    test("a Secret's base64 data as bytes; a ConfigMap's data and binaryData together", () => {
        const s = secretSource({ metadata: { resourceVersion: "5" }, data: { k: Buffer.from("v\n").toString("base64") } });
        expect(s.resourceVersion).toBe("5");
        expect(s.data.k.toString()).toBe("v\n");
        const c = configMapSource({ metadata: {}, data: { a: "x" }, binaryData: { b: Buffer.from([0, 255]).toString("base64") } });
        expect(c.resourceVersion).toBe("");
        expect(c.data.a.toString()).toBe("x");
        expect([...c.data.b]).toEqual([0, 255]);
    });
});

describe("images that bring a userland (the Keycloak image): init containers, image env, replaced listen flags", () => {
    const keycloakPod = (spec: Partial<Pod["spec"]> = {}) =>
        podWith(
            { args: ["start", "--http-host=0.0.0.0", "--https-port=8443"], env: [{ name: "JAVA_HOME", value: "/pod/java" }] },
            {
                initContainers: [
                    {
                        name: "copy",
                        command: ["cp", "-R", "/opt/keycloak/lib/quarkus/.", "/mnt/quarkus/"],
                        volumeMounts: [{ name: "quarkus", mountPath: "/mnt/quarkus" }],
                    },
                ],
                volumes: [{ name: "quarkus", emptyDir: {} }],
                ...spec,
            },
        );
    const userland = context({
        entrypoint: "/opt/keycloak/bin/kc.sh",
        userland: true,
        imageEnv: { JAVA_HOME: "/opt/java/openjdk", PATH: "/opt/java/openjdk/bin:/usr/bin:/bin", LANG: "en_US.UTF-8" },
        extraArgs: ["--http-host=10.10.0.5"],
    });

    test("an init container is planned like a container: its command runs as written when the image has a userland", () => {
        const p = planOf(planProcess(keycloakPod(), "copy", { ...userland, extraArgs: [] }));
        expect(p.argv).toEqual(["cp", "-R", "/opt/keycloak/lib/quarkus/.", "/mnt/quarkus/"]);
        expect(p.volumes.map((v) => [v.name, v.mountPath, v.kind])).toEqual([["quarkus", "/mnt/quarkus", "emptyDir"]]);
        // without a userland only the entrypoint exists in the root: refused
        expect(() => planProcess(keycloakPod(), "copy", context({ extraArgs: [] }))).toThrow("command cp is not the entrypoint");
    });

    test("the image's environment sits under the pod's (the pod's JAVA_HOME wins; the image's PATH replaces the default)", () => {
        const p = planOf(planProcess(keycloakPod(), "discovery", userland));
        expect(p.env).toMatchObject({ JAVA_HOME: "/pod/java", PATH: "/opt/java/openjdk/bin:/usr/bin:/bin", LANG: "en_US.UTF-8" });
    });

    test("a listen flag replaces the container's own of the same name instead of adding a second listener", () => {
        const p = planOf(planProcess(keycloakPod(), "discovery", userland));
        expect(p.argv).toEqual(["/opt/keycloak/bin/kc.sh", "start", "--https-port=8443", "--http-host=10.10.0.5"]);
    });

    test("mounts keep their readOnly flag (image roots mount read-only where the pod says so)", () => {
        const withMount = planOf(
            planProcess(
                podWith(
                    { volumeMounts: [{ name: "realm", mountPath: "/opt/keycloak/data/import", readOnly: true }] },
                    { volumes: [{ name: "realm", configMap: { name: "settings" } }] },
                ),
                "discovery",
                userland,
            ),
        );
        expect(withMount.volumes.map((v) => [v.mountPath, v.readOnly])).toEqual([["/opt/keycloak/data/import", true]]);
    });
});

describe("appProbe: a probe Istio's injector rewrote to pilot-agent is probed where the agent would forward it", () => {
    const probers = JSON.stringify({
        "/app-health/prometheus/readyz": { httpGet: { path: "/-/ready", port: 9090, scheme: "HTTP" }, timeoutSeconds: 2 },
    });
    const injected = (env: { name: string; value: string }[]) =>
        podWith({}, { initContainers: [{ name: "istio-validation" }, { name: "istio-proxy", env }] });
    const rewritten = {
        httpGet: { path: "/app-health/prometheus/readyz", port: 15020 },
        periodSeconds: 10,
        timeoutSeconds: 1,
        failureThreshold: 6,
    };

    test("the original httpGet and timeout from ISTIO_KUBE_APP_PROBERS; the period and thresholds the pod asks for", () => {
        expect(appProbe(injected([{ name: "ISTIO_KUBE_APP_PROBERS", value: probers }]), rewritten)).toEqual({
            httpGet: { path: "/-/ready", port: 9090, scheme: "HTTP" },
            tcpSocket: undefined,
            periodSeconds: 10,
            timeoutSeconds: 2,
            failureThreshold: 6,
        });
    });

    test("a probe that was not rewritten stays as it is; a rewritten one without its original is an error, not a guess", () => {
        const own = { httpGet: { path: "/ready", port: 8080 } };
        expect(appProbe(injected([]), own)).toBe(own);
        expect(appProbe(injected([]), undefined)).toBeUndefined();
        expect(() => appProbe(injected([{ name: "ISTIO_KUBE_APP_PROBERS", value: "{}" }]), rewritten)).toThrow("has no app prober for it");
    });
});
