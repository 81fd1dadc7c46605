"""The review page in a real browser: headless Chromium runs the page's JS, the test reads the resulting DOM.

Chromium comes from the Debian package ``chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it).
Without it every test here skips with that message (and fails instead when ``REQUIRE_CHROMIUM=1``, for CI).
Each run uses a fresh ``--user-data-dir`` under tmp_path and flags that keep the browser off the network.
The filter and sort checks load the page with URL parameters the page's own JS reads (``?filter=conflict``,
``?q=…``, ``?sort=-value``) and count rows in the DOM dumped after the scripts ran. Screenshots: the fixture
page goes to tmp_path; when the pipeline's real outputs exist, their page is rendered and photographed to
``output/review.png`` (look at it).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline import report
from pipeline.report import DocInfo

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--hide-scrollbars",
)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None and os.environ.get("REQUIRE_CHROMIUM"):
        pytest.fail("REQUIRE_CHROMIUM is set but headless Chromium was not found (apt-get install -y chromium)")
    if path is None:
        pytest.skip(
            "headless Chromium not found: install the Debian package `chromium` "
            "(apt-get install -y chromium) or set CHROMIUM=/path/to/chromium"
        )
    return path


def run_chromium(binary: str, profile: Path, url: str, extra: Sequence[str]) -> str:
    result = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result.stdout


class _Rows(HTMLParser):
    """Collects the claim tbodies (id, hidden or not, in DOM order), conflict articles and body attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: list[tuple[str, bool]] = []
        self.conflict_groups: list[str] = []
        self.body: dict[str, str | None] = {}
        self.table: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "tbody" and "claim" in classes:
            self.claims.append((attributes.get("id") or "", "hidden" in attributes))
        elif tag == "article" and "conflict" in classes:
            self.conflict_groups.append(attributes.get("data-group") or "")
        elif tag == "body":
            self.body = attributes
        elif tag == "table" and attributes.get("id") == "claims-table":
            self.table = attributes


def dom(binary: str, profile: Path, url: str) -> _Rows:
    parser = _Rows()
    parser.feed(run_chromium(binary, profile, url, ["--dump-dom", "--virtual-time-budget=3000"]))
    assert parser.body.get("data-ready") == "1", "the page's script did not run to the end"
    return parser


def visible(rows: _Rows) -> list[str]:
    return [cid for cid, hidden in rows.claims if not hidden]


RAW = {
    "d2018": "Virtual park news.\n\nA total of 58 colleges and universities have joined the park so far.",
    "d2022": "The Shenzhen Virtual University Park gathered 67 well -known universities at home and abroad, "
    "and established 17 industrialized bases.",
    "evil": 'Intro <script>document.title="pwned"</script>. The "Ten & Co" lab has 5 "labs & rooms".',
}


def _claim(
    cid: str,
    status: str,
    doc: str,
    quote: str,
    value: str,
    year: str,
    measure: str,
    unit: str,
    group: str = "",
    reason: str = "",
    review: str = "",
) -> dict[str, str]:
    start = RAW[doc].index(quote)
    return {
        "claim_id": cid,
        "status": status,
        "entity": "Shenzhen Virtual University Park",
        "measure": measure,
        "value": value,
        "unit": unit,
        "qualifier": "=",
        "year": year,
        "year_source": "published",
        "aspect": "level",
        "kind": "count",
        "n_sources": "1",
        "sources": f"{doc}:{start}-{start + len(quote)}",
        "quotes": quote,
        "conflict_group": group,
        "reason": reason,
        "review": review,
    }


REASON = "58 (d2018, 2018, year from publication date) vs 67 (d2022, 2022, year from publication date)"
CLAIMS = [
    _claim(
        "c58",
        "conflict",
        "d2018",
        "58 colleges and universities",
        "58",
        "2018",
        "member universities",
        "university",
        "svup",
        REASON,
    ),
    _claim(
        "c67",
        "conflict",
        "d2022",
        "67 well -known universities",
        "67",
        "2022",
        "member universities",
        "university",
        "svup",
        REASON,
        "accepted; 67 is the 2022 count",
    ),
    _claim("c17", "single", "d2022", "17 industrialized bases", "17", "2022", "industrialization bases", "base"),
    _claim("cev", "single", "evil", '5 "labs & rooms"', "5", "2021", "labs", "lab", review="rejected"),
]
DOCS = {
    "d2018": DocInfo("d2018", "Innovation-driven Development", "2018-08-09", "stated"),
    "d2022": DocInfo(
        "d2022", "Shenzhen High -tech Zone builds national strategic technology forces", "2022-07-12", "stated"
    ),
}


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "review.html"
    path.write_text(report.render(CLAIMS, [], RAW, DOCS), encoding="utf-8")
    return path


def test_conflicts_rendered_and_script_inert(chromium: str, fixture_page: Path, tmp_path: Path) -> None:
    rows = dom(chromium, tmp_path / "profile", fixture_page.as_uri())
    assert rows.conflict_groups == ["svup"]
    assert visible(rows) == ["claim-c58", "claim-c67", "claim-c17", "claim-cev"]
    html_text = run_chromium(chromium, tmp_path / "profile2", fixture_page.as_uri(), ["--dump-dom"])
    assert "<title>pwned</title>" not in html_text and "Numeric claims" in html_text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?filter=conflict", ["claim-c58", "claim-c67"]),
        ("#filter=single", ["claim-c17", "claim-cev"]),
        ("?review=accepted", ["claim-c67"]),
        ("?q=industrialization", ["claim-c17"]),
        ("?q=colleges", ["claim-c58"]),
        ("?q=evil", ["claim-cev"]),
        ("?filter=timeseries", []),
    ],
)
def test_filter_from_url(chromium: str, fixture_page: Path, tmp_path: Path, query: str, expected: list[str]) -> None:
    rows = dom(chromium, tmp_path / "profile", fixture_page.as_uri() + query)
    assert visible(rows) == expected
    assert rows.table.get("data-visible") == str(len(expected))


def test_sort_from_url(chromium: str, fixture_page: Path, tmp_path: Path) -> None:
    rows = dom(chromium, tmp_path / "profile", fixture_page.as_uri() + "?sort=-value")
    assert [cid for cid, _ in rows.claims] == ["claim-c67", "claim-c58", "claim-c17", "claim-cev"]


def test_fixture_screenshot(chromium: str, fixture_page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "review.png"
    run_chromium(
        chromium, tmp_path / "profile", fixture_page.as_uri(), [f"--screenshot={shot}", "--window-size=1280,1000"]
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_real_output_page(chromium: str, tmp_path: Path) -> None:
    """The page of the pipeline's real outputs: conflicts present, filter works; screenshot to output/."""
    if not Path("output/claims.csv").exists():
        pytest.skip("output/claims.csv not produced yet (run `dvc repro`)")
    page = tmp_path / "review.html"
    page.write_text(report.run(Path("output"), Path("seeds"), Path("output/normalized")), encoding="utf-8")
    with Path("output/claims.csv").open(encoding="utf-8", newline="") as handle:
        claims = list(csv.DictReader(handle))
    conflicts = [c for c in claims if c["status"] == "conflict"]
    rows = dom(chromium, tmp_path / "profile", page.as_uri() + "?filter=conflict")
    assert len(rows.conflict_groups) == len({c["conflict_group"] for c in conflicts})
    assert visible(rows) == [f"claim-{c['claim_id']}" for c in conflicts]
    shot = Path("output/review.png")
    run_chromium(
        chromium, tmp_path / "profile2", page.as_uri(), [f"--screenshot={shot.resolve()}", "--window-size=1280,1400"]
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
