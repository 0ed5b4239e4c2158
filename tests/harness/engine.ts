/**
 * Pulumi mocks that also RECORD what the engine would receive for each resource: parent, provider,
 * dependencies (explicit dependsOn + implicit from inputs), inputs with secret markers. Tests assert on
 * these records instead of guessing from constructor calls.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

const sigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const resourceSig = "5cf8f73096256a8f31e491e813e4eb8e";
const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const SECRET = "[secret]";

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    /** URN of the parent (empty for the stack root). */
    parent: string;
    /** Provider reference `urn::id`, empty for components and default providers. */
    provider: string;
    /** URNs this resource waits for. */
    dependencies: string[];
    custom: boolean;
    /** True for `.get`/StackReference reads. */
    read: boolean;
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, any>;
    /** Inputs with every secret value replaced by "[secret]". */
    redacted: Record<string, any>;
    /** Dotted paths of the inputs that were marked secret. */
    secretPaths: string[];
    /** Output names the program asked the engine to treat as secret. */
    additionalSecretOutputs: string[];
    /** The resource is replaced delete-first. */
    deleteBeforeReplace: boolean;
    /** The URN of the resource it is deleted with (the `deletedWith` option); empty when none. */
    deletedWith: string;
}

function decode(value: any, path: string, secretPaths: string[], redact: boolean): any {
    if (Array.isArray(value)) {
        return value.map((v, i) => decode(v, `${path}[${i}]`, secretPaths, redact));
    }
    if (value && typeof value === "object") {
        if (value[sigKey] === secretSig) {
            secretPaths.push(path);
            return redact ? SECRET : decode(value.value, path, [], false);
        }
        if (value[sigKey] === resourceSig) {
            return `ref:${String(value.urn).split("::").pop()}`;
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v, path ? `${path}.${k}` : k, secretPaths, redact)]));
    }
    if (value === unknownValue) {
        return "[unknown]";
    }
    return value;
}

/** Short, stack-independent form of a URN: `type::name`. */
export function shortUrn(urn: string): string {
    const parts = urn.split("::");
    const type = (parts[2] ?? "").split("$").pop() ?? "";
    return `${type}::${parts[3] ?? ""}`;
}

class RecordingMonitor extends MockMonitor {
    readonly records: RecordedResource[] = [];

    private record(req: any, props: any, read: boolean, urn: string): void {
        const raw = props ? props.toJavaScript() : {};
        const secretPaths: string[] = [];
        const redacted = decode(raw, "", secretPaths, true);
        this.records.push({
            urn,
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() ?? "",
            provider: req.getProvider() ?? "",
            dependencies: [...(req.getDependenciesList?.() ?? [])],
            custom: read ? true : Boolean(req.getCustom()),
            read,
            inputs: decode(raw, "", [], false),
            redacted,
            secretPaths,
            additionalSecretOutputs: read ? [] : [...(req.getAdditionalsecretoutputsList?.() ?? [])],
            deleteBeforeReplace: read ? false : Boolean(req.getDeletebeforereplace?.()),
            deletedWith: read ? "" : String(req.getDeletedwith?.() ?? ""),
        });
    }

    async registerResource(req: any, callback: (err: any, resp: any) => void): Promise<void> {
        return super.registerResource(req, (err, resp) => {
            if (!err) {
                this.record(req, req.getObject(), false, resp.getUrn());
            }
            callback(err, resp);
        });
    }

    async readResource(req: any, callback: (err: any, resp: any) => void): Promise<void> {
        return super.readResource(req, (err, resp) => {
            if (!err) {
                this.record(req, req.getProperties(), true, resp.getUrn());
            }
            callback(err, resp);
        });
    }
}

export class Recording {
    constructor(readonly resources: RecordedResource[]) {}

    /** Resources (not reads) of one type. */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type && !r.read);
    }

    /** The one resource with this logical name (and type, when names repeat across types). */
    get(name: string, type?: string): RecordedResource {
        const found = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
        if (found.length !== 1) {
            throw new Error(`expected one resource named ${name}${type ? ` of ${type}` : ""}, found ${found.length}`);
        }
        return found[0];
    }

    find(pred: (r: RecordedResource) => boolean): RecordedResource[] {
        return this.resources.filter(pred);
    }

    /** Does `r` wait for `dep` (directly)? */
    dependsOn(r: RecordedResource, dep: RecordedResource): boolean {
        return r.dependencies.includes(dep.urn);
    }

    /** Does `r` wait for `dep`, directly or through other resources (dependencies and providers)? */
    waitsFor(r: RecordedResource, dep: RecordedResource): boolean {
        const byUrn = new Map(this.resources.map((x) => [x.urn, x]));
        const next = (x: RecordedResource): string[] => [...x.dependencies, ...(x.provider ? [Recording.providerUrn(x.provider)] : [])];
        const seen = new Set<string>();
        const queue = next(r);
        while (queue.length > 0) {
            const urn = queue.shift() as string;
            if (urn === dep.urn) {
                return true;
            }
            const x = byUrn.get(urn);
            if (!seen.has(urn) && x) {
                seen.add(urn);
                queue.push(...next(x));
            }
        }
        return false;
    }

    /** The URN of a provider reference `urn::id`. */
    static providerUrn(ref: string): string {
        return ref.split("::").slice(0, -1).join("::");
    }
}

export type StackOutputs = Record<string, Record<string, unknown>>;

export interface EngineOptions {
    stack: string;
    /** Outputs of stacks reachable through StackReference, by fully qualified name. */
    stackOutputs?: StackOutputs;
    /** Which of those outputs are secret, by stack name. */
    secretStackOutputs?: Record<string, string[]>;
}

const fakeCa = "-----BEGIN CERTIFICATE-----\nMOCK-CLUSTER-CA\n-----END CERTIFICATE-----\n";
/** A real (test-only) certificate as the kubeadm cluster CA: the program hashes its public key for worker joins. */
export const kubeadmClusterCa = fs.readFileSync(path.join(__dirname, "..", "fixtures", "kubeadm-cluster-ca.pem"), "utf8");

/** What the kubeconfig read-back prints on a host: kubeadm's admin.conf shape, fake client credentials. */
export function mockAdminConf(resourceName: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${resourceName}`,
        "  cluster:",
        `    certificate-authority-data: ${b64(kubeadmClusterCa)}`,
        "    server: https://192.0.2.1:6443",
        "contexts:",
        `- name: admin@${resourceName}`,
        "  context:",
        `    cluster: ${resourceName}`,
        "    user: admin",
        `current-context: admin@${resourceName}`,
        "users:",
        "- name: admin",
        "  user:",
        `    token: MOCK-ADMIN-CREDENTIAL-${resourceName}`,
        "",
    ].join("\n");
}

/**
 * The body line of a mock PEM: names the kind and the resource, in base64's alphabet so PEM validation accepts it
 * (e.g. `MOCK+CERT+mesh+ca+root`).
 */
/** The bootstrap token the mock `<cluster>-<control plane>-join-token-<worker>` command prints. */
export function mockJoinToken(resourceName: string): string {
    const alphabet = "abcdefghijkmnopqrstuvwxyz23456789";
    return `${mockRandom(`${resourceName}-id`, 6, alphabet)}.${mockRandom(resourceName, 16, alphabet)}`;
}

export function mockMarker(kind: "CERT" | "KEY" | "CSR", resourceName: string): string {
    return `MOCK+${kind}+${resourceName.replace(/[^A-Za-z0-9]/g, "+")}`;
}

/**
 * The mock realm signing key: a fixed throw-away RSA 2048 test key (PKCS#8 PEM, as the tls provider gives it), so
 * what derives from it (JWKS, test tokens, the checks' input hash) is the same in every run and in the plans.
 */
export function testRsaKey(): string {
    return fs.readFileSync(path.join(__dirname, "..", "fixtures", "test-realm-signing-key.pem"), "utf8");
}

export function mockRandom(name: string, length: number, alphabet: string): string {
    let out = "";
    for (let i = 0; out.length < length; i++) {
        out += alphabet[(name.charCodeAt(i % name.length) + i * 7) % alphabet.length];
    }
    return out;
}
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

/** Per provider, the API server address its `default/kubernetes` EndpointSlice lists (mocked reads). */
const apiAddresses = new Map<string, string>();

/** The subscription of every mock Azure resource ID. */
export const mockSubscription = "00000000-0000-0000-0000-000000000000";
/** The API server addresses of the mock created clusters (documentation names and addresses, never routed). */
export const mockAksFqdn = "aks-dns-4f2a1b2c.hcp.westeurope.azmk8s.io";
export const mockGkeEndpoint = "203.0.113.20";
/** What the mock `getClientConfig` returns as the Google OAuth access token. */
export const mockGcpAccessToken = "ya29.MOCK-GCP-ACCESS-TOKEN";

/** A physical name as Pulumi's auto-naming makes it (logical name + 7 characters). */
const autoName = (name: string): string => `${name}-${mockRandom(name, 7, "abcdefghijklmnopqrstuvwxyz0123456789")}`;

/** Resource IDs: Azure's are ARM paths (the program derives the subscription from one), others `<name>-id`. */
function mockId(args: pulumi.runtime.MockResourceArgs): string {
    if (args.type.startsWith("azure-native:")) {
        const provider = args.type.split(":")[1];
        return `/subscriptions/${mockSubscription}/resourceGroups/mock-group/providers/Microsoft.${provider}/${args.type.split(":")[2]}/${autoName(args.name)}`;
    }
    return `${args.name}-id`;
}

/** Provider functions (invokes) the program calls: the created clusters' credentials. */
function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    switch (args.token) {
        case "azure-native:containerservice:listManagedClusterAdminCredentials":
            // Base64, as AKS returns it; a cluster-admin client certificate (local accounts).
            return {
                kubeconfigs: [
                    {
                        name: "clusterAdmin",
                        value: b64(
                            [
                                "apiVersion: v1",
                                "kind: Config",
                                "clusters:",
                                `- name: ${String(args.inputs.resourceName)}`,
                                "  cluster:",
                                `    certificate-authority-data: ${b64(fakeCa)}`,
                                `    server: https://${mockAksFqdn}:443`,
                                "contexts:",
                                `- name: ${String(args.inputs.resourceName)}-admin`,
                                "  context:",
                                `    cluster: ${String(args.inputs.resourceName)}`,
                                "    user: clusterAdmin",
                                `current-context: ${String(args.inputs.resourceName)}-admin`,
                                "users:",
                                "- name: clusterAdmin",
                                "  user:",
                                `    client-certificate-data: ${b64("MOCK-AKS-ADMIN-CERT")}`,
                                `    client-key-data: ${b64("MOCK-AKS-ADMIN-KEY")}`,
                                "",
                            ].join("\n"),
                        ),
                    },
                ],
            };
        case "gcp:organizations/getClientConfig:getClientConfig":
            return { accessToken: mockGcpAccessToken, project: "zta-mock-project", region: "europe-west3", id: "mock" };
        default:
            throw new Error(`unexpected provider call ${args.token}`);
    }
}

/** Deterministic engine state for the resource types the program uses. */
function mockState(args: pulumi.runtime.MockResourceArgs, opts: EngineOptions, lbAddresses: Map<string, string>): Record<string, any> {
    const inputs = args.inputs;
    switch (args.type) {
        case "tls:index/privateKey:PrivateKey":
            if (args.name.endsWith("-realm-key")) {
                // A real key: the program derives the realm's JWKS and signs test tokens with it.
                return { ...inputs, privateKeyPem: testRsaKey(), privateKeyPemPkcs8: testRsaKey(), publicKeyPem: `PUB-${args.name}` };
            }
            return {
                ...inputs,
                privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${mockMarker("KEY", args.name)}\n-----END PRIVATE KEY-----\n`,
                publicKeyPem: `PUB-${args.name}`,
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { ...inputs, certPem: `-----BEGIN CERTIFICATE-----\n${mockMarker("CERT", args.name)}\n-----END CERTIFICATE-----\n` };
        case "tls:index/certRequest:CertRequest":
            return {
                ...inputs,
                certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${mockMarker("CSR", args.name)}\n-----END CERTIFICATE REQUEST-----\n`,
            };
        case "command:remote:Command":
            // Only the kubeconfig read-back's and the join tokens' stdout are consumed by the program.
            return {
                ...inputs,
                // Framed as the scripts print them (kubeconfigReadback.ts, kubeadmJoin.ts), minus the final newline the
                // provider strips.
                stdout: args.name.endsWith("-kubeconfig")
                    ? `-----BEGIN ZTA KUBECONFIG-----\n${b64(mockAdminConf(args.name))}\n-----END ZTA KUBECONFIG-----`
                    : args.name.includes("-join-token-")
                      ? `-----BEGIN ZTA JOIN TOKEN-----\n${mockJoinToken(args.name)}\n-----END ZTA JOIN TOKEN-----`
                      : "",
                stderr: "",
            };
        case "random:index/randomPassword:RandomPassword": {
            const alphabet =
                inputs.upper === false ? "abcdefghijkmnopqrstuvwxyz23456789" : "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
            const result = mockRandom(args.name, Number(inputs.length ?? 16), alphabet);
            return {
                ...inputs,
                result,
                bcryptHash: `$2a$10$${mockRandom(args.name, 53, "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")}`,
            };
        }
        case "random:index/randomString:RandomString":
            return { ...inputs, result: mockRandom(args.name, Number(inputs.length ?? 16), "abcdefghijklmnopqrstuvwxyz0123456789") };
        case "kubernetes:core/v1:Secret":
            if (inputs.type === "kubernetes:io/service-account-token" || inputs.type === "kubernetes.io/service-account-token") {
                // The token controller fills these in; pulumi-kubernetes waits for them.
                return { ...inputs, data: { token: b64(`token-of-${args.name}`), "ca.crt": b64(fakeCa), namespace: b64("istio-system") } };
            }
            return inputs;
        case "kubernetes:batch/v1:Job":
            // The provider returns a Job once it completed (the engine awaits it).
            return { ...inputs, status: { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] } };
        case "kubernetes:helm.sh/v3:Release":
            return {
                ...inputs,
                status: {
                    name: inputs.name,
                    namespace: inputs.namespace,
                    status: "deployed",
                    chart: inputs.chart,
                    version: inputs.version ?? "",
                },
            };
        case "kubernetes:core/v1:Service": {
            const provider = args.provider ?? "";
            if (!lbAddresses.has(provider)) {
                // TEST-NET-2 (RFC 5737): documentation addresses, never routed.
                lbAddresses.set(provider, `198.51.100.${10 + lbAddresses.size}`);
            }
            return { ...inputs, status: { loadBalancer: { ingress: [{ ip: lbAddresses.get(provider) }] } } };
        }
        case "kubernetes:discovery.k8s.io/v1:EndpointSlice": {
            // The API server's `default/kubernetes` slice (a read): one documentation address per cluster (TEST-NET-3).
            const provider = args.provider ?? "";
            if (!apiAddresses.has(provider)) {
                apiAddresses.set(provider, `203.0.113.${100 + apiAddresses.size}`);
            }
            return {
                addressType: "IPv4",
                endpoints: [{ addresses: [apiAddresses.get(provider)] }],
                ports: [{ name: "https", port: 443, protocol: "TCP" }],
            };
        }
        // The created clusters' resources: what the clouds return that the program reads.
        case "azure-native:resources:ResourceGroup":
        case "azure-native:network:VirtualNetwork":
        case "azure-native:network:Subnet":
        case "gcp:compute/network:Network":
        case "gcp:compute/router:Router":
            return { ...inputs, name: inputs.name ?? autoName(args.name) };
        case "azure-native:containerservice:ManagedCluster":
            return {
                ...inputs,
                name: autoName(args.name),
                fqdn: mockAksFqdn,
                identity: { type: "SystemAssigned", principalId: "11111111-1111-1111-1111-111111111111" },
            };
        case "gcp:container/cluster:Cluster":
            return {
                ...inputs,
                name: autoName(args.name),
                endpoint: mockGkeEndpoint,
                masterAuth: { ...(inputs.masterAuth ?? {}), clusterCaCertificate: b64(fakeCa) },
            };
        case "pulumi:pulumi:StackReference": {
            const name = String(inputs.name ?? args.id);
            const outputs = opts.stackOutputs?.[name];
            if (!outputs) {
                throw new Error(`no such stack: ${name}`);
            }
            return { name, outputs, secretOutputNames: opts.secretStackOutputs?.[name] ?? [] };
        }
        default:
            return inputs;
    }
}

/** Installs recording mocks. Call before importing the code under test. */
export function startEngine(opts: EngineOptions): Promise<{ recording: () => Recording; finish: () => Promise<Recording> }> {
    const lbAddresses = new Map<string, string>();
    apiAddresses.clear();
    const mocks: pulumi.runtime.Mocks = {
        newResource: (args) => ({ id: args.id || mockId(args), state: mockState(args, opts, lbAddresses) }),
        call: (args) => mockCall(args),
    };
    // setMocks, but with the recording monitor: set it, then enable the features setMocks enables.
    const monitor = new RecordingMonitor(mocks);
    // A preview, as `pulumi preview` evaluates the program: the gates that read live clusters during an update
    // (verification/remoteSyncGate.ts) stay unknown here; their own tests and the sim tier run them.
    pulumi.runtime.setMockOptions(monitor, "zta-testbed", opts.stack, true);
    // getStore is @internal in the SDK typings; it is what setMocks itself uses.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore: () => Record<string, unknown> };
    Object.assign(getStore(), {
        supportsSecrets: true,
        supportsResourceReferences: true,
        supportsOutputValues: false,
        supportsDeletedWith: true,
        supportsReplaceWith: true,
        supportsAliasSpecs: true,
        supportsTransforms: false,
        supportsParameterization: true,
        supportsResourceHooks: true,
        supportsErrorHooks: true,
    });
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;
    return Promise.resolve({
        recording: () => new Recording([...monitor.records]),
        finish: async () => {
            await waitForRPCs();
            return new Recording([...monitor.records]);
        },
    });
}

/** Resolves an Output in tests. */
export function promiseOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}
