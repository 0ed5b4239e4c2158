#!/usr/bin/env bash
# shellcheck disable=SC2015  # `check && ok … || bad …` is fine: ok() always succeeds
# Checks, with kubectl/curl inside the sim netns, the properties the sim clusters must have
# (sim/README.md, "What is verified"). Needs `sim/cluster.sh up` first; leaves nothing behind.
#
# Usage: sim/verify.sh [CLUSTER...]   (default: every sim cluster, zta-sim-1 zta-sim-2 as committed;
#        sim/cluster.sh derives them from Pulumi.sim.yaml); exit 1 when a check fails
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${ZTA_SIM_IN_NETNS:-} ]]; then
  exec "$HERE/cluster.sh" exec "$HERE/verify.sh" "$@"
fi

CLUSTERS=("$@")
((${#CLUSTERS[@]})) || read -ra CLUSTERS <<<"${ZTA_SIM_CLUSTERS:?set by sim/cluster.sh exec}"
NS=zta-sim-verify
PASS=0
FAIL=0
ok() { printf '  ok    %s\n' "$*"; PASS=$((PASS + 1)); }
bad() { printf '  FAIL  %s\n' "$*"; FAIL=$((FAIL + 1)); }
k() { kubectl --context "$C" --request-timeout=10s "$@"; }
poll() { # SECONDS CMD...: until CMD succeeds, every 0.2 s
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
cleanup() {
  k delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1
  k delete clusterrolebinding,clusterrole zta-sim-verify-list-services --ignore-not-found >/dev/null 2>&1
  k delete mutatingwebhookconfiguration zta-sim-verify-failing --ignore-not-found >/dev/null 2>&1
}

echo "== netns"
links=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
[[ $links == "lo " ]] && ok "interfaces: $links" || bad "interfaces: $links"
# every listener on 127.0.0.1, or on a pod IP the process runtime put on lo (its processes bind their pod IP)
listen=$(ss -Htlnu | awk '{print $5}' | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')
on_lo=" 127.0.0.1 $(ip -o -4 addr show dev lo | awk '{print $4}' | sed 's#/.*##' | tr '\n' ' ')"
stray=""
for a in $listen; do [[ $on_lo == *" $a "* ]] || stray+="$a "; done
[[ -z $stray ]] && ok "every listener on lo: $listen" || bad "listeners off lo: $stray"
# no route to a cluster/pod IP (asked of the routing table; nothing is dialled)
if out=$(ip route get 10.0.0.1 2>&1); then bad "a route to 10.0.0.1: $out"; else ok "no route to 10.0.0.1 ($out)"; fi
t=$(date +%s%N)
if timeout 5 curl -s -o /dev/null --connect-timeout 3 https://127.0.10.200:443/; then
  bad "something answers on the LoadBalancer-style address 127.0.10.200:443"
else
  ok "a dial to a LoadBalancer-style address (127.0.10.200:443) is refused at once ($(ms_since "$t") ms)"
fi

for C in "${CLUSTERS[@]}"; do
  server=$(kubectl config view --minify --context "$C" -o jsonpath='{.clusters[0].cluster.server}')
  echo "== $C ($server)"
  cleanup
  poll 60 bash -c "! kubectl --context $C get namespace $NS" || bad "old $NS namespace still terminating"
  k create namespace "$NS" >/dev/null

  # 6. API servers: each answers on its own fixed loopback port, reachable from here
  v=$(k get --raw /version | jq -r .gitVersion) && ok "6 API server $server answers, $v" || bad "6 $server does not answer"

  # 1. admission: webhooks on (a Fail-policy webhook at a dead service refuses the create: the API server calls it),
  #    ServiceAccount admission on (pods get the default SA + its token volume)
  k apply -f - >/dev/null <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: zta-sim-verify-failing}
webhooks:
- name: failing.zta-sim-verify.example
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {namespace: $NS, name: nowhere, port: 443}}
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: $NS}}
  rules: [{operations: [CREATE], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"]}]
EOF
  if out=$(k -n "$NS" create configmap through-webhook --from-literal=a=b 2>&1); then
    bad "1 webhooks off: ConfigMap created despite a failurePolicy=Fail webhook at a dead service"
  else
    ok "1 webhooks on: a failurePolicy=Fail webhook at a dead service refuses the create ($(tail -c 120 <<<"$out"))"
  fi
  k delete mutatingwebhookconfiguration zta-sim-verify-failing >/dev/null
  k -n "$NS" run sa-probe --image=registry.invalid/none:0 --restart=Never >/dev/null
  sa=$(k -n "$NS" get pod sa-probe -o jsonpath='{.spec.serviceAccountName} {.spec.volumes[0].name}')
  [[ $sa == "default kube-api-access-"* ]] && ok "1 ServiceAccount admission on: pod got '$sa'" || bad "1 ServiceAccount admission: '$sa'"

  # 2. token controller fills a legacy service-account-token Secret
  k -n "$NS" create serviceaccount reader >/dev/null
  t=$(date +%s%N)
  k -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: reader-token
  annotations: {kubernetes.io/service-account.name: reader}
type: kubernetes.io/service-account-token
EOF
  if poll 20 bash -c "[[ -n \$(kubectl --context $C -n $NS get secret reader-token -o jsonpath='{.data.token}{.data.ca\\.crt}') ]] && [[ -n \$(kubectl --context $C -n $NS get secret reader-token -o jsonpath='{.data.ca\\.crt}') ]]"; then
    ok "2 token controller: data.token and data[ca.crt] filled in $(ms_since "$t") ms"
  else
    bad "2 token controller: reader-token not filled in 20 s"
  fi
  token=$(k -n "$NS" get secret reader-token -o jsonpath='{.data.token}' | base64 -d)
  cafile=$(mktemp)
  k -n "$NS" get secret reader-token -o jsonpath='{.data.ca\.crt}' | base64 -d >"$cafile"

  # 3. RBAC: the SA may list services, not secrets (token used directly against $server)
  k create clusterrole zta-sim-verify-list-services --verb=list --resource=services >/dev/null
  k create clusterrolebinding zta-sim-verify-list-services --clusterrole=zta-sim-verify-list-services \
    --serviceaccount="$NS:reader" >/dev/null
  code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$cafile" -H "Authorization: Bearer $token" "$server$1"; }
  poll 10 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert $cafile -H 'Authorization: Bearer $token' $server/api/v1/services) == 200 ]]"
  s=$(code /api/v1/services) && x=$(code /api/v1/secrets) && n=$(code /api/v1/namespaces/$NS/secrets)
  [[ $s == 200 && $x == 403 && $n == 403 ]] && ok "3 RBAC: services 200, secrets 403, $NS secrets 403 (CA = the secret's ca.crt)" ||
    bad "3 RBAC: services $s, secrets $x, $NS secrets $n"
  rm -f "$cafile"

  # 4. a Deployment becomes available on the simulated node
  t=$(date +%s%N)
  k -n "$NS" create deployment web --image=registry.invalid/web:1 --replicas=2 --port=8080 >/dev/null
  if k -n "$NS" rollout status deployment/web --timeout=60s >/dev/null; then
    ok "4 Deployment web 2/2 available in $(ms_since "$t") ms: $(k -n "$NS" get pods -l app=web \
      -o jsonpath='{range .items[*]}{.status.phase}/{.status.conditions[?(@.type=="Ready")].status}@{.spec.nodeName}({.status.podIP}) {end}')"
  else
    bad "4 Deployment web not available in 60 s"
  fi

  # 5. LoadBalancer Services get an address from the sim's kwok Stage
  k -n "$NS" expose deployment web --type=LoadBalancer --port=443 --target-port=8080 >/dev/null
  t=$(date +%s%N)
  if poll 20 bash -c "[[ -n \$(kubectl --context $C -n $NS get service web -o jsonpath='{.status.loadBalancer.ingress[0].ip}') ]]"; then
    ok "5 LoadBalancer: $(k -n "$NS" get service web -o jsonpath='clusterIP {.spec.clusterIP} -> ingress {.status.loadBalancer.ingress[0].ip} ({.status.loadBalancer.ingress[0].ipMode})') in $(ms_since "$t") ms"
  else
    bad "5 LoadBalancer: no ingress ip in 20 s"
  fi
  # what Pulumi's Service await reads: v1 Endpoints with ready addresses
  epv1=$(k -n "$NS" get endpoints web -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null)
  [[ $(wc -w <<<"$epv1") == 2 ]] && ok "5 v1 Endpoints of web: $epv1" || bad "5 v1 Endpoints of web: '$epv1'"
  k -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: pinned}
spec: {type: LoadBalancer, loadBalancerIP: 127.0.99.9, ports: [{port: 15443}], selector: {app: web}}
EOF
  poll 20 bash -c "[[ -n \$(kubectl --context $C -n $NS get service pinned -o jsonpath='{.status.loadBalancer.ingress[0].ip}') ]]"
  p=$(k -n "$NS" get service pinned -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [[ $p == 127.0.99.9 ]] && ok "5 LoadBalancer with spec.loadBalancerIP gets it: $p" || bad "5 loadBalancerIP 127.0.99.9 -> '$p'"
  k -n "$NS" create service clusterip plain --tcp=80 >/dev/null
  sleep 1
  [[ -z $(k -n "$NS" get service plain -o jsonpath='{.status.loadBalancer.ingress}') ]] &&
    ok "5 ClusterIP Service left alone" || bad "5 ClusterIP Service got a load balancer status"

  # 7. address ranges in use
  eps=$(k -n "$NS" get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[*].endpoints[*].addresses[0]}')
  ok "7 kubernetes svc $(k -n default get svc kubernetes -o jsonpath='{.spec.clusterIP}'), node IP $(k get node "$C-node-0" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}'), web endpoints: $eps"

  cleanup
done

echo "== cross-cluster (one netns, one process)"
for C in "${CLUSTERS[@]}"; do
  printf '  %s: %s\n' "$C" "$(kubectl --context "$C" --request-timeout=5s get nodes --no-headers 2>&1 | awk '{print $1, $2}')"
done
echo "$PASS passed, $FAIL failed"
((FAIL == 0))
