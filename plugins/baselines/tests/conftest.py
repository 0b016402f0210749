"""Fixtures of the baselines' tests: one intra-op thread for tiny models, the shared real label files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Tiny models train faster on one thread than on several competing for the cores."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` next to the repository; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real dataset files not available: {SHARED_DATA} is absent")
    return SHARED_DATA
