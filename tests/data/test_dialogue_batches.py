"""``batch_by: dialogue``: every batch holds whole dialogues, each one's utterances in position order."""

from __future__ import annotations

import random

import pytest
import torch

from mer_toolkit.data.loader import make_loader
from mer_toolkit.data.sample import Sample

LENGTHS = {"d0": 5, "d1": 3, "d2": 7, "d3": 1, "d4": 4}


def shuffled_utterances() -> list[Sample]:
    """The dialogues' utterances interleaved in a random order, as a corpus file may list them."""
    samples = [Sample(id=f"{d}_u{p}", label=p % 2, modalities={"text": torch.full((2, 3), float(p))},
                      dialogue_id=d, position=p, speaker="AB"[p % 2]) for d, n in LENGTHS.items() for p in range(n)]
    random.Random(0).shuffle(samples)
    return samples


@pytest.mark.parametrize("shuffle", [False, True])
def test_each_dialogue_comes_whole_and_in_position_order(shuffle: bool) -> None:
    loader = make_loader(shuffled_utterances(), 2, shuffle=shuffle, batch_by="dialogue", seed=3)
    seen = []
    for batch in loader:
        dialogues = list(dict.fromkeys(batch.dialogue_ids))
        assert len(dialogues) <= 2 and batch.dialogue_index.tolist() == [dialogues.index(d)
                                                                         for d in batch.dialogue_ids]
        for d in dialogues:
            rows = [i for i, x in enumerate(batch.dialogue_ids) if x == d]
            assert rows == list(range(rows[0], rows[0] + LENGTHS[d]))  # contiguous and complete
            assert batch.positions[rows].tolist() == list(range(LENGTHS[d]))
            assert [batch.ids[i] for i in rows] == [f"{d}_u{p}" for p in range(LENGTHS[d])]
        seen += dialogues
    assert sorted(seen) == sorted(LENGTHS)
