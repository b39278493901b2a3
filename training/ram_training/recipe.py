"""The training recipe that train (CPU) and gpu.train share: task names and weights, the
configuration presets, the losses, the EMA, one optimizer step, the learning-rate schedule,
RNG state for checkpoints, starting weights (--init) and a hardware line for logs."""

from __future__ import annotations

import copy
import json
import math
import os
import platform
import random

import numpy as np
import torch

from .data import TASKS
from .model import RAMConfig



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


class EMA:
    """Exponential moving average of a model: float state (parameters and float buffers)
    averaged with foreach kernels at every `update`, integer state (BatchNorm counters) copied
    by `sync_ints` before the average is used or saved. Bound to `model`'s tensors at
    construction (in-place loads keep them); shared by train and gpu.train."""

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
# 16.6 with the unscaled log-MSE; train logs it as grad_norm).
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
    step. Shared by train and gpu.train. Returns (loss, l1), and with per_sample also
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
    from its metadata) or a checkpoint with an "ema" entry (gpu.train's <name>.pt, or a
    train last.pt). "config" is the weights' RAMConfig; a --config given as `config_text`
    must be the same."""
    if not os.path.exists(path):
        raise SystemExit(f"--init {path}: no such file")
    if path.endswith(".safetensors"):
        from .weights import read_ram  # safetensors is needed only here
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
