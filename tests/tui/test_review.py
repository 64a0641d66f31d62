"""Marking the open transcript reviewed from the command palette: stored at once for the
coder, said in a notification, taken off again the same way, and undoable."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette

from qualcode.store import Project
from qualcode.tui.app import build_app

from .conftest import notifications, paste

pytestmark = pytest.mark.anyio


async def test_the_open_transcript_is_marked_reviewed_from_the_command_palette(
    sample_project_dir: Path,
) -> None:
    app = build_app(sample_project_dir)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        said = notifications(app)
        for expected, message in (
            ({("wang", "A01_zhang")}, "A01_zhang：wang 已审阅"),
            (set(), "已取消 wang 的审阅标记"),
        ):
            await pilot.press("ctrl+p")
            assert CommandPalette.is_open(app)
            await paste(pilot, "标记本访谈记录已审阅")
            await pilot.press("down", "enter")
            await pilot.pause()
            with Project.open(sample_project_dir) as project:
                assert project.reviewed() == expected
            assert any(message in text for text in said)
    with Project.open(sample_project_dir) as project:
        assert project.undo(coder="wang").action == "review"  # the unmarking, undone
        assert project.reviewed() == {("wang", "A01_zhang")}
