"""PyTorch reference of the RAM network, exactly as docs/NETWORK.md specifies it.

This module is the oracle for the Swift parity tests and the model that `training/`
trains. State-dict keys and parameter shapes follow NETWORK.md to the letter, so a
checkpoint of the public reference implementation loads after stripping Lightning's
`net.` prefix.

Feature taps: `model(x, taps={"encoder_level2.1.gamma", ...})` returns `(out, taps)`
where `taps` maps each requested name to a tensor captured at the padded resolution of
that level (batch dimension removed when the batch is 1). Tap names are
`<level>.<i>.<branch>` with branch in TAP_BRANCHES. Only requested taps are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F

TAP_BRANCHES = ("gamma", "beta", "alpha", "out", "attn")
LEVELS = (
    "encoder_level1", "encoder_level2", "encoder_level3", "latent",
    "decoder_level3", "decoder_level2", "decoder_level1", "refinement",
)


# --------------------------------------------------------------------------- config

@dataclass
class RAMConfig:
    dim: int = 28
    num_blocks: tuple = (3, 5, 5, 7)
    num_refinement: int = 4
    heads: tuple = (1, 2, 4, 8)
    ffn_factor: float = 2.0
    frequency_fusion: bool = False

    def __post_init__(self):
        self.dim = int(self.dim)
        self.num_blocks = tuple(int(b) for b in self.num_blocks)
        self.num_refinement = int(self.num_refinement)
        self.heads = tuple(int(h) for h in self.heads)
        self.ffn_factor = float(self.ffn_factor)
        self.frequency_fusion = bool(self.frequency_fusion)
        if len(self.num_blocks) != 4 or len(self.heads) != 4:
            raise ValueError("num_blocks and heads need 4 entries each")
        if self.dim < 1 or self.dim % 2:
            raise ValueError(f"dim must be a positive even number, got {self.dim}")
        # (width, heads) of every block list; the mixer splits width into two halves.
        d, (h1, h2, h3, h4) = self.dim, self.heads
        for width, h in ((d, h1), (2 * d, h2), (4 * d, h3), (8 * d, h4), (2 * d, h1)):
            if h < 1 or (width // 2) % h:
                raise ValueError(f"width {width}: half {width // 2} is not divisible by {h} heads")

    def to_dict(self) -> dict:
        return {
            "dim": self.dim,
            "num_blocks": list(self.num_blocks),
            "num_refinement": self.num_refinement,
            "heads": list(self.heads),
            "ffn_factor": self.ffn_factor,
            "frequency_fusion": self.frequency_fusion,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> "RAMConfig":
        known = {"dim", "num_blocks", "num_refinement", "heads", "ffn_factor", "frequency_fusion"}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        return cls(**d)

    @classmethod
    def from_json(cls, s: str) -> "RAMConfig":
        return cls.from_dict(json.loads(s))


PAPER_CONFIG = RAMConfig(dim=28, num_blocks=(3, 5, 5, 7), num_refinement=4,
                         heads=(1, 2, 4, 8), ffn_factor=2.0)


# --------------------------------------------------------------------------- taps

class TapSink:
    """Collects requested feature taps. Names are validated up front."""

    def __init__(self, names: Iterable[str]):
        self.wanted = set(names)
        self.values: dict[str, torch.Tensor] = {}

    def wants(self, name: str) -> bool:
        return name in self.wanted

    def put(self, name: str, t: torch.Tensor):
        if name in self.wanted:
            t = t.detach()
            self.values[name] = t[0] if t.shape[0] == 1 else t


# --------------------------------------------------------------------------- components

class LayerNorm(nn.Module):
    """Restormer's WithBias_LayerNorm over the channels of each pixel (eps 1e-5)."""

    def __init__(self, c: int):
        super().__init__()
        self.body = _LayerNormBody(c)

    def forward(self, x):
        return self.body(x)


class _LayerNormBody(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x):  # x: (B,C,H,W)
        mu = x.mean(dim=1, keepdim=True)
        var = x.var(dim=1, keepdim=True, unbiased=False)
        return (x - mu) / torch.sqrt(var + 1e-5) * self.weight[:, None, None] + self.bias[:, None, None]


class FeedForward(nn.Module):
    """Gated-dconv FFN: project_in -> depthwise 3x3 -> gelu(x1)*x2 -> project_out."""

    def __init__(self, c: int, ffn_factor: float):
        super().__init__()
        n = int(c * ffn_factor)
        self.hidden = n
        self.project_in = nn.Conv2d(c, 2 * n, 1, bias=False)
        self.dwconv = nn.Conv2d(2 * n, 2 * n, 3, padding=1, groups=2 * n, bias=False)
        self.project_out = nn.Conv2d(n, c, 1, bias=False)

    def forward(self, x):
        x = self.dwconv(self.project_in(x))
        x1, x2 = x[:, : self.hidden], x[:, self.hidden:]
        return self.project_out(F.gelu(x1) * x2)


class ChannelAttention(nn.Module):
    """Restormer MDTA without its own projection, on `half` channels.

    Holds `temperature`, `qkv`, `qkv_dwconv`. The Mixer inherits from it so that those
    parameters sit directly under `attn.` in the state dict, as in the reference code.
    """

    def __init__(self, half: int, heads: int):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(half, 3 * half, 1, bias=False)
        self.qkv_dwconv = nn.Conv2d(3 * half, 3 * half, 3, padding=1, groups=3 * half, bias=False)

    def attend(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        ch = c // self.heads
        q = q.reshape(b, self.heads, ch, h * w)
        k = k.reshape(b, self.heads, ch, h * w)
        v = v.reshape(b, self.heads, ch, h * w)
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        a = (q @ k.transpose(-2, -1)) * self.temperature  # (b, heads, ch, ch)
        a = a.softmax(dim=-1)
        return (a @ v).reshape(b, c, h, w)

    def forward(self, x):
        return self.attend(x)


class GatedDA(nn.Module):
    """Gated degradation adaptation on C channels (NETWORK.md, `attn.gatedcnn`)."""

    def __init__(self, c: int):
        super().__init__()
        hidden = round(8 * c / 3)
        self.c = c
        self.hidden = hidden
        self.na = hidden - 2 * c
        assert self.na >= 1, (c, hidden)
        self.norm = nn.BatchNorm2d(c, eps=1e-5)
        self.W_exp = nn.Conv2d(c, hidden, 1, bias=False)
        self.W_depth = nn.Conv2d(self.na, self.na, 7, padding=3, groups=self.na, bias=False)
        self.W_gate = nn.Conv2d(c + self.na, c, 1, bias=False)
        self.W_proj = nn.Conv2d(c, c, 1, bias=False)
        self.tau = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x, sink: TapSink | None = None, prefix: str = ""):
        c, na = self.c, self.na
        fh = self.norm(x)
        mu = fh.mean(dim=(2, 3), keepdim=True)
        s = torch.sqrt(fh.var(dim=(2, 3), keepdim=True, unbiased=False) + 1e-6)
        tau_adj = self.tau * torch.sigmoid(mu + s)  # (B,C,1,1)
        fp = self.W_exp(fh)
        gamma, beta, alpha = fp[:, :c], fp[:, c:2 * c], fp[:, 2 * c:]
        alpha = self.W_depth(alpha) * (1 + tau_adj[:, :na])
        gate = torch.sigmoid(gamma)
        gated = gate * self.W_gate(torch.cat([beta, alpha], dim=1))
        out = self.W_proj(gated + x)
        if sink is not None:
            sink.put(prefix + "gamma", gate)
            sink.put(prefix + "beta", beta)
            sink.put(prefix + "alpha", alpha)
            sink.put(prefix + "out", out)
        return out


class Mixer(ChannelAttention):
    """Degradation adaptation block: interleaved split into channel attention and GatedDA,
    cross update, optional frequency fusion, 1x1 projection."""

    def __init__(self, c: int, heads: int, frequency_fusion: bool = False):
        half = c // 2
        super().__init__(half, heads)
        self.gatedcnn = GatedDA(half)
        self.project_out = nn.Conv2d(c, c, 1, bias=False)
        self.frequency_fusion = frequency_fusion
        if frequency_fusion:
            self.lam = nn.Parameter(torch.full((1,), 0.5))

    def forward(self, x, sink: TapSink | None = None, prefix: str = ""):
        x_att, x_gate = x[:, 0::2], x[:, 1::2]
        out_att = self.attend(x_att)
        out_gate = self.gatedcnn(x_gate, sink, prefix)
        if sink is not None:
            sink.put(prefix + "attn", out_att)
        f_ag = out_att + torch.sigmoid(out_gate)
        f_ga = out_gate + torch.sigmoid(out_att)
        fused = torch.cat([f_ag, f_ga], dim=1)
        if self.frequency_fusion:
            # The paper's rFFT -> sum -> irFFT is linear, so it is the plain sum.
            spec = torch.repeat_interleave(out_att + out_gate, 2, dim=1)
            fused = self.lam * fused + (1 - self.lam) * spec
        return self.project_out(fused)


class Block(nn.Module):
    def __init__(self, c: int, heads: int, ffn_factor: float, frequency_fusion: bool, name: str):
        super().__init__()
        self.tap_prefix = name + "."
        self.norm1 = LayerNorm(c)
        self.attn = Mixer(c, heads, frequency_fusion)
        self.norm2 = LayerNorm(c)
        self.ffn = FeedForward(c, ffn_factor)

    def forward(self, x, sink: TapSink | None = None):
        x = x + self.attn(self.norm1(x), sink, self.tap_prefix)
        return x + self.ffn(self.norm2(x))


class Downsample(nn.Module):
    """conv3x3 c -> c/2, PixelUnshuffle(2): c -> 2c channels at half resolution."""

    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c // 2, 3, padding=1, bias=False), nn.PixelUnshuffle(2))

    def forward(self, x):
        return self.body(x)


class Upsample(nn.Module):
    """conv3x3 c -> 2c, PixelShuffle(2): c -> c/2 channels at double resolution."""

    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, 2 * c, 3, padding=1, bias=False), nn.PixelShuffle(2))

    def forward(self, x):
        return self.body(x)


class _PatchEmbed(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.proj = nn.Conv2d(3, d, 3, padding=1, bias=False)

    def forward(self, x):
        return self.proj(x)


class RAM(nn.Module):
    def __init__(self, config: RAMConfig | None = None):
        super().__init__()
        cfg = config or RAMConfig()
        self.config = cfg
        d, (b1, b2, b3, b4), r = cfg.dim, cfg.num_blocks, cfg.num_refinement
        h1, h2, h3, h4 = cfg.heads

        def blocks(name, n, c, h):
            return nn.Sequential(*[Block(c, h, cfg.ffn_factor, cfg.frequency_fusion, f"{name}.{i}")
                                   for i in range(n)])

        self.patch_embed = _PatchEmbed(d)
        self.encoder_level1 = blocks("encoder_level1", b1, d, h1)
        self.down1_2 = Downsample(d)
        self.encoder_level2 = blocks("encoder_level2", b2, 2 * d, h2)
        self.down2_3 = Downsample(2 * d)
        self.encoder_level3 = blocks("encoder_level3", b3, 4 * d, h3)
        self.down3_4 = Downsample(4 * d)
        self.latent = blocks("latent", b4, 8 * d, h4)

        self.reduce_dim_level3 = nn.Conv2d(8 * d, 4 * d, 1, bias=False)
        self.up4_3 = Upsample(4 * d)
        self.reduce_chan_level3 = nn.Conv2d(6 * d, 4 * d, 1, bias=False)
        self.decoder_level3 = blocks("decoder_level3", b3, 4 * d, h3)
        self.up3_2 = Upsample(4 * d)
        self.reduce_chan_level2 = nn.Conv2d(4 * d, 2 * d, 1, bias=False)
        self.decoder_level2 = blocks("decoder_level2", b2, 2 * d, h2)
        self.up2_1 = Upsample(2 * d)
        self.decoder_level1 = blocks("decoder_level1", b1, 2 * d, h1)
        self.refinement = blocks("refinement", r, 2 * d, h1)
        self.output = nn.Conv2d(2 * d, 3, 3, padding=1, bias=False)

    def tap_names(self) -> list[str]:
        """Every valid tap name of this model, in network order."""
        names = []
        for level in LEVELS:
            for i in range(len(getattr(self, level))):
                names += [f"{level}.{i}.{b}" for b in TAP_BRANCHES]
        return names

    @staticmethod
    def _run(blocks: nn.Sequential, x, sink):
        for blk in blocks:
            x = blk(x, sink)
        return x

    def forward(self, x, taps: Iterable[str] | None = None):
        sink = None
        if taps is not None:
            sink = TapSink(taps)
            unknown = sink.wanted - set(self.tap_names())
            if unknown:
                raise KeyError(f"unknown tap names: {sorted(unknown)}")
        h, w = x.shape[-2:]
        ph, pw = (-h) % 8, (-w) % 8
        xp = F.pad(x, (0, pw, 0, ph), mode="reflect") if (ph or pw) else x

        e1 = self._run(self.encoder_level1, self.patch_embed(xp), sink)
        e2 = self._run(self.encoder_level2, self.down1_2(e1), sink)
        e3 = self._run(self.encoder_level3, self.down2_3(e2), sink)
        lat = self._run(self.latent, self.down3_4(e3), sink)

        y = self.up4_3(self.reduce_dim_level3(lat))
        y = self.reduce_chan_level3(torch.cat([y, e3], dim=1))
        y = self._run(self.decoder_level3, y, sink)
        y = self.reduce_chan_level2(torch.cat([self.up3_2(y), e2], dim=1))
        y = self._run(self.decoder_level2, y, sink)
        y = torch.cat([self.up2_1(y), e1], dim=1)
        y = self._run(self.decoder_level1, y, sink)
        y = self._run(self.refinement, y, sink)
        out = (self.output(y) + xp)[..., :h, :w]
        if sink is None:
            return out
        return out, sink.values


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    m = RAM(PAPER_CONFIG)
    print("paper config parameters:", count_parameters(m))
