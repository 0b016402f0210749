"""Extraction speed against the tools users would pick instead, on real data from ../shared/data.

- text: the toolkit's feature extraction with `minilm` against sentence-transformers' ``encode`` with the same
  MiniLM weights and batch size, on IEMOCAP transcripts (COSMIC file);
- audio: `whisper_ct2` (Whisper tiny.en through CTranslate2, int8) against the `hf_audio` Whisper encoder of the
  same size (transformers, float32, random weights: the speed does not depend on their values), on RAVDESS.

Each side runs in this process on the same utterances, model loading included on both sides (the toolkit side
with its cache disabled: a fresh cache folder per run), best of ``--repeats`` runs. The last line is the text ratio toolkit / sentence-transformers
(goal <= 1.0); the audio ratio and RAVDESS throughput are printed above it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import torch

from _common import DATA, iemocap_transcripts, machine, registry



def best(fn, repeats: int) -> float:  # noqa: ANN001 - a zero-argument callable
    """Best wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def toolkit_extract(corpus, modality: str, node: dict, batch_size: int) -> None:  # noqa: ANN001
    """One uncached extraction through the feature cache code path."""
    import os

    from mer_toolkit.data.feature_cache import extract

    with tempfile.TemporaryDirectory() as cache:
        os.environ["MER_CACHE_DIR"] = cache
        extract(corpus, modality, node, registry(), batch_size=batch_size)


def text_ratio(n: int, batch_size: int, repeats: int) -> float:
    from sentence_transformers import SentenceTransformer

    from mer_toolkit.data.corpus import Corpus
    from mer_toolkit.data.sample import Sample
    from mer_toolkit.encoders.hf_text import minilm_path

    texts = iemocap_transcripts(n)
    corpus = Corpus("iemocap-text", ["x"], [Sample(f"u{i}", 0, {"text": t}) for i, t in enumerate(texts)])
    ours = best(lambda: toolkit_extract(corpus, "text", {"type": "minilm"}, batch_size), repeats)
    theirs = best(lambda: SentenceTransformer(minilm_path(), device="cpu").encode(texts, batch_size=batch_size),
                  repeats)
    print(f"text  {len(texts)} IEMOCAP sentences, batch {batch_size}: toolkit {ours:.2f} s, "
          f"sentence-transformers {theirs:.2f} s  ({len(texts) / ours:.0f} vs {len(texts) / theirs:.0f} utt/s)")
    return ours / theirs


def audio_ratio(n: int, batch_size: int, repeats: int) -> None:
    from transformers import WhisperConfig, WhisperModel

    from mer_toolkit.data.corpus import Corpus
    from mer_toolkit.data.sample import Sample

    files = sorted((DATA / "ravdess").rglob("*.flac"))[:n]
    corpus = Corpus("ravdess-audio", ["x"], [Sample(f.stem, 0, {"audio": str(f)}) for f in files])
    with tempfile.TemporaryDirectory() as tmp:
        tiny = WhisperConfig(d_model=384, encoder_layers=4, decoder_layers=4, encoder_attention_heads=6,
                             decoder_attention_heads=6, encoder_ffn_dim=1536, decoder_ffn_dim=1536, num_mel_bins=80)
        WhisperModel(tiny).save_pretrained(tmp)
        hf = best(lambda: toolkit_extract(corpus, "audio", {"type": "hf_audio", "path": tmp}, batch_size), repeats)
    ct2 = best(lambda: toolkit_extract(corpus, "audio", {"type": "whisper_ct2", "path": "tiny.en", "pool": "mean"},
                                       batch_size), repeats)
    print(f"audio {len(files)} RAVDESS files, Whisper tiny size, batch {batch_size}: whisper_ct2 {ct2:.2f} s "
          f"({len(files) / ct2:.1f} files/s), hf_audio {hf:.2f} s ({len(files) / hf:.1f} files/s); "
          f"whisper_ct2 / hf_audio = {ct2 / hf:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 sentences and 48 audio files, one repeat")
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--audio", type=int, default=240)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"extract_speed.py reads real data from {DATA}, which is absent")
    if args.quick:
        args.texts, args.audio, args.repeats = 200, 48, 1
    print(machine(), f"torch threads {torch.get_num_threads()}")
    audio_ratio(args.audio, args.batch_size, args.repeats)
    ratio = text_ratio(args.texts, args.batch_size, args.repeats)
    print(f"text extraction toolkit / sentence-transformers = {ratio:.3f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
