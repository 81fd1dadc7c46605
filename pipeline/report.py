"""Stage **report**: the review page ``output/review.html`` for the analyst.

Inputs (paths from ``params.yaml`` ``paths``): ``output/claims.csv`` (with review decisions already merged by
consolidate), ``output/mentions.csv``, ``output/conflicts.csv`` (optional: read defensively, only for reasons),
``output/normalized/<doc>.json`` (title and publication date) and the raw articles in ``seeds/``, read as
normalize decoded them (:mod:`pipeline.safety.corpus`).

Output: one self-contained HTML file (inline CSS, JS and SVG; nothing is fetched), in this order:

1. conflicts: each conflict group with its competing values side by side, every source sentence with the quote
   highlighted, the document, its publication date, the year and how it was resolved, the reason and the review;
2. series: a small line chart per (entity, measure, unit) whose claims cover two or more years;
3. all claims: a sortable, filterable table; each claim expands to its mentions in raw-text context;
4. documents, and how to record a review in ``reviews.csv``.

Invariants: every piece of article text is HTML-escaped (articles may contain markup); JSON inside ``<script>``
has ``<``, ``>`` and ``&`` escaped as ``\\u003c`` etc.; the output is deterministic (no timestamps, stable order),
so two runs give byte-identical files. The table filter can be preset from the URL: ``review.html?filter=conflict``
(any status), ``?review=unreviewed`` (or accepted / rejected / corrected), ``?q=text``, and sorted with
``?sort=year`` (``?sort=-value`` descending); the hash form ``#filter=conflict`` works too.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pipeline.params import load_params
from pipeline.safety.corpus import read_raw_texts
from pipeline.safety.csvcells import split_sources, unprotect_row

__all__ = [
    "DocInfo",
    "Source",
    "SourceRef",
    "context_window",
    "format_value",
    "json_for_script",
    "load_docs",
    "main",
    "parse_sources",
    "render",
    "run",
    "sentence_bounds",
    "series_of",
    "split_review",
    "svg_chart",
]

STATUS_ORDER = ("conflict", "timeseries", "duplicate", "single")
QUALIFIER_WORDS = {
    "=": "",
    "~": "about",
    ">": "more than",
    ">=": "at least",
    "<": "less than",
    "<=": "up to",
    "~<": "nearly",
}
YEAR_SOURCE_WORDS = {
    "explicit": "stated in the text",
    "relative": "relative to the publication date",
    "context": "from the surrounding paragraph",
    "published": "publication year (not stated in the text)",
    "unknown": "unknown",
}
YEAR_SOURCE_SHORT = {
    "explicit": "stated",
    "relative": "relative",
    "context": "context",
    "published": "pub. date",
    "unknown": "",
}
CURRENCIES = {"CNY", "USD", "HKD", "EUR", "GBP", "JPY", "MOP", "TWD"}
SCALES = (
    (Decimal(10) ** 15, "quadrillion"),
    (Decimal(10) ** 12, "trillion"),
    (Decimal(10) ** 9, "billion"),
    (Decimal(10) ** 6, "million"),
)
CONTEXT_CHARS = 260  #: raw-text characters shown on each side of a mention
TITLE_CHARS = 90  #: longer titles (often a whole first paragraph) are cut, the full text in a tooltip
SENTENCE_LIMIT = 420  #: a raw "sentence" longer than this on either side is cut (MT text has run-on lines)


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What the page says about a document: from ``output/normalized/<doc>.json``."""

    doc: str
    title: str = ""
    published: str = ""
    published_source: str = ""


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One ``doc:start-end`` entry of a claim's ``sources`` column."""

    doc: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Source:
    """A claim's source: its span, the mention row if one matches the span, and the raw article if known."""

    ref: SourceRef
    quote: str
    mention: Mapping[str, str] | None
    raw: str | None


# --------------------------------------------------------------------------- small pure helpers


def esc(text: object) -> str:
    """HTML-escape anything (quotes too: the result is safe in text and in attribute values)."""
    return html.escape(str(text), quote=True)


def json_for_script(data: Any) -> str:
    """JSON that can sit inside ``<script>``: ``<``, ``>``, ``&`` and the JS line separators are escaped."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return text


def parse_sources(text: str) -> list[SourceRef]:
    """Parse a ``sources`` cell (``doc:start-end;doc:start-end``, document ids escaped as
    :func:`pipeline.safety.csvcells.join_sources` writes them); malformed entries are skipped."""
    return [SourceRef(doc, start, end) for doc, start, end in split_sources(text)]


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


def _plain(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}.{frac}" if whole.lstrip("-").isdigit() else text


def human_number(text: str) -> str:
    """``4990000000`` -> ``4.99 billion``, ``18650`` -> ``18,650``; unparsable text comes back unchanged."""
    value = _decimal(text)
    if value is None:
        return text
    for scale, word in SCALES:
        if abs(value) >= scale:
            scaled = (value / scale).quantize(Decimal("0.001")).normalize()
            return f"{_plain(scaled)} {word}"
    return _plain(value)


def format_value(value: str, unit: str, qualifier: str = "=") -> str:
    """Readable plain text of a value: ``more than CNY 4.99 billion``, ``42.7%``, ``about 2,243 scientist``."""
    number = human_number(value)
    unit = unit.strip()
    if unit == "percent":
        body = f"{number}%"
    elif unit == "percentage point":
        body = f"{number} pp"
    elif unit == "times":
        body = f"{number}×"
    elif unit in ("km2", "m2"):
        body = f"{number} {unit[:-1]}²"
    elif unit.upper() in CURRENCIES:
        body = f"{unit.upper()} {number}"
    else:
        body = f"{number} {unit}".strip()
    hedge = QUALIFIER_WORDS.get(qualifier.strip(), qualifier.strip())
    return f"{hedge} {body}".strip()


def _value_html(value: str, unit: str, qualifier: str) -> str:
    hedge = QUALIFIER_WORDS.get(qualifier.strip(), qualifier.strip())
    unit = unit.strip()
    symbolic = unit in ("percent", "percentage point", "times", "km2", "m2") or unit.upper() in CURRENCIES
    if symbolic or not unit:
        body = f'<span class="num">{esc(format_value(value, unit, "="))}</span>'
    else:  # a counted noun reads better set apart from the number
        body = f'<span class="num">{esc(human_number(value))}</span> <span class="unit">{esc(unit)}</span>'
    return (f'<span class="hedge">{esc(hedge)}</span> ' if hedge else "") + body


_BOUNDARY = re.compile(r"(?:[.!?。！？][\"”’)]?\s)|\n")


def sentence_bounds(raw: str, start: int, end: int, limit: int = SENTENCE_LIMIT) -> tuple[int, int]:
    """Raw offsets of the sentence around ``[start, end)``: from after the previous sentence end (or line
    break) to the next one, each side cut to ``limit`` characters at a space."""
    lo = max(0, start - limit)
    left = lo
    for match in _BOUNDARY.finditer(raw, lo, start):
        left = match.end()
    if left == lo and lo > 0:
        space = raw.find(" ", lo, start)
        left = space + 1 if space >= 0 else lo
    hi = min(len(raw), end + limit)
    following = _BOUNDARY.search(raw, end, hi)
    if following:
        right = following.start() + 1 if raw[following.start()] != "\n" else following.start()
    else:
        right = hi
        if hi < len(raw):
            space = raw.rfind(" ", end, hi)
            right = space if space >= 0 else hi
    return left, right


def context_window(raw: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> tuple[int, int]:
    """Raw offsets of a window of about ``chars`` characters each side of ``[start, end)``, cut at spaces."""
    left = max(0, start - chars)
    if left > 0:
        space = raw.find(" ", left, start)
        left = space + 1 if space >= 0 else left
    right = min(len(raw), end + chars)
    if right < len(raw):
        space = raw.rfind(" ", end, right)
        right = space if space >= 0 else right
    return left, right


_BLANK_LINES = re.compile(r"[ \t]*\n\s*")


_ENDS = '.!?。！？"”’)\n'


def _cut_inside_sentence(raw: str, left: int, right: int) -> tuple[bool, bool]:
    """Whether the window ``[left, right)`` starts / ends in mid-sentence (then it gets an ellipsis)."""
    before = raw[max(0, left - 3) : left].rstrip(" \t")
    inside = raw[left:right].rstrip(" \t")
    return (left > 0 and before[-1:] not in _ENDS), (right < len(raw) and inside[-1:] not in _ENDS)


def _highlight(raw: str, left: int, right: int, start: int, end: int) -> str:
    cut_left, cut_right = _cut_inside_sentence(raw, left, right)
    before = ("…" if cut_left else "") + raw[left:start].lstrip()
    after = raw[end:right].rstrip() + ("…" if cut_right else "")
    # blank lines between paragraphs would make a context window mostly air: one line break is enough
    before, after = _BLANK_LINES.sub("\n", before), _BLANK_LINES.sub("\n", after)
    return f"{esc(before)}<mark>{esc(raw[start:end])}</mark>{esc(after)}"


def _span_ok(source: Source) -> bool:
    raw, ref = source.raw, source.ref
    return raw is not None and 0 <= ref.start < ref.end <= len(raw)


def sentence_html(source: Source) -> str:
    """The source sentence with the quote in ``<mark>``: from the raw article when the span is valid, else
    from the mention's (clean) sentence, else just the quote."""
    if _span_ok(source):
        assert source.raw is not None
        left, right = sentence_bounds(source.raw, source.ref.start, source.ref.end)
        return _highlight(source.raw, left, right, source.ref.start, source.ref.end)
    sentence = (source.mention or {}).get("sentence", "")
    pos = sentence.find(source.quote) if source.quote else -1
    if pos >= 0:
        return _highlight(sentence, 0, len(sentence), pos, pos + len(source.quote))
    return f"<mark>{esc(source.quote)}</mark>" + (f" — {esc(sentence)}" if sentence else "")


def context_html(source: Source) -> str:
    """A window of the raw article around the span, the quote in ``<mark>``."""
    if not _span_ok(source):
        return sentence_html(source)
    assert source.raw is not None
    left, right = context_window(source.raw, source.ref.start, source.ref.end)
    return _highlight(source.raw, left, right, source.ref.start, source.ref.end)


def _year(text: str) -> int | None:
    try:
        return int(Decimal(text.strip()))
    except (InvalidOperation, ValueError):
        return None


# --------------------------------------------------------------------------- series charts


@dataclass(frozen=True, slots=True)
class Point:
    year: int
    value: Decimal
    claim_id: str
    status: str
    label: str


@dataclass(frozen=True, slots=True)
class Series:
    entity: str
    measure: str
    unit: str
    points: tuple[Point, ...]


def series_of(claims: Iterable[Mapping[str, str]]) -> list[Series]:
    """Claims grouped by (entity, measure, unit) whose years number two or more, points sorted by year.

    Unit is part of the key because a chart with CNY and USD on one axis would mislead.
    """
    grouped: dict[tuple[str, str, str], list[Point]] = {}
    for claim in claims:
        year, value = _year(claim.get("year", "")), _decimal(claim.get("value", ""))
        if year is None or value is None:
            continue
        key = (claim.get("entity", ""), claim.get("measure", ""), claim.get("unit", ""))
        label = format_value(claim.get("value", ""), claim.get("unit", ""), claim.get("qualifier", "="))
        grouped.setdefault(key, []).append(
            Point(year, value, claim.get("claim_id", ""), claim.get("status", ""), label)
        )
    result = []
    for (entity, measure, unit), points in sorted(grouped.items()):
        if len({p.year for p in points}) >= 2:
            result.append(Series(entity, measure, unit, tuple(sorted(points, key=lambda p: (p.year, p.value)))))
    return result


def _short(value: Decimal) -> str:
    for scale, word in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k")):
        if abs(value) >= scale * 10 or (word != "k" and abs(value) >= scale):
            return f"{_plain((value / scale).quantize(Decimal('0.1')).normalize())}{word}"
    return _plain(value.quantize(Decimal("0.01")).normalize())


def svg_chart(series: Series, width: int = 300, height: int = 150) -> str:
    """An inline SVG line chart: x = year (linear), y from 0 (or the minimum if negative) to the maximum.

    Points of conflicting claims are drawn in the conflict colour; each point has a tooltip and a label.
    """
    left, right, top, bottom = 14, 14, 22, 26
    years = [p.year for p in series.points]
    values = [float(p.value) for p in series.points]
    y_min, y_max = min(0.0, min(values)), max(values)
    y_max = y_max if y_max > y_min else y_min + 1.0
    x_min, x_max = min(years), max(years)

    def x_of(year: int) -> float:
        return left + (year - x_min) / (x_max - x_min) * (width - left - right)

    def y_of(value: float) -> float:
        return top + (1 - (value - y_min) / (y_max - y_min)) * (height - top - bottom)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{esc(series.measure)} of {esc(series.entity)} by year">',
        f'<line class="axis" x1="{left}" y1="{y_of(y_min):.1f}" x2="{width - right}" y2="{y_of(y_min):.1f}"/>',
    ]
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x_of(p.year):.1f},{y_of(float(p.value)):.1f}" for i, p in enumerate(series.points)
    )
    parts.append(f'<path class="line" d="{path}"/>')
    for year in sorted(set(years)):
        parts.append(f'<text class="tick" x="{x_of(year):.1f}" y="{height - 8}" text-anchor="middle">{year}</text>')
    for p in series.points:
        x, y = x_of(p.year), y_of(float(p.value))
        cls = "pt conflict" if p.status == "conflict" else "pt"
        anchor = "start" if x < width / 3 else ("end" if x > 2 * width / 3 else "middle")
        parts.append(
            f'<a href="#claim-{esc(p.claim_id)}"><circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="4.5">'
            f"<title>{p.year}: {esc(p.label)} ({esc(p.status)})</title></circle></a>"
            f'<text class="val" x="{x:.1f}" y="{y - 9:.1f}" text-anchor="{anchor}">{esc(_short(p.value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- page sections


def split_review(review: str) -> tuple[str, str]:
    """``(decision, note)`` of a claims.csv ``review`` cell, written by consolidate as ``decision`` or
    ``decision; note``."""
    decision, _, note = review.strip().partition(";")
    return decision.strip(), note.strip()


def _review_kind(review: str) -> str:
    decision, _ = split_review(review)
    kind = decision.split(":", 1)[0].strip().lower()
    return kind if kind in ("accepted", "rejected", "corrected") else ("unreviewed" if not kind else "other")


def _review_badge(review: str) -> str:
    decision, note = split_review(review)
    if not decision:
        return '<span class="rv rv-none">unreviewed</span>'
    note_html = f' <span class="rv-note">{esc(note)}</span>' if note else ""
    return f'<span class="rv rv-{_review_kind(review)}">{esc(decision)}</span>{note_html}'


def _status_badge(status: str) -> str:
    return f'<span class="st st-{esc(status)}">{esc(status)}</span>'


def _doc_line(doc: DocInfo | None, ref: SourceRef) -> str:
    title = ""
    if doc and doc.title:
        short = doc.title if len(doc.title) <= TITLE_CHARS else doc.title[: TITLE_CHARS - 1].rstrip() + "…"
        title = f' <span class="title" title="{esc(doc.title)}">{esc(short)}</span>'
    published = ""
    if doc and doc.published:
        how = f" ({esc(doc.published_source)})" if doc.published_source else ""
        published = f" · published <time>{esc(doc.published)}</time>{how}"
    return f'<span class="doc">{esc(ref.doc)}</span>{title}{published}'


def _mention_year(mention: Mapping[str, str] | None) -> str:
    if not mention:
        return ""
    year, source = mention.get("year", "").strip(), mention.get("year_source", "").strip()
    how = YEAR_SOURCE_WORDS.get(source, source)
    return f"year {esc(year or '?')}" + (f" — {esc(how)}" if how else "")


def _claim_year(claim: Mapping[str, str], short: bool = False) -> str:
    year, source = claim.get("year", "").strip(), claim.get("year_source", "").strip()
    how = (YEAR_SOURCE_SHORT if short else YEAR_SOURCE_WORDS).get(source, source)
    return f'<span class="year">{esc(year or "year unknown")}</span>' + (
        f' <span class="how">{esc(how)}</span>' if how else ""
    )


def _conflicts_section(
    claims: Sequence[Mapping[str, str]],
    sources: Mapping[str, list[Source]],
    docs: Mapping[str, DocInfo],
    extra_reasons: Mapping[str, list[str]],
) -> str:
    groups: dict[str, list[Mapping[str, str]]] = {}
    for claim in claims:
        if claim.get("status") == "conflict":
            groups.setdefault(claim.get("conflict_group", "") or claim.get("claim_id", ""), []).append(claim)
    out = [f'<section id="conflicts"><h2>Conflicts <span class="count">{len(groups)}</span></h2>']
    if not groups:
        out.append('<p class="empty">No conflicts: every repeated fact agrees across sources.</p>')
    else:
        out.append(
            '<p class="lede">Sources disagree on the value of the same fact, and the text does not give each '
            "a different year. Both sides are shown; nothing is resolved by majority.</p>"
        )
    for group_id, members in groups.items():
        first = members[0]
        reasons: list[str] = []
        for reason in [m.get("reason", "") for m in members] + list(extra_reasons.get(group_id, [])):
            if reason.strip() and reason.strip() not in reasons:
                reasons.append(reason.strip())
        out.append(f'<article class="conflict" id="group-{esc(group_id)}" data-group="{esc(group_id)}">')
        out.append(
            f'<header><h3>{esc(first.get("entity", ""))} <span class="sep">·</span> '
            f'{esc(first.get("measure", ""))}</h3><code class="gid">{esc(group_id)}</code></header>'
        )
        for reason in reasons:
            out.append(f'<p class="reason">{esc(reason)}</p>')
        out.append('<div class="sides">')
        for claim in members:
            cid = claim.get("claim_id", "")
            out.append(f'<section class="side" data-claim="{esc(cid)}">')
            value_html = _value_html(claim.get("value", ""), claim.get("unit", ""), claim.get("qualifier", "="))
            out.append(f'<div class="big">{value_html}</div>')
            out.append(f'<div class="meta">{_claim_year(claim)}</div>')
            out.append(
                f'<div class="meta">{_review_badge(claim.get("review", ""))} '
                f'<a class="cid" href="#claim-{esc(cid)}">{esc(cid)}</a></div>'
            )
            for source in sources.get(cid, []):
                # a source's own year only when it differs from the claim's (001 says 2017, 004 "currently")
                same = source.mention is not None and all(
                    source.mention.get(k, "").strip() == claim.get(k, "").strip() for k in ("year", "year_source")
                )
                mention_year = "" if same else _mention_year(source.mention)
                out.append(
                    f'<figure class="source"><blockquote>{sentence_html(source)}</blockquote>'
                    f"<figcaption>{_doc_line(docs.get(source.ref.doc), source.ref)}"
                    + (f'<br><span class="how">{mention_year}</span>' if mention_year else "")
                    + "</figcaption></figure>"
                )
            out.append("</section>")
        out.append("</div></article>")
    out.append("</section>")
    return "\n".join(out)


def _series_section(series: Sequence[Series]) -> str:
    out = [f'<section id="series"><h2>Series <span class="count">{len(series)}</span></h2>']
    if not series:
        out.append('<p class="empty">No entity and measure has values for two or more years yet.</p>')
    else:
        out.append(
            '<p class="lede">Every entity and measure with values in two or more years. '
            'Red points are claims in conflict; click a point to open the claim.</p><div class="charts">'
        )
        for s in series:
            out.append(
                f'<figure class="series"><figcaption><b>{esc(s.entity)}</b> · {esc(s.measure)}'
                f' <span class="unit">({esc(s.unit)})</span></figcaption>{svg_chart(s)}</figure>'
            )
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


#: (data key, header, sort type, column width): fixed widths keep long measures from pushing the table wide
_COLUMNS = (
    ("status", "Status", "text", "11%"),
    ("entity", "Entity", "text", "17%"),
    ("measure", "Measure", "text", "23%"),
    ("value", "Value", "num", "17%"),
    ("year", "Year", "num", "10%"),
    ("aspect", "Aspect", "text", "7%"),
    ("n", "Sources", "num", "7%"),
    ("review", "Review", "text", "8%"),
)


def _claims_section(
    claims: Sequence[Mapping[str, str]], sources: Mapping[str, list[Source]], docs: Mapping[str, DocInfo]
) -> str:
    statuses = sorted(
        {c.get("status", "") for c in claims},
        key=lambda s: (STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER), s),
    )
    options = "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in statuses)
    out = [
        '<section id="claims"><h2>All claims <span class="count">' + str(len(claims)) + "</span></h2>",
        '<div class="controls" role="search">',
        '<label>Search <input id="q" type="search" placeholder="entity, measure, quote, document…"></label>',
        f'<label>Status <select id="status"><option value="">all</option>{options}</select></label>',
        '<label>Review <select id="review"><option value="">all</option><option>unreviewed</option>'
        "<option>accepted</option><option>rejected</option><option>corrected</option></select></label>",
        f'<span id="shown" class="shown">{len(claims)} of {len(claims)} claims</span>',
        "</div>",
        '<table id="claims-table"><colgroup><col style="width:30px">'
        + "".join(f'<col style="width:{width}">' for *_, width in _COLUMNS)
        + '</colgroup><thead><tr><th class="tog" aria-label="expand"></th>',
    ]
    for key, label, kind, _width in _COLUMNS:
        out.append(
            f'<th data-sort="{key}" data-type="{kind}" aria-sort="none"><button type="button">{label}</button></th>'
        )
    out.append("</tr></thead>")
    for i, claim in enumerate(claims):
        cid = claim.get("claim_id", "")
        status = claim.get("status", "")
        value = _decimal(claim.get("value", ""))
        year = _year(claim.get("year", ""))
        review = claim.get("review", "")
        attrs = {
            "status": status,
            "entity": claim.get("entity", ""),
            "measure": claim.get("measure", ""),
            "value": str(value) if value is not None else "",
            "year": str(year) if year is not None else "",
            "aspect": claim.get("aspect", ""),
            "n": claim.get("n_sources", ""),
            "review": _review_kind(review),
            "order": str(i),
        }
        data = " ".join(f'data-{k}="{esc(v)}"' for k, v in attrs.items())
        group = claim.get("conflict_group", "")
        group_link = (
            f' <a class="glink" href="#group-{esc(group)}" title="conflict group">{esc(group)}</a>'
            if group and status == "conflict"
            else ""
        )
        out.append(f'<tbody class="claim" id="claim-{esc(cid)}" {data}>')
        out.append(
            f'<tr class="row"><td class="tog"><button type="button" class="toggle" aria-expanded="false" '
            f'aria-controls="detail-{esc(cid)}" title="show mentions">▸</button></td>'
            f"<td>{_status_badge(status)}{group_link}</td>"
            f"<td>{esc(claim.get('entity', ''))}</td><td>{esc(claim.get('measure', ''))}</td>"
            f'<td class="v">{_value_html(claim.get("value", ""), claim.get("unit", ""), claim.get("qualifier", "="))}'
            f'</td><td class="y">{_claim_year(claim, short=True)}</td>'
            f'<td>{esc(claim.get("aspect", ""))} <span class="kind">{esc(claim.get("kind", ""))}</span></td>'
            f'<td class="n">{esc(claim.get("n_sources", ""))}</td><td>{_review_badge(review)}</td></tr>'
        )
        out.append(f'<tr class="detail" id="detail-{esc(cid)}"><td></td><td colspan="{len(_COLUMNS)}">')
        if claim.get("reason", "").strip():
            out.append(f'<p class="reason">{esc(claim["reason"])}</p>')
        for source in sources.get(cid, []):
            mention = source.mention or {}
            bits = [_doc_line(docs.get(source.ref.doc), source.ref), f"chars {source.ref.start}–{source.ref.end}"]
            if mention:
                bits.append(_mention_year(mention))
                if mention.get("rule"):
                    bits.append(f"rule <code>{esc(mention['rule'])}</code>")
                if mention.get("confidence"):
                    bits.append(f"confidence {esc(mention['confidence'])}")
            why = f'<div class="why">{esc(mention["why"])}</div>' if mention.get("why") else ""
            out.append(
                f'<div class="mention"><div class="src">{" · ".join(bits)}</div>'
                f'<p class="ctx">{context_html(source)}</p>{why}</div>'
            )
        out.append(
            f'<div class="rvline">reviews.csv: <code>{esc(cid)},accepted,</code> '
            f'<span class="how">(or rejected, or corrected:&lt;value&gt;; then rerun <code>dvc repro</code>)'
            "</span></div>"
        )
        out.append("</td></tr></tbody>")
    out.append("</table></section>")
    return "\n".join(out)


def _documents_section(docs: Mapping[str, DocInfo], mention_counts: Mapping[str, int]) -> str:
    out = [
        '<section id="documents"><h2>Documents <span class="count">' + str(len(docs)) + "</span></h2>",
        '<table class="docs"><thead><tr><th>Document</th><th>Title</th><th>Published</th><th>Mentions</th>'
        "</tr></thead><tbody>",
    ]
    for name in sorted(docs):
        d = docs[name]
        how = f' <span class="how">({esc(d.published_source)})</span>' if d.published_source else ""
        title = d.title if len(d.title) <= 2 * TITLE_CHARS else d.title[: 2 * TITLE_CHARS - 1].rstrip() + "…"
        out.append(
            f'<tr><td class="doc">{esc(name)}</td><td title="{esc(d.title)}">{esc(title)}</td>'
            f'<td class="pub">{esc(d.published or "—")}{how}</td>'
            f'<td class="n">{mention_counts.get(name, 0)}</td></tr>'
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)


HOWTO = """<section id="howto"><h2>Recording a review</h2>
<p>Decisions live in <code>reviews.csv</code> at the project root (never in <code>output/</code>, which is
regenerated). One row per claim, header <code>claim_id,decision,note</code>; the decision is
<code>accepted</code>, <code>rejected</code> or <code>corrected:&lt;value&gt;</code>:</p>
<pre>claim_id,decision,note
3b91666e4c74,accepted,"58 was the 2018 count; 67 is the 2022 count"
045e88c3a5da,corrected:67,checked on the park's site</pre>
<p>Run <code>dvc repro</code>: the decisions are merged into the <code>review</code> column of
<code>output/claims.csv</code> and shown here. A review whose claim no longer exists is listed in
<code>output/orphan_reviews.csv</code>.</p></section>"""


CSS = """
:root{--ink:#1f2430;--muted:#5b6475;--line:#e3e6ec;--bg:#f6f7f9;--card:#fff;--accent:#3b5bdb;
--conflict:#c92a2a;--conflict-bg:#fff5f5;--mark:#ffe58f;--ok:#2b8a3e;--warn:#e8590c}
*{box-sizing:border-box}
html{font-size:15px}
body{margin:0;background:var(--bg);color:var(--ink);line-height:1.5;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif}
header.top{background:#fff;border-bottom:1px solid var(--line)}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
header.top .wrap{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 28px;padding-top:18px;padding-bottom:14px}
h1{font-size:1.35rem;margin:0;font-weight:650;letter-spacing:-.01em}
nav a{color:var(--muted);text-decoration:none;margin-right:16px;font-size:.93rem}
nav a:hover{color:var(--accent)}
.stats{display:flex;flex-wrap:wrap;gap:8px;width:100%}
.chip{background:var(--bg);border:1px solid var(--line);border-radius:999px;padding:1px 11px;font-size:.85rem;
color:var(--muted)}
.chip b{color:var(--ink);font-variant-numeric:tabular-nums}
.chip.hot{background:var(--conflict-bg);border-color:#ffc9c9;color:var(--conflict)}
.chip.hot b{color:var(--conflict)}
main{padding:8px 0 48px}
h2{font-size:1.12rem;margin:28px 0 6px;font-weight:650}
h2 .count{font-size:.8rem;font-weight:600;color:var(--muted);background:#e9ecf2;border-radius:999px;padding:1px 8px;
vertical-align:2px;margin-left:4px}
.lede,.empty{color:var(--muted);margin:0 0 12px;font-size:.93rem}
.conflict{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--conflict);
border-radius:8px;padding:14px 18px 16px;margin:0 0 16px;box-shadow:0 1px 2px rgba(20,30,50,.04)}
.conflict>header{display:flex;justify-content:space-between;align-items:baseline;gap:12px}
.conflict h3{margin:0;font-size:1.05rem;font-weight:620}
.sep{color:#adb5bd}
code,.gid,.cid{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.82em}
.gid{color:var(--muted)}
.reason{margin:6px 0 10px;color:#7a2020;background:var(--conflict-bg);border-radius:6px;padding:6px 10px;
font-size:.9rem}
.sides{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:14px}
.side{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fcfcfd}
.big{font-size:1.5rem;font-weight:680;letter-spacing:-.01em;font-variant-numeric:tabular-nums}
.big .hedge{font-size:1rem;font-weight:500;color:var(--muted)}
.meta{font-size:.86rem;color:var(--muted);margin-top:2px}
.year{font-weight:600;color:var(--ink)}
.how{color:var(--muted);font-size:.86em}
.source{margin:10px 0 0}
blockquote{margin:0;padding:8px 12px;border-left:3px solid #d0d7e2;background:#fff;font-family:Georgia,
"Noto Serif","DejaVu Serif",serif;font-size:.96rem;line-height:1.55}
mark{background:var(--mark);color:inherit;padding:0 2px;border-radius:3px;font-weight:600}
figcaption{font-size:.82rem;color:var(--muted);margin-top:4px}
.doc{font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.9em;color:var(--ink)}
.title{font-style:italic}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}
.series{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0;padding:10px 12px}
.series figcaption{font-size:.88rem;color:var(--ink);margin:0 0 4px}
.chart{display:block;width:100%;height:auto;max-width:300px}
.chart .axis{stroke:#ced4da;stroke-width:1}
.chart .line{fill:none;stroke:var(--accent);stroke-width:2}
.chart .pt{fill:var(--accent);stroke:#fff;stroke-width:1.5}
.chart .pt.conflict{fill:var(--conflict)}
.chart .tick{font-size:11px;fill:var(--muted)}
.chart .val{font-size:11px;fill:var(--ink);font-weight:600}
.controls{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center;margin:4px 0 10px;font-size:.9rem;
color:var(--muted)}
.controls input,.controls select{font:inherit;color:var(--ink);border:1px solid #cfd5df;border-radius:6px;
padding:4px 8px;background:#fff;margin-left:4px}
.controls input{width:280px}
.shown{margin-left:auto}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px;
font-size:.9rem}
th{text-align:left;font-weight:600;color:var(--muted);border-bottom:1px solid var(--line);padding:0;
background:#fafbfc;position:sticky;top:0}
th button{font:inherit;color:inherit;background:none;border:0;padding:8px 10px;cursor:pointer;width:100%;
text-align:left}
th[aria-sort=ascending] button::after{content:" ▲";font-size:.7em}
th[aria-sort=descending] button::after{content:" ▼";font-size:.7em}
td{padding:7px 10px;border-top:1px solid #eef0f4;vertical-align:top}
tbody.claim[data-status=conflict] tr.row{background:#fffafa}
tbody.claim:hover tr.row{background:#f5f7fb}
td.v{font-variant-numeric:tabular-nums}
.num{white-space:nowrap}
#claims-table{table-layout:fixed}
#claims-table td{overflow-wrap:anywhere}
td.v .hedge,td.v .unit{color:var(--muted)}
td.y .how{display:block}
.big .unit{font-size:1rem;font-weight:500;color:var(--muted)}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.tog{width:28px}
.toggle{border:0;background:none;cursor:pointer;color:var(--muted);font-size:.9rem;padding:0 4px}
.toggle[aria-expanded=true]{transform:rotate(90deg)}
html.js tr.detail{display:none}
html.js tbody.open tr.detail{display:table-row}
tr.detail td{background:#fbfbfd;border-top:0;padding-top:2px}
.mention{margin:6px 0 10px}
.src{font-size:.82rem;color:var(--muted)}
.ctx{margin:3px 0 0;font-family:Georgia,"Noto Serif","DejaVu Serif",serif;white-space:pre-line;max-width:860px;
font-size:.95rem;border-left:3px solid #d0d7e2;padding-left:10px}
.why{font-size:.82rem;color:var(--muted);font-style:italic}
.rvline{font-size:.82rem;color:var(--muted);margin:4px 0 6px}
.kind{color:var(--muted);font-size:.85em}
.st{display:inline-block;border-radius:4px;padding:0 7px;font-size:.8rem;font-weight:600;border:1px solid}
.st-conflict{color:var(--conflict);background:var(--conflict-bg);border-color:#ffc9c9}
.st-timeseries{color:#1864ab;background:#e7f5ff;border-color:#a5d8ff}
.st-duplicate{color:#5f3dc4;background:#f3f0ff;border-color:#d0bfff}
.st-single{color:var(--muted);background:#f1f3f5;border-color:#dee2e6}
.glink{font-size:.72rem;color:var(--muted);margin-left:6px;display:block}
.rv{font-size:.8rem;font-weight:600;white-space:nowrap}
.rv-none{color:#adb5bd;font-weight:500}
.rv-accepted{color:var(--ok)}
.rv-rejected{color:var(--muted);text-decoration:line-through}
.rv-corrected,.rv-other{color:var(--warn)}
.rv-note{display:block;font-size:.78rem;color:var(--muted);font-style:italic}
table.docs td{vertical-align:baseline}
table.docs th{padding:8px 10px}
table.docs td.pub{white-space:nowrap}
pre{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 12px;font-size:.85rem;overflow:auto}
#howto p{max-width:820px}
a{color:var(--accent)}
:target{scroll-margin-top:12px}
tbody.claim:target tr.row{background:#fff9db}
@media (max-width:760px){.controls input{width:100%}.shown{margin-left:0}}
"""

JS = """
(function(){
  "use strict";
  var table = document.getElementById("claims-table");
  var index = JSON.parse(document.getElementById("claims-index").textContent);
  var bodies = Array.prototype.slice.call(table.querySelectorAll("tbody.claim"));
  var q = document.getElementById("q"), status = document.getElementById("status"),
      review = document.getElementById("review"), shown = document.getElementById("shown");
  function readUrl(){
    var params = new URLSearchParams(location.search);
    var hash = location.hash.charAt(0) === "#" ? location.hash.slice(1) : "";
    if (hash.indexOf("=") > 0) { new URLSearchParams(hash).forEach(function(v, k){ params.set(k, v); }); }
    var st = params.get("filter") || params.get("status");
    if (st !== null) { status.value = st; if (status.value !== st) {
      var o = document.createElement("option"); o.value = st; o.textContent = st; status.appendChild(o);
      status.value = st; } }
    if (params.get("review") !== null) { review.value = params.get("review"); }
    if (params.get("q") !== null) { q.value = params.get("q"); }
    var sort = params.get("sort");
    if (sort) { var desc = sort.charAt(0) === "-", th = table.querySelector('th[data-sort="' +
        sort.replace(/^-/, "").replace(/[^a-z]/g, "") + '"]');
      if (th) { sortBy(th); if (desc) { sortBy(th); } } }
  }
  function apply(){
    var text = q.value.trim().toLowerCase(), st = status.value, rv = review.value, n = 0;
    bodies.forEach(function(b){
      var ok = (!st || b.dataset.status === st) && (!rv || b.dataset.review === rv) &&
               (!text || (index[b.id] || "").indexOf(text) >= 0);
      b.hidden = !ok; if (ok) { n++; }
    });
    shown.textContent = n + " of " + bodies.length + " claims";
    table.setAttribute("data-visible", String(n));
  }
  function sortBy(th){
    var key = th.dataset.sort, num = th.dataset.type === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    table.querySelectorAll("th[data-sort]").forEach(function(h){ h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    bodies.sort(function(a, b){
      var x = a.dataset[key] || "", y = b.dataset[key] || "", c;
      if (num) { var fx = parseFloat(x), fy = parseFloat(y);
        if (isNaN(fx) && isNaN(fy)) { c = 0; } else if (isNaN(fx)) { return 1; } else if (isNaN(fy)) { return -1; }
        else { c = fx - fy; } }
      else { c = x.localeCompare(y); }
      return c * dir || (+a.dataset.order - +b.dataset.order);
    });
    bodies.forEach(function(b){ table.appendChild(b); });
  }
  function toggle(body, open){
    var btn = body.querySelector("button.toggle");
    body.classList.toggle("open", open); btn.setAttribute("aria-expanded", String(open));
  }
  table.addEventListener("click", function(e){
    var th = e.target.closest("th[data-sort]");
    if (th) { sortBy(th); return; }
    var row = e.target.closest("tr.row");
    if (row && !e.target.closest("a")) { var b = row.parentNode; toggle(b, !b.classList.contains("open")); }
  });
  function openTarget(){
    var id = location.hash.slice(1);
    if (id.indexOf("claim-") === 0) { var b = document.getElementById(id);
      if (b) { if (b.hidden) { q.value = ""; status.value = ""; review.value = ""; apply(); }
        toggle(b, true); b.scrollIntoView({block: "start"}); } }
  }
  [q, status, review].forEach(function(el){
    el.addEventListener("input", apply); el.addEventListener("change", apply);
  });
  window.addEventListener("hashchange", openTarget);
  readUrl(); apply(); openTarget();
  document.body.setAttribute("data-ready", "1");
})();
"""


def _search_index(claims: Sequence[Mapping[str, str]], sources: Mapping[str, list[Source]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for claim in claims:
        cid = claim.get("claim_id", "")
        fields = [
            claim.get(k, "")
            for k in (
                "claim_id",
                "status",
                "entity",
                "measure",
                "value",
                "unit",
                "year",
                "quotes",
                "conflict_group",
                "reason",
                "review",
                "aspect",
                "kind",
            )
        ]
        fields += [s.ref.doc for s in sources.get(cid, [])]
        index[f"claim-{cid}"] = " ".join(f for f in fields if f).lower()
    return index


def render(
    claims: Sequence[Mapping[str, str]],
    mentions: Sequence[Mapping[str, str]],
    raw_texts: Mapping[str, str],
    docs: Mapping[str, DocInfo] | None = None,
    conflicts: Sequence[Mapping[str, str]] = (),
    title: str = "Numeric claims — review",
) -> str:
    """Pure core: the whole page as a string (see the module docstring for its parts and invariants)."""
    mention_by_span: dict[tuple[str, int, int], Mapping[str, str]] = {}
    mention_counts: dict[str, int] = {}
    for m in mentions:
        try:
            mention_by_span.setdefault((m.get("doc", ""), int(m.get("start", "")), int(m.get("end", ""))), m)
        except ValueError:
            continue
        mention_counts[m.get("doc", "")] = mention_counts.get(m.get("doc", ""), 0) + 1
    sources: dict[str, list[Source]] = {}
    for claim in claims:
        refs = parse_sources(claim.get("sources", ""))
        quotes = claim.get("quotes", "").split(" | ")
        items = []
        for i, ref in enumerate(refs):
            mention = mention_by_span.get((ref.doc, ref.start, ref.end))
            raw = raw_texts.get(ref.doc)
            if mention is not None:
                quote = mention.get("quote", "")
            elif raw is not None and 0 <= ref.start < ref.end <= len(raw):
                quote = raw[ref.start : ref.end]
            else:
                quote = quotes[i] if i < len(quotes) else ""
            items.append(Source(ref, quote, mention, raw))
        sources[claim.get("claim_id", "")] = items
    all_docs: dict[str, DocInfo] = {d: DocInfo(d) for d in raw_texts}
    all_docs.update(docs or {})
    extra_reasons: dict[str, list[str]] = {}
    for row in conflicts:
        extra_reasons.setdefault(row.get("conflict_group", ""), []).append(row.get("reason", ""))

    counts = {s: sum(1 for c in claims if c.get("status") == s) for s in STATUS_ORDER}
    n_groups = len(
        {c.get("conflict_group", "") or c.get("claim_id", "") for c in claims if c.get("status") == "conflict"}
    )
    reviewed = sum(1 for c in claims if c.get("review", "").strip())
    series = series_of(claims)
    chips = [
        f'<span class="chip"><b>{len(claims)}</b> claims</span>',
        f'<span class="chip{" hot" if n_groups else ""}"><b>{n_groups}</b> conflict groups</span>',
        f'<span class="chip"><b>{counts["timeseries"]}</b> timeseries</span>',
        f'<span class="chip"><b>{counts["duplicate"]}</b> duplicates</span>',
        f'<span class="chip"><b>{counts["single"]}</b> single</span>',
        f'<span class="chip"><b>{reviewed}</b> of {len(claims)} reviewed</span>',
        f'<span class="chip"><b>{len(mentions)}</b> mentions in <b>{len(all_docs)}</b> documents</span>',
    ]
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # no network: a strict CSP makes "nothing is fetched" a property of the page, not a promise
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">",
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        '<script>document.documentElement.className += " js";</script>',
        "</head><body>",
        f'<header class="top"><div class="wrap"><h1>{esc(title)}</h1>',
        '<nav><a href="#conflicts">Conflicts</a><a href="#series">Series</a><a href="#claims">Claims</a>'
        '<a href="#documents">Documents</a><a href="#howto">Reviewing</a></nav>',
        f'<div class="stats">{"".join(chips)}</div></div></header>',
        '<main class="wrap">',
        _conflicts_section(claims, sources, all_docs, extra_reasons),
        _series_section(series),
        _claims_section(claims, sources, all_docs),
        _documents_section(all_docs, mention_counts),
        HOWTO,
        "</main>",
        f'<script type="application/json" id="claims-index">{json_for_script(_search_index(claims, sources))}</script>',
        f"<script>{JS}</script>",
        "</body></html>",
    ]
    return "\n".join(page) + "\n"


# --------------------------------------------------------------------------- I/O


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [unprotect_row(row) for row in csv.DictReader(handle)]


def load_docs(normalized: Path) -> dict[str, DocInfo]:
    """Title and publication date of every ``<doc>.json``; a missing or unreadable file yields no entry."""
    docs: dict[str, DocInfo] = {}
    for path in sorted(normalized.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        docs[path.stem] = DocInfo(
            path.stem,
            str(data.get("title") or ""),
            str(data.get("published") or ""),
            str(data.get("published_source") or ""),
        )
    return docs


def run(output: Path, seeds: Path, normalized: Path) -> str:
    """Read the stage inputs under ``output``/``seeds``/``normalized`` and return the page."""
    claims = _read_csv(output / "claims.csv")
    mentions = _read_csv(output / "mentions.csv") if (output / "mentions.csv").exists() else []
    conflicts: list[dict[str, str]] = []
    if (output / "conflicts.csv").exists():
        conflicts = [r for r in _read_csv(output / "conflicts.csv") if "conflict_group" in r]
    return render(claims, mentions, read_raw_texts(normalized, seeds), load_docs(normalized), conflicts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.report", description="Write output/review.html.")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file with `paths`")
    args = parser.parse_args(argv)
    paths: dict[str, str] = load_params(args.params).get("paths", {})
    output = Path(paths.get("output", "output"))
    normalized = Path(paths.get("normalized", str(output / "normalized")))
    page = run(output, Path(paths.get("seeds", "seeds")), normalized)
    (output / "review.html").write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
