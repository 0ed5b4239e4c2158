#!/usr/bin/env bash
# One local Kubernetes cluster (real etcd + kube-apiserver + kube-controller-manager +
# kube-scheduler, one simulated kwok node) per cluster of Pulumi.sim.yaml (two as committed),
# inside a loopback-only network namespace. See sim/README.md for the design.
#
# Usage: sim/cluster.sh up | down | status | exec CMD [ARG...]
#   up       create netns + clusters (idempotent; a no-op that reports them when running)
#   down     delete clusters, leftover processes, the netns, the cluster state and the sim stack's Pulumi state (idempotent)
#   status   exit 0 when every API server answers /readyz, 1 otherwise
#   exec     run CMD inside the netns with the toolchain bins on PATH and KUBECONFIG set
#
# Environment:
#   ZTA_TOOLCHAIN_DIR  toolchain cache (default $HOME/.cache/zta-testbed/toolchain)
#   ZTA_SIM_DIR        cluster state + kubeconfigs (default $HOME/.cache/zta-testbed/sim)
#   ZTA_SIM_NETNS      network namespace name (default zta-sim)
#   ZTA_SIM_TIMEOUT    seconds allowed for creating one cluster (default 240)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
REPO=$(cd "$HERE/.." && pwd)

# ---------------------------------------------------------------------------
# Toolchain versions: from versions.json, the manifest toolchain/build.sh builds from.
# (the commands in_ns runs get them passed in, as ZTA_SIM_MANIFEST_SH: no node start per kubectl call)
if [[ ${1:-} == __env && -n ${ZTA_SIM_MANIFEST_SH:-} ]]; then
  MANIFEST_SH=$ZTA_SIM_MANIFEST_SH
else
  MANIFEST_SH=$(node "$REPO/toolchain/manifest.js" shell) || { echo "sim/cluster.sh: cannot read versions.json" >&2; exit 1; }
fi
eval "$MANIFEST_SH"
KUBE_VERSION=$KUBERNETES_VERSION
TOOLCHAIN=${ZTA_TOOLCHAIN_DIR:-$HOME/.cache/zta-testbed/toolchain}
SIM_DIR=${ZTA_SIM_DIR:-$HOME/.cache/zta-testbed/sim}
NETNS=${ZTA_SIM_NETNS:-zta-sim}
CREATE_TIMEOUT=${ZTA_SIM_TIMEOUT:-240}

ETCD_BIN=$TOOLCHAIN/etcd/$ETCD_VERSION/bin
KUBE_BIN=$TOOLCHAIN/kubernetes/$KUBE_VERSION/bin
KWOK_BIN=$TOOLCHAIN/kwok/$KWOK_VERSION/bin
KWOK_MODULE=$TOOLCHAIN/go/mod/sigs.k8s.io/kwok@$KWOK_VERSION
KWOK_WORKDIR=$SIM_DIR/kwok # kwokctl's ~/.kwok (clusters/, cache/)

# Clusters: one per entry of Pulumi.sim.yaml's `zta-testbed:clusters`, in order; the i-th
# (from 1) is played by kwok cluster zta-sim-i (sim/stack.ts kwokClusterOf says the same).
# Each has a port base and a loopback prefix for LoadBalancer addresses. Every component
# binds 127.0.0.1 on a fixed port (base + 443 apiserver, +379/+380 etcd, +247 kwok,
# +257 controller-manager, +259 scheduler), base = i*10000 + 6000, so clusters never race
# for ports. LB_PREFIX = 127.0.<i*10>: LB_PREFIX.1 is the simulated node's InternalIP,
# LB_PREFIX.<n> the LoadBalancer address of the Service whose clusterIP ends in .<n>
# (service CIDR 10.0.0.0/24; .1 is 'kubernetes'). Ports cap this at 5 clusters.
STACK_FILE=$REPO/Pulumi.sim.yaml
stack_clusters() { # the Istio cluster names of Pulumi.sim.yaml, one a line
  node -e '
    const [file, repo] = process.argv.slice(1);
    const { parse } = require(require.resolve("yaml", { paths: [repo] }));
    const clusters = (parse(require("node:fs").readFileSync(file, "utf8")) ?? {}).config?.["zta-testbed:clusters"];
    if (!Array.isArray(clusters) || clusters.length === 0) throw new Error(`${file}: no zta-testbed:clusters list`);
    for (const c of clusters) {
      if (typeof c?.name !== "string" || !/^[a-z0-9-]+$/.test(c.name)) throw new Error(`${file}: bad cluster ${JSON.stringify(c)}`);
      console.log(c.name);
    }' "$STACK_FILE" "$REPO"
}
if [[ ${1:-} == __env && -n ${ZTA_SIM_CLUSTERS:-} ]]; then
  read -ra CLUSTERS <<<"$ZTA_SIM_CLUSTERS" # passed in by in_ns / exec: no second read
else
  STACK_NAMES=$(stack_clusters) || { echo "sim/cluster.sh: cannot read the cluster list of $STACK_FILE" >&2; exit 1; }
  CLUSTERS=()
  while read -r _; do CLUSTERS+=("zta-sim-$((${#CLUSTERS[@]} + 1))"); done <<<"$STACK_NAMES"
fi
((${#CLUSTERS[@]} <= 5)) || { echo "sim/cluster.sh: at most 5 clusters fit the port scheme; $STACK_FILE has ${#CLUSTERS[@]}" >&2; exit 1; }
declare -A PORT_BASE=() LB_PREFIX=() POD_CIDR=()
for _i in "${!CLUSTERS[@]}"; do
  PORT_BASE[${CLUSTERS[$_i]}]=$(((_i + 1) * 10000 + 6000))
  LB_PREFIX[${CLUSTERS[$_i]}]=127.0.$(((_i + 1) * 10))
  POD_CIDR[${CLUSTERS[$_i]}]=10.$(((_i + 1) * 10)).0.0/16
done

# ---------------------------------------------------------------------------
log() { printf '%s\n' "$*" >&2; }
die() { log "sim/cluster.sh: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

kubeconfig_of() { echo "$SIM_DIR/kubeconfig-$1.yaml"; }
workdir_of() { echo "$KWOK_WORKDIR/clusters/$1"; }
apiserver_url() { echo "https://127.0.0.1:$((PORT_BASE[$1] + 443))"; }

need_root() {
  [[ $(id -u) == 0 ]] || die "network namespaces need root (ip netns); run as root"
  command -v ip >/dev/null || die "'ip' (iproute2) not found"
}

check_bins() {
  local b missing=()
  for b in "$ETCD_BIN/etcd" "$KUBE_BIN/kube-apiserver" "$KUBE_BIN/kube-controller-manager" \
    "$KUBE_BIN/kube-scheduler" "$KUBE_BIN/kubectl" "$KWOK_BIN/kwok" "$KWOK_BIN/kwokctl"; do
    [[ -x $b ]] || missing+=("$b")
  done
  [[ -d $KWOK_MODULE/kustomize/stage/fast ]] ||
    missing+=("$KWOK_MODULE/kustomize/stage/fast (kwok's default stages: an output of the toolchain's kwok piece, kept in its Go module cache)")
  if ((${#missing[@]})); then
    log "sim/cluster.sh: missing toolchain pieces:"
    printf '  %s\n' "${missing[@]}" >&2
    die "build them with 'npm run toolchain' (or: toolchain/build.sh etcd kubernetes kubectl kwok)"
  fi
}

netns_exists() { [[ -e /run/netns/$NETNS ]]; }

ensure_netns() {
  if ! netns_exists; then
    ip netns add "$NETNS"
    log "netns $NETNS: created"
  fi
  ip -n "$NETNS" link set lo up
  # refuse to run anything in a namespace that has a way out
  local links routes
  links=$(ip -n "$NETNS" -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
  [[ $links == "lo " ]] || die "netns $NETNS has interfaces other than lo ($links); run 'sim/cluster.sh down' first"
  routes=$(ip -n "$NETNS" route show; ip -n "$NETNS" -6 route show | grep -v '^::1 \|^fe80' || true)
  [[ -z $routes ]] || die "netns $NETNS has routes besides loopback: $routes"
}

# the environment of everything run in the netns
sim_env() {
  local path=$KUBE_BIN:$KWOK_BIN:$ETCD_BIN
  local p
  for p in "$TOOLCHAIN"/pulumi/*/bin; do [[ -d $p ]] && path+=:$p; done
  local kc=() c
  for c in "${CLUSTERS[@]}"; do kc+=("$(kubeconfig_of "$c")"); done
  exec env PATH="$path:$PATH" \
    KWOK_WORKDIR="$KWOK_WORKDIR" \
    KWOK_KUBECTL_BINARY="$KUBE_BIN/kubectl" \
    KUBECONFIG="$(IFS=:; echo "${kc[*]}")" \
    KUBECACHEDIR="$SIM_DIR/kube-cache" \
    ZTA_TOOLCHAIN_DIR="$TOOLCHAIN" \
    ZTA_SIM_DIR="$SIM_DIR" \
    ZTA_SIM_NETNS="$NETNS" \
    ZTA_SIM_CLUSTERS="${CLUSTERS[*]}" \
    ZTA_SIM_IN_NETNS=1 \
    PULUMI_SKIP_UPDATE_CHECK=true \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    "$@"
}
# fd 8 (the up/down lock) must not leak into the daemons kwokctl forks
in_ns() { ip netns exec "$NETNS" env ZTA_SIM_CLUSTERS="${CLUSTERS[*]}" ZTA_SIM_MANIFEST_SH="$MANIFEST_SH" "$SELF" __env "$@" 8>&-; }

kubectl_ns() { # CLUSTER ARGS... (inside the netns, bounded)
  local c=$1; shift
  in_ns kubectl --kubeconfig "$(kubeconfig_of "$c")" --request-timeout=5s "$@"
}

cluster_ready() { # CLUSTER -> 0 when the API server answers and its node is Ready
  local c=$1
  [[ -s $(kubeconfig_of "$c") ]] && netns_exists || return 1
  kubectl_ns "$c" get --raw /readyz >/dev/null 2>&1 || return 1
  [[ $(kubectl_ns "$c" get node "$c-node-0" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# ---------------------------------------------------------------------------
# one cluster: configuration, node, creation (sim/kwok.sh)
# shellcheck source=sim/kwok.sh
source "$HERE/kwok.sh"

# ---------------------------------------------------------------------------
# processes of the clusters: toolchain binaries whose command line names a cluster workdir
cluster_pids() { # [WORKDIR]
  local p dir=${1:-$KWOK_WORKDIR/clusters}/
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) == "$TOOLCHAIN"/* ]] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$dir" && echo "${p#/proc/}"
  done
  return 0
}

ancestors() { # pids of this script and its parents (never killed)
  local p=$$
  while [[ $p && $p != 0 && $p != 1 ]]; do
    echo "$p"
    p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
  done
}

kill_tree() { # PID: TERM to PID and all its descendants
  local p all=("$1") i=0
  while ((i < ${#all[@]})); do
    for p in $(ps -o pid= --ppid "${all[$i]}" 2>/dev/null); do all+=("$p"); done
    i=$((i + 1))
  done
  kill -TERM "${all[@]}" 2>/dev/null || true
}

alive_pid() { # PID: running (a zombie waiting for its reaper counts as gone)
  local st
  st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [[ -n $st && $st != Z ]]
}

kill_pids() { # LABEL PID...: TERM, up to 10 s, then KILL
  local label=$1; shift
  (($#)) || return 0
  log "$label: stopping pids $*"
  kill -TERM "$@" 2>/dev/null || true
  local i alive
  for i in $(seq 1 50); do
    alive=()
    for p in "$@"; do alive_pid "$p" && alive+=("$p"); done
    ((${#alive[@]})) || return 0
    sleep 0.2
  done
  log "$label: killing pids ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# ---------------------------------------------------------------------------
cmd_up() {
  need_root
  check_bins
  mkdir -p "$SIM_DIR/logs" "$KWOK_WORKDIR"
  exec 8>"$SIM_DIR/.lock"
  flock -w 120 8 || die "another sim/cluster.sh up/down holds $SIM_DIR/.lock"
  local t0 c todo=() pids=() failed=()
  t0=$(now)
  ensure_netns
  for c in "${CLUSTERS[@]}"; do
    if cluster_ready "$c"; then
      log "$c: already running"
    else
      todo+=("$c")
    fi
  done
  # the pods the process runtime runs (kwok's stages must leave their readiness to it)
  ((${#todo[@]} == 0)) || SELECTION=$(runtime_cli selection) || die "cannot read sim/runtime/processes.ts"
  for c in "${todo[@]}"; do
    # a half-made or stopped cluster is simply made anew
    if [[ -e $(workdir_of "$c") ]]; then
      log "$c: not ready; deleting its old state first"
      delete_cluster "$c"
    fi
    log "$c: creating (log: $SIM_DIR/logs/up-$c.log)"
    create_cluster "$c" >"$SIM_DIR/logs/up-$c.log" 2>&1 &
    pids+=($!)
  done
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${todo[$i]}")
  done
  for c in "${failed[@]}"; do
    log "---- $c failed; last lines of $SIM_DIR/logs/up-$c.log:"
    tail -n 15 "$SIM_DIR/logs/up-$c.log" >&2
    log "---- component logs: $(workdir_of "$c")/logs/"
  done
  ((${#failed[@]} == 0)) || die "up failed for: ${failed[*]} (clusters left as they are; 'sim/cluster.sh down' cleans up)"
  for c in "${todo[@]}"; do grep -h 'created in' "$SIM_DIR/logs/up-$c.log" >&2 || true; done
  start_runtime
  summary
  log "up: ${#todo[@]} cluster(s) created, $((${#CLUSTERS[@]} - ${#todo[@]})) already running, $(since "$t0") s"
}

summary() {
  local c
  printf '%-10s %-26s %-40s %s\n' CLUSTER API-SERVER NODE KUBECONFIG
  for c in "${CLUSTERS[@]}"; do
    printf '%-10s %-26s %-40s %s\n' "$c" "$(apiserver_url "$c")" \
      "$(kubectl_ns "$c" get nodes --no-headers 2>/dev/null | awk '{print $1 " " $2}' | head -1)" \
      "$(kubeconfig_of "$c")"
  done
  printf 'netns %s; run commands inside it with: sim/cluster.sh exec CMD...\n' "$NETNS"
}

# ---------------------------------------------------------------------------
# the process runtime (sim/runtime/runtime.ts): one per sim, inside the netns, for every cluster
RUNTIME_DIR=$SIM_DIR/runtime
runtime_cli() { (cd "$REPO" && node -r ts-node/register/transpile-only sim/runtime/runtime.ts "$@"); }
runtime_pid() { # the running runtime's pid, or nothing
  local pid
  pid=$(cat "$RUNTIME_DIR/pid" 2>/dev/null) || return 0
  alive_pid "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'sim/runtime/runtime.ts run' && echo "$pid"
  return 0
}
start_runtime() {
  [[ -n $(runtime_pid) ]] && { log "process runtime: already running (pid $(runtime_pid))"; return 0; }
  local c pairs=()
  for c in "${CLUSTERS[@]}"; do pairs+=("$c=$(kubeconfig_of "$c")"); done
  mkdir -p "$RUNTIME_DIR" && rm -f "$RUNTIME_DIR/status.json"
  # a daemon in its own session that keeps no descriptor of ours (the up/down lock, a caller's pipes): it
  # outlives this script; 'down' stops it, and with it every process it runs
  (
    cd "$REPO" || exit 1
    for fd in /proc/self/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done 2>/dev/null
    exec setsid -f ip netns exec "$NETNS" env ZTA_SIM_CLUSTERS="${CLUSTERS[*]}" ZTA_SIM_MANIFEST_SH="$MANIFEST_SH" \
      "$SELF" __env node -r ts-node/register/transpile-only sim/runtime/runtime.ts run "$RUNTIME_DIR" "${pairs[@]}"
  ) >>"$SIM_DIR/logs/runtime.log" 2>&1 </dev/null
  local deadline=$((SECONDS + 30)) pid
  until [[ -s $RUNTIME_DIR/status.json ]]; do
    ((SECONDS < deadline)) || die "process runtime did not start; see $SIM_DIR/logs/runtime.log"
    sleep 0.2
  done
  pid=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).pid' "$RUNTIME_DIR/status.json")
  echo "$pid" >"$RUNTIME_DIR/pid"
  log "process runtime: pid $pid (log $SIM_DIR/logs/runtime.log, pods in $RUNTIME_DIR/pods)"
}
stop_runtime() {
  local pid
  pid=$(runtime_pid)
  [[ -n $pid ]] && kill_pids "process runtime" "$pid"
  rm -rf "$RUNTIME_DIR"
}

delete_cluster() { # CLUSTER: kwokctl delete (inside the netns), then anything left of it
  local c=$1 wd
  wd=$(workdir_of "$c")
  if [[ -e $wd ]] && netns_exists; then
    local out
    out=$(in_ns timeout --kill-after=5 60 kwokctl --name "$c" delete cluster \
      --kubeconfig "$KWOK_WORKDIR/kubeconfig-unused.yaml" 2>&1) ||
      log "$c: kwokctl delete cluster failed; cleaning up by hand: $(tail -n 3 <<<"$out")"
    log "$c: deleted"
  fi
  local pids
  mapfile -t pids < <(cluster_pids "$wd")
  kill_pids "$c" "${pids[@]}"
  rm -rf "$wd" "$(kubeconfig_of "$c")" "$SIM_DIR/kwokctl-$c.yaml"
}

cmd_down() {
  need_root
  mkdir -p "$SIM_DIR"
  exec 8>"$SIM_DIR/.lock"
  flock -w 120 8 || die "another sim/cluster.sh up/down holds $SIM_DIR/.lock"
  local t0 c
  t0=$(now)
  stop_runtime
  for c in "${CLUSTERS[@]}"; do delete_cluster "$c"; done
  # leftovers of any cluster ever made under this sim dir, in or out of the netns
  local pids
  mapfile -t pids < <(cluster_pids)
  kill_pids "leftover cluster processes" "${pids[@]}"
  if netns_exists; then
    local keep others=() inns
    keep=" $(ancestors | tr '\n' ' ') "
    mapfile -t inns < <(ip netns pids "$NETNS" 2>/dev/null)
    for p in "${inns[@]}"; do # (the listing's own short-lived processes are gone by now)
      [[ $keep == *" $p "* ]] || ! alive_pid "$p" || others+=("$p")
    done
    kill_pids "other processes in netns $NETNS" "${others[@]}"
    ip netns delete "$NETNS"
    log "netns $NETNS: deleted"
  fi
  rm -rf "$KWOK_WORKDIR" "$SIM_DIR/logs" "$SIM_DIR/kube-cache" "$SIM_DIR"/kubeconfig-*.yaml "$SIM_DIR"/kwokctl-*.yaml
  # The sim stack's Pulumi state describes objects of the clusters just deleted (and holds their kubeconfigs): a
  # later run on new clusters could neither refresh nor destroy it (their CA changed). Start the next one from empty.
  rm -rf "$SIM_DIR/state" "$SIM_DIR/project"
  log "down: $(since "$t0") s"
}

cmd_status() {
  need_root
  local c rc=0
  if ! netns_exists; then
    log "netns $NETNS: missing"
    return 1
  fi
  for c in "${CLUSTERS[@]}"; do
    if [[ -s $(kubeconfig_of "$c") ]] && kubectl_ns "$c" get --raw /readyz >/dev/null 2>&1; then
      printf '%-10s up    %s\n' "$c" "$(apiserver_url "$c")"
    else
      printf '%-10s DOWN  %s\n' "$c" "$(apiserver_url "$c")"
      rc=1
    fi
  done
  return $rc
}

cmd_exec() {
  need_root
  (($#)) || die "usage: sim/cluster.sh exec CMD [ARG...]"
  netns_exists || die "netns $NETNS does not exist: run 'sim/cluster.sh up' first"
  exec ip netns exec "$NETNS" env ZTA_SIM_CLUSTERS="${CLUSTERS[*]}" ZTA_SIM_MANIFEST_SH="$MANIFEST_SH" "$SELF" __env "$@" 8>&-
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) shift; cmd_status "$@" ;;
  exec) shift; cmd_exec "$@" ;;
  __env) shift; sim_env "$@" ;; # internal: already inside the netns
  *)
    sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
