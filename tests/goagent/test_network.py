"""goagent.network: shapes on every board size, checkpoints (safe, versioned), inference folding."""

from __future__ import annotations

import dataclasses
import pathlib

import pytest
import torch
from torch import nn

from goagent.checkpoint import (
    CHECKPOINT_FORMAT_VERSION,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    strip_wrapper_prefixes,
)
from goagent.config import ModelConfig, model_preset
from goagent.features import FEATURE_VERSION
from goagent.network import PolicyValueNet, build_model, count_parameters, global_pool, prepare_for_inference

IN_CHANNELS = 7
SIZES = (5, 9, 13, 19)


def make_model(seed: int = 0, **changes) -> PolicyValueNet:
    """A tiny net with random BatchNorm statistics, so folding and loading are really exercised."""
    torch.manual_seed(seed)
    config = dataclasses.replace(model_preset("tiny", IN_CHANNELS), **changes)
    model = build_model(config)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    return model.eval()


def planes(batch: int, n: int, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (batch, IN_CHANNELS, n, n), generator=gen).float()  # (B, F, n, n)


def assert_outputs_close(a, b, atol: float) -> None:
    for name, x, y in zip(a._fields, a, b):
        assert (x is None) == (y is None), name
        if x is not None:
            torch.testing.assert_close(x, y, atol=atol, rtol=0, msg=lambda m, name=name: f"{name}: {m}")


# ------------------------------------------------------------------- shapes


def test_one_set_of_weights_plays_every_size():
    model = make_model()
    assert model.config.global_pool_every == 2  # the tiny net has a global-pooling block
    for n in SIZES:
        with torch.no_grad():
            out = model(planes(3, n))
        assert out.policy_logits.shape == (3, n * n + 1)
        assert out.value.shape == (3,) and out.score.shape == (3,)
        assert out.ownership.shape == (3, n, n)
        assert out.value.abs().max() <= 1 and out.ownership.abs().max() <= 1
        assert torch.isfinite(out.policy_logits).all()


def test_global_pooling_tells_the_board_size():
    for n, size_term in ((9, -0.5), (19, 0.5)):
        pooled = global_pool(torch.ones(1, 2, n, n))  # (1, 6): mean, size-scaled mean, max
        torch.testing.assert_close(pooled, torch.tensor([[1.0, 1.0, size_term, size_term, 1.0, 1.0]]))


def test_heads_can_be_turned_off():
    model = make_model(heads=())
    out = model(planes(2, 9))
    assert out.ownership is None and out.score is None and out.value.shape == (2,)


def test_wrong_plane_count_is_a_clear_error():
    with pytest.raises(ValueError, match=r"expected input \(B, 7, n, n\)"):
        make_model()(torch.zeros(1, IN_CHANNELS + 1, 9, 9))
    with pytest.raises(ValueError, match="in_channels is 0"):
        build_model(ModelConfig())


def test_every_parameter_gets_a_gradient():
    model = make_model().train()
    out = model(planes(4, 9))
    loss = out.policy_logits.logsumexp(1).sum() + out.value.sum() + out.ownership.sum() + out.score.sum()
    loss.backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing


def test_preset_sizes():
    counts = {name: count_parameters(build_model(model_preset(name, 31))) for name in ("tiny", "b6c64")}
    assert counts["tiny"] < 20_000 < counts["b6c64"] < 1_000_000


# -------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    model(planes(4, 9)).value.sum().backward()
    optimizer.step()
    model.eval()
    path = save_checkpoint(
        tmp_path / "sub" / "net.pt",
        model,
        feature_version=FEATURE_VERSION,
        optimizer=optimizer,
        step=123,
        train_config=model_preset("b6c64", 5),  # any dataclass becomes a plain dict
        data_description={"shards": [pathlib.Path("a.npz")], "games": 10},
        extra={"note": "hi"},
    )
    assert sorted(p.name for p in path.parent.iterdir()) == ["net.pt"]  # no temp file left behind
    ckpt = load_checkpoint(path, expected_feature_version=FEATURE_VERSION)
    assert ckpt.step == 123 and ckpt.feature_version == FEATURE_VERSION
    assert ckpt.model_config == model.config and not ckpt.model.training
    assert ckpt.train_config["blocks"] == 6 and ckpt.data_description["shards"] == ["a.npz"]
    assert ckpt.extra == {"note": "hi"} and ckpt.format_version == CHECKPOINT_FORMAT_VERSION
    optimizer.load_state_dict(ckpt.optimizer_state)
    for n in SIZES:
        with torch.no_grad():
            assert_outputs_close(model(planes(2, n)), ckpt.model(planes(2, n)), atol=0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's own imports warn
def test_weights_are_saved_unwrapped(tmp_path):
    model = make_model()
    wrapped = nn.DataParallel(torch.compile(model))  # keys "module._orig_mod.*"; nothing is compiled
    assert all(k.startswith("module._orig_mod.") for k in wrapped.state_dict())
    path = save_checkpoint(tmp_path / "net.pt", wrapped, feature_version=FEATURE_VERSION)
    raw = torch.load(path, weights_only=True)
    assert set(raw["model_state"]) == set(model.state_dict())
    x = planes(2, 9)
    with torch.no_grad():
        assert_outputs_close(model(x), load_checkpoint(path).model(x), atol=0)


def test_strip_wrapper_prefixes():
    state = {"module._orig_mod.a.weight": 1, "_orig_mod.b": 2, "blocks.0._orig_mod.conv1.weight": 3, "c": 4}
    assert strip_wrapper_prefixes(state) == {"a.weight": 1, "b": 2, "blocks.0.conv1.weight": 3, "c": 4}


def test_loading_prefixed_weights_works(tmp_path):
    model = make_model()
    path = save_checkpoint(tmp_path / "net.pt", model, feature_version=FEATURE_VERSION)
    raw = torch.load(path, weights_only=True)
    raw["model_state"] = {f"_orig_mod.{k}": v for k, v in raw["model_state"].items()}
    torch.save(raw, path)
    x = planes(1, 5)
    with torch.no_grad():
        assert_outputs_close(model(x), load_checkpoint(path).model(x), atol=0)


class _Exploit:
    """Unpickling this would create a file: weights_only loading must refuse to."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_a_checkpoint_cannot_run_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format_version": CHECKPOINT_FORMAT_VERSION, "model_state": {}, "x": _Exploit(marker)}, path)
    with pytest.raises(CheckpointError, match="refusing to load"):
        load_checkpoint(path)
    assert not marker.exists()


def _resave(path: pathlib.Path, **changes) -> None:
    raw = torch.load(path, weights_only=True)
    raw.update(changes)
    torch.save(raw, path)


def test_version_mismatches_say_what_and_how(tmp_path):
    path = save_checkpoint(tmp_path / "net.pt", make_model(), feature_version=FEATURE_VERSION)
    newer = FEATURE_VERSION + 1
    with pytest.raises(
        CheckpointError,
        match=f"features version {FEATURE_VERSION}, but the encoder now produces version {newer}",
    ):
        load_checkpoint(path, expected_feature_version=newer)
    _resave(path, format_version=99)
    with pytest.raises(CheckpointError, match="format version 99.*reads version 1"):
        load_checkpoint(path)


def test_a_plain_load_checks_the_feature_version(tmp_path):
    stale = save_checkpoint(tmp_path / "old.pt", make_model(), feature_version=FEATURE_VERSION - 1)
    with pytest.raises(CheckpointError, match=f"features version {FEATURE_VERSION - 1}"):
        load_checkpoint(stale)
    assert load_checkpoint(stale, expected_feature_version=None).feature_version == FEATURE_VERSION - 1


def test_shape_and_key_mismatches_say_what_and_how(tmp_path):
    path = save_checkpoint(tmp_path / "net.pt", make_model(), feature_version=FEATURE_VERSION)
    raw = torch.load(path, weights_only=True)
    _resave(path, model_config={**raw["model_config"], "channels": 24})
    with pytest.raises(
        CheckpointError, match=r"shape mismatch input_conv.weight: checkpoint \(16, 7, 3, 3\)"
    ):
        load_checkpoint(path)
    state = dict(raw["model_state"])
    del state["trunk_bn.weight"]
    state["extra.weight"] = torch.zeros(1)
    _resave(path, model_config=raw["model_config"], model_state=state)
    with pytest.raises(CheckpointError, match=r"missing keys \['trunk_bn.weight'\].*unexpected keys"):
        load_checkpoint(path)
    _resave(path, model_config={**raw["model_config"], "depth": 3})
    with pytest.raises(CheckpointError, match="bad model config.*unknown config key 'model_config.depth'"):
        load_checkpoint(path)


def test_truncated_and_foreign_files_are_rejected(tmp_path):
    path = save_checkpoint(tmp_path / "net.pt", make_model(), feature_version=FEATURE_VERSION)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(path)
    path.write_text("just some text\n")
    with pytest.raises(CheckpointError, match="net.pt"):
        load_checkpoint(path)
    torch.save(torch.zeros(3), path)
    with pytest.raises(CheckpointError, match="not a goagent checkpoint"):
        load_checkpoint(path)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


def test_unsaveable_values_fail_before_writing(tmp_path):
    with pytest.raises(TypeError, match="extra.when holds a object"):
        save_checkpoint(tmp_path / "net.pt", make_model(), feature_version=1, extra={"when": object()})
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- inference


def test_prepared_model_matches_eval_model():
    model = make_model()
    fast = prepare_for_inference(model)
    assert fast.folded and not fast.training
    assert not any(
        isinstance(m, nn.BatchNorm2d) for m in fast.blocks[0].modules() if m is not fast.blocks[0].bn1
    )
    for n in SIZES:
        x = planes(4, n)
        with torch.inference_mode():
            assert_outputs_close(model(x), fast(x), atol=1e-4)
            assert_outputs_close(model(x), fast(x.contiguous(memory_format=torch.channels_last)), atol=1e-4)
    assert not model.folded and isinstance(model.blocks[0].bn2, nn.BatchNorm2d)  # original untouched


def test_prepared_model_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="prepared for inference"):
        save_checkpoint(tmp_path / "net.pt", prepare_for_inference(make_model()), feature_version=1)


def test_bench_net_runs(tmp_path):
    from goagent import bench_net

    result = bench_net.benchmark("tiny", 5, 2, seconds=0.05, threads=1, in_channels=IN_CHANNELS)
    assert result["inference_pos_per_s"] > 0 and result["train_pos_per_s"] > 0
    assert set(result["train"]) == {"fp32", "bf16"}  # both training paths, side by side
    assert result["train"]["fp32"]["vs_fp32"] == 1.0 and result["train"]["bf16"]["pos_per_s"] > 0
    assert "train bf16" in bench_net.format_table(result)
    path = save_checkpoint(tmp_path / "net.pt", make_model(), feature_version=FEATURE_VERSION)
    result = bench_net.benchmark(str(path), 5, 2, seconds=0.05, threads=1, train=False)
    assert "checkpoint" in result["source"] and "train_pos_per_s" not in result
    assert "inference" in bench_net.format_table(result)


def test_bench_net_times_paths_side_by_side():
    from goagent import bench_net

    paths = "fp32,int8" if "x86" in torch.backends.quantized.supported_engines else "fp32"
    result = bench_net.benchmark(
        "tiny", 5, 3, seconds=0.1, threads=1, in_channels=IN_CHANNELS, train=False, precision=paths
    )
    assert list(result["paths"]) == paths.split(",")
    assert all(r["pos_per_s"] > 0 for r in result["paths"].values())
    assert result["paths"]["fp32"]["vs_fp32"] == 1.0
    table = bench_net.format_table(result)
    assert all(f"inference {p}" in table for p in paths.split(","))
    with pytest.raises(ValueError, match="unknown path"):
        bench_net.benchmark("tiny", 5, 2, seconds=0.05, in_channels=IN_CHANNELS, precision="int4")


@pytest.mark.slow
def test_compiled_inference_matches_eval_model():
    model = make_model()
    fast = prepare_for_inference(model, compile_model=True)  # compiles per shape: tens of seconds
    x = planes(4, 9)
    with torch.inference_mode():
        assert_outputs_close(model(x), fast(x), atol=1e-4)
