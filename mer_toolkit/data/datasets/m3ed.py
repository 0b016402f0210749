"""M3ED (Zhao et al. 2022): Chinese TV-series dialogues, 7 emotions, official split by series.

``--root`` may point at the release folder — ``annotation.json`` ({series: {dialog: {"SpeakerInfo",
"Dialog": {utt: {"StartTime", "EndTime", "Text", "Speaker", "EmoAnnotation": {..., "final_main_emo"}}}}}})
with ``splitInfo/movie_list_{train,val,test}.txt`` and, when present, the released speech files
``modality_speech/<Speaker>_<utt>.wav`` (an utterance without its file has no audio; the rest keep
theirs) — or at the released DialogueRNN-format feature pickle (videoIDs, speakers, labels, text, audio,
visual, sentences, trainVid, testVid[, valVid]).

Labels follow the release's order (RUCM3ED README: Happy 0, Neutral 1, Sad 2, Disgust 3, Anger 4,
Fear 5, Surprise 6). ``Speaker`` ("A"/"B") is local to a dialogue; the speaker is the series' character
``SpeakerInfo[Speaker].Name`` (``<series>/<Name>``). The pickle has no names: its speakers stay
dialogue-local (``<dialogue>:A``).
"""

from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from ..corpus import Corpus
from ..sample import Sample
from ._common import Problems, erc_samples, read_json, resolve_root
from ._erc_layouts import read_erc_file
from .label_maps import M3ED_ANNOTATION, M3ED_RELEASE

__all__ = ["M3ED_LABELS", "make_m3ed", "speech_file"]

M3ED_LABELS = [M3ED_RELEASE[i] for i in range(len(M3ED_RELEASE))]
SPEECH_DIR = "modality_speech"
ACCEPTED = "a folder with annotation.json and splitInfo/movie_list_{train,val,test}.txt, or the M3ED feature pickle"


def _series_split(root: Path) -> dict[str, str]:
    split_dir = root / "splitInfo"
    out: dict[str, str] = {}
    for split, fname in (("train", "movie_list_train.txt"), ("val", "movie_list_val.txt"), ("test", "movie_list_test.txt")):
        path = split_dir / fname
        if not path.is_file():
            raise DataError(f"M3ED: '{path}' is missing; the official split is defined by splitInfo/movie_list_*.txt")
        for name in path.read_text(encoding="utf-8").split():
            if name in out:
                raise DataError(f"M3ED: series '{name}' is listed in both {out[name]} and {split} split files")
            out[name] = split
    return out


def speech_file(root: Path, speaker: str, utt: str) -> Path:
    """Where the release keeps an utterance's speech: ``modality_speech/<Speaker>_<utt>.wav``."""
    return root / SPEECH_DIR / f"{speaker}_{utt}.wav"


def _speaker(series: str, dia: str, content: dict, local: str, where: str, problems: Problems) -> str:
    """``<series>/<Name>`` from ``SpeakerInfo``; a dialogue-local fallback (and a problem) when it is absent."""
    name = ((content.get("SpeakerInfo") or {}).get(local) or {}).get("Name")
    if not name:
        problems.add(f"{where}: SpeakerInfo[{local!r}].Name is missing; speaker kept as {dia}:{local}")
        return f"{dia}:{local}"
    return f"{series}/{name}"


def _read_annotation(root: Path, problems: Problems) -> list[Sample]:
    path = root / "annotation.json"
    data = read_json(path, "M3ED", f"accepted: {ACCEPTED}")
    splits = _series_split(root)
    unknown_series = sorted(set(data) - set(splits))
    for s in unknown_series:
        problems.add(f"{path}: series '{s}' is in no splitInfo list (skipped)")
    has_speech = (root / SPEECH_DIR).is_dir()
    samples = []
    for series in sorted(set(data) & set(splits)):
        for dia, content in sorted(data[series].items()):
            dialog = content.get("Dialog") if isinstance(content, dict) else None
            if not isinstance(dialog, dict):
                problems.add(f"{path}: {series}/{dia} has no 'Dialog' mapping")
                continue
            for pos, (utt, u) in enumerate(dialog.items()):
                emo = str(((u.get("EmoAnnotation") or {}).get("final_main_emo")) or "").strip()
                if emo not in M3ED_ANNOTATION:
                    problems.add(f"{path}: {series}/{dia}/{utt} has emotion '{emo}' (expected one of "
                                 f"{sorted(M3ED_ANNOTATION)})")
                    continue
                text = str(u.get("Text", "")).strip()
                local = str(u.get("Speaker", "?"))
                mods = {"text": text}
                if has_speech:
                    wav = speech_file(root, local, utt)
                    if wav.is_file():  # otherwise this utterance has no audio; `mer data stats` lists it
                        mods["audio"] = str(wav)
                samples.append(Sample(id=utt, label=M3ED_LABELS.index(M3ED_ANNOTATION[emo]), modalities=mods,
                                      dialogue_id=dia, position=pos,
                                      speaker=_speaker(series, dia, content, local, f"{path}: {series}/{dia}", problems),
                                      meta={"split": splits[series], "series": series, "transcript": text}))
    return samples


def make_m3ed(root: str | None = None, strict: bool = True) -> Corpus:
    """M3ED with the official split by series (685 / 126 / 179 dialogues in the full release)."""
    path = resolve_root("m3ed", root, ACCEPTED)
    problems = Problems("m3ed", strict)
    if path.is_file():
        samples = erc_samples(read_erc_file(path), M3ED_RELEASE, M3ED_LABELS, dialogue=lambda raw, split: (str(raw), split),
                              speaker=lambda dia, local: f"{dia}:{local}",
                              utterance=lambda dia, k, file_id: str(file_id) if file_id is not None else f"{dia}_{k}")
    else:
        samples = _read_annotation(path, problems)
    if not samples:
        problems.finish()
        raise DataError(f"dataset 'm3ed': no labelled utterances under '{path}'; accepted: {ACCEPTED}")
    return Corpus(name="m3ed", label_names=list(M3ED_LABELS), samples=samples, default_protocol="official",
                  source=str(path), problems=problems.finish())
