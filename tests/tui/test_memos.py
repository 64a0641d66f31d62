"""Memos in sight: a ✎ in the margin beside a memo'd coding, memos on codes written from the
codebook pane, one browser of every memo that filters as one types and goes where a memo
is, and memos under their segments in retrieve."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, TextArea

from qualcode.model import Span
from qualcode.store import Project
from qualcode.tui.app import CodebookTree, build_app
from qualcode.tui.dialogs import TextPrompt
from qualcode.tui.memos import MemoBrowser
from qualcode.tui.retrieve import RetrieveScreen
from qualcode.tui.transcript_view import TranscriptView

from .conftest import paste

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def margin_of(view: TranscriptView, offset: int) -> str:
    """What the margin shows beside the line of ``offset`` (which must be visible)."""
    width = view.scrollable_content_region.width
    text_width = width - min(view.margin, width // 3)
    line = view.render_line(view.line_of(offset) - view.scroll_offset.y)
    return line.crop(text_width, width).text.strip()


def listed(browser: MemoBrowser) -> list[str]:
    listing = browser.query_one(OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_a_memo_on_a_coding_puts_a_mark_in_the_margin(sample_project_dir: Path) -> None:
    with Project.open(sample_project_dir) as project:
        third, fifth = project.sentence("A01", 3), project.sentence("A01", 5)
        for s in (third, fifth):
            project.add_coding("A01", s.start, s.end, "causes.publicity", "wang")
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        view = app.query_one(TranscriptView)
        assert "✎" not in margin_of(view, third.start)
        view.go_to(third.start)
        await pilot.press("m")
        assert isinstance(app.screen, TextPrompt)
        await paste(pilot, "第一次提到宣传")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert margin_of(view, third.start).startswith("✎ 宣传推广")
        assert "✎" not in margin_of(view, fifth.start)  # no memo there
    with Project.open(sample_project_dir) as project:
        (coding, _) = project.codings("A01")
        assert coding.memo == "第一次提到宣传"
    app = build_app(sample_project_dir)  # still there after a restart
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        view = app.query_one(TranscriptView)
        view.go_to(third.start)
        await pilot.pause()
        assert margin_of(view, third.start).startswith("✎")


async def test_the_memo_browser_lists_every_memo_filters_and_jumps(
    sample_project_dir: Path,
) -> None:
    with Project.open(sample_project_dir) as project:
        a03 = project.sentence("A03", 6)
        coding = project.add_coding(
            "A03", a03.start, a03.end, "causes.publicity", "li", memo="宣传栏没人看"
        )
        project.set_transcript_memo("A02", "wang", "受访者很赶时间")
        project.set_code_memo("problems.usability", "wang", "界面、字体、步骤")
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        view = app.query_one(TranscriptView)
        await pilot.press("e")
        browser = app.screen
        assert isinstance(browser, MemoBrowser)
        rows = listed(browser)
        assert len(rows) == 4  # three memos, and the offer of a project memo
        assert rows[0].startswith("编码定义 · 操作体验 (problems.usability) · wang")
        assert rows[1].startswith("转录稿 · A02_li · wang") and "受访者很赶时间" in rows[1]
        assert rows[2].startswith("编码片段 · A03_wang · 宣传推广 (causes.publicity) · li")
        assert a03.text[:20] in rows[2] and "✎ 宣传栏没人看" in rows[2]
        assert rows[3] == "+ 写项目备忘"

        await pilot.press("宣", "传", "栏")  # typing filters
        assert [r.split(" · ")[0] for r in listed(browser)] == ["编码片段"]
        await pilot.press("enter")
        await pilot.pause()
        assert view.border_title == "A03_wang"
        assert view.selection == Span(coding.start, coding.end) and view.has_focus

        await pilot.press("e")  # to the project memo offered
        await paste(pilot, "项目")
        assert listed(app.screen) == ["+ 写项目备忘"]
        await pilot.press("enter")
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        prompt.query_one(TextArea).insert("先做完 A 组")
        await pilot.press("ctrl+s")
        await pilot.pause()

        await pilot.press("e")
        await paste(pilot, "字体")
        await pilot.press("enter")  # a code memo: the code in the codebook pane
        await pilot.pause()
        tree = app.query_one(CodebookTree)
        assert tree.has_focus and tree.cursor_node.data == "problems.usability"
    with Project.open(sample_project_dir) as project:
        assert project.project_memo("wang") == "先做完 A 组"


async def test_a_code_memo_is_written_from_the_codebook_pane_and_shown_in_the_picker(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(CodebookTree)
        tree.focus()
        await pilot.press("down")  # 使用与知晓度
        assert tree.cursor_node.data == "problems.awareness"
        await pilot.press("m")
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        assert "使用与知晓度" in str(prompt.query_one("#dialog").border_title)
        prompt.query_one(TextArea).insert("只算自己说不知道的")
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.query_one(TranscriptView).focus()
        await pilot.press("c", *"syyz")
        definition = str(app.screen.query_one("#definition").render())
        assert "我的备忘：只算自己说不知道的" in definition
        await pilot.press("escape")
    with Project.open(sample_project_dir) as project:
        assert project.code_memo("problems.awareness", "wang") == "只算自己说不知道的"
        assert project.codings() == []  # m on the codebook coded nothing


async def test_retrieve_shows_each_segments_memo(sample_project_dir: Path) -> None:
    with Project.open(sample_project_dir) as project:
        for number, memo in ((3, "关键原话"), (4, "")):
            s = project.sentence("A01", number)
            project.add_coding("A01", s.start, s.end, "causes.publicity", "wang", memo=memo)
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r", "x", "c", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RetrieveScreen)
        listing = app.screen.query_one(OptionList)
        rows = [str(listing.get_option_at_index(i).prompt) for i in range(2)]
        assert rows[0].endswith("✎ 关键原话") and "✎" not in rows[1]
