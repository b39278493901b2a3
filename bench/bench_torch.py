"""PyTorch side of `make bench`: the same weights file, input and thread count as `ram bench`.

Prints one JSON line per size: {"size", "runs", "best_s", "median_s", "layout", "threads", "torch"}.
The input matches `ram bench`: value i % 251 / 251 over the (3, S, S) planes.
"""
import argparse
import json
import os
import time

import torch

from ram_training.weights import load_ram  # training/ on PYTHONPATH, or pip install -e training


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("--sizes", default="256,512")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--layout", choices=["channels_last", "contiguous"], default="channels_last")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, _ = load_ram(a.weights)
    model.eval()
    fmt = torch.channels_last if a.layout == "channels_last" else torch.contiguous_format
    model = model.to(memory_format=fmt)
    for s in [int(v) for v in a.sizes.split(",")]:
        x = (torch.arange(3 * s * s, dtype=torch.float32) % 251 / 251).reshape(1, 3, s, s).to(memory_format=fmt)
        with torch.inference_mode():
            model(x)  # warm-up
            times = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - t0)
        times.sort()
        print(json.dumps({"size": s, "runs": a.runs, "best_s": times[0], "median_s": times[len(times) // 2],
                          "layout": a.layout, "threads": a.threads, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
