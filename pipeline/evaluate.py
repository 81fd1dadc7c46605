"""Stage **evaluate**: score the pipeline's outputs against the gold annotations -> ``output/metrics.json``.

Inputs (paths from ``params.yaml`` ``paths``): ``output/mentions.csv``, ``output/claims.csv``, the raw articles in
``seeds/`` read as normalize decoded them (``output/normalized``; :mod:`pipeline.safety.corpus`), and the gold
files ``tests/gold/seeds_gold.csv`` and ``tests/gold/seeds_groups.csv``.

Output: ``output/metrics.json``, a DVC metrics file (``dvc metrics show`` / ``dvc metrics diff``):

- ``mentions``: detection, value, value+unit and full-tuple scores and field accuracies from
  :func:`pipeline.scoring.score_mentions` (its docstring defines every number);
- ``groups``: duplicate-pair recall and conflict groups found / false from
  ``pipeline.scoring_groups.score_groups`` (its docstring defines them).

``metrics.json`` holds numbers only (what DVC compares); the names behind them (missed duplicate pairs,
false conflict groups, missed mentions) are printed with the table, so a rule author sees what to fix.
Invariants: the file is deterministic (sorted keys, floats rounded to 4 decimals, no timestamps), so two runs
on the same inputs are byte-identical and ``git diff`` shows only real changes.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.params import load_params
from pipeline.safety.corpus import read_raw_texts
from pipeline.safety.csvcells import unprotect_row
from pipeline.scoring import Match, locate_gold, match_all, parse_predictions, score_mentions

__all__ = ["format_report", "load_score_groups", "main", "numbers_only", "round_metrics", "run", "to_json"]

GOLD_MENTIONS_FILE = "seeds_gold.csv"
GOLD_GROUPS_FILE = "seeds_groups.csv"
DECIMALS = 4

ScoreGroups = Callable[[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]], dict[str, str]], Any]


def load_score_groups() -> ScoreGroups | None:
    """``pipeline.scoring_groups.score_groups`` if that module exists, else ``None``.

    Imported lazily because the module is owned by the consolidate work and may land later; a missing module
    must not break mention scoring, but any error *inside* it must surface.
    """
    try:
        module = importlib.import_module("pipeline.scoring_groups")
    except ModuleNotFoundError as err:
        if err.name == "pipeline.scoring_groups":
            return None
        raise
    function: ScoreGroups = module.score_groups
    return function


def round_metrics(value: Any, decimals: int = DECIMALS) -> Any:
    """Round every float in a nested structure; ints, strings and bools pass through unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        rounded = round(value, decimals)
        return 0.0 if rounded == 0 else rounded  # no "-0.0"
    if isinstance(value, Mapping):
        return {str(k): round_metrics(v, decimals) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [round_metrics(v, decimals) for v in value]
    return value


def numbers_only(value: Any) -> Any:
    """Drop everything but numbers (and the mappings holding them): ``dvc metrics show/diff`` compare numbers,
    while the lists of names that explain them (missed pairs, false groups) belong in the printed report."""
    if isinstance(value, Mapping):
        kept = {k: numbers_only(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != {}}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def to_json(metrics: Mapping[str, Any]) -> str:
    """Canonical JSON text of the metrics: numbers only, rounded, sorted keys, 2-space indent, final newline."""
    return json.dumps(round_metrics(numbers_only(metrics)), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def run(
    mention_rows: Sequence[Mapping[str, str]],
    gold_rows: Sequence[Mapping[str, str]],
    raw_texts: Mapping[str, str],
    claim_rows: Sequence[Mapping[str, str]] = (),
    group_rows: Sequence[Mapping[str, str]] = (),
    score_groups: ScoreGroups | None = None,
) -> dict[str, Any]:
    """Pure core: all metrics as a nested dict (not yet rounded). ``groups`` only when ``score_groups`` given."""
    metrics: dict[str, Any] = {"mentions": score_mentions(mention_rows, gold_rows, raw_texts)}
    if score_groups is not None:
        metrics["groups"] = score_groups(
            [dict(r) for r in claim_rows],
            [dict(r) for r in mention_rows],
            [dict(r) for r in group_rows],
            dict(raw_texts),
        )
    return metrics


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def format_report(metrics: Mapping[str, Any], match: Match | None = None, max_listed: int = 40) -> str:
    """Human-readable table of the metrics, and (with ``match``) the missed and false mentions."""
    lines: list[str] = []
    mentions = metrics.get("mentions", {})
    header = f"{'mentions':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'tp':>6}{'fp':>6}{'fn':>6}"
    lines += [header, "-" * len(header)]
    for key, label in (
        ("detection", "detection (span)"),
        ("value", "value"),
        ("value_unit", "value+unit"),
        ("tuple", "tuple (v,u,entity,yr)"),
    ):
        block = mentions.get(key)
        if not block:
            continue
        lines.append(
            f"{label:<22}{block['precision']:>10.4f}{block['recall']:>10.4f}{block['f1']:>10.4f}"
            f"{block['tp']:>6}{block['fp']:>6}{block['fn']:>6}"
        )
    accuracy = mentions.get("accuracy", {})
    if accuracy:
        lines += ["", "field accuracy over matched required pairs"]
        lines += [f"  {name:<20}{_fmt(accuracy[name]):>10}" for name in sorted(accuracy)]
    counts = mentions.get("counts", {})
    if counts:
        lines += ["", "counts"] + [f"  {name:<30}{_fmt(counts[name]):>8}" for name in sorted(counts)]
    groups = metrics.get("groups")
    lines.append("")
    if groups is None:
        lines.append("groups: not scored (pipeline/scoring_groups.py not found)")
    else:
        lines.append("groups")
        lines += _flatten_lines(groups, "  ")
    if match is not None:
        if match.missed:
            lines += ["", f"missed required gold mentions ({len(match.missed)}):"]
            lines += [f"  {g.doc} [{g.start}:{g.end}] {g.row.get('quote', '')!r}" for g in match.missed[:max_listed]]
        if match.false:
            lines += ["", f"false positives ({len(match.false)}):"]
            lines += [f"  {p.doc} [{p.start}:{p.end}] {p.row.get('quote', '')!r}" for p in match.false[:max_listed]]
    return "\n".join(lines) + "\n"


def _flatten_lines(value: Any, indent: str, prefix: str = "") -> list[str]:
    if isinstance(value, list | tuple):
        if not value:
            return [f"{indent}{prefix:<40}{'-':>10}"]
        return [f"{indent}{prefix}:"] + [f"{indent}  {item}" for item in value]
    if isinstance(value, Mapping):
        out: list[str] = []
        for key in sorted(value):
            out += _flatten_lines(
                value[key], indent, f"{prefix}{key}." if isinstance(value[key], Mapping) else f"{prefix}{key}"
            )
        return out
    return [f"{indent}{prefix:<40}{_fmt(value):>10}"]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [unprotect_row(row) for row in csv.DictReader(handle)]


def _paths(params_file: Path) -> dict[str, str]:
    paths: dict[str, str] = load_params(params_file).get("paths", {})
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file with `paths`")
    parser.add_argument("--quiet", action="store_true", help="do not print the table")
    args = parser.parse_args(argv)

    paths = _paths(args.params)
    output = Path(paths.get("output", "output"))
    gold_dir = Path(paths.get("gold", "tests/gold"))
    seeds = Path(paths.get("seeds", "seeds"))
    normalized = Path(paths.get("normalized", str(output / "normalized")))

    mention_rows = _read_csv(output / "mentions.csv")
    gold_rows = _read_csv(gold_dir / GOLD_MENTIONS_FILE)
    raw_texts = read_raw_texts(normalized, seeds)
    score_groups = load_score_groups()
    claim_rows: list[dict[str, str]] = []
    group_rows: list[dict[str, str]] = []
    if score_groups is not None:
        claim_rows = _read_csv(output / "claims.csv")
        group_rows = _read_csv(gold_dir / GOLD_GROUPS_FILE)

    metrics = run(mention_rows, gold_rows, raw_texts, claim_rows, group_rows, score_groups)
    (output / "metrics.json").write_text(to_json(metrics), encoding="utf-8")
    if not args.quiet:
        match = match_all(parse_predictions(mention_rows), locate_gold(gold_rows, raw_texts))
        sys.stdout.write(format_report(round_metrics(metrics), match))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
