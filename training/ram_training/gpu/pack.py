"""Packs training data for a GPU machine into one compressed file (data/gpu_pack.npz).

    python3 -m ram_training.gpu.pack [--ram .build/release/ram] [--max-mib 50] [--crop 128]
                                 [--rain-layers 300] [--haze-layers 300] [--blur-kernels 300]

The GPU machine (see training/gpu/README.md) gets the git working tree and this one file
(--max-mib, default 50), not the 1.4 GB of PNG pairs. The pack stores clean crops and
the *ingredients* of the degradations, and gpu.train synthesises fresh degraded inputs on
the GPU for every batch, with exactly the project's one recipe (`ram degrade`,
Sources/Imaging/Degradation*.swift), measured here rather than re-implemented:

  clean         uint8 (M, S, S, 3)  clean crops, S = --crop, stored horizontally
                                    delta-coded (meta codings; np.cumsum(.., axis=2,
                                    dtype=uint8) decodes), each from a training tile of
                                    data/pairs (photo or dead leaves)
  clean_source  uint8 (M,)          0 photo, 1 dead leaves;  clean_tile str (M,), clean_box int32 (M, 4)
  rain_slope    uint16 (R, L, L)    rain is out = slope·x + (white - slope) (screen composites
  rain_white    float32 (R,)          then the veil: affine in x, the same in every channel):
                                    slope in 1/65535, white = the response to x = 1 (a constant)
  haze_t        uint16 (Z, L, L)    haze is out = x·t + A_c·(1 - t): t in 1/65535, delta-coded
  haze_airlight float32 (Z, 3)        along both axes; A per channel
  blur_psf      float16 (B, K, K)   blur kernels (impulse responses of `ram degrade`), ram's
                                    orientation (a true convolution), zero-padded to one odd K
  {rain,haze,blur}_kind str, _seed int64: the `ram degrade` kind and seed of each layer;
  {rain,haze}_shape int32 (., 2)    (h, w) of the tile-sized image the layer was made on, and
  {rain,haze}_window int32 (., 2)   (y0, x0) of the stored L x L window in it; {rain,haze}_tile str
  val_*                             real pairs of data/pairs/val, centre crops (monitoring)
  meta          str ()              JSON: format ram-gpu-pack/2, arguments, counts, the noise
                                    and low-light levels to draw, codings, checks, provenance

How the layers are made. Rain and haze depend on the image size (streak length, seed count
and percentile normalisation; horizon and field scale), so each layer is made on an image of
the shape of a training tile (dead-leaves tile with probability --deadleaves), exactly as
data.pairs degrades whole tiles before train crops them: `ram degrade` of a black and
of a white 16-bit image of that shape gives slope = white - black and offset = black; the
model (one slope for all channels; rain: white constant; haze: black = A_c·(1 - t)) and
affinity itself (ram's response to the real tile, as 16 bits, against black + slope·x) are
checked on every layer, and gpu.pack exits 1 if any deviates by more than --affine-tol codes
of 1/65535. A random L x L window (L = S) of the layer is stored. Kinds and seeds come from
data.pairs.train_kinds (rain light/medium/heavy, haze beta ~ U(0.6, 1.8), blur: 2 camera
shakes to 1 line kernel of length U(5, 25) at U(0, 180) deg), under names seeded by --seed.
Blur kernels are the responses to an impulse; each is checked by blurring a real crop on the
CPU with the torch code gpu.train uses and comparing with `ram degrade` of that crop
through 8-bit PNGs (max difference must be <= 1 level). Noise sigmas and the low-light level
range are measured from data.pairs.train_kinds and stored in meta; their formulas are in
gpu.synth (checked against ram by tests/test_synth.py).

Clean crops are drawn in a seeded order that visits every tile once before any tile twice,
dead leaves with probability --deadleaves, until the budget is full; the file is then
written and trimmed if it came out over --max-mib. The validation crops (--val-crop) only
monitor training on the GPU; the real score is export's, on the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zlib
from collections import OrderedDict

import numpy as np
from PIL import Image

from .. import paths
from ..data import TASKS
from . import ramio


class PNGCache:
    def __init__(self, root: str, n: int = 64):
        self.root, self.n, self.items = root, n, OrderedDict()

    def get(self, rel: str) -> np.ndarray:
        a = self.items.get(rel)
        if a is None:
            a = np.asarray(Image.open(os.path.join(self.root, rel)).convert("RGB"))
            self.items[rel] = a
            if len(self.items) > self.n:
                self.items.popitem(last=False)
        else:
            self.items.move_to_end(rel)
        return a


def zsize(a: np.ndarray) -> int:
    """Deflate size of one crop, as np.savez_compressed (zipfile, zlib level 6) stores it."""
    return len(zlib.compress(np.ascontiguousarray(a).tobytes(), 6))


def tree_bytes() -> int | None:
    """Bytes of the working tree that travels with the pack: tracked and untracked, not
    ignored files."""
    try:
        out = subprocess.run(["git", "-C", paths.REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    total = 0
    for rel in set(out.decode("utf-8", "replace").split("\0")):
        p = os.path.join(paths.REPO, rel)
        if rel and os.path.isfile(p) and not os.path.islink(p):
            total += os.path.getsize(p)
    return total


def build_val(data: str, index: dict, crop: int):
    if crop <= 0:
        return None
    cache = PNGCache(data, 4)
    clean_pos, vc, vd, vci, vt, vk = {}, [], [], [], [], []
    for e in sorted(index["val"], key=lambda e: (e["clean"], e["kind"])):
        c = cache.get(e["clean"])
        h, w = c.shape[:2]
        if min(h, w) < crop:
            raise SystemExit(f"--val-crop {crop} is larger than the validation crops ({w}x{h})")
        y0, x0 = (h - crop) // 2, (w - crop) // 2
        if e["clean"] not in clean_pos:
            clean_pos[e["clean"]] = len(vc)
            vc.append(c[y0:y0 + crop, x0:x0 + crop])
        d = cache.get(e["degraded"])
        vd.append(d[y0:y0 + crop, x0:x0 + crop])
        vci.append(clean_pos[e["clean"]])
        vt.append(TASKS.index(e["task"]))
        vk.append(e["kind"])
    return {"val_clean": np.stack(vc), "val_degraded": np.stack(vd), "val_clean_idx": np.array(vci, np.int32),
            "val_task": np.array(vt, np.uint8), "val_kind": np.array(vk)}


def write_pack(path: str, arrays: dict):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    os.replace(tmp, path)
    return os.path.getsize(path)


def encode_delta(a: np.ndarray, axes) -> np.ndarray:
    """Differences along `axes` (first element kept), wrapping in a's unsigned type: smooth
    images deflate better. synth.decode_delta (np.cumsum along the same axes) inverts it."""
    out = a.copy()
    for ax in axes:
        sl_hi = [slice(None)] * a.ndim
        sl_lo = [slice(None)] * a.ndim
        sl_hi[ax], sl_lo[ax] = slice(1, None), slice(None, -1)
        src = out.copy()
        out[tuple(sl_hi)] = src[tuple(sl_hi)] - src[tuple(sl_lo)]
    return out


def training_tiles(index: dict, min_side: int):
    """{'photo': [...], 'deadleaves': [...]} of (clean path, w, h, box), sorted, tiles with a
    side below min_side left out (as train does)."""
    tiles = {}
    for e in index["train"]:
        tiles.setdefault(e["clean"], e)
    by_src = {"photo": [], "deadleaves": []}
    for key in sorted(tiles):
        e = tiles[key]
        w, h = e["box"][2] - e["box"][0], e["box"][3] - e["box"][1]
        if min(w, h) >= min_side:
            by_src["deadleaves" if e.get("source") == "deadleaves" else "photo"].append((key, w, h, e["box"]))
    if not by_src["photo"] and not by_src["deadleaves"]:
        raise SystemExit("no training tiles large enough (run make train-data)")
    return by_src


def pick_source(by_src, rng, deadleaves: float) -> str:
    return "deadleaves" if (by_src["deadleaves"] and (rng.random() < deadleaves or not by_src["photo"])) else "photo"


def plan_clean(by_src, args, rng):
    """Endless (tile, source, y0, x0): every tile of a source once before any twice."""
    order = {s: [] for s in by_src}
    while True:
        src = pick_source(by_src, rng, args.deadleaves)
        if not order[src]:
            order[src] = [by_src[src][i] for i in rng.permutation(len(by_src[src]))]
        key, w, h, box = order[src].pop()
        y0, x0 = int(rng.integers(0, h - args.crop + 1)), int(rng.integers(0, w - args.crop + 1))
        yield key, src, y0, x0


class Checks:
    """Worst cases of the per-layer verifications, failing loudly past the tolerance."""

    def __init__(self):
        self.worst, self.failures = {}, []

    def note(self, name: str, value: float, limit: float, what: str):
        self.worst[name] = max(self.worst.get(name, float("-inf")), float(value))
        if value > limit:
            self.failures.append(f"{what}: {name} = {value:.3f} > {limit}")
            print(f"  CHECK FAILED {what}: {name} = {value:.3f} > {limit}", file=sys.stderr, flush=True)


def make_affine_layers(task: str, n: int, args, by_src, ram, cache, checks: Checks):
    """n rain or haze layers: (arrays, zlib bytes). See the module doc."""
    L = args.crop
    rng = np.random.default_rng([args.seed, 1 if task == "rain" else 2])
    slopes, whites, airs, kinds, seeds, shapes, windows, tiles_ = [], [], [], [], [], [], [], []
    t0 = time.time()
    for i in range(n):
        kind, seed = ramio.draw_kind(task, f"gpu-pack-{args.seed}-{task}-{i}", float(rng.random()))
        src = pick_source(by_src, rng, args.deadleaves)
        key, w, h, _ = by_src[src][int(rng.integers(len(by_src[src])))]
        probe = cache.get(key)
        if probe.shape[:2] != (h, w):
            raise SystemExit(f"{key}: {probe.shape[1]}x{probe.shape[0]}, index says {w}x{h}")
        black, white, dev = ramio.affine_layer(ram, kind, seed, h, w, probe)
        what = f"{kind} seed {seed} on {w}x{h}"
        checks.note(f"{task}_affine_dev_codes", dev, args.affine_tol, what)
        b, wt = black.astype(np.int64), white.astype(np.int64)
        slope = wt - b
        if task == "rain":
            checks.note("rain_slope_channel_spread_codes", np.abs(slope - slope[..., :1]).max(), args.affine_tol, what)
            checks.note("rain_white_spread_codes", wt.max() - wt.min(), args.affine_tol, what)
            s1 = slope[..., 0]
            wcode = float(wt.mean())
            whites.append(wcode / 65535)
        else:
            s1 = np.round(slope.mean(-1)).astype(np.int64)
            checks.note("haze_slope_channel_spread_codes", np.abs(slope - s1[..., None]).max(), args.affine_tol, what)
            one_t = 1 - s1 / 65535
            air = np.array([(b[..., c] / 65535 * one_t).sum() / max((one_t ** 2).sum(), 1e-12) for c in range(3)])
            rec_b = air[None, None, :] * one_t[..., None] * 65535
            checks.note("haze_offset_model_dev_codes", np.abs(rec_b - b).max(), args.affine_tol, what)
            rec_w = rec_b + s1[..., None]
            checks.note("haze_white_model_dev_codes", np.abs(rec_w - wt).max(), args.affine_tol, what)
            airs.append(air.astype(np.float32))
        if s1.min() < 0 or s1.max() > 65535:
            raise SystemExit(f"{what}: slope outside [0, 1]")
        y0, x0 = int(rng.integers(0, h - L + 1)), int(rng.integers(0, w - L + 1))
        slopes.append(s1[y0:y0 + L, x0:x0 + L].astype(np.uint16))
        kinds.append(kind)
        seeds.append(seed)
        shapes.append((h, w))
        windows.append((y0, x0))
        tiles_.append(key)
        if (i + 1) % 50 == 0 or i + 1 == n:
            print(f"  {task}: {i + 1}/{n} layers, {(time.time() - t0) / (i + 1):.2f} s each", flush=True)
    arrays = {f"{task}_kind": np.array(kinds), f"{task}_seed": np.array(seeds, np.int64),
              f"{task}_shape": np.array(shapes, np.int32).reshape(-1, 2),
              f"{task}_window": np.array(windows, np.int32).reshape(-1, 2), f"{task}_tile": np.array(tiles_)}
    stack = np.stack(slopes) if slopes else np.zeros((0, L, L), np.uint16)
    if task == "rain":
        arrays["rain_slope"] = stack
        arrays["rain_white"] = np.array(whites, np.float32)
    else:
        arrays["haze_t"] = encode_delta(stack, (1, 2))
        arrays["haze_airlight"] = np.stack(airs) if airs else np.zeros((0, 3), np.float32)
    return arrays


def make_blur_kernels(n: int, args, by_src, ram, cache, checks: Checks):
    import torch

    from . import synth
    torch.set_num_threads(1)
    rng = np.random.default_rng([args.seed, 3])
    ks, kinds, seeds, sizes, sums = [], [], [], [], []
    n_diff = n_px = 0
    t0 = time.time()
    for i in range(n):
        kind, seed = ramio.draw_kind("blur", f"gpu-pack-{args.seed}-blur-{i}", float(rng.random()))
        k, info = ramio.psf(ram, kind, seed)
        what = f"{kind} seed {seed}"
        checks.note("blur_psf_mass_lost", 1 - info["sum_before_normalising"], args.psf_mass_tol, what)
        if info["size"] > args.crop // 2:
            raise SystemExit(f"{what}: kernel of {info['size']} px is too large for {args.crop} px crops")
        # Check on a real crop: the torch blur (float16 kernel, as stored) against ram through 8-bit PNGs.
        src = pick_source(by_src, rng, args.deadleaves)
        key, w, h, _ = by_src[src][int(rng.integers(len(by_src[src])))]
        y0, x0 = int(rng.integers(0, h - args.crop + 1)), int(rng.integers(0, w - args.crop + 1))
        crop = np.ascontiguousarray(cache.get(key)[y0:y0 + args.crop, x0:x0 + args.crop])
        ref = ram.degrade8(crop, kind, seed).astype(np.int64)
        x = torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 255
        kt = torch.from_numpy(k.astype(np.float16))[None]
        got = (synth.quantise8(synth.blur(x, kt))[0].permute(1, 2, 0) * 255).round().to(torch.int64).numpy()
        diff = np.abs(got - ref)
        checks.note("blur_max_diff_levels", diff.max(), 1, what)
        n_diff += int((diff > 0).sum())
        n_px += diff.size
        ks.append(k)
        kinds.append(kind)
        seeds.append(seed)
        sizes.append(info["size"])
        sums.append(info["sum_before_normalising"])
        if (i + 1) % 50 == 0 or i + 1 == n:
            print(f"  blur: {i + 1}/{n} kernels, {(time.time() - t0) / (i + 1):.2f} s each", flush=True)
    K = max(sizes) if sizes else 1
    psf = np.zeros((len(ks), K, K), np.float16)
    for j, k in enumerate(ks):
        o = (K - k.shape[0]) // 2
        psf[j, o:o + k.shape[0], o:o + k.shape[0]] = k.astype(np.float16)
    checks.worst["blur_fraction_of_values_off_by_one"] = n_diff / max(1, n_px)
    arrays = {"blur_psf": psf, "blur_kind": np.array(kinds), "blur_seed": np.array(seeds, np.int64),
              "blur_size": np.array(sizes, np.int32)}
    return arrays, {"min_psf_sum_before_normalising": float(min(sums)) if sums else None}


def build_layers(args, index, data, val, train_budget, index_sha):
    """Returns (assemble(n_clean) -> (arrays, meta), per-clean-crop bytes, clean crop count)."""
    cache = PNGCache(data, 64)
    by_src = training_tiles(index, args.crop)
    census = ramio.kind_census()
    if not census["noise_sigmas"] or census["lowlight_max"] < census["lowlight_min"]:
        raise SystemExit(f"data.pairs.train_kinds gave no usable noise / low-light levels: {census}")
    ram = ramio.Ram(args.ram)
    checks = Checks()
    t0 = time.time()
    try:
        layers = {}
        layers.update(make_affine_layers("rain", args.rain_layers, args, by_src, ram, cache, checks))
        layers.update(make_affine_layers("haze", args.haze_layers, args, by_src, ram, cache, checks))
        blur_arrays, blur_info = make_blur_kernels(args.blur_kernels, args, by_src, ram, cache, checks)
        layers.update(blur_arrays)
    finally:
        ram.close()
    layer_s = time.time() - t0
    if checks.failures:
        for f in checks.failures[:20]:
            print("FAILED:", f, file=sys.stderr)
        raise SystemExit(f"{len(checks.failures)} layer check(s) failed: the recipe is not what gpu.synth assumes")
    layer_bytes = sum(len(zlib.compress(np.ascontiguousarray(a).tobytes(), 6)) for a in layers.values())
    print(f"  layers: {layer_bytes / 2**20:.2f} MiB compressed, {layer_s:.0f} s, {ram.calls} ram calls; "
          f"worst checks {json.dumps({k: round(v, 4) for k, v in checks.worst.items()})}", flush=True)
    budget = train_budget - layer_bytes
    if budget <= 0:
        raise SystemExit(f"the layers alone (~{layer_bytes / 2**20:.1f} MiB) exceed the budget")

    rng = np.random.default_rng([args.seed, 0])
    clean, source, tile_keys, boxes, crop_bytes = [], [], [], [], []
    used = 0
    for key, src, y0, x0 in plan_clean(by_src, args, rng):
        c = np.ascontiguousarray(cache.get(key)[y0:y0 + args.crop, x0:x0 + args.crop])
        enc = encode_delta(c, (1,))
        cost = zsize(enc)
        if used + cost > budget or (args.max_clean and len(clean) >= args.max_clean):
            break
        used += cost
        crop_bytes.append(cost)
        clean.append(enc)
        source.append(1 if src == "deadleaves" else 0)
        tile_keys.append(key)
        boxes.append((y0, x0, y0 + args.crop, x0 + args.crop))
        if len(clean) % 200 == 0:
            print(f"  {len(clean)} clean crops, ~{used / 2**20:.1f} MiB", flush=True)

    def assemble(n_clean: int):
        s_ = np.array(source[:n_clean], np.uint8)
        rain_kinds = layers["rain_kind"].tolist()
        betas = [float(k.split(":")[1]) for k in layers["haze_kind"].tolist()]
        blur_kinds = layers["blur_kind"].tolist()
        counts = {
            "clean_crops": n_clean, "clean_per_source": {"photo": int((s_ == 0).sum()), "deadleaves": int((s_ == 1).sum())},
            "distinct_tiles": len(set(tile_keys[:n_clean])),
            "tiles": {k: len(v) for k, v in by_src.items()},
            "rain_layers": len(rain_kinds), "rain_per_kind": {k: rain_kinds.count(k) for k in sorted(set(rain_kinds))},
            "haze_layers": len(betas), "haze_beta_range": [min(betas), max(betas)] if betas else None,
            "blur_kernels": len(blur_kinds),
            "blur_per_type": {"shake": sum(k == "blur" for k in blur_kinds), "line": sum(k != "blur" for k in blur_kinds)},
            "blur_kernel_size": {"stored": int(layers["blur_psf"].shape[-1]),
                                 "max": int(layers["blur_size"].max()) if len(blur_kinds) else None,
                                 "median": float(np.median(layers["blur_size"])) if len(blur_kinds) else None},
            "layer_size": args.crop,
        }
        arrays = {"clean": np.stack(clean[:n_clean]), "clean_source": s_, "clean_tile": np.array(tile_keys[:n_clean]),
                  "clean_box": np.array(boxes[:n_clean], np.int32), **layers}
        if val:
            arrays.update(val)
            counts["val"] = {"clean": int(len(val["val_clean"])), "pairs": int(len(val["val_degraded"])),
                             "crop": args.val_crop, "kinds": sorted(set(val["val_kind"].tolist()))}
        meta = {"format": "ram-gpu-pack/2", "tasks": list(TASKS), "crop": args.crop, "args": vars(args), "counts": counts,
                "codings": {"clean": {"delta_axes": [2], "dtype": "uint8"}, "haze_t": {"delta_axes": [1, 2], "dtype": "uint16"}},
                "scales": {"rain_slope": 65535, "haze_t": 65535},
                "synth": {"noise_sigmas": census["noise_sigmas"],
                          "lowlight_levels": {"min": census["lowlight_min"], "max": census["lowlight_max"],
                                              "decimals": census["lowlight_decimals"], "draw": "uniform, rounded"},
                          "from": f"data.pairs.train_kinds over {census['names']} names"},
                "checks": {**{k: round(v, 6) for k, v in checks.worst.items()}, **blur_info,
                           "affine_tol_codes": args.affine_tol, "psf_mass_tol": args.psf_mass_tol},
                "layer_seconds": round(layer_s, 1), "ram_calls": ram.calls,
                "index_sha256": index_sha, "degrade_binary": {"path": args.ram, "sha256": ram.sha256},
                "pairs_binary": index.get("binary", {}), "recipe": index.get("recipe"),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "tool": "ram_training.gpu.pack"}
        if index.get("binary", {}).get("sha256") not in (None, ram.sha256):
            meta["note"] = ("the ram binary differs from the one that made data/pairs (index.json binary); "
                            "the validation pairs are the old binary's")
        arrays["meta"] = np.array(json.dumps(meta))
        return arrays, meta

    return assemble, crop_bytes, len(clean)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--data", default=paths.DATA)
    ap.add_argument("--out", default="", help="default <data>/gpu_pack.npz")
    ap.add_argument("--ram", default=paths.RAM_BIN,
                    help="the ram CLI (a private copy is used; default .build/release/ram)")
    ap.add_argument("--max-mib", type=float, default=50.0,
                    help="size cap of the file (default 50, so that working tree + pack stay under --travel-mib)")
    ap.add_argument("--travel-mib", type=float, default=64.0,
                    help="exit 1 when the working tree plus the pack come within 2 MiB of this, for a transfer to "
                         "the GPU machine with a size limit (default 64; 0 = no check)")
    ap.add_argument("--crop", type=int, default=128, help="stored training crop side, and layer window side (default 128)")
    ap.add_argument("--deadleaves", type=float, default=0.2, help="fraction of crops (and layer shapes) from dead-leaves tiles (default 0.2)")
    ap.add_argument("--val-crop", type=int, default=96, help="centre crop of each validation pair (0 = no validation set)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rain-layers", type=int, default=300)
    ap.add_argument("--haze-layers", type=int, default=300)
    ap.add_argument("--blur-kernels", type=int, default=300)
    ap.add_argument("--max-clean", type=int, default=0, help="stop after this many clean crops (0 = fill the budget)")
    ap.add_argument("--affine-tol", type=float, default=2.0,
                    help="largest deviation from the affine model, in 16-bit codes (default 2; quantisation gives ~1)")
    ap.add_argument("--psf-mass-tol", type=float, default=0.01,
                    help="largest fraction of a kernel's mass lost to 16-bit quantisation of its impulse response (default 0.01)")
    args = ap.parse_args(argv)

    t_start = time.time()
    data = os.path.abspath(args.data)
    out = os.path.abspath(args.out or os.path.join(data, "gpu_pack.npz"))
    pairs_dir = os.path.join(data, "pairs")
    if os.path.commonpath([out, pairs_dir]) == pairs_dir:
        raise SystemExit("refusing to write inside data/pairs")
    index_path = os.path.join(pairs_dir, "index.json")
    with open(index_path) as f:
        index = json.load(f)
    budget = int(args.max_mib * (1 << 20))

    val = build_val(data, index, args.val_crop)
    val_bytes = sum(zsize(a) for a in val["val_clean"]) + sum(zsize(a) for a in val["val_degraded"]) if val else 0
    overhead = 64 << 10  # zip headers, small arrays, meta
    train_budget = int(0.99 * budget) - val_bytes - overhead
    if train_budget <= 0:
        raise SystemExit(f"validation crops alone (~{val_bytes / 2**20:.1f} MiB) exceed --max-mib")
    index_sha = paths.file_sha256(index_path)
    assemble, crop_bytes, n_clean = build_layers(args, index, data, val, train_budget, index_sha)
    if n_clean == 0:
        raise SystemExit("no clean crops fit the budget")

    for _ in range(5):
        arrays, meta = assemble(n_clean)
        size = write_pack(out, arrays)
        if size <= budget:
            break
        over = size - budget
        # Drop whole clean crops from the end until the estimate covers the excess (plus 0.5 %).
        drop, freed = 0, 0
        while freed < over + budget // 200 and drop < n_clean - 1:
            drop += 1
            freed += crop_bytes[n_clean - drop]
        print(f"  {size / 2**20:.2f} MiB is over {args.max_mib} MiB: dropping {drop} clean crops", flush=True)
        n_clean -= drop
    else:
        raise SystemExit("could not fit the pack under --max-mib")

    tree = tree_bytes()
    with np.load(out, allow_pickle=False) as z:
        stored = {k: z.zip.getinfo(k + ".npy").compress_size for k in z.files}
    parts = {}
    for k, v in stored.items():
        group = k.split("_")[0] if k.split("_")[0] in ("rain", "haze", "blur", "val") else ("clean" if k.startswith("clean") else k)
        parts[group] = parts.get(group, 0) + v
    report = {"out": paths.rel(out), "format": meta["format"], "bytes": size, "mib": round(size / 2**20, 2),
              **meta["counts"], "mib_by_part": {k: round(v / 2**20, 2) for k, v in sorted(parts.items())},
              "raw_mib": round(sum(a.nbytes for a in arrays.values()) / 2**20, 1),
              "checks": meta.get("checks"), "synth": meta.get("synth"),
              "seconds": round(time.time() - t_start, 1)}
    if tree is not None:
        travel = (tree + size) / 2**20
        report["working_tree_mib"] = round(tree / 2**20, 2)
        report["travel_mib"] = round(travel, 2)
        report["travel_limit_mib"] = args.travel_mib
    print(json.dumps(report, indent=1))
    if tree is not None and args.travel_mib and travel > args.travel_mib - 2:
        print(f"WARNING: working tree + pack = {travel:.1f} MiB, too close to --travel-mib {args.travel_mib:g}; "
              f"rerun with a smaller --max-mib", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
