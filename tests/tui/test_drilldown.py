"""Drilling down from the figures to the words: the cross-tab as the CLI computes it (counts,
row and column %, chi-square), a cell's quotes and a jump into the transcript; retrieve
narrowed by a respondent attribute and by coder; the reports screen's honest empties and
its errors, which are notifications, never an exit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable, OptionList, Select, Static, TabbedContent

from qualcode import analysis
from qualcode.exchange.tables import frame_cells
from qualcode.model import Span
from qualcode.store import Project
from qualcode.tui.app import build_app
from qualcode.tui.reports import ReportsScreen, cell
from qualcode.tui.retrieve import RetrieveScreen
from qualcode.tui.transcript_view import TranscriptView

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


@pytest.fixture
def coded(sample_project_dir: Path) -> Path:
    """Wang coded 使用与知晓度 in A01 (60岁及以上, twice), A02 (30-44岁) and A03 (18-29岁); li
    coded it once in A01: three quotes of it (and of its parent 使用问题) among the
    over-sixties, from one respondent."""
    with Project.open(sample_project_dir) as project:
        for name, number, code, coder in (
            ("A01", 3, "problems.awareness", "wang"),
            ("A01", 4, "problems.awareness", "wang"),
            ("A02", 3, "problems.awareness", "wang"),
            ("A03", 5, "problems.awareness", "wang"),
            ("A01", 6, "problems.awareness", "li"),
        ):
            s = project.sentence(name, number)
            project.add_coding(name, s.start, s.end, code, coder)
    return sample_project_dir


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_reports(app, pilot, tab: str) -> ReportsScreen:
    await settle(app, pilot)
    await pilot.press("ctrl+r")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, ReportsScreen)
    screen.query_one(TabbedContent).active = tab
    await pilot.pause()
    return screen


def rows_of(table: DataTable) -> list[list[object]]:
    """The cells on screen, a number drawn as text read as its text."""
    return [
        [str(v) if isinstance(v, Text) else v for v in table.get_row_at(i)]
        for i in range(table.row_count)
    ]


def shown_as(frame, percent: bool = False) -> list[list[object]]:
    """A frame's rows as the reports screen shows them (rounded as the CLI rounds)."""
    shown = ([cell(v, percent) for v in row] for row in frame_cells(frame, percent=percent)[1])
    return [[str(v) if isinstance(v, Text) else v for v in row] for row in shown]


def toasts(app) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def test_a_crosstab_cell_lists_its_quotes_and_each_jumps_into_the_transcript(
    coded: Path,
) -> None:
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot, "crosstab")
        # Two choices in a row: the table shows the second, whichever worker ends last.
        screen.query_one("#attribute", Select).value = "gender"
        await pilot.pause()
        screen.query_one("#attribute", Select).value = "age_group"
        await settle(app, pilot)
        assert screen.query_one("#attribute", Select).value == "age_group"
        with Project.open(coded) as project:
            expected = analysis.crosstab(project, "age_group")
        table = screen.query_one("#crosstab-table", DataTable)
        assert rows_of(table) == shown_as(expected.counts)
        assert rows_of(screen.query_one("#chi-square-table", DataTable)) == shown_as(expected.tests)
        for view, frame in (
            ("row %", expected.row_percent),
            ("column %", expected.column_percent),
            ("counts", expected.counts),
        ):
            screen.query_one("#crosstab-view", Select).value = view
            await pilot.pause()
            assert rows_of(table) == shown_as(frame, percent="%" in view)

        headers = [str(column.label) for column in table.columns.values()]
        row = list(expected.counts["code_id"]).index("problems")
        column = headers.index("60岁及以上")
        assert table.get_row_at(row)[column] == 1  # one respondent ...
        table.focus()
        table.move_cursor(row=row, column=column)
        await pilot.press("enter")
        await settle(app, pilot)
        quotes = app.screen
        assert isinstance(quotes, RetrieveScreen)  # ... and the three quotes behind it
        listing = quotes.query_one(OptionList)
        assert listing.option_count == 3
        with Project.open(coded) as project:
            third, fourth, sixth = (project.sentence("A01", n) for n in (3, 4, 6))
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(3)]
        assert [p.split()[:2] for p in prompts] == [
            ["A01_zhang", "wang"],
            ["A01_zhang", "wang"],
            ["A01_zhang", "li"],
        ]
        assert [third.text in prompts[0], fourth.text in prompts[1], sixth.text in prompts[2]] == [
            True
        ] * 3
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        view = app.query_one(TranscriptView)
        assert app.screen is view.screen  # back on the workbench
        assert view.border_title == "A01_zhang"
        assert view.selection == Span(sixth.start, sixth.end)

        # The Total column: every respondent's quotes of the code.
        screen = await open_reports(app, pilot, "crosstab")
        table = screen.query_one("#crosstab-table", DataTable)
        table.focus()
        table.move_cursor(row=row, column=len(headers) - 1)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one(OptionList).option_count == 5
        assert "60岁及以上" not in str(app.screen.query_one("#dialog").border_title)


async def test_retrieve_keeps_the_respondents_with_an_attribute_and_one_coder(
    coded: Path,
) -> None:
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r", *"syyz", "enter")  # 使用与知晓度: the viewed coder's at first
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RetrieveScreen)
        listing = screen.query_one(OptionList)

        def listed() -> list[str]:
            return [
                str(listing.get_option_at_index(i).prompt).split()[0]
                for i in range(listing.option_count)
            ]

        assert screen.query_one("#coder", Select).value == "wang"
        assert listed() == ["A01_zhang", "A01_zhang", "A02_li", "A03_wang"]
        screen.query_one("#attribute", Select).value = "age_group"
        await pilot.pause()
        screen.query_one("#value", Select).value = "60岁及以上"
        await pilot.pause()
        assert listed() == ["A01_zhang", "A01_zhang"]
        assert "2/5" in str(screen.query_one("#dialog").border_title)
        screen.query_one("#coder", Select).value = "li"
        await pilot.pause()
        assert listed() == ["A01_zhang"]
        screen.query_one("#coder", Select).clear()  # everyone
        await pilot.pause()
        assert listed() == ["A01_zhang"] * 3
        screen.query_one("#coder", Select).value = "wang"
        screen.query_one("#value", Select).value = "30-44岁"
        await pilot.pause()
        assert listed() == ["A02_li"]
        listing.focus()
        await pilot.press("enter")
        await pilot.pause()
        with Project.open(coded) as project:
            third = project.sentence("A02", 3)
        view = app.query_one(TranscriptView)
        assert view.border_title == "A02_li" and view.selection == Span(third.start, third.end)


async def test_agreement_with_one_coder_says_why_it_is_empty(sample_project_dir: Path) -> None:
    with Project.open(sample_project_dir) as project:
        s = project.sentence("A01", 3)
        project.add_coding("A01", s.start, s.end, "problems.awareness", "wang")
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot, "agreement")
        note = screen.query_one("#agreement-note", Static)
        assert note.display and "只有 wang 编码过" in str(note.render())
        assert not screen.query_one("#agreement-table").display


async def test_cooccurrence_never_pairs_a_code_with_its_own_parent(coded: Path) -> None:
    with Project.open(coded) as project:
        s = project.sentence("A01", 3)
        project.add_coding("A01", s.start, s.end, "suggestions.publicity", "wang")
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot, "cooccurrence")
        table = screen.query_one("#cooccurrence-table", DataTable)
        headers = [str(column.label) for column in table.columns.values()]
        cells = {row[0]: dict(zip(headers, row, strict=True)) for row in rows_of(table)}
        assert cells["problems"]["problems.awareness"] == ""  # a child is its parent's
        assert cells["problems.awareness"]["problems"] == ""
        assert cells["problems.awareness"]["suggestions.publicity"] == 1  # a real pair
        assert cells["problems"]["suggestions"] == 1
        assert cells["problems"]["problems"] == 5  # the diagonal stays


async def test_a_report_that_fails_is_a_notification_and_the_app_goes_on(coded: Path) -> None:
    app = build_app(coded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_reports(app, pilot, "crosstab")
        # Another process drops an attribute while the screen still offers it.
        conn = sqlite3.connect(coded / "qualcode.db")
        with conn:
            conn.execute("DELETE FROM attribute_names WHERE name = 'education'")
        conn.close()
        screen.query_one("#attribute", Select).value = "education"
        await settle(app, pilot)
        assert app.is_running and app.screen is screen
        assert any("no respondent attribute 'education'" in toast for toast in toasts(app))
        screen.query_one("#attribute", Select).value = "gender"  # a good one still works
        await settle(app, pilot)
        headers = [
            str(c.label) for c in screen.query_one("#crosstab-table", DataTable).columns.values()
        ]
        assert "女" in headers and "男" in headers
        await pilot.press("escape", "j")
        assert isinstance(app.screen.query_one(TranscriptView), TranscriptView)
        assert app.is_running
