"""Pytest plugin (entry point ``pytest11``): the fixtures ``mer_registry`` and ``tiny_batch`` for plugin authors.

It imports nothing heavy at start-up, so a pytest session in an environment with mer-toolkit installed
does not load torch until a test asks for one of these fixtures; the helpers are in ``mer_toolkit.testing``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def mer_registry() -> Any:
    """Registries holding only the builtin parts."""
    from .testing import fresh_registry

    return fresh_registry()


@pytest.fixture
def tiny_batch() -> Callable[..., Any]:
    """Factory: ``tiny_batch(layout='pooled', modalities=('text', 'audio'), ...)`` → ``Batch``."""
    from .testing import make_tiny_batch

    return make_tiny_batch
