"""README "Adding a rule", step by step, on a copy of the project in a temporary folder.

A new article states a quantity in a unit the rules do not know ("42 tmcft": thousand million cubic
feet, as Indian reservoir reports write it). Step 1, ``explain`` shows it is missed (a bare number, no
unit); step 2, a rule file with one example is added and its example passes as
``tests/test_quantity_rules.py`` checks it; step 3, the stages run (``python -m pipeline.<stage>`` in
the project folder, as ``dvc repro`` runs them) and the new claim is in ``output/claims.csv``.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.explain import explain
from pipeline.extract import Extractor, extract_text
from pipeline.quantities import DEFAULT_MODEL, load_quantity_rules

pytestmark = pytest.mark.slow

SENTENCE = "The Xinfeng River reservoir now holds 42 tmcft of water."
ARTICLE = f"""Reservoirs full after the rains

Time:2022.07.12

Heavy rains have filled the reservoirs of the region. {SENTENCE} The water bureau said supplies are secure.
"""
RULE_FILE = """\
# Volumes of water in thousand million cubic feet, as reservoir reports write them ("42 tmcft").
rules:
  - id: volume.tmcft
    description: "thousand million cubic feet of water (\\"42 tmcft\\", \\"3.5 TMC\\")"
    kind: other
    unit: tmcft
    priority: 60
    pattern:
      - {_: {numeral: B}}
      - {_: {numeral: I}, OP: "*"}
      - {LOWER: {IN: [tmcft, tmc]}}
    examples:
      - text: "The reservoir holds 42 tmcft of water."
        expect: [{quote: "42 tmcft", value: 42, unit: tmcft, kind: other}]
"""


def _copy_project(root: Path) -> Path:
    """What an analyst's project holds besides the code (the installed package)."""
    project = root / "project"
    project.mkdir()
    shutil.copytree("rules", project / "rules")
    shutil.copytree("tests/data/seeds", project / "seeds")  # the founding articles, whatever seeds/ holds
    for name in ("params.yaml", "reviews.csv"):
        shutil.copy(name, project / name)
    shutil.copytree("tests/gold", project / "tests" / "gold")
    return project


def _run_stage(project: Path, stage: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", f"pipeline.{stage}"], cwd=project, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{stage} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_adding_a_rule_in_three_steps(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    (project / "seeds" / "900_reservoir.txt").write_text(ARTICLE, encoding="utf-8")

    # step 1: what does the pipeline make of the sentence? A bare 42: the unit is missed
    before = explain(SENTENCE, Extractor(DEFAULT_MODEL, project / "rules"), published="2022")
    assert "'42'" in before and "count.bare" in before and "value=42" in before, before
    assert "unit=tmcft" not in before, before

    # step 2: a rule file with one example; the example passes as the rule-example tests check it
    (project / "rules" / "patterns" / "volume.yml").write_text(RULE_FILE, encoding="utf-8")
    rules = load_quantity_rules(project / "rules")  # validates the file (a broken rule raises RuleError)
    (rule,) = [item.rule for item in rules.rules if item.rule.id == "volume.tmcft"]
    extractor = Extractor(DEFAULT_MODEL, project / "rules")
    for example in rule.examples:
        assert any("volume.tmcft" in doc._.rule_hits for doc in extractor.parsed_sentences(example.text))
        found = [(m.quote, m.value, m.unit, m.kind) for m in extract_text(example.text, extractor=extractor)]
        assert found == [(e.quote, e.value, e.unit, e.kind) for e in example.expect]

    # step 3: run the stages and find the new claim
    for stage in ("normalize", "extract", "consolidate"):
        _run_stage(project, stage)
    with open(project / "output" / "claims.csv", encoding="utf-8", newline="") as fh:
        claims = list(csv.DictReader(fh))
    new = [c for c in claims if "900_reservoir:" in c["sources"]]
    assert [(Decimal(c["value"]), c["unit"], c["kind"], c["quotes"]) for c in new] == [
        (Decimal(42), "tmcft", "other", "42 tmcft")
    ], new
    assert new[0]["year"] == "2022"
    # the seeds' claims are all still there
    assert sum(1 for c in claims if "900_reservoir:" not in c["sources"]) >= 80
