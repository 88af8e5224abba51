#!/usr/bin/env python3
"""Push rate of the client against a live node: int64 labels as they are, narrowed, and
EvaluatorMetric counting on the device (matrices only).

    /usr/bin/python3 clients/python/tests/bench_push.py http://127.0.0.1:8080 [batches] [N H W]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from evaluator_client import Client, EvaluatorMetric  # noqa: E402

C = 19


def main(url, batches=20, shape=(2, 512, 1024)):
    rng = np.random.default_rng(0)
    gt = rng.integers(0, C, size=shape, dtype=np.int64)
    pred = np.where(rng.random(shape) < 0.8, gt, rng.integers(0, C, size=shape, dtype=np.int64))
    px = gt.size * batches
    client = Client(url)
    tag = f"{os.getpid()}-{int(time.time())}"
    for narrow in (False, True):
        run = client.create_run(C, run_id=f"bench-{'narrow' if narrow else 'int64'}-{tag}")
        w = run.partition(0)
        w.push(gt, pred, narrow=narrow)  # warm-up
        t0 = time.perf_counter()
        for _ in range(batches):
            w.push(gt, pred, narrow=narrow)
        dt = time.perf_counter() - t0
        run.complete()
        print(f"push {'narrowed (uint8)' if narrow else 'int64 as is    '}: {px / dt / 1e6:7.1f} Mpx/s "
              f"({batches} batches of {'x'.join(map(str, shape))}, {dt:.2f} s)")
    try:
        import torch
    except ImportError:
        return
    g, p = torch.from_numpy(gt), torch.from_numpy(pred)
    metric = EvaluatorMetric(url, C, run_id=f"bench-device-{tag}")
    metric.update(p, g)
    t0 = time.perf_counter()
    for _ in range(batches):
        metric.update(p, g)
    dt = time.perf_counter() - t0
    metric.compute()
    print(f"EvaluatorMetric count_on=device (CPU tensors): {px / dt / 1e6:7.1f} Mpx/s ({dt:.2f} s)")


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    n = int(args[1]) if len(args) > 1 else 20
    shape = tuple(int(a) for a in args[2:5]) if len(args) >= 5 else (2, 512, 1024)
    main(args[0], n, shape)
