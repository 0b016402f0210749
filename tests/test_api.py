"""``mer_toolkit.api``, the plugin author's module, and the loss contract it documents."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import mer_toolkit.api as api
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.errors import RunError
from mer_toolkit.testing import check_part, fresh_registry, make_tiny_batch

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_PACKAGES = [ROOT / "plugins/drkf/mer_drkf", ROOT / "plugins/baselines/mer_baselines",
                   ROOT / "examples/mer-example-fusion/mer_example_fusion"]
SPEC = DataSpec({"text": 12, "audio": 16}, 4, list("abcd"), [2, 2, 2, 2])


def _toolkit_imports(package: Path) -> list[tuple[str, str]]:
    """(file:line, module) of every ``mer_toolkit`` import in a package's source."""
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found += [(f"{path.relative_to(ROOT)}:{node.lineno}", n) for n in names if n.split(".")[0] == "mer_toolkit"]
    return found


@pytest.mark.parametrize("package", PLUGIN_PACKAGES, ids=lambda p: p.name)
def test_plugins_import_only_the_api_module(package: Path) -> None:
    imports = _toolkit_imports(package)
    assert imports, f"{package.name} does not use the toolkit at all?"
    assert [i for i in imports if i[1] != "mer_toolkit.api"] == []


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    assert set(api.__dir__()) == set(api.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        api.nope  # noqa: B018


def test_importing_hookimpl_from_the_api_does_not_import_torch() -> None:
    code = "import sys; from mer_toolkit.api import hookimpl, register_config_dir; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


class TorchCE(nn.Module):
    """A plain torch loss: returns one tensor and declares nothing."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.ce = nn.CrossEntropyLoss()

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.ce(logits, labels)


class LeakyFusion(nn.Module):
    """A fusion that emits a loss term it does not declare."""

    term_names = ("declared",)

    def __init__(self, in_dims: dict[str, int]) -> None:
        super().__init__()
        self.proj = nn.Linear(sum(in_dims.values()), 8)
        self.out_dim = 8

    def forward(self, feats: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]) -> api.PartOutput:
        fused = self.proj(torch.cat([api.masked_mean(x, masks.get(m)) for m, x in feats.items()], dim=-1))
        return api.PartOutput(fused, losses={"declared": fused.mean() ** 2, "sneaky": fused.abs().mean()})


def _model(registry, **spec) -> ComposedModel:  # noqa: ANN001
    node = {"encoders": {"text": "features", "audio": "features"}, "fusion": "concat", "heads": {"emotion": "linear"}}
    return ComposedModel.from_spec({**node, **spec}, SPEC, registry)


def test_a_loss_returning_a_tensor_is_its_loss_term_and_is_weighted() -> None:
    reg = fresh_registry()
    reg.loss.register("torch_ce", TorchCE)
    model = _model(reg, loss="torch_ce", loss_weights={"loss.loss": 0.5})
    batch = make_tiny_batch(batch_size=6, dims={"text": 12, "audio": 16})
    total, terms = model.compute_loss(model(batch), batch)
    assert set(terms) == {"loss.loss"}
    assert torch.allclose(total, 0.5 * terms["loss.loss"])
    batch.labels[:] = -1  # nothing labelled: zero, not a NaN mean over no utterance
    total, terms = model.compute_loss(model(batch), batch)
    assert total.item() == 0.0 and set(terms) == {"loss.loss"}


def test_an_undeclared_loss_term_is_an_error_naming_the_part() -> None:
    reg = fresh_registry()
    reg.fusion.register("leaky", LeakyFusion)
    model = _model(reg, fusion="leaky")
    batch = make_tiny_batch(batch_size=4, dims={"text": 12, "audio": 16})
    with pytest.raises(RunError, match=r"'fusion' \(LeakyFusion\) emitted loss term\(s\) \['sneaky'\]"):
        model(batch)
    with pytest.raises(AssertionError, match="sneaky"):
        check_part(LeakyFusion({"text": 12, "audio": 16}), "fusion", batch)


def test_drkf_orl_receives_the_batch_and_emits_its_label_terms() -> None:
    """ORL's ``ce_*`` terms exist only when its forward gets the batch (passed to a ``batch`` parameter)."""
    reg = fresh_registry(entry_points=True)
    if "drkf" not in reg.model.names():
        pytest.skip("the mer-drkf plugin is not installed")
    model = api.create_model("drkf", SPEC)
    model.train()
    out = model(make_tiny_batch(batch_size=8, dims={"text": 12, "audio": 16}))
    assert {"interaction.ce_text", "interaction.ce_audio"} <= set(out.losses)


def test_every_api_name_is_documented_and_on_the_reference_page() -> None:
    """The API reference is generated from these docstrings; a name without one, or missing from the page, fails."""
    import inspect
    import re

    page = (ROOT / "docs/api.md").read_text(encoding="utf-8")
    undocumented, unlisted = [], []
    for name in api.__all__:
        obj = getattr(api, name)
        members = [f"{name}.{k}" for k, v in vars(obj).items() if inspect.isclass(obj) and not k.startswith("_")
                   and inspect.isfunction(v) and not inspect.getdoc(v)] if inspect.isclass(obj) else []
        undocumented += members + ([name] if not inspect.getdoc(obj) else [])
        unlisted += [] if re.search(rf"\b{name}\b", page) else [name]
    assert undocumented == [] and unlisted == []
