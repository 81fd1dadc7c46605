"""Held-out articles: run the whole pipeline on the seeds plus the dev articles and score it with the
gold scorer whose figures count.

Usage::

    python -m benchmarks.devset [--shared ../shared] [--errors N] [--json OUT.json] [--keep DIR]

The dev articles (``<shared>/gold/dev/articles``) are third-party texts: they are read where they lie and
copied only into a temporary directory, never into this repository. The run is the product's own:
``python -m pipeline.normalize``, ``extract`` and ``consolidate`` on a copy of the seeds plus the dev
articles (the dev groups link dev mentions to seed mentions), no per-article cache, default rules and
parameters. The figures come from ``<shared>/gold/score_claims.py`` (loaded from where it lies), which
scores the hidden sets the same way.

Two tables are printed:

- **dev** (held out: the rules were not written on these articles; they are in-sample for whoever tuned
  on them since, so the hidden sets are the real test): the 15 dev documents, scored in the joint run
  against ``seeds_gold.csv`` + ``dev_gold.csv`` and both group files;
- **seeds** (in-sample): the five founding articles, run alone as ``dvc repro`` runs them, against
  ``seeds_gold.csv`` and ``seeds_groups.csv``.

:func:`summary` turns a scorer result into the figures the issue tracks; ``tests/test_devset.py`` holds
them at floors.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["DevRun", "Shared", "load_scorer", "main", "run_pipeline", "score_dev", "score_seeds", "summary"]

#: figure name -> (label, key path into the scorer's result)
FIGURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "detection_precision": ("detection precision", ("detection", "precision")),
    "detection_recall": ("detection recall", ("detection", "recall")),
    "value_unit_f1": ("value+unit F1", ("value_unit", "f1")),
    "entity_exact": ("entity, exact canonical name", ("fields", "entity_exact")),
    "entity": ("entity, lenient", ("fields", "entity")),
    "year": ("year", ("fields", "year")),
    "qualifier": ("qualifier", ("fields", "qualifier")),
    "tuple_f1": ("full tuple (value, unit, entity, year) F1", ("full", "f1")),
    "duplicate_pairs": ("gold duplicate pairs merged into one claim", ("groups", "duplicate", "pair_recall")),
    "conflict_pairs": ("gold conflict pairs flagged", ("groups", "conflict", "pair_recall")),
    "false_conflict_groups": ("conflict groups that match no gold group", ("groups", "false_conflict_groups")),
    "timeseries_not_flagged": (
        "gold timeseries pairs not flagged as conflicts",
        ("groups", "timeseries", "not_flagged_rate"),
    ),
}


@dataclass(frozen=True)
class Shared:
    """Where the shared gold and articles lie (``../shared`` next to the repository by default)."""

    root: Path

    @property
    def scorer(self) -> Path:
        return self.root / "gold" / "score_claims.py"

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def dev_articles(self) -> Path:
        return self.root / "gold" / "dev" / "articles"

    @property
    def seeds_gold(self) -> Path:
        return self.root / "gold" / "seeds_gold.csv"

    @property
    def seeds_groups(self) -> Path:
        return self.root / "gold" / "seeds_groups.csv"

    @property
    def dev_gold(self) -> Path:
        return self.root / "gold" / "dev" / "dev_gold.csv"

    @property
    def dev_groups(self) -> Path:
        return self.root / "gold" / "dev" / "dev_groups.csv"

    def missing(self) -> list[Path]:
        needed = (self.scorer, self.seeds, self.dev_articles, self.seeds_gold, self.dev_gold, self.dev_groups)
        return [p for p in needed if not p.exists()]


def default_shared() -> Shared:
    """``$CLAIMS_SHARED`` when set, else ``../shared`` from the working directory."""
    return Shared(Path(os.environ.get("CLAIMS_SHARED", "../shared")))


def load_scorer(path: Path) -> ModuleType:
    """The gold scorer, imported from where it lies (it is not part of this repository)."""
    spec = importlib.util.spec_from_file_location("score_claims", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{path}: cannot load the scorer")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("score_claims", module)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class DevRun:
    """One pipeline run on a directory of articles: where its inputs and outputs are."""

    seeds: Path
    output: Path

    @property
    def mentions(self) -> Path:
        return self.output / "mentions.csv"

    @property
    def claims(self) -> Path:
        return self.output / "claims.csv"

    def docs(self) -> list[str]:
        return sorted(p.stem for p in self.seeds.glob("*.txt"))


def run_pipeline(articles: Sequence[Path], workdir: Path, rules: Path = Path("rules")) -> DevRun:
    """normalize -> extract -> consolidate, as ``dvc repro`` runs them, on copies of ``articles``."""
    seeds, output = workdir / "seeds", workdir / "output"
    seeds.mkdir(parents=True)
    output.mkdir(parents=True)
    for article in articles:
        shutil.copyfile(article, seeds / article.name)
    reviews = workdir / "reviews.csv"
    reviews.write_text("claim_id,decision,note\n", encoding="utf-8")
    params = workdir / "params.yaml"  # the stage defaults, which are what params.yaml ships
    params.write_text("{}\n", encoding="utf-8")
    normalized = output / "normalized"
    steps = [
        [
            "pipeline.normalize",
            "--seeds",
            seeds,
            "--rules",
            rules,
            "--out",
            normalized,
            "--report",
            output / "normalize_report.csv",
            "--cache",
            "",
        ],
        [
            "pipeline.extract",
            "--normalized",
            normalized,
            "--seeds",
            seeds,
            "--rules",
            rules,
            "--cache",
            "",
            "--out",
            output / "mentions.csv",
        ],
        [
            "pipeline.consolidate",
            "--params",
            params,
            "--mentions",
            output / "mentions.csv",
            "--reviews",
            reviews,
            "--output-dir",
            output,
        ],
    ]
    for step in steps:
        command = [sys.executable, "-m", *map(str, step)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{step[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return DevRun(seeds, output)


def score_dev(scorer: ModuleType, shared: Shared, run: DevRun) -> dict[str, Any]:
    dev_docs = sorted(p.stem for p in shared.dev_articles.glob("*.txt"))
    result: dict[str, Any] = scorer.evaluate(
        [shared.seeds_gold, shared.dev_gold],
        [shared.seeds_groups, shared.dev_groups],
        [run.seeds],
        run.mentions,
        run.claims,
        dev_docs,
    )
    return result


def score_seeds(scorer: ModuleType, shared: Shared, run: DevRun) -> dict[str, Any]:
    result: dict[str, Any] = scorer.evaluate(
        [shared.seeds_gold], [shared.seeds_groups], [run.seeds], run.mentions, run.claims, None
    )
    return result


def _dig(result: Mapping[str, Any], path: Sequence[str]) -> Any:
    node: Any = result
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def summary(result: Mapping[str, Any]) -> dict[str, float | int | None]:
    """The figures the issue tracks, from one scorer result."""
    return {name: _dig(result, path) for name, (_label, path) in FIGURES.items()}


def _pairs(result: Mapping[str, Any], relation: str) -> str:
    node = _dig(result, ("groups", relation)) or {}
    key = "pairs_not_flagged" if relation == "timeseries" else "pairs_ok"
    return f"{node.get(key, 0)} of {node.get('pairs', 0)}"


def render_table(title: str, result: Mapping[str, Any]) -> str:
    figures = summary(result)
    lines = [title, f"{'':52}{'figure':>10}"]
    for name, (label, _path) in FIGURES.items():
        value = figures[name]
        shown = "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
        extra = ""
        if name == "duplicate_pairs":
            extra = f"  ({_pairs(result, 'duplicate')})"
        elif name == "conflict_pairs":
            extra = f"  ({_pairs(result, 'conflict')})"
        elif name == "timeseries_not_flagged":
            extra = f"  ({_pairs(result, 'timeseries')} pairs)"
        lines.append(f"{label:52}{shown:>10}{extra}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=default_shared().root, help="the shared folder")
    parser.add_argument("--rules", type=Path, default=Path("rules"))
    parser.add_argument("--errors", type=int, default=0, metavar="N", help="print up to N errors per kind")
    parser.add_argument("--per-doc", action="store_true", help="print the per-document table")
    parser.add_argument("--json", type=Path, help="write both scorer results to this JSON file")
    parser.add_argument("--keep", type=Path, help="keep the run's articles and outputs in this new directory")
    args = parser.parse_args(argv)
    shared = Shared(args.shared)
    missing = shared.missing()
    if missing:
        print(f"devset: missing {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    scorer = load_scorer(shared.scorer)
    seed_files = sorted(shared.seeds.glob("*.txt"))
    dev_files = sorted(shared.dev_articles.glob("*.txt"))
    with tempfile.TemporaryDirectory(prefix="devset-") as tmp:
        work = Path(tmp)
        joint = run_pipeline([*seed_files, *dev_files], work / "joint", args.rules)
        alone = run_pipeline(seed_files, work / "seeds", args.rules)
        dev = score_dev(scorer, shared, joint)
        seeds = score_seeds(scorer, shared, alone)
        if args.keep:
            shutil.copytree(work, args.keep)
    print(render_table(f"Dev set: {len(dev_files)} held-out articles, run with the seeds", dev))
    print()
    print(render_table(f"Seeds: {len(seed_files)} founding articles, run alone (in-sample)", seeds))
    if args.per_doc or args.errors:
        print()
        print(scorer.render_report(dev, args.errors, args.per_doc))
    if args.json:
        args.json.write_text(json.dumps({"dev": dev, "seeds": seeds}, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
