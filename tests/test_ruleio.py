"""A broken rule file fails fast, naming the file, the rule id and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.normalize import load_rule_set
from pipeline.ruleio import RuleError, load_yaml

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bad_regex_names_file_rule_and_field(rules_copy: Path) -> None:
    _edit(rules_copy / "normalize.yml", 'pattern: "\\\\bR ?& ?D\\\\b"', 'pattern: "\\\\bR (& ?D\\\\b"')
    with pytest.raises(RuleError) as info:
        load_rule_set(rules_copy)
    err = info.value
    assert err.path.endswith("normalize.yml")
    assert err.rule_id == "spacing.r_and_d"
    assert err.field == "repairs.pattern"
    assert "invalid regular expression" in str(err)


def test_unknown_key_is_rejected(rules_copy: Path) -> None:
    _edit(rules_copy / "boilerplate.yml", "    scope: rest\n", "    scope: rest\n    scoop: rest\n")
    with pytest.raises(RuleError) as info:
        load_rule_set(rules_copy)
    assert info.value.rule_id == "teaser.after_end"
    assert info.value.field == "furniture.scoop"
    assert "Extra inputs are not permitted" in str(info.value)


def test_duplicate_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_text("a: 1\nb: 2\na: 3\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"x\.yml: line 3: invalid YAML: duplicate key 'a' \(first at line 1\)"):
        load_yaml(path)


def test_duplicate_rule_id_across_files(rules_copy: Path) -> None:
    _edit(rules_copy / "boilerplate.yml", "id: footer.copyright", "id: spacing.percent")
    with pytest.raises(RuleError, match=r"rule 'spacing.percent' field 'id': duplicate rule id"):
        load_rule_set(rules_copy)


def test_rule_without_examples_is_rejected(rules_copy: Path) -> None:
    text = (rules_copy / "boilerplate.yml").read_text(encoding="utf-8")
    start = text.index("    examples:", text.index("id: credit.editor"))
    end = text.index("  - id: teaser.after_end")
    (rules_copy / "boilerplate.yml").write_text(text[:start] + "    examples: []\n\n" + text[end:], encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rule_set(rules_copy)
    assert info.value.rule_id == "credit.editor"
    assert info.value.field == "furniture.examples"


def test_repair_needs_exactly_one_action(rules_copy: Path) -> None:
    _edit(rules_copy / "normalize.yml", '    replace: "R&D"\n', "")
    with pytest.raises(RuleError) as info:
        load_rule_set(rules_copy)
    assert info.value.rule_id == "spacing.r_and_d"
    assert "exactly one of `replace` or `map`" in str(info.value)
