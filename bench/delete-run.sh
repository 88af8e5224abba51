#!/usr/bin/env bash
# DELETE /runs/{id} of a cancelled ingest run of N journal events on SQLite (README, Run lifecycle):
# N=1000 bench/delete-run.sh   (after dotnet build -c Release; needs curl, bc, sqlite3)
set -euo pipefail
cd "$(dirname "$0")/.."
DLL=Evaluator.Node/bin/Release/net10.0/evaluator.dll
DATA=$(mktemp -d)
PORT=18931
dotnet $DLL serve --port 0 --http http://127.0.0.1:$PORT --data-dir $DATA > "$DATA/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE' EXIT
for i in $(seq 1 60); do curl -sf localhost:$PORT/healthz >/dev/null && break; sleep 0.5; done
N=${N:-1000}
curl -s -XPOST localhost:$PORT/runs -H 'Content-Type: application/json' -d '{"run_id":"big","num_classes":3}' >/dev/null
printf '\x00\x01\x02\x00\x00\x01\x01\x02' > "$DATA/batch.bin"
for s in $(seq 0 $((N-1))); do
  curl -s -o /dev/null -XPOST "localhost:$PORT/runs/big/partitions/0/batches/$s?shape=4&dtype=uint8" -H 'Content-Type: application/octet-stream' --data-binary @"$DATA/batch.bin"
done
echo "pushed $N batches (one curl each)"
curl -s -XPOST localhost:$PORT/runs/big/cancel; echo
events=$(sqlite3 $DATA/evaluator.db "select count(*) from journal where persistence_id='run-big'" 2>/dev/null || echo "?")
echo "journal rows of run-big before delete: $events"
curl -s -o /dev/null -w 'DELETE /runs/big: %{http_code} in %{time_total} s\n' -XDELETE localhost:$PORT/runs/big
echo "journal rows of run-big after delete: $(sqlite3 $DATA/evaluator.db "select count(*) || ' (' || sum(deleted) || ' tombstone)' from journal where persistence_id='run-big'" 2>/dev/null || echo "?")"
curl -s -o /dev/null -w 'GET /runs/big after delete: %{http_code}\n' localhost:$PORT/runs/big
