"""Grow a trained RAM checkpoint into a deeper configuration without changing what it computes.

    python3 -m ram_training.grow --from training/checkpoints/ram-small/last-step37000-annealed.pt \
        --config dim=16,blocks=1-1-2-3,refinement=2 --out training/checkpoints/ram-small/last.pt

The new configuration must have the same width, heads, FFN factor and frequency fusion, and at
least as many blocks at every level. Each level's existing blocks keep their names and weights;
the new ones are appended at the end of their level with both residual branches' output
projections (`attn.project_out`, `ffn.project_out`) zero, so every new block is exactly the
identity (x + 0 + 0) and the grown network's output equals the source's (checked here on a
random image, EMA and live weights, eval mode). Training then starts the new blocks from
there: their other weights are initialised as `RAM()` does, and the zero projections receive
gradients from the first step.

The optimizer state (AdamW moments) of every existing parameter is carried over by name; new
parameters start without state. Step, wall time, patch count and RNG states are kept, so
`train --resume` continues the same run (use --schedule-from to give the new stretch its own
warm-up and cosine). An existing --out is refused without --force (the source is never written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch

from .model import LEVELS, RAM, RAMConfig, count_parameters
from .recipe import parse_config


def grow_state(src: dict, src_model: RAM, dst_model: RAM) -> dict:
    """dst_model's state dict with every key present in `src` taken from it (shapes checked)
    and the new blocks' output projections zeroed."""
    out = dst_model.state_dict()
    for k, v in src.items():
        if k not in out:
            raise SystemExit(f"source key {k} has no place in the grown model")
        if out[k].shape != v.shape:
            raise SystemExit(f"{k}: source shape {tuple(v.shape)} != grown {tuple(out[k].shape)}")
        out[k] = v.clone()
    for level in LEVELS:
        old_n, new_n = len(getattr(src_model, level)), len(getattr(dst_model, level))
        for i in range(old_n, new_n):
            for proj in ("attn.project_out.weight", "ffn.project_out.weight"):
                out[f"{level}.{i}.{proj}"] = torch.zeros_like(out[f"{level}.{i}.{proj}"])
    return out


def grow_optimizer(opt_state: dict, src_model: RAM, dst_model: RAM) -> dict:
    """AdamW state dict for dst_model: per-parameter state carried over by parameter name."""
    src_names = [n for n, _ in src_model.named_parameters()]
    dst_names = [n for n, _ in dst_model.named_parameters()]
    if len(opt_state["param_groups"]) != 1 or len(opt_state["param_groups"][0]["params"]) != len(src_names):
        raise SystemExit("the source optimizer does not hold one group over the model's parameters")
    by_name = {src_names[i]: s for i, s in opt_state["state"].items()}
    group = dict(opt_state["param_groups"][0], params=list(range(len(dst_names))))
    state = {j: by_name[n] for j, n in enumerate(dst_names) if n in by_name}
    return {"state": state, "param_groups": [group]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="src", required=True, help="train checkpoint to grow (read only)")
    ap.add_argument("--config", required=True, help="the deeper configuration (train --config syntax)")
    ap.add_argument("--out", required=True, help="checkpoint to write")
    ap.add_argument("--force", action="store_true", help="overwrite --out")
    args = ap.parse_args(argv)

    if os.path.abspath(args.out) == os.path.abspath(args.src):
        raise SystemExit("--out is the source checkpoint; write the grown one elsewhere")
    if os.path.exists(args.out) and not args.force:
        raise SystemExit(f"{args.out} exists (use --force to overwrite)")
    ck = torch.load(args.src, map_location="cpu", weights_only=False)
    src_cfg = RAMConfig.from_dict(ck["config"])
    dst_cfg = parse_config(args.config)
    same = ("dim", "heads", "ffn_factor", "frequency_fusion")
    sd, dd = src_cfg.to_dict(), dst_cfg.to_dict()
    if any(sd[k] != dd[k] for k in same):
        raise SystemExit(f"only depth can grow: {', '.join(same)} must match ({sd} vs {dd})")
    if any(b < a for a, b in zip(sd["num_blocks"], dd["num_blocks"])) or dd["num_refinement"] < sd["num_refinement"]:
        raise SystemExit(f"the grown configuration must have at least the source's blocks per level ({sd} vs {dd})")

    torch.manual_seed(0)
    src_model, dst_model = RAM(src_cfg), RAM(dst_cfg)  # structure and parameter names only
    grown = {"model": grow_state(ck["model"], src_model, dst_model),
             "ema": grow_state(ck["ema"], src_model, dst_model)}

    # The grown network computes what the source did (eval mode, as validation and export run it).
    x = torch.rand(2, 3, 48, 40, generator=torch.Generator().manual_seed(1))
    worst = 0.0
    for key in ("model", "ema"):
        a, b = RAM(src_cfg).eval(), RAM(dst_cfg).eval()
        a.load_state_dict(ck[key])
        b.load_state_dict(grown[key])
        with torch.no_grad():
            worst = max(worst, float((a(x) - b(x)).abs().max()))
    if worst > 1e-5:
        raise SystemExit(f"grown model differs from the source by {worst:g}")

    out = dict(ck)
    out.update(grown)
    out["config"] = dst_cfg.to_dict()
    out["optimizer"] = grow_optimizer(ck["optimizer"], src_model, dst_model)
    out["grown"] = {"from": os.path.relpath(args.src), "from_config": sd, "step": ck["step"],
                    "max_abs_diff": worst, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    torch.save(out, tmp)
    os.replace(tmp, args.out)
    print(f"grown {count_parameters(src_model)} -> {count_parameters(dst_model)} parameters "
          f"({sd['num_blocks']} r{sd['num_refinement']} -> {dd['num_blocks']} r{dd['num_refinement']}), "
          f"step {ck['step']}, max |grown - source| {worst:.2e}: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
