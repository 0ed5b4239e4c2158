/**
 * Hands a kubeadm cluster's admin kubeconfig to Pulumi: the read-back script (run on the control-plane host after
 * the init script, its stdout a Pulumi secret), the unframing of its output, and the CA hash workers join with.
 */
import { createHash, X509Certificate } from "node:crypto";
import { parse } from "yaml";
import { adminKubeconfig, apiServerReadyGate, initPending } from "./kubeadm";
import { renderScript, shellQuote } from "./script";

/**
 * The script whose stdout is the admin kubeconfig (and nothing else: its logs go to stderr), once the API server is
 * ready. Run it on the control-plane host after the init script; make its stdout a Pulumi secret.
 */
export function renderKubeconfigRead(): string {
    const sections: string[] = [];
    sections.push(`# stdout carries the kubeconfig only (it becomes a secret output): everything else goes to stderr.
exec 3>&1 1>&2
ADMIN_CONF=${shellQuote(adminKubeconfig)}
if [[ ! -f "$ROOT$ADMIN_CONF" ]]; then
    die "kubeconfig: $ADMIN_CONF does not exist; run the kubeadm init script first"
fi
if is_pending ${initPending}; then
    die "kubeconfig: a previous kubeadm init did not complete; run the kubeadm reset (destroy) script, then the init script"
fi
`);
    sections.push(apiServerReadyGate());
    // Framed and base64-encoded: whatever else a login shell's rc files print on stdout cannot corrupt it
    // (kubeconfigFromReadback takes only what is between the frame lines).
    sections.push(`{
    printf '%s\\n' ${shellQuote(readbackBegin)}
    base64 -w 0 -- "$ROOT$ADMIN_CONF"
    printf '\\n%s\\n' ${shellQuote(readbackEnd)}
} >&3
`);
    return renderScript("kubeconfig read", sections);
}

export const readbackBegin = "-----BEGIN ZTA KUBECONFIG-----";
export const readbackEnd = "-----END ZTA KUBECONFIG-----";

/**
 * The kubeconfig from the read-back's stdout: the base64 between the frame lines, decoded. Throws (without
 * echoing stdout, which holds a credential) when the frame is missing or broken.
 */
export function kubeconfigFromReadback(stdout: string): string {
    const lines = stdout.split(/\r?\n/);
    const begin = lines.indexOf(readbackBegin);
    const end = lines.indexOf(readbackEnd, begin + 1);
    if (begin < 0 || end !== begin + 2 || !/^[A-Za-z0-9+/]+=*$/.test(lines[begin + 1])) {
        throw new Error("kubeconfig read-back: stdout does not hold one framed kubeconfig (the script's output was cut or altered)");
    }
    return Buffer.from(lines[begin + 1], "base64").toString("utf8");
}

type YamlMap = Record<string, unknown>;

function isMap(value: unknown): value is YamlMap {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function namedEntries(doc: YamlMap, key: string): YamlMap[] {
    const list = doc[key];
    return Array.isArray(list) ? list.filter(isMap) : [];
}

/**
 * "sha256:<hex>" of the DER SubjectPublicKeyInfo of the cluster CA in a kubeconfig's certificate-authority-data (the
 * cluster of the current context, or the only cluster): what `kubeadm join --discovery-token-ca-cert-hash` and
 * JoinConfiguration caCertHashes expect. Errors never quote the kubeconfig (it holds the admin's private key).
 */
export function discoveryHashFromKubeconfig(kubeconfig: string): string {
    let doc: unknown;
    try {
        doc = parse(kubeconfig);
    } catch {
        // The parser's message quotes the offending line, which may be the private key.
        throw new Error("kubeconfig: not valid YAML");
    }
    if (!isMap(doc)) {
        throw new Error("kubeconfig: expected a YAML mapping (kind: Config)");
    }
    const clusters = namedEntries(doc, "clusters");
    let clusterName: unknown;
    const currentContext = doc["current-context"];
    if (typeof currentContext === "string" && currentContext !== "") {
        const context = namedEntries(doc, "contexts").find((c) => c.name === currentContext)?.context;
        if (!isMap(context) || typeof context.cluster !== "string") {
            throw new Error(`kubeconfig: current-context "${currentContext}" names no context with a cluster`);
        }
        clusterName = context.cluster;
    } else if (clusters.length === 1) {
        clusterName = clusters[0].name;
    } else {
        throw new Error(`kubeconfig: no current-context, and ${clusters.length} clusters instead of one`);
    }
    const cluster = clusters.find((c) => c.name === clusterName)?.cluster;
    const data = isMap(cluster) ? cluster["certificate-authority-data"] : undefined;
    if (typeof data !== "string" || !/^[A-Za-z0-9+/=\s]+$/.test(data)) {
        throw new Error(`kubeconfig: cluster "${String(clusterName)}" has no base64 certificate-authority-data`);
    }
    const pem = Buffer.from(data, "base64").toString("utf8");
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    if (blocks !== 1) {
        throw new Error(`kubeconfig: certificate-authority-data holds ${blocks} PEM certificates; expected the cluster CA alone`);
    }
    let ca: X509Certificate;
    try {
        ca = new X509Certificate(pem);
    } catch {
        throw new Error("kubeconfig: certificate-authority-data is not a valid PEM certificate");
    }
    if (!ca.ca) {
        throw new Error("kubeconfig: certificate-authority-data is not a CA certificate (basicConstraints CA:FALSE or missing)");
    }
    const spki = ca.publicKey.export({ type: "spki", format: "der" });
    return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}
