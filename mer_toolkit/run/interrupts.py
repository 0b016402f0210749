"""SIGTERM handled like Ctrl-C, so a run that is told to stop writes its state first (benches and tuning)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["stop_on_signals"]


@contextmanager
def stop_on_signals(on_signal: Callable[[], None] | None = None) -> Iterator[None]:
    """Turn SIGTERM into the same path as Ctrl-C so state is written before exiting.

    With ``on_signal`` nothing is raised: the caller is told and stops at its next safe point (an epoch's end).
    """

    def handler(signum: int, frame: Any) -> None:
        if on_signal is not None:
            on_signal()
            return
        raise KeyboardInterrupt(f"signal {signum}")

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
