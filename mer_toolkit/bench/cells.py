"""Running one cell: the one function every path uses (in the bench process, a local worker, a Ray task or a
Slurm job), with one failure rule: any error of a cell is that cell's recorded failure, never the grid's end."""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import MerError
from .grid import Cell

__all__ = ["CellJob", "Outcome", "run_cell", "run_job", "describe_failure"]

Outcome = tuple[Literal["done", "failed"], Any]  # ("done", record) or ("failed", message)


@dataclass
class CellJob:
    """What travels to where a cell runs: the cell, the bench folder, whether to resume, CPU threads to use."""

    cell: Cell
    out: str
    resume: bool
    threads: int | None = None


def describe_failure(err: BaseException) -> str:
    """The message a failed cell records: the toolkit's own errors as written, others with their type."""
    return str(err) if isinstance(err, MerError) else f"{type(err).__name__}: {err}"


def run_cell(job: CellJob, registry: Any, on_epoch: Any = None) -> Outcome:
    """Train, select and test one cell: ``('done', record)``, or ``('failed', message)`` for any error."""
    from ..run.experiment import run_fold

    if job.threads:
        import torch

        torch.set_num_threads(job.threads)
    cell = job.cell
    try:
        rec = run_fold(cell.settings, cell.corpus, cell.fold, registry, run_dir=cell.run_dir(Path(job.out)),
                       model_name=cell.model, resume=job.resume, on_epoch=on_epoch,
                       source="bench")
    except Exception as err:  # noqa: BLE001 - the one failure rule: a cell's error is its record, the grid goes on
        return "failed", describe_failure(err)
    rec.update(cell.extra)
    return "done", rec


def run_job(payload: bytes) -> Outcome:
    """Entry point of a remote cell (Ray task, Slurm job): the payload is ``pickle((CellJob, registry))``."""
    job, registry = pickle.load(io.BytesIO(payload))
    return run_cell(job, registry)
