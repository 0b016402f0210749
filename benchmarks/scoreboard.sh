#!/usr/bin/env bash
# Real-data scoreboard through the normal CLI (mean ± std over 3 seeds, selection on validation):
#   ravdess   RAVDESS audio + text, speaker-independent (actors 1-18 / 19-20 / 21-24), log-mel fbank statistics
#             (standardised with training statistics) + MiniLM sentence vectors;
#   meld, iemocap6 (or text = both)  text only with frozen MiniLM-L6 features: sentence vectors for every
#             model, plus drkf-text on MiniLM token sequences (pooled vs sequence inputs).
# The baselines' text-only encoder is set on the command line; drkf-text is text-only by its own config
# (whose trainable feature projection is what ORL's losses shape), so it runs in its own bench directory.
# Usage: bash benchmarks/scoreboard.sh [OUT_DIR] [ravdess|meld|iemocap6|text|all] [--quick]   (reads ../shared/data)
#        DRKF_ONLY=1 bash benchmarks/scoreboard.sh ...   runs the DRKF rows only
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/scoreboard}
PART=${2:-all}
SEEDS=3; AUDIO_EPOCHS=(--set train.epochs=60 --set train.patience=20); TEXT_EPOCHS=(--epochs 15)
if [[ "${3:-}" == "--quick" ]]; then SEEDS=1; AUDIO_EPOCHS=(--epochs 3); TEXT_EPOCHS=(--epochs 3); fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
DATA=../shared/data
MER=${MER:-.venv/bin/mer}
DRKF_ONLY=${DRKF_ONLY:-0}
if [[ $PART == all || $PART == ravdess ]]; then
  MODELS=drkf,early_fusion,late_fusion,tfn,lmf,mult,misa; [[ $DRKF_ONLY == 1 ]] && MODELS=drkf
  $MER bench --model $MODELS --dataset ravdess --root $DATA/ravdess \
    --seeds $SEEDS "${AUDIO_EPOCHS[@]}" \
    --set 'data.features={audio: {type: fbank, n_mels: 80, pool: stats, cmvn: false}, text: minilm}' \
    --set model.encoders.audio.norm=standardize --set model.encoders.text.norm=standardize \
    --out "$OUT/ravdess" --resume
fi
text_bench() {  # dataset, root
  local ds=$1 root=$2
  if [[ $DRKF_ONLY != 1 ]]; then
    $MER bench --model early_fusion,late_fusion,mmgcn --dataset "$ds" --root "$root" --seeds $SEEDS "${TEXT_EPOCHS[@]}" \
      --set 'data.features={text: minilm}' --set 'model.encoders={_delete_: true, text: {type: features, pool: true}}' \
      --out "$OUT/$ds" --resume
  fi
  $MER bench --model drkf-text --dataset "$ds" --root "$root" --seeds $SEEDS "${TEXT_EPOCHS[@]}" \
    --set 'data.features={text: minilm}' --out "$OUT/$ds-drkf" --resume
  $MER bench --model drkf-text --dataset "$ds" --root "$root" --seeds $SEEDS "${TEXT_EPOCHS[@]}" \
    --set 'data.features={text: {type: minilm, pooling: none}}' --out "$OUT/$ds-drkf-seq" --resume
}
if [[ $PART == all || $PART == text || $PART == iemocap6 ]]; then
  text_bench iemocap6 $DATA/iemocap/iemocap_cosmic.pkl
fi
if [[ $PART == all || $PART == text || $PART == meld ]]; then
  text_bench meld $DATA/meld
fi
