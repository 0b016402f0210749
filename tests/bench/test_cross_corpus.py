"""Cross-corpus cells: train and select on one corpus, test on every utterance of another over shared emotions."""

from __future__ import annotations

from pathlib import Path

import pytest

from mer_toolkit.cli.main import main
from mer_toolkit.data.corpus import Corpus
from mer_toolkit.data.cross_corpus import read_label_map, restrict, shared_labels
from mer_toolkit.data.sample import Sample
from mer_toolkit.errors import ConfigError, DataError
from mer_toolkit.results.report import summarize
from mer_toolkit.results import read_records


def corpus(name: str, labels: list[str], per_label: int = 2) -> Corpus:
    samples = [Sample(f"{name}{k}-{i}", k, {"text": "x"}) for k in range(len(labels)) for i in range(per_label)]
    return Corpus(name, labels, samples + [Sample(f"{name}-unlabelled", -1, {"text": "x"})])


def test_labels_are_matched_by_name_and_map() -> None:
    train = corpus("a", ["anger", "joy", "neutral", "sadness"])
    test = corpus("b", ["Angry", "Happy", "Neutral", "Calm", "Sad"])
    assert shared_labels(train, corpus("c", ["Neutral", "JOY", "fear"]), {}) == ["joy", "neutral"]  # case-blind
    mapping = {"angry": "anger", "happy": "joy", "sad": "sadness", "calm": None}
    labels = shared_labels(train, test, mapping)
    assert labels == ["anger", "joy", "neutral", "sadness"]
    part = restrict(test, labels, mapping, "b")
    assert part.label_names == labels and len(part.samples) == 8  # 'Calm' and the unlabelled utterance are dropped
    assert [s.label for s in part.samples if s.id.startswith("b4")] == [3, 3]  # Sad -> sadness, index 3 of A
    assert [s.label for s in part.samples if s.id.startswith("b0")] == [0, 0]


def test_too_few_shared_labels_and_bad_maps_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"'b' has \['x', 'z'\]\. Give --label-map FILE mapping the test corpus's "
                                        r"labels to the training corpus's$"):
        shared_labels(corpus("a", ["x", "y"]), corpus("b", ["x", "z"]), {})
    with pytest.raises(ConfigError, match=r"\['nope'\] are not labels of 'b'"):
        shared_labels(corpus("a", ["x", "y"]), corpus("b", ["x", "z"]), {"nope": "y"})
    bad = tmp_path / "map.yaml"
    bad.write_text("- angry\n- anger\n")
    with pytest.raises(ConfigError, match=r"expected a mapping of label names .* got list: \['angry', 'anger'\]$"):
        read_label_map(str(bad))
    bad.write_text("1: anger\n")
    with pytest.raises(ConfigError, match=r"got dict: \{1: 'anger'\}$"):
        read_label_map(str(bad))
    with pytest.raises(ConfigError, match=r"^--label-map '\S+absent.yaml': cannot read it \(FileNotFoundError: .*\); "
                                          r"expected a YAML or JSON mapping of test-corpus labels to training-corpus "
                                          r"labels, e.g. \{angry: anger\}$"):
        read_label_map(str(tmp_path / "absent.yaml"))


def test_label_maps_read_from_yaml_and_json_case_blind(tmp_path: Path) -> None:
    yaml_map, json_map = tmp_path / "m.yaml", tmp_path / "m.json"
    yaml_map.write_text("Angry: Anger\nCalm: null\n")
    json_map.write_text('{"Angry": "Anger", "Calm": null}')  # also valid YAML: JSON files are read as JSON
    expected = {"angry": "anger", "calm": None}
    assert read_label_map(str(yaml_map)) == expected and read_label_map(str(json_map)) == expected
    json_map.write_text('{"Angry": "Anger",}')  # a trailing comma: YAML reads it, JSON does not
    with pytest.raises(ConfigError, match=r"cannot read it \(JSONDecodeError: "):
        read_label_map(str(json_map))
    assert read_label_map(None) == {} and read_label_map("") == {}


def other_demo(**options) -> Corpus:
    """A second corpus: demo drawn with another seed, its utterances renamed (a corpus of its own)."""
    import dataclasses

    from mer_toolkit.data.datasets.demo import make_demo

    base = make_demo(**{**options, "seed": 7})
    return Corpus("demo7", base.label_names, [dataclasses.replace(s, id=f"d7_{s.id}") for s in base.samples])


def test_bench_cross_corpus_cells(tmp_path: Path) -> None:
    from mer_toolkit.bench.grid import plan_grid
    from mer_toolkit.bench.runner import run_bench
    from mer_toolkit.testing import fresh_registry

    reg = fresh_registry(entry_points=False)
    reg.dataset.register("demo7", other_demo)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("sad: null\n")
    opts = ["data.dataset_options.dialogues=40"]
    cells = plan_grid(["concat_mlp"], ["demo"], [1], reg, overrides=opts, epochs=1, test_datasets=["demo7"],
                      label_map=str(mapping))
    (rec,) = run_bench(cells, tmp_path / "x", reg, resume=False)
    assert rec["dataset"] == "demo->demo7" and rec["protocol"] == "official->demo7"
    assert rec["cross_corpus"] == {"train": "demo", "test": "demo7", "labels": ["angry", "happy", "neutral"],
                                   "label_map": {"sad": None}}
    assert rec["label_names"] == ["angry", "happy", "neutral"]
    whole = other_demo(dialogues=40)
    assert rec["sizes"]["test"] == sum(1 for s in whole.samples if s.label != 3)  # all of demo7 but 'sad', every split
    assert [r["dataset"] for r in read_records(tmp_path / "x" / "results.jsonl")] == ["demo->demo7"]
    assert summarize([rec])[0]["dataset"] == "demo->demo7"
    with pytest.raises(DataError, match="also in the test split"):  # the same corpus on both sides leaks
        plan_grid(["concat_mlp"], ["demo"], [1], reg, overrides=opts, epochs=1, test_datasets=["demo"],
                  label_map=str(mapping))


def test_label_map_needs_a_test_dataset(tmp_path: Path, capsys) -> None:
    assert main(["bench", "--model", "concat_mlp", "--dataset", "demo", "--label-map", "m.yaml",
                 "--out", str(tmp_path / "y")]) == 2
    assert "--test-dataset" in capsys.readouterr().err
