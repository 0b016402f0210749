"""The generic trainer: AdamW, warmup + cosine schedule, clipping, AMP, early stopping on validation.

Model selection reads only the validation loader; the test split is evaluated once, afterwards, by
the caller with the best checkpoint. ``last.pt`` holds everything needed to resume after a kill.
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from .. import __version__
from .distributed import dist_info, resolve_device
from ..errors import ConfigError, PluginError, RunError
from ..config.metrics import is_better
from .metrics import compute_metrics
from ..components.model import ComposedModel
from ..config.sections import TrainConfig

__all__ = ["set_seed", "Trainer", "FitResult", "save_checkpoint", "load_checkpoint", "no_weight_decay_names"]


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch; with ``deterministic`` ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        if "torch._inductor" in sys.modules:  # compiled graphs in this process: inductor's flag must follow too
            torch.use_deterministic_algorithms(True, warn_only=True)
        else:  # the same kernel flag without importing TorchInductor (seconds on a run's first cell; never used)
            torch._C._set_deterministic_algorithms(True, warn_only=True)


def no_weight_decay_names(model: torch.nn.Module) -> set[str]:
    """Full names of the parameters that a part exempts from weight decay through its ``no_weight_decay``."""
    names, params = set(), dict(model.named_parameters())
    for prefix, module in model.named_modules():
        for name in getattr(module, "no_weight_decay", ()):
            full = f"{prefix}.{name}" if prefix else name
            if full not in params:
                raise PluginError(f"part {type(module).__name__} ('{prefix}') lists '{name}' in no_weight_decay, "
                                  "but it has no parameter of that name; list names as "
                                  "named_parameters() gives them relative to the part")
            names.add(full)
    return names


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically (temp file + rename) so a kill never leaves a half-written checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load with ``weights_only=True``: tensors and plain containers only, no code execution."""
    path = Path(path)
    if not path.is_file():
        raise RunError(f"checkpoint '{path}' does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad file for the user
        reason = next((ln.strip() for ln in str(err).splitlines() if "Unsupported" in ln or "global" in ln),
                      str(err).splitlines()[0] if str(err) else type(err).__name__)
        raise RunError(f"checkpoint '{path}' cannot be loaded safely ({reason}); only checkpoints written by "
                       "mer-toolkit (tensors and plain data) are accepted, nothing in them is executed") from None


@dataclass
class FitResult:
    """What training produced: the selected epoch and its validation metrics, and the history."""

    best_epoch: int
    best_val: dict[str, Any]
    epochs_run: int
    train_seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False
    resumed_from: int = 0


class Trainer:
    """Trains a ``ComposedModel`` and keeps the epoch with the best validation ``monitor`` metric."""

    def __init__(self, model: ComposedModel, cfg: TrainConfig, *, run_dir: Path | None = None,
                 label_names: list[str], meta: dict[str, Any] | None = None,
                 on_epoch: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.cfg = cfg
        if cfg.threads:  # on shared CPUs one intra-op thread per process avoids oversubscription stalls
            torch.set_num_threads(cfg.threads)
        self.device = resolve_device(cfg.device)
        self.model = model.to(self.device)
        self.dist = dist_info()
        self.forward_model: torch.nn.Module = model
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            self.forward_model = DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.run_dir = run_dir
        self.label_names = label_names
        self.meta = meta or {}
        self.on_epoch = on_epoch
        params = self._param_groups(model, cfg)
        # foreach: one multi-tensor update instead of a Python loop over parameters; PyTorch picks it on CUDA
        # only, and on CPU it gives the same values bit for bit in about half the time (many small tensors)
        if cfg.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay, momentum=0.9,
                                             foreach=True)
        else:  # the choices are checked when the section is built
            make = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
            self.optimizer = make(params, lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.amp)
        self.scaler = torch.amp.GradScaler("cuda", enabled=cfg.amp == "fp16" and self.device.type == "cuda")

    @staticmethod
    def _param_groups(model: torch.nn.Module, cfg: TrainConfig) -> list[dict[str, Any]]:
        """One group at ``lr``, or with ``encoder_lr`` a second one for the encoders (pretrained blocks
        fine-tuned next to freshly initialised fusion and heads want a smaller step); parameters a part
        lists in ``no_weight_decay`` go to a copy of their group with weight decay 0."""
        rate = cfg.encoder_lr
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0):
            raise ConfigError(f"train.encoder_lr must be a positive number or null, got {rate!r}")
        exempt = no_weight_decay_names(model)
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        groups = []
        for is_encoder, lr in ((False, cfg.lr), (True, float(rate) if rate is not None else cfg.lr)):
            members = [(n, p) for n, p in named if (rate is not None and n.startswith("encoders.")) == is_encoder]
            groups.append({"params": [p for n, p in members if n not in exempt], "base_lr": lr})
            groups.append({"params": [p for n, p in members if n in exempt], "base_lr": lr, "weight_decay": 0.0})
        return [g for g in groups if g["params"]]

    # -- schedule ------------------------------------------------------------------------------
    def _lr_factor(self, step: int, total: int, warmup: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if self.cfg.scheduler == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total - warmup)
        if self.cfg.scheduler == "linear":
            return max(0.0, 1.0 - progress)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    def _autocast(self) -> Any:
        enabled = self.amp_dtype is not None and self.device.type in ("cuda", "cpu")
        return torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32, enabled=enabled)

    # -- epochs --------------------------------------------------------------------------------
    def train_epoch(self, loader: DataLoader, epoch: int, step0: int, total_steps: int, warmup: int) -> dict[str, Any]:
        self.model.train()
        sums: dict[str, float] = {}
        n_batches = 0
        wait = 0.0
        t0 = time.perf_counter()
        tick = time.perf_counter()
        for i, batch in enumerate(loader):
            wait += time.perf_counter() - tick
            batch = batch.to(self.device, non_blocking=True)
            for group in self.optimizer.param_groups:
                group["lr"] = group["base_lr"] * self._lr_factor(step0 + i, total_steps, warmup)
            try:
                with self._autocast():
                    out = self.forward_model(batch)
                    loss, terms = self.model.compute_loss(out, batch)
            except torch.cuda.OutOfMemoryError:
                raise RunError(f"epoch {epoch}, batch {i}: the GPU ran out of memory with {len(batch)} utterances; "
                               "lower data.batch_size (e.g. --set data.batch_size=8), use --amp bf16, or cap "
                               "sequence lengths (encoder max_length / max_seconds)") from None
            if not torch.isfinite(loss):
                bad = sorted(k for k, v in terms.items() if not torch.isfinite(v))
                raise RunError(f"epoch {epoch}, batch {i}: the loss is {float(loss.detach())} (non-finite terms: {bad}); "
                               "lower train.lr, check the features for NaN/inf, or enable train.grad_clip")
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            if self.cfg.grad_clip:
                self.scaler.unscale_(self.optimizer)
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            sums["loss"] = sums.get("loss", 0.0) + float(loss.detach())
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
            n_batches += 1
            tick = time.perf_counter()
        elapsed = time.perf_counter() - t0
        stats = {k: v / max(1, n_batches) for k, v in sums.items()}
        stats["seconds"] = elapsed
        stats["loader_wait_fraction"] = wait / elapsed if elapsed > 0 else 0.0
        return stats

    @torch.no_grad()
    def predict(self, loader: DataLoader) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """Logits, labels and utterance ids over a loader, in its order."""
        self.model.eval()
        logits, labels, ids = [], [], []
        for batch in loader:
            batch = batch.to(self.device, non_blocking=True)
            with self._autocast():
                out = self.model(batch)
            logits.append(out.logits.float().cpu())
            labels.append(batch.labels.cpu())
            ids += batch.ids
        return torch.cat(logits), torch.cat(labels), ids

    def evaluate(self, loader: DataLoader) -> dict[str, Any]:
        """Metrics over a loader, and ``loss``: the model's own main loss (its class weights, smoothing and
        ``loss_weights``) on the labelled utterances, so that ``monitor: loss`` selects on what is trained."""
        logits, labels, _ = self.predict(loader)
        return self.score(logits, labels)

    def score(self, logits: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
        """Metrics and the main loss of predictions already made (``predict``), e.g. kept for the record too."""
        res = compute_metrics(logits, labels, self.label_names)
        with torch.no_grad():
            terms = self.model.main_loss_terms(logits.to(self.device), labels.to(self.device))
            res["loss"] = float(self.model.weighted_total(terms, self.device)) if (labels >= 0).any() else 0.0
        return res

    def _payload(self, epoch: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"state_dict": self.model.state_dict(), "epoch": epoch, "toolkit_version": __version__,
                "label_names": list(self.label_names), **self.meta, **(extra or {})}

    def fit(self, train_loader: DataLoader, val_loader: DataLoader, resume: bool = False) -> FitResult:
        """Train up to ``epochs``, keeping ``best.pt`` by validation metric and ``last.pt`` for resuming."""
        cfg = self.cfg
        steps_per_epoch = max(1, len(train_loader))
        total = steps_per_epoch * cfg.epochs
        warmup = int(cfg.warmup_epochs * steps_per_epoch)
        start_epoch, best, best_epoch, best_val, history, bad_epochs, spent = 1, None, 0, {}, [], 0, 0.0
        last_path = self.run_dir / "last.pt" if self.run_dir else None
        best_path = self.run_dir / "best.pt" if self.run_dir else None
        best_state = None
        writer = self.dist.rank == 0
        if resume and last_path is not None and last_path.is_file():
            ck = load_checkpoint(last_path)
            self.model.load_state_dict(ck["state_dict"])
            self.optimizer.load_state_dict(ck["optimizer"])
            start_epoch = int(ck["epoch"]) + 1
            tr = ck["trainer"]
            best, best_epoch, best_val, history = tr["best"], tr["best_epoch"], tr["best_val"], tr["history"]
            bad_epochs, spent = tr["bad_epochs"], tr["seconds"]
            torch.set_rng_state(ck["rng"])
        stopped = False
        for epoch in range(start_epoch, cfg.epochs + 1):
            for sampler in (train_loader.sampler, train_loader.batch_sampler):
                if hasattr(sampler, "set_epoch"):  # reshuffle as a function of (seed, epoch): resumable
                    sampler.set_epoch(epoch)
            stats = self.train_epoch(train_loader, epoch, (epoch - 1) * steps_per_epoch, total, warmup)
            val = self.evaluate(val_loader)
            spent += stats["seconds"]
            row = {"epoch": epoch, "train": stats, "val": {k: v for k, v in val.items() if k != "confusion"}}
            if epoch == start_epoch > 1:  # the log shows where an interrupted run continued from last.pt
                row["resumed_from"] = start_epoch - 1
            history.append(row)
            improved = is_better(val[cfg.monitor], best, cfg.monitor)
            if improved:
                best, best_epoch, best_val, bad_epochs = val[cfg.monitor], epoch, val, 0
                best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
                if best_path is not None and writer:
                    save_checkpoint(best_path, self._payload(epoch))
            else:
                bad_epochs += 1
            if last_path is not None and writer:
                save_checkpoint(last_path, self._payload(epoch, {
                    "optimizer": self.optimizer.state_dict(), "rng": torch.get_rng_state(),
                    "trainer": {"best": best, "best_epoch": best_epoch, "best_val": best_val, "history": history,
                                "bad_epochs": bad_epochs, "seconds": spent}}))
            if self.on_epoch is not None and writer:
                self.on_epoch({**row, "best_epoch": best_epoch, "improved": improved})
            if cfg.patience is not None and bad_epochs >= cfg.patience:
                stopped = True
                break
        if best_state is not None:
            self.model.load_state_dict(best_state)
        elif best_path is not None and best_path.is_file():  # resumed after the best epoch
            self.model.load_state_dict(load_checkpoint(best_path)["state_dict"])
        return FitResult(best_epoch, best_val, len(history), spent, history, stopped, start_epoch - 1)
