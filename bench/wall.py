#!/usr/bin/python3
"""Helper of bench/wall.sh: the datasets and the peers a user would write instead of Evaluator.

  wall.py generate KIND DIR PAIRS        writes DIR/gt and DIR/pred (Pillow PNG or numpy .npy)
  wall.py peer KIND DIR METHOD PROCS OUT counts DIR with a peer, saves its matrix to OUT (.npy)
                                         and prints its peak RSS in MiB (all its processes summed)
  wall.py check KIND REPORT.json OUT.npy  exit 1 unless the peer's matrix equals Evaluator's
  wall.py table RESULTS.tsv              prints the table of bench/wall.sh
  wall.py phases LOG START END           prints where a run's wall time went (bench/startup.sh):
                                         the phases between START, the Akka INFO log's timestamps
                                         and END (seconds since the epoch)

KIND: cityscapes (2048x1024 8-bit PNG, ground truth in the 34 labelIds, predictions in the 19
trainIds, Evaluator with --label-map cityscapes), ade20k (683x512 8-bit PNG, ground truth 0..150
with 0 = other, predictions 0..149, --label-map ade20k), npy (2048x1024 uint8 .npy, 19 classes,
255 ignored). Label maps are blobby: regions with smooth boundaries, as a segmentation has.
METHOD: pillow (PNG: Pillow decode + numpy LUT + bincount), numpy (.npy: np.load + bincount),
sklearn (.npy: scikit-learn confusion_matrix). PROCS > 1 runs the pairs in a multiprocessing.Pool.
"""
import glob
import json
import os
import resource
import statistics
import sys
from multiprocessing import Pool

import numpy as np

# cityscapesScripts labels.py: labelId -> trainId (every other labelId is ignored).
CITYSCAPES_TRAIN_IDS = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10,
                        24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}


def lut(kind):
    """Ground-truth label -> class (255 = ignored), as Evaluator's --label-map does."""
    table = np.full(256, 255, np.uint8)
    if kind == "cityscapes":
        for raw, train in CITYSCAPES_TRAIN_IDS.items():
            table[raw] = train
    elif kind == "ade20k":  # mmsegmentation's reduce_zero_label
        table[1:151] = np.arange(150, dtype=np.uint8)
    else:
        table[:19] = np.arange(19, dtype=np.uint8)
    return table


KINDS = {  # classes, (height, width), file extension, Evaluator's options
    "cityscapes": (19, (1024, 2048), ".png", ["--classes", "19", "--label-map", "cityscapes"]),
    "ade20k": (150, (512, 683), ".png", ["--classes", "150", "--label-map", "ade20k"]),
    "npy": (19, (1024, 2048), ".npy", ["--classes", "19", "--ignore", "255"]),
}


def smooth_field(rng, shape, cells):
    """A smooth random field in [0, 1): bilinear upsampling of a coarse random grid."""
    from PIL import Image
    h, w = shape
    coarse = rng.random((max(2, h // cells), max(2, w // cells)), dtype=np.float32)
    return np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.BILINEAR))


def blobs(rng, shape, labels, cells):
    """Blobby regions over the given labels: two smooth fields quantised and combined."""
    a = (smooth_field(rng, shape, cells) * 7).astype(np.int64)
    b = (smooth_field(rng, shape, cells * 2) * 5).astype(np.int64)
    perm = rng.permutation(labels)
    return perm[(a * 5 + b) % len(perm)]


def make_pair(args):
    kind, out, i = args
    from PIL import Image
    classes, shape, ext, _ = KINDS[kind]
    rng = np.random.default_rng(20574 + i)
    if kind == "cityscapes":
        gt = blobs(rng, shape, np.arange(34), 128).astype(np.uint8)  # all 34 labelIds
        mapped = lut(kind)[gt]
    elif kind == "ade20k":
        gt = blobs(rng, shape, np.arange(151), 48).astype(np.uint8)  # 0 = other
        mapped = lut(kind)[gt]
    else:
        gt = blobs(rng, shape, np.arange(classes), 128).astype(np.uint8)
        gt[smooth_field(rng, shape, 64) > 0.9] = 255  # some ignored regions
        mapped = gt
    # The prediction: the truth (an ignored pixel gets some class), wrong in other blobs.
    pred = np.where(mapped == 255, np.uint8(rng.integers(classes)), mapped).astype(np.uint8)
    wrong = smooth_field(rng, shape, 96) > 0.75
    pred[wrong] = blobs(rng, shape, np.arange(classes), 64).astype(np.uint8)[wrong]
    name = f"{i:06d}{ext}"
    for side, data in (("gt", gt), ("pred", pred)):
        path = os.path.join(out, side, name)
        if ext == ".png":
            Image.fromarray(data, mode="L").save(path)
        else:
            np.save(path, data)


def generate(kind, out, pairs):
    for side in ("gt", "pred"):
        os.makedirs(os.path.join(out, side), exist_ok=True)
    with Pool(os.cpu_count()) as pool:
        pool.map(make_pair, [(kind, out, i) for i in range(pairs)], chunksize=8)


def pairs_of(kind, data):
    ext = KINDS[kind][2]
    return [(g, g.replace(os.sep + "gt" + os.sep, os.sep + "pred" + os.sep))
            for g in sorted(glob.glob(os.path.join(data, "gt", "*" + ext)))]


def count_chunk(args):
    """What a user writes: read both maps, map the ground truth, drop ignored, bincount."""
    kind, method, chunk = args
    classes = KINDS[kind][0]
    table = lut(kind)
    total = np.zeros(classes * classes, np.int64)
    if method == "sklearn":
        from sklearn.metrics import confusion_matrix
    for gt_path, pred_path in chunk:
        if method == "pillow":
            from PIL import Image
            gt = table[np.asarray(Image.open(gt_path))]
            pred = np.asarray(Image.open(pred_path))
        else:
            gt = table[np.load(gt_path)]
            pred = np.load(pred_path)
        keep = gt != 255
        if method == "sklearn":
            total += confusion_matrix(gt[keep], pred[keep], labels=list(range(classes))).astype(np.int64).ravel()
        else:
            total += np.bincount(gt[keep].astype(np.int64) * classes + pred[keep], minlength=classes * classes)
    return total, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peer(kind, data, method, procs, out):
    pairs = pairs_of(kind, data)
    if procs <= 1:
        results = [count_chunk((kind, method, pairs))]
    else:
        # Chunks of pairs, so that a worker returns one matrix per chunk, not one per pair.
        chunks = [pairs[k::procs * 4] for k in range(procs * 4)]
        with Pool(procs) as pool:
            results = pool.map(count_chunk, [(kind, method, c) for c in chunks if c], chunksize=1)
    total = sum(r[0] for r in results)
    classes = KINDS[kind][0]
    np.save(out, total.reshape(classes, classes))
    rss = {}
    for _, pid, kib in results:
        rss[pid] = max(rss.get(pid, 0), kib)
    if procs > 1:
        rss[os.getpid()] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{sum(rss.values()) / 1024:.0f}")


def check(report_path, matrix_path):
    expected = np.array(json.load(open(report_path))["confusion_matrix"], dtype=np.int64)
    got = np.load(matrix_path)
    if expected.shape != got.shape or not (expected == got).all():
        print(f"MISMATCH: {matrix_path} differs from Evaluator's {report_path}", file=sys.stderr)
        sys.exit(1)


def table(path):
    """RESULTS.tsv rows: set, pixels, runner, wall seconds, peak RSS MiB (one row per run)."""
    runs = {}
    order = []
    for line in open(path):
        kind, pixels, runner, wall, rss = line.rstrip("\n").split("\t")
        key = (kind, runner)
        if key not in runs:
            order.append(key)
            runs[key] = (int(pixels), [], [])
        runs[key][1].append(float(wall))
        runs[key][2].append(float(rss))
    print(f"| set | runner | wall s (median of {len(runs[order[0]][1])}) | Mpx/s | Evaluator's speed-up | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for kind, runner in order:
        pixels, walls, rsses = runs[(kind, runner)]
        wall = statistics.median(walls)
        evaluator = statistics.median(runs[(kind, "evaluator")][1])
        print(f"| {kind} | {runner} | {wall:.2f} | {pixels / wall / 1e6:.0f} | {wall / evaluator:.2f}× | {max(rsses):.0f} |")


# The Akka INFO log lines that end each phase of a local `evaluate` (in this order).
PHASES = [
    ("process start, CLI, config, pair discovery, ActorSystem", "] Starting remoting"),
    ("remoting, cluster extension started", "manual cluster join required"),
    ("journal plugins started, cluster self-join (member Up)", "to [Up]"),
    ("sharding regions and coordinators, journal recovery", ": coordinator up on "),
    ("starting and counting the run", ": completed, "),
    ("report printed, node shutdown begins", "CoordinatedShutdown invoked"),
    ("sharding hand-off, leaving the cluster", "Exiting completed"),
    ("ActorSystem and remoting shut down", "Remoting shut down"),
]


def phases(log, start, end):
    """Seconds per phase, from the first log line of each phase's end marker."""
    from datetime import datetime, timezone
    marks = [float(start)]
    lines = open(log, errors="replace").read().splitlines()
    day = datetime.fromtimestamp(float(start), timezone.utc).date()

    def stamp(line):
        """A log line's time: Akka's own format ([INFO][12/01/2026 07:44:57.390Z]...) or the
        node's minimal logger (07:44:57.390 info: ..., UTC), else None."""
        try:
            if line.startswith("["):
                return datetime.strptime(line.split("][")[1], "%m/%d/%Y %H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
            clock = datetime.strptime(line[:12], "%H:%M:%S.%f").time()
            return datetime.combine(day, clock, timezone.utc).timestamp()
        except (ValueError, IndexError):
            return None

    for _, marker in PHASES:
        t = next((t for l in lines if marker in l and (t := stamp(l)) is not None), None)
        if t is None:
            marks.append(marks[-1])
            continue
        marks.append(max(t, marks[-1]))
    marks.append(float(end))
    names = [n for n, _ in PHASES] + ["process exit"]
    print("\t".join(f"{b - a:.3f}" for a, b in zip(marks, marks[1:])))
    return names


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "generate":
        generate(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif command == "peer":
        peer(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    elif command == "check":
        check(sys.argv[3], sys.argv[4])
    elif command == "table":
        table(sys.argv[2])
    elif command == "phases":
        phases(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "phase-names":
        print("\n".join([n for n, _ in PHASES] + ["process exit"]))
    elif command == "options":
        print(" ".join(KINDS[sys.argv[2]][3]))
    else:
        sys.exit(f"unknown command {command}")
