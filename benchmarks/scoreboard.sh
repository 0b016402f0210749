#!/usr/bin/env bash
# Real-data scoreboard through the normal CLI (mean ± std over 3 seeds, selection on validation):
#   ravdess  RAVDESS audio + text, speaker-independent (actors 1-18 / 19-20 / 21-24), log-mel fbank statistics
#            (standardised with training statistics) + MiniLM sentence vectors;
#   text     MELD and IEMOCAP-6 text-only with frozen MiniLM-L6 sentence features.
# Usage: bash benchmarks/scoreboard.sh [OUT_DIR] [ravdess|text|all] [--quick]   (reads ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/scoreboard}
PART=${2:-all}
SEEDS=3; AUDIO_EPOCHS=(--set train.epochs=60 --set train.patience=20); TEXT_EPOCHS=(--epochs 15)
if [[ "${3:-}" == "--quick" ]]; then SEEDS=1; AUDIO_EPOCHS=(--epochs 3); TEXT_EPOCHS=(--epochs 3); fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
DATA=../shared/data
MER=${MER:-.venv/bin/mer}
if [[ $PART == all || $PART == ravdess ]]; then
  $MER bench --model drkf,early_fusion,late_fusion,tfn,lmf,mult,misa --dataset ravdess --root $DATA/ravdess \
    --seeds $SEEDS "${AUDIO_EPOCHS[@]}" \
    --set 'data.features={audio: {type: fbank, n_mels: 80, pool: stats, cmvn: false}, text: minilm}' \
    --set model.encoders.audio.norm=standardize --set model.encoders.text.norm=standardize \
    --out "$OUT/ravdess" --resume
fi
if [[ $PART == all || $PART == text ]]; then
  TEXT=(--seeds $SEEDS "${TEXT_EPOCHS[@]}" --set 'data.features={text: minilm}'
        --set 'model.encoders={_delete_: true, text: {type: features, pool: true}}')
  $MER bench --model drkf-text,early_fusion,late_fusion,mmgcn --dataset meld --root $DATA/meld "${TEXT[@]}" \
    --out "$OUT/meld" --resume
  $MER bench --model drkf-text,early_fusion,late_fusion,mmgcn --dataset iemocap6 \
    --root $DATA/iemocap/iemocap_cosmic.pkl "${TEXT[@]}" --out "$OUT/iemocap6" --resume
fi
