"""Whole photos against 256x256 crops: does a model restore a large photo as well as a crop of it?

    python3 -m ram_training.eval_scale [--weights W ...] [--set val] [--min-pixels 400000] [--kinds ...]

For every photo of the split (data/split.json; validation by default, never the held-out set
while choosing anything) with at least --min-pixels pixels, runs `ram eval` twice with the
same kinds and seeds (image i seeded with i): on the 256x256 centre crops (`--crop-to 256`)
and on the whole photos in one pass (`--tile 100000 --overlap 0`: whole-image statistics, the
semantics the network was trained with). Prints per kind and weights the mean input and
restored PSNR, the mean gain, the worst photo's gain and the share made worse (clean: the mean
and worst PSNR) at both sizes, and writes everything to --out (JSON). One RAM thread by
default (RAM_THREADS); the whole photos take ~10-30 s each per kind with ram-small here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

from .paths import REPO


def run_eval(ram, photos, kinds, weights, extra, threads):
    cmd = [ram, "eval", *photos, "--kinds", ",".join(kinds), "--weights", weights, "--json", *extra]
    env = dict(os.environ, RAM_THREADS=str(threads))
    return json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout)


def summarise(rep, kinds):
    out = {}
    # ram prints each kind in its canonical spelling (haze:1.0 -> haze:1), in the order asked.
    ram_kind = dict(zip(kinds, [x["kind"] for x in rep["summary"]]))
    for kind in kinds:
        rows = [r for r in rep["rows"] if r["kind"] == ram_kind[kind]]
        p = np.array([r["restoredPSNR"] for r in rows], float)
        q = np.array([float(r["inputPSNR"]) for r in rows], float)
        if kind == "clean":
            out[kind] = {"psnr": float(p.mean()), "worst_psnr": float(p.min()), "n": len(rows)}
        else:
            g = p - q
            out[kind] = {"input": float(q.mean()), "psnr": float(p.mean()), "gain": float(g.mean()),
                         "worst_gain": float(g.min()), "worse_share": float((g < 0).mean()), "n": len(rows)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(REPO, "data"))
    ap.add_argument("--ram", default=os.path.join(REPO, ".build/release/ram"))
    ap.add_argument("--weights", nargs="+", default=[os.path.join(REPO, "Assets/weights/ram-small.safetensors")])
    ap.add_argument("--set", default="val", choices=["val", "heldout"])
    ap.add_argument("--min-pixels", type=int, default=400_000)
    ap.add_argument("--kinds", default="clean,noise:25,haze:1.0,lowlight:0.5")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="/tmp/eval_scale.json")
    args = ap.parse_args(argv)
    kinds = args.kinds.split(",")
    with open(os.path.join(args.data, "split.json")) as f:
        rels = sorted(json.load(f)[args.set])
    photos = []
    for rel in rels:
        w, h = Image.open(os.path.join(args.data, rel)).size
        if w * h >= args.min_pixels:
            photos.append(os.path.join(args.data, rel))
    if not photos:
        print(f"no {args.set} photo has {args.min_pixels} pixels", file=sys.stderr)
        return 2
    sizes = {os.path.basename(p): Image.open(p).size for p in photos}
    print(f"{len(photos)} {args.set} photos of >= {args.min_pixels} px: " + ", ".join(f"{k} {w}x{h}" for k, (w, h) in sizes.items()),
          flush=True)
    report = {"set": args.set, "photos": sizes, "kinds": kinds, "results": {}}
    for w in args.weights:
        name = os.path.basename(w)
        crop = summarise(run_eval(args.ram, photos, kinds, w, ["--crop-to", "256"], args.threads), kinds)
        whole = summarise(run_eval(args.ram, photos, kinds, w, ["--tile", "100000", "--overlap", "0"], args.threads), kinds)
        report["results"][name] = {"crop256": crop, "whole": whole}
        print(f"\n{name}")
        print(f"{'kind':14s} {'256² crop: input → restored (gain, worst, worse)':52s} whole photo, one pass")
        for k in kinds:
            c, o = crop[k], whole[k]
            if k == "clean":
                print(f"{k:14s} {c['psnr']:6.2f} dB (worst {c['worst_psnr']:.2f}){'':27s} {o['psnr']:6.2f} dB (worst {o['worst_psnr']:.2f})")
            else:
                f = lambda d: (f"{d['input']:6.2f} → {d['psnr']:6.2f} ({d['gain']:+.2f}, {d['worst_gain']:+.2f}, "  # noqa: E731
                               f"{100 * d['worse_share']:.0f} %)")
                print(f"{k:14s} {f(c):52s} {f(o)}")
    with open(args.out, "w") as fh:
        json.dump(report, fh, indent=1)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
