"""Which modality DRKF's Fusion Encoder attends to: mean CLS attention per modality on a split of a run.

Usage: python benchmarks/modality_attention.py RUN_DIR [--split test]   (RUN_DIR holds best.pt)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from mer_toolkit.config.build import check_section
from mer_toolkit.config import ResolvedConfig
from mer_toolkit.data.loader import make_loader
from mer_toolkit.run.experiment import build_model, load_corpus, make_folds
from mer_toolkit.components.model import DataSpec
from mer_toolkit.plugins import get_registry
from mer_toolkit.run.trainer import load_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    args = parser.parse_args()
    reg = get_registry()
    ck = load_checkpoint(Path(args.run_dir) / "best.pt")
    cfg = ResolvedConfig(ck["config"])
    data_cfg = check_section("data", cfg.data["data"], cfg)
    corpus = load_corpus(data_cfg, reg)
    fold = next(f for f in make_folds(corpus, data_cfg, reg) if f.name == ck["fold"])
    model = build_model(cfg, DataSpec(**ck["data_spec"]), reg)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    sums: dict[str, float] = {}
    n = 0
    with torch.no_grad():
        for batch in make_loader(getattr(fold, args.split), 64, shuffle=False):
            att = model(batch).extras.get("fusion.modality_attention") or {}
            for m, v in att.items():
                sums[m] = sums.get(m, 0.0) + float(v.sum())
            n += len(batch)
    if not sums:
        raise SystemExit("this model's fusion reports no modality attention (use a drkf.fusion_encoder model)")
    shares = {m: v / n for m, v in sorted(sums.items())}
    print(f"{ck['model_name']} on {ck['dataset']} {ck['fold']}/{args.split} ({n} utterances)")
    print("mean CLS attention share: " + ", ".join(f"{m} {v:.3f}" for m, v in shares.items()))


if __name__ == "__main__":
    main()
