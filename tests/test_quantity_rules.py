"""Rule-example tests, generated from every rule in rules/patterns/*.yml.

Each example's text goes through the whole quantity finder (model + rules). ``expect`` lists every
quantity the finder must return, in order: quote, and where given value, unit, qualifier and kind.
``expect: []`` means nothing at all. An example with ``xfail`` runs as a strict xfail. The rule set is
checked too: ids unique, every rule fires on at least one of its own examples.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from spacy.language import Language

from pipeline.quantities import PatternRule, RuleExample, load_quantity_rules
from pipeline.ruleio import RuleError, load_yaml

RULES = load_quantity_rules("rules")
CASES = [
    pytest.param(
        item.rule,
        example,
        id=f"{item.rule.id}: {example.text[:60]}",
        marks=[pytest.mark.xfail(reason=example.xfail, strict=True)] if example.xfail else [],
    )
    for item in RULES.rules
    for example in item.rule.examples
]

pytestmark = pytest.mark.slow


def _found(nlp: Language, text: str) -> list[dict[str, object]]:
    doc = nlp(text)
    return [
        {"quote": text[q.start : q.end], "value": q.value, "unit": q.unit, "qualifier": q.qualifier, "kind": q.kind}
        for q in doc._.quantities
    ]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_rule_example(nlp: Language, rule: PatternRule, example: RuleExample) -> None:
    found = _found(nlp, example.text)
    assert [f["quote"] for f in found] == [e.quote for e in example.expect], found
    for got, want in zip(found, example.expect, strict=True):
        if want.value is not None:
            assert Decimal(str(got["value"])) == want.value, (want.quote, got)
        for name in ("unit", "qualifier", "kind"):
            expected = getattr(want, name)
            if expected is not None:
                assert got[name] == expected, (want.quote, name, got)


@pytest.mark.parametrize("rule_id", [item.rule.id for item in RULES.rules])
def test_rule_fires_on_its_own_example(nlp: Language, rule_id: str) -> None:
    rule = RULES.by_id()[rule_id].rule
    fired = False
    for example in rule.examples:
        doc = nlp(example.text)
        if rule_id in (doc._.rule_hits or set()):
            fired = True
            break
    assert fired, f"rule {rule_id} fires on none of its examples (dead rule or missing positive example)"


def test_rule_ids_unique() -> None:
    ids = [item.rule.id for item in RULES.rules]
    assert len(ids) == len(set(ids))


def test_every_rule_has_a_positive_example() -> None:
    for item in RULES.rules:
        rule = item.rule
        if rule.action == "extract":
            assert any(e.expect for e in rule.examples), rule.id


def _copy_rules(tmp_path: Path) -> Path:
    import shutil

    shutil.copytree("rules", tmp_path / "rules")
    return tmp_path / "rules"


def test_broken_pattern_names_file_rule_and_field(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "patterns" / "percent.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('OP: "+"', 'OP: "++"', 1), encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_quantity_rules(rules)
    assert err.value.rule_id == "percent.suffix"
    assert err.value.field == "pattern"
    assert "percent.yml" in err.value.path


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "patterns" / "area.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("    kind: area\n", "    kind: area\n    colour: red\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as err:
        load_quantity_rules(rules)
    assert err.value.rule_id == "area.suffix"


def test_duplicate_id_across_files_is_rejected(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "patterns" / "area.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: area.suffix", "id: money.prefix"), encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_quantity_rules(rules)
    assert "duplicate" in str(err.value)


def test_duplicate_yaml_key_is_rejected(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "qualifiers.yml"
    path.write_text(path.read_text(encoding="utf-8") + '  ">":\n    before: [over]\n', encoding="utf-8")
    with pytest.raises(RuleError):
        load_yaml(path)
