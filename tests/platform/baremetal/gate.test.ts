/** The admission-webhook gate (server-side dry runs until the webhook serves), run against stubs (stubs.ts). */
import { ApplyGateInput, applyGateAttempts, notServingYet, renderApplyGate } from "../../../components/platform/baremetal/gate";
import { bashSyntax, commandLine, hostPool, isStateChanging, ScriptRun, shellcheck, StubHost } from "./stubs";

const pool = {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: "lab", namespace: "metallb-system" },
    spec: { addresses: ["10.0.0.200-10.0.0.220"], autoAssign: true },
};
const input: ApplyGateInput = { what: "MetalLB IPAddressPool", manifest: pool, attempts: 5 };
const script = renderApplyGate(input);

/** The control-plane host: kubeadm init has written admin.conf. */
const hosts = hostPool((host) => host.putFile("/etc/kubernetes/admin.conf", "apiVersion: v1\nkind: Config\n", 0o600));
afterAll(hosts.cleanup);

function lines(host: StubHost, r: ScriptRun): string[] {
    return r.calls.map((c) => commandLine(c).split(host.root).join("<ROOT>"));
}

const dryRun = "kubectl --kubeconfig <ROOT>/etc/kubernetes/admin.conf apply --dry-run=server --request-timeout=20s -f -";
const done = (attempts: number) =>
    `zta: gate: MetalLB IPAddressPool: accepted by a server-side dry run after ${attempts} attempt(s)\nzta: apply gate (MetalLB IPAddressPool): 0 change(s)\n`;
/** `n` dry runs, one second apart. */
const polls = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? [dryRun] : ["sleep 1", dryRun])).flat();

function run(outcomes: string[]): { host: StubHost; r: ScriptRun } {
    const host = hosts.fresh();
    host.setState("dryrun", outcomes);
    return { host, r: host.run(script) };
}

describe("renderApplyGate", () => {
    test("bash -n and shellcheck are clean", () => {
        expect(bashSyntax(script)).toBe("");
        expect(shellcheck(script)).toBe("");
    });

    test("is pure; the default is 120 attempts", () => {
        expect(renderApplyGate({ ...input, manifest: { ...pool } })).toBe(script);
        expect(applyGateAttempts).toBe(120);
        expect(renderApplyGate({ what: "x", manifest: pool })).toContain("\nattempts=120\n");
    });

    test.each<[string, Partial<ApplyGateInput>, string]>([
        ["a what with a newline", { what: "a\nb" }, "what:"],
        ["an empty what", { what: "" }, "what:"],
        ["zero attempts", { attempts: 0 }, "attempts:"],
        ["fractional attempts", { attempts: 1.5 }, "attempts:"],
        ["an array as manifest", { manifest: [pool] }, "manifest: expected one Kubernetes object"],
        ["a manifest without kind", { manifest: { apiVersion: "v1" } }, "manifest: expected one Kubernetes object"],
        ["an empty List", { manifest: { apiVersion: "v1", kind: "List", items: [] } }, "manifest: a List needs"],
        ["a List with a non-object", { manifest: { apiVersion: "v1", kind: "List", items: [pool, 3] } }, "manifest: items[1]"],
        ["a Secret (the script text is logged)", { manifest: { apiVersion: "v1", kind: "Secret" } }, "manifest: object 0 is a Secret"],
        [
            "a Secret inside a List",
            { manifest: { apiVersion: "v1", kind: "List", items: [pool, { apiVersion: "v1", kind: "Secret" }] } },
            "manifest: object 1 is a Secret",
        ],
    ])("refuses %s, naming the field", (_what, change, message) => {
        expect(() => renderApplyGate({ ...input, ...change })).toThrow(message);
    });
});

describe("a webhook that serves", () => {
    test("at once: one dry run of exactly the manifest, on stdin; nothing changes", () => {
        const { host, r } = run([]);
        expect([r.status, r.stderr, r.stdout]).toEqual([0, "", done(1)]);
        expect(lines(host, r)).toEqual([dryRun]);
        expect(JSON.parse(r.calls[0].stdin ?? "")).toEqual(pool);
        expect(r.calls.filter(isStateChanging)).toEqual([]);
    });

    test("after 3 refused webhook calls: 4 dry runs, 1 s apart", () => {
        const { host, r } = run(["webhook-down 3"]);
        expect([r.status, r.stderr, r.stdout]).toEqual([0, "", done(4)]);
        expect(lines(host, r)).toEqual(polls(4));
        expect(r.calls.filter(isStateChanging)).toEqual([]);
    });

    test("through every kind of not-ready: unregistered CRD, no endpoints, refused webhook", () => {
        const { host, r } = run(["crd-missing 1", "no-endpoints 2", "webhook-down 1"]);
        expect([r.status, r.stdout]).toEqual([0, done(5)]);
        expect(lines(host, r)).toEqual(polls(5));
    });

    // Spelled out here (not taken from the module), so dropping one from the script fails its case.
    const retried = [
        "failed calling webhook",
        "connection refused",
        "no endpoints available for service",
        "context deadline exceeded",
        "the server could not find the requested resource",
        "no matches for kind",
    ];
    test("the exported list is exactly these", () => {
        expect([...notServingYet]).toEqual(retried);
    });
    test.each(retried.map((text) => [text]))("retries an error saying only %j", (text) => {
        const { r } = run([`error 1 Error from server: ${text}`]);
        expect([r.status, r.stdout]).toEqual([0, done(2)]);
    });
});

describe("errors that are the server's verdict fail at once", () => {
    test("the webhook rejecting the object as invalid stops on attempt 1 with the server's message", () => {
        const { host, r } = run(["invalid 1"]);
        expect([r.status, r.stdout]).toEqual([1, ""]);
        expect(lines(host, r)).toEqual([dryRun]);
        expect(r.stderr).toBe(
            'zta: gate: MetalLB IPAddressPool: the API server refused the manifest (kubectl exit status 1, attempt 1): Error from server (Forbidden): error when creating "STDIN": admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: invalid CIDR "10.0.0.300/32" in pool "lab"\n',
        );
    });

    test("an invalid object once the webhook serves stops right there (attempt 3), without using up the attempts", () => {
        const { host, r } = run(["webhook-down 2", "invalid 1"]);
        expect(r.status).toBe(1);
        expect(lines(host, r)).toEqual(polls(3));
        expect(r.stderr).toContain("(kubectl exit status 1, attempt 3): Error from server (Forbidden)");
    });

    test.each([
        ['Error from server (NotFound): error when creating "STDIN": namespaces "metallb-system" not found'],
        ['Error from server (Forbidden): ipaddresspools.metallb.io "lab" is forbidden: User "x" cannot create resource'],
    ])("%s", (message) => {
        const { host, r } = run([`error never ${message}`]);
        expect(r.status).toBe(1);
        expect(lines(host, r)).toEqual([dryRun]);
        expect(r.stderr).toBe(
            `zta: gate: MetalLB IPAddressPool: the API server refused the manifest (kubectl exit status 1, attempt 1): ${message}\n`,
        );
    });

    test("a failing kubectl (no stderr pattern) is not retried either", () => {
        const host = hosts.fresh();
        host.failOn(dryRun.split("<ROOT>").join(host.root));
        const r = host.run(script);
        expect(r.status).toBe(1);
        expect(lines(host, r)).toEqual([dryRun]);
        expect(r.stderr).toContain("attempt 1): stub: kubectl told to fail");
    });
});

describe("a webhook that never serves", () => {
    test("uses up the attempts, 1 s apart, and fails naming the last error", () => {
        const { host, r } = run(["webhook-down never"]);
        expect([r.status, r.stdout]).toEqual([1, ""]);
        expect(lines(host, r)).toEqual(polls(5));
        expect(r.stderr).toBe(
            'zta: gate: MetalLB IPAddressPool: still not accepted after 5 attempts, 1 s apart: the webhook or CRD never served (last: Error from server (InternalError): error when creating "STDIN": Internal error occurred: failed calling webhook "ipaddresspoolvalidationwebhook.metallb.io": failed to call webhook: Post "https://metallb-webhook-service.metallb-system.svc:443/validate-metallb-io-v1beta1-ipaddresspool?timeout=10s": dial tcp 10.96.0.20:443: connect: connection refused)\n',
        );
    });

    test("a single attempt means no pause", () => {
        const host = hosts.fresh();
        host.setState("dryrun", ["no-endpoints never"]);
        const r = host.run(renderApplyGate({ ...input, attempts: 1 }));
        expect(r.status).toBe(1);
        expect(lines(host, r)).toEqual([dryRun]);
        expect(r.stderr).toContain("still not accepted after 1 attempts");
    });
});

test("without admin.conf (not the control-plane host) it fails before calling kubectl", () => {
    const host = new StubHost();
    try {
        const r = host.run(script);
        expect([r.status, r.calls]).toEqual([1, []]);
        expect(r.stderr).toBe(
            "zta: gate: MetalLB IPAddressPool: /etc/kubernetes/admin.conf does not exist; the gate runs on the control-plane host after kubeadm init\n",
        );
    } finally {
        host.cleanup();
    }
});
