#!/usr/bin/env bash
# The Cityscapes protocol's cost (issue #13 item 4) on a Cityscapes-shaped set: N frames of 2048x1024
# labelIds PNGs with their 16-bit instanceIds PNGs (bench/cityscapes_tree.py). Times `evaluate` over
# the same pairs without the protocol (--classes 34 with the same file pairing) and with
# --protocol cityscapes (which also reads and counts the instanceIds files), alternately, R rounds;
# prints each run's wall and CPU (user+sys) seconds, then the medians and their ratio.
#   bench/cityscapes.sh [--pairs N] [--rounds R]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=20; rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
need_python "numpy, PIL" python3-numpy python3-pil
E=$(evaluator_command)
work=$(mktemp -d /tmp/evaluator-cityscapes.XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 bench/cityscapes_tree.py "$work/tree" "$pairs"
echo "$pairs frames of 2048x1024 labelIds + 16-bit instanceIds PNG (~20 instances each); $(nproc) cores"
pred="$work/tree/pred"
# the same pairs both ways: plain pairs gtFine/val/<city>/X_gtFine_labelIds.png with pred/<city>/X_leftImg8bit.png
plain="--gt $work/tree/gtFine/val --classes 34 --gt-suffix _gtFine_labelIds.png --pred-suffix _leftImg8bit.png"
protocol="--gt $work/tree/gtFine --protocol cityscapes --cityscapes-json $work/cs.json"
: > "$work/times"
for round in $(seq "$rounds"); do
  for name in plain protocol; do
    rm -rf "$work/journal"
    opts=${!name}
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S" -o "$work/t" $E evaluate --pred "$pred" $opts --data-dir "$work/journal" --quiet >/dev/null
    read -r wall user sys < "$work/t"
    echo "$name $wall $(echo "$user + $sys" | bc)" >> "$work/times"
    printf "round %d %-9s wall %6.2f s  cpu %6.2f s\n" "$round" "$name" "$wall" "$(echo "$user + $sys" | bc)"
  done
done
/usr/bin/python3 - "$work/times" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {n: (statistics.median(float(r[1]) for r in rows if r[0] == n), statistics.median(float(r[2]) for r in rows if r[0] == n))
       for n in ("plain", "protocol")}
for n, (w, c) in med.items():
    print("median %-9s wall %6.2f s  cpu %6.2f s" % (n, w, c))
print("protocol / plain: wall x%.2f, cpu x%.2f" % (med["protocol"][0] / med["plain"][0], med["protocol"][1] / med["plain"][1]))
PY
