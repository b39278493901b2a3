"""Checks that the GPU kit's synthesised degradations are `ram degrade`'s (pack format 2).

    python3 training/tests/test_synth.py [--pack data/gpu_pack.npz] [--ram .build/release/ram]

Plain python3 on the CPU (one torch thread, `ram` at nice 10), well under two minutes. Needs
the built CLI and a format-2 pack (ram_training.gpu.pack) with data/pairs; prints SKIPPED and
exits 0 when one is missing. Exits 1 if any check fails.

(a) rain, haze, blur: the pack's stored layers / kernels, loaded and composited by the
    training code (gpu.train.SynthData tensors, synth.rain/haze/blur, quantise8), on a real
    clean image, against `ram degrade` of that image with the same kind and seed through
    8-bit PNGs (as data.pairs makes the pairs): PSNR >= 45 dB each. Rain and haze depend on
    the image size, so the clean image is a real training tile (not the one the layer was
    measured on) cut to the layer's shape, and the stored window of ram's output is compared;
    blur runs on the pack's clean crops.
(b) noise and low light (gpu.synth implements their formulas, nothing is measured): on a grey
    ramp (256 columns 0..255, --rows rows) ram's 8-bit output and the torch output
    (quantised alike) are compared per intensity bin (16 bins of 16 grey levels): mean and
    variance differences in standard errors (variance SE from the fourth moments), |z| must
    stay below --z-max for every bin and level (noise sigma 15/25/50, low light 0.15/0.5/0.95).
    Then the same comparison with a deliberately wrong parameter (sigma x1.1; gamma + 0.25;
    peak x0.8) must FAIL, showing the check can tell.
Controls for (a): a camera-shake kernel applied rotated by 180 deg (correlation instead of
ram's convolution) and a rain / haze layer of another seed must fall below --min-psnr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from ram_training.data import TASKS
from ram_training.paths import REPO


def skip(msg: str) -> int:
    print(f"SKIPPED: {msg}")
    return 0


def psnr8(a, b) -> float:
    import numpy as np
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2) / 255 ** 2
    return float("inf") if mse == 0 else float(10 * np.log10(1 / mse))


def to_u8(t):
    """(1, 3, H, W) float on the 8-bit grid -> (H, W, 3) uint8."""
    import numpy as np
    return (t[0].permute(1, 2, 0) * 255).round().numpy().astype(np.uint8)


def bin_stats(img_u8, bins: int = 16):
    """Per bin of clean grey level (columns of the ramp): n, mean, var, SE of mean and of var."""
    import numpy as np
    x = img_u8.astype(np.float64) / 255  # (rows, 256, 3)
    out = []
    width = x.shape[1] // bins
    for b in range(bins):
        s = x[:, b * width:(b + 1) * width].ravel()
        n = s.size
        m = s.mean()
        d = s - m
        var = (d ** 2).mean()
        m4 = (d ** 4).mean()
        out.append((n, m, var, np.sqrt(var / n), np.sqrt(max(m4 - var ** 2, 0) / n)))
    return out


def compare(ref, got, bins: int = 16):
    """Largest |z| of mean and variance differences over the bins, and where."""
    worst = (0.0, None)
    for b, (r, g) in enumerate(zip(bin_stats(ref, bins), bin_stats(got, bins))):
        for what, i, se in (("mean", 1, 3), ("var", 2, 4)):
            se_d = (r[se] ** 2 + g[se] ** 2) ** 0.5
            diff = abs(r[i] - g[i])
            z = diff / se_d if se_d > 0 else (0.0 if diff < 1e-12 else float("inf"))
            if z > worst[0]:
                worst = (z, f"bin {b} {what}: ram {r[i]:.6f} torch {g[i]:.6f}")
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--pack", default=os.path.join(REPO, "data", "gpu_pack.npz"))
    ap.add_argument("--ram", default=os.environ.get("RAM_BIN", os.path.join(REPO, ".build", "release", "ram")))
    ap.add_argument("--min-psnr", type=float, default=45.0)
    ap.add_argument("--rows", type=int, default=384, help="rows of the grey ramp (samples per bin: rows x 16 x 3)")
    ap.add_argument("--z-max", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default="", help="also write every number to this file")
    args = ap.parse_args(argv)
    t_start = time.time()

    if not os.path.isfile(args.ram):
        return skip(f"{args.ram} not found (build it with make build, or pass --ram / RAM_BIN)")
    if not os.path.isfile(args.pack):
        return skip(f"{args.pack} not found (python3 -m ram_training.gpu.pack)")
    index_path = os.path.join(REPO, "data", "pairs", "index.json")
    if not os.path.isfile(index_path):
        return skip(f"{index_path} not found (make train-data)")

    import numpy as np
    import torch
    torch.set_num_threads(1)
    from ram_training.gpu import ramio, synth
    from ram_training.gpu import train as train_gpu

    with np.load(args.pack, allow_pickle=False) as z:
        if json.loads(str(z["meta"])).get("format") != "ram-gpu-pack/2":
            return skip(f"{args.pack} is not a ram-gpu-pack/2 pack (rebuild it with ram_training.gpu.pack)")
    ram = ramio.Ram(args.ram)
    data = train_gpu.SynthData(args.pack, torch.device("cpu"), 0, 0.2, [1.0] * len(TASKS))
    z = np.load(args.pack, allow_pickle=False)
    meta = data.meta
    if meta.get("degrade_binary", {}).get("sha256") != ram.sha256:
        print(f"note: {args.ram} (sha256 {ram.sha256[:12]}) is not the binary that made the pack "
              f"({meta.get('degrade_binary', {}).get('sha256', '?')[:12]}): a recipe change would show up below")
    with open(index_path) as f:
        index = json.load(f)
    tiles = {}
    for e in index["train"]:
        w, h = e["box"][2] - e["box"][0], e["box"][3] - e["box"][1]
        tiles[e["clean"]] = (w, h)
    results, failures = {"layers": [], "noise": [], "lowlight": [], "wrong_parameters": []}, []
    rng = np.random.default_rng(args.seed)

    # ------------------------------------------------------------ (a) rain, haze, blur
    def pick(kinds, per_value):
        """Indices of layers: the first `per_value` of every distinct kind value (sorted)."""
        seen, out = {}, []
        for i, k in enumerate(kinds):
            if seen.get(k, 0) < per_value:
                seen[k] = seen.get(k, 0) + 1
                out.append(i)
        return out

    def check_layer(task, kind, seed, ref, y, inp, where, **record):
        """The synthesised y (float) against ram's 8-bit `ref`: record, print, fail below --min-psnr."""
        got = to_u8(synth.quantise8(y))
        p = psnr8(ref, got)
        diff = np.abs(ref.astype(int) - got.astype(int))
        r = {"task": task, "kind": kind, "seed": seed, **record,
             "psnr": round(p, 2), "max_diff_levels": int(diff.max()), "fraction_off": round(float((diff > 0).mean()), 5),
             "input_psnr": round(psnr8(ref, inp), 2)}
        results["layers"].append(r)
        ok = p >= args.min_psnr
        print(f"{'ok  ' if ok else 'FAIL'} (a) {task:5s} {kind:12s} seed {seed:10d} {where}: "
              f"{p:.2f} dB vs ram (input {r['input_psnr']:.2f} dB), max diff {r['max_diff_levels']}, "
              f"{100 * r['fraction_off']:.3f} % of values off", flush=True)
        if not ok:
            failures.append(f"{task} {kind} seed {seed}: {p:.2f} dB < {args.min_psnr}")

    for task in ("rain", "haze"):
        kinds = z[f"{task}_kind"].tolist()
        if task == "rain":
            chosen = pick(kinds, 1)                      # one per rain level
        else:
            betas = np.array([float(k.split(":")[1]) for k in kinds])
            chosen = sorted({int(betas.argmin()), int(betas.argmax()), int(np.argsort(betas)[len(betas) // 2])})
        for i in chosen:
            kind, seed = kinds[i], int(z[f"{task}_seed"][i])
            h, w = (int(v) for v in z[f"{task}_shape"][i])
            y0, x0 = (int(v) for v in z[f"{task}_window"][i])
            probe = str(z[f"{task}_tile"][i])
            cands = sorted(k for k, (tw, th) in tiles.items() if tw >= w and th >= h and k != probe)
            key = cands[int(rng.integers(len(cands)))]
            img = ramio.read_png8(os.path.join(REPO, "data", key))[:h, :w]
            ref = ram.degrade8(img, kind, seed)[y0:y0 + data.stored, x0:x0 + data.stored]
            x = torch.from_numpy(np.ascontiguousarray(img[y0:y0 + data.stored, x0:x0 + data.stored])).permute(2, 0, 1)[None].float() / 255
            li = torch.tensor([i])
            zero = torch.zeros(1, dtype=torch.int64)
            if task == "rain":
                y = synth.rain(x, data._window(data.rain_slope, li, zero, zero), data.rain_white[li])
            else:
                y = synth.haze(x, data._window(data.haze_t, li, zero, zero), data.haze_air[li])
            check_layer(task, kind, seed, ref, y, img[y0:y0 + data.stored, x0:x0 + data.stored], f"{w}x{h}",
                        shape=[h, w], window=[y0, x0], clean_tile=key)

    bk = z["blur_kind"].tolist()
    shake = [i for i, k in enumerate(bk) if k == "blur"][:3]
    line = [i for i, k in enumerate(bk) if k != "blur"][:3]
    for i in shake + line:
        kind, seed = bk[i], int(z["blur_seed"][i])
        ci = int(rng.integers(len(data.clean)))
        img = data.clean[ci].numpy()
        ref = ram.degrade8(img, kind, seed)
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
        ks = int(z["blur_size"][i])
        check_layer("blur", kind, seed, ref, synth.blur(x, data.blur_psf[i:i + 1]), img, f"{ks}px kernel",
                    clean_crop=ci, kernel_size=ks)

    # Negative controls: the same comparisons with a plausible mistake must fall below --min-psnr.
    def control(name, ref, y):
        p = psnr8(ref, to_u8(synth.quantise8(y)))
        caught = bool(p < args.min_psnr)
        results["wrong_parameters"].append({"name": name, "psnr": round(p, 2), "caught": caught})
        print(f"{'ok  ' if caught else 'FAIL'} (a) control: {name}: {p:.2f} dB "
              f"({'below' if caught else 'NOT below'} {args.min_psnr} dB, as it must be)", flush=True)
        if not caught:
            failures.append(f"control {name}: {p:.2f} dB, the check would not catch it")

    shakes = [i for i, k in enumerate(bk) if k == "blur"]
    if shakes:
        # the least symmetric shake kernel on the most detailed of the first 200 clean crops
        asym = [float((data.blur_psf[i] - data.blur_psf[i].flip(-1, -2)).abs().sum()) for i in shakes]
        i = shakes[int(np.argmax(asym))]
        detail = [float(data.clean[c].float().diff(dim=1).abs().mean()) for c in range(min(200, len(data.clean)))]
        img = data.clean[int(np.argmax(detail))].numpy()
        ref = ram.degrade8(img, bk[i], int(z["blur_seed"][i]))
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
        control(f"blur {bk[i]} seed {int(z['blur_seed'][i])} with the kernel rotated 180 deg (correlation, not convolution)",
                ref, synth.blur(x, data.blur_psf[i:i + 1].flip(-1, -2)))
    for task in ("rain", "haze"):
        if len(z[f"{task}_kind"]) < 2:
            continue
        i = 0
        h, w = (int(v) for v in z[f"{task}_shape"][i])
        y0, x0 = (int(v) for v in z[f"{task}_window"][i])
        key = sorted(k for k, (tw, th) in tiles.items() if tw >= w and th >= h)[0]
        img = ramio.read_png8(os.path.join(REPO, "data", key))[:h, :w]
        ref = ram.degrade8(img, str(z[f"{task}_kind"][i]), int(z[f"{task}_seed"][i]))[y0:y0 + data.stored, x0:x0 + data.stored]
        x = torch.from_numpy(np.ascontiguousarray(img[y0:y0 + data.stored, x0:x0 + data.stored])).permute(2, 0, 1)[None].float() / 255
        j, zero = torch.tensor([1]), torch.zeros(1, dtype=torch.int64)
        if task == "rain":
            y = synth.rain(x, data._window(data.rain_slope, j, zero, zero), data.rain_white[j])
        else:
            y = synth.haze(x, data._window(data.haze_t, j, zero, zero), data.haze_air[j])
        control(f"{task} {z[f'{task}_kind'][i]} seed {int(z[f'{task}_seed'][i])} composited with the next layer "
                f"({z[f'{task}_kind'][1]} seed {int(z[f'{task}_seed'][1])})", ref, y)

    # ------------------------------------------------------------ (b) noise, low light
    ramp = np.broadcast_to(np.arange(256, dtype=np.uint8)[None, :, None], (args.rows, 256, 3)).copy()
    xr = torch.from_numpy(ramp).permute(2, 0, 1)[None].float() / 255
    gen = torch.Generator()
    gen.manual_seed(args.seed + 12345)

    def torch_noise(sigma):
        return to_u8(synth.quantise8(synth.noise(xr, torch.tensor([float(sigma)]), gen)))

    def torch_lowlight(level, curve=None):
        return to_u8(synth.quantise8(synth.lowlight(xr, torch.tensor([level], dtype=torch.float64), gen, curve)))

    def check(name, ref, got, expect_pass: bool, bucket: str, extra: dict):
        zmax, where = compare(ref, got)
        passed = bool(zmax < args.z_max)
        ok = passed == expect_pass
        r = {"name": name, "max_z": round(zmax, 2), "where": where, "passes_check": passed, **extra}
        results[bucket].append(r)
        label = "ok  " if ok else "FAIL"
        verdict = "agrees" if passed else "DIFFERS"
        print(f"{label} (b) {name:34s} max |z| {zmax:7.2f} -> {verdict} ({'expected' if ok else 'NOT expected'}); {where}",
              flush=True)
        if not ok:
            failures.append(f"{name}: max |z| {zmax:.2f}, {'expected to agree' if expect_pass else 'expected to differ'}")

    for sigma in meta["synth"]["noise_sigmas"]:
        kind = f"noise:{sigma:g}"
        seed = int(rng.integers(1, 2**31))
        ref = ram.degrade8(ramp, kind, seed)
        check(f"{kind} torch vs ram", ref, torch_noise(sigma), True, "noise", {"kind": kind, "seed": seed})
        if sigma == 25:
            check(f"{kind} vs torch sigma x1.1 (wrong)", ref, torch_noise(sigma * 1.1), False, "wrong_parameters",
                  {"kind": kind, "wrong": "sigma x1.1"})
    for level in (0.15, 0.5, 0.95):
        kind = f"lowlight:{level:g}"
        seed = int(rng.integers(1, 2**31))
        ref = ram.degrade8(ramp, kind, seed)
        check(f"{kind} torch vs ram", ref, torch_lowlight(level), True, "lowlight", {"kind": kind, "seed": seed})
        if level == 0.5:
            lt = torch.tensor([level], dtype=torch.float64)
            c = synth.lowlight_curve(lt)
            check(f"{kind} vs torch gamma+0.25 (wrong)", ref, torch_lowlight(level, {**c, "gamma": c["gamma"] + 0.25}),
                  False, "wrong_parameters", {"kind": kind, "wrong": "gamma + 0.25"})
            check(f"{kind} vs torch peak x0.8 (wrong)", ref, torch_lowlight(level, {**c, "peak": c["peak"] * 0.8}),
                  False, "wrong_parameters", {"kind": kind, "wrong": "peak x0.8"})
    ram.close()

    results["seconds"] = round(time.time() - t_start, 1)
    results["failures"] = failures
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print(json.dumps({"failures": failures, "seconds": results["seconds"],
                      "min_layer_psnr": min(r["psnr"] for r in results["layers"]) if results["layers"] else None}))
    if failures:
        print(f"FAILED: {len(failures)} check(s)")
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
