#!/usr/bin/python3
"""Writes samples/cityscapes: a small dataset in Cityscapes layout, PNGs encoded by Pillow.

Ground truth: *_gtFine_labelTrainIds.png (8-bit gray, trainIds 0..18, 255 = ignore).
Predictions:  *_leftImg8bit.png (8-bit palette PNG: the palette index is the label).
Deterministic (seeded). Requires Debian's python3-pil and python3-numpy.
"""
import os
import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cityscapes")
CITIES = {"frankfurt": 3, "lindau": 2, "munster": 3}
H, W = 256, 512


def scene(rng):
    """A street-like label map: sky on top, buildings/vegetation, road and sidewalk below, objects."""
    gt = np.zeros((H, W), np.uint8)
    horizon = rng.integers(90, 130)
    gt[:horizon] = 10                                   # sky
    x = 0
    while x < W:                                        # buildings / vegetation / walls along the street
        w = int(rng.integers(30, 120))
        top = int(rng.integers(20, horizon))
        gt[top:horizon + 40, x:x + w] = rng.choice([2, 8, 3, 4])
        x += w
    gt[horizon + 40:] = 0                               # road
    gt[horizon + 40:horizon + 60, :] = 1                # sidewalk
    for _ in range(int(rng.integers(2, 6))):            # cars, persons, poles, signs
        cls = int(rng.choice([13, 11, 5, 7, 18, 14]))
        h, w = int(rng.integers(10, 60)), int(rng.integers(6, 90))
        y, x = int(rng.integers(horizon, H - h)), int(rng.integers(0, W - w))
        gt[y:y + h, x:x + w] = cls
    gt[H - 20:, :] = 255                                # ego vehicle: ignored
    return gt


def predict(gt, rng):
    """A plausible prediction: boundaries shifted, a few regions confused, ignore regions guessed."""
    pred = gt.copy()
    pred[gt == 255] = 0
    shift = int(rng.integers(1, 4))
    pred[:, shift:] = pred[:, :-shift]
    for _ in range(int(rng.integers(3, 8))):
        h, w = int(rng.integers(8, 40)), int(rng.integers(8, 60))
        y, x = int(rng.integers(0, H - h)), int(rng.integers(0, W - w))
        pred[y:y + h, x:x + w] = int(rng.integers(0, 19))
    return pred


def palette():
    colours = [(128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153), (153, 153, 153),
               (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60),
               (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32)]
    flat = [c for rgb in colours for c in rgb]
    return flat + [0] * (768 - len(flat))


def main():
    rng = np.random.default_rng(2026)
    for city, n in CITIES.items():
        gt_dir = os.path.join(ROOT, "gtFine", "val", city)
        pred_dir = os.path.join(ROOT, "pred", "val", city)
        os.makedirs(gt_dir, exist_ok=True)
        os.makedirs(pred_dir, exist_ok=True)
        for i in range(n):
            stem = f"{city}_{i:06d}_{19 * i + 7:06d}"
            gt = scene(rng)
            pred = predict(gt, rng)
            Image.fromarray(gt, mode="L").save(os.path.join(gt_dir, stem + "_gtFine_labelTrainIds.png"), optimize=True)
            p = Image.fromarray(pred, mode="P")
            p.putpalette(palette())
            p.save(os.path.join(pred_dir, stem + "_leftImg8bit.png"), optimize=True)


if __name__ == "__main__":
    main()
