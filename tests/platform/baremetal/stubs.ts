/**
 * Runs rendered bare-metal scripts against stub system commands, in a scratch directory.
 *
 * Each stub is a small bash script that records its call (argv, environment, and stdin for commands that read
 * it) and emulates just enough state, kept in files, for the scripts' checks to see the effect of their own
 * actions: `apt-get install` feeds `dpkg-query`, `modprobe` feeds `lsmod`, `swapoff` clears `swapon --show`,
 * `systemctl enable` feeds `systemctl show`, `apt-mark hold` feeds `apt-mark showhold`, `hostnamectl set-hostname`
 * feeds `hostnamectl --static/--transient`, `kubeadm join` writes the kubelet.conf the join script checks.
 * Invocations a stub does not know exit 64, so a script drifting from what the stubs emulate fails loudly.
 *
 * PATH is the stub directory ONLY, holding the stubs plus links to a short list of harmless tools: a script
 * calling anything else (a real apt-get, reboot, ...) gets "command not found" instead of touching this machine.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runShellcheck } from "../../harness/tools";

/** One recorded stub invocation. */
export interface StubCall {
    readonly name: string;
    readonly argv: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    /** What the command read on stdin (only for stubs of commands that read it). */
    readonly stdin?: string;
    /** The stub was told to fail and exited 1. */
    readonly failed: boolean;
}

export interface ScriptRun {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
    /** Stub calls of this run, in order. */
    readonly calls: readonly StubCall[];
}

export interface FileState {
    readonly mode: string;
    readonly content: string;
    /** Changes when the file is replaced (write_file renames): equal inodes prove it was left alone. */
    readonly ino: number;
    readonly mtimeMs: number;
}

/** `name arg1 arg2 ...`: how calls are shown, and matched by `failOn`. */
export function commandLine(call: StubCall): string {
    return [call.name, ...call.argv].join(" ");
}

/** Calls that change the machine (reads like dpkg-query, lsmod, `systemctl show` are not). */
export function isStateChanging(call: StubCall): boolean {
    const first = call.argv[0] ?? "";
    switch (call.name) {
        case "dpkg-query":
        case "lsmod":
        case "id":
        case "ip":
            // The ip stub emulates only `ip -o -4 addr show`.
            return false;
        case "hostnamectl":
            return first.startsWith("set-");
        case "swapon":
            return first !== "--show";
        case "systemctl":
            return !["show", "is-enabled", "is-active", "status", "cat"].includes(first);
        case "apt-mark":
            return first !== "showhold";
        case "docker":
            return !["ps", "inspect"].includes(first);
        case "curl":
            // Downloads to stdout or /dev/null only read; writing a file would change state.
            return call.argv.some((a, i) => (a === "-o" || a === "--output") && call.argv[i + 1] !== "/dev/null");
        case "sleep":
            return false;
        case "kubectl": {
            // kubectl --kubeconfig FILE VERB ...: get and server-side dry runs only read.
            const args = call.argv[0] === "--kubeconfig" ? call.argv.slice(2) : call.argv;
            return !(args[0] === "get" || (args[0] === "apply" && args.includes("--dry-run=server")));
        }
        default:
            return true;
    }
}

/** Tools scripts and stubs may use for real: no side effects outside the files they are given. */
const harmlessTools = [
    "awk",
    "base64",
    "basename",
    "cat",
    "chmod",
    "cmp",
    "cp",
    "dirname",
    "env",
    "grep",
    "head",
    "ln",
    "ls",
    "mkdir",
    "mktemp",
    "mv",
    "rm",
    "sed",
    "sha256sum",
    "sort",
    "stat",
    "tail",
    "touch",
    "tr",
    "wc",
];

/** Sourced by every stub: recording, failure injection and key-value state files. */
const stubLib = (log: string, state: string) => `set -euo pipefail
shopt -s nullglob
LOG=${q(log)}
STATE=${q(state)}
STUB_NAME="\${0##*/}"

# Numbered records LOG/NNNNNN.{name,argv,env,stdin,failed}. Creating the .name file with noclobber (O_EXCL) is
# atomic, so concurrent stubs (pipelines) never share a number; builtins only, to keep stubs fast.
stub_record() {
    local entries=("$LOG"/*.name) n
    n=\${#entries[@]}
    set -o noclobber
    while printf -v STUB_CALL '%s/%06d' "$LOG" "$n" && ! { : >"$STUB_CALL.name"; } 2>/dev/null; do
        n=$((n + 1))
        if ((n > 999999)); then echo "stub: cannot record" >&2; exit 70; fi
    done
    set +o noclobber
    printf '%s' "$STUB_NAME" >|"$STUB_CALL.name"
    if (($#)); then printf '%s\\0' "$@" >"$STUB_CALL.argv"; else : >"$STUB_CALL.argv"; fi
    env -0 >"$STUB_CALL.env"
    if [[ "\${STUB_READS_STDIN:-0}" == 1 ]]; then cat >"$STUB_CALL.stdin"; fi
}

# Fails (exit 1) when the file "fail" has a line equal to, or a word prefix of, "name arg1 arg2 ...".
stub_fail_if_told() {
    local line pattern
    line="$STUB_NAME\${*:+ $*}"
    [[ -f "$STATE/fail" ]] || return 0
    while IFS= read -r pattern; do
        [[ -n "$pattern" ]] || continue
        if [[ "$line" == "$pattern" || "$line" == "$pattern "* ]]; then
            : >"$STUB_CALL.failed"
            echo "stub: $STUB_NAME told to fail" >&2
            exit 1
        fi
    done <"$STATE/fail"
}

stub_unsupported() {
    echo "stub: unsupported invocation: $STUB_NAME $*" >&2
    exit 64
}

# State files hold lines "key [value]" (read with builtins: no awk per call).
state_get() {
    local key value
    [[ -f "$STATE/$1" ]] || return 1
    while read -r key value; do
        if [[ "$key" == "$2" ]]; then printf '%s\\n' "$value"; return 0; fi
    done <"$STATE/$1"
    return 1
}
state_has() { state_get "$@" >/dev/null; }
state_del() {
    local line rest=()
    if [[ -f "$STATE/$1" ]]; then
        while IFS= read -r line; do
            if [[ "\${line%% *}" != "$2" ]]; then rest+=("$line"); fi
        done <"$STATE/$1"
    fi
    if ((\${#rest[@]})); then printf '%s\\n' "\${rest[@]}" >"$STATE/$1"; else : >"$STATE/$1"; fi
}
state_set() {
    state_del "$1" "$2"
    printf '%s\\n' "$2\${3:+ $3}" >>"$STATE/$1"
}
`;

/**
 * Stub bodies, run after recording and failure injection; "$@" is the command's argv. `readsStdin`: the stub records
 * stdin always (true), or when a bash condition on its arguments holds (a string).
 */
const stubs: Record<string, { readonly readsStdin?: boolean | string; readonly body: string }> = {
    "apt-get": {
        body: `case "\${1:-}" in
update)
    shift
    [[ "$*" == "-o DPkg::Lock::Timeout=600" ]] || stub_unsupported update "$@"
    echo "stub: package lists updated" ;;
install)
    shift
    allow_held=0
    for arg in "$@"; do
        if [[ "$arg" == --allow-change-held-packages ]]; then allow_held=1; fi
    done
    option=0
    for arg in "$@"; do
        if ((option)); then
            [[ "$arg" == Dpkg::Options::=--force-confold || "$arg" == DPkg::Lock::Timeout=600 ]] || stub_unsupported install -o "$arg"
            option=0
            continue
        fi
        case "$arg" in
        -y | --no-install-recommends | --no-remove | --allow-change-held-packages | --allow-downgrades) continue ;;
        -o) option=1; continue ;;
        -*) stub_unsupported install "$arg" ;;
        esac
        package="\${arg%%=*}"
        version=stub-1.0
        if [[ "$arg" == *=* ]]; then version="\${arg#*=}"; fi
        if state_has holds "$package" && ((!allow_held)); then
            echo "E: Held packages were changed and -y was used without --allow-change-held-packages." >&2
            exit 100
        fi
        state_set dpkg "$package" "$version"
    done ;;
*) stub_unsupported "$@" ;;
esac`,
    },
    "apt-mark": {
        body: `case "\${1:-}" in
showhold) if [[ -f "$STATE/holds" ]]; then cat "$STATE/holds"; fi ;;
hold)
    shift
    for package in "$@"; do state_set holds "$package"; echo "$package set on hold."; done ;;
*) stub_unsupported "$@" ;;
esac`,
    },
    "dpkg-query": {
        // Emulates --show with a --showformat of \${Package}, \${Version}, \${db:Status-Status} and \\n.
        body: `format='\${Package}\\t\${Version}\\n'
show=0
patterns=()
while (($#)); do
    case "$1" in
    -W | --show) show=1 ;;
    -f | --showformat) format="$2"; shift ;;
    --showformat=*) format="\${1#*=}" ;;
    -*) stub_unsupported "$@" ;;
    *) patterns+=("$1") ;;
    esac
    shift
done
((show)) || stub_unsupported
emit() {
    local out="$format"
    out=\${out//'\${Package}'/$1}
    out=\${out//'\${Version}'/$2}
    out=\${out//'\${db:Status-Status}'/installed}
    printf '%b' "$out"
}
if ((\${#patterns[@]} == 0)); then
    if [[ -f "$STATE/dpkg" ]]; then
        while read -r package version; do emit "$package" "$version"; done <"$STATE/dpkg"
    fi
    exit 0
fi
status=0
for package in "\${patterns[@]}"; do
    if state_has dpkg "$package"; then
        emit "$package" "$(state_get dpkg "$package")"
    else
        echo "dpkg-query: no packages found matching $package" >&2
        status=1
    fi
done
exit "$status"`,
    },
    systemctl: {
        body: `case "\${1:-}" in
show)
    [[ "\${3:-}" == --value && $# == 4 ]] || stub_unsupported "$@"
    case "$2" in
    --property=UnitFileState) if state_has enabled "$4"; then echo enabled; else echo disabled; fi ;;
    --property=ActiveState) if state_has active "$4"; then echo active; else echo inactive; fi ;;
    *) stub_unsupported "$@" ;;
    esac ;;
is-enabled | is-active)
    file=enabled
    if [[ "$1" == is-active ]]; then file=active; fi
    shift
    quiet=0
    if [[ "\${1:-}" == --quiet ]]; then quiet=1; shift; fi
    if state_has "$file" "$1"; then ((quiet)) || echo "$file"; exit 0; fi
    ((quiet)) || echo "in$file"
    exit 1 ;;
enable)
    shift
    now=0
    for unit in "$@"; do
        if [[ "$unit" == --now ]]; then now=1; continue; fi
        state_set enabled "$unit"
        if ((now)); then state_set active "$unit"; fi
    done ;;
restart | start) state_set active "$2" ;;
daemon-reload) ;;
*) stub_unsupported "$@" ;;
esac`,
    },
    modprobe: {
        body: `(($# == 1)) && [[ "$1" != -* ]] || stub_unsupported "$@"
state_set modules "$1"`,
    },
    lsmod: {
        body: `(($# == 0)) || stub_unsupported "$@"
echo "Module                  Size  Used by"
if [[ -f "$STATE/modules" ]]; then
    while read -r module _; do printf '%-24s%s\\n' "$module" "16384  0"; done <"$STATE/modules"
fi`,
    },
    sysctl: {
        body: `[[ "$*" == --system ]] || stub_unsupported "$@"
echo "* Applying /etc/sysctl.d/*.conf ..."`,
    },
    swapon: {
        body: `[[ "\${1:-}" == --show ]] || stub_unsupported "$@"
if [[ "\${2:-}" != --noheadings ]]; then echo "NAME      TYPE SIZE USED PRIO"; fi
if [[ -f "$STATE/swaps" ]]; then cat "$STATE/swaps"; fi`,
    },
    swapoff: {
        body: `[[ "$*" == -a ]] || stub_unsupported "$@"
: >"$STATE/swaps"`,
    },
    curl: {
        // Two uses: `curl -fsSL URL` (a download to stdout), and a status check of the registries (tests/platform/
        // baremetal/registry*): `curl --silent --show-error --output /dev/null --write-out %{http_code} --cacert FILE
        // [--request POST] [--config -] https://...`. A URL on 127.0.0.1 reaches the push registry (container
        // zta-registry-push), any other the pull registry (zta-registry); each answers only while its container runs
        // (state "containers") and after "registry down N" refused connections. Without a config: "registry anonymous
        // CODE" (default 401). With a config whose user is the instance's login ("registry login" for pull,
        // "registry push-login" for push): "registry authenticated CODE" (default 200) for a GET; a POST (an upload)
        // to the pull registry answers 405 when its config.yml is read-only (storage.maintenance.readonly), else 202.
        // Any other user: 401.
        readsStdin: true,
        body: `if [[ $# == 2 && "$1" == -fsSL ]]; then
    printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\\n\\nstub key from %s\\n-----END PGP PUBLIC KEY BLOCK-----\\n' "$2"
    exit 0
fi
cacert='' config='' url='' format='' method=GET
while (($#)); do
    case "$1" in
    --silent | --show-error) ;;
    --output) [[ "$2" == /dev/null ]] || stub_unsupported "$@"; shift ;;
    --write-out) format="$2"; shift ;;
    --cacert) cacert="$2"; shift ;;
    --request) [[ "$2" == POST ]] || stub_unsupported "$@"; method=POST; shift ;;
    --config) [[ "$2" == - ]] || stub_unsupported "$@"; config=1; shift ;;
    https://*) url="$1" ;;
    *) stub_unsupported "$@" ;;
    esac
    shift
done
[[ "$format" == '%{http_code}' && -n "$url" ]] || stub_unsupported
if [[ ! -f "$cacert" ]]; then
    echo "curl: (77) error setting certificate file: $cacert" >&2
    exit 77
fi
container=zta-registry login_key=login
if [[ "$url" == https://127.0.0.1:* ]]; then container=zta-registry-push login_key=push-login; fi
running=0
if [[ -f "$STATE/containers" ]]; then
    while read -r name state _; do
        if [[ "$name" == "$container" && "$state" == true ]]; then running=1; fi
    done <"$STATE/containers"
fi
down="$(state_get registry down || echo 0)"
if ((down > 0 || !running)); then
    if ((down > 0)); then state_set registry down $((down - 1)); fi
    printf 000
    echo "curl: (7) Failed to connect to $url: Connection refused" >&2
    exit 7
fi
if [[ -z "$config" ]]; then
    printf '%s' "$(state_get registry anonymous || echo 401)"
    exit 0
fi
# The config: one line user = "ESCAPED", where curl reads \\\\ as \\ and \\" as ".
line="$(cat "$STUB_CALL.stdin")"
[[ "$line" == 'user = "'*'"' ]] || stub_unsupported --config "(stdin is not one user line)"
escaped="\${line#'user = "'}"
escaped="\${escaped%'"'}"
user='' i=0
while ((i < \${#escaped})); do
    c="\${escaped:i:1}"
    if [[ "$c" == '\\' ]]; then i=$((i + 1)); c="\${escaped:i:1}"; fi
    user+="$c"
    i=$((i + 1))
done
if [[ "$user" != "$(state_get registry "$login_key" || true)" ]]; then
    printf 401
elif [[ "$method" == POST ]]; then
    if grep -A1 -x '    readonly:' "$ZTA_ROOT/etc/zta-registry/config/config.yml" | grep -qx '      enabled: true'; then
        printf 405
    else
        printf 202
    fi
else
    printf '%s' "$(state_get registry authenticated || echo 200)"
fi`,
    },
    docker: {
        // Containers in state "containers": lines "NAME RUNNING(true|false) LABEL(zta.config-sha256) IMAGE".
        body: `case "\${1:-}" in
ps)
    [[ $# == 4 && "$2" == --all && "$3" == --format && "$4" == '{{.Names}}' ]] || stub_unsupported "$@"
    if [[ -f "$STATE/containers" ]]; then
        while read -r name _; do echo "$name"; done <"$STATE/containers"
    fi ;;
inspect)
    [[ $# == 4 && "$2" == --format && "$3" == '{{.State.Running}} {{index .Config.Labels "zta.config-sha256"}}' ]] ||
        stub_unsupported "$@"
    if ! entry="$(state_get containers "$4")"; then
        echo "Error: No such object: $4" >&2
        exit 1
    fi
    read -r running label _ <<<"$entry"
    echo "$running $label" ;;
rm)
    [[ $# == 3 && "$2" == --force ]] || stub_unsupported "$@"
    state_del containers "$3" ;;
run)
    shift
    name='' label='' image=''
    while (($#)); do
        case "$1" in
        --detach) ;;
        --name) name="$2"; shift ;;
        --restart) [[ "$2" == unless-stopped ]] || stub_unsupported run "$@"; shift ;;
        --cap-drop) [[ "$2" == ALL ]] || stub_unsupported run "$@"; shift ;;
        --security-opt) [[ "$2" == no-new-privileges ]] || stub_unsupported run "$@"; shift ;;
        --cap-drop=ALL | --security-opt=no-new-privileges | --read-only | --tmpfs=/tmp:*) ;;
        --publish | --volume) shift ;;
        --env-file)
            if [[ ! -f "$2" || "$(stat -c %a -- "$2")" != 600 ]]; then
                echo "stub: env file $2 missing or not mode 600" >&2
                exit 125
            fi
            shift ;;
        --label) [[ "$2" == zta.config-sha256=* ]] || stub_unsupported run "$@"; label="\${2#*=}"; shift ;;
        -*) stub_unsupported run "$@" ;;
        # The image; what follows is the container's command (arguments), kept in state "container-command".
        *) image="$1"; shift; break ;;
        esac
        shift
    done
    [[ -n "$name" && -n "$image" && -n "$label" ]] || stub_unsupported run
    printf '%s\n' "$@" >"$STATE/container-command"
    if state_has containers "$name"; then
        echo "docker: Error response from daemon: Conflict. The container name /$name is already in use." >&2
        exit 125
    fi
    state_set containers "$name" "true $label $image"
    echo 0123456789abcdef ;;
*) stub_unsupported "$@" ;;
esac`,
    },
    kubeadm: {
        // init writes what the scripts check (admin.conf with a stub key, manifests, pki, etcd data) and registers
        // the node with the control-plane taint unless the config says "taints: []"; it prints a bootstrap token
        // like the real one. reset empties what the real one empties and keeps the directories.
        body: `case "\${1:-}" in
init)
    [[ $# == 4 && "$2" == --config && "$4" == --skip-phases=addon/kube-proxy ]] || stub_unsupported "$@"
    [[ -f "$3" ]] || { echo "stub: kubeadm config $3 not found" >&2; exit 1; }
    if [[ -e "$ZTA_ROOT/etc/kubernetes/manifests/kube-apiserver.yaml" ]]; then
        echo "[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: already exists" >&2
        exit 1
    fi
    mkdir -p "$ZTA_ROOT/etc/kubernetes/manifests" "$ZTA_ROOT/etc/kubernetes/pki" "$ZTA_ROOT/var/lib/etcd/member"
    printf 'apiVersion: v1\\nkind: Config\\nusers:\\n- user:\\n    client-key-data: STUBADMINKEYc2VjcmV0\\n' >"$ZTA_ROOT/etc/kubernetes/admin.conf"
    : >"$ZTA_ROOT/etc/kubernetes/kubelet.conf"
    : >"$ZTA_ROOT/etc/kubernetes/manifests/kube-apiserver.yaml"
    : >"$ZTA_ROOT/etc/kubernetes/pki/ca.key"
    : >"$ZTA_ROOT/var/lib/etcd/member/snap"
    if ! grep -qx '  taints: \\[\\]' "$3"; then state_set taints node-role.kubernetes.io/control-plane:NoSchedule; fi
    cp "$3" "$STATE/kubeadm-config"
    echo "[bootstrap-token] Using token: abcdef.0123456789abcdef"
    echo "kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:$(printf '%064d' 7)" ;;
reset)
    [[ $# == 4 && "$2" == --force && "$3" == --cri-socket && "$4" == unix:///var/run/containerd/containerd.sock ]] ||
        stub_unsupported "$@"
    rm -f "$ZTA_ROOT"/etc/kubernetes/*.conf
    for dir in etc/kubernetes/manifests etc/kubernetes/pki var/lib/etcd var/lib/kubelet; do
        if [[ -d "$ZTA_ROOT/$dir" ]]; then rm -rf "\${ZTA_ROOT:?}/$dir"/*; fi
    done
    : >"$STATE/taints" ;;
token)
    # token create as the join-token script calls it: prints only the token (state "cluster token", else a fixed
    # one), and records the token with its TTL in state "tokens" (lines TOKEN TTL), as the API server would keep it.
    [[ "\${2:-}" == create && $# == 12 && "$3" == --kubeconfig && "$5" == --ttl && "$7" == --usages && "$9" == --groups && "\${11}" == --description ]] ||
        stub_unsupported "$@"
    [[ -f "$4" ]] || { echo "failed to load admin kubeconfig: open $4: no such file or directory" >&2; exit 1; }
    token="$(state_get cluster token || echo k7x2qa.9f3mz0c8q1vb5rtz)"
    state_set tokens "$token" "$6"
    echo "$token" ;;
join)
    # Preflight as the real one: a node with kubelet.conf or a cluster CA refuses to join. The token must match
    # state "cluster token" when set (else any token is accepted); a verbose-looking line echoes it, as kubeadm's
    # debug logs may, so tests prove the script's redaction.
    [[ $# == 3 && "$2" == --config ]] || stub_unsupported "$@"
    [[ -f "$3" ]] || { echo "stub: kubeadm config $3 not found" >&2; exit 1; }
    [[ "$(stat -c %a -- "$3")" == 600 ]] || { echo "stub: kubeadm config $3 is not mode 600" >&2; exit 1; }
    for file in etc/kubernetes/kubelet.conf etc/kubernetes/pki/ca.crt; do
        if [[ -e "$ZTA_ROOT/$file" ]]; then
            echo "[ERROR FileAvailable--\${file//\\//-}]: /$file already exists" >&2
            exit 1
        fi
    done
    cp "$3" "$STATE/kubeadm-join-config"
    token="$(sed -nE 's/^    token: "(.*)"$/\\1/p' "$3")"
    if expected="$(state_get cluster token)" && [[ "$token" != "$expected" ]]; then
        echo "error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID \\"\${token%%.*}\\"" >&2
        exit 1
    fi
    echo "[preflight] Running pre-flight checks"
    echo "I0101 00:00:00.000000 join.go:0] [discovery] Using token: $token"
    mkdir -p "$ZTA_ROOT/etc/kubernetes/pki"
    printf 'apiVersion: v1\nkind: Config\nusers:\n- user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n' >"$ZTA_ROOT/etc/kubernetes/kubelet.conf"
    : >"$ZTA_ROOT/etc/kubernetes/pki/ca.crt"
    echo "This node has joined the cluster" ;;
*) stub_unsupported "$@" ;;
esac`,
    },
    kubectl: {
        // The API server answers /readyz "ok" once admin.conf exists, after "apiserver unready N" failed attempts
        // (N "never": not at all). Node taints live in state "taints" (lines KEY:EFFECT). Server-side dry runs of a
        // manifest on stdin follow state "dryrun": lines "OUTCOME COUNT [TEXT]" used in order, each COUNT times
        // (COUNT "never": for ever), then "ok". OUTCOME: ok, webhook-down (MetalLB's webhook refuses connections),
        // no-endpoints, crd-missing, invalid (the webhook rejects the object), error (prints TEXT).
        // Only \`-f -\` reads stdin: the other calls (the readiness loop) skip a cat per call.
        readsStdin: `[[ " $* " == *" -f - "* ]]`,
        body: `[[ "\${1:-}" == --kubeconfig && -n "\${2:-}" ]] || stub_unsupported "$@"
kubeconfig="$2"
shift 2
if [[ ! -f "$kubeconfig" ]]; then
    echo "error: stat $kubeconfig: no such file or directory" >&2
    exit 1
fi
case "$*" in
"get --raw=/readyz")
    unready="$(state_get apiserver unready || echo 0)"
    if [[ "$unready" == never ]]; then
        echo "The connection to the server 10.0.0.10:6443 was refused" >&2
        exit 1
    fi
    if ((unready > 0)); then
        state_set apiserver unready $((unready - 1))
        echo "The connection to the server 10.0.0.10:6443 was refused" >&2
        exit 1
    fi
    echo ok ;;
"get node "*" -o jsonpath={range .spec.taints[*]}{.key}:{.effect}{\\"\\\\n\\"}{end}")
    (($# == 5)) || stub_unsupported "$@"
    if [[ -f "$STATE/taints" ]]; then cat "$STATE/taints"; fi ;;
"taint nodes "*)
    (($# == 4)) && [[ "$4" == *- ]] || stub_unsupported "$@"
    if ! state_has taints "\${4%-}"; then
        echo "error: taint \\"\${4%-}\\" not found" >&2
        exit 1
    fi
    state_del taints "\${4%-}"
    echo "node/$3 untainted" ;;
"apply --dry-run=server --request-timeout=20s -f -")
    if [[ ! -s "$STUB_CALL.stdin" ]]; then
        echo "error: no objects passed to apply" >&2
        exit 1
    fi
    plan=()
    if [[ -f "$STATE/dryrun" ]]; then mapfile -t plan <"$STATE/dryrun"; fi
    outcome=ok count=never text=''
    if ((\${#plan[@]})); then read -r outcome count text <<<"\${plan[0]}"; fi
    if [[ "$count" != never ]]; then
        count=$((count - 1))
        if ((count > 0)); then plan[0]="$outcome $count\${text:+ $text}"; else plan=("\${plan[@]:1}"); fi
        if ((\${#plan[@]})); then printf '%s\n' "\${plan[@]}" >"$STATE/dryrun"; else : >"$STATE/dryrun"; fi
    fi
    webhook='failed calling webhook "ipaddresspoolvalidationwebhook.metallb.io": failed to call webhook: Post "https://metallb-webhook-service.metallb-system.svc:443/validate-metallb-io-v1beta1-ipaddresspool?timeout=10s"'
    case "$outcome" in
    ok) echo "ipaddresspool.metallb.io/lab created (server dry run)"; exit 0 ;;
    webhook-down) text="Error from server (InternalError): error when creating \\"STDIN\\": Internal error occurred: $webhook: dial tcp 10.96.0.20:443: connect: connection refused" ;;
    no-endpoints) text="Error from server (InternalError): error when creating \\"STDIN\\": Internal error occurred: $webhook: no endpoints available for service \\"metallb-webhook-service\\"" ;;
    crd-missing) text='error: resource mapping not found for name: "lab" namespace: "metallb-system" from "STDIN": no matches for kind "IPAddressPool" in version "metallb.io/v1beta1"'$'\n''ensure CRDs are installed first' ;;
    invalid) text='Error from server (Forbidden): error when creating "STDIN": admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: invalid CIDR "10.0.0.300/32" in pool "lab"' ;;
    error) ;;
    *) stub_unsupported "(dryrun state: $outcome)" ;;
    esac
    printf '%s\n' "$text" >&2
    exit 1 ;;
*) stub_unsupported "$@" ;;
esac`,
    },
    sleep: {
        body: `[[ $# == 1 && "$1" =~ ^[0-9]+$ ]] || stub_unsupported "$@"`,
    },
    id: {
        // The user the script runs as: state "user" (uid N), default root.
        body: `[[ "$*" == -u ]] || stub_unsupported "$@"
state_get user uid || echo 0`,
    },
    ip: {
        // State "addresses": lines "IFNAME ADDRESS/PREFIX", printed in the one-line format of \`ip -o -4 addr show\`.
        body: `[[ "$*" == "-o -4 addr show" ]] || stub_unsupported "$@"
index=0
if [[ -f "$STATE/addresses" ]]; then
    while read -r ifname cidr; do
        index=$((index + 1))
        printf '%d: %s    inet %s scope global %s\\\\       valid_lft forever preferred_lft forever\n' "$index" "$ifname" "$cidr" "$ifname"
    done <"$STATE/addresses"
fi`,
    },
    hostnamectl: {
        // Static host name: "$ZTA_ROOT"/etc/hostname (what hostnamed reads); transient: state "kernel" (hostname N).
        body: `case "$*" in
--static) if [[ -f "$ZTA_ROOT/etc/hostname" ]]; then head -n 1 "$ZTA_ROOT/etc/hostname"; else echo; fi ;;
--transient) state_get kernel hostname || echo localhost ;;
"set-hostname "*)
    (($# == 2)) || stub_unsupported "$@"
    mkdir -p "$ZTA_ROOT/etc"
    printf '%s\n' "$2" >"$ZTA_ROOT/etc/hostname"
    state_set kernel hostname "$2" ;;
*) stub_unsupported "$@" ;;
esac`,
    },
    gpg: {
        readsStdin: true,
        body: `out=''
dearmor=0
while (($#)); do
    case "$1" in
    --batch | --yes) ;;
    --dearmor) dearmor=1 ;;
    -o | --output) out="$2"; shift ;;
    *) stub_unsupported "$@" ;;
    esac
    shift
done
((dearmor)) && [[ -n "$out" ]] || stub_unsupported
{ echo "stub binary keyring of:"; cat "$STUB_CALL.stdin"; } >"$out"`,
    },
};

function q(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

function which(tool: string): string {
    for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/bin"])) {
        const candidate = path.join(dir, tool);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // next directory
        }
    }
    throw new Error(`${tool} is needed by the bare-metal script tests but is not on the PATH`);
}

/** A scratch machine: ROOT (the script's "/"), stubs, their state and call log. Call `cleanup()` when done. */
export class StubHost {
    readonly dir: string;
    /** What the scripts see as "/" (ZTA_ROOT). */
    readonly root: string;
    readonly bin: string;
    readonly state: string;
    private readonly log: string;

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "zta-baremetal-"));
        this.root = path.join(this.dir, "root");
        this.bin = path.join(this.dir, "bin");
        this.state = path.join(this.dir, "state");
        this.log = path.join(this.dir, "log");
        for (const d of [this.root, this.bin, this.state, this.log]) {
            fs.mkdirSync(d);
        }
        const bash = which("bash");
        fs.symlinkSync(bash, path.join(this.bin, "bash"));
        for (const tool of harmlessTools) {
            fs.symlinkSync(which(tool), path.join(this.bin, tool));
        }
        const lib = path.join(this.dir, "stub-lib.sh");
        fs.writeFileSync(lib, stubLib(this.log, this.state));
        for (const [name, stub] of Object.entries(stubs)) {
            const text = [
                `#!${bash}`,
                `# Stub of ${name} (tests/platform/baremetal/stubs.ts).`,
                typeof stub.readsStdin === "string"
                    ? `STUB_READS_STDIN=0; if ${stub.readsStdin}; then STUB_READS_STDIN=1; fi`
                    : `STUB_READS_STDIN=${stub.readsStdin ? 1 : 0}`,
                `source ${q(lib)}`,
                `stub_record "$@"`,
                `stub_fail_if_told "$@"`,
                stub.body,
                "",
            ].join("\n");
            fs.writeFileSync(path.join(this.bin, name), text, { mode: 0o755 });
        }
    }

    /**
     * Replaces an emulated state file: "dpkg" (package version), "holds", "modules", "swaps", "enabled", "active",
     * "containers" (docker; the last run's command after the image in "container-command"), "registry" (what curl gets from the registry: down, anonymous, authenticated, login),
     * "apiserver" (unready N|never: failed /readyz answers before "ok"), "taints" (KEY:EFFECT of the node),
     * "user" (uid N: `id -u`), "addresses" (IFNAME ADDRESS/PREFIX: `ip -o -4 addr show`), "kernel" (hostname N: the
     * transient host name), "cluster" (token T: the only token kubeadm join accepts), "dryrun" (outcomes of
     * `kubectl apply --dry-run=server`, see the kubectl stub).
     */
    setState(name: string, lines: readonly string[]): void {
        fs.writeFileSync(path.join(this.state, name), lines.map((l) => `${l}\n`).join(""));
    }

    readState(name: string): string[] {
        const file = path.join(this.state, name);
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    }

    /** Makes every stub call whose `name args...` equals, or starts with a word-prefix, one of `commands` exit 1. */
    failOn(...commands: string[]): void {
        this.setState("fail", commands);
    }

    /** Writes a file under ROOT (`rel` is the path the script sees, e.g. "/etc/fstab"). */
    putFile(rel: string, content: string, mode = 0o644): void {
        const file = path.join(this.root, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content, { mode });
        fs.chmodSync(file, mode);
    }

    /** Content of a file under ROOT, or undefined. */
    file(rel: string): string | undefined {
        const file = path.join(this.root, rel);
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    }

    /** Every file under ROOT by the path the script sees. */
    files(): Record<string, FileState> {
        const result: Record<string, FileState> = {};
        const walk = (dir: string) => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
                const full = path.join(dir, entry.name);
                if (entry.isDirectory()) {
                    walk(full);
                } else {
                    const st = fs.lstatSync(full);
                    result[`/${path.relative(this.root, full)}`] = {
                        mode: (st.mode & 0o7777).toString(8),
                        content: entry.isSymbolicLink() ? `-> ${fs.readlinkSync(full)}` : fs.readFileSync(full, "utf8"),
                        ino: st.ino,
                        mtimeMs: st.mtimeMs,
                    };
                }
            }
        };
        walk(this.root);
        return result;
    }

    /**
     * Runs `script` with bash, env exactly {PATH: stubs, ZTA_ROOT: root} plus `env`, and `stdin` as its stdin
     * (where secrets go). The call log is reset first: `calls` are this run's.
     */
    run(script: string, options: { stdin?: string; env?: Record<string, string> } = {}): ScriptRun {
        fs.rmSync(this.log, { recursive: true, force: true });
        fs.mkdirSync(this.log);
        const file = path.join(this.dir, "script.sh");
        fs.writeFileSync(file, script);
        const result = spawnSync(path.join(this.bin, "bash"), [file], {
            cwd: this.dir,
            env: { PATH: this.bin, ZTA_ROOT: this.root, ...options.env },
            input: options.stdin ?? "",
            encoding: "utf8",
            timeout: 20000,
        });
        if (result.error) {
            throw result.error;
        }
        return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, calls: this.calls() };
    }

    private calls(): StubCall[] {
        return fs
            .readdirSync(this.log)
            .filter((entry) => entry.endsWith(".name"))
            .sort()
            .map((entry) => {
                const base = path.join(this.log, entry.slice(0, -".name".length));
                const read = (ext: string) => fs.readFileSync(`${base}.${ext}`, "utf8");
                const argv = read("argv").split("\0");
                argv.pop();
                const env: Record<string, string> = {};
                for (const pair of read("env").split("\0").filter(Boolean)) {
                    const eq = pair.indexOf("=");
                    env[pair.slice(0, eq)] = pair.slice(eq + 1);
                }
                const stdinFile = `${base}.stdin`;
                return {
                    name: read("name"),
                    argv,
                    env,
                    stdin: fs.existsSync(stdinFile) ? fs.readFileSync(stdinFile, "utf8") : undefined,
                    failed: fs.existsSync(`${base}.failed`),
                };
            });
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/**
 * Where `secret` shows up where it must not: a stub's argv or environment, or the script's stdout/stderr.
 * (A command's stdin is where secrets are meant to go.)
 */
export function leaksOf(run: ScriptRun, secret: string): string[] {
    const found: string[] = [];
    for (const call of run.calls) {
        if (call.argv.some((a) => a.includes(secret))) {
            found.push(`argv of ${call.name}`);
        }
        for (const [key, value] of Object.entries(call.env)) {
            if (key.includes(secret) || value.includes(secret)) {
                found.push(`environment of ${call.name} (${key})`);
            }
        }
    }
    if (run.stdout.includes(secret)) {
        found.push("stdout");
    }
    if (run.stderr.includes(secret)) {
        found.push("stderr");
    }
    return found;
}

/** `bash -n` diagnostics of `text` ("" when it parses). */
export function bashSyntax(text: string): string {
    const result = spawnSync(which("bash"), ["-n"], { input: text, encoding: "utf8" });
    return `${result.stderr}${result.status === 0 ? "" : `(exit ${result.status})`}`;
}

/**
 * ShellCheck findings for `text` as bash, one per line ("" when clean): default checks at every severity plus
 * the optional ones about masked failures and quoting, which matter most for set -e scripts. Without ShellCheck
 * installed: "" (and one SKIPPED line for the run, tests/harness/tools.ts).
 */
export function shellcheck(text: string): string {
    const result = runShellcheck(
        ["--shell=bash", "--format=gcc", "--enable=check-extra-masked-returns,quote-safe-variables,require-double-brackets"],
        text,
    );
    return result.stdout.replace(/^-:/gm, "line ");
}

/** Hosts made by one test file, removed together from afterAll. `prepare` sets a fresh host's starting state. */
export function hostPool(prepare: (host: StubHost) => void): { fresh: () => StubHost; cleanup: () => void } {
    const hosts: StubHost[] = [];
    return {
        fresh: () => {
            const host = new StubHost();
            hosts.push(host);
            prepare(host);
            return host;
        },
        cleanup: () => hosts.splice(0).forEach((h) => h.cleanup()),
    };
}
