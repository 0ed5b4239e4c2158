/**
 * The sample workloads that prove the zero-trust mesh, as pure renderers: helloworld v1/v2 behind one Service
 * (cross-network load balancing), a curl client in every cluster, and httpbin behind the JWT-protected ingress.
 * tests/workloads/render.test.ts checks the exact objects, the Pod Security "restricted" fields of every pod
 * template, and the Istio objects against the Istio CRD schemas.
 *
 * Images and tags are those of Istio's samples (samples/helloworld/helloworld.yaml: examples-helloworld-v1/v2:1.0;
 * samples/httpbin/httpbin.yaml: mccutchen/go-httpbin:v2.15.0; samples/curl/curl.yaml at 1.30.3: curlimages/curl:8.16.0).
 */
import type * as k8s from "@pulumi/kubernetes";

import { pullSecretName } from "../platform/pullSecret";

import { PsaLevel, psaLabels } from "../core/podSecurity";
import { isImageRegistryPrefix, show } from "../core/validate";
import { hardenedContainer, restrictedPod } from "../core/securityContext";
import { ownedNamespaces } from "../core/namespaces";
import { ImageDigests, imageDigests, pinnedImage } from "../core/versions";

export const sampleNamespace = ownedNamespaces.samples;
/** The clusters' DNS domain (kubeadm and the managed clouds' default); unrelated to the mesh trust domain. */
export const clusterDomain = "cluster.local";

/**
 * How sidecars get their traffic redirect. `istio-init` is an init container that runs iptables as root with
 * NET_ADMIN and NET_RAW; `istio-cni` does the same from the istio-cni node agent, and the pod only gets the
 * unprivileged `istio-validation` container (uid 1337, no capabilities).
 */
export type SidecarInit = "istio-init" | "istio-cni";

/**
 * The namespace's Pod Security level, from the injected containers (ours satisfy `restricted` either way):
 * - istio-init → `privileged`: Pod Security `baseline` does not allow adding NET_ADMIN or NET_RAW, so `baseline` is
 *   not enough (Istio docs "Install Istio with Pod Security Admission"; istio#35894 shows the exact rejection).
 * - istio-cni → `restricted`: istio-validation and istio-proxy run as uid 1337 with no capabilities, no privilege
 *   escalation and a read-only root; the one field they lack, the seccomp profile, comes from our pod-level
 *   `seccompProfile: RuntimeDefault`, which the pod's containers inherit.
 */
export function samplePsaLevel(sidecarInit: SidecarInit): PsaLevel {
    switch (sidecarInit) {
        case "istio-init":
            return "privileged";
        case "istio-cni":
            return "restricted";
        default:
            throw new Error(`sidecarInit: expected "istio-init" or "istio-cni", got ${show(sidecarInit)}`);
    }
}

export const sampleImageTags = { helloworld: "1.0", httpbin: "v2.15.0", curl: "8.16.0" } as const;
/** Registry (and path) of helloworld when none is given; httpbin and curl then come from their own Docker Hub repos. */
export const defaultSampleRegistry = "docker.io/istio";

export interface SampleImages {
    readonly helloworldV1: string;
    readonly helloworldV2: string;
    readonly httpbin: string;
    readonly curl: string;
}

/** The sample images as upstream tags them (the keys of their digests in versions.json imageDigests). */
export function sampleUpstreamImages(): SampleImages {
    const t = sampleImageTags;
    return {
        helloworldV1: `${defaultSampleRegistry}/examples-helloworld-v1:${t.helloworld}`,
        helloworldV2: `${defaultSampleRegistry}/examples-helloworld-v2:${t.helloworld}`,
        httpbin: `docker.io/mccutchen/go-httpbin:${t.httpbin}`,
        curl: `docker.io/curlimages/curl:${t.curl}`,
    };
}

/**
 * Image references. With `registry` (a private mirror, e.g. "10.5.0.2:5000/istio", like the `istioHub` override), every
 * image is `<registry>/<last path element of the upstream repo>:<tag>`: examples-helloworld-v1, examples-helloworld-v2,
 * go-httpbin, curl. Each is pinned by digest (`…@sha256:…`) when `digests` (versions.json imageDigests) has its
 * upstream reference's: a mirror must hold the same manifest (README "Versions").
 */
export function sampleImages(registry?: string, digests: ImageDigests = imageDigests): SampleImages {
    if (registry !== undefined && !isImageRegistryPrefix(registry)) {
        throw new Error(
            `registry: expected a registry host[:port] with an optional path like "10.5.0.2:5000/istio" (no scheme, tag or trailing slash), got ${show(registry)}`,
        );
    }
    const upstream = sampleUpstreamImages();
    const image = (key: keyof SampleImages) => {
        const rendered = registry === undefined ? upstream[key] : `${registry}/${upstream[key].split("/").pop()!}`;
        return pinnedImage(upstream[key], digests, rendered);
    };
    return { helloworldV1: image("helloworldV1"), helloworldV2: image("helloworldV2"), httpbin: image("httpbin"), curl: image("curl") };
}

export type HelloworldVersion = "v1" | "v2";

export interface SampleInput {
    readonly sidecarInit: SidecarInit;
    /** Private mirror holding the sample images; default the upstream repositories. */
    readonly registry?: string;
    /** True when the namespace holds the registry pull secret (`pullSecretName`). */
    readonly pullSecret: boolean;
    /** helloworld versions this cluster runs (e.g. v1 on one cluster, v2 on the other); default both. */
    readonly helloworldVersions?: readonly HelloworldVersion[];
    /** Whether this cluster runs httpbin (the ingress backend); default true. */
    readonly httpbin?: boolean;
    /** Digest pins (versions.json imageDigests); default the manifest's. */
    readonly digests?: ImageDigests;
}

interface Meta {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Record<string, string>;
}

export interface Namespace {
    readonly apiVersion: "v1";
    readonly kind: "Namespace";
    readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
}

export interface ServiceAccount {
    readonly apiVersion: "v1";
    readonly kind: "ServiceAccount";
    readonly metadata: Meta;
    readonly automountServiceAccountToken: false;
}

export interface Service {
    readonly apiVersion: "v1";
    readonly kind: "Service";
    readonly metadata: Meta;
    readonly spec: {
        readonly selector: Record<string, string>;
        readonly ports: { readonly name: string; readonly port: number; readonly targetPort: number; readonly protocol: "TCP" }[];
    };
}

export interface Deployment {
    readonly apiVersion: "apps/v1";
    readonly kind: "Deployment";
    readonly metadata: Meta;
    readonly spec: {
        readonly replicas: number;
        readonly selector: { readonly matchLabels: Record<string, string> };
        readonly template: {
            readonly metadata: { readonly labels: Record<string, string> };
            readonly spec: k8s.types.input.core.v1.PodSpec;
        };
    };
}

export interface SampleObjects {
    readonly namespace: Namespace;
    readonly serviceAccounts: ServiceAccount[];
    readonly services: Service[];
    readonly deployments: Deployment[];
}

/** Ports of the sample containers (httpbin's Service maps 8000 → 8080, as upstream). */
export const samplePorts = { helloworld: 5000, httpbin: 8080, httpbinService: 8000 } as const;

interface Workload {
    readonly name: string;
    readonly serviceAccount: string;
    readonly labels: Record<string, string>;
    readonly image: string;
    /** Explicit uid/gid: runAsNonRoot alone fails for images whose USER is root or a name the kubelet cannot check. */
    readonly uid: number;
    readonly gid: number;
    readonly command?: string[];
    readonly port?: number;
    readonly probe: k8s.types.input.core.v1.Probe;
    readonly resources: { readonly requests: Record<string, string>; readonly limits: Record<string, string> };
    /** emptyDir at /tmp for images that write there under a read-only root. */
    readonly tmp: boolean;
}

function serviceAccount(name: string): ServiceAccount {
    // No token in the pods: the sidecar authenticates to istiod with its own projected `istio-token` volume
    // (audience istio-ca, 12 h), which the injection template adds regardless of this setting; the apps never call
    // the API server.
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name, namespace: sampleNamespace },
        automountServiceAccountToken: false,
    };
}

function deployment(w: Workload, pullSecret: boolean): Deployment {
    const container = {
        name: w.name.replace(/-v[0-9]+$/, ""),
        image: w.image,
        imagePullPolicy: "IfNotPresent",
        ...(w.command ? { command: w.command } : {}),
        ...(w.port ? { ports: [{ name: "http", containerPort: w.port, protocol: "TCP" }] } : {}),
        resources: { requests: { ...w.resources.requests }, limits: { ...w.resources.limits } },
        readinessProbe: w.probe,
        livenessProbe: { ...w.probe, periodSeconds: 20, failureThreshold: 3 },
        securityContext: hardenedContainer(w.uid, w.gid),
        ...(w.tmp ? { volumeMounts: [{ name: "tmp", mountPath: "/tmp" }] } : {}),
    } satisfies k8s.types.input.core.v1.Container;
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: w.name, namespace: sampleNamespace, labels: { ...w.labels } },
        spec: {
            replicas: 1,
            selector: { matchLabels: { ...w.labels } },
            template: {
                metadata: { labels: { ...w.labels } },
                spec: {
                    serviceAccountName: w.serviceAccount,
                    automountServiceAccountToken: false,
                    // No Service env vars: nothing reads them, and they leak the namespace's service layout.
                    enableServiceLinks: false,
                    // Pod level, so that the injected istio-proxy/istio-validation inherit the seccomp profile.
                    securityContext: restrictedPod(),
                    ...(pullSecret ? { imagePullSecrets: [{ name: pullSecretName }] } : {}),
                    containers: [container],
                    ...(w.tmp ? { volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }] } : {}),
                },
            },
        } satisfies k8s.types.input.apps.v1.DeploymentSpec,
    };
}

function service(name: string, selector: Record<string, string>, port: number, targetPort: number): Service {
    // Port name "http" tells Istio the protocol, so HTTP-level AuthorizationPolicy rules (methods, paths) apply.
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: sampleNamespace, labels: { app: name, service: name } },
        spec: { selector: { ...selector }, ports: [{ name: "http", port, targetPort, protocol: "TCP" as const }] },
    } satisfies k8s.types.input.core.v1.Service;
}

const httpProbe = (path: string, port: number): k8s.types.input.core.v1.Probe => ({
    httpGet: { path, port },
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold: 3,
});

/**
 * Namespace `sample` (sidecar injection on, Pod Security level from `sidecarInit`), one ServiceAccount per workload
 * (helloworld v1 and v2 are one service, so one identity), the Services and the Deployments.
 */
export function sampleObjects(input: SampleInput): SampleObjects {
    const level = samplePsaLevel(input.sidecarInit);
    if (typeof input.pullSecret !== "boolean") {
        throw new Error(`pullSecret: expected true or false, got ${show(input.pullSecret)}`);
    }
    const images = sampleImages(input.registry, input.digests);
    const versions = input.helloworldVersions ?? ["v1", "v2"];
    versions.forEach((v, i) => {
        if (v !== "v1" && v !== "v2") {
            throw new Error(`helloworldVersions[${i}]: expected "v1" or "v2", got ${show(v)}`);
        }
        if (versions.indexOf(v) !== i) {
            throw new Error(`helloworldVersions[${i}]: duplicate ${show(v)}`);
        }
    });
    const withHttpbin = input.httpbin ?? true;

    const workloads: Workload[] = [
        ...versions.map((v): Workload => ({
            name: `helloworld-${v}`,
            serviceAccount: "helloworld",
            labels: { app: "helloworld", version: v },
            image: v === "v1" ? images.helloworldV1 : images.helloworldV2,
            // python:3.12-slim runs as root by default; gunicorn needs no privileges for port 5000.
            uid: 65534,
            gid: 65534,
            port: samplePorts.helloworld,
            // /health, not /hello: /hello burns CPU on purpose (a million square roots) and would make probes flaky.
            probe: httpProbe("/health", samplePorts.helloworld),
            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            // gunicorn keeps its worker heartbeat files in a temp dir.
            tmp: true,
        })),
        {
            name: "curl",
            serviceAccount: "curl",
            labels: { app: "curl" },
            image: images.curl,
            // The image's curl_user (BusyBox adduser -S: uid 100, group curl_group 101); USER by name only.
            uid: 100,
            gid: 101,
            command: ["/bin/sleep", "infinity"],
            probe: { exec: { command: ["curl", "--version"] }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
            // Verification commands may write responses to /tmp.
            tmp: true,
        },
        ...(withHttpbin
            ? [
                  {
                      name: "httpbin",
                      serviceAccount: "httpbin",
                      labels: { app: "httpbin", version: "v1" },
                      image: images.httpbin,
                      // Static Go binary on distroless/base (root by default); 65532 is distroless' nonroot user.
                      uid: 65532,
                      gid: 65532,
                      port: samplePorts.httpbin,
                      probe: httpProbe("/status/200", samplePorts.httpbin),
                      resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                      tmp: false,
                  },
              ]
            : []),
    ];

    const accounts = [...new Set(workloads.map((w) => w.serviceAccount))];
    return {
        namespace: {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: sampleNamespace, labels: { "istio-injection": "enabled", ...psaLabels(level) } },
        },
        serviceAccounts: accounts.map(serviceAccount),
        services: [
            // One Service over both versions, in every cluster (even one running neither): clients resolve the name
            // locally and Istio balances across the endpoints of all clusters.
            service("helloworld", { app: "helloworld" }, samplePorts.helloworld, samplePorts.helloworld),
            ...(withHttpbin ? [service("httpbin", { app: "httpbin" }, samplePorts.httpbinService, samplePorts.httpbin)] : []),
        ],
        deployments: workloads.map((w) => deployment(w, input.pullSecret)),
    };
}
