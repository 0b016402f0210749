"""Where bench cells run when not one after another: local worker processes, Ray tasks or Slurm jobs.

Every launcher runs each ``CellJob`` through the same ``cells.run_cell`` as the serial bench, with the bench's
own registry, and yields ``(index, status, result)`` as cells finish; the bench process alone writes
``results.jsonl``. Local workers receive the registry and the corpora once, when they start, and each cell's
payload refers to them, so a grid of N cells does not pickle its features N times; a Ray task or Slurm job
receives its cell and the registry in one payload.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .cells import CellJob, run_cell, run_job

__all__ = ["LaunchOptions", "LAUNCHERS", "launch", "cpu_count", "parse_devices"]

LAUNCHERS = ("local", "ray", "slurm")


@dataclass
class LaunchOptions:
    """How to spread cells: launcher, concurrent jobs, CPU threads and devices per cell, cluster settings."""

    launcher: str = "local"
    jobs: int = 1
    devices: list[str] | None = None
    gpus_per_cell: float = 0.0
    ray_address: str | None = None
    slurm_partition: str | None = None
    slurm_time: int = 60
    slurm_folder: str | None = None
    slurm_cluster: str | None = None  # submitit's executor: None = auto (slurm), "local" in tests
    poll_seconds: float = 5.0

    @property
    def threads(self) -> int:
        """CPU threads per cell: the cores divided among the concurrent jobs."""
        return max(1, cpu_count() // max(1, self.jobs))


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def parse_devices(text: str | None) -> list[str] | None:
    """``'0,1'`` → ``['0', '1']`` (CUDA device indices, as CUDA_VISIBLE_DEVICES takes them)."""
    if not text:
        return None
    devices = [d.strip() for d in text.split(",") if d.strip()]
    if not devices or not all(d.isdigit() for d in devices):
        raise ConfigError(f"--devices '{text}': expected CUDA device indices, e.g. --devices 0,1")
    return devices


_WORKER_CORPORA: list[Any] = []  # the corpora a local worker received when it started; payloads refer to them
_WORKER_REGISTRY: list[Any] = []  # the bench's registry, received once by each local worker


def _corpus_refs(corpora: list[Any]) -> dict[int, tuple]:
    """``id(object) -> reference`` for each corpus and each of its samples."""
    refs: dict[int, tuple] = {}
    for k, corpus in enumerate(corpora):
        refs[id(corpus)] = ("corpus", k)
        refs.update((id(sample), ("sample", k, i)) for i, sample in enumerate(corpus.samples))
    return refs


class _ReferencingPickler(pickle.Pickler):
    """Pickles the given corpora and their samples as references instead of their contents."""

    def __init__(self, file: io.BytesIO, refs: dict[int, tuple]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.refs = refs

    def persistent_id(self, obj: Any) -> tuple | None:
        return self.refs.get(id(obj))


class _ReferenceUnpickler(pickle.Unpickler):
    """Resolves the references of a ``_ReferencingPickler`` payload against this worker's corpora."""

    def persistent_load(self, pid: tuple) -> Any:
        corpus = _WORKER_CORPORA[pid[1]]
        return corpus if pid[0] == "corpus" else corpus.samples[pid[2]]


def _dumps(obj: Any, refs: dict[int, tuple]) -> bytes:
    buffer = io.BytesIO()
    _ReferencingPickler(buffer, refs).dump(obj)
    return buffer.getvalue()


def _init_local_worker(devices: list[str] | None, counter: Any, corpora: list[Any] | None = None,
                       registry: Any = None) -> None:
    """Give this worker its device (round robin), the grid's corpora and the bench's registry; leave Ctrl-C and
    SIGTERM to the bench process (a forked worker would otherwise inherit its handlers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if corpora is not None:
        _WORKER_CORPORA[:] = corpora
    if registry is not None:
        _WORKER_REGISTRY[:] = [registry]
    with counter.get_lock():
        k = counter.value
        counter.value += 1
    if devices:
        os.environ["CUDA_VISIBLE_DEVICES"] = devices[k % len(devices)]


def _indexed(item: tuple[int, bytes]) -> tuple[int, str, Any]:
    job = _ReferenceUnpickler(io.BytesIO(item[1])).load()
    return (item[0], *run_cell(job, _WORKER_REGISTRY[0]))


def _start_method(opts: LaunchOptions) -> str:
    """``fork`` where it is safe, ``spawn`` elsewhere.

    A forked worker starts at once, with torch imported and the corpora in its memory; a spawned one pays
    a fresh interpreter's imports (about 4 s of CPU each) and receives the corpora pickled. Forking is
    unsafe after CUDA is initialised and for workers that run OpenMP regions on several threads (GNU
    OpenMP's pool does not survive a fork), so only single-thread CPU workers on Linux are forked, as
    torch's own DataLoader workers are.
    """
    import sys

    import torch

    cpu_only = not opts.devices and not torch.cuda.is_initialized()
    return "fork" if sys.platform == "linux" and cpu_only and opts.threads == 1 else "spawn"


@contextmanager
def _local(jobs: list[CellJob], opts: LaunchOptions, registry: Any) -> Iterator[Iterator[tuple[int, str, Any]]]:
    import multiprocessing as mp

    corpora = list({id(job.cell.corpus): job.cell.corpus for job in jobs}.values())
    refs = _corpus_refs(corpora)
    ctx = mp.get_context(_start_method(opts))
    pool = ctx.Pool(opts.jobs, initializer=_init_local_worker,
                    initargs=(opts.devices, ctx.Value("i", 0), corpora, registry))
    try:  # payloads are pickled lazily, while the workers start and train
        yield pool.imap_unordered(_indexed, ((k, _dumps(job, refs)) for k, job in enumerate(jobs)))
        pool.close()
    finally:
        pool.terminate()
        pool.join()


@contextmanager
def _ray(jobs: list[CellJob], opts: LaunchOptions, registry: Any) -> Iterator[Iterator[tuple[int, str, Any]]]:
    try:
        import ray
    except ImportError:
        raise ConfigError("--launcher ray needs Ray: pip install 'mer-toolkit[ray]'") from None
    started = not ray.is_initialized()
    if started:
        # A local instance started here runs its workers at normal priority: Ray renices them to 15 by
        # default, and on a machine with any other CPU load the cells then barely run (two tasks importing
        # torch beside two busy processes on 2 cores: 60 s at niceness 15, 5.5 s at 0).
        local = {} if opts.ray_address else {"num_cpus": cpu_count(), "_system_config": {"worker_niceness": 0}}
        ray.init(address=opts.ray_address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                 **local)
    task = ray.remote(num_cpus=opts.threads, num_gpus=opts.gpus_per_cell)(run_job)
    refs = {task.remote(pickle.dumps((job, registry))): k for k, job in enumerate(jobs)}

    def results() -> Iterator[tuple[int, str, Any]]:
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            yield (refs[ready[0]], *ray.get(ready[0]))

    try:
        yield results()
    finally:
        for ref in refs:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


@contextmanager
def _slurm(jobs: list[CellJob], opts: LaunchOptions, registry: Any) -> Iterator[Iterator[tuple[int, str, Any]]]:
    try:
        import submitit
    except ImportError:
        raise ConfigError("--launcher slurm needs submitit: pip install 'mer-toolkit[slurm]'") from None
    folder = Path(opts.slurm_folder or "slurm")
    executor = submitit.AutoExecutor(folder=str(folder / "%j"), cluster=opts.slurm_cluster)
    executor.update_parameters(timeout_min=opts.slurm_time, cpus_per_task=opts.threads,
                               gpus_per_node=int(opts.gpus_per_cell), slurm_array_parallelism=opts.jobs,
                               name="mer-bench",
                               **({"slurm_partition": opts.slurm_partition} if opts.slurm_partition else {}))
    submitted = executor.map_array(run_job, [pickle.dumps((job, registry)) for job in jobs])  # one job array

    def results() -> Iterator[tuple[int, str, Any]]:
        pending = dict(enumerate(submitted))
        while pending:
            done = [k for k, job in pending.items() if job.done()]
            if not done:
                time.sleep(opts.poll_seconds)
            for k in done:
                job = pending.pop(k)
                try:
                    yield (k, *job.result())
                except submitit.core.utils.FailedJobError as err:  # killed, out of time or memory
                    yield k, "failed", f"slurm job {job.job_id}: {str(err).splitlines()[0]}"

    try:
        yield results()
    finally:
        for job in submitted:
            if not job.done():
                job.cancel(check=False)


def launch(jobs: list[CellJob], opts: LaunchOptions, registry: Any) -> Any:
    """Run the jobs with ``registry``'s parts; a context manager yielding ``(index, status, result)`` in completion
    order. Leaving it stops what still runs."""
    if opts.launcher not in LAUNCHERS:
        raise ConfigError(f"--launcher '{opts.launcher}': expected one of {list(LAUNCHERS)}")
    return {"local": _local, "ray": _ray, "slurm": _slurm}[opts.launcher](jobs, opts, registry)
