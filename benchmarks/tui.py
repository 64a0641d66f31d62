"""Workbench figures for docs/benchmarks.md, on a 200,000-character transcript.

- start: from the start of a fresh process (before qualcode or Textual is imported) to the
  transcript painted on a headless 120x40 screen;
- cursor move: the app's own work for one `j`, i.e. the action plus re-rendering every
  visible line that changed, measured by calling the action and the view's `render_line`
  directly, because Pilot's key round trip waits for idle and adds tens of milliseconds;
- apply code: from the action of key `1` (favourite code) to the coding committed in SQLite
  (synchronous=FULL) and the transcript, codebook counts and progress redrawn.

Run: .venv/bin/python benchmarks/tui.py
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZE = (120, 40)


def make_project(folder: Path) -> Path:
    from qualcode.study import import_files, init_project

    body = "\n\n".join(
        (REPO / "transcripts" / n).read_text(encoding="utf-8-sig")
        for n in ("A01_zhang.txt", "A04_chen.txt")
    )
    turns = [b for b in body.split("\n\n") if b.startswith(("访谈者：", "受访者："))]
    text = ""
    while len(text) < 200_000:
        text += "\n\n".join(turns) + "\n\n"
    source = folder / "long_200k.txt"
    source.write_text(text, encoding="utf-8")
    project = folder / "project"
    with init_project(project, REPO / "codebooks" / "gov_service.yaml") as opened:
        import_files(opened, [source])
    return project


async def first_paint(project: Path) -> float:
    from qualcode.tui.app import build_app
    from qualcode.tui.transcript_view import TranscriptView

    app = build_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(TranscriptView)
        assert len(view.text) >= 200_000 and view.line_count > 1000
        return time.perf_counter() - STARTED


def paint_visible(view) -> None:
    for y in range(view.scrollable_content_region.height):
        view.render_line(y)


async def interaction(project: Path) -> tuple[list[float], list[float]]:
    from qualcode.tui.app import build_app
    from qualcode.tui.transcript_view import TranscriptView

    app = build_app(project)
    moves, codes = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(TranscriptView)
        for i in range(200):
            started = time.perf_counter()
            view.action_next_sentence()
            paint_visible(view)
            moves.append(time.perf_counter() - started)
            if i % 4 == 0:
                before = len(app.project.codings(app.transcript.name))
                started = time.perf_counter()
                app.action_favourite(1)
                paint_visible(view)
                codes.append(time.perf_counter() - started)
                assert len(app.project.codings(app.transcript.name)) == before + 1
            await pilot.pause()
    return moves, codes


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--first-paint":
        print(asyncio.run(first_paint(Path(sys.argv[2]))))
        return
    os.environ["QUALCODE_CODER"] = "bench"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QUALCODE_HOME"] = str(Path(tmp) / "home")
        project = make_project(Path(tmp))
        starts = [
            float(subprocess.run([sys.executable, __file__, "--first-paint", str(project)],
                                 check=True, capture_output=True, text=True).stdout)
            for _ in range(3)
        ]
        moves, codes = asyncio.run(interaction(project))
    ms = 1000
    print(f"start to painted 200,000-character transcript: median {statistics.median(starts):.2f} s"
          f" (runs: {', '.join(f'{s:.2f}' for s in starts)}; goal < 1 s)")
    print(f"cursor move (j), app's own work: median {statistics.median(moves) * ms:.2f} ms, "
          f"max {max(moves) * ms:.1f} ms over {len(moves)} moves (goal < 20 ms)")
    print(f"apply code (1) to stored and shown: median {statistics.median(codes) * ms:.1f} ms, "
          f"max {max(codes) * ms:.1f} ms over {len(codes)} codings (goal < 50 ms)")


if __name__ == "__main__":
    main()
