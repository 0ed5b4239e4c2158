#!/usr/bin/env bash
# Benchmark (not a test): warm `npm run sim` from nothing to a control-plane-verified mesh, by phase.
#   npm run bench:sim        (needs root and the toolchain pieces; tears the sim down first and leaves it running)
# Phases: clusters (netns, kwok clusters, process runtime), pulumi up, istiod Ready (from the runtime's log),
# control-plane checks. Prints one line per phase and the total; the issue's goal is <= 90 s on 2 cores.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
sim_dir=${ZTA_SIM_DIR:-$HOME/.cache/zta-testbed/sim}
now() { date +%s.%N; }
span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%6.1f s", b - a }'; }

bash sim/sim.sh toolchain >/dev/null
bash sim/sim.sh destroy >/dev/null 2>&1 || true
t0=$(now)
bash sim/cluster.sh up >/dev/null 2>&1
t1=$(now)
bash sim/cluster.sh exec node -r ts-node/register/transpile-only sim/deploy.ts up >"$sim_dir/bench-up.log" 2>&1 || { tail -20 "$sim_dir/bench-up.log"; exit 1; }
t2=$(now)
bash sim/cluster.sh exec node -r ts-node/register/transpile-only cli/verify.ts sim >"$sim_dir/bench-verify.log" 2>&1 || { cat "$sim_dir/bench-verify.log"; exit 1; }
t3=$(now)
printf 'clusters + runtime      %s\n' "$(span "$t0" "$t1")"
printf 'pulumi up               %s  (%s)\n' "$(span "$t1" "$t2")" "$(grep -m1 '^result:' "$sim_dir/bench-up.log" | cut -c14-)"
grep -h ': started pid\|: Ready' "$sim_dir/logs/runtime.log" | awk '{ print "  runtime " $0 }' | cut -c1-150 | tail -4
printf 'checks (npm run verify) %s  (control plane: %s; identity: %s passed, %s failed)\n' "$(span "$t2" "$t3")" \
  "$(grep -E '^[0-9]+ passed' "$sim_dir/bench-verify.log")" \
  "$(sed -n '/^identity /,$p' "$sim_dir/bench-verify.log" | grep -c '^PASS ')" "$(sed -n '/^identity /,$p' "$sim_dir/bench-verify.log" | grep -c '^FAIL ')"
printf 'TOTAL nothing->verified %s\n' "$(span "$t0" "$t3")"
