"""``mer list``, ``mer info``, ``mer plugins`` and ``mer doctor``: what is registered and what failed."""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import platform
from typing import Any

from ...errors import PluginError, UnknownComponentError
from ...plugins.registry import KINDS
from ..output import console, print_json, simple_table


def _host() -> Any:
    from ...plugins.host import get_host

    return get_host()


def cmd_list(args: argparse.Namespace) -> int:
    reg = _host().registry
    kinds = [args.kind] if args.kind else list(KINDS)
    rows = []
    for kind in kinds:
        for entry in reg.kind(kind).entries():
            if args.pattern and not fnmatch.fnmatch(entry.name, args.pattern):
                continue
            rows.append({"kind": kind, "name": entry.name, "source": entry.source, "summary": entry.summary})
    if args.json:
        print_json(rows)
        return 0
    console.print(simple_table(None, ["kind", "name", "source", "summary"],
                               [[r["kind"], r["name"], r["source"], r["summary"]] for r in rows]))
    _warn_failures()
    return 0


def _model_parts(reg: Any, name: str) -> dict[str, Any]:
    """The parts a registered model config uses, with where each is defined."""
    from ...config import model_parts, part_type, resolve_config

    cfg = resolve_config(name, reg)
    model = cfg.data.get("model") or {}
    parts: dict[str, Any] = {}

    def add(kind: str, slot: str, node: Any) -> None:
        t = part_type(node)
        if t and t in reg.kind(kind):
            e = reg.kind(kind).entry(t)
            parts[slot] = {"kind": kind, "type": t, "origin": e.origin, "source": e.source}

    for kind, slot, node in model_parts(model):
        add(kind, slot, node)
    return {"parts": parts, "loss_weights": model.get("loss_weights") or {}, "config": cfg.name,
            "per_dataset": sorted((cfg.data.get("per_dataset") or {}))}


def cmd_info(args: argparse.Namespace) -> int:
    reg = _host().registry
    entries = reg.find(args.name) if not args.kind else [reg.kind(args.kind).entry(args.name)]
    if not entries:
        known = {n for k in KINDS for n in reg.kind(k).names()}
        raise UnknownComponentError("part", args.name, known)
    infos = []
    for e in entries:
        info = reg.kind(e.kind).info(e.name)
        if e.kind == "model":
            info.update(_model_parts(reg, e.name))
            info["related"] = [n for n in reg.model.names() if n != e.name and n.startswith(e.name)]
            info["published"] = [{"dataset": f.dataset, "figures": f.text(), "source": f.source}
                                 for f in _host().published_figures() if e.name in f.models]
        infos.append(info)
    if args.json:
        print_json(infos)
        return 0
    for info in infos:
        console.print(f"[bold]{info['name']}[/] ({info['kind']}) from [cyan]{info['source']}[/]")
        console.print(f"  defined in: {info['origin']}")
        if info.get("signature"):
            console.print(f"  signature: {info['name']}{info['signature']}", markup=False)
        if info.get("doc"):
            console.print("  " + info["doc"].strip().replace("\n", "\n  "), markup=False)
        if info["kind"] == "model":
            for slot, p in info["parts"].items():
                console.print(f"  {slot:<18} {p['kind']:<12} {p['type']:<24} {p['origin']} ({p['source']})",
                              markup=False)
            if info["loss_weights"]:
                console.print(f"  loss weights: {info['loss_weights']}", markup=False)
            if info["per_dataset"]:
                console.print(f"  dataset defaults: {', '.join(info['per_dataset'])}")
            if info["related"]:
                console.print(f"  related configs: {', '.join(info['related'])}")
            for f in info["published"]:
                console.print(f"  published (not ours), {f['dataset']}: {f['figures']} — {f['source']}", markup=False)
    return 0


def _warn_failures() -> None:
    failures = _host().failures
    if failures:
        console.print(f"[yellow]{len(failures)} plugin(s) failed to load and were skipped; see `mer plugins`.[/]")


def cmd_plugins(args: argparse.Namespace) -> int:
    host = _host()
    if args.json:
        print_json({"loaded": [vars(p) for p in host.loaded], "failed": [vars(f) for f in host.failures],
                    "disabled": host.disabled})
        return 0
    rows = [[p.name, p.dist, p.version, ", ".join(p.hooks), len(p.registered), "ok"] for p in host.loaded]
    rows += [[f.name, f.dist, f.version, "", 0, f"FAILED at {f.stage}: {f.error}"] for f in host.failures]
    rows += [[n, "", "", "", 0, "disabled"] for n in host.disabled]
    console.print(simple_table("plugins", ["name", "distribution", "version", "hooks", "parts", "status"], rows))
    return 0


def _import_checks(reg: Any) -> list[tuple[str, bool, str]]:
    """Import every part registered by import path: one row for those that import, one per failure."""
    lazy = [e for kind in KINDS for e in reg.kind(kind).entries() if e.lazy]
    failed = []
    for e in lazy:
        try:
            e.obj
        except PluginError as err:
            failed.append((f"{e.kind} {e.name}", False, str(err)))
    return [("parts", not failed, f"{len(lazy) - len(failed)} of {len(lazy)} parts registered by import path import"),
            *failed]


def cmd_doctor(args: argparse.Namespace) -> int:
    import torch

    host = _host()
    checks: list[tuple[str, bool, str]] = []
    checks.append(("python", True, platform.python_version()))
    checks.append(("torch", True, torch.__version__))
    checks.append(("cuda", True, torch.cuda.get_device_name() if torch.cuda.is_available() else "not available (CPU)"))
    for mod in ("torchaudio", "transformers", "pytorch_metric_learning", "torchmetrics", "soundfile", "matplotlib"):
        ok = importlib.util.find_spec(mod) is not None
        version = ""
        if ok:
            try:
                version = str(getattr(__import__(mod), "__version__", "installed"))
            except Exception as err:  # noqa: BLE001 - report any import failure as a problem
                ok, version = False, f"import fails: {err}"
        checks.append((mod, ok, version or "missing"))
    import shutil

    for tool, why in (("ffmpeg", "audio from MELD/M3ED mp4 clips (Debian package ffmpeg)"),):
        checks.append((tool, shutil.which(tool) is not None, shutil.which(tool) or f"missing: needed for {why}"))
    for p in host.loaded:
        checks.append((f"plugin {p.name}", True, f"{p.dist} {p.version}, {len(p.registered)} parts"))
    for f in host.failures:
        checks.append((f"plugin {f.name}", False, f"{f.stage}: {f.error}"))
    checks += _import_checks(host.registry)
    if args.json:
        print_json([{"check": c, "ok": ok, "detail": d} for c, ok, d in checks])
    else:
        console.print(simple_table("mer doctor", ["check", "status", "detail"],
                                   [[c, "ok" if ok else "PROBLEM", d] for c, ok, d in checks]))
    return 0 if all(ok for _, ok, _ in checks) else 1


def register(subparsers: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser("list", help="list registered parts", formatter_class=fmt,
                              description="List registered parts of every kind, or of one kind.",
                              epilog="examples:\n  mer list\n  mer list fusion\n  mer list model 'drkf*'")
    p.add_argument("kind", nargs="?", choices=KINDS, help="only this kind")
    p.add_argument("pattern", nargs="?", help="fnmatch filter on names, e.g. 'drkf*'")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = subparsers.add_parser("info", help="show one part or model config", formatter_class=fmt,
                              description="Signature, documentation, defining module and source plugin of a "
                                          "registered name; for a model, the parts its config uses.",
                              epilog="examples:\n  mer info gated_sum\n  mer info drkf")
    p.add_argument("name")
    p.add_argument("--kind", choices=KINDS, help="disambiguate a name used by several kinds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = subparsers.add_parser("plugins", help="loaded and failed plugins", formatter_class=fmt,
                              description="Plugins loaded (builtins and entry points), their versions and hooks, "
                                          "and every plugin that failed to load with its error.",
                              epilog="example:\n  MER_DISABLE_PLUGINS=drkf mer plugins")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plugins)

    p = subparsers.add_parser("doctor", help="check the installation", formatter_class=fmt,
                              description="Check libraries, CUDA, system tools and plugins; exit 1 on problems.",
                              epilog="example:\n  mer doctor")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)
