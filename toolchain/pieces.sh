# Sourced by toolchain/build.sh: one block per piece, each defining outputs_<piece> (files that must exist),
# stampf_<piece> (its stamp, written last) and build_<piece>. Uses build.sh's helpers and the manifest's pins.
# shellcheck shell=bash disable=SC2034,SC2154

# ---------------------------------------------------------------------------
# pieces: each has outputs_<piece> (prints the files that must exist) and build_<piece>.
# A piece is "cached" when its stamp and every output exist.

P_PULUMI=$CACHE/pulumi/$PULUMI_VERSION
outputs_pulumi() { echo "$P_PULUMI/bin/pulumi"; }
stampf_pulumi() { echo "$P_PULUMI/.built-pulumi"; }
build_pulumi() {
  local w; w=$(newwork pulumi-$PULUMI_VERSION) || return 1
  require_served pulumi github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION || return 1
  cat >"$w/go.mod" <<EOF
module zta-toolchain/pulumi

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)

// mirrored from pkg/v3's go.mod (its sdk/v3 => ../sdk replace is what the require above stands for)
replace github.com/atotto/clipboard => $CLIPBOARD_MODULE $CLIPBOARD_MODVER

tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
EOF
  (cd "$w" && gocmd mod tidy && gocmd build -trimpath -pgo=off -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$w/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) || return 1
  install_bin "$w/pulumi" "$P_PULUMI/bin/pulumi" || return 1
  clean_work "$w"
  stamp "$(stampf_pulumi)" "module=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION"
}

outputs_pulumi-language-nodejs() { echo "$P_PULUMI/bin/pulumi-language-nodejs"; }
stampf_pulumi-language-nodejs() { echo "$P_PULUMI/.built-pulumi-language-nodejs"; }
build_pulumi-language-nodejs() {
  require_served pulumi-language-nodejs "$LANGUAGE_HOST_MODULE@$LANGUAGE_HOST_MODVER" || {
    log "pulumi-language-nodejs: the module has no tags; the proxy here serves no pseudo-version of the $PULUMI_VERSION commit (and refuses @v/list and commit-hash queries)"
    return 1
  }
  local w; w=$(newwork pulumi-language-nodejs-$PULUMI_VERSION) || return 1
  cat >"$w/go.mod" <<EOF
module zta-toolchain/pulumi-language-nodejs

go 1.25.11

require (
	$LANGUAGE_HOST_MODULE $LANGUAGE_HOST_MODVER
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)

replace github.com/atotto/clipboard => $CLIPBOARD_MODULE $CLIPBOARD_MODVER

tool $LANGUAGE_HOST_MODULE
EOF
  (cd "$w" && gocmd mod tidy && gocmd build -trimpath -pgo=off -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$w/pulumi-language-nodejs" "$LANGUAGE_HOST_MODULE") || return 1
  install_bin "$w/pulumi-language-nodejs" "$P_PULUMI/bin/pulumi-language-nodejs" || return 1
  clean_work "$w"
  stamp "$(stampf_pulumi-language-nodejs)" "module=$LANGUAGE_HOST_MODULE@$LANGUAGE_HOST_MODVER"
}

P_K8SPROV=$CACHE/plugins/kubernetes/v$KUBERNETES_PROVIDER_VERSION
outputs_provider-kubernetes() { echo "$P_K8SPROV/pulumi-resource-kubernetes"; }
stampf_provider-kubernetes() { echo "$P_K8SPROV/.built"; }
build_provider-kubernetes() {
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  require_served provider-kubernetes "$mod@$KUBERNETES_PROVIDER_MODVER" || return 1
  local w; w=$(newwork provider-kubernetes-$KUBERNETES_PROVIDER_VERSION) || return 1
  local dir; dir=$(go mod download -json "$mod@$KUBERNETES_PROVIDER_MODVER" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [[ -d "$dir/cmd/pulumi-resource-kubernetes" ]] || { log "provider-kubernetes: module dir not found"; return 1; }
  # main.go go:embeds schema-embed.json / terraform-mapping-embed.json, which the release
  # process generates (git-ignored). Copy the command's files and run its generate step.
  cp "$dir"/cmd/pulumi-resource-kubernetes/{main.go,generate.go,schema.json,terraform-mapping.json} "$w/" || return 1
  chmod u+w "$w"/*
  cat >"$w/go.mod" <<EOF
module zta-toolchain/pulumi-resource-kubernetes

go 1.24.7

require $mod $KUBERNETES_PROVIDER_MODVER

// provider/go.mod has: replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => ../sdk
replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 v$KUBERNETES_PROVIDER_VERSION
EOF
  (cd "$w" && gocmd mod tidy && VERSION=$KUBERNETES_PROVIDER_VERSION gocmd run generate.go \
    && gocmd build -trimpath -pgo=off \
      -ldflags "-s -w -X $mod/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" \
      -o "$w/pulumi-resource-kubernetes" .) || return 1
  install_bin "$w/pulumi-resource-kubernetes" "$P_K8SPROV/pulumi-resource-kubernetes" || return 1
  clean_work "$w"
  stamp "$(stampf_provider-kubernetes)" "module=$mod@$KUBERNETES_PROVIDER_MODVER" "release=v$KUBERNETES_PROVIDER_VERSION"
}

unavailable_provider() { # NAME MODULE VERSION
  log "provider-$1: no pseudo-version of $2 at the v$3 release commit is served by the proxy here"
  log "provider-$1: (the module has no tags of its own; the proxy refuses @v/list, tag and commit-hash queries for it,"
  log "provider-$1:  and 403s the pseudo-version of every older release commit too, so there is no older release to fall back to)"
  return 1
}
outputs_provider-tls() { echo "$CACHE/plugins/tls/v$TLS_PROVIDER_VERSION/pulumi-resource-tls"; }
stampf_provider-tls() { echo "$CACHE/plugins/tls/v$TLS_PROVIDER_VERSION/.built"; }
build_provider-tls() { unavailable_provider tls github.com/pulumi/pulumi-tls/provider/v5 "$TLS_PROVIDER_VERSION"; }
outputs_provider-random() { echo "$CACHE/plugins/random/v$RANDOM_PROVIDER_VERSION/pulumi-resource-random"; }
stampf_provider-random() { echo "$CACHE/plugins/random/v$RANDOM_PROVIDER_VERSION/.built"; }
build_provider-random() { unavailable_provider random github.com/pulumi/pulumi-random/provider/v4 "$RANDOM_PROVIDER_VERSION"; }

# The clouds' providers (the cloud stack's AKS/GKE clusters): generated from schemas no Go module holds.
unbuildable_provider() { # NAME MODULE VERSION WHY
  log "provider-$1: v$3 cannot be built from the Go module proxy here: the proxy 403s $2, and $4"
  log "provider-$1: the cloud stack is proven under mocks only; a real preview needs the plugin from get.pulumi.com"
  return 1
}
outputs_provider-azure-native() { echo "$CACHE/plugins/azure-native/v$AZURE_NATIVE_PROVIDER_VERSION/pulumi-resource-azure-native"; }
stampf_provider-azure-native() { echo "$CACHE/plugins/azure-native/v$AZURE_NATIVE_PROVIDER_VERSION/.built"; }
build_provider-azure-native() {
  unbuildable_provider azure-native github.com/pulumi/pulumi-azure-native/v3/provider "$AZURE_NATIVE_PROVIDER_VERSION" \
    "its main package embeds metadata and schema files generated from azure-rest-api-specs (not a Go module)"
}
outputs_provider-gcp() { echo "$CACHE/plugins/gcp/v$GCP_PROVIDER_VERSION/pulumi-resource-gcp"; }
stampf_provider-gcp() { echo "$CACHE/plugins/gcp/v$GCP_PROVIDER_VERSION/.built"; }
build_provider-gcp() {
  unbuildable_provider gcp github.com/pulumi/pulumi-gcp/provider/v9 "$GCP_PROVIDER_VERSION" \
    "it needs the patched terraform-provider-google-beta submodule and a tfgen-generated schema"
}

P_CMDPROV=$CACHE/plugins/command/v$COMMAND_PROVIDER_VERSION
outputs_provider-command() { echo "$P_CMDPROV/pulumi-resource-command"; }
stampf_provider-command() { echo "$P_CMDPROV/.built"; }
build_provider-command() {
  local mod=github.com/pulumi/pulumi-command/provider
  require_served provider-command "$mod@$COMMAND_PROVIDER_MODVER" || {
    log "provider-command: release v$COMMAND_PROVIDER_VERSION is not served"
    return 1
  }
  local w; w=$(newwork provider-command-$COMMAND_PROVIDER_VERSION) || return 1
  cat >"$w/go.mod" <<EOF
module zta-toolchain/pulumi-resource-command

go 1.25.0

require $mod $COMMAND_PROVIDER_MODVER

tool $mod/cmd/pulumi-resource-command
EOF
  (cd "$w" && gocmd mod tidy && gocmd build -trimpath -pgo=off \
    -ldflags "-s -w -X $mod/pkg/version.Version=$COMMAND_PROVIDER_VERSION" \
    -o "$w/pulumi-resource-command" "$mod/cmd/pulumi-resource-command") || return 1
  install_bin "$w/pulumi-resource-command" "$P_CMDPROV/pulumi-resource-command" || return 1
  clean_work "$w"
  stamp "$(stampf_provider-command)" "module=$mod@$COMMAND_PROVIDER_MODVER"
}

P_ETCD=$CACHE/etcd/$ETCD_VERSION
outputs_etcd() { echo "$P_ETCD/bin/etcd"; }
stampf_etcd() { echo "$P_ETCD/.built"; }
build_etcd() {
  local mod=go.etcd.io/etcd/server/v3
  require_served etcd "$mod@$ETCD_VERSION" || return 1
  local w; w=$(newwork etcd-$ETCD_VERSION) || return 1
  local sha; sha=$(modhash "$mod@$ETCD_VERSION")
  cp "$HERE/go/etcd/main.go" "$w/" || return 1
  # server/go.mod replaces api, client/pkg, client/v3, pkg with ../ paths: the published
  # modules at the same version stand for them (go mod tidy takes server's requirements).
  cat >"$w/go.mod" <<EOF
module zta-toolchain/etcd

go 1.26.0

require (
	$mod $ETCD_VERSION
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
EOF
  (cd "$w" && gocmd mod tidy && gocmd build -trimpath -pgo=off \
    -ldflags "-s -w${sha:+ -X go.etcd.io/etcd/api/v3/version.GitSHA=${sha:0:12}}" -o "$w/etcd" .) || return 1
  install_bin "$w/etcd" "$P_ETCD/bin/etcd" || return 1
  clean_work "$w"
  stamp "$(stampf_etcd)" "module=$mod@$ETCD_VERSION" "commit=$sha"
}

P_KUBE=$CACHE/kubernetes/$KUBERNETES_VERSION
KUBE_CMDS="kube-apiserver kube-controller-manager kube-scheduler"
outputs_kubernetes() { local c; for c in $KUBE_CMDS; do echo "$P_KUBE/bin/$c"; done; }
stampf_kubernetes() { echo "$P_KUBE/.built"; }
# kubectl: same wrapper module, cmd/kubectl; a piece of its own so the control plane's stamp is untouched
outputs_kubectl() { echo "$P_KUBE/bin/kubectl"; }
stampf_kubectl() { echo "$P_KUBE/.built-kubectl"; }

# kube_build PIECE STAMP CMD... -> builds k8s.io/kubernetes/cmd/CMD for each CMD into $P_KUBE/bin
kube_build() {
  local piece=$1 stampfile=$2; shift 2
  local mod=k8s.io/kubernetes
  require_served "$piece" "$mod@$KUBERNETES_VERSION" || return 1
  local w; w=$(newwork "$piece-$KUBERNETES_VERSION") || return 1
  local sha; sha=$(modhash "$mod@$KUBERNETES_VERSION")
  local gomod; gomod=$(go mod download -json "$mod@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [[ -f "$gomod" ]] || { log "$piece: cannot read $mod@$KUBERNETES_VERSION go.mod"; return 1; }
  local staging_ver="v0.${KUBERNETES_VERSION#v1.}"
  local major=${KUBERNETES_VERSION#v}; major=${major%%.*}
  local minor=${KUBERNETES_VERSION#v*.}; minor=${minor%%.*}
  {
    printf 'module zta-toolchain/%s\n\n' "$piece"
    grep -E '^(go|godebug) ' "$gomod"
    printf '\nrequire %s %s\n\n' "$mod" "$KUBERNETES_VERSION"
    printf '// every k8s.io/X => ./staging/src/k8s.io/X of %s@%s, as the published module\n' "$mod" "$KUBERNETES_VERSION"
    printf 'replace (\n'
    local m
    for m in $(awk '$2=="=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod"); do
      # modules that are not published (e.g. sample-cli-plugin) are not needed by the binaries
      if go list -m -json "$m@$staging_ver" >/dev/null 2>&1; then
        printf '\t%s => %s %s\n' "$m" "$m" "$staging_ver"
      else
        printf '\t// %s: not published at %s\n' "$m" "$staging_ver"
      fi
    done
    printf ')\n\n'
    for m in "$@"; do printf 'tool %s/cmd/%s\n' "$mod" "$m"; done
  } >"$w/go.mod"
  local vpkg ld="-s -w"
  for vpkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $vpkg.gitVersion=$KUBERNETES_VERSION -X $vpkg.gitMajor=$major -X $vpkg.gitMinor=$minor"
    ld+="${sha:+ -X $vpkg.gitCommit=$sha} -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=$(date -u +%FT%TZ)"
  done
  (cd "$w" && gocmd mod tidy) || return 1
  local c
  for c in "$@"; do
    log "$piece: building $c"
    (cd "$w" && gocmd build -trimpath -pgo=off -ldflags "$ld" -o "$w/$c" "$mod/cmd/$c") || return 1
  done
  for c in "$@"; do install_bin "$w/$c" "$P_KUBE/bin/$c" || return 1; done
  clean_work "$w"
  stamp "$stampfile" "module=$mod@$KUBERNETES_VERSION" "commit=$sha" "staging=$staging_ver"
}
build_kubernetes() { kube_build kubernetes "$(stampf_kubernetes)" $KUBE_CMDS; }
build_kubectl() { kube_build kubectl "$(stampf_kubectl)" kubectl; }

P_KWOK=$CACHE/kwok/$KWOK_VERSION
# sim/cluster.sh reads kwok's default stages from the module itself: kept in the module cache by the trim
outputs_kwok() { echo "$P_KWOK/bin/kwok"; echo "$P_KWOK/bin/kwokctl"; echo "$GOMODCACHE/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage/fast/kustomization.yaml"; }
stampf_kwok() { echo "$P_KWOK/.built"; }
build_kwok() {
  local mod=sigs.k8s.io/kwok
  require_served kwok "$mod@$KWOK_VERSION" || return 1
  local w; w=$(newwork kwok-$KWOK_VERSION) || return 1
  cat >"$w/go.mod" <<EOF
module zta-toolchain/kwok

go 1.26.0

require $mod $KWOK_VERSION

tool $mod/cmd/kwok
tool $mod/cmd/kwokctl
EOF
  # same ldflags as kwok's hack/releases.sh; KubeVersion = the control plane built here
  local ld="-s -w -X $mod/pkg/consts.Version=${KWOK_VERSION#v} -X $mod/pkg/consts.KubeVersion=${KUBERNETES_VERSION#v}"
  (cd "$w" && gocmd mod tidy \
    && gocmd build -trimpath -pgo=off -ldflags "$ld" -o "$w/kwok" $mod/cmd/kwok \
    && gocmd build -trimpath -pgo=off -ldflags "$ld" -o "$w/kwokctl" $mod/cmd/kwokctl) || return 1
  install_bin "$w/kwok" "$P_KWOK/bin/kwok" && install_bin "$w/kwokctl" "$P_KWOK/bin/kwokctl" || return 1
  clean_work "$w"
  stamp "$(stampf_kwok)" "module=$mod@$KWOK_VERSION"
}

# istio charts: out dir keyed by the module version actually used (not by a release name)
istio_out() { echo "$CACHE/charts/istio/$1"; }
# + Istio's Grafana dashboards, which sim/stack.ts and tests/observability/istio.test.ts read from the module
# in the module cache (kept there by the trim)
istio_outputs() {
  local n; for n in $ISTIO_CHARTS; do echo "$(istio_out "$1")/${n%%=*}/Chart.yaml"; done
  echo "$GOMODCACHE/istio.io/istio@$1/manifests/addons/dashboards/istio-mesh-dashboard.gen.json"
}
istio_build() { # PIECE MODVER
  local mod=istio.io/istio
  require_served "$1" "$mod@$2" || return 1
  local w; w=$(newwork "$1") || return 1
  local out; out=$(istio_out "$2")
  cp "$HERE/go/istio-charts/main.go" "$w/" || return 1
  cat >"$w/go.mod" <<EOF
module zta-toolchain/istio-charts

go 1.25

require $mod $2
EOF
  (cd "$w" && gocmd mod tidy && gocmd build -trimpath -o "$w/istio-charts" .) || return 1
  rm -rf "$out.tmp" && "$w/istio-charts" "$out.tmp" $ISTIO_CHARTS >"$w/charts.txt" || return 1
  cat "$w/charts.txt" >&2
  cp "$w/charts.txt" "$out.tmp/CHARTS.txt"
  printf 'Written from the Go package %s/manifests (manifests.FS) at %s@%s.\nFiles are unmodified: Chart.yaml version/appVersion and values.yaml hub/tag are the\nsource-tree placeholders, which istio/release-builder rewrites for published charts.\n' \
    "$mod" "$mod" "$2" >"$out.tmp/SOURCE.txt"
  rm -rf "$out" && mv "$out.tmp" "$out" || return 1
  clean_work "$w"
  stamp "$out/.built" "module=$mod@$2"
}
outputs_istio-charts-1.30() { istio_outputs "$ISTIO_130_MODVER"; }
stampf_istio-charts-1.30() { echo "$(istio_out "$ISTIO_130_MODVER")/.built"; }
build_istio-charts-1.30() { istio_build istio-charts-1.30 "$ISTIO_130_MODVER"; }
outputs_istio-charts-1.24() { istio_outputs "$ISTIO_124_MODVER"; }
stampf_istio-charts-1.24() { echo "$(istio_out "$ISTIO_124_MODVER")/.built"; }
build_istio-charts-1.24() {
  istio_build istio-charts-1.24 "$ISTIO_124_MODVER" || {
    log "istio-charts-1.24: the proxy serves no istio.io/istio version of the 1.24 line (the nist-2025 profile's Istio release)"
    return 1
  }
}

# istiod (pilot-discovery) from the SAME istio.io/istio commit as the 1.30 charts: the sim runs it as the istiod
# pods' process (sim/runtime). Five exact dependency versions of that commit are not served; versions.json's
# istio130.replaces names served stand-ins. Tags as Istio's own build (vtprotobuf, disable_pgv). Beside it, from the
# same module graph, zta-xds (toolchain/go/zta-xds): the sim's xDS/CA client, built WITH the Envoy protos'
# validation (no disable_pgv) so it can tell what Envoy would reject.
P_ISTIOD=$CACHE/istiod/$ISTIO_130_MODVER
outputs_istiod-1.30() { echo "$P_ISTIOD/bin/pilot-discovery"; echo "$P_ISTIOD/bin/zta-xds"; }
stampf_istiod-1.30() { echo "$P_ISTIOD/.built"; }
build_istiod-1.30() {
  local mod=istio.io/istio r
  require_served istiod-1.30 "$mod@$ISTIO_130_MODVER" || return 1
  local w; w=$(newwork istiod-1.30) || return 1
  {
    printf 'module zta-toolchain/istiod\n\ngo 1.25\n\nrequire %s %s\n\n' "$mod" "$ISTIO_130_MODVER"
    for r in $ISTIO_130_REPLACES; do printf 'replace %s => %s %s\n' "${r%@*}" "${r%@*}" "${r#*@}"; done
    printf '\ntool %s/pilot/cmd/pilot-discovery\n' "$mod"
  } >"$w/go.mod"
  mkdir -p "$w/zta-xds" && cp "$HERE"/go/zta-xds/*.go "$w/zta-xds/" || return 1
  local v=istio.io/istio/pkg/version
  local ld="-s -w -X $v.buildVersion=$ISTIO_130_VERSION -X $v.buildGitRevision=${ISTIO_130_MODVER##*-} -X $v.buildStatus=Clean -X $v.buildTag=$ISTIO_130_MODVER -X $v.buildOS=linux -X $v.buildArch=amd64"
  (cd "$w" && gocmd mod tidy && gocmd build -trimpath -pgo=off -tags vtprotobuf,disable_pgv -ldflags "$ld" \
    -o "$w/pilot-discovery" $mod/pilot/cmd/pilot-discovery \
    && gocmd build -trimpath -pgo=off -tags vtprotobuf -ldflags "-s -w" -o "$w/zta-xds.bin" ./zta-xds) || return 1
  # the version check: the binary must say the commit it was built from
  "$w/pilot-discovery" version --short >&2 || return 1
  "$w/pilot-discovery" version -o json 2>/dev/null | grep -q "${ISTIO_130_MODVER##*-}" || { log "istiod-1.30: built binary does not report commit ${ISTIO_130_MODVER##*-}"; return 1; }
  install_bin "$w/pilot-discovery" "$P_ISTIOD/bin/pilot-discovery" && install_bin "$w/zta-xds.bin" "$P_ISTIOD/bin/zta-xds" || return 1
  clean_work "$w"
  stamp "$(stampf_istiod-1.30)" "module=$mod@$ISTIO_130_MODVER" "replaces=$ISTIO_130_REPLACES" "version=$("$P_ISTIOD/bin/pilot-discovery" version --short 2>/dev/null)"
}

P_CILIUM=$CACHE/charts/cilium
outputs_cilium-charts() { local v; for v in $CILIUM_CHARTS_CHARTS; do echo "$P_CILIUM/cilium-$v.tgz"; done; }
stampf_cilium-charts() { echo "$P_CILIUM/.built-$CILIUM_CHARTS_MODVER"; }
build_cilium-charts() {
  local mod=github.com/cilium/charts
  require_served cilium-charts "$mod@$CILIUM_CHARTS_MODVER" || return 1
  local w; w=$(newwork cilium-charts) || return 1
  cp "$HERE/go/cilium-charts/main.go" "$w/" || return 1
  cat >"$w/go.mod" <<EOF
module zta-toolchain/cilium-charts

go 1.22

require $mod $CILIUM_CHARTS_MODVER
EOF
  (cd "$w" && gocmd mod tidy && gocmd build -trimpath -o "$w/cilium-charts" .) || return 1
  "$w/cilium-charts" -list >"$w/available.txt" || return 1
  "$w/cilium-charts" "$P_CILIUM" $CILIUM_CHARTS_CHARTS >&2 || return 1
  clean_work "$w"
  stamp "$(stampf_cilium-charts)" "module=$mod@$CILIUM_CHARTS_MODVER" "charts=$CILIUM_CHARTS_CHARTS"
}

# Prometheus and promtool from github.com/prometheus/prometheus (module v0.3XX.Y is Prometheus 3.XX.Y; pinned to the
# default profile's image release): the sim runs prometheus as the Prometheus pods' process, npm test runs promtool
# on every rendered configuration and rule file. Beside them, from the same module graph, zta-promql
# (toolchain/go/zta-promql): the tests' reader of PromQL with Prometheus's own parser. No web UI assets (the
# builtinassets tag needs a JavaScript build): the HTTP API, which is all the sim reads, is unaffected. Of the service
# discoveries only Kubernetes' (the one the project's configurations use; remove_all_sd + enable_kubernetes_sd, the
# upstream tags for slim builds): a cold build compiles no cloud SDK, and a configuration using another discovery is
# refused here (a false failure, never a false pass).
P_PROM=$CACHE/prometheus/$PROMETHEUS_VERSION
outputs_prometheus() { echo "$P_PROM/bin/prometheus"; echo "$P_PROM/bin/promtool"; echo "$P_PROM/bin/zta-promql"; }
stampf_prometheus() { echo "$P_PROM/.built"; }
build_prometheus() {
  local mod=github.com/prometheus/prometheus
  require_served prometheus "$mod@$PROMETHEUS_VERSION" || return 1
  local w; w=$(newwork prometheus) || return 1
  printf 'module zta-toolchain/prometheus\n\ngo 1.25\n\nrequire %s %s\n\ntool (\n\t%s/cmd/prometheus\n\t%s/cmd/promtool\n)\n' \
    "$mod" "$PROMETHEUS_VERSION" "$mod" "$mod" >"$w/go.mod"
  mkdir -p "$w/zta-promql" && cp "$HERE"/go/zta-promql/*.go "$w/zta-promql/" || return 1
  local v=github.com/prometheus/common/version
  local tags=netgo,remove_all_sd,enable_kubernetes_sd
  local ld="-s -w -X $v.Version=$PROMETHEUS_RELEASE -X $v.Revision=$PROMETHEUS_VERSION -X $v.Branch=module -X $v.BuildUser=zta-toolchain"
  (cd "$w" && gocmd mod tidy && gocmd build -trimpath -pgo=off -tags "$tags" -ldflags "$ld" -o "$w/prometheus" $mod/cmd/prometheus \
    && gocmd build -trimpath -pgo=off -tags "$tags" -ldflags "$ld" -o "$w/promtool" $mod/cmd/promtool \
    && gocmd build -trimpath -pgo=off -ldflags "-s -w" -o "$w/zta-promql.bin" ./zta-promql) || return 1
  # the version check: both binaries must say the release they were pinned to
  local b
  for b in prometheus promtool; do
    "$w/$b" --version 2>&1 | grep -q "version $PROMETHEUS_RELEASE" || { log "prometheus: built $b does not report version $PROMETHEUS_RELEASE"; return 1; }
  done
  install_bin "$w/prometheus" "$P_PROM/bin/prometheus" && install_bin "$w/promtool" "$P_PROM/bin/promtool" \
    && install_bin "$w/zta-promql.bin" "$P_PROM/bin/zta-promql" || return 1
  clean_work "$w"
  stamp "$(stampf_prometheus)" "module=$mod@$PROMETHEUS_VERSION" "release=$PROMETHEUS_RELEASE"
}

# Keycloak's server distribution from Maven Central (the sim runs it as the Keycloak pod's process), checked against
# the manifest's SHA-512, and a Java it supports: JAVA_HOME, else the newest JDK in /usr/lib/jvm, of at least
# javaMin. `jdk` is a link to it (an output: a removed JDK makes the piece missing, and the rebuild says why).
P_KEYCLOAK=$CACHE/keycloak/$KEYCLOAK_VERSION
MAVEN_REPO=${ZTA_MAVEN_REPO:-https://repo1.maven.org/maven2}
outputs_keycloak() { echo "$P_KEYCLOAK/dist/bin/kc.sh"; echo "$P_KEYCLOAK/jdk/bin/java"; }
stampf_keycloak() { echo "$P_KEYCLOAK/.built"; }
java_major() { # JAVA_HOME -> major version (empty when it does not run)
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1
}
JVM_DIR=${ZTA_JVM_DIR:-/usr/lib/jvm} # where the system's JDKs are (a variable for the tests)
find_jdk() { # prints the JDK home of the newest Java >= KEYCLOAK_JAVA_MIN, or explains and fails
  local c m best="" bestm=0 seen=""
  for c in ${JAVA_HOME:-} "$JVM_DIR"/*; do
    [[ -x $c/bin/java ]] || continue
    m=$(java_major "$c"); seen+=" $c (${m:-?})"
    [[ -n $m && $m -ge $KEYCLOAK_JAVA_MIN && $m -gt $bestm ]] && { best=$c; bestm=$m; }
  done
  if [[ -z $best ]]; then
    log "keycloak: Keycloak $KEYCLOAK_VERSION needs Java $KEYCLOAK_JAVA_MIN or newer; found:${seen:- no JDK in JAVA_HOME or $JVM_DIR}"
    log "keycloak: install one (e.g. apt-get install openjdk-21-jdk-headless, or a Temurin 21+) or set JAVA_HOME to it"
    return 1
  fi
  printf '%s' "$(readlink -f "$best")"
}
build_keycloak() {
  local jdk; jdk=$(find_jdk) || return 1
  local a=${KEYCLOAK_ARTIFACT#*:} g=${KEYCLOAK_ARTIFACT%%:*}
  local url="$MAVEN_REPO/${g//.//}/$a/$KEYCLOAK_VERSION/$a-$KEYCLOAK_VERSION.zip"
  local w; w=$(newwork keycloak) || return 1
  curl -fsSL --retry 3 -o "$w/dist.zip" "$url" || { log "keycloak: cannot download $url"; return 1; }
  printf '%s  %s\n' "$KEYCLOAK_SHA_512" "$w/dist.zip" | sha512sum -c --quiet - || { log "keycloak: $url does not match versions.json's sha512"; return 1; }
  (cd "$w" && unzip -q dist.zip) || return 1
  [[ -x $w/$a-$KEYCLOAK_VERSION/bin/kc.sh || -x $w/keycloak-$KEYCLOAK_VERSION/bin/kc.sh ]] || { log "keycloak: the zip has no bin/kc.sh"; return 1; }
  rm -rf "$P_KEYCLOAK" && mkdir -p "$P_KEYCLOAK" || return 1
  mv "$w"/keycloak-"$KEYCLOAK_VERSION" "$P_KEYCLOAK/dist" 2>/dev/null || mv "$w/$a-$KEYCLOAK_VERSION" "$P_KEYCLOAK/dist" || return 1
  ln -sfn "$jdk" "$P_KEYCLOAK/jdk" || return 1
  rm -rf "$w"
  stamp "$(stampf_keycloak)" "artifact=$KEYCLOAK_ARTIFACT:$KEYCLOAK_VERSION" "sha512=$KEYCLOAK_SHA_512" "jdk=$jdk" "java=$(java_major "$jdk")"
}
