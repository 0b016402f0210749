"""Import paths of modules that moved into the stage packages keep working, with a ``DeprecationWarning`` that
names the new path (as timm does for its moved modules): ``import mer_toolkit.train`` gives
``mer_toolkit.run.trainer`` itself, so classes, functions and monkeypatching are shared with the new path."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

__all__ = ["MOVED", "install"]

MOVED: dict[str, str] = {
    "mer_toolkit.build": "mer_toolkit.config.build",
    "mer_toolkit.overrides": "mer_toolkit.config.overrides",
    "mer_toolkit.sections": "mer_toolkit.config.sections",
    "mer_toolkit.contracts": "mer_toolkit.components.contracts",
    "mer_toolkit.parts": "mer_toolkit.components.parts",
    "mer_toolkit.model": "mer_toolkit.components.model",
    "mer_toolkit.dataset_choice": "mer_toolkit.data.dataset_choice",
    "mer_toolkit.train": "mer_toolkit.run.trainer",
    "mer_toolkit.experiment": "mer_toolkit.run.experiment",
    "mer_toolkit.distributed": "mer_toolkit.run.distributed",
    "mer_toolkit.tracking": "mer_toolkit.run.tracking",
    "mer_toolkit.metrics": "mer_toolkit.run.metrics",
    "mer_toolkit.inference": "mer_toolkit.run.inference",
    "mer_toolkit.launchers": "mer_toolkit.bench.launchers",
    "mer_toolkit.tune": "mer_toolkit.bench.tune",
    "mer_toolkit.search": "mer_toolkit.bench.search",
    "mer_toolkit.report": "mer_toolkit.results.report",
    "mer_toolkit.stats": "mer_toolkit.results.stats",
    "mer_toolkit.published": "mer_toolkit.results.published",
    "mer_toolkit.hookspecs": "mer_toolkit.plugins.hookspecs",
    "mer_toolkit.registry": "mer_toolkit.plugins.registry",
}


class _MovedLoader(importlib.abc.Loader):
    """Hands out the module at its new path under the old name, leaving the module's own spec untouched."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{self.old} moved to {self.new}; import it from there (the old path will be removed)",
                      DeprecationWarning, stacklevel=2)
        module = importlib.import_module(self.new)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.spec  # the import system set the old name's spec on the shared module object


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _MovedLoader(fullname, new))


def install() -> None:
    """Put the finder in front of the import system once per interpreter."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
