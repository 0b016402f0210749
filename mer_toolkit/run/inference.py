"""Inference as a library: a trained checkpoint back as a model (``load_trained``) and a ``Predictor``
that labels raw utterances (audio file and/or transcript), running the encoders the model was trained on.

``mer eval``, ``mer predict`` and the test helpers go through these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..config.loading import ResolvedConfig
from ..errors import DataError, RunError
from ..components.model import ComposedModel, DataSpec

__all__ = ["TrainedModel", "checkpoint_file", "load_trained", "Predictor"]

RAW_INPUTS = ("text", "audio")


@dataclass
class TrainedModel:
    """A checkpoint's model (weights loaded, eval mode), its resolved config, data spec and file."""

    model: ComposedModel
    config: ResolvedConfig
    spec: DataSpec
    path: Path
    fold: str | None = None
    model_name: str | None = None
    config_hash: str | None = None


def checkpoint_file(path: str | Path) -> Path:
    """``path`` itself, or the one ``best.pt`` inside a run folder."""
    p = Path(path)
    if p.is_dir():
        found = sorted(p.rglob("best.pt"))
        if len(found) != 1:
            raise RunError(f"'{p}' holds {len(found)} best.pt checkpoints{': ' if found else ''}"
                           f"{', '.join(str(f) for f in found[:4])}; name the checkpoint file")
        return found[0]
    return p


def load_trained(checkpoint: str | Path, registry: Any = None, device: str | torch.device = "cpu") -> TrainedModel:
    """Rebuild the model a ``mer train``/``mer bench`` checkpoint was selected as, from its own config."""
    from .experiment import build_model
    from ..plugins.host import get_registry
    from .trainer import load_checkpoint

    path = checkpoint_file(checkpoint)
    ck = load_checkpoint(path)
    if "config" not in ck or "data_spec" not in ck:
        raise RunError(f"checkpoint '{path}' has no config/data_spec; it was not written by mer train")
    cfg = ResolvedConfig(ck["config"], name=str(path))
    spec = DataSpec(**ck["data_spec"])
    model = build_model(cfg, spec, registry if registry is not None else get_registry())
    model.load_state_dict(ck["state_dict"])
    return TrainedModel(model.to(device).eval(), cfg, spec, path, ck.get("fold"), ck.get("model_name"),
                        ck.get("config_hash"))


class Predictor:
    """Labels raw utterances with a trained model: ``predict([{"id", "audio", "text"}, ...])`` gives each
    row's label and per-class probabilities. Cached-feature encoders of the training config run first."""

    def __init__(self, trained: TrainedModel, registry: Any = None, device: str | torch.device = "cpu",
                 batch_size: int = 16) -> None:
        from ..data.feature_cache import feature_encoder
        from ..plugins.host import get_registry

        norm = trained.config.get("data.feature_norm") or "train"
        if norm != "train":
            raise RunError(f"checkpoint '{trained.path}' was trained with data.feature_norm={norm}: its inputs are "
                           f"standardised by the statistics of each {norm}'s utterances, which single inputs do not "
                           "have; evaluate it on a dataset with `mer eval` (which standardises the same way)")
        self.trained, self.device, self.batch_size = trained, device, batch_size
        self.model = trained.model.to(device).eval()
        self.needed = list(self.model.modalities)
        other = [m for m in self.needed if m not in RAW_INPUTS]
        if other:
            raise RunError(f"checkpoint '{trained.path}' reads {other}; a Predictor gives a model text and audio only")
        reg = registry if registry is not None else get_registry()
        features = trained.config.get("data.features") or {}
        self.encoders = {m: feature_encoder(m, node, reg).to(device) for m, node in features.items()
                         if m in self.needed}

    @classmethod
    def from_checkpoint(cls, checkpoint: str | Path, device: str | torch.device = "cpu") -> Predictor:
        return cls(load_trained(checkpoint, device=device), device=device)

    def _sample(self, row: dict[str, str]) -> Any:
        from ..data.sample import Sample

        mods: dict[str, Any] = {}
        for m in self.needed:
            raw = row.get(m, "")
            if m == "text" and not raw.strip():
                raise DataError(f"{row['id']}: the model reads a transcript but the text is empty; give --text "
                                "(or the csv column text) for every utterance")
            if m == "audio" and not raw:
                raise DataError(f"{row['id']}: the model reads audio but no file was given; add --audio FILE "
                                "(or the csv column audio)")
            mods[m] = raw
        return Sample(id=row["id"], label=-1, modalities=mods)

    @torch.no_grad()
    def probabilities(self, rows: list[dict[str, str]]) -> torch.Tensor:
        """Class probabilities ``[len(rows), C]``, in the order of ``rows``."""
        from ..data.loader import SampleDataset
        from ..data.sample import collate
        from ..data.feature_cache import run_encoder

        samples, spec, probs = [self._sample(row) for row in rows], self.trained.spec, []
        for k in range(0, len(samples), self.batch_size):
            data = SampleDataset(samples[k:k + self.batch_size])
            batch = collate([data[i] for i in range(len(data))]).to(self.device)
            for m, enc in self.encoders.items():
                batch.inputs[m], batch.masks[m] = run_encoder(enc, batch, m)
                width, want = batch.inputs[m].shape[-1], spec.input_dims.get(m)
                if want is not None and width != want:
                    raise RunError(f"'{m}' features have {width} dims but checkpoint '{self.trained.path}' "
                                   f"expects {want}")
            probs.append(torch.softmax(self.model(batch).logits.float(), -1).cpu())
        return torch.cat(probs)

    def predict(self, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
        """Label and probabilities (rounded to 4 places) per row."""
        names = self.trained.spec.label_names
        return [{"id": row["id"], "label": names[int(p.argmax())],
                 "probabilities": {n: round(float(v), 4) for n, v in zip(names, p)}}
                for row, p in zip(rows, self.probabilities(rows))]
