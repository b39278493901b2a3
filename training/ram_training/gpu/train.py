"""Trains RAM on a GPU from data/gpu_pack.npz (ram_training.gpu.pack) within a hard wall-clock budget.

    python3 -m ram_training.gpu.train [--pack data/gpu_pack.npz] [--out $OUT] [--config paper] [--init W]
                                      [--minutes 7.5] [--batch 32] [--lr 2e-4] [--compile 0]

Made for one fixed-budget run on a GPU (training/gpu/run.sh, training/gpu/README.md): the whole
pack goes onto the GPU, batches are sampled, degraded (format 2), cropped and augmented there,
and the run stops on its own when --minutes (counted from the start of this process) is used up.

Pack formats (ram_training.gpu.pack; the format is read from the pack's meta):
- 2 (default): clean crops + degradation layers. Every patch is degraded afresh on the device
  (gpu.synth: rain and haze composited from the measured affine layers, blur by an FFT
  convolution with a measured `ram degrade` kernel and reflect padding, Gaussian noise and the
  Lv et al. low-light curve with Poisson-Gaussian noise from their formulas), clipped and
  quantised to 8 bits like the CPU pairs; noise sigma uniform over the pack's levels (15, 25,
  50), low-light level uniform over its range (0.15-0.95, two decimals), a uniform random
  rain / haze layer or blur kernel. training/tests/test_synth.py checks all five against ram.
- 1: fixed pre-degraded pairs (the old pack), still read.

Same recipe as ram_training.train, adapted to a fixed time budget:
- each patch draws its task (--task-weights, default uniform), then a dead-leaves crop with
  probability --deadleaves (else a photo crop), a random --patch crop of the stored crop, a
  random horizontal flip, and for noise/blur/low light also a vertical flip and transpose;
- loss L1 (or with --loss psnr each patch's ln(MSE), train.psnr_loss) + --fft-weight * L1 of
  the orthonormal rFFT (train.fft_l1), AdamW, gradient clip,
  EMA of all float state (--ema, with train's warm-up of the decay), output conv zeroed
  (the untrained network is the identity);
- learning rate: linear warm-up over --warmup steps, then a cosine to --lr-min that ends
  exactly at the deadline (the schedule runs on wall time, since the step count a GPU reaches
  is not known in advance);
- CUDA: bf16 autocast (fp16 + GradScaler where bf16 is missing), TF32, cuDNN autotuning,
  fused AdamW; a speed probe first (--probe-steps) times channels-last against contiguous and
  trains in the faster, and with --profile writes each one's operator table; optional
  torch.compile (--compile 1 whole model, 2 per block), kept only if the probe finds it
  faster (eager if compiling fails; its time counts against --minutes). Out of memory at the
  first step halves the batch.

Several GPUs: the same script under torchrun (DistributedDataParallel), e.g.
    torchrun --standalone --nproc_per_node 8 -m ram_training.gpu.train --pack ... --out ... [options]
Each process drives one device (cuda:LOCAL_RANK; NCCL, or gloo on the CPU) with --batch patches
of its own (the global batch is --batch x WORLD_SIZE; scale --lr with it if wanted), its own
random stream (seed + rank), gradients averaged by DDP; the deadline, a signal or a non-finite
loss stops every process at the same step (one all-reduce per step). Rank 0 alone validates,
logs and writes the checkpoint and summary; at the end the ranks compare a checksum of their
weights ("ranks_in_sync" in the stop event). The speed probe and torch.compile are single-process
features (off under torchrun; channels-last on CUDA). training/tests/test_ddp.py runs two gloo
processes on the CPU (make test-training).

Writes under --out (default $OUT, else training/runs/<name>-gpu):
  <name>.pt     {config, ema (float16), step, wall, patches, args, hardware, saved, ...}: the EMA
                weights in the checkpoint layout ram_training.export --checkpoint reads (no
                optimizer or live weights: that keeps the file to copy back small, and export
                ships fp16 anyway). Rewritten at every validation, so a
                run killed at its limit still leaves weights.
  log.jsonl     start / train / val / stop / error events (train's field names)
  summary.json  configuration, throughput, memory, first and last validation, how to export
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import math
import os
import platform
import signal
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch

from .. import paths
from ..model import RAM, Block, count_parameters
from ..recipe import (EMA, PRESETS, TASKS, hardware, load_init, optimizer_step, parse_config, parse_task_weights,
                      set_train_mode)
from ..validation import validate as train_validate
from . import STARTED as T0
from . import synth

OOM = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
DIRECTION_FREE = tuple(TASKS.index(t) for t in ("noise", "blur", "lowlight", "clean"))
# The identity-aware recipe of train's `make train` (noise, rain, haze, blur, low light,
# clean): about 12 % of the patches are clean -> clean (identity) pairs.
DEFAULT_TASK_WEIGHTS = "2,0.6,1.5,3,0.5,1"


def build_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--pack", default=os.path.join(paths.DATA, "gpu_pack.npz"))
    ap.add_argument("--out", default=os.environ.get("OUT", ""), help="output folder (default $OUT, else training/runs/<name>-gpu)")
    ap.add_argument("--name", default="ram-paper", help="run name: the checkpoint is <out>/<name>.pt (default ram-paper)")
    ap.add_argument("--config", default=None, help=f"preset ({', '.join(PRESETS)}), JSON, or dim=..,blocks=..,refinement=.. "
                    "(default: --init's configuration, else paper)")
    ap.add_argument("--minutes", type=float, default=7.5, help="hard wall-clock budget of this process, start to exit (default 7.5)")
    ap.add_argument("--reserve-s", type=float, default=20, help="seconds of the budget kept for the last validation and checkpoint")
    ap.add_argument("--max-steps", type=int, default=0, help="also stop after this many steps (0 = time only)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--patch", type=int, default=0, help="training crop (default: the pack's stored crop)")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--lr-min", type=float, default=1e-6)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=150, help="linear warm-up steps")
    ap.add_argument("--clip", type=float, default=1.0, help="gradient norm clip (0 = off)")
    ap.add_argument("--fft-weight", type=float, default=0.1)
    ap.add_argument("--loss", default="l1", choices=["l1", "psnr"], help="as train --loss")
    ap.add_argument("--bn", default="batch", choices=["batch", "frozen"], help="as train --bn")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--deadleaves", type=float, default=0.2, help="probability that a patch comes from dead leaves")
    ap.add_argument("--task-weights", default=DEFAULT_TASK_WEIGHTS,
                    help=f"noise,rain,haze,blur,lowlight[,clean] (default {DEFAULT_TASK_WEIGHTS}: the identity-aware "
                         "recipe; five values leave the identity task out)")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--amp", default="auto", choices=["auto", "off", "bf16", "fp16"],
                    help="autocast dtype (auto: bf16 on CUDA if supported, else fp16 with GradScaler; off on CPU)")
    ap.add_argument("--compile", type=int, default=0, help="1 = torch.compile the training model, 2 = compile each block "
                    "(regional: blocks of one level share code, far shorter compile); kept only if the speed probe "
                    "finds it faster than eager (eager if compiling fails)")
    ap.add_argument("--channels-last", type=int, default=-1,
                    help="1 channels-last, 0 contiguous (NCHW), -1 = the faster of the two in the speed probe (default)")
    ap.add_argument("--probe-steps", type=int, default=-1,
                    help="timed forward+backward steps per candidate in the speed probe before training "
                         "(-1 = 5 on CUDA, 0 elsewhere; 0 = no probe)")
    ap.add_argument("--profile", type=int, default=1, help="1 = the speed probe also writes profile-<format>.txt "
                    "(torch.profiler, 2 passes per format: which operators take the time)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = leave torch's default)")
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--val-every", type=int, default=300, help="validate (and rewrite the checkpoint) every N steps")
    ap.add_argument("--val-batch", type=int, default=50)
    ap.add_argument("--val-limit", type=int, default=0, help="validate on the first N pairs per kind (0 = all; for CPU tests)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", default="", help="start from these weights instead of from scratch: an earlier run's "
                    "<name>.pt (its EMA) or a shipped .safetensors (same configuration); carry it with the pack. "
                    "The optimiser starts fresh (warm-up, then the cosine); steps, patches and wall time add up")
    return ap.parse_args(argv)


def load_val(z, device, val_limit: int = 0):
    """The pack's validation pairs (real pairs of data/pairs/val, both formats): {kind: (degraded, clean)}."""
    if "val_degraded" not in z.files:
        return None
    vd = torch.from_numpy(z["val_degraded"]).to(device).permute(0, 3, 1, 2).float().div_(255)
    vc = torch.from_numpy(z["val_clean"]).to(device).permute(0, 3, 1, 2).float().div_(255)
    vci = torch.from_numpy(z["val_clean_idx"].astype(np.int64)).to(device)
    kinds = z["val_kind"].tolist()
    val = {}
    for k in dict.fromkeys(kinds):
        m = torch.tensor([kk == k for kk in kinds], device=device)
        d_, c_ = vd[m], vc[vci[m]]
        val[k] = (d_[:val_limit], c_[:val_limit]) if val_limit else (d_, c_)
    return val


def draw_crops_flips(rng: np.random.Generator, batch: int, stored: int, patch: int, tasks: np.ndarray):
    """Per patch: the crop's offsets in the stored crop and the flips (left-right always
    possible; up-down and transpose only for the direction-free tasks)."""
    oy = rng.integers(0, stored - patch + 1, size=batch)
    ox = rng.integers(0, stored - patch + 1, size=batch)
    flips = rng.random((batch, 3)) < 0.5
    free = np.isin(tasks, DIRECTION_FREE)
    flips[:, 1] &= free
    flips[:, 2] &= free
    return oy, ox, flips


def crop_flip(x: torch.Tensor, oy_t, ox_t, f, p: int):
    """x (k, B, S, S, C) uint8 or float, NHWC: per-sample p x p crops at (oy, ox), then the
    flips f (B, 3) bool (left-right, up-down, transpose) -> (k, B, C, p, p) float."""
    batch, S = x.shape[1], x.shape[2]
    dev = x.device
    if p != S:
        ar = torch.arange(p, device=dev)
        iy = (oy_t[:, None] + ar)[:, :, None]
        ix = (ox_t[:, None] + ar)[:, None, :]
        bi = torch.arange(batch, device=dev)[:, None, None]
        x = x[:, bi, iy, ix]
    x = x.permute(0, 1, 4, 2, 3)
    if not x.dtype.is_floating_point:
        x = x.float().div_(255)
    x = torch.where(f[:, 0].view(1, -1, 1, 1, 1), x.flip(-1), x)
    x = torch.where(f[:, 1].view(1, -1, 1, 1, 1), x.flip(-2), x)
    x = torch.where(f[:, 2].view(1, -1, 1, 1, 1), x.transpose(-1, -2), x)
    return x


def load_pack(path: str, device, patch: int, deadleaves: float, task_weights, val_limit: int = 0, seed: int = 0):
    with np.load(path, allow_pickle=False) as z:
        fmt = json.loads(str(z["meta"])).get("format")
    if fmt != "ram-gpu-pack/2":
        raise SystemExit(f"{path}: pack format {fmt!r}, not ram-gpu-pack/2 (rebuild it with ram_training.gpu.pack)")
    return SynthData(path, device, patch, deadleaves, task_weights, val_limit, seed)


class SynthData:
    """Format 2: clean crops plus degradation layers on the device; every batch is degraded
    afresh there (gpu.synth, the recipe of `ram degrade` measured by gpu.pack), then quantised to
    8 bits as the CPU pairs are, cropped and flipped. Which crop, task, level, layer, offset and
    flip each patch gets is drawn with the numpy RNG (reproducible across devices); the noise
    and photon samples come from a torch generator on the device."""

    def __init__(self, path: str, device, patch: int, deadleaves: float, task_weights, val_limit: int = 0, seed: int = 0):
        z = np.load(path, allow_pickle=False)
        self.meta = json.loads(str(z["meta"]))
        if self.meta.get("format") != "ram-gpu-pack/2":
            raise SystemExit(f"{path}: expected format ram-gpu-pack/2, got {self.meta.get('format')!r}")
        codings = self.meta.get("codings", {})

        def array(name):
            a = z[name]
            c = codings.get(name)
            return synth.decode_delta(a, c["delta_axes"]) if c else a

        self.device = device
        clean = array("clean")
        self.clean = torch.from_numpy(clean).to(device)  # (M, S, S, 3) uint8
        self.source_np = z["clean_source"].astype(np.int64)
        self.stored = clean.shape[1]
        self.patch = patch or self.stored
        if self.patch > self.stored or self.patch % 8:
            raise SystemExit(f"--patch {self.patch}: must be a multiple of 8 and at most the stored crop {self.stored}")
        self.pools = {s: np.nonzero(self.source_np == s)[0] for s in (0, 1)}
        self.pools = {s: v for s, v in self.pools.items() if len(v)}
        if not self.pools:
            raise SystemExit(f"{path}: no clean crops")
        scales = self.meta.get("scales", {})
        S = self.stored
        self.rain_slope = torch.from_numpy(array("rain_slope").astype(np.float32) / scales.get("rain_slope", 65535)).to(device)
        self.rain_white = torch.from_numpy(z["rain_white"].astype(np.float32)).to(device)
        self.haze_t = torch.from_numpy(array("haze_t").astype(np.float32) / scales.get("haze_t", 65535)).to(device)
        self.haze_air = torch.from_numpy(z["haze_airlight"].astype(np.float32)).to(device)
        self.blur_psf = torch.from_numpy(z["blur_psf"].astype(np.float32)).to(device)
        for name, t in (("rain_slope", self.rain_slope), ("haze_t", self.haze_t)):
            if len(t) and min(t.shape[1:]) < S:
                raise SystemExit(f"{path}: {name} layers ({t.shape[1]}) are smaller than the crops ({S})")
        if self.blur_psf.shape[-1] // 2 >= S:
            raise SystemExit(f"{path}: blur kernels ({self.blur_psf.shape[-1]}) too large for {S} px crops")
        sy = self.meta["synth"]
        self.sigmas = torch.tensor(sy["noise_sigmas"], dtype=torch.float32, device=device)
        ll = sy["lowlight_levels"]
        self.ll_scale = 10 ** int(ll["decimals"])
        self.ll_lo, self.ll_hi = float(ll["min"]), float(ll["max"])
        # "clean": the identity task, the clean crop is its own input (no layer needed).
        self.n_layers = {"noise": len(sy["noise_sigmas"]), "rain": len(self.rain_slope), "haze": len(self.haze_t),
                         "blur": len(self.blur_psf), "lowlight": 1, "clean": 1}
        self.tasks = [t for t in range(len(TASKS)) if self.n_layers[TASKS[t]] > 0]
        w = np.array([task_weights[t] for t in self.tasks], float)
        self.task_p = w / w.sum()
        self.deadleaves = deadleaves
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(seed + 1)
        # The seeded device generator with randn/poisson has never run on a GPU here: try both
        # once on a tiny input and fall back to torch's default generator (seeded) rather than
        # lose the device call to an exception at the first step.
        try:
            probe = torch.full((1, 3, 8, 8), 0.5, device=device)
            synth.noise(probe, torch.tensor([25.0], device=device), self.gen)
            synth.lowlight(probe, torch.tensor([0.5], device=device, dtype=torch.float64), self.gen)
            self.generator_note = "seeded device generator"
        except Exception as e:  # noqa: BLE001
            torch.manual_seed(seed + 1)
            self.gen = None
            self.generator_note = f"default generator (device generator failed: {type(e).__name__}: {e})"
            print(f"warning: {self.generator_note}", flush=True)
        self.val = load_val(z, device, val_limit)
        self.n_items = len(self.clean)

    def counts(self):
        return {"clean_crops": {"photo": len(self.pools.get(0, ())), "deadleaves": len(self.pools.get(1, ()))},
                "generator": self.generator_note,
                "layers": self.n_layers, "stored": self.stored, "blur_kernel": int(self.blur_psf.shape[-1])}

    def _window(self, layers: torch.Tensor, idx: torch.Tensor, oy: torch.Tensor, ox: torch.Tensor):
        """(n, 1, S, S) windows of the (N, L, L) layers at per-sample offsets."""
        S, L = self.stored, layers.shape[-1]
        x = layers.index_select(0, idx)
        if L != S:
            ar = torch.arange(S, device=x.device)
            bi = torch.arange(len(idx), device=x.device)[:, None, None]
            x = x[bi, (oy[:, None] + ar)[:, :, None], (ox[:, None] + ar)[:, None, :]]
        return x[:, None]

    def sample(self, rng: np.random.Generator, batch: int, memory_format):
        tasks = np.sort(np.array(self.tasks)[rng.choice(len(self.tasks), size=batch, p=self.task_p)])
        dl = rng.random(batch) < self.deadleaves
        idx = np.empty(batch, np.int64)
        for b in range(batch):
            s = 1 if (dl[b] and 1 in self.pools) or 0 not in self.pools else 0
            pool = self.pools[s]
            idx[b] = pool[rng.integers(len(pool))]
        # Per-patch parameter: noise level index, low-light level in 1/10^decimals, layer index.
        param = np.zeros(batch, np.int64)
        for t in self.tasks:
            m = tasks == t
            name = TASKS[t]
            if name == "lowlight":
                param[m] = np.round(rng.uniform(self.ll_lo, self.ll_hi, m.sum()) * self.ll_scale)
            else:
                param[m] = rng.integers(self.n_layers[name], size=m.sum())
        L = max(self.rain_slope.shape[-1] if len(self.rain_slope) else self.stored,
                self.haze_t.shape[-1] if len(self.haze_t) else self.stored)
        ly = rng.integers(0, L - self.stored + 1, size=batch)
        lx = rng.integers(0, L - self.stored + 1, size=batch)
        oy, ox, flips = draw_crops_flips(rng, batch, self.stored, self.patch, tasks)

        dev = self.device
        host = torch.from_numpy(np.concatenate([idx, param, ly, lx, oy, ox, flips.T.reshape(-1)]).astype(np.int64))
        if dev.type == "cuda":
            host = host.pin_memory()
        v = host.to(dev, non_blocking=True)
        idx_t, par_t, ly_t, lx_t, oy_t, ox_t = (v[i * batch:(i + 1) * batch] for i in range(6))
        f = v[6 * batch:].view(3, batch).T.bool()
        c = self.clean.index_select(0, idx_t)                      # (B, S, S, 3) uint8
        x = c.permute(0, 3, 1, 2).float().div_(255)                # (B, 3, S, S)
        segs = []
        for t in self.tasks:
            a, b = np.searchsorted(tasks, t, "left"), np.searchsorted(tasks, t, "right")
            if b == a:
                continue
            xs, ps, name = x[a:b], par_t[a:b], TASKS[t]
            if name == "noise":
                y = synth.noise(xs, self.sigmas.index_select(0, ps), self.gen)
            elif name == "lowlight":
                y = synth.lowlight(xs, ps.double() / self.ll_scale, self.gen)
            elif name == "rain":
                y = synth.rain(xs, self._window(self.rain_slope, ps, ly_t[a:b], lx_t[a:b]), self.rain_white.index_select(0, ps))
            elif name == "haze":
                y = synth.haze(xs, self._window(self.haze_t, ps, ly_t[a:b], lx_t[a:b]), self.haze_air.index_select(0, ps))
            elif name == "clean":
                y = xs
            else:
                y = synth.blur(xs, self.blur_psf.index_select(0, ps))
            segs.append(y)
        d = synth.quantise8(torch.cat(segs)) if len(segs) > 1 else synth.quantise8(segs[0])
        both = torch.stack([d.permute(0, 2, 3, 1), x.permute(0, 2, 3, 1)])  # (2, B, S, S, 3) float
        out = crop_flip(both, oy_t, ox_t, f, self.patch)
        return out[0].contiguous(memory_format=memory_format), out[1].contiguous(memory_format=memory_format)


def validate(model, val, amp_dtype, device, batch, memory_format):
    """train.validate on the device's pairs, as the log records it (per task and per kind, input too)."""
    per_kind, per_task, per_kind_in = train_validate(model, val, device, batch, amp_dtype, memory_format)
    in_task = {}
    for kind, v in per_kind_in.items():
        in_task.setdefault(kind.split(":")[0], []).append(v)
    return {"psnr_task": {k: round(v, 3) for k, v in per_task.items()},
            "input_psnr_task": {k: round(sum(v) / len(v), 3) for k, v in in_task.items()},
            "psnr": {k: round(v, 3) for k, v in per_kind.items()}, "input_psnr": {k: round(v, 3) for k, v in per_kind_in.items()}}


def forward_backward(m, x, y, amp_dtype, device):
    """One forward and backward pass with the training loss's L1 term, no optimiser step (the
    speed probe's unit of work; the gradients are dropped)."""
    with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
        out = m(x)
    (out.float() - y).abs().mean().backward()
    m.zero_grad(set_to_none=True)


def time_passes(m, x, y, amp_dtype, device, steps: int):
    """Times `m` on (x, y) with cuDNN autotuning off (its search costs tens of seconds per
    shape): one first forward+backward pass (warm-up, or compiling for a compiled model) and
    `steps` more. Returns (seconds of the first pass, milliseconds per later pass)."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    bench = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = False
    try:
        t = time.time()
        forward_backward(m, x, y, amp_dtype, device)
        sync()
        first_s = time.time() - t
        t = time.time()
        for _ in range(steps):
            forward_backward(m, x, y, amp_dtype, device)
        sync()
        return round(first_s, 2), round(1000 * (time.time() - t) / max(1, steps), 1)
    finally:
        torch.backends.cudnn.benchmark = bench


def profile_ops(m, x, y, amp_dtype, device, steps: int, path: str):
    """torch.profiler over `steps` forward+backward passes: the operators and kernels that take
    the time, as a table (top 40 by device time, else CPU time) written to `path`."""
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=acts) as prof:
        for _ in range(steps):
            forward_backward(m, x, y, amp_dtype, device)
        if device.type == "cuda":
            torch.cuda.synchronize()
    key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    with open(path, "w") as f:
        f.write(f"# {steps} forward+backward passes, input {tuple(x.shape)} "
                f"{'channels-last' if x.is_contiguous(memory_format=torch.channels_last) else 'contiguous'}\n")
        f.write(prof.key_averages().table(sort_by=key, row_limit=40, max_name_column_width=90))


def speed_probe(model, data, batch, amp_dtype, device, steps, seed, fmts, profile_dir=None):
    """Measures what one training step costs before training starts: `steps` calls of
    data.sample alone, then per memory format in `fmts` ({name: format}) a throwaway copy of
    `model` on the device doing one untimed forward+backward (warm-up) and `steps` timed ones
    (time_passes: cuDNN autotuning off; training turns it back on for the chosen format only).
    A candidate that runs out of
    memory or fails is reported and skipped. Uses its own random stream, so the training
    batches are the same with or without a probe. Returns {"sample_ms", "warmup_s": {..},
    "step_ms": {name: ms or None}, "errors": {..}}."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    prng = np.random.default_rng(seed + 1000)
    res = {"steps": steps, "batch": batch, "warmup_s": {}, "step_ms": {}, "errors": {}}
    sync()
    t = time.time()
    for _ in range(steps):
        data.sample(prng, batch, torch.contiguous_format)
    sync()
    res["sample_ms"] = round(1000 * (time.time() - t) / max(1, steps), 1)
    for name, fmt in fmts.items():
        m = None
        try:
            m = copy.deepcopy(model).to(device).to(memory_format=fmt)
            m.train()
            x, y = data.sample(prng, batch, fmt)
            res["warmup_s"][name], res["step_ms"][name] = time_passes(m, x, y, amp_dtype, device, steps)
            if profile_dir:
                path = os.path.join(profile_dir, f"profile-{name}.txt")
                t = time.time()
                profile_ops(m, x, y, amp_dtype, device, 2, path)
                res.setdefault("profile_s", {})[name] = round(time.time() - t, 2)
        except Exception as e:  # noqa: BLE001  (out of memory included: the candidate is skipped)
            res["step_ms"][name] = None
            res["errors"][name] = f"{type(e).__name__}: {str(e)[:300]}"
        finally:
            del m
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return res


def params_checksum(model) -> torch.Tensor:
    """Sum and sum of squares of all parameters, in float64: equal on every rank iff DDP kept the
    replicas in step (within float summation order, which is the same on every rank)."""
    with torch.no_grad():
        ps = [p.detach().double() for p in model.parameters()]
        return torch.stack([sum(p.sum() for p in ps), sum((p * p).sum() for p in ps)])


@dataclass
class Placement:
    """Where this process trains: one process, or one of WORLD_SIZE under torchrun."""
    device: torch.device
    world: int = 1
    rank: int = 0
    local_rank: int = 0
    dist: object = None   # torch.distributed under torchrun


def place(args) -> Placement | int:
    """The device and, under torchrun (WORLD_SIZE, RANK, LOCAL_RANK set), the process group:
    one process per device, DDP. Returns exit code 4 when CUDA is asked for and missing."""
    want_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if want_cuda and not torch.cuda.is_available():
        print("ERROR: --device cuda but torch.cuda.is_available() is False "
              f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})", file=sys.stderr)
        return 4
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dist = None
    if world > 1:
        import torch.distributed as dist
        if want_cuda:
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend="nccl" if want_cuda else "gloo")
        if args.probe_steps:
            args.probe_steps = 0   # single-process feature (each rank would choose on its own)
        if args.compile:
            print(f"rank {rank}: --compile is off under torchrun", file=sys.stderr, flush=True)
            args.compile = 0
    device = torch.device(f"cuda:{local_rank}" if want_cuda and world > 1 else ("cuda" if want_cuda else "cpu"))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    return Placement(device, world, rank, local_rank, dist)


def choose_amp(args, device):
    if args.amp == "bf16" or (args.amp == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    if args.amp == "fp16" or (args.amp == "auto" and device.type == "cuda"):
        return torch.float16
    return None


def open_log(out_dir: str, rank: int):
    """JSON lines in <out>/log.jsonl and on stdout, from rank 0 only."""
    logf = open(os.path.join(out_dir, "log.jsonl"), "a") if rank == 0 else None

    def log(rec):
        if rank != 0:
            return
        rec = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "elapsed": round(time.time() - T0, 1), **rec}
        logf.write(json.dumps(rec) + "\n")
        logf.flush()
        print(json.dumps(rec), flush=True)
    return log


def build_model(args):
    """RAM from --init's weights (step, patches and wall time carried on) or a fresh --config
    (default paper) starting as the identity. Returns (model, config, init record)."""
    init = {"steps": 0, "patches": 0, "wall": 0.0}
    if args.init:
        w = load_init(args.init, args.config)  # train's reader: .safetensors card or a checkpoint's EMA
        config = w["config"]
        model = RAM(config)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in w["weights"].items()})
        init.update(steps=w["step"], patches=w["patches"], wall=w["wall"], path=args.init)
    else:
        config = parse_config(args.config or "paper")
        model = RAM(config)
        torch.nn.init.zeros_(model.output.weight)  # the untrained network is the identity
    return model, config, init


FORMATS = {"channels_last": torch.channels_last, "contiguous": torch.contiguous_format}


def choose_layout(args, model, data, amp_dtype, device, probe_steps: int, out_dir: str):
    """The memory format: measured by the speed probe unless --channels-last says. The first
    GPU run (2026-11-28, H200, channels-last, batch 32) reached 90 patches/s, about 5 TFLOP/s
    on a 17 GFLOP forward: far from the hardware, with the many depthwise and odd-width
    convolutions as the suspects. Returns (layout name, probe result or None)."""
    probe = None
    if probe_steps:
        fmts = FORMATS if args.channels_last < 0 else {k: v for k, v in FORMATS.items()
                                                      if (k == "channels_last") == bool(args.channels_last)}
        probe = speed_probe(model, data, args.batch, amp_dtype, device, probe_steps, args.seed, fmts,
                            out_dir if args.profile else None)
        timed = {k: v for k, v in probe["step_ms"].items() if v is not None}
        if args.channels_last < 0 and timed:
            probe["chosen"] = min(timed, key=timed.get)
    if probe and probe.get("chosen"):
        return probe["chosen"], probe
    if args.channels_last == 0 or (args.channels_last < 0 and device.type != "cuda"):
        return "contiguous", probe
    return "channels_last", probe


def make_optimizer(args, model, device):
    """AdamW, fused on CUDA where torch has it. Returns (optimizer, fused)."""
    if device.type == "cuda":
        try:
            return torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), weight_decay=args.wd,
                                     fused=True), True
        except (TypeError, RuntimeError):
            pass
    return torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), weight_decay=args.wd), False


def environment(device) -> dict:
    env = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
           "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
           "numpy": np.__version__}
    if device.type == "cuda":
        prop = torch.cuda.get_device_properties(device)
        env.update(gpu=prop.name, gpu_memory_gib=round(prop.total_memory / 2**30, 1), sm=f"{prop.major}.{prop.minor}")
    return env


class Compiled:
    """The module the steps run: the model itself, DDP around it under torchrun, or with
    --compile the whole model compiled (1) or each block (2, regional compilation: blocks of
    one level have the same shapes and share compiled code, so compiling costs a few block
    graphs instead of the whole network's; the pointwise fusion inside the blocks is the
    point). A failed compile falls back to eager (`uncompile`)."""

    def __init__(self, args, model, place: Placement, log):
        self.model, self.log = model, log
        self.module, self.compiled = model, False
        if place.dist is not None:
            from torch.nn.parallel import DistributedDataParallel as DDP
            self.module = DDP(model, device_ids=[place.local_rank] if place.device.type == "cuda" else None)
        self.blocks = [mod for mod in model.modules() if isinstance(mod, Block)]
        if args.compile:
            try:
                if args.compile == 2:
                    for blk in self.blocks:
                        blk.compile(dynamic=False)
                    self.module = model
                else:
                    self.module = torch.compile(model)
                self.compiled = True
            except Exception as e:  # noqa: BLE001
                self.uncompile()
                log({"event": "warning", "message": f"torch.compile failed ({type(e).__name__}: {e}); eager"})

    def uncompile(self):
        for blk in self.blocks:  # undoes nn.Module.compile (regional compilation)
            blk._compiled_call_impl = None
        self.module, self.compiled = self.model, False

    def keep_if_faster(self, args, data, layout: str, memory_format, probe, amp_dtype, device, probe_steps: int):
        """Probes the compiled model too (compiling happens here, on the real model, so a winner
        costs nothing more at the first step); keeps it only if it is faster than eager."""
        eager_ms = probe and probe["step_ms"].get(layout)
        if not (self.compiled and eager_ms):
            return
        prng = np.random.default_rng(args.seed + 2000)
        rec = {"event": "probe_compile", "layout": layout, "eager_step_ms": eager_ms}
        try:
            x, y = data.sample(prng, args.batch, memory_format)
            rec["compile_s"], rec["step_ms"] = time_passes(self.module, x, y, amp_dtype, device, probe_steps)
            if rec["step_ms"] >= eager_ms:
                self.uncompile()
        except Exception as e:  # noqa: BLE001
            rec["error"] = f"{type(e).__name__}: {str(e)[:500]}"
            self.uncompile()
        finally:
            self.model.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.empty_cache()
        rec["compiled"] = self.compiled
        self.log(rec)


# Why the loop stops, by code; under torchrun the largest code over the ranks wins.
STOPS = [None, "max_steps", "budget", "signal", "non-finite loss"]


class GPURun:
    """The training run's state (model, EMA, optimizer, counters, the wall-clock schedule)
    and its steps: one optimizer step, the first step (autotuning, out-of-memory retries), the
    stop decision, validation, the checkpoint and the summary."""

    def __init__(self, args, place: Placement, data, model, config, init, memory_format, amp_dtype, ckpt_path: str,
                 deadline: float, log):
        self.args, self.place, self.data, self.model, self.config, self.init = args, place, data, model, config, init
        self.memory_format, self.amp_dtype = memory_format, amp_dtype
        self.net: Compiled | None = None   # set once the EMA and optimizer hold the eager model
        self.device = place.device
        self.ckpt_path, self.deadline, self.log = ckpt_path, deadline, log
        self.ema = EMA(model, args.ema)
        self.opt, self.fused = make_optimizer(args, model, self.device)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=(amp_dtype == torch.float16))
        self.hw, self.env = hardware(self.device), environment(self.device)
        self.step, self.patches, self.wall, self.batch = 0, 0, 0.0, args.batch
        self.t_sched = None          # when the cosine started (after the warm-up)
        self.val_first = self.val_last = None
        self.stopped = None
        self.first_step_s = None
        self.good_ema = None         # the EMA at the last validation, restored after a non-finite loss
        self.saved_step = None
        self.stop_flag = None        # set by signals and by a non-finite loss

    def lr_now(self) -> float:
        """Linear warm-up over --warmup steps, then a cosine to --lr-min that ends at the deadline."""
        args = self.args
        if self.step < args.warmup:
            return args.lr * (self.step + 1) / args.warmup
        if self.t_sched is None:
            self.t_sched = time.time()
        span = max(1.0, self.deadline - self.t_sched)
        t = min(1.0, max(0.0, (time.time() - self.t_sched) / span))
        return args.lr_min + 0.5 * (args.lr - args.lr_min) * (1 + math.cos(math.pi * t))

    def train_step(self, x, y):
        lr = self.lr_now()
        loss, l1 = optimizer_step(self.net.module, self.model, self.opt, self.scaler, x, y, lr, self.amp_dtype,
                                  self.device, self.args.fft_weight, self.args.clip, loss_kind=self.args.loss)
        return loss.detach(), l1.detach(), lr

    def first_step(self, x, y):
        """The first step: compiles (if asked) and finds a batch that fits, halving it on out of
        memory; a compiled step that fails falls back to eager."""
        t0 = time.time()
        while True:
            try:
                res = self.train_step(x, y)
                if self.device.type == "cuda":
                    torch.cuda.synchronize()
                break
            except OOM:
                self.opt.zero_grad(set_to_none=True)
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                if self.batch <= 2:
                    raise
                self.batch //= 2
                self.log({"event": "warning", "message": f"out of memory: batch now {self.batch}"})
                x, y = x[:self.batch], y[:self.batch]
            except Exception as e:  # noqa: BLE001
                if not self.net.compiled:
                    raise
                self.log({"event": "warning", "message": f"compiled step failed ({type(e).__name__}: {str(e)[:500]}); eager"})
                self.net.uncompile()
                self.opt.zero_grad(set_to_none=True)
        self.first_step_s = round(time.time() - t0, 2)
        self.log({"event": "first_step", "seconds": self.first_step_s, "batch": self.batch, "compiled": self.net.compiled,
                  "max_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if self.device.type == "cuda" else None})
        return res

    def stop_code(self) -> int:
        """Why to stop (an index into STOPS); under torchrun the largest over the ranks, so every
        process leaves the loop at the same step (DDP's all-reduces would hang otherwise)."""
        code = 0
        if self.args.max_steps and self.step >= self.args.max_steps:
            code = 1
        if time.time() >= self.deadline:
            code = 2
        if self.stop_flag:
            code = 4 if self.stop_flag == "non-finite loss" else 3
        dist = self.place.dist
        if dist is not None:
            c = torch.tensor([code], dtype=torch.int64, device=self.device)
            dist.all_reduce(c, op=dist.ReduceOp.MAX)
            code = int(c.item())
        return code

    def save(self, reason: str) -> bool:
        """The EMA weights in float16 with the run's record, from rank 0; False (nothing written)
        when the EMA holds non-finite values."""
        if self.place.rank != 0:
            return True
        args = self.args
        self.ema.sync_ints()
        sd = {k: (v.detach().to("cpu", torch.float16) if v.dtype.is_floating_point else v.detach().cpu()).contiguous()
              for k, v in self.ema.module.state_dict().items()}
        bad = [k for k, v in sd.items() if v.dtype.is_floating_point and not torch.isfinite(v).all()]
        if bad:
            self.log({"event": "error", "message": f"EMA has non-finite values in {bad[:5]}; checkpoint not written"})
            return False
        a = dict(vars(args))
        a.update(batch=self.batch, patch=self.data.patch, steps=self.step, warmup=args.warmup,
                 schedule="linear warm-up, cosine on wall time to the deadline")
        init = self.init
        ck = {"config": self.config.to_dict(), "ema": sd, "ema_dtype": "float16", "step": init["steps"] + self.step,
              "wall": init["wall"] + self.wall, "patches": init["patches"] + self.patches, "session_steps": self.step,
              "init": init if args.init else None, "args": a, "hardware": self.hw,
              "saved": time.strftime("%Y-%m-%dT%H:%M:%S"), "source": "ram_training.gpu.train", "env": self.env,
              "amp": str(self.amp_dtype), "compiled": self.net.compiled,
              "pack": {k: self.data.meta.get(k) for k in ("format", "created", "counts", "index_sha256", "degrade_binary", "crop")},
              "reason": reason}
        tmp = self.ckpt_path + ".tmp"
        torch.save(ck, tmp)
        self.saved_step = self.step
        os.replace(tmp, self.ckpt_path)
        self.log({"event": "checkpoint", "step": self.step, "reason": reason, "path": self.ckpt_path,
                  "bytes": os.path.getsize(self.ckpt_path)})
        return True

    def validate(self):
        if not self.data.val or self.place.rank != 0:
            return
        t = time.time()
        self.ema.sync_ints()
        res = validate(self.ema.module, self.data.val, self.amp_dtype, self.device, self.args.val_batch,
                       self.memory_format)
        rec = {"event": "val", "step": self.step, "wall": round(self.wall, 1), **res, "seconds": round(time.time() - t, 2)}
        self.log(rec)
        if self.val_first is None:
            self.val_first = rec
        self.val_last = rec

    def loop(self, rng: np.random.Generator) -> int:
        """Trains until a stop code; returns the step of the last validation."""
        args, world = self.args, self.place.world
        set_train_mode(self.model, args.bn)
        self.validate()  # step 0: the identity map, i.e. the input PSNR
        win_loss = torch.zeros((), device=self.device)
        win_l1 = torch.zeros((), device=self.device)
        t_win, n_win = time.time(), 0
        last_val_step = 0
        while True:
            code = self.stop_code()
            if code:
                self.stopped = self.stop_flag if code >= 3 and self.stop_flag else STOPS[code]
                return last_val_step
            t0 = time.time()
            x, y = self.data.sample(rng, self.batch, self.memory_format)
            if self.step == 0:
                loss, l1, lr = self.first_step(x, y)
                t_win = time.time()
            else:
                loss, l1, lr = self.train_step(x, y)
            self.ema.update(self.init["steps"] + self.step)  # the decay's warm-up counts an --init run's steps too
            self.step += 1
            self.patches += self.batch * world
            self.wall += time.time() - t0
            if self.step > 1:  # the first step (autotuning, compiling) stays out of the throughput windows
                win_loss += loss
                win_l1 += l1
                n_win += 1
            if self.step % args.log_every == 0 and n_win:
                lv, l1v = win_loss.item() / n_win, win_l1.item() / n_win  # synchronises
                dt = time.time() - t_win
                if not math.isfinite(lv):
                    self.log({"event": "error", "step": self.step, "message": "non-finite loss; stopping with the last good EMA"})
                    if self.good_ema is not None:
                        with torch.no_grad():
                            torch._foreach_copy_(self.ema.f_dst, self.good_ema)
                    self.stop_flag = "non-finite loss"   # every rank stops at the top of the loop
                    continue
                self.log({"event": "train", "step": self.step, "loss": round(lv, 5), "l1": round(l1v, 5), "lr": lr,
                          "patches_per_s": round(n_win * self.batch * world / dt, 1), "wall": round(self.wall, 1),
                          "batch": self.batch, **({"world_size": world} if world > 1 else {})})
                win_loss.zero_()
                win_l1.zero_()
                t_win, n_win = time.time(), 0
            if self.step % args.val_every == 0:
                self.validate()
                self.save("periodic")
                self.good_ema = [t.clone() for t in self.ema.f_dst]
                last_val_step = self.step
                if self.place.dist is not None:
                    self.place.dist.barrier()   # the other ranks wait for rank 0's validation and checkpoint
                t_win = time.time()

    def ranks_in_sync(self):
        """Under torchrun: whether every rank ended with the same weights (None otherwise)."""
        dist = self.place.dist
        if dist is None:
            return None
        sums = params_checksum(self.model).to(self.device)
        gathered = [torch.zeros_like(sums) for _ in range(self.place.world)]
        dist.all_gather(gathered, sums)
        return all(torch.equal(g, gathered[0]) for g in gathered)

    def summary(self, saved: bool, layout: str, probe, in_sync) -> dict:
        args, data = self.args, self.data
        cuda = self.device.type == "cuda"
        name = os.path.basename(self.ckpt_path)
        return {
            "name": args.name, "checkpoint": name if saved else None, "stopped": self.stopped,
            "config": self.config.to_dict(), "parameters": count_parameters(self.model), "hardware": self.hw,
            "env": self.env, "amp": str(self.amp_dtype), "compiled": self.net.compiled,
            "channels_last": layout == "channels_last", "probe": probe, "fused_adamw": self.fused,
            "batch": self.batch, "world_size": self.place.world, "ranks_in_sync": in_sync, "patch": data.patch,
            "steps": self.step, "patches": self.patches, "train_wall_s": round(self.wall, 1),
            "process_s": round(time.time() - T0, 1), "first_step_s": self.first_step_s,
            "patches_per_s": round(self.patches / self.wall, 1) if self.wall else None,
            "max_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
            "pack_format": data.meta.get("format"),
            "pack_epochs": round(self.patches / max(1, data.n_items), 1),
            "pack_epochs_note": "patches per stored clean crop (degraded afresh each time)",
            "val_first": self.val_first and self.val_first["psnr_task"],
            "val_input": self.val_first and self.val_first["input_psnr_task"],
            "val_last": self.val_last and self.val_last["psnr_task"],
            "val_last_per_kind": self.val_last and self.val_last["psnr"],
            "val_note": "monitoring only: 96x96 (pack --val-crop) centre crops of data/pairs/val, EMA weights, bf16 autocast; "
                        "the real score is export's on the CPU",
            "export": f"python3 -m ram_training.export --checkpoint <copied back>/{name} --name {args.name} --threads 2",
            "args": vars(args),
        }


def leave_group(dist, run: GPURun) -> None:
    """Tear the process group down on every rank together, with nothing left holding it. Each rank
    first drops its DDP wrapper (its reducer holds the group) and the signal handlers (their
    closure holds the run), then waits at a barrier for rank 0's last validation and checkpoint,
    then destroys the group. Without it a rank now and then aborted at exit (std::terminate,
    exit -6) after the run had finished, most likely from the group being torn down while the
    interpreter finalised, and torchrun reported the whole run failed."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    run.net = None
    gc.collect()
    dist.barrier()
    dist.destroy_process_group()


def main(argv=None) -> int:
    args = build_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    where = place(args)
    if isinstance(where, int):
        return where
    device, rank = where.device, where.rank
    amp_dtype = choose_amp(args, device)
    probe_steps = args.probe_steps if args.probe_steps >= 0 else (5 if device.type == "cuda" else 0)
    out_dir = args.out or os.path.join(paths.RUNS, f"{args.name}-gpu")
    os.makedirs(out_dir, exist_ok=True)
    log = open_log(out_dir, rank)
    deadline = T0 + args.minutes * 60 - args.reserve_s

    if not os.path.exists(args.pack):
        log({"event": "error", "message": f"pack {args.pack} not found: build it with python3 -m ram_training.gpu.pack "
                                           "and carry data/gpu_pack.npz"})
        return 2
    torch.manual_seed(args.seed)   # the same initial weights on every rank (DDP broadcasts rank 0's anyway)
    np.random.seed(args.seed + rank)
    rng = np.random.default_rng(args.seed + rank)   # each rank its own batches
    t_load = time.time()
    data = load_pack(args.pack, device, args.patch, args.deadleaves, parse_task_weights(args.task_weights),
                     args.val_limit, args.seed + rank)
    load_s = time.time() - t_load

    model, config, init = build_model(args)
    layout, probe = choose_layout(args, model, data, amp_dtype, device, probe_steps, out_dir)
    memory_format = FORMATS[layout]
    if probe:
        log({"event": "probe", **probe, "layout": layout})
    model = model.to(device).to(memory_format=memory_format)
    run = GPURun(args, where, data, model, config, init, memory_format, amp_dtype,
                 os.path.join(out_dir, f"{args.name}.pt"), deadline, log)
    log({"event": "start", "world_size": where.world, "config": config.to_dict(), "parameters": count_parameters(model),
         "device": str(device), "amp": str(amp_dtype), "hardware": run.hw, "env": run.env, "args": vars(args),
         "patch": data.patch, "command": "python3 -m ram_training.gpu.train " + " ".join(sys.argv[1:] if argv is None else argv),
         "pid": os.getpid(), "pack": {"path": args.pack, "format": data.meta.get("format"),
                                      "bytes": os.path.getsize(args.pack), "load_s": round(load_s, 2),
                                      "counts": data.meta.get("counts"), "created": data.meta.get("created")},
         "train_pairs": data.counts(), "val_kinds": {k: len(v[0]) for k, v in (data.val or {}).items()}})

    def on_signal(signum, frame):
        run.stop_flag = f"signal {signum}"

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    run.net = Compiled(args, model, where, log)
    run.net.keep_if_faster(args, data, layout, memory_format, probe, amp_dtype, device, probe_steps)

    last_val_step = run.loop(rng)
    if device.type == "cuda":
        torch.cuda.synchronize()
    in_sync = run.ranks_in_sync()
    if rank != 0:
        leave_group(where.dist, run)
        return 0
    if run.step != last_val_step or run.val_last is None:
        run.validate()
    saved = run.saved_step == run.step or run.save(run.stopped or "done")
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(run.summary(saved, layout, probe, in_sync), f, indent=1)
    log({"event": "stop", "step": run.step, "wall": round(run.wall, 1), "process_s": round(time.time() - T0, 1),
         "stopped": run.stopped, **({"world_size": where.world, "ranks_in_sync": in_sync} if where.dist is not None else {})})
    if where.dist is not None:
        leave_group(where.dist, run)
    return 0 if saved else 1


if __name__ == "__main__":
    sys.exit(main())
