"""The review page: escaping, conflicts first, series charts, mention context, determinism."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pipeline import report
from pipeline.report import DocInfo

HOSTILE = 'Intro <script>alert(1)</script> text.\nThe "Ten & Co" lab has 5 "labs & rooms" now.'
RAW = {
    "d2018": "Virtual park news.\n\nA total of 58 colleges and universities have joined the park so far. "
    "It is home to nine teams.",
    "d2022": "The park gathered 67 well -known universities at home and abroad, and 17 bases.",
    "evil": HOSTILE,
}
DOCS = {
    "d2018": DocInfo("d2018", "Innovation-driven Development", "2018-08-09", "stated"),
    "d2022": DocInfo("d2022", "High-tech Zone <b>builds</b>", "2022-07-12", "stated"),
}


def span(doc: str, quote: str) -> tuple[int, int]:
    start = RAW[doc].index(quote)
    return start, start + len(quote)


def mention(doc: str, quote: str, value: str, unit: str, year: str) -> dict[str, str]:
    start, end = span(doc, quote)
    return {
        "doc": doc,
        "start": str(start),
        "end": str(end),
        "quote": quote,
        "value": value,
        "unit": unit,
        "qualifier": "=",
        "kind": "count",
        "entity": "Park",
        "year": year,
        "year_source": "published",
        "rule": "count.noun",
        "confidence": "0.60",
        "why": "entity from <heading>",
        "sentence": "",
    }


def claim(
    cid: str,
    status: str,
    doc: str,
    quote: str,
    value: str,
    year: str,
    *,
    group: str = "",
    reason: str = "",
    review: str = "",
    entity: str = "Park",
    measure: str = "member universities",
    unit: str = "university",
) -> dict[str, str]:
    start, end = span(doc, quote)
    return {
        "claim_id": cid,
        "status": status,
        "entity": entity,
        "measure": measure,
        "value": value,
        "unit": unit,
        "qualifier": "=",
        "year": year,
        "year_source": "published",
        "aspect": "level",
        "kind": "count",
        "n_sources": "1",
        "sources": f"{doc}:{start}-{end}",
        "quotes": quote,
        "conflict_group": group,
        "reason": reason,
        "review": review,
    }


REASON = "58 (d2018, 2018, year from publication date) vs 67 (d2022, 2022, year from publication date)"
CLAIMS = [
    claim("c58", "conflict", "d2018", "58 colleges and universities", "58", "2018", group="svup", reason=REASON),
    claim(
        "c67",
        "conflict",
        "d2022",
        "67 well -known universities",
        "67",
        "2022",
        group="svup",
        reason=REASON,
        review="accepted; checked the park site",
    ),
    claim("c17", "single", "d2022", "17 bases", "17", "2022", measure="bases", unit="base"),
    claim(
        "cev",
        "single",
        "evil",
        '5 "labs & rooms"',
        "5",
        "2021",
        entity='Ten & Co "</script><script>x()',
        measure="labs",
        unit="lab",
        review="corrected:6",
    ),
]
MENTIONS = [
    mention("d2018", "58 colleges and universities", "58", "university", "2018"),
    mention("d2022", "67 well -known universities", "67", "university", "2022"),
    mention("d2022", "17 bases", "17", "base", "2022"),
    mention("evil", '5 "labs & rooms"', "5", "lab", "2021"),
]


@pytest.fixture(scope="module")
def page() -> str:
    return report.render(CLAIMS, MENTIONS, RAW, DOCS)


def test_article_text_is_inert(page: str) -> None:
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark>5 &quot;labs &amp; rooms&quot;</mark>" in page
    assert "<b>builds</b>" not in page and "&lt;b&gt;builds&lt;/b&gt;" in page
    # the only script elements are the page's own three: class toggle, the JSON index, the app
    assert len(re.findall(r"<script\b", page, flags=re.IGNORECASE)) == 3
    assert "</script><script>x()" not in page


def test_json_in_script_escapes_markup() -> None:
    text = report.json_for_script({"k": '</script><b>&"\u2028'})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert "\\u003c/script\\u003e" in text and "\\u0026" in text


def test_conflicts_come_first_with_both_sides(page: str) -> None:
    assert page.index('id="conflicts"') < page.index('id="series"') < page.index('id="claims"')
    conflict = page[page.index('<article class="conflict"') : page.index("</article>")]
    assert 'data-group="svup"' in conflict
    assert "<mark>58 colleges and universities</mark> have joined the park so far." in conflict
    assert "<mark>67 well -known universities</mark>" in conflict
    assert conflict.index("58") < conflict.index("67")
    assert "2018-08-09" in conflict and "2022-07-12" in conflict
    assert "publication year (not stated in the text)" in conflict
    assert "58 (d2018, 2018, year from publication date)" in conflict
    assert 'class="rv rv-accepted">accepted</span>' in conflict and "checked the park site" in conflict


def test_every_claim_links_to_its_mentions_in_raw_context(page: str) -> None:
    for c in CLAIMS:
        assert f'id="claim-{c["claim_id"]}"' in page
    detail = page[page.index('id="detail-c17"') :]
    detail = detail[: detail.index("</tbody>")]
    assert "<mark>17 bases</mark>" in detail and "chars 70–78" in detail
    assert "entity from &lt;heading&gt;" in detail and "c17,accepted," in detail


def test_series_chart_for_two_years() -> None:
    series = report.series_of(CLAIMS)
    assert [(s.entity, s.measure, [p.year for p in s.points]) for s in series] == [
        ("Park", "member universities", [2018, 2022])
    ]
    svg = report.svg_chart(series[0])
    assert svg.startswith("<svg") and svg.count("<circle") == 2 and 'class="pt conflict"' in svg


def test_output_is_deterministic(page: str) -> None:
    assert report.render(CLAIMS, MENTIONS, RAW, DOCS) == page
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:", page)  # no timestamps


@pytest.mark.parametrize(
    ("value", "unit", "qualifier", "text"),
    [
        ("4990000000", "CNY", ">", "more than CNY 4.99 billion"),
        ("42.7", "percent", "=", "42.7%"),
        ("2243", "scientist", "~", "about 2,243 scientist"),
        ("5100000", "person", ">", "more than 5.1 million person"),
        ("1.5", "times", "=", "1.5×"),
        ("99", "km2", "=", "99 km²"),
        ("1270000000000000", "calculations per second", "=", "1.27 quadrillion calculations per second"),
        ("n/a", "", "=", "n/a"),
    ],
)
def test_format_value(value: str, unit: str, qualifier: str, text: str) -> None:
    assert report.format_value(value, unit, qualifier) == text


def test_sources_and_reviews_parse() -> None:
    assert report.parse_sources("a:1-5; b_c:10-20;junk") == [
        report.SourceRef("a", 1, 5),
        report.SourceRef("b_c", 10, 20),
    ]
    assert report.split_review("corrected:67; see site") == ("corrected:67", "see site")
    assert report.split_review("") == ("", "")


def test_sentence_bounds_stop_at_sentence_ends() -> None:
    raw = RAW["d2018"]
    start, end = span("d2018", "58 colleges and universities")
    left, right = report.sentence_bounds(raw, start, end)
    assert raw[left:right] == "A total of 58 colleges and universities have joined the park so far."


def test_cli_writes_page(tmp_path: Path) -> None:
    out, seeds = tmp_path / "out", tmp_path / "seeds"
    (out / "normalized").mkdir(parents=True)
    seeds.mkdir()
    for doc, text in RAW.items():
        (seeds / f"{doc}.txt").write_text(text, encoding="utf-8")
    (out / "normalized" / "d2018.json").write_text('{"title": "T", "published": "2018-08-09"}', encoding="utf-8")
    for name, rows in (("claims.csv", CLAIMS), ("mentions.csv", MENTIONS)):
        with (out / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    (tmp_path / "params.yaml").write_text(f"paths:\n  seeds: {seeds}\n  output: {out}\n", encoding="utf-8")
    assert report.main(["--params", str(tmp_path / "params.yaml")]) == 0
    html_text = (out / "review.html").read_text(encoding="utf-8")
    assert "<mark>58 colleges and universities</mark>" in html_text and "2018-08-09" in html_text


def test_real_outputs_if_present() -> None:
    """On the pipeline's own output (when it exists): every claim is on the page, no article markup leaks."""
    if not Path("output/claims.csv").exists():
        pytest.skip("output/claims.csv not produced yet (run `dvc repro`)")
    html_text = report.run(Path("output"), Path("seeds"), Path("output/normalized"))
    with Path("output/claims.csv").open(encoding="utf-8", newline="") as handle:
        claims = list(csv.DictReader(handle))
    for c in claims:
        assert f'id="claim-{c["claim_id"]}"' in html_text
    assert len(re.findall(r"<script\b", html_text, flags=re.IGNORECASE)) == 3
    groups = {c["conflict_group"] for c in claims if c["status"] == "conflict"}
    assert html_text.count('<article class="conflict"') == len(groups)
