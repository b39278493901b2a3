"""Tests for grow (plain script: asserts, non-zero exit on failure).

    python3 training/tests/test_grow.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from ram_training.fixtures import randomize
from ram_training.grow import main as grow_main
from ram_training.model import RAM, RAMConfig
from ram_training.recipe import rng_state

SRC = RAMConfig(dim=8, num_blocks=(1, 1, 1, 2), num_refinement=1, heads=(1, 2, 4, 8))
DEEP = "dim=8,blocks=1-2-2-3,refinement=2"


def source_checkpoint(path: Path) -> dict:
    """A train-shaped checkpoint of a random SRC model after two AdamW steps."""
    model = RAM(SRC)
    randomize(model, 3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.rand(2, 3, 24, 24)
    for _ in range(2):  # train mode: BatchNorm running statistics move too
        opt.zero_grad()
        (model(x) - x).abs().mean().backward()
        opt.step()
    ema = RAM(SRC)
    ema.load_state_dict(model.state_dict())
    with torch.no_grad():
        for p in ema.parameters():
            p.mul_(0.9)
    ck = {"config": SRC.to_dict(), "model": model.state_dict(), "ema": ema.state_dict(),
          "optimizer": opt.state_dict(), "step": 1234, "wall": 56.0, "patches": 99, "rng": rng_state(),
          "data_rng": np.random.default_rng(0).bit_generator.state, "args": {}, "hardware": "test"}
    torch.save(ck, path)
    return ck


def expect_exit(argv, fragment):
    try:
        grow_main(argv)
    except SystemExit as e:
        assert fragment in str(e), f"{argv}: expected '{fragment}' in '{e}'"
        return
    raise AssertionError(f"{argv}: expected a refusal mentioning '{fragment}'")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "src.pt", Path(tmp) / "grown.pt"
        ck = source_checkpoint(src)
        before = src.read_bytes()
        assert grow_main(["--from", str(src), "--config", DEEP, "--out", str(out)]) == 0
        assert src.read_bytes() == before, "the source checkpoint was written to"
        g = torch.load(out, map_location="cpu", weights_only=False)
        deep = RAMConfig.from_dict(g["config"])
        assert deep.num_blocks == (1, 2, 2, 3) and deep.num_refinement == 2, g["config"]
        assert (g["step"], g["wall"], g["patches"]) == (1234, 56.0, 99)
        assert g["grown"]["from_config"] == SRC.to_dict() and g["grown"]["step"] == 1234

        # Same outputs as the source, for the live and the EMA weights, on another input size.
        x = torch.rand(1, 3, 40, 32, generator=torch.Generator().manual_seed(7))
        for key in ("model", "ema"):
            a, b = RAM(SRC).eval(), RAM(deep).eval()
            a.load_state_dict(ck[key])
            b.load_state_dict(g[key])
            with torch.no_grad():
                d = float((a(x) - b(x)).abs().max())
            assert d == 0.0, f"{key}: grown output differs by {d}"
        # Old parameters unchanged, new blocks' projections zero and their other weights not.
        for k, v in ck["model"].items():
            assert torch.equal(g["model"][k], v), k
        new_keys = [k for k in g["model"] if k not in ck["model"]]
        assert new_keys and all(k.split(".")[0] in ("encoder_level2", "decoder_level2", "encoder_level3",
                                                     "decoder_level3", "latent", "refinement") for k in new_keys)
        for k in new_keys:
            if k.endswith("project_out.weight") and (".attn." in k or ".ffn." in k) and k.count(".") == 4:
                assert not g["model"][k].any(), k
        assert any(g["model"][k].abs().sum() > 0 for k in new_keys if "project_in" in k)

        # Optimizer: same hyper-parameters, moments carried by name, none for new parameters.
        model = RAM(deep)
        model.load_state_dict(g["model"])
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        opt.load_state_dict(g["optimizer"])
        src_model = RAM(SRC)
        src_names = [n for n, _ in src_model.named_parameters()]
        names = [n for n, _ in model.named_parameters()]
        for j, n in enumerate(names):
            if n in src_names:
                i = src_names.index(n)
                assert torch.equal(g["optimizer"]["state"][j]["exp_avg"], ck["optimizer"]["state"][i]["exp_avg"]), n
            else:
                assert j not in g["optimizer"]["state"], n
        # One training step: the new blocks' zero projections start to move.
        model.train()
        opt.zero_grad()
        xb = torch.rand(2, 3, 24, 24)
        (model(xb) - xb).abs().mean().backward()
        opt.step()
        assert model.refinement[1].ffn.project_out.weight.abs().sum() > 0

        # Refusals: existing output, output = source, other width, fewer blocks.
        expect_exit(["--from", str(src), "--config", DEEP, "--out", str(out)], "exists")
        expect_exit(["--from", str(src), "--config", DEEP, "--out", str(src), "--force"], "source")
        expect_exit(["--from", str(src), "--config", "dim=16,blocks=1-1-1-2,refinement=1", "--out",
                     str(Path(tmp) / "w.pt")], "only depth")
        expect_exit(["--from", str(src), "--config", "dim=8,blocks=1-1-1-1,refinement=1", "--out",
                     str(Path(tmp) / "f.pt")], "at least")
        assert grow_main(["--from", str(src), "--config", DEEP, "--out", str(out), "--force"]) == 0
    print("test_grow: PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
