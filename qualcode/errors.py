"""Errors a researcher can read: each says what went wrong, where, and how to fix it.

The CLI prints ``str(error)`` as one line and exits non-zero; the TUI shows it as a
notification. Anything that is not a ``QualcodeError`` reaching a user is a bug.
"""

from __future__ import annotations

from pathlib import Path


class QualcodeError(Exception):
    """Base of every error qualcode reports to a user."""

    title = "qualcode error"

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class CodebookError(QualcodeError):
    """A codebook file (YAML or REFI-QDA) is malformed or inconsistent."""

    title = "Codebook error"


class TranscriptError(QualcodeError):
    """A transcript file cannot be read or decoded."""

    title = "Transcript error"


class ProjectError(QualcodeError):
    """The project store is missing, locked, or asked for something it does not hold."""

    title = "Project error"


class AttributesError(QualcodeError):
    """A respondent-attributes table cannot be read or matched to transcripts."""

    title = "Attributes error"


class ServeError(QualcodeError):
    """``qualcode serve`` cannot start: a busy port, an address it cannot listen on."""

    title = "Serve error"


class ReportError(QualcodeError):
    """A chart, quotes report or Word file cannot be made: no Chinese font, an unknown
    format, a report without a chart."""

    title = "Report error"


class ArchiveError(QualcodeError):
    """A zip archive (.docx, .xlsx, .qdpx) is refused: not a zip file, damaged, a member
    outside the archive, or inflating beyond the limits (a zip bomb)."""

    title = "Archive refused"
