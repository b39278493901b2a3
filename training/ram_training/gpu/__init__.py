"""The GPU kit (training/gpu/README.md): gpu.pack builds data/gpu_pack.npz on the CPU machine
that has the data, gpu.synth degrades patches on the device with `ram degrade`'s recipe,
gpu.ramio runs `ram degrade` through 16-bit PNGs for the pack and its checks, gpu.train trains
for a fixed wall-clock budget.

STARTED is when this package was first imported, before torch: gpu.train's --minutes budget
counts from it."""

import time

STARTED = time.time()
