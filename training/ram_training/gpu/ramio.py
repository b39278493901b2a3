"""`ram degrade` as a library for the GPU kit (CPU side: gpu.pack and tests/test_synth.py).

The GPU kit keeps the project's one degradation recipe (`ram degrade`, Sources/Imaging/
Degradation*.swift) by measuring it, never by re-implementing the Swift code:

- `degrade`: runs `ram degrade` on a float image through 16-bit PNGs (ram keeps the input's
  bit depth, so the response is known to 1/65535);
- `affine_layer`: rain and haze are per-pixel affine in the clean value x (rain: screen
  composites then a veil, out = c0 - (1 - x)·M'; haze: out = x·t + A_c·(1 - t)), so the
  responses to a black and a white image give the slope and offset, and a third (real) image
  checks that the model holds;
- `psf`: blur is a convolution, so the response to an impulse is its kernel (the idea of
  ram_training.eval's ram_psf, with the faster PNG reader below);
- `draw_kind`: kinds and seeds drawn with ram_training.data.pairs's own train_kinds, so the
  GPU layers follow the distribution of the CPU training pairs.

16-bit PNGs go through ram_training.png16 (shared with eval). Needs numpy only (no torch).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np

from .. import paths
from ..data import pairs as data_pairs
from ..png16 import read_png16_codes, write_png16


def read_png8(path: str) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"))


# ---------------------------------------------------------------- ram degrade

class Ram:
    """A private copy of the ram binary (a rebuild of the original cannot change it mid-run)
    and a scratch folder; `degrade` calls run at nice 10."""

    def __init__(self, binary: str, nice: int = 10):
        if not os.path.isfile(binary):
            raise FileNotFoundError(f"{binary} not found (build it with make build, or pass --ram)")
        self.source = os.path.abspath(binary)
        self.tmp = tempfile.mkdtemp(prefix="ram-gpukit-")
        self.binary = os.path.join(self.tmp, "ram")
        shutil.copy2(binary, self.binary)
        self.sha256 = paths.file_sha256(self.binary)
        self.nice = nice
        self.calls = 0

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, src: str, dst: str, kind: str, seed: int):
        cmd = [self.binary, "degrade", src, dst, "--kind", kind, "--seed", str(int(seed)), "--force"]
        if self.nice:
            cmd = ["nice", "-n", str(self.nice)] + cmd
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.calls += 1
        if r.returncode != 0:
            raise RuntimeError(f"ram degrade --kind {kind} --seed {seed} failed ({r.returncode}): {r.stdout[-400:]}")

    def degrade16(self, img, kind: str, seed: int) -> np.ndarray:
        """`ram degrade` of a float (H, W, 3) image in [0, 1] (or uint16 codes) via 16-bit PNGs:
        uint16 codes of the (clipped, rounded) result."""
        src, dst = os.path.join(self.tmp, "in.png"), os.path.join(self.tmp, "out.png")
        write_png16(src, img)
        self.run(src, dst, kind, seed)
        return read_png16_codes(dst)

    def degrade8(self, img_u8: np.ndarray, kind: str, seed: int) -> np.ndarray:
        """`ram degrade` of a uint8 image through 8-bit PNGs, as data.pairs makes the pairs."""
        from PIL import Image
        src, dst = os.path.join(self.tmp, "in8.png"), os.path.join(self.tmp, "out8.png")
        Image.fromarray(np.ascontiguousarray(img_u8)).save(src)
        self.run(src, dst, kind, seed)
        return read_png8(dst)


def affine_layer(ram: Ram, kind: str, seed: int, h: int, w: int, probe_u8: np.ndarray | None = None):
    """Black/white responses of `ram degrade KIND SEED` on an h x w image.

    Returns (black, white) uint16 codes (H, W, 3) and, with a probe (uint8 (h, w, 3), e.g. the
    real tile), the largest deviation in 16-bit codes of ram's response to the probe from
    black + (white - black)·x: the affinity check (quantisation alone gives at most ~1-2)."""
    black = ram.degrade16(np.zeros((h, w, 3), np.uint16), kind, seed)
    white = ram.degrade16(np.full((h, w, 3), 65535, np.uint16), kind, seed)
    dev = None
    if probe_u8 is not None:
        x = probe_u8.astype(np.float64) / 255
        got = ram.degrade16((probe_u8.astype(np.uint16) * 257), kind, seed).astype(np.float64)
        pred = black + (white.astype(np.float64) - black) * x
        dev = float(np.abs(got - pred).max())
    return black, white, dev


def psf(ram: Ram, kind: str, seed: int, size: int = 129) -> tuple[np.ndarray, dict]:
    """The kernel k of a blur kind: the response to a unit impulse in the middle of a black
    16-bit image, cropped to the smallest odd square around the impulse holding every non-zero
    tap, in float64, normalised to sum 1, in ram's orientation: ram computes
    out(y, x) = sum k(i, j) in(y + r - i, x + r - j) (a true convolution; conv2d needs k
    flipped), and the impulse response at (c - r + i, c - r + j) is k(i, j)."""
    img = np.zeros((size, size, 3), np.uint16)
    c = size // 2
    img[c, c] = 65535
    out = ram.degrade16(img, kind, seed)
    if not ((out[..., 0] == out[..., 1]).all() and (out[..., 0] == out[..., 2]).all()):
        raise RuntimeError(f"{kind} seed {seed}: the impulse response differs between channels")
    k = out[..., 0].astype(np.float64) / 65535
    ys, xs = np.nonzero(k)
    if len(ys) == 0:
        raise RuntimeError(f"{kind} seed {seed}: empty impulse response")
    r = int(max(np.abs(ys - c).max(), np.abs(xs - c).max()))
    if r >= c - 1:
        raise RuntimeError(f"{kind} seed {seed}: kernel radius {r} reaches the impulse image's border")
    k = k[c - r:c + r + 1, c - r:c + r + 1]
    info = {"size": 2 * r + 1, "sum_before_normalising": float(k.sum()), "taps": int((k > 0).sum())}
    return k / k.sum(), info


# ---------------------------------------------------------------- kinds (data.pairs's distribution)

def draw_kind(task: str, name: str, pick: float) -> tuple[str, int]:
    """One (kind, seed) of `task` as data.pairs draws them for a training crop called `name`
    (train_kinds: rain light/medium/heavy, haze beta ~ U(0.6, 1.8), blur 2x camera shake + 1x
    line, ...): one of that task's entries, chosen by `pick` in [0, 1)."""
    mp = data_pairs
    entries = [(k, s) for k, s in mp.train_kinds(name) if mp.task_of(k) == task]
    return entries[min(len(entries) - 1, int(pick * len(entries)))]


def kind_census(names: int = 2000) -> dict:
    """What data.pairs.train_kinds draws for noise and low light (the two kinds the GPU
    synthesises from formulas): the set of noise sigmas and the low-light levels' range and
    resolution, measured over `names` crop names."""
    mp = data_pairs
    sig, lv = set(), []
    for i in range(names):
        for k, _ in mp.train_kinds(f"census-{i}"):
            t, _, v = k.partition(":")
            if t == "noise":
                sig.add(float(v))
            elif t == "lowlight":
                lv.append(v)
    decimals = max(len(v.split(".")[1]) if "." in v else 0 for v in lv)
    vals = np.array([float(v) for v in lv])
    return {"noise_sigmas": sorted(sig), "lowlight_min": float(vals.min()), "lowlight_max": float(vals.max()),
            "lowlight_decimals": decimals, "names": names}
