"""Tests for train's --loss psnr (plain script: asserts, non-zero exit on failure).

    python3 training/tests/test_loss.py
"""

from __future__ import annotations

import math
import sys

import torch

from ram_training.recipe import PSNR_EPS, PSNR_SCALE, psnr_loss


def psnr(a, b):
    return 10 * math.log10(1.0 / float(((a - b) ** 2).mean()))


def main() -> int:
    g = torch.Generator().manual_seed(0)
    y = torch.rand(3, 3, 16, 16, generator=g)
    # Three patches with errors of very different size: 0.01, 0.05, 0.2 (std).
    scales = torch.tensor([0.01, 0.05, 0.2]).view(3, 1, 1, 1)
    out = (y + scales * torch.randn(3, 3, 16, 16, generator=g)).requires_grad_(True)

    # The value: PSNR_SCALE x mean of ln(MSE + eps) = -PSNR_SCALE x ln(10)/10 x mean PSNR, up to
    # eps (ln(1 + eps/MSE) <= 0.01 here for the MSE of 1e-4).
    loss = psnr_loss(out, y)
    mean_psnr = sum(psnr(out[i].detach(), y[i]) for i in range(3)) / 3
    expect = -PSNR_SCALE * math.log(10) / 10 * mean_psnr
    got = loss.item()
    assert abs(got - expect) < PSNR_SCALE * 0.011 / 3, (got, expect)

    # The gradient of each patch is its MSE gradient divided by its MSE (x scale / batch size),
    # so each patch's gradient, relative to its own error, is the same size: an equal change of
    # PSNR costs the same whatever the patch's error.
    loss.backward()
    for i in range(3):
        d = (out[i] - y[i]).detach()
        mse = float((d ** 2).mean())
        want = PSNR_SCALE / 3 * 2 * d / d.numel() / (mse + PSNR_EPS)
        assert torch.allclose(out.grad[i], want, rtol=1e-4, atol=1e-9), i
    rel = [float(out.grad[i].norm() * (out[i] - y[i]).detach().norm()) for i in range(3)]
    assert max(rel) / min(rel) < 1.02, rel  # 1 % of it is eps against the 1e-4 MSE
    # With L1 the large-error patch would dominate: its gradient is the same size as the small
    # one's while its error is 20x larger, so per unit of relative error it pulls 20x harder.
    out.grad = None
    (out - y).abs().mean().backward()
    rel_l1 = [float(out.grad[i].norm() * (out[i] - y[i]).detach().norm()) for i in range(3)]
    assert rel_l1[2] / rel_l1[0] > 10, rel_l1

    # A perfect patch gives a finite loss (eps) and zero gradient.
    perfect = y.clone().requires_grad_(True)
    l0 = psnr_loss(perfect, y)
    l0.backward()
    assert math.isfinite(l0.item()) and float(perfect.grad.abs().max()) == 0.0
    print("test_loss: PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
