"""Fixtures shared by the toolkit's and the plugins' tests: the real data files and trained demo references."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mer_toolkit.data.datasets.demo import make_demo
from mer_toolkit.testing import accuracy_on, load_trained, train_tiny

# ``$MER_SHARED_DATA`` or ``../shared/data`` next to the repository (a mutation run works in ``mutants/``, a level
# deeper, so `make mutation` passes the folder on through the variable).
SHARED_DATA = Path(os.environ.get("MER_SHARED_DATA") or Path(__file__).resolve().parent.parent / "shared" / "data")


def pytest_configure(config: pytest.Config) -> None:
    """Each xdist worker (and every process it starts) trains on one thread: two workers on two cores.

    With torch's default of one thread per core, two workers oversubscribe the cores and the suite takes
    about a quarter longer; a variable already set by the user wins.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``MER_CACHE_DIR`` in a temporary folder for the whole session: features extracted and test evaluations
    logged by the tests (the test-access ledger lives there) never reach the user's cache."""
    folder = tmp_path_factory.mktemp("mer_cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("MER_CACHE_DIR", str(folder))
    yield folder
    patch.undo()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``$MER_SHARED_DATA`` or ``../shared/data``: absent, tests skip locally and fail under CI (``CI=true``)."""
    if not SHARED_DATA.is_dir():
        message = f"real dataset files not available: {SHARED_DATA} is absent"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (CI=true: real-data tests may not be skipped)", pytrace=False)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Text-only, audio-only and both-modality ``concat_mlp`` runs on demo (same budget), trained once."""
    runs = {}
    for name, mods in (("text", ["text"]), ("audio", ["audio"]), ("both", ["text", "audio"])):
        cfg = {"_base_": "concat_mlp", "model": {"encoders": {"_delete_": True, **{m: "features" for m in mods}},
                                                 "adapters": {"_delete_": True,
                                                              **{m: {"type": "mlp", "dim": 128} for m in mods}}}}
        runs[name] = train_tiny(cfg, tmp_path_factory.mktemp(f"demo_{name}"), epochs=12)
    return runs


@pytest.fixture(scope="session")
def demo_test_utterances() -> dict[str, list]:
    """The demo test utterances whose text and audio cues agree, and those whose cues disagree."""
    test = [s for s in make_demo().samples if s.meta["split"] == "test"]
    return {"agree": [s for s in test if not s.meta["conflict"]], "conflict": [s for s in test if s.meta["conflict"]]}


@pytest.fixture(scope="session")
def single_modality_accuracy(demo_references: dict[str, dict],
                             demo_test_utterances: dict[str, list]) -> dict[str, dict[str, float]]:
    """Accuracy (%) of the text-only and the audio-only reference on agreeing and on disagreeing test utterances."""
    return {m: {part: accuracy_on(load_trained(demo_references[m]["run_dir"]), samples)
                for part, samples in demo_test_utterances.items()} for m in ("text", "audio")}
