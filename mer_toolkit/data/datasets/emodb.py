"""Berlin EmoDB (Burkhardt et al. 2005): 10 actors (5 female, 5 male), 7 emotions, 10 fixed German sentences.

The release keeps every utterance as ``wav/SSTTTEV.wav``: speaker SS (03-16), text TTT (a01-b10), emotion
letter E (W anger, L boredom, E disgust, A fear, F happiness, T sadness, N neutral) and version V (a, b, ...).
Everything is read from the file names. Labels are named as RAVDESS names the same emotions (angry,
fearful, happy, sad, disgust, neutral), so cross-corpus runs match them with no label map; boredom is
EmoDB's own. The text carries no emotion: the corpus tests the audio path.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import DataError
from ..corpus import Corpus
from ..sample import Sample
from ._common import Problems, resolve_root

__all__ = ["EMODB_LABELS", "LETTERS", "SPEAKERS", "TEXTS", "make_emodb", "parse_name"]

EMODB_LABELS = ["neutral", "happy", "sad", "angry", "fearful", "disgust", "boredom"]
#: The release's emotion letters (German initials: Wut, Langeweile, Ekel, Angst, Freude, Trauer, Neutral).
LETTERS = {"W": "angry", "L": "boredom", "E": "disgust", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral"}
#: Speaker code → (gender, age at recording), from the corpus documentation.
SPEAKERS = {"03": ("male", 31), "08": ("female", 34), "09": ("female", 21), "10": ("male", 32), "11": ("male", 26),
            "12": ("male", 30), "13": ("female", 32), "14": ("female", 35), "15": ("male", 25), "16": ("female", 31)}
TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Blatt Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}
NAME = re.compile(r"^(?P<speaker>\d\d)(?P<text>[ab]\d\d)(?P<emotion>[A-Z])(?P<version>[a-z])$")
LAYOUT = "a folder with wav/SSTTTEV.wav files (speaker SS, text TTT, emotion letter E in W/L/E/A/F/T/N, version V)"


def parse_name(path: Path) -> dict[str, str]:
    """Fields of an EmoDB file name; ValueError saying what is wrong when it does not follow the convention."""
    m = NAME.match(path.stem)
    if m is None:
        raise ValueError("expected SSTTTEV: two speaker digits, a text code like a01, an emotion letter, a version letter")
    fields = m.groupdict()
    bad = [f"{k} '{fields[k]}' (expected one of {sorted(known)})" for k, known in
           (("speaker", SPEAKERS), ("text", TEXTS), ("emotion", LETTERS)) if fields[k] not in known]
    if bad:
        raise ValueError(", ".join(bad))
    return fields


def make_emodb(root: str | None = None, strict: bool = True) -> Corpus:
    """Every ``wav/*.wav`` of the release; default protocol ``speaker_kfold`` (5 folds of 2 speakers,
    validation speakers drawn from each fold's training speakers)."""
    path = resolve_root("emodb", root, LAYOUT)
    files = sorted((path / "wav").glob("*.wav"))
    if not files:
        raise DataError(f"EmoDB root '{path}' has no wav/*.wav files; expected {LAYOUT}")
    problems = Problems("emodb", strict)
    samples = []
    for f in files:
        try:
            fields = parse_name(f)
        except ValueError as err:
            problems.add(f"{f}: not an EmoDB file name ({err})")
            continue
        gender, age = SPEAKERS[fields["speaker"]]
        text = TEXTS[fields["text"]]
        samples.append(Sample(
            id=f.stem, label=EMODB_LABELS.index(LETTERS[fields["emotion"]]), modalities={"text": text, "audio": str(f)},
            dialogue_id=f.stem, position=0, speaker=f"speaker{fields['speaker']}",
            meta={"gender": gender, "age": age, "text_code": fields["text"], "version": fields["version"],
                  "transcript": text}))
    return Corpus(name="emodb", label_names=list(EMODB_LABELS), samples=samples, default_protocol="speaker_kfold",
                  source=str(path), problems=problems.finish())
