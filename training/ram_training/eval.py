"""The README's evaluation table: shipped models against classical baselines on the validation set.

    python3 -m ram_training.eval [--bm3d-limit 12] [--no-readme] [--no-cache]      (make eval-table)

Data: the held-out validation pairs of ram_training.data.pairs (data/pairs/index.json: 25
photos, 256x256 centre crops, one degraded 8-bit PNG per kind of VAL_KINDS, image i seeded
with i). Every number is RGB PSNR / SSIM on [0, 1] with scikit-image's conventions, exactly
as `ram eval` computes them (Sources/Imaging/Metrics.swift): data_range 1, PSNR over all
samples of the three planes together, SSIM with an 11x11 Gaussian window (sigma 1.5),
K1 0.01, K2 0.03, population covariances, per channel then averaged, outputs clipped to
[0, 1] and scored as floats (not re-quantised). A self-check against `ram diff --json`
runs first.

Rows: one per kind. Columns:
  input       the degraded 8-bit PNG of data/pairs/val (what the baselines see)
  NLM         skimage denoise_nl_means (fast mode, patch 5, distance 6, channel_axis -1),
              the true sigma given, h = k*sigma with k swept; one k per noise level, the one
              with the best mean PSNR over the set
  BM3D        bm3d.bm3d_rgb (PyPI `bm3d`, installed into a git-ignored venv, never
              committed: its licence is non-commercial), true sigma, on the first
              --bm3d-limit photos only (~15 s per colour 256^2 image on this machine)
  DCP         dark channel prior (He et al., CVPR 2009), written here: patch 15, omega
              0.95, t0 0.1, airlight = the brightest input pixel among the 0.1 % highest
              dark-channel pixels, transmission refined by a grey-guided filter (He et al.
              2010, box windows, r 60, eps 1e-3)
  Wiener      skimage.restoration.wiener per channel with the exact kernel `ram degrade`
              used (non-blind: the oracle kernel), obtained as the impulse response of
              `ram degrade` on a 16-bit PNG with one white pixel (checked: clean * PSF
              reproduces the pairs); the image is padded with a blur-consistent border
              before the (circular) FFT deconvolution, two passes (see wiener_deblur); the
              balance swept, the best mean PSNR over the set per blur kind
  Wiener      the same without the kernel (blind, as RAM): one isotropic Gaussian PSF and
  (blind)     one balance for the whole set per blur kind, the best mean PSNR of a sweep
  gamma       out = in^(1/g), g in 1.00, 1.05, ..., 6.00: one g for the set (best mean
              PSNR), and the per-image best g (an oracle: it needs the clean image)
  <model>     every Assets/weights/*.safetensors through `ram eval CLEAN... --crop-to 256
              --kinds VAL_KINDS --json --weights W` on the clean validation photos, so the
              numbers are exactly what `ram eval` reproduces (ram eval degrades in float and
              quantises to 8 bits as a saved PNG, `--input-bits 8`, so the model sees the
              pairs' image; its input PSNR is compared with the 8-bit pairs' and the
              difference is recorded)
Rain has no classical baseline here (the best median filter makes it worse).

Outputs: training/eval_table.md (the table and caption), training/eval_table.json (every
number: per image, per sweep value, chosen parameters, checks, versions, timings), and the
table spliced into README.md between <!-- eval-table:begin --> and <!-- eval-table:end -->.
Run it with one thread (the Makefile sets OMP/OpenBLAS/RAM_THREADS=1).

Cache: the baselines' per-image results (PSNR/SSIM, the gamma sweep's PSNRs) are kept in
data/eval_cache/baselines.json (git-ignored; --cache PATH elsewhere), keyed on the sha256 of the
degraded and of the clean PNG, the method, its parameters (sigma, h/sigma, Wiener balance/pad/
passes and the sha256 of the PSF, gamma, the DCP settings), BASELINE_CODE (bump a method's number
when its code changes) and the numpy/scipy/scikit-image/bm3d versions. Cached values are the
exact floats, so the table and JSON equal an uncached run's; a re-run after new weights only
recomputes the model columns (the PSF extraction, its re-blur check and the metric self-check
still run: seconds). --no-cache neither reads nor writes it. The last line printed says how
many baseline results came from the cache; eval_table.json's "cache" says it too.
"""

from __future__ import annotations

import argparse
import atexit
import glob
import hashlib
import json
import os
import subprocess
import sys
import shutil
import tempfile
import time

import numpy as np
from PIL import Image
from scipy import ndimage

from . import paths
from .png16 import read_png16, write_png16

REPO = paths.REPO
VAL_KINDS = ["noise:15", "noise:25", "noise:50", "rain:light", "rain:medium", "rain:heavy",
             "haze:1.2", "blur:15,30", "blur", "lowlight:0.5", "clean"]
# A photo restored below this PSNR counts as made worse on the clean row (the bar for the
# clean mean); on every other row a photo is made worse when its PSNR falls below its input's.
CLEAN_WORSE_DB = 40.0
NLM_K = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
WIENER_BALANCE = [0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02]
WIENER_PAD = 64          # padding (px) around the blurred image before deconvolution (see wiener_deblur)
WIENER_PASSES = 2
# Blind Wiener: one Gaussian PSF and one balance for the whole set per blur kind (no kernel
# known, like RAM; tuned on the set, like the global gamma).
BLIND_SIGMAS = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]
BLIND_BALANCE = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
GAMMAS = [round(1 + 0.05 * i, 2) for i in range(101)]   # 1.00 ... 6.00
DCP = {"patch": 15, "omega": 0.95, "t0": 0.1, "top_fraction": 0.001, "gf_radius": 60, "gf_eps": 1e-3}
BEGIN, END = "<!-- eval-table:begin -->", "<!-- eval-table:end -->"
MARKERS = {"val": (BEGIN, END), "heldout": ("<!-- eval-heldout:begin -->", "<!-- eval-heldout:end -->")}
# Versions of the baseline implementations, part of every cache key: bump a method's number
# when its code here changes (metrics: psnr/ssim/score/load, which every cached number goes
# through; wiener: wiener_deblur; dcp: dehaze_dcp and its helpers; gamma: the power law).
BASELINE_CODE = {"metrics": 1, "nlm": 1, "bm3d": 1, "dcp": 1, "wiener": 1, "wiener_blind": 1, "gamma_sweep": 1, "gamma": 1}
CACHE_FORMAT = 1
CACHE_LIBS = ("numpy", "scipy", "scikit-image", "bm3d", "bm4d")   # their versions are part of every key


# ---------------------------------------------------------------- metrics (= ram eval)

def psnr(clean: np.ndarray, out: np.ndarray) -> float:
    from skimage.metrics import peak_signal_noise_ratio
    return float(peak_signal_noise_ratio(clean, np.clip(out, 0, 1), data_range=1.0))


def ssim(clean: np.ndarray, out: np.ndarray) -> float:
    from skimage.metrics import structural_similarity
    return float(structural_similarity(clean, np.clip(out, 0, 1), data_range=1.0, channel_axis=-1,
                                       gaussian_weights=True, sigma=1.5, use_sample_covariance=False))


def score(clean, out):
    return psnr(clean, out), ssim(clean, out)


def load(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0


# ---------------------------------------------------------------- 16-bit PNG (for the PSF)



def ram_psf(ram: str, kind: str, seed: int, tmp: str, size: int = 193) -> tuple[np.ndarray, dict]:
    """The blur kernel of `ram degrade --kind KIND --seed SEED`: its response to a unit impulse
    in the middle of a black 16-bit image (ram keeps the bit depth), cropped to the smallest
    odd square around the impulse that holds every non-zero tap, normalised to sum 1."""
    img = np.zeros((size, size, 3))
    c = size // 2
    img[c, c] = 1.0
    src, dst = os.path.join(tmp, "impulse.png"), os.path.join(tmp, "psf.png")
    write_png16(src, img)
    subprocess.run([ram, "degrade", src, dst, "--kind", kind, "--seed", str(seed), "--force"], check=True,
                   stdout=subprocess.DEVNULL)
    out = read_png16(dst)
    if not (np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 0], out[..., 2])):
        raise RuntimeError(f"{kind} seed {seed}: the impulse response differs between channels")
    k = out[..., 0]
    ys, xs = np.nonzero(k)
    r = int(max(np.abs(ys - c).max(), np.abs(xs - c).max()))
    if r >= c - 1:
        raise RuntimeError(f"{kind} seed {seed}: kernel radius {r} reaches the impulse image's border")
    k = k[c - r:c + r + 1, c - r:c + r + 1]
    info = {"size": 2 * r + 1, "sum_before_normalising": round(float(k.sum()), 6), "taps": int((k > 0).sum())}
    return k / k.sum(), info


def ram_blur(clean: np.ndarray, psf: np.ndarray) -> np.ndarray:
    """ram's convolution (Degradation+Blur.swift): out(y,x) = sum k(i,j) in(y+r-i, x+r-j) with
    reflect padding without edge repetition (numpy 'reflect' = scipy.ndimage 'mirror')."""
    return np.stack([ndimage.convolve(clean[..., ch], psf, mode="mirror") for ch in range(3)], -1)


# ---------------------------------------------------------------- baselines

def nlm(img, sigma, k):
    from skimage.restoration import denoise_nl_means
    return denoise_nl_means(img, h=k * sigma, sigma=sigma, fast_mode=True, patch_size=5, patch_distance=6,
                            channel_axis=-1)


def box_mean(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over the (2r+1)^2 window clipped to the image (He's O(N) box filter)."""
    def along(a, axis):
        a = np.moveaxis(a, axis, 0)
        n = a.shape[0]
        cs = np.concatenate([np.zeros((1,) + a.shape[1:]), np.cumsum(a, 0)], 0)
        i = np.arange(n)
        lo, hi = np.clip(i - r, 0, n), np.clip(i + r + 1, 0, n)
        return np.moveaxis(cs[hi] - cs[lo], 0, axis)
    ones = np.ones(x.shape[:2])
    count = along(along(ones, 0), 1)
    return along(along(x, 0), 1) / count


def guided_filter(guide: np.ndarray, src: np.ndarray, r: int, eps: float) -> np.ndarray:
    """He, Sun & Tang's guided filter (ECCV 2010), grey guide."""
    mi, mp = box_mean(guide, r), box_mean(src, r)
    cov = box_mean(guide * src, r) - mi * mp
    var = box_mean(guide * guide, r) - mi * mi
    a = cov / (var + eps)
    b = mp - a * mi
    return box_mean(a, r) * guide + box_mean(b, r)


def dark_channel(img: np.ndarray, patch: int) -> np.ndarray:
    # minimum over the colour channels, then over a patch x patch window (clipped at the border)
    return ndimage.minimum_filter(img.min(axis=2), size=patch, mode="nearest")


def dehaze_dcp(img: np.ndarray, p=DCP) -> np.ndarray:
    """Dark channel prior (He, Sun & Tang, CVPR 2009), guided-filter refinement."""
    h, w, _ = img.shape
    dark = dark_channel(img, p["patch"])
    n = max(1, int(round(p["top_fraction"] * h * w)))
    top = np.argsort(dark.ravel(), kind="stable")[-n:]
    flat = img.reshape(-1, 3)
    airlight = flat[top[np.argmax(flat[top].sum(axis=1))]]
    airlight = np.maximum(airlight, 1e-3)
    t = 1 - p["omega"] * dark_channel(img / airlight, p["patch"])
    grey = img @ np.array([0.299, 0.587, 0.114])
    t = guided_filter(grey, t, p["gf_radius"], p["gf_eps"])
    t = np.maximum(t, p["t0"])[..., None]
    return (img - airlight) / t + airlight


def wiener_deblur(img, psf, balance, pad=WIENER_PAD, passes=WIENER_PASSES):
    """skimage `wiener` per channel with the known PSF, on a padded canvas whose border is
    consistent with the blur.

    The FFT deconvolution assumes a periodic blur, `ram degrade` blurred a reflect-padded image.
    Plain reflect padding of the *blurred* image is not a blurred image near the seam (mirroring
    turns a 30° line into a 150° one), and for line kernels the inverse filter spreads that
    error across the whole picture (measured: below the blurred input). So the pad is made of
    PSF ⊛ (reflect-padded estimate), circularly on the canvas, and the observed pixels are put
    back in the middle; the first pass uses the blurred image itself as the estimate, each
    further pass the previous restoration."""
    from skimage.restoration import wiener
    h, w = img.shape[:2]
    est = img
    for _ in range(passes):
        canvas = np.pad(np.clip(est, 0, 1), ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
        canvas = np.stack([ndimage.convolve(canvas[..., ch], psf, mode="wrap") for ch in range(3)], -1)
        canvas[pad:pad + h, pad:pad + w] = img
        out = np.stack([wiener(canvas[..., ch], psf, balance, clip=False) for ch in range(3)], -1)
        est = out[pad:pad + h, pad:pad + w]
    return est


def gaussian_psf(sigma: float) -> np.ndarray:
    """A normalised isotropic Gaussian kernel, (2*ceil(3 sigma)+1) px a side."""
    r = int(np.ceil(3 * sigma))
    x = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma * sigma))
    return g / g.sum()


# ---------------------------------------------------------------- baseline cache

def array_sha256(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a, dtype=np.float64)
    return hashlib.sha256(repr(a.shape).encode() + a.tobytes()).hexdigest()


class BaselineCache:
    """Per-image baseline results (scores, sweep values) in one JSON file, keyed on the sha256 of
    the canonical JSON of: the method, its BASELINE_CODE version and the metrics' version, the
    versions of CACHE_LIBS, the sha256 of the degraded and of the clean PNG, and the method's
    parameters (sigma, h/sigma, balance, PSF sha256, gamma, ...). Values are stored as JSON
    floats, which round-trip exactly, so a cached table equals an uncached one. Each entry also
    keeps the seconds its computation took (for the runtime and BM3D figures of the caption).

    Lookups only see what was on disk at the start; new entries are merged into the file as it
    is then (another run may have added some) and written atomically (temp file + rename).
    Stale entries (other versions or parameters) are never used and never pruned: delete the
    file to drop them. Disabled (--no-cache): nothing is read or written."""

    def __init__(self, path: str, enabled: bool, libs: dict):
        self.path, self.enabled, self.libs = path, enabled, libs
        self.entries, self.new = {}, {}
        self.hits = self.misses = 0
        self.compute_s = {}    # method -> seconds its results took to compute (stored for hits)
        self.count = {}        # method -> results
        self.wall_s = 0.0      # time spent in get(), hits and misses
        if enabled:
            self.entries = self._read()

    def _read(self, warn: bool = True) -> dict:
        try:
            with open(self.path) as f:
                data = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            if warn:
                print(f"warning: ignoring the unreadable baseline cache {self.path}: {e}", file=sys.stderr)
            return {}
        if data.get("format") != CACHE_FORMAT:
            return {}
        return data.get("entries", {})

    def key(self, method: str, degraded_sha: str, clean_sha: str, params: dict) -> str:
        k = {"method": method, "code": BASELINE_CODE[method], "metrics": BASELINE_CODE["metrics"], "libs": self.libs,
             "degraded": degraded_sha, "clean": clean_sha, "params": params}
        return hashlib.sha256(json.dumps(k, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    def get(self, method: str, degraded_sha: str, clean_sha: str, params: dict, compute):
        """The cached value, or compute() (a float, or a list/tuple of floats) stored as a list."""
        t0 = time.time()
        key = self.key(method, degraded_sha, clean_sha, params)
        e = self.entries.get(key)
        if e is not None and e.get("method") == method:
            self.hits += 1
            value, seconds = e["value"], e["s"]
        else:
            self.misses += 1
            value = compute()
            seconds = time.time() - t0
            value = [float(x) for x in value] if isinstance(value, (list, tuple)) else float(value)
            if self.enabled:
                self.new[key] = {"method": method, "value": value, "s": round(seconds, 4)}
        self.compute_s[method] = self.compute_s.get(method, 0.0) + seconds
        self.count[method] = self.count.get(method, 0) + 1
        self.wall_s += time.time() - t0
        return value

    def save(self):
        if not self.enabled or not self.new:
            return
        entries = self._read(warn=False)
        entries.update(self.new)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".baselines-", suffix=".json.tmp", dir=os.path.dirname(self.path))
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)   # mkstemp's 0600 -> as an ordinary file
            with os.fdopen(fd, "w") as f:
                json.dump({"format": CACHE_FORMAT, "written_by": "ram_training.eval", "entries": entries}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.new = {}


# ---------------------------------------------------------------- table

def harm_of(cell: dict, input_cell: dict | None) -> dict:
    """Harm next to gain for one column of one kind: the mean gain over the input, the worst
    photo's gain and the share of photos made worse; on the clean row (no input: the photo is
    its own reference) the worst photo's PSNR and the share below CLEAN_WORSE_DB."""
    p = np.array([x[0] for x in cell["per_image"]])
    if input_cell is None:
        return {"worst_psnr": float(p.min()), "worst_photo": int(p.argmin()),
                "worse_share": float((p < CLEAN_WORSE_DB).mean())}
    q = np.array([x[0] for x in input_cell["per_image"][:len(p)]])
    g = p - q
    return {"mean_gain": float(g.mean()), "worst_gain": float(g.min()), "worst_photo": int(g.argmin()),
            "worse_share": float((g < 0).mean())}


def make_harm_table(results, columns, kinds):
    """Per kind and column: mean gain / worst photo's gain / share of photos made worse (clean row:
    mean PSNR / worst photo's PSNR / share below CLEAN_WORSE_DB)."""
    cols = [(c, t) for c, t in columns if c != "input" and any(c in results[k] for k in kinds)]
    lines = ["| kind | " + " | ".join(t for _, t in cols) + " |", "|---|" + "---|" * len(cols)]
    for kind in kinds:
        cells = []
        for c, _ in cols:
            cell = results[kind].get(c)
            if cell is None or "harm" not in cell:
                cells.append("—")
                continue
            h = cell["harm"]
            mark = " †" if cell.get("subset") else ""
            if kind == "clean":
                cells.append(f"{cell['psnr']:.2f} / {h['worst_psnr']:.2f} / {100 * h['worse_share']:.0f} %{mark}")
            else:
                cells.append(f"{h['mean_gain']:+.2f} / {h['worst_gain']:+.2f} / {100 * h['worse_share']:.0f} %{mark}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def make_table(results, columns, n_photos, kinds=VAL_KINDS):
    head = "| kind | " + " | ".join(c[1] for c in columns) + " |"
    lines = [head, "|---|" + "---|" * len(columns)]
    for kind in kinds:
        row = results[kind]
        # bold: the best PSNR and the best SSIM of the row among the cells scored on every
        # photo, per-image oracles excluded
        ranked = [c for c, _ in columns if c in row and row[c]["n"] == n_photos and not row[c].get("oracle")
                  and np.isfinite(row[c]["psnr"])]
        bp = max((row[c]["psnr"] for c in ranked), default=None)
        bs = max((row[c]["ssim"] for c in ranked), default=None)
        cells = []
        for c, _ in columns:
            if c not in row:
                cells.append("—")
                continue
            if not np.isfinite(row[c]["psnr"]):
                cells.append("∞ (the reference)")
                continue
            p, s = f"{row[c]['psnr']:.2f}", f"{row[c]['ssim']:.3f}"
            if c in ranked and round(row[c]["psnr"], 2) == round(bp, 2):
                p = f"**{p}**"
            if c in ranked and round(row[c]["ssim"], 3) == round(bs, 3):
                s = f"**{s}**"
            mark = " †" if row[c]["n"] != n_photos else ""
            cells.append(f"{p} / {s}{mark}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def caption(n_photos, bm3d_n, meta, models, which="val"):
    nlm_k = meta["nlm_k"]
    what = (f"Validation set: {n_photos} validation photos (`data/split.json` \"val\", several of them dark, grey, "
            "low-contrast or smooth)" if which == "val" else
            f"Held-out set: {n_photos} photos (`data/split.json` \"heldout\"; no training choice is tuned on them, "
            "scored when a model is shipped)")
    lines = [
        what + ", 256×256 centre crops, one degraded "
        "image per kind and photo (image *i* seeded with *i*, as `ram eval --crop-to 256`). Each cell: mean RGB "
        "PSNR (dB) / SSIM on [0, 1], scikit-image conventions as `ram eval` (data_range 1, Gaussian SSIM window "
        "σ 1.5, 11×11, population covariances, per channel then averaged, full image, outputs clipped to [0, 1]). "
        "**Bold**: the row's best PSNR and best SSIM among columns scored on all photos, per-image oracle excluded. "
        "The baselines are one specialist per task, given the true σ or the true kernel (all but the blind Wiener) "
        "and a parameter tuned on this very set; RAM is one blind network for every row.",
        "",
        f"- *input*: the degraded 8-bit PNG of `data/pairs/{which}`, which the baselines restore. "
        "`ram eval` degrades in float and quantises to 8 bits before restoring (`--input-bits 8`, its default); its "
        f"input PSNR differs from this column by at most {meta['max_input_delta_db']:.3f} dB (per kind, in `{'eval_table' if which == 'val' else 'eval_heldout'}.json`).",
        "- *NLM*: skimage `denoise_nl_means`, fast mode, patch 5, distance 6, colour patches, the **true σ given** "
        "(not estimated), h = k·σ with k swept over " + ", ".join(f"{k:g}" for k in NLM_K)
        + "; the best k per noise level over the set: " + ", ".join(f"σ{s} → {k:g}" for s, k in nlm_k.items()) + ".",
        f"- *BM3D*: `bm3d.bm3d_rgb` (PyPI bm3d {meta['versions'].get('bm3d', '?')}, white noise, true σ) on the 8-bit "
        f"noisy PNG; † = only the first {bm3d_n} of the {n_photos} photos ({meta['bm3d_s_per_image']:.0f} s per image on one core). On the same "
        f"{bm3d_n} photos: " + "; ".join(
            f"{k}: input {v['input']:.2f}, NLM {v['nlm']:.2f}, BM3D {v['bm3d']:.2f}"
            + "".join(f", {m} {v[m]:.2f}" for m in models) for k, v in meta["bm3d_subset"].items()) + " dB PSNR."
        if bm3d_n and bm3d_n < n_photos else
        f"- *BM3D*: `bm3d.bm3d_rgb` (PyPI bm3d {meta['versions'].get('bm3d', '?')}, white noise, true σ) on the 8-bit noisy PNG, all photos."
        if bm3d_n else "- *BM3D*: not run (`--bm3d-limit 0`).",
        "- *DCP*: dark channel prior (He et al. 2009), patch 15, ω 0.95, t0 0.1, airlight from the brightest 0.1 % "
        "of the dark channel, transmission refined by a grey-guided filter (r 60, ε 1e-3); no parameter tuned here.",
        "- *Wiener*: skimage `wiener` per channel with the **known kernel** (non-blind: the exact PSF `ram degrade` "
        "used, read back as its impulse response; RAM is blind). ram blurs with reflect padding; the FFT "
        f"assumes periodicity, so the image is padded by {WIENER_PAD} px with PSF ⊛ (reflect-padded estimate) "
        f"and deconvolved {WIENER_PASSES}× (estimate = the blurred image, then the first result). Balance swept over "
        + ", ".join(f"{b:g}" for b in WIENER_BALANCE) + "; the best per kind over the set: "
        + ", ".join(f"{k} → {b:g}" for k, b in meta["wiener_balance"].items())
        + f". `blur` is a random camera-shake kernel per photo ({meta['shake_sizes']} px squares here), `blur:15,30` "
        "one fixed line kernel for every photo.",
        "- *Wiener (blind)*: the same deconvolution without the kernel, as RAM has to work: one isotropic Gaussian "
        "PSF and one balance for the whole set per blur kind, swept over σ " + ", ".join(f"{x:g}" for x in BLIND_SIGMAS)
        + " px × balance " + ", ".join(f"{x:g}" for x in BLIND_BALANCE) + "; chosen: "
        + ", ".join(f"{k} → σ {sg:g}, balance {b:g}" for k, (sg, b) in meta["blind_wiener"].items()) + ".",
        f"- *γ*: out = in^(1/γ); *global*: one γ for the set ({meta['gamma_global']:g}), *oracle*: the best γ per "
        "image (needs the clean image; not ranked).",
        "- Rain: no classical baseline (a median filter only makes it worse).",
        "- Models: " + ", ".join(f"`{m}` (sha256 {meta['weights_sha'][m][:12]})" for m in models)
        + f" through `ram eval` (Swift engine, weights as shipped; ram binary sha256 {meta['ram_sha'][:12]}).",
        f"- Regenerate: `make {'eval-table' if which == 'val' else 'eval-heldout'}` (~{meta['uncached_min']:.0f} min on one core of this 2-core VM from scratch; "
        "the baselines' per-image results are cached in the git-ignored `data/eval_cache/baselines.json`, keyed on "
        "the sha256 of the degraded and clean PNGs, the method, its parameters and the versions of its code and "
        f"libraries, so a re-run after new weights recomputes only the model columns: ~{meta['cached_min']:.0f} min; "
        f"`--no-cache` ignores the cache; {meta['date']}).",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- main

class EvalError(Exception):
    """A problem that ends the run: its message goes to stderr, `code` is the exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def build_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--data", default=os.path.join(REPO, "data"))
    ap.add_argument("--ram", default=os.path.join(REPO, ".build/release/ram"))
    ap.add_argument("--weights", nargs="*", default=None,
                    help="model weights to evaluate (default: every Assets/weights/*.safetensors)")
    ap.add_argument("--bm3d-limit", type=int, default=12,
                    help="BM3D on the first N photos only (default 12: ~8 of ~13 min; 25 = all, ~20 min; 0 = skip BM3D)")
    ap.add_argument("--limit", type=int, default=0, help="first N photos only (testing; the README is then left alone)")
    ap.add_argument("--set", default="val", choices=["val", "heldout"],
                    help="val (the validation split, VAL_KINDS) or heldout (the held-out set, data.pairs.HELDOUT_KINDS: "
                         "scored only when a model is shipped; no choice is tuned on it)")
    ap.add_argument("--out", default=None, help="writes OUT.md and OUT.json (default training/eval_table, "
                    "or training/eval_heldout for --set heldout)")
    ap.add_argument("--readme", default=os.path.join(REPO, "README.md"))
    ap.add_argument("--no-readme", action="store_true", help="do not splice the table into README.md")
    ap.add_argument("--cache", default=None,
                    help="the baseline cache (default: DATA/eval_cache/baselines.json; git-ignored like all of data/)")
    ap.add_argument("--no-cache", action="store_true",
                    help="compute every baseline result; the cache is neither read nor written")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = os.path.join(paths.TRAINING, "eval_table" if args.set == "val" else "eval_heldout")
    return args


def library_versions() -> dict:
    import skimage
    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scikit-image": skimage.__version__}
    from importlib.metadata import PackageNotFoundError, version
    for pkg in ("bm3d", "bm4d", "scipy"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return versions


class EvalSet:
    """The photos of --set with their pairs (data/pairs/index.json): clean and degraded images
    in [0, 1], their files' sha256 (the cache keys), per kind."""

    def __init__(self, args):
        index_path = os.path.join(args.data, "pairs", "index.json")
        if not os.path.exists(index_path):
            raise EvalError(f"{index_path} not found; make the pairs first (make train-data)")
        with open(index_path) as f:
            index = json.load(f)
        if args.set == "val" and index.get("val_kinds") != VAL_KINDS:
            raise EvalError(f"index val_kinds {index.get('val_kinds')} != {VAL_KINDS}; rerun data.pairs")
        kinds = index.get(f"{args.set}_kinds")
        if not kinds or args.set not in index:
            raise EvalError(f"{index_path} has no {args.set} pairs; rerun data.pairs")
        with open(os.path.join(args.data, "split.json")) as f:
            photos = sorted(json.load(f)[args.set])
        if args.limit:
            photos = photos[: args.limit]
        n = len(photos)
        by = {(e["kind"], e["seed"]): e for e in index[args.set]}
        for i, rel in enumerate(photos):
            for kind in kinds:
                e = by.get((kind, i))
                if e is None or e["photo"] != rel:
                    raise EvalError(f"no validation pair for {rel} {kind} seed {i}; rerun data.pairs")
        at = lambda rel: os.path.join(args.data, rel)  # noqa: E731
        self.data, self.photos, self.kinds, self.n, self.by = args.data, photos, kinds, n, by
        self.pairs_sha = index.get("binary", {}).get("sha256")
        self.names = [os.path.basename(p) for p in photos]
        self.clean = [load(at(by[(kinds[0], i)]["clean"])) for i in range(n)]
        self.deg = {k: [load(at(by[(k, i)]["degraded"])) for i in range(n)] for k in kinds}
        self.clean_sha = [paths.file_sha256(at(by[(kinds[0], i)]["clean"])) for i in range(n)]
        self.deg_sha = {k: [paths.file_sha256(at(by[(k, i)]["degraded"])) for i in range(n)] for k in kinds}
        self.noise_kinds = [k for k in kinds if k.startswith("noise:")]
        self.haze_kinds = [k for k in kinds if k.startswith("haze:")]
        self.blur_kinds = [k for k in ("blur:15,30", "blur") if k in kinds]


def private_binary(ram: str):
    """A private copy of the binary: a rebuild of .build/release/ram during the run can neither
    break the calls nor mix two builds in one table. Returns (its folder, its path, sha256)."""
    if not os.path.exists(ram):
        raise EvalError(f"{ram} not found; build it first (make build)")
    private_dir = tempfile.mkdtemp(prefix="eval-table-")
    private = os.path.join(private_dir, "ram")
    atexit.register(shutil.rmtree, private_dir, True)
    shutil.copy2(ram, private)
    return private_dir, private, paths.file_sha256(private)


def check_metrics(private: str, es: EvalSet) -> dict:
    """This module's PSNR/SSIM against `ram diff --json` on two pairs."""
    checks = {}
    for kind in ("noise:25", es.haze_kinds[0]):
        e = es.by[(kind, 0)]
        r = subprocess.run([private, "diff", os.path.join(es.data, e["degraded"]), os.path.join(es.data, e["clean"]),
                            "--json"], check=True, stdout=subprocess.PIPE, text=True)
        j = json.loads(r.stdout)
        mine = score(es.clean[0], es.deg[kind][0])
        checks[f"metric_vs_ram_diff_{kind}"] = {"ram": [j.get("psnr"), j.get("ssim")], "here": list(mine)}
        if abs(j["psnr"] - mine[0]) > 1e-6 or abs(j["ssim"] - mine[1]) > 1e-6:
            raise EvalError(f"metrics disagree with ram diff on {e['degraded']}: {j} vs {mine}", 1)
    return checks


def cell(per_image, **extra):
    arr = np.array(per_image)
    return {"psnr": float(arr[:, 0].mean()), "ssim": float(arr[:, 1].mean()), "n": len(per_image),
            "per_image": [[round(p, 4), round(s, 5)] for p, s in per_image], **extra}


class Table:
    """What the run fills in: results (kind -> column -> cell), the parameter sweeps, the
    chosen parameters, timings, and the baseline cache they come through."""

    def __init__(self, es: EvalSet, cache: BaselineCache):
        self.es, self.cache = es, cache
        self.results = {k: {} for k in es.kinds}
        self.sweeps, self.timings, self.chosen = {}, {}, {}
        for kind in es.kinds:
            if kind != "clean":   # the clean row's input is its reference (PSNR infinite): no input cell
                self.results[kind]["input"] = cell([score(c, d) for c, d in zip(es.clean, es.deg[kind])])


def run_nlm(t: Table):
    """Noise: NLM with the true sigma, h = k sigma with k swept per level."""
    es, cache, t0 = t.es, t.cache, time.time()
    nlm_k = {}
    for kind in es.noise_kinds:
        sigma = float(kind.split(":")[1]) / 255
        per_k = {k: [cache.get("nlm", es.deg_sha[kind][i], es.clean_sha[i], {"sigma": sigma, "h_over_sigma": k},
                               lambda: score(es.clean[i], nlm(es.deg[kind][i], sigma, k))) for i in range(es.n)]
                 for k in NLM_K}
        t.sweeps[f"nlm {kind}"] = {str(k): [float(np.mean([p for p, _ in v])), float(np.mean([s for _, s in v]))]
                                   for k, v in per_k.items()}
        best = max(NLM_K, key=lambda k: np.mean([p for p, _ in per_k[k]]))
        nlm_k[kind.split(":")[1]] = best
        t.results[kind]["nlm"] = cell(per_k[best], params={"h_over_sigma": best, "sigma": "true (given)"})
        print(f"  NLM {kind}: k {best}  {t.results[kind]['nlm']['psnr']:.2f} dB", flush=True)
    t.timings["nlm_sweep_s"] = round(time.time() - t0, 1)
    t.chosen["nlm_k"] = nlm_k
    cache.save()


def run_bm3d(t: Table, bm3d_n: int):
    """Noise: BM3D with the true sigma on the first bm3d_n photos."""
    if not bm3d_n:
        return
    import bm3d  # noqa: F401  (pip install bm3d into a git-ignored venv; see the Makefile)
    es, cache, t0 = t.es, t.cache, time.time()
    for kind in es.noise_kinds:
        sigma = float(kind.split(":")[1]) / 255
        per = []
        for i in range(bm3d_n):
            per.append(cache.get("bm3d", es.deg_sha[kind][i], es.clean_sha[i], {"sigma": sigma, "call": "bm3d_rgb"},
                                 lambda: score(es.clean[i], bm3d.bm3d_rgb(es.deg[kind][i], sigma))))
        cache.save()   # per kind: BM3D is most of an uncached run
        t.results[kind]["bm3d"] = cell(per, params={"sigma": "true (given)", "photos": bm3d_n})
        print(f"  BM3D {kind}: {t.results[kind]['bm3d']['psnr']:.2f} dB on {bm3d_n} photos "
              f"({(time.time() - t0) / 60:.1f} min so far)", flush=True)
    t.timings["bm3d_s"] = round(time.time() - t0, 1)
    # compute time, also for cached results (what each took when it was computed)
    t.timings["bm3d_s_per_image"] = round(cache.compute_s["bm3d"] / cache.count["bm3d"], 2)


def run_dcp(t: Table):
    """Haze: the dark channel prior."""
    es, cache, t0 = t.es, t.cache, time.time()
    for hk in es.haze_kinds:
        t.results[hk]["dcp"] = cell([cache.get("dcp", es.deg_sha[hk][i], es.clean_sha[i], DCP,
                                               lambda: score(es.clean[i], dehaze_dcp(es.deg[hk][i])))
                                     for i in range(es.n)], params=DCP)
        cache.save()
        print(f"  DCP {hk}: {t.results[hk]['dcp']['psnr']:.2f} dB", flush=True)
    t.timings["dcp_s"] = round(time.time() - t0, 1)


def blur_kernels(t: Table, private: str) -> dict:
    """The exact PSF of every blur pair from `ram degrade`'s impulse response, checked by
    re-blurring the clean crops against the pairs. Returns {kind: [(psf, info) per photo]}."""
    es = t.es
    psf_info = {}
    with tempfile.TemporaryDirectory() as tmp:
        psfs = {k: [ram_psf(private, k, i, tmp) for i in range(es.n)] for k in es.blur_kinds}
    for k, lst in psfs.items():
        reblur = [psnr(np.round(ram_blur(c, p) * 255) / 255, d) for c, d, (p, _) in zip(es.clean, es.deg[k], lst)]
        same_kernel = all(p.shape == lst[0][0].shape and np.array_equal(p, lst[0][0]) for p, _ in lst)
        psf_info[k] = {"sizes": [info["size"] for _, info in lst],
                       "sum_before_normalising": [info["sum_before_normalising"] for _, info in lst],
                       "same_kernel_for_every_seed": same_kernel,
                       "reblur_vs_pair_psnr_min": round(min(reblur), 2),
                       "reblur_vs_pair_psnr_mean": round(float(np.mean(reblur)), 2)}
        print(f"  PSF {k}: sizes {sorted(set(psf_info[k]['sizes']))}, same for every seed: {same_kernel}, "
              f"clean * PSF vs the pair: >= {min(reblur):.1f} dB", flush=True)
        if min(reblur) < 45:
            raise EvalError(f"the extracted {k} kernel does not reproduce the pairs ({min(reblur):.1f} dB)", 1)
    t.chosen["psf_info"] = psf_info
    return psfs


def run_wiener(t: Table, psfs: dict):
    """Blur: Wiener deconvolution with the exact kernel, the balance swept per kind."""
    es, cache = t.es, t.cache
    psf_sha = {k: [array_sha256(p) for p, _ in lst] for k, lst in psfs.items()}
    per_b = {}
    for b in WIENER_BALANCE:
        per_b[b] = {k: [cache.get("wiener", es.deg_sha[k][i], es.clean_sha[i],
                                  {"psf_sha256": psf_sha[k][i], "balance": b, "pad": WIENER_PAD, "passes": WIENER_PASSES},
                                  lambda: score(es.clean[i], wiener_deblur(es.deg[k][i], psfs[k][i][0], b)))
                        for i in range(es.n)]
                    for k in psfs}
        t.sweeps[f"wiener balance {b:g}"] = {k: [float(np.mean([x for x, _ in v])), float(np.mean([y for _, y in v]))]
                                             for k, v in per_b[b].items()}
    best_b = {}
    for k in psfs:
        best_b[k] = max(WIENER_BALANCE, key=lambda b: np.mean([x for x, _ in per_b[b][k]]))
        t.results[k]["wiener"] = cell(per_b[best_b[k]][k], params={"balance": best_b[k], "pad": WIENER_PAD,
                                                                   "passes": WIENER_PASSES,
                                                                   "kernel": "exact (ram degrade impulse response)"})
        print(f"  Wiener {k}: balance {best_b[k]:g}  {t.results[k]['wiener']['psnr']:.2f} dB", flush=True)
    t.chosen["wiener_balance"] = best_b
    cache.save()


def run_blind_wiener(t: Table, blur_kinds):
    """Blur, blind: one Gaussian PSF and balance per kind for the whole set (PSNR sweep, then
    the chosen pair scored with SSIM too)."""
    es, cache, t0 = t.es, t.cache, time.time()
    blind_best = {}
    for k in blur_kinds:
        def blind_psnr(i, sg, b):
            return cache.get("wiener_blind", es.deg_sha[k][i], es.clean_sha[i],
                             {"gaussian_sigma": sg, "balance": b, "pad": WIENER_PAD, "passes": WIENER_PASSES},
                             lambda: score(es.clean[i], wiener_deblur(es.deg[k][i], gaussian_psf(sg), b)))
        grid = {(sg, b): float(np.mean([blind_psnr(i, sg, b)[0] for i in range(es.n)]))
                for sg in BLIND_SIGMAS for b in BLIND_BALANCE}
        t.sweeps[f"blind wiener {k} (PSNR by sigma, balance)"] = {f"{sg:g},{b:g}": v for (sg, b), v in grid.items()}
        sg, b = max(grid, key=grid.get)
        blind_best[k] = (sg, b)
        t.results[k]["wiener_blind"] = cell([blind_psnr(i, sg, b) for i in range(es.n)],
                                            params={"gaussian_sigma": sg, "balance": b, "pad": WIENER_PAD,
                                                    "passes": WIENER_PASSES, "kernel": "one Gaussian for the set"})
        print(f"  blind Wiener {k}: Gaussian sigma {sg:g}, balance {b:g}  {t.results[k]['wiener_blind']['psnr']:.2f} dB",
              flush=True)
    t.timings["wiener_blind_s"] = round(time.time() - t0, 1)
    t.chosen["blind_wiener"] = blind_best
    cache.save()


def run_gamma(t: Table):
    """Low light: one global gamma for the set and the per-image oracle gamma."""
    es, cache, t0 = t.es, t.cache, time.time()
    n, clean = es.n, es.clean
    ll = es.deg["lowlight:0.5"]
    ll_sha = es.deg_sha["lowlight:0.5"]
    sweep_g = [cache.get("gamma_sweep", ll_sha[i], es.clean_sha[i], {"gammas": GAMMAS},   # PSNR only, per image
                         lambda: [psnr(clean[i], np.clip(ll[i], 0, 1) ** (1 / g)) for g in GAMMAS]) for i in range(n)]
    per_g = {g: [sweep_g[i][j] for i in range(n)] for j, g in enumerate(GAMMAS)}

    def gamma_score(i, g):
        return cache.get("gamma", ll_sha[i], es.clean_sha[i], {"gamma": g},
                         lambda: score(clean[i], np.clip(ll[i], 0, 1) ** (1 / g)))
    t.sweeps["gamma lowlight:0.5 (PSNR)"] = {str(g): float(np.mean(v)) for g, v in per_g.items()}
    g_best = max(GAMMAS, key=lambda g: np.mean(per_g[g]))
    t.results["lowlight:0.5"]["gamma"] = cell([gamma_score(i, g_best) for i in range(n)], params={"gamma": g_best})
    oracle, oracle_g = [], []
    for i in range(n):
        g = max(GAMMAS, key=lambda g: per_g[g][i])   # the best PSNR per image
        oracle.append(gamma_score(i, g))
        oracle_g.append(g)
    t.results["lowlight:0.5"]["gamma_oracle"] = cell(oracle, oracle=True, params={"gamma_per_image": oracle_g})
    print(f"  gamma lowlight:0.5: global {g_best} {t.results['lowlight:0.5']['gamma']['psnr']:.2f} dB, "
          f"oracle {t.results['lowlight:0.5']['gamma_oracle']['psnr']:.2f} dB", flush=True)
    t.timings["gamma_s"] = round(time.time() - t0, 1)
    t.chosen["gamma_global"] = g_best
    cache.save()


def run_models(t: Table, weights, private: str, private_dir: str):
    """Every model through `ram eval` on the same photos, kinds and seeds. Returns (model
    names, ram eval's input scores against the pairs')."""
    es, results = t.es, t.results
    models, input_check = [], {}
    env = dict(os.environ, RAM_THREADS=os.environ.get("RAM_THREADS", "1"))
    for w in weights:
        name = os.path.splitext(os.path.basename(w))[0]
        models.append(name)
        t0 = time.time()
        w_copy = os.path.join(private_dir, os.path.basename(w))   # a snapshot: an export may replace w meanwhile
        shutil.copy2(w, w_copy)
        w_sha = paths.file_sha256(w_copy)
        cmd = [private, "eval", *[os.path.join(es.data, p) for p in es.photos], "--kinds", ",".join(es.kinds),
               "--crop-to", "256", "--weights", w_copy, "--json"]
        r = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env)
        rep = json.loads(r.stdout)
        # ram prints each kind in its canonical spelling (haze:1.0 -> haze:1), in the order asked.
        ram_kind = dict(zip(es.kinds, [x["kind"] for x in rep["summary"]]))
        for kind in es.kinds:
            rows = [x for x in rep["rows"] if x["kind"] == ram_kind[kind]]
            assert [x["image"] for x in rows] == es.names, (kind, [x["image"] for x in rows])
            results[kind][name] = cell([(x["restoredPSNR"], x["restoredSSIM"]) for x in rows],
                                       weights=os.path.relpath(w, REPO), weights_sha256=w_sha)
            if kind == "clean":
                continue
            delta = [x["inputPSNR"] - p for x, (p, _) in zip(rows, results[kind]["input"]["per_image"])]
            dssim = [x["inputSSIM"] - s for x, (_, s) in zip(rows, results[kind]["input"]["per_image"])]
            input_check.setdefault(kind, {"ram_eval_input_psnr": float(np.mean([x["inputPSNR"] for x in rows])),
                                          "ram_eval_input_ssim": float(np.mean([x["inputSSIM"] for x in rows])),
                                          "pairs_input_psnr": results[kind]["input"]["psnr"],
                                          "max_abs_delta_psnr_db": float(np.max(np.abs(delta))),
                                          "max_abs_delta_ssim": float(np.max(np.abs(dssim)))})
        t.timings[f"ram_eval_{name}_s"] = round(time.time() - t0, 1)
        print(f"  {name}: ram eval {time.time() - t0:.0f} s; " + ", ".join(
            f"{k} {results[k][name]['psnr']:.2f}" for k in es.kinds), flush=True)
    for kind, c in input_check.items():
        if c["max_abs_delta_psnr_db"] > 0.05:
            print(f"warning: {kind}: ram eval's input PSNR differs from the pairs' by up to "
                  f"{c['max_abs_delta_psnr_db']:.3f} dB per image (8-bit quantisation of the pairs?)", flush=True)
    return models, input_check


def bm3d_subset_means(t: Table, bm3d_n: int, models) -> dict:
    """When BM3D ran on a subset: every noise column's mean PSNR on that subset."""
    out = {}
    if bm3d_n and bm3d_n < t.es.n:
        for kind in t.es.noise_kinds:
            row = t.results[kind]
            out[kind] = {c: float(np.mean([p for p, _ in row[c]["per_image"][:bm3d_n]]))
                         for c in ["input", "nlm", "bm3d"] + models}
    return out


def render(t: Table, models, bm3d_n: int, meta: dict, which: str) -> str:
    """The Markdown: the PSNR / SSIM table, the harm table and the caption. Adds harm next to
    gain to every cell first (baselines' subsets against the same photos' input)."""
    kinds = t.es.kinds
    for kind in kinds:
        for c, v in t.results[kind].items():
            if c != "input":
                v["harm"] = harm_of(v, t.results[kind].get("input"))
                v["subset"] = v["n"] != t.es.n
    columns = [("input", "input"), ("nlm", "NLM"), ("bm3d", "BM3D"), ("dcp", "DCP"), ("wiener", "Wiener (known kernel)"),
               ("wiener_blind", "Wiener (blind)"),
               ("gamma", "γ global"), ("gamma_oracle", "γ oracle")] + [(m, f"RAM `{m}`") for m in models]
    table = make_table(t.results, columns, t.es.n, kinds)
    harm_table = make_harm_table(t.results, columns, kinds)
    cap = caption(t.es.n, bm3d_n, meta, models, which)
    return (table + "\n\nHarm next to gain: per kind, *mean gain / the worst photo's gain / share of photos made worse* "
            "(PSNR against the input's); the clean row restores the undegraded photos: *mean PSNR / the worst photo's "
            f"PSNR / share below {CLEAN_WORSE_DB:g} dB*. † = on a subset of the photos.\n\n" + harm_table + "\n\n" + cap + "\n")


def splice_readme(readme: str, which: str, md: str):
    """Replaces the table between the README's markers for `which` (atomic write)."""
    with open(readme) as f:
        text = f.read()
    begin, end = MARKERS[which]
    if begin not in text or end not in text:
        raise EvalError(f"{readme} lacks the markers {begin} / {end}", 1)
    pre, rest = text.split(begin, 1)
    _, post = rest.split(end, 1)
    new = pre + begin + "\n" + md + end + post
    if new != text:
        tmp = readme + ".tmp"
        with open(tmp, "w") as f:
            f.write(new)
        os.replace(tmp, readme)


def main(argv=None) -> int:
    args = build_args(argv)
    try:
        return evaluate(args)
    except EvalError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code


def evaluate(args) -> int:
    t_start = time.time()
    versions = library_versions()
    if not os.path.exists(args.ram):
        raise EvalError(f"{args.ram} not found; build it first (make build)")
    es = EvalSet(args)
    private_dir, private, ram_sha = private_binary(args.ram)
    cache_path = os.path.abspath(args.cache or os.path.join(args.data, "eval_cache", "baselines.json"))
    cache = BaselineCache(cache_path, not args.no_cache, {k: versions.get(k) for k in CACHE_LIBS})
    print(f"eval-table ({args.set}): {es.n} photos x {len(es.kinds)} kinds; ram {args.ram} (sha256 {ram_sha[:12]}; "
          f"pairs made by {str(es.pairs_sha)[:12]})", flush=True)
    checks = check_metrics(private, es)

    t = Table(es, cache)
    run_nlm(t)
    bm3d_n = min(args.bm3d_limit, es.n)
    run_bm3d(t, bm3d_n)
    run_dcp(t)
    t0 = time.time()
    psfs = blur_kernels(t, private)
    run_wiener(t, psfs)
    t.timings["wiener_s"] = round(time.time() - t0, 1)   # the kernels' extraction counts with Wiener
    run_blind_wiener(t, psfs)
    run_gamma(t)
    t.timings["baseline_compute_s"] = {m: round(v, 1) for m, v in cache.compute_s.items()}   # incl. cached results
    cache_info = {"path": os.path.relpath(cache_path, REPO) if not args.no_cache else None,
                  "from_cache": cache.hits, "computed": cache.misses}

    weights = args.weights if args.weights is not None else sorted(glob.glob(os.path.join(REPO, "Assets/weights/*.safetensors")))
    models, input_check = run_models(t, weights, private, private_dir)
    bm3d_subset = bm3d_subset_means(t, bm3d_n, models)

    timings = t.timings
    runtime = time.time() - t_start
    timings["total_s"] = round(runtime, 1)
    # what a run costs without the cache (baseline results at the time they took to compute) and
    # with every baseline result cached (this run less the time spent getting baseline results)
    timings["estimated_uncached_s"] = round(runtime - cache.wall_s + sum(cache.compute_s.values()), 1)
    timings["estimated_all_cached_s"] = round(runtime - cache.wall_s, 1)
    sizes = t.chosen["psf_info"]["blur"]["sizes"]
    ch = t.chosen
    meta = {"weights_sha": {m: t.results[es.kinds[0]][m]["weights_sha256"] for m in models}, "ram_sha": ram_sha,
            "shake_sizes": f"{min(sizes)}–{max(sizes)}", "nlm_k": ch["nlm_k"],
            "bm3d_s_per_image": timings.get("bm3d_s_per_image", 0), "wiener_balance": ch["wiener_balance"],
            "blind_wiener": ch["blind_wiener"], "gamma_global": ch["gamma_global"], "versions": versions,
            "bm3d_subset": bm3d_subset, "uncached_min": timings["estimated_uncached_s"] / 60,
            "cached_min": timings["estimated_all_cached_s"] / 60, "date": time.strftime("%Y-%m-%d"),
            "max_input_delta_db": max((c["max_abs_delta_psnr_db"] for c in input_check.values()), default=0.0)}
    md = render(t, models, bm3d_n, meta, args.set)
    print("\n" + md)

    with open(args.out + ".md", "w") as f:
        f.write("<!-- generated by ram_training.eval (make eval-table); do not edit -->\n" + md)
    report = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S"), "command": " ".join(["python3 -m ram_training.eval"] + sys.argv[1:]),
        "convention": "RGB PSNR/SSIM on [0,1], skimage 0.26: data_range 1, SSIM gaussian_weights sigma 1.5 (11x11), "
                      "use_sample_covariance False, channel_axis -1, full image, outputs clipped to [0,1] (float, not re-quantised)",
        "set": args.set, "photos": es.names, "kinds": es.kinds, "versions": versions,
        "ram_binary": {"path": os.path.relpath(args.ram, REPO), "sha256": ram_sha}, "pairs_binary_sha256": es.pairs_sha,
        "bm3d_photos": bm3d_n, "chosen": {"nlm_h_over_sigma": ch["nlm_k"], "wiener_balance": ch["wiener_balance"],
                                         "blind_wiener_sigma_balance": ch["blind_wiener"], "wiener_pad": WIENER_PAD,
                                         "wiener_passes": WIENER_PASSES, "gamma_global": ch["gamma_global"], "dcp": DCP},
        "results": t.results, "sweeps": t.sweeps, "psf": ch["psf_info"], "ram_eval_vs_pairs_input": input_check,
        "bm3d_subset_psnr": bm3d_subset, "checks": checks, "timings": timings, "cache": cache_info,
    }
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=1)

    cache_line = (f"baseline cache: {cache.hits} of {cache.hits + cache.misses} baseline results from "
                  f"{os.path.relpath(cache_path, REPO)}, {cache.misses} computed" if not args.no_cache else
                  f"baseline cache: not used (--no-cache); all {cache.misses} baseline results computed")
    if args.limit or args.no_readme:
        print(f"(README.md left alone: {'--limit' if args.limit else '--no-readme'})")
        print(cache_line)
        return 0
    splice_readme(args.readme, args.set, md)
    print(f"wrote {os.path.relpath(args.out, REPO)}.md, .json and the table in {os.path.relpath(args.readme, REPO)} "
          f"({runtime / 60:.1f} min)")
    print(cache_line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
