"""Counts /metrics series after N ingest runs of 19 classes on a running `serve` node.

    python3 bench/metrics_series.py URL N PREFIX     e.g. http://127.0.0.1:8080 15 fig

Each run: POST /runs, one 64x64 uint8 batch of random labels, complete. Then one scrape:
prints all samples, evaluator_* samples, per-run samples and the runs that have series.
"""
import json
import random
import sys
import time
import urllib.request


def call(base, method, path, body=None, ctype="application/json"):
    headers = {"Content-Type": ctype} if body is not None else {}
    with urllib.request.urlopen(urllib.request.Request(base + path, data=body, method=method, headers=headers)) as res:
        return res.read()


def main(base, n, prefix):
    rng = random.Random(1)
    for i in range(n):
        rid = f"{prefix}-{i:02d}"
        call(base, "POST", "/runs", json.dumps({"run_id": rid, "num_classes": 19}).encode())
        gt = bytes(rng.randrange(19) for _ in range(4096))
        pred = bytes(rng.randrange(19) for _ in range(4096))
        call(base, "POST", f"/runs/{rid}/partitions/0/batches/0?shape=64,64&dtype=uint8", gt + pred, "application/octet-stream")
        call(base, "POST", f"/runs/{rid}/complete", b"")
    time.sleep(3)  # the last completions reach the journal and the catalog's 1 s cache expires
    lines = [l for l in call(base, "GET", "/metrics").decode().splitlines() if l and not l.startswith("#")]
    ours = [l for l in lines if l.startswith("evaluator_")]
    per_run = [l for l in ours if 'run="' in l]
    runs = {l.split('run="')[1].split('"')[0] for l in per_run}
    print(f"samples {len(lines)}, evaluator_* {len(ours)}, per-run {len(per_run)}, runs with series {len(runs)}")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3])
