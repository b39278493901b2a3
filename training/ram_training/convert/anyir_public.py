"""A stand-in for the public AnyIR/RAM PyTorch code, for testing checkpoint conversion.

The public implementation (GitHub Amazingren/AnyIR, `net/anyir.py`, class `AnyIR`) is not a
dependency of this project. This module is written independently from its definitions so
that a state dict made here has exactly the keys, shapes, dtypes and defaults a checkpoint
of that code has, which our own reference (`model`) cannot show:

- `attn.lam` is a 0-dim parameter (`torch.tensor(0.5)`); ours is shape (1,).
- `gatedcnn.tau` starts at ones (ours: zeros); BatchNorm2d keeps `num_batches_tracked`.
- the frequency fusion is computed as written in the paper, irfft2(rfft2(a) + rfft2(b)),
  which equals a + b up to rounding (ours computes the sum).
- there is no padding: the input's sides must be multiples of 8.
- LayerNorm works on a (B, H·W, C) view, as the public code does.

`frequency_fusion=False` builds the same network without `lam` and the fusion (the
configuration without it); the public code has no such switch.

Constructor arguments and their defaults follow the public class: dim 28, blocks
(3, 5, 5, 7), 4 refinement blocks, heads (1, 2, 4, 8), FFN factor 2, no biases.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class _BiasedLayerNorm(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, t):  # (B, N, C)
        mean = t.mean(-1, keepdim=True)
        var = t.var(-1, keepdim=True, unbiased=False)
        return (t - mean) / torch.sqrt(var + 1e-5) * self.weight + self.bias


class ChannelLayerNorm(nn.Module):
    """Normalises each pixel over its channels through a (B, H·W, C) view; key `body.*`."""

    def __init__(self, c: int):
        super().__init__()
        self.body = _BiasedLayerNorm(c)

    def forward(self, x):
        b, c, h, w = x.shape
        t = x.flatten(2).transpose(1, 2)
        return self.body(t).transpose(1, 2).reshape(b, c, h, w)


class GatedFFN(nn.Module):
    def __init__(self, dim: int, factor: float, bias: bool = False):
        super().__init__()
        n = int(dim * factor)
        self.project_in = nn.Conv2d(dim, 2 * n, 1, bias=bias)
        self.dwconv = nn.Conv2d(2 * n, 2 * n, 3, padding=1, groups=2 * n, bias=bias)
        self.project_out = nn.Conv2d(n, dim, 1, bias=bias)

    def forward(self, x):
        a, b = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(a) * b)


class DegradationGate(nn.Module):
    """Gated degradation adaptation on `dim` channels (the public `attn.gatedcnn`)."""

    def __init__(self, dim: int, expansion: float = 8 / 3, kernel: int = 7, bias: bool = False,
                 eps: float = 1e-6):
        super().__init__()
        hidden = int(round(expansion * dim))
        self.sizes = (dim, dim, hidden - 2 * dim)
        assert self.sizes[2] > 0
        self.eps = eps
        self.norm = nn.BatchNorm2d(dim)
        self.W_exp = nn.Conv2d(dim, hidden, 1, bias=bias)
        self.W_depth = nn.Conv2d(self.sizes[2], self.sizes[2], kernel, padding=kernel // 2,
                                 groups=self.sizes[2], bias=bias)
        self.W_gate = nn.Conv2d(dim + self.sizes[2], dim, 1, bias=bias)
        self.W_proj = nn.Conv2d(dim, dim, 1, bias=bias)
        self.tau = nn.Parameter(torch.ones(1, dim, 1, 1))

    def forward(self, x):
        xn = self.norm(x)
        mu = xn.mean(dim=(2, 3), keepdim=True)
        sd = torch.sqrt(((xn - mu) ** 2).mean(dim=(2, 3), keepdim=True) + self.eps)
        scale = self.tau * torch.sigmoid(mu + sd)
        g, b, a = torch.split(self.W_exp(xn), self.sizes, dim=1)
        na = a.shape[1]
        reps = -(-na // scale.shape[1])  # alpha has fewer channels than tau: the first na
        a = self.W_depth(a) * (1.0 + scale.repeat(1, reps, 1, 1)[:, :na])
        gated = torch.sigmoid(g) * self.W_gate(torch.cat([b, a], dim=1))
        return self.W_proj(gated + x)


class SplitMixer(nn.Module):
    """The public `Attention`: channel attention on even channels, the gate on odd ones."""

    def __init__(self, dim: int, heads: int, bias: bool = False, frequency_fusion: bool = True):
        super().__init__()
        half = dim // 2
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(half, 3 * half, 1, bias=bias)
        self.qkv_dwconv = nn.Conv2d(3 * half, 3 * half, 3, padding=1, groups=3 * half, bias=bias)
        self.gatedcnn = DegradationGate(half)
        self.frequency_fusion = frequency_fusion
        if frequency_fusion:
            self.lam = nn.Parameter(torch.tensor(0.5))  # 0-dim, as in the public code
        self.project_out = nn.Conv2d(dim, dim, 1, bias=bias)

    def forward(self, x):
        xa, xg = x[:, 0::2], x[:, 1::2]
        b, c, h, w = xa.shape
        q, k, v = self.qkv_dwconv(self.qkv(xa)).chunk(3, dim=1)
        q, k, v = (t.reshape(b, self.heads, c // self.heads, h * w) for t in (q, k, v))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        att = ((q @ k.transpose(-2, -1)) * self.temperature).softmax(dim=-1)
        out_att = (att @ v).reshape(b, c, h, w)
        out_gate = self.gatedcnn(xg)
        spatial = torch.cat([out_att + torch.sigmoid(out_gate), out_gate + torch.sigmoid(out_att)], dim=1)
        if not self.frequency_fusion:
            return self.project_out(spatial)
        spectrum = torch.fft.rfft2(out_att) + torch.fft.rfft2(out_gate)
        freq = torch.fft.irfft2(spectrum, s=(h, w)).repeat_interleave(2, dim=1)
        return self.project_out(self.lam * spatial + (1.0 - self.lam) * freq)


class PublicBlock(nn.Module):
    def __init__(self, dim, heads, factor, bias, frequency_fusion):
        super().__init__()
        self.norm1 = ChannelLayerNorm(dim)
        self.attn = SplitMixer(dim, heads, bias, frequency_fusion)
        self.norm2 = ChannelLayerNorm(dim)
        self.ffn = GatedFFN(dim, factor, bias)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class _Embed(nn.Module):
    def __init__(self, dim, bias=False):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, 3, padding=1, bias=bias)

    def forward(self, x):
        return self.proj(x)


def _down(c):
    return nn.Sequential(nn.Conv2d(c, c // 2, 3, padding=1, bias=False), nn.PixelUnshuffle(2))


def _up(c):
    return nn.Sequential(nn.Conv2d(c, 2 * c, 3, padding=1, bias=False), nn.PixelShuffle(2))


class _Resize(nn.Module):
    """Holds the conv + (un)shuffle as `body`, so keys read `down1_2.body.0.weight`."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return self.body(x)


class PublicAnyIR(nn.Module):
    def __init__(self, dim=28, num_blocks=(3, 5, 5, 7), num_refinement_blocks=4, heads=(1, 2, 4, 8),
                 ffn_expansion_factor=2, bias=False, frequency_fusion=True):
        super().__init__()
        d = (dim, 2 * dim, 4 * dim, 8 * dim)

        def stage(c, h, n):
            return nn.Sequential(*[PublicBlock(c, h, ffn_expansion_factor, bias, frequency_fusion)
                                   for _ in range(n)])

        self.patch_embed = _Embed(dim, bias)
        self.encoder_level1 = stage(d[0], heads[0], num_blocks[0])
        self.down1_2 = _Resize(_down(d[0]))
        self.encoder_level2 = stage(d[1], heads[1], num_blocks[1])
        self.down2_3 = _Resize(_down(d[1]))
        self.encoder_level3 = stage(d[2], heads[2], num_blocks[2])
        self.down3_4 = _Resize(_down(d[2]))
        self.latent = stage(d[3], heads[3], num_blocks[3])
        self.up4_3 = _Resize(_up(d[2]))
        self.reduce_chan_level3 = nn.Conv2d(d[1] + d[2], d[2], 1, bias=bias)
        self.reduce_dim_level3 = nn.Conv2d(d[3], d[2], 1, bias=bias)
        self.decoder_level3 = stage(d[2], heads[2], num_blocks[2])
        self.up3_2 = _Resize(_up(d[2]))
        self.reduce_chan_level2 = nn.Conv2d(d[2], d[1], 1, bias=bias)
        self.decoder_level2 = stage(d[1], heads[1], num_blocks[1])
        self.up2_1 = _Resize(_up(d[1]))
        self.decoder_level1 = stage(d[1], heads[0], num_blocks[0])
        self.refinement = stage(d[1], heads[0], num_refinement_blocks)
        self.output = nn.Conv2d(d[1], 3, 3, padding=1, bias=bias)

    def forward(self, img):
        h, w = img.shape[-2:]
        if h % 8 or w % 8:
            raise ValueError(f"input {h}x{w}: sides must be multiples of 8 (no padding here)")
        e1 = self.encoder_level1(self.patch_embed(img))
        e2 = self.encoder_level2(self.down1_2(e1))
        e3 = self.encoder_level3(self.down2_3(e2))
        y = self.reduce_dim_level3(self.latent(self.down3_4(e3)))
        y = self.decoder_level3(self.reduce_chan_level3(torch.cat([self.up4_3(y), e3], dim=1)))
        y = self.decoder_level2(self.reduce_chan_level2(torch.cat([self.up3_2(y), e2], dim=1)))
        y = self.decoder_level1(torch.cat([self.up2_1(y), e1], dim=1))
        return self.output(self.refinement(y)) + img
