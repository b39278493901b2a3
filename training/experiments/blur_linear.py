"""How far a blind linear filter gets on the blur validation: a reference for the network.

    python3 training/experiments/blur_linear.py [--size 15] [--stride 3] [--every 2] [--save filter.npy [--force]]

Fits one K x K filter f by least squares over the blur training pairs of `make train-data`
(data/pairs/index.json, task blur: camera shake and random line kernels, photos and dead
leaves): min over f of sum (f * degraded - clean)^2 on luminance (Rec. 601 through PIL's "L"),
sampling every --stride-th pixel of every --every-th pair (the normal equations are
accumulated, so memory is K^4 doubles). The filter never sees a validation image nor the
kernel of any image: it is as blind as the network, and linear. It is then applied to each
RGB channel of the blur validation images (scipy's 'reflect' padding, output clipped to [0, 1])
and scored with train's own loader and PSNR: mean RGB PSNR per kind over all photos.

Measured 2026-12-05 (K 15, stride 3, every 2nd of 1 857 pairs; 22 s alone on this 2-core
machine, 110 s beside training):
blur:15,30 input 23.250 -> 23.463 dB, blur (camera shake) 23.212 -> 23.536 dB, above
ram-small's 23.35 / 23.36 (README table): the network deblurs less than the best fixed
sharpening filter does.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image
from scipy.ndimage import correlate

# train's validation loader and PSNR, so the scores are train's
from ram_training import paths
from ram_training.data.sampling import load_val
from ram_training.validation import psnr


def load(path: str, mode: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert(mode), np.float64) / 255


def fit(data: str, pairs: list, size: int, stride: int) -> np.ndarray:
    r = size // 2
    ata = np.zeros((size * size, size * size))
    atb = np.zeros(size * size)
    for e in pairs:
        clean, deg = load(os.path.join(data, e["clean"]), "L"), load(os.path.join(data, e["degraded"]), "L")
        windows = sliding_window_view(deg, (size, size))[::stride, ::stride].reshape(-1, size * size)
        target = clean[r:clean.shape[0] - r, r:clean.shape[1] - r][::stride, ::stride].reshape(-1)
        ata += windows.T @ windows
        atb += windows.T @ target
    return np.linalg.solve(ata + 1e-6 * np.eye(size * size), atb).reshape(size, size)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=paths.DATA)
    ap.add_argument("--size", type=int, default=15, help="filter side K (odd)")
    ap.add_argument("--stride", type=int, default=3, help="use every n-th pixel of a pair in each direction")
    ap.add_argument("--every", type=int, default=2, help="use every n-th training pair")
    ap.add_argument("--save", default="", help="write the filter as .npy (through a temporary file)")
    ap.add_argument("--force", action="store_true", help="let --save replace an existing file")
    args = ap.parse_args(argv)
    if args.size % 2 != 1 or args.size < 1:
        raise SystemExit(f"--size must be odd and positive, got {args.size}")
    if args.save and os.path.exists(args.save) and not args.force:
        raise SystemExit(f"--save {args.save}: the file exists (add --force to replace it)")
    index_path = os.path.join(args.data, "pairs", "index.json")
    if not os.path.exists(index_path):
        raise SystemExit(f"{index_path} is missing (run make train-data)")
    with open(index_path) as f:
        index = json.load(f)
    train_pairs = [e for e in index["train"] if e["task"] == "blur"][::args.every]
    if not train_pairs:
        raise SystemExit("no blur training pairs in the index")
    filt = fit(args.data, train_pairs, args.size, args.stride)
    print(f"fitted a {args.size}x{args.size} filter on {len(train_pairs)} blur training pairs "
          f"(sum {filt.sum():.4f}, centre tap {filt[args.size // 2, args.size // 2]:.3f})")
    if args.save:
        tmp = args.save + ".tmp"
        with open(tmp, "wb") as f:  # a file object: np.save would append .npy to a name
            np.save(f, filt)
        os.replace(tmp, args.save)
    val = load_val(args.data, {"val": [e for e in index["val"] if e["kind"].startswith("blur")]})
    for kind, (deg, clean) in sorted(val.items()):
        d = deg.numpy().astype(np.float64)
        out = np.stack([[correlate(img[c], filt, mode="reflect") for c in range(3)] for img in d]).clip(0, 1)
        p_in = psnr(deg, clean).mean().item()
        p_out = psnr(torch.from_numpy(out).float(), clean).mean().item()
        print(f"{kind:12s} {len(deg)} photos  input {p_in:.3f} dB  linear filter {p_out:.3f} dB ({p_out - p_in:+.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
