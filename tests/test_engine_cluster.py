"""The engine on a 2-worker Dask LocalCluster: same outputs as in one process, faults, one load per worker.

The stage tests run on invented articles (numbers, units, hedges and years of the shape news
articles have), written into a temporary project; nothing here reads ``seeds/``.
"""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dask
import pytest
from engine_support import POISON, UNLUCKY, BrokenLoadJob, PerProcessKeyJob, SquareJob, loads_of, write_invented_seeds

from pipeline.engine import Done, Failed, InProcessEngine, LoadError, Outcome, Tally, stream_rows
from pipeline.engine.cluster import ClusterEngine
from pipeline.extract import ExtractJob, write_mentions
from pipeline.normalize import NormalizeJob, ReportRow, report_rows, write_report
from pipeline.quantities import DEFAULT_MODEL
from pipeline.unclaimed import UnclaimedJob, write_unclaimed

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SETTINGS = {"model": DEFAULT_MODEL, "batch_size": 64}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """seeds/ with 24 invented articles, normalized in this process into normalized/."""
    root = tmp_path_factory.mktemp("project")
    seeds = root / "seeds"
    write_invented_seeds(seeds, 24)
    (root / "normalized").mkdir()
    job = NormalizeJob(RULES, 2_000_000, root / "normalized", "", {})
    report = list(report_rows(InProcessEngine(10_000).map(job, sorted(seeds.iterdir())), Tally()))
    assert all(row.status == "ok" for row in report) and len(report) == 24
    return root


@pytest.fixture(scope="module")
def cluster() -> Iterator[ClusterEngine]:
    with ClusterEngine.local(2, task_words=100) as engine:
        yield engine


def _extract_job(project: Path, cache: str = "") -> ExtractJob:
    return ExtractJob(project / "seeds", RULES, DEFAULT_MODEL, 64, cache, SETTINGS)


def _mentions_csv(outcomes: Iterator[Outcome[Path, Any]], tally: Tally | None = None) -> str:
    out = io.StringIO()
    write_mentions(stream_rows(outcomes, tally or Tally()), out)
    return out.getvalue()


@pytest.fixture(scope="module")
def clean_mentions(project: Path) -> str:
    """mentions.csv of the invented articles, in this process, without a cache."""
    return _mentions_csv(InProcessEngine(10_000).map(_extract_job(project), _normalized(project)))


def _normalized(project: Path) -> list[Path]:
    return sorted((project / "normalized").glob("*.json"))


def _rows(outcomes: Sequence[Outcome[int, Any]]) -> list[Any]:
    return [row for o in outcomes if isinstance(o, Done) for row in o.result.rows]


def test_outcomes_in_order_and_one_load_per_worker(cluster: ClusterEngine) -> None:
    cluster.task_words = 50  # SquareJob weighs 10 per item: 5 items per task, 40 tasks
    items = list(range(100, 300))
    rows = _rows(list(cluster.map(SquareJob(pause=0.01), items)))
    assert [square for square, _, _ in rows] == [i * i for i in items]
    loads = loads_of(rows)
    assert len(loads) == 2  # both workers worked ...
    assert len({pid for pid, _ in loads}) == 2  # ... and each loaded once, for 20 tasks


def test_a_failing_article_is_reported_and_the_rest_goes_on(cluster: ClusterEngine) -> None:
    cluster.task_words = 30
    outcomes = list(cluster.map(SquareJob(), [1, 2, 3, 10, 11, 12, UNLUCKY, 20, 21, 22]))
    failed = [o for o in outcomes if isinstance(o, Failed)]
    assert [(f.name, f.error) for f in failed] == [("item 13", "ValueError: 13 is unlucky")]
    assert [square for square, _, _ in _rows(outcomes)] == [i * i for i in (1, 2, 3, 10, 11, 12, 20, 21, 22)]


def test_resources_that_cannot_load_stop_the_run(cluster: ClusterEngine) -> None:
    with pytest.raises(LoadError, match="broken on purpose"):
        list(cluster.map(BrokenLoadJob(tag="broken"), list(range(20))))
    assert len(_rows(list(cluster.map(SquareJob(), [1, 2])))) == 2  # the engine still works


def test_a_worker_with_other_code_refuses_to_run(cluster: ClusterEngine) -> None:
    with pytest.raises(LoadError, match="differ from the client's"):
        list(cluster.map(PerProcessKeyJob(), [1, 2, 3]))


def test_a_job_of_main_cannot_be_shipped(cluster: ClusterEngine) -> None:
    from pipeline.engine import EngineError

    job = SquareJob()
    object.__setattr__(job, "__class__", type("SquareJob", (SquareJob,), {"__module__": "__main__"}))
    with pytest.raises(EngineError, match="defined in __main__"):
        list(cluster.map(job, [1]))


def test_three_stages_write_what_one_process_writes(cluster: ClusterEngine, project: Path, tmp_path: Path) -> None:
    cluster.task_words = 150  # about one article per task
    seeds = sorted((project / "seeds").iterdir())
    (tmp_path / "normalized").mkdir()
    job = NormalizeJob(RULES, 2_000_000, tmp_path / "normalized", "", {})
    report = list(report_rows(cluster.map(job, seeds), Tally()))
    assert report == [ReportRow(p.stem, "ok", "") for p in seeds]
    write_report(tmp_path / "report.csv", report)
    for path in _normalized(project):
        assert (tmp_path / "normalized" / path.name).read_bytes() == path.read_bytes()

    extract = _extract_job(project)
    in_process = _mentions_csv(InProcessEngine(10_000).map(extract, _normalized(project)))
    assert _mentions_csv(cluster.map(extract, _normalized(project))) == in_process
    assert in_process.count("\n") > 24 * 5

    spans: dict[str, list[tuple[int, int]]] = {}
    for line in in_process.splitlines()[1:]:
        doc, start, end = line.split(",")[:3]
        spans.setdefault(doc, []).append((int(start), int(end)))
    items = [(p, tuple(spans.get(p.stem, ()))) for p in _normalized(project)]
    unclaimed = UnclaimedJob(project / "seeds", RULES, DEFAULT_MODEL, 64, "", SETTINGS)

    def unclaimed_csv(outcomes: Iterator[Outcome[Any, Any]]) -> str:
        out = io.StringIO()
        write_unclaimed(stream_rows(outcomes, Tally()), out)
        return out.getvalue()

    expected = unclaimed_csv(InProcessEngine(10_000).map(unclaimed, items))
    assert unclaimed_csv(cluster.map(unclaimed, items)) == expected
    assert expected.count("\n") > 24


def test_the_cache_is_shared_by_the_workers_and_this_process(
    cluster: ClusterEngine, project: Path, clean_mentions: str, tmp_path: Path
) -> None:
    cluster.task_words = 300
    job = _extract_job(project, cache=(tmp_path / "cache").as_uri())  # an fsspec URL: file:///...
    first, second, third = Tally(), Tally(), Tally()
    assert _mentions_csv(cluster.map(job, _normalized(project)), first) == clean_mentions
    assert (first.hits, first.misses) == (0, 24)
    assert _mentions_csv(cluster.map(job, _normalized(project)), second) == clean_mentions
    assert (second.hits, second.misses) == (24, 0)
    assert _mentions_csv(InProcessEngine(10_000).map(job, _normalized(project)), third) == clean_mentions
    assert (third.hits, third.misses) == (24, 0)


def test_unreadable_and_stale_articles_are_reported_from_the_workers(
    cluster: ClusterEngine, project: Path, tmp_path: Path
) -> None:
    cluster.task_words = 150
    seeds, normalized = tmp_path / "seeds", tmp_path / "normalized"
    seeds.mkdir()
    normalized.mkdir()
    for path in _normalized(project)[:4]:
        (normalized / path.name).write_bytes(path.read_bytes())
        (seeds / f"{path.stem}.txt").write_bytes((project / "seeds" / f"{path.stem}.txt").read_bytes())
    (normalized / "002_invented.json").write_text("{not json", encoding="utf-8")
    with open(seeds / "003_invented.txt", "a", encoding="utf-8") as fh:
        fh.write("An added line.\n")  # the raw article no longer matches its normalized document
    job = ExtractJob(seeds, RULES, DEFAULT_MODEL, 64, "", SETTINGS)
    tally = Tally()
    out = io.StringIO()
    write_mentions(stream_rows(cluster.map(job, sorted(normalized.glob("*.json"))), tally), out)
    assert [doc for doc, _ in tally.failures] == ["002_invented", "003_invented"]
    assert tally.failures[0][1].startswith("not a normalized document")
    assert "003_invented.txt changed since it was normalized" in tally.failures[1][1]
    docs = {line.split(",")[0] for line in out.getvalue().splitlines()[1:]}
    assert docs == {"000_invented", "001_invented"}


def test_killing_a_worker_during_extract_loses_nothing(
    cluster: ClusterEngine, project: Path, clean_mentions: str
) -> None:
    """SIGKILL one of the two workers while it runs a task: the scheduler gives its tasks to the
    other worker (and the nanny starts a new one); every article is written once, in order."""
    cluster.task_words = 150  # about one article per task: 24 tasks
    outcomes = cluster.map(_extract_job(project), _normalized(project))
    first = next(outcomes)  # under way: the models are loaded, tasks are in flight
    busy = {address: keys for address, keys in cluster.client.processing().items() if keys}
    victim = sorted(busy)[0]
    pids = cluster.client.run(os.getpid)
    os.kill(pids[victim], signal.SIGKILL)
    rest = list(outcomes)
    assert victim not in cluster.client.nthreads()
    assert _mentions_csv(iter([first, *rest])) == clean_mentions
    assert sum(len(o.items) for o in [first, *rest]) == 24


def test_the_stage_command_on_two_workers_writes_what_one_process_writes(
    project: Path, clean_mentions: str, tmp_path: Path
) -> None:
    from pipeline import extract

    args = ["--normalized", str(project / "normalized"), "--seeds", str(project / "seeds"), "--cache", ""]
    assert extract.main([*args, "--out", str(tmp_path / "two.csv"), "--workers", "2", "--task-words", "500"]) == 0
    assert (tmp_path / "two.csv").read_text(encoding="utf-8") == clean_mentions


def test_an_article_that_kills_its_worker_is_reported_and_the_rest_goes_on() -> None:
    """A crash in native code on one article: its batch dies (once more than allowed), is retried
    article by article, and only the poisonous article is reported."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), ClusterEngine.local(2, 30) as engine:
        outcomes = list(engine.map(SquareJob(), [1, 2, 3, 4, 5, POISON, 7, 8, 9]))
    failed = [o for o in outcomes if isinstance(o, Failed)]
    assert [(f.item, f.error) for f in failed] == [
        (POISON, "the worker running it died each time (a crash, a kill, or out of memory)")
    ]
    assert [square for square, _, _ in _rows(outcomes)] == [i * i for i in (1, 2, 3, 4, 5, 7, 8, 9)]
