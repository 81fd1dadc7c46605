"""Regression snapshots of the seeds' outputs: mentions per article and the claims table.

Each snapshot was reviewed against the gold annotations (tests/gold/seeds_gold.csv and
seeds_groups.csv) before it was accepted; `dvc repro`'s evaluate stage prints the same comparison as
numbers. A change here is a change in what the pipeline says about the seeds: review the diff.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from pipeline import consolidate, extract, normalize

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    seeds, rules = ROOT / "seeds", ROOT / "rules"
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
    """output/ is committed; CI also checks this with `git status` after `dvc repro`."""
    for name in ("mentions.csv", "claims.csv", "conflicts.csv"):
        assert (outputs / name).read_bytes() == (ROOT / "output" / name).read_bytes(), name
