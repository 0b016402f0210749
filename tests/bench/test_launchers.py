"""The serial bench, `--jobs 2`, `--launcher ray` (a local 2-CPU Ray instance) and `--launcher slurm` (submitit's
local executor) run cells through one `run_cell`: the same records, and a failing cell recorded while the rest go on."""

from __future__ import annotations

from pathlib import Path

import pytest

from mer_toolkit.bench.grid import plan_grid
from mer_toolkit.bench.runner import run_bench
from mer_toolkit.bench.launchers import LaunchOptions
from mer_toolkit.plugins import get_registry
from mer_toolkit.results import read_records

SMALL = ["data.dataset_options.dialogues=40"]


BROKEN = "_base_: concat_mlp\nmodel: {adapters: {text: {type: mlp, in_dim: 7}}}\n"


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - returns a cell factory
    """Two cells that train, and one whose forward raises a plain RuntimeError (an adapter built for 7 features
    fed 32): every path must record it as that cell's failure and finish the others."""
    broken = tmp_path_factory.mktemp("cfg") / "broken.yaml"
    broken.write_text(BROKEN)

    def cells() -> list:
        return plan_grid(["concat_mlp", str(broken)], ["demo"], [1, 2], get_registry(), overrides=SMALL, epochs=2,
                         device="cpu")[:3]
    return cells


def assert_broken_cell_failed(out: Path) -> None:
    (failure,) = read_records(out / "failures.jsonl")
    assert failure["model"].endswith("broken.yaml") and failure["error"].startswith("RuntimeError: ")
    assert not (out / "claims").exists() or not list((out / "claims").iterdir())  # every claim released



@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory, grid) -> Path:  # noqa: ANN001
    out = tmp_path_factory.mktemp("serial")
    run_bench(grid(), out, get_registry(), resume=False)
    assert_broken_cell_failed(out)
    return out


def test_local_worker_processes_record_a_failed_cell_and_go_on(serial: Path, tmp_path: Path, cell_metrics,
                                                               grid) -> None:  # noqa: ANN001
    recs = run_bench(grid(), tmp_path, get_registry(), resume=False, launch_opts=LaunchOptions(jobs=2))
    assert len(recs) == 2 and cell_metrics(tmp_path / "results.jsonl") == cell_metrics(serial / "results.jsonl")
    assert_broken_cell_failed(tmp_path)


def test_ray_tasks_on_a_local_two_cpu_instance(serial: Path, tmp_path: Path, cell_metrics, grid) -> None:  # noqa: ANN001
    ray = pytest.importorskip("ray")
    events = []
    # the launcher starts (and stops) a local instance with this machine's CPUs, its workers not reniced
    recs = run_bench(grid(), tmp_path, get_registry(), resume=False,
                     launch_opts=LaunchOptions("ray", jobs=2), on_event=lambda kind, c, _: events.append(kind))
    assert not ray.is_initialized()
    assert len(recs) == 2 and events.count("done") == 2 and events.count("failed") == 1
    assert cell_metrics(tmp_path / "results.jsonl") == cell_metrics(serial / "results.jsonl")
    assert_broken_cell_failed(tmp_path)


def test_slurm_job_array_through_submitit_local_executor(serial: Path, tmp_path: Path, cell_metrics,
                                                         grid) -> None:  # noqa: ANN001 - fixtures
    pytest.importorskip("submitit")
    opts = LaunchOptions("slurm", jobs=2, slurm_folder=str(tmp_path / "slurm"), slurm_cluster="local",
                         poll_seconds=0.5)
    recs = run_bench(grid(), tmp_path / "out", get_registry(), resume=False, launch_opts=opts)
    assert len(recs) == 2
    assert cell_metrics(tmp_path / "out" / "results.jsonl") == cell_metrics(serial / "results.jsonl")
    assert_broken_cell_failed(tmp_path / "out")
    assert list((tmp_path / "slurm").glob("*/*_submitted.pkl"))  # submitted as jobs, not run in this process
