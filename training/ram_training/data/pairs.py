"""Degraded/clean training and validation pairs, made by the app's own recipe (`ram degrade`).

    python3 -m ram_training.data.pairs [--data data] [--ram .build/release/ram] [--jobs 2]

Every degraded image is written by the Swift CLI (`ram degrade IN OUT --kind KIND --seed N`),
so training, evaluation and the app share one implementation of each degradation
(recipes in Sources/Imaging/Degradation*.swift).

Train (data/pairs/train/): every training photo of data/split.json, cut into crops of at
most 384 px a side (photos up to 512 px on the long side stay whole; larger ones are
covered by a grid of equal tiles of 256-384 px), plus every dead-leaves image
(data/deadleaves/, train only). Each crop gets, with seeds and parameters drawn from a
generator seeded by the crop's name (so reruns give the same files):
  noise    noise:15, noise:25, noise:50
  rain     rain:light, rain:medium, rain:heavy
  haze     2x haze:beta, beta ~ U(0.6, 1.8) (RESIDE ITS range)
  blur     2x blur (random camera shake), 1x blur:LEN,ANGLE, LEN ~ U(5, 25), ANGLE ~ U(0, 180)
  lowlight 2x lowlight:level, level ~ U(0.15, 0.95)
  noise    noise:5, noise:10 (mild noise: without it, a dark photo with a little noise looks
           like low light to the network and is brightened; drawn last, so the seeds and
           parameters above are those of the data set without them)

Validation (data/pairs/val/): a 256x256 centre crop of each validation photo (offset
((w-256)//2, (h-256)//2), as `ram eval --crop-to 256`), degraded once per entry of
VAL_KINDS with seed = the photo's index in sorted order (as `ram eval` seeds image i with
seed + i, seed 0).

Layout: data/pairs/{train,val}/clean/<crop>.png and data/pairs/{train,val}/<task>/<crop>__<kind>__s<seed>.png;
data/pairs/index.json lists every pair (paths relative to data/). Existing outputs are kept
(cache); the index is rewritten each run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
import zlib
import shutil
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from .. import paths
from . import TASKS

DEGRADING = TASKS[:5]
# "clean" is the identity task: the input is the clean image itself (no file is written; the
# pair's "degraded" path is its "clean" path), the target too.
VAL_KINDS = ["noise:15", "noise:25", "noise:50", "rain:light", "rain:medium", "rain:heavy",
             "haze:1.2", "blur:15,30", "blur", "lowlight:0.5", "clean"]
# The held-out set (data/split.json "heldout"; data/pairs/heldout/): the kinds that the
# do-no-harm criteria are stated for. Scored only when a model is shipped; no training choice
# (recipe, weights, stopping step) is ever made on it.
HELDOUT_KINDS = ["clean", "noise:25", "noise:50", "rain:light", "haze:1.0", "blur", "lowlight:0.5"]
# Scale: every training photo larger than WHOLE_MAX also enters whole, downscaled (LANCZOS) so
# that its short side is at least SCALE_SHORT and its long side at least SCALE_LONG px, as crop
# <stem>__whole, with all the training degradations applied at that scale: its patches show the
# image-scale content (sky and ground, the whole depth range of the haze, the exposure of the
# whole scene) that GatedDA's statistics and the channel attention see on a large photo.
SCALE_SHORT, SCALE_LONG = 256, 384
# Photos that look degraded but are clean: every training photo crop (not dead leaves) also
# gets one variant, chosen and parametrised by a generator seeded with the crop's name, that is
# darker, lower in contrast or less saturated than the photo, stored as a clean crop of its own
# (<crop>__look-KIND) and used ONLY as an identity pair (input = target): the network must not
# brighten a dark scene, stretch a grey one or "dehaze" a pale one that was photographed so.
# No haze-like veil and no noise: those are the signatures of the degradations it must remove.
LOOKS = ("dark", "lowcontrast", "desaturated")
VAL_SIZE = 256
TILE_MAX = 384
WHOLE_MAX = 512


def task_of(kind: str) -> str:
    return kind.split(":", 1)[0]


def kind_slug(kind: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", kind)


def look_variant(im: Image.Image, name: str) -> tuple[str, Image.Image]:
    """(kind, image): the clean 'looks degraded' variant of a crop (see LOOKS)."""
    import numpy as np
    rng = random.Random(zlib.crc32(("look:" + name).encode()))
    kind = LOOKS[rng.randrange(len(LOOKS))]
    a = np.asarray(im.convert("RGB"), np.float32) / 255
    y = a @ np.array([0.299, 0.587, 0.114], np.float32)
    if kind == "dark":       # a dim scene: exposure 0.25-0.6, a slightly steeper tone curve
        a = (a * rng.uniform(0.25, 0.6)) ** rng.uniform(1.0, 1.4)
    elif kind == "lowcontrast":  # flat light: contrast around the mean kept at 35-70 %
        k = rng.uniform(0.35, 0.7)
        a = y.mean() + k * (a - y.mean())
    else:                    # a grey, washed-out scene: saturation kept at 0-40 %
        k = rng.uniform(0.0, 0.4)
        a = y[..., None] + k * (a - y[..., None])
    out = Image.fromarray(np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8))
    return kind, out


def scale_box(w: int, h: int) -> tuple[int, int] | None:
    """Size of the whole-photo scale crop of a w x h photo, or None if it is small enough."""
    if max(w, h) <= WHOLE_MAX:
        return None
    f = max(SCALE_SHORT / min(w, h), SCALE_LONG / max(w, h))
    if f >= 0.9:
        return None
    return round(w * f), round(h * f)


def train_kinds(name: str) -> list[tuple[str, int]]:
    """(kind, seed) for one training crop; deterministic in the crop's name."""
    rng = random.Random(zlib.crc32(name.encode()))
    seed = lambda: rng.randrange(1, 2**31)  # noqa: E731
    out = [(f"noise:{s}", seed()) for s in (15, 25, 50)]
    out += [(f"rain:{lv}", seed()) for lv in ("light", "medium", "heavy")]
    out += [(f"haze:{rng.uniform(0.6, 1.8):.2f}", seed()) for _ in range(2)]
    out += [("blur", seed()) for _ in range(2)]
    out += [(f"blur:{rng.uniform(5, 25):.1f},{rng.uniform(0, 180):.0f}", seed())]
    out += [(f"lowlight:{rng.uniform(0.15, 0.95):.2f}", seed()) for _ in range(2)]
    out += [(f"noise:{s}", seed()) for s in (5, 10)]
    return out


def tiles(w: int, h: int) -> list[tuple[int, int, int, int]]:
    """Crop boxes (x0, y0, x1, y1) covering a w x h photo."""
    if max(w, h) <= WHOLE_MAX:
        return [(0, 0, w, h)]
    nx, ny = -(-w // TILE_MAX), -(-h // TILE_MAX)
    xs = [round(i * w / nx) for i in range(nx + 1)]
    ys = [round(j * h / ny) for j in range(ny + 1)]
    return [(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(ny) for i in range(nx)]


def save_png(im: Image.Image, path: str):
    if os.path.exists(path):
        return
    tmp = path + ".tmp.png"
    im.save(tmp)
    os.replace(tmp, path)


def build_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="data")
    ap.add_argument("--ram", default=".build/release/ram", help="the ram CLI (default .build/release/ram)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel ram processes (default 2)")
    ap.add_argument("--no-deadleaves", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="only the first N training crops (testing)")
    ap.add_argument("--refresh", action="store_true", help="remake every degraded image (after a recipe change)")
    return ap.parse_args(argv)


def prepare_folders(root: str):
    """<root>/<side>/<task>/ for every side and task, without the leftovers of an interrupted run."""
    for side in ("train", "val", "heldout"):
        for d in ("clean",) + DEGRADING:
            os.makedirs(os.path.join(root, side, d), exist_ok=True)
            for f in os.listdir(os.path.join(root, side, d)):
                if f.endswith(".tmp.png"):
                    os.remove(os.path.join(root, side, d, f))


def training_crops(data: str, split: dict, deadleaves: bool, limit: int) -> list:
    """(name, source, file, box, image) of every training crop: the tiles of each training
    photo, the photo downscaled whole (scale_box) and the dead-leaves images."""
    crops = []
    for rel in sorted(split["train"]):
        im = Image.open(os.path.join(data, rel)).convert("RGB")
        stem = os.path.splitext(os.path.basename(rel))[0]
        boxes = tiles(*im.size)
        for k, box in enumerate(boxes):
            name = stem if len(boxes) == 1 else f"{stem}__t{k}"
            crops.append((name, "photo", rel, box, im))
        size = scale_box(*im.size)
        if size:
            crops.append((f"{stem}__whole", "photo-scaled", rel, (0, 0) + size, im.resize(size, Image.LANCZOS)))
    if deadleaves:
        dl_dir = os.path.join(data, "deadleaves")
        for f in sorted(os.listdir(dl_dir)) if os.path.isdir(dl_dir) else []:
            if f.endswith(".png") and not f.endswith(".tmp.png"):
                im = Image.open(os.path.join(dl_dir, f)).convert("RGB")
                crops.append((f"deadleaves__{f[:-4]}", "deadleaves", f"deadleaves/{f}", (0, 0) + im.size, im))
    return crops[:limit] if limit else crops


def add_training(crops: list, data: str, root: str, index: dict, jobs: list):
    """Writes each crop's clean image (and a photo's clean "looks degraded" variant), indexes
    them as identity pairs and queues the crop's degraded kinds (train_kinds)."""
    for name, source, rel, box, im in crops:
        clean = os.path.join(root, "train", "clean", name + ".png")
        crop = im.crop(box)
        save_png(crop, clean)
        entry = {"source": source, "photo": rel, "box": list(box)}
        index["train"].append({"clean": os.path.relpath(clean, data), "degraded": os.path.relpath(clean, data),
                               "task": "clean", "kind": "clean", "seed": 0, **entry})
        if source == "photo":
            look, variant = look_variant(crop, name)
            vpath = os.path.join(root, "train", "clean", f"{name}__look-{look}.png")
            save_png(variant, vpath)
            index["train"].append({"clean": os.path.relpath(vpath, data), "degraded": os.path.relpath(vpath, data),
                                   "task": "clean", "kind": f"clean:look-{look}", "seed": 0, **entry})
        for kind, seed in train_kinds(name):
            out = os.path.join(root, "train", task_of(kind), f"{name}__{kind_slug(kind)}__s{seed}.png")
            jobs.append((clean, out, kind, seed))
            index["train"].append({"clean": os.path.relpath(clean, data), "degraded": os.path.relpath(out, data),
                                   "task": task_of(kind), "kind": kind, "seed": seed, "source": source,
                                   "photo": rel, "box": list(box)})


def add_evaluation(split: dict, data: str, root: str, index: dict, jobs: list):
    """The validation and held-out sets: a VAL_SIZE centre crop per photo, degraded once per
    kind with seed = the photo's index in sorted order (as `ram eval` seeds image i)."""
    for side, kinds in (("val", VAL_KINDS), ("heldout", HELDOUT_KINDS)):
        for i, rel in enumerate(sorted(split.get(side, []))):
            im = Image.open(os.path.join(data, rel)).convert("RGB")
            w, h = im.size
            s = min(VAL_SIZE, w, h)
            x0, y0 = (w - s) // 2, (h - s) // 2
            name = os.path.splitext(os.path.basename(rel))[0]
            clean = os.path.join(root, side, "clean", name + ".png")
            save_png(im.crop((x0, y0, x0 + s, y0 + s)), clean)
            for kind in kinds:
                if kind == "clean":
                    out = clean
                else:
                    out = os.path.join(root, side, task_of(kind), f"{name}__{kind_slug(kind)}__s{i}.png")
                    jobs.append((clean, out, kind, i))
                index[side].append({"clean": os.path.relpath(clean, data), "degraded": os.path.relpath(out, data),
                                    "task": task_of(kind), "kind": kind, "seed": i, "photo": rel,
                                    "box": [x0, y0, x0 + s, y0 + s]})


def private_binary(ram: str, root: str):
    """A private copy of `ram` in <root>: a rebuild of .build/release/ram during the run can
    neither break the calls ("text file busy") nor mix two versions of the recipe in one data
    set. Returns (its path, the binary's record for index.json)."""
    digest = paths.file_sha256(ram)
    private = os.path.join(root, f".ram-{digest[:12]}")
    if not os.path.exists(private):
        shutil.copy2(ram, private + ".tmp")
        os.replace(private + ".tmp", private)
    for f in os.listdir(root):
        if f.startswith(".ram-") and os.path.join(root, f) != private:
            os.remove(os.path.join(root, f))
    binary = {"path": ram, "sha256": digest,
              "mtime": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(os.path.getmtime(ram)))}
    try:
        binary["git_head"] = subprocess.run(["git", "rev-parse", "HEAD"], stdout=subprocess.PIPE, text=True,
                                            cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    except OSError:
        pass
    return private, binary


def degrade_all(private: str, todo: list, n_jobs: int) -> list:
    """`ram degrade` of every queued (clean, out, kind, seed), through a temporary file and a
    rename, n_jobs at a time. Returns the failures."""
    failures = []
    t0 = time.time()

    def work(job):
        clean, out, kind, seed = job
        tmp = out[:-4] + ".tmp.png"
        r = subprocess.run([private, "degrade", clean, tmp, "--kind", kind, "--seed", str(seed), "--force"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0 or not os.path.exists(tmp):
            return job, (r.stdout or "").strip()[-500:] or f"exit {r.returncode}"
        os.replace(tmp, out)
        return job, None

    with ThreadPoolExecutor(max(1, n_jobs)) as pool:
        for n, (job, err) in enumerate(pool.map(work, todo), 1):
            if err:
                failures.append({"out": job[1], "kind": job[2], "seed": job[3], "error": err})
                if len(failures) <= 5:
                    print(f"  FAILED {job[2]} seed {job[3]} on {job[0]}: {err}", flush=True)
            if n % 200 == 0 or n == len(todo):
                dt = time.time() - t0
                print(f"  {n}/{len(todo)}  {dt / n * 1000:.0f} ms/image wall", flush=True)
    return failures


def write_index(data: str, root: str, index: dict, failures: list):
    """index.json (atomically) without the failed pairs, with the counts; failures.json."""
    bad = {f["out"] for f in failures}
    for side in ("train", "val", "heldout"):
        index[side] = [e for e in index[side] if os.path.join(data, e["degraded"]) not in bad]
    counts = {side: {t: sum(e["task"] == t for e in index[side]) for t in TASKS} for side in ("train", "val", "heldout")}
    index["counts"] = counts
    index["failures"] = len(failures)
    with open(os.path.join(root, "index.json.tmp"), "w") as f:
        json.dump(index, f, indent=0)
    os.replace(os.path.join(root, "index.json.tmp"), os.path.join(root, "index.json"))
    print(json.dumps({"counts": counts, "failures": len(failures)}), flush=True)
    if failures:
        with open(os.path.join(root, "failures.json"), "w") as f:
            json.dump(failures, f, indent=1)


def main(argv=None) -> int:
    args = build_args(argv)
    if not os.path.exists(args.ram):
        print(f"error: {args.ram} not found; build it first (make build)", file=sys.stderr)
        return 2
    data = args.data
    with open(os.path.join(data, "split.json")) as f:
        split = json.load(f)
    root = os.path.join(data, "pairs")
    prepare_folders(root)

    jobs = []      # (clean path, out path, kind, seed)
    index = {"recipe": "ram degrade (Sources/Imaging/Degradation*.swift)", "val_kinds": VAL_KINDS,
             "heldout_kinds": HELDOUT_KINDS, "val_size": VAL_SIZE, "train": [], "val": [], "heldout": []}
    crops = training_crops(data, split, not args.no_deadleaves, args.limit)
    add_training(crops, data, root, index, jobs)
    add_evaluation(split, data, root, index, jobs)

    private, binary = private_binary(args.ram, root)
    index["binary"] = binary
    old_index = os.path.join(root, "index.json")
    if os.path.exists(old_index) and not args.refresh:
        with open(old_index) as f:
            old = json.load(f).get("binary", {})
        if old.get("sha256") and old["sha256"] != binary["sha256"]:
            print(f"note: {args.ram} changed since the cached pairs were made ({old.get('mtime')}); "
                  "if the degradation recipe changed, rerun with --refresh", flush=True)
    todo = [j for j in jobs if args.refresh or not os.path.exists(j[1])]
    print(f"pairs: {len(crops)} training crops, {len(split['val'])} validation photos, "
          f"{len(split.get('heldout', []))} held-out photos, "
          f"{len(jobs)} degraded images, {len(jobs) - len(todo)} cached, {len(todo)} to make", flush=True)
    failures = degrade_all(private, todo, args.jobs)
    write_index(data, root, index, failures)
    return 1 if failures and len(failures) > 0.01 * max(1, len(todo)) else 0


if __name__ == "__main__":
    sys.exit(main())
