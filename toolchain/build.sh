#!/usr/bin/env bash
# Builds the offline toolchain (Pulumi CLI, providers, etcd, Kubernetes control plane,
# kubectl, kwok, Istio/Cilium charts) from Go modules into a cache OUTSIDE the repo, keyed by
# version. Only pieces that are missing are built; re-running is safe (see README.md).
#
# Usage: toolchain/build.sh [--list | --available | PIECE...]   (default: every piece)
#   --list       show every piece, cached or missing, and its outputs
#   --available  only the pieces this machine's module proxy can serve
#   ZTA_TOOLCHAIN_DIR      cache root (default $HOME/.cache/zta-testbed/toolchain)
#   ZTA_TOOLCHAIN_PIECES   space-separated pieces when no PIECE argument is given
#   ZTA_TOOLCHAIN_NICE     nice level for builds (default 10)
#   ZTA_TOOLCHAIN_GONOSUMDB  extra GONOSUMDB patterns (comma-separated)
#   ZTA_TOOLCHAIN_KEEP_GO_CACHES=1  skip the final trim (Go build cache, unused modules, work files)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${ZTA_TOOLCHAIN_DIR:-$HOME/.cache/zta-testbed/toolchain}
NICE=${ZTA_TOOLCHAIN_NICE:-10}

# ---------------------------------------------------------------------------
# Versions: all from versions.json (repo root), the project's one version manifest, through
# toolchain/manifest.js (why each pin is what it is: its `why` fields and README.md). It sets
# PULUMI_VERSION, LANGUAGE_HOST_{MODULE,MODVER}, CLIPBOARD_{MODULE,MODVER},
# KUBERNETES_PROVIDER_{VERSION,MODVER}, {TLS,RANDOM,COMMAND}_PROVIDER_VERSION, COMMAND_PROVIDER_MODVER,
# ETCD_VERSION, KUBERNETES_VERSION, KWOK_VERSION, ISTIO_130_MODVER, ISTIO_124_MODVER,
# CILIUM_CHARTS_MODVER and CILIUM_CHARTS_CHARTS (space-separated).
MANIFEST_SH=$(node "$HERE/manifest.js" shell) || { printf 'toolchain: cannot read versions.json (needs node)\n' >&2; exit 1; }
eval "$MANIFEST_SH"
ISTIO_CHARTS="base=charts/base istiod=charts/istio-control/istio-discovery gateway=charts/gateway cni=charts/istio-cni"

# Pieces whose module versions the proxy here serves (`build.sh --available`).
AVAILABLE_PIECES="istio-charts-1.30 istiod-1.30 prometheus keycloak cilium-charts etcd kwok pulumi provider-kubernetes kubernetes kubectl"
ALL_PIECES="istio-charts-1.30 istiod-1.30 prometheus keycloak istio-charts-1.24 cilium-charts etcd kwok pulumi pulumi-language-nodejs provider-kubernetes provider-tls provider-random provider-command provider-azure-native provider-gcp kubernetes kubectl"

# ---------------------------------------------------------------------------
# Go environment: everything (build cache, module cache) lives under the cache dir.
export GOCACHE=$CACHE/go/build-cache
export GOMODCACHE=$CACHE/go/mod
export GOPATH=$CACHE/go/path
export GOTOOLCHAIN=local
export GOFLAGS="-buildvcs=false -mod=mod"
export CGO_ENABLED=0
export GOPROXY=${GOPROXY:-https://proxy.golang.org,direct}
# sum.golang.org itself is unreachable; the go command reaches it through the proxy
# (<proxy>/sumdb/sum.golang.org/...), which answers most look-ups. These modules'
# records are missing there (404), so they are taken from the proxy unverified by the
# checksum database (still pinned in each wrapper's go.sum afterwards).
NOSUMDB="github.com/pulumi/pulumi/pkg,github.com/pulumi/pulumi-kubernetes/provider,github.com/pulumi/cloud-ready-checks,github.com/cilium/charts"
export GONOSUMDB="$NOSUMDB${ZTA_TOOLCHAIN_GONOSUMDB:+,$ZTA_TOOLCHAIN_GONOSUMDB}"
unset GOPRIVATE GONOPROXY GOWORK 2>/dev/null || true
export GOWORK=off

log() { printf '%s\n' "$*" >&2; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

mkdir -p "$CACHE/work" "$CACHE/logs" "$GOCACHE" "$GOMODCACHE" || exit 1
cd "$CACHE/work" || exit 1   # never inside a module (the repo)

# One build at a time per cache dir.
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  log "toolchain: another build holds $CACHE/.lock; waiting"
  flock 9
fi

# ---------------------------------------------------------------------------
# helpers

# newwork NAME -> prints a fresh, empty work dir for a wrapper module
newwork() {
  local d="$CACHE/work/$1"
  rm -rf "$d" && mkdir -p "$d" && printf '%s' "$d"
}

gocmd() { nice -n "$NICE" go "$@"; }

# modhash MODULE@VERSION -> commit hash from the proxy's .info Origin (empty when the proxy omits it)
modhash() {
  go list -m -json "$1" 2>/dev/null | sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -1
}

# require_served PIECE MODULE@VERSION -> explains and fails when the proxy refuses it
require_served() {
  local out
  if ! out=$(go list -m -json "$2" 2>&1); then
    log "$1: $2 is not available from GOPROXY=$GOPROXY:"
    log "$(printf '%s\n' "$out" | grep -m1 -E 'Forbidden|not found|server response|invalid' || printf '%s\n' "$out" | tail -1)"
    return 1
  fi
}

# install_bin SRC DEST -> atomic replace
install_bin() {
  mkdir -p "$(dirname "$2")" && install -m 0755 "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

clean_work() { find "$1" -maxdepth 1 -type f -perm -u+x -delete; }

stamp() { # stamp FILE key=value...
  mkdir -p "$(dirname "$1")"
  { printf '%s\n' "$@" | tail -n +2; printf 'go=%s\nbuilt=%s\n' "$(go env GOVERSION)" "$(date -u +%FT%TZ)"; } >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

# The pieces: outputs, stamp and build function of each (toolchain/pieces.sh).
# shellcheck source=toolchain/pieces.sh
source "$HERE/pieces.sh"

# ---------------------------------------------------------------------------
# Trim: what later builds and runs do not need. The binaries and charts are static; the Go build cache
# (~9.4G after a cold build) only speeds up rebuilding a piece, and of the module cache only the modules a
# piece's outputs point into are read afterwards. Kept: those modules (whole, with their zip, so the go command
# still sees a complete module), and every small .info/.mod/.ziphash/list file and the sumdb tiles (a later
# rebuild resolves versions without asking the proxy again). A piece built later re-downloads what it needs.
kept_modules() { # module dirs that some cached piece's outputs point into
  local p f
  for p in $ALL_PIECES; do
    is_cached "$p" || continue
    outputs_"$p" | while read -r f; do
      [[ $f == "$GOMODCACHE"/* ]] || continue
      f=${f#"$GOMODCACHE"/}
      # the module dir is the path up to the first component that holds '@'
      awk -F/ '{ for (i = 1; i <= NF; i++) { out = out (i > 1 ? "/" : "") $i; if ($i ~ /@/) { print out; exit } } }' <<<"$f"
    done
  done | sort -u | sed "s#^#$GOMODCACHE/#"
}

trim_caches() {
  local keep d z mod
  keep=$'\n'$(kept_modules)$'\n'
  rm -rf "$GOCACHE" "$CACHE/go/path/pkg" && mkdir -p "$GOCACHE"
  # extracted modules (read-only dirs, hence the chmod), except the kept ones
  while IFS= read -r -d '' d; do
    [[ $keep == *$'\n'"$d"$'\n'* ]] && continue
    chmod -R u+w "$d" && rm -rf "$d"
  done < <(find "$GOMODCACHE" -mindepth 1 -path "$GOMODCACHE/cache" -prune -o -type d -name '*@*' -prune -print0)
  find "$GOMODCACHE" -mindepth 1 -maxdepth 1 ! -name cache -exec find {} -depth -type d -empty -delete \;
  # module zips, except the kept modules' (cache/download/MODULE/@v/VERSION.zip)
  while IFS= read -r -d '' z; do
    mod=${z#"$GOMODCACHE"/cache/download/}
    mod=${mod%/@v/*}@$(basename "$z" .zip)
    [[ $keep == *$'\n'"$GOMODCACHE/$mod"$'\n'* ]] || rm -f "$z"
  done < <(find "$GOMODCACHE/cache/download" -name '*.zip' -print0 2>/dev/null)
  # work dirs: only the generated go.mod/go.sum are kept for inspection
  find "$CACHE/work" -mindepth 2 -type f ! -name go.mod ! -name go.sum -delete 2>/dev/null
  find "$CACHE/work" -mindepth 2 -type d -empty -delete 2>/dev/null
  return 0
}

# ---------------------------------------------------------------------------
is_cached() { # PIECE
  local f
  [[ -f "$(stampf_"$1")" ]] || return 1
  while read -r f; do [[ -s "$f" ]] || return 1; done < <(outputs_"$1")
  while read -r f; do [[ "$f" == *.tgz || "$f" == *.yaml || "$f" == *.json || -x "$f" ]] || return 1; done < <(outputs_"$1")
}

piece_dirs() { # the directories that hold a piece's outputs (for du)
  outputs_"$1" | while read -r f; do
    case "$f" in
      "$GOMODCACHE"/*) ;; # a kept module: counted under "go module cache"
      */charts/istio/*) echo "${f%/*/Chart.yaml}" ;;
      *.tgz) echo "$f" ;;
      */bin/*) echo "${f%/bin/*}" ;;
      *) echo "${f%/*}" ;;
    esac
  done | sort -u
}

if [[ ${1:-} == --list ]]; then
  for p in $ALL_PIECES; do
    if is_cached "$p"; then s=cached; else s=missing; fi
    printf '%-24s %-8s %s\n' "$p" "$s" "$(outputs_"$p" | tr '\n' ' ')"
  done
  exit 0
fi

if [[ ${1:-} == --available ]]; then shift; set -- $AVAILABLE_PIECES "$@"; fi
PIECES=${*:-${ZTA_TOOLCHAIN_PIECES:-$ALL_PIECES}}
for p in $PIECES; do
  [[ " $ALL_PIECES " == *" $p "* ]] || { log "unknown piece '$p' (pieces: $ALL_PIECES)"; exit 2; }
done

log "toolchain: cache=$CACHE go=$(go env GOVERSION) GOPROXY=$GOPROXY GOSUMDB=$(go env GOSUMDB) GONOSUMDB=$GONOSUMDB"
declare -a FAILED=()
T0=$(date +%s.%N)
printf '%-24s %-7s %9s  %s\n' PIECE STATUS SECONDS DETAIL
for p in $PIECES; do
  t=$(date +%s.%N)
  if is_cached "$p"; then
    printf '%-24s %-7s %9.1f  %s\n' "$p" cached "$(elapsed "$t")" "$(piece_dirs "$p" | head -1 | sed 's#/cilium-[^/]*\.tgz$#/#')"
    continue
  fi
  lf="$CACHE/logs/$p.log"
  { echo "=== $p $(date -u +%FT%TZ)"; } >"$lf"
  if ( set -o pipefail; "build_$p" ) >>"$lf" 2>&1 && is_cached "$p"; then
    printf '%-24s %-7s %9.1f  %s\n' "$p" built "$(elapsed "$t")" "$(piece_dirs "$p" | head -1 | sed 's#/cilium-[^/]*\.tgz$#/#')"
  else
    printf '%-24s %-7s %9.1f  %s\n' "$p" FAILED "$(elapsed "$t")" "log: $lf"
    grep -v '^===' "$lf" | tail -n 4 | sed 's/^/    /'
    FAILED+=("$p")
  fi
done
printf 'total %.1f s\n' "$(elapsed "$T0")"

if [[ ${ZTA_TOOLCHAIN_KEEP_GO_CACHES:-} != 1 ]]; then
  t=$(date +%s.%N)
  trim_caches
  printf 'trimmed Go caches in %.1f s (kept modules: %s)\n' "$(elapsed "$t")" "$(kept_modules | sed "s#^$GOMODCACHE/##" | tr '\n' ' ')"
fi

echo "disk used:"
for p in $PIECES; do
  is_cached "$p" || continue
  printf '  %-24s %s\n' "$p" "$(piece_dirs "$p" | xargs du -sch 2>/dev/null | tail -1 | cut -f1)"
done
printf '  %-24s %s\n' "go build cache" "$(du -sh "$GOCACHE" 2>/dev/null | cut -f1)"
printf '  %-24s %s\n' "go module cache" "$(du -sh "$GOMODCACHE" 2>/dev/null | cut -f1)"
printf '  %-24s %s\n' "work dirs" "$(du -sh "$CACHE/work" 2>/dev/null | cut -f1)"
printf '  %-24s %s\n' "TOTAL $CACHE" "$(du -sh "$CACHE" 2>/dev/null | cut -f1)"

if ((${#FAILED[@]})); then
  echo "FAILED pieces: ${FAILED[*]} (logs in $CACHE/logs/)" >&2
  exit 1
fi
