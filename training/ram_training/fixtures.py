"""Writes the Swift parity fixtures into Tests/RAMModelTests/Fixtures/ (deterministic).

    python3 -m ram_training.fixtures [--out DIR]     (make fixtures)

Per configuration <name> (tiny, tiny_ff, small):
  <name>.weights.safetensors   random weights (tiny fp32; tiny_ff and small fp16, see FIXTURES),
                               __metadata__ format/config/card
  <name>.io.safetensors        fp32: input (3,H,W), output (3,H,W), tap.<level>.<i>.<branch>
                               (the tapped blocks are listed in manifest.json)
tiny only:
  tiny.weights.f16.safetensors the same weights in fp16
  tiny.io.f16.safetensors      input and the output of the fp16-rounded weights (run in fp32)
  tiny.input.png / tiny.output.png   8-bit RGB round trip through the network
public_ff (a checkpoint of the public AnyIR code's shapes, made by convert.anyir_public):
  public_ff.weights.safetensors       its state dict as that code saves it (0-dim attn.lam,
                                      num_batches_tracked), fp32, with our metadata
  public_ff.weights.bf16.safetensors  the same weights through convert from a
                                      Lightning .ckpt, --dtype bf16
  public_ff.io.safetensors            input (sides multiples of 8) and the public-style
                                      module's own outputs: `output` (fp32 weights),
                                      `output_bf16` (the bf16-rounded weights, run in fp32)
  public_ff.input.png / public_ff.output.png   8-bit round trip through the public-style module
manifest.json                  configs, parameter counts, shapes, max |output|, paper counts

Everything runs in float32 (like the Swift engine); a float64 rerun checks that the
fixtures are well conditioned (fp32 vs fp64 differences are printed and recorded).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import zlib
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import paths
from .model import PAPER_CONFIG, RAM, RAMConfig, TAP_BRANCHES, count_parameters
from .weights import load_ram, save_file, save_ram

ROOT = Path(paths.REPO)
OUT = ROOT / "Tests" / "RAMModelTests" / "Fixtures"

# name: (config, input (H, W), seed, weights dtype, tapped blocks)
# Size budget (the directory should stay under 5 MB; 4.9 MB with public_ff): only `tiny` stores fp32 weights
# and taps the full selection. `small` (1.1 M parameters) and `tiny_ff` store their weights
# as fp16 and are run in fp32 from exactly those fp16-representable weights, so their
# parity is still an fp32 test; they tap only the low-resolution multi-head blocks (the
# full-resolution blocks run the same code, which tiny's taps cover).
LOW_RES_TAPS = ("encoder_level2.last", "latent.last")
FULL_TAPS = ("encoder_level1.first", "encoder_level2.last", "latent.last",
             "decoder_level1.first", "refinement.last")
FIXTURES = {
    "tiny": (RAMConfig(dim=8, num_blocks=(1, 1, 1, 2), num_refinement=1,
                       heads=(1, 2, 4, 8), ffn_factor=2.0), (29, 37), 1, "fp32", FULL_TAPS),
    "tiny_ff": (RAMConfig(dim=8, num_blocks=(1, 1, 1, 2), num_refinement=1,
                          heads=(1, 2, 4, 8), ffn_factor=2.0, frequency_fusion=True), (21, 45), 2, "fp16",
                LOW_RES_TAPS),
    "small": (RAMConfig(dim=16, num_blocks=(2, 2, 2, 3), num_refinement=2,
                        heads=(1, 2, 4, 8), ffn_factor=2.66), (35, 27), 3, "fp16", LOW_RES_TAPS),
}
# Residual branches (mixer and FFN project_out) and the output conv get smaller random
# weights so that activations stay O(1) and the output residual O(0.3).
RESIDUAL_GAIN = 0.5
OUTPUT_GAIN = 0.2
CARD = {"note": "random fixture weights"}


# --------------------------------------------------------------------------- weights

@torch.no_grad()
def randomize(model: RAM, seed: int):
    """Random weights with scales that keep activations O(1) through the network."""
    g = torch.Generator().manual_seed(seed)

    def normal(t, mean=0.0, std=1.0):
        t.copy_(torch.randn(t.shape, generator=g) * std + mean)

    def uniform(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)

    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.weight[0].numel()  # (in/groups) * kh * kw
            gain = 1.0
            if name.endswith(("attn.project_out", "ffn.project_out")):
                gain = RESIDUAL_GAIN
            elif name == "output":
                gain = OUTPUT_GAIN
            normal(m.weight, std=gain / math.sqrt(fan_in))
        elif isinstance(m, nn.BatchNorm2d):
            normal(m.weight, 1.0, 0.2)
            normal(m.bias, 0.0, 0.2)
            normal(m.running_mean, 0.0, 0.2)
            uniform(m.running_var, 0.5, 1.5)
            m.num_batches_tracked.fill_(1000 + int(torch.randint(0, 1000, (1,), generator=g)))
    for name, p in model.named_parameters():
        if name.endswith((".norm1.body.weight", ".norm2.body.weight")):
            normal(p, 1.0, 0.1)
        elif name.endswith((".norm1.body.bias", ".norm2.body.bias")):
            normal(p, 0.0, 0.1)
        elif name.endswith(".attn.temperature"):
            uniform(p, 0.5, 2.0)
        elif name.endswith(".gatedcnn.tau"):
            normal(p, 0.0, 0.5)
        elif name.endswith(".attn.lam"):
            uniform(p, 0.2, 0.8)


def round_to_fp16(model: RAM):
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.copy_(t.half().float())


# --------------------------------------------------------------------------- inputs

def smooth_image(h: int, w: int, seed: int) -> torch.Tensor:
    """(3,h,w) in [0,1]: blurred uniform noise plus per-channel gradients."""
    g = torch.Generator().manual_seed(1000 + seed)
    noise = torch.rand(1, 3, h + 8, w + 8, generator=g)
    for _ in range(2):
        noise = F.avg_pool2d(noise, 5, stride=1, padding=2, count_include_pad=False)
    noise = noise[0, :, 4:4 + h, 4:4 + w]
    lo = noise.amin(dim=(1, 2), keepdim=True)
    hi = noise.amax(dim=(1, 2), keepdim=True)
    noise = (noise - lo) / (hi - lo)
    yy = torch.linspace(0, 1, h)[:, None].expand(h, w)
    xx = torch.linspace(0, 1, w)[None, :].expand(h, w)
    grad = torch.stack([xx, yy, 1 - (xx + yy) / 2])
    fine = torch.rand(3, h, w, generator=g) - 0.5
    return (0.55 * noise + 0.4 * grad + 0.05 * fine).clamp(0, 1).contiguous()


def fixture_taps(model: RAM, blocks: tuple) -> list[str]:
    """Tap names for blocks given as `<level>.first` / `<level>.last`."""
    names = []
    for spec in blocks:
        level, which = spec.split(".")
        i = 0 if which == "first" else len(getattr(model, level)) - 1
        names += [f"{level}.{i}.{br}" for br in TAP_BRANCHES]
    return names


# --------------------------------------------------------------------------- PNG

def write_png_rgb8(path: Path, img: torch.Tensor):
    """Minimal 8-bit RGB PNG writer. img: (3,H,W) uint8."""
    c, h, w = img.shape
    assert c == 3 and img.dtype == torch.uint8
    rows = img.permute(1, 2, 0).contiguous().numpy()
    raw = b"".join(b"\x00" + rows[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    path.write_bytes(png)


def to_u8(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x.clamp(0, 1) * 255).to(torch.uint8)


# --------------------------------------------------------------------------- main

def run(model: RAM, x: torch.Tensor, taps: list[str]):
    with torch.no_grad():
        out, t = model(x[None], taps=taps)
    return out[0], t


def fp64_check(model: RAM, x: torch.Tensor, taps: list[str], out32, taps32) -> tuple[float, float]:
    m64 = RAM(model.config)
    m64.load_state_dict(model.state_dict())
    m64 = m64.double().eval()
    with torch.no_grad():
        out64, t64 = m64(x.double()[None], taps=taps)
    d_out = (out32.double() - out64[0]).abs().max().item()
    d_taps = max((taps32[k].double() - t64[k]).abs().max().item() for k in taps)
    return d_out, d_taps


def write_io(path: Path, x, out, taps: dict, config: RAMConfig):
    tensors = {"input": x.contiguous(), "output": out.contiguous()}
    for k, v in taps.items():
        tensors[f"tap.{k}"] = v.contiguous()
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, str(path),
              metadata={"format": "ram-io", "config": config.to_json()})


PUBLIC_CONFIG = RAMConfig(dim=4, num_blocks=(1, 1, 1, 2), num_refinement=1, heads=(1, 2, 4, 8),
                          ffn_factor=2.0, frequency_fusion=True)


def public_fixture() -> dict:
    """The public_ff files (see the module docstring); returns the manifest entry."""
    import tempfile
    from .convert.anyir_public import PublicAnyIR
    from .convert.checkpoint import convert
    cfg = PUBLIC_CONFIG
    pub = PublicAnyIR(dim=cfg.dim, num_blocks=cfg.num_blocks, num_refinement_blocks=cfg.num_refinement,
                      heads=cfg.heads, ffn_expansion_factor=cfg.ffn_factor)
    randomize(pub, 4)
    pub.eval()
    sd = pub.state_dict()
    assert sd["encoder_level1.0.attn.lam"].dim() == 0
    save_ram(OUT / "public_ff.weights.safetensors", sd, cfg, CARD, dtype="fp32")
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "public_ff.ckpt"
        torch.save({"epoch": 1, "global_step": 100, "state_dict": {"net." + k: v for k, v in sd.items()}}, ckpt)
        bf16 = OUT / "public_ff.weights.bf16.safetensors"
        convert(ckpt, bf16, dtype="bf16", card=CARD, force=True)
    pub_bf = PublicAnyIR(dim=cfg.dim, num_blocks=cfg.num_blocks, num_refinement_blocks=cfg.num_refinement,
                         heads=cfg.heads, ffn_expansion_factor=cfg.ffn_factor)
    pub_bf.load_state_dict({k: (v.bfloat16().float() if v.is_floating_point() else v) for k, v in sd.items()})
    pub_bf.eval()
    x = smooth_image(24, 40, 4)
    with torch.no_grad():
        out = pub(x[None])[0]
        out_bf = pub_bf(x[None])[0]
        # Our reference on the same files agrees (both readings of the 0-dim lam).
        for path, want in ((OUT / "public_ff.weights.safetensors", out), (bf16, out_bf)):
            ours, _ = load_ram(path)
            assert (ours.eval()(x[None])[0] - want).abs().max().item() < 1e-5, path
    save_file({"input": x.contiguous(), "output": out.contiguous(), "output_bf16": out_bf.contiguous()},
              str(OUT / "public_ff.io.safetensors"), metadata={"format": "ram-io", "config": cfg.to_json()})
    png_in = to_u8(smooth_image(24, 40, 104))
    write_png_rgb8(OUT / "public_ff.input.png", png_in)
    with torch.no_grad():
        y = pub(png_in.float()[None] / 255)[0]
    write_png_rgb8(OUT / "public_ff.output.png", to_u8(y))
    d = (out_bf - out).abs()
    print(f"public_ff: params {count_parameters(pub)}, bf16 vs fp32 weights: output max abs "
          f"{d.max().item():.2e}, mean {d.mean().item():.2e}")
    return {"config": cfg.to_dict(), "parameter_count": count_parameters(pub), "input_shape": list(x.shape),
            "max_abs_output": out.abs().max().item(),
            "bf16_vs_fp32_max_abs_output": d.max().item(), "bf16_vs_fp32_mean_abs_output": d.mean().item()}


def main(argv=None):
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--out", default=str(OUT), help="folder of the fixtures (default Tests/RAMModelTests/Fixtures)")
    OUT = Path(ap.parse_args(argv).out)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {"configs": {}}

    for name, (cfg, (h, w), seed, wdtype, tap_blocks) in FIXTURES.items():
        model = RAM(cfg)
        randomize(model, seed)
        if wdtype == "fp16":
            round_to_fp16(model)
        model.eval()
        x = smooth_image(h, w, seed)
        taps = fixture_taps(model, tap_blocks)
        out, t = run(model, x, taps)
        assert torch.isfinite(out).all(), name
        d_out, d_taps = fp64_check(model, x, taps, out, t)

        wpath = OUT / f"{name}.weights.safetensors"
        save_ram(wpath, model.state_dict(), cfg, CARD, dtype=wdtype)
        # The written file must reproduce the output bit for bit.
        reloaded, _ = load_ram(wpath)
        out_re, _ = run(reloaded.eval(), x, [])
        assert torch.equal(out_re, out), f"{name}: reload changed the output"
        write_io(OUT / f"{name}.io.safetensors", x, out, t, cfg)

        resid = out - x
        print(f"{name}: params {count_parameters(model)}, input {tuple(x.shape)}, "
              f"out std {out.std().item():.3f} max|out| {out.abs().max().item():.3f}, "
              f"residual std {resid.std().item():.3f}, fp32-fp64 out {d_out:.2e} taps {d_taps:.2e}")
        for k in taps:
            v = t[k]
            print(f"    tap {k:28s} {str(tuple(v.shape)):14s} std {v.std().item():.3f} max {v.abs().max().item():.3f}")
        manifest["configs"][name] = {
            "config": cfg.to_dict(),
            "parameter_count": count_parameters(model),
            "weights_dtype": wdtype,
            "input_shape": list(x.shape),
            "max_abs_output": out.abs().max().item(),
            "taps": taps,
            "fp32_vs_fp64_max_abs_output": d_out,
            "fp32_vs_fp64_max_abs_taps": d_taps,
        }

        if name == "tiny":
            # fp16 weights file and the output of those rounded weights (computed in fp32).
            save_ram(OUT / "tiny.weights.f16.safetensors", model.state_dict(), cfg, CARD, dtype="fp16")
            m16, _ = load_ram(OUT / "tiny.weights.f16.safetensors")
            out16, _ = run(m16.eval(), x, [])
            save_file({"input": x.contiguous(), "output": out16.contiguous()},
                      str(OUT / "tiny.io.f16.safetensors"),
                      metadata={"format": "ram-io", "config": cfg.to_json()})
            manifest["tiny_f16"] = {"max_abs_output": out16.abs().max().item(),
                                    "max_abs_diff_vs_fp32": (out16 - out).abs().max().item()}

            # PNG round trip: 8-bit input -> model(input/255) -> round(clip(.,0,1)*255).
            png_in = to_u8(smooth_image(h, w, 100 + seed))
            write_png_rgb8(OUT / "tiny.input.png", png_in)
            y, _ = run(model, png_in.float() / 255, [])
            write_png_rgb8(OUT / "tiny.output.png", to_u8(y))
            frac = (y.clamp(0, 1) * 255) % 1
            manifest["tiny_png"] = {
                "input_shape": [3, h, w],
                "rounding": "round half to even of clip(out,0,1)*255",
                "values_within_1e-3_of_half": int(((frac - 0.5).abs() < 1e-3).sum()),
            }

    manifest["public_ff"] = public_fixture()

    for key, cfg in (("paper_parameter_count", PAPER_CONFIG),
                     ("paper_ff_parameter_count", RAMConfig(**{**PAPER_CONFIG.to_dict(), "frequency_fusion": True}))):
        manifest[key] = count_parameters(RAM(cfg))
    manifest["paper_config"] = PAPER_CONFIG.to_dict()
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    total = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"paper params {manifest['paper_parameter_count']}, with frequency_fusion "
          f"{manifest['paper_ff_parameter_count']}")
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
