"""Progress bars with an ETA on stderr for the commands that can run for minutes.

Shown only when stderr is a terminal: a pipe, a file or a test's captured output gets
nothing, so scripts read the same output as before.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..progress import SILENT, Progress

if TYPE_CHECKING:
    import rich.progress


class TerminalProgress(Progress):
    """Draws each stage as a rich progress bar (description, bar, percentage, ETA)."""

    def __init__(self, bars: rich.progress.Progress) -> None:
        self._bars = bars
        self._task: rich.progress.TaskID | None = None
        self._total: float | None = None

    def start(self, description: str, total: float | None = None) -> None:
        if self._task is not None and self._total is not None:  # the stage before is done
            self._bars.update(self._task, completed=self._total)
        self._task, self._total = self._bars.add_task(description, total=total), total

    def advance(self, amount: float = 1, done: str | None = None) -> None:
        if self._task is not None:
            self._bars.advance(self._task, amount)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A `Progress` drawing bars on stderr while the block runs, when stderr is a terminal;
    otherwise one that shows nothing."""
    if not sys.stderr.isatty():
        yield SILENT
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bars

    bars = Bars(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bars:
        yield TerminalProgress(bars)
