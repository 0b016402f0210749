"""User-facing errors: each carries one paragraph that names where the problem is and what was expected.

The CLI prints ``MerError`` messages without a traceback (``--debug`` shows it); any other exception
is a bug in the toolkit or a plugin.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "MerError",
    "ConfigError",
    "DataError",
    "PluginError",
    "UnknownComponentError",
    "RunError",
    "close_matches",
]


class MerError(Exception):
    """Base class of every error the toolkit reports to a user as one clear paragraph."""

    exit_code = 2


class ConfigError(MerError, ValueError):
    """A configuration file, key or override is invalid; the message names the file and key path."""


class DataError(MerError, ValueError):
    """A dataset file or folder is missing or malformed; the message names the file (and row)."""


class RunError(MerError, RuntimeError):
    """A training or evaluation run cannot continue (NaN loss, incompatible checkpoint, ...)."""


class PluginError(MerError, RuntimeError):
    """A plugin failed to load or registered something invalid."""

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        super().__init__(message)
        self.plugin = plugin


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` candidates that look like ``word`` (for "did you mean ..." hints)."""
    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.5)


class UnknownComponentError(MerError, KeyError):
    """A name is not registered in a registry kind; the message suggests close matches."""

    def __init__(self, kind: str, key: str, known: Iterable[str], where: str | None = None) -> None:
        self.kind = kind
        self.key = key
        known = sorted(known)
        hints = close_matches(key, known)
        msg = f"unknown {kind} '{key}'"
        if where:
            msg += f" (at {where})"
        if hints:
            msg += f"; did you mean {', '.join(repr(h) for h in hints)}?"
        msg += f" Run `mer list {kind}` to see all {len(known)} registered {kind} names."
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise print the message in quotes
        return str(self.args[0])
