# ram — see README.md. `make run` and `make test` work on a fresh Debian/Ubuntu machine.
SWIFT ?= swift
PYTHON ?= python3
RAM := .build/release/ram
# The training pipeline is the Python package training/ram_training, run from this repository
# (`python3 -m ram_training.<module>`); make puts training/ on PYTHONPATH (or: pip install -e training).
WITH_TRAINING := PYTHONPATH=$(CURDIR)/training$${PYTHONPATH:+:$$PYTHONPATH}

.PHONY: run build debug test test-training deps fixtures bench train-data train eval eval-table eval-heldout clean format

run: build
	$(RAM)

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product ram

debug: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The training pipeline's own checks (training/tests, plain Python scripts, one torch thread each;
# they need training/requirements.txt, not the data; test_synth.py skips without a GPU pack and
# `ram`; test_ddp.py runs ram_training.gpu.train under torchrun with two gloo processes).
test-training:
	@$(PYTHON) -c "import torch, numpy, safetensors" 2>/dev/null || { \
		echo "test-training: missing Python packages; install them with: pip install -r training/requirements.txt" >&2; exit 1; }
	@set -e; for t in training/tests/test_*.py; do \
		echo "== $$t"; OMP_NUM_THREADS=1 $(WITH_TRAINING) $(PYTHON) $$t; done

# Regenerates the parity fixtures from the PyTorch reference (needs torch; tests don't).
fixtures:
	$(WITH_TRAINING) $(PYTHON) -m ram_training.fixtures

bench: build
	scripts/bench.sh

# The data scripts need numpy, scipy and Pillow; a fresh machine gets them from PyPI.
train-data: build
	@$(PYTHON) -c "import numpy, scipy, PIL" 2>/dev/null || { \
		echo "train-data: installing numpy scipy pillow from PyPI" >&2; \
		$(PYTHON) -m pip install -q numpy scipy pillow; }
	$(WITH_TRAINING) $(PYTHON) -m ram_training.data.collect
	$(WITH_TRAINING) $(PYTHON) -m ram_training.data.dead_leaves
	$(WITH_TRAINING) $(PYTHON) -m ram_training.data.pairs

# The identity-aware, scale-aware recipe (training/README.md "Do no harm"): from the shipped
# weights (--init) or this run's last checkpoint, a sixth task "clean" (identity pairs, including
# clean photos that look dark, flat or grey) on ~6 % of the patches (weight 0.6 next to 2, 2,
# 1.5, 3, 0.5), and 15 % of the steps on 256-px patches (two per batch) cut from tiles and from
# whole photos downscaled to 256-384 px, so GatedDA's statistics and the channel attention see
# image-scale content. One torch thread (two collapse when anything else holds a core).
# `make train TRAIN_EXTRA="--steps N"` anneals by step N. The background run: nohup make train > training/runs/ram-small-id.out 2>&1 &
TRAIN_ARGS ?= --name ram-small-id --init Assets/weights/ram-small.safetensors --threads 1 --loss psnr --bn frozen --lr 5e-5 --warmup 300 --task-weights 2,2,1.5,3,0.5,0.6 --patch 96 --batch 4 --big-patch 256 --big-prob 0.15 --big-tasks haze,rain,lowlight,blur,clean --val-every 3000 --val-limit 0
train:
	@$(PYTHON) -c "import torch, numpy, PIL, safetensors, skimage" 2>/dev/null || { \
		echo "train: missing Python packages; install them with: pip install -r training/requirements.txt" \
		     "(torch: pip install torch==2.13.0+cpu for the CPU build)" >&2; exit 1; }
	$(WITH_TRAINING) $(PYTHON) -m ram_training.train --resume $(TRAIN_ARGS) $(TRAIN_EXTRA)

# The README's evaluation table (ram_training.eval): shipped weights through `ram eval`
# against classical baselines on data/pairs/val, one thread. Needs $(RAM) (make build) and the
# pairs (make train-data). BM3D comes from PyPI into a git-ignored venv (non-commercial
# licence: never vendored). EVAL_ARGS="--bm3d-limit 25" runs BM3D on every photo.
EVAL_VENV := training/.venv-eval
eval-table:
	@$(EVAL_VENV)/bin/python -c "import bm3d, skimage, scipy, PIL" 2>/dev/null || { \
		echo "eval-table: creating $(EVAL_VENV) (system site packages + pip install bm3d)" >&2; \
		$(PYTHON) -m venv --system-site-packages $(EVAL_VENV) && \
		$(EVAL_VENV)/bin/pip install -q bm3d scikit-image scipy pillow; }
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAM_THREADS=1 \
		$(WITH_TRAINING) $(EVAL_VENV)/bin/python -m ram_training.eval $(EVAL_ARGS)

# The held-out set's table (ram_training.eval --set heldout; scored only when a model is
# shipped, never to choose one): harm next to gain, NLM/DCP/Wiener/gamma baselines, no BM3D.
eval-heldout:
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAM_THREADS=1 \
		$(WITH_TRAINING) $(PYTHON) -m ram_training.eval --set heldout --bm3d-limit 0 $(EVAL_ARGS)

clean:
	rm -rf .build
