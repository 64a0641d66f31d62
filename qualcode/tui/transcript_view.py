"""The transcript pane: one transcript's stored text, drawn a visible line at a time.

`TranscriptView` is a Line API widget in the manner of toolong: the text is wrapped
once per content width into an index of visual lines (char offsets), `virtual_size`
comes from that index, `render_line(y)` draws one `Strip` and keeps it in an LRU
cache, and a change (cursor, selection, codings, search hits) discards only the
cached lines it touches.

Columns are terminal cells, never code points: a Chinese character or full-width
punctuation mark takes two cells, an emoji ZWJ sequence takes what
`rich.cells.cell_len` says for the whole grapheme cluster, and a cluster is never
split across lines. The right-hand margin shows, per visual line, the labels of
the codes whose codings touch it (NVivo's coding stripes, in text).

Offsets are Python string indices into the stored text, as everywhere in qualcode.
The cursor is a caret at a grapheme-cluster start drawn as a reversed cell; a
selection is the half-open range between `anchor` and `cursor`, and what a caller
codes (`selection`) is that range snapped outward to word boundaries.
"""

from __future__ import annotations

import unicodedata
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import regex
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.color import Color, ColorParseError
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from qualcode.model import Span, Turn

__all__ = ["CodingMark", "TranscriptView"]

# One extended grapheme cluster: what a reader sees as one character.
_CLUSTER = regex.compile(r"\X")

# Line-breaking classes (bit flags) of a cluster.
_WORD = 1  # printable ASCII other than space: no break inside "App", "4G", "law.coa.gov.tw"
_NO_START = 2  # closing punctuation must not begin a line (Chinese kinsoku rule)
_NO_END = 4  # opening punctuation must not end a line
_NO_START_CHARS = frozenset("，。、；：？！」』）》〉】〕］｝…—～·％,.;:?!)]}%”’")
_NO_END_CHARS = frozenset("「『（《〈【〔［｛([{“‘")
# rich measures these specially across a string; a cluster holding one gets its own
# segment so that every segment's cell_len is the sum of its clusters' widths.
_JOINERS = ("\u200d", "\ufe0f")

# Colours for codes that have none, picked by a stable hash of the code id.
_PALETTE = ("#e5c07b", "#61afef", "#98c379", "#c678dd", "#e06c75", "#56b6c2", "#d19a66", "#a3be8c")
_TINT = 0.38  # how much of a code's colour a coded span's background takes
_UNDERLINE_TINT = 0.55  # how much of a code's colour a suggested span's text takes


class _ClusterInfo(NamedTuple):
    width: int  # cells
    display: str  # what is drawn (control and zero-width clusters become a space)
    kind: int  # line-breaking flags
    isolate: bool  # draw as its own segment


_INFO: dict[str, _ClusterInfo] = {}


def _measure(cluster: str) -> _ClusterInfo:
    """Width and drawing of one grapheme cluster, memoised (a transcript has few distinct ones)."""
    info = _INFO.get(cluster)
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
    info = _ClusterInfo(width, display, kind, any(j in cluster for j in _JOINERS))
    _INFO[cluster] = info
    return info


def _wrap(text: str, width: int) -> tuple[list[int], list[int]]:
    """Wrap `text` to `width` cells; return the start and end offset of every visual line.

    A line's end excludes its `\\n`. Lines break at `\\n`, otherwise between grapheme
    clusters, preferring not to split an ASCII word or to start a line with closing
    punctuation; a line never holds more than `width` cells (given width >= 2).
    """
    starts: list[int] = []
    ends: list[int] = []
    findall = _CLUSTER.findall
    info_get = _INFO.get
    n = len(text)
    line = 0
    while True:
        stop = text.find("\n", line)
        if stop < 0:
            stop = n
        if (stop - line) * 2 <= width:
            # No cluster is wider than two cells per code point: the line fits.
            starts.append(line)
            ends.append(stop)
        else:
            start = line  # start of the visual line being filled
            col = 0
            off = line
            brk = -1  # last offset where a break is allowed, and the column there
            brk_col = 0
            prev_kind = _NO_END
            for cluster in findall(text, line, stop):
                info = info_get(cluster) or _measure(cluster)
                w = info.width
                kind = info.kind
                if (
                    off > start
                    and not (prev_kind & kind & _WORD)
                    and not (kind & _NO_START)
                    and not (prev_kind & _NO_END)
                ):
                    brk = off
                    brk_col = col
                while col + w > width and off > start:
                    if brk > start:
                        cut, cut_col = brk, brk_col
                    else:
                        cut, cut_col = off, col
                    starts.append(start)
                    ends.append(cut)
                    start = cut
                    col -= cut_col
                    brk = -1
                col += w
                off += len(cluster)  # code points, to keep offsets; columns are in col
                prev_kind = kind
            starts.append(start)
            ends.append(stop)
        if stop >= n - 1:
            # The text's final newline ends the last line; it does not open an empty one.
            break
        line = stop + 1
    return starts, ends


@dataclass(frozen=True, slots=True)
class CodingMark:
    """A coding as the transcript view draws it: a span of the text and its code."""

    start: int
    end: int
    code_id: str
    label: str
    color: str = ""  # "#rrggbb", or "" for a colour picked from the code id
    suggested: bool = False  # an auto-coding suggestion awaiting review: underlined, not filled
    coding_id: int = 0


@dataclass(slots=True)
class _LineIndex:
    """Visual lines for one wrap width: sorted start offsets and their end offsets."""

    width: int
    starts: list[int]
    ends: list[int]


class _Palette(NamedTuple):
    base: Style
    background: Color
    foreground: Color
    sentence_bg: Color
    sentence: Style
    cursor: Style
    selection: Style
    search: Style
    speaker: Style
    margin: Style


# What decides a cell's look: coding tint, suggestion colour, then flags.
_StyleKey = tuple[str | None, str | None, bool, bool, bool, bool, bool]


class TranscriptView(ScrollView, can_focus=True):
    """One transcript's text with coded spans tinted, code labels in a margin, a cursor
    that moves by sentence, word, character or speaker turn, and a selection that
    snaps to word boundaries.

    Call `load` with the text and its segmentation; `set_codings` and
    `set_search_hits` update what is drawn. Read `selection` for the span a code
    should be applied to. Listen for `CursorMoved` and `SelectionChanged`.
    """

    ALLOW_SELECT = False  # the view owns mouse selection; Textual's screen selection would fight it
    ALLOW_MAXIMIZE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "next_sentence", "Next sentence", id="transcript_view.next_sentence"),
        Binding(
            "k,up", "previous_sentence", "Previous sentence", id="transcript_view.previous_sentence"
        ),
        Binding("w", "next_word", "Next word", show=False, id="transcript_view.next_word"),
        Binding(
            "b", "previous_word", "Previous word", show=False, id="transcript_view.previous_word"
        ),
        Binding(
            "l,right", "next_char", "Next character", show=False, id="transcript_view.next_char"
        ),
        Binding(
            "h,left",
            "previous_char",
            "Previous character",
            show=False,
            id="transcript_view.previous_char",
        ),
        Binding(
            "J,right_square_bracket",
            "next_turn",
            "Next turn",
            show=False,
            id="transcript_view.next_turn",
        ),
        Binding(
            "K,left_square_bracket",
            "previous_turn",
            "Previous turn",
            show=False,
            id="transcript_view.previous_turn",
        ),
        Binding("u", "next_uncoded", "Next uncoded", id="transcript_view.next_uncoded"),
        Binding(
            "shift+down",
            "select_next_sentence",
            "Select sentence",
            show=False,
            id="transcript_view.select_next_sentence",
        ),
        Binding(
            "shift+up",
            "select_previous_sentence",
            "Select previous sentence",
            show=False,
            id="transcript_view.select_previous_sentence",
        ),
        Binding(
            "W",
            "select_next_word",
            "Select word",
            show=False,
            id="transcript_view.select_next_word",
        ),
        Binding(
            "B",
            "select_previous_word",
            "Select previous word",
            show=False,
            id="transcript_view.select_previous_word",
        ),
        Binding(
            "shift+right",
            "select_next_char",
            "Select character",
            show=False,
            id="transcript_view.select_next_char",
        ),
        Binding(
            "shift+left",
            "select_previous_char",
            "Select previous character",
            show=False,
            id="transcript_view.select_previous_char",
        ),
        Binding("v", "toggle_visual", "Select", id="transcript_view.toggle_visual"),
        Binding(
            "escape",
            "clear_selection",
            "Clear selection",
            show=False,
            id="transcript_view.clear_selection",
        ),
        Binding("pagedown", "page_down", "Page down", show=False, id="transcript_view.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="transcript_view.page_up"),
        Binding("home", "first", "Start", show=False, id="transcript_view.first"),
        Binding("end", "last", "End", show=False, id="transcript_view.last"),
    ]
    """
    | Key(s) | Binding id (`transcript_view.` …) | What it does |
    | :- | :- | :- |
    | j, down | next_sentence | Cursor to the next sentence start |
    | k, up | previous_sentence | Cursor to the previous sentence start (this one's, if inside) |
    | w / b | next_word / previous_word | Cursor to the next / previous word start |
    | l, right / h, left | next_char / previous_char | Cursor by one grapheme cluster |
    | J, ] / K, [ | next_turn / previous_turn | Cursor to the words of the next / previous turn |
    | u | next_uncoded | Cursor to the next sentence no confirmed coding touches |
    | shift+down / shift+up | select_next_sentence / select_previous_sentence | Extend by sentence |
    | W / B | select_next_word / select_previous_word | Extend by word |
    | shift+right / shift+left | select_next_char / select_previous_char | Extend by character |
    | v | toggle_visual | Visual mode: plain motions extend the selection |
    | escape | clear_selection | Drop the selection and leave visual mode |
    | pagedown / pageup, home / end | page_down / page_up, first / last | Cursor by page, to start / end |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript-view--cursor",
        "transcript-view--selection",
        "transcript-view--sentence",
        "transcript-view--search",
        "transcript-view--speaker",
        "transcript-view--margin",
    }

    DEFAULT_CSS = """
    TranscriptView {
        width: 1fr;
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        & > .transcript-view--cursor { text-style: reverse; }
        & > .transcript-view--selection { background: $primary 60%; }
        & > .transcript-view--sentence { background: $foreground 7%; }
        & > .transcript-view--search { background: $warning 60%; color: $foreground; }
        & > .transcript-view--speaker { text-style: bold; }
        & > .transcript-view--margin { color: $text-muted; }
    }
    """

    class CursorMoved(Message):
        """The cursor moved: `cursor` is its offset, `sentence_index` the current sentence."""

        def __init__(
            self, transcript_view: TranscriptView, cursor: int, sentence_index: int | None
        ) -> None:
            super().__init__()
            self.transcript_view = transcript_view
            self.cursor = cursor
            self.sentence_index = sentence_index

        @property
        def control(self) -> TranscriptView:
            return self.transcript_view

    class SelectionChanged(Message):
        """What a code would be applied to changed: `span` is `TranscriptView.selection`;
        `is_selection` tells a snapped selection from the current sentence."""

        def __init__(self, transcript_view: TranscriptView, span: Span, is_selection: bool) -> None:
            super().__init__()
            self.transcript_view = transcript_view
            self.span = span
            self.is_selection = is_selection

        @property
        def control(self) -> TranscriptView:
            return self.transcript_view

    MARGIN: ClassVar[int] = 16
    """Default cells kept right of the text for code labels (one of them a gap)."""

    def __init__(
        self,
        *,
        margin: int | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create an empty view; `margin` is the cells kept right of the text for code
        labels (default `MARGIN`; at most a third of the width is given to it)."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._margin = self.MARGIN if margin is None else max(0, margin)
        self._text = ""
        self._max_cursor = 0
        self._sent_starts: list[int] = []
        self._sent_ends: list[int] = []
        self._word_ends: list[int] = []  # all words; they tile the text
        self._cword_starts: list[int] = []  # words that are not whitespace, for motions
        self._cword_ends: list[int] = []
        self._turn_bodies: list[int] = []
        self._turn_ends: list[int] = []
        self._speakers: list[tuple[int, int]] = []  # label spans of turns, drawn bold
        self._marks: list[CodingMark] = []
        self._coded: list[tuple[int, int]] = []  # merged confirmed codings, for "uncoded"
        self._coded_starts: list[int] = []
        self._hits: list[tuple[int, int]] = []
        self._cursor = 0
        self._anchor: int | None = None
        self._visual = False
        self._dragging = False
        self._drag_origin = 0
        # Derived, per wrap width.
        self._indexes: dict[int, _LineIndex] = {}
        self._index: _LineIndex | None = None
        self._layout_width = 0  # cells for text + margin (scrollbar excluded)
        self._line_marks: dict[int, list[CodingMark]] = {}
        self._line_hits: dict[int, list[tuple[int, int]]] = {}
        self._line_speakers: dict[int, list[tuple[int, int]]] = {}
        # Derived, per cursor state.
        self._sentence_index: int | None = None
        self._sent_span: tuple[int, int] | None = None
        self._sel_span: tuple[int, int] | None = None
        self._last_target: tuple[Span, bool] | None = None
        # Drawing caches.
        self._strips: LRUCache[int, Strip] = LRUCache(1024)
        self._palette: _Palette | None = None
        self._styles: dict[_StyleKey, Style] = {}
        self._colors: dict[tuple[str, str], Color] = {}

    # ------------------------------------------------------------------ data in

    def load(
        self,
        text: str,
        sentences: Sequence[Span],
        word_ends: Sequence[int],
        turns: Sequence[Turn],
        codings: Iterable[CodingMark] = (),
    ) -> None:
        """Show `text` (stored text, verbatim) with its segmentation and codings.

        `word_ends` are the end offsets of word spans that tile the text (each word
        starts where the previous one ends). The cursor goes to the start and any
        selection is dropped.
        """
        self._text = text
        n = len(text)
        self._max_cursor = n - 1 if text.endswith("\n") else n
        spans = sorted((s.start, s.end) for s in sentences)
        self._sent_starts = [s for s, _ in spans]
        self._sent_ends = [e for _, e in spans]
        ends = sorted({e for e in word_ends if 0 < e <= n})
        if not ends and text:
            # No segmentation: ASCII runs and single clusters stand in for words.
            ends = [m.end() for m in regex.finditer(r"[A-Za-z0-9_]+|\X", text)]
        self._word_ends = ends
        cstarts: list[int] = []
        cends: list[int] = []
        prev = 0
        for end in ends:
            if not text[prev:end].isspace():
                cstarts.append(prev)
                cends.append(end)
            prev = end
        self._cword_starts, self._cword_ends = cstarts, cends
        turns = sorted(turns, key=lambda t: t.start)
        self._turn_bodies = [t.body_start for t in turns]
        self._turn_ends = [t.end for t in turns]
        self._speakers = [(t.start, t.body_start) for t in turns if t.body_start > t.start]
        self._set_marks(list(codings))
        self._hits = []
        self._cursor = 0
        self._anchor = None
        self._visual = False
        self._dragging = False
        self._indexes.clear()
        self._index = None
        self._strips.clear()
        self._update_cursor_state()
        if self.is_mounted:
            self._relayout(force=True)
            self.scroll_to(0, 0, animate=False)
            self.refresh()
            self._post_changes()

    def set_codings(self, codings: Iterable[CodingMark]) -> None:
        """Replace the codings drawn; only lines whose codings changed are redrawn."""
        new = list(codings)
        changed = set(self._marks).symmetric_difference(new)
        self._set_marks(new)
        if self._index is not None:
            self._line_marks = self._spread_marks(self._index)
            for mark in changed:
                self._invalidate(mark.start, mark.end)

    def set_search_hits(self, spans: Iterable[Span]) -> None:
        """Highlight these spans (search results); an empty list clears the highlight."""
        new = sorted((s.start, s.end) for s in spans)
        changed = set(self._hits).symmetric_difference(new)
        self._hits = new
        if self._index is not None:
            self._line_hits = self._spread(self._index, self._hits)
            for start, end in changed:
                self._invalidate(start, end)

    def _set_marks(self, marks: list[CodingMark]) -> None:
        self._marks = marks
        merged: list[tuple[int, int]] = []
        for start, end in sorted((m.start, m.end) for m in marks if not m.suggested):
            if merged and start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        self._coded = merged
        self._coded_starts = [s for s, _ in merged]

    # ------------------------------------------------------------------ reading state

    @property
    def text(self) -> str:
        """The transcript's stored text."""
        return self._text

    @property
    def cursor(self) -> int:
        """The cursor's offset into the text (always at a grapheme-cluster start)."""
        return self._cursor

    @cursor.setter
    def cursor(self, offset: int) -> None:
        self._move(offset, extend=self._anchor is not None)

    @property
    def anchor(self) -> int | None:
        """Where the selection started, or None when nothing is selected."""
        return self._anchor

    @anchor.setter
    def anchor(self, offset: int | None) -> None:
        if offset is None:
            self.clear_selection()
        else:
            self._move(self._cursor, extend=True, anchor=offset)

    @property
    def visual_mode(self) -> bool:
        """True while plain motions extend the selection (toggled with `v`)."""
        return self._visual

    @property
    def selection(self) -> Span:
        """The span a code would be applied to.

        With a selection: from the selection's start down to the start of the word it
        falls in, to its end up to the end of the word it falls in, with leading and
        trailing whitespace trimmed. Without one: the current sentence. Empty (at the
        cursor) when there is neither.
        """
        if self._anchor is not None:
            return self._snapped_selection()
        if self._sent_span is not None:
            return Span(*self._sent_span)
        return Span(self._cursor, self._cursor)

    @property
    def has_selection(self) -> bool:
        """True when `selection` comes from a selection rather than the current sentence."""
        return self._anchor is not None

    @property
    def selected_text(self) -> str:
        """The text of `selection`."""
        span = self.selection
        return self._text[span.start : span.end]

    @property
    def current_sentence_index(self) -> int | None:
        """Index (into the sentences given to `load`) of the sentence containing the
        cursor, or of the nearest following one; None past the last sentence."""
        return self._sentence_index

    @property
    def margin(self) -> int:
        """Cells kept right of the text for code labels; setting it rewraps the text."""
        return self._margin

    @margin.setter
    def margin(self, cells: int) -> None:
        self._margin = max(0, cells)
        if self.is_mounted:
            self._relayout(force=True)

    @property
    def line_count(self) -> int:
        """Number of visual (wrapped) lines at the current width; 0 before layout."""
        return len(self._index.starts) if self._index is not None else 0

    def line_of(self, offset: int) -> int:
        """The visual line showing `offset` (0 before layout)."""
        if self._index is None:
            return 0
        return max(0, bisect_right(self._index.starts, offset) - 1)

    # ------------------------------------------------------------------ moving

    def go_to(self, offset: int, select_to: int | None = None) -> None:
        """Put the cursor at `offset` (snapped to its grapheme cluster) and scroll it
        into view, centred if it was off screen. With `select_to`, select
        `[offset, select_to)` as well."""
        if select_to is None:
            self._visual = False
            self._move(offset, extend=False, center=True)
        else:
            self._move(select_to, extend=True, anchor=offset, center=True)

    def clear_selection(self) -> None:
        """Drop the selection and leave visual mode."""
        self._visual = False
        self._move(self._cursor, extend=False)

    def action_next_sentence(self) -> None:
        self._unit_motion(self._sent_starts, self._sent_ends, forward=True, extend=False)

    def action_previous_sentence(self) -> None:
        self._unit_motion(self._sent_starts, self._sent_ends, forward=False, extend=False)

    def action_next_word(self) -> None:
        self._unit_motion(self._cword_starts, self._cword_ends, forward=True, extend=False)

    def action_previous_word(self) -> None:
        self._unit_motion(self._cword_starts, self._cword_ends, forward=False, extend=False)

    def action_next_char(self) -> None:
        self._char_motion(forward=True, extend=False)

    def action_previous_char(self) -> None:
        self._char_motion(forward=False, extend=False)

    def action_next_turn(self) -> None:
        self._unit_motion(self._turn_bodies, self._turn_ends, forward=True, extend=False)

    def action_previous_turn(self) -> None:
        self._unit_motion(self._turn_bodies, self._turn_ends, forward=False, extend=False)

    def action_select_next_sentence(self) -> None:
        self._unit_motion(self._sent_starts, self._sent_ends, forward=True, extend=True)

    def action_select_previous_sentence(self) -> None:
        self._unit_motion(self._sent_starts, self._sent_ends, forward=False, extend=True)

    def action_select_next_word(self) -> None:
        self._unit_motion(self._cword_starts, self._cword_ends, forward=True, extend=True)

    def action_select_previous_word(self) -> None:
        self._unit_motion(self._cword_starts, self._cword_ends, forward=False, extend=True)

    def action_select_next_char(self) -> None:
        self._char_motion(forward=True, extend=True)

    def action_select_previous_char(self) -> None:
        self._char_motion(forward=False, extend=True)

    def action_next_uncoded(self) -> None:
        """Cursor to the start of the next sentence that no confirmed coding touches."""
        starts, ends = self._sent_starts, self._sent_ends
        for i in range(bisect_right(starts, self._cursor), len(starts)):
            if not self._is_coded(starts[i], ends[i]):
                self._move(starts[i], extend=self._visual)
                return
        self.app.bell()

    def action_toggle_visual(self) -> None:
        if self._visual:
            self.clear_selection()
        else:
            self._visual = True
            self._move(self._cursor, extend=True)

    def action_clear_selection(self) -> None:
        self.clear_selection()

    def action_page_down(self) -> None:
        self._line_motion(max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self._line_motion(-max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self._move(0, extend=self._visual)

    def action_last(self) -> None:
        self._move(self._max_cursor, extend=self._visual)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape with nothing to clear goes on to the app (closing a panel, say).
        if action == "clear_selection":
            return self._anchor is not None or self._visual
        return True

    def _unit_motion(
        self, starts: list[int], ends: list[int], *, forward: bool, extend: bool
    ) -> None:
        """Move among units (sentences, words, turns) given as sorted starts and ends.

        A plain motion goes to the next unit's start, or back to the start of this unit
        (the previous one's from a start). An extending motion moves the selection edge
        the cursor is on: a right edge to unit ends, a left edge to unit starts, so a
        selection grown by sentences covers whole sentences and nothing between them.
        """
        extend = extend or self._visual
        c = self._cursor
        if not extend:
            target = self._after(starts, c) if forward else self._before(starts, c)
            if target is not None:
                self._move(target, extend=False)
            return
        anchor = self._anchor
        if anchor is None:
            anchor = c
            if not forward:
                # A fresh backward selection from a unit start (or a gap) ends where the
                # previous unit ends, not at the gap after it (a speaker label, say).
                i = bisect_right(starts, c) - 1
                if i >= 0 and (c == starts[i] or c >= ends[i]):
                    j = i - 1 if c == starts[i] else i
                    if j >= 0 and ends[j] <= c:
                        anchor = ends[j]
                        c = anchor
        if c > anchor or (c == anchor and forward):
            if forward:
                target = self._after(ends, c)
            else:
                target = self._before(ends, c)
                if target is None or target <= anchor:
                    target = anchor
        else:
            if forward:
                target = self._after(starts, c)
                if target is None or target >= anchor:
                    target = anchor
            else:
                target = self._before(starts, c)
        if target is not None:
            self._move(target, extend=True, anchor=anchor)

    def _char_motion(self, *, forward: bool, extend: bool) -> None:
        c = self._cursor
        if forward:
            target = self._cluster(c)[1]
        else:
            target = self._cluster(c - 1)[0] if c > 0 else 0
        self._move(target, extend=extend or self._visual)

    def _line_motion(self, delta: int) -> None:
        if self._index is None:
            return
        y = min(max(0, self.line_of(self._cursor) + delta), len(self._index.starts) - 1)
        self._move(self._index.starts[y], extend=self._visual)

    # ------------------------------------------------------------------ clusters and words

    def _cluster(self, offset: int) -> tuple[int, int]:
        """Start and end of the grapheme cluster holding `offset` (`(n, n)` at the end)."""
        text = self._text
        n = len(text)
        if offset >= n:
            return n, n
        offset = max(0, offset)
        # Visual lines start on cluster boundaries, so segmenting from one is exact.
        if self._index is not None:
            starts = self._index.starts
            line = starts[max(0, bisect_right(starts, offset) - 1)]
        else:
            line = text.rfind("\n", 0, offset) + 1
        for m in _CLUSTER.finditer(text, line):
            if m.end() > offset:
                return m.start(), m.end()
        return n, n  # pragma: no cover - \X matches every code point

    def _after(self, points: list[int], offset: int) -> int | None:
        """The first of the sorted `points` after `offset`, moved forward to a cluster
        boundary (jieba cuts emoji sequences into pieces; the cursor never lands inside)."""
        i = bisect_right(points, offset)
        while i < len(points):
            point = points[i]
            start, end = self._cluster(point)
            point = point if start == point else end
            if point > offset:
                return point
            i += 1
        return None

    def _before(self, points: list[int], offset: int) -> int | None:
        """The last of the sorted `points` before `offset`, moved back to a cluster start."""
        i = bisect_left(points, offset) - 1
        while i >= 0:
            point = self._cluster(points[i])[0]
            if point < offset:
                return point
            i -= 1
        return None

    def _snap(self, offset: int) -> int:
        """`offset` moved down to its cluster's start and into the cursor's range."""
        offset = min(max(0, offset), self._max_cursor)
        if offset >= len(self._text):
            return offset
        return self._cluster(offset)[0]

    def _snapped_selection(self) -> Span:
        """The selection snapped outward to words and clusters, whitespace trimmed."""
        assert self._anchor is not None
        text = self._text
        lo, hi = sorted((self._anchor, self._cursor))
        if lo == hi:
            hi = self._cluster(lo)[1]  # an empty selection stands for the cluster under the cursor
        if lo >= hi:
            return Span(lo, lo)
        ends = self._word_ends
        if ends:
            i = bisect_right(ends, lo)
            lo = ends[i - 1] if i > 0 else 0
            j = bisect_left(ends, hi)
            if j < len(ends):
                hi = ends[j]
        # Words from jieba may cut an emoji sequence: widen to whole clusters.
        lo = self._cluster(lo)[0]
        hi = self._cluster(hi - 1)[1]
        while lo < hi:
            a, b = self._cluster(lo)
            if not text[a:b].isspace():
                break
            lo = b
        while hi > lo:
            a, b = self._cluster(hi - 1)
            if not text[a:b].isspace():
                break
            hi = a
        return Span(lo, hi)

    def _find_sentence(self, offset: int) -> int | None:
        starts = self._sent_starts
        i = bisect_right(starts, offset) - 1
        if i >= 0 and offset < self._sent_ends[i]:
            return i
        return i + 1 if i + 1 < len(starts) else None

    def _is_coded(self, start: int, end: int) -> bool:
        i = bisect_right(self._coded_starts, max(start, end - 1)) - 1
        # Merged intervals are disjoint: only the last one starting before `end` can reach in.
        return i >= 0 and self._coded[i][1] > start

    # ------------------------------------------------------------------ state changes

    def _update_cursor_state(self) -> None:
        self._sentence_index = self._find_sentence(self._cursor)
        i = self._sentence_index
        self._sent_span = (self._sent_starts[i], self._sent_ends[i]) if i is not None else None
        if self._anchor is None:
            self._sel_span = None
        else:
            span = self._snapped_selection()
            self._sel_span = (span.start, span.end) if span.end > span.start else None

    def _move(
        self,
        target: int,
        *,
        extend: bool,
        anchor: int | None = None,
        center: bool = False,
    ) -> None:
        """Move the cursor; with `extend`, keep (or start, at `anchor` or the old cursor)
        the selection, otherwise drop it unless in visual mode. Redraws only the lines
        whose look changed, keeps the cursor visible and tells the app."""
        old_cursor, old_sent, old_sel = self._cursor, self._sent_span, self._sel_span
        if anchor is not None:
            self._anchor = self._snap(anchor)
        elif extend or self._visual:
            if self._anchor is None:
                self._anchor = old_cursor
        else:
            self._anchor = None
        self._cursor = self._snap(target)
        self._update_cursor_state()
        if self._index is not None:
            self._invalidate(old_cursor, old_cursor + 1)
            self._invalidate(self._cursor, self._cursor + 1)
            if old_sent != self._sent_span:
                for span in (old_sent, self._sent_span):
                    if span is not None:
                        self._invalidate(*span)
            if old_sel != self._sel_span:
                for start, end in _changed_ranges(old_sel, self._sel_span):
                    self._invalidate(start, end)
            self._scroll_to_cursor(center=center)
        self._post_changes(cursor_moved=old_cursor != self._cursor)

    def _post_changes(self, cursor_moved: bool = True) -> None:
        if not self.is_attached:
            return
        if cursor_moved:
            self.post_message(self.CursorMoved(self, self._cursor, self._sentence_index))
        target = (self.selection, self._anchor is not None)
        if target != self._last_target:
            self._last_target = target
            self.post_message(self.SelectionChanged(self, *target))

    def _invalidate(self, start: int, end: int) -> None:
        """Forget and redraw the cached lines showing `[start, end)` (at least one line)."""
        if self._index is None:
            return
        first = self.line_of(start)
        last = self.line_of(max(start, end - 1))
        discard = self._strips.discard
        for y in range(first, last + 1):
            discard(y)
        top = self.scroll_offset.y
        bottom = top + self.scrollable_content_region.height
        first, last = max(first, top), min(last, bottom - 1)
        if first <= last:
            self.refresh_lines(first, last - first + 1)

    def _scroll_to_cursor(self, center: bool = False) -> None:
        if self._index is None or not self.is_mounted:
            return
        y = self.line_of(self._cursor)
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        if height <= 0:
            return
        if center:
            if top <= y < top + height:
                return
            new_top = y - height // 2
        else:
            # Keep a line of context above and below where the height allows it, and
            # the rest of the sentence the cursor starts, so it can be read before coding.
            context = 1 if height > 4 else 0
            last = y
            if self._sent_span is not None and self._sent_span[0] <= self._cursor:
                last = min(self.line_of(self._sent_span[1] - 1), y + height - 1 - 2 * context)
                last = max(last, y)
            if y < top + context:
                new_top = y - context
            elif last >= top + height - context:
                new_top = last - height + 1 + context
            else:
                return
        self.scroll_to(y=max(0, new_top), animate=False)

    # ------------------------------------------------------------------ layout

    def on_mount(self) -> None:
        self._relayout()
        self._post_changes()

    def on_resize(self, event: events.Resize) -> None:
        # While the screen settles, several sizes may pass in a row: wrap only for the last.
        self.call_after_refresh(self._relayout)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # A theme change alters every colour: drop what was drawn with the old one.
        self._palette = None
        self._styles.clear()
        self._colors.clear()
        self._strips.clear()

    def _widths(self) -> tuple[int, int]:
        """(text width, margin width) in cells for the current size; margin includes a gap."""
        total = self.scrollable_content_region.width
        margin = max(1, min(self._margin, total // 3))
        return max(2, total - margin), margin

    def _relayout(self, force: bool = False) -> None:
        """Bring the line index up to the current width (reusing one built before)."""
        total = self.scrollable_content_region.width
        if total <= 0:
            return
        text_width, _ = self._widths()
        if not force and total == self._layout_width and self._index is not None:
            return
        top_offset = None
        cursor_shown = False
        height = self.scrollable_content_region.height
        if self._index is not None and self._index.starts:
            top = min(self.scroll_offset.y, len(self._index.starts) - 1)
            top_offset = self._index.starts[top]
            cursor_shown = top <= self.line_of(self._cursor) < top + height
        self._layout_width = total
        index = self._indexes.get(text_width)
        if index is None:
            if len(self._indexes) >= 4:
                self._indexes.pop(next(iter(self._indexes)))
            index = _LineIndex(text_width, *_wrap(self._text, text_width))
            self._indexes[text_width] = index
        self._index = index
        self._strips.clear()
        self._line_marks = self._spread_marks(index)
        self._line_hits = self._spread(index, self._hits)
        self._line_speakers = self._spread(index, self._speakers)
        self.virtual_size = Size(total, len(index.starts))
        if top_offset is not None:
            # Keep the text that was at the top at the top after a rewrap, unless that
            # would push off screen a cursor the reader could see.
            top = self.line_of(top_offset)
            cursor_line = self.line_of(self._cursor)
            if cursor_shown and not top <= cursor_line < top + height:
                top = max(0, cursor_line - height // 2)
            self.scroll_to(y=top, animate=False)
        self.refresh()

    def _spread(self, index: _LineIndex, spans: list[tuple[int, int]]) -> dict[int, list]:
        """Map each visual line to the spans that touch it."""
        lines: dict[int, list[tuple[int, int]]] = {}
        starts = index.starts
        for start, end in spans:
            first = max(0, bisect_right(starts, start) - 1)
            last = max(0, bisect_right(starts, max(start, end - 1)) - 1)
            for y in range(first, last + 1):
                lines.setdefault(y, []).append((start, end))
        return lines

    def _spread_marks(self, index: _LineIndex) -> dict[int, list[CodingMark]]:
        """Map each visual line to the codings touching it, the one to draw on top first:
        the shortest, and among equals the later one."""
        ordered = sorted(enumerate(self._marks), key=lambda im: (im[1].end - im[1].start, -im[0]))
        lines: dict[int, list[CodingMark]] = {}
        starts = index.starts
        for _, mark in ordered:
            first = max(0, bisect_right(starts, mark.start) - 1)
            last = max(0, bisect_right(starts, max(mark.start, mark.end - 1)) - 1)
            for y in range(first, last + 1):
                lines.setdefault(y, []).append(mark)
        return lines

    # ------------------------------------------------------------------ mouse

    def _offset_at(self, event: events.MouseEvent) -> tuple[int, int]:
        """The cluster under the pointer as (start, end); past a line's text, its last
        cluster (or its newline). Either half of a wide character maps to it."""
        if self._index is None:
            return 0, 0
        offset = event.get_content_offset_capture(self)
        starts, ends = self._index.starts, self._index.ends
        y = min(max(0, offset.y + self.scroll_offset.y), len(starts) - 1)
        x = max(0, offset.x)
        start, end = starts[y], ends[y]
        col = 0
        pos = start
        last = None
        for cluster in _CLUSTER.findall(self._text, start, end):
            width = _measure(cluster).width
            if x < col + width:
                return pos, pos + len(cluster)
            last = (pos, pos + len(cluster))
            col += width
            pos += len(cluster)
        if last is None:
            return end, self._cluster(end)[1]  # an empty line: its newline
        return last

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1 or self._index is None:
            return
        start, _ = self._offset_at(event)
        self._dragging = True
        self._drag_origin = start
        self.capture_mouse()
        if event.shift:
            self._move(start, extend=True)
        else:
            self._visual = False
            self._move(start, extend=False)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if not self._dragging:
            return
        start, end = self._offset_at(event)
        origin = self._drag_origin
        if start == origin and self._anchor is None:
            return
        # Dragging selects every cluster the pointer passed over, the pressed one included.
        if start >= origin:
            self._move(end, extend=True, anchor=origin)
        else:
            self._move(start, extend=True, anchor=self._cluster(origin)[1])

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        """Draw visual line `scroll_y + y`: the text with its styles, then the margin."""
        if self._index is None or self.scrollable_content_region.width != self._layout_width:
            self._relayout()
        line = self.scroll_offset.y + y
        index = self._index
        if index is None or line >= len(index.starts):
            return Strip.blank(self.size.width, self.rich_style)
        strip = self._strips.get(line)
        if strip is None:
            strip = self._render_visual_line(line)
            self._strips[line] = strip
        return strip

    def _get_palette(self) -> _Palette:
        if self._palette is None:

            def overlay(name: str) -> Style:
                # Partial style for attributes; full style for colours, which Textual
                # has already blended over this widget's background.
                full = self.get_component_rich_style(name)
                part = self.get_component_rich_style(name, partial=True)
                return part + Style(
                    color=full.color if part.color else None,
                    bgcolor=full.bgcolor if part.bgcolor else None,
                )

            base = self.rich_style
            background = Color.from_rich_color(base.bgcolor) if base.bgcolor else Color(0, 0, 0)
            foreground = (
                Color.from_rich_color(base.color) if base.color else background.get_contrast_text()
            )
            sentence = overlay("transcript-view--sentence")
            sentence_bg = (
                Color.from_rich_color(sentence.bgcolor) if sentence.bgcolor else background
            )
            self._palette = _Palette(
                base=base,
                background=background,
                foreground=foreground,
                sentence_bg=sentence_bg,
                sentence=sentence,
                cursor=overlay("transcript-view--cursor"),
                selection=overlay("transcript-view--selection"),
                search=overlay("transcript-view--search"),
                speaker=overlay("transcript-view--speaker"),
                margin=overlay("transcript-view--margin"),
            )
        return self._palette

    def _code_color(self, mark: CodingMark) -> str:
        if mark.color:
            return mark.color
        return _PALETTE[zlib.crc32(mark.code_id.encode()) % len(_PALETTE)]

    def _blend(self, base: Color, color: str, amount: float) -> Color:
        key = (base.hex, color + str(amount))
        blended = self._colors.get(key)
        if blended is None:
            try:
                code = Color.parse(color)
            except ColorParseError:  # a malformed colour in a codebook must not break drawing
                code = Color.parse(_PALETTE[0])
            blended = base.blend(code, amount)
            self._colors[key] = blended
        return blended

    def _style(self, key: _StyleKey) -> Style:
        style = self._styles.get(key)
        if style is None:
            tint, suggested, in_sentence, speaker, hit, selected, cursor = key
            p = self._get_palette()
            style = p.base
            if speaker:
                style += p.speaker
            if tint is not None:
                under = p.sentence_bg if in_sentence else p.background
                style += Style(bgcolor=self._blend(under, tint, _TINT).rich_color)
            elif in_sentence:
                style += p.sentence
            if suggested is not None:
                fg = self._blend(p.foreground, suggested, _UNDERLINE_TINT)
                style += Style(color=fg.rich_color, underline=True)
            if hit:
                style += p.search
            if selected:
                style += p.selection
            if cursor:
                style += p.cursor
            self._styles[key] = style
        return style

    def _render_visual_line(self, y: int) -> Strip:
        index = self._index
        assert index is not None
        text = self._text
        n = len(text)
        start, end = index.starts[y], index.ends[y]
        text_width, margin = self._widths()
        marks = self._line_marks.get(y, ())
        confirmed = [m for m in marks if not m.suggested]
        suggested = [m for m in marks if m.suggested]
        hits = self._line_hits.get(y, ())
        speakers = self._line_speakers.get(y, ())
        sel = self._sel_span
        sent = self._sent_span
        cursor = self._cursor
        style = self._style

        segments: list[Segment] = []
        run: list[str] = []
        run_key: _StyleKey | None = None
        col = 0
        pos = start
        isolate_next = False
        for cluster in _CLUSTER.findall(text, start, end):
            info = _INFO.get(cluster) or _measure(cluster)
            tint = under = None
            for m in confirmed:
                if m.start <= pos < m.end:
                    tint = self._code_color(m)
                    break
            for m in suggested:
                if m.start <= pos < m.end:
                    under = self._code_color(m)
                    break
            key: _StyleKey = (
                tint,
                under,
                sent is not None and sent[0] <= pos < sent[1],
                any(a <= pos < b for a, b in speakers),
                any(a <= pos < b for a, b in hits),
                sel is not None and sel[0] <= pos < sel[1],
                pos == cursor,
            )
            if run and (key != run_key or info.isolate or isolate_next):
                segments.append(Segment("".join(run), style(run_key)))  # type: ignore[arg-type]
                run = []
            run.append(info.display)
            run_key = key
            isolate_next = info.isolate
            col += info.width
            pos += len(cluster)
        if run:
            segments.append(Segment("".join(run), style(run_key)))  # type: ignore[arg-type]

        base = self._get_palette().base
        # A hard line end (its newline, or the end of the text) gets a cell so that a
        # cursor or selection there shows; a soft-wrapped end belongs to the next line.
        last_line = y + 1 >= len(index.starts)
        if last_line or index.starts[y + 1] == end + 1:
            nl_selected = end < n and sel is not None and sel[0] <= end < sel[1]
            if end == cursor or nl_selected:
                key = (None, None, False, False, False, nl_selected, end == cursor)
                segments.append(Segment(" ", style(key)))
                col += 1
        # Text area plus the gap column, then the labels.
        pad = text_width + 1 - col
        if pad > 0:
            segments.append(Segment(" " * pad, base))
            col += pad
        if margin > 1:
            label_segments, used = self._margin_segments(marks, margin - 1)
            segments.extend(label_segments)
            col += used
        width = self.size.width
        if col < width:
            segments.append(Segment(" " * (width - col), base))
            col = width
        strip = Strip(segments, col)
        if col > width:
            strip = strip.crop(0, width)
        return strip

    def _margin_segments(
        self, marks: Sequence[CodingMark], width: int
    ) -> tuple[list[Segment], int]:
        """Labels of the codes touching a line, each tinted like its coded text, in
        `width` cells: as many as fit, the last cut with …, then "+N" for the rest."""
        p = self._get_palette()
        seen: dict[str, CodingMark] = {}
        # Codings that began on an earlier line keep their place; longer ones go first.
        for mark in sorted(marks, key=lambda m: (m.start, m.start - m.end, m.suggested)):
            if mark.code_id not in seen or seen[mark.code_id].suggested and not mark.suggested:
                seen[mark.code_id] = mark
        labels = list(seen.values())
        segments: list[Segment] = []
        used = 0
        for i, mark in enumerate(labels):
            rest = len(labels) - i - 1
            gap = 1 if segments else 0
            more = cell_len(f"+{rest}") + 1 if rest else 0
            room = width - used - gap - more
            # A label is codebook data: draw it as the text is drawn (no control codes).
            label = "".join(
                _measure(c).display for c in _CLUSTER.findall(mark.label or mark.code_id)
            )
            color = self._code_color(mark)
            if mark.suggested:
                fg = self._blend(p.foreground, color, _UNDERLINE_TINT)
                label_style = p.base + Style(color=fg.rich_color, underline=True)
            else:
                label_style = p.base + Style(
                    bgcolor=self._blend(p.background, color, _TINT).rich_color
                )
            fits = cell_len(label) <= room
            if fits or (not segments and room >= 2):
                if gap:
                    segments.append(Segment(" ", p.base))
                    used += 1
                shown = label if fits else _truncate(label, room)
                segments.append(Segment(shown, label_style))
                used += cell_len(shown)
                if fits:
                    continue
                rest_label = f"+{rest}" if rest else ""
            else:
                rest_label = f"+{rest + 1}"
            if rest_label and used + 1 + cell_len(rest_label) <= width:
                segments.append(Segment(" " + rest_label, p.base + p.margin))
                used += 1 + cell_len(rest_label)
            break
        return segments, used


def _truncate(label: str, width: int) -> str:
    """`label` cut to `width` cells by whole clusters, ending in … (padded if a wide
    character leaves a cell over)."""
    out: list[str] = []
    used = 0
    for cluster in _CLUSTER.findall(label):
        w = _measure(cluster).width
        if used + w > width - 1:
            break
        out.append(_measure(cluster).display)
        used += w
    return "".join(out) + "…" + " " * (width - 1 - used)


def _changed_ranges(
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
