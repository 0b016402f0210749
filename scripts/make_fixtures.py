"""Generate miniature IEMOCAP, MELD and M3ED corpora in their exact release layouts (tests/fixtures/).

Speech is synthesised with espeak-ng; each emotion gets its own pitch and rate so that the audio
carries the label, and sox converts it to 16 kHz mono. MELD and M3ED clips are wrapped in MP4
containers (AAC audio) with ffmpeg, as in their releases. Small ERC-style feature pickles are written
too. Deterministic: the same files every run. Run: `python scripts/make_fixtures.py [--out DIR]`.
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
    """One dialogue in each of three series (train/val/test), three utterances, mp4 clips per series."""
    emotions = ["Happy", "Neutral", "Sad", "Anger", "Neutral", "Happy", "Sad", "Anger", "Neutral"]
    annotation: dict = {}
    split_names = {"train": "seriesa", "val": "seriesb", "test": "seriesc"}
    k = 0
    for split, series in split_names.items():
        dia = f"{series}_1"
        dialog = {}
        for u in range(3):
            utt = f"{dia}_{u + 1}"
            emo = emotions[k]
            k += 1
            text = ["你好，今天怎么样？", "我很好，谢谢。", "我们走吧。"][u]
            dialog[utt] = {"StartTime": f"00:00:0{u}:00", "EndTime": f"00:00:0{u}:20", "Text": text,
                           "Speaker": "AB"[u % 2],
                           "EmoAnnotation": {"EmoAnnotator1": [emo], "EmoAnnotator2": [emo], "EmoAnnotator3": [emo],
                                             "final_mul_emo": [emo], "final_main_emo": emo}}
            with tempfile.TemporaryDirectory() as tmp:
                wav = Path(tmp) / "a.wav"
                speak(text, emo, wav, voice="cmn")
                to_mp4(wav, out / "clips" / series / f"{utt}.mp4")
        annotation[series] = {dia: {"SpeakerInfo": {"A": {"Gender": "female"}, "B": {"Gender": "male"}}, "Dialog": dialog}}
    (out / "annotation.json").write_text(json.dumps(annotation, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "splitInfo").mkdir(parents=True, exist_ok=True)
    for split, series in split_names.items():
        (out / "splitInfo" / f"movie_list_{split}.txt").write_text(series + "\n")
    (out / "splitInfo" / "movie_list_total.txt").write_text("\n".join(split_names.values()) + "\n")


def feature_pickle(path: Path, dialogues: dict[str, int], train: list[str], test: list[str], classes: int,
                   extra: int = 0, seed: int = 0) -> None:
    """An ERC feature pickle with the 9-item layout (+``extra`` trailing items) and learnable features."""
    rng = np.random.default_rng(seed)
    ids, spk, lab, txt, aud, vis, sent = {}, {}, {}, {}, {}, {}, {}
    protos = rng.normal(size=(classes, 3, 16)).astype(np.float32)
    for dia, n in dialogues.items():
        labels = [int(x) for x in rng.integers(0, classes, n)]
        ids[dia] = [f"{dia}_{'FM'[k % 2]}{k:03d}" for k in range(n)]
        spk[dia] = ["FM"[k % 2] for k in range(n)]
        lab[dia] = labels
        txt[dia] = [protos[c, 0] + 0.5 * rng.normal(size=16).astype(np.float32) for c in labels]
        aud[dia] = [protos[c, 1] + 0.5 * rng.normal(size=16).astype(np.float32) for c in labels]
        vis[dia] = [protos[c, 2] + 0.5 * rng.normal(size=16).astype(np.float32) for c in labels]
        sent[dia] = [f"sentence {k}" for k in range(n)]
    data = [ids, spk, lab, txt, aud, vis, sent, train, test] + [[] for _ in range(extra)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(data, f, protocol=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "tests" / "fixtures"))
    args = parser.parse_args()
    need("espeak-ng", "sox", "ffmpeg")
    out = Path(args.out)
    for name, build in (("iemocap_raw", iemocap), ("meld_raw", meld), ("m3ed_raw", m3ed)):
        target = out / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        build(target)
        print(f"wrote {target}")
    dias = {f"Ses0{s}{g}_impro0{k}": 6 for s in range(1, 6) for g in "FM" for k in range(1, 4)}
    test = [d for d in dias if d.startswith("Ses05")]
    feature_pickle(out / "pickles" / "IEMOCAP_features.pkl", dias, [d for d in dias if d not in test], test, 6)
    mdias = {str(d): 5 for d in range(40)}
    feature_pickle(out / "pickles" / "MELD_features_raw1.pkl", mdias, [str(d) for d in range(30)],
                   [str(d) for d in range(30, 40)], 7, extra=1, seed=1)
    print(f"wrote {out / 'pickles'}")


if __name__ == "__main__":
    main()
