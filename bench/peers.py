#!/usr/bin/python3
"""Counts the same .npy dataset with the peers available here and compares with Evaluator.

Usage: peers.py DATA_DIR CLASSES EVALUATOR_REPORT.json EVALUATOR_SECONDS [EVALUATOR_WALL_SECONDS]
Peers: numpy bincount with an ignore mask (one core), scikit-learn confusion_matrix.
Every peer's matrix must equal Evaluator's exactly; prints pixels/s and the ratio to Evaluator.
"""
import glob
import json
import os
import sys
import time

import numpy as np

data, classes, report_path, evaluator_seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
evaluator_wall = float(sys.argv[5]) if len(sys.argv) > 5 else None
pairs = sorted(glob.glob(os.path.join(data, "gt", "*.npy")))
report = json.load(open(report_path))
expected = np.array(report["confusion_matrix"], dtype=np.int64)
pixels = report["pixels"]["total"]


def numpy_bincount():
    total = np.zeros((classes, classes), np.int64)
    for gt_path in pairs:
        gt = np.load(gt_path).ravel()
        pred = np.load(gt_path.replace(os.sep + "gt" + os.sep, os.sep + "pred" + os.sep)).ravel()
        keep = gt != 255
        total += np.bincount(gt[keep].astype(np.int64) * classes + pred[keep], minlength=classes * classes).reshape(classes, classes)
    return total


def sklearn_confusion_matrix():
    from sklearn.metrics import confusion_matrix
    total = np.zeros((classes, classes), np.int64)
    for gt_path in pairs:
        gt = np.load(gt_path).ravel()
        pred = np.load(gt_path.replace(os.sep + "gt" + os.sep, os.sep + "pred" + os.sep)).ravel()
        keep = gt != 255
        total += confusion_matrix(gt[keep], pred[keep], labels=list(range(classes))).astype(np.int64)
    return total


rows = [("evaluator (all cores, counting)", evaluator_seconds, True)]
if evaluator_wall is not None:
    rows.append(("evaluator (wall, incl. process start)", evaluator_wall, True))
for name, fn in [("numpy bincount (1 core)", numpy_bincount), ("scikit-learn confusion_matrix", sklearn_confusion_matrix)]:
    try:
        start = time.perf_counter()
        m = fn()
        rows.append((name, time.perf_counter() - start, bool((m == expected).all())))
    except ImportError as e:
        rows.append((name + f" (unavailable: {e.name})", float("nan"), False))

print(f"{len(pairs)} pairs, {pixels:,} pixels, {classes} classes")
print(f"{'counter':40s} {'seconds':>9s} {'Mpx/s':>9s} {'vs evaluator':>13s} {'same matrix':>12s}")
for name, secs, same in rows:
    rate = pixels / secs / 1e6 if secs == secs else float("nan")
    ratio = evaluator_seconds / secs if secs == secs else float("nan")
    print(f"{name:40s} {secs:9.2f} {rate:9.1f} {ratio:12.3f}x {str(same):>12s}")
sys.exit(0 if all(same for _, secs, same in rows if secs == secs) else 1)
