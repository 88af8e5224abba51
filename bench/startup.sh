#!/usr/bin/env bash
# Fixed cost of a local run: a 1-pair, 256x256 `evaluate` (process start, journal, one-node
# cluster, shutdown), wall time from start to exit, two builds alternating. Usage:
#   bench/startup.sh A/evaluator.dll B/evaluator.dll [runs=7]
# Prints the median and every run of each (the same files, a fresh journal each time).
set -euo pipefail
a=$1; b=$2; n=${3:-7}
work=$(mktemp -d /tmp/evaluator-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT
dotnet "$a" generate --out "$work/d" --pairs 1 --width 256 --height 256 >/dev/null
ta=(); tb=()
for _ in $(seq 1 "$n"); do
  for which in a b; do
    dll=${!which}
    rm -rf "$work/data"
    s=$(date +%s.%N)
    dotnet "$dll" evaluate --gt "$work/d/gt" --pred "$work/d/pred" --classes 19 --data-dir "$work/data" >/dev/null
    e=$(date +%s.%N)
    t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
    if [ "$which" = a ]; then ta+=("$t"); else tb+=("$t"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "A $a: median $(median "${ta[@]}") s of ${ta[*]}"
echo "B $b: median $(median "${tb[@]}") s of ${tb[*]}"
