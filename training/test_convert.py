"""Tests for convert_checkpoint.py (plain script: asserts, non-zero exit on failure).

    python3 training/test_convert.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from convert_checkpoint import ConversionError, convert, infer_config  # noqa: E402
from make_fixtures import randomize  # noqa: E402
from ram import PAPER_CONFIG, RAM, RAMConfig  # noqa: E402
from safetensors_util import load_ram, read_ram  # noqa: E402


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
    return subprocess.run([sys.executable, str(HERE / "convert_checkpoint.py"), *map(str, args)],
                          capture_output=True, text=True)


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
                assert_bit_equal({k: v for k, v in sd.items()}, tensors, f"{src.name} fp32")
                reloaded, _ = load_ram(out)
                assert_bit_equal(sd, reloaded.state_dict(), f"{src.name} reload")

            # fp16 is the default; values are the fp16 rounding of the originals.
            out16 = tmp / f"m{ci}.fp16.safetensors"
            convert(ckpt, out16, card={"trained_on": "nothing"})
            tensors, file_cfg, card = read_ram(out16)
            assert card == {"trained_on": "nothing"}
            for k, v in sd.items():
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

    print("test_convert: all checks passed")


if __name__ == "__main__":
    main()
