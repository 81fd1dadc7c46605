"""The normalize stage: offset map, metadata, furniture, bad input, snapshots, determinism."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize import (
    NormalizedDoc,
    decode_article,
    load_normalized,
    load_rule_set,
    main,
    normalize_text,
    repair_string,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "data" / "seeds"  # fixed copies of the founding articles, never seeds/
RULES = load_rule_set(ROOT / "rules")
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def _raw(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[str, NormalizedDoc]]:
    out = {}
    for path in SEED_FILES:
        raw = _raw(path)
        out[path.stem[:3]] = (raw, normalize_text(raw, path.stem, RULES))
    return out


# --- offset map -------------------------------------------------------------------------------

TOKENS = st.sampled_from(
    [
        "High -tech",
        "Guangdong -Hong Kong -Macao",
        "40 %",
        "1%of",
        "R & D",
        "CNY4.99 billion",
        "phase-Ⅱ",
        "\u00a0",
        "reports.Shenzhen has",
        "intelligence, intelligence, intelligence",
        "510 Ten thousand",
        "2,243",
        "city",
        "the",
        "Shenzhen",
        "yuan",
        "\n",
        "\n\n",
        "\r\n",
        "© 2018",
        "- END -",
        "Edit: Chen Nan",
        "Learn more at: www.x.cn",
        "construction .",
        "  ",
        "\u3000",
        "2017-2021",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(TOKENS, min_size=1, max_size=25), st.data())
def test_every_clean_span_maps_back_to_raw_text_that_normalizes_to_it(tokens: list[str], data: st.DataObject) -> None:
    raw = " ".join(tokens)
    doc = normalize_text(raw, "prop", RULES)
    clean, om = doc.text, doc.offsets
    n = len(clean)
    # copy segments are the raw characters themselves, and segments tile the clean text in order
    pos = 0
    for c0, c1, r0, r1, is_copy in om.segments:
        assert c0 == pos and c1 > c0 and 0 <= r0 <= r1 <= len(raw)
        if is_copy:
            assert clean[c0:c1] == raw[r0:r1]
        pos = c1
    assert pos == n
    if n == 0:
        return
    s = data.draw(st.integers(0, n - 1))
    e = data.draw(st.integers(s + 1, n))
    rs, re_ = om.to_raw(s, e)
    assert 0 <= rs <= re_ <= len(raw)
    # round trip: the raw span holds every character the clean span came from
    back = om.from_raw(rs, re_)
    assert back[0] <= s and e <= back[1]
    # word-aligned spans: the raw characters, normalized on their own, give the same clean text
    words = [m.span() for m in re.finditer(r"\S+", clean)]
    if words:
        i = data.draw(st.integers(0, len(words) - 1))
        j = data.draw(st.integers(i, min(i + 3, len(words) - 1)))
        ws, we = words[i][0], words[j][1]
        rs, re_ = om.to_raw(ws, we)
        # furniture rules are anchored on lines: give the raw characters their whole lines as context
        line_start = raw.rfind("\n", 0, rs) + 1
        line_end = raw.find("\n", re_)
        piece = raw[line_start : len(raw) if line_end < 0 else line_end]
        again = " ".join(normalize_text(piece, "piece", RULES).text.split())
        assert " ".join(clean[ws:we].split()) in again


def test_to_raw_of_seed_quotes(seeds: dict[str, tuple[str, NormalizedDoc]]) -> None:
    raw, doc = seeds["003"]
    for clean_quote, raw_quote in [
        ("703 national and Guangdong-level R&D institutions", "703 national and Guangdong -level R & D institutions"),
        ("40%", "40 %"),
        ("67 well-known universities", "67 well -known universities"),
    ]:
        start = doc.text.index(clean_quote)
        rs, re_ = doc.to_raw(start, start + len(clean_quote))
        assert raw[rs:re_] == raw_quote
    raw, doc = seeds["000"]
    start = doc.text.index("CNY 4.99 billion")
    rs, re_ = doc.to_raw(start, start + len("CNY 4.99 billion"))
    assert raw[rs:re_] == "CNY4.99 billion"


# --- what the "done when" asks of the seeds ------------------------------------------

FURNITURE = [
    "We're not around right now",
    "Biz Lian",
    "Log in with your credentials",
    "Forgot your details",
    "Please Comment",
    "Designed by",
    "©",
    "Picture source",
    "Edit: Chen Nan",
    "- END -",
    "Experts entry into enterprises",
    "Summer solstice",
    "Learn more at",
    "HTTP://",
    "Time:2022",
]


@pytest.mark.parametrize("marker", FURNITURE)
def test_no_furniture_survives(seeds: dict[str, tuple[str, NormalizedDoc]], marker: str) -> None:
    for _raw_text, doc in seeds.values():
        assert marker not in doc.text, (doc.doc, marker)


def test_real_article_text_survives(seeds: dict[str, tuple[str, NormalizedDoc]]) -> None:
    """Every raw line that is not furniture or a header line is still there, repaired."""
    for raw, doc in seeds.values():
        cut = {(r.start, r.end) for r in doc.removed}
        pos = 0
        for line in raw.split("\n"):
            start, end = pos, pos + len(line)
            pos = end + 1
            if not line.strip() or any(a <= start and end <= b for a, b in cut):
                continue
            kept = repair_string(re.sub(r"\s*Learn more at:.*$", "", line), RULES)
            assert kept in doc.text, (doc.doc, line[:80])


def test_publication_dates(seeds: dict[str, tuple[str, NormalizedDoc]]) -> None:
    got = {key: (doc.published, doc.published_source) for key, (_raw_text, doc) in seeds.items()}
    assert got == {
        "000": ("2021", "inferred"),
        "001": ("2018", "inferred"),  # describes 2017 in a 2018 report; the 2023 footer is furniture
        "002": ("2022", "inferred"),  # as of the end of 2021; the (c) 2018 footer is furniture
        "003": ("2022-07-12", "stated"),
        "004": ("2018-08-09", "stated"),
    }


def test_metadata_and_sections(seeds: dict[str, tuple[str, NormalizedDoc]]) -> None:
    doc = seeds["004"][1]
    assert doc.title == "Innovation-driven Development"
    assert doc.source == "Publicity Department of Shenzhen"
    headings = [s.heading for s in doc.sections]
    assert "Shenzhen Institute of Advanced Technology of CAS" in headings
    section = doc.section_at(doc.text.index("around 2,243 scientists"))
    assert section is not None and section.heading == "Shenzhen Institute of Advanced Technology of CAS"
    assert seeds["002"][1].byline == "Jiang Xiaodan"
    assert seeds["003"][1].byline == "China High-tech Industrial He"
    assert seeds["001"][1].title == ""  # its first line is a paragraph, not a title


def test_removed_spans_are_raw_text_with_rule(seeds: dict[str, tuple[str, NormalizedDoc]]) -> None:
    for raw, doc in seeds.values():
        for removal in doc.removed:
            assert raw[removal.start : removal.end] == removal.text
            assert removal.rule


# --- snapshots (reviewed line by line against the raw articles) -------------------------------


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.stem[:3])
def test_normalized_text_snapshot(path: Path, file_regression, data_regression) -> None:  # type: ignore[no-untyped-def]
    doc = normalize_text(_raw(path), path.stem, RULES)
    file_regression.check(doc.text + "\n", basename=f"text_{path.stem[:3]}", extension=".txt")
    meta = doc.to_json()
    meta.pop("text")
    meta.pop("offsets")
    data_regression.check(meta, basename=f"meta_{path.stem[:3]}")


# --- bad input --------------------------------------------------------------------------------


def test_decode_variants() -> None:
    text = "Shenzhen has 2,243 scientists. 深圳"
    assert decode_article(text.encode("utf-8"), 10_000) == (text, "utf-8")
    assert decode_article(codecs.BOM_UTF8 + text.encode("utf-8"), 10_000) == (text, "utf-8-sig")
    assert decode_article(text.encode("utf-16"), 10_000) == (text, "utf-16")
    assert decode_article(text.encode("gb18030"), 10_000) == (text, "gb18030")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty file"),
        (b"  \n\n\t ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("café au lait, 5 euros".encode("cp1252"), "not UTF-8 (invalid byte 0xe9 at offset 3)"),
        (b"x" * 2_000, "too large: 2,000 bytes"),
    ],
    ids=["empty", "blank", "binary", "latin1", "huge"],
)
def test_bad_input_is_reported_and_skipped(tmp_path: Path, content: bytes, problem: str) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bad.txt").write_bytes(content)
    (seeds / "good.txt").write_text("Title\n\nShenzhen has 12 labs.\n", encoding="utf-8")
    (seeds / "notes.md").write_text("not an article", encoding="utf-8")
    out, report = tmp_path / "out", tmp_path / "report.csv"
    args = ["--seeds", str(seeds), "--out", str(out), "--report", str(report), "--rules", str(ROOT / "rules")]
    assert main([*args, "--max-bytes", "1000"]) == 0
    assert (out / "good.json").exists() and not (out / "bad.json").exists()
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "doc,status,problem"
    bad = next(line for line in lines if line.startswith("bad,"))
    assert bad.startswith("bad,skipped,") and problem in bad
    assert "notes.md,ignored,not a .txt file" in report.read_text(encoding="utf-8")


def test_nothing_readable_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_bytes(b"")
    args = ["--seeds", str(seeds), "--out", str(tmp_path / "o"), "--report", str(tmp_path / "r.csv")]
    assert main([*args, "--rules", str(ROOT / "rules")]) == 1
    assert "no article" in capsys.readouterr().err


def test_broken_rules_stop_the_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "normalize.yml").write_text((ROOT / "rules" / "normalize.yml").read_text(encoding="utf-8"))
    (rules / "boilerplate.yml").write_text("furniture:\n  - id: x.y\n    scope: everywhere\n", encoding="utf-8")
    args = ["--seeds", str(SEEDS), "--out", str(tmp_path / "o"), "--report", str(tmp_path / "r.csv")]
    assert main([*args, "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert "boilerplate.yml: rule 'x.y' field 'furniture.scope'" in err


def test_stage_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        args = ["--seeds", str(SEEDS), "--out", str(out), "--report", str(out / "report.csv")]
        assert main([*args, "--rules", str(ROOT / "rules")]) == 0
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1]
    doc = load_normalized(tmp_path / "a" / "003_edab022b8ec35cc5.json")
    assert json.loads((tmp_path / "a" / "003_edab022b8ec35cc5.json").read_text())["published"] == doc.published


def test_cache_gives_identical_output_and_is_invalidated_by_rules(tmp_path: Path) -> None:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    cache = tmp_path / "cache"

    def run_once(out: str) -> dict[str, bytes]:
        target = tmp_path / out
        args = ["--seeds", str(SEEDS), "--out", str(target), "--report", str(target / "r.csv"), "--rules", str(rules)]
        assert main([*args, "--cache", str(cache)]) == 0
        return {p.name: p.read_bytes() for p in sorted(target.iterdir())}

    fresh = run_once("a")
    entries = sorted(cache.rglob("*.json"))
    assert len(entries) == len(SEED_FILES)
    assert run_once("b") == fresh  # read back from the cache, byte for byte
    assert sorted(cache.rglob("*.json")) == entries  # nothing recomputed
    (rules / "normalize.yml").write_text(
        (rules / "normalize.yml").read_text(encoding="utf-8") + "\n# a comment changes the rules' fingerprint\n",
        encoding="utf-8",
    )
    assert run_once("c") == fresh
    assert len(list(cache.rglob("*.json"))) == 2 * len(SEED_FILES)  # every article redone under the new key
