"""Builtin encoders of raw text and audio, one module per family, registered by import path."""

from __future__ import annotations

from ..plugins.hookspecs import hookimpl


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.encoder.register("fbank", "mer_toolkit.encoders.acoustic:Fbank")
    registry.encoder.register("mfcc", "mer_toolkit.encoders.acoustic:MFCC")
    registry.encoder.register("hf_audio", "mer_toolkit.encoders.hf_audio:HFAudioEncoder")
    registry.encoder.register("hf_text", "mer_toolkit.encoders.hf_text:HFTextEncoder")
    registry.encoder.register("minilm", "mer_toolkit.encoders.hf_text:MiniLM")
    registry.encoder.register("hf_text_top", "mer_toolkit.encoders.hf_top_blocks:HFTextTopBlocks")
    registry.encoder.register("minilm_top", "mer_toolkit.encoders.hf_top_blocks:MiniLMTopBlocks")
    registry.encoder.register("whisper_ct2", "mer_toolkit.encoders.whisper_ct2:WhisperCT2Encoder")
    registry.encoder.register("egemaps", "mer_toolkit.encoders.egemaps:OpenSmileEncoder")
