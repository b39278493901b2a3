"""Tests for the do-no-harm guard (plain script: asserts, non-zero exit on failure).

    python3 training/tests/test_guard.py

The formula matches Sources/RAMModel/ChangeGuard.swift (ChangeGuardTests checks the same
values there); the guard survives a save and is what export scores with.
"""

from __future__ import annotations

import os
import sys
import tempfile

import torch

from ram_training import guard
from ram_training.model import RAM, RAMConfig
from ram_training.weights import read_guard, read_ram, save_ram


def main() -> int:
    g = guard.parse("2,4")
    assert abs(g["change_rms"] - 2 / 255) < 1e-15 and g["power"] == 4.0
    assert guard.parse("none") is None
    for bad in ("0,4", "2,0", "300,4", "2,17"):
        try:
            guard.parse(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")

    # w(t) = 1/2, w(2t) = 16/17, w(t/2) = 1/17 (p = 4), as ChangeGuardTests.
    w = guard.weight(torch.tensor([2 / 255, 4 / 255, 1 / 255]), g)
    assert torch.allclose(w, torch.tensor([0.5, 16 / 17, 1 / 17], dtype=torch.float64), atol=1e-12), w

    # The Swift test's image: input 0.5 (one sample 0.9), output 0.51 (that sample 1.4, clamped).
    x = torch.full((1, 3, 4, 5), 0.5)
    x.view(-1)[7] = 0.9
    f = torch.full((1, 3, 4, 5), 0.51)
    f.view(-1)[7] = 1.4
    g2 = {"change_rms": 0.02, "power": 2.0}
    m = ((59 * 0.0001 + 0.01) / 60) ** 0.5
    wm = m * m / (m * m + 0.0004)
    y = guard.apply(x, f, g2)
    assert abs(float(y.view(-1)[0]) - (0.5 + wm * 0.01)) < 1e-6
    assert abs(float(y.view(-1)[7]) - (0.9 + wm * 0.1)) < 1e-6
    # Each image of a batch gets its own weight; no guard = the clamped output.
    both = guard.apply(torch.cat([x, x]), torch.cat([f, x + 0.3]), g2)
    assert torch.allclose(both[0], y[0]) and float((both[1] - x[0]).abs().max()) > 0.29
    assert torch.equal(guard.apply(x, f, None), f.clamp(0, 1))

    # The metadata round trip; a file without a guard reads None.
    cfg = RAMConfig(dim=8, num_blocks=(1, 1, 1, 1), num_refinement=1, heads=(1, 1, 1, 1))
    sd = RAM(cfg).state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a.safetensors"), os.path.join(tmp, "b.safetensors")
        save_ram(a, sd, cfg, card={"name": "t"}, guard=g)
        save_ram(b, sd, cfg)
        assert read_guard(a) == g and read_guard(b) is None
        assert read_ram(a)[2] == {"name": "t"}
    print("test_guard: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
