#!/usr/bin/env bash
# One command for the GPU machine (training/gpu/README.md): diagnostics, then
# `python3 -m ram_training.gpu.train` on data/gpu_pack.npz, everything written to $OUT.
#
#   bash training/gpu/run.sh [ram_training.gpu.train options...]     e.g. --minutes 7 --compile 1
#
# Environment: OUT (output folder; default training/runs/ram-paper-gpu), PACK (default
# data/gpu_pack.npz), PYTHON (default python3), MINUTES (default 7.5).
# Exit codes: 2 pack missing, 3 no torch, 4 no CUDA GPU, else ram_training.gpu.train's.
set -u
cd "$(dirname "$0")/../.."
OUT="${OUT:-$PWD/training/runs/ram-paper-gpu}"
PACK="${PACK:-data/gpu_pack.npz}"
PY="${PYTHON:-python3}"
MINUTES="${MINUTES:-7.5}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
# The package runs from this working tree (no install needed on the GPU machine).
export PYTHONPATH="$PWD/training${PYTHONPATH:+:$PYTHONPATH}"

{
  echo "== ram GPU training kit: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
  echo "== git: $(git rev-parse HEAD 2>/dev/null || echo '?') $(git status --porcelain 2>/dev/null | wc -l) changed path(s)"
  echo "== uname: $(uname -srm)   cpus: $(nproc)"
  echo "== nvidia-smi:"
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version,utilization.gpu --format=csv 2>&1 || echo "nvidia-smi unavailable"
  echo "== python: $(command -v "$PY") $("$PY" --version 2>&1)"
  "$PY" - <<'EOF' 2>&1
try:
    import torch
except Exception as e:  # noqa: BLE001
    print(f"torch: NOT IMPORTABLE ({type(e).__name__}: {e})")
    raise SystemExit(0)
import numpy
print(f"torch {torch.__version__}  cuda build {torch.version.cuda}  cuda available {torch.cuda.is_available()}  numpy {numpy.__version__}")
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f"device {p.name}  {p.total_memory / 2**30:.1f} GiB  sm {p.major}.{p.minor}  {p.multi_processor_count} SMs  "
          f"bf16 {torch.cuda.is_bf16_supported()}  cudnn {torch.backends.cudnn.version()}")
EOF
  if [ -f "$PACK" ]; then
    echo "== pack: $PACK $(stat -c %s "$PACK") bytes, sha256 $(sha256sum "$PACK" | cut -c1-16)"
  else
    echo "== pack: $PACK MISSING"
  fi
} 2>&1 | tee "$OUT/diag.txt"

if ! "$PY" -c "import torch, numpy" >/dev/null 2>&1; then
  echo "ERROR: $PY cannot import torch and numpy; nothing to train with (set PYTHON=...)." | tee -a "$OUT/diag.txt"
  exit 3
fi
if [ "${RAM_GPU_ALLOW_CPU:-0}" != 1 ] && ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" >/dev/null 2>&1; then
  echo "ERROR: torch sees no CUDA GPU (RAM_GPU_ALLOW_CPU=1 trains on the CPU anyway, for tests)." | tee -a "$OUT/diag.txt"
  exit 4
fi
if [ ! -f "$PACK" ]; then
  echo "ERROR: $PACK not found: build it with 'python3 -m ram_training.gpu.pack' on the machine with data/pairs and copy it here (or set PACK=...)." | tee -a "$OUT/diag.txt"
  exit 2
fi

DEVICE=cuda
[ "${RAM_GPU_ALLOW_CPU:-0}" = 1 ] && DEVICE=auto
set -o pipefail
"$PY" -u -m ram_training.gpu.train --pack "$PACK" --out "$OUT" --minutes "$MINUTES" --device "$DEVICE" "$@" 2>&1 | tee "$OUT/train.log"
rc=$?
echo "== ram_training.gpu.train exit $rc; files in $OUT:"
ls -l "$OUT"
exit $rc
