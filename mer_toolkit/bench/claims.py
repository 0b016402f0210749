"""Cell claims: before training a cell a bench claims it in ``OUT/claims/`` (one file with its pid, host and a
heartbeat), so that two benches on one folder — two shells, a Slurm array, a rerun while a bench still runs —
never train or record a cell twice. A claim whose owner is gone is taken over: on the same host when its process
no longer exists, elsewhere when its heartbeat is older than ``stale_after`` seconds."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from ..locking import folder_lock
from ..results.records import read_records, record_key
from ..run.distributed import dist_info

__all__ = ["Claims", "ClaimState", "STALE_SECONDS", "HEARTBEAT_SECONDS"]

STALE_SECONDS = 120.0
HEARTBEAT_SECONDS = 15.0
ClaimState = Literal["mine", "settled", "busy"]


def _file_name(key: Iterable[Any]) -> str:
    return hashlib.sha1(json.dumps(list(key)).encode()).hexdigest()[:20] + ".json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class Claims:
    """The claims this bench holds in ``out``; a context manager that heartbeats them and releases them on exit."""

    def __init__(self, out: Path, *, stale_after: float | None = None, heartbeat: float = HEARTBEAT_SECONDS) -> None:
        self.out = Path(out)
        self.folder = self.out / "claims"
        self.stale_after = stale_after if stale_after is not None else float(
            os.environ.get("MER_CLAIM_STALE_SECONDS", STALE_SECONDS))
        self.heartbeat = heartbeat
        self.owner = {"pid": os.getpid(), "host": platform.node()}
        self.started = time.time()
        self.held: dict[str, Path] = {}
        # under torchrun every rank runs every cell together: the ranks take no claims (one bench, many processes)
        self.shared_run = dist_info().world > 1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Claims:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._beat, name="mer-claims-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for key in list(self.held):
            self._drop(key)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            for path in list(self.held.values()):
                try:
                    os.utime(path)
                except FileNotFoundError:  # released meanwhile
                    pass

    def owner_of(self, path: Path) -> dict[str, Any] | None:
        """The live owner of a claim file, or None when there is none (no file, or its owner is gone)."""
        try:
            owner = json.loads(path.read_text())
            beat = path.stat().st_mtime
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if owner.get("host") == self.owner["host"]:
            return owner if _alive(int(owner.get("pid", -1))) else None
        return owner if time.time() - beat <= self.stale_after else None

    def take(self, key: tuple[Any, ...]) -> tuple[ClaimState, dict[str, Any] | None]:
        """Claim the cell ``key`` unless it is settled (recorded, or failed since this bench started) or a live
        bench holds it; returns the state and, when busy, that bench's pid and host."""
        name = _file_name(key)
        if name in self.held or self.shared_run:
            return "mine", None
        with folder_lock(self.out):
            if self._settled(key):
                return "settled", None
            path = self.folder / name
            owner = self.owner_of(path)
            if owner is not None and owner != self.owner:
                return "busy", owner
            path.write_text(json.dumps({**self.owner, "cell": list(key), "since": time.time()}))
            self.held[name] = path
        return "mine", None

    def release(self, key: tuple[Any, ...]) -> None:
        """Give the claim up (the cell's record or failure is written)."""
        self._drop(_file_name(key))

    def _drop(self, name: str) -> None:
        path = self.held.pop(name, None)
        if path is not None:
            path.unlink(missing_ok=True)

    def _settled(self, key: tuple[Any, ...]) -> bool:
        if any(record_key(r) == key for r in read_records(self.out / "results.jsonl")):
            return True
        return any(tuple(f.get("key") or ()) == key and f.get("time", 0) >= self.started
                   for f in read_records(self.out / "failures.jsonl"))
