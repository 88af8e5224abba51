"""Boundary IoU recount with scipy (Cheng et al., CVPR 2021), for BoundaryScipyTests.

Writes seeded blobby uint8 label pairs as OUT/pair{i}_gt.npy / _pred.npy and prints, as JSON,
per pair the dilation d and per class the boundary intersection and union, restricted to pixels
whose ground truth is counted (not 255). Usage: python3 boundary_scipy.py OUT NUM_CLASSES RATIO
"""
import json
import sys

import numpy as np
from scipy import ndimage

IGNORE = 255


def blobs(rng, h, w, classes):
    img = np.full((h, w), rng.integers(classes), dtype=np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(7):
        v = IGNORE if rng.integers(5) == 0 else rng.integers(classes)
        cy, cx = rng.integers(-3, h + 3), rng.integers(-3, w + 3)
        r = rng.integers(2, max(3, min(h, w) // 2))
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = v
    return img


def boundary(mask, d):
    eroded = ndimage.binary_erosion(mask, structure=np.ones((3, 3)), iterations=d, border_value=0)
    return mask & ~eroded


def main():
    out, classes, ratio = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    rng = np.random.default_rng(20261201)
    pairs = []
    for i, (h, w) in enumerate([(31, 47), (64, 65), (101, 77), (9, 120), (128, 96)]):
        gt = blobs(rng, h, w, classes)
        pred = blobs(rng, h, w, classes)
        pred[pred == IGNORE] = 0
        np.save(f"{out}/pair{i}_gt.npy", gt)
        np.save(f"{out}/pair{i}_pred.npy", pred)
        d = max(1, int(round(ratio * np.sqrt(h * h + w * w))))
        counted = gt != IGNORE
        inter, union = [], []
        for c in range(classes):
            gb = boundary(gt == c, d) & counted
            pb = boundary(pred == c, d) & counted
            inter.append(int((gb & pb).sum()))
            union.append(int((gb | pb).sum()))
        pairs.append({"d": d, "intersection": inter, "union": union})
    json.dump(pairs, sys.stdout)


if __name__ == "__main__":
    main()
