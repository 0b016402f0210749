"""Fixtures shared by the encoder tests: a registry with the builtins, and a tiny offline text model."""

from __future__ import annotations

from pathlib import Path

import pytest

from hf_fixtures import save_tiny_text_model
from mer_toolkit.testing import fresh_registry


@pytest.fixture(scope="module")
def reg():
    return fresh_registry()


@pytest.fixture(scope="module")
def tiny_text(tmp_path_factory) -> Path:
    return save_tiny_text_model(tmp_path_factory.mktemp("models") / "tiny-bert")
