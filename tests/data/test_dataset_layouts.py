"""A corpus folder given as data.dataset is recognised by the release layout its dataset declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from mer_toolkit.data.dataset_choice import dataset_node, detect_layout
from mer_toolkit.plugins import get_registry
from mer_toolkit.errors import DataError
from mer_toolkit.testing import fresh_registry


@pytest.mark.parametrize("name,entry", [("ravdess", "Actor_01"), ("iemocap", "Session1"), ("meld", "train_sent_emo.csv"),
                                        ("m3ed", "annotation.json"), ("mosi", "text_train.csv"),
                                        ("emobox", "data.seg.wrd.stm"), ("emodb", "wav/03a01Wa.wav"),
                                        ("nemo", "data.tsv"), ("nemo", "data_full.tsv")])
def test_builtin_release_layouts_are_recognised(tmp_path: Path, name: str, entry: str) -> None:
    (tmp_path / entry).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / entry).mkdir() if "." not in entry else (tmp_path / entry).write_text("")
    assert dataset_node(str(tmp_path), get_registry()) == {"type": name, "root": str(tmp_path)}


def test_a_plugin_dataset_declares_its_own_layout(tmp_path: Path) -> None:
    registry = fresh_registry()
    registry.dataset.register("mine", lambda root: None, source="plug", layout="*.mine")
    (tmp_path / "x.mine").write_text("")
    assert detect_layout(str(tmp_path), registry) == "mine"
    assert detect_layout(str(tmp_path), fresh_registry()) is None


def test_an_unknown_folder_is_refused_with_the_known_layouts(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"not in a known release layout \(.*ravdess Actor_\*.*\); use a dataset name"):
        dataset_node(str(tmp_path), get_registry())
