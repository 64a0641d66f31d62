"""What every workbench test shares: Textual runs on asyncio, settings live in a fresh home
folder, wang codes in Chinese, and text goes into inputs as a paste would put it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TextArea


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Textual runs on asyncio


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Wang codes in Chinese; settings live in a fresh home folder."""
    folder = tmp_path / "home"
    monkeypatch.setenv("QUALCODE_HOME", str(folder))
    monkeypatch.setenv("QUALCODE_CODER", "wang")
    monkeypatch.setenv("QUALCODE_LANG", "zh")
    return folder


def notifications(app) -> list[str]:
    """Every message the app notifies from now on, kept after its toast has gone (on a slow
    machine a 2-second toast may expire before a test looks at the screen)."""
    said: list[str] = []
    notify = app.notify

    def record(message: str, **options) -> None:
        said.append(message)
        notify(message, **options)

    app.notify = record
    return said


async def paste(pilot, text: str) -> None:
    """Put ``text`` into the focused input at its cursor, as pasting or an input method's
    commit would (Pilot types one key at a time, at tens of milliseconds a key)."""
    focused = pilot.app.focused
    if isinstance(focused, TextArea):
        focused.insert(text)
    else:
        assert isinstance(focused, Input)
        focused.insert_text_at_cursor(text)
    await pilot.pause()
