#!/usr/bin/env python3
"""All-in-one RAM training on the pairs of training/make_pairs.py.

    python3 training/train.py [--name ram-small] [--config small] [--minutes 60] [--resume]

- Batches mix the five degradations (noise sigma 15/25/50, rain, haze, blur, low light): each
  patch draws its task uniformly (--task-weights), then a pair of that task (a dead-leaves
  pair with probability --deadleaves, else a photo pair), then a random crop of --patch
  pixels, a random horizontal flip, and for noise/blur/low light (whose recipe has no
  preferred direction) a random vertical flip and transpose. Rain streaks fall within 25 deg
  of vertical and haze depth grows toward the top, so those are only mirrored left-right.
- --fresh noise,lowlight: those tasks take only the clean crop of a pair and degrade it afresh
  on every draw (gpu/synth.py, the formulas of Degradation+Noise.swift, checked against
  `ram degrade` by gpu/test_synth.py; noise sigma drawn from make_pairs.py's levels, low-light
  level uniform over its range, both read by gpu/ramio.kind_census as the GPU kit does), so no
  noise pattern is ever seen twice.
- --big-patch P --big-prob q: a fraction q of the steps draw patches of P pixels of the
  --big-tasks (default haze, rain, low light: degradations whose cues are global, airlight
  and exposure) in a batch of --batch*(patch/P)^2 (at least 2), about the pixels of a normal
  step (one image per batch would make GatedDA's batch-statistics BatchNorm
  erase the per-image statistics its tau gate reads). 96-pixel patches already raised haze
  by 2.9 dB over 64-pixel ones.
- Loss: L1 + --fft-weight * L1 of the 2-D FFT (real and imaginary parts).
- --bn frozen: GatedDA's BatchNorm layers stay in eval mode while the rest trains, so they
  normalise with their running statistics (as inference does) and keep them; their scale and
  shift still learn. The default (batch) normalises each step's few mixed-task patches by
  their own statistics, which the shipped forward pass never sees (training/test_bn.py).
- AdamW (--lr, --wd, betas 0.9/0.999), linear warm-up then cosine to --lr-min at --steps
  (counted from --schedule-from, default 0: a stretch resumed at a later step can have its own).
- EMA of the weights (--ema; float buffers averaged too, BatchNorm counters copied).
  Validation and export use the EMA model in eval mode; BatchNorm inside GatedDA trains
  normally (batch statistics) in the live model.
- --init W starts a new run (no checkpoint to resume) from weights W: a shipped .safetensors
  or a GPU run's <name>.pt (training/gpu); fresh optimizer, step/wall/patches continue W's.
- Checkpoints (model, EMA, optimizer, step, RNG states, wall time, log position) go to
  training/checkpoints/<name>/last.pt every --ckpt-minutes, at the end, and on SIGTERM/SIGINT;
  --resume continues from it (a missing checkpoint starts fresh).
- Logs: training/runs/<name>/log.jsonl, JSON lines: {"event": "train", step, loss, lr,
  patches_per_s, l1_task, l1_input_task, ...} every --log-every steps (per task: the mean L1 of
  the output and of the degraded input over the window's patches) and {"event": "val", step, psnr: {kind: dB},
  psnr_task: {task: dB}, ...} every --val-every steps, on data/pairs/val (EMA weights,
  RGB PSNR in [0,1], outputs clamped).
- CPU by default with --threads torch threads; CUDA (and bf16/fp16 autocast) when a GPU is
  there and --device is auto or cuda.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import random
import signal
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ram import RAM, RAMConfig, count_parameters  # noqa: E402
from gpu import ramio, synth  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# "clean" is the identity task (make_pairs.py): the input is the clean crop itself, including the
# "looks degraded" clean variants (dark, low-contrast, desaturated), so the network learns to
# leave undegraded photos alone.
TASKS = ("noise", "rain", "haze", "blur", "lowlight", "clean")


def parse_task_weights(text: str) -> list[float]:
    """--task-weights: noise,rain,haze,blur,lowlight[,clean]; five values (the recipes from
    before the identity task) leave the clean task out (weight 0)."""
    w = [float(x) for x in text.split(",")]
    if len(w) == len(TASKS) - 1:
        w.append(0.0)
    if len(w) != len(TASKS) or min(w) < 0:
        raise SystemExit(f"--task-weights {text}: give {len(TASKS) - 1} or {len(TASKS)} non-negative numbers "
                         f"({','.join(TASKS)})")
    return w

PRESETS = {
    "d16-1112-r1": dict(dim=16, num_blocks=(1, 1, 1, 2), num_refinement=1),
    "d16-2222-r1": dict(dim=16, num_blocks=(2, 2, 2, 2), num_refinement=1),
    "d24-1223-r1": dict(dim=24, num_blocks=(1, 2, 2, 3), num_refinement=1),
    "paper": dict(dim=28, num_blocks=(3, 5, 5, 7), num_refinement=4),
}
# The shipped CPU model, chosen by measurement (equal-wall-time trials on this CPU, best mean
# validation PSNR; see training/README.md).
PRESETS["small"] = PRESETS["d16-1112-r1"]
DEFAULT_PRESET = "small"
DEFAULT_NAME = "ram-small"


def parse_config(text: str) -> RAMConfig:
    """A preset name, a JSON object, or 'dim=16,blocks=2-2-2-2,refinement=1[,heads=1-2-4-8]'."""
    text = text.strip()
    if text in PRESETS:
        return RAMConfig(**PRESETS[text])
    if text.startswith("{"):
        return RAMConfig.from_dict(json.loads(text))
    kw = {}
    for part in text.split(","):
        k, v = part.split("=", 1)
        k = k.strip()
        if k == "dim":
            kw["dim"] = int(v)
        elif k in ("blocks", "num_blocks"):
            kw["num_blocks"] = tuple(int(x) for x in v.replace("x", "-").split("-"))
        elif k in ("refinement", "num_refinement"):
            kw["num_refinement"] = int(v)
        elif k == "heads":
            kw["heads"] = tuple(int(x) for x in v.split("-"))
        elif k in ("ffn", "ffn_factor"):
            kw["ffn_factor"] = float(v)
        elif k in ("ff", "frequency_fusion"):
            kw["frequency_fusion"] = v.lower() in ("1", "true", "yes")
        else:
            raise ValueError(f"unknown config key {k!r}")
    return RAMConfig(**kw)


# --------------------------------------------------------------------------- data

class ImageCache:
    """Decoded uint8 HxWx3 arrays, least recently used evicted past a byte budget."""

    def __init__(self, root: str, budget_bytes: int):
        self.root, self.budget, self.used = root, budget_bytes, 0
        self.items: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, rel: str) -> np.ndarray:
        a = self.items.get(rel)
        if a is not None:
            self.items.move_to_end(rel)
            self.hits += 1
            return a
        self.misses += 1
        a = np.asarray(Image.open(os.path.join(self.root, rel)).convert("RGB"))
        self.items[rel] = a
        self.used += a.nbytes
        while self.used > self.budget and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.used -= old.nbytes
        return a


class PairSampler:
    def __init__(self, data: str, index: dict, patch: int, deadleaves: float, task_weights, cache_mb: int,
                 fresh=(), census: dict | None = None, cache: "ImageCache | None" = None):
        self.data, self.patch, self.deadleaves = data, patch, deadleaves
        # Tasks whose degraded patch is drawn afresh from the clean one each time (gpu/synth.py's
        # formulas, checked against `ram degrade` by gpu/test_synth.py) instead of read from a pair,
        # with make_pairs.py's noise levels and low-light range (`census`: ramio.kind_census()).
        self.fresh = set(fresh)
        if self.fresh and census is None:
            census = ramio.kind_census()
        self.census = census
        self.by_task = {t: {"photo": [], "deadleaves": []} for t in TASKS}
        for e in index["train"]:
            w, h = e["box"][2] - e["box"][0], e["box"][3] - e["box"][1]
            if min(w, h) < patch:
                continue
            self.by_task[e["task"]]["deadleaves" if e.get("source") == "deadleaves" else "photo"].append(e)
        self.tasks = [t for t in TASKS if self.by_task[t]["photo"] or self.by_task[t]["deadleaves"]]
        if not self.tasks:
            raise SystemExit("no training pairs (run make train-data)")
        tw = dict(zip(TASKS, task_weights))
        self.task_p = np.array([tw[t] for t in self.tasks], float)
        if not self.task_p.sum() > 0:
            raise SystemExit(f"no task with a positive weight has pairs of at least {patch} px")
        self.task_p /= self.task_p.sum()
        self.cache = cache or ImageCache(data, cache_mb << 20)

    def counts(self):
        return {t: {k: len(v) for k, v in d.items()} for t, d in self.by_task.items()}

    def sample(self, rng: np.random.Generator, batch: int):
        p = self.patch
        xs, ys, tasks = np.empty((batch, p, p, 3), np.uint8), np.empty((batch, p, p, 3), np.uint8), []
        for b in range(batch):
            task = self.tasks[rng.choice(len(self.tasks), p=self.task_p)]
            pools = self.by_task[task]
            pool = pools["deadleaves"] if (pools["deadleaves"] and (rng.random() < self.deadleaves or not pools["photo"])) else pools["photo"]
            e = pool[rng.integers(len(pool))]
            clean = self.cache.get(e["clean"])
            deg = clean if task in self.fresh else self.cache.get(e["degraded"])
            h, w = clean.shape[:2]
            y0, x0 = rng.integers(0, h - p + 1), rng.integers(0, w - p + 1)
            c, d = clean[y0:y0 + p, x0:x0 + p], deg[y0:y0 + p, x0:x0 + p]
            if rng.random() < 0.5:
                c, d = c[:, ::-1], d[:, ::-1]
            if task in ("noise", "blur", "lowlight", "clean"):
                if rng.random() < 0.5:
                    c, d = c[::-1], d[::-1]
                if rng.random() < 0.5:
                    c, d = c.transpose(1, 0, 2), d.transpose(1, 0, 2)
            xs[b], ys[b] = d, c
            tasks.append(task)
        to_t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float().div_(255)  # noqa: E731
        x, y = to_t(xs), to_t(ys)
        for task in self.fresh & set(tasks):
            rows = torch.tensor([i for i, t in enumerate(tasks) if t == task])
            if task == "noise":
                sig = torch.from_numpy(rng.choice(np.array(self.census["noise_sigmas"]), len(rows))).float()
                x[rows] = synth.quantise8(synth.noise(y[rows], sig))
            elif task == "lowlight":
                lo, hi = self.census["lowlight_min"], self.census["lowlight_max"]
                lev = torch.from_numpy(rng.uniform(lo, hi, len(rows))).float()
                x[rows] = synth.quantise8(synth.lowlight(y[rows], lev))
        return x, y, tasks


def load_val(data: str, index: dict, limit_per_kind: int = 0):
    """{kind: (degraded (N,3,H,W), clean (N,3,H,W))} in [0,1]."""
    out = {}
    for e in index["val"]:
        out.setdefault(e["kind"], []).append(e)
    res = {}
    for kind, es in out.items():
        es = sorted(es, key=lambda e: e["clean"])
        if limit_per_kind:
            es = es[:limit_per_kind]
        load = lambda rel: torch.from_numpy(np.asarray(Image.open(os.path.join(data, rel)).convert("RGB")).copy()).permute(2, 0, 1).float() / 255  # noqa: E731
        res[kind] = (torch.stack([load(e["degraded"]) for e in es]), torch.stack([load(e["clean"]) for e in es]))
    return res


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image RGB PSNR in dB, images in [0,1], shape (N,3,H,W)."""
    mse = ((a - b) ** 2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(1 / mse)


@torch.no_grad()
def validate(model, val, device, batch: int = 8, amp_dtype=None, memory_format=torch.contiguous_format, harm=None):
    """PSNR of the model's output and of the input per kind, and the output's per task.
    Batches run on `device`; outputs come back to wherever the clean images are. A dict given
    as `harm` receives per kind the worst photo's gain and the share of photos made worse
    (for "clean", the worst photo's PSNR)."""
    model.eval()
    per_kind, per_kind_in = {}, {}
    harm = {} if harm is None else harm
    for kind, (deg, clean) in val.items():
        outs = []
        for i in range(0, len(deg), batch):
            x = deg[i:i + batch].to(device).contiguous(memory_format=memory_format)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                y = model(x)
            outs.append(y.float().clamp(0, 1).to(clean.device))
        out = torch.cat(outs)
        p_out, p_in = psnr(out, clean), psnr(deg, clean)
        per_kind[kind] = float(p_out.mean())
        per_kind_in[kind] = float(p_in.mean())
        # Harm: the worst photo's gain over its input and the share of photos made worse. For
        # "clean" (input = target, PSNR infinite) the worst photo's PSNR stands for both.
        if kind == "clean":
            harm[kind] = {"worst_psnr": round(float(p_out.min()), 3)}
        else:
            gain = p_out - p_in
            harm[kind] = {"worst_gain": round(float(gain.min()), 3), "worse_share": round(float((gain < 0).float().mean()), 3)}
    per_task = {}
    for kind, v in per_kind.items():
        per_task.setdefault(kind.split(":")[0], []).append(v)
    return per_kind, {t: sum(v) / len(v) for t, v in per_task.items()}, per_kind_in


# --------------------------------------------------------------------------- model bits

class EMA:
    """Exponential moving average of a model: float state (parameters and float buffers)
    averaged with foreach kernels at every `update`, integer state (BatchNorm counters) copied
    by `sync_ints` before the average is used or saved. Bound to `model`'s tensors at
    construction (in-place loads keep them); shared by train.py and gpu/train_gpu.py."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        src, dst = model.state_dict(), self.module.state_dict()
        self.f_src = [src[k] for k in dst if dst[k].dtype.is_floating_point]
        self.f_dst = [dst[k] for k in dst if dst[k].dtype.is_floating_point]
        self.i_src = [src[k] for k in dst if not dst[k].dtype.is_floating_point]
        self.i_dst = [dst[k] for k in dst if not dst[k].dtype.is_floating_point]

    @torch.no_grad()
    def update(self, step: int):
        # Warm-up (as timm/Restormer-style EMAs): early on the average follows the model faster.
        d = min(self.decay, (1 + step) / (10 + step))
        torch._foreach_lerp_(self.f_dst, self.f_src, 1 - d)

    @torch.no_grad()
    def sync_ints(self):
        for a, b in zip(self.i_dst, self.i_src):
            a.copy_(b)


def fft_l1(a, b):
    # Orthonormal FFT: a coefficient of white noise has the same size as a pixel of it, so the
    # weight is comparable with the L1 term. |complex difference| averaged over coefficients.
    fa, fb = torch.fft.rfft2(a.float(), norm="ortho"), torch.fft.rfft2(b.float(), norm="ortho")
    return (fa - fb).abs().mean()


# --loss psnr: PSNR_SCALE x the mean over patches of ln(MSE + PSNR_EPS), i.e. minus each patch's
# PSNR up to constants. Its gradient for a patch is that of its MSE divided by the MSE, so every
# patch counts by its relative error, as the mean per-task PSNR that evaluation reports does
# (with L1 a blur patch, whose error is a tenth of a low-light one, pulls a tenth as hard).
# The scale brings the gradient norm near L1's, so the clip at 1 acts as it did (measured
# on 8 mixed batches of 4x96² from the shipped weights: median pre-clip norm 0.80 with L1+FFT,
# 16.6 with the unscaled log-MSE; train.py logs it as grad_norm).
PSNR_EPS = 1e-6
PSNR_SCALE = 0.05


def psnr_loss(out, y):
    mse = ((out - y) ** 2).mean(dim=(1, 2, 3))
    return PSNR_SCALE * torch.log(mse + PSNR_EPS).mean()


def set_train_mode(model: torch.nn.Module, bn: str = "batch") -> None:
    """model.train(), and with bn == "frozen" every BatchNorm back in eval mode: it normalises
    with its running statistics (the inference forward pass) and no longer updates them, while
    its scale and shift still get gradients. Batch statistics of a few mixed-task patches
    differ from the running ones the shipped model uses, so what batch-mode training improves
    is not exactly what inference computes."""
    model.train()
    if bn == "frozen":
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()


def optimizer_step(train_model, model, opt, scaler, x, y, lr, amp_dtype, device, fft_weight, clip, per_sample=False,
                   loss_kind: str = "l1"):
    """One AdamW step on the batch (x, y): autocast forward, the loss (L1, or with loss_kind "psnr"
    the per-patch log-MSE of psnr_loss) + fft_weight x FFT L1, scaled backward, gradient clip,
    step. Shared by train.py and gpu/train_gpu.py. Returns (loss, l1), and with per_sample also
    each patch's L1 (detached), for per-task logs, and the gradient norm before the clip (a tensor,
    None without clip; not read here, since float() would make a CUDA run wait on every step)."""
    for g in opt.param_groups:
        g["lr"] = lr
    with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
        out = train_model(x)
    out = out.float()
    l1 = (out - y).abs().mean()
    base = psnr_loss(out, y) if loss_kind == "psnr" else l1
    loss = base + fft_weight * fft_l1(out, y) if fft_weight else base
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    grad_norm = None
    if clip:
        scaler.unscale_(opt)
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    scaler.step(opt)
    scaler.update()
    if per_sample:
        return loss, l1, (out.detach() - y).abs().mean(dim=(1, 2, 3)), grad_norm
    return loss, l1


def load_init(path: str, config_text: str | None = None) -> dict:
    """Weights to start a run from (--init): a shipped .safetensors (configuration and history
    from its metadata) or a checkpoint with an "ema" entry (gpu/train_gpu.py's <name>.pt, or a
    train.py last.pt). "config" is the weights' RAMConfig; a --config given as `config_text`
    must be the same."""
    if not os.path.exists(path):
        raise SystemExit(f"--init {path}: no such file")
    if path.endswith(".safetensors"):
        from safetensors_util import read_ram
        sd, cfg, card = read_ram(path)
        tr = (card or {}).get("training", {})
        init = {"path": path, "weights": sd, "config": cfg, "step": int(tr.get("steps") or 0),
                "wall": float(tr.get("wall_seconds") or 0.0), "patches": int(tr.get("patches_seen") or 0)}
    else:
        prev = torch.load(path, map_location="cpu", weights_only=False)
        if "ema" not in prev or "config" not in prev:
            raise SystemExit(f"--init {path}: not a checkpoint with EMA weights and a configuration")
        init = {"path": path, "weights": prev["ema"], "config": RAMConfig.from_dict(prev["config"]),
                "step": int(prev.get("step", 0)), "wall": float(prev.get("wall", 0.0)), "patches": int(prev.get("patches", 0))}
    if config_text and parse_config(config_text).to_dict() != init["config"].to_dict():
        raise SystemExit(f"--init {path}: configuration {init['config'].to_dict()} differs from "
                         f"--config {config_text} ({parse_config(config_text).to_dict()})")
    return init


def lr_at(step: int, args) -> float:
    """Linear warm-up over --warmup steps, then cosine to --lr-min at --steps; both counted from
    --schedule-from (0: the run's first step; a later step starts a new stretch's own schedule)."""
    s, total = max(0, step - args.schedule_from), args.steps - args.schedule_from
    if s < args.warmup:
        return args.lr * (s + 1) / args.warmup
    t = min(1.0, (s - args.warmup) / max(1, total - args.warmup))
    return args.lr_min + 0.5 * (args.lr - args.lr_min) * (1 + math.cos(math.pi * t))


def rng_state():
    st = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def set_rng_state(st):
    random.setstate(st["python"])
    np.random.set_state(st["numpy"])
    torch.set_rng_state(st["torch"])
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(st["cuda"])


def hardware(device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA)"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {torch.get_num_threads()} torch thread(s)"


# --------------------------------------------------------------------------- main

def build_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--name", default=DEFAULT_NAME, help=f"run name (default {DEFAULT_NAME})")
    ap.add_argument("--config", default=None,
                    help=f"preset ({', '.join(PRESETS)}; default {DEFAULT_PRESET}), JSON, or dim=16,blocks=2-2-2-2,refinement=1")
    ap.add_argument("--data", default=os.path.join(REPO, "data"))
    ap.add_argument("--runs", default=os.path.join(HERE, "runs"))
    ap.add_argument("--checkpoints", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--resume", action="store_true", help="continue from checkpoints/<name>/last.pt if it exists")
    ap.add_argument("--minutes", type=float, default=0, help="stop after this much wall time in this process (0 = until --steps)")
    ap.add_argument("--steps", type=int, default=100_000, help="total steps; the cosine schedule ends here")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--patch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--lr-min", type=float, default=1e-6)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--init", default="", help="start from these weights when there is no checkpoint to resume: a "
                    "shipped .safetensors or a GPU run's <name>.pt (fresh optimizer; step, wall time and patches "
                    "continue theirs; the schedule starts at that step unless --schedule-from says otherwise)")
    ap.add_argument("--schedule-from", type=int, default=None,
                    help="step at which the warm-up and cosine start (default: a resumed run's own, or the step "
                         "a grown checkpoint was grown at; the --init weights' step; else 0); give it to start a "
                         "new stretch with a whole schedule of its own")
    ap.add_argument("--clip", type=float, default=1.0, help="gradient norm clip (0 = off)")
    ap.add_argument("--fft-weight", type=float, default=0.1)
    ap.add_argument("--loss", default="l1", choices=["l1", "psnr"],
                    help="l1, or psnr: per patch ln(MSE), each patch weighted by its relative error (see psnr_loss)")
    ap.add_argument("--bn", default="batch", choices=["batch", "frozen"],
                    help="GatedDA's BatchNorm while training: batch (batch statistics, running ones updated) or "
                         "frozen (the running statistics, as inference uses them, left unchanged; scale and shift "
                         "still learn), so the trained forward pass is the shipped one")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--deadleaves", type=float, default=0.2, help="probability that a patch comes from dead leaves")
    ap.add_argument("--task-weights", default="1,1,1,1,1,0", help="noise,rain,haze,blur,lowlight[,clean] (five values: "
                    "clean 0, the recipes from before the identity task)")
    ap.add_argument("--fresh", default="", help="tasks degraded afresh each draw instead of read from pairs: "
                    "noise and/or lowlight, comma-separated (default none)")
    ap.add_argument("--big-patch", type=int, default=0, help="side of the large patches of --big-prob steps (0 = off)")
    ap.add_argument("--big-prob", type=float, default=0.0, help="fraction of steps that draw --big-patch patches, "
                    "batch --batch*(patch/big-patch)^2 (at least 2), so every step sees about as many pixels")
    ap.add_argument("--big-tasks", default="haze,rain,lowlight",
                    help="tasks of the large-patch steps (their --task-weights apply); those whose cues are global")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--amp", default="auto", choices=["auto", "off", "bf16", "fp16"], help="autocast on CUDA")
    ap.add_argument("--compile", type=int, default=0,
                    help="1 = torch.compile the training model and use channels-last tensors (faster on CPU after a warm-up)")
    ap.add_argument("--workers", type=int, default=0, help="(reserved) data is sampled in-process")
    ap.add_argument("--cache-mb", type=int, default=1024, help="decoded-image cache budget")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--val-every", type=int, default=3000)
    ap.add_argument("--val-limit", type=int, default=12, help="validate on the first N photos per kind (0 = all; export scores all)")
    ap.add_argument("--ckpt-minutes", type=float, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pid-file", default="", help="write this process's id here while it runs (a benchmark pauses "
                    "the run with kill -STOP and resumes it with kill -CONT); removed at exit")
    ap.add_argument("--init-identity", type=int, default=1, help="zero-initialise the output conv (default 1)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = build_args(argv)
    torch.set_num_threads(max(1, args.threads))
    device = torch.device("cuda" if (args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())) else "cpu")
    amp_dtype = None
    if device.type == "cuda" and args.amp != "off":
        amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.amp) or (
            torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    task_weights = parse_task_weights(args.task_weights)

    ckpt_dir = os.path.join(args.checkpoints, args.name)
    run_dir = os.path.join(args.runs, args.name)
    os.makedirs(ckpt_dir, exist_ok=True)
    os.makedirs(run_dir, exist_ok=True)
    ckpt_path = os.path.join(ckpt_dir, "last.pt")

    ckpt, init = None, None
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        config = RAMConfig.from_dict(ckpt["config"])
        if args.config and parse_config(args.config).to_dict() != config.to_dict():
            raise SystemExit(f"--config {args.config} differs from the checkpoint's {config.to_dict()}; use another --name")
    elif args.init:
        init = load_init(args.init, args.config)
        config = init["config"]
    else:
        config = parse_config(args.config or DEFAULT_PRESET)
    if args.schedule_from is None:
        # Unset: a resumed run keeps its stretch's schedule (a grown checkpoint's starts at the
        # growth), a run started from --init weights gets a schedule of its own from their step.
        if ckpt is not None:
            args.schedule_from = max(int(ckpt.get("args", {}).get("schedule_from") or 0),
                                     int((ckpt.get("grown") or {}).get("step") or 0))
        else:
            args.schedule_from = init["step"] if init is not None else 0

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    model = RAM(config)
    if args.init_identity:
        # Start as the identity map (output = input): the last conv's weights are zero, so the
        # first steps refine the input instead of undoing a random residual. Initialisation only;
        # the network is unchanged.
        torch.nn.init.zeros_(model.output.weight)
    model = model.to(device)
    if args.compile:
        model = model.to(memory_format=torch.channels_last)
    ema = EMA(model, args.ema)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), weight_decay=args.wd)
    scaler = torch.amp.GradScaler("cuda", enabled=(amp_dtype == torch.float16))
    step, wall, patches_total = 0, 0.0, 0
    data_rng = np.random.default_rng(args.seed)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        ema.module.load_state_dict(ckpt["ema"])
        opt.load_state_dict(ckpt["optimizer"])
        if "scaler" in ckpt and scaler.is_enabled():
            scaler.load_state_dict(ckpt["scaler"])
        step, wall, patches_total = ckpt["step"], ckpt["wall"], ckpt.get("patches", 0)
        set_rng_state(ckpt["rng"])
        data_rng.bit_generator.state = ckpt["data_rng"]
        ema.module.to(device)
    elif init is not None:
        # Both the live and the EMA weights start from the given (EMA) weights; the optimizer
        # starts fresh; step, wall time and patches continue the weights' own history.
        weights = {k: v.float() if v.is_floating_point() else v for k, v in init["weights"].items()}
        model.load_state_dict(weights)
        ema.module.load_state_dict(weights)
        ema.module.to(device)
        step, wall, patches_total = init["step"], init["wall"], init["patches"]

    with open(os.path.join(args.data, "pairs", "index.json")) as f:
        index = json.load(f)
    fresh = [t for t in args.fresh.split(",") if t]
    if set(fresh) - {"noise", "lowlight"}:
        raise SystemExit(f"--fresh: only noise and lowlight can be drawn afresh, not {sorted(set(fresh) - {'noise', 'lowlight'})}")
    sampler = PairSampler(args.data, index, args.patch, args.deadleaves, task_weights, args.cache_mb, fresh)
    big_sampler, big_batch = None, 0
    if args.big_patch and args.big_prob > 0:
        big = set(t for t in args.big_tasks.split(",") if t)
        big_weights = [w if t in big else 0.0 for t, w in zip(TASKS, task_weights)]
        big_sampler = PairSampler(args.data, index, args.big_patch, args.deadleaves, big_weights, args.cache_mb,
                                  fresh, census=sampler.census, cache=sampler.cache)
        # At least 2: GatedDA's BatchNorm trains on batch statistics, and with one image per batch
        # it would normalise away the per-image mean and spread that drive its tau gate.
        big_batch = max(2, round(args.batch * (args.patch / args.big_patch) ** 2))
    val = load_val(args.data, index, args.val_limit)

    log_path = os.path.join(run_dir, "log.jsonl")
    logf = open(log_path, "a")

    def log(rec):
        rec = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), **rec}
        logf.write(json.dumps(rec) + "\n")
        logf.flush()
        print(json.dumps(rec), flush=True)

    grown = ckpt.get("grown") if ckpt is not None else None  # training/grow.py's record, kept in every checkpoint
    if init is not None:
        log_init = {"path": init["path"], "step": init["step"]}
    else:
        log_init = ckpt.get("init") if ckpt is not None else None  # where the run's weights came from (--init)
    cmd = "python3 training/train.py " + " ".join(sys.argv[1:] if argv is None else argv)
    # Not stored as settings of the run: each resume says its loss and BatchNorm mode (the card's
    # continue_training does); a resume under other ones says so.
    for key, default in (("loss", "l1"), ("bn", "batch")):
        before = (ckpt or {}).get("args", {}).get(key, default)
        if ckpt is not None and before != getattr(args, key):
            print(f"note: resuming a run last trained with --{key} {before} under --{key} {getattr(args, key)}",
                  file=sys.stderr, flush=True)
    log({"event": "start", "step": step, "resumed": ckpt is not None, "config": config.to_dict(),
         "parameters": count_parameters(model), "device": str(device), "amp": str(amp_dtype),
         "hardware": hardware(device), "args": vars(args), "command": cmd, "pid": os.getpid(),
         "train_pairs": sampler.counts(), "val_kinds": {k: len(v[0]) for k, v in val.items()},
         **({"grown": grown} if grown else {}), **({"init": log_init} if log_init else {})})

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
        print(f"signal {signum}: checkpointing after this step", flush=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.pid_file:
        with open(args.pid_file + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(args.pid_file + ".tmp", args.pid_file)

        def drop_pid_file():
            try:
                with open(args.pid_file) as f:
                    if f.read().strip() == str(os.getpid()):
                        os.remove(args.pid_file)
            except OSError:
                pass
        import atexit
        atexit.register(drop_pid_file)

    def save_ckpt(reason):
        ema.sync_ints()
        state = {"config": config.to_dict(), "model": model.state_dict(), "ema": ema.module.state_dict(),
                 "optimizer": opt.state_dict(), "step": step, "wall": wall, "patches": patches_total,
                 "rng": rng_state(), "data_rng": data_rng.bit_generator.state, "args": vars(args),
                 "hardware": hardware(device), "saved": time.strftime("%Y-%m-%dT%H:%M:%S")}
        if scaler.is_enabled():
            state["scaler"] = scaler.state_dict()
        if grown:
            state["grown"] = grown
        if log_init:
            state["init"] = log_init
        tmp = ckpt_path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, ckpt_path)
        log({"event": "checkpoint", "step": step, "reason": reason, "path": os.path.relpath(ckpt_path, REPO)})

    def run_val():
        t = time.time()
        ema.sync_ints()
        harm = {}
        per_kind, per_task, per_kind_in = validate(ema.module, val, device, amp_dtype=amp_dtype, harm=harm)
        rec = {"event": "val", "step": step, "wall": round(wall, 1), "psnr_task": {k: round(v, 3) for k, v in per_task.items()},
               "psnr": {k: round(v, 3) for k, v in per_kind.items()},
               "input_psnr": {k: round(v, 3) for k, v in per_kind_in.items() if math.isfinite(v) and v < 100},
               "harm": harm, "seconds": round(time.time() - t, 1)}
        log(rec)
        with open(os.path.join(run_dir, "last_val.json"), "w") as f:
            json.dump(rec, f, indent=1)

    # The compiled module shares its parameters with `model`, so checkpoints, EMA and export keep
    # using `model` (no "_orig_mod." prefixes).
    train_model = torch.compile(model) if args.compile else model
    memory_format = torch.channels_last if args.compile else torch.contiguous_format

    t_start = time.time()
    t_ckpt = time.time()
    t_win, n_win, loss_win, l1_win, gn_win = time.time(), 0, 0.0, 0.0, 0.0
    n_patches_win = px_win = 0
    task_win = {}
    set_train_mode(model, args.bn)
    while step < args.steps and not stop["flag"]:
        if args.minutes and time.time() - t_start > args.minutes * 60:
            break
        t0 = time.time()
        if big_sampler is not None and data_rng.random() < args.big_prob:
            x, y, tasks = big_sampler.sample(data_rng, big_batch)
        else:
            x, y, tasks = sampler.sample(data_rng, args.batch)
        x = x.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        y = y.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        lr = lr_at(step, args)
        loss, l1, l1_each, grad_norm = optimizer_step(train_model, model, opt, scaler, x, y, lr, amp_dtype, device,
                                           args.fft_weight, args.clip, per_sample=True, loss_kind=args.loss)
        gn_win += float(grad_norm) if grad_norm is not None else math.nan
        # Per task: the output's L1 and the input's (the degraded patch against the clean one).
        in_each = (x - y).abs().mean(dim=(1, 2, 3))
        for t, a_, b_ in zip(tasks, l1_each.tolist(), in_each.tolist()):
            acc = task_win.setdefault(t, [0.0, 0.0, 0])
            acc[0] += a_
            acc[1] += b_
            acc[2] += 1
        ema.update(step)
        step += 1
        patches_total += len(tasks)
        wall += time.time() - t0
        n_win += 1
        n_patches_win += len(tasks)
        px_win += x.numel() // 3
        loss_v = loss.item()
        loss_win += loss_v
        l1_win += l1.item()
        if not math.isfinite(loss_v):
            log({"event": "error", "step": step, "message": "non-finite loss; stopping without checkpoint"})
            return 1
        if step % args.log_every == 0:
            dt = time.time() - t_win
            log({"event": "train", "step": step, "loss": round(loss_win / n_win, 5), "l1": round(l1_win / n_win, 5),
                 "grad_norm": round(gn_win / n_win, 4) if math.isfinite(gn_win) else None, "lr": lr, "patches_per_s": round(n_patches_win / dt, 2), "pixels_per_s": round(px_win / dt), "wall": round(wall, 1),
                 "cache_hit": round(sampler.cache.hits / max(1, sampler.cache.hits + sampler.cache.misses), 3),
                 "l1_task": {t: round(v[0] / v[2], 5) for t, v in sorted(task_win.items())},
                 "l1_input_task": {t: round(v[1] / v[2], 5) for t, v in sorted(task_win.items())}})
            t_win, n_win, loss_win, l1_win, gn_win = time.time(), 0, 0.0, 0.0, 0.0
            n_patches_win = px_win = 0
            task_win.clear()
        if step % args.val_every == 0:
            run_val()
            t_win = time.time()  # throughput windows exclude validation
        if time.time() - t_ckpt > args.ckpt_minutes * 60:
            save_ckpt("periodic")
            t_ckpt = time.time()
    save_ckpt("signal" if stop["flag"] else ("done" if step >= args.steps else "budget"))
    if not stop["flag"] and step % args.val_every != 0:
        run_val()
    log({"event": "stop", "step": step, "wall": round(wall, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
