"""The reports screen: the CLI's tables with bars, exported, and coders' disagreements walked
one by one back in the transcript."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from textual.widgets import DataTable, Select, TabbedContent

from qualcode import analysis
from qualcode.store import Project
from qualcode.tui.app import build_app
from qualcode.tui.dialogs import TextPrompt
from qualcode.tui.reports import ReportsScreen
from qualcode.tui.transcript_view import TranscriptView

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def english(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_LANG", "en")


@pytest.fixture
def two_coders(sample_project_dir: Path) -> Path:
    """Wang and Li coded the first sentences of A01; Li skipped every other one."""
    with Project.open(sample_project_dir) as project:
        for number in range(1, 13):
            s = project.sentence("A01", number)
            project.add_coding("A01", s.start, s.end, "problems.awareness", "wang")
            if number % 2:
                project.add_coding("A01", s.start, s.end, "problems.awareness", "li")
    return sample_project_dir


async def open_reports(app, pilot) -> ReportsScreen:
    await pilot.pause()
    await pilot.press("ctrl+r")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, ReportsScreen)
    return app.screen


async def test_reports_show_the_same_figures_as_the_cli_with_bars(two_coders: Path) -> None:
    app = build_app(two_coders)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot)
        table = screen.query_one("#frequencies-table", DataTable)
        with Project.open(two_coders) as project:
            expected = analysis.frequencies(project)
        assert table.row_count == len(expected)
        first = table.get_row_at(0)
        assert first[:3] == ["problems", "使用问题", 18]  # 12 of wang's + 6 of li's
        assert "█" in str(first[-1])  # its bar

        screen.query_one(TabbedContent).active = "crosstab"
        screen.query_one("#attribute", Select).value = "uses_platform"
        await app.workers.wait_for_complete()
        await pilot.pause()
        crosstab = screen.query_one("#crosstab-table", DataTable)
        headers = [str(c.label) for c in crosstab.columns.values()]
        assert "是" in headers and "否" in headers


async def test_keys_of_the_workbench_do_nothing_behind_the_reports(two_coders: Path) -> None:
    app = build_app(two_coders)
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(app, pilot)
        await pilot.press("1", "x", "c")
        assert isinstance(app.screen, ReportsScreen)
    with Project.open(two_coders) as project:
        assert len(project.codings(coder="wang")) == 12


async def test_disagreements_are_walked_in_the_transcript(two_coders: Path) -> None:
    app = build_app(two_coders)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot)
        screen.query_one(TabbedContent).active = "agreement"
        await pilot.pause()
        agreement = screen.query_one("#agreement-table", DataTable)
        overall = agreement.get_row_at(agreement.row_count - 1)
        assert overall[0] == "(overall)"
        disagreements = screen.query_one("#disagreements", DataTable)
        assert disagreements.row_count == 6  # sentences 2, 4 … 12, the code as coded
        disagreements.focus()
        await pilot.press("down", "enter")  # the second sentence li skipped
        await pilot.pause()
        view = app.query_one(TranscriptView)
        with Project.open(two_coders) as project:
            fourth = project.sentence("A01", 4)
        assert (view.selection.start, view.selection.end) == (fourth.start, fourth.end)

        screen = await open_reports(app, pilot)  # back where the researcher left off
        assert screen.query_one(TabbedContent).active == "agreement"
        assert screen.query_one("#disagreements", DataTable).cursor_row == 1


async def test_a_report_is_exported_as_the_cli_would(two_coders: Path, tmp_path: Path) -> None:
    app = build_app(two_coders)
    target = tmp_path / "out" / "frequencies.xlsx"
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        prompt.query_one("Input").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
    sheet = load_workbook(target).active
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["code_id", "code", "segments"]
    assert sheet["C2"].value == 18


async def test_every_table_says_its_counting_unit_and_parent_rule(two_coders: Path) -> None:
    from textual.widgets import Static

    app = build_app(two_coders)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot)
        frequencies = str(screen.query_one("#frequencies-note", Static).render())
        assert "Counting unit: coded segments" in frequencies and "6 respondents" in frequencies
        assert "children" in frequencies or "descendants" in frequencies
        agreement = str(screen.query_one("#agreement-unit-note", Static).render())
        assert "compared as coded" in agreement
        for tab in ("crosstab", "matrix", "cooccurrence", "words"):
            assert str(screen.query_one(f"#{tab}-note", Static).render()).startswith("Note:")
