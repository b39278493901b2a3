"""Where a checkpoint hurts instead of helps, per task, on training-sized patches.

    python3 training/experiments/task_confusion.py [--checkpoint training/checkpoints/ram-small/last.pt]
        [--patch 96] [--patches 64] [--seed 7] [--save /tmp/worst.png]

Draws --patches patches per task with train's own sampler (photo pairs only, no dead
leaves) and reports, per task: the degraded input's L1 to the clean patch, the output's L1
with BatchNorm on running statistics (inference) and on the batch's statistics (training,
batches of 4 mixed tasks as train draws them), the share of patches the network makes
worse than its input, and the mean |colour shift| (output mean minus input mean, per channel)
of those patches. A task whose output L1 is above its input's is not learnt at that patch
size; a large colour shift on its worst patches means the network took it for another task
(e.g. blurred sky crops of 96 px read as haze and were "dehazed"; training/README.md).

--save writes the worst patch of each task as input | output | clean, 3x nearest, one row
per task. Uses the EMA weights, CPU, one thread.
"""
from __future__ import annotations

import argparse
import copy
import json
import os

import numpy as np
import torch

from ram_training.data import TASKS
from ram_training.data.sampling import ImageCache, PairSampler
from ram_training.model import RAM, RAMConfig


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="training/checkpoints/ram-small/last.pt")
    ap.add_argument("--data", default="data")
    ap.add_argument("--patch", type=int, default=96)
    ap.add_argument("--patches", type=int, default=64, help="patches per task")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--save", default="", help="PNG of each task's worst patch (input | output | clean)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    if not os.path.exists(args.checkpoint):
        raise SystemExit(f"no checkpoint at {args.checkpoint}")
    ck = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    model = RAM(RAMConfig.from_dict(ck["config"]))
    model.load_state_dict(ck["ema"])
    model.eval()
    index_path = os.path.join(args.data, "pairs", "index.json")
    if not os.path.exists(index_path):
        raise SystemExit(f"no {index_path} (run make train-data)")
    with open(index_path) as f:
        index = json.load(f)

    rng = np.random.default_rng(args.seed)
    cache = ImageCache(args.data, 512 << 20)
    # BatchNorm on batch statistics: a training-mode copy (its output does not read the running
    # statistics it updates, so one copy serves every batch).
    train_mode = copy.deepcopy(model).train()
    # Batch-statistics BatchNorm is measured in batches of 4 mixed tasks, as train trains.
    mixed = PairSampler(args.data, index, args.patch, 0.0, [1.0] * len(TASKS), 512, cache=cache)
    rows = []
    print(f"{os.path.basename(args.checkpoint)} step {ck.get('step')}: {args.patches} patches of {args.patch} px per task")
    print(f"{'task':9s} {'input L1':>9s} {'out L1':>8s} {'(train BN)':>10s} {'worse':>6s} {'shift of worse':>15s}")
    for task in TASKS:
        weights = [1.0 if t == task else 0.0 for t in TASKS]
        sampler = PairSampler(args.data, index, args.patch, 0.0, weights, 512, cache=cache)
        e_in, e_out, e_train, shifts, worst = [], [], [], [], (-1.0, None)
        with torch.no_grad():
            for _ in range(args.patches):
                x1, y1, _ = sampler.sample(rng, 1)
                xm, ym, _ = mixed.sample(rng, 3)
                x, y = torch.cat([x1, xm]), torch.cat([y1, ym])
                out = model(x1)
                out_train = train_mode(x)[:1]
                a = float((x1 - y1).abs().mean())
                b = float((out - y1).abs().mean())
                e_in.append(a)
                e_out.append(b)
                e_train.append(float((out_train - y1).abs().mean()))
                if b > a:
                    shifts.append(float((out - x1).mean(dim=(2, 3)).abs().mean()))
                if b - a > worst[0]:
                    worst = (b - a, torch.cat([x1[0], out[0].clamp(0, 1), y1[0]], 2))
        worse = len(shifts) / args.patches
        shift = f"{np.mean(shifts):.4f}" if shifts else "—"
        print(f"{task:9s} {np.mean(e_in):9.4f} {np.mean(e_out):8.4f} {np.mean(e_train):10.4f} {worse:6.0%} {shift:>15s}")
        if worst[1] is not None:
            rows.append(worst[1])
    if args.save and rows:
        from PIL import Image
        img = torch.cat(rows, 1).permute(1, 2, 0).numpy()
        pil = Image.fromarray((img * 255).round().astype(np.uint8))
        pil = pil.resize((pil.width * 3, pil.height * 3), Image.NEAREST)
        tmp = args.save + ".tmp.png"
        pil.save(tmp)
        os.replace(tmp, args.save)
        print(f"worst patch per task ({', '.join(TASKS)}), input | output | clean: {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
