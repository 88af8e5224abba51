#!/usr/bin/python3
"""PNG decode rate, one thread, Evaluator's decoder next to Pillow's on the same files.

  bench/png_decode.py [--images N] [--classes C] [--repeats R] [--rounds K] [--evaluator "dotnet PATH.dll"]...

Generates N Cityscapes-shaped label maps (2048x1024, C ids in blobby regions: a Voronoi partition
with domain-warped, ragged borders plus small upright objects; ~40 KiB a PNG, as real gtFine
labelIds files are tens of KiB), has Pillow write them as 8-bit grayscale PNG with its default compression, then prints
the median M labels/s of R passes over all of them, from memory: `evaluator bench --png` (the
decoder, and zlib inflating the same image data alone) and Pillow + numpy, each timed by its
thread's CPU time, so that other processes on a shared machine do not count. With --rounds K all of
them are measured K times in turn and the median of the K medians is printed (a busy machine
then slows each of them alike); --evaluator may be given more than once (e.g. a build of an
older commit: the before/after figures of one run on the same files).
"""
import argparse
import glob
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

ap = argparse.ArgumentParser()
ap.add_argument("--images", type=int, default=20)
ap.add_argument("--classes", type=int, default=34)
ap.add_argument("--repeats", type=int, default=7)
ap.add_argument("--rounds", type=int, default=1)
ap.add_argument("--evaluator", action="append")
args = ap.parse_args()

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if args.evaluator is None:
    subprocess.run(["dotnet", "build", os.path.join(root, "Evaluator.Node"), "-c", "Release", "-v", "q", "-nologo"],
                   check=True, stdout=subprocess.DEVNULL)
    evaluators = ["dotnet " + os.path.join(root, "Evaluator.Node/bin/Release/net10.0/evaluator.dll")]
else:
    evaluators = args.evaluator


def smooth(rng, h, w, cell):
    """Smooth noise: a random grid every `cell` pixels, bilinearly interpolated."""
    gh, gw = h // cell + 2, w // cell + 2
    g = rng.standard_normal((gh, gw)).astype(np.float32)
    ys = np.arange(h, dtype=np.float32) / cell; xs = np.arange(w, dtype=np.float32) / cell
    y0 = ys.astype(int); x0 = xs.astype(int); fy = (ys - y0)[:, None]; fx = (xs - x0)[None, :]
    a = g[y0][:, x0]; b = g[y0][:, x0 + 1]; c = g[y0 + 1][:, x0]; d = g[y0 + 1][:, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
def cityscapes_like(rng, h=1024, w=2048, ids=34, seeds=80):
    """Voronoi cells of `ids` labels with warped borders, plus small rectangles (poles, signs, people)."""
    warp = 40.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy += warp * (smooth(rng, h, w, 128) + 0.3 * smooth(rng, h, w, 16))
    xx += warp * (smooth(rng, h, w, 128) + 0.3 * smooth(rng, h, w, 16))
    sy = rng.uniform(0, h, seeds).astype(np.float32); sx = rng.uniform(0, w, seeds).astype(np.float32)
    lab = rng.integers(0, ids, seeds).astype(np.uint8)
    best = np.full((h, w), np.inf, np.float32); out = np.zeros((h, w), np.uint8)
    for k in range(seeds):
        dk = (yy - sy[k]) ** 2 + (xx - sx[k]) ** 2
        m = dk < best; best[m] = dk[m]; out[m] = lab[k]
    # small objects: poles, signs, people
    for _ in range(40):
        y, x = rng.integers(0, h), rng.integers(0, w)
        hh, ww = rng.integers(8, 120), rng.integers(3, 40)
        out[y:y + hh, x:x + ww] = rng.integers(0, ids)
    return out

work = tempfile.mkdtemp(prefix="evaluator-png-decode.")
try:
    png_dir = os.path.join(work, "png")
    os.makedirs(png_dir)
    rng = np.random.default_rng(1)
    for i in range(args.images):
        labels = cityscapes_like(rng, ids=args.classes)
        Image.fromarray(labels).save(os.path.join(png_dir, f"{i:04d}.png"))  # Pillow's default compression
    size = sum(os.path.getsize(p) for p in glob.glob(os.path.join(png_dir, "*.png")))
    print(f"{args.images} PNGs of 2048x1024 8-bit gray, {args.classes} ids in blobby regions, written by Pillow "
          f"{Image.__version__} ({size / args.images / 1024:.0f} KiB each); {args.repeats} passes, median, one thread")
    blobs = [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(png_dir, "*.png")))]

    def pillow():
        times = []
        for r in range(args.repeats + 1):
            start = time.thread_time()
            labels = 0
            for b in blobs:
                labels += np.asarray(Image.open(io.BytesIO(b))).size
            if r > 0:
                times.append(time.thread_time() - start)
        return labels / statistics.median(times) / 1e6

    def evaluator(command):
        out = subprocess.run(command.split() + ["bench", "--png", png_dir, "--repeats", str(args.repeats)],
                             check=True, capture_output=True, text=True).stdout
        rates = {}
        for line in out.splitlines():
            if line.startswith(("png decode:", "zlib inflate alone:")):
                name, rate = line.split(":", 1)
                rates[name] = float(rate.split()[0])
        return rates

    results = {}
    for _ in range(args.rounds):
        for command in evaluators:
            for name, rate in evaluator(command).items():
                results.setdefault((command, name), []).append(rate)
        results.setdefault(("Pillow + numpy", "decode"), []).append(pillow())
    for (who, name), rates in results.items():
        label = f"{name} ({who})" if len(evaluators) > 1 or who.startswith("Pillow") else f"Evaluator {name}"
        print(f"{statistics.median(rates):8.1f} M labels/s  {label}")
finally:
    shutil.rmtree(work)
