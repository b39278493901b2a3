"""Sweep of the do-no-harm guard (ram_training.guard) on one evaluation split.

For each (photo, kind) of data/pairs/index.json's SPLIT, the network's output f is computed
once; the guarded output y = x + w (clamp(f) - x) is a scalar blend, so every (t, p) is scored
exactly from three sums per image (|f - gt|^2, |f - x|^2, <f - gt, f - x>). Prints the
predicted change per kind and, per (t, p), each kind's mean PSNR and worst gain (clean: mean /
worst / share below 40 dB).

    PYTHONPATH=training python3 training/experiments/guard_sweep.py --split val \
        --weights Assets/weights/ram-small.safetensors --t 1,1.5,2,2.5,3,4,5 --p 1,2,4,8

Only ever run it on the validation split: the held-out set chooses nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os

import numpy as np
import torch
from PIL import Image

from ram_training import paths
from ram_training.weights import load_ram


def load(data: str, rel: str) -> torch.Tensor:
    a = np.asarray(Image.open(os.path.join(data, rel)).convert("RGB"), dtype=np.float32) / 255
    return torch.from_numpy(a).permute(2, 0, 1)[None]


@torch.no_grad()
def sums(model, data: str, entries: list) -> list[dict]:
    rows = []
    for e in entries:
        x, gt = load(data, e["degraded"]), load(data, e["clean"])
        f = model(x).clamp(0, 1)
        d, r = (f - gt).double(), (f - x).double()
        rows.append({"kind": e["kind"], "ee": float((d * d).sum()), "rr": float((r * r).sum()),
                     "er": float((d * r).sum()), "xx": float(((x - gt).double() ** 2).sum()), "n": d.numel()})
    return rows


def table(rows: list[dict], ts: list[float], ps: list[float]):
    by = collections.defaultdict(list)
    for r in rows:
        by[r["kind"]].append(r)
    print("predicted change RMS (x255) per kind: min / median / max")
    for k, rs in by.items():
        m = np.sqrt([r["rr"] / r["n"] for r in rs]) * 255
        print(f"  {k:14s} {m.min():6.2f} {np.median(m):6.2f} {m.max():6.2f}")
    print("p, t(x255) | " + " | ".join(by))
    for p in ps:
        for t in [0.0] + ts:
            cells = []
            for k, rs in by.items():
                out, gain = [], []
                for r in rs:
                    m = np.sqrt(r["rr"] / r["n"])
                    b = 1 - (m ** p / (m ** p + (t / 255) ** p) if t > 0 else 1.0)
                    mse = max((r["ee"] - 2 * b * r["er"] + b * b * r["rr"]) / r["n"], 1e-12)
                    out.append(10 * np.log10(1 / mse))
                    gain.append(out[-1] - 10 * np.log10(r["n"] / r["xx"]) if r["xx"] > 0 else np.nan)
                o, g = np.array(out), np.array(gain)
                cells.append(f"{o.mean():.2f}/{o.min():.2f}/{(o < 40).mean() * 100:.0f}%" if k == "clean"
                             else f"{o.mean():.2f} w{np.nanmin(g):+.2f}")
            print(f"{p:g}, {t:4.1f} | " + " | ".join(cells) + ("   (no guard)" if t == 0 else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="val", choices=["val"])
    ap.add_argument("--weights", default=os.path.join(paths.WEIGHTS, "ram-small.safetensors"))
    ap.add_argument("--data", default=paths.DATA)
    ap.add_argument("--t", default="1,1.5,2,2.5,3,4,5")
    ap.add_argument("--p", default="1,2,4,8")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _ = load_ram(args.weights)
    model.eval()
    with open(os.path.join(args.data, "pairs", "index.json")) as f:
        index = json.load(f)
    table(sums(model, args.data, index[args.split]), [float(v) for v in args.t.split(",")],
          [float(v) for v in args.p.split(",")])


if __name__ == "__main__":
    main()
