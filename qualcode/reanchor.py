"""Re-anchor codings when a transcript's text changes: diff the old and new text, move each coding.

A researcher fixes a typo in a transcript, or adds a passage, and imports the file again. Each
coding of the old text is carried onto the new text through the diff of the two:

* ``stayed``: same offsets, same text;
* ``moved``: same text at new offsets (text was added or removed before it, or its passage was
  moved elsewhere and occurs exactly once in the new text);
* ``changed``: placed, but its text differs (an edit inside it); the characters inserted or
  rewritten between its surviving characters become part of it;
* ``unplaced``: fewer than half of its characters survive (its text was deleted or rewritten).
  The store keeps such a coding, with its original offsets and text, for the researcher to
  place again; it is never dropped.

The diff is :class:`difflib.SequenceMatcher` applied first to lines, then to phrases (runs
ending at punctuation or whitespace) inside changed blocks of lines, then to characters
(``autojunk=False``: 的 and ， must match like any character) inside changed blocks of phrases,
so long texts with a few edits diff quickly. The line and phrase passes keep difflib's
``autojunk``: a line or phrase that makes up over 1% of the text (blank lines, 嗯。) anchors no
match there but is matched again by the finer passes; without it a 300,000-character
transcript with 300 edits took 3.5 s instead of 0.7 s. A changed block too large to diff by
character is treated as rewritten as a whole.

Pure functions over strings and offsets: nothing here touches the store.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Outcome = Literal["stayed", "moved", "changed", "unplaced"]
Opcode = tuple[str, int, int, int, int]
"""As difflib's: ``(tag, i1, i2, j1, j2)``, ``old[i1:i2]`` became ``new[j1:j2]``."""

CHAR_DIFF_LIMIT = 4_000_000
"""Largest ``len(old_block) * len(new_block)`` diffed character by character (about 2,000 by
2,000 characters); a larger changed block after the line and phrase passes counts as rewritten."""

MIN_SEARCH_LENGTH = 4
"""A coding's text shorter than this is not searched for elsewhere in the new text: short
strings recur by chance."""

_PHRASE_RE = re.compile(r".+?(?:[。！？!?；;，,、：:…\s]+|\Z)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a coding goes in the new text. For ``unplaced``, ``[start, end)`` is one character
    at the place its text was (a valid span of the new text, so the coding stays storable)."""

    outcome: Outcome
    start: int
    end: int


@dataclass(slots=True)
class ReanchorReport:
    """How many codings of one transcript stayed, moved, changed or could not be placed."""

    stayed: int = 0
    moved: int = 0
    changed: int = 0
    unplaced: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def total(self) -> int:
        return self.stayed + self.moved + self.changed + self.unplaced

    def __str__(self) -> str:
        return (
            f"{self.stayed} stayed, {self.moved} moved, {self.changed} changed, "
            f"{self.unplaced} unplaced"
        )


# --- diffing --------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _phrases(text: str) -> list[str]:
    return _PHRASE_RE.findall(text)


_LEVELS: tuple[Callable[[str], list[str]], ...] = (_lines, _phrases)


def diff_texts(old: str, new: str) -> list[Opcode]:
    """Opcodes turning ``old`` into ``new``, contiguous over both texts (as difflib's)."""
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old[prefix:], new[prefix:])
    opcodes: list[Opcode] = []
    if prefix:
        opcodes.append(("equal", 0, prefix, 0, prefix))
    _refine(
        old[prefix : len(old) - suffix], new[prefix : len(new) - suffix], prefix, prefix, 0, opcodes
    )
    if suffix:
        opcodes.append(("equal", len(old) - suffix, len(old), len(new) - suffix, len(new)))
    return _merged(opcodes)


def _refine(a: str, b: str, a0: int, b0: int, level: int, out: list[Opcode]) -> None:
    """Diff ``a`` (at ``a0`` in the old text) against ``b`` (at ``b0`` in the new) at ``level``
    (lines, phrases, characters), refining changed blocks at the next level."""
    if not a and not b:
        return
    if not a or not b:
        out.append(("insert" if not a else "delete", a0, a0 + len(a), b0, b0 + len(b)))
        return
    if level == len(_LEVELS):
        if len(a) * len(b) > CHAR_DIFF_LIMIT:
            out.append(("replace", a0, a0 + len(a), b0, b0 + len(b)))
            return
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            out.append((tag, a0 + i1, a0 + i2, b0 + j1, b0 + j2))
        return
    tokens_a, tokens_b = _LEVELS[level](a), _LEVELS[level](b)
    at_a, at_b = _offsets(tokens_a), _offsets(tokens_b)
    matcher = SequenceMatcher(None, tokens_a, tokens_b)  # autojunk: see the module docstring
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        c1, c2, d1, d2 = at_a[i1], at_a[i2], at_b[j1], at_b[j2]
        if tag == "replace":
            _refine(a[c1:c2], b[d1:d2], a0 + c1, b0 + d1, level + 1, out)
        else:
            out.append((tag, a0 + c1, a0 + c2, b0 + d1, b0 + d2))


def _offsets(tokens: list[str]) -> list[int]:
    offsets = [0]
    for token in tokens:
        offsets.append(offsets[-1] + len(token))
    return offsets


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:  # binary search with slice comparisons: fast in C even for megabytes
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def _merged(opcodes: list[Opcode]) -> list[Opcode]:
    """Adjacent opcodes of the same tag joined, empty ones dropped."""
    merged: list[Opcode] = []
    for op in opcodes:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if merged and merged[-1][0] == op[0]:
            tag, i1, _, j1, _ = merged[-1]
            merged[-1] = (tag, i1, op[2], j1, op[4])
        else:
            merged.append(op)
    return merged


# --- placing codings ------------------------------------------------------------------------


STRAY_RUN = 2
"""Longest run of a coding's characters at either end that is let go when the diff matched it
beyond more inserted text than it holds itself."""

_Run = tuple[int, int, int, int]  # new start, new end, old start, old end of surviving text


def _without_stray_ends(runs: list[_Run], old: str, new: str) -> list[_Run]:
    """``runs`` of a span's surviving characters, in order, without a short run at either end
    that the diff matched past inserted text longer than itself (a final 。 matched to the 。
    that ends two lines inserted after the coding would stretch the coding over them); such a
    run is put back right beside the others when the new text has its characters there. Text
    inserted inside a coding next to its ends stays in it (``上面。`` → ``上面呢。``)."""
    while (
        len(runs) > 1
        and (size := runs[-1][1] - runs[-1][0]) <= STRAY_RUN
        and runs[-1][0] - runs[-2][1] > size
    ):
        *runs, (_, _, i1, i2) = runs
        if new[runs[-1][1] : runs[-1][1] + size] == old[i1:i2]:
            runs.append((runs[-1][1], runs[-1][1] + size, i1, i2))
            break
    while (
        len(runs) > 1
        and (size := runs[0][1] - runs[0][0]) <= STRAY_RUN
        and runs[1][0] - runs[0][1] > size
    ):
        (_, _, i1, i2), *runs = runs
        if runs[0][0] >= size and new[runs[0][0] - size : runs[0][0]] == old[i1:i2]:
            runs.insert(0, (runs[0][0] - size, runs[0][0], i1, i2))
            break
    return runs


class Anchorer:
    """Places spans of ``old`` onto ``new`` through their diff (computed here unless given)."""

    def __init__(self, old: str, new: str, opcodes: list[Opcode] | None = None):
        if not new:
            raise ValueError("the new text is empty: there is nowhere to place codings")
        self.old, self.new = old, new
        self.opcodes = diff_texts(old, new) if opcodes is None else opcodes
        self._ends = [op[2] for op in self.opcodes]

    def place(self, start: int, end: int, original_text: str | None = None) -> Placement:
        """Where the old span ``[start, end)`` goes. ``original_text`` is the text a coding
        had before an earlier re-import left it unplaced: it is only searched for."""
        if original_text is not None:
            return self._search(original_text) or self._unplaced(start)
        runs: list[_Run] = []  # where its surviving characters are, in order
        first, last = len(self.new), -1
        for tag, i1, i2, j1, j2 in self._overlapping(start, end):
            if tag == "equal":
                low, high = max(start, i1), min(end, i2)
                runs.append((j1 + low - i1, j1 + high - i1, low, high))
            elif tag == "replace" and start <= i1 and i2 <= end and j2 > j1:
                first, last = min(first, j1), max(last, j2)  # rewritten wholly inside it
        runs = _without_stray_ends(runs, self.old, self.new)
        kept = sum(high - low for low, high, _, _ in runs)
        if runs:
            first, last = min(first, runs[0][0]), max(last, runs[-1][1])
        old_text = self.old[start:end]
        if 2 * kept >= end - start and first < last:
            if self.new[first:last] != old_text:
                return Placement("changed", first, last)
            return Placement("stayed" if (first, last) == (start, end) else "moved", first, last)
        return self._search(old_text) or self._unplaced(start)

    def _overlapping(self, start: int, end: int) -> Iterable[Opcode]:
        index = bisect_right(self._ends, start)
        while index < len(self.opcodes) and self.opcodes[index][1] < end:
            yield self.opcodes[index]
            index += 1

    def _search(self, text: str) -> Placement | None:
        """The one place ``text`` occurs in the new text, if it occurs exactly once."""
        if len(text) < MIN_SEARCH_LENGTH:
            return None
        found = self.new.find(text)
        if found < 0 or self.new.find(text, found + 1) >= 0:
            return None
        return Placement("moved", found, found + len(text))

    def _unplaced(self, start: int) -> Placement:
        position = self.map_position(start)
        position = min(position, len(self.new) - 1)
        return Placement("unplaced", position, position + 1)

    def map_position(self, position: int) -> int:
        """The position in the new text where old ``position`` is, or where its text was."""
        index = bisect_right(self._ends, position)
        while index < len(self.opcodes):
            tag, i1, _, j1, _ = self.opcodes[index]
            if tag != "insert":  # text inserted at the position belongs after it
                return j1 + (position - i1 if tag == "equal" else 0)
            index += 1
        return len(self.new)
