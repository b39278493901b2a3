"""Exports a training run's EMA weights to Assets/weights/<name>.safetensors (fp16) with a model card.

    python3 -m ram_training.export [--name ram-small] [--out Assets/weights/ram-small.safetensors]

The card (the file's `__metadata__` holds format, config and card) records the data
(photos per source from data/collect_report.json, dead-leaves images, training pairs per
degradation), the training state (steps, patches, wall time, hardware, loss, optimiser,
schedule) and validation scores measured here, on data/pairs/val, with the weights exactly as
shipped (EMA, rounded to fp16 and back, eval mode): RGB PSNR and SSIM per degradation
(skimage 0.26 conventions, as `ram eval`: data_range 1, Gaussian SSIM window sigma 1.5,
full image, outputs clamped to [0, 1]) for the degraded input and the restoration, plus the
command that continues training.

--scorer ram scores with the shipped Swift engine instead (`ram eval` on the validation photos,
256x256 centre crops, seed = photo index, 8-bit input: the same images as data/pairs/val),
about 5x faster than PyTorch for the paper configuration on this CPU; the engine matches the
PyTorch reference to 1e-4 (tests/parity), so the card's numbers are what `ram eval` reproduces.

--blend-base W --blend A exports W + A x (EMA - W): a run fine-tuned from W (train --init W)
pulled part of the way back to where it started; the card's "blend" records W and A.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

from . import paths
from .data.sampling import load_val
from .model import RAM, RAMConfig, count_parameters
from .validation import psnr
from . import guard as change_guard
from .weights import load_ram, read_guard, read_ram, save_ram


def ssim_rgb(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity
    return float(structural_similarity(a, b, data_range=1.0, channel_axis=0, gaussian_weights=True,
                                       sigma=1.5, use_sample_covariance=False))


CLEAN_WORSE_DB = 40.0   # as eval and `ram eval --clean-threshold`


def harm(kind: str, psnr_out, psnr_in) -> dict:
    """Harm next to gain for one kind: the worst photo's gain and the share of photos made worse;
    for "clean" (the photo is its own input) the worst PSNR and the share below CLEAN_WORSE_DB."""
    p = np.asarray(psnr_out, float)
    if kind == "clean":
        return {"worst_psnr": round(float(p.min()), 3), "worse_share": round(float((p < CLEAN_WORSE_DB).mean()), 3),
                "worse_rule": f"restored PSNR < {CLEAN_WORSE_DB:g} dB"}
    g = p - np.asarray(psnr_in, float)
    return {"mean_gain": round(float(g.mean()), 3), "worst_gain": round(float(g.min()), 3),
            "worse_share": round(float((g < 0).mean()), 3), "worse_rule": "restored PSNR < input PSNR"}


def per_task_means(rows: dict) -> dict:
    """Per-kind rows -> per-task means (noise:15/25/50 -> noise, ...)."""
    tasks = {}
    for kind, r in rows.items():
        tasks.setdefault(kind.split(":")[0], []).append(r)
    return {t: {k: round(float(np.mean([r[k] for r in rs])), 3) for k in ("input_psnr", "psnr", "input_ssim", "ssim")}
            for t, rs in tasks.items()}


def mean_degraded_tasks(per_task: dict) -> float:
    """The lineage's figure of merit: the mean per-task PSNR over the five degradations (the
    clean row is reported next to it, never averaged in)."""
    return round(float(np.mean([v["psnr"] for t, v in per_task.items() if t != "clean"])), 3)


@torch.no_grad()
def score(model, val, batch=8, guard=None):
    model.eval()
    rows = {}
    for kind, (deg, clean) in val.items():
        outs = [change_guard.apply(deg[i:i + batch], model(deg[i:i + batch]), guard) for i in range(0, len(deg), batch)]
        out = torch.cat(outs)
        p_in = psnr(deg, clean) if kind != "clean" else torch.full((len(deg),), float("inf"))
        rows[kind] = {
            "n": len(deg),
            "harm": harm(kind, psnr(out, clean).tolist(), p_in.tolist()),
            "input_psnr": round(float(p_in.mean()), 3),
            "input_ssim": round(float(np.mean([ssim_rgb(d.numpy(), c.numpy()) for d, c in zip(deg, clean)])), 4),
            "psnr": round(float(psnr(out, clean).mean()), 3),
            "ssim": round(float(np.mean([ssim_rgb(o.numpy(), c.numpy()) for o, c in zip(out, clean)])), 4),
        }
    return rows, per_task_means(rows)


def data_card(data: str, index: dict) -> dict:
    card = {}
    rep = os.path.join(data, "collect_report.json")
    if os.path.exists(rep):
        with open(rep) as f:
            r = json.load(f)
        card["photos"] = {"total": r["photos"], "train": r["train"], "val": r["val"],
                          "per_source": {k: v["photos"] for k, v in r["per_source"].items()},
                          "processing": "real photos shipped inside Debian/PyPI packages (ram_training.data.collect), "
                                        "downscaled 2x with Pillow LANCZOS; split keeps each scene on one side"}
    dl = os.path.join(data, "deadleaves")
    card["deadleaves_images"] = len([f for f in os.listdir(dl) if f.endswith(".png")]) if os.path.isdir(dl) else 0
    card["train_pairs"] = index.get("counts", {}).get("train")
    card["degradations"] = "ram degrade (Sources/Imaging/Degradation*.swift), via ram_training.data.pairs"
    if "binary" in index:
        card["degrade_binary"] = {k: index["binary"][k] for k in ("sha256", "git_head") if k in index["binary"]}
    return card


def score_with_ram(ram: str, weights_path: str, data: str, index: dict, threads: int):
    """score()'s tables from `ram eval` (Swift engine) on the validation photos, in the pairs' order."""
    kinds = index["val_kinds"]
    first = sorted((e for e in index["val"] if e["kind"] == kinds[0]), key=lambda e: e["seed"])
    assert [e["seed"] for e in first] == list(range(len(first))), "validation seeds are not 0..n-1"
    photos = [os.path.join(data, e["photo"]) for e in first]
    cmd = [ram, "eval", *photos, "--kinds", ",".join(kinds), "--crop-to", str(index.get("val_size", 256)),
           "--input-bits", "8", "--weights", weights_path, "--json"]
    env = dict(os.environ, RAM_THREADS=str(threads))
    rep = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout)
    rows = {}
    ram_kind = dict(zip(kinds, [x["kind"] for x in rep["summary"]]))   # ram's spelling, in the order asked
    for kind in kinds:
        rs = [x for x in rep["rows"] if x["kind"] == ram_kind[kind]]
        assert len(rs) == len(photos), (kind, len(rs))
        p_in = [float(x["inputPSNR"]) for x in rs]   # "inf" (a string in ram's JSON) on the clean row
        rows[kind] = {"n": len(rs),
                      "harm": harm(kind, [x["restoredPSNR"] for x in rs], p_in),
                      "input_psnr": round(float(np.mean(p_in)), 3),
                      "input_ssim": round(float(np.mean([x["inputSSIM"] for x in rs])), 4),
                      "psnr": round(float(np.mean([x["restoredPSNR"] for x in rs])), 3),
                      "ssim": round(float(np.mean([x["restoredSSIM"] for x in rs])), 4)}
    return rows, per_task_means(rows)


def init_record(init: dict) -> dict:
    """The card's record of the weights a run started from (train --init): path and step, and
    where the file is still the one the run started from (same step in its card), its sha256 and
    its own card's training section, so a model continued from shipped weights keeps their history."""
    rec = {"path": init.get("path"), "step": init.get("step")}
    path = init.get("path") or ""
    if path.endswith(".safetensors") and os.path.exists(path):
        _, _, card = read_ram(path)
        tr = (card or {}).get("training", {})
        if tr.get("steps") == init.get("step"):
            rec["sha256"] = paths.file_sha256(path)
            rec["training"] = tr
    return rec


def build_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", default="ram-small")
    ap.add_argument("--checkpoint", default="", help="default training/checkpoints/<name>/last.pt")
    ap.add_argument("--out", default="", help="default Assets/weights/<name>.safetensors")
    ap.add_argument("--data", default=paths.DATA)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", default="fp16", choices=["fp16", "fp32"])
    ap.add_argument("--note", default="", help="free text added to the card")
    ap.add_argument("--scorer", default="torch", choices=["torch", "ram"],
                    help="score with the PyTorch reference (default) or the Swift engine (ram eval; faster)")
    ap.add_argument("--ram", default=paths.RAM_BIN, help="ram binary for --scorer ram")
    ap.add_argument("--blend-base", default="",
                    help="weights the run started from (.safetensors): ship base + BLEND x (EMA - base), "
                         "weight-space interpolation between the start and the fine-tuned run")
    ap.add_argument("--blend", type=float, default=1.0,
                    help="the fraction of the fine-tuning kept with --blend-base (1 = the run's EMA weights)")
    ap.add_argument("--guard", default="keep",
                    help="the do-no-harm guard written with the weights (ram_training.guard): 'T,P' (T in 1/255), "
                         "'none', or 'keep' (default: the guard of the file at --out, if any)")
    args = ap.parse_args(argv)
    if not args.blend_base and args.blend != 1.0:
        ap.error("--blend needs --blend-base")
    return args


def blended(ema: dict, config: RAMConfig, base_path: str, alpha: float) -> dict:
    """base + alpha x (ema - base), tensor by tensor: a fine-tuned run pulled back towards the
    weights it started from (weight-space interpolation; a run at a low learning rate from
    trained weights stays in their basin, so the path between them is a path of working models).
    The base must have the run's configuration and every tensor of it."""
    base, base_config, _ = read_ram(base_path)
    if base_config.to_dict() != config.to_dict():
        raise SystemExit(f"--blend-base {base_path}: configuration {base_config.to_dict()} is not the run's {config.to_dict()}")
    missing = sorted(set(ema) ^ set(base))
    if missing:
        raise SystemExit(f"--blend-base {base_path}: tensors differ from the run's: {', '.join(missing[:4])}")
    return {k: (base[k].float() + alpha * (v.float() - base[k].float()) if v.is_floating_point() else v)
            for k, v in ema.items()}


def load_weights(ckpt_path: str, dtype_name: str, blend_base: str = "", blend: float = 1.0):
    """The checkpoint's EMA weights (blended with --blend-base) rounded to the shipped dtype (and
    back to float32 for scoring). Returns (checkpoint, config, weights, model in eval mode)."""
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    config = RAMConfig.from_dict(ckpt["config"])
    dtype = {"fp16": torch.float16, "fp32": torch.float32}[dtype_name]
    ema = blended(ckpt["ema"], config, blend_base, blend) if blend_base else ckpt["ema"]
    shipped = {k: (v.to(dtype).float() if v.is_floating_point() else v) for k, v in ema.items()}
    model = RAM(config)
    model.load_state_dict(shipped)
    model.eval()
    return ckpt, config, shipped, model


def chosen_guard(args, out: str):
    """The guard to ship with --guard (keep: the existing file's)."""
    if args.guard == "keep":
        return read_guard(out) if os.path.exists(out) else None
    try:
        return change_guard.parse(args.guard)
    except ValueError as e:
        raise SystemExit(f"--guard: {e}")


def score_validation(args, model, shipped, config, index, guard=None):
    """The validation set scored as shipped, by PyTorch or by `ram eval`. Returns (per kind,
    per task, photos per kind, the scorer's description, seconds)."""
    t = time.time()
    if args.scorer == "ram":
        if not os.access(args.ram, os.X_OK):
            raise SystemExit(f"--scorer ram: {args.ram} is not an executable (make build)")
        with tempfile.TemporaryDirectory() as tmp:
            probe = os.path.join(tmp, "scored.safetensors")
            save_ram(probe, shipped, config, card={"name": args.name, "note": "export scoring copy"}, dtype=args.dtype,
                     guard=guard)
            per_kind, per_task = score_with_ram(args.ram, probe, args.data, index, args.threads)
        n_val = next(iter(per_kind.values()))["n"]
        scorer = f"ram eval (Swift engine, {args.threads} thread(s))"
    else:
        val = load_val(args.data, index)
        per_kind, per_task = score(model, val, guard=guard)
        n_val = len(next(iter(val.values()))[0])
        scorer = "PyTorch reference (ram_training.model)"
    return per_kind, per_task, n_val, scorer, time.time() - t


def training_card(ckpt: dict) -> dict:
    """How the checkpoint was trained, from its record (train's args, grown, init)."""
    a = ckpt.get("args", {})
    big = bool(a.get("big_patch") and a.get("big_prob"))
    return {
        "steps": ckpt["step"], "patches_seen": ckpt.get("patches"), "batch": a.get("batch"), "patch": a.get("patch"),
        "wall_seconds": round(ckpt["wall"], 1), "wall_hours": round(ckpt["wall"] / 3600, 2),
        "hardware": ckpt.get("hardware"),
        "loss": ("per-patch ln(MSE) (minus PSNR up to constants; train --loss psnr)" if a.get("loss") == "psnr"
                 else "L1") + f" + {a.get('fft_weight')} * L1(orthonormal rFFT)",
        "optimizer": f"AdamW lr {a.get('lr')} (warm-up {a.get('warmup')} steps, cosine to {a.get('lr_min')} at step {a.get('steps')}"
                     + (f", both from step {a['schedule_from']}" if a.get("schedule_from") else "")
                     + f"), wd {a.get('wd')}",
        "batchnorm_last_stretch": ("frozen: running statistics as at inference, never updated; scale and shift trained (train --bn frozen)"
                      if a.get("bn") == "frozen" else "batch statistics while training, running statistics updated"),
        "ema": a.get("ema"), "task_mix": "per patch, noise/rain/haze/blur/lowlight[/clean = identity] weighted "
                                          f"{a.get('task_weights', '1,1,1,1,1')}; "
                                          f"dead leaves with probability {a.get('deadleaves')}"
                                          + (f"; {a['fresh']} degraded afresh per draw" if a.get("fresh") else "")
                                          + (f"; {a['big_prob']:g} of the steps on {a['big_patch']}px patches of "
                                             f"{a.get('big_tasks')}" if big else ""),
        **({"grown": {"from_config": ckpt["grown"]["from_config"], "at_step": ckpt["grown"]["step"],
                      "how": "ram_training.grow: blocks appended per level with zero output projections "
                             "(same output at the step it was grown), then trained on"}}
           if ckpt.get("grown") else {}),
        **({"init": init_record(ckpt["init"])} if ckpt.get("init") else {}),
        "checkpoint_saved": ckpt.get("saved"),
        "schedule_complete": ckpt["step"] >= (a.get("steps") or 0),
    }


def continue_command(ckpt: dict, name: str) -> str:
    """The card's continue_training: the train command that resumes this checkpoint's recipe."""
    a = ckpt.get("args", {})
    big = bool(a.get("big_patch") and a.get("big_prob"))
    return (f"python3 -m ram_training.train --name {a.get('name') or name} --resume --threads {a.get('threads', 1)} "
            f"--task-weights {a.get('task_weights', '1,1,1,1,1')} --patch {a.get('patch', 64)} "
            f"--batch {a.get('batch', 8)}"
            + (f" --loss {a['loss']}" if a.get("loss", "l1") != "l1" else "")
            + (f" --bn {a['bn']}" if a.get("bn", "batch") != "batch" else "")
            + (f" --lr {a['lr']:g}" if a.get("lr") else "")
            + (f" --big-patch {a['big_patch']} --big-prob {a['big_prob']:g} --big-tasks {a.get('big_tasks')}"
                if big else "")
            + "   (make train); "
            f"then python3 -m ram_training.export --name {name}")


def write_checked(out: str, shipped: dict, config, card: dict, dtype: str, guard=None):
    """Writes the weights with their card and reads them back strictly: they must be what was scored."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    save_ram(out, shipped, config, card=card, dtype=dtype, guard=guard)
    back, _ = load_ram(out)
    diff = max((back.state_dict()[k].float() - v.float()).abs().max().item()
               for k, v in shipped.items() if v.is_floating_point())
    assert diff == 0.0, f"re-read weights differ by {diff}"


def record_path(out: str, name: str) -> str:
    """The run's export.json records what was shipped; a candidate (--out elsewhere) gets its own."""
    if os.path.abspath(out) == os.path.abspath(os.path.join(paths.WEIGHTS, f"{name}.safetensors")):
        run_dir = os.path.join(paths.RUNS, name)
        os.makedirs(run_dir, exist_ok=True)
        return os.path.join(run_dir, "export.json")
    return os.path.splitext(out)[0] + ".export.json"


def print_scores(per_kind: dict, per_task: dict):
    print(f"mean per-task PSNR over the five degradations: {mean_degraded_tasks(per_task):.3f} dB")
    for kind, r in per_kind.items():
        h = r["harm"]
        worst = (f"worst {h['worst_psnr']:6.2f} dB, below {CLEAN_WORSE_DB:g} dB {100 * h['worse_share']:.0f} %" if kind == "clean"
                 else f"worst gain {h['worst_gain']:+6.2f}, worse {100 * h['worse_share']:.0f} %")
        print(f"  {kind:14s} input {r['input_psnr']:6.2f} / {r['input_ssim']:.4f}   restored {r['psnr']:6.2f} / {r['ssim']:.4f}   {worst}")


def main(argv=None) -> int:
    args = build_args(argv)
    torch.set_num_threads(args.threads)
    ckpt_path = args.checkpoint or os.path.join(paths.CHECKPOINTS, args.name, "last.pt")
    out = args.out or os.path.join(paths.WEIGHTS, f"{args.name}.safetensors")
    ckpt, config, shipped, model = load_weights(ckpt_path, args.dtype, args.blend_base, args.blend)
    with open(os.path.join(args.data, "pairs", "index.json")) as f:
        index = json.load(f)
    guard = chosen_guard(args, out)
    per_kind, per_task, n_val, scorer, val_seconds = score_validation(args, model, shipped, config, index, guard)
    card = {
        "name": args.name,
        "model": "RAM (all-in-one restoration: noise, rain, haze, blur, low light), trained from scratch by this project",
        "parameters": count_parameters(model),
        "data": data_card(args.data, index),
        "training": training_card(ckpt),
        "validation": {
            "set": f"{n_val} validation photos (data/split.json \"val\"; scenes never trained on), 256x256 centre crops, "
                   "degraded once per kind by ram degrade (seed = photo index), stored as 8-bit PNG; the kind "
                   "\"clean\" restores the undegraded crop",
            "mean_per_task_psnr": mean_degraded_tasks(per_task),
            "convention": "PSNR/SSIM on RGB in [0,1], whole crop (no border shave), outputs clamped; "
                          "SSIM = skimage structural_similarity(gaussian_weights, sigma 1.5, data_range 1)",
            "weights": f"EMA weights as shipped ({args.dtype}), eval mode"
                       + (", with the guard" if guard else ", no guard"),
            "scorer": scorer,
            "per_kind": per_kind, "per_task": per_task,
            "measured": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(val_seconds, 1),
        },
        "continue_training": continue_command(ckpt, args.name),
    }
    if args.blend_base:
        card["blend"] = {"base": paths.rel(os.path.abspath(args.blend_base)),
                         "base_sha256": paths.file_sha256(args.blend_base), "alpha": args.blend,
                         "how": f"base + {args.blend:g} x (EMA weights at step {ckpt['step']} - base), tensor by tensor "
                                "(ram_training.export --blend-base --blend)"}
    if guard:
        card["guard"] = change_guard.card_entry(guard)
    if args.note:
        card["note"] = args.note
    write_checked(out, shipped, config, card, args.dtype, guard)
    with open(record_path(out, args.name), "w") as f:
        json.dump({"out": paths.rel(out), "card": card}, f, indent=1)
    print(json.dumps({"out": paths.rel(out), "bytes": os.path.getsize(out), "step": ckpt["step"],
                      "per_task": per_task}, indent=1))
    print_scores(per_kind, per_task)
    return 0


if __name__ == "__main__":
    sys.exit(main())
