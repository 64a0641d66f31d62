"""How long work says how far it has got, without knowing who is watching.

Core functions that can run for minutes (import, auto-coding, batch coding, export,
redaction, bringing in codings) take a `Progress` and report stages and advances to it. The
default reports to nobody; the command line passes one that draws a bar with an ETA on a
terminal (``qualcode.cli.progress``); tests pass their own to see what was reported.
"""

from __future__ import annotations


class Progress:
    """Receives progress reports. This base class shows nothing: subclass it to show them."""

    def start(self, description: str, total: float | None = None) -> None:
        """A new stage begins (``description`` says what it does), of ``total`` units of
        work (characters, transcripts, documents), or of an unknown amount when None."""

    def advance(self, amount: float = 1, done: str | None = None) -> None:
        """``amount`` more units of the current stage are done; ``done`` names an item (a
        transcript, a file) that has just been finished, if one has."""


SILENT = Progress()
"""The progress that reports to nobody: the default of every function that takes one."""
