#!/usr/bin/env python3
"""Generate PNG test images for label-map decoders, with the exact expected values.

Usage: python3 make_pngs.py OUTDIR          (needs numpy; PIL optional but used when present)

For every NAME.png written there is a NAME.expected file:
    int32 LE width, int32 LE height, int32 LE bitDepth, then width*height uint16 LE values
    (the raw sample: gray level unscaled, or palette INDEX), row-major.
Corrupt files are named bad_*.png and have no .expected file.

Two writers are used:
  * PIL (the realistic case: what Cityscapes / VOC tooling produces), and
  * a small pure-python encoder (write_png) that cycles through all five filter types row by
    row and can write Adam7 interlacing and any bit depth, which PIL cannot.
Every file (both writers) is re-read by PIL where PIL gives raw values, as a cross-check.
"""
import os
import struct
import sys
import zlib

import numpy as np

try:
    from PIL import Image
except ImportError:  # PIL is optional; PIL-written cases are then skipped
    Image = None

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def _chunk(tag, data):
    c = tag + data
    return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)


def _pack_row(row, depth):
    if depth == 16:
        return row.astype(">u2").tobytes()
    if depth == 8:
        return row.astype(np.uint8).tobytes()
    per = 8 // depth
    n = len(row)
    padded = np.zeros(((n + per - 1) // per) * per, dtype=np.uint8)
    padded[:n] = row
    padded = padded.reshape(-1, per)
    out = np.zeros(padded.shape[0], dtype=np.uint8)
    for i in range(per):
        out |= (padded[:, i] << (8 - depth * (i + 1))).astype(np.uint8)
    return out.tobytes()


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter(ftype, cur, prev, bpp):
    out = bytearray(len(cur))
    for i in range(len(cur)):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ftype == 0:
            p = 0
        elif ftype == 1:
            p = a
        elif ftype == 2:
            p = b
        elif ftype == 3:
            p = (a + b) // 2
        else:
            p = _paeth(a, b, c)
        out[i] = (cur[i] - p) & 0xFF
    return bytes(out)


def _scanlines(img, depth, filter_start):
    """Filtered scanlines of one (sub)image, cycling filter types 0..4."""
    bpp = 2 if depth == 16 else 1
    raw = bytearray()
    prev = None
    for y in range(img.shape[0]):
        cur = _pack_row(img[y], depth)
        if prev is None:
            prev = bytes(len(cur))
        f = (y + filter_start) % 5
        raw.append(f)
        raw += _filter(f, cur, prev, bpp)
        prev = cur
    return bytes(raw)


def write_png(path, arr, depth, color_type, palette=None, interlace=False, idat_split=0, extra_chunks=()):
    """Pure-python PNG encoder for gray (type 0) or palette (type 3) images."""
    h, w = arr.shape
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    if interlace:
        raw = bytearray()
        for p, (x0, y0, dx, dy) in enumerate(ADAM7):
            sub = arr[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += _scanlines(sub, depth, p)
        raw = bytes(raw)
    else:
        raw = _scanlines(arr, depth, 0)
    comp = zlib.compress(raw, 9)
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
    for tag, data in extra_chunks:
        out += _chunk(tag, data)
    if palette is not None:
        out += _chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if idat_split:
        for i in range(0, len(comp), idat_split):
            out += _chunk(b"IDAT", comp[i:i + idat_split])
    else:
        out += _chunk(b"IDAT", comp)
    out += _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(out)


def write_expected(path, arr, depth):
    h, w = arr.shape
    with open(path, "wb") as f:
        f.write(struct.pack("<iii", w, h, depth))
        f.write(arr.astype("<u2").tobytes())


def pil_values(path):
    """Raw values as PIL reads them, or None where PIL's mode would not give raw values."""
    im = Image.open(path)
    im.load()
    if im.mode in ("P", "L", "I;16", "I;16B", "I"):
        return np.asarray(im).astype(np.int64)
    if im.mode == "1":
        return (np.asarray(im) != 0).astype(np.int64)
    return None


def blobby(h, w, n_seeds, n_classes, seed):
    """Piecewise-constant Voronoi label map, like a Cityscapes label image."""
    rng = np.random.default_rng(seed)
    sy = rng.uniform(0, h, n_seeds)
    sx = rng.uniform(0, w, n_seeds)
    cls = rng.integers(0, n_classes, n_seeds)
    out = np.empty((h, w), dtype=np.int64)
    xs = np.arange(w)
    for y in range(h):
        d = (sy[:, None] - y) ** 2 + (sx[:, None] - xs[None, :]) ** 2
        out[y] = cls[np.argmin(d, axis=0)]
    return out


def voc_palette():
    pal = np.zeros((256, 3), dtype=np.uint8)
    for i in range(256):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = (r, g, b)
    return pal


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(1234)
    cases = {}  # name -> (array, depth, check_with_pil)

    def custom(name, arr, depth, ctype, **kw):
        write_png(os.path.join(outdir, name + ".png"), arr, depth, ctype, **kw)
        cases[name] = (arr, depth, True)

    # ---- pure-python encoder: all filter types, odd sizes ----
    h, w = 23, 37
    custom("c_gray8", rng.integers(0, 256, (h, w)), 8, 0)
    custom("c_gray16", rng.integers(0, 65536, (h, w)), 16, 0)
    for d in (1, 2, 4):
        custom(f"c_gray{d}", rng.integers(0, 1 << d, (h, w)), d, 0)
    # 4-colour palette whose order does NOT match any colour order, with a duplicated colour:
    # only a decoder that returns indices can tell index 1 from index 3.
    pal4 = [(255, 255, 255), (0, 0, 0), (200, 10, 10), (0, 0, 0)]
    custom("c_pal8_4col", rng.integers(0, 4, (h, w)), 8, 3, palette=pal4)
    for d in (1, 2, 4):
        n = 1 << d
        pal = [((i * 37) % 256, (i * 91) % 256, (i * 53) % 256) for i in range(n)]
        custom(f"c_pal{d}", rng.integers(0, n, (h, w)), d, 3, palette=pal)
    # Adam7
    custom("c_gray8_adam7", rng.integers(0, 256, (h, w)), 8, 0, interlace=True)
    custom("c_gray16_adam7", rng.integers(0, 65536, (h, w)), 16, 0, interlace=True)
    custom("c_pal8_adam7", rng.integers(0, 4, (h, w)), 8, 3, palette=pal4, interlace=True)
    custom("c_pal2_adam7", rng.integers(0, 4, (h, w)), 2, 3, palette=pal4, interlace=True)
    custom("c_gray1_adam7", rng.integers(0, 2, (h, w)), 1, 0, interlace=True)
    custom("c_gray8_adam7_tiny", rng.integers(0, 256, (3, 2)), 8, 0, interlace=True)  # empty passes
    custom("c_gray8_1x1", np.array([[77]]), 8, 0)
    custom("c_gray8_multi_idat", rng.integers(0, 256, (h, w)), 8, 0, idat_split=50,
           extra_chunks=[(b"tEXt", b"Comment\x00made by make_pngs.py")])

    # ---- PIL writer: the realistic files ----
    if Image is not None:
        def pil(name, arr, depth, mode, palette=None, **save):
            if mode == "I;16":
                im = Image.frombytes("I;16", (arr.shape[1], arr.shape[0]), arr.astype("<u2").tobytes())
            else:
                im = Image.fromarray(arr.astype(np.uint8), mode)
            if palette is not None:
                im.putpalette(bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
            im.save(os.path.join(outdir, name + ".png"), **save)
            cases[name] = (arr, depth, True)

        lab = blobby(256, 512, 60, 34, 7)
        pil("p_gray8", lab, 8, "L")
        pil("p_gray16", lab * 1000 + 300, 16, "I;16")  # values up to 33300 > 255
        pil("p_pal_4col", lab % 4, 8, "P", palette=pal4)
        voc = lab % 21
        voc[::17, :] = 255  # VOC 'void' border label
        pil("p_pal8_voc", voc, 8, "P", palette=voc_palette())
        for d in (1, 2, 4):
            pil(f"p_pal{d}", lab % (1 << d), d, "P",
                palette=[((i * 37) % 256, (i * 91) % 256, (i * 53) % 256) for i in range(1 << d)], bits=d)
        # benchmark images: 2048x1024 blobby, Cityscapes-like
        big = blobby(1024, 2048, 400, 34, 11)
        pil("big_gray8", big, 8, "L")
        pil("big_pal8", big, 8, "P", palette=voc_palette())
        pil("big_gray16", big * 1000, 16, "I;16")

    for name, (arr, depth, check) in cases.items():
        with open(os.path.join(outdir, name + ".png"), "rb") as f:
            depth = f.read(25)[24]  # the depth actually written (PIL picks 2 bits for a 4-colour palette)
        write_expected(os.path.join(outdir, name + ".expected"), arr, depth)
        if Image is not None and check:
            got = pil_values(os.path.join(outdir, name + ".png"))
            if got is None or got.shape != arr.shape or not np.array_equal(got, arr):
                # PIL scales 2/4-bit grayscale to 0..255; note it, don't fail
                print(f"note: PIL does not return raw values for {name} (mode {Image.open(os.path.join(outdir, name + '.png')).mode})")

    # ---- corrupt files, all derived from p_gray8 (or c_gray8 when PIL is missing) ----
    src = "p_gray8" if Image is not None else "c_gray8"
    good = open(os.path.join(outdir, src + ".png"), "rb").read()

    def bad(name, data):
        with open(os.path.join(outdir, "bad_" + name + ".png"), "wb") as f:
            f.write(data)

    idat = good.index(b"IDAT") - 4
    idat_len = struct.unpack(">I", good[idat:idat + 4])[0]
    bad("empty", b"")
    bad("signature", b"\x89PNX" + good[4:])
    bad("trunc_header", good[:20])
    bad("trunc_half", good[:len(good) // 2])
    bad("trunc_no_iend", good[:-12])
    bad("trunc_idat_8", good[:idat + 8 + idat_len - 8])  # IDAT chunk cut short
    b = bytearray(good)
    b[idat + 8 + idat_len // 2] ^= 0xFF
    bad("idat_crc", bytes(b))  # flipped data byte -> CRC mismatch
    # flipped data byte with the CRC recomputed -> zlib / filter level corruption
    body = bytearray(good[idat + 8: idat + 8 + idat_len])
    body[len(body) // 2] ^= 0xFF
    bad("zlib_data", good[:idat] + _chunk(b"IDAT", bytes(body)) + good[idat + 12 + idat_len:])
    # valid zlib stream but too little image data (half the rows)
    raw = zlib.decompress(good[idat + 8: idat + 8 + idat_len])
    bad("short_data", good[:idat] + _chunk(b"IDAT", zlib.compress(raw[:len(raw) // 2])) + good[idat + 12 + idat_len:])
    # filter byte 7 on the first row
    raw2 = b"\x07" + raw[1:]
    bad("filter_type", good[:idat] + _chunk(b"IDAT", zlib.compress(raw2)) + good[idat + 12 + idat_len:])
    bad("ihdr_crc", good[:29] + b"\x00\x00\x00\x00" + good[33:])
    # palette image without PLTE
    p = bytearray(good)
    ihdr = bytearray(p[16:29])
    ihdr[9] = 3
    bad("pal_no_plte", bytes(p[:8]) + _chunk(b"IHDR", bytes(ihdr)) + bytes(p[33:]))
    # zlib stream with a wrong Adler-32 (CRC recomputed): only a decoder reading to the stream end notices
    comp = bytearray(good[idat + 8: idat + 8 + idat_len])
    comp[-1] ^= 0xFF
    bad("zlib_adler", good[:idat] + _chunk(b"IDAT", bytes(comp)) + good[idat + 12 + idat_len:])
    head = good[:8]
    rest = good[33:]  # everything after IHDR
    ihdr = bytearray(good[16:29])

    def with_ihdr(**kv):
        h2 = bytearray(ihdr)
        if "w" in kv:
            h2[0:4] = struct.pack(">I", kv["w"])
        if "h" in kv:
            h2[4:8] = struct.pack(">I", kv["h"])
        if "depth" in kv:
            h2[8] = kv["depth"]
        if "ctype" in kv:
            h2[9] = kv["ctype"]
        return head + _chunk(b"IHDR", bytes(h2)) + rest

    bad("huge_dims", with_ihdr(w=100000, h=100000))
    bad("rgb", with_ihdr(ctype=2))
    bad("depth3", with_ihdr(depth=3))
    # two IDATs separated by a tEXt chunk
    split = good[:idat] + _chunk(b"IDAT", good[idat + 8: idat + 8 + idat_len // 2]) + _chunk(b"tEXt", b"a\x00b") + \
        _chunk(b"IDAT", good[idat + 8 + idat_len // 2: idat + 8 + idat_len]) + good[idat + 12 + idat_len:]
    bad("idat_split_by_text", split)
    bad("unknown_critical", good[:idat] + _chunk(b"ABCD", b"xyz") + good[idat:])
    bad("no_idat", good[:idat] + good[idat + 12 + idat_len:])
    # valid: garbage after IEND is ignored by every decoder we know; expected values = p_gray8/c_gray8
    with open(os.path.join(outdir, "c_trailing_garbage.png"), "wb") as f:
        f.write(good + b"garbage after IEND")
    write_expected(os.path.join(outdir, "c_trailing_garbage.expected"), cases[src][0], 8)
    print(f"wrote {len(cases)} cases + corrupt files to {outdir}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "pngs")
