"""gpu.train under torchrun: two gloo processes on the CPU, DistributedDataParallel.

    python3 training/tests/test_ddp.py        (make test-training; ~30 s on one core)

Writes a tiny pack (random 32 px crops, made-up layers, a few validation pairs) into a
temporary folder, runs `python3 -m torch.distributed.run --standalone --nproc_per_node 2
-m ram_training.gpu.train ... --device cpu --max-steps 6` and checks: both processes exit 0;
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

from ram_training.data import TASKS
from ram_training.paths import REPO, module_env


def tiny_pack(path: str, n_clean: int = 6, size: int = 32) -> None:
    """A pack in gpu.pack's format with random clean crops and made-up layers: 2 rain and 2
    haze layers, 2 blur kernels, the noise levels and low-light range, 2 validation pairs."""
    rng = np.random.default_rng(0)
    clean = rng.integers(0, 256, (n_clean, size, size, 3), dtype=np.uint8)
    source = np.array([1] + [0] * (n_clean - 1), np.uint8)
    rain_slope = rng.integers(40000, 65536, (2, size, size)).astype(np.uint16)
    haze_t = rng.integers(20000, 60000, (2, size, size)).astype(np.uint16)
    psf = np.zeros((2, 5, 5), np.float16)
    psf[0, 2, :] = 0.2
    psf[1, :, 2] = 0.2
    kinds = ["noise:25", "clean"]
    vc = clean[:2]
    vd = np.stack([np.clip(vc[0].astype(int) + 30, 0, 255).astype(np.uint8), vc[1]])
    meta = {"format": "ram-gpu-pack/2", "tasks": list(TASKS), "crop": size, "counts": {"clean": n_clean},
            "synth": {"noise_sigmas": [15.0, 25.0, 50.0],
                      "lowlight_levels": {"min": 0.15, "max": 0.95, "decimals": 2}}}
    np.savez(path, clean=clean, clean_source=source, rain_slope=rain_slope,
             rain_white=np.array([0.9, 0.95], np.float32), haze_t=haze_t,
             haze_airlight=np.full((2, 3), 0.8, np.float32), blur_psf=psf, meta=np.array(json.dumps(meta)),
             val_clean=vc, val_degraded=vd, val_clean_idx=np.array([0, 1], np.int32),
             val_task=np.array([0, 5], np.uint8), val_kind=np.array(kinds))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ram-ddp-") as tmp:
        pack, out = os.path.join(tmp, "pack.npz"), os.path.join(tmp, "out")
        tiny_pack(pack)
        env = module_env(dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1"))
        env.pop("OUT", None)
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "ram_training.gpu.train", "--pack", pack, "--out", out, "--device", "cpu",
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
