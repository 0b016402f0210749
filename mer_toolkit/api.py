"""The one module plugin authors import: hooks, registry access, the part contracts and shared building blocks.

Everything a plugin needs to register fusion strategies, encoders, losses, datasets or model configs, and to
write parts that fit the toolkit's slots, is importable from here. Names resolve on first use, so a
plugin's registration module that imports only ``hookimpl`` and ``register_config_dir`` stays free of torch
(``mer list`` does not pay for it). Modules elsewhere in the package may move; this one is kept stable.

Example::

    from mer_toolkit.api import PartOutput, hookimpl, masked_mean

    @hookimpl
    def mer_register_parts(registry):
        registry.fusion.register("my.fusion", "my_pkg.fusion:MyFusion")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, eagerly, for type checkers and the API reference
    from .components.adapters import mlp
    from .components.contracts import (Adapter, EmitsLosses, Encoder, Fusion, Head, Interaction, Loss,
                                       SplitProtocol, check_contract)
    from .components.heads import LinearHead, MLPHead
    from .components.losses import LossOutput, TermLoss
    from .components.parts import PartOutput, masked_mean, masked_stats, uniform_weights
    from .components.recurrent import DialogueLayout, final_states, run_lstm
    from .configs import register_config_dir
    from .data.corpus import Corpus, Fold, Protocol
    from .data.sample import Batch, Sample, Waveform
    from .errors import ConfigError, DataError, MerError, PluginError, RunError, UnknownComponentError
    from .plugins.hookspecs import hookimpl
    from .plugins.registry import DatasetInfo
    from .testing import check_part

#: public name → the module that defines it (imported when the name is first used)
_SOURCES: dict[str, str] = {
    # hooks and registries
    "hookimpl": "plugins.hookspecs",
    "register_config_dir": "configs",
    "DatasetInfo": "plugins.registry",
    # the part contracts and what parts return
    "Encoder": "components.contracts", "Adapter": "components.contracts", "Interaction": "components.contracts",
    "Fusion": "components.contracts", "Head": "components.contracts", "Loss": "components.contracts",
    "SplitProtocol": "components.contracts", "EmitsLosses": "components.contracts",
    "check_contract": "components.contracts",
    "PartOutput": "components.parts", "LossOutput": "components.losses", "TermLoss": "components.losses",
    # data that parts and datasets see
    "Batch": "data.sample", "Sample": "data.sample", "Waveform": "data.sample",
    "Corpus": "data.corpus", "Fold": "data.corpus", "Protocol": "data.corpus",
    # shared building blocks
    "mlp": "components.adapters", "LinearHead": "components.heads", "MLPHead": "components.heads",
    "masked_mean": "components.parts", "masked_stats": "components.parts", "uniform_weights": "components.parts",
    "run_lstm": "components.recurrent", "final_states": "components.recurrent",
    "DialogueLayout": "components.recurrent",
    # checking a part in a plugin's own tests
    "check_part": "testing",
    # errors a plugin raises or catches
    "MerError": "errors", "ConfigError": "errors", "DataError": "errors", "RunError": "errors",
    "PluginError": "errors", "UnknownComponentError": "errors",
}
_FUNCTIONS = ("get_registry", "list_parts", "create_model")

__all__ = sorted([*_SOURCES, *_FUNCTIONS])


def get_registry() -> Any:
    """The registries with builtin parts and installed plugins loaded (loaded once, lazily)."""
    from .plugins.host import get_registry as _get

    return _get()


def list_parts(kind: str, pattern: str | None = None) -> list[str]:
    """Registered names of ``kind`` (``encoder``, ``fusion``, ``model``, ...), optionally fnmatch-filtered."""
    return get_registry().kind(kind).names(pattern)


def create_model(name_or_path: str, data_spec: Any, overrides: list[str] | None = None) -> Any:
    """Build the ``ComposedModel`` of a registered model config or YAML file for ``data_spec``."""
    from .components.model import ComposedModel
    from .config import resolve_config

    reg = get_registry()
    cfg = resolve_config(name_or_path, reg, overrides)
    return ComposedModel.from_spec(cfg.data.get("model") or {}, data_spec, reg, cfg)


def __getattr__(name: str) -> Any:
    """Import a public name's defining module on first use (PEP 562)."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'mer_toolkit.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
