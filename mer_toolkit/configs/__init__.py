"""Builtin model configs (YAML files in ``models/``), registered as ``model`` entries by file name."""

from __future__ import annotations

from pathlib import Path

from ..plugins.hookspecs import hookimpl

MODELS_DIR = Path(__file__).parent / "models"


def register_config_dir(registry, directory: Path) -> None:  # noqa: ANN001 - staged registry view
    """Register every ``*.yaml`` in ``directory`` as a model named after the file (helper for plugins)."""
    import yaml

    for path in sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_")):
        text = path.read_text(encoding="utf-8")
        try:
            desc = (yaml.safe_load(text) or {}).get("description", "")
        except yaml.YAMLError:
            desc = ""
        registry.model.register(path.stem, str(path), doc=str(desc or ""))


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    register_config_dir(registry, MODELS_DIR)
