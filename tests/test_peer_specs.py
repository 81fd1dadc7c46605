"""Outside checks: test cases written by Recognizers-Text, Duckling and quantulum3 (vendored in
tests/data/peer_specs, licences beside them) run through our public API, ``extract_text``.

A record passes when every number it expects is among our values (relative tolerance 1e-9, each of our
numbers used once; a Duckling ``between`` case counts as two numbers) — the rule of
``../shared/peer_specs/score.py``. Per file the pass rate must stay at or above the floor recorded here:
our measured rate, rounded down. quantulum3's own rates are given for comparison.

Range mapping: our two range ends (``>=`` low, ``<=`` high) are offered as low, high and their midpoint,
since quantulum3 reports a range by its midpoint.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data" / "peer_specs"

#: file -> (our floor %, quantulum3 0.10.0 %)
FLOORS: dict[str, tuple[float, float]] = {
    "recognizers_text/number_model": (88.0, 50.5),
    "recognizers_text/percent_model": (100.0, 100.0),
    "recognizers_text/currency_model": (95.0, 90.2),
    "recognizers_text/dimension_model": (98.0, 95.3),
    "duckling/numeral": (89.0, 53.3),
    "duckling/amount_of_money": (90.0, 71.9),
    "duckling/quantity": (79.0, 77.8),
    "duckling/distance": (90.0, 54.9),
    "quantulum3/quantities": (84.0, 100.0),
}
#: all nine files together, measured 90.18% (762 / 845)
OVERALL_FLOOR = 90.0

pytestmark = pytest.mark.slow


def peer_quantities(text: str) -> list[dict[str, Any]]:
    """Our quantities as the peer scorer reads them (``module:function`` for ../shared/peer_specs/score.py)."""
    from pipeline.extract import extract_text

    mentions = extract_text(text)
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(mentions):
        m = mentions[i]
        nxt = mentions[i + 1] if i + 1 < len(mentions) else None
        if (
            nxt is not None
            and m.rule.split("+")[0] == nxt.rule.split("+")[0]
            and (m.qualifier, nxt.qualifier) == (">=", "<=")
        ):
            lo, hi = float(m.value), float(nxt.value)
            out.append(
                {"text": m.quote + " " + nxt.quote, "value": (lo + hi) / 2, "min": lo, "max": hi, "unit": nxt.unit}
            )
            i += 2
            continue
        out.append({"text": m.quote, "value": float(m.value), "unit": m.unit})
        i += 1
    return out


def _targets(expected: list[dict[str, Any]]) -> list[float]:
    numbers: list[float] = []
    for item in expected:
        if isinstance(item.get("value"), (int, float)) and not isinstance(item.get("value"), bool):
            numbers.append(float(item["value"]))
        elif isinstance(item.get("min"), (int, float)) and isinstance(item.get("max"), (int, float)):
            numbers += [float(item["min"]), float(item["max"])]
    return numbers


def record_passes(expected: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> bool | None:
    """Value pass of one record; None when the record has no number to check (negatives, bare units)."""
    targets = _targets(expected)
    if not targets:
        return None
    pool = [float(p[key]) for p in predicted for key in ("value", "min", "max") if isinstance(p.get(key), (int, float))]
    used: set[int] = set()
    for number in targets:
        hit = next(
            (k for k, v in enumerate(pool) if k not in used and math.isclose(v, number, rel_tol=1e-9, abs_tol=1e-12)),
            None,
        )
        if hit is None:
            return False
        used.add(hit)
    return True


def pass_rate(name: str) -> tuple[int, int]:
    passed = total = 0
    with open(DATA / f"{name}.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            record = json.loads(line)
            result = record_passes(record["expected"], peer_quantities(record["input"]))
            if result is None:
                continue
            total += 1
            passed += result
    return passed, total


_RATES: dict[str, tuple[int, int]] = {}


def _rate(name: str) -> tuple[int, int]:
    if name not in _RATES:
        _RATES[name] = pass_rate(name)
    return _RATES[name]


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_value_pass_rate_stays_above_floor(name: str) -> None:
    passed, total = _rate(name)
    floor, quantulum3 = FLOORS[name]
    rate = 100.0 * passed / total
    assert rate >= floor, f"{name}: {rate:.1f}% < floor {floor}% (quantulum3 {quantulum3}%)"


def test_overall_pass_rate() -> None:
    passed = total = 0
    for name in FLOORS:
        p, t = _rate(name)
        passed, total = passed + p, total + t
    assert 100.0 * passed / total >= OVERALL_FLOOR


def test_data_is_vendored_with_licences() -> None:
    assert (DATA / "README.md").exists()
    assert sorted(p.name for p in (DATA / "LICENSES").iterdir())
