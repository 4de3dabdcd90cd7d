#!/usr/bin/env bash
# The intake bench (intake-bench.ts) on this tree and on a baseline commit, back to back, under
# one lock (docs/benchmarks.md, "Governance intake"):
#
#   BENCH_LOCK=/path/to/bench.lock bench/intake/intake-vs-baseline.sh cea22c6 --n 20000 --concurrency 1,4 --spans
#   BENCH_LOCK=/path/to/bench.lock bench/intake/intake-vs-baseline.sh cea22c6 \
#     --rate 1000,2000,5000 --duration-s 10 --concurrency 1,4 --spans
#
# The baseline runs in a detached worktree (../<this>-base-<commit>, made once, sharing this
# tree's node_modules) with this tree's bench files copied in, so that both sides run the same
# script and only libs/ differs. Each side starts its own PostgreSQL and Kafka (fresh database
# and topics per row). "service µs/event" = the service thread's CPU seconds / N (load-robust).
set -euo pipefail
base="${1:?baseline commit}"
shift
here="$(cd "$(dirname "$0")/../.." && pwd)"
wt="${here}-base-${base}"
if [ ! -d "$wt" ]; then
  git -C "$here" worktree add --detach "$wt" "$base" >/dev/null
  ln -s "$here/node_modules" "$wt/node_modules"
fi
cp "$here"/bench/intake/{intake-bench.ts,intake-spans.ts} "$wt/bench/intake/"
run() {
  (cd "$1" && KAFKAJS_NO_PARTITIONER_WARNING=1 npx ts-node -r tsconfig-paths/register --transpile-only \
    bench/intake/intake-bench.ts "${@:2}")
}
# BENCH_LOCK: a lock file shared with other benchmarks on the machine (both runs hold it).
exec 9>"${BENCH_LOCK:-${TMPDIR:-/tmp}/lethe-bench.lock}"
flock 9
echo "## baseline ${base} ($(git -C "$wt" log -1 --format=%h)) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
run "$wt" "$@"
echo "## this tree ($(git -C "$here" log -1 --format=%h)$(git -C "$here" diff --quiet || echo +changes)) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
run "$here" "$@"
echo "## end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
