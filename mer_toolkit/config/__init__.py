"""Run configs: YAML loading with ``_base_`` inheritance and provenance (``loading``), merging rules (``tree``),
``--set`` overrides (``overrides``), the ``data`` / ``train`` sections (``sections``), the metric names
(``metrics``) and checked building of parts (``build``)."""

from __future__ import annotations

from typing import Any

from .build import check_sections
from .loading import ResolvedConfig, load_config, load_yaml
from .overrides import apply_overrides
from .tree import MODEL_KEYS, MODEL_SLOTS, model_parts, part_type

__all__ = ["ResolvedConfig", "load_yaml", "load_config", "resolve_config", "part_type", "model_parts", "MODEL_SLOTS",
           "MODEL_KEYS"]


def resolve_config(ref: str | dict[str, Any], registry: Any, overrides: list[str] | None = None) -> ResolvedConfig:
    """Load a config file or registered model, resolve its ``_base_`` chain, apply ``--set`` overrides and check the
    ``data`` / ``train`` sections, so that a wrong value fails here, before any data is read or any feature extracted."""
    cfg = load_config(ref, registry)
    if overrides:
        apply_overrides(cfg, overrides)
    check_sections(cfg)
    return cfg
