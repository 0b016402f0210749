"""GPU: DRKF end to end with a transformer text encoder and a wav2vec2-size audio encoder (random weights of
the real sizes), utterances/s in fp32 vs bf16 autocast, peak GPU memory, and torch.compile on/off."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import torch

from _common import machine, registry
from mer_toolkit.data.sample import collate, Sample, Waveform
from mer_toolkit.components.model import ComposedModel, DataSpec


def make_model(tmp: str, quick: bool) -> ComposedModel:
    import transformers as tf

    if quick:
        text = tf.RobertaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128)
        audio = tf.Wav2Vec2Config(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128)
    else:  # RoBERTa-large and wav2vec2-large sizes, as in the DRKF paper
        text = tf.RobertaConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)
        audio = tf.Wav2Vec2Config(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)
    tf.RobertaModel(text).save_pretrained(f"{tmp}/text")
    tf.Wav2Vec2Model(audio).save_pretrained(f"{tmp}/audio")
    tok = tf.PreTrainedTokenizerFast(tokenizer_object=_tokenizer(), unk_token="[UNK]", pad_token="[PAD]")
    tok.save_pretrained(f"{tmp}/text")
    spec = {"encoders": {"text": {"type": "hf_text", "path": f"{tmp}/text", "finetune": True, "pooling": "mean"},
                         "audio": {"type": "hf_audio", "path": f"{tmp}/audio", "finetune": True, "pooling": "mean"}},
            "interaction": {"type": "drkf.orl"}, "fusion": {"type": "drkf.fusion_encoder", "dim": 256},
            "heads": {"emotion": "drkf.ec"}}
    return ComposedModel.from_spec(spec, DataSpec({"text": None, "audio": None}, 4, list("abcd")), registry())


def _tokenizer():  # noqa: ANN202
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[PAD]": 0, "[UNK]": 1, **{w: i + 2 for i, w in enumerate("i am so happy sad angry today this is".split())}}
    t = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    return t


def throughput(model: ComposedModel, batch, steps: int, amp: bool) -> float:  # noqa: ANN001
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    dev = next(model.parameters()).device
    for k in range(steps + 2):
        if k == 2:
            torch.cuda.synchronize(dev) if dev.type == "cuda" else None
            t0 = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            out = model(batch)
            loss, _ = model.compute_loss(out, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    return steps * len(batch) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny encoders, few steps")
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu benchmark skipped: no CUDA device on this machine (run it where one is present, or use "
              "--device cpu --quick to check the script)")
        return
    dev = torch.device(args.device)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        model = make_model(tmp, args.quick).to(dev)
        b = 4 if args.quick else 8
        seconds = 1 if args.quick else 6
        samples = [Sample(id=str(i), label=i % 4, modalities={"text": "i am so happy today",
                                                             "audio": Waveform(torch.randn(16000 * seconds) * 0.1, 16000)})
                   for i in range(b)]
        batch = collate(samples).to(dev)
        steps = 2 if args.quick else 20
        fp32 = throughput(model, batch, steps, amp=False)
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(dev)
        bf16 = throughput(model, batch, steps, amp=True)
        mem = torch.cuda.max_memory_allocated(dev) / 2**30 if dev.type == "cuda" else float("nan")
        print(f"fp32 {fp32:.1f} utt/s, bf16 autocast {bf16:.1f} utt/s, peak memory (bf16) {mem:.1f} GiB")
        if dev.type == "cuda" and not args.quick:
            compiled = torch.compile(model)
            comp = throughput(compiled, batch, steps, amp=True)
            print(f"torch.compile + bf16: {comp:.1f} utt/s ({comp / bf16:.2f}x of eager bf16)")
    ratio = bf16 / fp32
    print(f"bf16 / fp32 throughput: {ratio:.2f}x (target >= 1.8: {'met' if ratio >= 1.8 else 'MISSED'})")


if __name__ == "__main__":
    sys.exit(main())
