#!/usr/bin/env bash
# The convex worker bench (convex-worker.bench.ts) on a baseline commit and on a candidate commit
# (default HEAD), alternating (baseline, candidate, candidate, baseline), under one lock
# (docs/benchmarks.md (g), "Fourth wave" and "Fifth wave"). Each run compares its kept-factor jobs
# with the retrain job through its own worker, so a change that also speeds up the retrain is in
# both sides of that run's ratio.
#
#   BENCH_LOCK=/path/to/bench.lock LETHE_CONVEX_WORKER_SIZES=7000 LETHE_CONVEX_WORKER_JOBS=8 \
#     LETHE_CONVEX_WORKER_REBUILD=0 bench/unlearning/convex-worker-vs-baseline.sh ebfa946 [HEAD]
#
# ROUNDS=n repeats the four runs n times (default 1), all under the one lock.
# Each side is the commit's tree (git archive) in a temp folder sharing this tree's node_modules,
# with this tree's bench file copied in, so both sides run the same script; the working tree can
# change while it runs (uncommitted changes are not measured: commit them first).
set -euo pipefail
base="${1:?baseline commit}"
cand="$(git -C "$(dirname "$0")" rev-parse --short "${2:-HEAD}")"
base="$(git -C "$(dirname "$0")" rev-parse --short "$base")"
here="$(cd "$(dirname "$0")/../.." && pwd)"
tree() {
  local wt="${TMPDIR:-/tmp}/lethe-convex-worker-tree-$1"
  if [ ! -e "$wt/.complete" ]; then
    # (Re)made whole: a folder left by an interrupted extraction is not used.
    rm -rf "$wt"
    mkdir -p "$wt"
    git -C "$here" archive "$1" | tar -x -C "$wt"
    ln -s "$here/node_modules" "$wt/node_modules"
    touch "$wt/.complete"
  fi
  cp "$here/bench/unlearning/convex-worker.bench.ts" "$wt/bench/unlearning/"
  echo "$wt"
}
bwt="$(tree "$base")"
cwt="$(tree "$cand")"
run() {
  echo "## $1 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$2" && node -r ts-node/register/transpile-only -r tsconfig-paths/register \
    bench/unlearning/convex-worker.bench.ts)
}
exec 9>"${BENCH_LOCK:-${TMPDIR:-/tmp}/lethe-bench.lock}"
flock 9
for _ in $(seq "${ROUNDS:-1}"); do
  run "baseline ${base}" "$bwt"
  run "candidate ${cand}" "$cwt"
  run "candidate ${cand}" "$cwt"
  run "baseline ${base}" "$bwt"
done
echo "## end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
