"""The consolidation benchmark's synthetic mentions are what its docstring says they are.

No timing here: ``python -m benchmarks.consolidate_scale`` measures, benchmarks/README.md records.
"""

from __future__ import annotations

import collections

from benchmarks.consolidate_scale import Shape, generate_mentions, structure
from pipeline.consolidate import run
from pipeline.intervals import Tolerances, mention_interval


def test_same_seed_same_mentions_of_the_size_asked() -> None:
    first = list(generate_mentions(2_000, seed=4))
    assert len(first) == 2_000
    assert first == list(generate_mentions(2_000, seed=4))
    assert first != list(generate_mentions(2_000, seed=5))


def test_every_quote_is_at_its_span_and_reads_as_its_value() -> None:
    mentions = list(generate_mentions(3_000, seed=1))
    by_doc = collections.defaultdict(list)
    for m in mentions:
        assert m.end - m.start == len(m.quote)
        assert m.quote in m.sentence
        interval = mention_interval(m.quote, m.value, m.qualifier, Tolerances())
        assert interval.low <= m.value <= interval.high
        by_doc[m.doc].append((m.start, m.end))
    for spans in by_doc.values():  # mentions of one article never overlap
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_restatements_agree_when_no_figure_is_wrong_and_every_year_is_stated() -> None:
    """Rounding and hedges alone never make a conflict: the conflicts of the benchmark come from its
    wrong figures and floating years, as intended."""
    honest = run(list(generate_mentions(5_000, seed=2, shape=Shape(wrong=0.0, stated=1.0))))
    statuses = collections.Counter(c.status for c in honest.claims)
    assert statuses["conflict"] == 0
    assert statuses["duplicate"] > 500 and statuses["timeseries"] > 100


def test_the_default_shape_has_duplicates_conflicts_series_and_skewed_blocks() -> None:
    mentions = list(generate_mentions(5_000, seed=3))
    statuses = collections.Counter(c.status for c in run(mentions).claims)
    assert all(statuses[s] > 50 for s in ("single", "duplicate", "conflict", "timeseries"))
    shape = structure(mentions)
    assert shape["largest_block"] > 10 * len(mentions) / shape["blocks"]  # a few popular entities
    assert 0.3 < shape["floating_share"] < 0.5
    assert sum(1 for m in mentions if m.unit == "USD" and m.quote.startswith("$")) > 20  # restatements
