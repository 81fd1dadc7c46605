"""Every normalize/boilerplate rule proves itself with its own examples (Duckling's corpus-as-tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.normalize import (
    apply_furniture_rule,
    apply_repair_rule,
    file_name_date,
    load_rule_set,
    past_years,
    read_metadata_string,
)

RULES = load_rule_set(Path(__file__).resolve().parents[1] / "rules")


def _cases(rules, attr):  # type: ignore[no-untyped-def]
    for rule in rules:
        for k, example in enumerate(rule.examples):
            marks = [pytest.mark.xfail(reason=example.xfail, strict=True)] if getattr(example, "xfail", None) else []
            yield pytest.param(rule, example, id=f"{rule.id}#{k}:{example.text[:40]!r}", marks=marks)


@pytest.mark.parametrize(("rule", "example"), list(_cases(RULES.normalize.repairs, "repairs")))
def test_repair_example(rule, example):  # type: ignore[no-untyped-def]
    assert apply_repair_rule(example.text, rule, RULES) == example.expect


@pytest.mark.parametrize(("rule", "example"), list(_cases(RULES.boilerplate.furniture, "furniture")))
def test_furniture_example(rule, example):  # type: ignore[no-untyped-def]
    assert apply_furniture_rule(example.text, rule, RULES) == example.expect


@pytest.mark.parametrize(("rule", "example"), list(_cases(RULES.boilerplate.metadata, "metadata")))
def test_metadata_example(rule, example):  # type: ignore[no-untyped-def]
    fields, fired = read_metadata_string(example.text, RULES)
    assert fields == example.expect
    if example.expect:
        assert rule.id in fired.split("+")


@pytest.mark.parametrize(
    ("rule", "example"),
    [
        pytest.param(rule, ex, id=f"{rule.id}#{k}")
        for rule in RULES.normalize.inference.past_year_patterns
        for k, ex in enumerate(rule.examples)
    ],
)
def test_past_year_example(rule, example):  # type: ignore[no-untyped-def]
    assert past_years(example.text, rule, RULES) == example.expect


@pytest.mark.parametrize(
    "rule",
    [*RULES.normalize.repairs, *RULES.boilerplate.furniture],
    ids=lambda r: r.id,
)
def test_every_rule_fires_on_one_of_its_examples(rule):  # type: ignore[no-untyped-def]
    apply = apply_repair_rule if hasattr(rule, "replace") else apply_furniture_rule
    assert any(apply(ex.text, rule, RULES) != ex.text for ex in rule.examples), "rule never fires: dead rule"


@pytest.mark.parametrize(
    ("rule", "example"),
    [
        pytest.param(rule, ex, id=f"{rule.id}#{k}")
        for rule in RULES.normalize.inference.file_name_patterns
        for k, ex in enumerate(rule.examples)
    ],
)
def test_file_name_example(rule, example):  # type: ignore[no-untyped-def]
    assert file_name_date(example.name, rule, RULES) == example.expect
