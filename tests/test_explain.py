"""``python -m pipeline.explain`` / ``claims explain``: one sentence, every step, every rule id."""

from __future__ import annotations

import re

import pytest

from pipeline.cli import main as claims
from pipeline.explain import explain
from pipeline.extract import default_extractor

pytestmark = pytest.mark.slow

SENTENCE = "In 2020, Shenzhen had filed over 20,200 international patent applications, led in 5G and the “36 Articles”."


def test_explain_names_the_rules_that_fired_and_were_excluded() -> None:
    text = explain(SENTENCE, default_extractor(), published="2021")
    assert "filter: parsed" in text
    assert "rules fired: " in text
    for rule_id in ("count.noun", "exclude.tech_name", "exclude.quoted_title"):
        assert rule_id in text
    assert re.search(r"token \d+ '5' vetoed by exclude\.tech_name", text)
    assert "'36 Articles'" in text and "-> vetoed by exclude.quoted_title" in text
    assert "-> kept" in text


def test_explain_shows_tokens_and_the_mention_fields() -> None:
    text = explain(SENTENCE, default_extractor(), published="2021")
    assert "applications" in text and "NOUN" in text and "numeral=B value=20200" in text
    assert "'20,200 international patent applications'" in text
    assert "value=20200  unit=patent application  qualifier=>  kind=count" in text
    assert "entity=Shenzhen" in text and "year=2020 (explicit)" in text and "aspect=level" in text
    assert "why: " in text


def test_explain_says_when_the_filter_skips_a_sentence() -> None:
    text = explain("The park was built in 1999.", default_extractor())
    assert "filter: skipped" in text
    assert "mentions" not in text


def test_claims_explain_prints_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert claims(["explain", "The park hosts 58 universities.", "--published", "2018"]) == 0
    out = capsys.readouterr().out
    assert "count.noun" in out and "value=58" in out and "year=2018 (published)" in out
