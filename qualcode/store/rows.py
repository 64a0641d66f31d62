"""Row helpers: packed word and sentence spans, code rows, undo images, touched counts."""

from __future__ import annotations

import json
import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

from ..model import Code, Span
from .schema import _UNDOABLE


def count_touched(units: Sequence[tuple[int, int]], spans: Iterable[Sequence[int]]) -> int:
    """How many ``units`` (sorted, disjoint) at least one of ``spans`` overlaps by a
    character or more."""
    return count_touched_bounds([u[0] for u in units], [u[1] for u in units], spans)


def count_touched_bounds(
    starts: Sequence[int], ends: Sequence[int], spans: Iterable[Sequence[int]]
) -> int:
    """How many units, given as sorted ``starts`` and ``ends`` (disjoint units), at least one
    of ``spans`` (``(start, end)`` pairs, any order) overlaps by a character or more. Each
    span finds the units it touches by bisection; the cost grows with the spans, not with
    the units."""
    return _count_touched_keys(starts, ends, sorted((start << 32) | end for start, end in spans))


def _count_touched_keys(starts: Sequence[int], ends: Sequence[int], keys: Sequence[int]) -> int:
    """:func:`count_touched_bounds` of spans given as sorted keys ``start << 32 | end``."""
    touched = reach = 0
    union_start = union_end = -1
    # Spans that overlap or abut cover the same characters as their union, so only the
    # unions are looked up: far fewer bisections when codings pile up on the same passages.
    for key in keys:
        start, end = key >> 32, key & 0xFFFFFFFF
        if start <= union_end:
            union_end = max(union_end, end)
            continue
        if union_end >= 0:
            first = bisect_right(ends, union_start)  # the first unit ending after it starts
            stop = bisect_left(starts, union_end)  # units from here on start at or after its end
            if stop > reach and first < stop:
                touched += stop - max(reach, first)
                reach = stop
        union_start, union_end = start, end
    if union_end >= 0:
        first = bisect_right(ends, union_start)
        stop = bisect_left(starts, union_end)
        if stop > reach and first < stop:
            touched += stop - max(reach, first)
    return touched


def _restore_rows(conn: sqlite3.Connection, changes: Sequence[dict], state: str) -> None:
    """Make each changed row its ``state`` image ("before" or "after"; None: no row), as
    applying ``changes`` one by one in this order would, in a few statements per table. A
    coding changed in place is updated in the columns that differ (its indexes move only
    for those); other rows are removed, then written back, so that a value moving between
    rows (a code's id, a favourite key) never meets itself."""
    other = "after" if state == "before" else "before"
    final: dict[tuple[str, Any], tuple[dict | None, dict | None]] = {}
    for change in changes:
        key = (change["table"], change["key"])
        now = final[key][0] if key in final else change[other]
        final[key] = (now, change[state])
    removed: dict[str, list[tuple[Any]]] = {}
    updated: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    written: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    for (table, key), (now, image) in final.items():
        if table == "codings" and now is not None and image is not None:
            columns = tuple(c for c in image if image[c] != now.get(c))
            if columns:
                updated.setdefault(columns, []).append((*(image[c] for c in columns), key))
            continue
        removed.setdefault(table, []).append((key,))
        if image is not None:
            written.setdefault((table, tuple(image)), []).append(tuple(image.values()))
    for table, keys in removed.items():
        conn.executemany(f"DELETE FROM {table} WHERE {_UNDOABLE[table]} = ?", keys)
    for columns, rows in updated.items():
        assignments = ", ".join(f"{column} = ?" for column in columns)
        conn.executemany(f"UPDATE codings SET {assignments} WHERE id = ?", rows)
    for (table, columns), rows in written.items():
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            rows,
        )


def _compact(change: dict) -> dict:
    """A change as the undo log keeps it: a row changed in place as its image before and
    the columns it set (``set``), not as two whole images (see :func:`_expanded`)."""
    before, after = change["before"], change["after"]
    if before is None or after is None or set(before) != set(after):
        return change
    return {
        "table": change["table"],
        "key": change["key"],
        "before": before,
        "set": {c: v for c, v in after.items() if before[c] != v},
    }


def _expanded(change: dict) -> dict:
    """A logged change with its image after, as :func:`_compact` left it out."""
    if "set" not in change:
        return change
    return {
        "table": change["table"],
        "key": change["key"],
        "before": change["before"],
        "after": {**change["before"], **change["set"]},
    }


_CODE_COLUMNS = (
    "id, parent_id, position, label, label_en, color, description, include, "
    "exclude, examples, keywords, rules"
)
_CODE_MARKS = ", ".join("?" * len(_CODE_COLUMNS.split(",")))


def _code_row(code: Code, parent_id: str | None, position: int) -> tuple:
    rules: dict[str, object] = {"match": code.match} if code.match != "word" else {}
    if code.patterns:
        rules["patterns"] = code.patterns
    if code.token_patterns:
        rules["token_patterns"] = code.token_patterns
    return (
        code.id,
        parent_id,
        position,
        code.label,
        code.label_en,
        code.color,
        code.description,
        code.include,
        code.exclude,
        json.dumps(code.examples, ensure_ascii=False),
        json.dumps(code.keywords, ensure_ascii=False),
        json.dumps(rules, ensure_ascii=False),
    )


def code_image(code: Code, parent_id: str | None, position: int) -> dict[str, Any]:
    """A code as a row image of the codes table (see :meth:`Project.row_images`)."""
    columns = [name.strip() for name in _CODE_COLUMNS.split(",")]
    return dict(zip(columns, _code_row(code, parent_id, position), strict=True))


# Word boundaries and sentence spans are stored compactly as int32 arrays.


def _pack_ends(words: Iterable[Span]) -> bytes:
    return array("i", (w.end for w in words)).tobytes()


def _ints(packed: bytes | array) -> array:
    """An int32 array as it is, or unpacked from its bytes."""
    return packed if isinstance(packed, array) else _unpack_ends(packed)


def _unpack_ends(blob: bytes) -> array:
    ends = array("i")
    ends.frombytes(blob)
    return ends


def _pack_spans(spans: Iterable[tuple[int, int, int]]) -> bytes:
    return array("i", (n for span in spans for n in span)).tobytes()


def _unpack_spans(blob: bytes) -> list[tuple[int, int, int]]:
    flat = _unpack_ends(blob)
    return [tuple(flat[i : i + 3]) for i in range(0, len(flat), 3)]  # type: ignore[misc]


# Codings brought in from another copy of a project (``Project.import_codings``).
