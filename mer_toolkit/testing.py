"""Test helpers for part and plugin authors (the fixtures built on them are in ``pytest_plugin.py``).

- ``fresh_registry()``: registries with the builtin parts only (or also the installed plugins);
- ``make_tiny_batch(...)``: small random ``Batch``es (pooled or sequence layout, any modalities);
- ``check_part(part, kind, batch)``: forward + backward, shape and finiteness checks;
- ``train_tiny(config, tmp_path)``: trains a config for a few epochs on ``demo`` and returns its record;
- ``run_mer(*args)`` runs the ``mer`` CLI entry in this process (fast, extra import folders with
  ``sys_path=``), ``run_mer_process(*args)`` in a fresh interpreter (hard kills, several processes);
  both return a ``CompletedProcess``;
- ``assert_clean_error(proc, ...)`` checks a one-paragraph user error, ``fake_dist(site, ...)`` lays out an
  installed one-module plugin;
- ``load_trained(run_dir)`` rebuilds the selected model of a run, ``accuracy_on(model, samples)`` scores it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import os
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from .data.sample import Sample, collate
from .components.parts import as_part_output, takes_batch
from .plugins.registry import Registries

__all__ = ["fresh_registry", "make_tiny_batch", "check_part", "train_tiny", "load_trained", "accuracy_on",
           "run_mer", "run_mer_process", "assert_clean_error", "fake_dist"]


def fresh_registry(entry_points: bool = False) -> Registries:
    """New registries with builtins (and, if asked, installed entry-point plugins) loaded."""
    from .plugins.host import PluginHost

    host = PluginHost(entry_points=None if entry_points else [])
    host.load()
    return host.registry


def make_tiny_batch(layout: str = "sequence", modalities: Sequence[str] = ("text", "audio"), batch_size: int = 8,
                    num_classes: int = 4, dims: dict[str, int] | None = None, dialogues: int = 2,
                    seed: int = 0) -> Any:
    """A random ``Batch``: ``layout='pooled'`` gives ``T = 1``, ``'sequence'`` variable lengths with padding."""
    g = torch.Generator().manual_seed(seed)
    dims = dims or {m: 12 + 4 * i for i, m in enumerate(modalities)}
    samples = []
    for i in range(batch_size):
        mods = {}
        for m in modalities:
            t = 1 if layout == "pooled" else int(torch.randint(2, 7, (1,), generator=g))
            x = torch.randn(t, dims[m], generator=g)
            mods[m] = x[0] if layout == "pooled" else x
        d = i * dialogues // batch_size
        samples.append(Sample(id=f"u{i}", label=i % num_classes, modalities=mods, dialogue_id=f"d{d}",
                              position=i, speaker="AB"[i % 2]))
    return collate(samples)


def check_part(part: torch.nn.Module, kind: str, batch: Any, in_dims: dict[str, int] | None = None) -> Any:
    """Run ``part`` forward and backward on ``batch`` the way ``ComposedModel`` calls it; returns the output."""
    feats = {m: batch.inputs[m] for m in batch.inputs}
    masks = dict(batch.masks)
    extra = {"batch": batch} if takes_batch(part) else {}
    if kind in ("fusion", "interaction"):
        out = as_part_output(part(feats, masks, **extra))
    elif kind == "head":
        x = torch.cat([f.mean(1) for f in feats.values()], dim=-1)
        out = as_part_output(part(x, **extra))
    elif kind in ("adapter", "encoder"):
        m = next(iter(feats))
        out = as_part_output(part(feats[m], masks[m]))
    else:
        raise ValueError(f"check_part: unknown kind '{kind}'")
    values = out.value if isinstance(out.value, dict) else {"value": out.value[0] if isinstance(out.value, tuple)
                                                            else out.value}
    total = torch.zeros(())
    for name, v in values.items():
        assert isinstance(v, torch.Tensor), f"{kind} output '{name}' is {type(v).__name__}, not a tensor"
        assert v.shape[0] == len(batch), f"{kind} output '{name}' has batch size {v.shape[0]}, not {len(batch)}"
        assert torch.isfinite(v).all(), f"{kind} output '{name}' has non-finite values"
        total = total + v.float().pow(2).mean()
    declared = tuple(getattr(part, "term_names", ()) or ())
    for name, loss in out.losses.items():
        assert name in declared, f"{kind} emits loss term '{name}' but declares only {declared} in term_names"
        assert loss.dim() == 0 and torch.isfinite(loss), f"{kind} loss '{name}' is not a finite scalar"
        total = total + loss
    if any(p.requires_grad for p in part.parameters()):
        total.backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters()), \
            f"{kind}: no parameter received a gradient"
    return out


def train_tiny(config: str | dict[str, Any], run_dir: Path, *, dataset: str = "demo", epochs: int = 2,
               registry: Registries | None = None, overrides: Sequence[str] = (), seed: int = 0) -> dict[str, Any]:
    """Train ``config`` (registered name, YAML path or mapping) for a few epochs; returns the run record."""
    from .config import resolve_config
    from .run.experiment import CorpusCache, run_fold, run_settings, select_dataset

    reg = registry or fresh_registry(entry_points=True)
    cfg = select_dataset(resolve_config(config, reg, list(overrides)), dataset, registry=reg)
    settings = run_settings(cfg, seed, epochs, "cpu")
    cache = CorpusCache(reg)
    name = config if isinstance(config, str) else "inline"
    return run_fold(settings, cache.corpus(settings), cache.folds(settings)[0], reg, run_dir=Path(run_dir),
                    model_name=name)


def load_trained(run_dir: Path, registry: Registries | None = None) -> torch.nn.Module:
    """The model selected by a run (``best.pt`` of ``run_dir``), rebuilt from its own config, in eval mode."""
    from .run.inference import load_trained as load

    return load(Path(run_dir) / "best.pt", registry or fresh_registry(entry_points=True)).model


@torch.no_grad()
def accuracy_on(model: torch.nn.Module, samples: Sequence[Sample], shuffled: str | None = None) -> float:
    """Accuracy (%) of ``model`` on ``samples``; with ``shuffled='audio'`` each utterance gets the audio of the one
    half the list away (another dialogue), so a model that ignores that modality scores exactly the same."""
    samples = list(samples)
    if shuffled is not None:
        half = len(samples) // 2
        donors = samples[half:] + samples[:half]
        samples = [dataclasses.replace(s, modalities={**s.modalities, shuffled: d.modalities[shuffled]})
                   for s, d in zip(samples, donors)]
    batch = collate(samples)
    predicted = model(batch).logits.argmax(-1)
    return float((predicted == batch.labels).float().mean()) * 100


@contextlib.contextmanager
def _process_state(env: dict[str, str] | None, cwd: Path | None, sys_path: Sequence[Path]) -> Iterator[None]:
    """Apply ``env``, ``cwd`` and extra import paths for one in-process CLI call; restore them, the plugin host,
    the modules imported from those paths and torch's global settings afterwards."""
    from .plugins import host as plugins
    from .cli import output

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    extra = [str(Path(p).resolve()) for p in sys_path]
    os.environ.update({"COLUMNS": "200", **(env or {})})
    widths = [(c, c.width) for c in (output.console, output.err_console)]
    for c, _ in widths:  # the consoles fixed their width at import; a fresh interpreter would read COLUMNS
        c.width = 200
    sys.path[:0] = extra
    importlib.invalidate_caches()
    reload_plugins = bool(env) or bool(extra)
    if reload_plugins:
        plugins.reset()
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        for c, width in widths:
            c.width = width
        os.environ.clear()
        os.environ.update(saved_env)
        for p in extra:
            sys.path.remove(p)
        for name, module in list(sys.modules.items()):
            if any(str(getattr(module, "__file__", None) or "").startswith(p) for p in extra):
                del sys.modules[name]
        importlib.invalidate_caches()
        if reload_plugins:
            plugins.reset()
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic, warn_only=True)


def run_mer(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            sys_path: Sequence[Path] = ()) -> subprocess.CompletedProcess:
    """Run ``mer ARGS`` through the CLI entry in this process; exit code and output as a subprocess would give.

    ``sys_path`` folders are importable (and their entry points visible) for this call only, as
    ``PYTHONPATH`` would make them in a new interpreter. An exception escaping ``main`` (only with
    ``--debug`` or strict plugins) becomes a traceback on stderr and exit code 1, as in a fresh interpreter.
    """
    from .cli.main import main

    if env and "PYTHONPATH" in env:
        raise ValueError("run_mer: pass import folders as sys_path=[...]; PYTHONPATH only affects a new interpreter")
    out, err = io.StringIO(), io.StringIO()
    with _process_state(env, cwd, sys_path), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception:  # noqa: BLE001 - reported like an uncaught exception in a fresh interpreter
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(["mer", *args], code, out.getvalue(), err.getvalue())


def run_mer_process(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                    timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``mer ARGS`` in a fresh interpreter, as a user would; returns the completed process."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "mer_toolkit.cli.main", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


def assert_clean_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit code 2, one paragraph starting with 'error:', no traceback, and every needle in it."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], err[-2000:])
    assert "Traceback" not in err and err.startswith("error:") and err.count("\n") == 0, err
    for n in needles:
        assert n in err, (n, err)


def fake_dist(site: Path, dist: str, ep_name: str, module: str, code: str) -> None:
    """Lay out a one-module distribution as pip installs it (module + dist-info with a mer_toolkit entry point)."""
    (site / f"{module}.py").write_text(textwrap.dedent(code))
    info = site / f"{dist.replace('-', '_')}-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(f"[mer_toolkit]\n{ep_name} = {module}\n")
