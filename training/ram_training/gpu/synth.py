"""Degradations synthesised in torch, batched, on the training device (pack format 2).

Every function takes clean images x as float (n, 3, H, W) in [0, 1] (8-bit values / 255, as
the CPU pairs' clean PNGs) and returns the degraded image in float, *before* the clip and 8-bit
quantisation that `quantise8` applies (the CPU pairs are 8-bit PNGs written by `ram degrade`:
clamp to [0, 1], round to nearest, Sources/Imaging/PNGCodec.swift).

What each one reproduces (Sources/Imaging/Degradation*.swift, the project's one recipe):

- rain  out = slope·x + (white - slope): the screen composites of the streak layers then the
        veil are affine in x with a slope that is the same in all channels and a grey offset;
        slope and white (the response to x = 1, a constant) come from `ram degrade` on a
        black and a white image (ram_training.gpu.pack, verified there on a real tile);
- haze  out = x·t + A_c·(1 - t): transmission map t and the airlight A (3 floats), read off the
        same black/white responses;
- blur  out(y, x) = sum_ij k(i, j)·in(y + r - i, x + r - j) with reflect padding without edge
        repetition (Degradation+Blur.swift `convolve`, numpy/torch `reflect`), k the kernel
        recovered from `ram degrade` on an impulse; computed as a circular FFT convolution of
        the reflect-padded image (exact: the padded canvas is as large as the support), in
        float32 (no TF32 / cuDNN involved);
- noise x + N(0, (σ/255)²) per sample (Degradation+Noise.swift addGaussianNoise);
- lowlight  y = β·(α·x)^γ, then Poisson(peak·y)/peak + N(0, read²) (LowLightCurve in
        Degradation+Noise.swift: α 0.95, β 1 - 0.5·l, γ 1.5 + 3.5·l, peak 300·10^(-l),
        read 0.002 + 0.008·l).

Only torch is needed (this runs on the GPU machine); training/tests/test_synth.py checks all
five against `ram degrade`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def quantise8(y: torch.Tensor) -> torch.Tensor:
    """Clip to [0, 1] and round to the 8-bit grid, half away from zero as Swift's rounded()."""
    return torch.floor(y.clamp(0, 1) * 255 + 0.5) / 255


# ---------------------------------------------------------------- the two formula kinds

def noise(x: torch.Tensor, sigma255: torch.Tensor, generator=None) -> torch.Tensor:
    """sigma255: (n,) noise levels on the 0-255 scale."""
    n = torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=generator)
    return x + n * (sigma255.to(x.dtype) / 255).view(-1, 1, 1, 1)


def lowlight_curve(level: torch.Tensor) -> dict:
    """LowLightCurve(level:) of Degradation+Noise.swift, elementwise on a tensor of levels."""
    l = level.clamp(0, 1)
    return {"alpha": torch.full_like(l, 0.95), "beta": 1 - 0.5 * l, "gamma": 1.5 + 3.5 * l,
            "peak": 300 * torch.pow(10.0, -l), "read": 0.002 + 0.008 * l}


def lowlight(x: torch.Tensor, level: torch.Tensor, generator=None, curve: dict | None = None) -> torch.Tensor:
    """level: (n,) in [0, 1]. `curve` overrides the parameters (tests pass wrong ones)."""
    c = curve or lowlight_curve(level.to(torch.float64))
    v = lambda k: c[k].to(torch.float64).view(-1, 1, 1, 1)  # noqa: E731
    dark = v("beta") * torch.pow(v("alpha") * x.to(torch.float64).clamp(0, 1), v("gamma"))
    peak = v("peak")
    rate = (peak * dark).to(x.dtype)
    shot = torch.poisson(rate, generator=generator).to(torch.float64) / peak
    read = torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=generator).to(torch.float64)
    return (shot + v("read") * read).to(x.dtype)


# ---------------------------------------------------------------- the three measured kinds

def rain(x: torch.Tensor, slope: torch.Tensor, white: torch.Tensor) -> torch.Tensor:
    """slope: (n, 1, H, W) in [0, 1]; white: (n,) the response to x = 1."""
    return slope * x + (white.view(-1, 1, 1, 1) - slope)


def haze(x: torch.Tensor, t: torch.Tensor, airlight: torch.Tensor) -> torch.Tensor:
    """t: (n, 1, H, W) transmission; airlight: (n, 3)."""
    return x * t + airlight.view(-1, 3, 1, 1) * (1 - t)


def blur(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """kernels: (n, K, K), K odd, in ram's orientation (true convolution, see the module doc),
    zero taps allowed (kernels of different sizes are zero-padded to one K); reflect padding
    needs K // 2 < H, W."""
    n, _, h, w = x.shape
    k = kernels.shape[-1]
    r = k // 2
    if r >= h or r >= w:
        raise ValueError(f"kernel radius {r} needs an image larger than {h}x{w}")
    xp = F.pad(x, (r, r, r, r), mode="reflect") if r else x
    H, W = h + 2 * r, w + 2 * r
    kp = torch.zeros((n, H, W), device=x.device, dtype=torch.float32)
    kp[:, :k, :k] = kernels.float()
    out = torch.fft.irfft2(torch.fft.rfft2(xp.float()) * torch.fft.rfft2(kp)[:, None], s=(H, W))
    # circular conv at (m, l) = sum k(i, j) pad(m - i, l - j); ram's output (y, x) reads
    # pad(y + 2r - i, x + 2r - j): m = y + 2r, never wrapping since H = h + 2r.
    return out[:, :, 2 * r:2 * r + h, 2 * r:2 * r + w].to(x.dtype)


# ---------------------------------------------------------------- pack-level helpers

def decode_delta(a, axes):
    """Inverse of gpu.pack's encode_delta: cumulative sums along `axes`, wrapping in the array's
    unsigned integer type (numpy)."""
    import numpy as np
    out = a
    for ax in axes:
        out = np.cumsum(out, axis=ax, dtype=a.dtype)
    return out
