#!/usr/bin/env python3
"""Reference PSNR/SSIM values from scikit-image for the Swift metric tests (MetricsTests).

Writes, next to this script:
  metric_<name>.bin      planar (3, H, W) little-endian float32, the layout of RGBImage.pixels
  metric_fixtures.json   {"cases": [{"name", "width", "height", "a", "b",
                                     "results": [{"y_channel", "crop", "psnr", "ssim"}]}]}

Conventions mirrored from Sources/Imaging/Metrics.swift: inputs are clamped to [0, 1]; `crop`
pixels are shaved from every border; the Y channel is BT.601 studio-swing luma on [0, 1]
(Y = 16/255 + (65.481 R + 128.553 G + 24.966 B) / 255, no rounding). skimage is called on
float64 copies of the float32 data so the reference carries no float32 filtering error.

Run: python3 make_metric_fixtures.py   (needs numpy, scipy, scikit-image; no network)
"""
import json
import math
import os

import numpy as np
from scipy.ndimage import gaussian_filter
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 48, 40
rng = np.random.default_rng(20240611)


def smooth_image():
    """A random smooth colour image in [0.05, 0.95], (3, H, W)."""
    img = np.stack([gaussian_filter(rng.standard_normal((H, W)), sigma=3.0, mode="wrap") for _ in range(3)])
    for c in range(3):
        ch = img[c]
        img[c] = 0.05 + 0.9 * (ch - ch.min()) / (ch.max() - ch.min())
    return img.astype(np.float32)


def save(name, img):
    assert img.shape == (3, H, W) and img.dtype == np.float32
    img.astype("<f4").tofile(os.path.join(HERE, f"metric_{name}.bin"))
    return f"metric_{name}.bin"


def prepare(img, y_channel, crop):
    x = np.clip(img.astype(np.float64), 0.0, 1.0)
    if crop > 0:
        x = x[:, crop:-crop, crop:-crop]
    if y_channel:
        x = 16.0 / 255 + (65.481 * x[0] + 128.553 * x[1] + 24.966 * x[2]) / 255
        return x  # (H, W)
    return np.moveaxis(x, 0, -1)  # (H, W, 3), channel_axis=-1


def metrics(a, b, y_channel, crop):
    pa, pb = prepare(a, y_channel, crop), prepare(b, y_channel, crop)
    psnr = peak_signal_noise_ratio(pa, pb, data_range=1.0)
    ssim = structural_similarity(
        pa, pb, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        channel_axis=None if y_channel else -1)
    return float(psnr), float(ssim)


clean = smooth_image()
# Unclipped on purpose: values outside [0, 1] exercise the clamp.
noisy = (clean + rng.normal(0, 0.08, clean.shape)).astype(np.float32)
blurred = np.stack([gaussian_filter(clean[c].astype(np.float64), sigma=1.2, mode="reflect") for c in range(3)]).astype(np.float32)
# A low-contrast gray-ish pair, where the C1/C2 constants dominate SSIM.
gray_a = (0.5 + 0.02 * (smooth_image() - 0.5)).astype(np.float32)
gray_b = (gray_a + rng.normal(0, 0.01, gray_a.shape) + 0.01).astype(np.float32)

cases = [
    ("noisy", clean, noisy),
    ("blurred", clean, blurred),
    ("gray", gray_a, gray_b),
]
files = {"clean": save("clean", clean), "noisy": save("noisy", noisy), "blurred": save("blurred", blurred),
         "gray_a": save("gray_a", gray_a), "gray_b": save("gray_b", gray_b)}
names = {"noisy": ("clean", "noisy"), "blurred": ("clean", "blurred"), "gray": ("gray_a", "gray_b")}

out = {"generator": "make_metric_fixtures.py", "cases": []}
for name, a, b in cases:
    results = []
    for y_channel in (False, True):
        for crop in (0, 4):
            p, s = metrics(a, b, y_channel, crop)
            assert math.isfinite(p)
            results.append({"y_channel": y_channel, "crop": crop, "psnr": p, "ssim": s})
    fa, fb = names[name]
    out["cases"].append({"name": name, "width": W, "height": H, "a": files[fa], "b": files[fb], "results": results})

with open(os.path.join(HERE, "metric_fixtures.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
for case in out["cases"]:
    for r in case["results"]:
        print(f'{case["name"]:8s} y={r["y_channel"]!s:5s} crop={r["crop"]}  psnr {r["psnr"]:.6f}  ssim {r["ssim"]:.8f}')
