"""goagent.config: presets, TOML round trip, --set overrides and their errors."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from goagent.config import (
    PRESETS,
    ConfigError,
    ModelConfig,
    apply_overrides,
    dump_toml,
    dumps_toml,
    from_dict,
    load_toml,
    loads_toml,
    model_preset,
    to_dict,
)


@dataclass(frozen=True)
class RunConfig:
    """A root config of one section, as a command's root config holds several."""

    model: ModelConfig = field(default_factory=ModelConfig)


def test_presets_parse_their_names():
    for name in PRESETS:
        cfg = model_preset(name, in_channels=7)
        assert cfg.preset == name and cfg.in_channels == 7
    tiny = model_preset("tiny", 5)
    assert (tiny.blocks, tiny.channels) == (2, 16)
    big = model_preset("b15c192", 5)
    assert (big.blocks, big.channels) == (15, 192)
    assert model_preset("b3c24", 5).blocks == 3  # any bNcM works


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown model preset 'huge'"):
        model_preset("huge", 5)


def test_model_config_validates():
    with pytest.raises(ConfigError, match="model.channels"):
        ModelConfig(channels=0)
    with pytest.raises(ConfigError, match="unknown head"):
        ModelConfig(heads=("ownership", "territory"))


def test_toml_round_trip(tmp_path):
    cfg = RunConfig(model=model_preset("b10c128", 31))
    path = tmp_path / "run.toml"
    dump_toml(cfg, path)
    assert "[model]" in path.read_text()
    assert load_toml(path, RunConfig) == cfg
    assert loads_toml(dumps_toml(to_dict(cfg)), RunConfig) == cfg


@dataclass(frozen=True)
class Section:
    rate: float = 0.5
    name: str = "x"
    sizes: tuple[int, ...] = (9, 19)
    limit: int | None = None
    on: bool = False


@dataclass(frozen=True)
class Root:
    section: Section = field(default_factory=Section)
    flag: bool = False


def test_toml_missing_keys_keep_defaults_and_ints_become_floats():
    root = loads_toml('flag = true\n[section]\nrate = 1\nsizes = [5]\nname = "a \\"b\\""\n', Root)
    assert root.section.rate == 1.0 and isinstance(root.section.rate, float)
    assert root.section.sizes == (5,) and root.flag is True and root.section.name == 'a "b"'
    assert root.section.limit is None
    assert loads_toml(dumps_toml(root), Root) == root  # None is left out, and so stays None


def test_toml_unknown_key_and_wrong_type_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown config key 'model.blokcs'; did you mean 'blocks'"):
        loads_toml("[model]\nblokcs = 3\n", RunConfig)
    with pytest.raises(ConfigError, match="model.blocks: expected an integer"):
        loads_toml('[model]\nblocks = "six"\n', RunConfig)
    with pytest.raises(ConfigError, match="unknown config key 'nodel'"):
        loads_toml("[nodel]\nblocks = 3\n", RunConfig)
    path = tmp_path / "bad.toml"
    path.write_text("[model\n")
    with pytest.raises(ConfigError, match="bad.toml: invalid TOML"):
        load_toml(path, RunConfig)


def test_overrides_convert_by_field_type():
    cfg = apply_overrides(
        RunConfig(),
        ["model.blocks=10", "model.preset=b10c128", "model.heads=ownership", "model.channels = 128"],
    )
    assert cfg.model.blocks == 10 and cfg.model.channels == 128
    assert cfg.model.preset == "b10c128" and cfg.model.heads == ("ownership",)
    assert apply_overrides(cfg, ["model.heads=[]"]).model.heads == ()
    assert apply_overrides(cfg, ["model.heads=[ownership, score]"]).model.heads == ("ownership", "score")
    assert RunConfig().model.blocks == 6  # the original is untouched (frozen)


def test_overrides_bool_float_optional():
    root = apply_overrides(Root(), ["section.on=yes", "section.rate=1e-3", "section.limit=7", "flag=1"])
    assert root == Root(Section(on=True, rate=0.001, limit=7), flag=True)
    assert apply_overrides(root, ["section.limit=none"]).section.limit is None
    assert apply_overrides(root, ["section.sizes=9,13,19"]).section.sizes == (9, 13, 19)
    assert apply_overrides(root, ["section.name='quoted'"]).section.name == "quoted"
    with pytest.raises(ConfigError, match="section.on: expected true or false"):
        apply_overrides(Root(), ["section.on=maybe"])
    with pytest.raises(ConfigError, match=r"section.sizes\[1\]: expected an integer"):
        apply_overrides(Root(), ["section.sizes=9,x"])


@pytest.mark.parametrize(
    "item, message",
    [
        ("model.blokcs=3", "unknown config key 'model.blokcs'; did you mean 'blocks'"),
        ("train.lr=0.1", "unknown config key 'train'"),
        ("model.blocks=six", "model.blocks: expected an integer, got 'six'"),
        ("model.blocks=-1", "model.blocks must be >= 0"),
        ("model=3", "model is a section"),
        ("model.blocks.x=3", "model.blocks is a value"),
        ("model.blocks", "expected KEY=VALUE"),
    ],
)
def test_override_errors_name_the_key(item, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        apply_overrides(RunConfig(), [item])


def test_from_dict_rejects_bool_for_int():
    with pytest.raises(ConfigError, match="expected an integer"):
        from_dict(ModelConfig, {"blocks": True})


def test_config_does_not_import_torch():
    code = "import sys, goagent.config; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
