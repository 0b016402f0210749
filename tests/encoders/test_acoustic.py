"""fbank / mfcc on real RAVDESS speech and on synthetic tones: shapes, masks, CMVN, pooling, resampling."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mer_toolkit.data.audio import load_waveform
from mer_toolkit.data.sample import Sample, Waveform, collate
from mer_toolkit.errors import ConfigError, DataError


def test_fbank_and_mfcc_on_real_ravdess_speech(reg, shared_data: Path) -> None:
    files = sorted((shared_data / "ravdess").rglob("*.flac"))[:3]
    if not files:
        pytest.skip(f"no RAVDESS FLAC files under {shared_data / 'ravdess'}")
    waves = [load_waveform(f) for f in files]
    batch = collate([Sample(str(k), 0, {"audio": w}) for k, w in enumerate(waves)])
    h, m = reg.encoder.get("fbank")(n_mels=40)(batch.inputs["audio"], batch.masks["audio"], batch=batch)
    frames = [1 + (w.samples.numel() - 400) // 160 for w in waves]  # 25 ms windows, 10 ms shift
    assert h.shape == (3, max(frames), 40) and m.sum(1).tolist() == frames
    valid = h[0, : frames[0]]
    torch.testing.assert_close(valid.mean(0), torch.zeros(40), atol=1e-4, rtol=0)  # per-utterance CMVN
    stats, sm = reg.encoder.get("mfcc")(n_ceps=13, pool="stats")(batch.inputs["audio"], batch.masks["audio"])
    assert stats.shape == (3, 1, 26) and sm.all() and torch.isfinite(stats).all()
    assert (stats[:, 0, 13:] > 0).all()  # standard deviations
    assert (stats[0, 0, :13] - stats[1, 0, :13]).abs().max() > 0.1  # pooled statistics differ between utterances


def test_padding_never_changes_an_utterance(reg) -> None:
    tone = torch.sin(torch.arange(8000) * 0.07) * 0.3
    long = torch.randn(24000, generator=torch.Generator().manual_seed(1)) * 0.1
    fb = reg.encoder.get("fbank")(n_mels=24, pool="mean")
    alone, _ = fb(tone.unsqueeze(0), None)
    batch = collate([Sample("a", 0, {"audio": Waveform(tone, 16000)}),
                     Sample("b", 0, {"audio": Waveform(long, 16000)})])
    both, _ = fb(batch.inputs["audio"], batch.masks["audio"], batch=batch)
    torch.testing.assert_close(both[0], alone[0])


def test_other_rates_are_resampled_and_long_audio_clipped(reg) -> None:
    import torchaudio.functional as AF

    tone = torch.sin(torch.arange(32000) * 0.05) * 0.3
    b16 = collate([Sample("a", 0, {"audio": Waveform(tone, 16000)})])
    b8 = collate([Sample("a", 0, {"audio": Waveform(AF.resample(tone, 16000, 8000), 8000)})])
    fb = reg.encoder.get("fbank")(n_mels=20)
    h16, m16 = fb(b16.inputs["audio"], b16.masks["audio"], batch=b16)
    h8, m8 = fb(b8.inputs["audio"], b8.masks["audio"], batch=b8)
    assert m16.sum() == m8.sum() == 198
    low = slice(0, 12)  # mel bins below 4 kHz: the only band 8 kHz audio carries
    assert torch.nn.functional.cosine_similarity(h16[0, :, low], h8[0, :, low], dim=-1).mean() > 0.9
    clipped, cm = reg.encoder.get("fbank")(n_mels=20, max_seconds=1.0)(b16.inputs["audio"], None)
    assert cm.sum() == 98


def test_short_audio_and_bad_input(reg) -> None:
    h, m = reg.encoder.get("mfcc")()(torch.randn(1, 100) * 0.1, None)
    assert h.shape == (1, 1, 13) and m.all()
    with pytest.raises(DataError, match=r"expects padded waveforms \[B, S\]"):
        reg.encoder.get("fbank")()(torch.randn(2, 5, 40), None)
    with pytest.raises(ConfigError, match="pool must be one of"):
        reg.encoder.get("fbank")(pool="max")
    with pytest.raises(ConfigError, match="cmvn"):
        reg.encoder.get("fbank")(pool="stats", cmvn=True)  # every utterance would pool to mean 0, std 1
    with pytest.raises(ConfigError, match="cannot exceed n_mels"):
        reg.encoder.get("mfcc")(n_ceps=40)
