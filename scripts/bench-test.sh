#!/usr/bin/env bash
# Wall (and CPU) time of each phase of `npm test`, then of the whole `npm test`, as on a fresh clone: every cache
# the run itself creates (node_modules/.cache: jest/ts-jest transforms, ESLint, tsc build info) is removed before
# each measurement. A benchmark, not a test: it never fails on a slow figure. `--warm` keeps the caches instead.
# Usage: npm run bench:test [-- --warm]   (run it on an otherwise idle machine; it prints the load average too)
set -euo pipefail
cd "$(dirname "$0")/.."

warm=0
[ "${1:-}" = "--warm" ] && warm=1
cache=node_modules/.cache
[ -d node_modules ] || { echo "run npm ci first" >&2; exit 1; }

fresh() { [ "$warm" = 1 ] || rm -rf "$cache"; }

results=()
phase() {
    local name=$1
    shift
    fresh
    local start end status=0
    local t0 t1
    t0=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat 2>/dev/null || echo 0)
    start=$(date +%s.%N)
    "$@" >"${TMPDIR:-/tmp}/bench-test.$$.log" 2>&1 || status=$?
    end=$(date +%s.%N)
    t1=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat 2>/dev/null || echo 0)
    local wall cpu
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
    cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", (b-a)/hz}')
    local summary
    summary=$(grep -E '^jest: [0-9]+ passed' "${TMPDIR:-/tmp}/bench-test.$$.log" | tail -1 || true)
    results+=("$(printf '%-22s %7ss wall %7ss cpu  %s%s' "$name" "$wall" "$cpu" "$([ "$status" = 0 ] && echo ok || echo "FAILED (exit $status)")" "${summary:+  ($summary)}")")
    if [ "$status" != 0 ]; then
        tail -30 "${TMPDIR:-/tmp}/bench-test.$$.log" >&2
    fi
    rm -f "${TMPDIR:-/tmp}/bench-test.$$.log"
}

echo "bench:test on $(nproc) cores, $([ "$warm" = 1 ] && echo "warm caches" || echo "fresh caches (${cache} removed before each phase)")"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Each phase alone. npm test (scripts/test.mjs) runs the last three at once; the first two are the separate commands
# that scripts/check.mjs does in one process.
phase "typecheck (tsc)" npm run --silent typecheck
phase "eslint" npm run --silent lint:eslint
phase "typecheck + eslint" node scripts/check.mjs
phase "prettier" npm run --silent lint:format
phase "jest" npm run --silent unit
# The whole command, as CI and README run it.
phase "npm test (total)" npm test
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${results[@]}"
