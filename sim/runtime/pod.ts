/**
 * The slice of the Kubernetes Pod API the sim's process runtime reads (a kubelet reads the same fields). Plain
 * interfaces, every field optional as on the wire.
 */

export interface ObjectMeta {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
}

export interface KeyToPath {
    key: string;
    path: string;
    mode?: number;
}

export interface ObjectFieldSelector {
    fieldPath: string;
}

export interface ResourceFieldSelector {
    containerName?: string;
    resource: string;
    divisor?: string | number;
}

export interface EnvVar {
    name: string;
    value?: string;
    valueFrom?: {
        fieldRef?: ObjectFieldSelector;
        resourceFieldRef?: ResourceFieldSelector;
        secretKeyRef?: { name: string; key: string; optional?: boolean };
        configMapKeyRef?: { name: string; key: string; optional?: boolean };
    };
}

export interface EnvFromSource {
    prefix?: string;
    secretRef?: { name: string; optional?: boolean };
    configMapRef?: { name: string; optional?: boolean };
}

export interface VolumeMount {
    name: string;
    mountPath: string;
    subPath?: string;
    readOnly?: boolean;
}

export interface HttpGetAction {
    path?: string;
    port: number | string;
    scheme?: string;
}

export interface Probe {
    httpGet?: HttpGetAction;
    tcpSocket?: { port: number | string };
    initialDelaySeconds?: number;
    periodSeconds?: number;
    timeoutSeconds?: number;
    successThreshold?: number;
    failureThreshold?: number;
}

export interface SecurityContext {
    runAsUser?: number;
    runAsGroup?: number;
    fsGroup?: number;
}

export interface Container {
    name: string;
    image?: string;
    command?: string[];
    args?: string[];
    workingDir?: string;
    env?: EnvVar[];
    envFrom?: EnvFromSource[];
    ports?: { name?: string; containerPort: number; protocol?: string }[];
    volumeMounts?: VolumeMount[];
    readinessProbe?: Probe;
    resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
    securityContext?: SecurityContext;
}

export interface ProjectedSource {
    serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
    configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
    secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
    downwardAPI?: { items?: { path: string; fieldRef?: ObjectFieldSelector; mode?: number }[] };
}

export interface Volume {
    name: string;
    secret?: { secretName: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number };
    configMap?: { name: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number };
    projected?: { sources?: ProjectedSource[]; defaultMode?: number };
    emptyDir?: Record<string, unknown>;
    downwardAPI?: { items?: { path: string; fieldRef?: ObjectFieldSelector; mode?: number }[]; defaultMode?: number };
}

export interface Pod {
    metadata: ObjectMeta;
    spec: {
        nodeName?: string;
        serviceAccountName?: string;
        containers: Container[];
        initContainers?: Container[];
        volumes?: Volume[];
        securityContext?: SecurityContext;
    };
    status?: {
        phase?: string;
        podIP?: string;
        hostIP?: string;
        conditions?: { type: string; status: string }[];
        containerStatuses?: { name: string; ready?: boolean; restartCount?: number }[];
    };
}

/** A Secret or ConfigMap as the runtime needs it: its data as bytes, key by key. */
export interface DataSource {
    readonly resourceVersion: string;
    readonly data: Record<string, Buffer>;
}

export interface Secret {
    metadata: ObjectMeta;
    data?: Record<string, string>;
}

export interface ConfigMap {
    metadata: ObjectMeta;
    data?: Record<string, string>;
    binaryData?: Record<string, string>;
}

export const secretSource = (s: Secret): DataSource => ({
    resourceVersion: s.metadata.resourceVersion ?? "",
    data: Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")])),
});

export const configMapSource = (c: ConfigMap): DataSource => ({
    resourceVersion: c.metadata.resourceVersion ?? "",
    data: {
        ...Object.fromEntries(Object.entries(c.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "utf8")])),
        ...Object.fromEntries(Object.entries(c.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")])),
    },
});
