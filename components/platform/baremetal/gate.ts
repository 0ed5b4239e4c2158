/**
 * A gate for objects an admission webhook validates: a server-side dry run of the real manifest, repeated until the
 * webhook serves. Used so MetalLB's IPAddressPool/L2Advertisement are created only once MetalLB's validating webhook
 * answers (a ready controller Deployment does not mean that). Pure renderer; tests/platform/baremetal runs it against stubs.
 */
import { adminKubeconfig } from "./kubeadm";
import { renderScript, shellQuote } from "./script";

export interface ApplyGateInput {
    /** What is gated, for messages, e.g. "MetalLB IPAddressPool". */
    readonly what: string;
    /** The manifest to dry-run: one object, or a v1 List of objects. Embedded in the script: never a Secret. */
    readonly manifest: object;
    /** Dry runs, one second apart, before giving up. Default `applyGateAttempts`. */
    readonly attempts?: number;
}

export const applyGateAttempts = 120;
/** Bounds each dry run: a webhook that hangs fails the attempt instead of the whole gate. */
export const applyGateRequestTimeout = "20s";

/**
 * kubectl's stderr when the object cannot be judged yet: the webhook has no ready endpoint or does not answer, or the
 * CRD is not registered (or not yet in the API server's discovery). Anything else is the server's verdict.
 */
export const notServingYet = [
    "failed calling webhook",
    "connection refused",
    "no endpoints available for service",
    "context deadline exceeded",
    "the server could not find the requested resource",
    "no matches for kind",
] as const;

function objectsOf(manifest: object): Record<string, unknown>[] {
    const m = manifest as Record<string, unknown>;
    if (Array.isArray(manifest) || typeof m.apiVersion !== "string" || typeof m.kind !== "string") {
        throw new Error("manifest: expected one Kubernetes object with apiVersion and kind (or a v1 List)");
    }
    if (m.kind !== "List") {
        return [m];
    }
    const items = m.items;
    if (!Array.isArray(items) || items.length === 0) {
        throw new Error("manifest: a List needs a non-empty items array");
    }
    return items.map((item: unknown, i) => {
        const o = item as Record<string, unknown>;
        if (typeof item !== "object" || item === null || typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
            throw new Error(`manifest: items[${i}] is not a Kubernetes object with apiVersion and kind`);
        }
        return o;
    });
}

/**
 * The gate script, run on the control-plane host: `kubectl apply --dry-run=server` of `manifest` until it succeeds,
 * at most `attempts` times one second apart. "Not serving yet" errors (`notServingYet`) are retried; any other error
 * (the webhook rejecting the object, RBAC, a missing namespace) fails at once with the server's message.
 */
export function renderApplyGate(input: ApplyGateInput): string {
    // eslint-disable-next-line no-control-regex
    if (!/^[^\u0000-\u001f\u007f]{1,100}$/.test(input.what)) {
        throw new Error("what: expected 1-100 characters without control characters");
    }
    const attempts = input.attempts ?? applyGateAttempts;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 3600) {
        throw new Error(`attempts: expected an integer from 1 to 3600, got ${String(input.attempts)}`);
    }
    objectsOf(input.manifest).forEach((o, i) => {
        // The script text is logged and stored in Pulumi state.
        if (o.kind === "Secret") {
            throw new Error(`manifest: object ${i} is a Secret; the gate embeds the manifest in the script, so it must hold no secret`);
        }
    });
    // One line of JSON: it cannot be the here-document's end line.
    const json = JSON.stringify(input.manifest);
    const sections: string[] = [];

    sections.push(`WHAT=${shellQuote(input.what)}
ADMIN_CONF=${shellQuote(adminKubeconfig)}
manifest="$(cat <<'ZTA_EOF'
${json}
ZTA_EOF
)"
if [[ ! -f "$ROOT$ADMIN_CONF" ]]; then
    die "gate: $WHAT: $ADMIN_CONF does not exist; the gate runs on the control-plane host after kubeadm init"
fi
`);

    sections.push(`# A poll with a success condition: the server-side dry run passes the webhook. Only "not serving yet" is retried.
attempts=${attempts}
for ((attempt = 1; ; attempt++)); do
    if errors="$(kubectl --kubeconfig "$ROOT$ADMIN_CONF" apply --dry-run=server --request-timeout=${applyGateRequestTimeout} -f - <<<"$manifest" 2>&1 >/dev/null)"; then
        break
    else
        status=$?
    fi
    case "$errors" in
    ${notServingYet.map((text) => `*${shellQuote(text)}*`).join(" | ")}) ;;
    *) die "gate: $WHAT: the API server refused the manifest (kubectl exit status $status, attempt $attempt): $errors" ;;
    esac
    if ((attempt >= attempts)); then
        die "gate: $WHAT: still not accepted after $attempts attempts, 1 s apart: the webhook or CRD never served (last: $errors)"
    fi
    sleep 1
done
printf 'zta: gate: %s: accepted by a server-side dry run after %d attempt(s)\\n' "$WHAT" "$attempt"
`);

    return renderScript(`apply gate (${input.what})`, sections);
}
