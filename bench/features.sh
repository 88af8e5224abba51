#!/usr/bin/env bash
# The cost of each optional feature of `evaluate` on a Cityscapes-shaped set: N pairs of
# 2048x1024 blobby maps, 19 classes, ignore 255, 8-bit grayscale PNG. Runs `evaluate` plain, with
# --per-image F, with --per-image F --bootstrap 1000 and with --boundary-iou, alternating (one of
# each per round, a fresh journal each time), and prints per configuration the median over the
# rounds of the wall time and of the CPU time (user + sys, /usr/bin/time), and its cost over the
# plain run in seconds and percent (after one plain warm-up run, not counted).
#   bench/features.sh [--pairs N] [--rounds R] [--evaluator PATH.dll]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=60; rounds=3; given=""
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --evaluator) given="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
need_python "numpy, PIL" python3-numpy python3-pil
E=$(evaluator_command "$given")
work=$(mktemp -d /tmp/evaluator-features.XXXXXX)
trap 'rm -rf "$work"' EXIT
$E generate --out "$work/npy" --pairs "$pairs" --classes 19 --maps blobby >/dev/null
/usr/bin/python3 bench/png.py convert "$work/npy" "$work/png"
rm -rf "$work/npy"

names=("plain" "--per-image F" "--per-image F --bootstrap 1000" "--boundary-iou")
options=("" "--per-image $work/images.jsonl" "--per-image $work/images.jsonl --bootstrap 1000" "--boundary-iou")
# one plain run first, not counted: it warms the page cache and the runtime's files
$E evaluate --gt "$work/png/gt" --pred "$work/png/pred" --classes 19 --ignore 255 --data-dir "$work/warm" --quiet >/dev/null
for _ in $(seq 1 "$rounds"); do
  for i in "${!names[@]}"; do
    rm -rf "$work/journal" "$work/images.jsonl"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S" -o "$work/time" \
      $E evaluate --gt "$work/png/gt" --pred "$work/png/pred" --classes 19 --ignore 255 \
      --data-dir "$work/journal" --quiet ${options[$i]} >/dev/null
    awk -v i="$i" '{ printf "%d %.2f %.2f\n", i, $1, $2 + $3 }' "$work/time" >>"$work/times"
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "$pairs pairs of 2048x1024 8-bit PNG, 19 classes, blobby maps; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "evaluate, median of $rounds alternating runs; cost = over the plain run"
printf "%-32s %8s %8s %18s %18s\n" "feature" "wall s" "CPU s" "wall cost" "CPU cost"
base_wall=""; base_cpu=""
for i in "${!names[@]}"; do
  wall=$(awk -v i="$i" '$1 == i { print $2 }' "$work/times" | median)
  cpu=$(awk -v i="$i" '$1 == i { print $3 }' "$work/times" | median)
  if [ -z "$base_wall" ]; then base_wall=$wall; base_cpu=$cpu; fi
  cost() { awk -v v="$1" -v b="$2" 'BEGIN { printf "%+.2f s (%+.0f%%)", v - b, 100 * (v - b) / b }'; }
  printf "%-32s %8s %8s %18s %18s\n" "${names[$i]}" "$wall" "$cpu" "$(cost "$wall" "$base_wall")" "$(cost "$cpu" "$base_cpu")"
done
echo "every run (feature wall CPU):"
awk -v names="$(IFS='|'; echo "${names[*]}")" 'BEGIN { split(names, n, "|") } { printf "  %-32s %s %s\n", n[$1 + 1], $2, $3 }' "$work/times"
