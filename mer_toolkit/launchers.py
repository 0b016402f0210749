"""Where bench cells run when not one after another: local worker processes, Ray tasks or Slurm jobs.

Every launcher sends each cell as a pickled payload to ``run_cell`` and yields ``(index, status, result)``
as cells finish; the bench process alone writes ``results.jsonl``. A cell's error is its result
(``failed``), never the end of the grid.
"""

from __future__ import annotations

import os
import pickle
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, MerError

__all__ = ["LaunchOptions", "LAUNCHERS", "launch", "run_cell", "cpu_count", "parse_devices"]

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


def run_cell(payload: bytes) -> tuple[str, Any]:
    """Train one cell in this process: ``('done', record)`` or ``('failed', message)``."""
    import torch

    from .experiment import run_fold
    from .plugins import get_registry

    cell, out, resume, epochs, device, amp, threads = pickle.loads(payload)  # noqa: S301 - our own payload
    torch.set_num_threads(threads)
    try:
        rec = run_fold(cell.cfg, cell.corpus, cell.fold, get_registry(), run_dir=cell.run_dir(Path(out)),
                       seed=cell.seed, model_name=cell.model, resume=resume, epochs=epochs, device=device, amp=amp)
    except Exception as err:  # noqa: BLE001 - any error of one cell is recorded and the grid goes on
        return "failed", str(err) if isinstance(err, MerError) else f"{type(err).__name__}: {err}"
    rec.update(cell.extra)
    return "done", rec


def _init_local_worker(devices: list[str] | None, counter: Any) -> None:
    """Give this worker its device (round robin) and leave Ctrl-C to the bench process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with counter.get_lock():
        k = counter.value
        counter.value += 1
    if devices:
        os.environ["CUDA_VISIBLE_DEVICES"] = devices[k % len(devices)]


def _indexed(item: tuple[int, bytes]) -> tuple[int, str, Any]:
    return (item[0], *run_cell(item[1]))


@contextmanager
def _local(payloads: list[bytes], opts: LaunchOptions) -> Iterator[Iterator[tuple[int, str, Any]]]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # no fork of a process that may hold CUDA or OpenMP state
    pool = ctx.Pool(opts.jobs, initializer=_init_local_worker, initargs=(opts.devices, ctx.Value("i", 0)))
    try:
        yield pool.imap_unordered(_indexed, list(enumerate(payloads)))
        pool.close()
    finally:
        pool.terminate()
        pool.join()


@contextmanager
def _ray(payloads: list[bytes], opts: LaunchOptions) -> Iterator[Iterator[tuple[int, str, Any]]]:
    try:
        import ray
    except ImportError:
        raise ConfigError("--launcher ray needs Ray: pip install 'mer-toolkit[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=opts.ray_address, num_cpus=None if opts.ray_address else cpu_count(),
                 include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    task = ray.remote(num_cpus=opts.threads, num_gpus=opts.gpus_per_cell)(run_cell)
    refs = {task.remote(p): k for k, p in enumerate(payloads)}

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
def _slurm(payloads: list[bytes], opts: LaunchOptions) -> Iterator[Iterator[tuple[int, str, Any]]]:
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
    jobs = executor.map_array(run_cell, payloads)  # one job array for the grid

    def results() -> Iterator[tuple[int, str, Any]]:
        pending = dict(enumerate(jobs))
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
        for job in jobs:
            if not job.done():
                job.cancel(check=False)


def launch(payloads: list[bytes], opts: LaunchOptions) -> Any:
    """Context manager yielding ``(index, status, result)`` in completion order; leaving it stops what still runs."""
    if opts.launcher not in LAUNCHERS:
        raise ConfigError(f"--launcher '{opts.launcher}': expected one of {list(LAUNCHERS)}")
    return {"local": _local, "ray": _ray, "slurm": _slurm}[opts.launcher](payloads, opts)
