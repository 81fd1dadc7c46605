"""Peer test suites: the test cases of Recognizers-Text, Duckling and quantulum3 (vendored in
``tests/data/peer_specs`` with their licences) run through an extractor, scored three ways per file.

Usage::

    python -m benchmarks.peerspecs [--system ours|quantulum3] [--root tests/data/peer_specs]
                                   [--show-failures N] [--json OUT]

``--system quantulum3`` needs the optional ``bench`` extra (``pip install -e '.[bench]'``).

Scoring is the rule of ``../shared/peer_specs/score.py`` (``tests/test_peer_specs.py`` checks that both
give the same verdict on every record when that file is present):

- **value**: a record passes when every number it expects is among the predicted values (relative
  tolerance 1e-9; each predicted number, or range end, used once; a Duckling ``between`` case counts as
  two numbers). Records that expect no number at all are not counted here.
- **unit**: among the records with an expected unit (not none, not ``dimensionless``), those where every
  such number is found and the prediction it matched has the same unit after light canonicalization
  (case, spelling, plural, symbols and ISO codes: :func:`canon_unit`; no conversion).
- **negatives**: records that expect nothing (``180ml`` is no *number* for Recognizers-Text's number
  model; ``exactly dollars`` is no amount for Duckling) pass when the extractor returns nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Prediction = dict[str, Any]
Extract = Callable[[str], list[Prediction]]

DEFAULT_ROOT = Path("tests/data/peer_specs")
MONEY_TYPES = frozenset({"currency", "amount-of-money", "money"})

#: the scorer's unit aliases: spelling -> canonical key (the same small table as the shared scorer's)
_ALIASES: dict[str, str] = {
    "%": "percent", "percent": "percent", "percentage": "percent", "per cent": "percent",
    "pct": "percent", "percentage point": "percent",
    "times": "times", "time": "times", "fold": "times", "x": "times",
    "$": "USD", "dollar": "USD", "usd": "USD", "us$": "USD", "us dollar": "USD",
    "united states dollar": "USD", "buck": "USD",
    "eur": "EUR", "euro": "EUR", "€": "EUR",
    "gbp": "GBP", "£": "GBP", "pound sterling": "GBP", "british pound": "GBP",
    "cny": "CNY", "rmb": "CNY", "yuan": "CNY", "chinese yuan": "CNY",
    "renminbi": "CNY", "yuan renminbi": "CNY",
    "jpy": "JPY", "yen": "JPY", "japanese yen": "JPY", "¥": "JPY",
    "hkd": "HKD", "hong kong dollar": "HKD", "hk$": "HKD",
    "cad": "CAD", "canadian dollar": "CAD", "aud": "AUD", "australian dollar": "AUD",
    "nzd": "NZD", "new zealand dollar": "NZD", "chf": "CHF", "swiss franc": "CHF",
    "inr": "INR", "rupee": "INR", "indian rupee": "INR", "rs": "INR",
    "cent": "cent", "¢": "cent", "penny": "cent", "pence": "cent",
    "btc": "BTC", "bitcoin": "BTC",
    "m": "meter", "meter": "meter", "km": "kilometer", "kilometer": "kilometer",
    "cm": "centimeter", "centimeter": "centimeter", "mm": "millimeter",
    "millimeter": "millimeter", "mi": "mile", "mile": "mile", "ft": "foot",
    "foot": "foot", "feet": "foot", "'": "foot", "in": "inch", "inch": "inch",
    '"': "inch", "''": "inch", "yd": "yard", "yard": "yard", "pm": "picometer",
    "picometer": "picometer", "dm": "decimeter", "decimeter": "decimeter",
    "m2": "square meter", "sq m": "square meter", "square meter": "square meter",
    "sqm": "square meter", "km2": "square kilometer", "sq km": "square kilometer",
    "square kilometer": "square kilometer", "acre": "acre", "hectare": "hectare", "ha": "hectare",
    "g": "gram", "gram": "gram", "gramme": "gram", "kg": "kilogram", "kilogram": "kilogram",
    "mg": "milligram", "milligram": "milligram", "mcg": "microgram", "µg": "microgram",
    "microgram": "microgram", "lb": "pound mass", "pound mass": "pound mass",
    "oz": "ounce", "ounce": "ounce", "t": "tonne", "tonne": "tonne", "metric ton": "tonne",
    "ton": "ton",
    "l": "liter", "liter": "liter", "ml": "milliliter", "milliliter": "milliliter",
    "cubic centimeter": "milliliter", "cc": "milliliter", "gal": "gallon", "gallon": "gallon",
    "hectoliter": "hectoliter", "hl": "hectoliter", "tbsp": "tablespoon",
    "tablespoon": "tablespoon", "tsp": "teaspoon", "teaspoon": "teaspoon", "cup": "cup",
    "c": "celsius", "°c": "celsius", "celsius": "celsius", "degree celsius": "celsius",
    "f": "fahrenheit", "°f": "fahrenheit", "fahrenheit": "fahrenheit",
    "degree fahrenheit": "fahrenheit", "°": "degree", "degree": "degree",
    "k": "kelvin", "kelvin": "kelvin",
    "yr": "year", "year": "year", "month": "month", "week": "week", "day": "day",
    "h": "hour", "hr": "hour", "hour": "hour", "min": "minute", "minute": "minute",
    "s": "second", "sec": "second", "second": "second",
    "km/h": "kilometer per hour", "kph": "kilometer per hour", "kmph": "kilometer per hour",
    "kilometer per hour": "kilometer per hour", "mph": "mile per hour",
    "mile per hour": "mile per hour", "mb": "megabyte", "megabyte": "megabyte",
}  # fmt: skip
_SPELLING = (("metre", "meter"), ("litre", "liter"), ("centigrade", "celsius"))
_IRREGULAR = {
    "feet": "foot",
    "inches": "inch",
    "pence": "pence",
    "celsius": "celsius",
    "degrees": "degree",
    "times": "times",
    "series": "series",
}


def _singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def canon_unit(unit: object, kind: str | None = None) -> str | None:
    """Canonical key of a unit string; None for no unit or a dimensionless one."""
    if unit is None:
        return None
    u = unicodedata.normalize("NFKC", str(unit)).strip().lower()
    if u in ("", "dimensionless", "none", "null", "unnamed", "count"):
        return None
    u = re.sub(r"[\s_\-]+", " ", u)
    for written, canonical in _SPELLING:
        u = u.replace(written, canonical)
    u = u.replace("²", "2").replace("^2", "2").replace("³", "3").replace("^3", "3")
    if u not in _ALIASES:
        u = " ".join(_singular(w) for w in u.split())
    if u == "pound":  # money or mass: what is measured decides
        return "GBP" if kind in MONEY_TYPES else "pound mass"
    return _ALIASES.get(u, u)


def units_match(expected: Mapping[str, Any], predicted_unit: object) -> bool:
    kind = expected.get("type")
    want = {canon_unit(expected.get("unit"), kind)}
    if expected.get("iso_currency"):
        want.add(canon_unit(expected["iso_currency"], kind))
    got = canon_unit(predicted_unit, kind)
    return got is not None and got in want


def _number(x: object) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _norm_text(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


def targets_of(expected: Iterable[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], float]]:
    """(expected item, number) for each number a record expects; a range gives its two ends."""
    out: list[tuple[Mapping[str, Any], float]] = []
    for item in expected:
        value = _number(item.get("value"))
        if value is not None:
            out.append((item, value))
            continue
        lo, hi = _number(item.get("min")), _number(item.get("max"))
        if lo is not None and hi is not None:
            out += [(item, lo), (item, hi)]
    return out


@dataclass(frozen=True, slots=True)
class Verdict:
    """One record: a negative, a positive (value and maybe unit checked), or nothing to score."""

    kind: Literal["neg", "pos", "unscored"]
    ok: bool = False
    unit_ok: bool | None = None  #: None: the record expects no unit


def score_record(expected: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]]) -> Verdict:
    """The verdict on one record, by the rules in the module docstring."""
    if not expected:
        return Verdict("neg", ok=not predicted)
    targets = targets_of(expected)
    if not targets:
        return Verdict("unscored")
    pool = [
        (i, name, number)
        for i, p in enumerate(predicted)
        for name in ("value", "min", "max")
        if (number := _number(p.get(name))) is not None
    ]
    used: set[tuple[int, str]] = set()
    value_ok = unit_ok = True
    unit_scored = False
    for item, number in targets:
        candidates = [(i, name) for i, name, f in pool if (i, name) not in used and _close(f, number)]
        if item.get("text"):
            want = _norm_text(item["text"])
            candidates.sort(key=lambda c: _norm_text(predicted[c[0]].get("text")) != want)
        has_unit = canon_unit(item.get("unit"), item.get("type")) is not None
        unit_scored |= has_unit
        if not candidates:
            value_ok = False
            unit_ok = unit_ok and not has_unit
            continue
        if has_unit:
            good = [c for c in candidates if units_match(item, predicted[c[0]].get("unit"))]
            if good:
                candidates = good
            else:
                unit_ok = False
        used.add(candidates[0])
    return Verdict("pos", ok=value_ok, unit_ok=unit_ok if unit_scored else None)


@dataclass
class Rate:
    passed: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.passed += ok
        self.total += 1

    @property
    def percent(self) -> float | None:
        return 100.0 * self.passed / self.total if self.total else None

    def __str__(self) -> str:
        pct = self.percent
        return "–" if pct is None else f"{pct:.1f}% ({self.passed}/{self.total})"


@dataclass
class FileScore:
    value: Rate = field(default_factory=Rate)
    unit: Rate = field(default_factory=Rate)
    negatives: Rate = field(default_factory=Rate)
    failures: list[tuple[str, str, list[Prediction]]] = field(default_factory=list)

    def add(self, verdict: Verdict) -> None:
        if verdict.kind == "neg":
            self.negatives.add(verdict.ok)
        elif verdict.kind == "pos":
            self.value.add(verdict.ok)
            if verdict.unit_ok is not None:
                self.unit.add(verdict.unit_ok)

    def merge(self, other: FileScore) -> None:
        for mine, theirs in ((self.value, other.value), (self.unit, other.unit), (self.negatives, other.negatives)):
            mine.passed += theirs.passed
            mine.total += theirs.total


def read_records(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def spec_files(root: Path) -> list[str]:
    """``family/name`` of every ``*.jsonl`` under ``root``, sorted."""
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.jsonl"))


def score_file(records: Iterable[Mapping[str, Any]], extract: Extract) -> FileScore:
    return score_predicted((record, extract(record["input"])) for record in records)


def score_predicted(pairs: Iterable[tuple[Mapping[str, Any], list[Prediction]]]) -> FileScore:
    """The rates of (record, what the extractor returned for its input) pairs."""
    score = FileScore()
    for record, predicted in pairs:
        verdict = score_record(record["expected"], predicted)
        score.add(verdict)
        if verdict.kind != "unscored" and (not verdict.ok or verdict.unit_ok is False):
            score.failures.append((str(record.get("id")), record["input"], predicted))
    return score


# ---------------------------------------------------------------------------------------------
# the systems


def our_quantities(text: str) -> list[Prediction]:
    """Our quantities as the peer scorer reads them, from the public API ``extract_text``.

    Our two range ends (``>=`` low, ``<=`` high, one rule) are one range: low, high and, since quantulum3
    reports a range by its midpoint, the midpoint as its value.
    """
    from pipeline.extract import extract_text

    mentions = extract_text(text)
    out: list[Prediction] = []
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


def quantulum3_quantities(text: str) -> list[Prediction]:
    """quantulum3's ``parse`` (0.10.0; its optional classifier is not installed): value, unit name, surface.

    A range comes back as its midpoint with an uncertainty (the half-width): its ends are offered too.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from quantulum3 import parser

        found = parser.parse(text)
    out: list[Prediction] = []
    for q in found:
        item: Prediction = {"text": q.surface, "value": q.value, "unit": q.unit.name}
        if q.uncertainty:
            item["min"], item["max"] = q.value - q.uncertainty, q.value + q.uncertainty
        out.append(item)
    return out


SYSTEMS: dict[str, Extract] = {"ours": our_quantities, "quantulum3": quantulum3_quantities}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.peerspecs", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--system", choices=sorted(SYSTEMS), default="ours")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder of the *.jsonl specs")
    parser.add_argument("--show-failures", type=int, default=0, metavar="N", help="failing records per file")
    parser.add_argument("--json", type=Path, help="write the per-file rates here")
    args = parser.parse_args(argv)
    extract = SYSTEMS[args.system]
    total = FileScore()
    table: dict[str, dict[str, list[int]]] = {}
    print(f"{'file':<36} {'value':>18} {'unit':>18} {'negatives':>16}")
    for name in spec_files(args.root):
        score = score_file(read_records(args.root / f"{name}.jsonl"), extract)
        total.merge(score)
        table[name] = {k: [r.passed, r.total] for k, r in vars(score).items() if isinstance(r, Rate)}
        print(f"{name:<36} {score.value!s:>18} {score.unit!s:>18} {score.negatives!s:>16}")
        for rid, text, predicted in score.failures[: args.show_failures]:
            got = [(p.get("text"), p.get("value"), p.get("unit")) for p in predicted]
            print(f"    FAIL {rid}: {text[:90]!r}\n      got: {got}")
    print(f"{'all files':<36} {total.value!s:>18} {total.unit!s:>18} {total.negatives!s:>16}")
    if args.json:
        table["all"] = {k: [r.passed, r.total] for k, r in vars(total).items() if isinstance(r, Rate)}
        args.json.write_text(json.dumps({"system": args.system, "files": table}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
