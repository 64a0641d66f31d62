"""A researcher's day at the coding workbench, on a real project: the sample study imported
into a fresh SQLite file, opened with the same factory the command line uses.

Each test does what a researcher does (keys, a paste, a mouse drag), then reads the store
through a new connection (what a second process or a restart would see) and the screen
(the transcript view's drawn lines, the panes, the status line, dialogs and notifications).
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual import events
from textual.command import CommandPalette
from textual.strip import Strip
from textual.widgets import DataTable, Input, OptionList, Static, TextArea, Tree
from textual.widgets.tree import TreeNode

from qualcode.model import Code, Coding, Span
from qualcode.store import Project
from qualcode.study import import_files
from qualcode.tui.app import QualcodeApp, build_app
from qualcode.tui.dialogs import ChoiceList, CodePicker, HelpScreen, TextPrompt
from qualcode.tui.i18n import t
from qualcode.tui.retrieve import RetrieveScreen
from qualcode.tui.transcript_view import TranscriptView
from qualcode.tui.workbench import CodebookTree

from .conftest import paste

pytestmark = pytest.mark.anyio

SIZE = (120, 40)
CRASH_DRIVER = Path(__file__).with_name("crash_driver.py")


# --- reading the store and the screen -------------------------------------------------------


@contextmanager
def reopened(project_dir: Path) -> Iterator[Project]:
    """The project as another process (or the next start) sees it."""
    with Project.open(project_dir) as project:
        yield project


def stored(project_dir: Path) -> list[Coding]:
    """The confirmed codings in the project, in text order."""
    with reopened(project_dir) as project:
        return project.codings()


async def started(app: QualcodeApp, pilot) -> TranscriptView:
    """Wait for the first paint and for the picker's pinyin to be ready."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    return app.query_one(TranscriptView)


def drawn(view: TranscriptView) -> list[str]:
    """The transcript pane's visible lines as drawn, text and margin."""
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


def drawn_line(view: TranscriptView, offset: int) -> Strip:
    """The strip drawn for the visual line showing ``offset`` (which must be visible)."""
    return view.render_line(view.line_of(offset) - view.scroll_offset.y)


def labels_beside(view: TranscriptView, offset: int) -> str:
    """The code labels in the margin beside the line showing ``offset``: right of the text,
    in the view's margin (at most a third of its width)."""
    width = view.scrollable_content_region.width
    text_width = width - min(view.margin, width // 3)
    return drawn_line(view, offset).crop(text_width, width).text.strip()


def tree_nodes(tree: Tree) -> list[TreeNode[str]]:
    """The codebook tree's nodes, depth first."""
    nodes, todo = [], list(tree.root.children)
    while todo:
        node = todo.pop(0)
        nodes.append(node)
        todo[:0] = node.children
    return nodes


def code_labels(app: QualcodeApp) -> dict[str, str]:
    """Code id -> its line in the codebook pane."""
    return {node.data: str(node.label) for node in tree_nodes(app.query_one(CodebookTree))}


def status(app: QualcodeApp) -> str:
    return str(app.query_one("#status", Static).render())


def toasts(app: QualcodeApp, severity: str = "") -> list[str]:
    """Notifications on screen, title and message (with ``run_test(notifications=True)``);
    with ``severity`` ("error", "warning", "information") only those."""
    selector = f"Toast.-{severity}" if severity else "Toast"
    return [str(toast.render()) for toast in app.screen.query(selector)]


def cell_of(view: TranscriptView, offset: int) -> tuple[int, int]:
    """Where the character at ``offset`` is drawn, relative to the view (inside its border)."""
    line = view.line_of(offset)
    start = offset
    while start > 0 and view.line_of(start - 1) == line:
        start -= 1
    return 1 + cell_len(view.text[start:offset]), 1 + line - view.scroll_offset.y


def sentence_text(app: QualcodeApp, number: int) -> str:
    return app.workbench.transcript.sentences[number - 1].text


def sentence(app: QualcodeApp, number: int) -> Span:
    """Sentence ``number`` (1-based, as the status line counts) of the open transcript."""
    found = app.workbench.transcript.sentences[number - 1]
    return Span(found.start, found.end)


# --- three panes ------------------------------------------------------------------------------


async def test_three_panes_show_transcripts_the_transcript_and_the_codebook(
    sample_project_dir: Path,
) -> None:
    with reopened(sample_project_dir) as project:
        first = project.transcript("A01_zhang").sentences[0]
        project.add_coding("A01_zhang", first.start, first.end, "causes.publicity", "wang")
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        listing = app.query_one("#transcripts", OptionList)
        rows = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert [row.split()[0] for row in rows] == [
            "A01_zhang",
            "A02_li",
            "A03_wang",
            "A04_chen",
            "A05_zhao",
            "A06_liu",
        ]
        assert rows[0] == "A01_zhang  1%\n女 · 60岁及以上 · 本科"  # 1 of 143 sentences coded
        assert rows[3] == "A04_chen  0%\n男 · 45-59岁 · 初中"

        assert view.border_title == "A01_zhang"
        lines = drawn(view)
        assert lines[0].startswith("编号：A01")
        assert any("访谈者：" in line and "张老师您好" in line for line in lines)
        assert labels_beside(view, first.start) == "宣传推广"  # the coding's label

        labels = code_labels(app)
        assert labels["problems"] == "■ 使用问题 Problems in use"
        assert labels["causes.publicity"] == "■ [6] 宣传推广 1 Publicity and promotion"
        assert labels["problems.awareness"] == "■ [1] 使用与知晓度 Use and awareness"
        assert status(app) == "编码员: wang · A01_zhang · 句 1/143 · 67:84"

        await pilot.press("shift+tab")  # to the transcript list
        await pilot.press("down", "down", "enter")
        assert view.border_title == "A03_wang" and view.has_focus
    with reopened(sample_project_dir) as project:
        assert project.setting("last_transcript") == "A03_wang"


# --- moving and selecting -------------------------------------------------------------------


async def test_moving_by_sentence_word_turn_and_to_the_next_uncoded(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        text = view.text

        assert text[view.cursor :].startswith("张老师您好")  # the first sentence
        await pilot.press("J")  # the respondent's first words
        assert text[view.cursor :].startswith("可以可以")
        await pilot.press("K")
        assert text[view.cursor :].startswith("张老师您好")
        await pilot.press("j")
        assert text[view.cursor :].startswith("我先简单说一下")
        await pilot.press("k")
        assert text[view.cursor :].startswith("张老师您好")
        await pilot.press("w", "w")
        assert text[view.cursor :].startswith("，谢谢您")
        await pilot.press("b")
        assert text[view.cursor :].startswith("您好，")
        assert status(app).endswith("句 1/143 · 67:84")

        # Code the first three sentences; "u" then skips them.
        await pilot.press("1", "j", "1", "j", "1", "home", "u")
        assert text[view.cursor :].startswith("可以可以，没问题。")
        assert view.selection == sentence(app, 4)
        assert "句 4/143" in status(app)
        selected = view.selected_text
        await pilot.press("2")
    codings = stored(sample_project_dir)
    assert [c.text for c in codings] == [s.text for s in app.workbench.transcript.sentences[:4]]
    assert codings[-1].text == selected
    assert [c.code_id for c in codings] == ["problems.awareness"] * 3 + ["problems.content"]


async def test_shift_motions_select_whole_words_and_exactly_those_are_coded(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("w", "W", "W", "W")
        assert view.has_selection and view.selected_text == "您好，谢谢您"
        await pilot.press("shift+right")  # one character more snaps to the whole next word
        assert view.selected_text == "您好，谢谢您今天"
        selected = view.selection
        await pilot.press("1")
        assert not view.has_selection
        assert labels_beside(view, selected.start) == "使用与知晓度"
    (coding,) = stored(sample_project_dir)
    assert (coding.start, coding.end) == (selected.start, selected.end)
    assert coding.text == "您好，谢谢您今天"
    assert app.workbench.transcript.text[coding.start : coding.end] == coding.text


async def test_visual_mode_snaps_a_selection_inside_words_outward(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("w", "w", "w", "l")  # on 谢, the second character of 谢谢您
        assert view.text[view.cursor :].startswith("谢您今天")
        await pilot.press("v", "w", "w", "l")  # to 时, inside 抽时间
        assert view.visual_mode and view.text[view.cursor :].startswith("时间过来")
        assert view.selected_text == "谢谢您今天抽时间"
        await pilot.press("c", "x", "c")
        assert isinstance(app.screen, CodePicker)
        await pilot.press("enter")
        assert not isinstance(app.screen, CodePicker)
    (coding,) = stored(sample_project_dir)
    assert (coding.code_id, coding.text) == ("causes.publicity", "谢谢您今天抽时间")
    assert app.workbench.transcript.text[coding.start : coding.end] == "谢谢您今天抽时间"


async def test_a_click_picks_a_sentence_and_a_drag_selects_what_it_passed_over(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        text = view.text
        await pilot.click(TranscriptView, offset=cell_of(view, text.index("没问题")))
        assert view.selection == sentence(app, 4) and not view.has_selection
        await pilot.press("1")

        # Drag from 江 of “江城办” to the full-width comma after 研究, across a line wrap.
        start = text.index("江城办")
        end = text.index("研究，") + 2
        assert view.line_of(start) != view.line_of(end)
        await pilot.mouse_down(TranscriptView, offset=cell_of(view, start))
        x, y = cell_of(view, end)
        await pilot.hover(TranscriptView, offset=(x + 1, y))  # the right half of ，
        await pilot.mouse_up(TranscriptView, offset=(x + 1, y))
        selected = view.selected_text
        assert selected == "江城办”这个App使用情况的研究，"
        await pilot.press("c", *"xxaq", "enter")
    dragged, clicked = stored(sample_project_dir)  # in text order
    assert (clicked.code_id, clicked.text) == ("problems.awareness", "可以可以，没问题。")
    assert (dragged.code_id, dragged.text) == ("problems.security", selected)


# --- applying codes ---------------------------------------------------------------------------


async def test_digits_apply_the_first_nine_leaf_codes(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press(*"123456789")  # nine codes on the first sentence
        assert labels_beside(view, view.selection.start).endswith(" +8")  # a label, 8 more
    codings = stored(sample_project_dir)
    assert [c.code_id for c in codings] == [
        "causes.integration",
        "causes.management",
        "causes.publicity",
        "causes.transformation",
        "problems.awareness",
        "problems.content",
        "problems.security",
        "problems.stability",
        "problems.usability",
    ]  # in text order, then by code id
    assert {c.text for c in codings} == {"张老师您好，谢谢您今天抽时间过来。"}


async def test_a_digit_on_a_code_in_the_codebook_makes_it_that_favourite(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        tree = app.query_one(CodebookTree)
        await pilot.press("tab")
        assert tree.has_focus
        await pilot.press("shift+down", "shift+down", "down")  # past 使用问题 and 原因
        assert tree.cursor_node.data == "tpb.attitude"
        await pilot.press("1")
        labels = code_labels(app)
        assert labels["tpb.attitude"] == "■ [1] 行为态度 Attitude"
        assert labels["problems.awareness"] == "■ 使用与知晓度 Use and awareness"
        await pilot.press("3")  # on 3 instead: the others keep their digits
        labels = code_labels(app)
        assert labels["tpb.attitude"] == "■ [3] 行为态度 Attitude"
        assert labels["problems.content"] == "■ [2] 内容问题 Content problems"
        assert "[" not in labels["problems.awareness"] + labels["problems.usability"]

        await pilot.press("shift+tab")
        assert view.has_focus
        await pilot.press("3", "j", "2", "j", "1")
    with reopened(sample_project_dir) as project:
        favourites = project.favourites()
    assert 1 not in favourites
    assert (favourites[2], favourites[3]) == ("problems.content", "tpb.attitude")
    assert [(c.code_id, c.text) for c in stored(sample_project_dir)] == [
        ("tpb.attitude", sentence_text(app, 1)),
        ("problems.content", sentence_text(app, 2)),
    ]  # 1 is free now: nothing is coded with it


async def test_the_picker_finds_codes_by_pinyin_initials(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("c", "x", "c")
        codes = app.screen.query_one("#codes", OptionList)
        assert "宣传推广" in str(codes.highlighted_option.prompt)
        await pilot.press("enter")
        await pilot.press("j", "c", *"xxaq", "enter")
        assert "信息安全" in labels_beside(view, sentence(app, 2).start + 20)
    assert [(c.code_id, c.text) for c in stored(sample_project_dir)] == [
        ("causes.publicity", sentence_text(app, 1)),
        ("problems.security", sentence_text(app, 2)),
    ]


async def test_enter_on_a_code_in_the_codebook_applies_it(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("j", "j", "tab")
        tree = app.query_one(CodebookTree)
        await pilot.press("shift+down", "shift+down", "down", "down")
        assert tree.cursor_node.data == "tpb.subjective_norm"
        await pilot.press("enter")
        assert labels_beside(view, view.selection.start) == "主观规范"
        assert code_labels(app)["tpb.subjective_norm"] == "■ 主观规范 1 Subjective norm"
        assert tree.cursor_node is not None and tree.cursor_node.data == "tpb.subjective_norm"
        await pilot.press("down", "enter")  # the next code, on the same sentence
    assert {(c.code_id, c.text) for c in stored(sample_project_dir)} == {
        ("tpb.subjective_norm", "您看可以吗？"),
        ("tpb.perceived_control", "您看可以吗？"),
    }


async def test_a_new_code_made_in_the_picker_goes_under_its_parent_and_undo_takes_it_back(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("c")
        await paste(pilot, "数字鸿沟")
        await pilot.press("ctrl+n")
        await paste(pilot, "problems")  # filter the parents
        await pilot.press("enter")  # parent chosen; the id is suggested
        assert app.screen.query_one("#code-id", Input).value == "problems.shu_zi_hong_gou"
        await pilot.press("enter")
        assert not isinstance(app.screen, CodePicker)
        tree = app.query_one(CodebookTree)
        node = next(n for n in tree_nodes(tree) if n.data == "problems.shu_zi_hong_gou")
        assert node.parent.data == "problems" and "数字鸿沟 1" in str(node.label)
        assert labels_beside(view, sentence(app, 1).start) == "数字鸿沟"
        with reopened(sample_project_dir) as project:
            parent = project.codebook().by_id()["problems"]
            assert parent.children[-1] == Code("problems.shu_zi_hong_gou", "数字鸿沟")
            (coding,) = project.codings()
            assert (coding.code_id, coding.text) == (node.data, sentence_text(app, 1))

        await pilot.press("ctrl+z", "ctrl+z")  # the coding, then the code
        assert node.data not in {n.data for n in tree_nodes(tree)}
        await app.workers.wait_for_complete()
        await pilot.press("c")
        await paste(pilot, "数字鸿沟")
        codes = app.screen.query_one("#codes", OptionList)
        assert [str(option.prompt) for option in codes.options] == [
            t("picker.no_match", "zh"),
            t("picker.new_code", "zh", label="数字鸿沟"),
        ]
    with reopened(sample_project_dir) as project:
        assert node.data not in project.codebook().by_id()
    assert stored(sample_project_dir) == []


async def test_in_vivo_code_from_the_selected_words(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("J", "j", "j")  # the respondent's third sentence
        assert (
            view.selected_text == "我以前也是当老师的，教了三十多年语文，（笑）所以你放心，我配合。"
        )
        await pilot.press("w", "W", "W", "W", "W", "W")
        label = view.selected_text
        assert label == "以前也是当老师"
        await pilot.press("i")
        assert app.screen.query_one("#query", Input).value == label
        await pilot.press("enter")  # the new-code row is offered first
        await paste(pilot, "xxaq")
        await pilot.press("enter", "enter")
        assert labels_beside(view, view.text.index(label)) == label
    with reopened(sample_project_dir) as project:
        codes = project.codebook().by_id()
        (new,) = codes["problems.security"].children
        assert new.label == label and new.id.startswith("problems.security.")
    (coding,) = stored(sample_project_dir)
    assert (coding.code_id, coding.text) == (new.id, label)


# --- removing, memos, undo ------------------------------------------------------------------


async def test_x_removes_the_coding_and_asks_which_when_several_overlap(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("1", "x")
        assert stored(sample_project_dir) == []
        assert "使用与知晓度" not in labels_beside(view, sentence(app, 1).start)

        await pilot.press("j", "1", "6", "x")
        assert isinstance(app.screen, ChoiceList)
        choices = app.screen.query_one(OptionList)
        rows = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        assert rows[0].startswith("宣传推广 (causes.publicity)  我先简单说一下")
        assert rows[1].startswith("使用与知晓度 (problems.awareness)  我先简单说一下")
        await pilot.press("down", "enter")
        line = labels_beside(view, sentence(app, 2).start + 20)
        assert "宣传推广" in line and "使用与知晓度" not in line
    (kept,) = stored(sample_project_dir)
    assert (kept.code_id, kept.start) == ("causes.publicity", sentence(app, 2).start)


async def test_memos_on_a_coding_and_on_the_transcript(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("1", "m")
        assert isinstance(app.screen, TextPrompt)
        await paste(pilot, "开场白，")
        await pilot.press("enter", "不", "算")  # enter is a new line in a memo
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, TextPrompt)
        await pilot.press("M")
        assert str(app.screen.query_one("#dialog").border_title) == "转录稿备忘: A01_zhang"
        await paste(pilot, "张老师很配合。")
        await pilot.press("ctrl+s")
        await pilot.press("m")  # the memo is there to edit
        assert app.screen.query_one(TextArea).text == "开场白，\n不算"
        await pilot.press("escape")
    (coding,) = stored(sample_project_dir)
    assert coding.memo == "开场白，\n不算"
    with reopened(sample_project_dir) as project:
        assert project.transcript_memo("A01_zhang", "wang") == "张老师很配合。"


async def test_undo_and_redo_also_after_a_restart(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        second = sentence(app, 2)
        await pilot.press("j", "1", "ctrl+z")
        assert stored(sample_project_dir) == []
        assert labels_beside(view, second.start + 20) == ""
        await pilot.press("ctrl+y")
        assert labels_beside(view, second.start + 20) == "使用与知晓度"
        await pilot.press("q")
    assert app.return_code == 0
    app.project.close()
    (coding,) = stored(sample_project_dir)
    assert (coding.code_id, coding.start, coding.end) == (
        "problems.awareness",
        second.start,
        second.end,
    )

    app = build_app(sample_project_dir)  # the next morning
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        assert labels_beside(view, second.start + 20) == "使用与知晓度"
        await pilot.press("ctrl+z")
        assert labels_beside(view, second.start + 20) == ""
    app.project.close()
    assert stored(sample_project_dir) == []


# --- finding --------------------------------------------------------------------------------


async def test_search_lands_on_whole_words_and_n_moves_between_hits(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        text = view.text
        words = set(app.workbench.transcript.word_ends) | {0}
        everywhere = [i for i in range(len(text)) if text.startswith("江城", i)]
        whole = [i for i in everywhere if i in words and i + 2 in words]
        assert 1 < len(whole) < len(everywhere)  # 江城办 is 江城|办, 江城市 is 江|城市

        await pilot.press("slash", "江", "城", "enter")
        assert view.selection == Span(whole[0], whole[0] + 2)
        await pilot.press("n")
        assert view.selection == Span(whole[1], whole[1] + 2)
        await pilot.press("N")
        assert view.selection == Span(whole[0], whole[0] + 2)
        await pilot.press("N")  # from the first, round to the last
        assert view.selection == Span(whole[-1], whole[-1] + 2)
        await pilot.press("n")
        assert view.selection == Span(whole[0], whole[0] + 2)
        await pilot.press("1")
    (coding,) = stored(sample_project_dir)
    assert (coding.start, coding.text) == (whole[0], "江城")


async def test_retrieve_lists_a_codes_segments_and_jumps_to_one(
    sample_project_dir: Path,
) -> None:
    with reopened(sample_project_dir) as project:
        a01 = project.transcript("A01_zhang").sentences[1]
        sentences = project.transcript("A03_wang").sentences
        # One with words before and after it in its turn, to be shown as context.
        a03 = next(
            s
            for before, s, after in zip(sentences, sentences[1:], sentences[2:])
            if before.turn == s.turn == after.turn
        )
        for name, s in (("A01_zhang", a01), ("A03_wang", a03)):
            project.add_coding(name, s.start, s.end, "causes.publicity", "wang")
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("r", "x", "c", "enter")
        assert isinstance(app.screen, RetrieveScreen)
        segments = app.screen.query_one(OptionList)
        rows = [str(segments.get_option_at_index(i).prompt) for i in range(2)]
        assert rows[0].startswith("A01_zhang wang") and a01.text in rows[0]
        assert rows[1].startswith("A03_wang wang") and a03.text in rows[1]
        with reopened(sample_project_dir) as project:
            before, after = project.context("A03_wang", a03.start, a03.end)
        assert before and after and f"{before}{a03.text}{after}" in rows[1]
        await pilot.press("down", "enter")
        assert view.border_title == "A03_wang"
        assert view.selection == Span(a03.start, a03.end) and view.selected_text == a03.text
        # The sentence number of the segment's start, though the cursor is at its end.
        assert view.has_focus and f"A03_wang · 句 {a03.index}/" in status(app)


# --- coders ---------------------------------------------------------------------------------


async def test_the_coder_is_asked_once_and_remembered(
    sample_project_dir: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUALCODE_CODER")
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("李", "四", "enter")
        assert not isinstance(app.screen, TextPrompt)
        assert status(app).startswith("编码员: 李四")
        await pilot.press("1")
    app.project.close()
    assert json.loads((home / "settings.json").read_text(encoding="utf-8"))["coder"] == "李四"
    assert [c.coder for c in stored(sample_project_dir)] == ["李四"]

    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert not isinstance(app.screen, TextPrompt)
        assert status(app).startswith("编码员: 李四")


async def test_switching_the_view_to_another_coder_shows_only_theirs(
    sample_project_dir: Path,
) -> None:
    with reopened(sample_project_dir) as project:
        s2 = project.transcript("A01_zhang").sentences[1]
        project.add_coding("A01_zhang", s2.start, s2.end, "tpb.attitude", "li")
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("1")  # wang's own coding of sentence 1
        assert "使用与知晓度" in labels_beside(view, sentence(app, 1).start)
        assert "行为态度" not in labels_beside(view, s2.start)

        await pilot.press("o")
        choices = app.screen.query_one(OptionList)
        assert [str(option.prompt) for option in choices.options] == ["li", "wang", "全部编码员"]
        assert choices.highlighted == 1
        await pilot.press("up", "enter")
        assert "行为态度" in labels_beside(view, s2.start)
        assert "使用与知晓度" not in labels_beside(view, sentence(app, 1).start)
        assert "查看: li" in status(app)
        labels = code_labels(app)  # counts of li's codings
        assert labels["tpb.attitude"] == "■ 行为态度 1 Attitude"
        assert labels["problems.awareness"] == "■ [1] 使用与知晓度 Use and awareness"

        await pilot.press("o", "down", "down", "enter")  # everyone
        assert "使用与知晓度" in labels_beside(view, sentence(app, 1).start)
        assert "行为态度" in labels_beside(view, s2.start + 30)
    assert {(c.coder, c.code_id) for c in stored(sample_project_dir)} == {
        ("wang", "problems.awareness"),
        ("li", "tpb.attitude"),
    }


# --- suggestions ----------------------------------------------------------------------------


async def test_suggestions_are_drawn_apart_and_reviewed_one_key_each(
    sample_project_dir: Path,
) -> None:
    with reopened(sample_project_dir) as project:  # as auto-coding suggests them
        s1, s2 = project.transcript("A01_zhang").sentences[4:11:6]  # lines apart
        project.add_suggestions(
            [
                ("A01_zhang", s1.start, s1.end, "causes.publicity", "keyword:宣传", None),
                ("A01_zhang", s2.start, s2.end, "problems.security", "keyword:泄露", None),
            ],
            coder="auto",
        )
        accepted, rejected = project.codings("A01_zhang", status="suggested")
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)

        def style_at(offset: int) -> Style:
            """How the character at ``offset`` is drawn."""
            x, _ = cell_of(view, offset)
            cells = 0
            for segment in drawn_line(view, offset):
                cells += segment.cell_length
                if cells >= x:  # x counts the border's cell
                    return segment.style
            raise AssertionError(offset)

        await pilot.press("s")  # to the first suggestion, selected
        assert (view.selection.start, view.selection.end) == (s1.start, s1.end)
        inside = s1.start + 2
        suggested = style_at(inside)
        assert suggested.underline and "宣传推广" in labels_beside(view, inside)
        await pilot.press("a")  # accepted, and on to the next one
        confirmed = style_at(inside)
        assert not confirmed.underline and confirmed.bgcolor != suggested.bgcolor  # tinted
        assert (view.selection.start, view.selection.end) == (s2.start, s2.end)

        inside = s2.start + 2
        assert style_at(inside).underline and "信息安全" in labels_beside(view, inside)
        await pilot.press("R")
        assert not style_at(inside).underline and "信息安全" not in labels_beside(view, inside)
    with reopened(sample_project_dir) as project:
        assert project.coding(accepted.id).status == "confirmed"
        assert project.coding(accepted.id).coder == "wang"  # the person who decided
        assert project.coding(rejected.id).status == "rejected"


# --- help, palette, language, errors --------------------------------------------------------


async def test_help_shows_the_key_map(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        rows = {tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)}
        for row in [
            ("j / ↓", "下一句"),
            ("c / ⏎", "编码"),
            ("x / del", "删除编码"),
            ("^z", "撤销"),
            ("/", "搜索"),
            ("r", "按编码检索"),
            ("u", "下一处未编码"),
            ("W", "选区延伸到下一个词"),
            ("B", "选区延伸到上一个词"),
            ("shift+↓", "选区延伸到下一句"),
            ("tab", "下一个窗格"),
            ("T", "显示/隐藏转录稿列表"),
            ("C", "显示/隐藏编码本"),
            ("1–9", t("help.favourites", "zh")),
            ("tab ↑↓ ⏎", t("help.open_transcript", "zh")),
            ("1", "使用与知晓度 (problems.awareness)"),  # the keys bound in this project
            ("9", "平台整合 (causes.integration)"),
        ]:
            assert row in rows
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_command_palette_offers_every_action(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for key in (
            "apply_code",
            "in_vivo",
            "remove_coding",
            "memo",
            "transcript_memo",
            "undo",
            "redo",
            "search",
            "next_hit",
            "retrieve",
            "switch_coder",
            "set_coder",
            "accept_suggestion",
            "reject_suggestion",
            "language",
            "help",
        ):
            assert t(f"key.{key}", "zh") in titles
        await pilot.press("ctrl+p")
        assert CommandPalette.is_open(app)
        await paste(pilot, "设置编码员")
        await pilot.press("down", "enter")
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.query_one(Input).value == "wang"


async def test_l_switches_the_footer_language_and_remembers_it(
    sample_project_dir: Path, home: Path
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)

        def footer() -> set[str]:
            return {key.description for key in app.query("FooterKey")}

        assert {"下一句", "编码", "撤销", "帮助"} <= footer()
        await pilot.press("L")
        assert {"Next sentence", "Apply code", "Undo", "Help"} <= footer()
        assert "Sentence 1/143" in status(app)
        assert app.query_one("#right").border_title == "Codebook"
    assert json.loads((home / "settings.json").read_text(encoding="utf-8"))["language"] == "en"


async def test_a_store_error_is_a_notification_and_work_goes_on(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        view = await started(app, pilot)
        # Meanwhile a colleague replaces the codebook from the command line: without
        # problems.awareness, which no coding used yet.
        with reopened(sample_project_dir) as other:
            codebook = other.codebook()
            problems = codebook.codes[0]
            problems.children = [c for c in problems.children if c.id != "problems.awareness"]
            other.set_codebook(codebook)
        await pilot.press("1")  # favourite 1 is still problems.awareness on this screen
        (error,) = toasts(app, "error")
        assert error.startswith("Project error\nno code 'problems.awareness'")
        assert "使用与知晓度" not in labels_beside(view, sentence(app, 1).start)

        await pilot.press("j", "2")  # the workbench still works
        assert labels_beside(view, sentence(app, 2).start) == "内容问题"
    assert [(c.code_id, c.start) for c in stored(sample_project_dir)] == [
        ("problems.content", sentence(app, 2).start)
    ]


async def test_notifications_show_what_was_typed_not_markup(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(app, pilot)
        await pilot.press("slash")
        await paste(pilot, "[/]")
        await pilot.press("enter")
        await pilot.pause()
        assert toasts(app) == ["“[/]”：0 处"]


# --- wide characters --------------------------------------------------------------------------


async def test_a_selection_across_chinese_punctuation_and_ascii_is_stored_exactly(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=(80, 40)) as pilot:  # narrow enough to wrap the coding
        view = await started(app, pilot)
        await pilot.press("slash", "知", "道", "enter")
        for _ in range(8):  # “ 江城 办 ” 这个 App 的 ？
            await pilot.press("W")
        selected = view.selected_text
        assert selected == "知道“江城办”这个App的？"
        await pilot.press("5")

        # Every line is drawn to the view's width in cells, and the code's label in the
        # margin starts in the same column on every line of the coding.
        lines = [view.render_line(y) for y in range(view.scrollable_content_region.height)]
        assert {line.cell_length for line in lines} == {view.size.width}
        labelled = [line.text for line in lines if "信息安全" in line.text]
        assert len(labelled) >= 2
        assert len({cell_len(line[: line.index("信息安全")]) for line in labelled}) == 1
    (coding,) = stored(sample_project_dir)
    assert coding.text == selected
    assert view.text[coding.start : coding.end] == selected


# --- nothing lost -----------------------------------------------------------------------------


@pytest.mark.parametrize("kill_after", [5, 23])
def test_a_killed_workbench_loses_no_coding_it_showed(
    sample_project_dir: Path, home: Path, tmp_path: Path, kill_after: int
) -> None:
    env = {**os.environ, "QUALCODE_HOME": str(home), "QUALCODE_CODER": "wang"}
    errors = tmp_path / "driver.err"
    lines: queue.Queue[str] = queue.Queue()
    shown: list[int] = []
    with (
        errors.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, str(CRASH_DRIVER), str(sample_project_dir)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        ) as driver,
    ):

        def read() -> None:
            for line in driver.stdout:
                lines.put(line)
            lines.put("")  # the driver ended

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + 120  # a guard against a hung driver, not a wait
        try:
            while len(shown) < kill_after:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    line = ""
                if not line:
                    pytest.fail(
                        f"the driver showed {len(shown)} codings, then: {errors.read_text()}"
                    )
                word, coding_id = line.split()
                assert word == "shown"
                shown.append(int(coding_id))
        finally:
            driver.send_signal(signal.SIGKILL)
            driver.wait()
            reader.join()
    assert driver.returncode == -signal.SIGKILL

    with reopened(sample_project_dir) as project:
        assert [tuple(row) for row in project.conn.execute("PRAGMA integrity_check")] == [("ok",)]
        codings = {c.id: c for c in project.codings()}
    assert len(set(shown)) == kill_after  # a new coding, sentence after sentence
    assert {coding_id: codings[coding_id].code_id for coding_id in shown} == dict.fromkeys(
        shown, "problems.awareness"
    )


async def test_the_workbench_and_a_cli_command_code_one_project_at_once(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        command = [
            sys.executable,
            "-m",
            "qualcode",
            "code",
            str(sample_project_dir),
            "A02",
            "1-3",
            "problems.stability",
            "--coder",
            "li",
        ]
        cli = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(6):  # wang codes while li's command runs
            await pilot.press("j", "1")
        _, raw = await asyncio.wait_for(cli.communicate(), timeout=120)
        err = raw.decode()
        assert cli.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
    codings = stored(sample_project_dir)
    assert len([c for c in codings if c.coder == "wang"]) == 6
    assert [(c.transcript, c.coder) for c in codings if c.coder == "li"] == [("A02_li", "li")]


async def test_coding_text_that_another_process_changed_is_refused_and_reloaded(
    sample_project_dir: Path,
    tmp_path: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        view = await started(app, pilot)
        # Meanwhile a colleague fixes a typo at the start of A01 and re-imports it.
        with reopened(sample_project_dir) as project:
            source = tmp_path / "A01_zhang.txt"
            source.write_text("【修订】" + project.transcript("A01").text, encoding="utf-8")
            import_files(project, [source])
        await pilot.press("1")
        await pilot.pause()
        assert any("re-imported with changed text" in toast for toast in toasts(app, "error"))
        assert view.text.startswith("【修订】")  # the workbench now shows the new text
    assert stored(sample_project_dir) == []


# --- survey answers ---------------------------------------------------------------------------


async def test_survey_answers_are_listed_by_question_one_after_another(tmp_path: Path) -> None:
    from qualcode.study import init_project
    from qualcode.surveys import import_survey, read_survey
    from tests.test_surveys import write_export

    export = write_export(tmp_path / "survey.xlsx", range(1, 7))
    folder = tmp_path / "survey"
    with init_project(folder) as project:
        import_survey(project, read_survey(export, open_columns=["Q12", "Q14"]), export)
    app = build_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        listing = app.query_one("#transcripts", OptionList)
        rows = [
            str(listing.get_option_at_index(i).prompt).split()[0]
            for i in range(listing.option_count)
        ]
        assert rows == [f"Q12_R000{i}" for i in range(1, 7)] + ["Q14_R0005"]
        assert view.border_title == "Q12_R0001"
        await pilot.press("shift+tab", "down", "enter")
        assert view.border_title == "Q12_R0002"
        assert view.text == "网站经常打不开，登录要验证很多次（第2位）"


# --- keys that never move, a tree that keeps its place, undo per coder -------------------------


def merge_in_a_new_first_code(project_dir: Path) -> str:
    """A colleague merges (from another process) a codebook whose 使用问题 gains a first
    leaf: in the old first-nine-leaves rule, every key would have moved on by one."""
    from qualcode.codebook import merge_codebooks

    with reopened(project_dir) as other:
        ours = other.codebook()
        theirs = other.codebook()
        theirs.codes[0].children.insert(0, Code("problems.access", "上网条件"))
        other.set_codebook(merge_codebooks(ours, theirs).codebook)
    return "problems.access"


async def came_back(app: QualcodeApp, pilot) -> None:
    """The researcher returns to the workbench's terminal window."""
    app.post_message(events.AppFocus())
    await pilot.pause()


async def test_favourite_keys_stay_after_an_in_vivo_code_and_a_codebook_merge(
    sample_project_dir: Path,
) -> None:
    with reopened(sample_project_dir) as project:
        bound = project.favourites()  # bound once, when the project got its codebook
    assert bound[1] == "problems.awareness" and bound[6] == "causes.publicity"
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("w", "W", "W", "i")  # in-vivo, under 使用问题 (five children)
        await pilot.press("enter")
        await paste(pilot, "problems")
        await pilot.press("enter", "enter")
        tree = app.query_one(CodebookTree)
        new = next(
            n
            for n in tree_nodes(tree)
            if n.data.startswith("problems.")
            and n.data not in bound.values()
            and n.parent.data == "problems"
        )
        assert new.parent.children[-1] is new and "[" not in str(new.label)
        assert code_labels(app)["causes.publicity"].startswith("■ [6] 宣传推广")
        await pilot.press("j", "6")  # 6 still codes 宣传推广, not the new code
        assert labels_beside(view, sentence(app, 2).start + 20) == "宣传推广"

        access = merge_in_a_new_first_code(sample_project_dir)
        await came_back(app, pilot)
        assert tree_nodes(tree)[1].data == access  # shown, first under 使用问题, no key
        assert code_labels(app)[access] == "■ 上网条件"
        await pilot.press("j", "1")
    with reopened(sample_project_dir) as project:
        assert project.favourites() == bound
    assert [c.code_id for c in stored(sample_project_dir)][-2:] == [
        "causes.publicity",
        "problems.awareness",
    ]


async def test_the_codebook_cursor_stays_on_its_code_after_coding_undo_a_new_code_and_merge(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        tree = app.query_one(CodebookTree)
        await pilot.press("tab")
        await pilot.press(*["down"] * 6, "space")  # close 原因 (Causes)
        assert tree.cursor_node.data == "causes" and not tree.cursor_node.is_expanded
        await pilot.press("down", "down", "down")
        assert tree.cursor_node.data == "tpb.subjective_norm"

        def place() -> tuple[str, bool]:
            causes = next(n for n in tree_nodes(tree) if n.data == "causes")
            return tree.cursor_node.data, causes.is_expanded

        node = tree.cursor_node
        await pilot.press("enter")  # codes the sentence with 主观规范
        assert place() == ("tpb.subjective_norm", False)
        assert tree.cursor_node is node  # its label changed in place: no tree rebuilt
        assert code_labels(app)["tpb.subjective_norm"] == "■ 主观规范 1 Subjective norm"
        await pilot.press("ctrl+z")
        assert place() == ("tpb.subjective_norm", False)
        assert code_labels(app)["tpb.subjective_norm"] == "■ 主观规范 Subjective norm"

        await pilot.press("c")  # a new code above the cursor, under 使用问题
        await paste(pilot, "数字鸿沟")
        await pilot.press("ctrl+n")
        await paste(pilot, "problems")
        await pilot.press("enter", "enter")
        assert "problems.shu_zi_hong_gou" in code_labels(app)
        assert place() == ("tpb.subjective_norm", False)
        await pilot.press("ctrl+z", "ctrl+z")  # the coding, then the new code
        assert "problems.shu_zi_hong_gou" not in code_labels(app)
        assert place() == ("tpb.subjective_norm", False)

        merge_in_a_new_first_code(sample_project_dir)
        await came_back(app, pilot)
        assert "problems.access" in code_labels(app)
        assert place() == ("tpb.subjective_norm", False)
        await pilot.press("enter")  # and enter codes what the cursor shows
    assert [c.code_id for c in stored(sample_project_dir)] == ["tpb.subjective_norm"]


async def test_undo_takes_back_this_coders_change_not_another_coders_newer_one(
    sample_project_dir: Path,
) -> None:
    async def cli(*args: str) -> str:
        command = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "qualcode",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(command.communicate(), timeout=120)
        assert command.returncode == 0, err.decode()
        return out.decode()

    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        view = await started(app, pilot)
        await pilot.press("j", "j", "1")  # wang codes sentence 3 in the workbench
        # li codes sentence 5 from the command line, after wang.
        await cli("code", str(sample_project_dir), "A01", "5", "problems.content", "--coder", "li")
        app.clear_notifications()
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert toasts(app) == ["撤销：使用与知晓度 · A01_zhang 句 3"]
        assert labels_beside(view, sentence(app, 3).start) == ""
        assert [(c.coder, c.code_id) for c in stored(sample_project_dir)] == [
            ("li", "problems.content")
        ]
        app.clear_notifications()
        await pilot.press("ctrl+z")  # wang has nothing more to undo: li's coding stays
        await pilot.pause()
        assert toasts(app) == ["没有可撤销的操作"]
        app.clear_notifications()
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert toasts(app) == ["重做：使用与知晓度 · A01_zhang 句 3"]
        assert labels_beside(view, sentence(app, 3).start) == "使用与知晓度"

        out = await cli("undo", str(sample_project_dir), "--coder", "li")
        assert out == "undid: code problems.content (li) A01_zhang sentence 5\n"
    assert [(c.coder, c.code_id, c.start) for c in stored(sample_project_dir)] == [
        ("wang", "problems.awareness", sentence(app, 3).start)
    ]


# --- the transcript first, at any size ------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "panes"),
    [
        ((80, 24), {"#left": False, "#right": True}),
        ((120, 30), {"#left": True, "#right": True}),
        ((160, 45), {"#left": True, "#right": True}),
    ],
)
async def test_the_transcript_keeps_most_of_the_width_at_any_size(
    sample_project_dir: Path,
    size: tuple[int, int],
    panes: dict[str, bool],
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=size) as pilot:
        view = await started(app, pilot)
        assert view.outer_size.width >= size[0] * 0.6
        assert {pane: app.query_one(pane).display for pane in panes} == panes
        widths = sum(app.query_one(pane).outer_size.width for pane, shown in panes.items() if shown)
        assert view.outer_size.width + widths == size[0]
        # Lines of 16 Chinese characters or more beside the code labels' margin.
        lines = drawn(view)
        assert max(cell_len(line.rstrip()) for line in lines) >= 32
        await pilot.press("1")  # and coding works as anywhere
    assert [c.code_id for c in stored(sample_project_dir)] == ["problems.awareness"]


async def test_side_panes_toggle_by_key_and_the_choice_is_remembered(
    sample_project_dir: Path,
    home: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        view = await started(app, pilot)
        left, right = app.query_one("#left"), app.query_one("#right")
        await pilot.press("tab")  # into the codebook, then hide it: focus goes back
        assert app.query_one(CodebookTree).has_focus
        await pilot.press("C")
        assert not right.display and view.has_focus
        assert view.outer_size.width == 120 - left.outer_size.width
        await pilot.press("T")
        assert not left.display and view.outer_size.width == 120
    assert json.loads((home / "settings.json").read_text(encoding="utf-8"))["panes"] == {
        "transcripts": "hidden",
        "codebook": "hidden",
    }

    app = build_app(sample_project_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await started(app, pilot)
        assert view.outer_size.width == 80  # as left
        await pilot.press("T")  # asked for at 80 columns: shown, at the codebook's cost
        assert app.query_one("#left").display
        assert view.outer_size.width >= 48


# --- smaller things ---------------------------------------------------------------------------


async def test_keys_rebound_in_settings_work_and_the_help_shows_them(
    sample_project_dir: Path,
    home: Path,
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(
        json.dumps({"keys": {"apply_code": "g", "undo": "ctrl+u"}}), encoding="utf-8"
    )
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        await pilot.press("g")
        assert isinstance(app.screen, CodePicker)
        await pilot.press("escape", "1", "ctrl+u")
        assert labels_beside(view, sentence(app, 1).start) == ""
        await pilot.press("question_mark")
        rows = {tuple(str(cell) for cell in row) for row in app.screen.key_map}
        assert ("g", "编码") in rows and ("^u", "撤销") in rows
    assert stored(sample_project_dir) == []


async def test_the_app_closes_its_project_on_exit(sample_project_dir: Path) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("1", "q")
    assert app.return_code == 0
    with pytest.raises(sqlite3.ProgrammingError):
        app.project.conn.execute("SELECT 1")
    assert len(stored(sample_project_dir)) == 1
