#!/usr/bin/env python3
"""Packs aligned training crops of data/pairs into one compressed file for a GPU machine.

    python3 training/gpu/pack.py [--max-mib 50] [--crop 128] [--per-clean 2] [--seed 0]

The GPU machine (see training/gpu/README.md) gets the git working tree plus at most 64 MiB
in all, so the 1.4 GB of PNG pairs cannot travel. This writes data/gpu_pack.npz
(np.savez_compressed, git-ignored, read-only use of data/pairs) holding:

  clean        uint8 (M, S, S, 3)  clean crops, S = --crop
  degraded     uint8 (N, S, S, 3)  degraded crops, pixel-aligned with clean[clean_idx]
  clean_idx    int32 (N,)          which clean crop each degraded crop belongs to
  task         uint8 (N,)          0..4 = noise, rain, haze, blur, lowlight
  source       uint8 (N,)          0 = photo tile, 1 = dead leaves
  kind         str   (N,)          the pair's kind in index.json (noise:25, haze:1.13, ...)
  val_clean    uint8 (V, s, s, 3)  centre crops (s = --val-crop) of the 256x256 validation
  val_degraded uint8 (K, s, s, 3)    pairs, every kind of data/pairs/val
  val_clean_idx int32, val_task uint8, val_kind str  (K,)
  meta         str   ()            JSON: arguments, counts, sizes, index/binary provenance

Each clean crop is stored once and serves --per-clean degraded crops of different tasks
taken at the same position of the same tile (every tile has all 13 degradations), so the
byte budget holds more pairs than clean/degraded duplicates would. Crops are drawn in a
seeded order that visits every tile once before any tile twice; a crop is a dead-leaves
one with probability --deadleaves (train.py's default 0.2) and each crop's tasks are the
ones with the fewest pairs so far, so tasks come out balanced. Crops are added until the
zlib-estimated size reaches the budget; the file is then written and trimmed if it came out
over --max-mib.

The validation crops only monitor training on the GPU; the real score (full 256x256 set,
PSNR and SSIM) is export.py's, on the CPU. --val-crop 0 leaves them out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import zlib
from collections import OrderedDict

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TASKS = ("noise", "rain", "haze", "blur", "lowlight")
TRAVEL_LIMIT_MIB = 64.0  # what the device tool moves: working tree + carried paths


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
    """Bytes of what the device tool copies besides carried paths: tracked and untracked,
    not ignored files (plus shared/ if present)."""
    try:
        out = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    total = 0
    for rel in set(out.decode("utf-8", "replace").split("\0")):
        p = os.path.join(REPO, rel)
        if rel and os.path.isfile(p) and not os.path.islink(p):
            total += os.path.getsize(p)
    shared = os.path.join(REPO, "shared")
    if os.path.isdir(shared) and not os.path.islink(shared):
        for dp, _, fs in os.walk(shared):
            total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs if os.path.isfile(os.path.join(dp, f)))
    return total


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def plan_crops(index: dict, args, rng: np.random.Generator):
    """Endless generator of (tile entries, y0, x0, [entries to store]) in a seeded, balanced order."""
    tiles = {}
    for e in index["train"]:
        tiles.setdefault(e["clean"], []).append(e)
    by_src = {"photo": [], "deadleaves": []}
    for key in sorted(tiles):
        es = tiles[key]
        w, h = es[0]["box"][2] - es[0]["box"][0], es[0]["box"][3] - es[0]["box"][1]
        if min(w, h) < args.crop:
            continue
        by_src["deadleaves" if es[0].get("source") == "deadleaves" else "photo"].append(key)
    if not by_src["photo"] and not by_src["deadleaves"]:
        raise SystemExit("no training pairs large enough (run make train-data)")
    order = {s: [] for s in by_src}
    task_count = {t: 0 for t in TASKS}
    k = max(1, min(args.per_clean, len(TASKS)))
    while True:
        src = "deadleaves" if (by_src["deadleaves"] and (rng.random() < args.deadleaves or not by_src["photo"])) else "photo"
        if not order[src]:
            order[src] = [by_src[src][i] for i in rng.permutation(len(by_src[src]))]
        key = order[src].pop()
        es = tiles[key]
        w, h = es[0]["box"][2] - es[0]["box"][0], es[0]["box"][3] - es[0]["box"][1]
        y0, x0 = int(rng.integers(0, h - args.crop + 1)), int(rng.integers(0, w - args.crop + 1))
        # The k tasks with the fewest pairs so far (random among ties), one kind of each.
        tie = rng.random(len(TASKS))
        tasks = sorted(TASKS, key=lambda t: (task_count[t], tie[TASKS.index(t)]))[:k]
        chosen = []
        for t in tasks:
            cands = [e for e in es if e["task"] == t]
            if cands:
                chosen.append(cands[int(rng.integers(len(cands)))])
                task_count[t] += 1
        yield key, src, y0, x0, chosen


def write_pack(path: str, arrays: dict):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    os.replace(tmp, path)
    return os.path.getsize(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--data", default=os.path.join(REPO, "data"))
    ap.add_argument("--out", default="", help="default <data>/gpu_pack.npz")
    ap.add_argument("--max-mib", type=float, default=50.0,
                    help="size cap of the file (default 50: the device tool moves 64 MiB with the working tree, ~7 MiB now)")
    ap.add_argument("--crop", type=int, default=128, help="stored training crop side (default 128)")
    ap.add_argument("--per-clean", type=int, default=2, help="degraded crops (of different tasks) per clean crop (default 2)")
    ap.add_argument("--deadleaves", type=float, default=0.2, help="fraction of crops from dead-leaves tiles (default 0.2)")
    ap.add_argument("--val-crop", type=int, default=96, help="centre crop of each validation pair (0 = no validation set)")
    ap.add_argument("--max-pairs", type=int, default=0, help="stop after this many pairs (0 = fill the budget)")
    ap.add_argument("--seed", type=int, default=0)
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
    rng = np.random.default_rng(args.seed)

    val = build_val(data, index, args.val_crop)
    val_bytes = sum(zsize(a) for a in val["val_clean"]) + sum(zsize(a) for a in val["val_degraded"]) if val else 0
    overhead = 64 << 10  # zip headers, small arrays, meta
    train_budget = int(0.99 * budget) - val_bytes - overhead
    if train_budget <= 0:
        raise SystemExit(f"validation crops alone (~{val_bytes / 2**20:.1f} MiB) exceed --max-mib")

    cache = PNGCache(data, 32)
    clean, deg, cidx, task, source, kind, crop_bytes, tile_keys = [], [], [], [], [], [], [], []
    used = 0
    for key, src, y0, x0, chosen in plan_crops(index, args, rng):
        s = args.crop
        c = cache.get(key)[y0:y0 + s, x0:x0 + s].copy()
        ds = [cache.get(e["degraded"])[y0:y0 + s, x0:x0 + s].copy() for e in chosen]
        cost = zsize(c) + sum(zsize(d) for d in ds)
        if used + cost > train_budget:
            break
        used += cost
        crop_bytes.append(cost)
        ci = len(clean)
        clean.append(c)
        tile_keys.append(key)
        for e, d in zip(chosen, ds):
            deg.append(d)
            cidx.append(ci)
            task.append(TASKS.index(e["task"]))
            source.append(1 if src == "deadleaves" else 0)
            kind.append(e["kind"])
        if args.max_pairs and len(deg) >= args.max_pairs:
            break
        if len(clean) % 100 == 0:
            print(f"  {len(clean)} clean crops, {len(deg)} pairs, ~{used / 2**20:.1f} MiB", flush=True)

    index_sha = sha256_file(index_path)

    def assemble(n_clean: int) -> dict:
        keep = np.array(cidx) < n_clean
        t = np.array(task, np.uint8)[keep]
        s_ = np.array(source, np.uint8)[keep]
        counts = {
            "clean_crops": n_clean, "pairs": int(keep.sum()),
            "pairs_per_task": {name: int((t == i).sum()) for i, name in enumerate(TASKS)},
            "pairs_per_source": {"photo": int((s_ == 0).sum()), "deadleaves": int((s_ == 1).sum())},
            "pairs_per_task_source": {name: {"photo": int(((t == i) & (s_ == 0)).sum()), "deadleaves": int(((t == i) & (s_ == 1)).sum())}
                                      for i, name in enumerate(TASKS)},
            "distinct_tiles": len(set(tile_keys[:n_clean])),
        }
        arrays = {"clean": np.stack(clean[:n_clean]), "degraded": np.stack([d for d, k_ in zip(deg, keep) if k_]),
                  "clean_idx": np.array(cidx, np.int32)[keep], "task": t, "source": s_,
                  "kind": np.array([k for k, k_ in zip(kind, keep) if k_])}
        if val:
            arrays.update(val)
            counts["val"] = {"clean": int(len(val["val_clean"])), "pairs": int(len(val["val_degraded"])),
                             "crop": args.val_crop, "kinds": sorted(set(val["val_kind"].tolist()))}
        meta = {"format": "ram-gpu-pack/1", "tasks": list(TASKS), "crop": args.crop, "args": vars(args), "counts": counts,
                "index_sha256": index_sha, "degrade_binary": index.get("binary", {}), "recipe": index.get("recipe"),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "tool": "training/gpu/pack.py"}
        arrays["meta"] = np.array(json.dumps(meta))
        return arrays, meta

    n_clean = len(clean)
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
    report = {"out": os.path.relpath(out, REPO), "bytes": size, "mib": round(size / 2**20, 2), **meta["counts"],
              "raw_mib": round(sum(a.nbytes for a in arrays.values()) / 2**20, 1),
              "seconds": round(time.time() - t_start, 1)}
    if tree is not None:
        travel = (tree + size) / 2**20
        report["working_tree_mib"] = round(tree / 2**20, 2)
        report["travel_mib"] = round(travel, 2)
        report["travel_limit_mib"] = TRAVEL_LIMIT_MIB
    print(json.dumps(report, indent=1))
    if tree is not None and travel > TRAVEL_LIMIT_MIB - 2:
        print(f"WARNING: working tree + pack = {travel:.1f} MiB, too close to the device tool's {TRAVEL_LIMIT_MIB} MiB; "
              f"rerun with a smaller --max-mib", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
