#!/usr/bin/env bash
# Boundary IoU's cost (issue #13 item 5) on a Cityscapes-shaped set: N pairs of 2048x1024 blobby
# maps, 19 classes, 8-bit grayscale PNG. Prints the one-thread kernel vs PNG decode of the same
# pairs (`bench --files DIR --boundary-iou`), then `evaluate` without and with it, alternating for
# K rounds: the median wall and CPU (user + sys) time of each.
#   bench/boundary.sh [--pairs N] [--dilation R] [--rounds K]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=20; dilation=0.02; rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --dilation) dilation="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
need_python "numpy, PIL" python3-numpy python3-pil
E=$(evaluator_command)
work=$(mktemp -d /tmp/evaluator-boundary.XXXXXX)
trap 'rm -rf "$work"' EXIT
$E generate --out "$work/npy" --pairs "$pairs" --classes 19 --maps blobby >/dev/null
/usr/bin/python3 bench/png.py convert "$work/npy" "$work/png"
echo "$pairs pairs of 2048x1024 8-bit PNG, 19 classes, blobby maps; $(nproc) cores"
$E bench --files "$work/png" --classes 19 --boundary-iou --boundary-dilation "$dilation" --repeats 3
# evaluate without and with the option, alternating, a fresh journal each time; medians of wall and CPU (user + sys)
for _ in $(seq 1 "$rounds"); do
  for i in 0 1; do
    opt=""; [ "$i" = 1 ] && opt="--boundary-iou --boundary-dilation $dilation"
    rm -rf "$work/journal"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S" -o "$work/time" \
      $E evaluate --gt "$work/png/gt" --pred "$work/png/pred" --classes 19 --ignore 255 --data-dir "$work/journal" \
      --quiet $opt >/dev/null
    awk -v i="$i" '{ printf "%d %.2f %.2f\n", i, $1, $2 + $3 }' "$work/time" >>"$work/times"
  done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for i in 0 1; do
  name="(no boundary IoU)"; [ "$i" = 1 ] && name="--boundary-iou --boundary-dilation $dilation"
  printf "evaluate %-40s median of %d: wall %s s, CPU %s s (every run: %s)\n" "$name" "$rounds" \
    "$(awk -v i="$i" '$1 == i { print $2 }' "$work/times" | median)" \
    "$(awk -v i="$i" '$1 == i { print $3 }' "$work/times" | median)" \
    "$(awk -v i="$i" '$1 == i { printf "%s/%s ", $2, $3 }' "$work/times")"
done
