"""The quantity finder and the extract stage, measured against the seed gold annotations.

``seeds_quality`` runs ``extract_text`` over every seed article and scores the mentions with
``pipeline.scoring`` (required gold rows; a prediction on an optional row is neither right nor wrong).
The floors are issue 3's targets; the measured figures are in the final assertion messages.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language

from pipeline.extract import Extractor, extract_text
from pipeline.scoring import locate_gold, match_all, parse_predictions, score_mentions
from pipeline.types import MENTION_COLUMNS

GOLD = Path("tests/gold/seeds_gold.csv")
SEEDS = Path("tests/data/seeds")  # fixed copies of the founding articles, never seeds/

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def extractor(nlp: Language) -> Extractor:
    from pipeline.extract import default_extractor

    return default_extractor()


def _rows(extractor: Extractor) -> tuple[list[dict[str, str]], dict[str, str]]:
    raw = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    rows: list[dict[str, str]] = []
    for doc, text in raw.items():
        for m in extract_text(text, extractor=extractor):
            row = m.to_row()
            row["doc"] = doc
            rows.append(row)
    return rows, raw


def seeds_quality(extractor: Extractor) -> dict[str, Any]:
    """Detection P/R, value+unit F1 and qualifier accuracy on the seed gold (required rows)."""
    rows, raw = _rows(extractor)
    with open(GOLD, encoding="utf-8") as fh:
        gold = list(csv.DictReader(fh))
    return score_mentions(rows, gold, raw)


@pytest.fixture(scope="session")
def quality(extractor: Extractor) -> dict[str, Any]:
    return seeds_quality(extractor)


def test_detection_recall(quality: dict[str, Any]) -> None:
    assert quality["detection"]["recall"] >= 0.97, quality["detection"]


def test_detection_precision(quality: dict[str, Any]) -> None:
    assert quality["detection"]["precision"] >= 0.95, quality["detection"]


def test_value_unit_f1(quality: dict[str, Any]) -> None:
    assert quality["value_unit"]["f1"] >= 0.93, quality["value_unit"]


def test_qualifier_accuracy(quality: dict[str, Any]) -> None:
    assert quality["accuracy"]["qualifier"] >= 0.95, quality["accuracy"]


def test_nothing_wrong_is_extracted_from_the_seeds(extractor: Extractor) -> None:
    """No bare year, date, tech name, ordinal in a name, quoted title or phase number."""
    rows, raw = _rows(extractor)
    quotes = {r["quote"] for r in rows}
    for bad in ("2017", "2020", "2019", "1999", "5G", "8K", "3D", "6000", "19th", "14th", "36", "36 Articles"):
        assert bad not in quotes
    for row in rows:
        assert not row["quote"].startswith(("Dawn", "phase")), row


def test_every_quote_is_the_raw_span(extractor: Extractor) -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        for m in extract_text(raw, extractor=extractor):
            assert raw[m.start : m.end] == m.quote


@pytest.mark.parametrize(
    ("text", "quote", "value", "unit"),
    [
        ("The city spent CNY4.99 billion.", "CNY4.99 billion", "4990000000", "CNY"),
        ("The city spent CNY 4.99 billion.", "CNY 4.99 billion", "4990000000", "CNY"),
        ("It raised HK$2.5 billion.", "HK$2.5 billion", "2500000000", "HKD"),
        ("Profit was RMB3.6bn.", "RMB3.6bn", "3600000000", "CNY"),
        # a scale letter at the end of a sentence: the full stop is not part of the quote
        ("The start-up raised $5m.", "$5m", "5000000", "USD"),
        ("The start-up raised $10K.", "$10K", "10000", "USD"),
        ("top 1%of the world", "1%", "1", "percent"),
        ("more than 40 % of Shenzhen", "40 %", "40", "percent"),
        (
            "Shenzhen High -tech Zone has 5,450 high -tech enterprises.",
            "5,450 high -tech enterprises",
            "5450",
            "enterprise",
        ),
    ],
)
def test_tokenizer_traps_and_repairs(extractor: Extractor, text: str, quote: str, value: str, unit: str) -> None:
    mentions = extract_text(text, extractor=extractor)
    assert [(m.quote, str(m.value), m.unit) for m in mentions] == [(quote, value, unit)]


@pytest.mark.parametrize(
    "text",
    [
        "innovative technologies in the fields of 5G, 8K and 3D display",
        "The center's Dawn 6000 Supercomputer System was certified in 2010.",
        "Activities such as the 19th China Hi-Tech Fair were held during the 14th Five-Year Plan.",
        "Introduced the “36 Articles” to strengthen protection.",
        "the phase-II project of CSNS during 2021-2025",
        "COVID-19 weighed on growth in May 2022.",
    ],
)
def test_exclusions(extractor: Extractor, text: str) -> None:
    assert extract_text(text, extractor=extractor) == []


def test_sentence_docs_are_kept_for_attribution(extractor: Extractor) -> None:
    text = "Newly added 3193 state-level high-tech enterprises, totaling 11230.\nNo numbers here."
    found = extractor.sentences_of(text)
    assert len(found) == 1
    sent = found[0]
    assert text[sent.start : sent.end] == sent.doc.text
    assert sent.doc.has_annotation("DEP") and sent.doc.has_annotation("POS")
    assert [text[q.start : q.end] for q in sent.quantities] == ["3193 state-level high-tech enterprises", "11230"]


def test_stage_writes_sorted_mentions(tmp_path: Path) -> None:
    """The stage end to end on two seeds: normalize, then extract; rows sorted, columns fixed."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("000_794496cc90fbe382.txt", "004_d6665c47d6482ba5.txt"):
        (seeds / name).write_bytes((SEEDS / name).read_bytes())
    normalized = tmp_path / "normalized"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.normalize",
            "--seeds",
            str(seeds),
            "--out",
            str(normalized),
            "--report",
            str(tmp_path / "report.csv"),
        ],
        check=True,
    )
    out = tmp_path / "mentions.csv"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.extract",
            "--normalized",
            str(normalized),
            "--seeds",
            str(seeds),
            "--out",
            str(out),
        ],
        check=True,
    )
    with open(out, encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == MENTION_COLUMNS
        rows = list(reader)
    keys = [(r["doc"], int(r["start"]), int(r["end"])) for r in rows]
    assert keys == sorted(keys) and len(rows) > 40
    for row in rows:
        raw = (seeds / f"{row['doc']}.txt").read_text(encoding="utf-8")
        assert raw[int(row["start"]) : int(row["end"])] == row["quote"]


def test_cli_stdin_jsonl() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.extract", "--stdin", "--jsonl"],
        input="The city has over 5.1 million professional talents.",
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(d["quote"], d["value"], d["unit"], d["qualifier"]) for d in lines] == [
        ("5.1 million professional talents", "5100000", "talent", ">")
    ]


def test_gold_matching_helper_names_misses(extractor: Extractor) -> None:
    """The helper behind the floors can list what was missed (used when a floor fails)."""
    rows, raw = _rows(extractor)
    with open(GOLD, encoding="utf-8") as fh:
        gold = locate_gold(list(csv.DictReader(fh)), raw)
    match = match_all(parse_predictions(rows), gold)
    assert [g.row["quote"] for g in match.missed] == []


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("The firm wants 250 charging stations by 2030.", "stations"),
        ("Among her roughly 120 recorded albums were the classics.", "albums"),
        ("That matches about 15 fairly large gas-fired power stations.", "gas-fired power stations"),
        ("The park gathered 67 well-known universities.", "well-known universities"),
        ("The shop sells 50 different products.", "different products"),
        ("It cites the 30 page memo titled Outlook.", "page"),
        ("It extends losses from the past three sessions.", "past three sessions"),
        ("A further 20 jobs went.", "jobs"),
    ],
)
def test_counted_phrase_keeps_classifying_modifiers(extractor: Extractor, text: str, phrase: str) -> None:
    """The counted noun phrase (``unit_start``/``unit_end``) drops participles and adverbs in front."""
    found = [q for sent in extractor.sentences_of(text) for q in sent.quantities]
    assert [text[q.unit_start : q.unit_end] for q in found] == [phrase]
