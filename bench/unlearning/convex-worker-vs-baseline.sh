#!/usr/bin/env bash
# The convex worker bench (convex-worker.bench.ts) on a baseline commit and on this tree,
# alternating (baseline, this, this, baseline), under one lock (docs/benchmarks.md (g), "Fourth
# wave"). Each run compares its kept-factor jobs with the retrain job through its own worker, so
# a change that also speeds up the retrain is in both sides of that run's ratio.
#
#   BENCH_LOCK=/path/to/bench.lock LETHE_CONVEX_WORKER_SIZES=7000 LETHE_CONVEX_WORKER_JOBS=5 \
#     LETHE_CONVEX_WORKER_REBUILD=0 bench/unlearning/convex-worker-vs-baseline.sh cea22c6
#
# The baseline is the commit's tree (git archive) in a temp folder sharing this tree's
# node_modules, with this tree's bench file copied in, so both sides run the same script.
set -euo pipefail
base="${1:?baseline commit}"
here="$(cd "$(dirname "$0")/../.." && pwd)"
wt="${TMPDIR:-/tmp}/lethe-convex-worker-base-${base}"
if [ ! -d "$wt" ]; then
  mkdir -p "$wt"
  git -C "$here" archive "$base" | tar -x -C "$wt"
  ln -s "$here/node_modules" "$wt/node_modules"
fi
cp "$here/bench/unlearning/convex-worker.bench.ts" "$wt/bench/unlearning/"
run() {
  echo "## $1 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$2" && node -r ts-node/register/transpile-only -r tsconfig-paths/register \
    bench/unlearning/convex-worker.bench.ts)
}
exec 9>"${BENCH_LOCK:-${TMPDIR:-/tmp}/lethe-bench.lock}"
flock 9
this="this tree ($(git -C "$here" log -1 --format=%h)$(git -C "$here" diff --quiet || echo +changes))"
run "baseline ${base}" "$wt"
run "$this" "$here"
run "$this" "$here"
run "baseline ${base}" "$wt"
echo "## end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
