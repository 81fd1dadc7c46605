"""Regression snapshots of the founding articles' outputs: mentions per article and the claims table.

The pipeline runs on the test suite's own fixed copies of the five founding articles
(``tests/data/seeds``), never on ``seeds/``: an analyst who adds articles there still gets a green
``pytest`` and nothing written under ``tests/``.

Each snapshot was reviewed against the gold annotations (tests/gold/seeds_gold.csv and
seeds_groups.csv) before it was accepted; `dvc repro`'s evaluate stage prints the same comparison as
numbers. A change here is a change in what the pipeline says about the founding articles: refresh
deliberately with ``pytest tests/test_pipeline_snapshot.py --force-regen`` and review ``git diff tests/``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from pipeline import consolidate, extract, normalize

ROOT = Path(__file__).resolve().parents[1]
FOUNDING = ROOT / "tests" / "data" / "seeds"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    seeds, rules = FOUNDING, ROOT / "rules"
    common = ["--cache", ""]
    assert normalize.main(["--seeds", str(seeds), "--rules", str(rules), "--out", str(out / "normalized"),
                           "--report", str(out / "normalize_report.csv"), *common]) == 0  # fmt: skip
    assert extract.main(["--normalized", str(out / "normalized"), "--seeds", str(seeds), "--rules", str(rules),
                         "--out", str(out / "mentions.csv")]) == 0  # fmt: skip
    reviews = out / "reviews.csv"
    reviews.write_text("claim_id,decision,note\n", encoding="utf-8")
    assert consolidate.main(["--mentions", str(out / "mentions.csv"), "--reviews", str(reviews),
                             "--output-dir", str(out)]) == 0  # fmt: skip
    return out


def _rows_of(path: Path, doc_prefix: str | None = None) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for r in reader if doc_prefix is None or r[0].startswith(doc_prefix)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["000", "001", "002", "003", "004"])
def test_mentions_snapshot(outputs: Path, doc: str, file_regression) -> None:  # type: ignore[no-untyped-def]
    file_regression.check(_rows_of(outputs / "mentions.csv", doc), basename=f"mentions_{doc}", extension=".csv")


@pytest.mark.slow
def test_claims_snapshot(outputs: Path, file_regression) -> None:  # type: ignore[no-untyped-def]
    file_regression.check(_rows_of(outputs / "claims.csv"), basename="claims", extension=".csv")


@pytest.mark.slow
def test_committed_outputs_are_what_the_pipeline_makes(outputs: Path) -> None:
    """output/ is committed; CI also checks this with `git status` after `dvc repro`. Only meaningful while
    seeds/ holds exactly the founding articles: once an analyst adds one, output/ describes more."""
    here = {p.name: p.read_bytes() for p in (ROOT / "seeds").glob("*.txt")}
    founding = {p.name: p.read_bytes() for p in FOUNDING.glob("*.txt")}
    if here != founding:
        pytest.skip("seeds/ holds other articles than the founding five: output/ is theirs, not the fixture's")
    for name in ("mentions.csv", "claims.csv", "conflicts.csv"):
        assert (outputs / name).read_bytes() == (ROOT / "output" / name).read_bytes(), name
