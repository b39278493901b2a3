#!/usr/bin/env python3
"""train_gpu.py under torchrun: two gloo processes on the CPU, DistributedDataParallel.

    python3 training/gpu/test_ddp.py        (make test-training; ~30 s on one core)

Writes a tiny format-1 pack (random 32 px crops of all six tasks, a few validation pairs) into
a temporary folder, runs `python3 -m torch.distributed.run --standalone --nproc_per_node 2
training/gpu/train_gpu.py ... --device cpu --max-steps 6` and checks: both processes exit 0;
rank 0 alone logs and writes the checkpoint; the start event says world size 2; training stops
at step 6 for every rank (a rank that left the loop early would hang the others' all-reduce,
caught by the timeout); the patches counted are 6 steps x 2 ranks x the batch; and the ranks'
weights are identical at the end ("ranks_in_sync"). Each rank draws its own batches (seed +
rank), so without DDP's gradient averaging the two replicas would differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TASKS = ("noise", "rain", "haze", "blur", "lowlight", "clean")


def tiny_pack(path: str, n_clean: int = 6, size: int = 32) -> None:
    rng = np.random.default_rng(0)
    clean = rng.integers(0, 256, (n_clean, size, size, 3), dtype=np.uint8)
    deg, cidx, task, source = [], [], [], []
    for i in range(n_clean):
        for t in range(len(TASKS)):
            d = clean[i] if TASKS[t] == "clean" else np.clip(
                clean[i].astype(int) + rng.integers(-40, 41, clean[i].shape), 0, 255).astype(np.uint8)
            deg.append(d)
            cidx.append(i)
            task.append(t)
            source.append(1 if i == 0 else 0)
    kinds = ["noise:25", "clean"]
    vc = clean[:2]
    vd = np.stack([np.clip(vc[0].astype(int) + 30, 0, 255).astype(np.uint8), vc[1]])
    meta = {"format": "ram-gpu-pack/1", "tasks": list(TASKS), "crop": size, "counts": {"clean": n_clean}}
    np.savez(path, clean=clean, degraded=np.stack(deg), clean_idx=np.array(cidx, np.int32),
             task=np.array(task, np.uint8), source=np.array(source, np.uint8), meta=np.array(json.dumps(meta)),
             val_clean=vc, val_degraded=vd, val_clean_idx=np.array([0, 1], np.int32),
             val_task=np.array([0, 5], np.uint8), val_kind=np.array(kinds))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ram-ddp-") as tmp:
        pack, out = os.path.join(tmp, "pack.npz"), os.path.join(tmp, "out")
        tiny_pack(pack)
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
        env.pop("OUT", None)
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               os.path.join(HERE, "train_gpu.py"), "--pack", pack, "--out", out, "--device", "cpu",
               "--config", "dim=8,blocks=1-1-1-1,refinement=1", "--batch", "2", "--max-steps", "6",
               "--val-every", "3", "--log-every", "2", "--minutes", "4", "--reserve-s", "5", "--threads", "1",
               "--probe-steps", "0"]
        try:
            r = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=300)
        except subprocess.TimeoutExpired as e:
            print(f"FAIL: torchrun did not finish in 300 s (a rank hung?)\n{(e.stdout or '')[-3000:]}")
            return 1
        if r.returncode != 0:
            print(f"FAIL: torchrun exit {r.returncode}\n{r.stdout[-4000:]}")
            return 1
        events = [json.loads(line) for line in open(os.path.join(out, "log.jsonl"))]
        start = [e for e in events if e["event"] == "start"]
        stop = [e for e in events if e["event"] == "stop"]
        ckpt = [e for e in events if e["event"] == "checkpoint"]
        checks = {
            "one start event (rank 0 logs alone), world size 2": len(start) == 1 and start[0].get("world_size") == 2,
            "one stop event at step 6, stopped by max_steps": len(stop) == 1 and stop[0]["step"] == 6
                                                               and stop[0]["stopped"] == "max_steps",
            "replicas identical at the end (ranks_in_sync)": len(stop) == 1 and stop[0].get("ranks_in_sync") is True,
            "checkpoints at the validations (steps 3, 6), by rank 0 only": [e["step"] for e in ckpt] == [3, 6],
            "validation on the clean (identity) kind too": any(e["event"] == "val" and "clean" in e.get("psnr", {})
                                                              for e in events),
        }
        import torch
        ck = torch.load(os.path.join(out, "ram-paper.pt"), map_location="cpu", weights_only=False)
        checks["checkpoint counts 6 steps x 2 ranks x batch 2 = 24 patches"] = ck["step"] == 6 and ck["patches"] == 24
        summary = json.load(open(os.path.join(out, "summary.json")))
        checks["summary: world size 2, in sync"] = summary.get("world_size") == 2 and summary.get("ranks_in_sync") is True
        bad = [k for k, v in checks.items() if not v]
        for k, v in checks.items():
            print(f"{'ok  ' if v else 'FAIL'} {k}")
        if bad:
            print(r.stdout[-3000:])
            return 1
    print("test_ddp: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
