"""Where things are: the package runs from the repository (an editable install or
PYTHONPATH=training), and its defaults are paths inside it."""

from __future__ import annotations

import hashlib
import os

PACKAGE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(PACKAGE)
REPO = os.path.dirname(TRAINING)

DATA = os.path.join(REPO, "data")                       # git-ignored: photos, pairs, packs, caches
CHECKPOINTS = os.path.join(TRAINING, "checkpoints")     # git-ignored: <name>/last.pt
RUNS = os.path.join(TRAINING, "runs")                   # git-ignored: <name>/log.jsonl
WEIGHTS = os.path.join(REPO, "Assets", "weights")       # shipped .safetensors
RAM_BIN = os.path.join(REPO, ".build", "release", "ram")


def rel(path: str) -> str:
    """`path` relative to the repository root (for logs and reports)."""
    return os.path.relpath(path, REPO)


def file_sha256(path: str) -> str:
    """The hex sha256 of a file's bytes (binaries, weights, PNGs, indexes), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def module_env(env: dict | None = None) -> dict:
    """`env` (default os.environ) with this package importable, for `python -m ram_training.…`
    in a child process whatever the parent's PYTHONPATH or install."""
    env = dict(os.environ if env is None else env)
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([TRAINING] + [p for p in parts if os.path.abspath(p) != TRAINING])
    return env
