"""The do-no-harm guard that shipped weights carry, and the command that sets it on a file.

`ram` restores an image x with the network f, then keeps only part of the predicted change
when that change is small over the whole image (Sources/RAMModel/ChangeGuard.swift):

    r = clamp(f(x), 0, 1) - x,   m = RMS(r) over every sample,
    y = x + w r,                 w = m^p / (m^p + t^p).

t and p are stored in the weights' metadata ("guard"). This module mirrors the formula for
the PyTorch scorers and sets a guard on a weights file, re-scoring its card's validation
with `ram eval`:

    python3 -m ram_training.guard Assets/weights/ram-small.safetensors --change-rms 2 --power 4

(--change-rms in 1/255 units). The guard is chosen on the validation set only
(training/experiments/guard_sweep.py prints the sweep).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

from . import paths
from .weights import DTYPES, read_ram, read_guard, save_ram

RULE = "y = x + w (clamp(f(x)) - x), w = m^p / (m^p + t^p), m = RMS of clamp(f(x)) - x"


def weight(m: torch.Tensor, guard: dict) -> torch.Tensor:
    """w for predicted changes m (any shape)."""
    a, b = m.double() ** guard["power"], torch.tensor(float(guard["change_rms"]), dtype=torch.float64) ** guard["power"]
    return a / (a + b)


def apply(x: torch.Tensor, f: torch.Tensor, guard: dict | None) -> torch.Tensor:
    """The guarded output for a batch (N, 3, H, W): each image's own m and w. None: clamp(f)."""
    fc = f.clamp(0, 1)
    if guard is None:
        return fc
    r = fc - x
    m = r.double().pow(2).flatten(1).mean(1).sqrt()
    return x + weight(m, guard).to(r.dtype).view(-1, 1, 1, 1) * r


def card_entry(guard: dict, chosen: str = "") -> dict:
    """The model card's record of a guard."""
    entry = {"change_rms_255": round(guard["change_rms"] * 255, 6), "power": guard["power"], "rule": RULE}
    if chosen:
        entry["chosen"] = chosen
    return entry


def parse(text: str) -> dict | None:
    """'T,P' (T in 1/255) -> {"change_rms": T/255, "power": P}; 'none' -> None."""
    if text == "none":
        return None
    t, p = (float(v) for v in text.split(","))
    if not (0 < t < 255 and 0 < p <= 16):
        raise ValueError(f"guard {text!r}: need 0 < T < 255 (1/255 units) and 0 < P <= 16")
    return {"change_rms": t / 255, "power": p}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Set (or drop) the do-no-harm guard of a weights file and re-score its "
                                             "card's validation with ram eval.")
    ap.add_argument("weights")
    ap.add_argument("--change-rms", type=float, help="t in 1/255 units")
    ap.add_argument("--power", type=float, default=4.0)
    ap.add_argument("--none", action="store_true", help="drop the guard")
    ap.add_argument("--chosen", default="", help="how t and p were chosen (written to the card)")
    ap.add_argument("--out", default="", help="default: replace WEIGHTS (temporary file + rename)")
    ap.add_argument("--data", default=paths.DATA)
    ap.add_argument("--ram", default=paths.RAM_BIN)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    if args.none == (args.change_rms is not None):
        ap.error("give --change-rms T (and --power) or --none")
    guard = None if args.none else parse(f"{args.change_rms},{args.power}")
    from .export import mean_degraded_tasks, score_with_ram   # export imports this module
    tensors, config, card = read_ram(args.weights)
    before = read_guard(args.weights)
    out = args.out or args.weights
    stored = next(v.dtype for v in tensors.values() if v.is_floating_point())
    dtype = next(name for name, d in DTYPES.items() if d == stored)
    tmp = f"{out}.guard{os.getpid()}.safetensors"
    try:
        with open(os.path.join(args.data, "pairs", "index.json")) as f:
            index = json.load(f)
        save_ram(tmp, tensors, config, card=card, dtype=dtype, guard=guard)
        t0 = time.time()
        per_kind, per_task = score_with_ram(args.ram, tmp, args.data, index, args.threads)
        finish(card, per_kind, per_task, guard, before, args, time.time() - t0, mean_degraded_tasks)
        save_ram(tmp, tensors, config, card=card, dtype=dtype, guard=guard)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(json.dumps({"out": paths.rel(out), "guard": guard, "per_task": per_task}, indent=1))
    for kind, r in per_kind.items():
        print(f"  {kind:14s} {r['psnr']:6.2f}  {r['harm']}")
    return 0


def finish(card: dict, per_kind: dict, per_task: dict, guard, before, args, seconds: float, mean_tasks):
    """The card with the guarded validation (the unguarded one kept the first time a guard is set)."""
    val = dict(card.get("validation", {}))
    if before is None and "validation" in card:
        card["validation_without_guard"] = card["validation"]
    val.update({"per_kind": per_kind, "per_task": per_task, "mean_per_task_psnr": mean_tasks(per_task),
                "scorer": f"ram eval (Swift engine, {args.threads} thread(s)), "
                          + ("with the guard" if guard else "without a guard"),
                "measured": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(seconds, 1)})
    card["validation"] = val
    if guard:
        card["guard"] = card_entry(guard, args.chosen)
    else:
        card.pop("guard", None)


if __name__ == "__main__":
    sys.exit(main())
