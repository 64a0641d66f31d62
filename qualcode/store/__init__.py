"""The project store: one SQLite file per project, the single source of truth.

A project is a folder holding ``qualcode.db`` (SQLite, WAL mode) and, optionally,
``userdict.txt`` (extra words for the segmenter, in jieba's format). Every change a
user makes is one transaction, committed before the caller returns; changes to
codings, codes and memos are recorded in an undo log that survives restarts.

The project's methods live in one module per subject, a table class each (connection and
migrations, codebook, transcripts, codings, memos, history, redaction); ``Project`` joins them
over one connection, so callers keep one object.
"""

from __future__ import annotations

from .codebook import CodebookTable
from .codings import CodingTable
from .connection import ProjectFile, building_beside, project_db
from .history import HistoryTable
from .memos import MemoTable
from .records import (
    CodebookEntry,
    CodingRecord,
    CodingsImport,
    HistoryStep,
    ImportResult,
    Memo,
    PreparedImport,
    Sentence,
    Sentences,
    Speaker,
    StoredTranscript,
    TranscriptSummary,
)
from .redaction import RedactionTable
from .rows import code_image, count_touched, count_touched_bounds
from .schema import BUSY_TIMEOUT_MS, DB_NAME, MIGRATIONS, SCHEMA_VERSION, USER_DICT_NAME
from .transcripts import TranscriptTable

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DB_NAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "USER_DICT_NAME",
    "CodebookEntry",
    "CodingRecord",
    "CodingsImport",
    "HistoryStep",
    "ImportResult",
    "Memo",
    "PreparedImport",
    "Project",
    "Sentence",
    "Sentences",
    "Speaker",
    "StoredTranscript",
    "TranscriptSummary",
    "building_beside",
    "code_image",
    "count_touched",
    "count_touched_bounds",
    "project_db",
]


class Project(
    ProjectFile,
    CodebookTable,
    TranscriptTable,
    CodingTable,
    MemoTable,
    HistoryTable,
    RedactionTable,
):
    """An open project. Use as a context manager, or call :meth:`close`."""
