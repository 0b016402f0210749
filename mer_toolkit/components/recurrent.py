"""Masked recurrent helpers shared by the baselines: packed LSTMs and dialogue-level sequences."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mer_toolkit.data.sample import Batch

__all__ = ["run_lstm", "final_states", "DialogueLayout"]


def run_lstm(lstm: nn.LSTM, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a batch-first LSTM over the valid steps only; returns outputs ``[B, T, H']`` and ``h_n``."""
    lengths = (mask.sum(1) if mask is not None else torch.full((x.shape[0],), x.shape[1])).clamp_min(1)
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, (h_n, _) = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, h_n


def final_states(lstm: nn.LSTM, h_n: torch.Tensor) -> torch.Tensor:
    """``h_n [layers * directions, B, H]`` → the last layer's final states ``[B, directions * H]``."""
    directions = 2 if lstm.bidirectional else 1
    return h_n[-directions:].transpose(0, 1).flatten(1)


class DialogueLayout:
    """Maps the utterances of a batch to ``[dialogues, max_length]`` slots ordered by position."""

    def __init__(self, batch: Batch) -> None:
        dia, pos = batch.dialogue_index.long(), batch.positions.long()
        order = torch.argsort(dia * (int(pos.max()) + 1) + pos)
        counts = torch.bincount(dia)
        starts = counts.cumsum(0) - counts
        slot = torch.empty_like(dia)
        slot[order] = torch.arange(dia.shape[0], device=dia.device) - starts[dia[order]]
        self.dialogue, self.slot = dia, slot
        self.shape = (counts.shape[0], int(counts.max()))

    def pad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Utterance rows ``[B, D]`` → dialogue sequences ``[N, L, D]`` and their mask ``[N, L]``."""
        out = x.new_zeros(*self.shape, x.shape[-1])
        out[self.dialogue, self.slot] = x
        mask = torch.zeros(self.shape, dtype=torch.bool, device=x.device)
        mask[self.dialogue, self.slot] = True
        return out, mask

    def unpad(self, seq: torch.Tensor) -> torch.Tensor:
        """Dialogue sequences ``[N, L, D]`` → utterance rows ``[B, D]`` in batch order."""
        return seq[self.dialogue, self.slot]
