"""Generate miniature IEMOCAP, MELD and M3ED corpora in their exact release layouts (tests/fixtures/).

Speech is synthesised with espeak-ng; each emotion gets its own pitch and rate so that the audio
carries the label, and sox converts it to 16 kHz mono. MELD clips are wrapped in MP4 containers (AAC
audio) with ffmpeg and M3ED speech is kept as ``modality_speech/<Speaker>_<utt>.wav``, as in their
releases. One small pickle per published ERC layout is written too (``--only pickles`` needs no tools).
Deterministic: the same files every run. Run: `python scripts/make_fixtures.py [--out DIR] [--only ...]`.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VOICE = {  # emotion → (pitch 0-99, words per minute, amplitude)
    "ang": (70, 220, 180), "hap": (85, 200, 150), "exc": (90, 230, 170), "neu": (45, 150, 100),
    "sad": (20, 110, 70), "fru": (60, 190, 140),
    "anger": (70, 220, 180), "joy": (85, 200, 150), "neutral": (45, 150, 100), "sadness": (20, 110, 70),
    "surprise": (95, 240, 160), "fear": (75, 260, 90), "disgust": (35, 140, 130),
    "Happy": (85, 200, 150), "Neutral": (45, 150, 100), "Sad": (20, 110, 70), "Anger": (70, 220, 180),
    "Surprise": (95, 240, 160), "Fear": (75, 260, 90), "Disgust": (35, 140, 130),
}
LINES = ["I cannot believe you did that.", "Well, that is fine with me.", "Please tell me what happened.",
         "We should go home now.", "This is the best day ever.", "Leave me alone."]


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"make_fixtures: missing programs {missing}; on Debian: apt-get install espeak-ng sox ffmpeg")


def speak(text: str, emotion: str, wav: Path, voice: str = "en") -> None:
    """16 kHz mono 16-bit WAV of ``text`` spoken with the emotion's pitch/rate."""
    pitch, rate, amp = VOICE[emotion]
    wav.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(rate), "-a", str(amp), "-w", str(raw),
                        text], check=True, capture_output=True)
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav), "trim", "0", "1.2"],
                       check=True, capture_output=True)


def to_mp4(wav: Path, mp4: Path) -> None:
    mp4.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-b:a", "24k",
                    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", str(mp4)],
                   check=True, capture_output=True)


def iemocap(out: Path) -> None:
    """Five sessions, one dialogue each, four labelled utterances plus one 'xxx' (excluded) per dialogue."""
    labels = ["ang", "hap", "neu", "sad", "exc", "fru"]
    for s in range(1, 6):
        dia = f"Ses0{s}F_impro0{s}"
        sess = out / f"Session{s}"
        ev_lines, tr_lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""], []
        for k in range(5):
            spk = "FM"[k % 2]
            uid = f"{dia}_{spk}00{k // 2}"
            label = labels[(s + k) % len(labels)] if k < 4 else "xxx"
            start, end = 1.0 + 2 * k, 2.2 + 2 * k
            ev_lines += [f"[{start:.4f} - {end:.4f}]\t{uid}\t{label}\t[2.5000, 3.0000, 3.0000]", ""]
            text = LINES[(s + k) % len(LINES)]
            tr_lines.append(f"{uid} [{start:08.4f}-{end:08.4f}]: {text}")
            speak(text, label if label != "xxx" else "neu", sess / "sentences" / "wav" / dia / f"{uid}.wav")
        (sess / "dialog" / "EmoEvaluation").mkdir(parents=True, exist_ok=True)
        (sess / "dialog" / "transcriptions").mkdir(parents=True, exist_ok=True)
        (sess / "dialog" / "EmoEvaluation" / f"{dia}.txt").write_text("\n".join(ev_lines) + "\n")
        (sess / "dialog" / "transcriptions" / f"{dia}.txt").write_text("\n".join(tr_lines) + "\n")


MELD_HEADER = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime"


def meld(out: Path) -> None:
    """Two dialogues per split, three utterances each, with mp4 clips in the release folder names."""
    emotions = ["neutral", "joy", "anger", "sadness", "surprise", "fear", "disgust"]
    for split, csv_name, clip_dir in (("train", "train_sent_emo.csv", "train_splits"),
                                      ("dev", "dev_sent_emo.csv", "dev_splits_complete"),
                                      ("test", "test_sent_emo.csv", "output_repeated_splits_test")):
        rows, n = [MELD_HEADER], 0
        for d in range(2):
            for u in range(3):
                n += 1
                emo = emotions[(d * 3 + u + len(split)) % len(emotions)]
                text = LINES[(d + u) % len(LINES)]
                rows.append(f'{n},"{text}",{"Ross" if u % 2 else "Rachel"},{emo},neutral,{d},{u},1,1,'
                            f'"00:00:0{u},000","00:00:0{u},900"')
                with tempfile.TemporaryDirectory() as tmp:
                    wav = Path(tmp) / "a.wav"
                    speak(text, emo, wav)
                    to_mp4(wav, out / clip_dir / f"dia{d}_utt{u}.mp4")
        (out / csv_name).write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8"))


def m3ed(out: Path) -> None:
    """Series a (train, two dialogues), b (val), c (test); speech as the release keeps it,
    ``modality_speech/<Speaker>_<utt>.wav``. In seriesa's second dialogue the same two characters
    speak with their letters swapped, as dialogue-local letters do in the release."""
    emotions = ["Happy", "Neutral", "Sad", "Anger", "Neutral", "Happy", "Sad", "Anger", "Neutral", "Surprise",
                "Disgust", "Fear"]
    cast = {"seriesa": ("李雷", "韩梅梅"), "seriesb": ("张伟", "王芳"), "seriesc": ("刘洋", "陈静")}
    dialogues = [("train", "seriesa", 1, False), ("train", "seriesa", 2, True), ("val", "seriesb", 1, False),
                 ("test", "seriesc", 1, False)]
    annotation: dict = {}
    k = 0
    for _, series, n, swapped in dialogues:
        dia = f"{series}_{n}"
        dialog = {}
        for u in range(3):
            utt = f"{dia}_{u + 1}"
            emo = emotions[k]
            k += 1
            text = ["你好，今天怎么样？", "我很好，谢谢。", "我们走吧。"][u]
            letter = "AB"[u % 2]
            dialog[utt] = {"StartTime": f"00:00:0{u}:00", "EndTime": f"00:00:0{u}:20", "Text": text, "Speaker": letter,
                           "EmoAnnotation": {"EmoAnnotator1": [emo], "EmoAnnotator2": [emo], "EmoAnnotator3": [emo],
                                             "final_mul_emo": [emo], "final_main_emo": emo}}
            speak(text, emo, out / "modality_speech" / f"{letter}_{utt}.wav", voice="cmn")
        first, second = cast[series][::-1] if swapped else cast[series]
        info = {"A": {"Name": first, "Gender": "male"}, "B": {"Name": second, "Gender": "female"}}
        annotation.setdefault(series, {})[dia] = {"SpeakerInfo": info, "Dialog": dialog}
    (out / "annotation.json").write_text(json.dumps(annotation, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "splitInfo").mkdir(parents=True, exist_ok=True)
    for split, series in (("train", "seriesa"), ("val", "seriesb"), ("test", "seriesc")):
        (out / "splitInfo" / f"movie_list_{split}.txt").write_text(series + "\n")
    (out / "splitInfo" / "movie_list_total.txt").write_text("seriesa\nseriesb\nseriesc\n")


def _dialogue_fields(rng: np.random.Generator, dialogues: dict, classes: int, speakers: str | int,
                     dims: tuple[int, ...]) -> dict[str, dict]:
    """Per-dialogue fields with features that carry the label: speakers as letters ('M'/'F', 'A'/'B') or
    one-hot lists of ``speakers`` ints (MELD), python-int labels, float vectors, sentences."""
    protos = [rng.normal(size=(classes, d)) for d in dims]
    out: dict[str, dict] = {"ids": {}, "speakers": {}, "labels": {}, "sentiment": {}, "sentences": {},
                            **{f"f{i}": {} for i in range(len(dims))}}
    for dia, n in dialogues.items():
        labels = [int(x) for x in rng.integers(0, classes, n)]
        who = [k % 2 for k in range(n)]
        if isinstance(speakers, str):
            counters = {g: 0 for g in speakers}
            ids = []
            for w in who:
                g = speakers[w]
                ids.append(f"{dia}_{g}{counters[g]:03d}")
                counters[g] += 1
            out["ids"][dia], out["speakers"][dia] = ids, [speakers[w] for w in who]
        else:
            out["ids"][dia] = list(range(n))
            out["speakers"][dia] = [[int(i == w) for i in range(speakers)] for w in who]
        out["labels"][dia], out["sentiment"][dia] = labels, [min(c, 2) for c in labels]
        mark = "'" if isinstance(speakers, str) else "\x92"  # MELD's old files carry cp1252 bytes read as latin-1
        out["sentences"][dia] = [f"sentence {k} of {dia}{mark}s talk" for k in range(n)]
        for i, p in enumerate(protos):
            out[f"f{i}"][dia] = [(p[c] + 0.5 * rng.normal(size=p.shape[1])).astype(np.float32) for c in labels]
    return out


def erc_pickles(out: Path) -> None:
    """One file per published ERC layout, each with its own field order and value types (small dims)."""
    rng = np.random.default_rng(0)
    dias = {f"Ses0{s}{g}_impro0{k}": 6 for s in range(1, 6) for g in "FM" for k in range(1, 4)}
    test = [d for d in dias if d.startswith("Ses05")]
    train = [d for d in dias if d not in test]
    f = _dialogue_fields(rng, dias, 6, "MF", (16, 16, 16))
    write(out / "IEMOCAP_features.pkl", [f["ids"], f["speakers"], f["labels"], f["f0"], f["f1"], f["f2"],
                                         f["sentences"], train, test])
    cosmic = _dialogue_fields(rng, dias, 6, "MF", (16, 16, 16, 16))
    write(out / "iemocap_features_roberta.pkl", [cosmic["speakers"], cosmic["labels"], cosmic["f0"], cosmic["f1"],
                                                 cosmic["f2"], cosmic["f3"], cosmic["sentences"], train[2:], test,
                                                 train[:2]])
    # MELD: one numbering across splits (train 0-1038, dev 1039-1152, test 1153-1432); DialogueRNN and
    # MMGCN files list dev dialogues among the training ids.
    mtrain, mdev, mtest = list(range(30)), list(range(1039, 1044)), list(range(1153, 1163))
    mdias = {d: 5 for d in mtrain + mdev + mtest}
    m = _dialogue_fields(rng, mdias, 7, 9, (16, 16, 16))
    write(out / "MELD_features_raw.pkl", [m["ids"], m["speakers"], m["labels"], m["f0"], m["f1"], m["sentences"],
                                          mtrain + mdev, mtest, m["sentiment"]])
    write(out / "MELD_features_raw1.pkl", [m["ids"], m["speakers"], m["labels"], m["f0"], m["f1"], m["f2"],
                                           m["sentences"], mtrain + mdev, mtest, m["sentiment"]])
    write(out / "meld_cosmic.pkl", [m["speakers"], m["labels"], m["sentiment"], m["sentences"], mtrain, mtest, mdev])
    write(out / "meld_features_roberta.pkl", [m["speakers"], m["labels"], m["sentiment"], m["f0"], m["f1"], m["f0"],
                                              m["f1"], m["sentences"], mtrain, mtest, mdev])
    edias = {f"series{s}_{k}": 4 for s in "abc" for k in (1, 2)}
    e = _dialogue_fields(rng, edias, 7, "AB", (16, 16, 16))
    e["ids"] = {d: [f"{d}_{k + 1}" for k in range(n)] for d, n in edias.items()}
    write(out / "M3ED_features.pkl", [e["ids"], e["speakers"], e["labels"], e["f0"], e["f1"], e["f2"], e["sentences"],
                                      ["seriesa_1", "seriesa_2"], ["seriesc_1", "seriesc_2"], ["seriesb_1", "seriesb_2"]])


def write(path: Path, data: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(data, f, protocol=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "tests" / "fixtures"))
    parser.add_argument("--only", nargs="*", choices=["iemocap_raw", "meld_raw", "m3ed_raw", "pickles"],
                        help="rebuild only these (default: all)")
    args = parser.parse_args()
    out = Path(args.out)
    chosen = set(args.only or ["iemocap_raw", "meld_raw", "m3ed_raw", "pickles"])
    if chosen - {"pickles"}:
        need("espeak-ng", "sox", "ffmpeg")
    for name, build in (("iemocap_raw", iemocap), ("meld_raw", meld), ("m3ed_raw", m3ed)):
        if name not in chosen:
            continue
        target = out / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        build(target)
        print(f"wrote {target}")
    if "pickles" in chosen:
        erc_pickles(out / "pickles")
        print(f"wrote {out / 'pickles'}")


if __name__ == "__main__":
    main()
