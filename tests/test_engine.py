"""The engine in this process (``workers: 1``): batching, order, one bad article, loads, settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from engine_support import UNLUCKY, BrokenLoadJob, PerProcessKeyJob, SquareJob, loads_of, write_invented_seeds

from pipeline.engine import (
    BYTES_PER_WORD,
    Done,
    EngineSettings,
    Failed,
    InProcessEngine,
    LoadError,
    Tally,
    engine_settings,
    estimated_words,
    open_engine,
    plan_batches,
    stream_rows,
)
from pipeline.ruleio import RuleError


@pytest.mark.parametrize(
    ("weights", "task_words", "expected"),
    [
        ([3, 3, 3, 3], 6, [[3, 3], [3, 3]]),
        ([3, 3, 3], 6, [[3, 3], [3]]),
        ([10, 1, 1, 10], 5, [[10], [1, 1, 10]]),  # a large article is a task of its own
        ([1, 1, 1], 100, [[1, 1, 1]]),
        ([], 5, []),
    ],
    ids=["even", "remainder", "large-alone", "one-task", "nothing"],
)
def test_batches_are_consecutive_articles_of_about_task_words(
    weights: list[int], task_words: int, expected: list[list[int]]
) -> None:
    items = list(enumerate(weights))
    batches = list(plan_batches(items, lambda item: item[1], task_words))
    assert [[w for _, w in b.items] for b in batches] == expected
    assert [i for b in batches for i, _ in b.items] == list(range(len(weights)))  # input order, all once
    assert [b.index for b in batches] == list(range(len(batches)))
    assert [b.words for b in batches] == [sum(group) for group in expected]


def test_words_are_estimated_from_the_file_size(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("word " * 700, encoding="utf-8")
    assert estimated_words(article) == 3500 // BYTES_PER_WORD
    assert estimated_words(tmp_path / "missing.txt") == 1


def _settings(**values: object) -> EngineSettings:
    args = argparse.Namespace(**{"scheduler": "local", "workers": 1, "task_words": 10_000, **values})
    return engine_settings(args)


def test_settings_default_to_this_process() -> None:
    assert _settings().in_process
    assert not _settings(workers=2).in_process
    assert not _settings(scheduler="tcp://10.0.0.5:8786").in_process
    assert _settings(scheduler="tls://scheduler.example:8786", workers=4).workers == 4


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"workers": 0}, "engine.workers"),
        ({"task_words": -5}, "engine.task_words"),
        ({"scheduler": "10.0.0.5:8786"}, "engine.scheduler"),
        ({"scheduler": "distributed"}, "engine.scheduler"),
    ],
    ids=["no-workers", "negative-task", "address-without-scheme", "unknown-word"],
)
def test_bad_settings_name_params_yaml_and_the_key(values: dict[str, object], field: str) -> None:
    with pytest.raises(RuleError) as caught:
        _settings(**values)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"params.yaml field '{field}': ")


def test_outcomes_come_in_input_order_and_resources_load_once() -> None:
    engine = InProcessEngine(task_words=30)  # SquareJob weighs 10 per item: 3 items per task
    outcomes = list(engine.map(SquareJob(), list(range(10))))
    assert [o.items for o in outcomes if isinstance(o, Done)] == [(0, 1, 2), (3, 4, 5), (6, 7, 8), (9,)]
    rows = [row for o in outcomes if isinstance(o, Done) for row in o.result.rows]
    assert [square for square, _, _ in rows] == [i * i for i in range(10)]
    assert len(loads_of(rows)) == 1
    again = [row for o in engine.map(SquareJob(), [4]) if isinstance(o, Done) for row in o.result.rows]
    assert loads_of(again) == loads_of(rows)  # the engine keeps what it loaded
    other = [row for o in engine.map(SquareJob(tag="v2"), [4]) if isinstance(o, Done) for row in o.result.rows]
    assert loads_of(other) != loads_of(rows)  # another key: loaded again


def _summary(outcomes: list[Done[int, object] | Failed[int]]) -> list[object]:
    return [o.items if isinstance(o, Done) else ("failed", o.item, o.error) for o in outcomes]


def test_a_failing_article_costs_only_itself() -> None:
    engine = InProcessEngine(task_words=30)
    outcomes = list(engine.map(SquareJob(), [10, 11, 12, UNLUCKY, 14, 15]))
    # the failed batch's articles are retried one by one and come back in their place
    assert _summary(outcomes) == [(10, 11, 12), ("failed", UNLUCKY, "ValueError: 13 is unlucky"), (14,), (15,)]


def test_stream_rows_reports_failures_and_counts_the_cache() -> None:
    engine = InProcessEngine(task_words=20)
    tally = Tally()
    rows = list(stream_rows(engine.map(SquareJob(), [1, UNLUCKY, 2, 3]), tally))
    assert [square for square, _, _ in rows] == [1, 4, 9]
    assert tally.failures == [("item 13", "ValueError: 13 is unlucky")]
    # batches [1, 13] (failed, then [1] alone) and [2, 3]; a batch counts len % 2 hits and 1 miss
    assert (tally.hits, tally.misses) == (1, 2)


def test_resources_that_cannot_load_stop_the_run() -> None:
    with pytest.raises(LoadError, match="rules/units.yml: rule 'x' field 'pattern'"):
        list(InProcessEngine(task_words=10).map(BrokenLoadJob(), [1, 2, 3]))


def test_open_engine_in_process_for_one_local_worker() -> None:
    with open_engine(_settings(task_words=10)) as engine:
        assert isinstance(engine, InProcessEngine)
        assert engine.workers == 1
        assert [o.items for o in engine.map(PerProcessKeyJob(), [1, 2]) if isinstance(o, Done)] == [(1,), (2,)]


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    """Six invented articles, normalized."""
    from pipeline import normalize

    write_invented_seeds(tmp_path / "seeds", 6)
    args = ["--seeds", str(tmp_path / "seeds"), "--out", str(tmp_path / "normalized"), "--cache", ""]
    assert normalize.main([*args, "--report", str(tmp_path / "report.csv")]) == 0
    return tmp_path


@pytest.mark.slow
def test_an_article_that_breaks_the_stage_is_reported_and_the_others_written(
    small_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected exception on one article (a bug, not bad input) skips that article only."""
    from pipeline import extract

    real = extract.mentions_of

    def mentions_of(ndoc: Any, *args: Any, **kwargs: Any) -> Any:
        if ndoc.doc == "002_invented":
            raise RecursionError("maximum recursion depth exceeded")
        return real(ndoc, *args, **kwargs)

    monkeypatch.setattr(extract, "mentions_of", mentions_of)
    out = small_project / "mentions.csv"
    args = ["--normalized", str(small_project / "normalized"), "--seeds", str(small_project / "seeds")]
    assert extract.main([*args, "--out", str(out), "--cache", "", "--task-words", "400"]) == 0
    captured = capsys.readouterr()
    assert "error: 002_invented: RecursionError: maximum recursion depth exceeded; skipped" in captured.err
    assert "from 5 article(s)" in captured.out and "1 not processed" in captured.out
    report = (small_project / "extract_report.csv").read_text(encoding="utf-8")
    assert report.splitlines()[1:] == ["002_invented,failed,RecursionError: maximum recursion depth exceeded"]
    docs = [line.split(",")[0] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert sorted(set(docs)) == [f"00{n}_invented" for n in (0, 1, 3, 4, 5)]
    assert docs == sorted(docs)


def test_names_differing_only_in_case_are_caught_across_batches(tmp_path: Path) -> None:
    """``Report.txt`` and ``report.txt`` sort apart (capitals first), so they land in different tasks:
    the whole folder's clashes go with every task, and the report is the one-process report."""
    from pipeline.normalize import NormalizeJob, case_collisions, default_rule_set, report_rows, run

    seeds = tmp_path / "seeds"
    write_invented_seeds(seeds, 3)
    (seeds / "Report.txt").write_text("Report\n\nThe park has 12 labs.\n", encoding="utf-8")
    (seeds / "report.txt").write_text("Report\n\nThe park has 13 labs.\n", encoding="utf-8")
    paths = sorted(seeds.iterdir())
    (tmp_path / "out").mkdir()
    job = NormalizeJob(Path("rules"), 2_000_000, tmp_path / "out", "", case_collisions(paths))
    one_per_task = list(report_rows(InProcessEngine(task_words=1).map(job, paths), Tally()))
    _, whole = run(paths, default_rule_set("rules"), 2_000_000)
    assert one_per_task == whole
    assert [row.status for row in whole if row.doc.lower().startswith("report")] == ["skipped", "skipped"]
