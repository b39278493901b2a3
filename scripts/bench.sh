#!/bin/sh
# make bench: ram against PyTorch, ONNX Runtime and OpenVINO (f32 and its default precision)
# on the same weights, input and thread count, alternating in one run (bench/bench_peers.py);
# prints each engine's median time, ram's speed-up over each and over the fastest, each peer's
# max error against PyTorch's fp32 output, and `ram restore` (whole process) beside `ram bench`
# (forward only). THREADS (default 2), SIZES (default "256 512"), RUNS (default 3);
# PAUSE_PID: a process (e.g. a training job) stopped during each timed call, continued after it.
set -eu
cd "$(dirname "$0")/.."
# The weights and the PyTorch reference come from the training package (training/ram_training).
export PYTHONPATH="$PWD/training${PYTHONPATH:+:$PYTHONPATH}"
THREADS=${THREADS:-2}
SIZES=${SIZES:-"256 512"}
RUNS=${RUNS:-3}
VENV=bench/.venv
PY=$VENV/bin/python
# Pinned peers; torch is the CPU build from pip's configured wheel folder (else PyPI's default
# build of the same version, which is much larger).
PINS="safetensors==0.8.0 numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0 openvino==2026.4.1"
if ! "$PY" -c "import torch, safetensors, numpy, onnx, onnxruntime, openvino" 2>/dev/null; then
    echo "bench: creating $VENV with pinned PyTorch, ONNX Runtime and OpenVINO (first use only)" >&2
    python3 -m venv "$VENV"
    "$PY" -m pip install -q "torch==2.13.0+cpu" ||
        "$PY" -m pip install -q "torch==2.13.0"
    # shellcheck disable=SC2086
    "$PY" -m pip install -q $PINS
fi
W=bench/paper-random.safetensors
[ -f "$W" ] || "$PY" bench/make_weights.py "$W" >/dev/null
"$PY" bench/bench_peers.py "$W" --ram .build/release/ram --sizes "$(echo $SIZES | tr ' ' ,)" \
    --runs "$RUNS" --threads "$THREADS" ${BENCH_JSON:+--json "$BENCH_JSON"} ${PAUSE_PID:+--pause-pid "$PAUSE_PID"}
