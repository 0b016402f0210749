"""Registry: registration forms, lookups, errors with suggestions, duplicates, staged commits."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from mer_toolkit.errors import PluginError, UnknownComponentError
from mer_toolkit.plugins.registry import ConfigRegistry, DatasetInfo, Registries, Registry


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


def test_decorator_form_keeps_source_doc_and_override() -> None:
    reg = Registry("fusion")
    assert reg.register("plain", dict) is dict and reg.entry("plain").source == "builtin"

    @reg.register("spec", source="pkg", doc="A documented spec.")
    def spec() -> dict:
        return {}

    e = reg.entry("spec")
    assert (e.source, e.doc, e.meta, e.summary) == ("pkg", "A documented spec.", None, "A documented spec.")
    reg.register("spec", source="other", override=True)(list)
    assert reg.get("spec") is list and reg.entry("spec").source == "other"


def test_model_configs_are_paths_or_mappings_in_their_own_registry(tmp_path: Path) -> None:
    regs = Registries()
    assert isinstance(regs.model, ConfigRegistry) and not isinstance(regs.fusion, ConfigRegistry)
    regs.model.register("inline", {"model": {}})
    regs.model.register("file", str(tmp_path / "m.yaml"), doc="From a file.")
    assert regs.model.entry("inline").origin == "<inline config>" and regs.model.info("inline")["signature"] == ""
    assert regs.model.get("file") == str(tmp_path / "m.yaml") and regs.model.entry("file").summary == "From a file."
    with pytest.raises(PluginError, match="model 'code' from builtin is function; a model config is the path"):
        regs.model.register("code", lambda: {})
    with pytest.raises(PluginError, match="is dict, not a class or factory"):
        regs.fusion.register("data", {"a": 1})


def test_registration_metadata_is_typed_per_kind() -> None:
    """Datasets declare layout / metric / audio; a typo or a value out of range is an error naming it, and the
    other kinds declare nothing (their extra keys used to be stored and ignored)."""
    reg = Registry("dataset")
    reg.register("ok", dict, layout="Actor_*", metric="ua", audio="speech")
    assert reg.entry("ok").meta == DatasetInfo(layout="Actor_*", metric="ua", audio=("speech",))
    assert reg.info("ok")["layout"] == "Actor_*" and reg.entry("ok").meta.audio == ("speech",)
    assert Registry("dataset").register("bare", dict) is dict
    with pytest.raises(PluginError, match=r"unknown registration key\(s\) \['metrc'\]; did you mean 'metric'\?"):
        reg.register("typo", dict, metrc="ua")
    with pytest.raises(PluginError, match=r"metric= must be one of \['wa', 'ua', 'wf1', 'macro_f1', 'loss'\], got 'acc'"):
        reg.register("acc", dict, metric="acc")
    with pytest.raises(PluginError, match="audio= must name the modalities"):
        reg.register("noaudio", dict, audio=[""])
    with pytest.raises(PluginError, match=r"fusion 'f' from builtin: unknown registration key\(s\) \['layout'\]"):
        Registry("fusion").register("f", dict, layout="*")


def test_origin_signature_and_info_fields() -> None:
    reg = Registry("loss")
    reg.register("part", functools.partial(dict, a=1), source="pkg")
    reg.register("builtin_type", dict)
    assert reg.entry("part").origin == "partial"  # no __qualname__: the type's name
    info = reg.info("part")
    assert set(info) == {"kind", "name", "signature", "doc", "origin", "source"}
    assert (info["kind"], info["name"], info["source"]) == ("loss", "part", "pkg")
    assert reg.info("builtin_type")["signature"] == "(...)"  # dict has no introspectable signature


@pytest.mark.parametrize("name", ["", " padded", 3])
def test_bad_names_are_refused_naming_the_source(name: object) -> None:
    with pytest.raises(PluginError, match="is not a non-empty string") as exc:
        Registry("head").register(name, dict, source="pkg")  # type: ignore[arg-type]
    assert exc.value.plugin == "pkg" and repr(name) in str(exc.value)


def test_lookups_name_the_place_and_filter_by_source() -> None:
    reg = Registry("fusion")
    reg.register("a", dict, source="p1")
    reg.register("b", dict, source="p2")
    assert reg.names(source="p1") == ["a"] and list(reg) == ["a", "b"] and len(reg) == 2
    assert [(e.name, e.source) for e in reg.entries()] == [("a", "p1"), ("b", "p2")]
    with pytest.raises(UnknownComponentError, match=r"\(at model.fusion\)"):
        reg.get("c", where="model.fusion")
    reg.unregister("not-there")
    reg.unregister("a")
    assert "a" not in reg
    with pytest.raises(UnknownComponentError) as exc:
        Registries().kind("nope")
    assert exc.value.kind == "kind"
    assert [e.name for e in Registries().find("x")] == []


def test_staged_registrations_take_the_plugin_source_and_roll_back_overrides() -> None:
    regs = Registries()
    regs.fusion.register("taken", dict)
    stage = regs.staged("plug")
    assert stage.fusion.kind == "fusion" and stage.fusion.names() == ["taken"]  # reads go to the registry
    stage.fusion.register("taken", list, source="spoofed", override=True, doc="Replacement.")
    stage.head.register("new", set, path="new.yaml")
    stage.head.register("new", tuple)  # second registration of one name by one plugin: fails the commit
    with pytest.raises(PluginError):
        stage.commit()
    assert regs.fusion.get("taken") is dict and regs.fusion.entry("taken").source == "builtin"
    assert "new" not in regs.head
    ok = regs.staged("plug")
    ok.fusion.register("taken", source="spoofed", override=True, doc="Replacement.")(list)
    assert ok.commit() == [("fusion", "taken")]
    e = regs.fusion.entry("taken")
    assert (e.obj, e.source, e.doc) == (list, "plug", "Replacement.")


def test_errors_name_the_source_and_defaults_of_entries_without_docs() -> None:
    reg = Registry("encoder")
    with pytest.raises(PluginError, match="encoder 'x' from pkg is int, not a class or factory") as exc:
        reg.register("x", 42, source="pkg")
    assert exc.value.plugin == "pkg"
    reg.register("quiet", lambda: None, source="pkg")
    assert reg.entry("quiet").doc == "" and reg.entry("quiet").summary == ""
    with pytest.raises(PluginError) as exc:
        reg.register("quiet", dict, source="other")
    assert exc.value.plugin == "other"
    models = ConfigRegistry("model")
    models.register("spec", {"model": {}})
    assert (models.entry("spec").origin, models.entry("spec").doc) == ("<inline config>", "")


def test_find_returns_every_kind_holding_a_name() -> None:
    regs = Registries()
    regs.fusion.register("same", dict)
    regs.head.register("same", list)
    assert [(e.kind, e.obj) for e in regs.find("same")] == [("fusion", dict), ("head", list)]
