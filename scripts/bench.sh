#!/bin/sh
# make bench: ram vs PyTorch eager on the same weights, input and thread count, alternating
# in the same run; prints both times, the ratio, and ram's GFLOP/s against sgemm.
set -eu
cd "$(dirname "$0")/.."
THREADS=${THREADS:-$(nproc)}
SIZES=${SIZES:-"256 512"}
RUNS=${RUNS:-3}
VENV=bench/.venv
PY=$VENV/bin/python
if ! "$PY" -c "import torch, safetensors, numpy" 2>/dev/null; then
    echo "bench: creating $VENV with a pinned CPU PyTorch (first use only)" >&2
    python3 -m venv "$VENV"
    "$PY" -m pip install -q "torch==2.13.0+cpu" safetensors numpy ||
        "$PY" -m pip install -q torch safetensors numpy --index-url https://download.pytorch.org/whl/cpu
fi
W=bench/paper-random.safetensors
[ -f "$W" ] || "$PY" bench/make_weights.py "$W" >/dev/null
RAM=.build/release/ram
OUT=$(mktemp)
for s in $SIZES; do
    for round in 1 2; do
        "$RAM" bench --weights "$W" --sizes "$s" --runs "$RUNS" --threads "$THREADS" --json >>"$OUT.ram"
        "$PY" bench/bench_torch.py "$W" --sizes "$s" --runs "$RUNS" --threads "$THREADS" >>"$OUT.torch"
    done
done
python3 - "$OUT.ram" "$OUT.torch" "$THREADS" <<'PY'
import json, sys
ram = [r for line in open(sys.argv[1]) for r in json.loads(line)]
tor = [json.loads(line) for line in open(sys.argv[2])]
print(f"paper configuration (d=28, blocks 3,5,5,7, refinement 4), random weights, {sys.argv[3]} threads, best of alternating rounds")
print(f"{'size':>9}  {'ram':>9}  {'PyTorch':>9}  {'ratio':>6}  {'ram GFLOP/s':>11}  {'sgemm':>7}  {'of sgemm':>8}")
for s in sorted({r['size'] for r in ram}):
    rs = [r for r in ram if r['size'] == s]; ts = [t for t in tor if t['size'] == s]
    r = min(rs, key=lambda r: r['median_s']); t = min(t['median_s'] for t in ts)
    print(f"{s:>4}x{s:<4}  {r['median_s']:8.3f}s  {t:8.3f}s  {t / r['median_s']:5.2f}x  {r['gflops']:11.1f}  {r['sgemm_gflops']:7.1f}  {100 * r['fraction_of_sgemm']:7.0f}%")
print(f"PyTorch {tor[0]['torch']}, layout {tor[0]['layout']}; sgemm = OpenBLAS 1024^3 GFLOP/s at this thread count, probed in the same process as that ram run")
PY
rm -f "$OUT" "$OUT.ram" "$OUT.torch"
