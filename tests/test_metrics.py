"""WA, UA, WF1, macro-F1, per-class F1 and the confusion matrix against values computed by hand."""

from __future__ import annotations

import pytest
import torch

from mer_toolkit.config.metrics import MONITORS, is_better, metric_direction
from mer_toolkit.run.metrics import EmotionMetrics, compute_metrics


def one_hot(predicted: list[int], classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(predicted), classes).float()


def test_metrics_match_hand_computed_values() -> None:
    m = compute_metrics(one_hot([0, 0, 1, 1], 2), torch.tensor([0, 0, 0, 1]), ["x", "y"])
    assert m["wa"] == pytest.approx(75.0) and m["ua"] == pytest.approx((2 / 3 + 1) / 2 * 100, abs=1e-3)
    assert m["confusion"] == [[2, 1], [0, 1]]  # rows: true class, columns: predicted class
    assert m["per_class_f1"] == {"x": pytest.approx(80.0, abs=1e-3), "y": pytest.approx(2 / 3 * 100, abs=1e-3)}
    # class x: F1 0.8 on 3 utterances, class y: F1 2/3 on 1; WF1 weights by support, macro-F1 does not
    assert m["wf1"] == pytest.approx((3 * 0.8 + 2 / 3) / 4 * 100, abs=1e-3)
    assert m["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2 * 100, abs=1e-3)


def test_unlabelled_utterances_are_left_out_and_batches_accumulate() -> None:
    metrics = EmotionMetrics(3, ["a", "b", "c"])
    metrics.update(one_hot([0, 2, 1], 3), torch.tensor([0, -1, 1]))
    metrics.update(one_hot([2], 3), torch.tensor([-1]))  # a batch with no labelled utterance
    metrics.update(one_hot([2, 0], 3), torch.tensor([2, 2]))
    m = metrics.compute()
    assert m["confusion"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]
    assert m["wa"] == pytest.approx(75.0) and m["ua"] == pytest.approx((1 + 1 + 0.5) / 3 * 100, abs=1e-3)
    metrics.reset()
    metrics.update(one_hot([1], 3), torch.tensor([1]))
    assert metrics.compute()["confusion"] == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_default_names_and_values_in_percent() -> None:
    m = EmotionMetrics(2)
    m.update(torch.tensor([[0.2, 0.9], [0.8, 0.1]]), torch.tensor([1, 0]))
    res = m.compute()
    assert list(res["per_class_f1"]) == ["0", "1"] and res["wa"] == 100.0 and res["wf1"] == 100.0


def test_values_are_rounded_to_four_decimals() -> None:
    m = compute_metrics(one_hot([0, 1, 1], 3), torch.tensor([0, 0, 1]), ["a", "b", "c"])
    assert m["wa"] == 66.6667 and m["per_class_f1"]["b"] == 66.6667  # b: precision 1/2, recall 1


def test_only_the_loss_is_minimised() -> None:
    assert {m: metric_direction(m) for m in MONITORS} == {"wa": "maximize", "ua": "maximize", "wf1": "maximize",
                                                          "macro_f1": "maximize", "loss": "minimize"}
    assert is_better(0.4, 0.5, "loss") and not is_better(0.4, 0.5, "ua") and is_better(0.1, None, "wf1")
    assert not is_better(0.5, 0.5, "ua") and not is_better(0.5, 0.5, "loss")  # ties keep the earlier epoch
    with pytest.raises(KeyError, match="acc"):
        metric_direction("acc")
