"""YAML configs: inheritance, overrides, provenance, and the errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mer_toolkit.config.build import build_part
from mer_toolkit.config import resolve_config
from mer_toolkit.errors import ConfigError, UnknownComponentError
from mer_toolkit.components.model import ComposedModel, DataSpec

SPEC = DataSpec({"text": 32, "audio": 24}, 4, ["a", "b", "c", "d"], [5, 5, 5, 5])


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text)
    return p


def test_base_by_name_and_path_with_overrides_and_origins(tmp_path: Path, mer_registry) -> None:
    write(tmp_path, "parent.yaml", "_base_: gated_mlp\ntrain:\n  lr: 0.5\n")
    child = write(tmp_path, "child.yaml", "_base_: parent.yaml\nmodel:\n  fusion: concat\n")
    cfg = resolve_config(str(child), mer_registry, ["train.epochs=3", "model.heads.emotion.dropout=0.0"])
    assert cfg.data["model"]["fusion"] == "concat"  # a new type replaces, not merges (no stray 'dim')
    assert cfg.data["train"]["lr"] == 0.5 and cfg.data["train"]["epochs"] == 3
    assert cfg.where("train.lr").endswith("parent.yaml:3")
    assert cfg.where("train.epochs") == "--set"
    assert cfg.where("model.adapters.text.dim").endswith("concat_mlp.yaml:8")
    model = ComposedModel.from_spec(cfg.data["model"], SPEC, mer_registry, cfg)
    assert model.heads["emotion"].body[2].p == 0.0


def test_invalid_yaml_reports_line_and_column(tmp_path: Path, mer_registry) -> None:
    bad = write(tmp_path, "bad.yaml", "model:\n  fusion: [concat\n  heads: x\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:\d+:\d+"):
        resolve_config(str(bad), mer_registry)


def test_yaml_never_constructs_python_objects(tmp_path: Path, mer_registry) -> None:
    evil = write(tmp_path, "evil.yaml", "model: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="evil.yaml"):
        resolve_config(str(evil), mer_registry)


def test_base_cycle_is_named(tmp_path: Path, mer_registry) -> None:
    write(tmp_path, "a.yaml", "_base_: b.yaml\n")
    write(tmp_path, "b.yaml", "_base_: a.yaml\n")
    with pytest.raises(ConfigError, match=r"_base_ cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml"):
        resolve_config(str(tmp_path / "a.yaml"), mer_registry)


def test_unknown_key_names_file_line_path_and_allowed_keys(tmp_path: Path, mer_registry) -> None:
    f = write(tmp_path, "m.yaml", "_base_: gated_mlp\nmodel:\n  fusion:\n    type: gated_sum\n    dimm: 3\n")
    cfg = resolve_config(str(f), mer_registry)
    with pytest.raises(ConfigError) as exc:
        ComposedModel.from_spec(cfg.data["model"], SPEC, mer_registry, cfg)
    msg = str(exc.value)
    assert "m.yaml:5" in msg and "model.fusion.dimm" in msg and "did you mean 'dim'" in msg and "['dim'" in msg


def test_unknown_part_name_wrong_type_and_missing_key(mer_registry) -> None:
    with pytest.raises(UnknownComponentError, match="did you mean 'concat'"):
        build_part("fusion", {"type": "concatt"}, mer_registry, path="model.fusion", inferred={"in_dims": {}})
    with pytest.raises(ConfigError, match=r"model.fusion.dim = 'big' has the wrong type"):
        build_part("fusion", {"type": "mean", "dim": "big"}, mer_registry, path="model.fusion",
                   inferred={"in_dims": {"a": 3}})
    with pytest.raises(ConfigError, match=r"needs the key\(s\) \['model.heads.x.in_dim'\]"):
        build_part("head", {"type": "linear"}, mer_registry, path="model.heads.x", inferred={"num_classes": 3})


def test_override_errors(mer_registry) -> None:
    with pytest.raises(ConfigError, match="did you mean 'fusion'"):
        resolve_config("gated_mlp", mer_registry, ["model.fusoin.dim=4"])
    with pytest.raises(ConfigError, match="KEY.PATH=VALUE"):
        resolve_config("gated_mlp", mer_registry, ["train.lr"])
    with pytest.raises(ConfigError, match="has no key 'nope'"):
        resolve_config("gated_mlp", mer_registry, ["description.nope=1"])


def test_unknown_top_level_key(tmp_path: Path, mer_registry) -> None:
    f = write(tmp_path, "t.yaml", "modle: {}\n")
    with pytest.raises(ConfigError, match=r"unknown top-level key\(s\) \['modle'\]"):
        resolve_config(str(f), mer_registry)


def test_selection_follows_the_metric_the_dataset_declares_unless_the_config_sets_one(tmp_path: Path,
                                                                                       mer_registry) -> None:
    from mer_toolkit.data.dataset_choice import select_dataset

    for dataset, metric in (("iemocap", "ua"), ("ravdess", "ua"), ("meld", "wf1"), ("m3ed", "wf1"),
                            ("iemocap6", "wf1"), ("demo", "wf1")):
        cfg = select_dataset(resolve_config("concat_mlp", mer_registry), dataset, registry=mer_registry)
        assert cfg.data["train"]["monitor"] == metric, dataset
        assert cfg.where("train.monitor") == f"the metric dataset '{dataset}' declares"
    mer_registry.dataset.register("toy", "mer_toolkit.data.datasets.demo:make_demo", metric="macro_f1")
    toy = select_dataset(resolve_config("concat_mlp", mer_registry), "toy", registry=mer_registry)
    assert toy.data["train"]["monitor"] == "macro_f1"  # a plugin's dataset declares its metric the same way
    own = write(tmp_path, "own.yaml", "_base_: concat_mlp\ntrain: {monitor: wa}\n")
    picked = select_dataset(resolve_config(str(own), mer_registry), "iemocap", registry=mer_registry)
    assert picked.data["train"]["monitor"] == "wa" and picked.where("train.monitor").endswith("own.yaml:2")
    assert select_dataset(resolve_config("concat_mlp", mer_registry, ["train.monitor=loss"]), "iemocap",
                          registry=mer_registry).data["train"]["monitor"] == "loss"


def test_per_dataset_values_yield_to_more_derived_configs_and_set(tmp_path: Path, mer_registry) -> None:
    from mer_toolkit.run.experiment import select_dataset

    base = select_dataset(resolve_config("gated_mlp", mer_registry), "demo", registry=mer_registry)
    assert base.data["train"]["epochs"] == 20 and base.where("train.epochs").endswith("_defaults.yaml:15")
    child = write(tmp_path, "c.yaml", "_base_: gated_mlp\ntrain: {epochs: 7}\n")
    assert select_dataset(resolve_config(str(child), mer_registry), "demo", registry=mer_registry).data["train"]["epochs"] == 7
    cfg = select_dataset(resolve_config("gated_mlp", mer_registry, ["train.epochs=3"]), "demo", registry=mer_registry)
    assert cfg.data["train"]["epochs"] == 3 and cfg.where("train.epochs") == "--set"
    # a mapping replaced with _delete_ takes its bases' per-dataset values for that mapping with it
    base = write(tmp_path, "b.yaml", "_base_: gated_mlp\nmodel:\n  encoders: {text: {type: features, proj_dim: 64},"
                 " audio: {type: features, proj_dim: 64}}\nper_dataset:\n  demo:\n    model:\n"
                 "      encoders: {text: {proj_dim: 8}, audio: {proj_dim: 8}}\n")
    assert select_dataset(resolve_config(str(base), mer_registry), "demo",
                          registry=mer_registry).data["model"]["encoders"]["audio"]["proj_dim"] == 8
    only = write(tmp_path, "o.yaml", f"_base_: {base}\nmodel:\n  encoders:\n    _delete_: true\n"
                 "    text: {type: features, proj_dim: 64}\n")
    enc = select_dataset(resolve_config(str(only), mer_registry), "demo", registry=mer_registry).data["model"]["encoders"]
    assert enc == {"text": {"type": "features", "proj_dim": 64}}


def test_a_part_without_a_member_of_its_contract_is_a_config_error(mer_registry) -> None:
    import torch

    class NoWidth(torch.nn.Module):
        def forward(self, feats, masks):  # noqa: ANN001, ANN202 - a deliberately incomplete fusion
            return feats

    mer_registry.fusion.register("nowidth", NoWidth)
    with pytest.raises(ConfigError, match=r"fusion 'nowidth' built a NoWidth without \['out_dim'\]; a fusion "
                                          r"exposes \['forward', 'out_dim'\]"):
        build_part("fusion", "nowidth", mer_registry, path="model.fusion")
    NoWidth.out_dim = 4
    assert isinstance(build_part("fusion", "nowidth", mer_registry, path="model.fusion"), NoWidth)


def test_null_reaches_only_parameters_that_admit_none(mer_registry) -> None:
    class Padded(torch.nn.Identity):
        """A part whose ``pad`` may be switched off with null; ``scale`` always has a value."""

        def __init__(self, in_dim: int, pad: float | None = 1.0, scale: float = 2.0) -> None:
            super().__init__()
            self.in_dim, self.out_dim, self.pad, self.scale = in_dim, in_dim, pad, scale

    mer_registry.adapter.register("padded", Padded)
    part = build_part("adapter", {"type": "padded", "pad": None, "scale": None, "in_dim": None}, mer_registry,
                      path="model.adapters.audio", inferred={"in_dim": 8})
    assert (part.pad, part.scale, part.in_dim) == (None, 2.0, 8)  # null: off / the default / still inferred
    assert build_part("adapter", {"type": "padded"}, mer_registry, path="a", inferred={"in_dim": 8}).pad == 1.0


@pytest.mark.parametrize("key,value,allowed", [
    ("amp", "of", "['off', 'bf16', 'fp16']"), ("monitor", "acc", "['wa', 'ua', 'wf1', 'macro_f1', 'loss']"),
    ("optimizer", "adagrad", "['adamw', 'adam', 'sgd']"), ("scheduler", "step", "['cosine', 'linear', 'constant']")])
def test_a_closed_choice_is_checked_when_the_config_loads(tmp_path: Path, mer_registry, key: str, value: str,
                                                          allowed: str) -> None:
    """A wrong value fails at load, before any data is read, naming the file and line where it was written."""
    path = write(tmp_path, "mine.yaml", f"_base_: concat_mlp\ntrain:\n  lr: 0.001\n  {key}: {value}\n")
    with pytest.raises(ConfigError) as err:
        resolve_config(str(path), mer_registry)
    assert str(err.value).startswith(f"{path}:4: train.{key} = '{value}' is not one of {allowed}")
    with pytest.raises(ConfigError, match=rf"--set: data.batch_by = 'turn' is not one of \['utterance', 'dialogue'\]"):
        resolve_config("concat_mlp", mer_registry, ["data.batch_by=turn"])


def test_a_section_built_in_python_is_held_to_the_same_choices() -> None:
    from mer_toolkit.config.sections import DataConfig, TrainConfig

    with pytest.raises(ConfigError, match=r"train.amp = False is not one of \['off', 'bf16', 'fp16'\]"):
        TrainConfig(amp=False)
    with pytest.raises(ConfigError, match="data.batch_by"):
        DataConfig(batch_by="turn")
    assert TrainConfig(amp="bf16", monitor="loss").amp == "bf16"
