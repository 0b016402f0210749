#!/usr/bin/env bash
# Real-data scoreboard through the normal CLI (mean ± std over 3 seeds, selection on validation):
#  1. RAVDESS audio + text, speaker-independent (actors 1-18 / 19-20 / 21-24), log-mel fbank statistics;
#  2. MELD and IEMOCAP-6 text-only with frozen MiniLM-L6 sentence features (no dialogue context except MMGCN).
# Usage: bash benchmarks/scoreboard.sh [OUT_DIR] [--quick]   (reads ../shared/data; --quick: 1 seed, 3 epochs)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/scoreboard}
SEEDS=3; EPOCHS=(); TEXT_EPOCHS=(--epochs 15)   # 15 epochs bound the 10k-utterance MELD runs on 2 cores
if [[ "${2:-}" == "--quick" ]]; then SEEDS=1; EPOCHS=(--epochs 3); TEXT_EPOCHS=(--epochs 3); fi
DATA=../shared/data
MER=${MER:-.venv/bin/mer}
AUDIO='data.features={audio: {type: fbank, n_mels: 80, pool: stats}, text: minilm}'
$MER bench --model drkf,early_fusion,late_fusion,tfn,lmf,mult,misa --dataset ravdess --root $DATA/ravdess \
  --seeds $SEEDS "${EPOCHS[@]}" --set "$AUDIO" --out "$OUT/ravdess" --resume
$MER bench --model drkf-text,early_fusion,late_fusion,mmgcn --dataset meld --root $DATA/meld \
  --seeds $SEEDS "${TEXT_EPOCHS[@]}" --set 'data.features={text: minilm}' \
  --set 'model.encoders={_delete_: true, text: {type: features, pool: true}}' --out "$OUT/meld" --resume
$MER bench --model drkf-text,early_fusion,late_fusion,mmgcn --dataset iemocap6 \
  --root $DATA/iemocap/iemocap_cosmic.pkl --seeds $SEEDS "${TEXT_EPOCHS[@]}" --set 'data.features={text: minilm}' \
  --set 'model.encoders={_delete_: true, text: {type: features, pool: true}}' --out "$OUT/iemocap6" --resume
