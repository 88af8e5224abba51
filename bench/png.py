#!/usr/bin/python3
"""PNG helper for bench/png.sh.

  png.py convert NPY_DIR PNG_DIR   writes every .npy label map as an 8-bit grayscale PNG (Pillow)
  png.py decode PNG_DIR            decodes every PNG with Pillow + numpy on one core, prints labels/s
"""
import glob
import os
import sys
import time

import numpy as np
from PIL import Image

if sys.argv[1] == "convert":
    src, dst = sys.argv[2], sys.argv[3]
    for side in ("gt", "pred"):
        os.makedirs(os.path.join(dst, side), exist_ok=True)
        for path in sorted(glob.glob(os.path.join(src, side, "*.npy"))):
            name = os.path.splitext(os.path.basename(path))[0] + ".png"
            Image.fromarray(np.load(path)).save(os.path.join(dst, side, name))
elif sys.argv[1] == "decode":
    files = sorted(glob.glob(os.path.join(sys.argv[2], "*", "*.png")))
    start = time.perf_counter()
    labels = 0
    for path in files:
        labels += np.asarray(Image.open(path)).size
    seconds = time.perf_counter() - start
    print(f"{labels / seconds / 1e6:.1f}")
