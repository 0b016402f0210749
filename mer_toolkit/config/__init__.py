"""Run configs: YAML loading with ``_base_`` inheritance and provenance (``loading``), ``--set`` overrides
(``overrides``), the ``data`` / ``train`` sections (``sections``) and checked building of parts (``build``)."""

from __future__ import annotations

from .loading import MODEL_KEYS, MODEL_SLOTS, ResolvedConfig, load_yaml, model_parts, part_type, resolve_config

__all__ = ["ResolvedConfig", "load_yaml", "resolve_config", "part_type", "model_parts", "MODEL_SLOTS", "MODEL_KEYS"]
