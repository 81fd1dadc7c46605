"""output/unclaimed.csv: every number of the clean text that is not a mention, with its reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.extract import Extractor, default_extractor
from pipeline.extract import run as extract_run
from pipeline.normalize import NormalizedDoc, default_rule_set, read_article
from pipeline.unclaimed import REASONS, Unclaimed, classify_cheaply, number_spans, run, write_unclaimed

#: the seed docs, their unclaimed rows, and each doc's mention raw spans
Seeds = tuple[list[tuple[NormalizedDoc, str]], list[Unclaimed], dict[str, list[tuple[int, int]]]]


@pytest.mark.parametrize(
    ("text", "number", "reason"),
    [
        ("It was built in 1999.", "1999", "bare year"),
        ("Shenzhen Bay Laboratory, established in January 2019, said so.", "2019", "part of a date"),
        ("jointly founded on December 7, 2014.", "2014", "part of a date"),
        ("The meeting was on 8 July 2021.", "2021", "part of a date"),
        ("Activities such as the 19th China Hi-Tech Fair were held.", "19th", "ordinal in a name"),
        ("During China's 14th Five-Year Plan period", "14th", "ordinal in a name"),
        ("It came 19th of 40.", "19th", "ordinal"),
        ("It holds 42 units.", "42", "no rule matched"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) > 8 else None,
)
def test_cheap_classification(text: str, number: str, reason: str) -> None:
    start = text.index(number)
    assert classify_cheaply(text, start, start + len(number)) == reason


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return default_extractor()


@pytest.fixture(scope="module")
def seeds(extractor: Extractor) -> Seeds:
    rules = default_rule_set("rules")
    docs = []
    for path in sorted(Path("tests/data/seeds").glob("*.txt")):
        ndoc = read_article(path, 2_000_000, rules)
        docs.append((ndoc, path.read_bytes().decode(ndoc.encoding)))
    spans: dict[str, list[tuple[int, int]]] = {}
    for m in extract_run(docs, extractor):
        spans.setdefault(m.doc, []).append((m.start, m.end))
    return docs, list(run(docs, spans, extractor)), spans


def _rows(rows: list[Unclaimed], doc_prefix: str, quote: str) -> list[tuple[str, str]]:
    return [(r.reason, r.rule) for r in rows if r.doc.startswith(doc_prefix) and r.quote == quote]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("doc", "quote", "reason", "rule"),
    [
        # what the gold leaves out: tech names, quoted titles, ordinals in names, dates, years, names
        # a glued G or K is read with its number (".0012G", "100K"), so the excluded span is the whole name
        ("003", "5G", "excluded by rule", "exclude.tech_name"),
        ("003", "8K", "excluded by rule", "exclude.tech_name"),
        ("003", "3", "excluded by rule", "exclude.tech_name"),  # 3D
        ("001", "36", "excluded by rule", "exclude.quoted_title"),  # “36 Articles”
        ("001", "19th", "ordinal in a name", "filter"),  # 19th China Hi-Tech Fair
        ("002", "14th", "ordinal in a name", "filter"),  # 14th Five-Year Plan
        ("002", "Five", "excluded by rule", "exclude.title_case_word_number"),
        ("004", "7", "excluded by rule", "exclude.date_month_day"),  # December 7, 2014
        ("004", "2014", "excluded by rule", "exclude.year"),
        ("000", "2019", "part of a date", "filter"),  # established in January 2019
        ("004", "6000", "excluded by rule", "exclude.name_number"),  # Dawn 6000
    ],
)
def test_seed_spans_left_out_by_the_gold_are_listed_with_their_reason(
    seeds: Seeds, doc: str, quote: str, reason: str, rule: str
) -> None:
    _, rows, _ = seeds
    assert (reason, rule) in _rows(rows, doc, quote), _rows(rows, doc, quote)


@pytest.mark.slow
def test_a_bare_year_in_a_skipped_sentence(seeds: Seeds) -> None:
    _, rows, _ = seeds
    built = [r for r in rows if r.sentence == "Shenzhen Virtual University Park was built in 1999."]
    assert [(r.quote, r.reason, r.rule) for r in built] == [("1999", "bare year", "filter")]


@pytest.mark.slow
def test_rows_are_exact_sorted_and_never_overlap_a_mention(
    seeds: Seeds,
) -> None:
    docs, rows, spans = seeds
    raws = {ndoc.doc: raw for ndoc, raw in docs}
    assert rows == sorted(rows, key=lambda r: (r.doc, r.start, r.end))
    for r in rows:
        assert raws[r.doc][r.start : r.end] == r.quote
        assert r.reason in REASONS
        assert not any(s < r.end and r.start < e for s, e in spans.get(r.doc, ())), r
    out = io.StringIO()
    assert write_unclaimed(rows, out) == len(rows)
    assert out.getvalue().splitlines()[0] == "doc,start,end,quote,reason,rule,sentence"


@pytest.mark.slow
def test_every_number_is_either_a_mention_or_unclaimed(
    extractor: Extractor,
    seeds: Seeds,
) -> None:
    docs, rows, spans = seeds
    listed = {(r.doc, r.start, r.end) for r in rows}
    for ndoc, _ in docs:
        for a, b in number_spans(ndoc.text, extractor):
            start, end = ndoc.to_raw(a, b)
            mentioned = any(s < end and start < e for s, e in spans.get(ndoc.doc, ()))
            assert mentioned or (ndoc.doc, start, end) in listed, (ndoc.doc, ndoc.text[a:b], a)
