"""Builtin encoders of raw text and audio (registered through the plugin hook)."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    """Nothing yet beyond the ``features`` encoder of ``mer_toolkit.components``."""
