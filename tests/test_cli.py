"""The `mer` command as users run it: help, listings, config inspection, train/eval, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mer_toolkit.testing import run_mer
from mer_toolkit.cli.main import main


def run_main(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_lists_commands_and_every_command_has_an_example(capsys) -> None:
    code, out, _ = run_main(capsys)
    assert code == 0
    for cmd in ("list", "info", "plugins", "doctor", "config", "train", "eval"):
        assert cmd in out
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        assert "example" in capsys.readouterr().out


def test_list_and_info(capsys) -> None:
    code, out, _ = run_main(capsys, "list", "fusion", "--json")
    names = {r["name"] for r in json.loads(out)}
    assert {"concat", "mean", "gated_sum"} <= names
    code, out, _ = run_main(capsys, "info", "gated_mlp")
    assert code == 0 and "fusion" in out and "GatedSumFusion" in out and "dataset defaults: demo" in out
    code, out, _ = run_main(capsys, "info", "gated_sum", "--json")
    info = json.loads(out)[0]
    assert info["kind"] == "fusion" and "in_dims" in info["signature"] and info["source"] == "builtin"


def test_config_show_explain(capsys) -> None:
    code, out, _ = run_main(capsys, "config", "show", "gated_mlp", "--explain", "--set", "train.lr=0.01")
    assert code == 0
    lines = {ln.split("=")[0].strip(): ln for ln in out.splitlines() if "=" in ln}
    assert lines["train.lr"].rstrip().endswith("# --set")
    assert "gated_mlp.yaml:4" in lines["model.fusion.type"]
    assert "_defaults.yaml" in lines["train.epochs"]


@pytest.mark.parametrize("args,expected", [
    (("train", "--model", "gatedmlp"), "unknown model 'gatedmlp'; did you mean 'gated_mlp'"),
    (("train", "--model", "gated_mlp", "--set", "model.fusion.dimm=3"), "--set"),
    (("train", "--model", "gated_mlp", "--set", "train.lrr=3"), "'train' has no key 'lrr'; did you mean 'lr'?"),
    (("train", "--model", "gated_mlp", "--dataset", "nodata"), "unknown dataset 'nodata'"),
    (("info", "concatt"), "did you mean 'concat'"),
    (("eval", "/nonexistent/best.pt"), "checkpoint '/nonexistent/best.pt' does not exist"),
])
def test_user_errors_are_one_paragraph_without_traceback(args: tuple[str, ...], expected: str) -> None:
    proc = run_mer(*args)
    assert proc.returncode == 2
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error:") and proc.stderr.strip().count("\n") == 0


def test_train_then_eval_round_trip(tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "run"
    code, out, _ = run_main(capsys, "train", "--model", "gated_mlp", "--dataset", "demo", "--epochs", "3",
                            "--out", str(out_dir), "--quiet")
    assert code == 0 and "test metrics" in out
    rec = json.loads((out_dir / "results.jsonl").read_text().splitlines()[0])
    code, out, _ = run_main(capsys, "eval", str(out_dir / "official" / "best.pt"), "--json")
    assert code == 0
    res = json.loads(out)
    assert res["metrics"]["wa"] == pytest.approx(rec["metrics"]["test"]["wa"])
    code, _, err = run_main(capsys, "eval", str(out_dir / "official" / "best.pt"),
                            "--set", "data.dataset_options.text_dim=16")
    assert code == 2 and "feature dimensions" in err and "text: checkpoint 32, data 16" in err
    code, _, err = run_main(capsys, "eval", str(out_dir / "official" / "best.pt"), "--set", "model.fusion.dim=8")
    assert code == 2 and "--set model.fusion.dim=8" in err and "only data.* and train.*" in err
    code, _, err = run_main(capsys, "eval", str(out_dir / "official" / "best.pt"), "--fold", "session9")
    assert code == 2 and "--fold 'session9'" in err and "official" in err
