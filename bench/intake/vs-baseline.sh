#!/usr/bin/env bash
# The intake bench (intake-bench.ts) on this tree and on a baseline commit, back to back, under one
# lock (docs/benchmarks.md, "PostgreSQL's share of a round" and "Overlapping rounds"):
#
#   BENCH_LOCK=/path/to/bench.lock REPEAT=2 bench/intake/vs-baseline.sh cea22c6 --n 20000 --concurrency 1,4 --spans
#   BENCH_LOCK=/path/to/bench.lock TRACE=0 bench/intake/vs-baseline.sh cea22c6 \
#     --rate 1000,2000,5000 --duration-s 10 --concurrency 1,4 --spans
#
# The baseline runs in a detached worktree (../<this>-base-<commit>, made once, sharing this
# tree's node_modules) with this tree's bench/intake files copied in, so that both sides run the
# same bench and only libs/ and migrations/ differ. Each side starts its own PostgreSQL and Kafka.
# REPEAT=k alternates baseline and this tree k times (ABAB…), so that a change of the machine's
# load falls on both. With the statement trace (the default; TRACE=0 runs without it, as the
# open-loop figures were), each run writes its trace to
# ${TRACE_DIR:-/tmp}/intake-trace-<side>-<i>.json and prints its report after the bench.
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
  local dir="$1" trace="$2"
  shift 2
  if [ "${TRACE:-1}" = 0 ]; then
    (cd "$dir" && env KAFKAJS_NO_PARTITIONER_WARNING=1 \
      npx ts-node -r tsconfig-paths/register --transpile-only bench/intake/intake-bench.ts "$@")
  else
    (cd "$dir" && env LETHE_TRACE_OUT="$trace" KAFKAJS_NO_PARTITIONER_WARNING=1 \
      npx ts-node -r ./bench/intake/statement-trace.ts -r tsconfig-paths/register --transpile-only \
      bench/intake/intake-bench.ts "$@" &&
      npx ts-node --transpile-only bench/intake/statement-trace-report.ts "$trace")
  fi
}
stamp() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"; }
# BENCH_LOCK: a lock file shared with other benchmarks on the machine (every run holds it).
exec 9>"${BENCH_LOCK:-${TMPDIR:-/tmp}/lethe-bench.lock}"
flock 9
for i in $(seq 1 "${REPEAT:-1}"); do
  echo "## baseline ${base} ($(git -C "$wt" log -1 --format=%h)), run ${i}, $(stamp)"
  run "$wt" "${TRACE_DIR:-/tmp}/intake-trace-base-${i}.json" "$@"
  echo "## this tree ($(git -C "$here" log -1 --format=%h)$(git -C "$here" diff --quiet || echo +changes)), run ${i}, $(stamp)"
  run "$here" "${TRACE_DIR:-/tmp}/intake-trace-this-${i}.json" "$@"
done
echo "## end $(stamp)"
