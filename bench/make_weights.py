"""Writes random paper-configuration weights (seeded) for `make bench`, so Swift and PyTorch time the same file."""
import sys

import torch

from ram_training.model import RAM, RAMConfig  # training/ on PYTHONPATH (scripts/bench.sh), or pip install -e training
from ram_training.weights import save_ram

out = sys.argv[1]
torch.manual_seed(0)
cfg = RAMConfig(dim=28, num_blocks=[3, 5, 5, 7], num_refinement=4, heads=[1, 2, 4, 8], ffn_factor=2.0)
model = RAM(cfg).eval()
save_ram(out, model.state_dict(), cfg, card={"note": "random paper-configuration weights for make bench"}, dtype="fp32")
print(out)
