#!/usr/bin/env bash
# CMU-MOSI benchmark (binary sentiment, the bc-LSTM feature release in ../shared/data/mosi): DRKF, its ablations,
# every non-context baseline, the context models and the two unimodal controls (concat_mlp on text alone and on
# audio alone, examples/configs) in one run on text + audio, every model at its shipped defaults (the same tuning
# budget for all: none), SEEDS seeds (default 10) on the `official` protocol (validation = 10 % of the training
# videos, drawn with each seed). Then the table, DRKF against each model with paired intervals, and the
# agreement breakdown (test utterances where the text-only and audio-only controls agree or disagree).
# TEXT_ENCODER=minilm puts MiniLM sentence vectors of the transcripts in place of the release's text vectors.
# Usage: bash benchmarks/mosi.sh [OUT_DIR] [--quick]     (JOBS=2 runs two cells at a time)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/mosi}
SEEDS=${SEEDS:-10}; EPOCHS=()
if [[ "${2:-}" == "--quick" ]]; then SEEDS=1; EPOCHS=(--epochs 2); fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
MER=${MER:-.venv/bin/mer}
DATA=${MER_SHARED_DATA:-../shared/data}
TEXT_FEATURES=()
if [[ "${TEXT_ENCODER:-release}" == minilm ]]; then
  TEXT_FEATURES=(--set data.dataset_options.text=transcript --set 'data.features={text: minilm}')
fi
TEXT=examples/configs/text_only.yaml
AUDIO=examples/configs/audio_only.yaml
MODELS=drkf,drkf-concat,drkf-no-ed,drkf-no-orl,early_fusion,late_fusion,tfn,lmf,mult,misa,drkf-context,mmgcn,$TEXT,$AUDIO
$MER bench --model "$MODELS" --dataset mosi --root "$DATA/mosi" --seeds "$SEEDS" "${EPOCHS[@]}" "${TEXT_FEATURES[@]}" \
  --set train.threads=1 --jobs "${JOBS:-1}" --resume --out "$OUT"
for other in early_fusion late_fusion tfn lmf mult misa drkf-concat drkf-no-ed drkf-no-orl $TEXT; do
  $MER results compare "$OUT" --test "drkf,$other" --metric wa,wf1
done
$MER results compare "$OUT" --test drkf-context,mmgcn --metric wa,wf1
$MER results breakdown "$OUT" --by-agreement "$TEXT,$AUDIO" --test drkf,early_fusion
