"""The label index of every published source, written out per source with where it is documented.

A file stores class indices, not names; reading it with another source's order swaps classes
silently. Each map here is index → name exactly as its source documents it, and readers translate
through these maps by name (never by position in a corpus' own label list).
"""

from __future__ import annotations

__all__ = ["IEMOCAP_ERC", "IEMOCAP_MERBENCH4", "MELD_ERC", "MELD_MERBENCH", "MELD_SENTIMENT", "M3ED_RELEASE",
           "M3ED_ANNOTATION", "translate"]

# DialogueRNN / DialogueGCN / MMGCN / COSMIC IEMOCAP files and MERBench label_6way.npz
# (COSMIC erc-training/dataloader.py: {'hap':0, 'sad':1, 'neu':2, 'ang':3, 'exc':4, 'fru':5}).
IEMOCAP_ERC = {0: "hap", 1: "sad", 2: "neu", 3: "ang", 4: "exc", 5: "fru"}
# MERBench label_4way.npz: 0 hap (happy + excited), 1 sad, 2 neu, 3 ang.
IEMOCAP_MERBENCH4 = {0: "hap", 1: "sad", 2: "neu", 3: "ang"}
# DialogueRNN / DialogueGCN / MMGCN / COSMIC MELD files (checked against the official CSVs' Emotion column).
MELD_ERC = {0: "neutral", 1: "surprise", 2: "fear", 3: "sadness", 4: "joy", 5: "disgust", 6: "anger"}
MELD_SENTIMENT = {0: "neutral", 1: "positive", 2: "negative"}
# MERBench label.npz of MELD (zeroQiaoba/MERTools, MERBench/toolkit/preprocess/meld.py:
# emos = ['anger', 'joy', 'sadness', 'neutral', 'disgust', 'fear', 'surprise'], index = position).
MELD_MERBENCH = {0: "anger", 1: "joy", 2: "sadness", 3: "neutral", 4: "disgust", 5: "fear", 6: "surprise"}
# RUCM3ED README, "label-info": {'Happy':0, 'Neutral':1, 'Sad':2, 'Disgust':3, 'Anger': 4, 'Fear': 5, 'Surprise':6}.
M3ED_RELEASE = {0: "happy", 1: "neutral", 2: "sad", 3: "disgust", 4: "anger", 5: "fear", 6: "surprise"}
# annotation.json's EmoAnnotation.final_main_emo words (capitalised) → our names.
M3ED_ANNOTATION = {"Happy": "happy", "Neutral": "neutral", "Sad": "sad", "Disgust": "disgust", "Anger": "anger",
                   "Fear": "fear", "Surprise": "surprise"}


def translate(source: dict[int, str], target: list[str], keep: dict[str, str] | None = None) -> dict[int, int]:
    """Source index → index in ``target`` by name; ``keep`` renames source names first (e.g. exc → hap).

    Source classes whose (renamed) name is not in ``target`` are absent from the result (dropped).
    """
    keep = keep or {}
    out = {}
    for index, name in source.items():
        name = keep.get(name, name)
        if name in target:
            out[index] = target.index(name)
    return out
