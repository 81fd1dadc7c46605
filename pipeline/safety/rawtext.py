"""The raw article as every stage reads it.

normalize decodes each file (UTF-8, UTF-16 with a byte-order mark, GB18030; see
:func:`pipeline.normalize.decode_article`) and records the encoding and the SHA-256 of the bytes in
``output/normalized/<doc>.json``. Later stages (extract, unclaimed, evaluate, report) read the file again
with :func:`read_raw_text`, which decodes it with that recorded encoding, so the offsets of every output
index the same characters everywhere: a UTF-16 or GB18030 article shows on the review page and is scored
as it reads, not as bytes misread as UTF-8.

Control characters (Unicode category Cc: NUL, the other C0 controls, DEL, the C1 controls) other than
tab, line feed and carriage return are blanked: each becomes one space, so offsets are unchanged and no
NUL reaches a CSV cell or the page. normalize records how many it blanked (repair
``text.control_characters``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

__all__ = ["CONTROL_REPAIR", "RawTextError", "blank_controls", "read_raw_text"]

#: the repair id under which normalize counts blanked control characters
CONTROL_REPAIR = "text.control_characters"
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class RawTextError(Exception):
    """A raw article that cannot be read as normalize read it (gone, unreadable, changed since)."""


def blank_controls(text: str) -> tuple[str, int]:
    """``text`` with every control character but tab, LF and CR replaced by a space, and how many."""
    return _CONTROLS.subn(" ", text)


def read_raw_text(path: Path, encoding: str, sha256: str | None = None) -> str:
    """The raw article at ``path`` decoded with ``encoding`` (the one normalize recorded), controls
    blanked. With ``sha256``, a file whose bytes changed since normalize read them is refused."""
    if not path.is_file():
        raise RawTextError(f"{path}: not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RawTextError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise RawTextError(f"{path} changed since it was normalized; run the normalize stage again")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise RawTextError(f"{path}: cannot decode as {encoding}: {exc}") from None
    return blank_controls(text)[0]
