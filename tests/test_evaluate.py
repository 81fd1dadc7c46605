"""The evaluate stage: canonical metrics.json, group scoring wired in, the CLI end to end on a tiny project."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pipeline import evaluate, normalize
from pipeline.types import CLAIM_COLUMNS, MENTION_COLUMNS

RAW = "Shenzhen has 11,230 high-tech enterprises and 58 colleges and universities. Ignore 2018."
GOLD_COLUMNS = (
    "doc",
    "quote",
    "occurrence",
    "value",
    "unit",
    "measure",
    "entity",
    "year",
    "qualifier",
    "kind",
    "required",
    "note",
)


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows([{c: r.get(c, "") for c in columns} for r in rows])


def mention(quote: str, value: str, unit: str) -> dict[str, str]:
    start = RAW.index(quote)
    return {
        "doc": "d1",
        "start": str(start),
        "end": str(start + len(quote)),
        "quote": quote,
        "value": value,
        "unit": unit,
        "qualifier": "=",
        "kind": "count",
        "entity": "Shenzhen",
        "year": "2018",
    }


def gold(quote: str, value: str, unit: str) -> dict[str, str]:
    return {
        "doc": "d1",
        "quote": quote,
        "occurrence": "1",
        "value": value,
        "unit": unit,
        "entity": "Shenzhen",
        "year": "2018",
        "qualifier": "=",
        "kind": "count",
        "required": "1",
    }


GOLD = [
    gold("11,230 high-tech enterprises", "11230", "enterprise"),
    gold("58 colleges and universities", "58", "university"),
]
MENTIONS = [mention("11,230 high-tech enterprises", "11230", "enterprise"), mention("2018", "2018", "year")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "d1.txt").write_text(RAW, encoding="utf-8")
    (tmp_path / "out").mkdir()
    # evaluate reads each article as normalize decoded it: from its normalized document
    docs, _ = normalize.run([tmp_path / "seeds" / "d1.txt"], normalize.default_rule_set("rules"), 10**6)
    (tmp_path / "out" / "normalized").mkdir()
    normalize.write_json(tmp_path / "out" / "normalized" / "d1.json", docs[0].to_json())
    (tmp_path / "gold").mkdir()
    write_csv(tmp_path / "out" / "mentions.csv", MENTION_COLUMNS, MENTIONS)
    write_csv(tmp_path / "out" / "claims.csv", CLAIM_COLUMNS, [])
    write_csv(tmp_path / "gold" / "seeds_gold.csv", GOLD_COLUMNS, GOLD)
    write_csv(tmp_path / "gold" / "seeds_groups.csv", ("group", "doc", "quote", "occurrence", "relation", "note"), [])
    (tmp_path / "params.yaml").write_text(
        f"paths:\n  seeds: {tmp_path / 'seeds'}\n  output: {tmp_path / 'out'}\n  gold: {tmp_path / 'gold'}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_metrics_are_rounded_sorted_and_numbers_only() -> None:
    metrics = {"b": {"x": 2 / 3, "names": ["p", "q"], "flag": True}, "a": {"n": 3, "tiny": -1e-9}}
    text = evaluate.to_json(metrics)
    assert json.loads(text) == {"a": {"n": 3, "tiny": 0.0}, "b": {"x": 0.6667}}
    assert text.index('"a"') < text.index('"b"') and text.endswith("}\n")
    assert "-0.0" not in text


def test_run_scores_mentions_and_calls_group_scoring() -> None:
    seen: dict[str, Any] = {}

    def fake_groups(
        claims: list[dict[str, str]], mentions: list[dict[str, str]], groups: list[dict[str, str]], raw: dict[str, str]
    ) -> dict[str, Any]:
        seen.update(claims=claims, mentions=mentions, groups=groups, raw=raw)
        return {"duplicate_pair_recall": 0.5, "duplicate_pairs_missed": ["g: a / b"]}

    metrics = evaluate.run(MENTIONS, GOLD, {"d1": RAW}, [{"claim_id": "c1"}], [{"group": "g"}], fake_groups)
    detection = metrics["mentions"]["detection"]
    assert (detection["tp"], detection["fp"], detection["fn"]) == (1, 1, 1)
    assert metrics["groups"]["duplicate_pair_recall"] == 0.5
    assert seen["claims"] == [{"claim_id": "c1"}] and seen["raw"] == {"d1": RAW}
    assert "duplicate_pairs_missed" not in json.loads(evaluate.to_json(metrics))["groups"]
    report = evaluate.format_report(metrics)
    assert "g: a / b" in report and "detection" in report


def test_group_scoring_module_is_found_when_present() -> None:
    if not Path("pipeline/scoring_groups.py").exists():
        pytest.skip("pipeline/scoring_groups.py not written yet")
    assert callable(evaluate.load_score_groups())


def test_cli_writes_deterministic_metrics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate.main(["--params", str(project / "params.yaml")]) == 0
    first = (project / "out" / "metrics.json").read_bytes()
    printed = capsys.readouterr().out
    assert "missed required gold mentions (1)" in printed and "58 colleges and universities" in printed
    assert "false positives (1)" in printed
    assert evaluate.main(["--params", str(project / "params.yaml"), "--quiet"]) == 0
    assert (project / "out" / "metrics.json").read_bytes() == first
    metrics = json.loads(first)
    assert metrics["mentions"]["detection"] == {"f1": 0.5, "fn": 1, "fp": 1, "precision": 0.5, "recall": 0.5, "tp": 1}


def test_real_outputs_if_present(tmp_path: Path) -> None:
    """On the pipeline's own output (when it exists): every figure is a number in [0, 1] where a ratio."""
    if not Path("output/mentions.csv").exists():
        pytest.skip("output/mentions.csv not produced yet (run `dvc repro`)")
    with Path("output/mentions.csv").open(encoding="utf-8", newline="") as handle:
        mentions = list(csv.DictReader(handle))
    with Path("tests/gold/seeds_gold.csv").open(encoding="utf-8", newline="") as handle:
        gold_rows = list(csv.DictReader(handle))
    raw = {p.stem: p.read_text(encoding="utf-8") for p in Path("seeds").glob("*.txt")}
    scores = evaluate.run(mentions, gold_rows, raw)["mentions"]
    for block in ("detection", "value", "value_unit", "tuple"):
        assert 0.0 <= scores[block]["f1"] <= 1.0
    assert scores["counts"]["gold_required"] > 0
