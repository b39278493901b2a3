"""Save and load RAM weights as safetensors, the format `ram` reads.

`__metadata__` holds strings only: {"format": "ram", "config": <config JSON>, "card": <JSON>}, and
"guard": {"change_rms": t, "power": p} where the weights come with a do-no-harm guard
(ram_training.guard; `ram` applies it to every restored image unless --no-guard).
Floating-point tensors are written as fp32, fp16 or bf16; integer buffers
(BatchNorm's `num_batches_tracked`, a 0-dim int64) are written unchanged as I64.
Reading accepts what `ram` accepts: F32, F16 and BF16 tensors, `attn.lam` as 0-dim (the public
AnyIR code's shape) or (1,), and files without `num_batches_tracked`.
"""

from __future__ import annotations

import json
import os
import struct

import torch
from safetensors import safe_open

from .model import RAM, RAMConfig

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
BOOKKEEPING = ("num_batches_tracked",)
_ST_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def save_file(tensors: dict, path, metadata: dict | None = None):
    """Writes a safetensors file with byte-identical output for identical input.

    (safetensors' own writer orders `__metadata__` through a hash map, so its bytes vary
    from run to run.) Header: sorted JSON, padded with spaces to a multiple of 8; tensors
    ordered by element size (largest first, keeping every tensor aligned) then name.
    """
    names = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    header, chunks, offset = {}, [], 0
    for k in names:
        t = tensors[k].detach().cpu().contiguous()
        if t.dtype not in _ST_DTYPE:
            raise ValueError(f"{k}: unsupported dtype {t.dtype}")
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes()
        header[k] = {"dtype": _ST_DTYPE[t.dtype], "shape": list(t.shape),
                     "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("safetensors metadata must map strings to strings")
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


def save_ram(path, state_dict: dict, config: RAMConfig, card: dict | None = None, dtype: str = "fp32",
             guard: dict | None = None):
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    target = DTYPES[dtype]
    tensors = {}
    for k, v in state_dict.items():
        v = v.detach().cpu()
        if v.is_floating_point():
            v = v.to(target)
        tensors[k] = v.contiguous()
    metadata = {
        "format": "ram",
        "config": config.to_json(),
        "card": json.dumps(card if card is not None else {}),
    }
    if guard is not None:
        metadata["guard"] = json.dumps({"change_rms": float(guard["change_rms"]), "power": float(guard["power"])},
                                       sort_keys=True)
    save_file(tensors, str(path), metadata=metadata)


def read_ram(path) -> tuple[dict, RAMConfig, dict]:
    """Returns (tensors as stored, config, card)."""
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        if meta.get("format") != "ram":
            raise ValueError(f"{path}: __metadata__.format is {meta.get('format')!r}, expected 'ram'")
        if "config" not in meta:
            raise ValueError(f"{path}: __metadata__ has no config")
        config = RAMConfig.from_json(meta["config"])
        card = json.loads(meta.get("card", "{}"))
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return tensors, config, card


def read_guard(path) -> dict | None:
    """The file's do-no-harm guard ({"change_rms", "power"}), or None."""
    with safe_open(str(path), framework="pt") as f:
        text = (f.metadata() or {}).get("guard")
    return json.loads(text) if text else None


def canonical_lam(tensors: dict) -> tuple[dict, int]:
    """`*.attn.lam` stored 0-dim (as `nn.Parameter(torch.tensor(x))` saves it) reshaped to
    (1,), the reference's shape; other shapes are left for the shape check to report.
    Returns the new dict and how many were reshaped."""
    out, n = {}, 0
    for k, v in tensors.items():
        if k.endswith(".attn.lam") and v.dim() == 0:
            v, n = v.reshape(1), n + 1
        out[k] = v
    return out, n


def check_state_dict(model: RAM, tensors: dict, ignore: tuple = ()) -> list[str]:
    """All problems of `tensors` against `model`'s state dict, one message each."""
    expected = {k: v for k, v in model.state_dict().items() if not k.endswith(ignore)}
    problems = []
    for k in expected:
        if k not in tensors:
            problems.append(f"missing: {k} {tuple(expected[k].shape)}")
    for k, v in tensors.items():
        if k.endswith(ignore):
            continue
        if k not in expected:
            problems.append(f"unexpected: {k} {tuple(v.shape)}")
        elif tuple(v.shape) != tuple(expected[k].shape):
            problems.append(f"wrong shape: {k} is {tuple(v.shape)}, expected {tuple(expected[k].shape)}")
    return problems


def load_ram(path, map_location="cpu") -> tuple[RAM, dict]:
    """Builds RAM(config) from the file's metadata and loads its tensors (strict, as fp32)."""
    tensors, config, card = read_ram(path)
    tensors, _ = canonical_lam(tensors)
    model = RAM(config)
    problems = check_state_dict(model, tensors, ignore=BOOKKEEPING)
    if problems:
        raise ValueError(f"{path}: weights do not match the configuration:\n  " + "\n  ".join(problems))
    sd = {k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}
    for k, v in model.state_dict().items():  # absent bookkeeping buffers keep their defaults
        sd.setdefault(k, v)
    model.load_state_dict(sd, strict=True)
    return model.to(map_location), card
