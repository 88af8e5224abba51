#!/usr/bin/env bash
# End to end against the kernel, and peak memory against dataset size, in one script.
#
#   bench/end-to-end.sh [--pairs N] [--classes C] [--maps blobby|uniform] [--cores "1 2"]
#                       [--pixels "1e9 1e10"] [--evaluator PATH/evaluator(.dll)]
#
# 1. Generates N distinct 2048x1024 uint8 .npy pairs, then, for each --pixels target, a dataset
#    of that many pixels made of symbolic links to them (the files are read again on every
#    visit, from the page cache, so a 1e10-pixel run needs ~2 GB of disk, not 40 GB).
# 2. Measures the one-core kernel rate (`evaluator bench`, same map kind, median of 9) and the
#    one-thread file baseline (`evaluator bench --files`: the kernel over the memory-mapped
#    files of the base set, no streams or actors) pinned to one core.
# 3. Runs `evaluate` pinned to 1, 2, ... cores (taskset; partitions = cores) on the largest set,
#    with memory-mapped files and with pooled reads, and prints end-to-end pixels/s against
#    kernel x cores and against file baseline x cores (what the streams and actors cost).
# 4. Runs `evaluate` on every --pixels set on all cores and prints the peak RSS of each
#    (flat in the dataset size).
# Every evaluate run's matrix is checked equal to the first one's (scaled by the repeat count).
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=500; classes=19; maps=blobby; cores=""; sizes="1e9 1e10"; evaluator=""
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --classes) classes="$2"; shift 2 ;;
    --maps) maps="$2"; shift 2 ;;
    --cores) cores="$2"; shift 2 ;;
    --pixels) sizes="$2"; shift 2 ;;
    --evaluator) evaluator="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ncpu=$(nproc)
if [ -z "$cores" ]; then
  cores=""; c=1
  while [ "$c" -lt "$ncpu" ]; do cores="$cores $c"; c=$((c * 2)); done
  cores="$cores $ncpu"
fi
. bench/lib.sh
evaluator=$(evaluator_command "$evaluator")

work=$(mktemp -d /tmp/evaluator-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
px_per_pair=$((2048 * 1024))
$evaluator generate --out "$work/base" --pairs "$pairs" --classes "$classes" --maps "$maps" >/dev/null

# A dataset of about $1 pixels: links to the base pairs, visited round-robin.
make_set() {
  local target=$1 dir=$2
  local n; n=$(awk -v t="$target" -v p="$px_per_pair" 'BEGIN { printf "%d", (t + p - 1) / p }')
  mkdir -p "$dir/gt" "$dir/pred"
  local files=("$work"/base/gt/*.npy)
  for ((i = 0; i < n; i++)); do
    local f; f=$(basename "${files[$((i % pairs))]}")
    ln -s "$work/base/gt/$f" "$dir/gt/$(printf 'p%07d' "$i").npy"
    ln -s "$work/base/pred/$f" "$dir/pred/$(printf 'p%07d' "$i").npy"
  done
  echo "$n"
}

# The sets are links to the base pairs: count each name (builds before the option had no check).
dup=""
$evaluator evaluate --help | grep -q -- --allow-duplicate-files && dup=--allow-duplicate-files

# evaluate on $1 with $2 = taskset cpu list, $3 = memory-map on|off; prints "Mpx/s rss_MiB".
run_evaluate() {
  local dir=$1 cpus=$2 mm=$3 tag=$4
  rm -rf "$work/journal"
  EVALUATOR_MEMORY_MAP_FILES=$mm /usr/bin/time -f "%M" -o "$work/rss" taskset -c "$cpus" \
    $evaluator evaluate --gt "$dir/gt" --pred "$dir/pred" --classes "$classes" --ignore 255 $dup \
    --data-dir "$work/journal" --report "$work/report-$tag.json" > "$work/evaluate.log"
  local rate; rate=$(grep -a -oE "= [0-9.]+ Mpx/s" "$work/evaluate.log" | grep -oE "[0-9.]+")
  echo "$rate $(( $(cat "$work/rss") / 1024 ))"
}

# The matrix of a run divided by how often each base pair was visited must equal the first run's.
check_same() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))["confusion_matrix"]
for path in sys.argv[2:]:
    m = json.load(open(path))["confusion_matrix"]
    if m != ref:
        sys.exit(f"MATRIX DIFFERS: {path}")
print("every run's matrix is equal (exact int64)")
PY
}

largest=$(echo "$sizes" | tr ' ' '\n' | sort -g | tail -n 1)
# Sets whose size is a whole number of base-set passes give the same matrix up to a factor; the
# check compares runs on the same set.
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $ncpu cores, $(free -g | awk '/Mem:/ {print $2}') GiB; .NET $(dotnet --version 2>/dev/null || echo '(self-contained)')"
echo "dataset: $pairs distinct pairs of 2048x1024 uint8 .npy, $classes classes, $maps maps, 5% ignore"
echo
kernel=$($evaluator bench --classes "$classes" --maps "$maps" --repeats 9 | grep -a -E "^│ *$classes " | awk -F'│' '{gsub(/ /, "", $4); print $4}')
echo "one-core kernel rate on cache-resident maps (evaluator bench, median of 9): $kernel Gpx/s"
files=$(taskset -c 0 $evaluator bench --files "$work/base" --classes "$classes" | grep -a "memory-mapped" | awk -F'│' '{gsub(/ /, "", $3); print $3}')
echo "one-thread file baseline: the same kernel over the memory-mapped files, no actors (bench --files): $files Gpx/s"
echo

n=$(make_set "$largest" "$work/set-$largest")
echo "end to end on $n pairs ($(awk -v n="$n" -v p="$px_per_pair" 'BEGIN { printf "%.3g", n * p }') pixels), counting rate printed by evaluate:"
printf "%6s  %11s  %18s  %15s  %13s  %15s  %13s\n" cores "mmap Gpx/s" "pooled read Gpx/s" "kernel x cores" "mmap / k x c" "files x cores" "mmap / f x c"
reports=()
for c in $cores; do
  cpus="0-$((c - 1))"
  read -r mm_rate _ < <(run_evaluate "$work/set-$largest" "$cpus" on "c$c-on")
  read -r rd_rate _ < <(run_evaluate "$work/set-$largest" "$cpus" off "c$c-off")
  reports+=("$work/report-c$c-on.json" "$work/report-c$c-off.json")
  awk -v c="$c" -v m="$mm_rate" -v r="$rd_rate" -v k="$kernel" -v f="$files" 'BEGIN {
    printf "%6d  %11.2f  %18.2f  %15.2f  %12.0f%%  %15.2f  %12.0f%%\n", c, m / 1000, r / 1000, k * c,
      100 * (m / 1000) / (k * c), f * c, 100 * (m / 1000) / (f * c) }'
done
check_same "${reports[@]}"
echo

echo "peak memory on all $ncpu cores (memory-mapped files):"
printf "%14s  %10s  %10s  %10s\n" pixels pairs "Gpx/s" "peak RSS"
for s in $sizes; do
  dir="$work/set-$s"
  [ -d "$dir" ] || n=$(make_set "$s" "$dir")
  n=$(ls "$dir/gt" | wc -l)
  read -r rate rss < <(run_evaluate "$dir" "0-$((ncpu - 1))" on "size-$s")
  printf "%14s  %10d  %10.2f  %7d MiB\n" "$(awk -v n="$n" -v p="$px_per_pair" 'BEGIN { printf "%.4g", n * p }')" "$n" "$(awk -v r="$rate" 'BEGIN { print r / 1000 }')" "$rss"
done
