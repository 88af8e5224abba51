"""Writes the per-image sample files of README's compare and bootstrap examples (deterministic).

    python3 samples/per-image/make_per_image.py

base.jsonl and better.jsonl: the same 40 images of 4 classes (road, car, sky, tree) as two models
see them; the "better" one fixes part of the base model's confusions, mostly on cars.
"""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def write(path, images):
    with open(path, "w") as f:
        for name, cells in images:
            counted = sum(cells.values())
            f.write(json.dumps({
                "image": name, "prediction": name.replace(".png", "_pred.png"),
                "pixels": {"total": counted + 100, "counted": counted, "ignored": 100, "out_of_range": 0},
                "confusion": [[t, p, n] for (t, p), n in sorted(cells.items()) if n > 0],
                "mean_iou": None, "pixel_accuracy": None,
            }) + "\n")


def main():
    rng = random.Random(2026)
    base, better = [], []
    for i in range(40):
        name = f"city/frame_{i:03d}.png"
        a, b = {}, {}
        for t in rng.sample(range(4), 3):
            n = rng.randint(2000, 9000)
            right = int(n * rng.uniform(0.6, 0.95))
            wrong = rng.choice([p for p in range(4) if p != t])
            a[(t, t)] = right
            a[(t, wrong)] = n - right
            fix = int((n - right) * (0.6 if t == 1 else 0.2) * rng.random())
            b[(t, t)] = right + fix
            b[(t, wrong)] = n - right - fix
        base.append((name, a))
        better.append((name, b))
    write(os.path.join(HERE, "base.jsonl"), base)
    write(os.path.join(HERE, "better.jsonl"), better)


if __name__ == "__main__":
    main()
