"""Tests for export's weight-space blend (--blend-base, --blend) (plain script: asserts, non-zero exit on failure).

    python3 training/tests/test_blend.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

from ram_training.export import load_weights
from ram_training.fixtures import randomize
from ram_training.model import RAM, RAMConfig
from ram_training.weights import save_ram

CFG = RAMConfig(dim=8, num_blocks=(1, 1, 1, 2), num_refinement=1, heads=(1, 2, 4, 8))
OTHER = RAMConfig(dim=8, num_blocks=(1, 1, 2, 2), num_refinement=1, heads=(1, 2, 4, 8))


def write_pair(tmp: Path, base_config: RAMConfig = CFG) -> tuple[Path, Path, dict, dict]:
    """A base .safetensors (fp32) and a train-shaped checkpoint whose EMA moved away from it."""
    base = RAM(base_config)
    randomize(base, 1)
    base_sd = {k: v.clone() for k, v in base.state_dict().items()}
    tuned = RAM(CFG)
    randomize(tuned, 2)
    ema = tuned.state_dict()
    base_path, ckpt_path = tmp / "base.safetensors", tmp / "last.pt"
    save_ram(base_path, base_sd, base_config, card={"name": "base"}, dtype="fp32")
    torch.save({"config": CFG.to_dict(), "ema": ema, "step": 10}, ckpt_path)
    return base_path, ckpt_path, base_sd, ema


def test_blend_interpolates():
    with tempfile.TemporaryDirectory() as d:
        base_path, ckpt_path, base_sd, ema = write_pair(Path(d))
        for alpha in (0.0, 0.3, 1.0):
            _, _, w, _ = load_weights(str(ckpt_path), "fp32", str(base_path), alpha)
            for k, v in ema.items():
                if not v.is_floating_point():
                    assert torch.equal(w[k], v), k
                    continue
                want = base_sd[k] + alpha * (v - base_sd[k])
                err = (w[k] - want).abs().max().item()
                assert err < 1e-6, (alpha, k, err)
        _, _, plain, _ = load_weights(str(ckpt_path), "fp32")
        _, _, one, _ = load_weights(str(ckpt_path), "fp32", str(base_path), 1.0)
        assert all(torch.allclose(plain[k].float(), one[k].float(), atol=1e-6) for k in plain)
        # alpha 0 is the base, and in fp16 exactly its rounding
        _, _, zero16, _ = load_weights(str(ckpt_path), "fp16", str(base_path), 0.0)
        for k, v in base_sd.items():
            if v.is_floating_point():
                assert torch.equal(zero16[k], v.half().float()), k


def test_blend_refuses_another_configuration():
    with tempfile.TemporaryDirectory() as d:
        base_path, ckpt_path, _, _ = write_pair(Path(d), base_config=OTHER)
        try:
            load_weights(str(ckpt_path), "fp32", str(base_path), 0.5)
        except SystemExit as e:
            assert "configuration" in str(e), e
        else:
            raise AssertionError("a base of another configuration was blended")


if __name__ == "__main__":
    torch.manual_seed(0)
    test_blend_interpolates()
    test_blend_refuses_another_configuration()
    print("test_blend: ok")
    sys.exit(0)
