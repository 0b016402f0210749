"""Protocol guardrails computed from the data of a fold, recorded with every result.

Three checks: no utterance in two splits; the selection split is not the test split; train/test
speaker-disjoint where the protocol claims speaker independence. A fold passes as ``clean`` or
names its violations, so a table built on it can say which results are not what they claim.
"""

from __future__ import annotations

from typing import Any

from .corpus import Fold

__all__ = ["check_fold", "summarize_checks"]


def _overlap(a: list, b: list, key: str) -> list[str]:
    other = {getattr(s, key) for s in b}
    return sorted({getattr(s, key) for s in a if getattr(s, key) in other})


def check_fold(fold: Fold, speaker_independent: bool) -> dict[str, Any]:
    """The guardrail checks of ``fold``: each check's outcome and an overall ``status``."""
    pairs = (("train", "val"), ("train", "test"), ("val", "test"))
    shared = {f"{a}/{b}": ids for a, b in pairs if (ids := _overlap(getattr(fold, a), getattr(fold, b), "id"))}
    violations = [f"{len(ids)} utterance(s) in both {where} (e.g. {ids[0]})" for where, ids in shared.items()]
    if fold.selection == "test":
        violations.append("model selection uses the test split")
    checks: dict[str, Any] = {"disjoint_utterances": not shared, "selection_not_test": fold.selection != "test",
                              "speaker_independent_claimed": speaker_independent}
    if speaker_independent:
        speakers = _overlap(fold.train + fold.val, fold.test, "speaker")
        checks["speaker_disjoint"] = not speakers
        if speakers:
            violations.append(f"{len(speakers)} speaker(s) in both train and test of a speaker-independent "
                              f"protocol (e.g. {speakers[0]})")
    checks["status"] = "clean" if not violations else "; ".join(violations)
    return checks


def summarize_checks(statuses: list[str]) -> str:
    """``clean`` when every run was clean, else the distinct violations."""
    bad = sorted({s for s in statuses if s != "clean"})
    return "clean" if not bad else " | ".join(bad)
