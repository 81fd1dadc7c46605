"""Stage 1, normalize: ``seeds/*.txt`` -> ``output/normalized/<doc>.json`` + ``output/normalize_report.csv``.

For each article: decode it safely, read the header metadata (title, byline, source, publication
date), cut page furniture (``rules/boilerplate.yml``), repair machine-translation artefacts
(``rules/normalize.yml``), find section headings, and keep an offset map from every clean character
back to the raw file (:mod:`pipeline.textmap`).

Invariants:
- every span of the clean text maps to a raw span with :func:`NormalizedDoc.to_raw`; ``removed``
  lists every raw span that was cut, with the rule that cut it;
- the publication date comes from a date line (``stated``), else from a date in the file name
  (``file name``: ``2016_ecns_...txt``, ``report-2021-09-23.txt``), else from the latest year the text
  speaks of as past, plus one (``inferred``, written as a bare ISO year ``YYYY``), else ``unknown``;
- one unreadable file is reported and skipped, never fatal; the stage fails only when no article
  at all could be read, or when a rule file is broken (:class:`pipeline.ruleio.RuleError`);
- what is not read is reported once, in ``normalize_report.csv``, and every later stage reads only the
  documents written here: a directory or a pipe named ``x.txt``, an unreadable file, a symbolic link to
  a file outside the seeds folder, names that differ only in case (``a.TXT`` and ``a.txt``: refused
  both, since either would overwrite the other's results), a file over ``max_bytes`` (checked before it
  is read);
- control characters (NUL ...) are blanked one for one, as every stage reads the raw text
  (:mod:`pipeline.safety.rawtext`), and counted under the repair ``text.control_characters``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from tqdm import tqdm

from pipeline.cache import ArticleCache, fingerprint, imported_modules, module_sources
from pipeline.engine import (
    BatchResult,
    EngineError,
    Failed,
    LoadError,
    Outcome,
    Tally,
    add_engine_arguments,
    engine_settings,
    estimated_words,
    open_engine,
)
from pipeline.params import load_params
from pipeline.ruleio import RuleError, StrictModel, check_unique_ids, load_rules
from pipeline.safety.limits import DEFAULT_MAX_BYTES, MAX_WINDOW_CHARS, TextTooLarge, check_size
from pipeline.safety.rawtext import CONTROL_REPAIR, blank_controls
from pipeline.safety.records import NormalizedRecord, validated
from pipeline.safety.ruleregex import RulePattern, compile_rule_regex
from pipeline.textmap import Edit, EditableText, OffsetMap

__all__ = [
    "InputProblem",
    "NormalizeJob",
    "NormalizeRuleSet",
    "NormalizedDoc",
    "Removal",
    "Section",
    "decode_article",
    "load_normalized",
    "load_rule_set",
    "main",
    "normalize_text",
    "run",
]

# ---------------------------------------------------------------------------------------------
# rule files


def _compile(pattern: str) -> RulePattern:
    """A rule's pattern, compiled for linear-time matching (ValueError with the reason when refused)."""
    return compile_rule_regex(pattern, re.MULTILINE)


class TextExample(StrictModel):
    text: str
    expect: str
    xfail: str | None = None


class RepairRule(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    description: str = ""
    phase: Literal["early", "late"] = "late"
    pattern: str
    replace: str | None = None
    map: dict[str, str] | None = None
    examples: list[TextExample] = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        _compile(value)
        return value

    @model_validator(mode="after")
    def _one_action(self) -> RepairRule:
        if (self.replace is None) == (self.map is None):
            raise RuleError("", self.id, "replace", "give exactly one of `replace` or `map`")
        return self


class FurnitureRule(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    scope: Literal["line", "rest", "match"]
    pattern: str
    examples: list[TextExample] = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        _compile(value)
        return value


class MetadataExample(StrictModel):
    text: str
    expect: dict[str, str]
    xfail: str | None = None


class MetadataRule(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    field: Literal["published", "byline", "source", "site"]
    pattern: str
    examples: list[MetadataExample] = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _pattern_has_value_group(cls, value: str) -> str:
        if "value" not in _compile(value).groupindex:
            raise ValueError("pattern needs a named group `value`")
        return value


class YearExample(StrictModel):
    text: str
    expect: list[int]


class PastYearPattern(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    pattern: str
    examples: list[YearExample] = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _pattern_has_year_group(cls, value: str) -> str:
        if "year" not in _compile(value).groupindex:
            raise ValueError("pattern needs a named group `year`")
        return value


class FileNameExample(StrictModel):
    name: str  #: a file name without its extension
    expect: str  #: the date it gives, ``YYYY`` or ``YYYY-MM-DD``, or ``""`` for none


class FileNamePattern(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    pattern: str
    examples: list[FileNameExample] = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _pattern_has_year_group(cls, value: str) -> str:
        if "year" not in _compile(value).groupindex:
            raise ValueError("pattern needs a named group `year` (and optionally `month`, `day`)")
        return value


class Inference(StrictModel):
    past_year_patterns: list[PastYearPattern]
    file_name_patterns: list[FileNamePattern] = Field(default_factory=list)


class Headings(StrictModel):
    max_words: int = Field(gt=0)
    max_chars: int = Field(gt=0)


class NormalizeFile(StrictModel):
    repairs: list[RepairRule]
    headings: Headings
    inference: Inference


class BoilerplateFile(StrictModel):
    furniture: list[FurnitureRule]
    header_lines: int = Field(ge=0)
    metadata: list[MetadataRule]


@dataclass(frozen=True, slots=True)
class NormalizeRuleSet:
    """Both rule files of this stage, validated, with their patterns compiled once."""

    normalize: NormalizeFile
    boilerplate: BoilerplateFile
    paths: tuple[Path, ...]
    compiled: dict[str, RulePattern] = field(default_factory=dict)

    def regex(self, rule_id: str, pattern: str) -> RulePattern:
        found = self.compiled.get(rule_id)
        if found is None:
            found = self.compiled[rule_id] = _compile(pattern)
        return found


def load_rule_set(rules_dir: str | Path = "rules") -> NormalizeRuleSet:
    """Load ``normalize.yml`` and ``boilerplate.yml`` from ``rules_dir``; raise RuleError if broken."""
    rules_dir = Path(rules_dir)
    normalize_path = rules_dir / "normalize.yml"
    boilerplate_path = rules_dir / "boilerplate.yml"
    normalize = load_rules(normalize_path, NormalizeFile)
    boilerplate = load_rules(boilerplate_path, BoilerplateFile)
    seen: dict[str, str] = {}
    check_unique_ids(normalize_path, [r.id for r in normalize.repairs], seen)
    check_unique_ids(normalize_path, [r.id for r in normalize.inference.past_year_patterns], seen)
    check_unique_ids(normalize_path, [r.id for r in normalize.inference.file_name_patterns], seen)
    check_unique_ids(boilerplate_path, [r.id for r in boilerplate.furniture], seen)
    check_unique_ids(boilerplate_path, [r.id for r in boilerplate.metadata], seen)
    return NormalizeRuleSet(normalize, boilerplate, (normalize_path, boilerplate_path))


# ---------------------------------------------------------------------------------------------
# the normalized document


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the clean-text span it governs (from the heading to the next heading)."""

    heading: str
    heading_start: int
    heading_end: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Removal:
    """A raw span cut as page furniture or header metadata, and the rule(s) that cut it."""

    rule: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class NormalizedDoc:
    """One article after normalization; serialized as ``output/normalized/<doc>.json``."""

    doc: str
    text: str
    offsets: OffsetMap
    raw_sha256: str
    encoding: str = "utf-8"
    file: str = ""  #: the file's name in the seeds folder (``<doc>.txt`` when empty)
    title: str = ""
    byline: str = ""
    source: str = ""
    site: str = ""
    published: str = ""  #: ``YYYY-MM-DD`` when stated, ``YYYY`` when inferred, ``""`` when unknown
    published_source: str = "unknown"  #: stated / file name / inferred / unknown
    published_rule: str = ""  #: the rule that gave the date or year
    sections: tuple[Section, ...] = ()
    removed: tuple[Removal, ...] = ()
    repairs: tuple[tuple[str, int], ...] = ()  #: (rule id, number of edits), in rule order

    @property
    def published_year(self) -> int | None:
        return int(self.published[:4]) if self.published else None

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Raw-article span of the clean span ``[start, end)``."""
        return self.offsets.to_raw(start, end)

    def section_at(self, clean_pos: int) -> Section | None:
        """The section whose span holds ``clean_pos`` (None before the first heading)."""
        for section in self.sections:
            if section.start <= clean_pos < section.end:
                return section
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "file": self.file,
            "raw_sha256": self.raw_sha256,
            "encoding": self.encoding,
            "title": self.title,
            "byline": self.byline,
            "source": self.source,
            "site": self.site,
            "published": self.published,
            "published_source": self.published_source,
            "published_rule": self.published_rule,
            "sections": [
                {
                    "heading": s.heading,
                    "heading_start": s.heading_start,
                    "heading_end": s.heading_end,
                    "start": s.start,
                    "end": s.end,
                }
                for s in self.sections
            ],
            "removed": [{"rule": r.rule, "start": r.start, "end": r.end, "text": r.text} for r in self.removed],
            "repairs": {rule: count for rule, count in self.repairs},
            "text": self.text,
            "offsets": self.offsets.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NormalizedDoc:
        return cls(
            doc=data["doc"],
            text=data["text"],
            offsets=OffsetMap.from_json(data["offsets"]),
            raw_sha256=data["raw_sha256"],
            encoding=data.get("encoding", "utf-8"),
            file=data.get("file", ""),
            title=data.get("title", ""),
            byline=data.get("byline", ""),
            source=data.get("source", ""),
            site=data.get("site", ""),
            published=data.get("published", ""),
            published_source=data.get("published_source", "unknown"),
            published_rule=data.get("published_rule", ""),
            sections=tuple(Section(**s) for s in data.get("sections", [])),
            removed=tuple(Removal(**r) for r in data.get("removed", [])),
            repairs=tuple((k, int(v)) for k, v in data.get("repairs", {}).items()),
        )

    @property
    def file_name(self) -> str:
        """The article's file name in the seeds folder."""
        return self.file or f"{self.doc}.txt"


def load_normalized(path: str | Path) -> NormalizedDoc:
    """Read one ``output/normalized/<doc>.json``; ValueError when it is not a normalized document."""
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except ValueError as exc:
            raise ValueError(f"not a normalized document (invalid JSON: {exc})") from None
    problem = validated(data, NormalizedRecord)
    if problem:
        raise ValueError(f"not a normalized document ({problem})")
    return NormalizedDoc.from_json(data)


# ---------------------------------------------------------------------------------------------
# decoding


class InputProblem(Exception):
    """An article that cannot be read; ``status`` is the report's status column."""

    def __init__(self, status: str, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return b"\x00" in sample or controls > max(2, len(sample) // 100)


def decode_article(data: bytes, max_bytes: int) -> tuple[str, str]:
    """Decode raw bytes into text and the encoding used, or raise :class:`InputProblem`.

    Tries UTF-8 (with or without BOM), UTF-16 with a BOM, then GB18030 (common for Chinese sources;
    accepted only when the result holds Chinese text, because GB18030 decodes almost any bytes).
    Line endings are kept as they are: offsets index the text exactly as stored.
    """
    try:
        check_size(len(data), max_bytes, "file")
    except TextTooLarge as exc:
        raise InputProblem("skipped", str(exc).removeprefix("file ")) from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputProblem("skipped", f"UTF-16 byte-order mark but invalid UTF-16 ({exc.reason})") from None
        encoding = "utf-16"
    else:
        if _looks_binary(data):
            raise InputProblem("skipped", "binary file (NUL or control bytes), not text")
        try:
            text = data.decode("utf-8-sig")
            encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        except UnicodeDecodeError as utf8_error:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                text = ""
            non_ascii = [ch for ch in text if ord(ch) > 127]
            if not non_ascii or sum(1 for ch in non_ascii if _CJK.match(ch)) < 0.8 * len(non_ascii):
                raise InputProblem(
                    "skipped",
                    f"not UTF-8 (invalid byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start}) "
                    "and not UTF-16 or GB18030 either; re-save the file as UTF-8",
                ) from None
            encoding = "gb18030"
    if not text.strip():
        raise InputProblem("skipped", "empty file (no text)")
    return text, encoding


# ---------------------------------------------------------------------------------------------
# the core


def _line_spans(text: str, limit: int | None = None) -> Iterable[tuple[int, int]]:
    """(start, end) of each line, end excluding the line break; the first ``limit`` lines only."""
    pos, count = 0, 0
    while pos <= len(text) and (limit is None or count < limit):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        yield pos, end
        count += 1
        if nl < 0:
            break
        pos = nl + 1


def _cut(et: EditableText, spans: Sequence[tuple[int, int, str]], removed: list[Removal]) -> None:
    """Cut non-overlapping clean spans (start, end, rule) and record their raw spans."""
    edits: list[Edit] = []
    last_end = -1
    for start, end, rule in sorted(spans):
        if start < last_end or end <= start:
            continue
        for raw_start, raw_end in et.raw_pieces(start, end):
            removed.append(Removal(rule, raw_start, raw_end, et.raw[raw_start:raw_end]))
        edits.append(Edit(start, end, ""))
        last_end = end
    et.apply(edits)


def _read_metadata(et: EditableText, rules: NormalizeRuleSet, removed: list[Removal]) -> dict[str, tuple[str, str]]:
    """Fields found in header lines -> (value, rule id); those lines are cut."""
    found: dict[str, tuple[str, str]] = {}
    cuts: list[tuple[int, int, str]] = []
    text = et.text
    for start, end in _line_spans(text, rules.boilerplate.header_lines):
        line = text[start:end]
        fired: list[str] = []
        fields: set[str] = set()
        for rule in rules.boilerplate.metadata:
            if rule.field in fields:
                continue  # one reading of a field per line: the first rule that matches
            match = rules.regex(rule.id, rule.pattern).match(line)
            if not match:
                continue
            fired.append(rule.id)
            fields.add(rule.field)
            groups = match.groupdict()
            if groups.get("value") and rule.field not in found:
                found[rule.field] = (groups["value"].strip(), rule.id)
            if groups.get("source") and "source" not in found:
                found["source"] = (groups["source"].strip(), rule.id)
        if fired:
            cut_end = end + 1 if end < len(text) else end
            cuts.append((start, cut_end, "+".join(fired)))
    _cut(et, cuts, removed)
    return found


def _cut_furniture(et: EditableText, rules: NormalizeRuleSet, removed: list[Removal]) -> None:
    for rule in rules.boilerplate.furniture:
        regex = rules.regex(rule.id, rule.pattern)
        text = et.text
        cuts: list[tuple[int, int, str]] = []
        if rule.scope == "rest":
            match = regex.search(text)
            if match:
                cuts.append((match.start(), len(text), rule.id))
        elif rule.scope == "line":
            for start, end in _line_spans(text):
                if regex.search(text[start:end]):
                    cuts.append((start, end + 1 if end < len(text) else end, rule.id))
        else:
            cuts.extend((m.start(), m.end(), rule.id) for m in regex.finditer(text) if m.end() > m.start())
        _cut(et, cuts, removed)


def _repair_edits(text: str, rule: RepairRule, regex: RulePattern) -> list[Edit]:
    edits: list[Edit] = []
    for match in regex.finditer(text):
        found = match.group()
        if rule.map is not None:
            replacement = rule.map.get(found, found)
        else:
            assert rule.replace is not None
            replacement = match.expand(rule.replace)
        if replacement != found:
            edits.append(Edit(match.start(), match.end(), replacement))
    return edits


def repair_string(text: str, rules: NormalizeRuleSet, phase: str | None = None) -> str:
    """Apply the repair rules to a short string (metadata values, rule examples); no offsets kept."""
    et = EditableText(text)
    _apply_repairs(et, rules, phase)
    return et.text


def _apply_repairs(
    et: EditableText, rules: NormalizeRuleSet, phase: str | None, counts: Counter[str] | None = None
) -> None:
    for rule in rules.normalize.repairs:
        if phase is not None and rule.phase != phase:
            continue
        edits = _repair_edits(et.text, rule, rules.regex(rule.id, rule.pattern))
        if edits:
            et.apply(edits)
            if counts is not None:
                counts[rule.id] += len(edits)


def apply_repair_rule(text: str, rule: RepairRule, rules: NormalizeRuleSet) -> str:
    """One repair rule on a string: what a rule's examples are checked with."""
    et = EditableText(text)
    et.apply(_repair_edits(text, rule, rules.regex(rule.id, rule.pattern)))
    return et.text


def apply_furniture_rule(text: str, rule: FurnitureRule, rules: NormalizeRuleSet) -> str:
    """One furniture rule on a string: what a rule's examples are checked with."""
    only = BoilerplateFile(furniture=[rule], header_lines=0, metadata=[])
    et = EditableText(text)
    _cut_furniture(et, NormalizeRuleSet(rules.normalize, only, rules.paths, rules.compiled), [])
    return et.text


def read_metadata_string(text: str, rules: NormalizeRuleSet) -> tuple[dict[str, str], str]:
    """Metadata fields read from ``text`` (as header lines) and the ids of the rules that fired."""
    removed: list[Removal] = []
    found = _read_metadata(EditableText(text), rules, removed)
    return {name: value for name, (value, _rule) in found.items()}, "+".join(r.rule for r in removed)


def past_years(text: str, pattern: PastYearPattern, rules: NormalizeRuleSet) -> list[int]:
    """Years one inference pattern reads as past in ``text``."""
    return [int(m.group("year")) for m in rules.regex(pattern.id, pattern.pattern).finditer(text)]


def _is_heading(line: str, headings: Headings) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > headings.max_chars or len(stripped.split()) > headings.max_words:
        return False
    return stripped[-1] not in ".!?;:," and (stripped[0].isupper() or stripped[0] in "\"“'‘")


def _find_title_and_sections(text: str, headings: Headings) -> tuple[str, tuple[Section, ...]]:
    lines = [(s, e) for s, e in _line_spans(text) if text[s:e].strip()]
    title = ""
    body = lines
    if lines and _is_heading(text[lines[0][0] : lines[0][1]], headings):
        title = text[lines[0][0] : lines[0][1]].strip()
        body = lines[1:]
    starts: list[tuple[int, int]] = []
    for k, (start, end) in enumerate(body):
        nxt = body[k + 1] if k + 1 < len(body) else None
        if (
            _is_heading(text[start:end], headings)
            and nxt is not None
            and not _is_heading(text[nxt[0] : nxt[1]], headings)
        ):
            starts.append((start, end))
    sections = []
    for k, (start, end) in enumerate(starts):
        section_end = starts[k + 1][0] if k + 1 < len(starts) else len(text)
        sections.append(Section(text[start:end].strip(), start, end, start, section_end))
    return title, tuple(sections)


def infer_published_year(text: str, rules: NormalizeRuleSet) -> tuple[int, str] | None:
    """The latest year the text speaks of as past, plus one, and the rule that found that year."""
    best: tuple[int, str] | None = None
    for pattern in rules.normalize.inference.past_year_patterns:
        for match in rules.regex(pattern.id, pattern.pattern).finditer(text):
            year = int(match.group("year"))
            if best is None or year > best[0]:
                best = (year, pattern.id)
    return (best[0] + 1, best[1]) if best else None


def file_name_date(name: str, pattern: FileNamePattern, rules: NormalizeRuleSet) -> str:
    """The date one file-name pattern reads in ``name`` (``YYYY`` or ``YYYY-MM-DD``), or ``""``."""
    match = rules.regex(pattern.id, pattern.pattern).search(name)
    if match is None:
        return ""
    parts: dict[str, str | None] = match.groupdict()
    year, month, day = str(parts["year"]), parts.get("month"), parts.get("day")
    if month is None or day is None:
        return year
    if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return ""


def date_from_file_name(name: str, rules: NormalizeRuleSet) -> tuple[str, str] | None:
    """The date a file name carries (``2016_ecns_...``, ``report-2021-09-23``) and the rule that read it.
    Analysts often name saved pages by their date; the name is read only when the text states no date,
    and before any inference from the content."""
    for pattern in rules.normalize.inference.file_name_patterns:
        found = file_name_date(name, pattern, rules)
        if found:
            return found, pattern.id
    return None


def parse_published(value: str) -> str | None:
    """A stated date (``2022.07.12``, ``2018-08-09``) as ISO ``YYYY-MM-DD``, parsed with dateparser."""
    import dateparser  # imported here: it takes a second to load and only this step needs it

    parsed = dateparser.parse(
        value.replace(".", "-"),
        languages=["en"],
        settings={"DATE_ORDER": "YMD", "PREFER_DAY_OF_MONTH": "first", "STRICT_PARSING": True},
    )
    return parsed.date().isoformat() if parsed else None


def normalize_text(
    raw: str,
    doc: str = "text",
    rules: NormalizeRuleSet | None = None,
    *,
    raw_sha256: str | None = None,
    encoding: str = "utf-8",
    file: str = "",
) -> NormalizedDoc:
    """Normalize one article's raw text. Pure: the same text and rules give the same document."""
    rules = rules if rules is not None else default_rule_set()
    raw_sha256 = raw_sha256 or hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    raw, blanked = blank_controls(raw)
    et = EditableText(raw)
    removed: list[Removal] = []
    counts: Counter[str] = Counter({CONTROL_REPAIR: blanked})
    _apply_repairs(et, rules, "early", counts)
    metadata = _read_metadata(et, rules, removed)
    _cut_furniture(et, rules, removed)
    _apply_repairs(et, rules, "late", counts)
    text = et.text
    title, sections = _find_title_and_sections(text, rules.normalize.headings)

    published, published_source, published_rule = "", "unknown", ""
    if "published" in metadata:
        value, rule_id = metadata["published"]
        iso = parse_published(value)
        if iso:
            published, published_source, published_rule = iso, "stated", rule_id
    if not published:
        named = date_from_file_name(doc, rules)
        if named:
            published, published_source, published_rule = named[0], "file name", named[1]
    if not published:
        inferred = infer_published_year(text, rules)
        if inferred:
            published, published_source, published_rule = str(inferred[0]), "inferred", inferred[1]

    def meta(name: str) -> str:
        return repair_string(metadata[name][0], rules) if name in metadata else ""

    repair_order = [CONTROL_REPAIR, *(r.id for r in rules.normalize.repairs)]
    return NormalizedDoc(
        doc=doc,
        text=text,
        offsets=et.offset_map(),
        raw_sha256=raw_sha256,
        encoding=encoding,
        file=file,
        title=title,
        byline=meta("byline"),
        source=meta("source"),
        site=meta("site"),
        published=published,
        published_source=published_source,
        published_rule=published_rule,
        sections=sections,
        removed=tuple(sorted(removed, key=lambda r: (r.start, r.end))),
        repairs=tuple((rid, counts[rid]) for rid in repair_order if counts[rid]),
    )


_DEFAULT_RULES: dict[str, NormalizeRuleSet] = {}


def default_rule_set(rules_dir: str | Path = "rules") -> NormalizeRuleSet:
    """The rule set in ``rules_dir``, loaded once per process."""
    key = str(Path(rules_dir).resolve())
    if key not in _DEFAULT_RULES:
        _DEFAULT_RULES[key] = load_rule_set(rules_dir)
    return _DEFAULT_RULES[key]


# ---------------------------------------------------------------------------------------------
# the stage


@dataclass(frozen=True, slots=True)
class ReportRow:
    doc: str
    status: str  #: ok / skipped / ignored
    problem: str


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; its size is checked before it is read (a huge file is never loaded)."""
    try:
        check_size(path.stat().st_size, max_bytes, "file")
        return path.read_bytes()
    except TextTooLarge as exc:
        raise InputProblem("skipped", str(exc).removeprefix("file ")) from None
    except OSError as exc:
        raise InputProblem("skipped", f"cannot read: {exc.strerror or exc}") from None


def read_article(path: Path, max_bytes: int, rules: NormalizeRuleSet) -> NormalizedDoc:
    """Read, decode and normalize one file; raise :class:`InputProblem` when it cannot be read."""
    data = _read_bytes(path, max_bytes)
    text, encoding = decode_article(data, max_bytes)
    return normalize_text(
        text, path.stem, rules, raw_sha256=hashlib.sha256(data).hexdigest(), encoding=encoding, file=path.name
    )


def entry_problem(path: Path) -> InputProblem | None:
    """Why a ``*.txt`` entry of the seeds folder cannot be an article, or None: a directory, a pipe or
    device, a broken symbolic link, or one that leads out of the folder (its target is not the user's
    article: it would land in committed outputs)."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return InputProblem("skipped", "broken symbolic link")
        if not target.is_relative_to(path.parent.resolve()):
            return InputProblem("skipped", "symbolic link to a file outside the seeds folder; copy the article in")
    if path.is_dir():
        return InputProblem("skipped", "a directory, not a file")
    if not path.is_file():
        return InputProblem("skipped", "not a regular file (a pipe, socket or device)")
    return None


def case_collisions(paths: Iterable[Path]) -> dict[Path, str]:
    """Article files (``*.txt``) whose names differ only in case (``a.TXT``, ``a.txt``), with the other names."""
    by_name: dict[str, list[Path]] = {}
    for path in paths:
        if path.name.startswith(".") or path.suffix.lower() != ".txt":
            continue
        by_name.setdefault(path.name.casefold(), []).append(path)
    clashes: dict[Path, str] = {}
    for group in by_name.values():
        if len(group) > 1:
            for path in group:
                clashes[path] = ", ".join(sorted(p.name for p in group if p != path))
    return clashes


def stage_fingerprint(rules: NormalizeRuleSet, max_bytes: int) -> str:
    """Everything besides the article that a normalized document depends on (for the cache)."""
    code = module_sources(
        [
            *imported_modules("pipeline.normalize"),
            "dateparser",
        ]
    )
    return fingerprint([*rules.paths, *code], [f"max_bytes={max_bytes}"])


def run(
    paths: Sequence[Path],
    rules: NormalizeRuleSet,
    max_bytes: int,
    cache: ArticleCache | None = None,
    progress: bool = False,
    clashes: Mapping[Path, str] | None = None,
) -> tuple[list[NormalizedDoc], list[ReportRow]]:
    """Normalize every ``.txt`` file among ``paths``; other files are noted in the report, and so is
    every ``.txt`` entry that cannot be an article (:func:`entry_problem`, names differing only in case).

    With a ``cache``, an article whose bytes, rules and code are unchanged is read back, not redone.
    ``clashes`` (:func:`case_collisions` of the whole folder) is for a caller that passes the folder in
    parts; by default the names are compared among ``paths``.
    """
    docs: list[NormalizedDoc] = []
    report: list[ReportRow] = []
    ordered = sorted(paths, key=lambda p: p.name)
    if clashes is None:
        clashes = case_collisions(ordered)
    for path in tqdm(ordered, desc="normalize", unit="article", disable=not progress):
        if path.name.startswith("."):
            continue
        if path.suffix.lower() != ".txt":
            if not path.is_dir():
                report.append(ReportRow(path.name, "ignored", "not a .txt file; only *.txt articles are read"))
            continue
        problem = entry_problem(path)
        if problem is None and path in clashes:
            problem = InputProblem("skipped", f"name differs only in case from {clashes[path]}; rename one of them")
        if problem is not None:
            report.append(ReportRow(path.name, problem.status, problem.problem))
            continue
        try:
            doc = _read_cached(path, max_bytes, rules, cache)
        except InputProblem as failed:
            report.append(ReportRow(path.stem, failed.status, failed.problem))
            continue
        report.append(ReportRow(doc.doc, "ok", _note(doc)))
        docs.append(doc)
    return docs, report


def _note(doc: NormalizedDoc) -> str:
    """What the report says of an article that was read: how, if not plainly."""
    notes = [] if doc.encoding == "utf-8" else [f"decoded as {doc.encoding}"]
    blanked = dict(doc.repairs).get(CONTROL_REPAIR, 0)
    if blanked:
        notes.append(f"{blanked} control character(s) (NUL ...) blanked")
    longest = max((end - start for start, end in _line_spans(doc.text)), default=0)
    if longest > MAX_WINDOW_CHARS:
        notes.append(f"a line of {longest:,} characters, parsed in windows of {MAX_WINDOW_CHARS:,}")
    return "; ".join(notes)


def _read_cached(path: Path, max_bytes: int, rules: NormalizeRuleSet, cache: ArticleCache | None) -> NormalizedDoc:
    if cache is None:
        return read_article(path, max_bytes, rules)
    data = _read_bytes(path, max_bytes)
    content = f"{path.name}:{hashlib.sha256(data).hexdigest()}"
    hit = cache.get(content, NormalizedRecord)
    if hit is not None:
        return NormalizedDoc.from_json(hit)
    text, encoding = decode_article(data, max_bytes)
    doc = normalize_text(
        text, path.stem, rules, raw_sha256=hashlib.sha256(data).hexdigest(), encoding=encoding, file=path.name
    )
    cache.put(content, doc.to_json())
    return doc


def write_json(path: Path, data: Any) -> None:
    """Deterministic JSON: fixed key order as given, UTF-8, ``\\n`` line endings, final newline."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8", newline="\n")


def write_report(path: Path, rows: Sequence[ReportRow]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["doc", "status", "problem"])
    for row in rows:
        writer.writerow([row.doc, row.status, row.problem])
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="\n")


@dataclass(frozen=True)
class NormalizeJob:
    """The stage's work on a batch of article files, shipped to an engine (:mod:`pipeline.engine`):
    each worker loads the rule set once, writes the normalized JSON of its articles into ``out`` and
    returns their report rows."""

    rules: Path
    max_bytes: int
    out: Path
    cache_dir: str  #: '' turns the per-article cache off; else a folder or fsspec URL every worker reaches
    clashes: Mapping[Path, str]  #: :func:`case_collisions` of the whole folder (a batch sees only its part)

    @property
    def kind(self) -> str:
        return "normalize"

    def resource_key(self) -> str:
        return stage_fingerprint(load_rule_set(self.rules), self.max_bytes)

    def load(self) -> tuple[NormalizeRuleSet, str]:
        rules = load_rule_set(self.rules)
        return rules, stage_fingerprint(rules, self.max_bytes)

    def weight(self, item: Path) -> int:
        return estimated_words(item)

    def name(self, item: Path) -> str:
        return item.stem

    def __call__(self, loaded: tuple[NormalizeRuleSet, str], items: Sequence[Path]) -> BatchResult[ReportRow]:
        rules, stage = loaded
        cache = ArticleCache(self.cache_dir or None, "normalize", stage)
        docs, report = run(items, rules, self.max_bytes, cache, clashes=self.clashes)
        for doc in docs:
            write_json(self.out / f"{doc.doc}.json", doc.to_json())
        return BatchResult(tuple(report), hits=cache.hits, misses=cache.misses)


def report_rows(outcomes: Iterable[Outcome[Path, BatchResult[ReportRow]]], tally: Tally) -> Iterator[ReportRow]:
    """The report in input order; an article whose task failed even alone is reported ``skipped``."""
    for outcome in outcomes:
        if isinstance(outcome, Failed):
            yield ReportRow(outcome.name, "skipped", f"could not be normalized: {outcome.error}")
            continue
        tally.hits += outcome.result.hits
        tally.misses += outcome.result.misses
        yield from outcome.result.rows


def main(argv: Sequence[str] | None = None) -> int:
    params = load_params()
    parser = argparse.ArgumentParser(prog="python -m pipeline.normalize", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=Path(params["paths"]["seeds"]), help="folder of *.txt articles")
    parser.add_argument("--rules", type=Path, default=Path(params["paths"]["rules"]), help="rules folder")
    parser.add_argument("--out", type=Path, default=Path(params["paths"]["normalized"]), help="output folder")
    parser.add_argument(
        "--report", type=Path, default=Path(params["paths"]["output"]) / "normalize_report.csv", help="report CSV"
    )
    parser.add_argument(
        "--max-bytes", type=int, default=int((params.get("normalize") or {}).get("max_bytes", DEFAULT_MAX_BYTES))
    )
    parser.add_argument(
        "--cache",
        default=params.get("cache", {}).get("dir", ".cache"),
        help="per-article cache folder or fsspec URL ('' turns it off)",
    )
    add_engine_arguments(parser, params)
    args = parser.parse_args(argv)

    try:
        load_rule_set(args.rules)
        engine_params = engine_settings(args)
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.seeds.is_dir():
        print(f"error: seeds folder {args.seeds} does not exist", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    paths = sorted(args.seeds.iterdir(), key=lambda p: p.name)
    job = NormalizeJob(args.rules, args.max_bytes, args.out, args.cache or "", case_collisions(paths))
    tally = Tally()
    try:
        with open_engine(engine_params) as engine:
            progress = "normalize" if sys.stderr.isatty() else None
            report = list(report_rows(engine.map(job, paths, progress=progress), tally))
    except (LoadError, EngineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    keep = {f"{row.doc}.json" for row in report if row.status == "ok"}
    for stale in args.out.glob("*.json"):
        if stale.name not in keep:
            stale.unlink()
    args.report.parent.mkdir(parents=True, exist_ok=True)
    write_report(args.report, report)

    for row in report:
        if row.status != "ok":
            print(f"{row.status}: {args.seeds / row.doc}: {row.problem}", file=sys.stderr)
    print(
        f"normalize: {len(keep)} article(s) written to {args.out} ({tally.hits} unchanged, from the cache), "
        f"{len(report) - len(keep)} not read (see {args.report})"
    )
    if not keep:
        print(f"error: no article in {args.seeds} could be read", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # through the importable module: an engine ships pipeline.normalize's job to its workers, which cannot
    # import a class of __main__
    from pipeline.normalize import main as stage_main

    sys.exit(stage_main())
