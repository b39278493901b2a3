"""Training patches and validation images from data/pairs (data.pairs' index.json): a
decoded-image cache, the pair sampler of train and the validation loader."""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np
import torch
from PIL import Image

from . import TASKS

class ImageCache:
    """Decoded uint8 HxWx3 arrays, least recently used evicted past a byte budget."""

    def __init__(self, root: str, budget_bytes: int):
        self.root, self.budget, self.used = root, budget_bytes, 0
        self.items: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, rel: str) -> np.ndarray:
        a = self.items.get(rel)
        if a is not None:
            self.items.move_to_end(rel)
            self.hits += 1
            return a
        self.misses += 1
        a = np.asarray(Image.open(os.path.join(self.root, rel)).convert("RGB"))
        self.items[rel] = a
        self.used += a.nbytes
        while self.used > self.budget and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.used -= old.nbytes
        return a


class PairSampler:
    """Patches of the training pairs: each patch draws its task by `task_weights`, a dead-leaves
    pair with probability `deadleaves` (else a photo pair), a random crop of `patch` pixels, a
    horizontal flip, and for the direction-free tasks a vertical flip and a transpose."""

    def __init__(self, data: str, index: dict, patch: int, deadleaves: float, task_weights, cache_mb: int,
                 cache: "ImageCache | None" = None):
        self.data, self.patch, self.deadleaves = data, patch, deadleaves
        self.by_task = {t: {"photo": [], "deadleaves": []} for t in TASKS}
        for e in index["train"]:
            w, h = e["box"][2] - e["box"][0], e["box"][3] - e["box"][1]
            if min(w, h) < patch:
                continue
            self.by_task[e["task"]]["deadleaves" if e.get("source") == "deadleaves" else "photo"].append(e)
        self.tasks = [t for t in TASKS if self.by_task[t]["photo"] or self.by_task[t]["deadleaves"]]
        if not self.tasks:
            raise SystemExit("no training pairs (run make train-data)")
        tw = dict(zip(TASKS, task_weights))
        self.task_p = np.array([tw[t] for t in self.tasks], float)
        if not self.task_p.sum() > 0:
            raise SystemExit(f"no task with a positive weight has pairs of at least {patch} px")
        self.task_p /= self.task_p.sum()
        self.cache = cache or ImageCache(data, cache_mb << 20)

    def counts(self):
        return {t: {k: len(v) for k, v in d.items()} for t, d in self.by_task.items()}

    def sample(self, rng: np.random.Generator, batch: int):
        p = self.patch
        xs, ys, tasks = np.empty((batch, p, p, 3), np.uint8), np.empty((batch, p, p, 3), np.uint8), []
        for b in range(batch):
            task = self.tasks[rng.choice(len(self.tasks), p=self.task_p)]
            pools = self.by_task[task]
            pool = pools["deadleaves"] if (pools["deadleaves"] and (rng.random() < self.deadleaves or not pools["photo"])) else pools["photo"]
            e = pool[rng.integers(len(pool))]
            clean = self.cache.get(e["clean"])
            deg = self.cache.get(e["degraded"])
            h, w = clean.shape[:2]
            y0, x0 = rng.integers(0, h - p + 1), rng.integers(0, w - p + 1)
            c, d = clean[y0:y0 + p, x0:x0 + p], deg[y0:y0 + p, x0:x0 + p]
            if rng.random() < 0.5:
                c, d = c[:, ::-1], d[:, ::-1]
            if task in ("noise", "blur", "lowlight", "clean"):
                if rng.random() < 0.5:
                    c, d = c[::-1], d[::-1]
                if rng.random() < 0.5:
                    c, d = c.transpose(1, 0, 2), d.transpose(1, 0, 2)
            xs[b], ys[b] = d, c
            tasks.append(task)
        to_t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float().div_(255)  # noqa: E731
        return to_t(xs), to_t(ys), tasks


def load_val(data: str, index: dict, limit_per_kind: int = 0):
    """{kind: (degraded (N,3,H,W), clean (N,3,H,W))} in [0,1]."""
    out = {}
    for e in index["val"]:
        out.setdefault(e["kind"], []).append(e)
    res = {}
    for kind, es in out.items():
        es = sorted(es, key=lambda e: e["clean"])
        if limit_per_kind:
            es = es[:limit_per_kind]
        load = lambda rel: torch.from_numpy(np.asarray(Image.open(os.path.join(data, rel)).convert("RGB")).copy()).permute(2, 0, 1).float() / 255  # noqa: E731
        res[kind] = (torch.stack([load(e["degraded"]) for e in es]), torch.stack([load(e["clean"]) for e in es]))
    return res
