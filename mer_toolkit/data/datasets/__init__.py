"""Builtin datasets, one module per corpus, registered by import path (listing them reads no module).

``layout=`` is the glob that recognises a corpus folder in its release layout, so ``--dataset PATH``
finds the reader; ``metric=`` is the validation metric runs on the dataset select on unless a config sets
``train.monitor`` (the one its papers report; ``wf1`` when undeclared); ``audio=`` names the modalities that
hold audio files (``("audio",)`` when undeclared). A plugin's dataset declares them the same way.
"""

from __future__ import annotations

from ...plugins.hookspecs import hookimpl


@hookimpl
def mer_register_parts(registry) -> None:  # noqa: ANN001 - the staged registry view
    registry.dataset.register("demo", "mer_toolkit.data.datasets.demo:make_demo")
    registry.dataset.register("emobox", "mer_toolkit.data.datasets.emobox:make_emobox", layout="data.seg.wrd.stm",
                              metric="ua")  # EmoBox reports UA (with WA and macro-F1)
    registry.dataset.register("emodb", "mer_toolkit.data.datasets.emodb:make_emodb",
                              layout="wav/[0-9][0-9][ab][0-9][0-9][WLEAFTN][a-z].wav", metric="ua")
    registry.dataset.register("iemocap", "mer_toolkit.data.datasets.iemocap:make_iemocap", layout="Session[1-5]",
                              metric="ua")  # IEMOCAP-4 papers report WA / UA
    registry.dataset.register("iemocap6", "mer_toolkit.data.datasets.iemocap:make_iemocap6")
    registry.dataset.register("m3ed", "mer_toolkit.data.datasets.m3ed:make_m3ed", layout="annotation.json")
    registry.dataset.register("manifest", "mer_toolkit.data.datasets.manifest:make_manifest")
    registry.dataset.register("meld", "mer_toolkit.data.datasets.meld:make_meld", layout="*_sent_emo.csv")
    registry.dataset.register("mosi", "mer_toolkit.data.datasets.mosi:make_mosi", layout="text_train.csv",
                              metric="wa")  # MOSI papers report binary accuracy (Acc-2) and F1
    registry.dataset.register("nemo", "mer_toolkit.data.datasets.nemo:make_nemo", layout="data*.tsv", metric="ua")
    registry.dataset.register("ravdess", "mer_toolkit.data.datasets.ravdess:make_ravdess", layout="Actor_*",
                              metric="ua")  # EmoBox and the speech-emotion literature report UA
