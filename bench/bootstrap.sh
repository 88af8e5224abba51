#!/usr/bin/env bash
# Bootstrap speed: B resamples of N images, for 19 and 150 classes (12 classes per image, as in
# Cityscapes; and every class in every image, the dense worst case for 150). Prints the
# `bootstrap` command's own timing line (reading the file; resampling on all cores), then the
# wall time of `compare` (paired bootstrap) of that file against one drawn with another seed.
#   bench/bootstrap.sh [--images N] [--resamples B]
set -euo pipefail
cd "$(dirname "$0")/.."
images=5000; resamples=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images="$2"; shift 2 ;;
    --resamples) resamples="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/lib.sh
need_python "numpy" python3-numpy
E=$(evaluator_command)
work=$(mktemp -d /tmp/evaluator-bootstrap.XXXXXX)
trap 'rm -rf "$work"' EXIT
for spec in "19 12" "150 12" "150 150"; do
  set -- $spec
  /usr/bin/python3 bench/per_image.py "$work/p.jsonl" --images "$images" --classes "$1" --per-image-classes "$2"
  echo "== $images images, $1 classes, $2 per image ($(du -h "$work/p.jsonl" | cut -f1))"
  $E bootstrap --per-image "$work/p.jsonl" --classes "$1" --bootstrap "$resamples" --seed 1 --json 2>&1 >/dev/null | grep '^bootstrap:'
  /usr/bin/python3 bench/per_image.py "$work/q.jsonl" --images "$images" --classes "$1" --per-image-classes "$2" --seed 7
  start=$(date +%s.%N)
  # q.jsonl is drawn with its own ground truth, so compare warns that the images' ground-truth
  # counts differ (right for real runs, irrelevant to the timing): its stderr is dropped here.
  $E compare --a "$work/p.jsonl" --b "$work/q.jsonl" --classes "$1" --bootstrap "$resamples" --seed 1 --report "$work/c.json" >/dev/null 2>&1
  printf 'compare (whole command, %s resamples): wall %.2f s\n' "$resamples" "$(echo "$(date +%s.%N) - $start" | bc)"
done
