"""mer-toolkit: multimodal emotion recognition with registries, plugins and a benchmark runner."""

from __future__ import annotations

from . import _moved
from .plugins.hookspecs import hookimpl

_moved.install()

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl", "get_registry", "list_parts", "create_model"]


def get_registry():  # noqa: ANN201 - avoids importing torch-heavy modules at package import
    """The registries with builtin parts and installed plugins loaded (loaded once, lazily)."""
    from .plugins.host import get_registry as _get

    return _get()


def list_parts(kind: str, pattern: str | None = None) -> list[str]:
    """Registered names of ``kind`` (``encoder``, ``fusion``, ``model``, ...), optionally fnmatch-filtered."""
    return get_registry().kind(kind).names(pattern)


def create_model(name_or_path: str, data_spec, overrides: list[str] | None = None):  # noqa: ANN001, ANN201
    """Build the ``ComposedModel`` of a registered model config or YAML file for ``data_spec``."""
    from .components.model import ComposedModel
    from .config import resolve_config

    reg = get_registry()
    cfg = resolve_config(name_or_path, reg, overrides)
    return ComposedModel.from_spec(cfg.data.get("model") or {}, data_spec, reg, cfg)
