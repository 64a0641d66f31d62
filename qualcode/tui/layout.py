"""Where a transcript's characters go on screen and where the caret is: plain classes the
transcript view draws from, testable without an app (as Textual keeps `WrappedDocument` and
`DocumentNavigator` apart from `TextArea`). No Textual here.

- `wrap` / `WrappedLayout`: visual lines of the text wrapped to a width in terminal cells.
  The layout is built from the top only as far as something asks (drawing a line, finding
  the line of an offset); `extend` wraps more in slices, so a worker can finish the index
  while the first screen is already shown. Lines already built never change number.
- `SpanIndex`: spans (codings, search hits, speaker labels) found by the range they touch.
- `Units`, `Words`: sorted spans the caret moves among; `Words` skips whitespace words as it
  goes instead of filtering two million words at load.
- `Caret`: cursor, anchor and visual mode; motions by sentence, word, character and turn;
  the selection snapped outward to words and grapheme clusters.

Offsets are code-point indices into the stored text; columns are cells (a Chinese character
takes two, never `len()`), and a grapheme cluster is never split.
"""

from __future__ import annotations

import operator
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import NamedTuple

import regex
from rich.cells import cell_len

from qualcode.model import Span, Turn

__all__ = [
    "Caret",
    "ClusterInfo",
    "Motion",
    "SpanIndex",
    "Units",
    "Words",
    "WrappedLayout",
    "cluster_at",
    "measure",
    "wrap",
]

# One extended grapheme cluster: what a reader sees as one character.
CLUSTER = regex.compile(r"\X")

# Line-breaking classes (bit flags) of a cluster.
_WORD = 1  # printable ASCII other than space: no break inside "App", "4G", "law.coa.gov.tw"
_NO_START = 2  # closing punctuation must not begin a line (Chinese kinsoku rule)
_NO_END = 4  # opening punctuation must not end a line
_NO_START_CHARS = frozenset("，。、；：？！」』）》〉】〕］｝…—～·％,.;:?!)]}%”’")
_NO_END_CHARS = frozenset("「『（《〈【〔［｛([{“‘")
# rich measures these specially across a string; a cluster holding one gets its own
# segment so that every segment's cell_len is the sum of its clusters' widths.
_JOINERS = ("\u200d", "\ufe0f")


class ClusterInfo(NamedTuple):
    width: int  # cells
    display: str  # what is drawn (control and zero-width clusters become a space)
    kind: int  # line-breaking flags
    isolate: bool  # draw as its own segment


INFO: dict[str, ClusterInfo] = {}


def measure(cluster: str) -> ClusterInfo:
    """Width and drawing of one grapheme cluster, memoised (a transcript has few distinct ones)."""
    info = INFO.get(cluster)
    if info is not None:
        return info
    width = cell_len(cluster)
    display = cluster
    if width <= 0 or any(unicodedata.category(ch) == "Cc" for ch in cluster):
        # Tabs, control codes and lone zero-width marks would corrupt the terminal or be
        # invisible; one blank cell keeps their offset reachable by the cursor.
        width, display = 1, " "
    kind = 0
    if cluster.isascii() and cluster.isprintable() and cluster != " ":
        kind |= _WORD
    if cluster in _NO_START_CHARS:
        kind |= _NO_START
    if cluster in _NO_END_CHARS:
        kind |= _NO_END
    info = ClusterInfo(width, display, kind, any(j in cluster for j in _JOINERS))
    INFO[cluster] = info
    return info


def _plain(ch: str) -> bool:
    """True for characters that always form a cluster of their own (Grapheme_Cluster_Break
    Other): printable ASCII, CJK ideographs and punctuation, full-width forms."""
    c = ord(ch)
    return (
        0x20 <= c < 0x7F
        or 0x4E00 <= c <= 0x9FFF
        or 0x3000 <= c <= 0x3029  # 302A-302F are combining tone marks
        or 0x3030 <= c <= 0x303F
        or 0xFF01 <= c <= 0xFF60
    )


def cluster_at(text: str, offset: int) -> tuple[int, int]:
    """Start and end of the grapheme cluster holding `offset` (`(n, n)` at or past the end).

    Segments from a nearby point where a cluster must end (after a newline, or between two
    plain characters), not from the start of the paragraph.
    """
    n = len(text)
    if offset >= n:
        return n, n
    offset = max(0, offset)
    lo = max(0, offset - 64)
    p = offset
    while p > lo:
        before = text[p - 1]
        if before == "\n" or (_plain(before) and _plain(text[p])):
            break
        p -= 1
    else:
        if p > 0:
            p = text.rfind("\n", 0, offset) + 1
    for m in CLUSTER.finditer(text, p):
        if m.end() > offset:
            return m.start(), m.end()
    return n, n  # pragma: no cover - \X matches every code point


# ---------------------------------------------------------------------------- wrapping


def wrap(
    text: str, width: int, start: int = 0, limit: int | None = None
) -> tuple[list[int], list[int], int]:
    """Wrap `text` to `width` cells from `start` (the start of a hard line, i.e. 0 or just
    after a `\\n`), hard line by hard line, stopping after the hard line that reaches offset
    `limit` (or at the end of the text).

    Returns the start and end offset of every visual line (an end excludes its `\\n`), and
    where to go on: the start of the next hard line, or -1 when the text is done. Lines break
    at `\\n`, otherwise between grapheme clusters, preferring not to split an ASCII word or to
    start a line with closing punctuation; a line never holds more than `width` cells (given
    width >= 2). The text's final newline ends the last line; it opens no empty one.
    """
    starts: list[int] = []
    ends: list[int] = []
    findall = CLUSTER.findall
    info_get = INFO.get
    n = len(text)
    line = start
    while True:
        stop = text.find("\n", line)
        if stop < 0:
            stop = n
        if (stop - line) * 2 <= width:
            # No cluster is wider than two cells per code point: the line fits.
            starts.append(line)
            ends.append(stop)
        else:
            begin = line  # start of the visual line being filled
            col = 0
            off = line
            brk = -1  # last offset where a break is allowed, and the column there
            brk_col = 0
            prev_kind = _NO_END
            for cluster in findall(text, line, stop):
                info = info_get(cluster) or measure(cluster)
                w = info.width
                kind = info.kind
                if (
                    off > begin
                    and not (prev_kind & kind & _WORD)
                    and not (kind & _NO_START)
                    and not (prev_kind & _NO_END)
                ):
                    brk = off
                    brk_col = col
                while col + w > width and off > begin:
                    if brk > begin:
                        cut, cut_col = brk, brk_col
                    else:
                        cut, cut_col = off, col
                    starts.append(begin)
                    ends.append(cut)
                    begin = cut
                    col -= cut_col
                    brk = -1
                col += w
                off += len(cluster)  # code points, to keep offsets; columns are in col
                prev_kind = kind
            starts.append(begin)
            ends.append(stop)
        if stop >= n - 1:
            return starts, ends, -1
        line = stop + 1
        if limit is not None and line > limit:
            return starts, ends, line


class WrappedLayout:
    """The visual lines of one text at one width, built from the top as far as asked.

    `starts`/`ends` hold the lines built so far; they only ever grow at the end, so a line's
    number, once known, stays. Asking for a line or an offset past what is built wraps up to
    it; `extend` wraps a slice more (a worker calls it, or `wrap` itself, to finish).
    """

    CHUNK = 50_000
    """Code points wrapped per step when wrapping up to a far line or offset."""

    def __init__(self, text: str, width: int) -> None:
        self.text = text
        self.width = max(2, width)
        self.starts: list[int] = []
        self.ends: list[int] = []
        self._next = 0  # start of the next hard line to wrap; -1 once all are

    @property
    def complete(self) -> bool:
        """True once every line is built (and `line_count` is exact)."""
        return self._next < 0

    @property
    def wrapped_to(self) -> int:
        """Offsets below this have their lines built (the next hard line to wrap, or the
        end of the text plus one once complete)."""
        return len(self.text) + 1 if self._next < 0 else self._next

    @property
    def line_count(self) -> int:
        """Visual lines: exact once complete, before that the lines built plus an estimate
        for the rest, from the lines per code point seen so far."""
        built = len(self.starts)
        if self._next < 0:
            return built
        rest = len(self.text) - self._next
        if self._next > 0 and built:
            return built + max(1, -(-rest * built // self._next))
        return built + max(1, self.text.count("\n", self._next) + rest * 2 // self.width)

    def extend(self, chars: int = CHUNK) -> bool:
        """Wrap whole hard lines covering at least `chars` more code points; True when done."""
        if self._next >= 0:
            starts, ends, self._next = wrap(
                self.text, self.width, self._next, self._next + max(1, chars)
            )
            self.starts += starts
            self.ends += ends
        return self._next < 0

    def merge(self, starts: list[int], ends: list[int], start: int, next_start: int) -> None:
        """Take lines wrapped elsewhere (in a worker, by `wrap` from hard line `start` on, at
        this width); lines built here meanwhile are kept, the rest appended."""
        if self._next < 0 or start > self._next:
            return
        i = bisect_left(starts, self._next)
        self.starts += starts[i:]
        self.ends += ends[i:]
        self._next = next_start

    def cover_offset(self, offset: int) -> None:
        """Build lines until the one showing `offset` is built."""
        while 0 <= self._next <= offset:
            self.extend(max(self.CHUNK, offset - self._next + 1))

    def cover_line(self, y: int) -> None:
        """Build lines until line `y` is built (or the text is done)."""
        while self._next >= 0 and len(self.starts) <= y:
            # A full line holds at least width/2 code points: this covers the lines
            # missing about twice over, without wrapping far past them.
            self.extend(max(4 * self.width, (y + 1 - len(self.starts)) * self.width))

    def line_of(self, offset: int) -> int:
        """The visual line showing `offset` (its newline belongs to the line it ends)."""
        self.cover_offset(offset)
        return max(0, bisect_right(self.starts, offset) - 1)

    def built_line_of(self, offset: int) -> int | None:
        """Like `line_of`, but None instead of wrapping when that line is not built yet."""
        if 0 <= self._next <= offset or not self.starts:
            return None
        return max(0, bisect_right(self.starts, offset) - 1)

    def line(self, y: int) -> tuple[int, int] | None:
        """Start and end offset of visual line `y`, or None past the last line."""
        self.cover_line(y)
        if 0 <= y < len(self.starts):
            return self.starts[y], self.ends[y]
        return None

    def owned(self, y: int) -> tuple[int, int]:
        """The offsets line `y` shows, its trailing newline included: from its start to the
        next line's start (what a span must reach for the line to show it)."""
        self.cover_line(y + 1)
        following = self.starts[y + 1] if y + 1 < len(self.starts) else self.wrapped_to
        return self.starts[y], following

    def is_hard_end(self, y: int) -> bool:
        """True when line `y` ends at a newline or the end of the text (not soft-wrapped)."""
        self.cover_line(y + 1)
        return y + 1 >= len(self.starts) or self.starts[y + 1] == self.ends[y] + 1


# ---------------------------------------------------------------------------- spans by line


class SpanIndex:
    """Spans found by the range they touch: `touching(a, b)` gives, in input order, the
    positions of the spans holding any of `[a, b)`. Sorted starts and the longest span's
    length bound the search, so a line asks about its neighbours only."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        spans = list(spans)
        order = sorted(range(len(spans)), key=lambda i: spans[i][0])
        self._order = order
        self._starts = [spans[i][0] for i in order]
        self._ends = [spans[i][1] for i in order]
        self._longest = max((e - s for s, e in spans), default=0)

    def __len__(self) -> int:
        return len(self._order)

    def touching(self, start: int, end: int) -> list[int]:
        """Positions (in the order given) of the spans `[s, e)` with `s < end` and `e > start`."""
        lo = bisect_right(self._starts, start - self._longest)
        hi = bisect_left(self._starts, end)
        ends, order = self._ends, self._order
        return sorted(order[i] for i in range(lo, hi) if ends[i] > start)


# ---------------------------------------------------------------------------- units and caret


class _WordStarts(Sequence[int]):
    """Word starts from word ends that tile the text, without building a second array."""

    def __init__(self, ends: Sequence[int]) -> None:
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):  # type: ignore[override]
        return self._ends[i - 1] if i > 0 else 0


class Units:
    """Sorted, disjoint spans the caret moves among (sentences, turn bodies, words), given as
    parallel `starts` and `ends`. Targets are moved onto grapheme-cluster boundaries (jieba
    cuts emoji sequences into pieces; the caret never lands inside one)."""

    def __init__(self, text: str, starts: Sequence[int], ends: Sequence[int]) -> None:
        self.text = text
        self.starts = starts
        self.ends = ends

    def skip(self, i: int) -> bool:
        """True when unit `i` is no stop for the caret."""
        return False

    def after(self, points: Sequence[int], offset: int) -> int | None:
        """The first of `points` (the starts or the ends) after `offset`, moved forward to a
        cluster boundary."""
        i = bisect_right(points, offset)
        while i < len(points):
            if not self.skip(i):
                point = points[i]
                start, end = cluster_at(self.text, point)
                point = point if start == point else end
                if point > offset:
                    return point
            i += 1
        return None

    def before(self, points: Sequence[int], offset: int) -> int | None:
        """The last of `points` before `offset`, moved back to a cluster start."""
        i = bisect_left(points, offset) - 1
        while i >= 0:
            if not self.skip(i):
                point = cluster_at(self.text, points[i])[0]
                if point < offset:
                    return point
            i -= 1
        return None

    def end_before(self, offset: int) -> int | None:
        """Where a fresh backward selection from `offset` is anchored: at a unit's start or
        in a gap, the end of the previous unit (so a speaker label between two sentences is
        not swept in); None inside a unit."""
        starts, ends = self.starts, self.ends
        i = bisect_right(starts, offset) - 1
        while i >= 0 and self.skip(i):
            i -= 1
        if i < 0 or not (offset == starts[i] or offset >= ends[i]):
            return None
        j = i - 1 if offset == starts[i] else i
        while j >= 0 and self.skip(j):
            j -= 1
        if j >= 0 and ends[j] <= offset:
            return ends[j]
        return None


class Words(Units):
    """The words of a text from their end offsets (they tile the text); words of whitespace
    only are skipped as the caret meets them."""

    def __init__(self, text: str, ends: Sequence[int]) -> None:
        super().__init__(text, _WordStarts(ends), ends)

    def skip(self, i: int) -> bool:
        ends = self.ends
        return self.text[ends[i - 1] if i > 0 else 0 : ends[i]].isspace()


class Motion(NamedTuple):
    """Where a motion puts the caret: `target`, whether the selection is kept or grown
    (`extend`), and the anchor to use (None: keep the current one)."""

    target: int
    extend: bool
    anchor: int | None = None


class Caret:
    """The cursor, the selection's anchor and visual mode over one transcript, with the
    motions the transcript view binds to keys. Plain state: the view asks for a `Motion`,
    applies it with `place` and redraws what changed.

    `sentences` and `turns` are sorted by start; `word_ends` are the end offsets of words
    that tile the text, sorted (as the store keeps them).
    """

    def __init__(
        self,
        text: str = "",
        sentences: Sequence[Span] = (),
        word_ends: Sequence[int] = (),
        turns: Sequence[Turn] = (),
    ) -> None:
        self.text = text
        n = len(text)
        self.max_cursor = n - 1 if text.endswith("\n") else n
        # The store's sentences carry their starts and ends as arrays: no Sentence is built.
        sent_starts: Sequence[int] = getattr(sentences, "starts", None) or [
            s.start for s in sentences
        ]
        sent_ends: Sequence[int] = getattr(sentences, "ends", None) or [s.end for s in sentences]
        if not all(map(operator.le, sent_starts, islice(sent_starts, 1, None))):
            pairs = sorted(zip(sent_starts, sent_ends))
            sent_starts, sent_ends = [s for s, _ in pairs], [e for _, e in pairs]
        self.sentences = Units(text, sent_starts, sent_ends)
        ends: Sequence[int] = word_ends
        if not isinstance(ends, (list, array)):
            ends = list(ends)
        # Drop ends outside the text by bisection (no walk over every word).
        ends = ends[bisect_right(ends, 0) : bisect_right(ends, n)]
        if not len(ends) and text:
            # No segmentation: ASCII runs and single clusters stand in for words.
            ends = [m.end() for m in regex.finditer(r"[A-Za-z0-9_]+|\X", text)]
        self.word_ends = ends
        self.words = Words(text, ends)
        ordered = sorted(turns, key=lambda t: t.start)
        self.turns = Units(text, [t.body_start for t in ordered], [t.end for t in ordered])
        self.cursor = 0
        self.anchor: int | None = None
        self.visual = False
        self.sentence_index: int | None = None
        self.sentence_span: tuple[int, int] | None = None
        self.selection_span: tuple[int, int] | None = None  # highlighted, snapped
        self._update()

    # -- state

    def place(self, target: int, *, extend: bool, anchor: int | None = None) -> None:
        """Put the cursor at `target` (snapped to its cluster); with `extend` keep (or start,
        at `anchor` or the old cursor) the selection, otherwise drop it unless in visual mode."""
        old = self.cursor
        if anchor is not None:
            self.anchor = self.snap(anchor)
        elif extend or self.visual:
            if self.anchor is None:
                self.anchor = old
        else:
            self.anchor = None
        self.cursor = self.snap(target)
        self._update()

    def _update(self) -> None:
        i = self.sentence_index = self.find_sentence(self.cursor)
        units = self.sentences
        self.sentence_span = (units.starts[i], units.ends[i]) if i is not None else None
        if self.anchor is None:
            self.selection_span = None
        else:
            span = self.snapped_selection()
            self.selection_span = (span.start, span.end) if span.end > span.start else None

    @property
    def selection(self) -> Span:
        """The span a code would be applied to: the selection snapped outward to words and
        clusters (whitespace trimmed), else the current sentence, else empty at the cursor."""
        if self.anchor is not None:
            return self.snapped_selection()
        if self.sentence_span is not None:
            return Span(*self.sentence_span)
        return Span(self.cursor, self.cursor)

    def find_sentence(self, offset: int) -> int | None:
        """The sentence holding `offset`, else the next one; None past the last."""
        starts, ends = self.sentences.starts, self.sentences.ends
        i = bisect_right(starts, offset) - 1
        if i >= 0 and offset < ends[i]:
            return i
        return i + 1 if i + 1 < len(starts) else None

    def cluster(self, offset: int) -> tuple[int, int]:
        """Start and end of the grapheme cluster holding `offset`."""
        return cluster_at(self.text, offset)

    def snap(self, offset: int) -> int:
        """`offset` moved down to its cluster's start and into the cursor's range."""
        offset = min(max(0, offset), self.max_cursor)
        if offset >= len(self.text):
            return offset
        return cluster_at(self.text, offset)[0]

    def snapped_selection(self) -> Span:
        """The selection snapped outward to words and clusters, whitespace trimmed."""
        assert self.anchor is not None
        text = self.text
        lo, hi = sorted((self.anchor, self.cursor))
        if lo == hi:
            hi = cluster_at(text, lo)[1]  # an empty selection stands for the cluster under it
        if lo >= hi:
            return Span(lo, lo)
        ends = self.word_ends
        if len(ends):
            i = bisect_right(ends, lo)
            lo = ends[i - 1] if i > 0 else 0
            j = bisect_left(ends, hi)
            if j < len(ends):
                hi = ends[j]
        # Words from jieba may cut an emoji sequence: widen to whole clusters.
        lo = cluster_at(text, lo)[0]
        hi = cluster_at(text, hi - 1)[1]
        while lo < hi:
            a, b = cluster_at(text, lo)
            if not text[a:b].isspace():
                break
            lo = b
        while hi > lo:
            a, b = cluster_at(text, hi - 1)
            if not text[a:b].isspace():
                break
            hi = a
        return Span(lo, hi)

    # -- motions

    def unit_motion(self, units: Units, *, forward: bool, extend: bool) -> Motion | None:
        """Move among `units`. A plain motion goes to the next unit's start, or back to the
        start of this unit (the previous one's from a start). An extending motion moves the
        selection edge the cursor is on: a right edge to unit ends, a left edge to unit
        starts, so a selection grown by sentences covers whole sentences and nothing between."""
        extend = extend or self.visual
        c = self.cursor
        if not extend:
            target = units.after(units.starts, c) if forward else units.before(units.starts, c)
            return Motion(target, False) if target is not None else None
        anchor = self.anchor
        if anchor is None:
            anchor = c
            if not forward:
                end = units.end_before(c)
                if end is not None:
                    anchor = c = end
        if c > anchor or (c == anchor and forward):
            if forward:
                target = units.after(units.ends, c)
            else:
                target = units.before(units.ends, c)
                if target is None or target <= anchor:
                    target = anchor
        elif forward:
            target = units.after(units.starts, c)
            if target is None or target >= anchor:
                target = anchor
        else:
            target = units.before(units.starts, c)
        return Motion(target, True, anchor) if target is not None else None

    def char_motion(self, *, forward: bool, extend: bool) -> Motion:
        """One grapheme cluster forward or back."""
        c = self.cursor
        if forward:
            target = cluster_at(self.text, c)[1]
        else:
            target = cluster_at(self.text, c - 1)[0] if c > 0 else 0
        return Motion(target, extend or self.visual)

    def next_uncoded(self, is_coded: Callable[[int, int], bool]) -> Motion | None:
        """The start of the next sentence for which `is_coded(start, end)` is false."""
        starts, ends = self.sentences.starts, self.sentences.ends
        for i in range(bisect_right(starts, self.cursor), len(starts)):
            if not is_coded(starts[i], ends[i]):
                return Motion(starts[i], self.visual)
        return None


def changed_ranges(
    old: tuple[int, int] | None, new: tuple[int, int] | None
) -> list[tuple[int, int]]:
    """Ranges whose highlight differs between two spans (the symmetric difference)."""
    if old is None or new is None:
        return [span for span in (old, new) if span is not None]
    ranges = []
    if old[0] != new[0]:
        ranges.append((min(old[0], new[0]), max(old[0], new[0])))
    if old[1] != new[1]:
        ranges.append((min(old[1], new[1]), max(old[1], new[1])))
    return ranges
