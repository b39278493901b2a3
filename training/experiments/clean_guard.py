"""Can whole-image statistics tell a clean photo from a degraded one well enough to leave
clean photos untouched (a guard in front of the network)? Answer measured on 2026-12-06: no
(training/README.md, "Do no harm").

    PYTHONPATH=training python3 training/experiments/clean_guard.py [--data data] [--limit N]
        [--features FILE]

Computes 16 statistics per image of data/pairs/{train,val,heldout}/<task>/ (clean and the five
degradations; --limit N images per folder), fits a logistic regression and a 32-unit MLP
(numpy, full batch, the clean class weighted up to balance) on the training split, and prints
per split and threshold the share of clean images kept (p(clean) >= t) and the share of each
degradation taken for clean. --features caches the statistics in a JSON file.
"""
from __future__ import annotations

import argparse
import glob
import json
import os

import numpy as np
from PIL import Image

TASKS = ("clean", "noise", "rain", "haze", "blur", "lowlight")
NAMES = ("logsig logsig_dark p1 p50 p99 dc_mean dc_p10 sat std logg logg_std aniso skew logkurt "
         "loglap loglap_g").split()


def feats(img):
    x = np.asarray(img.convert('RGB'), dtype=np.float64) / 255.0
    H, W, _ = x.shape
    L = 0.299*x[...,0] + 0.587*x[...,1] + 0.114*x[...,2]
    h2, w2 = H//2*2, W//2*2
    a = L[0:h2:2, 0:w2:2]; b = L[0:h2:2, 1:w2:2]; c = L[1:h2:2, 0:w2:2]; d = L[1:h2:2, 1:w2:2]
    hh = (a - b - c + d) / 2
    sigma = np.median(np.abs(hh)) / 0.6745
    # noise in dark pixels
    mean4 = (a+b+c+d)/4
    dark = mean4 < np.percentile(mean4, 30)
    sigma_dark = np.median(np.abs(hh[dark]))/0.6745 if dark.any() else sigma
    p = np.percentile(L, [1, 50, 99])
    mn = x.min(axis=2); mx = x.max(axis=2)
    # dark channel on 8x8 blocks
    hb, wb = H//8*8, W//8*8
    dc = mn[:hb, :wb].reshape(hb//8, 8, wb//8, 8).min(axis=(1,3))
    sat = np.where(mx > 1e-3, (mx-mn)/np.maximum(mx,1e-3), 0)
    gx = np.diff(L, axis=1)[:-1, :]; gy = np.diff(L, axis=0)[:, :-1]
    g = np.sqrt(gx*gx+gy*gy)
    std = L.std()
    # orientation anisotropy of gradients (rain streaks)
    jxx = (gx*gx).sum(); jyy = (gy*gy).sum(); jxy = (gx*gy).sum()
    aniso = np.sqrt((jxx-jyy)**2 + 4*jxy**2) / max(jxx+jyy, 1e-12)
    # high-pass skew (bright thin streaks)
    lap = 4*L[1:-1,1:-1] - L[:-2,1:-1] - L[2:,1:-1] - L[1:-1,:-2] - L[1:-1,2:]
    ls = lap.std()
    skew = ((lap - lap.mean())**3).mean() / max(ls**3, 1e-12)
    kurt = ((lap - lap.mean())**4).mean() / max(ls**4, 1e-12)
    eps = 1e-4
    return [np.log(sigma+eps), np.log(sigma_dark+eps), p[0], p[1], p[2], dc.mean(), np.percentile(dc, 10),
            sat.mean(), std, np.log(g.mean()+eps), np.log(g.mean()/max(std,1e-3)+eps), aniso, skew, np.log(kurt),
            np.log(ls+eps), np.log(ls/max(g.mean(),1e-6)+eps)]


def collect(root: str, limit: int) -> list:
    rows = []
    for split in ("train", "val", "heldout"):
        for task in TASKS:
            paths = sorted(glob.glob(f"{root}/pairs/{split}/{task}/*.png"))
            for p in paths[:limit] if limit else paths:
                rows.append((split, task, os.path.basename(p), feats(Image.open(p))))
    return rows


def split_xy(rows, split):
    r = [x for x in rows if x[0] == split]
    return np.array([x[3] for x in r]), np.array([1.0 if x[1] == "clean" else 0.0 for x in r]), r


def fit_logistic(z, y, w, iters=3000, lr=0.5, l2=1e-2):
    coef, bias = np.zeros(z.shape[1]), 0.0
    for _ in range(iters):
        g = (1 / (1 + np.exp(-(z @ coef + bias))) - y) * w
        coef -= lr * (z.T @ g / len(y) + l2 * coef)
        bias -= lr * g.mean()
    return lambda zz: 1 / (1 + np.exp(-(zz @ coef + bias)))


def fit_mlp(z, y, w, hidden=32, iters=6000, lr=3e-3, seed=0):
    rng = np.random.default_rng(seed)
    d = z.shape[1]
    params = [rng.normal(0, 1 / np.sqrt(d), (d, hidden)), np.zeros(hidden),
              rng.normal(0, 1 / np.sqrt(hidden), hidden), np.zeros(1)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for it in range(iters):
        h = np.maximum(z @ params[0] + params[1], 0)
        g = (1 / (1 + np.exp(-(h @ params[2] + params[3][0]))) - y) * w / len(y)
        gh = np.outer(g, params[2]) * (h > 0)
        grads = [z.T @ gh + 1e-4 * params[0], gh.sum(0), h.T @ g + 1e-4 * params[2], np.array([g.sum()])]
        for i, (p, gr) in enumerate(zip(params, grads)):  # Adam
            m[i] = 0.9 * m[i] + 0.1 * gr
            v[i] = 0.999 * v[i] + 0.001 * gr * gr
            p -= lr * (m[i] / (1 - 0.9 ** (it + 1))) / (np.sqrt(v[i] / (1 - 0.999 ** (it + 1))) + 1e-8)

    def prob(zz):
        h = np.maximum(zz @ params[0] + params[1], 0)
        return 1 / (1 + np.exp(-(h @ params[2] + params[3][0])))
    return prob


def report(name, prob, rows, mu, sd):
    print(f"\n{name}")
    for split in ("train", "val", "heldout"):
        x, y, r = split_xy(rows, split)
        if not len(y):
            continue
        p = prob((x - mu) / sd)
        for t in (0.5, 0.7, 0.9):
            taken = {task: float((p[np.array([e[1] == task for e in r])] >= t).mean()) for task in TASKS[1:]}
            print(f"  {split:8s} t={t}: clean kept {(p[y == 1] >= t).mean():5.1%}; taken for clean: "
                  + ", ".join(f"{k} {v:.1%}" for k, v in taken.items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data")
    ap.add_argument("--limit", type=int, default=0, help="images per folder (0: all)")
    ap.add_argument("--features", help="JSON cache of the statistics (read if it exists, else written)")
    args = ap.parse_args(argv)
    if args.features and os.path.exists(args.features):
        rows = json.load(open(args.features))
    else:
        rows = collect(args.data, args.limit)
        if args.features:
            json.dump(rows, open(args.features, "w"))
    x, y, _ = split_xy(rows, "train")
    mu, sd = x.mean(0), x.std(0) + 1e-9
    w = np.where(y == 1, (y == 0).sum() / max((y == 1).sum(), 1), 1.0)
    w /= w.mean()
    z = (x - mu) / sd
    report("logistic regression", fit_logistic(z, y, w), rows, mu, sd)
    report("MLP, 32 hidden units", fit_mlp(z, y, w), rows, mu, sd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
