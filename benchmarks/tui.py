"""Workbench figures for docs/benchmarks.md: what a coder sees, at 200,000, 1,000,000 and
3,000,000 characters, against a bare Textual app in the same run.

- First paint: from building the app (project opened, modules already imported: in-process)
  to the first frame rendered with the transcript laid out.
- Key to screen: a key pressed through Pilot (the real key path: bindings, actions, store,
  redraw) until the frames rendered for it (timed where Textual hands each frame to the
  terminal, not from Pilot's waits, which add idle polling), with notifications shown as in
  a terminal: "shown" is the first frame (the coding drawn: marks, margin, counts, progress,
  status line), "settled" the last (the toast saying what was done is drawn and the
  screen's layout has settled). Keys: `1` (apply favourite code 1 to the current sentence),
  `x` (remove it), `ctrl+z` (undo the removal), each after `j` (next sentence, not timed).
  Ours and the bare app (one binding that changes one Static and shows a toast, as ours
  does) run in alternating blocks, so that drift of a shared machine falls on both alike.
- The transcript list at 1,000 transcripts: `Project.summaries()`, the one query (with its
  sentence counting) the list is filled from.

Transcripts are the sample study's interview turns repeated to size, imported into a real
project with `qualcode.study.import_files`. The wrapped-line index is finished by a worker
after the first paint; keys are timed once it is done.

Run: .venv/bin/python benchmarks/tui.py [SIZES...]   (default 200000 1000000 3000000)
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
SCREEN = (120, 40)
BLOCKS = 4  # alternating blocks of ours and the bare app
ROUNDS = 4  # apply, remove, undo per block

# Every frame rendered for the terminal, with its time. Headless, Textual renders each update
# and hands it to App._display, which skips only the terminal write: "on screen" is then.
WRITES: list[float] = []
ON_WRITE: list[Callable[[], None]] = []  # called as each frame is displayed
_display = App._display


def _recording_display(self: App, screen: object, renderable: object) -> None:
    if renderable is not None:
        for callback in ON_WRITE:
            callback()
        WRITES.append(time.perf_counter())
    _display(self, screen, renderable)  # type: ignore[arg-type]


App._display = _recording_display  # type: ignore[method-assign]


class Bare(App[None]):
    """The reference: one Static whose text a key changes, and a toast saying so."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("1", "change", "Change")]

    def compose(self) -> ComposeResult:
        yield Static("0", id="counter")

    def action_change(self) -> None:
        counter = self.query_one("#counter", Static)
        counter.update(str(int(str(counter.render())) + 1))
        self.notify(f"Changed: {counter.render()}", timeout=2)


def make_project(folder: Path, size: int) -> Path:
    from qualcode.study import import_files, init_project

    body = "\n\n".join(
        (REPO / "transcripts" / n).read_text(encoding="utf-8-sig")
        for n in ("A01_zhang.txt", "A04_chen.txt")
    )
    turns = [b for b in body.split("\n\n") if b.startswith(("访谈者：", "受访者："))]
    chunk = "\n\n".join(turns) + "\n\n"
    text = chunk * (size // len(chunk) + 1)
    source = folder / f"long_{size}.txt"
    source.write_text(text, encoding="utf-8")
    project = folder / f"project_{size}"
    with init_project(project, REPO / "codebooks" / "gov_service.yaml") as opened:
        import_files(opened, [source])
    return project


async def key_to_screen(pilot, key: str) -> tuple[float, float]:
    """Seconds from pressing `key` to the first and to the last frame written for it."""
    await pilot.pause()
    WRITES.clear()
    started = time.perf_counter()
    await pilot.press(key)
    await pilot.pause()
    if not WRITES:
        raise RuntimeError(f"pressing {key} changed nothing on screen")
    return WRITES[0] - started, WRITES[-1] - started


async def ours(
    project: Path, times: dict[str, list[tuple[float, float]]], paints: list[float]
) -> None:
    from textual.app import ScreenStackError
    from textual.css.query import NoMatches

    from qualcode.tui.app import build_app
    from qualcode.tui.transcript_view import TranscriptView

    first_frame: list[float] = []

    def note_frame() -> None:
        if not first_frame:
            try:
                view = app.screen.query_one(TranscriptView)
            except (NoMatches, ScreenStackError):  # no workbench on screen yet
                return
            if view.layout is not None and view.text:
                first_frame.append(time.perf_counter())

    ON_WRITE[:] = [note_frame]
    started = time.perf_counter()
    app = build_app(project)
    async with app.run_test(size=SCREEN, notifications=True) as pilot:
        await pilot.pause()
        view = app.screen.query_one(TranscriptView)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert view.layout_complete and view.line_count > 1000
        paints.append(first_frame[0] - started)
        ON_WRITE.clear()
        project_ = app.project
        for _ in range(ROUNDS):
            await pilot.press("j")
            before = len(project_.codings(status=None))
            times["apply"].append(await key_to_screen(pilot, "1"))
            assert len(project_.codings(status=None)) == before + 1
            times["remove"].append(await key_to_screen(pilot, "x"))
            assert len(project_.codings(status=None)) == before
            times["undo"].append(await key_to_screen(pilot, "ctrl+z"))
            assert len(project_.codings(status=None)) == before + 1


async def bare(times: list[tuple[float, float]], paints: list[float]) -> None:
    started = time.perf_counter()
    app = Bare()
    async with app.run_test(size=SCREEN, notifications=True) as pilot:
        WRITES.clear()
        await pilot.pause()
        paints.append(WRITES[0] - started)
        for _ in range(ROUNDS * 3):
            times.append(await key_to_screen(pilot, "1"))


def transcript_list(folder: Path) -> tuple[float, int, int]:
    """Median seconds of `summaries()` at 1,000 transcripts, and the transcripts and
    codings it covered."""
    import reports

    from qualcode.store import Project

    folder.mkdir()
    study = reports.build(folder, 1000, 20_000)
    with Project.open(study) as project:
        project.summaries()  # the first read warms SQLite's page cache, as a list refill finds it
        runs = []
        for _ in range(7):
            started = time.perf_counter()
            rows = project.summaries()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs), len(rows), sum(r.codings for r in rows)


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f}"


def shown_settled(values: list[tuple[float, float]]) -> str:
    """Medians of the first and the last frame, "shown / settled" in ms."""
    return " / ".join(ms([v[i] for v in values]) for i in (0, 1))


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [200_000, 1_000_000, 3_000_000]
    os.environ["QUALCODE_CODER"] = "bench"
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average at start {os.getloadavg()[0]:.2f}, screen {SCREEN[0]}x{SCREEN[1]}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QUALCODE_HOME"] = str(Path(tmp) / "home")
        for size in sizes:
            project = make_project(Path(tmp), size)
            times: dict[str, list[tuple[float, float]]] = {"apply": [], "remove": [], "undo": []}
            bare_times: list[tuple[float, float]] = []
            paints: list[float] = []
            bare_paints: list[float] = []
            for _ in range(BLOCKS):
                asyncio.run(ours(project, times, paints))
                asyncio.run(bare(bare_times, bare_paints))
            row = (
                size,
                ms(paints),
                ms(bare_paints),
                *(shown_settled(times[k]) for k in times),
                shown_settled(bare_times),
            )
            rows.append(row)
            print(row, flush=True)
        list_seconds, transcripts, codings = transcript_list(Path(tmp) / "list")
    print()
    print(
        "| characters | first paint (ms) | bare app's first paint | apply `1` | remove `x` "
        "| undo `ctrl+z` | bare app's key |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row[0]:,} | " + " | ".join(row[1:]) + " |")
    print()
    print(
        f"transcript list: `Project.summaries()` over {transcripts:,} transcripts with "
        f"{codings:,} confirmed codings: median {list_seconds * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
