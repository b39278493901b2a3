"""Convert a checkpoint of the public RAM reference implementation to a `ram` weights file.

    python3 -m ram_training.convert CHECKPOINT OUT.safetensors
        [--dtype fp16|bf16|fp32] [--config JSON|FILE] [--card JSON|FILE] [--force] [--trust-pickle]

CHECKPOINT is a `.ckpt` (Lightning: a dict with 'state_dict' beside 'epoch', 'global_step',
'optimizer_states', ...) or a `.pth` (a plain state dict, or a dict with 'state_dict' or
'params'). When keys start with `net.` (the public code's LightningModule holds the network
as `self.net`), only those keys are kept, with the prefix stripped; nothing else is renamed.
Tensors may be fp32, fp16 or bf16. BatchNorm's `num_batches_tracked` entries (bookkeeping,
unused at inference) are dropped, and a 0-dim `attn.lam` (the public code's
`nn.Parameter(torch.tensor(0.5))`) is written with the reference's shape (1,).
The configuration is inferred from tensor shapes and key names (see `infer_config`),
frequency fusion from the presence of `attn.lam`; `--config` overrides any of its fields.
The tensors are then validated strictly against a freshly built RAM(config): every missing,
unexpected and wrong-shaped key is reported, and nothing is written unless all match.
Output is fp16 by default. An existing output is never overwritten without --force.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path

import torch

from ..model import RAM, RAMConfig
from ..weights import BOOKKEEPING, canonical_lam, check_state_dict, save_ram

ENCODER_LEVELS = ("encoder_level1", "encoder_level2", "encoder_level3", "latent")


class ConversionError(Exception):
    pass


# --------------------------------------------------------------------------- reading

def load_checkpoint(path, trust_pickle: bool = False, notes: list | None = None) -> dict:
    """The network's state dict inside a .ckpt / .pth file: `net.` keys only (prefix
    stripped) when there are any. `notes` receives a line per thing done to the keys."""
    notes = notes if notes is not None else []
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=not trust_pickle)
    except Exception as e:  # noqa: BLE001 - report whatever torch says
        hint = "" if trust_pickle else (
            "\n(the file may hold pickled Python objects besides tensors; if you trust it, "
            "rerun with --trust-pickle)")
        raise ConversionError(f"cannot read {path}: {e}{hint}") from e
    if not isinstance(obj, dict):
        raise ConversionError(f"{path}: expected a dict, got {type(obj).__name__}")
    for key in ("state_dict", "params"):
        if key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            notes.append(f"state dict from the checkpoint's {key!r} entry")
            break
    for k, v in obj.items():
        if not isinstance(v, torch.Tensor):
            raise ConversionError(f"{path}: entry {k!r} is a {type(v).__name__}, not a tensor "
                                  "(no 'state_dict' or 'params' found)")
    net = {k[4:]: v for k, v in obj.items() if k.startswith("net.")}
    if net:
        others = sorted(k for k in obj if not k.startswith("net."))
        notes.append(f"'net.' prefix stripped from {len(net)} keys" +
                     (f"; {len(others)} keys outside 'net.' left out ({', '.join(others[:3])}"
                      f"{', ...' if len(others) > 3 else ''})" if others else ""))
        return net
    return dict(obj)


# --------------------------------------------------------------------------- inference

def _need(sd: dict, key: str, what: str) -> torch.Tensor:
    if key not in sd:
        raise ConversionError(f"cannot infer {what}: key {key} is missing")
    return sd[key]


def _count_blocks(sd: dict, level: str) -> int:
    idx = {int(m.group(1)) for k in sd for m in [re.match(rf"{level}\.(\d+)\.", k)] if m}
    return max(idx) + 1 if idx else 0


def _ffn_factor(widths_hidden: list[tuple[int, int]]) -> float:
    """The shortest decimal f with int(c*f) == n for every (c, n)."""
    lo = max(n / c for c, n in widths_hidden)
    hi = min((n + 1) / c for c, n in widths_hidden)
    if lo >= hi:
        raise ConversionError(f"no ffn_factor f gives int(c*f) = n for all (c, n) = {widths_hidden}")
    for digits in range(0, 10):
        scale = 10 ** digits
        for f in (math.ceil(lo * scale - 1e-9) / scale, math.ceil(lo * scale) / scale):
            if all(int(c * f) == n for c, n in widths_hidden):
                return f
    raise ConversionError(f"cannot find ffn_factor for {widths_hidden}")


def infer_config(sd: dict) -> RAMConfig:
    """dim from patch_embed, block counts from key indices, heads from attn.temperature,
    ffn_factor from ffn.project_in, frequency_fusion from the presence of attn.lam."""
    dim = int(_need(sd, "patch_embed.proj.weight", "dim").shape[0])
    num_blocks = [_count_blocks(sd, level) for level in ENCODER_LEVELS]
    for level, n in zip(ENCODER_LEVELS, num_blocks):
        if n == 0:
            raise ConversionError(f"cannot infer num_blocks: no keys {level}.N.*")
    heads, widths_hidden = [], []
    for level, width in zip(ENCODER_LEVELS, (dim, 2 * dim, 4 * dim, 8 * dim)):
        heads.append(int(_need(sd, f"{level}.0.attn.temperature", "heads").shape[0]))
        w = _need(sd, f"{level}.0.ffn.project_in.weight", "ffn_factor")
        widths_hidden.append((width, int(w.shape[0]) // 2))
    return RAMConfig(
        dim=dim,
        num_blocks=tuple(num_blocks),
        num_refinement=_count_blocks(sd, "refinement"),
        heads=tuple(heads),
        ffn_factor=_ffn_factor(widths_hidden),
        frequency_fusion=any(k.endswith(".attn.lam") for k in sd),
    )


# --------------------------------------------------------------------------- convert

def _json_arg(text: str | None, what: str):
    if text is None:
        return None
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return json.loads(Path(text).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConversionError(f"--{what}: not a JSON object or a readable JSON file: {e}") from e


def convert(ckpt, out, dtype: str = "fp16", config_override: dict | None = None,
            card: dict | None = None, force: bool = False, trust_pickle: bool = False,
            notes_out: list | None = None) -> RAMConfig:
    out = Path(out)
    if out.exists() and not force:
        raise ConversionError(f"{out} exists; pass --force to overwrite it")
    if dtype not in ("fp16", "bf16", "fp32"):
        raise ConversionError(f"--dtype must be fp16, bf16 or fp32, got {dtype!r}")
    notes = []
    sd = load_checkpoint(ckpt, trust_pickle, notes)
    kept = {k: v for k, v in sd.items() if not k.endswith(BOOKKEEPING)}
    if len(kept) < len(sd):
        notes.append(f"{len(sd) - len(kept)} num_batches_tracked entries dropped")
    sd, reshaped = canonical_lam(kept)
    if reshaped:
        notes.append(f"{reshaped} 0-dim attn.lam written as shape (1,)")

    if config_override and set(config_override) >= {"dim", "num_blocks", "num_refinement", "heads"}:
        base = {}  # a complete config: no inference needed
    else:
        base = infer_config(sd).to_dict()
    try:
        config = RAMConfig.from_dict({**base, **(config_override or {})})
        model = RAM(config)
    except (TypeError, ValueError) as e:
        raise ConversionError(f"invalid configuration {json.dumps({**base, **(config_override or {})})}: {e}") from e

    problems = check_state_dict(model, sd, ignore=BOOKKEEPING)
    for k, v in sd.items():
        if k in model.state_dict() and v.is_floating_point() != model.state_dict()[k].is_floating_point():
            problems.append(f"wrong dtype: {k} is {v.dtype}")
    if problems:
        raise ConversionError(f"{ckpt} does not match RAM({config.to_json()}) "
                              f"({len(problems)} problems):\n  " + "\n  ".join(problems))
    if dtype == "fp16":
        for k, v in sd.items():
            if v.is_floating_point() and v.abs().max().item() > 65504:
                raise ConversionError(f"{k} has values beyond fp16's range; use --dtype fp32")

    # Write next to the output, then rename: a failed write never leaves a partial file.
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent or ".")
    os.close(fd)
    try:
        save_ram(tmp, sd, config, card if card is not None else {"converted_from": Path(ckpt).name}, dtype)
        if out.exists() and not force:
            raise ConversionError(f"{out} appeared during conversion; pass --force to overwrite it")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if notes_out is not None:
        notes_out.extend(notes)
    return config


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("output")
    ap.add_argument("--dtype", choices=("fp16", "bf16", "fp32"), default="fp16")
    ap.add_argument("--config", help="JSON object (or a file holding one) overriding inferred fields")
    ap.add_argument("--card", help="model card: JSON object or a file holding one")
    ap.add_argument("--force", action="store_true", help="overwrite an existing output")
    ap.add_argument("--trust-pickle", action="store_true",
                    help="allow arbitrary pickled objects in the checkpoint (only for files you trust)")
    args = ap.parse_args(argv)
    notes = []
    try:
        config = convert(args.checkpoint, args.output, args.dtype,
                         _json_arg(args.config, "config"), _json_arg(args.card, "card"),
                         args.force, args.trust_pickle, notes)
    except ConversionError as e:
        print(f"convert: error: {e}", file=sys.stderr)
        return 1
    for n in notes:
        print(f"  {n}")
    print(f"wrote {args.output} ({args.dtype}), config {config.to_json()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
