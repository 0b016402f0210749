"""The dialogue-context head reads each dialogue in position order and nothing outside it."""

from __future__ import annotations

import torch

from mer_toolkit.components.context_head import DialogueContextHead
from mer_toolkit.data.sample import Batch, Sample, collate
from mer_toolkit.components.model import ComposedModel, DataSpec
from mer_toolkit.testing import fresh_registry

# (dialogue, position) of six utterances given out of order: dialogue x has 4, dialogue y has 2
LAYOUT = [("x", 2), ("y", 1), ("x", 0), ("x", 3), ("y", 0), ("x", 1)]


def dialogue_batch(layout: list[tuple[str, int]] = LAYOUT) -> Batch:
    return collate([Sample(id=f"u{i}", label=0, modalities={"text": torch.zeros(1)}, dialogue_id=d, position=p,
                           speaker="A") for i, (d, p) in enumerate(layout)])


def head() -> DialogueContextHead:
    torch.manual_seed(0)
    return DialogueContextHead(in_dim=5, num_classes=3, hidden=4).eval()


def test_an_utterance_sees_its_own_dialogue_and_no_other() -> None:
    model, batch = head(), dialogue_batch()
    fused = torch.randn(len(LAYOUT), 5)
    base = model(fused, batch)
    changed = fused.clone()
    changed[0] += 1.0  # utterance 0 belongs to dialogue x
    out = model(changed, batch)
    in_x = torch.tensor([d == "x" for d, _ in LAYOUT])
    assert not torch.allclose(out[in_x][1:], base[in_x][1:])  # its dialogue's other utterances move
    assert torch.allclose(out[~in_x], base[~in_x], atol=1e-6)  # dialogue y does not


def test_order_comes_from_positions_not_from_rows_of_the_batch() -> None:
    model, batch = head(), dialogue_batch()
    fused = torch.randn(len(LAYOUT), 5)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    permuted = dialogue_batch([LAYOUT[i] for i in perm.tolist()])
    assert torch.allclose(model(fused[perm], permuted), model(fused, batch)[perm], atol=1e-6)
    swapped = dialogue_batch([("x", 0), ("y", 1), ("x", 2), ("x", 3), ("y", 0), ("x", 1)])  # u0 and u2 trade places
    assert not torch.allclose(model(fused, swapped), model(fused, batch))


def test_drkf_context_composes_drkf_with_the_context_head_on_whole_dialogues() -> None:
    from mer_toolkit.config import resolve_config

    registry = fresh_registry(entry_points=True)
    cfg = resolve_config("drkf-context", registry)
    assert cfg.data["data"]["batch_by"] == "dialogue"
    spec = DataSpec({"text": 8, "audio": 6}, 1, ["a", "b", "c"], [1, 1, 1])
    model = ComposedModel.from_spec(cfg.data["model"], spec, registry, cfg)
    full = ComposedModel.from_spec(resolve_config("drkf", registry).data["model"], spec, registry)
    assert isinstance(model.heads["emotion"], DialogueContextHead)
    assert type(model.fusion) is type(full.fusion) and type(model.interaction) is type(full.interaction)
    assert dict(model.loss_weights) == dict(full.loss_weights)


def test_a_dialogue_gets_the_same_outputs_alone_as_beside_a_longer_one() -> None:
    model, batch = head(), dialogue_batch()
    fused = torch.randn(len(LAYOUT), 5)
    in_y = [i for i, (d, _) in enumerate(LAYOUT) if d == "y"]
    alone = dialogue_batch([LAYOUT[i] for i in in_y])  # no padding: the padded steps must not be read
    assert torch.allclose(model(fused[in_y], alone), model(fused, batch)[in_y], atol=1e-6)
