"""One cross-platform folder lock (the ``filelock`` package) for every writer that shares a folder with other
processes: the feature cache, a bench's results and its cell claims."""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock

__all__ = ["folder_lock"]


def folder_lock(folder: Path, timeout: float = -1) -> FileLock:
    """An exclusive lock on ``folder`` (its ``.lock`` file), used as ``with folder_lock(folder): ...``; re-entrant
    within a process, waits forever by default."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return FileLock(str(Path(folder) / ".lock"), timeout=timeout)
