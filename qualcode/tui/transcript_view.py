"""The transcript pane: one transcript's stored text, drawn a visible line at a time.

`TranscriptView` is a Line API widget in the manner of toolong. Where characters go and where
the caret is are plain classes in `qualcode.tui.layout` (`WrappedLayout`, `Caret`); the widget
draws from them. The text is wrapped per content width from the top only as far as the
screen needs, and a thread worker wraps the rest (`virtual_size` is estimated until it is
done); `render_line(y)` draws one `Strip` and keeps it in an LRU cache, and a change (cursor,
selection, codings, search hits) discards only the cached lines it touches.

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

import zlib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.color import Color, ColorParseError
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from qualcode.model import Span, Turn
from qualcode.tui.layout import (
    CLUSTER,
    INFO,
    Caret,
    Motion,
    SpanIndex,
    WrappedLayout,
    changed_ranges,
    measure,
    wrap,
)

__all__ = ["CodingMark", "TranscriptView"]

# Colours for codes that have none, picked by a stable hash of the code id.
_PALETTE = ("#e5c07b", "#61afef", "#98c379", "#c678dd", "#e06c75", "#56b6c2", "#d19a66", "#a3be8c")
_TINT = 0.38  # how much of a code's colour a coded span's background takes
_UNDERLINE_TINT = 0.55  # how much of a code's colour a suggested span's text takes


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
    memo: bool = False  # the coding has a memo: its lines get a ✎ in the margin


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

    class LayoutReady(Message):
        """The wrapped-line index of the text is complete (built by a worker): `line_count`
        is exact from now on."""

        def __init__(
            self,
            transcript_view: TranscriptView,
            layout: WrappedLayout,
            starts: list[int],
            ends: list[int],
            start: int,
        ) -> None:
            super().__init__()
            self.transcript_view = transcript_view
            self.layout = layout
            self.starts = starts
            self.ends = ends
            self.start = start

        @property
        def control(self) -> TranscriptView:
            return self.transcript_view

    SYNC_WRAP: ClassVar[int] = 100_000
    """Texts up to this many code points are wrapped whole at once; longer ones as far as
    the screen needs, and the rest by a worker."""

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
        self._caret = Caret()
        self._speakers: list[tuple[int, int]] = []  # label spans of turns, drawn bold
        self._speaker_index = SpanIndex(())
        self._marks: list[CodingMark] = []
        self._mark_index = SpanIndex(())
        self._coded: list[tuple[int, int]] = []  # merged confirmed codings, for "uncoded"
        self._coded_starts: list[int] = []
        self._hits: list[tuple[int, int]] = []
        self._hit_index = SpanIndex(())
        self._dragging = False
        self._drag_origin = 0
        # Derived, per wrap width.
        self._layouts: dict[int, WrappedLayout] = {}
        self._layout: WrappedLayout | None = None
        self._layout_width = 0  # cells for text + margin (scrollbar excluded)
        self._size_pending = False
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

        `sentences` are spans (anything with `start` and `end`); `word_ends` are the end
        offsets of word spans that tile the text (each word starts where the previous one
        ends), sorted, as `StoredTranscript.word_ends` gives them. The cursor goes to the
        start and any selection is dropped. Costs no walk over every word or character:
        lines are wrapped as they are shown.
        """
        self._text = text
        self._caret = Caret(text, sentences, word_ends, turns)
        self._speakers = sorted((t.start, t.body_start) for t in turns if t.body_start > t.start)
        self._speaker_index = SpanIndex(self._speakers)
        self._set_marks(list(codings))
        self._hits = []
        self._hit_index = SpanIndex(())
        self._dragging = False
        self._layouts.clear()
        self._layout = None
        self._strips.clear()
        if self.is_mounted:
            self._relayout(force=True)
            self.scroll_to(0, 0, animate=False)
            self.refresh()
            self._post_changes()

    def set_codings(self, codings: Iterable[CodingMark]) -> None:
        """Replace the codings drawn; only lines whose codings changed are redrawn."""
        new = list(codings)
        changed = set(self._marks).symmetric_difference(new)
        if not changed and len(new) == len(self._marks):
            return
        self._set_marks(new)
        for mark in changed:
            self._invalidate(mark.start, mark.end)

    def set_search_hits(self, spans: Iterable[Span]) -> None:
        """Highlight these spans (search results); an empty list clears the highlight."""
        new = sorted((s.start, s.end) for s in spans)
        changed = set(self._hits).symmetric_difference(new)
        self._hits = new
        self._hit_index = SpanIndex(new)
        for start, end in changed:
            self._invalidate(start, end)

    def _set_marks(self, marks: list[CodingMark]) -> None:
        self._marks = marks
        self._mark_index = SpanIndex((m.start, m.end) for m in marks)
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
    def caret(self) -> Caret:
        """The caret's plain state (cursor, anchor, visual mode, sentence), read-only by
        convention: move it with `go_to`, the `cursor`/`anchor` setters or the actions."""
        return self._caret

    @property
    def cursor(self) -> int:
        """The cursor's offset into the text (always at a grapheme-cluster start)."""
        return self._caret.cursor

    @cursor.setter
    def cursor(self, offset: int) -> None:
        self._move(offset, extend=self._caret.anchor is not None)

    @property
    def anchor(self) -> int | None:
        """Where the selection started, or None when nothing is selected."""
        return self._caret.anchor

    @anchor.setter
    def anchor(self, offset: int | None) -> None:
        if offset is None:
            self.clear_selection()
        else:
            self._move(self._caret.cursor, extend=True, anchor=offset)

    @property
    def visual_mode(self) -> bool:
        """True while plain motions extend the selection (toggled with `v`)."""
        return self._caret.visual

    @property
    def selection(self) -> Span:
        """The span a code would be applied to.

        With a selection: from the selection's start down to the start of the word it
        falls in, to its end up to the end of the word it falls in, with leading and
        trailing whitespace trimmed. Without one: the current sentence. Empty (at the
        cursor) when there is neither.
        """
        return self._caret.selection

    @property
    def has_selection(self) -> bool:
        """True when `selection` comes from a selection rather than the current sentence."""
        return self._caret.anchor is not None

    @property
    def selected_text(self) -> str:
        """The text of `selection`."""
        span = self.selection
        return self._text[span.start : span.end]

    @property
    def current_sentence_index(self) -> int | None:
        """Index (into the sentences given to `load`) of the sentence containing the
        cursor, or of the nearest following one; None past the last sentence."""
        return self._caret.sentence_index

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
    def layout(self) -> WrappedLayout | None:
        """The wrapped lines at the current width (None before the first layout)."""
        return self._layout

    @property
    def line_count(self) -> int:
        """Number of visual (wrapped) lines at the current width; 0 before layout. Until
        `layout_complete`, the lines built plus an estimate for the rest."""
        return self._layout.line_count if self._layout is not None else 0

    @property
    def layout_complete(self) -> bool:
        """True when every line at the current width is wrapped (`line_count` is exact)."""
        return self._layout is not None and self._layout.complete

    def line_of(self, offset: int) -> int:
        """The visual line showing `offset` (0 before layout)."""
        if self._layout is None:
            return 0
        return self._layout.line_of(offset)

    # ------------------------------------------------------------------ moving

    def go_to(self, offset: int, select_to: int | None = None) -> None:
        """Put the cursor at `offset` (snapped to its grapheme cluster) and scroll it
        into view, centred if it was off screen. With `select_to`, select
        `[offset, select_to)` as well."""
        if select_to is None:
            self._caret.visual = False
            self._move(offset, extend=False, center=True)
        else:
            self._move(select_to, extend=True, anchor=offset, center=True)

    def clear_selection(self) -> None:
        """Drop the selection and leave visual mode."""
        self._caret.visual = False
        self._move(self._caret.cursor, extend=False)

    def _apply(self, motion: Motion | None) -> None:
        if motion is not None:
            self._move(motion.target, extend=motion.extend, anchor=motion.anchor)

    def _units(self, forward: bool, extend: bool, kind: str) -> None:
        caret = self._caret
        units = {"sentence": caret.sentences, "word": caret.words, "turn": caret.turns}[kind]
        self._apply(caret.unit_motion(units, forward=forward, extend=extend))

    def action_next_sentence(self) -> None:
        self._units(True, False, "sentence")

    def action_previous_sentence(self) -> None:
        self._units(False, False, "sentence")

    def action_next_word(self) -> None:
        self._units(True, False, "word")

    def action_previous_word(self) -> None:
        self._units(False, False, "word")

    def action_next_char(self) -> None:
        self._apply(self._caret.char_motion(forward=True, extend=False))

    def action_previous_char(self) -> None:
        self._apply(self._caret.char_motion(forward=False, extend=False))

    def action_next_turn(self) -> None:
        self._units(True, False, "turn")

    def action_previous_turn(self) -> None:
        self._units(False, False, "turn")

    def action_select_next_sentence(self) -> None:
        self._units(True, True, "sentence")

    def action_select_previous_sentence(self) -> None:
        self._units(False, True, "sentence")

    def action_select_next_word(self) -> None:
        self._units(True, True, "word")

    def action_select_previous_word(self) -> None:
        self._units(False, True, "word")

    def action_select_next_char(self) -> None:
        self._apply(self._caret.char_motion(forward=True, extend=True))

    def action_select_previous_char(self) -> None:
        self._apply(self._caret.char_motion(forward=False, extend=True))

    def action_next_uncoded(self) -> None:
        """Cursor to the start of the next sentence that no confirmed coding touches."""
        motion = self._caret.next_uncoded(self._is_coded)
        if motion is None:
            self.app.bell()
        self._apply(motion)

    def action_toggle_visual(self) -> None:
        if self._caret.visual:
            self.clear_selection()
        else:
            self._caret.visual = True
            self._move(self._caret.cursor, extend=True)

    def action_clear_selection(self) -> None:
        self.clear_selection()

    def action_page_down(self) -> None:
        self._line_motion(max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self._line_motion(-max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self._move(0, extend=self._caret.visual)

    def action_last(self) -> None:
        self._move(self._caret.max_cursor, extend=self._caret.visual)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape with nothing to clear goes on to the app (closing a panel, say).
        if action == "clear_selection":
            return self._caret.anchor is not None or self._caret.visual
        return True

    def _line_motion(self, delta: int) -> None:
        layout = self._layout
        if layout is None:
            return
        y = max(0, layout.line_of(self._caret.cursor) + delta)
        span = layout.line(y)
        if span is None:
            span = layout.line(len(layout.starts) - 1)
        if span is not None:
            self._move(span[0], extend=self._caret.visual)

    def _is_coded(self, start: int, end: int) -> bool:
        i = bisect_right(self._coded_starts, max(start, end - 1)) - 1
        # Merged intervals are disjoint: only the last one starting before `end` can reach in.
        return i >= 0 and self._coded[i][1] > start

    # ------------------------------------------------------------------ state changes

    def _move(
        self,
        target: int,
        *,
        extend: bool,
        anchor: int | None = None,
        center: bool = False,
    ) -> None:
        """Move the caret (see `Caret.place`). Redraws only the lines whose look changed,
        keeps the cursor visible and tells the app."""
        caret = self._caret
        old_cursor, old_sent, old_sel = caret.cursor, caret.sentence_span, caret.selection_span
        caret.place(target, extend=extend, anchor=anchor)
        if self._layout is not None:
            self._invalidate(old_cursor, old_cursor + 1)
            self._invalidate(caret.cursor, caret.cursor + 1)
            if old_sent != caret.sentence_span:
                for span in (old_sent, caret.sentence_span):
                    if span is not None:
                        self._invalidate(*span)
            if old_sel != caret.selection_span:
                for start, end in changed_ranges(old_sel, caret.selection_span):
                    self._invalidate(start, end)
            self._scroll_to_cursor(center=center)
        self._post_changes(cursor_moved=old_cursor != caret.cursor)

    def _post_changes(self, cursor_moved: bool = True) -> None:
        if not self.is_attached:
            return
        caret = self._caret
        if cursor_moved:
            self.post_message(self.CursorMoved(self, caret.cursor, caret.sentence_index))
        target = (caret.selection, caret.anchor is not None)
        if target != self._last_target:
            self._last_target = target
            self.post_message(self.SelectionChanged(self, *target))

    def _invalidate(self, start: int, end: int) -> None:
        """Forget and redraw the cached lines showing `[start, end)` (at least one line).
        Lines not wrapped yet were never drawn: nothing to forget there."""
        layout = self._layout
        if layout is None:
            return
        first = layout.built_line_of(start)
        if first is None:
            return
        last = layout.built_line_of(max(start, end - 1))
        if last is None:
            last = len(layout.starts) - 1
        discard = self._strips.discard
        for y in range(first, last + 1):
            discard(y)
        top = self.scroll_offset.y
        bottom = top + self.scrollable_content_region.height
        first, last = max(first, top), min(last, bottom - 1)
        if first <= last:
            self.refresh_lines(first, last - first + 1)

    def _scroll_to_cursor(self, center: bool = False) -> None:
        layout = self._layout
        if layout is None or not self.is_mounted:
            return
        caret = self._caret
        built = len(layout.starts)
        y = layout.line_of(caret.cursor)
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        if height > 0:
            new_top = None
            if center:
                if not top <= y < top + height:
                    new_top = y - height // 2
            else:
                # Keep a line of context above and below where the height allows it, and
                # the rest of the sentence the cursor starts, so it can be read before coding.
                context = 1 if height > 4 else 0
                last = y
                sent = caret.sentence_span
                if sent is not None and sent[0] <= caret.cursor:
                    last = min(layout.line_of(sent[1] - 1), y + height - 1 - 2 * context)
                    last = max(last, y)
                if y < top + context:
                    new_top = y - context
                elif last >= top + height - context:
                    new_top = last - height + 1 + context
            if len(layout.starts) != built:
                self._sync_virtual_size()
            if new_top is not None:
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
        """Bring the layout up to the current width (reusing one built before): wrap what
        the screen shows now, and start a worker on the rest."""
        total = self.scrollable_content_region.width
        if total <= 0:
            return
        text_width, _ = self._widths()
        if not force and total == self._layout_width and self._layout is not None:
            return
        top_offset = None
        cursor_shown = False
        height = self.scrollable_content_region.height
        old = self._layout
        cursor = self._caret.cursor
        if old is not None and old.starts:
            top = min(self.scroll_offset.y, len(old.starts) - 1)
            top_offset = old.starts[top]
            cursor_line = old.built_line_of(cursor)
            cursor_shown = cursor_line is not None and top <= cursor_line < top + height
        self._layout_width = total
        layout = self._layouts.get(text_width)
        if layout is None:
            if len(self._layouts) >= 4:
                self._layouts.pop(next(iter(self._layouts)))
            layout = WrappedLayout(self._text, text_width)
            self._layouts[text_width] = layout
        self._layout = layout
        if len(self._text) <= self.SYNC_WRAP:
            layout.extend(len(self._text) + 1)
        else:
            # The first screens, where the reader is (or the top); a worker does the rest.
            layout.cover_line(self.scroll_offset.y + 2 * max(height, 24))
        self._strips.clear()
        self._sync_virtual_size()
        if top_offset is not None:
            # Keep the text that was at the top at the top after a rewrap, unless that
            # would push off screen a cursor the reader could see.
            top = layout.line_of(top_offset)
            cursor_line = layout.line_of(cursor)
            if cursor_shown and not top <= cursor_line < top + height:
                top = max(0, cursor_line - height // 2)
            self._sync_virtual_size()
            self.scroll_to(y=top, animate=False)
        if not layout.complete:
            self._wrap_rest(layout)
        self.refresh()

    def _sync_virtual_size(self) -> None:
        self._size_pending = False
        if self._layout is not None:
            self.virtual_size = Size(self._layout_width, self._layout.line_count)

    @work(thread=True, exclusive=True, group="transcript-layout", exit_on_error=False)
    def _wrap_rest(self, layout: WrappedLayout) -> None:
        """Wrap the rest of the text off the UI thread, in slices so that a newer text or
        width cancels it early; the lines come back in a `LayoutReady` message."""
        worker = get_current_worker()
        start = layout.wrapped_to  # read once: the UI thread may wrap on meanwhile
        if layout.complete:
            return
        starts: list[int] = []
        ends: list[int] = []
        pos = start
        while pos >= 0:
            if worker.is_cancelled:
                return
            more_starts, more_ends, pos = wrap(
                layout.text, layout.width, pos, pos + WrappedLayout.CHUNK
            )
            starts += more_starts
            ends += more_ends
        self.post_message(self.LayoutReady(self, layout, starts, ends, start))

    def on_transcript_view_layout_ready(self, message: LayoutReady) -> None:
        if message.transcript_view is not self:
            return
        message.layout.merge(message.starts, message.ends, message.start, -1)
        if message.layout is self._layout:
            self._sync_virtual_size()

    # ------------------------------------------------------------------ mouse

    def _offset_at(self, event: events.MouseEvent) -> tuple[int, int]:
        """The cluster under the pointer as (start, end); past a line's text, its last
        cluster (or its newline). Either half of a wide character maps to it."""
        layout = self._layout
        if layout is None:
            return 0, 0
        offset = event.get_content_offset_capture(self)
        y = max(0, offset.y + self.scroll_offset.y)
        span = layout.line(y) or layout.line(len(layout.starts) - 1)
        if span is None:
            return 0, 0
        start, end = span
        x = max(0, offset.x)
        col = 0
        pos = start
        last = None
        for cluster in CLUSTER.findall(self._text, start, end):
            width = measure(cluster).width
            if x < col + width:
                return pos, pos + len(cluster)
            last = (pos, pos + len(cluster))
            col += width
            pos += len(cluster)
        if last is None:
            return end, self._caret.cluster(end)[1]  # an empty line: its newline
        return last

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1 or self._layout is None:
            return
        start, _ = self._offset_at(event)
        self._dragging = True
        self._drag_origin = start
        self.capture_mouse()
        if event.shift:
            self._move(start, extend=True)
        else:
            self._caret.visual = False
            self._move(start, extend=False)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if not self._dragging:
            return
        start, end = self._offset_at(event)
        origin = self._drag_origin
        if start == origin and self._caret.anchor is None:
            return
        # Dragging selects every cluster the pointer passed over, the pressed one included.
        if start >= origin:
            self._move(end, extend=True, anchor=origin)
        else:
            self._move(start, extend=True, anchor=self._caret.cluster(origin)[1])

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        """Draw visual line `scroll_y + y`: the text with its styles, then the margin."""
        if self._layout is None or self.scrollable_content_region.width != self._layout_width:
            self._relayout()
        line = self.scroll_offset.y + y
        layout = self._layout
        if layout is None:
            return Strip.blank(self.size.width, self.rich_style)
        strip = self._strips.get(line)
        if strip is None:
            built = len(layout.starts)
            if layout.line(line) is None:
                return Strip.blank(self.size.width, self.rich_style)
            strip = self._render_visual_line(line)
            self._strips[line] = strip
            if len(layout.starts) != built and not self._size_pending:
                # Lines were wrapped to draw this one: the estimate of the rest moved.
                self._size_pending = True
                self.call_later(self._sync_virtual_size)
        return strip

    def margin_marker(self, marks: Sequence[CodingMark]) -> Segment | None:
        """Hook for a per-line mark drawn first in the margin (before the code labels) of a
        line that `marks` (the codings touching it, topmost first) touch; None draws none.
        The labels get the cells left after it. A mark that depends on more than these
        codings must have its lines redrawn (`set_codings` redraws the lines of any coding
        that changed). Here: ✎ on the lines of a coding with a memo."""
        if any(mark.memo for mark in marks):
            p = self._get_palette()
            return Segment("✎ ", p.base + p.margin + Style(bold=True))
        return None

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
        layout = self._layout
        assert layout is not None
        text = self._text
        n = len(text)
        start, end = layout.starts[y], layout.ends[y]
        owned = layout.owned(y)
        text_width, margin = self._widths()
        all_marks = self._marks
        # The one to draw on top first: the shortest, and among equals the later one.
        marks = [
            all_marks[i]
            for i in sorted(
                self._mark_index.touching(*owned),
                key=lambda i: (all_marks[i].end - all_marks[i].start, -i),
            )
        ]
        confirmed = [m for m in marks if not m.suggested]
        suggested = [m for m in marks if m.suggested]
        hits = [self._hits[i] for i in self._hit_index.touching(*owned)]
        speakers = [self._speakers[i] for i in self._speaker_index.touching(*owned)]
        caret = self._caret
        sel = caret.selection_span
        sent = caret.sentence_span
        cursor = caret.cursor
        style = self._style

        segments: list[Segment] = []
        run: list[str] = []
        run_key: _StyleKey | None = None
        col = 0
        pos = start
        isolate_next = False
        for cluster in CLUSTER.findall(text, start, end):
            info = INFO.get(cluster) or measure(cluster)
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
        if layout.is_hard_end(y):
            nl_selected = end < n and sel is not None and sel[0] <= end < sel[1]
            if end == cursor or nl_selected:
                key = (None, None, False, False, False, nl_selected, end == cursor)
                segments.append(Segment(" ", style(key)))
                col += 1
        # Text area plus the gap column, then the marker and the labels.
        pad = text_width + 1 - col
        if pad > 0:
            segments.append(Segment(" " * pad, base))
            col += pad
        if margin > 1:
            room = margin - 1
            marker = self.margin_marker(marks)
            if marker is not None:
                segments.append(marker)
                col += cell_len(marker.text)
                room -= cell_len(marker.text)
            label_segments, used = self._margin_segments(marks, room)
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
            label = "".join(measure(c).display for c in CLUSTER.findall(mark.label or mark.code_id))
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
    for cluster in CLUSTER.findall(label):
        w = measure(cluster).width
        if used + w > width - 1:
            break
        out.append(measure(cluster).display)
        used += w
    return "".join(out) + "…" + " " * (width - 1 - used)
