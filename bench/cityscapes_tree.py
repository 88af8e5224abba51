#!/usr/bin/python3
"""A Cityscapes-shaped tree for bench/cityscapes.sh: N frames of 2048x1024 *_gtFine_labelIds.png (blobby
regions over every labelId), *_gtFine_instanceIds.png (about 20 instances of the instance classes, ids
labelId*1000+k) and predictions pred/<city>/*_leftImg8bit.png (the labels with blob-shaped errors).
  cityscapes_tree.py ROOT N [SEED]
"""
import os
import sys

import numpy as np
from PIL import Image

H, W = 1024, 2048


def blobby(rng, values, cell):
    """Labels constant on cells of cell x cell pixels, smoothed into blobs by a coarse-to-fine upsampling."""
    coarse = rng.choice(values, size=(H // cell + 1, W // cell + 1))
    img = np.repeat(np.repeat(coarse, cell, axis=0), cell, axis=1)[:H, :W]
    # shift alternate rows of cells to break the grid
    shift = rng.integers(0, cell, size=H)
    return np.stack([np.roll(img[y], shift[y] // 4) for y in range(H)])


def main(root, n, seed=1):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    stuff = np.arange(0, 24)
    things = np.arange(24, 34)
    for i in range(n):
        city = ["aachen", "bochum", "zurich"][i % 3]
        base = "{}_{:06d}_{:06d}".format(city, i, 19)
        label = blobby(rng, stuff, 128).astype(np.int64)
        inst = label.copy()
        for k in range(20):
            lid = int(rng.choice(things))
            cy, cx = rng.integers(0, H), rng.integers(0, W)
            ry, rx = rng.integers(10, 120), rng.integers(10, 200)
            mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            label[mask] = lid
            inst[mask] = lid * 1000 + k
        pred = label.copy()
        err = blobby(rng, np.arange(0, 40), 32)
        wrong = err >= 34                      # ~15% of the pixels in blobs: another label
        pred[wrong] = rng.integers(0, 34, size=int(wrong.sum()))
        for sub in ("gtFine/val/" + city, "pred/" + city):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        Image.fromarray(label.astype(np.uint8)).save(os.path.join(root, "gtFine/val", city, base + "_gtFine_labelIds.png"))
        Image.fromarray(inst.astype(np.int32)).save(os.path.join(root, "gtFine/val", city, base + "_gtFine_instanceIds.png"))
        Image.fromarray(pred.astype(np.uint8)).save(os.path.join(root, "pred", city, base + "_leftImg8bit.png"))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
