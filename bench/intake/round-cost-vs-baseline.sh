#!/usr/bin/env bash
# bench/intake/round-cost.bench.ts on a baseline commit and on this tree, back to back, under one
# lock (docs/benchmarks.md, "PostgreSQL's cost per event as the tables grow"):
#
#   BENCH_LOCK=/path/to/bench.lock bench/intake/round-cost-vs-baseline.sh ebfa946 \
#     --table-sizes 0,100000,1000000 --sizes 1000,5000 --rounds 3
#
# The baseline runs in a detached worktree (../<this>-base-<commit>, made once, sharing this
# tree's node_modules) with this tree's bench/intake files copied in, so both sides run the same
# bench and only libs/ and migrations/ differ. Each side starts its own PostgreSQL (fsync on).
set -euo pipefail
base="${1:?baseline commit}"
shift
here="$(cd "$(dirname "$0")/../.." && pwd)"
wt="${here}-base-${base}"
if [ ! -d "$wt" ]; then
  git -C "$here" worktree add --detach "$wt" "$base" >/dev/null
  ln -s "$here/node_modules" "$wt/node_modules"
fi
cp "$here"/bench/intake/*.ts "$wt/bench/intake/"
run() {
  (cd "$1" && shift && npx ts-node -r tsconfig-paths/register --transpile-only \
    bench/intake/round-cost.bench.ts "$@" 2>/dev/null)
}
stamp() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"; }
exec 9>"${BENCH_LOCK:-${TMPDIR:-/tmp}/lethe-bench.lock}"
flock 9
echo "## baseline ${base} ($(git -C "$wt" log -1 --format=%h)), $(stamp)"
run "$wt" "$@"
echo "## this tree ($(git -C "$here" log -1 --format=%h)$(git -C "$here" diff --quiet || echo +changes)), $(stamp)"
run "$here" "$@"
echo "## end $(stamp)"
