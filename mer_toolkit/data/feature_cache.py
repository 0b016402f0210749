"""The feature cache: per-utterance outputs of a frozen encoder, computed once and reused by every run.

An entry is keyed by a fingerprint of the encoder (name, options, defining code, weight files),
the audio decoding settings and the dataset's manifest for that modality (ids and sources: the text,
or each file's path, size and modification time). Its folder holds ``data.npy`` (every utterance's
features stacked ``[sum T, D]``, float32, read memory-mapped) and ``index.json`` (ids, offsets,
lengths), written last and atomically. While extraction runs, finished chunks are kept as
``part-*.npz`` files, so an interrupted extraction resumes where it stopped.

``data: {features: {text: minilm, audio: {type: fbank, pool: stats}}}`` in a config makes
``experiment.load_corpus`` call ``apply_features``, which replaces those modalities in the samples
with the cached tensors (``[D]`` pooled or ``[T, D]`` sequences).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..config.build import build_part
from .corpus import Corpus
from .feature_rows import FeatureRows
from .loader import SampleDataset
from .sample import Sample, Waveform, collate
from ..errors import ConfigError, DataError
from ..components.parts import takes_batch
from ..locking import folder_lock

__all__ = ["FORMAT_VERSION", "ExtractResult", "cache_root", "encoder_node", "feature_encoder", "input_modality",
           "fingerprint", "run_encoder", "extract", "load_cached", "apply_features", "cache_entries", "clear_cache",
           "progress_bar"]

FORMAT_VERSION = 3
CHUNK = 128  # utterances per resumable chunk

ProgressFn = Callable[[int, int], None]


def cache_root() -> Path:
    """``$MER_CACHE_DIR`` or ``~/.cache/mer-toolkit/features``."""
    return Path(os.environ.get("MER_CACHE_DIR") or Path.home() / ".cache" / "mer-toolkit" / "features")


def encoder_node(spec: Any, where: str) -> dict[str, Any]:
    """``minilm`` or ``{type: fbank, n_mels: 40}`` as a part node."""
    if isinstance(spec, str) and spec:
        return {"type": spec}
    if isinstance(spec, dict) and isinstance(spec.get("type"), str):
        return dict(spec)
    raise ConfigError(f"{where}: expected an encoder name or a mapping {{type: name, ...options}}, got {spec!r}; "
                      "run `mer list encoder` for the names")


def input_modality(spec: Any, registry: Any) -> str | None:
    """The modality an encoder reads (``text``/``audio``), as its class declares in ``input_modality``."""
    node = encoder_node(spec, "--encoder")
    return getattr(registry.encoder.get(node["type"], where="--encoder"), "input_modality", None)


def feature_encoder(modality: str, spec: Any, registry: Any) -> torch.nn.Module:
    """Build the frozen encoder of ``data.features.<modality>`` (refusing one with trainable weights)."""
    where = f"data.features.{modality}"
    enc = build_part("encoder", encoder_node(spec, where), registry, path=where, inferred={"modality": modality})
    if any(p.requires_grad for p in enc.parameters()):
        raise ConfigError(f"{where}: encoder {spec!r} has trainable weights (finetune or layer: weighted), so its "
                          "features cannot be cached; cache a frozen encoder (finetune: false, a fixed layer), or put "
                          f"it under model.encoders.{modality} to train it end to end")
    return enc.eval()


def _value_key(value: Any, modality: str) -> str:
    """What identifies one utterance's input: the text, a file's path/size/mtime, or a hash of samples."""
    if isinstance(value, str):
        if modality == "text":
            return value
        try:
            st = os.stat(value)
        except OSError:
            return f"{value}:missing"
        return f"{value}:{st.st_size}:{st.st_mtime_ns}"
    if isinstance(value, Waveform):
        return f"wave:{value.sample_rate}:{hashlib.sha256(value.samples.float().numpy().tobytes()).hexdigest()}"
    if isinstance(value, torch.Tensor):
        return f"tensor:{hashlib.sha256(value.float().numpy().tobytes()).hexdigest()}"
    return f"{type(value).__name__}:{value!r}"


def fingerprint(node: dict[str, Any], registry: Any, corpus: Corpus, modality: str) -> str:
    """Hash of everything that determines the features; any change gives a new cache entry.

    The encoder is not built: its class computes the weights' fingerprint from the options alone,
    so a cache hit costs no model loading.
    """
    entry = registry.encoder.entry(node["type"], where=f"data.features.{modality}")
    options = {k: v for k, v in node.items() if k != "type"}
    weights_id = getattr(entry.obj, "weights_id", None)
    manifest = hashlib.sha256()
    for s in corpus.samples:
        manifest.update(f"{s.id}\t{_value_key(s.modalities.get(modality), modality)}\n".encode())
    blob = {"format": FORMAT_VERSION, "toolkit": __version__, "encoder": node, "code": entry.origin,
            "source": entry.source, "weights": weights_id(**options) if weights_id else "",
            "decode_rate": SampleDataset([]).sample_rate, "modality": modality, "manifest": manifest.hexdigest()}
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclasses.dataclass
class ExtractResult:
    """Where the features are, whether this call found them already computed, and what they hold."""

    path: Path
    hit: bool
    utterances: int
    dim: int
    pooled: bool
    seconds: float
    empty_texts: int = 0


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_") or "x"


def _raw_samples(corpus: Corpus, modality: str) -> list[Sample]:
    """The utterances that have ``modality`` (presence is per utterance); none at all is an error."""
    having = [s for s in corpus.samples if modality in s.modalities]
    if not having:
        raise DataError(f"dataset '{corpus.name}' has no '{modality}' in any utterance; its modalities: "
                        f"{corpus.modalities}")
    tensors = [s.id for s in having if isinstance(s.modalities[modality], (torch.Tensor, FeatureRows))]
    if tensors:
        raise DataError(f"dataset '{corpus.name}': '{modality}' of {tensors[:3]} is already a feature tensor; "
                        "an encoder in data.features needs raw text or audio")
    return [dataclasses.replace(s, modalities={modality: s.modalities[modality]}) for s in having]


def _read_index(folder: Path) -> dict[str, Any] | None:
    path = folder / "index.json"
    if not (path.is_file() and (folder / "data.npy").is_file()):
        return None
    index = json.loads(path.read_text())
    return index if index.get("format") == FORMAT_VERSION else None


def _hit(folder: Path, t0: float) -> ExtractResult | None:
    index = _read_index(folder)
    if index is None:
        return None
    return ExtractResult(folder, True, len(index["ids"]), index["dim"], index["pooled"], time.perf_counter() - t0,
                         index.get("empty_texts", 0))


def run_encoder(encoder: torch.nn.Module, batch: Any, modality: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The encoder on one modality of a batch (given the batch too when its ``forward`` takes one)."""
    args = (batch.inputs[modality], batch.masks.get(modality))
    if takes_batch(encoder):
        return encoder(*args, batch=batch)
    return encoder(*args)


def _input_size(value: Any) -> int:
    """A cheap proxy of a decoded input's length: samples of a waveform, characters of a text."""
    if isinstance(value, Waveform):
        return value.samples.numel()
    return len(value) if isinstance(value, str) else 0


def _encode_chunk(encoder: torch.nn.Module, chunk: list[Sample], modality: str, device: str, batch_size: int,
                  where: str, audio: tuple[str, ...] = ("audio",)) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features of one chunk: rows stacked ``[sum T, D]``, each utterance's length, and the ids encoded
    (an utterance whose input decodes to nothing usable, e.g. a silent clip, is left out).

    Batches are formed from utterances of similar length (less padding to encode); rows keep the chunk's order.
    """
    data = SampleDataset(chunk, audio=audio)
    decoded = [s for s in (data[i] for i in range(len(chunk))) if modality in s.modalities]
    order = sorted(range(len(decoded)), key=lambda i: _input_size(decoded[i].modalities[modality]))
    rows: list[np.ndarray] = [np.empty(0)] * len(decoded)
    for k in range(0, len(decoded), batch_size):
        idx = order[k:k + batch_size]
        batch = collate([decoded[i] for i in idx]).to(device)
        h, m = run_encoder(encoder, batch, modality)
        for i, uid, row, mk in zip(idx, batch.ids, h.float().cpu(), m.cpu()):
            kept = row[mk]
            if kept.shape[0] == 0 or not torch.isfinite(kept).all():
                raise DataError(f"{where}: the encoder gave {'no' if kept.shape[0] == 0 else 'NaN/inf'} features "
                                f"for utterance '{uid}'; check its {modality} input")
            rows[i] = kept.numpy()
    if not rows:
        return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64), []
    return (np.concatenate(rows).astype(np.float32), np.asarray([r.shape[0] for r in rows], dtype=np.int64),
            [s.id for s in decoded])


@torch.no_grad()
def extract(corpus: Corpus, modality: str, spec: Any, registry: Any, *, device: str = "cpu", batch_size: int = 16,
            progress: ProgressFn | None = None) -> ExtractResult:
    """Compute (or find) the cached features of ``modality`` for every utterance of ``corpus``."""
    t0 = time.perf_counter()
    where = f"data.features.{modality}"
    node = encoder_node(spec, where)
    samples = _raw_samples(corpus, modality)
    fp = fingerprint(node, registry, corpus, modality)
    folder = cache_root() / f"{_slug(corpus.name)}-{modality}-{_slug(node['type'])}-{fp}"
    hit = _hit(folder, t0)
    if hit is not None:
        return hit
    folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder):
        hit = _hit(folder, t0)  # another process may have finished it while this one waited
        if hit is not None:
            return hit
        for stale in [*folder.glob(".part-*"), *folder.glob(".data.*"), *folder.glob(".index.*")]:
            stale.unlink()  # temporary files of a run that was killed while writing them
        encoder = feature_encoder(modality, node, registry).to(device)
        n_chunks = (len(samples) + CHUNK - 1) // CHUNK
        for c in range(n_chunks):
            part = folder / f"part-{c:05d}.npz"
            if not part.is_file():
                feats, lengths, ids = _encode_chunk(encoder, samples[c * CHUNK:(c + 1) * CHUNK], modality,
                                                    device, batch_size, f"{where} ({corpus.name})",
                                                    corpus.audio_modalities)
                tmp = folder / f".part-{c:05d}.{os.getpid()}.npz"
                np.savez(tmp, feats=feats, lengths=lengths, ids=np.asarray(ids, dtype=str))
                os.replace(tmp, part)
            if progress is not None:
                progress(min((c + 1) * CHUNK, len(samples)), len(samples))
        texts = [s.modalities[modality] for s in samples] if modality == "text" else []
        empty = sum(1 for t in texts if isinstance(t, str) and not t.strip())
        meta = {"dataset": corpus.name, "modality": modality, "encoder": node, "fingerprint": fp,
                "empty_texts": empty, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        _assemble(folder, n_chunks, meta)
    index = _read_index(folder)
    return ExtractResult(folder, False, len(samples), index["dim"], index["pooled"], time.perf_counter() - t0, empty)


def _assemble(folder: Path, n_chunks: int, meta: dict[str, Any]) -> None:
    """Stream the chunk files into ``data.npy``, then write ``index.json`` (both atomically) and drop the chunks."""
    parts = [folder / f"part-{c:05d}.npz" for c in range(n_chunks)]
    lengths = np.concatenate([np.load(p)["lengths"] for p in parts])
    ids = [str(u) for p in parts for u in np.load(p)["ids"]]
    if not ids:
        raise DataError(f"feature cache '{folder}': no utterance had usable input ({meta['modality']} all silent "
                        "or empty)")
    dim = max(int(np.load(p)["feats"].shape[1]) for p in parts)
    tmp = folder / f".data.{os.getpid()}.npy"
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(int(lengths.sum()), dim))
    row = 0
    for p in parts:
        feats = np.load(p)["feats"]
        if len(feats):
            out[row:row + len(feats)] = feats
            row += len(feats)
    out.flush()
    del out
    os.replace(tmp, folder / "data.npy")
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    index = {"format": FORMAT_VERSION, **meta, "ids": ids, "offsets": offsets.tolist(), "lengths": lengths.tolist(),
             "dim": dim, "pooled": bool((lengths == 1).all())}
    tmp_index = folder / f".index.{os.getpid()}.json"
    tmp_index.write_text(json.dumps(index))
    os.replace(tmp_index, folder / "index.json")
    for p in parts:
        p.unlink()


def load_cached(folder: Path) -> dict[str, FeatureRows]:
    """Id → reference to its features (``[D]`` when pooled, else ``[T, D]``) in the memory-mapped ``data.npy``.

    Nothing is read into memory here: pages are loaded on access and shared by every process that
    maps the same file (copy-on-write mapping, so the cache file itself is never modified).
    """
    index = _read_index(folder)
    if index is None:
        raise DataError(f"feature cache '{folder}' is incomplete or from another version; run `mer extract` again")
    data = np.load(folder / "data.npy", mmap_mode="c")
    pooled = bool(index["pooled"])
    return {uid: FeatureRows(data, off, n, pooled) for uid, off, n in zip(index["ids"], index["offsets"],
                                                                          index["lengths"])}


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[ProgressFn]:
    """A rich progress bar on stderr (only on a terminal) fed by ``(done, total)`` callbacks."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                   transient=True, disable=not (enabled and console.is_terminal))
    with bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def apply_features(corpus: Corpus, features: dict[str, Any], registry: Any, device: str = "auto") -> Corpus:
    """A copy of ``corpus`` whose listed modalities are replaced by cached encoder features.

    Features missing from the cache are computed first (on ``device``; ``auto`` = CUDA when available).
    """
    from ..run.distributed import resolve_device

    if not isinstance(features, dict):
        raise ConfigError(f"data.features must map modalities to encoders (e.g. {{text: minilm}}), got {features!r}")
    replaced: dict[str, dict[str, torch.Tensor]] = {}
    caches: dict[str, str] = {}
    for modality, spec in features.items():
        with progress_bar(f"{corpus.name}/{modality} features") as progress:
            res = extract(corpus, modality, spec, registry, device=str(resolve_device(device)), progress=progress)
        replaced[modality] = load_cached(res.path)
        caches[modality] = str(res.path)
    samples = [dataclasses.replace(s, modalities=_with_features(s.modalities, replaced, s.id)) for s in corpus.samples]
    return dataclasses.replace(corpus, samples=samples,
                               info={**corpus.info, "features": dict(features), "feature_cache": caches})


def _with_features(mods: dict[str, Any], replaced: dict[str, dict[str, Any]], uid: str) -> dict[str, Any]:
    """The utterance's modalities with cached features in place of raw inputs; a modality the cache has
    no row for (missing or silent input) is absent for this utterance."""
    out = {**mods, **{m: rows[uid] for m, rows in replaced.items() if uid in rows}}
    return {m: v for m, v in out.items() if m not in replaced or uid in replaced[m]}


def cache_entries() -> list[dict[str, Any]]:
    """Every complete entry of the cache: dataset, modality, encoder, size (for ``mer extract --list``)."""
    out = []
    for folder in sorted(cache_root().glob("*/")):
        index = _read_index(folder)
        if index is not None:
            out.append({"path": str(folder), "dataset": index["dataset"], "modality": index["modality"],
                        "encoder": index["encoder"], "utterances": len(index["ids"]), "dim": index["dim"],
                        "pooled": index["pooled"], "mib": round((folder / "data.npy").stat().st_size / 2**20, 1),
                        "created": index["created"]})
    return out


def clear_cache() -> int:
    """Remove every cached feature (``mer extract --clear``); returns the number of entries removed. The
    test-access ledger kept beside them (``results/ledger.py``) stays: it records history, not features."""
    entries = list(cache_root().glob("*/"))
    for folder in entries:
        shutil.rmtree(folder, ignore_errors=True)
    return len(entries)
