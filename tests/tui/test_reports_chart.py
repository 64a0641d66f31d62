"""The reports screen's `e` exports the chart beside the table, as `qualcode report
frequencies -o FILE.png` draws it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from qualcode.tui.app import build_app
from qualcode.tui.dialogs import TextPrompt

from .test_reports_screen import SIZE, open_reports, two_coders  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio


async def test_export_writes_the_chart_beside_the_table(
    two_coders: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
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
    assert target.exists()
    chart = target.with_suffix(".png")
    with Image.open(chart) as image:
        assert image.format == "PNG" and image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
