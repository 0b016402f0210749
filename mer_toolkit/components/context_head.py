"""A head that reads the dialogue: each utterance is classified from its fused vector and its context.

The fused utterance vectors of each dialogue are read in position order by a bidirectional LSTM
(as bc-LSTM, Poria et al., ACL 2017, does with unimodal vectors); every utterance's output state,
concatenated with its own fused vector, goes through dropout and one linear layer. Train it with
``data.batch_by: dialogue`` so that each batch holds whole dialogues.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.sample import Batch
from .recurrent import DialogueLayout, run_lstm

__all__ = ["DialogueContextHead"]


class DialogueContextHead(nn.Module):
    """Bidirectional LSTM over each dialogue's fused vectors, then a linear layer on [own vector; context]."""

    def __init__(self, in_dim: int, num_classes: int, hidden: int = 128, layers: int = 1,
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.lstm = nn.LSTM(in_dim, hidden, num_layers=layers, batch_first=True, bidirectional=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.out_in = in_dim + 2 * hidden
        self.fc = nn.Linear(self.out_in, num_classes)

    def reset_head(self, num_classes: int) -> None:
        """Replace the output layer (e.g. to fine-tune on another label set)."""
        self.fc = nn.Linear(self.out_in, num_classes)

    def forward(self, fused: torch.Tensor, batch: Batch) -> torch.Tensor:
        layout = DialogueLayout(batch)
        seq, mask = layout.pad(self.dropout(fused))
        context, _ = run_lstm(self.lstm, seq, mask)
        return self.fc(self.dropout(torch.cat([fused, layout.unpad(context)], dim=-1)))
