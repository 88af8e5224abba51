#!/usr/bin/env bash
# Runs the same synthetic dataset on 1, 2 and 3 (or the NODES you list) node processes on this
# machine and prints pixels/s for each. Usage:
#   bench/cluster-scale.sh [--pairs N] [--nodes "1 2 3"] [--evaluator PATH/evaluator(.dll)]
# Each node is `evaluator serve` on a loopback port; all share one SQLite journal in a temp dir;
# the run is started with `evaluator submit` (partitions: one per core of every worker).
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=200; nodes="1 2 3"; evaluator=""
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --evaluator) evaluator="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

. bench/lib.sh
evaluator=$(evaluator_command "$evaluator")

work=$(mktemp -d /tmp/evaluator-scale.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
$evaluator generate --out "$work/data" --pairs "$pairs" >/dev/null
pixels=$((pairs * 2048 * 1024))
echo "dataset: $pairs pairs of 2048x1024 uint8 .npy ($pixels pixels), $(nproc) cores on this machine"
printf '%-6s %-12s %-10s\n' nodes seconds "Mpx/s"

base=$((20000 + RANDOM % 20000))
for n in $nodes; do
  seeds="akka.tcp://evaluator@127.0.0.1:$base"
  pids=()
  for i in $(seq 0 $((n - 1))); do
    EVALUATOR_PORT=$((base + i)) EVALUATOR_SEED_NODES="$seeds" EVALUATOR_DATA_DIR="$work/journal-$n" \
      $evaluator serve > "$work/node-$n-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in $(seq 0 $((n - 1))); do
    until grep -q "node up" "$work/node-$n-$i.log"; do sleep 0.2; done
  done
  start=$(date +%s.%N)
  $evaluator submit --seed-nodes "$seeds" --gt "$work/data/gt" --pred "$work/data/pred" --classes 19 --ignore 255 \
    --run-id "scale-$n" > "$work/submit-$n.log" 2>&1
  end=$(date +%s.%N)
  awk -v n="$n" -v s="$start" -v e="$end" -v px="$pixels" 'BEGIN { printf "%-6s %-12.2f %-10.1f\n", n, e - s, px / (e - s) / 1e6 }'
  grep -h "throughput" "$work/submit-$n.log" | sed 's/^/       submit says: /'
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  base=$((base + 10))
done
