#!/usr/bin/env bash
# What `pip install` gives a user: builds the wheels of the three distributions, checks them with twine,
# installs them (not editable) into a fresh virtual environment and runs the CLI from a folder outside
# the repository. PYTHON must have `build` and `twine` (`make wheel-check` passes the project's .venv).
set -euo pipefail

PYTHON=${PYTHON:-python3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mer-wheels.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { printf '\n== %s (%ds)\n' "$*" "$SECONDS"; }

step "copy the working tree to $work/src (builds leave no egg-info or build/ in the repository)"
mkdir -p "$work/src" "$work/dist" "$work/outside"
git -C "$repo" ls-files -co --exclude-standard | while IFS= read -r f; do [ -e "$repo/$f" ] && printf '%s\n' "$f"; done |
  tar -C "$repo" -cf - -T - | tar -C "$work/src" -xf -

for d in . plugins/drkf plugins/baselines; do
  step "python -m build $d"
  "$PYTHON" -m build --outdir "$work/dist" "$work/src/$d" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
  grep '^Successfully built' "$work/build.log"
done

step "twine check --strict"
"$PYTHON" -m twine check --strict "$work/dist"/*

step "fresh virtual environment: torch, then the three wheels"
"$PYTHON" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" torch==2.14.1 torchaudio==2.11.0
"${pip[@]}" "$work/dist"/*.whl
mer="$work/venv/bin/mer"

cd "$work/outside"
step "mer --version"
"$mer" --version
step "mer list"
"$mer" list | tail -n 3
"$mer" list model --json | "$work/venv/bin/python" -c "
import json, sys
names = {r['name'] for r in json.load(sys.stdin)}
missing = {'concat_mlp', 'drkf', 'drkf-e2e', 'early_fusion', 'mmgcn'} - names
sys.exit(f'model configs missing from the wheels: {sorted(missing)}' if missing else 0)"
step "mer doctor"
"$mer" doctor
step "mer info drkf (published figures are package data of mer-drkf)"
"$mer" info drkf | tee "$work/info.txt" | tail -n 3
grep -q "MSED ACC 50.6, WF1 52.0" "$work/info.txt" || { echo "DRKF's published figures were not found"; exit 1; }
step "mer bench --model drkf,early_fusion --dataset demo --epochs 2"
"$mer" bench --model drkf,early_fusion --dataset demo --epochs 2 --out bench
step "mer results compare bench"
"$mer" results compare bench --out compared
ls compared
step "wheels work outside the repository"
