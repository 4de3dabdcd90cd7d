#!/usr/bin/env bash
# The audit lookup/export bench (export.bench.ts) on this tree and on a baseline commit, back to
# back, on the same seeded database, under one lock (docs/benchmarks.md, "Audit export and
# certificate lookup"):
#
#   DATABASE_URL=postgresql://postgres@127.0.0.1:55433/postgres BENCH_LOCK=/path/to/bench.lock \
#     bench/audit/export-vs-baseline.sh 121d155 --sizes 1000000 --lookups 2000 --appends 0 --proofs 0 --database audit_bench
#
# The baseline runs in a detached worktree (../<this>-base-<commit>, made once, sharing this
# tree's node_modules) with this tree's bench files copied in, so that both sides run the same
# script and only libs/ differs. The first run seeds the database (--database NAME keeps it).
set -euo pipefail
base="${1:?baseline commit}"
shift
here="$(cd "$(dirname "$0")/../.." && pwd)"
wt="${here}-base-${base}"
if [ ! -d "$wt" ]; then
  git -C "$here" worktree add --detach "$wt" "$base" >/dev/null
  ln -s "$here/node_modules" "$wt/node_modules"
fi
cp "$here"/bench/audit/{export.bench.ts,http-client.ts,seed-log.ts} "$wt/bench/audit/"
run() {
  (cd "$1" && node --expose-gc -r ts-node/register/transpile-only -r tsconfig-paths/register \
    bench/audit/export.bench.ts "${@:2}")
}
# BENCH_LOCK: a lock file shared with other benchmarks on the machine (both runs hold it).
exec 9>"${BENCH_LOCK:-${TMPDIR:-/tmp}/lethe-bench.lock}"
flock 9
echo "## baseline ${base} ($(git -C "$wt" log -1 --format=%h))"
run "$wt" "$@"
echo "## this tree ($(git -C "$here" log -1 --format=%h)$(git -C "$here" diff --quiet || echo +changes))"
run "$here" "$@"
