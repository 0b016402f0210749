"""DataLoaders over samples: batching by utterance or by whole dialogue, lazy audio decoding."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..errors import ConfigError, DataError
from .audio import is_silent, load_waveform
from .feature_rows import is_feature
from .sample import Sample, Waveform, collate

__all__ = ["SampleDataset", "EpochShuffleSampler", "DialogueBatchSampler", "make_loader", "input_dims"]

class SampleDataset(Dataset):
    """Indexable samples; a file path given for one of the ``audio`` modalities (those the dataset declares)
    is decoded when the sample is read, and a silent clip leaves that utterance without it (the others keep
    theirs)."""

    def __init__(self, samples: Sequence[Sample], sample_rate: int = 16000, audio: Sequence[str] = ("audio",)) -> None:
        self.samples = list(samples)
        self.sample_rate = sample_rate
        self.audio = tuple(audio)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Sample:
        s = self.samples[i]
        if any(m in self.audio and isinstance(v, str) for m, v in s.modalities.items()):
            mods = {m: load_waveform(v, self.sample_rate) if m in self.audio and isinstance(v, str) else v
                    for m, v in s.modalities.items()}
            mods = {m: v for m, v in mods.items() if not (isinstance(v, Waveform) and is_silent(v))}
            s = replace(s, modalities=mods)
        return s


class EpochShuffleSampler(Sampler[int]):
    """Random order that depends only on (seed, epoch), so a resumed run sees the same batches."""

    def __init__(self, n: int, seed: int = 0, rank: int = 0, world: int = 1) -> None:
        self.n = n
        self.seed = seed
        self.epoch = 0
        self.rank, self.world = rank, world

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.n, generator=g).tolist()
        if self.world > 1:  # equal shares per process (padded by repetition), as DistributedSampler does
            order = (order + order[: len(self) * self.world - self.n])[self.rank::self.world]
        return iter(order)

    def __len__(self) -> int:
        return -(-self.n // self.world)


class DialogueBatchSampler(Sampler[list[int]]):
    """Yields batches of ``dialogues_per_batch`` whole dialogues, utterances in dialogue order."""

    def __init__(self, samples: Sequence[Sample], dialogues_per_batch: int, shuffle: bool, seed: int = 0,
                 rank: int = 0, world: int = 1) -> None:
        unknown = [s for s in samples if s.position < 0]
        if unknown:
            hint = unknown[0].meta.get("order_from", "give the dataset a source of turn order")
            raise DataError(f"batching by dialogue needs turn order, but {len(unknown)} of {len(samples)} utterances "
                            f"have unknown positions (e.g. {unknown[0].id}): {hint}")
        groups: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(samples):
            groups[s.dialogue_id].append(i)
        self.dialogues = [sorted(ix, key=lambda i: samples[i].position) for ix in groups.values()]
        self.per_batch = dialogues_per_batch
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        self.rank, self.world = rank, world

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[list[int]]:
        order = list(range(len(self.dialogues)))
        if self.shuffle:
            random.Random(self.seed * 100_003 + self.epoch).shuffle(order)
        batches = [[i for d in order[k:k + self.per_batch] for i in self.dialogues[d]]
                   for k in range(0, len(order), self.per_batch)]
        if self.world > 1:
            batches = (batches + batches[: len(self) * self.world - len(batches)])[self.rank::self.world]
        yield from batches

    def __len__(self) -> int:
        return -(-(-(-len(self.dialogues) // self.per_batch)) // self.world)


def make_loader(samples: Sequence[Sample], batch_size: int, *, shuffle: bool, batch_by: str = "utterance",
                seed: int = 0, num_workers: int = 0, pin_memory: bool = False, rank: int = 0,
                world: int = 1, audio: Sequence[str] = ("audio",)) -> DataLoader:
    """A loader yielding ``Batch``es; with ``batch_by='dialogue'``, ``batch_size`` counts dialogues.

    ``rank``/``world`` give each data-parallel process its own equal share of the shuffled batches;
    ``audio`` names the modalities whose file paths are decoded (the corpus's ``audio_modalities``).
    """
    ds = SampleDataset(samples, audio=audio)
    common = {"collate_fn": collate, "num_workers": num_workers, "pin_memory": pin_memory,
              "persistent_workers": num_workers > 0}
    if batch_by == "dialogue":
        return DataLoader(ds, batch_sampler=DialogueBatchSampler(ds.samples, batch_size, shuffle, seed, rank, world),
                          **common)
    if batch_by != "utterance":
        raise ConfigError(f"data.batch_by must be 'utterance' or 'dialogue', got '{batch_by}'")
    sampler = EpochShuffleSampler(len(ds), seed, rank, world) if shuffle else None
    return DataLoader(ds, batch_size=batch_size, sampler=sampler, **common)


def input_dims(samples: Sequence[Sample]) -> dict[str, int | None]:
    """Feature width per modality, from the first utterance that has it (None for raw text/audio)."""
    first: dict[str, object] = {}
    for s in samples:
        for m, v in s.modalities.items():
            first.setdefault(m, v)
    return {m: int(v.shape[-1]) if is_feature(v) else None for m, v in first.items()}
