"""``mer data list``: what a reader produced, one row per utterance, checkable against the release."""

from __future__ import annotations

import json
from pathlib import Path

from mer_toolkit.cli.main import main
from mer_toolkit.data.safe_pickle import load_pickle
from mer_toolkit.testing import run_mer

REPO = Path(__file__).resolve().parents[2]


def list_json(capsys, *args: str) -> list[dict]:
    assert main(["data", "list", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_merbench_positions_are_unknown(capsys, shared_data: Path) -> None:
    rows = list_json(capsys, "iemocap6", "--root", str(shared_data / "iemocap"))
    assert len(rows) == 7433 and {r["position"] for r in rows} == {None}
    assert len({r["speaker"] for r in rows}) == 10


def test_merbench_with_cosmic_order_lists_cosmics_sequence(capsys, shared_data: Path) -> None:
    cosmic = shared_data / "iemocap" / "iemocap_cosmic.pkl"
    rows = list_json(capsys, "iemocap6", "--root", str(shared_data / "iemocap"), "--option", f"order={cosmic}",
                     "--split", "test")
    speakers, _, sentences = load_pickle(cosmic)[:3]
    assert len(rows) == 1623 and {r["dialogue"][:5] for r in rows} == {"Ses05"}
    dia = rows[0]["dialogue"]
    mine = [r for r in rows if r["dialogue"] == dia]
    assert [r["position"] for r in mine] == list(range(len(sentences[dia])))
    assert [r["speaker"][-1] for r in mine] == list(speakers[dia])


def test_text_table_shows_unknown_positions_and_modalities() -> None:
    proc = run_mer("data", "list", "m3ed", "--root", str(REPO / "tests" / "fixtures" / "m3ed_raw"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "seriesa/李雷" in out and "audio,text" in out and out.count("seriesc_1_") == 3
