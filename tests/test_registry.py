"""Registry: registration forms, lookups, errors with suggestions, duplicates, staged commits."""

from __future__ import annotations

import pytest

from mer_toolkit.errors import PluginError, UnknownComponentError
from mer_toolkit.registry import Registries, Registry


def test_decorator_and_call_forms_register_and_info() -> None:
    reg = Registry("fusion")

    @reg.register("my_fusion")
    def build(in_dims: dict, dim: int = 4) -> object:
        """Builds a thing."""
        return object()

    reg.register("other", build, source="pkg")
    assert reg.names() == ["my_fusion", "other"]
    assert reg.get("my_fusion") is build
    info = reg.info("other")
    assert info["source"] == "pkg" and info["signature"].startswith("(in_dims") and "dim" in info["signature"]
    assert info["doc"] == "Builds a thing." and info["origin"].endswith("build")
    assert reg.names("my_*") == ["my_fusion"]


def test_unknown_name_suggests_close_matches() -> None:
    reg = Registry("fusion")
    for n in ("concat", "gated_sum", "mean"):
        reg.register(n, dict)
    with pytest.raises(UnknownComponentError) as exc:
        reg.get("concatt")
    err = exc.value
    assert isinstance(err, KeyError) and err.kind == "fusion" and err.key == "concatt"
    assert "did you mean 'concat'" in str(err) and "mer list fusion" in str(err)


def test_duplicate_from_another_source_names_both_and_override_is_explicit() -> None:
    reg = Registry("head")
    reg.register("linear", dict, source="builtin")
    with pytest.raises(PluginError) as exc:
        reg.register("linear", list, source="someplugin")
    assert "builtin" in str(exc.value) and "someplugin" in str(exc.value)
    reg.register("linear", list, source="someplugin", override=True)
    assert reg.get("linear") is list


def test_non_callable_part_is_refused() -> None:
    with pytest.raises(PluginError, match="not a class or factory"):
        Registry("encoder").register("x", 42)


def test_staged_registrations_commit_all_or_nothing() -> None:
    regs = Registries()
    regs.fusion.register("taken", dict)
    stage = regs.staged("plug")
    stage.head.register("new_head", dict)
    stage.fusion.register("taken", list)
    with pytest.raises(PluginError):
        stage.commit()
    assert "new_head" not in regs.head and regs.fusion.get("taken") is dict
    ok = regs.staged("plug2")
    ok.head.register("h2")(dict)
    assert ok.commit() == [("head", "h2")] and regs.head.entry("h2").source == "plug2"


def test_unknown_kind_lists_kinds() -> None:
    with pytest.raises(UnknownComponentError, match="did you mean 'fusion'"):
        Registries().kind("fusoin")


def test_second_registration_from_the_same_source_is_an_error() -> None:
    reg = Registry("fusion")
    reg.register("mine", dict, source="pkg")
    with pytest.raises(PluginError, match="'mine' is registered twice: by pkg .* and by pkg"):
        reg.register("mine", list, source="pkg")
    assert reg.get("mine") is dict
    regs = Registries()
    stage = regs.staged("plug")
    stage.fusion.register("twice", dict)
    stage.fusion.register("twice", list)
    with pytest.raises(PluginError, match="registered twice: by plug"):
        stage.commit()
    assert "twice" not in regs.fusion
