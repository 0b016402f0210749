"""The embedded ``demo`` dataset: small, deterministic, generated in memory at first use.

Text-like ``[T, 32]`` and audio-like ``[T, 24]`` sequences carry a class cue on a few random steps
plus noise. In a share of utterances (``conflict``) the text cue names another emotion than the
label, while the audio keeps the true one (as in sarcasm): text alone tops out below audio + text.
"""

from __future__ import annotations

import torch

from ..corpus import Corpus
from ..sample import Sample

__all__ = ["DEMO_LABELS", "make_demo"]

DEMO_LABELS = ["angry", "happy", "neutral", "sad"]


def make_demo(root: str | None = None, dialogues: int = 200, seed: int = 0, text_dim: int = 32,
              audio_dim: int = 24, conflict: float = 0.3, noise: float = 1.0, text_strength: float = 1.5,
              audio_strength: float = 0.3) -> Corpus:
    """Generate the corpus; 70/15/15 % of dialogues go to train/val/test (``meta['split']``)."""
    g = torch.Generator().manual_seed(seed)
    n_cls = len(DEMO_LABELS)
    text_proto = torch.randn(n_cls, text_dim, generator=g) * text_strength
    audio_proto = torch.randn(n_cls, audio_dim, generator=g) * audio_strength
    samples: list[Sample] = []
    for d in range(dialogues):
        split = "train" if d % 20 < 14 else ("val" if d % 20 < 17 else "test")
        n_utt = int(torch.randint(5, 11, (1,), generator=g))
        mood = int(torch.randint(0, n_cls, (1,), generator=g))
        for pos in range(n_utt):
            label = mood if float(torch.rand(1, generator=g)) < 0.6 else int(torch.randint(0, n_cls, (1,), generator=g))
            text_label = label
            is_conflict = float(torch.rand(1, generator=g)) < conflict
            if is_conflict:
                text_label = (label + 1 + int(torch.randint(0, n_cls - 1, (1,), generator=g))) % n_cls
            t_len = int(torch.randint(6, 13, (1,), generator=g))
            a_len = int(torch.randint(20, 41, (1,), generator=g))
            text = torch.randn(t_len, text_dim, generator=g) * noise
            audio = torch.randn(a_len, audio_dim, generator=g) * noise
            t_steps = torch.randperm(t_len, generator=g)[: max(2, t_len // 3)]
            a_steps = torch.randperm(a_len, generator=g)[: max(3, a_len // 4)]
            text[t_steps] += text_proto[text_label]
            audio[a_steps] += audio_proto[label]
            samples.append(Sample(
                id=f"demo_d{d:03d}_u{pos:02d}", label=label, dialogue_id=f"demo_d{d:03d}", position=pos,
                speaker="A" if pos % 2 == 0 else "B",
                modalities={"text": text, "audio": audio},
                meta={"split": split, "conflict": is_conflict, "text_label": text_label},
            ))
    return Corpus(name="demo", label_names=list(DEMO_LABELS), samples=samples, default_protocol="official",
                  source="generated", info={"seed": seed, "conflict": conflict})
