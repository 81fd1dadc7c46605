"""Run the extractor over NewsQuant and score it with the benchmark's own scorer.

Usage::

    python benchmarks/newsquant.py ../shared/benchmarks/newsquant/newsquant.jsonl \
        [--score ../shared/benchmarks/newsquant/score.py] [--out output/newsquant.pred.jsonl] [--errors N]

The data has no licence: it is read from where it lies and never copied into this repository.

Our output is mapped to the benchmark's conventions here, and only here:

- units: our canonical codes to the scorer's vocabulary (``CNY`` -> ``chinese yuan``, ``km2`` -> ``square
  kilometre``, ``person`` -> ``people``); a count's unit is the counted noun phrase the extractor marks,
  as written (``50 different products`` -> ``different products``: NewsQuant keeps the modifiers, we keep
  the head), without the number inside it (``the top three seeds`` -> ``top seeds``) and with our name for
  its head (``viruses`` -> ``virus``, ``TDs`` -> ``touchdown``);
- a vague plural (``tens of thousands``) is the range [v, 10 v] there, at least v here;
- a range is one quantity ``[lo, hi]``: our two range ends (``range.*`` rules, qualifiers ``>=``/``<=``)
  are joined back;
- ranks are ordinals, which NewsQuant does not annotate; they are left out;
- ``change``: our qualifier (``~<`` reads as ``~``);
- units NewsQuant names by their written symbol: a share price in ``p`` is ``point``, ``lb-ft`` is
  ``foot pound-force`` (``SYMBOL_NAMES``).

Known difference we keep (product decision, not tuned away): technology names such as ``5G`` are not
quantities for us; NewsQuant annotates them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pipeline.extract import Extractor
from pipeline.normalize import normalize_text
from pipeline.numbers import find_numerals
from pipeline.quantities import singular
from pipeline.types import Quantity, format_decimal

#: published NewsQuant F1 (value, value+unit), from the benchmark README
PUBLISHED = {
    "CQE (paper)": (92.0, 85.6),
    "GPT-3 (paper)": (70.6, 59.1),
    "quantulum3 (paper)": (73.0, 47.2),
    "Recognizers-Text (paper)": (69.1, 34.2),
    "Illinois Quantifier (paper)": (57.3, 37.1),
}

#: our canonical unit -> the scorer's vocabulary (anything else passes through: the scorer singularizes)
UNIT_NAMES = {
    "USD": "dollar",
    "CNY": "chinese yuan",
    "HKD": "hong kong dollar",
    "AUD": "australian dollar",
    "CAD": "canadian dollar",
    "EUR": "euro",
    "GBP": "pound sterling",
    "JPY": "japanese yen",
    "INR": "indian rupee",
    "MYR": "malaysian ringgit",
    "ILS": "shekel",
    "CHF": "swiss franc",
    "DKK": "danish krone",
    "NZD": "new zealand dollar",
    "SGD": "singapore dollar",
    "TWD": "new taiwan dollar",
    "KRW": "south korean won",
    "RUB": "russian ruble",
    "HRK": "croatian kuna",
    "ZAR": "south african rand",
    "km2": "square kilometre",
    "m2": "square metre",
    # metric lengths are written as symbols; the scorer knows km, cm and mm itself
    "m": "metre",
    "um": "micrometre",
    "nm": "nanometre",
    "percent": "percentage",
    "person": "people",
    "million british thermal unit": "mega british thermal unit",
    "metric horsepower": "horsepower",
    "touchdown": "touch down",
}


#: NewsQuant's names for units it reads by their written symbol: share prices in ``p`` are index-like
#: ``point``; ``lb-ft`` is ``foot pound-force`` (but ``pound-feet`` is ``pound-foot``)
SYMBOL_NAMES = {("cent", "p"): "point", ("cent", "p."): "point", ("pound-foot", "lb-ft"): "foot pound-force"}

#: words that open our counted-noun span but not NewsQuant's (``millions of Americans``, ``eight more picks``)
_LEADING = {"of", "more", "the", "-"}


def unit_name(q: Quantity, text: str, irregular: Mapping[str, str] | None = None) -> str:
    """The scorer's name for our unit; ``irregular``: the extractor's irregular plurals (``viruses``)."""
    unit = q.unit
    if not unit:
        return "-"
    if q.kind == "count" and 0 <= q.unit_start < q.unit_end:
        phrase = text[q.unit_start : q.unit_end].lower()
        if q.unit_start < q.number_start < q.unit_end:  # "the top three seeds": the phrase around the number
            phrase = f"{text[q.unit_start : q.number_start]} {text[q.number_end : q.unit_end]}".lower()
        words = [w for w in phrase.replace("“", " ").replace("”", " ").split() if w not in ("and", "or")]
        while len(words) > 1 and words[0] in _LEADING:
            words.pop(0)
        if words and words[0].startswith("-"):  # "six-cylinder engines": the number's compound
            words[0] = words[0].lstrip("-")
        if words and (" " not in unit or singular(words[-1], dict(irregular or {})) == unit.split()[-1]):
            # the head as we name it: our singular ("viruses" -> "virus", which the scorer's suffix rules
            # miss) or our alias ("TDs" -> "touchdown")
            head = unit.split()[-1]
            words[-1] = UNIT_NAMES.get(head, head)
        return " ".join(words)
    if 0 <= q.unit_start < q.unit_end:
        symbol = text[q.unit_start : q.unit_end].strip()
        if (unit, symbol) in SYMBOL_NAMES:
            return SYMBOL_NAMES[(unit, symbol)]
    if q.kind == "age":
        return f"{unit} of age"
    if " per " in unit:
        head, tail = unit.split(" per ", 1)
        return f"{UNIT_NAMES.get(head, head)} per {UNIT_NAMES.get(tail, tail)}"
    return UNIT_NAMES.get(unit, unit)


def change_of(q: Quantity) -> str:
    return {"~<": "~", ">=": ">", "<=": "<"}.get(q.qualifier, q.qualifier)


def _vague(q: Quantity, text: str) -> bool:
    found = find_numerals(text[q.number_start : q.number_end])
    return bool(found) and found[0].vague


def to_prediction(
    quantities: list[Quantity], text: str, irregular: Mapping[str, str] | None = None
) -> list[dict[str, object]]:
    """Our quantities of one sentence in the scorer's format."""
    out: list[dict[str, object]] = []
    i = 0
    while i < len(quantities):
        q = quantities[i]
        if q.kind == "rank":
            i += 1
            continue
        nxt = quantities[i + 1] if i + 1 < len(quantities) else None
        is_range = (
            nxt is not None
            and q.rule.split("+")[0] == nxt.rule.split("+")[0]
            and (q.qualifier, nxt.qualifier) == (">=", "<=")
        )
        if is_range and nxt is not None:
            out.append(
                {
                    "value": [float(q.value), float(nxt.value)],
                    "unit": unit_name(nxt, text, irregular),
                    "change": "=",
                    "surface": text[q.start : nxt.end],
                }
            )
            i += 2
            continue
        value: object = float(q.value)
        if _vague(q, text):
            value = [float(q.value), float(q.value) * 10]
        out.append(
            {
                "value": value,
                "unit": unit_name(q, text, irregular),
                "change": change_of(q),
                "surface": text[q.start : q.end],
                "exact": format_decimal(q.value),
            }
        )
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("gold", type=Path, help="newsquant.jsonl (read in place, never copied)")
    parser.add_argument("--score", type=Path, default=None, help="score.py (default: beside the gold file)")
    parser.add_argument("--out", type=Path, default=None, help="predictions file (default: a temporary file)")
    parser.add_argument("--errors", type=int, default=0, help="print the first N sentences with errors")
    args = parser.parse_args(argv)

    score_py = args.score or args.gold.parent / "score.py"
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="newsquant-")) / "pred.jsonl"
    extractor = Extractor()
    irregular = extractor.nlp.get_pipe("quantity_finder").counted.irregular  # type: ignore[attr-defined]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.gold, encoding="utf-8") as fh, open(args.out, "w", encoding="utf-8") as out:
        for line in fh:
            if not line.strip():
                continue
            record = json.loads(line)
            clean = normalize_text(record["text"]).text
            quantities = [q for sent in extractor.sentences_of(clean) for q in sent.quantities]
            pred = {"id": record["id"], "quantities": to_prediction(quantities, clean, irregular)}
            out.write(json.dumps(pred, ensure_ascii=False) + "\n")
    score_json = args.out.with_suffix(".score.json")
    command = [sys.executable, str(score_py), str(args.out), "--gold", str(args.gold), "--json", str(score_json)]
    if args.errors:
        command += ["--errors", str(args.errors)]
    subprocess.run(command, check=True)
    ours = json.loads(score_json.read_text(encoding="utf-8"))["metrics"]
    print("\nF1 beside the published peers (strict one-to-one matching for ours):")
    print(f"{'system':<30}{'value':>8}{'value+unit':>12}")
    print(f"{'ours':<30}{ours['value']['F1']:>8.1f}{ours['value+unit']['F1']:>12.1f}")
    for name, (value, value_unit) in PUBLISHED.items():
        print(f"{name:<30}{value:>8.1f}{value_unit:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
