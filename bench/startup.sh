#!/usr/bin/env bash
# Fixed cost of a local run: a 1-pair, 256x256 `evaluate` (process start, journal, one-node
# cluster, shutdown), wall time from start to exit, the builds alternating. Usage:
#   bench/startup.sh BUILD [BUILD ...] [--runs N=7]
# BUILD: a .dll (run with `dotnet`) or an executable (publish.sh's, an installed `evaluator`).
# Prints, for each build, the median wall and CPU (user + system) seconds of every run and the
# median of each phase, from the timestamps of Akka's INFO log (EVALUATOR_LOGLEVEL=INFO; the
# same files, a fresh journal each time).
set -euo pipefail
cd "$(dirname "$0")/.."
builds=(); runs=7
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    *) builds+=("$1"); shift ;;
  esac
done
[ ${#builds[@]} -gt 0 ] || { echo "usage: bench/startup.sh BUILD [BUILD ...] [--runs N]" >&2; exit 2; }
. bench/lib.sh
work=$(mktemp -d /tmp/evaluator-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT
$(evaluator_command "${builds[0]}") generate --out "$work/d" --pairs 1 --width 256 --height 256 >/dev/null
for _ in $(seq 1 "$runs"); do
  for i in "${!builds[@]}"; do
    E=$(evaluator_command "${builds[$i]}")
    rm -rf "$work/data"
    s=$(date +%s.%N)
    # shellcheck disable=SC2086
    EVALUATOR_LOGLEVEL=INFO /usr/bin/time -f "%U %S" -o "$work/cpu" \
      $E evaluate --gt "$work/d/gt" --pred "$work/d/pred" --classes 19 --ignore 255 --data-dir "$work/data" > "$work/log" 2>&1
    e=$(date +%s.%N)
    wall=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
    cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$work/cpu")
    printf '%s\t%s\t%s\n' "$wall" "$cpu" "$(/usr/bin/python3 bench/wall.py phases "$work/log" "$s" "$e")" >> "$work/runs.$i"
  done
done
/usr/bin/python3 - "$work" "${builds[@]}" <<'EOF'
import statistics, subprocess, sys
work, builds = sys.argv[1], sys.argv[2:]
names = subprocess.run(["/usr/bin/python3", "bench/wall.py", "phase-names"], capture_output=True, text=True).stdout.splitlines()
cols = [[[float(x) for x in line.split("\t")] for line in open(f"{work}/runs.{i}")] for i in range(len(builds))]
med = lambda rows, k: statistics.median(r[k] for r in rows)
print("| | " + " | ".join(builds) + " |")
print("|---" * (len(builds) + 1) + "|")
print("| **wall** (median of %d) | " % len(cols[0]) + " | ".join(f"**{med(c, 0):.2f}**" for c in cols) + " |")
print("| CPU, user + system | " + " | ".join(f"{med(c, 1):.2f}" for c in cols) + " |")
for k, name in enumerate(names):
    print(f"| {name} | " + " | ".join(f"{med(c, k + 2):.2f}" for c in cols) + " |")
for b, c in zip(builds, cols):
    print(f"{b}: wall " + " ".join(f"{r[0]:.2f}" for r in c))
EOF
