"""Training throughput of candidate RAM configurations on this machine.

    python3 training/experiments/bench_configs.py [--threads 1] [--patch 64 96] [--batch 8] [--steps 6]

For each configuration: parameters, training patches/s (forward + L1/FFT loss + backward +
AdamW step, random data, after warm-up steps) and single-image inference seconds at 256x256
(what one validation image costs). Prints JSON lines; --out appends them to a file.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from ram_training.model import RAM, RAMConfig, count_parameters

CANDIDATES = {
    "d16-1112-r1": dict(dim=16, num_blocks=(1, 1, 1, 2), num_refinement=1),
    "d16-2222-r1": dict(dim=16, num_blocks=(2, 2, 2, 2), num_refinement=1),
    "d24-1223-r1": dict(dim=24, num_blocks=(1, 2, 2, 3), num_refinement=1),
    "d28-3557-r4": dict(dim=28, num_blocks=(3, 5, 5, 7), num_refinement=4),
    # Deeper versions of the shipped d16-1112-r1 that ram_training.grow can grow it into.
    "d16-1112-r2": dict(dim=16, num_blocks=(1, 1, 1, 2), num_refinement=2),
    "d16-1123-r2": dict(dim=16, num_blocks=(1, 1, 2, 3), num_refinement=2),
    "d16-2112-r1": dict(dim=16, num_blocks=(2, 1, 1, 2), num_refinement=1),
}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--patch", type=int, nargs="+", default=[64, 96])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--configs", nargs="+", default=list(CANDIDATES)[:3])
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name in args.configs:
        cfg = RAMConfig(**CANDIDATES[name])
        model = RAM(cfg)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        rec = {"config": name, **cfg.to_dict(), "parameters": count_parameters(model), "threads": args.threads,
               "batch": args.batch}
        for p in args.patch:
            x = torch.rand(args.batch, 3, p, p)
            y = torch.rand(args.batch, 3, p, p)
            model.train()
            times = []
            for i in range(args.warmup + args.steps):
                t = time.perf_counter()
                out = model(x)
                loss = (out - y).abs().mean() + 0.05 * (torch.fft.rfft2(out) - torch.fft.rfft2(y)).abs().mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                if i >= args.warmup:
                    times.append(time.perf_counter() - t)
            times.sort()
            med = times[len(times) // 2]
            rec[f"patches_per_s@{p}"] = round(args.batch / med, 2)
            rec[f"step_s@{p}"] = round(med, 3)
        model.eval()
        with torch.no_grad():
            x = torch.rand(1, 3, 256, 256)
            model(x)
            t = time.perf_counter()
            for _ in range(3):
                model(x)
            rec["infer_s@256"] = round((time.perf_counter() - t) / 3, 3)
        print(json.dumps(rec), flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
