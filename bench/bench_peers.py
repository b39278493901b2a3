"""`make bench`: `ram` against the engines a user would pick on a CPU, on one weights file.

    bench/.venv/bin/python bench/bench_peers.py WEIGHTS --ram .build/release/ram
        [--sizes 256,512] [--runs 3] [--threads 2] [--export-only] [--json FILE] [--pause-pid PID]

Engines, all on the same input (value i % 251 / 251 over the (3, S, S) planes, stored as a
16-bit PNG for `ram restore` and read back from it for every engine, so all see the same
numbers) and the same thread count:

- PyTorch eager (`ram_training.model`), channels_last, inference mode;
- ONNX Runtime, CPU execution provider, all graph optimisations, on the network exported
  with `torch.onnx.export` (opset 17, the TorchScript exporter; dynamic height and width,
  cached in bench/.cache/; each engine pins the benchmarked size when it loads the file);
- OpenVINO on the same ONNX file, with f32 inference precision and with its default
  precision (bf16 where the CPU has AVX512_BF16 or AMX);
- `ram bench` (forward pass only, its own process: the median it reports);
- `ram restore` as a whole process with default options (load, decode, tiles, encode, write);
- where the CPU has AVX512_BF16, `ram bench` and `ram restore` again with `--precision bf16`.

The peers are timed on the forward call only, after one warm-up. Rounds alternate: each
round times every engine once; the table gives the median over rounds. Errors are the
maximum absolute difference from PyTorch's fp32 output (contiguous layout) on [0, 1]; for
`ram restore` it is measured on its 16-bit PNG output (quantised to 1/65535) against the
reference clipped to [0, 1].
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

# training/ on PYTHONPATH (scripts/bench.sh sets it) or `pip install -e training`
from ram_training.png16 import read_png16, write_png16
from ram_training.weights import load_ram

HERE = Path(__file__).resolve().parent

CACHE = HERE / ".cache"
# Between timed calls: thread pools that spin after a call (OpenMP's, ONNX Runtime's) go idle
# before the next engine starts, so no engine pays for the previous one's spinning.
PAUSE_S = 0.5


def synthetic_png(size: int, path: Path) -> np.ndarray:
    """Writes the bench input as a 16-bit PNG and returns what a reader gets: (3, S, S)."""
    v = (np.arange(3 * size * size, dtype=np.float64) % 251 / 251).reshape(3, size, size)
    write_png16(str(path), np.ascontiguousarray(v.transpose(1, 2, 0)))
    return read_png16(str(path)).transpose(2, 0, 1).astype(np.float32).copy()


def export_onnx(model, weights: Path) -> Path:
    """The network with dynamic height and width, opset 17, traced at 64x64 (sides that are
    multiples of 8 take no padding branch; tracing at 512x512 with static shapes needed more
    than 17 GB here). Cached by weights file; the engines pin the size when they load it."""
    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"{weights.stem}.opset17.onnx"
    if out.exists() and out.stat().st_mtime >= weights.stat().st_mtime:
        return out
    tmp = out.with_suffix(".tmp.onnx")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, 64, 64),), str(tmp), opset_version=17, dynamo=False,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "height", 3: "width"}})
    os.replace(tmp, out)
    print(f"bench: exported {out} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return out


class Peers:
    """The in-process engines for one size: name -> callable(x) returning a numpy array."""

    def __init__(self, model, onnx_path: Path, size: int, threads: int):
        import onnxruntime as ort
        import openvino as ov

        self.versions = {"torch": torch.__version__, "onnxruntime": ort.__version__,
                         "openvino": ov.get_version().split("-")[0]}
        torch.set_num_threads(threads)
        self.model_cl = copy.deepcopy(model).to(memory_format=torch.channels_last)

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.add_free_dimension_override_by_name("height", size)
        so.add_free_dimension_override_by_name("width", size)
        self.ort = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])

        core = ov.Core()
        net = core.read_model(str(onnx_path))
        net.reshape({0: [1, 3, size, size]})  # static shapes, as for ONNX Runtime
        base = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
        self.ov_f32 = core.compile_model(net, "CPU", {**base, "INFERENCE_PRECISION_HINT": "f32"})
        self.ov_def = core.compile_model(net, "CPU", base)
        self.ov_default_precision = self.ov_def.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        self.req_f32 = self.ov_f32.create_infer_request()
        self.req_def = self.ov_def.create_infer_request()

    def engines(self) -> dict:
        def torch_cl(x):
            with torch.inference_mode():
                return self.model_cl(torch.from_numpy(x).to(memory_format=torch.channels_last)).numpy()

        return {
            "PyTorch": torch_cl,
            "ONNX Runtime": lambda x: self.ort.run(None, {"input": x})[0],
            "OpenVINO f32": lambda x: self.req_f32.infer({0: x})[0],
            f"OpenVINO default ({self.ov_default_precision})": lambda x: self.req_def.infer({0: x})[0],
        }


def run_ram_bench(ram: str, weights: Path, size: int, threads: int, sgemm: bool, precision: str = "fp32") -> dict:
    cmd = [ram, "bench", "--weights", str(weights), "--sizes", str(size), "--runs", "1",
           "--threads", str(threads), "--precision", precision, "--json"] + ([] if sgemm else ["--no-sgemm"])
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(r.stdout)[0]


def run_ram_restore(ram: str, weights: Path, src: Path, dst: Path, threads: int, precision: str = "fp32") -> float:
    env = {**os.environ, "RAM_THREADS": str(threads)}
    t0 = time.perf_counter()
    # --no-guard: the network's output, which the other engines compute too.
    subprocess.run([ram, "restore", str(src), str(dst), "--weights", str(weights), "--force", "--no-guard",
                    "--precision", precision], env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


class Paused:
    """SIGSTOP to another process (e.g. a training job sharing the machine) while a timed
    call runs, SIGCONT after it, always; nothing without a pid."""

    def __init__(self, pid: int | None):
        self.pid = pid

    def __enter__(self):
        if self.pid:
            os.kill(self.pid, signal.SIGSTOP)

    def __exit__(self, *exc):
        if self.pid:
            os.kill(self.pid, signal.SIGCONT)


def ram_has_bf16(ram: str, weights: Path) -> bool:
    """Whether this ram and CPU run --precision bf16 (ram refuses it in one line, exit 64,
    on a CPU without AVX512_BF16)."""
    r = subprocess.run([ram, "bench", "--weights", str(weights), "--sizes", "16", "--runs", "1",
                        "--precision", "bf16", "--no-sgemm", "--json"], capture_output=True, text=True)
    return r.returncode == 0


def bench_size(model, weights: Path, onnx_path: Path, size: int, args, bf16: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "input.png", Path(tmp) / "out.png"
        x = synthetic_png(size, src)[None]
        torch.set_num_threads(args.threads)
        with torch.inference_mode():
            ref = model(torch.from_numpy(x)).numpy()  # fp32, contiguous: the reference
        peers = Peers(model, onnx_path, size, args.threads)
        engines = peers.engines()
        errors = {name: float(np.abs(f(x) - ref).max()) for name, f in engines.items()}  # + warm-up
        times = {name: [] for name in engines}
        times["ram forward"], times["ram restore"] = [], []
        if bf16:
            times["ram forward bf16"], times["ram restore bf16"] = [], []
        dst16 = Path(tmp) / "out-bf16.png"
        ram_json = None
        for r in range(args.runs):
            for name, f in engines.items():
                with Paused(args.pause_pid):
                    time.sleep(PAUSE_S)
                    t0 = time.perf_counter()
                    f(x)
                    times[name].append(time.perf_counter() - t0)
            time.sleep(PAUSE_S)
            with Paused(args.pause_pid):
                j = run_ram_bench(args.ram, weights, size, args.threads, sgemm=(r == 0))
            ram_json = ram_json or j
            times["ram forward"].append(j["median_s"])
            with Paused(args.pause_pid):
                times["ram restore"].append(run_ram_restore(args.ram, weights, src, dst, args.threads))
            if bf16:
                time.sleep(PAUSE_S)
                with Paused(args.pause_pid):
                    jb = run_ram_bench(args.ram, weights, size, args.threads, sgemm=False, precision="bf16")
                times["ram forward bf16"].append(jb["median_s"])
                with Paused(args.pause_pid):
                    times["ram restore bf16"].append(
                        run_ram_restore(args.ram, weights, src, dst16, args.threads, precision="bf16"))
        out = read_png16(str(dst)).transpose(2, 0, 1)[None]
        errors["ram restore"] = float(np.abs(out - np.clip(ref, 0, 1)).max())
        if bf16:
            out16 = read_png16(str(dst16)).transpose(2, 0, 1)[None]
            errors["ram restore bf16"] = float(np.abs(out16 - np.clip(ref, 0, 1)).max())
    return {"size": size, "threads": args.threads, "runs": args.runs,
            "median_s": {k: statistics.median(v) for k, v in times.items()},
            "times_s": times, "max_abs_error": errors, "versions": peers.versions,
            "ram_gflops": ram_json["gflops"], "sgemm_gflops": ram_json.get("sgemm_gflops"),
            "ov_default_precision": peers.ov_default_precision}


def print_table(results: list[dict]):
    first = results[0]
    v = first["versions"]
    print(f"paper configuration (d=28, blocks 3,5,5,7, refinement 4), random weights, "
          f"{first['threads']} threads each, median of {first['runs']} alternating rounds")
    print(f"PyTorch {v['torch']} (channels_last), ONNX Runtime {v['onnxruntime']} (CPU EP, all graph "
          f"optimisations, opset 17), OpenVINO {v['openvino']}; peers: forward only, after a warm-up")
    for r in results:
        s, med, err = r["size"], r["median_s"], r["max_abs_error"]
        ours = med["ram restore"]
        peers = [k for k in med if not k.startswith("ram")]
        fastest = min(peers, key=lambda k: med[k])
        print(f"\n{s}x{s}")
        print(f"  {'engine':34s} {'time':>8s}  {'ram restore faster by':>21s}  {'max error':>9s}")
        for k in peers:
            print(f"  {k:34s} {med[k]:7.3f}s  {med[k] / ours:20.2f}x  {err[k]:9.2e}")
        print(f"  {'ram forward (ram bench)':34s} {med['ram forward']:7.3f}s  {'':21s}  "
              f"{r['ram_gflops']:.1f} GFLOP/s" + (f" ({100 * r['ram_gflops'] / r['sgemm_gflops']:.0f} % of "
                                                f"{r['sgemm_gflops']:.1f} sgemm)" if r["sgemm_gflops"] else ""))
        print(f"  {'ram restore (whole process)':34s} {ours:7.3f}s  {'':21s}  {err['ram restore']:9.2e}")
        if "ram restore bf16" in med:
            print(f"  {'ram forward bf16 (ram bench)':34s} {med['ram forward bf16']:7.3f}s")
            print(f"  {'ram restore --precision bf16':34s} {med['ram restore bf16']:7.3f}s  {'':21s}  "
                  f"{err['ram restore bf16']:9.2e}")
        print(f"  fastest peer: {fastest}; ram restore / fastest = {ours / med[fastest]:.2f} "
              f"({med[fastest] / ours:.2f}x {'faster' if ours < med[fastest] else 'slower' if ours > med[fastest] else ''}); "
              f"ram forward / fastest = {med['ram forward'] / med[fastest]:.2f}")
        if "ram restore bf16" in med:
            b = med["ram restore bf16"]
            print(f"  ram restore --precision bf16 / fastest = {b / med[fastest]:.2f} ({med[fastest] / b:.2f}x "
                  f"{'faster' if b < med[fastest] else 'slower'})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("weights", type=Path)
    ap.add_argument("--ram", default=".build/release/ram")
    ap.add_argument("--sizes", default="256,512")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export-only", action="store_true", help="only write the ONNX files")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    ap.add_argument("--pause-pid", type=int, help="stop this process (e.g. a training job) during "
                    "each timed call and continue it after the call")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: a paused process is continued
    torch.set_num_threads(args.threads)
    model, _ = load_ram(args.weights)
    model.eval()
    onnx_path = export_onnx(model, args.weights)
    if args.export_only:
        return
    bf16 = ram_has_bf16(args.ram, args.weights)
    results = [bench_size(model, args.weights, onnx_path, int(s), args, bf16)
               for s in args.sizes.replace(" ", ",").split(",") if s]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print_table(results)


if __name__ == "__main__":
    main()
