"""Score a claims table against the gold cross-document groups (``tests/gold/seeds_groups.csv``).

Pure functions over plain rows (``dict[str, str]``), shared by the consolidate tests and the evaluate
stage. A gold group member (``doc, quote, occurrence``) is located in the raw article (the
``occurrence``-th match of ``quote``), then matched to the predicted mention of the same doc whose raw
span overlaps it most (mentions.csv ``doc, start, end``); the claim rows holding that mention are the
rows whose ``sources`` (``doc:start-end`` joined by ``;``) list its span.

Figures:

- duplicate pairs: every pair of members of a gold ``duplicate`` group; *together* when some claim row
  lists both; ``duplicate_pair_recall`` = together / pairs (members not found count as apart).
- gold conflict groups: *found* when two of its members sit in two different claim rows with
  ``status=conflict``, the same ``conflict_group`` and a non-empty ``reason``.
- predicted conflict groups (distinct ``conflict_group`` of ``status=conflict`` rows): *false* when no
  gold conflict group has members in two different rows of it.
- gold timeseries pairs: *flagged* when both members sit in rows of one predicted conflict group,
  *merged* when one row holds both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

__all__ = ["locate_quote", "score_groups"]

Span = tuple[str, int, int]


def locate_quote(raw: str, quote: str, occurrence: int = 1) -> tuple[int, int] | None:
    """Half-open span of the ``occurrence``-th (1-based) match of ``quote`` in ``raw``, or None."""
    position = -1
    for _ in range(max(occurrence, 1)):
        position = raw.find(quote, position + 1)
        if position < 0:
            return None
    return position, position + len(quote)


def _source_key(doc: str, start: int, end: int) -> str:
    return f"{doc}:{start}-{end}"


def score_groups(
    claims_rows: Sequence[Mapping[str, str]],
    mentions_rows: Sequence[Mapping[str, Any]],
    gold_groups_rows: Sequence[Mapping[str, str]],
    raw_texts: Mapping[str, str],
) -> dict[str, Any]:
    """Duplicate-pair recall and conflict/timeseries figures; see the module docstring."""
    mentions_by_doc: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in mentions_rows:
        mentions_by_doc[str(row["doc"])].append((int(row["start"]), int(row["end"])))

    rows_by_source: dict[str, list[int]] = defaultdict(list)
    for number, claim in enumerate(claims_rows):
        for source in filter(None, (claim.get("sources") or "").split(";")):
            rows_by_source[source].append(number)

    unlocated: list[str] = []
    unmatched: list[str] = []

    def rows_of(member: Mapping[str, str]) -> set[int]:
        doc, quote = member["doc"], member["quote"]
        occurrence = int(member.get("occurrence") or 1)
        label = f"{doc}:{quote}#{occurrence}"
        span = locate_quote(raw_texts.get(doc, ""), quote, occurrence)
        if span is None:
            unlocated.append(label)
            return set()
        best: tuple[int, int, int] | None = None
        for start, end in mentions_by_doc.get(doc, ()):
            overlap = min(end, span[1]) - max(start, span[0])
            if overlap > 0 and (best is None or (-overlap, start, end) < (-best[0], best[1], best[2])):
                best = (overlap, start, end)
        if best is None:
            unmatched.append(label)
            return set()
        return set(rows_by_source.get(_source_key(doc, best[1], best[2]), ()))

    groups: dict[str, list[Mapping[str, str]]] = defaultdict(list)
    relation: dict[str, str] = {}
    for row in gold_groups_rows:
        groups[row["group"]].append(row)
        relation[row["group"]] = row["relation"]
    member_rows = {name: [rows_of(m) for m in members] for name, members in sorted(groups.items())}

    def label(m: Mapping[str, str]) -> str:
        return f"{m['doc']}:{m['quote']}#{m.get('occurrence') or 1}"

    pairs = together = 0
    missed: list[str] = []
    ts_pairs = ts_flagged = ts_merged = 0
    ts_problems: list[str] = []
    conflict_gold = 0
    found: list[str] = []
    missed_conflicts: list[str] = []
    conflict_row = {
        n: c.get("conflict_group", "")
        for n, c in enumerate(claims_rows)
        if c.get("status") == "conflict" and c.get("conflict_group")
    }
    reason_ok = {n for n in conflict_row if claims_rows[n].get("reason")}
    predicted_groups = sorted(set(conflict_row.values()))
    matched_predicted: set[str] = set()

    for name, members in sorted(groups.items()):
        rows = member_rows[name]
        kind = relation[name]
        if kind == "duplicate":
            for (ma, ra), (mb, rb) in combinations(zip(members, rows, strict=True), 2):
                pairs += 1
                if ra & rb:
                    together += 1
                else:
                    missed.append(f"{name}: {label(ma)} / {label(mb)}")
        elif kind == "timeseries":
            for (ma, ra), (mb, rb) in combinations(zip(members, rows, strict=True), 2):
                ts_pairs += 1
                groups_a = {conflict_row[r] for r in ra if r in conflict_row}
                groups_b = {conflict_row[r] for r in rb if r in conflict_row}
                if groups_a & groups_b:
                    ts_flagged += 1
                    ts_problems.append(f"{name}: flagged {label(ma)} / {label(mb)}")
                if ra & rb:
                    ts_merged += 1
                    ts_problems.append(f"{name}: merged {label(ma)} / {label(mb)}")
        elif kind == "conflict":
            conflict_gold += 1
            hit = False
            for ra, rb in combinations(rows, 2):
                for a in ra:
                    for b in rb:
                        if a != b and a in conflict_row and conflict_row.get(b) == conflict_row[a]:
                            matched_predicted.add(conflict_row[a])
                            if a in reason_ok and b in reason_ok:
                                hit = True
            (found if hit else missed_conflicts).append(name)

    false_groups = [g for g in predicted_groups if g not in matched_predicted]
    return {
        "duplicate_pairs": pairs,
        "duplicate_pairs_together": together,
        "duplicate_pair_recall": together / pairs if pairs else 1.0,
        "duplicate_pairs_missed": missed,
        "conflict_groups_gold": conflict_gold,
        "conflict_groups_found": len(found),
        "conflict_groups_found_names": found,
        "conflict_groups_missed_names": missed_conflicts,
        "conflict_groups_predicted": len(predicted_groups),
        "conflict_groups_false": len(false_groups),
        "conflict_groups_false_ids": false_groups,
        "timeseries_pairs": ts_pairs,
        "timeseries_pairs_flagged": ts_flagged,
        "timeseries_pairs_merged": ts_merged,
        "timeseries_problems": ts_problems,
        "gold_members_unlocated": unlocated,
        "gold_members_unmatched": unmatched,
    }
