# ram — see README.md. `make run` and `make test` work on a fresh Debian/Ubuntu machine.
SWIFT ?= swift
PYTHON ?= python3
RAM := .build/release/ram

.PHONY: run build debug test deps fixtures bench train-data train eval clean format

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

# Regenerates the parity fixtures from the PyTorch reference (needs torch; tests don't).
fixtures:
	$(PYTHON) training/make_fixtures.py

bench: build
	scripts/bench.sh

train-data: build
	$(PYTHON) training/collect_data.py
	$(PYTHON) training/dead_leaves.py
	$(PYTHON) training/make_pairs.py

train:
	$(PYTHON) training/train.py --resume

clean:
	rm -rf .build
