#!/usr/bin/env bash
# The local simulated default:
#   sim/sim.sh up        start the clusters (netns + kwok + process runtime), `pulumi up` of the program, then the
#                        control-plane checks against the real istiods                          (npm run sim)
#   sim/sim.sh destroy   `pulumi destroy`, then stop the clusters and remove the netns        (npm run sim:destroy)
#   sim/sim.sh test      start the clusters and run the sim test tier inside the netns        (npm run test:sim)
#   sim/sim.sh toolchain build (only) the toolchain pieces the sim needs; cached pieces take no time
# Every Pulumi run happens inside the loopback-only network namespace, with the toolchain's binaries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cd "$repo"
ts=(node -r ts-node/register/transpile-only)
# What the sim runs on (the tls/random/command providers and the nodejs language host are not needed).
pieces=(pulumi provider-kubernetes etcd kubernetes kubectl kwok istio-charts-1.30 istiod-1.30 prometheus keycloak)

case "${1:-}" in
toolchain)
    bash "$repo/toolchain/build.sh" "${pieces[@]}"
    ;;
up)
    bash "$repo/toolchain/build.sh" "${pieces[@]}"
    bash "$here/cluster.sh" up
    bash "$here/cluster.sh" exec "${ts[@]}" "$here/deploy.ts" up
    # then the control-plane checks against the real istiods (npm run verify -- sim): up is done when they pass
    bash "$here/cluster.sh" exec "${ts[@]}" "$repo/cli/verify.ts" sim
    ;;
destroy)
    if bash "$here/cluster.sh" status >/dev/null 2>&1; then
        bash "$here/cluster.sh" exec "${ts[@]}" "$here/deploy.ts" destroy
    else
        echo "sim: clusters are not running; nothing to destroy in them"
    fi
    bash "$here/cluster.sh" down
    # The state described objects of clusters that no longer exist: start the next run from empty.
    rm -rf "${ZTA_SIM_DIR:-$HOME/.cache/zta-testbed/sim}/state" "${ZTA_SIM_DIR:-$HOME/.cache/zta-testbed/sim}/project"
    ;;
test)
    bash "$repo/toolchain/build.sh" "${pieces[@]}"
    bash "$here/cluster.sh" up
    bash "$here/cluster.sh" exec npx jest -c jest.sim.config.js --runInBand
    ;;
*)
    echo "usage: sim/sim.sh up|destroy|test|toolchain" >&2
    exit 2
    ;;
esac
