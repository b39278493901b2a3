"""Tests for convert (plain script: asserts, non-zero exit on failure).

    python3 training/tests/test_convert.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from ram_training.convert import ConversionError, convert, infer_config
from ram_training.convert.anyir_public import PublicAnyIR
from ram_training.fixtures import randomize
from ram_training.model import PAPER_CONFIG, RAM, RAMConfig
from ram_training.paths import module_env
from ram_training.weights import load_ram, read_ram, save_ram


def random_model(config: RAMConfig, seed: int) -> RAM:
    model = RAM(config)
    randomize(model, seed)
    return model.eval()


def assert_bit_equal(a: dict, b: dict, what: str):
    assert a.keys() == b.keys(), f"{what}: keys differ: {sorted(set(a) ^ set(b))[:5]}"
    for k in a:
        assert a[k].dtype == b[k].dtype, f"{what}: {k} dtype {a[k].dtype} vs {b[k].dtype}"
        assert torch.equal(a[k], b[k]), f"{what}: {k} differs"


def expect_error(fn, *needles):
    try:
        fn()
    except ConversionError as e:
        msg = str(e)
        for n in needles:
            assert n in msg, f"error message lacks {n!r}:\n{msg}"
        return msg
    raise AssertionError(f"expected a ConversionError naming {needles}")


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ram_training.convert", *map(str, args)],
                          capture_output=True, text=True, env=module_env())


def lightning_checkpoint(module: torch.nn.Module, path: Path):
    """Saves `module` the way Lightning saves a LightningModule that holds it as `self.net`:
    'net.'-prefixed keys under 'state_dict', beside the loop, optimizer and scheduler state."""
    opt = torch.optim.AdamW(module.parameters(), lr=2e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1.0)
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    saved = {k: v.clone() for k, v in module.state_dict().items()}
    module.train()
    module(x).abs().mean().backward()  # one step's moments; weights and statistics restored
    opt.step()
    module.load_state_dict(saved)
    module.eval()
    torch.save({
        "epoch": 41, "global_step": 123456, "pytorch-lightning_version": "2.4.0",
        "state_dict": {"net." + k: v for k, v in module.state_dict().items()},
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 42}}}},
        "callbacks": {"ModelCheckpoint{'monitor': None}": {"best_model_path": "", "dirpath": "ckpt/"}},
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [sched.state_dict()],
    }, path)


def public_checkpoints(tmp: Path):
    """Checkpoints of a module that follows the public AnyIR code (convert.anyir_public): 0-dim
    `attn.lam`, `gatedcnn.tau` from ones, BatchNorm bookkeeping, Lightning's .ckpt layout,
    fp32 and bf16 tensors, with and without frequency fusion. The converted file, loaded into
    our reference, computes what the public-style module computes."""
    shapes = dict(dim=8, num_blocks=(1, 2, 1, 2), num_refinement_blocks=1, heads=(1, 2, 4, 8),
                  ffn_expansion_factor=2.66)
    want_cfg = RAMConfig(dim=8, num_blocks=(1, 2, 1, 2), num_refinement=1, heads=(1, 2, 4, 8),
                         ffn_factor=2.66, frequency_fusion=True)
    x = torch.rand(1, 3, 24, 40, generator=torch.Generator().manual_seed(7))  # multiples of 8
    for fused in (True, False):
        pub = PublicAnyIR(**shapes, frequency_fusion=fused)
        # The public defaults, before any training: 0-dim lam of 0.5, tau of ones.
        lams = {k: v for k, v in pub.state_dict().items() if k.endswith(".attn.lam")}
        assert (len(lams) > 0) == fused and all(v.dim() == 0 and v.item() == 0.5 for v in lams.values())
        assert torch.equal(pub.encoder_level1[0].attn.gatedcnn.tau, torch.ones(1, 4, 1, 1))
        randomize(pub, 40 + fused)  # a "trained" state: lam, tau, BatchNorm statistics vary
        pub.eval()
        with torch.no_grad():
            y_pub = pub(x)
        cfg = RAMConfig(**{**want_cfg.to_dict(), "frequency_fusion": fused})

        ckpt = tmp / f"public_ff{int(fused)}.ckpt"
        lightning_checkpoint(pub, ckpt)
        out = tmp / f"public_ff{int(fused)}.fp32.safetensors"
        notes = []
        assert convert(ckpt, out, dtype="fp32", notes_out=notes) == cfg
        assert any("'net.' prefix stripped" in n for n in notes), notes
        assert any("num_batches_tracked entries dropped" in n for n in notes), notes
        assert any("0-dim attn.lam" in n for n in notes) == fused, notes
        tensors, _, _ = read_ram(out)
        assert not any(k.endswith("num_batches_tracked") for k in tensors)
        for k in lams:  # the trained values, in the reference's shape (1,)
            assert tensors[k].shape == (1,) and tensors[k].item() == pub.state_dict()[k].item(), k
        ours, _ = load_ram(out)
        with torch.no_grad():
            err = (ours.eval()(x) - y_pub).abs().max().item()
        assert err < 2e-5, f"fusion {fused}: converted weights differ from the public-style module by {err}"

        # A plain .pth of the bare network, stored in bf16 (as modern checkpoints often are),
        # written as a bf16 weights file: every value is the checkpoint's exactly.
        pth = tmp / f"public_ff{int(fused)}.bf16.pth"
        torch.save({k: (v.bfloat16() if v.is_floating_point() else v) for k, v in pub.state_dict().items()}, pth)
        out_bf = tmp / f"public_ff{int(fused)}.bf16.safetensors"
        assert convert(pth, out_bf, dtype="bf16") == cfg
        tensors, _, _ = read_ram(out_bf)
        for k, v in pub.state_dict().items():
            if v.is_floating_point():
                assert tensors[k].dtype == torch.bfloat16, (k, tensors[k].dtype)
                assert torch.equal(tensors[k].reshape(v.shape), v.bfloat16()), k
        ours_bf, _ = load_ram(out_bf)
        pub_bf = PublicAnyIR(**shapes, frequency_fusion=fused)
        pub_bf.load_state_dict({k: (v.bfloat16().float() if v.is_floating_point() else v)
                                for k, v in pub.state_dict().items()})
        with torch.no_grad():
            y_bf = pub_bf.eval()(x)
            err = (ours_bf.eval()(x) - y_bf).abs().max().item()
        assert err < 2e-5, f"fusion {fused}, bf16: converted weights differ by {err}"
        print(f"public-style checkpoint (fusion {fused}): fp32 and bf16 conversions match; "
              f"bf16 vs fp32 output max abs {(y_bf - y_pub).abs().max().item():.2e}")

    # A safetensors file holding the public shapes as they are (0-dim lam, bookkeeping
    # present) reads back too, as `ram` reads it.
    pub = PublicAnyIR(**shapes)
    randomize(pub, 44)
    raw = tmp / "public_raw.safetensors"
    save_ram(raw, pub.state_dict(), want_cfg, {})
    assert read_ram(raw)[0]["encoder_level1.0.attn.lam"].shape == ()
    ours, _ = load_ram(raw)
    with torch.no_grad():
        assert (ours.eval()(x) - pub.eval()(x)).abs().max().item() < 2e-5

    # lam of any other shape is still refused, by name.
    sd = {k: (torch.zeros(2) if k == "encoder_level1.0.attn.lam" else v) for k, v in pub.state_dict().items()}
    torch.save(sd, tmp / "badlam.pth")
    expect_error(lambda: convert(tmp / "badlam.pth", tmp / "badlam.safetensors"),
                 "wrong shape: encoder_level1.0.attn.lam is (2,), expected (1,)")


def main():
    configs = [
        # non-integer ffn products (int(12*2.66)=31, int(96*2.66)=255), fusion, odd head counts
        RAMConfig(dim=12, num_blocks=(1, 2, 1, 2), num_refinement=2, heads=(1, 2, 2, 4),
                  ffn_factor=2.66, frequency_fusion=True),
        RAMConfig(dim=8, num_blocks=(1, 1, 1, 2), num_refinement=1, heads=(1, 2, 4, 8), ffn_factor=2.0),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for ci, cfg in enumerate(configs):
            model = random_model(cfg, 10 + ci)
            sd = model.state_dict()

            # Lightning-style .ckpt: net.-prefixed keys inside 'state_dict', plus other entries.
            ckpt = tmp / f"m{ci}.ckpt"
            torch.save({"state_dict": {"net." + k: v for k, v in sd.items()},
                        "epoch": 7, "global_step": 1234, "hyper_parameters": {"lr": 2e-4}}, ckpt)
            # plain .pth state dict, and a BasicSR-style {'params': ...}
            pth = tmp / f"m{ci}.pth"
            torch.save(dict(sd), pth)
            params = tmp / f"m{ci}_params.pth"
            torch.save({"params": dict(sd)}, params)

            for src in (ckpt, pth, params):
                out = tmp / (src.stem + src.suffix.replace(".", "_") + ".fp32.safetensors")
                got = convert(src, out, dtype="fp32")
                assert got == cfg, f"{src.name}: inferred {got} != {cfg}"
                tensors, file_cfg, card = read_ram(out)
                assert file_cfg == cfg, f"{src.name}: file config {file_cfg}"
                assert card == {"converted_from": src.name}, card
                params = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
                assert_bit_equal(params, tensors, f"{src.name} fp32")  # bookkeeping dropped
                reloaded, _ = load_ram(out)
                assert_bit_equal(params, {k: v for k, v in reloaded.state_dict().items() if k in params},
                                 f"{src.name} reload")

            # fp16 is the default; values are the fp16 rounding of the originals.
            out16 = tmp / f"m{ci}.fp16.safetensors"
            convert(ckpt, out16, card={"trained_on": "nothing"})
            tensors, file_cfg, card = read_ram(out16)
            assert card == {"trained_on": "nothing"}
            assert tensors.keys() == params.keys()
            for k, v in params.items():
                want = v.half() if v.is_floating_point() else v
                assert tensors[k].dtype == want.dtype and torch.equal(tensors[k], want), k

            # The converted model computes what the original computes.
            x = torch.rand(1, 3, 19, 22, generator=torch.Generator().manual_seed(ci))
            reloaded, _ = load_ram(tmp / f"m{ci}_ckpt.fp32.safetensors")
            with torch.no_grad():
                assert torch.equal(model(x), reloaded.eval()(x)), "outputs differ after conversion"

        # Inference on the paper configuration (and with fusion) without building weights twice.
        for fused in (False, True):
            cfg = RAMConfig(**{**PAPER_CONFIG.to_dict(), "frequency_fusion": fused})
            assert infer_config(RAM(cfg).state_dict()) == cfg, f"paper config (fusion {fused})"

        # Refuses to overwrite without --force; --force overwrites.
        out = tmp / "m1_ckpt.fp32.safetensors"
        expect_error(lambda: convert(tmp / "m1.ckpt", out), "exists", "--force")
        convert(tmp / "m1.ckpt", out, force=True)

        # A missing key is rejected and named; so are unexpected and wrong-shaped ones.
        sd = random_model(configs[1], 3).state_dict()
        bad = {"net." + k: v for k, v in sd.items()}
        del bad["net.encoder_level2.0.attn.gatedcnn.W_gate.weight"]
        bad["net.encoder_level1.0.attn.bogus"] = torch.zeros(3)
        bad["net.decoder_level1.0.ffn.dwconv.weight"] = torch.zeros(5, 1, 3, 3)
        torch.save({"state_dict": bad}, tmp / "bad.ckpt")
        msg = expect_error(lambda: convert(tmp / "bad.ckpt", tmp / "bad.safetensors"),
                           "missing: encoder_level2.0.attn.gatedcnn.W_gate.weight",
                           "unexpected: encoder_level1.0.attn.bogus",
                           "wrong shape: decoder_level1.0.ffn.dwconv.weight")
        assert not (tmp / "bad.safetensors").exists(), "a rejected checkpoint must not be written"

        # A key needed for inference is named too.
        bad = {k: v for k, v in sd.items() if k != "patch_embed.proj.weight"}
        torch.save(bad, tmp / "nodim.pth")
        expect_error(lambda: convert(tmp / "nodim.pth", tmp / "nodim.safetensors"), "patch_embed.proj.weight")
        # ... and with the configuration given, it is reported as missing.
        expect_error(lambda: convert(tmp / "nodim.pth", tmp / "nodim.safetensors",
                                     config_override=configs[1].to_dict()),
                     "missing: patch_embed.proj.weight")

        # --config overrides inference: a wrong override is rejected with the mismatches named.
        expect_error(lambda: convert(tmp / "m1.pth", tmp / "ovr.safetensors", config_override={"ffn_factor": 3.0}),
                     "wrong shape: encoder_level1.0.ffn.project_in.weight")

        # The command line: exit codes and messages.
        r = run_cli(tmp / "m0.ckpt", tmp / "cli.safetensors", "--dtype", "fp32", "--card", '{"a": 1}')
        assert r.returncode == 0, r.stderr
        assert read_ram(tmp / "cli.safetensors")[2] == {"a": 1}
        r = run_cli(tmp / "m0.ckpt", tmp / "cli.safetensors")
        assert r.returncode != 0 and "--force" in r.stderr, (r.returncode, r.stderr)
        r = run_cli(tmp / "bad.ckpt", tmp / "cli_bad.safetensors")
        assert r.returncode != 0 and "encoder_level2.0.attn.gatedcnn.W_gate.weight" in r.stderr, r.stderr

        public_checkpoints(tmp)

    print("test_convert: all checks passed")


if __name__ == "__main__":
    main()
