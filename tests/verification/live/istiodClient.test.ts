/** The pure parts of the istiod client: the node a pod's pilot-agent would announce, and reading istiod's Prometheus text. */
import { PodRef, ProxyContainer, metricSamples, proxyNode } from "../../../components/verification/live/istiodClient";

const sidecar: ProxyContainer = {
    name: "istio-proxy",
    args: ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
    env: [
        { name: "PILOT_CERT_PROVIDER", value: "istiod" },
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "ISTIO_META_POD_PORTS", value: '[{"containerPort":5000,"protocol":"TCP"}]' },
        { name: "ISTIO_META_APP_CONTAINERS", value: "helloworld" },
        { name: "ISTIO_META_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        { name: "ISTIO_META_HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
        { name: "ISTIO_META_MY_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "ISTIO_META_MY_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "ISTIO_META_MY_POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "ISTIO_META_WORKLOAD_NAME", value: "helloworld-v1" },
        { name: "ISTIO_META_MESH_ID", value: "zta-mesh" },
        { name: "ISTIO_META_EMPTY" },
        { name: "PROXY_CONFIG", value: '{"discoveryAddress":"istiod.istio-system.svc:15012","holdApplicationUntilProxyStarts":true}' },
        { name: "ISTIOMETA_TYPO", value: "no" },
    ],
};

const pod = (proxy?: ProxyContainer): PodRef => ({
    name: "helloworld-v1-7c9f8d-abcde",
    namespace: "sample",
    uid: "0b7e2c9a-1111-2222-3333-444455556666",
    ip: "10.10.0.6",
    serviceAccount: "helloworld",
    labels: { app: "helloworld", version: "v1" },
    nodeName: "zta-sim-1-worker",
    hostIP: "172.18.0.3",
    proxy,
});

describe("proxyNode: the node pilot-agent would announce", () => {
    test("a sidecar: sidecar~IP~POD.NS~NS.svc.cluster.local", () => {
        expect(proxyNode(pod(sidecar), "zta-sim-1", "1.30.0").id).toBe(
            "sidecar~10.10.0.6~helloworld-v1-7c9f8d-abcde.sample~sample.svc.cluster.local",
        );
    });
    test("a gateway (istio-proxy run as `proxy router`): router~…", () => {
        const gateway = { ...pod({ ...sidecar, args: ["proxy", "router", "--domain", "x"] }), name: "gw-1", namespace: "istio-ingress" };
        expect(proxyNode(gateway, "zta-sim-1", "1.30.0").id).toBe("router~10.10.0.6~gw-1.istio-ingress~istio-ingress.svc.cluster.local");
    });
    test("router anywhere but as the proxy's mode, or no proxy container: a sidecar", () => {
        expect(proxyNode(pod({ ...sidecar, args: ["router"] }), "c", "v").id).toMatch(/^sidecar~/);
        expect(proxyNode(pod({ ...sidecar, args: ["proxy", "sidecar", "router"] }), "c", "v").id).toMatch(/^sidecar~/);
        expect(proxyNode(pod(), "c", "v").id).toMatch(/^sidecar~/);
    });
    test("every ISTIO_META_* by its name without the prefix, downward-API fields resolved; other variables left out", () => {
        const { meta } = proxyNode(pod(sidecar), "zta-sim-1", "1.30.0");
        expect(meta).toEqual({
            POD_PORTS: '[{"containerPort":5000,"protocol":"TCP"}]',
            APP_CONTAINERS: "helloworld",
            NODE_NAME: "zta-sim-1-worker",
            HOST_IP: "172.18.0.3",
            MY_IP: "10.10.0.6",
            MY_NAMESPACE: "sample",
            MY_POD: "helloworld-v1-7c9f8d-abcde",
            WORKLOAD_NAME: "helloworld-v1",
            MESH_ID: "zta-mesh",
            EMPTY: "",
            PROXY_CONFIG: { discoveryAddress: "istiod.istio-system.svc:15012", holdApplicationUntilProxyStarts: true },
            CLUSTER_ID: "zta-sim-1",
            NAMESPACE: "sample",
            LABELS: { app: "helloworld", version: "v1" },
            INSTANCE_IPS: "10.10.0.6",
            SERVICE_ACCOUNT: "helloworld",
            ISTIO_VERSION: "1.30.0",
            POD_NAME: "helloworld-v1-7c9f8d-abcde",
        });
    });
    test("the proxy's own ISTIO_META_CLUSTER_ID wins over the cluster it was found in", () => {
        const own = { ...sidecar, env: [...(sidecar.env ?? []), { name: "ISTIO_META_CLUSTER_ID", value: "zta-sim-2" }] };
        expect(proxyNode(pod(own), "zta-sim-1", "1.30.0").meta.CLUSTER_ID).toBe("zta-sim-2");
        expect(proxyNode(pod(sidecar), "zta-sim-1", "1.30.0").meta.CLUSTER_ID).toBe("zta-sim-1");
    });
    test("what the agent adds itself wins over an ISTIO_META_ of the same name", () => {
        const spoof = {
            ...sidecar,
            env: [
                { name: "ISTIO_META_NAMESPACE", value: "istio-system" },
                { name: "ISTIO_META_POD_NAME", value: "x" },
            ],
        };
        const { meta } = proxyNode(pod(spoof), "c", "1.30.0");
        expect(meta.NAMESPACE).toBe("sample");
        expect(meta.POD_NAME).toBe("helloworld-v1-7c9f8d-abcde");
    });
    test("no proxy container: only what the agent adds", () => {
        expect(Object.keys(proxyNode(pod(), "c", "1.30.0").meta).sort()).toEqual(
            ["CLUSTER_ID", "INSTANCE_IPS", "ISTIO_VERSION", "LABELS", "NAMESPACE", "POD_NAME", "SERVICE_ACCOUNT"].sort(),
        );
    });
});

const metrics = `# HELP istiod_remote_cluster_sync_status Current synchronization state of remote clusters in Pilot.
# TYPE istiod_remote_cluster_sync_status gauge
istiod_remote_cluster_sync_status{cluster="cluster2",cluster_type="remote",status="synced"} 1
istiod_remote_cluster_sync_status{cluster="cluster2",cluster_type="remote",status="syncing"} 0
istiod_remote_cluster_sync_status{cluster="cluster3",cluster_type="remote",status="timeout"} 1
# HELP istiod_remote_cluster_sync_status_total not the gauge
istiod_remote_cluster_sync_status_total{cluster="cluster2"} 7
istiod_remote_cluster_sync_statuses 9
# TYPE pilot_total_xds_rejects counter
pilot_total_xds_rejects 3
pilot_total_xds_rejects{type="lds"} 2 1700000000000
pilot_xds_pushes{type="cds"} 1.5e+03
`;

describe("metricSamples: one metric's samples from Prometheus text", () => {
    test("every sample of the metric with its labels and value, comments left out", () => {
        expect(metricSamples(metrics, "istiod_remote_cluster_sync_status")).toEqual([
            { labels: { cluster: "cluster2", cluster_type: "remote", status: "synced" }, value: 1 },
            { labels: { cluster: "cluster2", cluster_type: "remote", status: "syncing" }, value: 0 },
            { labels: { cluster: "cluster3", cluster_type: "remote", status: "timeout" }, value: 1 },
        ]);
    });
    test("a metric whose name merely starts with the name is another metric", () => {
        expect(metricSamples(metrics, "istiod_remote_cluster_sync_status_total")).toEqual([{ labels: { cluster: "cluster2" }, value: 7 }]);
        expect(metricSamples(metrics, "istiod_remote_cluster")).toEqual([]);
        expect(metricSamples(metrics, "pilot_total_xds")).toEqual([]);
    });
    test("without labels, and with a timestamp after the value", () => {
        expect(metricSamples(metrics, "pilot_total_xds_rejects")).toEqual([
            { labels: {}, value: 3 },
            { labels: { type: "lds" }, value: 2 },
        ]);
    });
    test("values in exponent notation; a label value holding a comma or a brace", () => {
        expect(metricSamples(metrics, "pilot_xds_pushes")).toEqual([{ labels: { type: "cds" }, value: 1500 }]);
        expect(metricSamples('m{a="x,y",b="{z}"} 4\n', "m")).toEqual([{ labels: { a: "x,y", b: "{z}" }, value: 4 }]);
    });
    test("a metric that is absent: no samples", () => {
        expect(metricSamples(metrics, "pilot_conflict_inbound_listener")).toEqual([]);
        expect(metricSamples("", "pilot_total_xds_rejects")).toEqual([]);
    });
});
