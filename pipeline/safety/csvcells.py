"""CSV cells a spreadsheet opens as text, and the ``sources`` list that survives any document name.

**Formulas.** LibreOffice Calc (checked with ``soffice --convert-to``, 7.4, default CSV import) reads a
cell that starts with ``=`` and has more after it as a formula, even inside double quotes; a bare
``=`` or ``>=``, and cells starting with ``+``, ``-`` or ``@``, stay text (or become numbers: ``-5``).
Excel and Google Sheets also start formulas with ``+``, ``-``, ``@``, a tab or a carriage return. So a
*text* cell that starts with any of these gets a leading apostrophe (:func:`protect`; Calc shows the
apostrophe, Excel hides it), and the pipeline's own readers take it off again (:func:`unprotect`), so
a value round-trips exactly.

Left verbatim: numbers (``value``, ``start``, ``year`` ...), the ``qualifier`` (a fixed vocabulary,
``=`` ``~`` ``>`` ``>=`` ``<`` ``<=`` ``~<``, which Calc reads as text, and which scorers compare as
symbols), and the quotes (``quote``, ``quotes``): they are exact raw-article text that scorers locate
by offsets, and begin with a number phrase, a hedge or a currency, never with ``=``.

**Document ids in lists.** ``sources`` joins ``doc:start-end`` entries with ``;``; a ``%``, ``;`` or
``|`` inside a document id is percent-encoded (:func:`join_sources`, :func:`split_sources`), so a
file named ``a;b.txt`` is one source, not two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "FORMULA_STARTS",
    "VERBATIM_COLUMNS",
    "join_sources",
    "protect",
    "protect_row",
    "split_sources",
    "unprotect",
    "unprotect_row",
]

#: first characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: columns written as they are: numbers, the qualifier symbol, exact quotes
VERBATIM_COLUMNS = frozenset(
    {"start", "end", "value", "year", "confidence", "n_sources", "line", "qualifier", "quote", "quotes"}
)


def _needs_prefix(text: str) -> bool:
    # an apostrophe already followed by a trigger is prefixed too, so that unprotect round-trips
    while text[:1] == "'":
        text = text[1:]
    return text != "" and text[:1] in FORMULA_STARTS


def protect(text: str) -> str:
    """``text`` as a cell no spreadsheet reads as a formula."""
    return "'" + text if _needs_prefix(text) else text


def unprotect(cell: str) -> str:
    """The text :func:`protect` wrote as ``cell``."""
    return cell[1:] if cell[:1] == "'" and _needs_prefix(cell[1:]) else cell


def protect_row(row: Sequence[str], columns: Sequence[str] | None = None) -> list[str]:
    """A CSV row with its text cells protected (``columns`` names them; verbatim columns are kept)."""
    if columns is None:
        return [protect(cell) for cell in row]
    return [cell if name in VERBATIM_COLUMNS else protect(cell) for name, cell in zip(columns, row, strict=True)]


def unprotect_row(row: Mapping[str, str]) -> dict[str, str]:
    """A CSV row read back: protected text cells restored (verbatim columns as they are)."""
    return {
        name: cell if name in VERBATIM_COLUMNS or not isinstance(cell, str) else unprotect(cell)
        for name, cell in row.items()
    }


_ENCODE = {"%": "%25", ";": "%3B", "|": "%7C"}


def _encode_doc(doc: str) -> str:
    return "".join(_ENCODE.get(ch, ch) for ch in doc)


_DECODE = {code[1:]: plain for plain, code in _ENCODE.items()}
_ENCODED = re.compile(r"%(25|3B|7C)", re.IGNORECASE)


def _decode_doc(text: str) -> str:
    return _ENCODED.sub(lambda m: _DECODE[m.group(1).upper()], text)


def join_sources(entries: Iterable[tuple[str, int, int]]) -> str:
    """``doc:start-end;doc:start-end``, document ids percent-encoded where they hold ``%``, ``;`` or ``|``."""
    return ";".join(f"{_encode_doc(doc)}:{start}-{end}" for doc, start, end in entries)


def split_sources(text: str) -> list[tuple[str, int, int]]:
    """The entries of a ``sources`` cell; malformed ones are left out."""
    entries: list[tuple[str, int, int]] = []
    for part in text.split(";"):
        doc, colon, span = part.strip().rpartition(":")
        start, dash, end = span.partition("-")
        if colon and dash and start.isdigit() and end.isdigit() and doc:
            entries.append((_decode_doc(doc), int(start), int(end)))
    return entries
