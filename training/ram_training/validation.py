"""Validation: per-image PSNR and the pass over the validation pairs (EMA weights, eval mode)
with each kind's harm, shared by train, gpu.train and export."""

from __future__ import annotations

import torch

def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image RGB PSNR in dB, images in [0,1], shape (N,3,H,W)."""
    mse = ((a - b) ** 2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(1 / mse)


@torch.no_grad()
def validate(model, val, device, batch: int = 8, amp_dtype=None, memory_format=torch.contiguous_format, harm=None):
    """PSNR of the model's output and of the input per kind, and the output's per task.
    Batches run on `device`; outputs come back to wherever the clean images are. A dict given
    as `harm` receives per kind the worst photo's gain and the share of photos made worse
    (for "clean", the worst photo's PSNR)."""
    model.eval()
    per_kind, per_kind_in = {}, {}
    harm = {} if harm is None else harm
    for kind, (deg, clean) in val.items():
        outs = []
        for i in range(0, len(deg), batch):
            x = deg[i:i + batch].to(device).contiguous(memory_format=memory_format)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                y = model(x)
            outs.append(y.float().clamp(0, 1).to(clean.device))
        out = torch.cat(outs)
        p_out, p_in = psnr(out, clean), psnr(deg, clean)
        per_kind[kind] = float(p_out.mean())
        per_kind_in[kind] = float(p_in.mean())
        # Harm: the worst photo's gain over its input and the share of photos made worse. For
        # "clean" (input = target, PSNR infinite) the worst photo's PSNR stands for both.
        if kind == "clean":
            harm[kind] = {"worst_psnr": round(float(p_out.min()), 3)}
        else:
            gain = p_out - p_in
            harm[kind] = {"worst_gain": round(float(gain.min()), 3), "worse_share": round(float((gain < 0).float().mean()), 3)}
    per_task = {}
    for kind, v in per_kind.items():
        per_task.setdefault(kind.split(":")[0], []).append(v)
    return per_kind, {t: sum(v) / len(v) for t, v in per_task.items()}, per_kind_in
