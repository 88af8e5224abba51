#!/usr/bin/env bash
# Side by side: generates a dataset, counts it with Evaluator and with the peers available here
# (numpy bincount, scikit-learn confusion_matrix), checks every matrix equals Evaluator's, and
# prints pixels/s and ratios.  Usage: bench/peers.sh [--pairs N] [--classes C] [--maps blobby|uniform]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=100; classes=19; maps=blobby
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --classes) classes="$2"; shift 2 ;;
    --maps) maps="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
need_python "numpy, sklearn" python3-numpy python3-sklearn
E=$(evaluator_command)
work=$(mktemp -d /tmp/evaluator-peers.XXXXXX)
trap 'rm -rf "$work"' EXIT
$E generate --out "$work/data" --pairs "$pairs" --classes "$classes" --maps "$maps" >/dev/null
start=$(date +%s.%N)
$E evaluate --gt "$work/data/gt" --pred "$work/data/pred" --classes "$classes" --ignore 255 \
  --data-dir "$work/journal" --report "$work/report.json" > "$work/evaluate.log"
end=$(date +%s.%N)
grep -a -E "throughput|decode|peak memory" "$work/evaluate.log"
# Evaluator's time: its own counting time from the throughput line (process start excluded).
secs=$(grep -a "^throughput:" "$work/evaluate.log" | grep -oE "in [0-9.]+ s" | grep -oE "[0-9.]+")
wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
echo "evaluate wall time including process start: $wall s"
/usr/bin/python3 bench/peers.py "$work/data" "$classes" "$work/report.json" "$secs" "$wall"
