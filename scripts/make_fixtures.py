"""Generate miniature corpora in their exact release layouts (tests/fixtures/).

IEMOCAP, MELD and M3ED: speech is synthesised with espeak-ng; each emotion gets its own pitch and rate so
that the audio carries the label, and sox converts it to 16 kHz mono. MELD clips are wrapped in MP4
containers (AAC audio) with ffmpeg and M3ED speech is kept as ``modality_speech/<Speaker>_<utt>.wav``, as in
their releases. One small pickle per published ERC layout is written too. CMU-MOSI (the bc-LSTM feature
release, MMSA's pickles), MERBench's MELD and MOSI folders, EmoBox metadata folders, EmoDB and nEMO are
written with numpy and soundfile alone (their audio is a short tone per emotion); these and ``pickles``
need no tools. Deterministic: the same files every run.
Run: `python scripts/make_fixtures.py [--out DIR] [--only ...]`.
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
import soundfile as sf

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


# -- layouts written without external tools ------------------------------------------------------------
def tone(path: Path, pitch: float, seconds: float = 0.25, rate: int = 16000) -> None:
    """A short 16-bit mono tone: the miniature audio of the corpora whose layout, not sound, is under test."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32), rate, subtype="PCM_16")


def quoted_csv(path: Path, rows: list[list]) -> None:
    """A headerless CSV with every field quoted, as the bc-LSTM release writes its files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(",".join(f'"{v}"' for v in row) + "\n" for row in rows), encoding="utf-8")


MOSI_VIDEOS = {"train": ["aVidTrain01", "bVidTrain02", "cVidTrain03", "dVidTrain04"], "test": ["eVidTest05", "fVidTest06"]}
MOSI_TEXTS = ["I REALLY LOVED THIS MOVIE", "THE ENDING WAS TERRIBLE", "IT WAS OKAY I GUESS", "THE ACTING IS GREAT"]


def mosi_bclstm(out: Path) -> None:
    """The bc-LSTM release of CMU-MOSI: transcripts.csv (sorted by id, as released), text_{split}.csv whose
    column 0 points into it, and per-modality feature files in the same row order. Feature rows are listed in
    another order than transcripts.csv, and every vector starts with its transcripts.csv row number, so a
    reader that pairs rows by position instead of through text_{split}.csv is caught."""
    rng = np.random.default_rng(3)
    utts = [(split, f"{v}_{c}", v) for split, vids in MOSI_VIDEOS.items() for v in vids for c in (1, 2, 10)]
    order = sorted(range(len(utts)), key=lambda i: utts[i][1])  # transcripts.csv: sorted by utterance id
    row_of = {utts[i][1]: r for r, i in enumerate(order)}
    labels = {u: int(k % 3 != 1) for k, (_, u, _) in enumerate(utts)}
    video_index = {v: k + 1 for k, v in enumerate(sorted({v for _, _, v in utts}))}
    quoted_csv(out / "transcripts.csv", [[utts[i][1], MOSI_TEXTS[i % len(MOSI_TEXTS)], video_index[utts[i][2]],
                                         labels[utts[i][1]]] for i in order])
    dims = {"text": 100, "audio": 73, "video": 100}
    for split in ("train", "test"):
        ids = [u for s, u, _ in utts if s == split][::-1]  # feature rows in another order than transcripts.csv
        vectors = {m: [[row_of[u], *np.round(rng.normal(size=d - 1) + labels[u], 4)] for u in ids] for m, d in dims.items()}
        quoted_csv(out / f"text_{split}.csv", [[row_of[u], *vec[1:]] for u, vec in zip(ids, vectors["text"])])
        for m, rows in vectors.items():
            quoted_csv(out / m / f"{m}_{split}0.csv", [[*vec, labels[u]] for u, vec in zip(ids, rows)])


def mosi_mmsa(out: Path) -> None:
    """MMSA's aligned_50.pkl / unaligned_50.pkl in their field order and types (thuiar/MMSA README, MMSA-FET
    dataset.py): numpy arrays per split; ids ``<video>$_$<clip>``; regression labels in [-3, 3] with one 0.0
    (left out as neither class) and one -inf audio value (MMSA's loader zeroes it). Sequence and feature sizes
    are small (the release: 50 steps, text 768, audio 5, vision 20)."""
    rng = np.random.default_rng(4)
    steps, dims = 6, {"text": 16, "audio": 5, "vision": 20}
    scores = {"train": [2.4, -1.2, 0.6, -0.4, 1.8, -2.8], "valid": [1.0, -1.6], "test": [-0.8, 0.0, 2.2, -3.0]}
    videos = {"train": ["mmsaTrainA", "mmsaTrainB"], "valid": ["mmsaValidC"], "test": ["mmsaTestD", "mmsaTestE"]}
    for aligned in (True, False):
        data = {}
        for split, values in scores.items():
            n = len(values)
            ids = [f"{videos[split][k % len(videos[split])]}$_${k // len(videos[split]) + 1}" for k in range(n)]
            lengths = {m: rng.integers(2, steps + 1, n) for m in ("audio", "vision")}
            text_len = rng.integers(3, steps + 1, n)
            feats = {m: np.zeros((n, steps, d), dtype=np.float32) for m, d in dims.items()}
            for i, v in enumerate(values):
                for m, d in dims.items():
                    valid = text_len[i] if aligned or m == "text" else lengths[m][i]
                    feats[m][i, :valid] = rng.normal(size=(valid, d)) + v
            if split == "train":
                feats["audio"][0, 0, 0] = -np.inf
            text_bert = np.zeros((n, 3, steps), dtype=np.int64)
            for i in range(n):
                text_bert[i, 0, :text_len[i]] = rng.integers(1000, 2000, text_len[i])
                text_bert[i, 1, :text_len[i]] = 1
            part = {"raw_text": np.array([MOSI_TEXTS[i % len(MOSI_TEXTS)].lower() for i in range(n)]),
                    "audio": feats["audio"], "vision": feats["vision"], "id": np.array(ids), "text": feats["text"],
                    "text_bert": text_bert}
            if not aligned:
                part["audio_lengths"], part["vision_lengths"] = lengths["audio"].tolist(), lengths["vision"].tolist()
            part["annotations"] = np.array(["Positive" if v > 0 else "Negative" if v < 0 else "Neutral" for v in values])
            part["classification_labels"] = np.array([2.0 if v > 0 else 0.0 if v < 0 else 1.0 for v in values])
            part["regression_labels"] = np.array(values, dtype=np.float32)
            data[split] = part
        with open(out / ("aligned_50.pkl" if aligned else "unaligned_50.pkl"), "wb") as f:
            pickle.dump(data, f, protocol=4)


MERBENCH_MELD_EMOTIONS = ["anger", "joy", "sadness", "neutral", "disgust", "fear", "surprise"]  # preprocess/meld.py


def merbench(out: Path) -> None:
    """MERBench's folders as MERTools' preprocessing writes them: MELD from the meld_raw fixture's CSVs
    (``{split}_dia{D}_utt{U}`` → {'emo': index in MERTools' order, 'val': -10}, transcription.csv with name,
    english) and MOSI (``<video>_<clip>`` → {'emo': 0, 'val': score}, transcription-engchi-polish.csv)."""
    import csv

    meld_dir, corpora, names = out / "meld", {}, []
    for split, csv_name in (("train", "train_sent_emo.csv"), ("val", "dev_sent_emo.csv"), ("test", "test_sent_emo.csv")):
        with open(ROOT / "tests" / "fixtures" / "meld_raw" / csv_name, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        corpora[f"{split}_corpus"] = {f"{split}_dia{r['Dialogue_ID']}_utt{r['Utterance_ID']}":
                                      {"emo": MERBENCH_MELD_EMOTIONS.index(r["Emotion"]), "val": -10} for r in rows}
        names += [(f"{split}_dia{r['Dialogue_ID']}_utt{r['Utterance_ID']}", r["Utterance"]) for r in rows]
    meld_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(meld_dir / "label.npz", **corpora)
    with open(meld_dir / "transcription.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["name", "english"], *names])
    mosi_dir = out / "mosi"
    mosi_dir.mkdir(parents=True, exist_ok=True)
    scores = {"train": [1.4, -0.6, 2.0, -2.2], "val": [0.8, -1.0], "test": [-1.8, 0.0, 0.4]}
    corpora = {f"{split}_corpus": {f"mbVid{split.title()}{k % 2}_{k // 2 + 1}": {"emo": 0, "val": np.float64(v)}
                                   for k, v in enumerate(values)} for split, values in scores.items()}
    np.savez_compressed(mosi_dir / "label.npz", **corpora)
    with open(mosi_dir / "transcription-engchi-polish.csv", "w", encoding="utf-8", newline="") as f:
        rows = [[uid, "句子", MOSI_TEXTS[k % len(MOSI_TEXTS)]] for c in corpora.values() for k, uid in enumerate(c)]
        csv.writer(f).writerows([["name", "chinese", "english"], *rows])


def emobox(out: Path) -> None:
    """Two corpus folders of EmoBox's data/: ``m3ed`` (one fold with a valid list, ``.json`` key → record,
    speakers with spaces in the stm as in the real file) and ``emodb`` (two folds without valid lists,
    ``.jsonl`` records, a label_map.json whose "Neutral" key differs in case from the records' "neutral", and
    EmoBox's older ``<corpus>_<split>_fold<k>.jsonl`` twins, which its loader does not read)."""
    m3ed_words = ["Happy", "Neutral", "Sad", "Anger", "Surprise", "Disgust", "Fear", "Neutral"]
    m3ed = [("train", "seriesa", "seriesa_李雷"), ("train", "seriesa", "seriesa_韩梅梅"),
            ("valid", "seriesb", "seriesb_Jeanette Sue"), ("test", "seriesc", "seriesc_ 刘洋")]
    records: dict[str, dict] = {"train": {}, "valid": {}, "test": {}}
    stm, audmap, k = [], [], 0
    for split, series, speaker in m3ed:
        for u in (1, 2):
            dia = f"{series}_{1 + (k % 2)}"
            key, word = f"m3ed-{dia}_{u + k}", m3ed_words[k % len(m3ed_words)]
            wav = f"downloads/m3ed/modality_speech/{'AB'[u - 1]}_{dia}_{u + k}.wav"
            length = round(0.8 + 0.1 * k, 4)
            records[split][key] = {"wav": wav, "length": length, "emo": word, "dataset": "m3ed", "channel": 1}
            stm.append(f"{key} 1 {speaker} 0 {length} <id={key},lang=en,spk={speaker},emotion={word}> {word}")
            audmap.append(f"{key} 1 0 {length} {wav}")
            k += 1
    folder = out / "m3ed"
    (folder / "fold_1").mkdir(parents=True, exist_ok=True)
    for split, recs in records.items():
        (folder / "fold_1" / f"m3ed_{split}_fold_1.json").write_text(json.dumps(recs, ensure_ascii=False, indent=4))
    (folder / "label_map.json").write_text(json.dumps({"Neutral": "Neutral", "Surprise": "Surprise", "Disgust": "Disgust",
                                                       "Anger": "Angry", "Sad": "Sad", "Happy": "Happy", "Fear": "Fear"},
                                                      indent=4))
    (folder / "data.seg.wrd.stm").write_text("\n".join(stm) + "\n", encoding="utf-8")
    (folder / "data.seg.audmap").write_text("\n".join(audmap) + "\n", encoding="utf-8")
    emodb_words = {"W": "anger", "L": "boredem", "E": "disgust", "A": "fear", "F": "happy", "N": "neutral", "T": "sad"}
    files = [f"{spk}a0{t}{letter}a" for spk in ("03", "08", "09", "10") for t, letter in ((1, "W"), (2, "N"), (4, "F"))]
    folds = {1: ("03", "08"), 2: ("09", "10")}
    folder = out / "emodb"
    stm, audmap = [], []
    for name in files:
        key, word, spk = f"emodb-{name}", emodb_words[name[5]], f"{'male' if name[:2] in ('03', '10') else 'female'}_{name[:2]}"
        stm.append(f"{key} 1 {spk} 0 1.5 <id={key},lang=en,spk={spk},emotion={word}> {word}")
        audmap.append(f"{key} 1 0 1.5 downloads/emodb/wav/{name}.wav")
    for k, test_speakers in folds.items():
        (folder / f"fold_{k}").mkdir(parents=True, exist_ok=True)
        for split in ("train", "test"):
            chosen = [n for n in files if (n[:2] in test_speakers) == (split == "test")]
            rows = [{"key": f"emodb-{n}", "dataset": "emodb", "wav": f"downloads/emodb/wav/{n}.wav", "type": "raw",
                     "sample_rate": 16000, "num_frame": 24000.0, "task": "category", "length": 1.5,
                     "emo": emodb_words[n[5]], "channel": 1} for n in chosen]
            (folder / f"fold_{k}" / f"emodb_{split}_fold_{k}.jsonl").write_text(
                "".join(json.dumps(r) + "\n" for r in rows))
            old = [{"key": r["key"], "dataset": "emodb", "audio": r["wav"], "label": r["emo"]} for r in rows]
            (folder / f"fold_{k}" / f"emodb_{split}_fold{k}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old))
    (folder / "label_map.json").write_text(json.dumps({"anger": "Angry", "boredem": "Boredom", "disgust": "Disgust",
                                                       "fear": "Fear", "happy": "Happy", "Neutral": "Neutral",
                                                       "sad": "Sad"}, indent=4))
    (folder / "data.seg.wrd.stm").write_text("\n".join(stm) + "\n")
    (folder / "data.seg.audmap").write_text("\n".join(audmap) + "\n")


EMODB_PITCH = {"W": 320, "L": 140, "E": 180, "A": 380, "F": 280, "T": 120, "N": 200}


def emodb(out: Path) -> None:
    """EmoDB's release layout: wav/SSTTTEV.wav for six speakers, two or three emotions each."""
    letters = "WLEAFTN"
    for i, speaker in enumerate(("03", "08", "09", "10", "11", "12")):
        for j, text in enumerate(("a01", "b02", "a05")[: 2 + i % 2]):
            letter = letters[(i + 2 * j) % len(letters)]
            tone(out / "wav" / f"{speaker}{text}{letter}{'ab'[j % 2]}.wav", EMODB_PITCH[letter])


NEMO_PITCH = {"anger": 320, "fear": 380, "happiness": 280, "neutral": 200, "sadness": 120, "surprised": 420}


def nemo(out: Path) -> None:
    """nEMO's release layout: data.tsv (speaker ids left-padded with spaces, as released) and samples/."""
    sentences = {1: ("Ala ma kota.", "ala ma kota"), 2: ("Idę do domu.", "idę do domu")}
    speakers = {"EB0": ("female", 27), "IC0": ("female", 24), "KD0": ("female", 28), "KS0": ("male", 23),
                "SM0": ("male", 24), "WR0": ("male", 23)}
    emotions = list(NEMO_PITCH)
    rows = ["file_id\temotion\traw_text\tnormalized_text\tspeaker_id\tgender\tage"]
    for i, (spk, (gender, age)) in enumerate(speakers.items()):
        for n, (raw, norm) in sentences.items():
            emotion = emotions[(i + n) % len(emotions)]
            file_id = f"{spk}_{emotion}_{n}.wav"
            rows.append(f"{file_id}\t{emotion}\t{raw}\t{norm}\t{spk:>11}\t{gender}\t{age}")
            tone(out / "samples" / file_id, NEMO_PITCH[emotion])
    (out / "data.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def write(path: Path, data: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(data, f, protocol=2)


SPOKEN = {"iemocap_raw": iemocap, "meld_raw": meld, "m3ed_raw": m3ed}  # need espeak-ng, sox, ffmpeg
WRITTEN = {"mosi_bclstm": mosi_bclstm, "mosi_mmsa": mosi_mmsa, "merbench": merbench, "emobox": emobox,
           "emodb_raw": emodb, "nemo_raw": nemo}  # numpy and soundfile only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "tests" / "fixtures"))
    parser.add_argument("--only", nargs="*", choices=[*SPOKEN, *WRITTEN, "pickles"],
                        help="rebuild only these (default: all)")
    args = parser.parse_args()
    out = Path(args.out)
    chosen = set(args.only or [*SPOKEN, *WRITTEN, "pickles"])
    if chosen & set(SPOKEN):
        need("espeak-ng", "sox", "ffmpeg")
    for name, build in {**SPOKEN, **WRITTEN}.items():
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
