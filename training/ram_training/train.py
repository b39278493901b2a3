"""All-in-one RAM training on the CPU, on the pairs of ram_training.data.pairs.

    python3 -m ram_training.train [--name ram-small] [--config small] [--minutes 60] [--resume]

- Batches mix the degradations (noise sigma 15/25/50, rain, haze, blur, low light) and the
  identity task "clean": each patch draws its task by --task-weights, then a pair of that task
  (a dead-leaves pair with probability --deadleaves, else a photo pair), then a random crop of
  --patch pixels, a random horizontal flip, and for noise/blur/low light/clean (whose recipe
  has no preferred direction) a random vertical flip and transpose. Rain streaks fall within
  25 deg of vertical and haze depth grows toward the top, so those are only mirrored left-right.
- --big-patch P --big-prob q: a fraction q of the steps draw patches of P pixels of the
  --big-tasks (default haze, rain, low light: degradations whose cues are global, airlight
  and exposure) in a batch of --batch*(patch/P)^2 (at least 2), about the pixels of a normal
  step (one image per batch would make GatedDA's batch-statistics BatchNorm
  erase the per-image statistics its tau gate reads).
- Loss: L1 (or with --loss psnr each patch's ln(MSE)) + --fft-weight * L1 of the 2-D FFT.
- --bn frozen: GatedDA's BatchNorm layers stay in eval mode while the rest trains, so they
  normalise with their running statistics (as inference does) and keep them; their scale and
  shift still learn. The default (batch) normalises each step's few mixed-task patches by
  their own statistics, which the shipped forward pass never sees (tests/test_bn.py).
- AdamW (--lr, --wd, betas 0.9/0.999), linear warm-up then cosine to --lr-min at --steps
  (counted from --schedule-from, default 0: a stretch resumed at a later step can have its own).
- EMA of the weights (--ema; float buffers averaged too, BatchNorm counters copied).
  Validation and export use the EMA model in eval mode. The output conv starts at zero, so the
  untrained network is the identity.
- --init W starts a new run (no checkpoint to resume) from weights W: a shipped .safetensors
  or a GPU run's <name>.pt (ram_training.gpu.train); fresh optimizer, step/wall/patches
  continue W's.
- Checkpoints (model, EMA, optimizer, step, RNG states, wall time) go to
  training/checkpoints/<name>/last.pt every --ckpt-minutes, at the end, and on SIGTERM/SIGINT;
  --resume continues from it (a missing checkpoint starts afresh).
- Logs: training/runs/<name>/log.jsonl, JSON lines: {"event": "train", step, loss, lr,
  patches_per_s, l1_task, l1_input_task, ...} every --log-every steps (per task: the mean L1 of
  the output and of the degraded input over the window's patches) and {"event": "val", step,
  psnr: {kind: dB}, psnr_task: {task: dB}, harm, ...} every --val-every steps, on
  data/pairs/val (EMA weights, RGB PSNR in [0,1], outputs clamped).
- CPU by default with --threads torch threads; CUDA (and bf16/fp16 autocast) when a GPU is
  there and --device is auto or cuda.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import random
import signal
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch

from . import paths
from .data.sampling import PairSampler, load_val
from .model import RAM, RAMConfig, count_parameters
from .recipe import (DEFAULT_NAME, DEFAULT_PRESET, EMA, PRESETS, TASKS, hardware, load_init, lr_at, optimizer_step,
                     parse_config, parse_task_weights, rng_state, set_rng_state, set_train_mode)
from .validation import validate


def build_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--name", default=DEFAULT_NAME, help=f"run name (default {DEFAULT_NAME})")
    ap.add_argument("--config", default=None,
                    help=f"preset ({', '.join(PRESETS)}; default {DEFAULT_PRESET}), JSON, or dim=16,blocks=2-2-2-2,refinement=1")
    ap.add_argument("--data", default=paths.DATA)
    ap.add_argument("--runs", default=paths.RUNS)
    ap.add_argument("--checkpoints", default=paths.CHECKPOINTS)
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
    ap.add_argument("--cache-mb", type=int, default=1024, help="decoded-image cache budget")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--val-every", type=int, default=3000)
    ap.add_argument("--val-limit", type=int, default=12, help="validate on the first N photos per kind (0 = all; export scores all)")
    ap.add_argument("--ckpt-minutes", type=float, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pid-file", default="", help="write this process's id here while it runs (a benchmark pauses "
                    "the run with kill -STOP and resumes it with kill -CONT); removed at exit")
    return ap.parse_args(argv)


@dataclass
class Start:
    """Where a run starts: a checkpoint to resume, weights to start from (--init), or nothing."""
    config: RAMConfig
    ckpt: dict | None = None
    init: dict | None = None


def choose_start(args, ckpt_path: str) -> Start:
    """Resume (--resume and a checkpoint), --init weights, or a fresh --config; fills in
    args.schedule_from when it was not given."""
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        start = Start(RAMConfig.from_dict(ckpt["config"]), ckpt=ckpt)
        if args.config and parse_config(args.config).to_dict() != start.config.to_dict():
            raise SystemExit(f"--config {args.config} differs from the checkpoint's {start.config.to_dict()}; "
                             "use another --name")
    elif args.init:
        init = load_init(args.init, args.config)
        start = Start(init["config"], init=init)
    else:
        start = Start(parse_config(args.config or DEFAULT_PRESET))
    if args.schedule_from is None:
        # Unset: a resumed run keeps its stretch's schedule (a grown checkpoint's starts at the
        # growth), a run started from --init weights gets a schedule of its own from their step.
        if start.ckpt is not None:
            args.schedule_from = max(int(start.ckpt.get("args", {}).get("schedule_from") or 0),
                                     int((start.ckpt.get("grown") or {}).get("step") or 0))
        else:
            args.schedule_from = start.init["step"] if start.init is not None else 0
    return start


def choose_device(args):
    device = torch.device("cuda" if (args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()))
                          else "cpu")
    amp_dtype = None
    if device.type == "cuda" and args.amp != "off":
        amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.amp) or (
            torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    return device, amp_dtype


class Trainer:
    """The model, its EMA, the optimizer and the run's counters, with what a step, a
    checkpoint and a validation do to them."""

    def __init__(self, args, start: Start, device, amp_dtype, ckpt_path: str, log):
        self.args, self.device, self.amp_dtype, self.ckpt_path, self.log = args, device, amp_dtype, ckpt_path, log
        self.config = start.config
        random.seed(args.seed)
        np.random.seed(args.seed)
        torch.manual_seed(args.seed)
        model = RAM(self.config)
        # Start as the identity map (output = input): the last conv's weights are zero, so the
        # first steps refine the input instead of undoing a random residual. Initialisation only;
        # the network is unchanged.
        torch.nn.init.zeros_(model.output.weight)
        model = model.to(device)
        if args.compile:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.ema = EMA(model, args.ema)
        self.opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), weight_decay=args.wd)
        self.scaler = torch.amp.GradScaler("cuda", enabled=(amp_dtype == torch.float16))
        self.step, self.wall, self.patches = 0, 0.0, 0
        self.data_rng = np.random.default_rng(args.seed)
        ckpt, init = start.ckpt, start.init
        if ckpt is not None:
            model.load_state_dict(ckpt["model"])
            self.ema.module.load_state_dict(ckpt["ema"])
            self.opt.load_state_dict(ckpt["optimizer"])
            if "scaler" in ckpt and self.scaler.is_enabled():
                self.scaler.load_state_dict(ckpt["scaler"])
            self.step, self.wall, self.patches = ckpt["step"], ckpt["wall"], ckpt.get("patches", 0)
            set_rng_state(ckpt["rng"])
            self.data_rng.bit_generator.state = ckpt["data_rng"]
            self.ema.module.to(device)
        elif init is not None:
            # Both the live and the EMA weights start from the given (EMA) weights; the optimizer
            # starts fresh; step, wall time and patches continue the weights' own history.
            weights = {k: v.float() if v.is_floating_point() else v for k, v in init["weights"].items()}
            model.load_state_dict(weights)
            self.ema.module.load_state_dict(weights)
            self.ema.module.to(device)
            self.step, self.wall, self.patches = init["step"], init["wall"], init["patches"]
        # grow's record and where the weights came from (--init), kept in every checkpoint.
        self.grown = ckpt.get("grown") if ckpt is not None else None
        if init is not None:
            self.init_record = {"path": init["path"], "step": init["step"]}
        else:
            self.init_record = ckpt.get("init") if ckpt is not None else None
        # The compiled module shares its parameters with `model`, so checkpoints, EMA and export
        # keep using `model` (no "_orig_mod." prefixes).
        self.train_model = torch.compile(model) if args.compile else model
        self.memory_format = torch.channels_last if args.compile else torch.contiguous_format

    def train_step(self, x, y):
        """One optimizer step on (x, y); returns the loss, the L1 and each patch's L1."""
        args = self.args
        x = x.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)
        y = y.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)
        loss, l1, l1_each, grad_norm = optimizer_step(self.train_model, self.model, self.opt, self.scaler, x, y,
                                                      lr_at(self.step, args), self.amp_dtype, self.device,
                                                      args.fft_weight, args.clip, per_sample=True,
                                                      loss_kind=args.loss)
        self.ema.update(self.step)
        self.step += 1
        return loss, l1, l1_each, grad_norm

    def save(self, reason: str):
        self.ema.sync_ints()
        state = {"config": self.config.to_dict(), "model": self.model.state_dict(), "ema": self.ema.module.state_dict(),
                 "optimizer": self.opt.state_dict(), "step": self.step, "wall": self.wall, "patches": self.patches,
                 "rng": rng_state(), "data_rng": self.data_rng.bit_generator.state, "args": vars(self.args),
                 "hardware": hardware(self.device), "saved": time.strftime("%Y-%m-%dT%H:%M:%S")}
        if self.scaler.is_enabled():
            state["scaler"] = self.scaler.state_dict()
        if self.grown:
            state["grown"] = self.grown
        if self.init_record:
            state["init"] = self.init_record
        tmp = self.ckpt_path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.ckpt_path)
        self.log({"event": "checkpoint", "step": self.step, "reason": reason, "path": paths.rel(self.ckpt_path)})

    def validate(self, val, run_dir: str):
        t = time.time()
        self.ema.sync_ints()
        harm = {}
        per_kind, per_task, per_kind_in = validate(self.ema.module, val, self.device, amp_dtype=self.amp_dtype,
                                                   harm=harm)
        rec = {"event": "val", "step": self.step, "wall": round(self.wall, 1),
               "psnr_task": {k: round(v, 3) for k, v in per_task.items()},
               "psnr": {k: round(v, 3) for k, v in per_kind.items()},
               "input_psnr": {k: round(v, 3) for k, v in per_kind_in.items() if math.isfinite(v) and v < 100},
               "harm": harm, "seconds": round(time.time() - t, 1)}
        self.log(rec)
        with open(os.path.join(run_dir, "last_val.json"), "w") as f:
            json.dump(rec, f, indent=1)


class Batches:
    """The step's batch: normal patches, or with probability --big-prob the large ones."""

    def __init__(self, args, index: dict, task_weights):
        self.args = args
        self.sampler = PairSampler(args.data, index, args.patch, args.deadleaves, task_weights, args.cache_mb)
        self.big_sampler, self.big_batch = None, 0
        if args.big_patch and args.big_prob > 0:
            big = set(t for t in args.big_tasks.split(",") if t)
            big_weights = [w if t in big else 0.0 for t, w in zip(TASKS, task_weights)]
            self.big_sampler = PairSampler(args.data, index, args.big_patch, args.deadleaves, big_weights,
                                           args.cache_mb, cache=self.sampler.cache)
            # At least 2: GatedDA's BatchNorm trains on batch statistics, and with one image per
            # batch it would normalise away the per-image mean and spread that drive its tau gate.
            self.big_batch = max(2, round(args.batch * (args.patch / args.big_patch) ** 2))

    def draw(self, rng: np.random.Generator):
        if self.big_sampler is not None and rng.random() < self.args.big_prob:
            return self.big_sampler.sample(rng, self.big_batch)
        return self.sampler.sample(rng, self.args.batch)

    def cache_hit_rate(self) -> float:
        c = self.sampler.cache
        return c.hits / max(1, c.hits + c.misses)


class Window:
    """Training statistics over the steps since the last log line."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.t, self.steps, self.loss, self.l1, self.grad_norm = time.time(), 0, 0.0, 0.0, 0.0
        self.patches = self.pixels = 0
        self.tasks: dict[str, list] = {}

    def add(self, x, y, tasks, loss: float, l1: float, l1_each, grad_norm):
        self.grad_norm += float(grad_norm) if grad_norm is not None else math.nan
        # Per task: the output's L1 and the input's (the degraded patch against the clean one).
        in_each = (x - y).abs().mean(dim=(1, 2, 3))
        for t, a_, b_ in zip(tasks, l1_each.tolist(), in_each.tolist()):
            acc = self.tasks.setdefault(t, [0.0, 0.0, 0])
            acc[0] += a_
            acc[1] += b_
            acc[2] += 1
        self.steps += 1
        self.patches += len(tasks)
        self.pixels += x.numel() // 3
        self.loss += loss
        self.l1 += l1

    def record(self, step: int, lr: float, wall: float, cache_hit: float) -> dict:
        dt = time.time() - self.t
        n = self.steps
        return {"event": "train", "step": step, "loss": round(self.loss / n, 5), "l1": round(self.l1 / n, 5),
                "grad_norm": round(self.grad_norm / n, 4) if math.isfinite(self.grad_norm) else None, "lr": lr,
                "patches_per_s": round(self.patches / dt, 2), "pixels_per_s": round(self.pixels / dt),
                "wall": round(wall, 1), "cache_hit": round(cache_hit, 3),
                "l1_task": {t: round(v[0] / v[2], 5) for t, v in sorted(self.tasks.items())},
                "l1_input_task": {t: round(v[1] / v[2], 5) for t, v in sorted(self.tasks.items())}}


def open_log(path: str):
    logf = open(path, "a")

    def log(rec):
        rec = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), **rec}
        logf.write(json.dumps(rec) + "\n")
        logf.flush()
        print(json.dumps(rec), flush=True)
    return log


def stop_on_signals() -> dict:
    """SIGTERM/SIGINT set the returned flag: the loop checkpoints after the current step."""
    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
        print(f"signal {signum}: checkpointing after this step", flush=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def write_pid_file(path: str):
    """This process's id in `path` while it runs (removed at exit if it is still ours)."""
    with open(path + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(path + ".tmp", path)

    def drop():
        try:
            with open(path) as f:
                if f.read().strip() == str(os.getpid()):
                    os.remove(path)
        except OSError:
            pass
    atexit.register(drop)


def note_changed_settings(args, ckpt: dict | None):
    # Not stored as settings of the run: each resume says its loss and BatchNorm mode (the card's
    # continue_training does); a resume under other ones says so.
    if ckpt is None:
        return
    for key, default in (("loss", "l1"), ("bn", "batch")):
        before = ckpt.get("args", {}).get(key, default)
        if before != getattr(args, key):
            print(f"note: resuming a run last trained with --{key} {before} under --{key} {getattr(args, key)}",
                  file=sys.stderr, flush=True)


def train_loop(args, trainer: Trainer, batches: Batches, val, run_dir: str, stop: dict) -> int:
    t_start = t_ckpt = time.time()
    window = Window()
    set_train_mode(trainer.model, args.bn)
    while trainer.step < args.steps and not stop["flag"]:
        if args.minutes and time.time() - t_start > args.minutes * 60:
            break
        t0 = time.time()
        x, y, tasks = batches.draw(trainer.data_rng)
        lr = lr_at(trainer.step, args)
        loss, l1, l1_each, grad_norm = trainer.train_step(x, y)
        trainer.patches += len(tasks)
        trainer.wall += time.time() - t0
        loss_v = loss.item()
        window.add(x, y, tasks, loss_v, l1.item(), l1_each, grad_norm)
        if not math.isfinite(loss_v):
            trainer.log({"event": "error", "step": trainer.step, "message": "non-finite loss; stopping without checkpoint"})
            return 1
        if trainer.step % args.log_every == 0:
            trainer.log(window.record(trainer.step, lr, trainer.wall, batches.cache_hit_rate()))
            window.reset()
        if trainer.step % args.val_every == 0:
            trainer.validate(val, run_dir)
            window.t = time.time()  # throughput windows exclude validation
        if time.time() - t_ckpt > args.ckpt_minutes * 60:
            trainer.save("periodic")
            t_ckpt = time.time()
    trainer.save("signal" if stop["flag"] else ("done" if trainer.step >= args.steps else "budget"))
    if not stop["flag"] and trainer.step % args.val_every != 0:
        trainer.validate(val, run_dir)
    trainer.log({"event": "stop", "step": trainer.step, "wall": round(trainer.wall, 1)})
    return 0


def main(argv=None) -> int:
    args = build_args(argv)
    torch.set_num_threads(max(1, args.threads))
    device, amp_dtype = choose_device(args)
    task_weights = parse_task_weights(args.task_weights)
    ckpt_dir = os.path.join(args.checkpoints, args.name)
    run_dir = os.path.join(args.runs, args.name)
    os.makedirs(ckpt_dir, exist_ok=True)
    os.makedirs(run_dir, exist_ok=True)

    start = choose_start(args, os.path.join(ckpt_dir, "last.pt"))
    log = open_log(os.path.join(run_dir, "log.jsonl"))
    trainer = Trainer(args, start, device, amp_dtype, os.path.join(ckpt_dir, "last.pt"), log)
    with open(os.path.join(args.data, "pairs", "index.json")) as f:
        index = json.load(f)
    batches = Batches(args, index, task_weights)
    val = load_val(args.data, index, args.val_limit)

    note_changed_settings(args, start.ckpt)
    cmd = "python3 -m ram_training.train " + " ".join(sys.argv[1:] if argv is None else argv)
    log({"event": "start", "step": trainer.step, "resumed": start.ckpt is not None, "config": trainer.config.to_dict(),
         "parameters": count_parameters(trainer.model), "device": str(device), "amp": str(amp_dtype),
         "hardware": hardware(device), "args": vars(args), "command": cmd, "pid": os.getpid(),
         "train_pairs": batches.sampler.counts(), "val_kinds": {k: len(v[0]) for k, v in val.items()},
         **({"grown": trainer.grown} if trainer.grown else {}),
         **({"init": trainer.init_record} if trainer.init_record else {})})
    stop = stop_on_signals()
    if args.pid_file:
        write_pid_file(args.pid_file)
    return train_loop(args, trainer, batches, val, run_dir, stop)


if __name__ == "__main__":
    sys.exit(main())
