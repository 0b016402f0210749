"""Parts and plugins: the registries (``registry``), the pluggy hooks (``hookspecs``) and the plugin host that
loads builtins and entry-point plugins into the registries (``host``)."""

from __future__ import annotations

from typing import Any

__all__ = ["get_registry", "get_host", "installed_plugins", "reset"]


def __getattr__(name: str) -> Any:  # the host imports pluggy and the registries: only when asked for
    if name in __all__ or name in ("PluginHost", "PluginInfo", "PluginLoadFailure", "ENTRY_POINT_GROUP",
                                   "DEFAULT_PLUGINS"):
        from . import host

        return getattr(host, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
