"""The raw articles of a run, for the whole-corpus stages (evaluate, report).

Only the articles normalize wrote a document for are read, each with :func:`pipeline.safety.rawtext.read_raw_text`
and the encoding normalize recorded: a directory or an unreadable file named ``x.txt``, reported once by
normalize, is never opened again, and a UTF-16 or GB18030 article reads as it does for extract.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.normalize import load_normalized
from pipeline.safety.rawtext import RawTextError, read_raw_text

__all__ = ["read_raw_texts"]


def read_raw_texts(normalized: Path, seeds: Path) -> dict[str, str]:
    """doc -> raw text of every article with a normalized document in ``normalized``. An article that
    cannot be read back (gone, changed since normalize, a broken document) is named on stderr and left
    out."""
    texts: dict[str, str] = {}
    for path in sorted(normalized.glob("*.json")):
        try:
            ndoc = load_normalized(path)
            texts[ndoc.doc] = read_raw_text(seeds / ndoc.file_name, ndoc.encoding, ndoc.raw_sha256)
        except (OSError, ValueError, RawTextError) as exc:
            print(f"warning: {path}: {exc}; its article is left out", file=sys.stderr)
    return texts
