"""The held-out dev set and the seeds, scored by the shared gold scorer, stay at or above their floors.

``python -m benchmarks.devset`` runs the whole pipeline (normalize -> extract -> consolidate) on the five
founding articles plus the 15 dev articles of ``../shared/gold/dev`` in a temporary directory and scores
it with ``../shared/gold/score_claims.py``, the scorer that also scores the hidden sets. The floors are the
figures measured when they were set, rounded down (a count of false conflict groups is a ceiling). The
dev articles are third-party texts kept outside the repository: without the shared folder beside the
repository (a clone on its own) the test says so and skips; CI sets ``REQUIRE_DEVSET=1`` when the folder
is there, so a missing folder then fails instead of passing silently.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from benchmarks.devset import Shared, load_scorer, run_pipeline, score_dev, score_seeds, summary

pytestmark = pytest.mark.slow

#: figure -> floor on the 15 dev articles run with the seeds (measured 2026-12-01, rounded down)
DEV_FLOORS = {
    "detection_precision": 0.99,
    "detection_recall": 0.99,
    "value_unit_f1": 0.97,
    "entity_exact": 0.95,
    "year": 0.99,
    "tuple_f1": 0.97,
    "duplicate_pairs": 0.85,
    "conflict_pairs": 0.77,
    "timeseries_not_flagged": 1.0,
}
#: figure -> floor on the seeds run alone, as `dvc repro` runs them (in-sample)
SEED_FLOORS = {
    "detection_precision": 1.0,
    "detection_recall": 1.0,
    "value_unit_f1": 1.0,
    "tuple_f1": 0.95,
    "duplicate_pairs": 0.95,
    "conflict_pairs": 1.0,
}
#: at most this many predicted conflict groups may match no gold conflict
FALSE_CONFLICT_CEILING = {"dev": 0, "seeds": 0}


@pytest.fixture(scope="module")
def shared(pytestconfig: pytest.Config) -> Shared:
    root = Path(os.environ.get("CLAIMS_SHARED", pytestconfig.rootpath.parent / "shared"))
    found = Shared(root)
    missing = found.missing()
    if missing:
        if os.environ.get("REQUIRE_DEVSET"):
            pytest.fail(f"REQUIRE_DEVSET is set but {', '.join(map(str, missing))} is missing")
        pytest.skip(f"no shared gold beside the repository ({missing[0]} is missing): nothing to score against")
    return found


@pytest.fixture(scope="module")
def figures(shared: Shared, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    scorer = load_scorer(shared.scorer)
    work = tmp_path_factory.mktemp("devset")
    seeds = sorted(shared.seeds.glob("*.txt"))
    dev = sorted(shared.dev_articles.glob("*.txt"))
    joint = run_pipeline([*seeds, *dev], work / "joint", Path("rules"))
    alone = run_pipeline(seeds, work / "seeds", Path("rules"))
    return {
        "dev": summary(score_dev(scorer, shared, joint)),
        "seeds": summary(score_seeds(scorer, shared, alone)),
    }


@pytest.mark.parametrize(("name", "floor"), sorted(DEV_FLOORS.items()))
def test_dev_figure_stays_above_its_floor(figures: dict[str, dict[str, Any]], name: str, floor: float) -> None:
    assert figures["dev"][name] >= floor, f"dev {name}: {figures['dev'][name]} < floor {floor}"


@pytest.mark.parametrize(("name", "floor"), sorted(SEED_FLOORS.items()))
def test_seed_figure_stays_above_its_floor(figures: dict[str, dict[str, Any]], name: str, floor: float) -> None:
    assert figures["seeds"][name] >= floor, f"seeds {name}: {figures['seeds'][name]} < floor {floor}"


@pytest.mark.parametrize("which", ["dev", "seeds"])
def test_false_conflict_groups_stay_below_the_ceiling(figures: dict[str, dict[str, Any]], which: str) -> None:
    assert figures[which]["false_conflict_groups"] <= FALSE_CONFLICT_CEILING[which]
