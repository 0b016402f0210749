"""Bad configs, failing runs and untrusted files through the real CLI: exit 2, one clear paragraph."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from mer_toolkit.testing import assert_clean_error, run_mer

CASES = {
    "yaml_syntax": ("model:\n  fusion: [concat\n  heads: x\n", ["bad.yaml:3:", "invalid YAML"]),
    "unknown_part": ("_base_: gated_mlp\nmodel:\n  fusion: gated_summ\n",
                     ["unknown fusion 'gated_summ'", "did you mean 'gated_sum'", "bad.yaml:3"]),
    "unknown_key": ("_base_: gated_mlp\nmodel:\n  heads:\n    emotion: {type: mlp, hiden: [3]}\n",
                    ["bad.yaml:4", "model.heads.emotion.hiden", "did you mean 'hidden'", "Allowed keys"]),
    "wrong_type": ("_base_: gated_mlp\ntrain:\n  epochs: many\n", ["train.epochs = 'many' has the wrong type",
                                                                   "expected int"]),
    "missing_required": ("_base_: gated_mlp\nmodel:\n  encoders: {text: features}\n  adapters: {_delete_: true}\n"
                         "  heads: {emotion: {_delete_: true, type: linear, in_dim: null}}\n"
                         "  fusion: {type: mean, dim: 0}\n", None),
    "base_cycle": ("_base_: bad.yaml\n", ["_base_ cycle", "bad.yaml -> ", "bad.yaml"]),
    "unknown_top": ("modle: {}\n", ["unknown top-level key(s) ['modle']"]),
    "not_a_mapping": ("- a\n- b\n", ["must hold a mapping at the top"]),
    "python_object": ("model: !!python/object/apply:os.system ['echo pwned']\n", ["bad.yaml", "invalid YAML"]),
}


@pytest.mark.parametrize("case", [c for c, (_, n) in CASES.items() if n is not None])
def test_bad_config_files(tmp_path: Path, case: str) -> None:
    text, needles = CASES[case]
    (tmp_path / "bad.yaml").write_text(text)
    proc = run_mer("train", "--config", str(tmp_path / "bad.yaml"), "--epochs", "1", "--out", str(tmp_path / "o"))
    assert_clean_error(proc, *needles)
    assert not (tmp_path / "o").exists()


def test_set_on_missing_path_and_missing_required_key(tmp_path: Path) -> None:
    assert_clean_error(run_mer("train", "--model", "gated_mlp", "--set", "model.fusoin.dim=3"),
                       "--set model.fusoin.dim", "did you mean 'fusion'")
    assert_clean_error(run_mer("train", "--model", "gated_mlp", "--set", "data.batch_sise=3"),
                       "'data' has no key 'batch_sise'", "did you mean 'batch_size'")
    (tmp_path / "m.yaml").write_text("_base_: gated_mlp\nmodel:\n  loss: {type: cross_entropy, class_weights: [1]}\n")
    assert_clean_error(run_mer("train", "--config", str(tmp_path / "m.yaml")), "class_weights has 1 values for 4")


def test_nan_loss_stops_with_advice(tmp_path: Path) -> None:
    proc = run_mer("train", "--model", "gated_mlp", "--epochs", "2", "--quiet", "--out", str(tmp_path / "nan"),
                   "--set", "train.lr=1e30", "--set", "train.grad_clip=null")
    assert_clean_error(proc, "the loss is nan", "lower train.lr")


def test_checkpoint_carrying_code_is_refused(tmp_path: Path) -> None:
    class Payload:
        def __reduce__(self):  # noqa: ANN204
            return (eval, ("__import__('pathlib').Path('PWNED').touch()",))

    evil = tmp_path / "best.pt"
    evil.write_bytes(pickle.dumps({"state_dict": Payload(), "config": {}, "data_spec": {}}))
    proc = run_mer("eval", str(evil), cwd=tmp_path)
    assert_clean_error(proc, "cannot be loaded safely")
    assert not (tmp_path / "PWNED").exists()


def test_same_seed_same_metrics_across_processes(tmp_path: Path) -> None:
    runs = []
    for k in range(2):
        proc = run_mer("train", "--model", "gated_mlp", "--epochs", "2", "--seed", "5", "--json", "--quiet",
                       "--out", str(tmp_path / f"r{k}"))
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout)[0]["metrics"])
    assert runs[0] == runs[1]


def test_debug_flag_shows_the_traceback() -> None:
    proc = run_mer("--debug", "train", "--model", "nope")
    assert proc.returncode != 0 and "Traceback" in proc.stderr
