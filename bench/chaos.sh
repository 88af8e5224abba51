#!/usr/bin/env bash
# Reliability benchmark (not a test): N trials of a 3-node cluster evaluating one dataset while
# random members are killed with SIGKILL and brought back; each trial's final matrix is compared
# with an uninterrupted run's. Usage:
#   bench/chaos.sh [--trials 5] [--kills 4] [--pairs 120] [--evaluator PATH/evaluator(.dll)]
#
# Per trial: three `serve` nodes on loopback (one shared SQLite journal; downing after 3 s) and
# a `submit` client. While the run is going, every 1-3 s one victim is picked at random among
# the three nodes and the client and killed with SIGKILL; a node is restarted on its port, the
# client is restarted with the same command (which resumes the run); like a supervisor, the
# script also restarts any node that exits by itself (a node downed by the split-brain
# resolver exits 1) and counts those restarts. Whichever node hosts the
# run's coordinator is among the victims whenever it is picked (no node is spared). A trial
# ends when a client exits 0 with its report (limit: 240 s). Prints per trial: kills,
# seconds, exact (the final confusion matrix equals the uninterrupted run's, cell for cell)
# and the slowdown against the uninterrupted run.
set -euo pipefail
cd "$(dirname "$0")/.."

trials=5; kills=4; pairs=120; evaluator=""
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --kills) kills="$2"; shift 2 ;;
    --pairs) pairs="$2"; shift 2 ;;
    --evaluator) evaluator="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

. bench/lib.sh
evaluator=$(evaluator_command "$evaluator")

work=$(mktemp -d /tmp/evaluator-chaos.XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
$evaluator generate --out "$work/data" --pairs "$pairs" --width 1024 --height 512 >/dev/null

# Slow enough that a run lasts ~10 s on 3 nodes, so that kills land mid-run.
export EVALUATOR_THROTTLE_PAIRS_PER_SECOND=4 EVALUATOR_DOWN_AFTER=3s
base=$((20000 + RANDOM % 20000))
declare -a node_pid

start_node() { # $1 = trial dir, $2 = node index
  EVALUATOR_PORT=$((base + $2)) EVALUATOR_SEED_NODES="$seeds" EVALUATOR_DATA_DIR="$1/journal" \
    $evaluator serve >> "$1/node-$2.log" 2>&1 &
  node_pid[$2]=$!
}

start_client() { # $1 = trial dir
  $evaluator submit --seed-nodes "$seeds" --gt "$work/data/gt" --pred "$work/data/pred" --classes 19 \
    --ignore 255 --run-id chaos --report "$1/report.json" >> "$1/client.log" 2>&1 &
  client_pid=$!
}

wait_up() { # $1 = log
  local t=0
  until grep -q "node up" "$1" 2>/dev/null; do sleep 0.2; t=$((t + 1)); [ $t -lt 300 ] || return 1; done
}

same_matrix() { # $1 $2 = reports
  /usr/bin/python3 -c "import json,sys; a,b=(json.load(open(p))['confusion_matrix'] for p in sys.argv[1:]); sys.exit(0 if a==b else 1)" "$1" "$2"
}

# One trial; $1 = dir, $2 = kills. Writes "kills seconds exact" to $1/result.
trial() {
  local dir=$1 want=$2 done_kills=0 client_kills=0 restarts=0
  mkdir -p "$dir"
  seeds="akka.tcp://evaluator@127.0.0.1:$base,akka.tcp://evaluator@127.0.0.1:$((base + 1))"
  for i in 0 1 2; do start_node "$dir" "$i"; done
  for i in 0 1 2; do wait_up "$dir/node-$i.log"; done
  local start; start=$(date +%s.%N)
  start_client "$dir"
  local deadline=$((SECONDS + 240)) finished=0
  while [ $SECONDS -lt $deadline ]; do
    # A supervisor's job (systemd, Kubernetes): a node that exited (e.g. downed by the
    # split-brain resolver, which makes it exit 1) is started again.
    for i in 0 1 2; do
      if ! kill -0 "${node_pid[$i]}" 2>/dev/null; then
        wait "${node_pid[$i]}" 2>/dev/null || true
        start_node "$dir" "$i"
        restarts=$((restarts + 1))
      fi
    done
    if ! kill -0 "$client_pid" 2>/dev/null; then
      if wait "$client_pid" && [ -s "$dir/report.json" ]; then finished=1; break; fi
      start_client "$dir" # it lost the cluster (exit != 0): resume
    fi
    if [ "$done_kills" -lt "$want" ]; then
      sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.1f", 1 + 2 * r / 32767 }')"
      local victim=$((RANDOM % 4))
      if [ $victim -eq 3 ]; then
        kill -9 "$client_pid" 2>/dev/null || true; wait "$client_pid" 2>/dev/null || true
        start_client "$dir"
        client_kills=$((client_kills + 1))
      else
        kill -9 "${node_pid[$victim]}" 2>/dev/null || true; wait "${node_pid[$victim]}" 2>/dev/null || true
        start_node "$dir" "$victim"
      fi
      done_kills=$((done_kills + 1))
    else
      sleep 0.5
    fi
  done
  local end; end=$(date +%s.%N)
  local exact=stalled
  if [ $finished -eq 1 ]; then
    if same_matrix "$dir/report.json" "$work/reference.json"; then exact=yes; else exact=NO; fi
  fi
  kill -TERM "${node_pid[@]}" 2>/dev/null || true
  wait "${node_pid[@]}" 2>/dev/null || true
  base=$((base + 10))
  awk -v k="$done_kills" -v c="$client_kills" -v s="$start" -v e="$end" -v x="$exact" \
    -v r="$restarts" 'BEGIN { printf "%d %.1f %s %d %d\n", k, e - s, x, c, r }' > "$dir/result"
}

echo "dataset: $pairs pairs of 1024x512 uint8 .npy, throttled to 4 pairs/s per partition; 3 nodes + client on $(nproc) cores"
# The reference: the same dataset on the embedded one-node cluster (another code path than the cluster's).
EVALUATOR_THROTTLE_PAIRS_PER_SECOND=0 $evaluator evaluate --gt "$work/data/gt" --pred "$work/data/pred" --classes 19 \
  --ignore 255 --data-dir "$work/reference-journal" --report "$work/reference.json" > /dev/null
trial "$work/calm" 0
read -r _ calm _ < "$work/calm/result"
echo "uninterrupted: ${calm} s"
printf '%-6s %-14s %-10s %-9s %-8s %s\n' trial "kills (client)" "restarted" seconds exact "vs uninterrupted"
exact_count=0; total_kills=0
for t in $(seq 1 "$trials"); do
  trial "$work/trial-$t" "$kills"
  read -r k s x c r < "$work/trial-$t/result"
  total_kills=$((total_kills + k))
  [ "$x" = yes ] && exact_count=$((exact_count + 1))
  awk -v t="$t" -v k="$k ($c)" -v r="$r" -v s="$s" -v x="$x" -v c="$calm" \
    'BEGIN { printf "%-6s %-14s %-10s %-9.1f %-8s %.2fx\n", t, k, r, s, x, s / c }'
done
echo "trials: $trials, kills: $total_kills, exact: $exact_count/$trials"
[ "$exact_count" -eq "$trials" ]
