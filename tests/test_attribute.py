"""Attribution: each resolution path tested on the seed sentences, and every entity/measure rule example.

Quantities are located from their quotes here (not found by the extractor), so these tests check
attribution alone.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from pipeline.attribute import (
    Attribution,
    DocContext,
    SentenceInput,
    attribute_document,
    canonical_measure,
    load_attribution_rules,
)
from pipeline.normalize import NormalizedDoc, load_rule_set, normalize_text
from pipeline.sentences import split_sentences
from pipeline.types import Quantity

ROOT = Path(__file__).resolve().parents[1]
RULES = load_attribution_rules(ROOT / "rules")
NORMALIZE_RULES = load_rule_set(ROOT / "rules")
_NUMBER = re.compile(
    r"\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty)\b", re.IGNORECASE
)


@pytest.fixture(scope="module")
def parser() -> Language:
    from pipeline.quantities import DEFAULT_MODEL

    return spacy.load(DEFAULT_MODEL, disable=["ner"])


def _seed(prefix: str) -> NormalizedDoc:
    path = next((ROOT / "tests" / "data" / "seeds").glob(f"{prefix}_*.txt"))
    return normalize_text(path.read_bytes().decode("utf-8"), path.stem, NORMALIZE_RULES)


def _quantity(doc: NormalizedDoc, quote: str, kind: str = "count", unit: str = "x", nth: int = 1) -> Quantity:
    start = -1
    for _ in range(nth):
        start = doc.text.index(quote, start + 1)
    number = _NUMBER.search(quote)
    assert number is not None, quote
    return Quantity(
        start, start + len(quote), Decimal(1), unit, "=", kind, "test",
        start + number.start(), start + number.end(),
    )  # fmt: skip


def _attribute(parser: Language, doc: NormalizedDoc, quantities: list[Quantity]) -> dict[str, Attribution]:
    """Attribute the given quantities in document order; returns quote -> attribution."""
    sentences = []
    for start, end in split_sentences(doc.text):
        inside = sorted((q for q in quantities if start <= q.start < end), key=lambda q: q.start)
        if inside:
            sentences.append(SentenceInput(start, end, parser(doc.text[start:end]), inside))
    results = attribute_document(DocContext.build(doc, RULES), sentences)
    out = {}
    for sentence, attributions in zip(sentences, results, strict=True):
        for q, a in zip(sentence.quantities, attributions, strict=True):
            out[doc.text[q.start : q.end]] = a
    return out


# --- resolution paths, from the seed sentences -----------------------------------------------


@pytest.mark.slow
def test_entity_from_section_heading(parser: Language) -> None:
    doc = _seed("004")
    got = _attribute(parser, doc, [_quantity(doc, "2,243 scientists")])["2,243 scientists"]
    assert got.entity == "Shenzhen Institute of Advanced Technology"
    assert "section heading 'Shenzhen Institute of Advanced Technology'" in got.why
    assert (got.year, got.year_source) == (2018, "published")  # present tense, page dated 2018-08-09


@pytest.mark.slow
def test_anaphora_the_city_resolves_to_the_antecedent(parser: Language) -> None:
    doc = _seed("004")
    q = _quantity(doc, "90 billion yuan", kind="money", unit="CNY")
    got = _attribute(parser, doc, [q])["90 billion yuan"]
    assert got.entity == "Shenzhen"
    assert "anaphor" in got.why and "the city" in got.why.lower()
    assert got.measure == "R&D expenditure"


@pytest.mark.slow
def test_anaphora_it_resolves_to_the_name_in_the_previous_sentence(parser: Language) -> None:
    doc = _seed("003")
    got = _attribute(parser, doc, [_quantity(doc, "84 institutions")])["84 institutions"]
    assert got.entity == "International Technology and Business Platform (Civil Embassy), Shenzhen High-tech Zone"
    assert (got.year, got.year_source) == (2021, "explicit")  # "As of the end of 2021"


@pytest.mark.slow
def test_last_year_resolves_against_the_publication_date(parser: Language) -> None:
    doc = _seed("004")
    quantities = [_quantity(doc, "11,230 State-level high-tech companies"), _quantity(doc, "3,193")]
    got = _attribute(parser, doc, quantities)
    assert (got["3,193"].year, got["3,193"].year_source) == (2017, "relative")  # "last year", page 2018
    assert got["3,193"].measure == "national high-tech enterprise"  # "of them": the 11,230 companies
    assert got["3,193"].aspect == "change"
    # "Currently" is nearer to 11,230 than "last year": the publication year, not a stated one
    assert (
        got["11,230 State-level high-tech companies"].year,
        got["11,230 State-level high-tech companies"].year_source,
    ) == (
        2018,
        "published",
    )


@pytest.mark.slow
def test_subjectless_sentence_falls_back_to_the_main_entity(parser: Language) -> None:
    doc = _seed("001")
    quantities = [_quantity(doc, "3193 state-level high-tech enterprises"), _quantity(doc, "11230", unit="")]
    got = _attribute(parser, doc, quantities)
    first = got["3193 state-level high-tech enterprises"]
    assert first.entity == "Shenzhen" and "main entity" in first.why
    assert first.aspect == "change"  # "Newly added"
    total = got["11230"]
    assert (total.measure, total.aspect) == ("national high-tech enterprise", "level")  # "totaling"
    # 001 has no date line; its date is inferred from 2017, the one year it speaks of
    assert (total.year, total.year_source) == (2017, "context")


@pytest.mark.slow
def test_year_carried_from_the_paragraph_only_for_past_statements(parser: Language) -> None:
    doc = _seed("000")
    quantities = [
        _quantity(doc, "4.99 billion", kind="money", unit="CNY"),
        _quantity(doc, "6%", kind="percent", unit="percent"),
        _quantity(doc, "six National Key Laboratories"),
    ]
    got = _attribute(parser, doc, quantities)
    assert (got["4.99 billion"].year, got["4.99 billion"].year_source) == (2020, "explicit")
    # present tense ("accounts for", "There are"): as of publication, not the paragraph's 2020
    assert (got["6%"].year, got["6%"].year_source) == (2021, "published")
    assert got["6%"].entity == "China"
    assert got["six National Key Laboratories"].entity == "Shenzhen"  # "... in Shenzhen" at the end


@pytest.mark.slow
def test_since_year_is_not_the_as_of_year(parser: Language) -> None:
    doc = _seed("002")
    got = _attribute(parser, doc, [_quantity(doc, "20 invention patents")])["20 invention patents"]
    assert (got.year, got.year_source) == (2022, "published")  # "Ever since ... in 2016, it has applied"


@pytest.mark.slow
def test_share_measure_has_numerator_and_base(parser: Language) -> None:
    doc = _seed("004")
    quantities = [_quantity(doc, "90 billion yuan", kind="money", unit="CNY"), _quantity(doc, "4.13%", kind="percent")]
    got = _attribute(parser, doc, quantities)
    assert got["4.13%"].measure == "R&D expenditure / GDP"
    assert got["4.13%"].aspect == "share"


@pytest.mark.slow
def test_confidence_reflects_fallbacks(parser: Language) -> None:
    doc = _seed("001")
    got = _attribute(parser, doc, [_quantity(doc, "3193 state-level high-tech enterprises")])
    fallback = got["3193 state-level high-tech enterprises"]
    doc4 = _seed("004")
    direct = _attribute(parser, doc4, [_quantity(doc4, "1,688 innovation carriers")])["1,688 innovation carriers"]
    assert 0 < fallback.confidence < direct.confidence <= 1


# --- rule examples ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "text", "expect"),
    [(r.id, ex.text, ex.expect) for r in RULES.measures.synonyms for ex in r.examples],
    ids=lambda v: str(v)[:40],
)
def test_measure_rule_example(rule_id: str, text: str, expect: str) -> None:
    measure, fired = canonical_measure(text, RULES)
    assert measure == expect
    assert rule_id in fired.split("+")


def _xfail(reason: str | None) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rule_id", "text", "expect", "context"),
    [
        pytest.param(r.id, ex.text, ex.expect, ex.context, marks=_xfail(ex.xfail), id=f"{r.id}#{k}")
        for r in RULES.entities.entities
        for k, ex in enumerate(r.examples)
    ],
)
def test_entity_rule_example(parser: Language, rule_id: str, text: str, expect: str, context: str) -> None:
    raw = "Report\n\n" + (f"{context}\n\n" if context else "") + text + "\n"
    doc = normalize_text(raw, "example", NORMALIZE_RULES)
    number = _NUMBER.search(text)
    assert number is not None
    # the quantity: the number and the words of its noun phrase
    tail = re.match(r"[\w,.%$-]*(?:\s+(?!of\b|in\b|from\b|at\b)[A-Za-z-]+){0,4}", text[number.start() :])
    assert tail is not None
    got = _attribute(parser, doc, [_quantity(doc, tail.group().rstrip(".,"))])
    assert next(iter(got.values())).entity == expect


def test_every_entity_and_measure_rule_has_a_positive_example() -> None:
    assert all(rule.examples for rule in RULES.entities.entities)
    assert all(rule.examples for rule in RULES.measures.synonyms)


@pytest.mark.slow
@pytest.mark.parametrize(
    "example",
    [pytest.param(ex, marks=_xfail(ex.xfail), id=f"{k}:{ex.quote}") for k, ex in enumerate(RULES.cues.examples)],
)
def test_attribution_rule_example(example) -> None:  # type: ignore[no-untyped-def]
    """rules/attribution.yml examples, through the production path."""
    from pipeline.extract import extract_text

    found = [m for m in extract_text(example.text, published=example.published or None) if m.quote == example.quote]
    assert found, f"no figure {example.quote!r}"
    got = found[0]
    for name, want in example.expect.model_dump(exclude_none=True).items():
        assert getattr(got, name) == want, f"{name}: {getattr(got, name)!r} != {want!r} ({got.why})"
