"""Checkpoints of the public AnyIR/RAM code -> ram .safetensors: `checkpoint` converts
Lightning .ckpt and .pth files (`python -m ram_training.convert`), `anyir_public` is that
code's network with its own parameter names, shapes and defaults (the oracle of the public_ff
fixtures and of tests/test_convert.py)."""

from .checkpoint import ConversionError, convert, infer_config

__all__ = ["ConversionError", "convert", "infer_config"]
