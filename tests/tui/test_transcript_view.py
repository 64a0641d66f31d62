"""The transcript view as a coder uses it: moving by sentence, word, character and turn,
selecting with keys and the mouse, and what the screen shows, in terminal cells.

The small transcript is built from its words the way jieba cuts them (an emoji family and
a flag come out in pieces), so word boundaries are known exactly and some fall inside a
grapheme cluster, which the view must never split.
"""

from __future__ import annotations

import bisect
from itertools import accumulate
from typing import ClassVar

import pytest
import regex
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.strip import Strip

from qualcode.model import Span, Turn
from qualcode.tui.layout import Caret, SpanIndex, WrappedLayout, cluster_at, wrap
from qualcode.tui.transcript_view import CodingMark, TranscriptView

pytestmark = pytest.mark.anyio

FAMILY = "👩\u200d👩\u200d👧"
FLAG = "🇨🇳"
WORDS = [
    "编号", "：", "T01", "\n", "\n",
    "访谈者", "：", "您好", "！", "您", "用过", "「", "江城", "办", "」", "App", "吗", "？",
    "\n", "\n",
    "受访者", "：", "用過", "，", "我", "用", " ", "App", " ", "4G", " ", "流量", "辦事", "。",
    "這個", "網站", "很", "好用", "！",
    "👩", "\u200d", "👩", "\u200d", "👧", "一家人", "都", "用", "🇨", "🇳", "。",
    "\n", "\n",
    "访谈者", "：", "好的", "，", "谢谢", "。", "\n",
]  # fmt: skip
TEXT = "".join(WORDS)
WORD_ENDS = list(accumulate(len(w) for w in WORDS))


def segment(text: str) -> tuple[list[Span], list[Turn]]:
    """Speaker turns and the sentences of their bodies (ending at 。！？), as the core gives them."""
    turns: list[Turn] = []
    sentences: list[Span] = []
    for m in regex.finditer(r"^(访谈者|受访者)：(.*)$", text, regex.M):
        turns.append(Turn(m.start(), m.end(), m.group(1), m.start(2)))
        for s in regex.finditer(r"[^。！？]+[。！？]*", m.group(2)):
            sentences.append(Span(m.start(2) + s.start(), m.start(2) + s.end()))
    return sentences, turns


SENTENCES, TURNS = segment(TEXT)


def at(needle: str, nth: int = 0) -> int:
    """Offset of the nth occurrence of `needle` in TEXT."""
    return [m.start() for m in regex.finditer(regex.escape(needle), TEXT)][nth]


def sentence_at(needle: str) -> Span:
    return next(s for s in SENTENCES if TEXT[s.start : s.end].startswith(needle))


class CountingView(TranscriptView):
    """Counts the lines Textual asks for, to prove only visible or changed lines are drawn."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rendered = 0

    def render_line(self, y: int) -> Strip:
        self.rendered += 1
        return super().render_line(y)


class Host(App[None]):
    """Just the view, filling the screen, and the messages it posts."""

    def __init__(self, margin: int = 16) -> None:
        super().__init__()
        self.margin = margin
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield CountingView(margin=self.margin, id="transcript")

    def on_transcript_view_cursor_moved(self, message: TranscriptView.CursorMoved) -> None:
        self.messages.append(message)

    def on_transcript_view_selection_changed(
        self, message: TranscriptView.SelectionChanged
    ) -> None:
        self.messages.append(message)


def load(app: Host, codings: list[CodingMark] | None = None) -> CountingView:
    view = app.query_one(CountingView)
    view.load(TEXT, SENTENCES, WORD_ENDS, TURNS, codings or [])
    view.focus()
    return view


def screen_xy(view: TranscriptView, offset: int) -> tuple[int, int]:
    """Where the character at `offset` is drawn, in cells relative to the view."""
    y = view.line_of(offset)
    start = view.layout.starts[y]  # type: ignore[union-attr]
    return cell_len(view.text[start:offset]), y - view.scroll_offset.y


def strip_cells(strip: Strip) -> int:
    """A strip's width measured afresh from its segments, not the length it claims."""
    return sum(cell_len(segment.text) for segment in strip)


# ---------------------------------------------------------------- moving


async def test_sentence_keys_move_to_sentence_starts_across_turns() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        await pilot.pause()
        assert view.cursor == 0 and view.current_sentence_index == 0  # the header is no sentence
        starts = [s.start for s in SENTENCES]
        for expected in starts[:4]:
            await pilot.press("j")
            assert view.cursor == expected
            assert view.anchor is None
        await pilot.press("down")
        assert view.cursor == starts[4]
        assert TEXT[view.cursor :].startswith(FAMILY)
        await pilot.press("up", "k")
        assert view.cursor == starts[2]
        assert view.selection == SENTENCES[2]
        assert view.selected_text == "用過，我用 App 4G 流量辦事。"
        # From inside a sentence, k goes to its start first, as vim's ( does.
        view.go_to(at("流量"))
        await pilot.press("k")
        assert view.cursor == starts[2]


async def test_word_keys_follow_word_boundaries_and_skip_spaces() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        view.go_to(at("用過"))
        await pilot.pause()
        seen = []
        for _ in range(8):
            await pilot.press("w")
            seen.append(view.cursor)
        expected = [at("，", 0), at("我用"), at("用 App"), at("App", 1), at("4G"), at("流量")]
        expected += [at("辦事"), at("。")]
        assert seen == expected
        await pilot.press("b", "b")
        assert view.cursor == at("流量")


async def test_word_motion_steps_over_an_emoji_that_words_cut_in_pieces() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        view.go_to(at("好用"))
        await pilot.press("w", "w")
        assert view.cursor == at(FAMILY)
        await pilot.press("w")
        assert view.cursor == at("一家人")
        await pilot.press("b")
        assert view.cursor == at(FAMILY)
        view.go_to(at(FAMILY) + 2)  # inside the cluster: snaps to its start
        assert view.cursor == at(FAMILY)


async def test_character_keys_move_by_grapheme_cluster() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        view.go_to(at("！", 1))
        await pilot.press("l")
        assert view.cursor == at(FAMILY)
        await pilot.press("right")
        assert view.cursor == at(FAMILY) + len(FAMILY) == at("一家人")
        view.go_to(at(FLAG))
        await pilot.press("l")
        assert view.cursor == at(FLAG) + 2
        await pilot.press("h")
        assert view.cursor == at(FLAG)
        await pilot.press("left")
        assert view.cursor == at(FLAG) - 1


async def test_turn_keys_go_to_the_words_of_each_turn() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        bodies = [t.body_start for t in TURNS]
        await pilot.press("J")
        assert view.cursor == bodies[0]
        await pilot.press("right_square_bracket")
        assert view.cursor == bodies[1]
        await pilot.press("J")
        assert view.cursor == bodies[2]
        await pilot.press("K", "left_square_bracket")
        assert view.cursor == bodies[0]


async def test_u_goes_to_the_next_sentence_without_a_confirmed_coding() -> None:
    s = SENTENCES
    codings = [
        CodingMark(s[1].start, s[1].start + 3, "app", "江城办", "#61afef", False, 1),
        CodingMark(s[2].start, s[3].end, "use", "使用", "#98c379", False, 2),
        CodingMark(s[4].start, s[4].end, "family", "家庭", "#c678dd", True, 3),  # only suggested
    ]
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app, codings)
        view.go_to(s[0].start)
        await pilot.press("u")
        assert view.cursor == s[4].start
        await pilot.press("u")
        assert view.cursor == s[5].start


# ---------------------------------------------------------------- selecting


async def test_shift_down_and_up_select_whole_sentences() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        view.go_to(SENTENCES[0].start)
        await pilot.press("shift+down")
        assert view.selection == SENTENCES[0]
        assert view.selected_text == "您好！"
        await pilot.press("shift+down")
        assert view.selected_text == "您好！您用过「江城办」App吗？"
        await pilot.press("shift+up")
        assert view.selected_text == "您好！"
        await pilot.press("escape")
        assert view.anchor is None
        assert view.selection == view_sentence(view)
        # A fresh backward selection from the start of a turn stops where the previous
        # sentence ends: the next speaker's label is not swept in.
        view.go_to(SENTENCES[2].start)
        await pilot.press("shift+up")
        assert view.selected_text == "您用过「江城办」App吗？"


def view_sentence(view: TranscriptView) -> Span:
    index = view.current_sentence_index
    assert index is not None
    return SENTENCES[index]


async def test_selection_snaps_outward_to_words_and_trims_spaces() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        view.go_to(at("城"))  # inside the word 江城
        await pilot.press("v")
        assert view.visual_mode
        assert view.selected_text == "江城"
        await pilot.press("l")  # visual mode: plain motions extend
        assert view.selected_text == "江城"
        await pilot.press("l")
        assert view.selected_text == "江城办"
        span = view.selection
        assert TEXT[span.start : span.end] == "江城办"
        await pilot.press("v")
        assert view.anchor is None and not view.visual_mode

        view.go_to(at(" App"))
        await pilot.press("shift+right", "shift+right", "shift+right")
        assert view.selected_text == "App"  # the leading space is trimmed
        assert view.cursor == at(" App") + 3  # mid-word: W first extends to the word's end
        await pilot.press("W")
        assert view.cursor == at(" App") + 4 and view.selected_text == "App"
        await pilot.press("W")
        assert view.selected_text == "App 4G"
        await pilot.press("W")
        assert view.selected_text == "App 4G 流量"
        await pilot.press("B")
        assert view.selected_text == "App 4G"


async def test_a_selection_never_cuts_a_grapheme_cluster() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        view.go_to(at(FAMILY))
        await pilot.press("shift+right")
        assert view.selected_text == FAMILY  # its words are pieces; the selection is whole
        view.go_to(at(FLAG) + 1, select_to=at(FLAG) + 2)
        assert view.selected_text == FLAG


async def test_go_to_with_select_to_selects_that_span() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        start = at("流量")
        view.go_to(start, select_to=start + 4)
        await pilot.pause()
        assert view.selection == Span(start, start + 4)
        assert view.selected_text == "流量辦事"
        assert view.has_selection


async def test_moves_post_cursor_and_selection_messages() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        await pilot.pause()
        pilot.app.messages.clear()
        await pilot.press("j")
        await pilot.pause()
        moved = [m for m in pilot.app.messages if isinstance(m, TranscriptView.CursorMoved)]
        changed = [m for m in pilot.app.messages if isinstance(m, TranscriptView.SelectionChanged)]
        assert moved[-1].cursor == SENTENCES[0].start and moved[-1].sentence_index == 0
        await pilot.press("shift+down")
        await pilot.pause()
        changed = [m for m in pilot.app.messages if isinstance(m, TranscriptView.SelectionChanged)]
        assert changed[-1].span == SENTENCES[0] and changed[-1].is_selection
        assert changed[-1].control is view


# ---------------------------------------------------------------- mouse


async def test_click_on_either_half_of_a_wide_character_puts_the_cursor_on_it() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        await pilot.pause()
        for needle in ("網", FAMILY, "」", "4"):
            offset = at(needle)
            x, y = screen_xy(view, offset)
            width = cell_len(needle)
            for half in range(width):
                view.go_to(0)
                await pilot.click(CountingView, offset=(x + half, y))
                assert view.cursor == offset, (needle, half)
                assert view.anchor is None


async def test_drag_selects_the_characters_passed_over() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        await pilot.pause()
        x0, y0 = screen_xy(view, at("流量"))
        x1, y1 = screen_xy(view, at("辦事") + 1)  # the second half of 事
        await pilot.mouse_down(CountingView, offset=(x0, y0))
        await pilot.hover(CountingView, offset=(x1 + 1, y1))
        await pilot.mouse_up(CountingView, offset=(x1 + 1, y1))
        assert view.selected_text == "流量辦事"
        # Dragging backwards includes the character pressed on.
        x2, y2 = screen_xy(view, at("網站"))
        await pilot.mouse_down(CountingView, offset=(x2 + 1, y2))
        await pilot.hover(CountingView, offset=(0, y2 - 2))
        await pilot.mouse_up(CountingView, offset=(0, y2 - 2))
        # 網 snaps out to the whole word 網站.
        assert view.selected_text == TEXT[at("访谈者") : at("網站") + 2]


# ---------------------------------------------------------------- drawing


def cjk_heavy_text() -> str:
    """Lines whose wide characters meet the wrap column at both parities."""
    line = "受访者：我用App查社保，這個「網站」很难用！👩‍👩‍👧🇨🇳" + "政务服务网" * 9
    return "\n".join(("a" * k + line) for k in range(4)) + "\n\n" + "x" * 150 + "\n"


@pytest.mark.parametrize("width", [30, 31, 47, 61, 80, 121])
def test_wrapped_lines_tile_the_text_fit_the_width_and_keep_clusters_whole(width: int) -> None:
    text = cjk_heavy_text() + TEXT
    starts, ends, _ = wrap(text, width)
    boundaries = {0} | set(accumulate(len(c) for c in regex.findall(r"\X", text)))
    rebuilt = []
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        assert start in boundaries and end in boundaries
        assert cell_len(text[start:end]) <= width
        rebuilt.append(text[start:end])
        if i + 1 < len(starts) and starts[i + 1] == end + 1:
            rebuilt.append("\n")
    assert "".join(rebuilt) + "\n" == text
    assert not any(text[s] in "，。！」" for s in starts if s)  # closing punctuation never leads


@pytest.mark.parametrize("size", [(30, 12), (31, 12), (47, 15), (80, 20), (121, 30)])
async def test_every_strip_is_exactly_the_view_width(size: tuple[int, int]) -> None:
    text = cjk_heavy_text() + TEXT
    offset = text.index("這個")
    codings = [
        CodingMark(offset, offset + 9, "site", "網站评价", "#e06c75", False, 1),
        CodingMark(offset + 2, offset + 20, "feeling", "非常长的一个代码标签名称", "", True, 2),
        CodingMark(offset + 4, offset + 6, "ux", "UX", "#61afef", False, 3),
        CodingMark(offset, offset + 3, "more", "更多", "#98c379", False, 4),
    ]
    async with Host().run_test(size=size) as pilot:
        view = pilot.app.query_one(CountingView)
        view.load(text, [], [], [], codings)
        view.set_search_hits([Span(m.start(), m.end()) for m in regex.finditer("政务", text)])
        view.go_to(offset + 1, select_to=offset + 12)
        await pilot.pause()
        height = view.scrollable_content_region.height
        for top in range(0, view.line_count, height):
            view.scroll_to(y=top, animate=False)
            for y in range(height):
                strip = view.render_line(y)
                assert strip_cells(strip) == view.size.width, (top + y, strip.text)


async def test_margin_shows_the_labels_of_codings_touching_each_line() -> None:
    s = SENTENCES
    codings = [
        CodingMark(s[1].start, s[1].end, "app", "江城办", "#61afef", False, 1),
        CodingMark(s[3].start, s[3].end, "site", "网站评价", "#e06c75", False, 2),
        CodingMark(s[3].start, s[3].start + 2, "trad", "繁体字", "#98c379", True, 3),
        CodingMark(s[3].start, s[3].start + 4, "feeling", "感受", "#c678dd", False, 4),
        CodingMark(s[3].start, s[3].start + 4, "ux", "使用体验", "#d19a66", False, 5),
    ]
    async with Host(margin=16).run_test(size=(100, 20)) as pilot:
        view = load(pilot.app, codings)
        await pilot.pause()
        text_width = view.scrollable_content_region.width - 16

        def margin_of(offset: int) -> str:
            return view.render_line(view.line_of(offset) - view.scroll_offset.y).text.rstrip()

        line = margin_of(s[1].start)
        assert line.endswith("江城办")
        assert cell_len(line[: line.rindex("江城办")]) == text_width + 1  # labels line up
        assert "江城办" not in margin_of(s[0].start - 10)
        crowded = margin_of(s[3].start)
        # The longest coding's label first; the rest do not fit and are counted.
        assert crowded.endswith("网站评价 +3")
        assert "江城办" not in margin_of(TURNS[0].start - 2)


async def test_long_labels_are_cut_with_an_ellipsis_by_cell_width() -> None:
    s = SENTENCES[2]
    codings = [CodingMark(s.start, s.end, "long", "政务服务网使用体验评价", "#61afef", False, 1)]
    async with Host(margin=12).run_test(size=(61, 20)) as pilot:
        view = load(pilot.app, codings)
        await pilot.pause()
        strip = view.render_line(view.line_of(s.start) - view.scroll_offset.y)
        assert "政务服务网…" in strip.text
        assert strip_cells(strip) == view.size.width


async def test_set_codings_redraws_only_the_lines_it_touches() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        await pilot.pause()
        view.rendered = 0
        s = SENTENCES[2]
        view.set_codings([CodingMark(s.start, s.end, "use", "使用", "#98c379", False, 1)])
        await pilot.pause()
        touched = view.line_of(s.end - 1) - view.line_of(s.start) + 1
        assert 0 < view.rendered <= touched
        assert "使用" in view.render_line(view.line_of(s.start)).text


async def test_a_cursor_move_redraws_only_the_lines_that_change() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        await pilot.press("j")
        view.rendered = 0
        await pilot.press("l")  # same sentence, same line
        assert view.rendered == 1


async def test_a_200000_character_transcript_draws_only_visible_lines() -> None:
    paragraph = TEXT.split("\n\n", 1)[1]
    text = (paragraph * (200_000 // len(paragraph) + 1))[:200_000]
    sentences, turns = segment(text)
    words = [m.end() for m in regex.finditer(r"[A-Za-z0-9]+|\s+|\X", text)]
    codings = [
        CodingMark(s.start, s.end, f"c{i % 5}", f"代码{i % 5}", "", i % 7 == 0, i)
        for i, s in enumerate(sentences[::9])
    ]
    async with Host().run_test(size=(120, 40)) as pilot:
        view = pilot.app.query_one(CountingView)
        await pilot.pause()
        view.rendered = 0
        view.load(text, sentences, words, turns, codings)
        await pilot.pause()
        height = view.scrollable_content_region.height
        assert view.line_count > 50 * height
        assert view.rendered <= 3 * height

        view.rendered = 0
        view.go_to(len(text) - 1)
        await pilot.pause()
        top = view.scroll_offset.y
        assert top <= view.line_of(view.cursor) < top + height
        assert view.rendered <= 2 * height


async def test_visual_mode_makes_sentence_keys_extend_and_escape_leaves_it() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        view.go_to(SENTENCES[0].start)
        await pilot.press("v", "j")
        assert view.selected_text == "您好！"
        await pilot.press("j")
        assert view.selected_text == "您好！您用过「江城办」App吗？"
        await pilot.press("escape")
        assert view.anchor is None and not view.visual_mode
        await pilot.press("j")
        assert view.cursor == SENTENCES[2].start and view.anchor is None


class EscapeHost(Host):
    """A host whose own escape key counts how often the view let it through."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "escaped")]

    escaped = 0

    def action_escaped(self) -> None:
        self.escaped += 1


async def test_escape_with_nothing_selected_goes_on_to_the_app() -> None:
    async with EscapeHost().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        await pilot.press("shift+right", "escape")
        assert view.anchor is None and pilot.app.escaped == 0
        await pilot.press("escape")
        assert pilot.app.escaped == 1


async def test_resize_rewraps_and_keeps_the_cursor_on_screen() -> None:
    text = (cjk_heavy_text() + TEXT) * 8
    async with Host().run_test(size=(100, 16)) as pilot:
        view = pilot.app.query_one(CountingView)
        view.load(text, [], [], [], [])
        view.focus()
        await pilot.pause()
        wide_lines = view.line_count
        await pilot.press("pagedown", "pagedown")
        target = view.cursor
        assert target > 0
        top = view.scroll_offset.y
        assert top <= view.line_of(target) < top + view.scrollable_content_region.height
        await pilot.resize_terminal(41, 16)
        await pilot.pause()
        assert view.line_count > wide_lines
        top = view.scroll_offset.y
        assert top <= view.line_of(view.cursor) < top + view.scrollable_content_region.height
        assert all(strip_cells(view.render_line(y)) == view.size.width for y in range(16))
        await pilot.press("end")
        assert view.cursor == len(text) - 1  # the final newline
        await pilot.press("home")
        assert view.cursor == 0 and view.scroll_offset.y == 0


async def test_a_theme_change_redraws_with_the_new_colours() -> None:
    async with Host().run_test(size=(80, 20)) as pilot:
        view = load(pilot.app)
        await pilot.pause()
        before = view.render_line(0)
        pilot.app.theme = "textual-light"
        await pilot.pause()
        after = view.render_line(0)
        assert [s.style for s in before] != [s.style for s in after]


# ---------------------------------------------------------------- layout and caret, no app


def long_text(turns: int = 400) -> str:
    """Interview turns of varied length with wide, narrow and emoji text, blank lines between."""
    line = "受访者：我用App查社保，這個「網站」很难用！👩‍👩‍👧🇨🇳政务服务网 4G 流量"
    return "".join(f"访谈者：第{i}个问题？\n\n{line * (1 + i % 7)}\n\n" for i in range(turns))


@pytest.mark.parametrize("width", [30, 47, 80])
def test_a_layout_built_in_pieces_equals_the_text_wrapped_whole(width: int) -> None:
    text = long_text()
    whole_starts, whole_ends, done = wrap(text, width)
    assert done == -1
    layout = WrappedLayout(text, width)
    assert layout.line(10) == (whole_starts[10], whole_ends[10])
    assert not layout.complete and layout.wrapped_to < len(text) // 10  # only the top so far
    assert layout.line_count >= len(layout.starts)  # an estimate of the rest
    far = len(text) // 2
    assert layout.line_of(far) == bisect.bisect_right(whole_starts, far) - 1
    # A worker's lines from an earlier point merge in without doubling any line.
    starts, ends, done = wrap(text, width)
    layout.merge(starts, ends, 0, done)
    assert layout.complete
    assert (layout.starts, layout.ends) == (whole_starts, whole_ends)
    assert layout.line_count == len(whole_starts)


def test_an_offset_past_the_wrapped_part_has_no_built_line_until_asked() -> None:
    text = long_text()
    layout = WrappedLayout(text, 40)
    layout.line(0)
    assert layout.built_line_of(len(text) - 5) is None
    last = layout.line_of(len(text) - 5)
    assert layout.built_line_of(len(text) - 5) == last
    assert layout.is_hard_end(len(layout.starts) - 1)


def test_cluster_lookup_from_a_nearby_safe_point_matches_segmenting_from_the_start() -> None:
    text = cjk_heavy_text() + TEXT + "e\u0301 한국어 〰️x"
    bounds = [m.span() for m in regex.finditer(r"\X", text)]
    expected = {}
    for start, end in bounds:
        for offset in range(start, end):
            expected[offset] = (start, end)
    assert all(cluster_at(text, offset) == expected[offset] for offset in range(len(text)))
    assert cluster_at(text, len(text)) == (len(text), len(text))


def test_span_index_finds_exactly_the_spans_touching_a_range() -> None:
    spans = [(0, 5), (3, 4), (10, 30), (12, 13), (29, 31), (40, 41)]
    index = SpanIndex(spans)
    for start in range(45):
        for end in range(start + 1, 46):
            expected = [i for i, (s, e) in enumerate(spans) if s < end and e > start]
            assert index.touching(start, end) == expected


def caret() -> Caret:
    return Caret(TEXT, SENTENCES, WORD_ENDS, TURNS)


def test_caret_word_motion_skips_whitespace_words_without_an_app() -> None:
    c = caret()
    c.place(at(" App"), extend=False)
    stops = []
    for _ in range(4):
        motion = c.unit_motion(c.words, forward=True, extend=False)
        assert motion is not None
        c.place(motion.target, extend=motion.extend, anchor=motion.anchor)
        stops.append(c.cursor)
    assert stops == [at("App", 1), at("4G"), at("流量"), at("辦事")]
    motion = c.unit_motion(c.words, forward=False, extend=False)
    assert motion is not None and motion.target == at("流量")


def test_caret_selection_grows_by_sentences_and_snaps_to_words() -> None:
    c = caret()
    c.place(SENTENCES[0].start, extend=False)
    for _ in range(2):
        motion = c.unit_motion(c.sentences, forward=True, extend=True)
        assert motion is not None
        c.place(motion.target, extend=motion.extend, anchor=motion.anchor)
    assert c.selection == Span(SENTENCES[0].start, SENTENCES[1].end)
    c.place(at("城"), extend=False)
    c.place(at("城") + 1, extend=True)
    assert TEXT[c.selection.start : c.selection.end] == "江城"
    c.place(at(FAMILY) + 2, extend=False)  # inside an emoji sequence jieba cut in pieces
    assert c.cursor == at(FAMILY)
    assert c.char_motion(forward=True, extend=False).target == at(FAMILY) + len(FAMILY)


def test_caret_finds_the_next_sentence_nothing_codes() -> None:
    c = caret()
    coded = {SENTENCES[0].start, SENTENCES[1].start}
    motion = c.next_uncoded(lambda start, end: start in coded)
    assert motion is not None and motion.target == SENTENCES[2].start


async def test_a_long_transcript_is_drawn_before_its_layout_is_complete() -> None:
    text = long_text(3000)  # about 10 times the length the view wraps whole at once
    assert len(text) > TranscriptView.SYNC_WRAP * 3
    sentences, turns = segment(text)
    async with Host().run_test(size=(80, 20)) as pilot:
        view = pilot.app.query_one(CountingView)
        view.load(text, sentences, [], turns)
        assert view.layout is not None and not view.layout.complete
        assert view.layout.wrapped_to < len(text) // 4
        await pilot.pause()
        assert "第0个问题" in "".join(s.text for s in view.render_line(0))
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        starts, _, _ = wrap(text, view.layout.width)
        assert view.layout_complete and view.line_count == len(starts)
        assert view.virtual_size.height == len(starts)
        await pilot.press("end")
        assert view.cursor == len(text) - 1
        assert view.scroll_offset.y > len(starts) - 25
