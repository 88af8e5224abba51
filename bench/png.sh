#!/usr/bin/env bash
# PNG datasets: where the time goes. Generates N pairs of 2048x1024 maps, writes them as 8-bit
# grayscale PNG with Pillow, then runs `evaluate` on 1 core and on all cores and prints the
# counting rate and the decode rate per decoder that `evaluate` reports, next to Pillow's
# decode rate on one core for the same files.
#   bench/png.sh [--pairs N] [--classes C] [--maps blobby|uniform]
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
need_python "numpy, PIL" python3-numpy python3-pil
E=$(evaluator_command)
work=$(mktemp -d /tmp/evaluator-png.XXXXXX)
trap 'rm -rf "$work"' EXIT
$E generate --out "$work/npy" --pairs "$pairs" --classes "$classes" --maps "$maps" >/dev/null
/usr/bin/python3 bench/png.py convert "$work/npy" "$work/png"
ncpu=$(nproc)
echo "$pairs pairs of 2048x1024 8-bit PNG ($(du -sh "$work/png" | cut -f1)), $classes classes, $maps maps; $ncpu cores"
printf "%-28s %14s %22s\n" run "counting Mpx/s" "decode M labels/s/decoder"
for c in 1 $ncpu; do
  rm -rf "$work/journal"
  taskset -c "0-$((c - 1))" $E evaluate --gt "$work/png/gt" --pred "$work/png/pred" --classes "$classes" --ignore 255 \
    --data-dir "$work/journal" > "$work/evaluate.log"
  rate=$(grep -a "^throughput:" "$work/evaluate.log" | grep -oE "= [0-9.]+ Mpx/s" | grep -oE "[0-9.]+")
  decode=$(tr '\n' ' ' < "$work/evaluate.log" | grep -oE "= [0-9.]+ M +labels/s" | grep -oE "[0-9.]+" | head -n 1)
  printf "%-28s %14s %22s\n" "evaluate on $c core(s)" "$rate" "$decode"
done
printf "%-28s %14s %22s\n" "Pillow + numpy, 1 core" "-" "$(/usr/bin/python3 bench/png.py decode "$work/png")"
