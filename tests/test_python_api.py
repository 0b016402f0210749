"""The Python API: list registered parts and build a model from a registered config, as timm's factory does."""

from __future__ import annotations

import pytest
import torch

import mer_toolkit
from mer_toolkit.errors import UnknownComponentError
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.testing import make_tiny_batch


def test_list_parts_filters_registered_names() -> None:
    fusions = mer_toolkit.list_parts("fusion")
    assert {"concat", "mean", "gated_sum"} <= set(fusions) and fusions == sorted(fusions)
    assert mer_toolkit.list_parts("fusion", "ga*") == ["gated_sum"]


def test_create_model_builds_a_registered_config_with_overrides() -> None:
    batch = make_tiny_batch("pooled", num_classes=4)
    spec = DataSpec({m: x.shape[-1] for m, x in batch.inputs.items()}, 4, list("abcd"), [2, 2, 2, 2])
    model = mer_toolkit.create_model("concat_mlp", spec, overrides=["model.fusion=mean"])
    assert isinstance(model, ComposedModel) and type(model.fusion).__name__ == "MeanFusion"
    assert model(batch).logits.shape == (len(batch), 4)
    with pytest.raises(UnknownComponentError, match="no_such_model"):
        mer_toolkit.create_model("no_such_model", spec)


def test_validation_loss_is_the_models_own_loss() -> None:
    """With class weights, the loss that selection monitors is the weighted loss that training minimises."""
    from mer_toolkit.data.loader import make_loader
    from mer_toolkit.data.sample import Sample
    from mer_toolkit.config.sections import TrainConfig
    from mer_toolkit.run.trainer import Trainer

    torch.manual_seed(0)
    spec = DataSpec({"text": 6}, 2, ["a", "b"], [9, 1])
    model = mer_toolkit.create_model("concat_mlp", spec, overrides=[
        "model.encoders={_delete_: true, text: features}", "model.adapters={_delete_: true, text: {type: mlp, dim: 16}}",
        "model.loss={type: cross_entropy, class_weights: [1, 9]}"])
    samples = [Sample(id=f"u{i}", label=i % 2, modalities={"text": torch.randn(1, 6)}) for i in range(8)]
    trainer = Trainer(model, TrainConfig(device="cpu"), label_names=spec.label_names)
    batch = next(iter(make_loader(samples, 8, shuffle=False)))
    with torch.no_grad():
        own = model.compute_loss(model.eval()(batch), batch)[0]
        plain = torch.nn.functional.cross_entropy(model(batch).logits, batch.labels)
    assert trainer.evaluate(make_loader(samples, 8, shuffle=False))["loss"] == pytest.approx(float(own), rel=1e-5)
    assert abs(float(own) - float(plain)) > 1e-3


@pytest.mark.parametrize("old", sorted(__import__("mer_toolkit._moved", fromlist=["MOVED"]).MOVED))
def test_moved_module_paths_still_import_with_a_warning_naming_the_new_path(old: str) -> None:
    """``import mer_toolkit.train`` and friends give the module at its new path (the same object, so monkeypatching
    either name patches both) and warn once with the path to use."""
    import importlib
    import sys

    from mer_toolkit._moved import MOVED

    new = importlib.import_module(MOVED[old])
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {MOVED[old]}"):
        module = importlib.import_module(old)
    assert module is new and module.__spec__.name == MOVED[old]
