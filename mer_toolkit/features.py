"""The feature cache: per-utterance encoder outputs stored once, reused by every training run.

A cache entry is keyed by a fingerprint of (encoder name and options, the encoder's weight files,
preprocessing, the dataset's manifest for that modality). Its folder holds ``data.npy`` (all
utterances' features concatenated ``[sum T, D]``, float32, read memory-mapped), ``index.json`` (ids,
offsets, lengths) and, while extraction runs, ``part-*.npy`` chunks so an interrupted extraction
resumes where it stopped. ``data.features: {text: minilm, audio: {type: fbank, pool: stats}}`` in a
config makes training use the cached features instead of the raw modality.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import build_part, part_type
from .data.corpus import Corpus
from .data.loader import SampleDataset
from .data.sample import Sample, collate
from .errors import DataError

__all__ = ["FORMAT_VERSION", "cache_root", "fingerprint", "extract", "apply_features", "ExtractResult"]

FORMAT_VERSION = 1
CHUNK = 64


def cache_root() -> Path:
    """``$MER_CACHE_DIR`` or ``~/.cache/mer-toolkit/features``."""
    return Path(os.environ.get("MER_CACHE_DIR") or Path.home() / ".cache" / "mer-toolkit" / "features")


def _node(spec: Any) -> dict[str, Any]:
    if isinstance(spec, str):
        return {"type": spec}
    if isinstance(spec, dict) and part_type(spec):
        return dict(spec)
    raise DataError(f"data.features entries must be an encoder name or {{type: name, ...}}, got {spec!r}")


def fingerprint(node: dict[str, Any], encoder: torch.nn.Module, corpus: Corpus, modality: str) -> str:
    """Hash of everything that determines the features; any change gives a new cache entry."""
    manifest = hashlib.sha256()
    for s in corpus.samples:
        v = s.modalities.get(modality)
        if isinstance(v, str) and modality != "text" and os.path.isfile(v):
            st = os.stat(v)
            v = f"{v}:{st.st_size}:{int(st.st_mtime)}"
        manifest.update(f"{s.id}\t{v if isinstance(v, str) else type(v).__name__}\n".encode())
    weights = encoder.fingerprint() if hasattr(encoder, "fingerprint") else ""
    blob = json.dumps({"v": FORMAT_VERSION, "node": node, "weights": weights, "manifest": manifest.hexdigest(),
                       "dataset": corpus.name, "modality": modality}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


@dataclasses.dataclass
class ExtractResult:
    """Where the features are and whether this call computed them."""

    path: Path
    hit: bool
    utterances: int
    dim: int
    seconds: float


def _raw_samples(corpus: Corpus, modality: str) -> list[Sample]:
    missing = [s.id for s in corpus.samples if modality not in s.modalities]
    if missing:
        raise DataError(f"dataset '{corpus.name}' has no '{modality}' for {len(missing)} utterance(s) "
                        f"(e.g. {missing[:3]}); available modalities: {corpus.modalities}")
    return [dataclasses.replace(s, modalities={modality: s.modalities[modality]}) for s in corpus.samples]


@torch.no_grad()
def extract(corpus: Corpus, modality: str, spec: Any, registry: Any, *, device: str = "cpu",
            batch_size: int = 16, progress: Callable[[int, int], None] | None = None) -> ExtractResult:
    """Compute (or find) the cached features of ``modality`` for every utterance of ``corpus``."""
    t0 = time.perf_counter()
    node = _node(spec)
    encoder = build_part("encoder", node, registry, path=f"data.features.{modality}", inferred={"modality": modality})
    fp = fingerprint(node, encoder, corpus, modality)
    folder = cache_root() / f"{corpus.name}-{modality}-{node['type']}-{fp}"
    index_path = folder / "index.json"
    if index_path.is_file() and (folder / "data.npy").is_file():
        index = json.loads(index_path.read_text())
        return ExtractResult(folder, True, len(index["ids"]), index["dim"], time.perf_counter() - t0)
    folder.mkdir(parents=True, exist_ok=True)
    encoder = encoder.to(device).eval()
    samples = _raw_samples(corpus, modality)
    chunks = [samples[k:k + CHUNK] for k in range(0, len(samples), CHUNK)]
    done = 0
    for c, chunk in enumerate(chunks):
        part = folder / f"part-{c:05d}.npz"
        if not part.is_file():
            feats, lengths = [], []
            data = SampleDataset(chunk)
            for k in range(0, len(chunk), batch_size):
                batch = collate([data[i] for i in range(k, min(k + batch_size, len(chunk)))]).to(device)
                h, m = encoder(batch.inputs[modality], batch.masks.get(modality))
                for row, mk in zip(h.float().cpu(), m.cpu()):
                    kept = row[mk]
                    if not torch.isfinite(kept).all():
                        raise DataError(f"encoder '{node['type']}' produced NaN/inf features for a {modality} input "
                                        f"of '{corpus.name}' (chunk {c}); check the audio/text of that chunk")
                    feats.append(kept.numpy())
                    lengths.append(kept.shape[0])
            tmp = folder / f".part-{c:05d}.tmp.npz"
            np.savez(tmp, feats=np.concatenate(feats), lengths=np.asarray(lengths))
            os.replace(tmp, part)
        done += len(chunk)
        if progress is not None:
            progress(done, len(samples))
    _assemble(folder, samples, len(chunks))
    index = json.loads(index_path.read_text())
    return ExtractResult(folder, False, len(samples), index["dim"], time.perf_counter() - t0)


def _assemble(folder: Path, samples: list[Sample], n_chunks: int) -> None:
    """Concatenate the chunk files into ``data.npy`` + ``index.json`` (written last, atomically)."""
    parts = [np.load(folder / f"part-{c:05d}.npz") for c in range(n_chunks)]
    feats = np.concatenate([p["feats"] for p in parts]).astype(np.float32)
    lengths = np.concatenate([p["lengths"] for p in parts]).tolist()
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).tolist()
    tmp = folder / "data.tmp.npy"
    np.save(tmp, feats)
    os.replace(tmp, folder / "data.npy")
    index = {"ids": [s.id for s in samples], "offsets": offsets, "lengths": lengths, "dim": int(feats.shape[1]),
             "format": FORMAT_VERSION}
    (folder / "index.tmp.json").write_text(json.dumps(index))
    os.replace(folder / "index.tmp.json", folder / "index.json")
    for c in range(n_chunks):
        (folder / f"part-{c:05d}.npz").unlink()


def load_cached(folder: Path) -> dict[str, torch.Tensor]:
    """Id → feature tensor (``[D]`` for one step, else ``[T, D]``), sliced from the memory-mapped array."""
    index = json.loads((folder / "index.json").read_text())
    data = np.load(folder / "data.npy", mmap_mode="r")
    out = {}
    for uid, off, n in zip(index["ids"], index["offsets"], index["lengths"]):
        x = torch.from_numpy(np.array(data[off:off + n]))
        out[uid] = x[0] if n == 1 else x
    return out


def apply_features(corpus: Corpus, features: dict[str, Any], registry: Any, device: str = "cpu") -> Corpus:
    """A copy of ``corpus`` whose listed modalities are replaced by cached encoder features."""
    replaced: dict[str, dict[str, torch.Tensor]] = {}
    for modality, spec in features.items():
        res = extract(corpus, modality, spec, registry, device=device)
        replaced[modality] = load_cached(res.path)
    samples = [dataclasses.replace(s, modalities={**s.modalities, **{m: v[s.id] for m, v in replaced.items()}})
               for s in corpus.samples]
    return dataclasses.replace(corpus, samples=samples, info={**corpus.info, "features": dict(features)})


def clear_cache() -> None:
    """Remove every cached feature (``mer extract --clear``)."""
    shutil.rmtree(cache_root(), ignore_errors=True)
