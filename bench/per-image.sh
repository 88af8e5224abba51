#!/usr/bin/env bash
# The cost of --per-image on a Cityscapes-shaped set: N pairs of 2048x1024 uint8 .npy maps, 19
# classes, ignore 255, predictions from another seed (so every pair has a dense 19x19 confusion:
# the largest per-image rows). `evaluate` without and with --per-image, alternating, a fresh
# journal each time; wall time from start to exit. Usage:
#   bench/per-image.sh [pairs=100] [runs=3] [evaluator.dll]
# Prints the median, the fastest (the least disturbed on a shared machine) and every run of each,
# and the size of the per-image file.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
pairs=${1:-100}; runs=${2:-3}
E=$(evaluator_command "${3:-}")
work=$(mktemp -d /tmp/evaluator-per-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
$E generate --out "$work/a" --pairs "$pairs" --classes 19 --seed 1 >/dev/null
$E generate --out "$work/b" --pairs "$pairs" --classes 19 --seed 2 >/dev/null
gt="$work/a/gt"; pred="$work/b/pred"
plain=(); per=()
for _ in $(seq 1 "$runs"); do
  for which in plain per; do
    rm -rf "$work/data" "$work/images.jsonl"
    extra=(); [ "$which" = per ] && extra=(--per-image "$work/images.jsonl")
    s=$(date +%s.%N)
    $E evaluate --gt "$gt" --pred "$pred" --classes 19 --ignore 255 --data-dir "$work/data" "${extra[@]}" >"$work/$which.out"
    grep -h -E '^(throughput|per-image):' "$work/$which.out" | sed "s/^/  $which: /" >>"$work/lines"
    e=$(date +%s.%N)
    t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }')
    if [ "$which" = plain ]; then plain+=("$t"); else per+=("$t"); size=$(stat -c %s "$work/images.jsonl"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fastest() { printf '%s\n' "$@" | sort -n | head -n 1; }
echo "$pairs pairs of 2048x1024, 19 classes, $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "what each run printed (throughput excludes start-up; per-image: the time to read the rows back and write the file):"
cat "$work/lines"
echo "without --per-image: median $(median "${plain[@]}") s, fastest $(fastest "${plain[@]}") s, of ${plain[*]}"
echo "with    --per-image: median $(median "${per[@]}") s, fastest $(fastest "${per[@]}") s, of ${per[*]} (images.jsonl: $size bytes, $pairs lines)"
