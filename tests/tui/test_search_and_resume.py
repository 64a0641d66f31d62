"""Finding and coming back: a whole-word search across every transcript (the hits
``report kwic`` finds, with their context) that jumps into the transcript, and each coder
put back on the transcript and sentence where they stopped when the app opens again."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from qualcode import analysis
from qualcode.model import Span
from qualcode.store import Project
from qualcode.tui.app import build_app
from qualcode.tui.search import SearchScreen
from qualcode.tui.transcript_view import TranscriptView

from .conftest import paste

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def status(app) -> str:
    return str(app.screen.query_one("#status", Static).render())


async def test_search_finds_whole_words_in_every_transcript_and_jumps(
    sample_project_dir: Path,
) -> None:
    with Project.open(sample_project_dir) as project:
        expected = analysis.kwic(project, "服务")
    transcripts = list(dict.fromkeys(expected.hits["transcript"]))
    assert len(transcripts) >= 2 and len(expected.inside_words)  # the sample has both kinds
    app = build_app(sample_project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await paste(pilot, "服务")
        await pilot.press("enter")
        await settle(app, pilot)
        listing = screen.query_one(OptionList)
        assert listing.option_count == len(expected.hits)
        rows = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        for row, hit in zip(rows, expected.hits.itertuples(), strict=True):
            assert row.startswith(f"{hit.transcript} · 句 {hit.sentence}")
            assert f"{hit.left}服务{hit.right}" in row
        note = str(screen.query_one("#note", Static).render())
        assert f"{len(expected.hits)} 处（整词）" in note
        assert f"另有{len(expected.inside_words)}处是更长词语的一部分" in note

        # The first hit in the second transcript: down to it, enter jumps there.
        target = next(
            i for i, h in enumerate(expected.hits.itertuples()) if h.transcript == transcripts[1]
        )
        await pilot.press(*["down"] * target, "enter")
        await pilot.pause()
        hit = expected.hits.iloc[target]
        view = app.query_one(TranscriptView)
        assert view.border_title == transcripts[1]
        assert view.selection == Span(int(hit["start"]), int(hit["end"]))
        assert view.selected_text == "服务" and view.has_focus
        assert f"句 {hit['sentence']}/" in status(app)

        await pilot.press("f", "x", "y", "z", "enter")  # a word that is nowhere
        await settle(app, pilot)
        assert "没有找到整词“xyz”" in str(app.screen.query_one("#note", Static).render())
        await pilot.press("escape")
        assert view.selection == Span(int(hit["start"]), int(hit["end"]))


async def test_each_coder_resumes_where_they_stopped(
    sample_project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Project.open(sample_project_dir) as project:
        a03, a02 = project.transcript("A03"), project.transcript("A02")

    async def work_on(coder: str, transcript: str, sentences_down: int) -> None:
        monkeypatch.setenv("QUALCODE_CODER", coder)
        app = build_app(sample_project_dir)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            app.screen.open_transcript(transcript)
            await pilot.press(*["j"] * sentences_down)
        # Closing the app (as q does) saved where the coder was.

    async def reopen(coder: str) -> tuple[str, Span, str]:
        monkeypatch.setenv("QUALCODE_CODER", coder)
        app = build_app(sample_project_dir)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            view = app.query_one(TranscriptView)
            return view.border_title, view.selection, status(app)

    await work_on("wang", "A03", 7)
    await work_on("li", "A02", 3)
    title, selection, shown = await reopen("wang")
    assert title == "A03_wang"
    assert selection == Span(a03.sentences[7].start, a03.sentences[7].end)
    assert f"A03_wang · 句 8/{len(a03.sentences)}" in shown
    title, selection, _ = await reopen("li")
    assert (title, selection) == ("A02_li", Span(a02.sentences[3].start, a02.sentences[3].end))
