#!/usr/bin/env bash
# Boundary IoU's cost (issue #13 item 5) on a Cityscapes-shaped set: N pairs of 2048x1024 blobby
# maps, 19 classes, 8-bit grayscale PNG. Prints the one-thread kernel vs PNG decode of the same
# pairs (`bench --files DIR --boundary-iou`), then `evaluate` wall time without and with it.
#   bench/boundary.sh [--pairs N] [--dilation R]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=20; dilation=0.02
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --dilation) dilation="$2"; shift 2 ;;
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
for opt in "" "--boundary-iou --boundary-dilation $dilation"; do
  rm -rf "$work/journal"
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  $E evaluate --gt "$work/png/gt" --pred "$work/png/pred" --classes 19 --ignore 255 --data-dir "$work/journal" \
    --quiet $opt >/dev/null
  end=$(date +%s.%N)
  printf "evaluate %-40s wall %.2f s\n" "${opt:-(no boundary IoU)}" "$(echo "$end - $start" | bc)"
done
