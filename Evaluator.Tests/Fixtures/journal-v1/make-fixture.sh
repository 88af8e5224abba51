#!/usr/bin/env bash
# Writes the journal-v1 fixture: a SQLite journal written by this release, holding one
# completed run and one run interrupted by SIGINT mid-run (partial progress), over a small
# dataset kept beside it. JournalFixtureTests copies it and checks that the current build
# lists both runs exactly and resumes the interrupted one to the exact full matrix.
#
#   Evaluator.Tests/Fixtures/journal-v1/make-fixture.sh [path/to/evaluator.dll]
#
# Run it once, with the release whose journal format it freezes; never regenerate it with a
# later one (that would test nothing). Runs record absolute paths and file stamps (size,
# modification time), so the data lives at a fixed path while the runs are made, with a
# fixed modification time; the test lays it out the same way.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
dll="${1:-$repo/Evaluator.Node/bin/Debug/net10.0/evaluator.dll}"
root=/tmp/evaluator-journal-v1           # JournalFixtureTests.Root
stamp='2026-01-01 00:00:00 UTC'          # JournalFixtureTests.FileTime
args=(--gt "$root/data/gt" --pred "$root/data/pred" --classes 5 --ignore 255 --data-dir "$root/journal")

rm -rf "$root" && mkdir -p "$root"
dotnet "$dll" generate --out "$root/data" --pairs 12 --width 16 --height 16 --classes 5 --maps uniform --seed 7
find "$root/data" -type f -exec touch -d "$stamp" {} +

# A persistence snapshot every 2 events, so the journal holds coordinator snapshots too.
export EVALUATOR_COORDINATOR_SNAPSHOT_EVERY=2
dotnet "$dll" evaluate "${args[@]}" --partitions 3 --run-id v1-complete --report "$root/v1-complete.json" --quiet

# 2 pairs/s per partition: SIGINT at the first progress line with some but not all pairs done.
# (Job control on: a non-interactive shell starts background jobs with SIGINT ignored.)
set -m
EVALUATOR_THROTTLE_PAIRS_PER_SECOND=2 dotnet "$dll" evaluate "${args[@]}" --partitions 2 --run-id v1-interrupted \
  > "$root/interrupted.log" 2>&1 &
pid=$!
until grep -Eq '(^|[^0-9])([1-9]|1[01])/12 pairs' "$root/interrupted.log"; do
  kill -0 "$pid" 2>/dev/null || { cat "$root/interrupted.log"; echo "the run ended before the interrupt" >&2; exit 1; }
  sleep 0.1
done
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$root/interrupted.log"; echo "exit $rc, expected 130" >&2; exit 1; }

dotnet "$dll" runs --data-dir "$root/journal" --json > "$root/runs.json"
rm -rf "$here/data" && cp -r "$root/data" "$here/data"
cp "$root/journal/evaluator.db" "$here/evaluator.db"
cp "$root/runs.json" "$here/runs.json"
ls -la "$root/journal"
cat "$root/runs.json"
