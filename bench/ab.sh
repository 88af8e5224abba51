#!/usr/bin/env bash
# Two builds of `evaluate` on the same pairs, alternating, so that a loaded machine's drift hits
# both alike: wall and CPU seconds (user + sys, /usr/bin/time) of each run, then the medians, and
# a check that both builds' matrices are equal. For before/after figures of a change.
#
#   bench/ab.sh BEFORE AFTER GT_DIR PRED_DIR [--repeats R] -- EVALUATE_OPTIONS...
#   e.g. bench/ab.sh /tmp/base/evaluator publish/evaluator data/cityscapes-500/gt data/cityscapes-500/pred \
#          -- --classes 19 --label-map cityscapes
#
# BEFORE and AFTER: executables or .dll files (as bench/wall.sh's --evaluator). The slope of CPU
# seconds over two dataset sizes (run it on two sizes) is the per-pair cost, the rest fixed cost.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n 2,11p "$0" >&2; exit 2; }
before=$1; after=$2; gt=$3; pred=$4; shift 4
repeats=3
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --repeats) repeats="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "${1:-}" = "--" ] && shift
. bench/lib.sh
work=$(mktemp -d /tmp/evaluator-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
declare -A cmd=([before]=$(evaluator_command "$before") [after]=$(evaluator_command "$after"))
for ((r = 1; r <= repeats; r++)); do
  for build in before after; do
    rm -rf "$work/journal"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S" -o "$work/time" ${cmd[$build]} evaluate --gt "$gt" --pred "$pred" "$@" \
      --data-dir "$work/journal" --report "$work/$build.json" -q > "$work/log" 2>&1 || { tail -3 "$work/log" >&2; exit 1; }
    read -r wall user sys < "$work/time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    printf '%s\t%s\t%s\n' "$build" "$wall" "$cpu" >> "$work/results.tsv"
    echo "$build: wall $wall s, cpu $cpu s, load $(cut -d' ' -f1 /proc/loadavg)" >&2
  done
  /usr/bin/python3 -c 'import json, sys
a, b = (json.load(open(p))["confusion_matrix"] for p in sys.argv[1:])
sys.exit(0 if a == b else "MISMATCH: the two builds counted different matrices")' "$work/before.json" "$work/after.json"
done
/usr/bin/python3 - "$work/results.tsv" <<'EOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
med = {b: (statistics.median(float(r[1]) for r in rows if r[0] == b), statistics.median(float(r[2]) for r in rows if r[0] == b))
       for b in ("before", "after")}
print(f"| build | wall s (median of {len(rows) // 2}) | CPU s (user+sys, median) |")
print("|---|---|---|")
for b, (w, c) in med.items():
    print(f"| {b} | {w:.2f} | {c:.2f} |")
print(f"after/before: wall {med['after'][0] / med['before'][0]:.2f}, CPU {med['after'][1] / med['before'][1]:.2f}; matrices equal")
EOF
