"""Fixtures of the toolkit tests (helpers for the CLI live in ``mer_toolkit.testing``)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` next to the repository; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real dataset files not available: {SHARED_DATA} is absent")
    return SHARED_DATA
