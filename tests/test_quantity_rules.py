"""Rule-example tests, generated from every rule file the quantity finder reads.

Each example runs through ``pipeline.extract.extract_text``: the path a user's text takes (normalization,
sentence split, the stage's cheap sentence filter, the two-phase parse, attribution). ``expect`` lists
every mention it must return, in order: quote, and where given value, unit, qualifier and kind.
``expect: []`` means nothing at all. An example with ``xfail`` runs as a strict xfail.

The examples are those of each pattern rule (``rules/patterns/*.yml``) and those of the vocabularies
(``units.yml``, ``scales.yml``, ``numerals.yml``, ``qualifiers.yml``), which show their entries in use.
The rule set is checked too: ids unique, every rule fires on at least one of its own examples where the
stage would parse it, and every unit, scale, group of number words and hedge appears in an example.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.extract import Extractor, default_extractor, extract_text
from pipeline.normalize import normalize_text
from pipeline.numbers import NumeralsFile, ScalesFile
from pipeline.quantities import QualifiersFile, RuleExample, UnitsFile, load_quantity_rules
from pipeline.ruleio import RuleError, load_rules, load_yaml

RULES = load_quantity_rules("rules")
UNITS = load_rules(Path("rules/units.yml"), UnitsFile)
SCALES = load_rules(Path("rules/scales.yml"), ScalesFile)
NUMERALS = load_rules(Path("rules/numerals.yml"), NumeralsFile)
QUALIFIERS = load_rules(Path("rules/qualifiers.yml"), QualifiersFile)
VOCABULARIES = {"units.yml": UNITS, "scales.yml": SCALES, "numerals.yml": NUMERALS, "qualifiers.yml": QUALIFIERS}


def _param(source: str, example: RuleExample) -> object:
    marks = [pytest.mark.xfail(reason=example.xfail, strict=True)] if example.xfail else []
    return pytest.param(example, id=f"{source}: {example.text[:60]}", marks=marks)


CASES = [_param(item.rule.id, example) for item in RULES.rules for example in item.rule.examples] + [
    _param(name, example) for name, vocabulary in VOCABULARIES.items() for example in vocabulary.examples
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return default_extractor()


def _found(extractor: Extractor, text: str) -> list[dict[str, object]]:
    return [
        {"quote": m.quote, "value": m.value, "unit": m.unit, "qualifier": m.qualifier, "kind": m.kind}
        for m in extract_text(text, extractor=extractor)
    ]


@pytest.mark.parametrize("example", CASES)
def test_example(extractor: Extractor, example: RuleExample) -> None:
    found = _found(extractor, example.text)
    assert [f["quote"] for f in found] == [e.quote for e in example.expect], found
    for got, want in zip(found, example.expect, strict=True):
        if want.value is not None:
            assert Decimal(str(got["value"])) == want.value, (want.quote, got)
        for name in ("unit", "qualifier", "kind"):
            expected = getattr(want, name)
            if expected is not None:
                assert got[name] == expected, (want.quote, name, got)


def _fires(extractor: Extractor, rule_id: str, text: str) -> bool:
    """Whether the rule fires on a sentence of ``text`` that the stage parses (after its filter)."""
    clean = normalize_text(text, "example").text
    return any(rule_id in (doc._.rule_hits or ()) for doc in extractor.parsed_sentences(clean))


@pytest.mark.parametrize("rule_id", [item.rule.id for item in RULES.rules])
def test_rule_fires_on_its_own_example(extractor: Extractor, rule_id: str) -> None:
    rule = RULES.by_id()[rule_id].rule
    fired = any(_fires(extractor, rule_id, example.text) for example in rule.examples)
    assert fired, f"rule {rule_id} fires on none of its examples (dead rule, missing example, or filtered out)"


def test_a_rule_trigger_lets_its_sentence_through_the_filter(extractor: Extractor) -> None:
    """A superlative rank has no digit nor number word: ``rank.superlative``'s triggers let it be parsed."""
    text = "The harbour is now the fourth-busiest on the coast."
    assert [(m.quote, m.value, m.unit) for m in extract_text(text, extractor=extractor)] == [
        ("fourth-busiest", Decimal(4), "rank")
    ]
    assert extractor.may_hold_quantity(text)
    assert not extractor.may_hold_quantity("The harbour is now the busiest on the coast.")


def _expected_units(examples: list[RuleExample]) -> set[str]:
    units = {e.unit for example in examples for e in example.expect if e.unit and not example.xfail}
    return units | {part for unit in units for part in unit.split(" per ")}


def _shown(form: str, texts: list[str]) -> bool:
    pattern = re.compile(rf"(?<![A-Za-z]){re.escape(form)}(?![A-Za-z])", re.IGNORECASE)
    return any(pattern.search(text) for text in texts)


def test_every_unit_is_shown_in_an_example() -> None:
    missing = [u.unit for u in UNITS.units if u.unit not in _expected_units(UNITS.examples)]
    assert not missing, f"rules/units.yml: units with no example reading them: {missing}"


def test_every_scale_is_shown_in_an_example() -> None:
    texts = [e.text for e in SCALES.examples if not e.xfail]
    missing = [
        name
        for name, scale in SCALES.scales.items()
        if not any(_shown(form, texts) for form in (*scale.words, *scale.abbreviations, *scale.glued))
    ]
    assert not missing, f"rules/scales.yml: scales with no example: {missing}"


def test_every_group_of_number_words_is_shown_in_an_example() -> None:
    texts = [e.text for e in NUMERALS.examples if not e.xfail]
    groups = NUMERALS.model_dump(exclude={"examples"})
    missing = [name for name, words in groups.items() if words and not any(_shown(w, texts) for w in words)]
    assert not missing, f"rules/numerals.yml: groups with no example: {missing}"


def test_every_hedge_is_shown_in_an_example() -> None:
    shown = {e.qualifier for example in QUALIFIERS.examples for e in example.expect}
    missing = [q for q in QUALIFIERS.qualifiers if q not in shown]
    assert not missing, f"rules/qualifiers.yml: qualifiers with no example: {missing}"


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
