"""Tests for train's --bn frozen (plain script: asserts, non-zero exit on failure).

    python3 training/tests/test_bn.py

With --bn frozen, training runs the inference forward pass (BatchNorm on its running
statistics), never changes those statistics, and still trains BatchNorm's scale and shift;
with --bn batch (the default) the training forward uses batch statistics and updates them.
"""

from __future__ import annotations

import sys

import torch

from ram_training.model import RAM, RAMConfig
from ram_training.recipe import optimizer_step, set_train_mode


def make_model(seed: int) -> RAM:
    torch.manual_seed(seed)
    model = RAM(RAMConfig(dim=8, num_blocks=(1, 1, 1, 1), num_refinement=1, heads=(1, 1, 2, 2)))
    # Non-trivial running statistics and a non-zero output conv, so the two modes differ.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        for p in model.parameters():
            if p.abs().sum() == 0 and p.dim() == 4:
                p.normal_(0, 0.05)
    return model


def bn_stats(model):
    return [b.clone() for n, b in model.named_buffers() if "running" in n]


def bn_affine(model):
    return [p.detach().clone() for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            for p in (m.weight, m.bias)]


def main() -> int:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 3, 32, 32, generator=g)
    y = torch.rand(3, 3, 32, 32, generator=g)
    device = torch.device("cpu")
    scaler = torch.amp.GradScaler("cpu", enabled=False)

    model = make_model(0)
    n_bn = sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    assert n_bn > 0
    model.eval()
    with torch.no_grad():
        ref = model(x)

    # frozen: the training forward is the eval forward, statistics untouched, affine trained.
    set_train_mode(model, "frozen")
    assert model.training
    assert all(not m.training for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm))
    with torch.no_grad():
        got = model(x)
    assert torch.equal(got, ref), float((got - ref).abs().max())
    stats0, affine0 = bn_stats(model), bn_affine(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(3):
        optimizer_step(model, model, opt, scaler, x, y, 1e-2, None, device, 0.1, 1.0)
    assert all(torch.equal(a, b) for a, b in zip(stats0, bn_stats(model))), "frozen BN statistics changed"
    moved = sum(not torch.equal(a, b) for a, b in zip(affine0, bn_affine(model)))
    assert moved == len(affine0), f"only {moved} of {len(affine0)} BN scale/shift tensors trained"

    # batch (default): batch statistics in the forward, running statistics updated.
    model = make_model(0)
    set_train_mode(model, "batch")
    assert all(m.training for m in model.modules())
    with torch.no_grad():
        got = model(x)
    assert (got - ref).abs().max() > 1e-4, "batch mode should not compute the eval forward"
    stats0 = bn_stats(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    optimizer_step(model, model, opt, scaler, x, y, 1e-2, None, device, 0.1, 1.0)
    changed = sum(not torch.equal(a, b) for a, b in zip(stats0, bn_stats(model)))
    assert changed > 0, "batch mode did not update the running statistics"

    print("test_bn: PASSED (%d BatchNorm layers)" % n_bn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
