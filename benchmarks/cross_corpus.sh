#!/usr/bin/env bash
# Cross-corpus table between the three real speech corpora of ../shared/data (RAVDESS, EmoDB, nEMO): train and
# select on one corpus (its speaker-independent protocol: ravdess_si, or speaker_kfold's 5 folds), test on every
# utterance of another over the emotions both share, with the audio-only MLP on Whisper base statistics; each pair
# once with the training corpus' statistics (`data.feature_norm: train`) and once with each corpus standardised by
# its own (`corpus`). Mean ± std over seeds (and folds); `mer results compare OUT/<src>_<tgt>_<norm>` redraws a table.
# Usage: bash benchmarks/cross_corpus.sh [OUT_DIR] [--quick]     (Whisper base: see benchmarks/speech_scoreboard.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/cross_corpus}
SEEDS=3; EPOCHS=(--set train.epochs=60 --set train.patience=20)
if [[ "${2:-}" == "--quick" ]]; then SEEDS=1; EPOCHS=(--epochs 3); fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
MER=${MER:-.venv/bin/mer}
DATA=${MER_SHARED_DATA:-../shared/data}
COMMON=(--model early_fusion --seeds $SEEDS "${EPOCHS[@]}" --set train.monitor=ua --set train.threads=1 --resume
  --set 'model.encoders={_delete_: true, audio: {type: features, norm: standardize}}'
  --set 'data.features={audio: {type: whisper_ct2, path: base, pool: stats}}')
for src in ravdess emodb nemo; do
  for tgt in ravdess emodb nemo; do
    [[ $src == "$tgt" ]] && continue
    for norm in train corpus; do
      $MER bench "${COMMON[@]}" --dataset $src --root "$DATA/$src" --test-dataset $tgt --test-root "$DATA/$tgt" \
        --set data.feature_norm=$norm --out "$OUT/${src}_${tgt}_${norm}"
    done
  done
done
