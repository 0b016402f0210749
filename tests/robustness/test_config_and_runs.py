"""Bad configs, failing runs and untrusted files through the real CLI: exit 2, one clear paragraph."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from mer_toolkit.testing import assert_clean_error, run_mer, run_mer_process

CASES = {
    "yaml_syntax": ("model:\n  fusion: [concat\n  heads: x\n", ["bad.yaml:3:", "invalid YAML"]),
    "unknown_part": ("_base_: gated_mlp\nmodel:\n  fusion: gated_summ\n",
                     ["unknown fusion 'gated_summ'", "did you mean 'gated_sum'", "bad.yaml:3"]),
    "unknown_key": ("_base_: gated_mlp\nmodel:\n  heads:\n    emotion: {type: mlp, hiden: [3]}\n",
                    ["bad.yaml:4", "model.heads.emotion.hiden", "did you mean 'hidden'", "Allowed keys"]),
    "wrong_type": ("_base_: gated_mlp\ntrain:\n  epochs: many\n", ["train.epochs = 'many' has the wrong type",
                                                                   "expected int"]),
    "missing_required": ("_base_: gated_mlp\nmodel:\n  encoders:\n    text: {type: hf_text, max_length: 16}\n",
                         ["bad.yaml:4", "encoder 'hf_text' needs the key(s) ['model.encoders.text.path']",
                          "which are not set"]),
    "base_cycle": ("_base_: bad.yaml\n", ["_base_ cycle", "bad.yaml -> ", "bad.yaml"]),
    "unknown_top": ("modle: {}\n", ["unknown top-level key(s) ['modle']"]),
    "not_a_mapping": ("- a\n- b\n", ["must hold a mapping at the top"]),
    "python_object": ("model: !!python/object/apply:os.system ['echo pwned']\n", ["bad.yaml", "invalid YAML"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
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


@pytest.mark.slow
def test_same_seed_same_metrics_across_processes(tmp_path: Path) -> None:
    args = ("train", "--model", "gated_mlp", "--epochs", "2", "--seed", "5", "--json", "--quiet", "--out")
    here = run_mer(*args, str(tmp_path / "here"))
    fresh = run_mer_process(*args, str(tmp_path / "fresh"))
    assert here.returncode == 0 and fresh.returncode == 0, (here.stderr, fresh.stderr)
    assert json.loads(here.stdout)[0]["metrics"] == json.loads(fresh.stdout)[0]["metrics"]


def test_debug_flag_shows_the_traceback() -> None:
    proc = run_mer("--debug", "train", "--model", "nope")
    assert proc.returncode != 0 and "Traceback" in proc.stderr
