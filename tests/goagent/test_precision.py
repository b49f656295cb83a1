"""Every precision path against fp32 on real positions, and the machinery that picks one.

Real positions: every move of the first games of a KGS 6d+ archive in
../shared/data/kgs-6d (skipped with the reason when absent), evaluated by the
shipped network.  Tolerances (issue 16): top-1 agreement with fp32 at least 97%,
mean |value difference| at most 0.02.  Paths this machine cannot run fast or at
all (bf16 without AVX512-BF16/AMX, CUDA without a GPU) skip with the reason.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from goagent import features, precision
from goagent.checkpoint import load_checkpoint
from goagent.config import TrainConfig, from_dict
from goagent.network import prepare_for_inference

DATA = Path(os.environ.get("GOAGENT_KGS_DIR", Path(__file__).resolve().parents[3] / "shared/data/kgs-6d"))
WEIGHTS = Path(__file__).resolve().parents[2] / "goagent/weights/default.pt"
GAMES = 8  # 1,585 positions of KGS-2017_06


@functools.lru_cache(maxsize=1)
def kgs_positions() -> np.ndarray:
    from goagent.sgf import read_records

    archives = sorted(DATA.glob("*.tar.gz"))
    if not archives:
        pytest.skip(f"no KGS archives in {DATA} (set GOAGENT_KGS_DIR)")
    planes = []
    for i, record in enumerate(read_records([str(archives[-1])], [])):
        if i >= GAMES:
            break
        state = record.to_state(0)
        for move in record.moves:
            state.to_play = move.color
            planes.append(features.encode(state))
            state.play(move.action, move.color)
    return np.stack(planes)


@functools.lru_cache(maxsize=1)
def shipped():
    if not WEIGHTS.exists():
        pytest.skip(f"no shipped network at {WEIGHTS}")
    return load_checkpoint(WEIGHTS).model


def outputs(runner, planes: np.ndarray):
    parts = [runner(planes[i : i + 64]) for i in range(0, len(planes), 64)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@functools.lru_cache(maxsize=1)
def fp32_outputs():
    return outputs(precision.InferenceModel(shipped(), "fp32", "cpu"), kgs_positions())


def check_against_fp32(name: str, device: str) -> None:
    planes = kgs_positions()
    logits, values = outputs(precision.InferenceModel(shipped(), name, device), planes)
    ref_logits, ref_values = fp32_outputs()
    agreement = float((logits.argmax(1) == ref_logits.argmax(1)).mean())
    value_diff = float(np.abs(values - ref_values).mean())
    print(
        f"{name} on {device}: {len(planes)} positions, top-1 agreement {agreement:.4f}, |dv| {value_diff:.4f}"
    )
    assert agreement >= 0.97, f"{name}: top-1 agrees with fp32 on only {agreement:.1%} of positions"
    assert value_diff <= 0.02, f"{name}: mean |value - fp32 value| is {value_diff:.4f}"


def test_int8_matches_fp32_on_kgs_positions():
    if not precision.has_vnni() or "x86" not in torch.backends.quantized.supported_engines:
        pytest.skip("INT8 needs the x86 quantized engine and a CPU with VNNI")
    check_against_fp32("int8", "cpu")


def test_bf16_matches_fp32_on_kgs_positions():
    if not precision.native_bf16():
        pytest.skip("this CPU has neither AVX512-BF16 nor AMX: bf16 would only be emulated")
    check_against_fp32("bf16", "cpu")


@pytest.mark.parametrize("half", ["bf16", "fp16"])
def test_cuda_matches_fp32_on_kgs_positions(half):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    if half == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    check_against_fp32(half, "cuda")


def test_padding_to_buckets_changes_nothing():
    model = shipped()
    planes = kgs_positions()[100:103]  # 3 positions: padded to 4
    runner = precision.InferenceModel(model, "fp32", "cpu")
    logits, values, ownership, scores = runner(planes)
    assert logits.shape == (3, 19 * 19 + 1) and values.shape == (3,) and ownership.shape == (3, 19, 19)
    with torch.inference_mode():
        net = prepare_for_inference(model)
        ref = net(torch.from_numpy(planes).contiguous(memory_format=torch.channels_last))
    np.testing.assert_allclose(logits, ref.policy_logits.numpy(), atol=1e-4)
    np.testing.assert_allclose(values, ref.value.numpy(), atol=1e-5)


def test_channel_equalization_is_exact():
    from goagent.quantize import equalize

    planes = torch.from_numpy(kgs_positions()[:256])
    net = prepare_for_inference(shipped()).to(memory_format=torch.contiguous_format)
    import copy

    with torch.no_grad():
        before = net(planes)
        after = equalize(copy.deepcopy(net), planes)(planes)
    torch.testing.assert_close(after.policy_logits, before.policy_logits, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(after.value, before.value, atol=1e-5, rtol=1e-4)


def test_auto_never_picks_emulated_bf16(monkeypatch):
    monkeypatch.setattr(precision, "INT8_IN_AUTO", True)
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f", "avx512_vnni"}))
    assert "bf16" not in precision.cpu_candidates()
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f", "avx2"}))
    assert precision.cpu_candidates() == ["fp32"]
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512_bf16", "amx_bf16", "amx_int8"}))
    assert {"bf16", "int8"} <= set(precision.cpu_candidates())  # on AMX both are measured


def test_auto_choice_is_measured_once_and_cached(monkeypatch, tmp_path):
    from goagent.config import model_preset
    from goagent.network import build_model

    model = build_model(model_preset("tiny", features.NUM_PLANES))
    monkeypatch.setattr(precision, "INT8_IN_AUTO", True)
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512_vnni"}))
    measured = []

    def fake_timing(model, paths, size, batch, seconds):
        measured.append(list(paths))
        return {"fp32": 100.0, "int8": 250.0}

    monkeypatch.setattr(precision, "time_paths", fake_timing)
    monkeypatch.setattr(precision, "machine_load", lambda: 0.1)
    path = tmp_path / "precision.json"
    assert precision.choose(model, "cpu", path) == "int8"
    assert precision.choose(model, "cpu", path) == "int8"
    assert measured == [["fp32", "int8"]]  # the second start read the file
    assert precision.cpu_model() in path.read_text()


def test_auto_does_not_cache_timings_taken_on_a_busy_machine(monkeypatch, tmp_path):
    """A choice measured under load would stick (it once cached fp32 over a 1.6x faster bf16)."""
    from goagent.config import model_preset
    from goagent.network import build_model

    model = build_model(model_preset("tiny", features.NUM_PLANES))
    monkeypatch.setattr(precision, "INT8_IN_AUTO", True)
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512_vnni"}))
    monkeypatch.setattr(precision, "time_paths", lambda *args, **kw: {"fp32": 100.0, "int8": 250.0})
    monkeypatch.setattr(precision, "machine_load", lambda: 2.5)
    path = tmp_path / "precision.json"
    assert precision.choose(model, "cpu", path) == "int8"  # chosen for this run ...
    assert not path.exists()  # ... and measured again next time


def test_timing_rounds_are_interleaved_and_the_best_counts():
    from goagent.config import model_preset
    from goagent.network import build_model

    model = build_model(model_preset("tiny", features.NUM_PLANES))
    rates = precision.time_paths(model, ["fp32"], size=5, batch=2, seconds=0.06, rounds=3)
    assert set(rates) == {"fp32"} and rates["fp32"] > 0


def test_auto_can_leave_int8_out(monkeypatch):
    monkeypatch.setattr(precision, "INT8_IN_AUTO", False)
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512_vnni"}))
    assert precision.cpu_candidates() == ["fp32"]  # nothing to measure


def test_cache_dir_is_overridable(monkeypatch, tmp_path):
    monkeypatch.setenv("GOAGENT_CACHE_DIR", str(tmp_path))
    assert precision.cache_path() == tmp_path / "precision.json"


def test_bad_combinations_fail_clearly():
    with pytest.raises(ValueError, match="CPU only"):
        precision.check_precision("int8", "cuda")
    with pytest.raises(ValueError, match="must be one of"):
        precision.check_precision("int4", "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            precision.resolve_device("cuda")


def test_the_flags_reach_every_network_explicitly(monkeypatch, tmp_path):
    """--precision/--device go into the options of each command (GTP, analysis, match,
    self-play), never into the process's environment."""
    import gtp.analysis_engine
    import gtp.server
    import selfplay.arena
    import selfplay.loop
    from goagent.cli import main

    seen = {}
    monkeypatch.setattr(gtp.server, "run_stdio", lambda options: seen.setdefault("gtp", options) and 0)
    monkeypatch.setattr(
        gtp.analysis_engine, "run_stdio", lambda settings, options: seen.setdefault("analysis", options) and 0
    )

    class Match:
        def summary(self):
            return {}

    def fake_match(a, b, settings, loader):
        seen["match"] = loader.keywords
        return Match()

    monkeypatch.setattr(selfplay.arena, "run_match", fake_match)
    monkeypatch.setattr("selfplay.commands.format_summary", lambda summary: "")
    monkeypatch.setattr(selfplay.loop, "run_loop", lambda *args: seen.setdefault("selfplay", args[-1]))
    flags = ["--precision", "int8", "--device", "cpu"]
    assert main(["gtp", "--model", "playouts", *flags]) == 0
    assert main(["analysis", "--model", "playouts", *flags]) == 0
    assert main(["match", "playouts", "playouts", "--games", "1", *flags]) == 0
    main(["selfplay", "loop", "--run", str(tmp_path / "run"), "--config", "tiny", *flags])
    for options in (seen["gtp"], seen["analysis"], seen["selfplay"]):
        assert (options.precision, options.device) == ("int8", "cpu")
    assert seen["match"] == {"precision": "int8", "device": "cpu"}
    assert not any(name.startswith("GOAGENT_") and "PRECISION" in name for name in os.environ)


def test_a_numeric_path_checks_its_names():
    assert precision.NumericPath() == precision.EXACT == precision.NumericPath("fp32", "cpu")
    with pytest.raises(ValueError, match="precision 'int4'"):
        precision.NumericPath("int4", "cpu")


def test_old_mixed_precision_converts_on_load(caplog):
    assert from_dict(TrainConfig, {"mixed_precision": False}).precision == "fp32"
    assert from_dict(TrainConfig, {"mixed_precision": True}).precision == "auto"
    assert "mixed_precision" in caplog.text
    with pytest.raises(ValueError, match="precision"):
        from_dict(TrainConfig, {"precision": "int8"})


def test_training_autocast_follows_the_setting(monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512_vnni"}))
    assert precision.autocast_dtype("auto", "cpu") is None
    assert precision.autocast_dtype("auto", "cuda") is torch.bfloat16
    assert precision.autocast_dtype("bf16", "cpu") is torch.bfloat16
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"amx_bf16"}))
    assert precision.autocast_dtype("auto", "cpu") is torch.bfloat16


def test_training_step_runs_under_bf16_autocast_on_cpu():
    from goagent.config import model_preset
    from goagent.network import build_model
    from goagent.train import _autocast

    model = build_model(model_preset("tiny", features.NUM_PLANES)).train()
    x = torch.from_numpy(kgs_positions()[:4]) if DATA.exists() else torch.rand(4, features.NUM_PLANES, 9, 9)
    with _autocast(torch.device("cpu"), TrainConfig(precision="bf16")):
        out = model(x)
    assert out.policy_logits.dtype == torch.bfloat16  # emulated where the CPU lacks bf16: slow, not wrong
    out.policy_logits.float().logsumexp(1).mean().backward()
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in model.parameters())
    with _autocast(torch.device("cpu"), TrainConfig(precision="fp32")):
        assert model(x).policy_logits.dtype == torch.float32


def test_int8_calibration_is_cached_and_gives_the_same_network(tmp_path):
    """The calibrated state read back converts to the same INT8 network, without calibrating."""
    from goagent.config import model_preset
    from goagent.network import build_model, prepare_for_inference
    from goagent.quantize import cached_int8, network_digest

    if "x86" not in torch.backends.quantized.supported_engines:
        pytest.skip("this torch build has no x86 quantized engine")
    torch.manual_seed(0)
    net = prepare_for_inference(build_model(model_preset("b2c16", 12)))
    rng = np.random.default_rng(0)
    planes = (rng.random((64, 12, 7, 7)) < 0.3).astype(np.float32)
    calls = []

    def make():
        calls.append(1)
        return planes

    key = network_digest(net, 7, 0, 64)
    first = cached_int8(net, make, key, tmp_path)
    second = cached_int8(net, make, key, tmp_path)
    assert len(calls) == 1 and (tmp_path / f"int8-{key}.pt").exists()
    x = torch.from_numpy(planes[:8])
    with torch.inference_mode():
        a, b = first(x), second(x)
    assert torch.equal(a.policy_logits, b.policy_logits) and torch.equal(a.value, b.value)
    (tmp_path / f"int8-{key}.pt").write_bytes(b"not a checkpoint")  # corrupt: calibrated again
    cached_int8(net, make, key, tmp_path)
    assert len(calls) == 2
    assert network_digest(net, 9, 0, 64) != key  # another board size is another calibration
