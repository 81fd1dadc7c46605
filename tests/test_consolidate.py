"""The consolidate stage: grouping, conflicts, series, currency restatements, ids, reviews, determinism.

The gold-derived fixture stands in for output/mentions.csv until the extract stage writes it: one
mention per row of tests/gold/seeds_gold.csv, its raw span located in seeds/<doc>.txt. Gold measures
are free text; the extractor will emit canonical ones (rules/measures.yml), so the fixture maps them
with a small table of its own (``MEASURES``) — that table lives here, never in pipeline code. The
``year_source`` of a gold row is read from its ``note`` (``explicit 'in 2020'``, ``last year``,
``publication year`` ...), also only here.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipeline.consolidate import (
    CONFLICT_COLUMNS,
    ConsolidateResult,
    ReviewsError,
    main,
    mentions_from_rows,
    parse_reviews,
    run,
)
from pipeline.scoring_groups import locate_quote, score_groups
from pipeline.types import CLAIM_COLUMNS, MENTION_COLUMNS, Claim, Mention

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold"
SEEDS = ROOT / "tests" / "data" / "seeds"  # fixed copies of the founding articles, never seeds/

# Publication year of each seed as the gold notes give it (001 has no date line: a 2018 work report).
PUBLISHED = {"000": 2021, "001": 2018, "002": 2022, "003": 2022, "004": 2018}

# Gold free-text measure -> (canonical measure, aspect): what rules/measures.yml is expected to make of
# the two translations of one fact. Only measures that differ between sources need an entry.
MEASURES: dict[str, tuple[str, str]] = {
    "Nobel Prize scientist laboratories established": ("Nobel laureate laboratory", "change"),
    "research institutes led by Nobel laureates or Turing Award winners": ("Nobel laureate laboratory", "change"),
    "manufacturing innovation centers established": ("manufacturing innovation center", "change"),
    "manufacturing innovation centers set up": ("manufacturing innovation center", "change"),
    "overseas innovation centers established": ("overseas innovation center", "change"),
    "overseas innovation centers set up": ("overseas innovation center", "change"),
    "R&D investment of the whole society": ("R&D investment", "level"),
    "overall R&D investment": ("R&D investment", "level"),
    "R&D investment share of GDP": ("R&D investment / GDP", "share"),
    "newly added innovation carriers (city level and above)": ("innovation carrier", "change"),
    "newly set up innovation carriers": ("innovation carrier", "change"),
    "total innovation carriers (city level and above)": ("innovation carrier", "level"),
    "total innovation carriers": ("innovation carrier", "level"),
    "national science and technology awards won": ("national science and technology award", "change"),
    "newly added state-level high-tech enterprises": ("national high-tech enterprise", "change"),
    "newly set up state-level high-tech enterprises": ("national high-tech enterprise", "change"),
    "state-level high-tech enterprises (total)": ("national high-tech enterprise", "level"),
    "national high-tech enterprises": ("national high-tech enterprise", "level"),
    "growth of high-tech industries added value": ("high-tech industry added value", "change"),
    "growth of emerging industries added value": ("emerging industry added value", "change"),
    "emerging industries added value share of GDP": ("emerging industry added value / GDP", "share"),
    "newly added national mass innovation and entrepreneurship demonstration bases": (
        "national mass innovation and entrepreneurship demonstration base",
        "change",
    ),
    "new national mass innovation and entrepreneurship demonstration bases": (
        "national mass innovation and entrepreneurship demonstration base",
        "change",
    ),
    "full-time academicians added": ("full-time academician", "change"),
    "full-time academicians introduced": ("full-time academician", "change"),
    "total talents": ("talent", "level"),
    "total professional talents": ("talent", "level"),
    "member universities gathered": ("member university", "level"),
    "member colleges and universities": ("member university", "level"),
}

_EXPLICIT = re.compile(
    r"explicit|as of (the )?end of|certified in|stated with the|2021 evaluation|May 2007 agreement$", re.IGNORECASE
)
_RELATIVE = re.compile(r"last year", re.IGNORECASE)


def year_source_from_note(doc: str, year: int | None, note: str) -> str:
    """What an ideal extractor would report: stated (explicit/relative/context) or publication-only."""
    if year is None:
        return "unknown"
    if "year inferred" in note:  # the annotator's guess, not the text's: publication or context
        return "published" if year == PUBLISHED[doc[:3]] else "context"
    if _EXPLICIT.search(note):
        return "explicit"
    if _RELATIVE.search(note):
        return "relative"
    return "published" if year == PUBLISHED[doc[:3]] else "context"


def _aspect(measure: str, kind: str) -> str:
    if kind == "rank":
        return "rank"
    if "share" in measure:
        return "share"
    if re.search(r"\b(newly|new|growth|added|set up|established|introduced)\b", measure):
        return "change"
    return "level"


def _sentence(raw: str, start: int, end: int) -> str:
    left = max(raw.rfind(". ", 0, start) + 2, raw.rfind("\n", 0, start) + 1, 0)
    stops = [i for i in (raw.find(". ", end), raw.find("\n", end)) if i >= 0]
    right = min(stops) + 1 if stops else len(raw)
    return raw[left:right].strip()


def load_raw_texts() -> dict[str, str]:
    return {path.stem: path.read_bytes().decode("utf-8") for path in sorted(SEEDS.glob("*.txt"))}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def gold_mentions(raw_texts: dict[str, str]) -> list[Mention]:
    mentions = []
    for row in read_csv(GOLD / "seeds_gold.csv"):
        raw = raw_texts[row["doc"]]
        span = locate_quote(raw, row["quote"], int(row["occurrence"] or 1))
        assert span is not None, row
        year = int(row["year"]) if row["year"] else None
        measure, aspect = MEASURES.get(row["measure"], (row["measure"], _aspect(row["measure"], row["kind"])))
        mentions.append(
            Mention(
                doc=row["doc"],
                start=span[0],
                end=span[1],
                quote=row["quote"],
                value=Decimal(row["value"]),
                unit=row["unit"],
                qualifier=row["qualifier"],
                kind=row["kind"],
                measure=measure,
                entity=row["entity"],
                year=year,
                year_source=year_source_from_note(row["doc"], year, row["note"]),
                aspect=aspect,
                confidence=1.0,
                rule="gold",
                why="gold fixture",
                sentence=_sentence(raw, span[0], span[1]),
            )
        )
    return mentions


@pytest.fixture(scope="module")
def raw_texts() -> dict[str, str]:
    return load_raw_texts()


@pytest.fixture(scope="module")
def mentions(raw_texts: dict[str, str]) -> list[Mention]:
    return gold_mentions(raw_texts)


@pytest.fixture(scope="module")
def result(mentions: list[Mention]) -> ConsolidateResult:
    return run(mentions)


@pytest.fixture(scope="module")
def scores(result: ConsolidateResult, mentions: list[Mention], raw_texts: dict[str, str]) -> dict[str, object]:
    return score_groups(
        [c.to_row() for c in result.claims],
        [m.to_row() for m in mentions],
        read_csv(GOLD / "seeds_groups.csv"),
        raw_texts,
    )


def claim_of(result: ConsolidateResult, doc: str, quote: str) -> Claim:
    hits = [c for c in result.claims if any(q == quote for q in c.quotes.split(" | ")) and doc in c.sources]
    assert len(hits) == 1, (doc, quote, hits)
    return hits[0]


# ---------------------------------------------------------------------------------------------------
# against the gold groups


def test_fixture_year_sources_match_gold_notes(mentions: list[Mention]) -> None:
    by_quote = {(m.doc[:3], m.quote): m.year_source for m in mentions}
    assert by_quote["004", "58 colleges and universities"] == "published"  # 'so far'
    assert by_quote["003", "67 well -known universities"] == "published"
    assert by_quote["000", "18,650 national high-tech enterprises"] == "published"  # 'now'
    assert by_quote["004", "11,230 State-level high-tech companies"] == "published"  # 'Currently'
    assert by_quote["001", "11230"] == "context"
    assert by_quote["000", "CNY4.99 billion"] == "explicit"
    assert by_quote["004", "195"] == "relative"
    assert by_quote["004", "10 projects"] == "unknown"


def test_gold_duplicate_pairs_share_a_claim_row(scores: dict[str, object]) -> None:
    assert scores["gold_members_unlocated"] == [] and scores["gold_members_unmatched"] == []
    assert scores["duplicate_pairs"] == 21
    assert float(scores["duplicate_pair_recall"]) >= 0.90, scores["duplicate_pairs_missed"]  # type: ignore[arg-type]


def test_gold_conflicts_flagged_with_reasons(scores: dict[str, object], result: ConsolidateResult) -> None:
    assert sorted(scores["conflict_groups_found_names"]) == ["svup_member_universities", "sz_hightech_series"]  # type: ignore[call-overload]
    universities = claim_of(result, "004_d6665c47d6482ba5", "58 colleges and universities")
    assert universities.status == "conflict"
    assert universities.reason == (
        "58 (004, 2018, year from publication date) vs 67 (003, 2022, year from publication date)"
        "; published 2018 vs 2022: may be growth"
    )
    hightech = claim_of(result, "000_794496cc90fbe382", "18,650 national high-tech enterprises")
    assert hightech.status == "conflict"
    assert hightech.reason == (
        "11230 (001, 2017, year from context; 004, 2018, year from publication date)"
        " vs 18650 (000, 2021, year from publication date); published 2018 vs 2021: may be growth"
    )
    # both sides are kept, with their own rows: no majority vote
    total_2017 = claim_of(result, "001_72f0a2f1111df6c1", "11230")
    assert total_2017.conflict_group == hightech.conflict_group
    assert total_2017.n_sources == 2 and total_2017.year == 2017 and total_2017.year_source == "context"


def test_no_gold_timeseries_pair_flagged_and_few_false_conflicts(scores: dict[str, object]) -> None:
    assert scores["timeseries_pairs_flagged"] == 0
    assert scores["timeseries_pairs_merged"] == 0
    assert int(scores["conflict_groups_false"]) <= 2, scores["conflict_groups_false_ids"]  # type: ignore[call-overload]


def test_currency_restatement_is_one_claim(result: ConsolidateResult) -> None:
    claim = claim_of(result, "002_3363262e3dee3f5b", "868 million yuan")
    assert claim.quotes == "868 million yuan | $130 million"
    assert (claim.unit, claim.value, claim.status, claim.n_sources) == ("CNY", Decimal(868000000), "duplicate", 2)


def test_conflicts_csv_lists_every_member(result: ConsolidateResult) -> None:
    rows = list(csv.DictReader(result.conflicts_csv().splitlines()))
    assert tuple(rows[0].keys()) == CONFLICT_COLUMNS
    conflict_sources = sum(c.n_sources for c in result.claims if c.status == "conflict")
    assert len(rows) == conflict_sources
    svup = [r for r in rows if r["quote"] in ("58 colleges and universities", "67 well -known universities")]
    assert len({r["conflict_group"] for r in svup}) == 1 and len(svup) == 2
    assert {(r["value"], r["year"], r["year_source"]) for r in svup} == {
        ("58", "2018", "published"),
        ("67", "2022", "published"),
    }


def test_sources_point_at_raw_spans(result: ConsolidateResult, raw_texts: dict[str, str]) -> None:
    for claim in result.claims:
        sources = claim.sources.split(";")
        quotes = claim.quotes.split(" | ")
        assert len(sources) == len(quotes) == claim.n_sources
        for source, quote in zip(sources, quotes, strict=True):
            doc, span = source.split(":")
            start, end = map(int, span.split("-"))
            assert " ".join(raw_texts[doc][start:end].split()) == quote


# ---------------------------------------------------------------------------------------------------
# synthetic cases


def mk(
    doc: str,
    start: int,
    value: str,
    *,
    quote: str | None = None,
    qualifier: str = "=",
    year: int | None = 2020,
    year_source: str = "published",
    entity: str = "Shenzhen",
    measure: str = "national high-tech enterprise",
    unit: str = "enterprise",
    kind: str = "count",
    aspect: str = "level",
    sentence: str = "",
) -> Mention:
    quote = quote or value
    return Mention(
        doc=doc,
        start=start,
        end=start + len(quote),
        quote=quote,
        value=Decimal(value),
        unit=unit,
        qualifier=qualifier,
        kind=kind,
        measure=measure,
        entity=entity,
        year=year,
        year_source=year_source,
        aspect=aspect,
        sentence=sentence,
    )


A, B, C = "100_aaaaaaaaaaaaaaaa", "101_bbbbbbbbbbbbbbbb", "102_cccccccccccccccc"


def test_stated_different_years_are_a_timeseries() -> None:
    res = run([mk(A, 0, "100", year=2017, year_source="explicit"), mk(B, 0, "120", year=2018, year_source="relative")])
    assert [c.status for c in res.claims] == ["timeseries", "timeseries"]
    assert res.claims[0].conflict_group == res.claims[1].conflict_group
    assert res.claims[0].conflict_group.startswith("ts-")
    assert res.claims[0].reason == "series: 2017: 100; 2018: 120"
    assert res.conflicts == ()


@pytest.mark.parametrize(
    ("source_a", "source_b", "year_b"),
    [
        ("explicit", "published", 2018),  # one year only from the publication date
        ("explicit", "explicit", 2017),  # the same stated year
        ("published", "published", 2022),  # both from publication dates (58 vs 67)
        ("context", "unknown", None),
    ],
)
def test_incompatible_values_conflict_unless_both_years_stated_and_different(
    source_a: str, source_b: str, year_b: int | None
) -> None:
    res = run([mk(A, 0, "100", year=2017, year_source=source_a), mk(B, 0, "120", year=year_b, year_source=source_b)])
    assert [c.status for c in res.claims] == ["conflict", "conflict"]
    assert res.claims[0].conflict_group == res.claims[1].conflict_group != ""
    assert res.claims[0].reason.startswith("100 (100, 2017, ")
    assert " vs 120 (101, " in res.claims[0].reason


def test_floating_year_joins_the_stated_one() -> None:
    res = run(
        [
            mk(
                A,
                0,
                "5100000",
                quote="510 Ten thousand people",
                qualifier=">",
                year=2017,
                year_source="context",
                unit="person",
            ),
            mk(
                B,
                0,
                "5100000",
                quote="5.1 million professional talents",
                qualifier=">",
                year=2018,
                year_source="published",
                unit="talent",
            ),
        ]
    )
    (claim,) = res.claims
    assert (claim.status, claim.year, claim.year_source, claim.n_sources) == ("duplicate", 2017, "context", 2)


def test_floating_year_joins_the_closest_earlier_stated_year() -> None:
    res = run(
        [
            mk(A, 0, "100", year=2017, year_source="explicit", qualifier=">"),
            mk(A, 10, "200", year=2019, year_source="explicit", qualifier=">"),
            mk(A, 20, "250", year=2021, year_source="explicit"),
            mk(B, 0, "240", year=2020, year_source="published"),
        ]
    )
    joined = [c for c in res.claims if c.n_sources == 2]
    assert [c.year for c in joined] == [2019]
    assert {c.status for c in res.claims} == {"timeseries"}


def test_one_value_restated_for_a_later_year_is_one_claim() -> None:
    """Equal values stated for different years are the same figure restated, not a series."""
    res = run(
        [
            mk(A, 0, "5", year=2017, year_source="explicit"),
            mk(B, 0, "5", year=2019, year_source="context"),
        ]
    )
    (claim,) = res.claims
    assert (claim.status, claim.year, claim.n_sources) == ("duplicate", 2017, 2)


def test_no_majority_vote() -> None:
    res = run([mk(d, 0, "11230") for d in (A, B, C)] + [mk("103_dddddddddddddddd", 0, "18650")])
    by_value = {c.value: c for c in res.claims}
    assert set(by_value) == {Decimal(11230), Decimal(18650)}
    assert by_value[Decimal(11230)].n_sources == 3
    assert {c.status for c in res.claims} == {"conflict"}


def test_hedges_merge_compatible_values() -> None:
    res = run(
        [
            mk(
                A,
                0,
                "90000000000",
                quote="90 billion yuan",
                qualifier=">",
                unit="CNY",
                kind="money",
                measure="R&D investment",
                year=2017,
                year_source="context",
            ),
            mk(
                B,
                0,
                "90000000000",
                quote="90 billion yuan",
                qualifier="=",
                unit="CNY",
                kind="money",
                measure="R&D investment",
                year=2017,
                year_source="context",
            ),
        ]
    )
    (claim,) = res.claims
    # the narrower statement is the claim's value
    assert (claim.status, claim.qualifier, claim.value) == ("duplicate", "=", Decimal(90000000000))


def test_key_separates_entity_measure_unit_aspect() -> None:
    base = mk(A, 0, "100")
    others = [
        replace(base, doc=B, entity="Guangzhou"),
        replace(base, doc=B, start=10, end=13, measure="listed company"),
        replace(base, doc=B, start=20, end=23, aspect="change"),
        replace(base, doc=B, start=30, end=33, unit="percent", kind="percent"),
    ]
    res = run([base, *[replace(o, value=Decimal(999), quote="999") for o in others]])
    assert {c.status for c in res.claims} == {"single"}
    assert len(res.claims) == 5


def test_counted_noun_variants_share_a_key() -> None:
    res = run([mk(A, 0, "11230", unit="enterprise"), mk(B, 0, "11230", unit="company")])
    assert len(res.claims) == 1 and res.claims[0].n_sources == 2


def test_unattributed_mentions_are_never_grouped() -> None:
    res = run(
        [
            mk(A, 0, "40", entity="", unit="percent", kind="percent"),
            mk(B, 0, "12", entity="", unit="percent", kind="percent"),
            mk(C, 0, "40", measure="", unit="percent", kind="percent"),
        ]
    )
    assert [c.status for c in res.claims] == ["single"] * 3


SENTENCE = "It facilitated transactions worth 868 million yuan ($130 million)."


@pytest.mark.parametrize(
    ("second_unit", "second_value", "sentence", "gap", "merged"),
    [
        ("USD", "130000000", SENTENCE, 2, True),
        ("USD", "130000000", "", 2, True),  # no sentence: adjacency alone
        ("USD", "130000000", "", 10, False),
        ("USD", "130000000", "It was 868 million yuan and $130 million.", 5, False),  # no parenthesis
        ("CNY", "130000000", SENTENCE, 2, False),  # same currency: two amounts
        ("USD", "1", SENTENCE, 2, False),  # implausible rate
    ],
)
def test_currency_restatement(second_unit: str, second_value: str, sentence: str, gap: int, merged: bool) -> None:
    start = 34
    first = mk(
        A,
        start,
        "868000000",
        quote="868 million yuan",
        unit="CNY",
        kind="money",
        measure="transaction value",
        sentence=sentence,
    )
    second = mk(
        A,
        first.end + gap,
        second_value,
        quote="$130 million",
        unit=second_unit,
        kind="money",
        measure="transaction value",
        entity="",
        sentence=sentence,
    )
    res = run([second, first])
    assert (len(res.claims) == 1) is merged
    if merged:
        assert res.claims[0].sources == f"{A}:34-50;{A}:{50 + gap}-{62 + gap}"


def test_short_doc_names_only_when_unique() -> None:
    twin = "100_zzzzzzzzzzzzzzzz"
    res = run([mk(A, 0, "58"), mk(twin, 0, "67"), mk(B, 0, "70", entity="Guangzhou")])
    assert res.claims[0].reason == (
        f"58 ({A}, 2020, year from publication date) vs 67 ({twin}, 2020, year from publication date)"
    )


# ---------------------------------------------------------------------------------------------------
# ids, order, determinism


UNRELATED = [
    mk("900_unrelated0000000", 10, "36", entity="Hangzhou", measure="unicorn company", unit="company"),
    mk(
        "900_unrelated0000000",
        50,
        "2.5",
        quote="2.5%",
        entity="Hangzhou",
        measure="R&D investment / GDP",
        unit="percent",
        kind="percent",
        aspect="share",
    ),
]


def test_unrelated_article_changes_no_existing_row(mentions: list[Mention], result: ConsolidateResult) -> None:
    before = result.claims_csv().splitlines()
    after = run([*mentions, *UNRELATED]).claims_csv().splitlines()
    assert set(before) <= set(after)
    assert len(after) == len(before) + len(UNRELATED)


def test_related_article_changes_only_the_rows_it_touches(mentions: list[Mention], result: ConsolidateResult) -> None:
    extra = mk(
        "901_related000000000",
        5,
        "58",
        quote="58 universities",
        entity="Shenzhen Virtual University Park",
        measure="member university",
        unit="university",
        year=2018,
        year_source="published",
    )
    before = {c.claim_id: c for c in result.claims}
    after = {c.claim_id: c for c in run([*mentions, extra]).claims}
    assert set(before) == set(after)
    changed = {cid for cid in before if before[cid] != after[cid]}
    joined = claim_of(result, "004_d6665c47d6482ba5", "58 colleges and universities")
    other_side = claim_of(result, "003_edab022b8ec35cc5", "67 well -known universities")
    # the row it joins, and the other side of that conflict, whose reason now names the new source
    assert changed == {joined.claim_id, other_side.claim_id}
    assert after[joined.claim_id].n_sources == 2
    assert after[other_side.claim_id].conflict_group == other_side.conflict_group
    assert "901, 2018" in after[other_side.claim_id].reason


def test_claim_ids_ignore_doc_and_row_order() -> None:
    one = run([mk(A, 0, "100", year=2017, year_source="explicit")]).claims[0].claim_id
    renamed = run([mk(C, 500, "100", year=2017, year_source="explicit")]).claims[0].claim_id
    assert one == renamed
    assert one != run([mk(A, 0, "101", year=2017, year_source="explicit")]).claims[0].claim_id
    assert one != run([mk(A, 0, "100", year=2018, year_source="explicit")]).claims[0].claim_id


def test_output_is_byte_identical(mentions: list[Mention], result: ConsolidateResult) -> None:
    shuffled = list(mentions)
    random.Random(5).shuffle(shuffled)
    again = run(shuffled)
    assert again.claims_csv() == result.claims_csv()
    assert again.conflicts_csv() == result.conflicts_csv()
    frame = pd.DataFrame([m.to_row() for m in reversed(mentions)], columns=list(MENTION_COLUMNS))
    assert run(frame).claims_csv() == result.claims_csv()


def test_row_order_conflicts_first(result: ConsolidateResult) -> None:
    statuses = [c.status for c in result.claims]
    n_conflicts = statuses.count("conflict")
    assert statuses[:n_conflicts] == ["conflict"] * n_conflicts
    groups = [c.conflict_group for c in result.claims[:n_conflicts]]
    assert groups == sorted(groups, key=groups.index)  # each group's rows are adjacent
    assert len(set(groups)) == len([g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g])
    text = result.claims_csv()
    assert "\r" not in text and text.splitlines()[0] == ",".join(CLAIM_COLUMNS)


def test_dataframe_with_blank_cells() -> None:
    rows = [mk(A, 0, "100", year=None, year_source="unknown").to_row()]
    frame = pd.DataFrame(rows, columns=list(MENTION_COLUMNS)).replace("", float("nan"))
    frame["year"] = frame["year"].astype(float)
    (claim,) = run(frame).claims
    assert claim.year is None and claim.year_source == "unknown"


# ---------------------------------------------------------------------------------------------------
# reviews


def test_review_survives_rerun(mentions: list[Mention], result: ConsolidateResult) -> None:
    target = claim_of(result, "004_d6665c47d6482ba5", "58 colleges and universities").claim_id
    reviews = parse_reviews(
        f'claim_id,decision,note\n{target},accepted,"growth, not an error"\nc-00000000dead,rejected,\n'
    )
    rerun = run([*mentions, *UNRELATED], reviews)
    reviewed = [c for c in rerun.claims if c.review]
    assert [(c.claim_id, c.review) for c in reviewed] == [(target, "accepted; growth, not an error")]
    assert [r.claim_id for r in rerun.orphan_reviews] == ["c-00000000dead"]
    assert rerun.orphans_csv() == "line,claim_id,decision,note\n3,c-00000000dead,rejected,\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("claim_id,decision\nc-000000000001,accepted\n", "reviews.csv:1: header must be"),
        (
            "claim_id,decision,note\nc-000000000001,accepted,\nc-000000000002,maybe,\n",
            "reviews.csv:3: decision 'maybe'",
        ),
        ("claim_id,decision,note\nc-000000000001,corrected:abc,\n", "reviews.csv:2: corrected value 'abc'"),
        ("claim_id,decision,note\n\nc-000000000001,accepted,\n,accepted,\n", "reviews.csv:4: empty claim_id"),
        (
            "claim_id,decision,note\nc-000000000001,accepted,\nc-000000000001,rejected,\n",
            "reviews.csv:3: claim_id c-000000000001 already reviewed on line 2",
        ),
        ("claim_id,decision,note\nc-000000000001,accepted,x,y\n", "reviews.csv:2: expected 3 fields, found 4"),
        (
            'claim_id,decision,note\nc-000000000001,accepted,"multi\nline"\nc-000000000002,nope,\n',
            "reviews.csv:4: decision 'nope'",
        ),
    ],
    ids=["header", "decision", "corrected", "empty-id", "duplicate", "fields", "multiline"],
)
def test_malformed_reviews_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ReviewsError) as info:
        parse_reviews(text)
    assert str(info.value).startswith(message)


def test_reviews_accept_corrections_and_bom() -> None:
    reviews = parse_reviews("\ufeffnote,claim_id,decision\nwas 5.1M,c-000000000001, corrected:5100000 \n")
    assert [(r.claim_id, r.decision, r.note, r.line) for r in reviews] == [
        ("c-000000000001", "corrected:5100000", "was 5.1M", 2)
    ]
    assert parse_reviews("") == []


# ---------------------------------------------------------------------------------------------------
# CLI


def _write_mentions(path: Path, mentions: list[Mention]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(MENTION_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(m.to_row() for m in mentions)


def test_cli_roundtrip_and_review_rerun(tmp_path: Path, mentions: list[Mention], result: ConsolidateResult) -> None:
    mentions_csv = tmp_path / "mentions.csv"
    _write_mentions(mentions_csv, mentions)
    params = tmp_path / "params.yaml"
    params.write_text(
        f"paths:\n  output: {tmp_path / 'out'}\n  reviews: {tmp_path / 'reviews.csv'}\n"
        "consolidate:\n  tolerance_about: 0.05\n",
        encoding="utf-8",
    )
    args = ["--params", str(params), "--mentions", str(mentions_csv)]
    assert main(args) == 0  # no reviews.csv: no reviews
    claims_bytes = (tmp_path / "out" / "claims.csv").read_bytes()
    assert claims_bytes == result.claims_csv().encode("utf-8")
    assert (tmp_path / "out" / "conflicts.csv").read_bytes() == result.conflicts_csv().encode("utf-8")

    first = result.claims[0].claim_id
    (tmp_path / "reviews.csv").write_text(f"claim_id,decision,note\n{first},rejected,dup\n", encoding="utf-8")
    assert main(args) == 0
    rows = read_csv(tmp_path / "out" / "claims.csv")
    assert rows[0]["claim_id"] == first and rows[0]["review"] == "rejected; dup"
    assert main(args) == 0  # and again: the review is still there, nothing else moved
    assert read_csv(tmp_path / "out" / "claims.csv") == rows
    assert [r for r in rows if r["review"]] == [rows[0]]
    assert mentions_from_rows(read_csv(mentions_csv)) == mentions


def test_cli_fails_on_malformed_reviews(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mentions_csv = tmp_path / "mentions.csv"
    _write_mentions(mentions_csv, [mk(A, 0, "1")])
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("claim_id,decision,note\nc-000000000001,accepted,\nc-000000000002,approve,\n", encoding="utf-8")
    code = main(
        [
            "--params",
            str(tmp_path / "none.yaml"),
            "--mentions",
            str(mentions_csv),
            "--reviews",
            str(reviews),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert code == 1
    assert f"{reviews}:3: decision 'approve'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_rejects_unknown_param(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("consolidate:\n  tolerance_abuot: 0.1\n", encoding="utf-8")
    assert main(["--params", str(params), "--mentions", str(tmp_path / "m.csv")]) == 1
    assert "consolidate.tolerance_abuot" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------
# the scorer itself must be able to fail


def test_score_groups_counts_split_pairs_and_false_conflicts() -> None:
    raw = {"d1": "alpha 10 beta 10 gamma 12", "d2": "delta 10"}
    mention_rows = [
        {"doc": "d1", "start": "6", "end": "8"},
        {"doc": "d1", "start": "14", "end": "16"},
        {"doc": "d1", "start": "23", "end": "25"},
        {"doc": "d2", "start": "6", "end": "8"},
    ]
    gold = [
        {"group": "g", "doc": "d1", "quote": "10", "occurrence": "1", "relation": "duplicate"},
        {"group": "g", "doc": "d1", "quote": "10", "occurrence": "2", "relation": "duplicate"},
        {"group": "g", "doc": "d2", "quote": "10", "occurrence": "1", "relation": "duplicate"},
        {"group": "t", "doc": "d1", "quote": "12", "occurrence": "1", "relation": "timeseries"},
        {"group": "t", "doc": "d2", "quote": "10", "occurrence": "1", "relation": "timeseries"},
    ]
    claims = [
        {"status": "conflict", "sources": "d1:6-8;d1:14-16", "conflict_group": "cg-1", "reason": "x"},
        {"status": "conflict", "sources": "d2:6-8", "conflict_group": "cg-1", "reason": "x"},
        {"status": "single", "sources": "d1:23-25", "conflict_group": "", "reason": ""},
    ]
    s = score_groups(claims, mention_rows, gold, raw)
    assert (s["duplicate_pairs"], s["duplicate_pairs_together"]) == (3, 1)
    assert s["conflict_groups_false"] == 1
    assert s["timeseries_pairs"] == 1 and s["timeseries_pairs_flagged"] == 0
    claims[2]["conflict_group"], claims[2]["status"] = "cg-1", "conflict"
    assert score_groups(claims, mention_rows, gold, raw)["timeseries_pairs_flagged"] == 1


def test_generic_measures_never_conflict() -> None:
    """Two durations of one entity are not one fact just because both are durations."""
    from decimal import Decimal

    from pipeline.consolidate import run
    from pipeline.types import Mention

    def duration(doc: str, start: int, value: str) -> Mention:
        return Mention(doc, start, start + 8, "x" * 8, Decimal(value), "year", "=", "duration", measure="duration",
                       entity="Shenzhen", year=2021, year_source="published", aspect="level", sentence="s")  # fmt: skip

    result = run([duration("a", 0, "10"), duration("a", 20, "17"), duration("b", 0, "10")], [], {})
    statuses = sorted((c.status, str(c.value)) for c in result.claims)
    assert statuses == [("duplicate", "10"), ("single", "17")]


# --- record linkage on new text (invented mentions) -------------------------------------------


def _money(doc: str, start: int, value: str, measure: str, **kw: object) -> Mention:
    fields = {"unit": "CNY", "kind": "money", "measure": measure, "entity": "Kunming", **kw}
    return mk(doc, start, value, **fields)  # type: ignore[arg-type]


def test_a_value_rounded_to_its_last_digit_agrees_with_the_precise_one() -> None:
    res = run(
        [
            _money(A, 0, "280000000000", "GDP", quote="280 billion yuan", year=2021, year_source="explicit"),
            _money(B, 0, "280060000000", "GDP", quote="280.06 billion yuan", year=2021, year_source="explicit"),
            mk(A, 50, "10", quote="10%", unit="percent", kind="percent", measure="GDP", aspect="change", year=2021,
               year_source="explicit"),
            mk(B, 50, "10.1", quote="10.1 percent", unit="percent", kind="percent", measure="GDP", aspect="change",
               year=2021, year_source="explicit"),
        ]
    )
    assert sorted((c.status, c.n_sources) for c in res.claims) == [("duplicate", 2), ("duplicate", 2)]


def test_two_values_in_one_article_are_two_facts_not_a_conflict() -> None:
    res = run([_money(A, 0, "5000000000", "export"), _money(A, 80, "9000000000", "export")])
    assert {c.status for c in res.claims} == {"single"}


def test_a_conflict_needs_the_same_measure_not_a_similar_one() -> None:
    res = run([_money(A, 0, "5000000000", "enterprise R&D expenditure"), _money(B, 0, "9000000000", "R&D expenditure")])
    assert {c.status for c in res.claims} == {"single"}
    same = run([_money(A, 0, "5000000000", "R&D expenditure"), _money(B, 0, "9000000000", "R&D expenditure")])
    assert {c.status for c in same.claims} == {"conflict"}
    assert "may be growth" not in same.claims[0].reason  # both published in 2020


def test_a_publication_only_conflict_says_so() -> None:
    res = run(
        [
            _money(A, 0, "5000000000", "R&D expenditure", year=2019),
            _money(B, 0, "9000000000", "R&D expenditure", year=2023),
        ]
    )
    assert all(c.reason.endswith("; published 2019 vs 2023: may be growth") for c in res.claims)


def test_a_change_is_not_compared_with_a_level() -> None:
    res = run([_money(A, 0, "5000000000", "export", aspect="change"), _money(B, 0, "90000000000", "export")])
    assert {c.status for c in res.claims} == {"single"}


def test_a_range_is_one_claim_with_its_interval() -> None:
    low = mk(A, 0, "18", quote="between 18", qualifier=">=", unit="year", kind="age", measure="age")
    high = mk(A, 15, "45", quote="45", qualifier="<=", unit="year", kind="age", measure="age")
    low, high = (replace(m, rule="age.between+range.between") for m in (low, high))
    (claim,) = run([low, high]).claims
    assert (claim.to_row()["value"], claim.status, claim.n_sources) == ("18-45", "single", 2)


def test_a_figure_without_its_measure_takes_the_measure_of_the_same_value_in_its_article() -> None:
    res = run(
        [
            mk(A, 0, "3.6", quote="3.6 percentage points", unit="percentage point", kind="percent",
               measure="export growth gap"),
            mk(A, 90, "3.6", quote="3.6 percentage points", unit="percentage point", kind="percent",
               measure="percentage point"),
        ]
    )
    (claim,) = res.claims
    assert claim.status == "duplicate"


def test_a_figure_published_years_after_a_stated_one_is_not_its_report() -> None:
    res = run(
        [
            mk(A, 0, "14000", qualifier=">", year=2018, year_source="explicit"),
            mk(B, 0, "18650", year=2021, year_source="published"),
        ]
    )
    assert len(res.claims) == 2
