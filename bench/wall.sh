#!/usr/bin/env bash
# What a user times: the whole command, from process start to exit, Evaluator against the
# Python a user would write instead, on the same files.
#
#   bench/wall.sh [--cityscapes N] [--ade20k N] [--npy N] [--small] [--cores N] [--repeats R]
#                 [--evaluator PATH] [--data DIR]
#
# Sets (generated with Pillow/numpy by bench/wall.py; N = 0 leaves a set out):
#   cityscapes  N pairs (default 500) of 2048x1024 8-bit PNG, ground truth in the 34 labelIds,
#               predictions in trainIds: `evaluate --classes 19 --label-map cityscapes`
#   ade20k      N pairs (default 2000) of 683x512 8-bit PNG, 150 classes: `--label-map ade20k`
#   npy         N pairs (default 300) of 2048x1024 uint8 .npy, 19 classes, 255 ignored
#   --small     120 cityscapes, 500 ade20k and 300 npy pairs
# Runners, alternating, R times each (default 3), the median reported: Evaluator (the build
# publish.sh makes, built when absent, or --evaluator: an executable or a .dll), Pillow/numpy
# + numpy LUT + bincount in one process and in a multiprocessing.Pool of all the cores, and
# scikit-learn's confusion_matrix on the .npy set. Every peer's matrix is checked equal to
# Evaluator's (the script fails otherwise). --cores N pins everything to N cores (taskset) and
# gives the Pool N processes. Peak RSS: Evaluator's own report; a Pool's is its processes summed.
# --data DIR keeps the generated sets there and reuses them on the next call.
set -euo pipefail
cd "$(dirname "$0")/.."
cityscapes=500; ade20k=2000; npy=300; cores=""; repeats=3; evaluator=""; data=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cityscapes) cityscapes="$2"; shift 2 ;;
    --ade20k) ade20k="$2"; shift 2 ;;
    --npy) npy="$2"; shift 2 ;;
    --small) cityscapes=120; ade20k=500; npy=300; shift ;;
    --cores) cores="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --evaluator) evaluator="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
need_python "numpy, PIL, sklearn" python3-numpy python3-pil python3-sklearn
if [ -z "$evaluator" ]; then
  [ -x publish/evaluator ] || ./publish.sh >/dev/null
  evaluator=publish/evaluator
fi
E=$(evaluator_command "$evaluator")
pin=(); procs=$(nproc)
if [ -n "$cores" ]; then pin=(taskset -c "0-$((cores - 1))"); procs=$cores; fi

work=$(mktemp -d /tmp/evaluator-wall.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -n "$data" ] || data="$work/data"
results="$work/results.tsv"
now() { date +%s.%N; }
elapsed() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f", e - s }'; }

# One run: prints "wall<TAB>peak RSS MiB".
run_evaluator() {
  local kind=$1 dir=$2 opts; opts=$(/usr/bin/python3 bench/wall.py options "$kind")
  rm -rf "$work/journal"
  local s e; s=$(now)
  # shellcheck disable=SC2086
  "${pin[@]}" $E evaluate --gt "$dir/gt" --pred "$dir/pred" $opts --data-dir "$work/journal" \
    --report "$work/$kind.json" > "$work/evaluate.log"
  e=$(now)
  printf '%s\t%s\n' "$(elapsed "$s" "$e")" "$(grep -a -oE "peak memory: [0-9,]+" "$work/evaluate.log" | grep -oE "[0-9,]+" | tr -d ,)"
}
run_peer() {
  local kind=$1 dir=$2 method=$3 n=$4 s e rss
  s=$(now)
  rss=$("${pin[@]}" /usr/bin/python3 bench/wall.py peer "$kind" "$dir" "$method" "$n" "$work/peer.npy")
  e=$(now)
  /usr/bin/python3 bench/wall.py check "$kind" "$work/$kind.json" "$work/peer.npy"
  printf '%s\t%s\n' "$(elapsed "$s" "$e")" "$rss"
}

for kind in cityscapes ade20k npy; do
  pairs=${!kind}
  [ "$pairs" -gt 0 ] || continue
  dir="$data/$kind-$pairs"
  if [ ! -d "$dir/pred" ]; then
    echo "generating $pairs $kind pairs in $dir ..." >&2
    /usr/bin/python3 bench/wall.py generate "$kind" "$dir.tmp" "$pairs" && mv "$dir.tmp" "$dir"
  fi
  method=pillow; [ "$kind" = npy ] && method=numpy
  runners=("evaluator" "$method 1 process" "$method Pool($procs)")
  [ "$kind" = npy ] && runners+=("scikit-learn 1 process")
  for ((r = 1; r <= repeats; r++)); do
    for runner in "${runners[@]}"; do
      case "$runner" in
        evaluator) row=$(run_evaluator "$kind" "$dir") ;;
        "scikit-learn"*) row=$(run_peer "$kind" "$dir" sklearn 1) ;;
        *Pool*) row=$(run_peer "$kind" "$dir" "$method" "$procs") ;;
        *) row=$(run_peer "$kind" "$dir" "$method" 1) ;;
      esac
      pixels=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pixels']['total'])" "$work/$kind.json")
      printf '%s\t%s\t%s\t%s\n' "$kind" "$pixels" "$runner" "$row" >> "$results"
      echo "$kind $runner: $row" >&2
    done
  done
done
echo "$(nproc) cores${cores:+, pinned to $cores}; Evaluator: $E; every peer's matrix equals Evaluator's"
/usr/bin/python3 bench/wall.py table "$results"
