"""Cached dead-leaves images: a second source of clean training images with natural statistics.

    python3 -m ram_training.data.dead_leaves [--data data] [--count 200] [--size 256] [--jobs 1]

Classic dead leaves (Achddou, Gousseau & Ladjal, SSVM 2021; parameters of their
DeadLeavesPlus code): opaque discs dropped front to
back on a canvas twice the output size, radius density proportional to r^-alpha with
alpha = 3 between rmin = 1 and rmax = canvas/2, colours sampled from pixels of the training
photos (data/split.json, train side only, so validation colours never leak in), then a 2x
LANCZOS downscale. Front to back means each new disc only paints pixels not yet covered;
once fewer than 0.02 % of the pixels are left, they take the colour of the nearest covered
pixel (what the next tiny discs would do, without the long coupon-collector tail).

Image i uses seed (--seed + i) and is written to data/deadleaves/dl_NNNNN.png; existing
files are kept (cache), so a second run only fills in what is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
from PIL import Image
from scipy import ndimage


def colour_table(data: str, n: int = 200_000, seed: int = 12345) -> np.ndarray:
    """n random pixels (uint8 RGB) from the training photos, equally many per photo."""
    split_path = os.path.join(data, "split.json")
    with open(split_path) as f:
        files = json.load(f)["train"]
    if not files:
        raise SystemExit(f"{split_path} lists no training photos; run ram_training.data.collect first")
    rng = np.random.default_rng(seed)
    per = max(1, n // len(files))
    out = []
    for rel in sorted(files):
        a = np.asarray(Image.open(os.path.join(data, rel)).convert("RGB")).reshape(-1, 3)
        out.append(a[rng.integers(0, len(a), per)])
    table = np.concatenate(out)
    rng.shuffle(table)
    return table


def dead_leaves(rng: np.random.Generator, colours: np.ndarray, canvas: int = 512, rmin: float = 1.0,
                rmax: float | None = None, alpha: float = 3.0, leftover: float = 2e-4) -> np.ndarray:
    """One canvas x canvas uint8 RGB dead-leaves image (before downscaling)."""
    rmax = rmax or canvas / 2
    img = np.zeros((canvas, canvas, 3), np.uint8)
    covered = np.zeros((canvas, canvas), bool)
    left = canvas * canvas
    stop = leftover * canvas * canvas
    lo, hi = rmax ** (1 - alpha), rmin ** (1 - alpha)
    batch = 4096
    while left > stop:
        r = rng.uniform(lo, hi, batch) ** (1 / (1 - alpha))
        cx = rng.uniform(0, canvas, batch)
        cy = rng.uniform(0, canvas, batch)
        ci = rng.integers(0, len(colours), batch)
        for k in range(batch):
            rk, x, y = r[k], cx[k], cy[k]
            x0, x1 = max(0, int(x - rk)), min(canvas, int(x + rk) + 2)
            y0, y1 = max(0, int(y - rk)), min(canvas, int(y + rk) + 2)
            if x0 >= x1 or y0 >= y1:
                continue
            sub = covered[y0:y1, x0:x1]
            if sub.all():
                continue
            yy = (np.arange(y0, y1) + 0.5 - y)[:, None]
            xx = (np.arange(x0, x1) + 0.5 - x)[None, :]
            new = (yy * yy + xx * xx <= rk * rk) & ~sub
            n = int(new.sum())
            if n:
                img[y0:y1, x0:x1][new] = colours[ci[k]]
                sub |= new
                left -= n
                if left <= stop:
                    break
    if left:
        _, (iy, ix) = ndimage.distance_transform_edt(~covered, return_indices=True)
        img = img[iy, ix]
    return img


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="data")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--size", type=int, default=256, help="output size (the canvas is twice this)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = ap.parse_args(argv)

    out_dir = os.path.join(args.data, "deadleaves")
    os.makedirs(out_dir, exist_ok=True)
    todo = [i for i in range(args.count) if not os.path.exists(os.path.join(out_dir, f"dl_{i:05d}.png"))]
    print(f"dead leaves: {args.count - len(todo)} cached, {len(todo)} to make", flush=True)
    if not todo:
        return 0
    colours = colour_table(args.data)
    work = [(i, args.seed + i, args.size, out_dir) for i in todo]
    t0 = time.time()
    if args.jobs > 1:
        from multiprocessing import Pool
        with Pool(args.jobs, initializer=_init, initargs=(colours,)) as pool:
            for n, _ in enumerate(pool.imap_unordered(_make, work), 1):
                _progress(n, len(work), t0)
    else:
        _init(colours)
        for n, w in enumerate(work, 1):
            _make(w)
            _progress(n, len(work), t0)
    return 0


_COLOURS = None


def _init(colours):
    global _COLOURS
    _COLOURS = colours


def _make(job):
    i, seed, size, out_dir = job
    rng = np.random.default_rng(seed)
    big = dead_leaves(rng, _COLOURS, canvas=2 * size)
    small = Image.fromarray(big).resize((size, size), Image.LANCZOS)
    path = os.path.join(out_dir, f"dl_{i:05d}.png")
    tmp = path + ".tmp.png"
    small.save(tmp)
    os.replace(tmp, path)
    return i


def _progress(n, total, t0):
    if n % 10 == 0 or n == total:
        dt = time.time() - t0
        print(f"  {n}/{total}  {dt / n:.2f} s/image", flush=True)


if __name__ == "__main__":
    sys.exit(main())
