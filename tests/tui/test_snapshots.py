"""What the workbench looks like, kept as SVG snapshots (``tests/tui/__snapshots__``).

Each starts on a fresh copy of the sample study with the coder set, so the screen depends on
nothing but the code: notifications are cleared and text cursors do not blink before the
picture is taken. After a deliberate change of the look, regenerate with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at every changed SVG.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from qualcode.tui.app import build_app

SIZE = (120, 40)


def doing(*keys: str):
    """Press ``keys``, then settle the screen: workers done, no notifications, no blinking."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press(*keys)
        for text_input in app.screen.query(Input):
            text_input.cursor_blink = False
        app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 30), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_workbench_in_chinese_with_a_coded_sentence(
    snap_compare, sample_project_dir: Path, size: tuple[int, int]
) -> None:
    """Sentence 4 coded 使用与知晓度: tinted, labelled in the margin; the transcript keeps 60%
    of the width or more: at 80 columns the transcript list steps aside, at 120 both side
    panes narrow, at 160 they have their full width."""
    app = build_app(sample_project_dir)
    assert snap_compare(app, terminal_size=size, run_before=doing("j", "j", "j", "1", "j"))


def test_workbench_in_english_with_a_coded_sentence(
    snap_compare, sample_project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same in English: pane titles, footer and status line."""
    monkeypatch.setenv("QUALCODE_LANG", "en")
    app = build_app(sample_project_dir)
    assert snap_compare(app, terminal_size=SIZE, run_before=doing("j", "j", "j", "1", "j"))


def test_code_picker_matching_pinyin_initials(snap_compare, sample_project_dir: Path) -> None:
    """The code picker after typing xc: 宣传推广 first, 加强宣传 next, then a new code."""
    app = build_app(sample_project_dir)
    assert snap_compare(app, terminal_size=SIZE, run_before=doing("j", "c", "x", "c"))


def test_help_screen(snap_compare, sample_project_dir: Path) -> None:
    """The key map in Chinese over the workbench."""
    app = build_app(sample_project_dir)
    assert snap_compare(app, terminal_size=SIZE, run_before=doing("question_mark"))
