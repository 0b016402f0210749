"""Each DRKF ablation config removes exactly what its name says from the full model, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from mer_toolkit.config import resolve_config
from mer_toolkit.data.datasets.demo import DEMO_LABELS
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.testing import fresh_registry

SPEC = DataSpec({"text": 32, "audio": 24}, 4, list(DEMO_LABELS), [10, 10, 10, 10])


@pytest.fixture(scope="module")
def registry():
    return fresh_registry(entry_points=True)


def outline(name: str, registry: Any) -> dict[str, Any]:
    """What decides an ablation: modalities, part types, heads and the effective weight of every loss term."""
    cfg = resolve_config(name, registry)
    model = ComposedModel.from_spec(cfg.data["model"], SPEC, registry, cfg)
    return {"modalities": sorted(model.encoders), "heads": sorted(model.heads),
            "interaction": type(model.interaction).__name__ if model.interaction is not None else None,
            "fusion": type(model.fusion).__name__, "weights": dict(model.loss_weights)}


def without(weights: dict[str, float], prefix: str) -> dict[str, float]:
    return {k: v for k, v in weights.items() if not k.startswith(prefix)}


def test_ablations_differ_from_drkf_only_where_named(registry) -> None:
    full = outline("drkf", registry)
    assert full["interaction"] and len(full["modalities"]) == 2 and full["heads"] == ["emotion"]
    w = full["weights"]
    no_intra = {k: v for k, v in w.items() if k not in ("interaction.nce_intra_text", "interaction.nce_intra_audio")}
    expected = {
        "drkf-no-orl": {**full, "interaction": None, "weights": without(w, "interaction.")},
        "drkf-no-intra": {**full, "weights": no_intra},
        "drkf-no-inter": {**full, "weights": without(w, "interaction.nce_inter")},
        "drkf-no-ed": {**full, "weights": without(w, "fusion.ed")},
        # concatenation has no Fusion Encoder, hence no ED task on mismatched pairs either
        "drkf-concat": {**full, "fusion": "ConcatFusion", "weights": without(w, "fusion.ed")},
    }
    for name, want in expected.items():
        assert outline(name, registry) == want, name
    assert w["interaction.nce_intra_text"] > 0 and w["interaction.nce_inter"] > 0 and w["fusion.ed"] > 0


@pytest.mark.parametrize("modality", ["audio", "text"])
def test_single_modality_ablations_keep_the_rest_of_drkf(registry, modality: str) -> None:
    full, one = outline("drkf", registry), outline(f"drkf-{modality}", registry)
    assert one["modalities"] == [modality]
    assert {k: one[k] for k in ("heads", "interaction", "fusion")} == {k: full[k] for k in ("heads", "interaction",
                                                                                           "fusion")}
    other = "text" if modality == "audio" else "audio"
    assert not any(other in term or "inter" in term.split(".")[-1] for term in one["weights"]), one["weights"]
    assert {k: v for k, v in one["weights"].items() if k in full["weights"]} == \
        {k: full["weights"][k] for k in one["weights"] if k in full["weights"]}
