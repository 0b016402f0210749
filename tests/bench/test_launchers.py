"""`--launcher ray` (a local 2-CPU Ray instance) and `--launcher slurm` (submitit's local executor) give the
records of a bench run in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from mer_toolkit.bench.runner import plan_grid, run_bench
from mer_toolkit.bench.launchers import LaunchOptions
from mer_toolkit.plugins import get_registry
from mer_toolkit.results import read_records

SMALL = ["data.dataset_options.dialogues=40"]


def grid() -> list:
    return plan_grid(["concat_mlp"], ["demo"], [1, 2], get_registry(), overrides=SMALL, epochs=2, device="cpu")



@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    run_bench(grid(), out, get_registry(), resume=False, epochs=2, device="cpu")
    return out


def test_ray_tasks_on_a_local_two_cpu_instance(serial: Path, tmp_path: Path, cell_metrics) -> None:
    ray = pytest.importorskip("ray")
    events = []
    # the launcher starts (and stops) a local instance with this machine's CPUs, its workers not reniced
    recs = run_bench(grid(), tmp_path, get_registry(), resume=False, epochs=2, device="cpu",
                     launch_opts=LaunchOptions("ray", jobs=2), on_event=lambda kind, c, _: events.append(kind))
    assert not ray.is_initialized()
    assert len(recs) == 2 and events.count("done") == 2
    assert cell_metrics(tmp_path / "results.jsonl") == cell_metrics(serial / "results.jsonl")


def test_slurm_job_array_through_submitit_local_executor(serial: Path, tmp_path: Path,
                                                         cell_metrics) -> None:  # noqa: ANN001 - fixture
    pytest.importorskip("submitit")
    opts = LaunchOptions("slurm", jobs=2, slurm_folder=str(tmp_path / "slurm"), slurm_cluster="local",
                         poll_seconds=0.5)
    recs = run_bench(grid(), tmp_path / "out", get_registry(), resume=False, epochs=2, device="cpu", launch_opts=opts)
    assert len(recs) == 2
    assert cell_metrics(tmp_path / "out" / "results.jsonl") == cell_metrics(serial / "results.jsonl")
    assert list((tmp_path / "slurm").glob("*/*_submitted.pkl"))  # submitted as jobs, not run in this process
