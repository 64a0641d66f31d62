"""Setting a speaker's role at the workbench, from the command palette: the speaker at the
cursor is offered first, then the roles; the choice is stored at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import OptionList

from qualcode.store import Project
from qualcode.tui.app import build_app
from qualcode.tui.dialogs import ChoiceList

from .conftest import paste

pytestmark = pytest.mark.anyio


async def test_a_speakers_role_is_set_from_the_command_palette(sample_project_dir: Path) -> None:
    with Project.open(sample_project_dir) as project:
        turns = {s.name: s.turns for s in project.speakers("A01_zhang")["A01_zhang"]}
    app = build_app(sample_project_dir)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+p")
        assert CommandPalette.is_open(app)
        await paste(pilot, "设置发言人角色")
        await pilot.press("down", "enter")
        assert isinstance(app.screen, ChoiceList)
        speakers = app.screen.query_one(OptionList)
        assert [str(o.prompt) for o in speakers.options] == [
            f"访谈者  访谈者  {turns['访谈者']} 轮发言",
            f"受访者  受访者  {turns['受访者']} 轮发言",
        ]
        assert str(speakers.options[speakers.highlighted].prompt).startswith("访谈者")
        await pilot.press("down", "enter")  # 受访者
        roles = app.screen.query_one(OptionList)
        assert [str(o.prompt) for o in roles.options] == ["访谈者", "受访者", "其他"]
        assert roles.highlighted == 1  # the role it has now
        await pilot.press("down", "enter")  # other
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceList)
        assert any("受访者：其他" in str(toast.render()) for toast in app.screen.query("Toast"))
    with Project.open(sample_project_dir) as project:
        roles = {s.name: (s.role, s.role_set) for s in project.speakers("A01_zhang")["A01_zhang"]}
    assert roles == {"访谈者": ("interviewer", False), "受访者": ("other", True)}
