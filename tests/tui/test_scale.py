"""The workbench at any size: after a coding, progress and counts follow from what changed
(never re-read from every row), codings are read once a key without their text, and the view
keeps its scroll bar right through layouts. Each figure is checked against what the store
itself counts, read through a new connection."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest
from textual.widgets import OptionList

from qualcode.model import Coding, Span
from qualcode.study import import_files
from qualcode.tui.app import QualcodeApp, build_app
from qualcode.tui.dialogs import ChoiceList
from qualcode.tui.layout import Caret
from qualcode.tui.workbench import ALL_CODERS, CodingTally

from .test_app import code_labels, reopened, started, stored
from .test_transcript_view import SENTENCES, TEXT, TURNS, WORD_ENDS, Host, long_text, segment

pytestmark = pytest.mark.anyio

SIZE = (120, 40)

# Two turns, six sentences: one sentence is 17% of the progress shown.
SHORT = (
    "访谈者：您平时用政务服务网吗？用得多吗？\n\n"
    "受访者：用过几次。办社保的时候用的。网站打开很慢。后来就不用了。\n"
)


def coding(id_: int, start: int, end: int, code_id: str = "a") -> Coding:
    return Coding(id_, "t", start, end, code_id, "wang")


def test_a_tally_counts_sentences_touched_and_codings_per_code_change_by_change() -> None:
    # Sentences [0,10) [10,20) [20,30) [30,40)
    tally = CodingTally(array("i", [0, 10, 20, 30]), array("i", [10, 20, 30, 40]))
    assert tally.update([coding(1, 2, 5), coding(2, 8, 12, "b")]) == {"a": 1, "b": 1}
    assert tally.coded_sentences == 2
    # A second coding in a coded sentence adds a coding, not a sentence.
    moved = tally.update([coding(1, 2, 5), coding(2, 8, 12, "b"), coding(3, 3, 4)])
    assert (moved, tally.coded_sentences) == ({"a": 1}, 2)
    # Removing one of two in a sentence leaves it coded; removing the last does not.
    assert tally.update([coding(2, 8, 12, "b"), coding(3, 3, 4)]) == {"a": -1}
    assert tally.coded_sentences == 2
    assert tally.update([coding(2, 8, 12, "b")]) == {"a": -1}
    assert tally.coded_sentences == 2  # 8:12 touches the first and the second
    # A coding moved to another code and span: one removed, one added.
    moved = tally.update([coding(2, 30, 40, "c")])
    assert (+moved, tally.coded_sentences) == ({"c": 1}, 1)
    assert moved["b"] == -1
    # An end on a sentence start touches nothing beyond it; a span in no sentence, none.
    assert tally.update([coding(4, 20, 30)]) == {"c": -1, "a": 1}
    assert tally.coded_sentences == 1
    tally.update([])
    assert (tally.coded_sentences, tally.codings) == (0, {})


def test_the_caret_moves_alike_over_the_stores_sentence_arrays() -> None:
    from qualcode.store import Sentences

    arrays = Sentences(
        TEXT,
        array("i", [s.start for s in SENTENCES]),
        array("i", [s.end for s in SENTENCES]),
        array("i", [0] * len(SENTENCES)),
        TURNS,
    )
    spans, lazy = Caret(TEXT, SENTENCES, WORD_ENDS, TURNS), Caret(TEXT, arrays, WORD_ENDS, TURNS)
    for c in (spans, lazy):
        c.place(SENTENCES[0].start, extend=False)
        for _ in range(3):
            motion = c.unit_motion(c.sentences, forward=True, extend=True)
            assert motion is not None
            c.place(motion.target, extend=motion.extend, anchor=motion.anchor)
    assert lazy.selection == spans.selection == Span(SENTENCES[0].start, SENTENCES[2].end)
    # Out of order (not as the store gives them): sorted first, as before.
    shuffled = Caret(TEXT, SENTENCES[::-1], WORD_ENDS, TURNS)
    assert list(shuffled.sentences.starts) == [s.start for s in SENTENCES]


def shown_figures(app: QualcodeApp) -> tuple[list[str], dict[str, str]]:
    """The transcript list's rows and the codebook's lines, as on screen."""
    listing = app.query_one("#transcripts", OptionList)
    rows = [
        str(listing.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(listing.option_count)
    ]
    return rows, code_labels(app)


def store_figures(
    app: QualcodeApp, project_dir: Path, coder: str | None
) -> tuple[list[str], dict[str, str]]:
    """The same rows and lines drawn from what the store counts now."""
    with reopened(project_dir) as project:
        rows = [f"{s.name}  {s.percent_coded:.0f}%" for s in project.summaries(coder=coder)]
        counts = project.code_counts(coder)
        keys = {code_id: key for key, code_id in project.favourites().items()}
        lines = {}
        for code, _, _ in project.codebook().walk():
            key = f"[{keys[code.id]}] " if code.id in keys else ""
            count = f" {counts[code.id]}" if code.id in counts else ""
            english = f" {code.label_en}" if code.label_en else ""
            lines[code.id] = f"■ {key}{code.label}{count}{english}"
    return rows, lines


async def test_progress_and_counts_after_each_change_are_what_the_store_counts(
    sample_project_dir: Path,
    tmp_path: Path,
) -> None:
    source = tmp_path / "B01_short.txt"
    source.write_text(SHORT, encoding="utf-8")
    with reopened(sample_project_dir) as project:
        import_files(project, [source])
        project.set_setting("last_transcript", "B01_short")
        assert len(project.transcript("B01_short").sentences) == 6
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)

        async def check(coder: str | None = "wang") -> list[str]:
            await pilot.pause()
            shown = shown_figures(app)
            assert shown == store_figures(app, sample_project_dir, coder)
            return shown[0]

        assert "B01_short  0%" in await check()
        await pilot.press("1")  # sentence 1
        assert "B01_short  17%" in await check()
        await pilot.press("6")  # a second code on the same sentence: still one sentence
        assert "B01_short  17%" in await check()
        await pilot.press("x")  # two overlap: choose one; the sentence stays coded
        assert isinstance(app.screen, ChoiceList)
        await pilot.press("enter")
        assert "B01_short  17%" in await check()
        await pilot.press("ctrl+z")  # the removal undone
        await check()
        await pilot.press("j", "shift+down", "shift+down", "1")  # one coding over sentences 2 and 3
        assert "B01_short  50%" in await check()
        await pilot.press("ctrl+z", "ctrl+y")
        assert "B01_short  50%" in await check()
        # Another coder's coding, made meanwhile by another process, then everyone's view.
        with reopened(sample_project_dir) as project:
            last = project.sentence("B01_short", 6)
            project.add_coding("B01_short", last.start, last.end, "causes.publicity", "li")
        app.workbench.view_coder = ALL_CODERS
        assert "B01_short  67%" in await check(None)
        await pilot.press("k", "x")  # on sentence 3: wang's coding over 2 and 3 goes
        assert "B01_short  33%" in await check(None)
        app.workbench.view_coder = "wang"
        assert "B01_short  17%" in await check()


async def test_x_finds_a_coding_another_process_made_since_the_last_redraw(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        first = app.workbench.transcript.sentences[0]
        with reopened(sample_project_dir) as project:  # the same coder, from the command line
            project.add_coding("A01_zhang", first.start, first.end, "problems.content", "wang")
        await pilot.press("x")
        assert stored(sample_project_dir) == []


async def test_the_scroll_bar_follows_the_lines_through_layouts_toasts_and_resizes() -> None:
    text = long_text(3000)
    sentences, turns = segment(text)
    async with Host().run_test(size=(80, 20), notifications=True) as pilot:
        view = pilot.app.query_one("#transcript")
        view.load(text, sentences, [], turns)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

        def scroll_bar_matches() -> bool:
            bar = view.vertical_scrollbar
            return (
                view.layout_complete
                and bar.window_virtual_size == view.line_count
                and bar.window_size == view.scrollable_content_region.height
            )

        assert scroll_bar_matches()
        pilot.app.notify("a toast: a layout of the screen")
        await pilot.pause()
        assert scroll_bar_matches()
        lines = view.line_count
        await pilot.resize_terminal(60, 16)  # rewrapped narrower: more lines
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert view.line_count > lines and scroll_bar_matches()
        await pilot.press("end")
        await pilot.pause()
        assert view.scroll_offset.y == view.max_scroll_y > 0
        await pilot.resize_terminal(100, 16)  # wider: fewer lines, still at the end
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert scroll_bar_matches() and view.line_count < lines
        assert view.scroll_offset.y <= view.max_scroll_y
