#!/usr/bin/env bash
# GET /runs/{id}/bootstrap against GET /runs/{id}/worst-images (which reads the same journalled
# per-image rows), requests alternated, N rounds: median wall (curl) and median CPU seconds of the
# serving process (user+sys from /proc) per request.
#   bench/bootstrap-route.sh [--pairs 400] [--rounds 7] [--port 18468]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=400; rounds=7; port=18468
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
E=$(evaluator_command)
work=$(mktemp -d /tmp/evaluator-bootstrap-route.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
$E generate --out "$work/ds" --pairs "$pairs" --width 256 --height 128 --classes 19 --seed 3 >/dev/null
$E evaluate --gt "$work/ds/gt" --pred "$work/ds/pred" --classes 19 --ignore 255 --per-image "$work/images.jsonl" \
  --data-dir "$work/data" --run-id b --report "$work/report.json" >/dev/null 2>&1
$E serve --http "http://127.0.0.1:$port" --data-dir "$work/data" >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
one() {
  local c0 t0 t1 c1
  c0=$(cpu); t0=$(date +%s.%N); curl -sf -o /dev/null "$2"; t1=$(date +%s.%N); c1=$(cpu)
  echo "$1 $(echo "$t1 - $t0" | bc) $(echo "scale=3; ($c1 - $c0) / $ticks" | bc)"
}
base="http://127.0.0.1:$port/runs/b"
curl -sf -o /dev/null "$base/bootstrap?resamples=100" # warm-up
for _ in $(seq "$rounds"); do
  one worst-images "$base/worst-images"
  one bootstrap-1000 "$base/bootstrap?resamples=1000"
  one bootstrap-10000 "$base/bootstrap?resamples=10000"
done >"$work/times.txt"
/usr/bin/python3 - "$work/times.txt" "$pairs" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    k, w, c = line.split()
    rows.setdefault(k, []).append((float(w), float(c)))
base = statistics.median(w for w, _ in rows["worst-images"])
print(f"{sys.argv[2]} images, 19 classes, 256x128:")
for k, v in rows.items():
    w = statistics.median(x for x, _ in v)
    c = statistics.median(y for _, y in v)
    print(f"  {k}: median wall {w:.3f} s, median CPU {c:.2f} s, wall x{w / base:.1f} of worst-images (n={len(v)})")
PY
