"""Tiny random Hugging Face models written to disk like real ones (config, weights, tokenizer), built offline."""

from __future__ import annotations

from pathlib import Path

import torch

WORDS = "i am so happy sad angry today this is great awful the day what a".split()
SMALL_SPEECH = dict(num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, hidden_size=16,
                    conv_dim=(8, 8), conv_stride=(5, 4), conv_kernel=(10, 8), num_feat_extract_layers=2,
                    num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)


def save_tiny_text_model(folder: Path) -> Path:
    """A 2-layer random BERT with a 19-token vocabulary, written like a real model folder."""
    import transformers as tf

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tf.BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(folder)
    torch.manual_seed(0)
    tf.BertModel(tf.BertConfig(vocab_size=len(WORDS) + 5, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=32, max_position_embeddings=64)).save_pretrained(folder)
    return folder


def save_tiny_speech_model(folder: Path, family: str) -> Path:
    """A tiny random wav2vec2 / HuBERT / WavLM / Whisper model folder."""
    import transformers as tf

    torch.manual_seed(0)
    if family == "wav2vec2":
        model = tf.Wav2Vec2Model(tf.Wav2Vec2Config(**SMALL_SPEECH))
    elif family == "wav2vec2-layernorm":
        model = tf.Wav2Vec2Model(tf.Wav2Vec2Config(**SMALL_SPEECH, feat_extract_norm="layer",
                                                   do_stable_layer_norm=True))
    elif family == "hubert":
        model = tf.HubertModel(tf.HubertConfig(**SMALL_SPEECH))
    elif family == "wavlm":
        model = tf.WavLMModel(tf.WavLMConfig(**SMALL_SPEECH, num_buckets=16, max_bucket_distance=32))
    else:
        model = tf.WhisperModel(tf.WhisperConfig(d_model=16, encoder_layers=2, decoder_layers=1,
                                                 encoder_attention_heads=2, decoder_attention_heads=2,
                                                 encoder_ffn_dim=32, decoder_ffn_dim=32, num_mel_bins=80))
    model.save_pretrained(folder)
    return folder
