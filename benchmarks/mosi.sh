#!/usr/bin/env bash
# CMU-MOSI benchmark (binary sentiment, the bc-LSTM feature release in ../shared/data/mosi): DRKF, its ablations,
# every non-context baseline, the context models and the two unimodal controls (concat_mlp on text alone and on
# audio alone, examples/configs) in one run on text + audio, every model at its shipped defaults (the same tuning
# budget for all: none), SEEDS seeds (default 10) on the `official` protocol (validation = 10 % of the training
# videos, drawn with each seed). Then the table, DRKF against each model with paired intervals, and the
# agreement breakdown (test utterances where the text-only and audio-only controls agree or disagree).
# TEXT_ENCODER=minilm puts MiniLM sentence vectors of the transcripts in place of the release's text vectors.
# MODALITIES=tav adds the release's video vectors to every model (DRKF's family with its trainable 128-wide
# projection, the baselines with the plain `features` encoder; three bench folders, OUT/{drkf,baselines,controls},
# compared together) and a video-only control.
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
DRKF_MODELS=drkf,drkf-concat,drkf-no-ed,drkf-no-orl,drkf-context
BASELINES=early_fusion,late_fusion,tfn,lmf,mult,misa,mmgcn
bench() {  # MODELS OUT_DIR [extra mer bench arguments]
  local models=$1 out=$2; shift 2
  $MER bench --model "$models" --dataset mosi --root "$DATA/mosi" --seeds "$SEEDS" "${EPOCHS[@]}" \
    "${TEXT_FEATURES[@]}" --set train.threads=1 --jobs "${JOBS:-1}" --resume --out "$out" "$@"
}
if [[ "${MODALITIES:-ta}" == tav ]]; then
  bench "$DRKF_MODELS" "$OUT/drkf" --set 'model.encoders.video={type: features, proj_dim: 128}'
  bench "$BASELINES" "$OUT/baselines" --set model.encoders.video=features
  bench "$TEXT,$AUDIO,examples/configs/video_only.yaml" "$OUT/controls"
  DIRS=("$OUT/drkf" "$OUT/baselines" "$OUT/controls")
  $MER results compare "${DIRS[@]}" --out "$OUT"  # the three folders' table in one summary
else
  bench "$DRKF_MODELS,$BASELINES,$TEXT,$AUDIO" "$OUT"
  DIRS=("$OUT")
fi
for other in early_fusion late_fusion tfn lmf mult misa drkf-concat drkf-no-ed drkf-no-orl $TEXT; do
  $MER results compare "${DIRS[@]}" --test "drkf,$other" --metric wa,wf1
done
$MER results compare "${DIRS[@]}" --test drkf-context,mmgcn --metric wa,wf1
$MER results breakdown "${DIRS[@]}" --by-agreement "$TEXT,$AUDIO" --test drkf,early_fusion
