"""Writes a synthetic per-image results file (the contract of --per-image) for the bootstrap bench.

    per_image.py OUT.jsonl --images N --classes C [--per-image-classes K] [--seed S]

Each image shows K classes (all C when K >= C); each present class's row has its diagonal cell
and up to 4 confusions with other present classes, as a segmentation model's mistakes do.
"""
import argparse
import json

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--images", type=int, default=5000)
    p.add_argument("--classes", type=int, default=19)
    p.add_argument("--per-image-classes", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    k = min(a.per_image_classes, a.classes)
    with open(a.out, "w") as f:
        for i in range(a.images):
            present = rng.choice(a.classes, size=k, replace=False)
            cells = {}
            for t in present:
                n = int(rng.integers(1_000, 200_000))
                right = int(n * rng.uniform(0.5, 0.98))
                cells[(int(t), int(t))] = right
                others = rng.choice(present, size=min(4, k), replace=False)
                rest = n - right
                for j, q in enumerate(others):
                    share = rest if j == len(others) - 1 else int(rest * rng.uniform(0, 1))
                    rest -= share
                    if share > 0:
                        cells[(int(t), int(q))] = cells.get((int(t), int(q)), 0) + share
            counted = sum(cells.values())
            f.write(json.dumps({
                "image": f"img_{i:06d}.png", "prediction": f"img_{i:06d}_pred.png",
                "pixels": {"total": counted, "counted": counted, "ignored": 0, "out_of_range": 0},
                "confusion": [[t, q, n] for (t, q), n in sorted(cells.items())],
                "mean_iou": None, "pixel_accuracy": None,
            }) + "\n")


if __name__ == "__main__":
    main()
