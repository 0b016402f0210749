"""``class_weights: balanced``: the cross-entropy weights are the inverse label counts of the training split."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mer_toolkit.components.losses import CrossEntropy
from mer_toolkit.data.corpus import Corpus, Fold
from mer_toolkit.data.sample import Sample
from mer_toolkit.run.experiment import build_model, data_spec, run_settings, select_dataset
from mer_toolkit.config import resolve_config
from mer_toolkit.testing import fresh_registry

TRAIN_LABELS = [0] * 6 + [1] * 3 + [2] * 1 + [-1] * 2  # two unlabeled utterances: counted by no class
OTHER_LABELS = [0] * 1 + [1] * 2 + [2] * 7             # val and test: the reverse imbalance


def utterances(split: str, labels: list[int]) -> list[Sample]:
    return [Sample(id=f"{split}{i}", label=y, modalities={"text": torch.full((3, 5), float(i))},
                   dialogue_id=f"{split}{i}", position=0, speaker=f"{split}{i}") for i, y in enumerate(labels)]


def balanced_model(fold: Fold) -> torch.nn.Module:
    """The model ``run_fold`` builds for ``fold`` with ``model.loss.class_weights: balanced``."""
    corpus = Corpus("tiny", ["a", "b", "c"], fold.train + fold.val + fold.test)
    registry = fresh_registry()
    cfg = select_dataset(resolve_config("concat_mlp", registry, [
        "model.encoders={_delete_: true, text: features}", "model.adapters={_delete_: true, text: {type: mlp, dim: 8}}",
        "model.loss={type: cross_entropy, class_weights: balanced}"]), "demo", registry=registry)
    return build_model(run_settings(cfg, 0).cfg, data_spec(corpus, fold), registry)


def test_balanced_weights_are_the_inverse_training_counts() -> None:
    fold = Fold("f", utterances("train", TRAIN_LABELS), utterances("val", OTHER_LABELS),
                utterances("test", OTHER_LABELS))
    model = balanced_model(fold)
    counts = torch.tensor([6.0, 3.0, 1.0])
    expected = counts.sum() / (3 * counts)  # n / (K * n_k): 0.56, 1.11, 3.33
    assert torch.allclose(model.loss_fn.class_weight, expected)
    logits, labels = torch.randn(7, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 2, 2, 1, 0, 2])
    assert torch.allclose(model.loss_fn(logits, labels).terms["ce"], F.cross_entropy(logits, labels, weight=expected))


def test_a_class_absent_from_training_counts_as_one() -> None:
    """Weights stay finite when a class has no training utterance (it counts as one, the largest weight)."""
    loss = CrossEntropy(3, "balanced", class_counts=[4, 0, 2])
    assert torch.allclose(loss.class_weight, torch.tensor(7.0) / (3 * torch.tensor([4.0, 1.0, 2.0])))


def test_balanced_without_counts_and_unknown_strings_are_errors() -> None:
    with pytest.raises(ValueError, match=r"^class_weights: balanced needs the training label counts$"):
        CrossEntropy(3, "balanced")
    with pytest.raises(ValueError, match="class_weights must be a list of 3 numbers or 'balanced', got 'inverse'"):
        CrossEntropy(3, "inverse", class_counts=[1, 1, 1])


def test_explicit_weights_label_smoothing_keywords_and_empty_batches() -> None:
    loss = CrossEntropy(2, [1, 9], label_smoothing=0.1)
    assert loss.class_weight.dtype == torch.float32 and loss.class_weight.tolist() == [1.0, 9.0]
    logits, labels = torch.randn(5, 2, generator=torch.Generator().manual_seed(1)), torch.tensor([0, 1, 1, 0, 1])
    expected = F.cross_entropy(logits, labels, weight=torch.tensor([1.0, 9.0]), label_smoothing=0.1)
    assert torch.allclose(loss(logits=logits, labels=labels).terms["ce"], expected)
    empty = loss(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)).terms
    assert list(empty) == ["ce"] and empty["ce"].shape == () and float(empty["ce"]) == 0.0
    assert torch.equal(CrossEntropy(3).class_weight, torch.ones(3))
    with pytest.raises(ValueError, match=r"^class_weights has 3 values for 2 classes$"):
        CrossEntropy(2, [1, 2, 3])
