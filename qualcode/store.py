"""The project store: one SQLite file per project, the single source of truth.

A project is a folder holding ``qualcode.db`` (SQLite, WAL mode) and, optionally,
``userdict.txt`` (extra words for the segmenter, in jieba's format). Every change a
user makes is one transaction, committed before the caller returns; changes to
codings, codes and memos are recorded in an undo log that survives restarts.
"""

from __future__ import annotations

import gc
import json
import os
import secrets
import shutil
import sqlite3
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha256
from itertools import chain
from pathlib import Path
from typing import Any, Self

from .errors import ProjectError
from .model import Code, Codebook, Coding, ParsedTranscript, Span, Turn
from .progress import SILENT, Progress
from .reanchor import Anchorer, Opcode, ReanchorReport

DB_NAME = "qualcode.db"
USER_DICT_NAME = "userdict.txt"
BUSY_TIMEOUT_MS = 10_000


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


# --- schema ---------------------------------------------------------------------------------
# Migrations are named steps run in order, each in its own transaction, recorded by name.

_SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE transcripts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    hash TEXT NOT NULL,
    source_path TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    encoding TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    header_start INTEGER,
    header_end INTEGER,
    warnings TEXT NOT NULL DEFAULT '[]',
    imported TEXT NOT NULL
);
CREATE TABLE turns (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    body_start INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    timestamp TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (transcript_id, idx)
);
CREATE TABLE sentences (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    turn_idx INTEGER NOT NULL,
    PRIMARY KEY (transcript_id, idx)
);
-- Segmentation results by text hash and segmenter signature: a text is segmented once.
CREATE TABLE segmentations (
    hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    words BLOB NOT NULL,
    sentences BLOB NOT NULL,
    PRIMARY KEY (hash, signature)
);
CREATE TABLE codes (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    label_en TEXT NOT NULL DEFAULT '',
    color TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    include TEXT NOT NULL DEFAULT '',
    exclude TEXT NOT NULL DEFAULT '',
    examples TEXT NOT NULL DEFAULT '[]',
    keywords TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE coders (name TEXT PRIMARY KEY, created TEXT NOT NULL);
CREATE TABLE codings (
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    code_id TEXT NOT NULL,
    coder TEXT NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'confirmed'
        CHECK (status IN ('confirmed', 'suggested', 'rejected')),
    rule TEXT NOT NULL DEFAULT '',
    score REAL,
    created TEXT NOT NULL,
    changed TEXT NOT NULL,
    CHECK (0 <= start AND start < end)
);
CREATE INDEX codings_by_transcript ON codings (transcript_id, start);
CREATE INDEX codings_by_code ON codings (code_id);
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    transcript_id INTEGER UNIQUE REFERENCES transcripts(id) ON DELETE SET NULL
);
CREATE TABLE attributes (
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (case_id, name)
);
CREATE TABLE attribute_names (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE memos (
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER REFERENCES transcripts(id),
    coder TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    created TEXT NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE undo_log (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
"""

# Re-anchoring may leave a coding 'unplaced' (its text was deleted from a changed transcript);
# original_* keep where it was and what it said. SQLite cannot alter a CHECK: copy the table.
_UNPLACED_CODINGS = """
CREATE TABLE codings_new (
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    code_id TEXT NOT NULL,
    coder TEXT NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'confirmed'
        CHECK (status IN ('confirmed', 'suggested', 'rejected', 'unplaced')),
    rule TEXT NOT NULL DEFAULT '',
    score REAL,
    created TEXT NOT NULL,
    changed TEXT NOT NULL,
    original_start INTEGER,
    original_end INTEGER,
    original_text TEXT,
    original_status TEXT,
    CHECK (0 <= start AND start < end)
);
INSERT INTO codings_new (id, transcript_id, start, end, code_id, coder, memo, status, rule,
    score, created, changed)
    SELECT id, transcript_id, start, end, code_id, coder, memo, status, rule, score, created,
    changed FROM codings;
DROP TABLE codings;
ALTER TABLE codings_new RENAME TO codings;
CREATE INDEX codings_by_transcript ON codings (transcript_id, start);
CREATE INDEX codings_by_code ON codings (code_id);
"""

# The key of a redaction (qualcode.privacy): which personal data became which pseudonym, kept
# in the project that still holds the original text; kind 'keep' rows are words never redacted.
_REDACTION_KEY = """
CREATE TABLE redaction_key (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    pseudonym TEXT NOT NULL DEFAULT '',
    original TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
"""

# A code's auto-coding rules (model.Code.match, patterns, token_patterns) as one JSON object
# holding only what differs from the defaults: new rule kinds need no further migration.
_CODE_RULES = "ALTER TABLE codes ADD COLUMN rules TEXT NOT NULL DEFAULT '{}'"

# A transcript may belong to a case other than the one named after it (a survey respondent
# answers several questions: each answer is a transcript, all of them one case).
_TRANSCRIPT_CASE = ("ALTER TABLE transcripts ADD COLUMN case_id INTEGER "
                    "REFERENCES cases(id) ON DELETE SET NULL")

# A coder's memo on a code (a definition evolves as the coding goes on: one memo per code and
# coder), and where each coder stopped (transcript and cursor offset), to resume there.
_CODE_MEMOS_AND_POSITIONS = """
CREATE TABLE code_memos (
    id INTEGER PRIMARY KEY,
    code_id TEXT NOT NULL,
    coder TEXT NOT NULL,
    text TEXT NOT NULL,
    created TEXT NOT NULL,
    changed TEXT NOT NULL,
    UNIQUE (code_id, coder)
);
CREATE TABLE positions (
    coder TEXT PRIMARY KEY,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    cursor INTEGER NOT NULL,
    changed TEXT NOT NULL
);
"""

# Favourite keys belong to the project: bound once, then moved only by the researcher
# (bind_favourite). A key whose code is deleted is freed. A saved choice from the old
# "favourites" setting is kept; a project without one gets the first nine leaf codes on its
# next open (_bind_default_favourites), once. Every undo entry records whose change it was;
# an older entry takes the coder of the first row it changed (a coding's or memo's coder),
# or none when that row has no coder (a code added), so only `qualcode undo` without
# --coder reaches it.
_FAVOURITES_AND_UNDO_CODER = """
ALTER TABLE undo_log ADD COLUMN coder TEXT NOT NULL DEFAULT '';
UPDATE undo_log SET coder = coalesce((
    SELECT coalesce(json_extract(c.value, '$.after.coder'), json_extract(c.value, '$.before.coder'))
    FROM json_each(undo_log.changes) c ORDER BY c.key LIMIT 1), '');
CREATE INDEX undo_log_by_coder ON undo_log (coder, undone, id);
CREATE TABLE favourites (
    key INTEGER PRIMARY KEY CHECK (key BETWEEN 1 AND 9),
    code_id TEXT NOT NULL UNIQUE
);
INSERT OR IGNORE INTO favourites (key, code_id)
    SELECT j.key + 1, j.value FROM meta m, json_each('["' || replace(m.value, ',', '","') || '"]') j
    WHERE m.key = 'setting.favourites' AND j.key < 9 AND j.value IN (SELECT id FROM codes);
INSERT OR IGNORE INTO meta (key, value)
    SELECT 'favourites.bound', 'migrated' WHERE EXISTS (SELECT 1 FROM favourites)
"""

# Each turn's start time in seconds (None without one), and each transcript's speakers: their
# role (qualcode.roles; role_set = 1 when the researcher set it, so a re-import keeps it) and the
# description a bracketed label gave (受访者（女，35岁）：), in order of first appearance.
_SPEAKERS = """
CREATE TABLE speakers (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    role TEXT NOT NULL DEFAULT 'other' CHECK (role IN ('interviewer', 'respondent', 'other')),
    role_set INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (transcript_id, name)
)
"""


def _speakers_and_turn_times(conn: sqlite3.Connection) -> None:
    """Add ``turns.seconds`` and the ``speakers`` table; the speakers of transcripts already
    imported get the roles their labels suggest (no descriptions: older versions kept none)."""
    from .roles import guess_roles

    conn.execute("ALTER TABLE turns ADD COLUMN seconds REAL")
    conn.execute(_SPEAKERS)
    names: dict[int, list[str]] = {}
    for transcript_id, speaker in conn.execute(
            "SELECT transcript_id, speaker FROM turns ORDER BY transcript_id, idx").fetchall():
        found = names.setdefault(transcript_id, [])
        if speaker not in found:
            found.append(speaker)
    for transcript_id, speakers in names.items():
        guesses = guess_roles(speakers)
        conn.executemany(
            "INSERT INTO speakers (transcript_id, name, position, role) VALUES (?,?,?,?)",
            [(transcript_id, name, i, guesses[name].role) for i, name in enumerate(speakers)])


# A coder who marked a transcript reviewed has read all of it: where they coded nothing, they
# saw nothing to code (agreement counts that as absence, not as missing data).
_REVIEWED_TRANSCRIPTS = """
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    coder TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (transcript_id, coder)
)
"""

# Every change to the working codebook, for the methods chapter: who, when, what (see
# qualcode.codes). ``code_id`` is the code it concerned as it was named before, ``target_id``
# its new id, the code it was merged or split into, or its new parent; ``codings`` how many
# codings it moved or deleted; ``details`` (JSON) the labels and fields a sentence is made
# from. AUTOINCREMENT: an entry undone and redone keeps its id, never another entry's. A
# project that has codes starts its history with what the codebook then was.
_CODEBOOK_HISTORY = """
CREATE TABLE codebook_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    coder TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    code_id TEXT NOT NULL DEFAULT '',
    target_id TEXT NOT NULL DEFAULT '',
    codings INTEGER NOT NULL DEFAULT 0,
    details TEXT NOT NULL DEFAULT '{}'
)
"""


def _codebook_history(conn: sqlite3.Connection) -> None:
    conn.execute(_CODEBOOK_HISTORY)
    count = conn.execute("SELECT count(*) FROM codes").fetchone()[0]
    if count:
        conn.execute("INSERT INTO codebook_history (created, action, details) VALUES (?, ?, ?)",
                     (_now(), "start", json.dumps({"codes": count})))


# Every per-transcript count and every report reads codings by status (and transcript) for
# their spans, code and coder: an index holding all of these answers them without reading the
# table's rows (memos, times), in transcript and text order. `list` at 1,000 transcripts and
# 100,000 codings: 0.06 s for that part of its query before, 0.02 s with it.
_CODINGS_COVERING_INDEX = (
    "CREATE INDEX IF NOT EXISTS codings_covering "
    "ON codings (status, transcript_id, start, end, coder, code_id)")


# A step is SQL (statements separated by ';') or a function of the connection, for a step that
# needs Python (guessing roles); either runs inside the step's transaction.
MIGRATIONS: list[tuple[str, str | Callable[[sqlite3.Connection], None]]] = [
    ("0001_initial", _SCHEMA_1),
    ("0002_unplaced_codings", _UNPLACED_CODINGS),
    ("0003_code_rules", _CODE_RULES),
    ("0004_redaction_key", _REDACTION_KEY),
    ("0005_transcript_case", _TRANSCRIPT_CASE),
    ("0006_speakers_and_turn_times", _speakers_and_turn_times),
    ("0007_favourites_and_undo_coder", _FAVOURITES_AND_UNDO_CODER),
    ("0008_code_memos_and_positions", _CODE_MEMOS_AND_POSITIONS),
    ("0009_reviewed_transcripts", _REVIEWED_TRANSCRIPTS),
    ("0010_codebook_history", _codebook_history),
    ("0011_codings_covering_index", _CODINGS_COVERING_INDEX),
]
SCHEMA_VERSION = len(MIGRATIONS)

# Tables whose row changes are recorded for undo, with their primary key column. Refining
# the codebook (qualcode.codes) also moves favourite keys, the GUIDs kept in meta and adds
# to the codebook's history: undone, each comes back as it was.
_UNDOABLE = {"codings": "id", "codes": "id", "memos": "id", "code_memos": "id",
             "reviews": "id", "favourites": "key", "meta": "key", "codebook_history": "id"}


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """An action undone or redone: its name as logged ("code", "uncode", "memo", "add code",
    "accept 3" ...), whose it was ("" for an old entry whose coder the log cannot tell), the
    code it concerned and where it began ("" and 0 when it has no such place)."""

    action: str
    coder: str
    code_id: str = ""
    transcript: str = ""
    sentence: int = 0  # 1-based, of `transcript`
    transcripts: tuple[str, ...] = ()  # every transcript whose codings or memos it changed


@dataclass(frozen=True, slots=True)
class CodebookEntry:
    """One change to the working codebook (see :mod:`qualcode.codes`): ``action`` (add,
    rename, edit, move, reorder, merge, split, delete, codebook, start), the code it concerned
    by its id before, the other code (new id, merged or split into, new parent), how many
    codings it moved or deleted, and ``details`` (labels, fields) to describe it with. ``coder``,
    ``created`` and ``id`` are filled in once it is recorded."""

    action: str
    code_id: str = ""
    target_id: str = ""
    codings: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    coder: str = ""
    created: str = ""
    id: int = 0


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int  # 1-based, as shown to users
    start: int
    end: int
    turn: int  # 0-based index into the transcript's turns
    speaker: str
    text: str


class Sentences(Sequence[Sentence]):
    """A transcript's sentences in text order, as a read-only sequence of `Sentence`.

    Kept as arrays (``starts``, ``ends``, ``turn_indices``: code-point offsets and 0-based
    turn numbers) and made into a `Sentence` only when one is read: a 3-million-character
    transcript has about 100,000 sentences, of which a screen shows a few dozen. Indexing,
    slicing (a list), iteration, ``len`` and ``==`` work as on a list of `Sentence`."""

    __slots__ = ("_text", "_turns", "ends", "starts", "turn_indices")

    def __init__(self, text: str, starts: Sequence[int], ends: Sequence[int],
                 turn_indices: Sequence[int], turns: Sequence[Turn]) -> None:
        self._text = text
        self._turns = turns
        self.starts = starts
        self.ends = ends
        self.turn_indices = turn_indices

    def _sentence(self, i: int) -> Sentence:
        start, end, turn = self.starts[i], self.ends[i], self.turn_indices[i]
        return Sentence(i + 1, start, end, turn, self._turns[turn].speaker if self._turns else "",
                        self._text[start:end])

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int | slice) -> Any:  # Sentence, or a list for a slice
        if isinstance(index, slice):
            return [self._sentence(i) for i in range(*index.indices(len(self.starts)))]
        count = len(self.starts)
        i = index + count if index < 0 else index
        if not 0 <= i < count:
            raise IndexError(f"sentence index {index} out of range (there are {count})")
        return self._sentence(i)

    def __iter__(self) -> Iterator[Sentence]:
        return map(self._sentence, range(len(self.starts)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal by content, like a list

    def __repr__(self) -> str:
        return f"<Sentences: {len(self.starts)}>"


@dataclass(slots=True)
class TranscriptSummary:
    name: str
    format: str
    turns: int
    sentences: int
    characters: int
    coded_sentences: int
    codings: int
    case: str = ""  # the respondent's case (the transcript's name when it has none)
    attributes: dict[str, str] = field(default_factory=dict)  # the case's, in column order

    @property
    def percent_coded(self) -> float:
        return 100.0 * self.coded_sentences / self.sentences if self.sentences else 0.0


@dataclass(frozen=True, slots=True)
class Memo:
    """One memo, wherever it is written: on a ``coding`` (its transcript, span, code and the
    coded text in ``quote``), on a ``transcript``, on a ``code`` or on the whole ``project``."""

    kind: str  # "coding", "transcript", "code" or "project"
    coder: str
    text: str
    changed: str
    transcript: str = ""
    start: int = 0
    end: int = 0
    code_id: str = ""
    coding_id: int = 0
    quote: str = ""


@dataclass(slots=True)
class StoredTranscript:
    """A transcript as the store holds it, with its turns, sentences and word boundaries."""

    id: int
    name: str
    text: str
    hash: str
    format: str
    source_path: str
    metadata: dict[str, str]
    header: Span | None
    turns: list[Turn]
    sentences: Sentences  # a read-only sequence of Sentence, built as they are read
    word_ends: array = field(repr=False)
    speakers: list[Speaker] = field(default_factory=list)  # in order of first appearance

    def words(self) -> list[Span]:
        """Word spans tiling the text."""
        starts = [0, *self.word_ends[:-1]]
        return [Span(s, e) for s, e in zip(starts, self.word_ends, strict=True)]


@dataclass(frozen=True, slots=True)
class Speaker:
    """A speaker of one transcript: ``role`` (see :mod:`qualcode.roles`), ``role_set`` when
    the researcher set it (else it is the import's guess), the ``description`` a bracketed
    label gave, and how many ``turns`` they have."""

    name: str
    role: str
    description: str = ""
    turns: int = 0
    role_set: bool = False


@dataclass(slots=True)
class ImportResult:
    name: str
    status: str  # "added", "unchanged", "replaced"; "waiting": attributes, no transcript yet;
    # "duplicate": skipped, its text is that of transcript ``duplicate_of``
    turns: int = 0
    sentences: int = 0
    segmented: bool = False  # False when the segmentation came from the cache
    warnings: list[str] = field(default_factory=list)
    reanchored: ReanchorReport | None = None  # for "replaced": where its codings went
    speakers: list[Speaker] = field(default_factory=list)  # with their roles, as stored
    duplicate_of: str = ""  # for "duplicate": the transcript that has the same text


@dataclass(slots=True)
class PreparedImport:
    """A transcript checked and segmented (by :func:`qualcode.pipeline.prepare`), ready to be
    written in one transaction by :meth:`Project.store_import`. ``words`` and ``sentences``
    are int32 arrays (or their bytes): word ends, and (start, end, turn) per sentence."""

    name: str
    parsed: ParsedTranscript
    source_path: str
    hash: str
    signature: str
    replaces: int | None  # the id of the transcript of the same name it replaces
    unchanged: bool = False
    segmented: bool = False  # False when the segmentation came from the cache
    words: bytes | array = b""
    sentences: bytes | array = b""
    old_hash: str = ""  # the replaced text's hash when ``opcodes`` were computed
    opcodes: list[Opcode] | None = None  # its diff to the new text, for re-anchoring codings


# --- the project ----------------------------------------------------------------------------


def project_db(path: str | Path) -> Path:
    """The database file of a project given by its folder (or by the .db file itself)."""
    path = Path(path)
    return path if path.suffix == ".db" else path / DB_NAME


@contextmanager
def building_beside(target: Path, label: str) -> Iterator[Path]:
    """A fresh, not yet existing folder name beside ``target`` for a new project to be built
    in. When the block ends without error the folder is moved into place as ``target`` (an
    empty folder already there is replaced); when it fails the folder is removed, so a failed
    build leaves nothing behind."""
    building = target.with_name(f".{target.name}.{label}-{secrets.token_hex(4)}")
    try:
        yield building
        if target.exists():  # an empty folder the user made for it
            target.rmdir()
        building.rename(target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


class _Connection(sqlite3.Connection):
    """A connection whose environmental failures speak to the researcher: another qualcode
    process holding the write lock past the busy timeout, a full disk, a read-only or damaged
    file become a :class:`ProjectError` on every statement, wherever it runs (a TUI callback,
    a command, a migration), instead of a raw ``sqlite3.OperationalError``."""

    path: Path = Path(DB_NAME)

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.DatabaseError as error:
            if (explained := _explained(error, self.path)) is None:
                raise
            raise explained from error

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.DatabaseError as error:
            if (explained := _explained(error, self.path)) is None:
                raise
            raise explained from error

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:
        return super().cursor(factory or _Cursor)


class _Cursor(sqlite3.Cursor):
    """A cursor of a :class:`_Connection`, explaining failures as its connection does."""

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.DatabaseError as error:
            if (explained := _explained(error, self.connection.path)) is None:
                raise
            raise explained from error

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.DatabaseError as error:
            if (explained := _explained(error, self.connection.path)) is None:
                raise
            raise explained from error


def _explained(error: sqlite3.DatabaseError, path: Path) -> ProjectError | None:
    """A ProjectError for failures of the environment; None for anything else (a bug)."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # primary result code
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return ProjectError(
            "the project is busy: another qualcode window or command has been writing to it "
            f"for over {BUSY_TIMEOUT_MS / 1000:g} s; nothing was changed here, try again when "
            "it has finished", path=path,
        )
    if code == sqlite3.SQLITE_FULL:
        return ProjectError("the disk is full; nothing was changed: free some space and try "
                            "again", path=path)
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return ProjectError(f"cannot write the project database ({error}); check that the "
                            "folder and file are yours and writable", path=path)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_IOERR):
        return ProjectError(f"the project database is damaged or unreadable ({error}); check "
                            f"it with: qualcode doctor {path.parent}", path=path)
    return None


class Project:
    """An open project. Use as a context manager, or call :meth:`close`."""

    def __init__(self, db_path: Path, conn: sqlite3.Connection):
        self.db_path = db_path
        self.folder = db_path.parent
        self.conn = conn
        # Per "transcript id:text hash": its length and sorted sentence starts and ends, which
        # only a new text changes; progress after each coding then reads only the codings.
        self._shapes: dict[str, tuple[int, Sequence[int], Sequence[int]]] = {}
        self._lengths: dict[str, int] = {}  # text hash -> the text's length in code points

    # opening and closing

    @classmethod
    def create(cls, folder: str | Path, *, name: str | None = None,
               created: str | None = None) -> Project:
        """Create a new, empty project in ``folder`` (created if missing); ``created`` is
        when the study began, when it began elsewhere (a REFI-QDA import): else now."""
        db_path = project_db(folder)
        if db_path.exists():
            raise ProjectError(
                "a project already exists here; open it instead of creating it", path=db_path
            )
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
            # Interview data is sensitive: the file is readable by its owner only.
            os.close(os.open(db_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:  # another process created it a moment ago
            raise ProjectError("a project already exists here; open it instead of creating "
                               "it", path=db_path) from None
        except OSError as error:
            raise ProjectError(f"cannot create the project: {error.strerror}",
                               path=db_path) from None
        project = cls._connect(db_path)
        with project.transaction():
            project._set_meta("name", name or db_path.parent.name)
            project._set_meta("created", created or _now())
        return project

    @classmethod
    def open(cls, folder: str | Path) -> Project:
        """Open an existing project, migrating it (after a backup) if an older version wrote it."""
        db_path = project_db(folder)
        if not db_path.exists():
            raise ProjectError(
                f"no qualcode project here (missing {DB_NAME}); "
                f"create one with: qualcode init {Path(folder)}",
                path=folder,
            )
        wal = db_path.with_name(db_path.name + "-wal")
        if db_path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size):
            # SQLite would take an empty file for a new database and we would fill it with
            # empty tables: a project cut off to nothing would open as a new, empty one.
            raise ProjectError(
                "the project database is empty (0 bytes): it was cut off, or a sync folder has "
                "not downloaded it yet; restore it from a backup (qualcode.*.db beside it) or "
                "let the sync finish", path=db_path,
            )
        return cls._connect(db_path)

    @classmethod
    def _connect(cls, db_path: Path) -> Project:
        try:
            conn = sqlite3.connect(
                db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False, factory=_Connection,
            )
        except sqlite3.Error as error:
            raise ProjectError(f"cannot open the project database: {error}", path=db_path) from error
        try:
            conn.path = db_path
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            project = cls(db_path, conn)
            project._migrate()
            project._bind_default_favourites()
        except BaseException as error:
            conn.close()
            if isinstance(error, sqlite3.DatabaseError):
                raise ProjectError(f"cannot open the project database: {error}",
                                   path=db_path) from error
            raise
        return project

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: all of it is committed, or none of it."""
        if self.conn.in_transaction:  # nested: part of the caller's transaction
            yield self.conn
            return
        # IMMEDIATE takes the write lock now, waiting up to the busy timeout for another
        # process to finish; past it, the connection raises a ProjectError saying so.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite may already have rolled back (a full disk, a failed COMMIT); a transaction
            # left open would silently swallow the next one as "nested".
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        # Reads first: opening an up-to-date project writes nothing, so it never waits for
        # another process that is writing.
        done = self._migrations_done()
        known = [name for name, _ in MIGRATIONS]
        if newer := sorted(done - set(known)):
            raise ProjectError(
                f"a newer version of qualcode wrote this project (schema step {newer[-1]}); "
                "update qualcode to open it", path=self.db_path,
            )
        if not set(known) - done:
            return
        if done:  # an older version wrote this project: keep a copy before changing it
            self.backup(f"backup-{len(done)}")
        for name, sql in MIGRATIONS:
            with self.transaction() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS migrations "
                             "(name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
                if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                    continue  # done before, or by another process opening it at the same time
                if callable(sql):
                    sql(conn)
                else:
                    for statement in sql.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, _now()))

    def _migrations_done(self) -> set[str]:
        exists = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
        ).fetchone()
        return {r[0] for r in self.conn.execute("SELECT name FROM migrations")} if exists else set()

    def backup(self, label: str = "backup") -> Path:
        """Copy the whole project database, consistent as of now, to
        ``qualcode.LABEL.db`` beside it (``qualcode.LABEL-2.db`` ... if taken); readable by
        its owner only, like the project. Returns the copy's path."""
        for n in range(1, 1000):
            path = self.db_path.with_name(
                f"{self.db_path.stem}.{label}{'' if n == 1 else f'-{n}'}.db")
            try:  # created empty and private first: VACUUM INTO fills an empty file
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                break
            except FileExistsError:
                continue
        else:
            raise ProjectError(f"too many backups named {label}; remove old ones",
                               path=self.folder)
        try:
            self.conn.execute("VACUUM INTO ?", (str(path),))
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    # meta and settings

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def meta(self, key: str, default: str = "") -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        """Store a per-project setting (e.g. the UI language)."""
        with self.transaction():
            self._set_meta(f"setting.{key}", value)

    def setting(self, key: str, default: str = "") -> str:
        return self.meta(f"setting.{key}", default)

    @property
    def name(self) -> str:
        return self.meta("name", self.folder.name)

    # codebook

    def set_codebook(self, codebook: Codebook, *, source: str = "", coder: str = "") -> None:
        """Replace the working codebook. Codes still used by codings must remain. The
        codebook's history records what changed (``source``: the file it came from)."""
        from .codebook import diff_codebooks

        new_ids = set(codebook.by_id())
        used = {row[0] for row in self.conn.execute("SELECT DISTINCT code_id FROM codings")}
        if missing := sorted(used - new_ids):
            raise ProjectError(
                f"the new codebook lacks codes that codings use: {', '.join(missing)}; "
                "keep those ids, or rename or merge them in the project first (qualcode "
                "codes rename PROJECT OLD --id NEW; qualcode codes merge PROJECT FROM INTO)"
            )
        difference = diff_codebooks(self.codebook(), codebook)
        with self.transaction() as conn:
            if difference or not conn.execute("SELECT 1 FROM codebook_history").fetchone():
                self._record_codebook("codebook", coder, details={
                    "source": source, "codes": len(new_ids), "added": len(difference.added),
                    "removed": len(difference.removed), "changed": len(difference.changed)})
            conn.execute("DELETE FROM codes")
            for position, (code, parent, _) in enumerate(codebook.walk()):
                conn.execute(
                    f"INSERT INTO codes ({_CODE_COLUMNS}) VALUES ({_CODE_MARKS})",
                    _code_row(code, parent.id if parent else None, position),
                )
            # A code that stays keeps its key wherever it moved; a deleted one frees it.
            conn.execute("DELETE FROM favourites WHERE code_id NOT IN (SELECT id FROM codes)")
            self._bind_default_favourites()
            self._set_meta("codebook.name", codebook.name)
            self._set_meta("codebook.language", codebook.language)
            self._set_meta("codebook.description", codebook.description)

    def codebook(self) -> Codebook:
        """The working codebook, rebuilt as a tree."""
        codes: dict[str, Code] = {}
        roots: list[Code] = []
        rows = self.conn.execute("SELECT * FROM codes ORDER BY position").fetchall()
        for row in rows:
            codes[row["id"]] = Code(
                id=row["id"], label=row["label"], label_en=row["label_en"], color=row["color"],
                description=row["description"], include=row["include"], exclude=row["exclude"],
                examples=json.loads(row["examples"]), keywords=json.loads(row["keywords"]),
                **json.loads(row["rules"]),
            )
        for row in rows:
            parent = codes.get(row["parent_id"]) if row["parent_id"] else None
            (parent.children if parent else roots).append(codes[row["id"]])
        return Codebook(
            name=self.meta("codebook.name", self.name),
            language=self.meta("codebook.language", "zh"),
            description=self.meta("codebook.description"),
            codes=roots,
        )

    def add_code(self, code: Code, parent_id: str | None = None, *, coder: str = "") -> Code:
        """Create a new code while coding (e.g. in-vivo); undoable."""
        known = self.codebook().by_id()
        if code.id in known:
            raise ProjectError(f"a code with id {code.id!r} already exists")
        if parent_id is not None and parent_id not in known:
            raise ProjectError(f"no code with id {parent_id!r} to be the parent")
        with self.transaction() as conn:
            position = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM codes").fetchone()[0]
            conn.execute(
                f"INSERT INTO codes ({_CODE_COLUMNS}) VALUES ({_CODE_MARKS})",
                _code_row(code, parent_id, position),
            )
            parent = known[parent_id].label if parent_id is not None else ""
            entry = self._record_codebook("add", coder, code_id=code.id, target_id=parent_id or "",
                                          details={"label": code.label, "parent": parent})
            self._log("add code", [self._change("codes", code.id, None), entry], coder)
            self._bind_default_favourites()
        return code

    # refining the working codebook (qualcode.codes): rows rewritten as one undoable action,
    # and the codebook's history

    def row_images(self, table: str, where: str = "", params: Sequence[Any] = ()
                   ) -> list[dict[str, Any]]:
        """Rows of an undoable table (codings, codes, code_memos, favourites, meta ...), each
        a dict column -> value: the image the undo log keeps. ``where`` filters (SQL)."""
        if table not in _UNDOABLE:
            raise ValueError(f"{table} is not an undoable table")
        sql = f"SELECT * FROM {table}" + (f" WHERE {where}" if where else "")
        return [dict(row) for row in self.conn.execute(sql, tuple(params))]

    def rewrite_rows(self, action: str, coder: str, changes: Sequence[dict[str, Any]], *,
                     history: CodebookEntry | None = None) -> None:
        """Make each changed row what its ``after`` image says (None: no row), in the
        caller's transaction or its own, and log it all as one undoable action of
        ``coder``. A change is ``{"table", "key", "before", "after"}`` with ``before`` the
        row as read in this transaction (see :meth:`row_images`). ``history`` is added to
        the codebook's history with it (first, so an undo names the code concerned).

        Every row changed is removed before any is written back, so a value that moves
        between rows (a code's id, a favourite key, a memo's code) never meets itself."""
        with self.transaction() as conn:
            logged = []
            if history is not None:
                logged.append(self._record_codebook(
                    history.action, coder, code_id=history.code_id, target_id=history.target_id,
                    codings=history.codings, details=history.details))
            _restore_rows(conn, changes, "after")
            # A row changed in place is logged as its image before and the columns set: a
            # recode of 20,000 codings logs their code, not each image twice.
            self._log(action, [*logged, *map(_compact, changes)], coder)

    def _record_codebook(self, action: str, coder: str, *, code_id: str = "",
                         target_id: str = "", codings: int = 0,
                         details: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add an entry to the codebook's history (in the caller's transaction); returns it
        as an undo change, for the action that made it to log."""
        entry_id = self.conn.execute(
            "INSERT INTO codebook_history (created, coder, action, code_id, target_id, codings, "
            "details) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_now(), coder, action, code_id, target_id, codings,
             json.dumps(details or {}, ensure_ascii=False))).lastrowid
        return self._change("codebook_history", entry_id, None)

    def transcript_names_by_id(self) -> dict[int, str]:
        """Transcript id (as codings' row images hold it) -> its name."""
        return dict(self.conn.execute("SELECT id, name FROM transcripts").fetchall())

    def codebook_history(self) -> list[CodebookEntry]:
        """Every change to the working codebook that stands (an undone one has left), oldest
        first."""
        return [CodebookEntry(r["action"], r["code_id"], r["target_id"], r["codings"],
                              json.loads(r["details"]), r["coder"], r["created"], r["id"])
                for r in self.conn.execute("SELECT * FROM codebook_history ORDER BY id")]

    # favourite keys: 1-9 apply a code; bound once, then only the researcher rebinds them

    def favourites(self) -> dict[int, str]:
        """Key (1-9) -> the code id it applies, for the keys that are bound."""
        return dict(self.conn.execute("SELECT key, code_id FROM favourites ORDER BY key"))

    def bind_favourite(self, key: int, code_id: str) -> dict[int, str]:
        """Bind ``key`` (1-9) to ``code_id``; the code leaves any other key it had, and the
        key's previous code loses it. Returns the bindings as they now are."""
        if not 1 <= key <= 9:
            raise ProjectError(f"favourite keys are 1 to 9, not {key}")
        self.require_code(code_id)
        with self.transaction() as conn:
            conn.execute("DELETE FROM favourites WHERE key = ? OR code_id = ?", (key, code_id))
            conn.execute("INSERT INTO favourites (key, code_id) VALUES (?, ?)", (key, code_id))
            self._set_meta("favourites.bound", _now())
        return self.favourites()

    def _bind_default_favourites(self) -> None:
        """The first time the project has codes, bind the first nine leaf codes to 1-9; never
        again after that, so a key never moves by itself."""
        if self.meta("favourites.bound") or not self.conn.execute(
                "SELECT 1 FROM codes LIMIT 1").fetchone():
            return
        leaves = [c.id for c, _, _ in self.codebook().walk() if not c.children][:9]
        with self.transaction() as conn:
            if self.meta("favourites.bound"):  # another process bound them meanwhile
                return
            conn.executemany("INSERT OR IGNORE INTO favourites (key, code_id) VALUES (?, ?)",
                             list(enumerate(leaves, start=1)))
            self._set_meta("favourites.bound", _now())

    def require_code(self, code_id: str) -> None:
        if not self.conn.execute("SELECT 1 FROM codes WHERE id = ?", (code_id,)).fetchone():
            raise ProjectError(
                f"no code {code_id!r} in the project's codebook; "
                "see the ids with: qualcode codebook show PROJECT"
            )

    def user_words(self) -> list[str]:
        """Words the segmenter must keep whole: every codebook keyword."""
        return self.codebook().keywords()

    def user_dict_path(self) -> Path | None:
        path = self.folder / USER_DICT_NAME
        return path if path.exists() else None

    # transcripts

    def transcript_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM transcripts ORDER BY name")]

    def resolve(self, name: str) -> str:
        """The transcript named ``name`` exactly, or the one it is a unique prefix of."""
        names = self.transcript_names()
        if name in names:
            return name
        matches = [n for n in names if n.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ProjectError(
                f"no transcript named {name!r}; the project has: {', '.join(names) or 'none'}"
            )
        raise ProjectError(f"{name!r} names several transcripts: {', '.join(matches)}; be more specific")

    def _transcript_id(self, name: str) -> int:
        row = self.conn.execute(
            "SELECT id FROM transcripts WHERE name = ?", (self.resolve(name),)
        ).fetchone()
        return row[0]

    def stored_hash(self, name: str) -> tuple[int, str] | None:
        """(id, text hash) of the transcript named exactly ``name``, or None."""
        row = self.conn.execute("SELECT id, hash FROM transcripts WHERE name = ?",
                                (name,)).fetchone()
        return (row[0], row[1]) if row else None

    def coded_text(self, transcript_id: int) -> str | None:
        """The stored text of a transcript that has codings (to re-anchor them when the text
        is replaced); None when no coding points into it."""
        if self.conn.execute("SELECT 1 FROM codings WHERE transcript_id = ? LIMIT 1",
                             (transcript_id,)).fetchone() is None:
            return None
        return self.conn.execute("SELECT text FROM transcripts WHERE id = ?",
                                 (transcript_id,)).fetchone()[0]

    def stored_segmentation(self, digest: str, signature: str) -> tuple[bytes, bytes] | None:
        """The packed (word ends, sentences) of the text with this hash, as a segmenter with
        this signature cut it, if this project has segmented it before."""
        row = self.conn.execute(
            "SELECT words, sentences FROM segmentations WHERE hash = ? AND signature = ?",
            (digest, signature)).fetchone()
        return (row[0], row[1]) if row else None

    def store_import(self, prepared: PreparedImport, case: str | None = None) -> ImportResult:
        """Write a prepared transcript (in the caller's transaction, or in its own).

        A changed transcript is replaced in place (same id, so its memos and case stay), and
        in the same transaction its codings are re-anchored onto the new text (see
        :mod:`qualcode.reanchor`): the result's ``reanchored`` says how many stayed, moved,
        changed or are now ``unplaced``. A replacement cannot be undone, and the undo history
        of that transcript's codings is dropped, since its offsets were into the old text.
        ``case`` links the transcript to that case (created if new) instead of to a case of
        its own name: a survey respondent is one case with one transcript per answer.
        """
        name, parsed = prepared.name, prepared.parsed
        if prepared.unchanged:
            return ImportResult(name, "unchanged")
        sentence_ints = _ints(prepared.sentences)
        header = parsed.header
        report = None
        with self.transaction() as conn:
            row = (
                name, parsed.text, prepared.hash, prepared.source_path, parsed.format,
                parsed.encoding, json.dumps(parsed.metadata, ensure_ascii=False),
                header.start if header else None, header.end if header else None,
                json.dumps(parsed.warnings, ensure_ascii=False), _now(),
            )
            # Looked up again inside the transaction: another process may have imported or
            # replaced this transcript since it was prepared.
            old = conn.execute(
                "SELECT id, text, hash FROM transcripts WHERE name = ?", (name,)
            ).fetchone()
            if old is not None and old["hash"] == prepared.hash:
                return ImportResult(name, "unchanged")
            if old is not None:
                transcript_id = old["id"]
                conn.execute(
                    "UPDATE transcripts SET name = ?, text = ?, hash = ?, source_path = ?, "
                    "format = ?, encoding = ?, metadata = ?, header_start = ?, header_end = ?, "
                    "warnings = ?, imported = ? WHERE id = ?", (*row, transcript_id),
                )
                conn.execute("DELETE FROM sentences WHERE transcript_id = ?", (transcript_id,))
                opcodes = prepared.opcodes if prepared.old_hash == old["hash"] else None
                report = self._reanchor_codings(transcript_id, old["text"], parsed.text, opcodes)
            else:
                transcript_id = conn.execute(
                    "INSERT INTO transcripts (name, text, hash, source_path, format, encoding, "
                    "metadata, header_start, header_end, warnings, imported) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)", row,
                ).lastrowid
            speakers = self.write_turns(transcript_id, parsed)
            # Streamed: a 200 MB transcript has millions of sentences.
            flat = iter(sentence_ints)
            conn.executemany(
                "INSERT INTO sentences VALUES (?,?,?,?,?)",
                ((transcript_id, i, s, e, turn) for i, (s, e, turn) in enumerate(zip(flat, flat, flat))),
            )
            conn.execute(
                "INSERT OR IGNORE INTO segmentations VALUES (?,?,?,?)",
                (prepared.hash, prepared.signature, prepared.words, prepared.sentences),
            )
            if case is not None:
                conn.execute("INSERT INTO cases (name) VALUES (?) ON CONFLICT DO NOTHING", (case,))
                conn.execute("UPDATE transcripts SET case_id = "
                             "(SELECT id FROM cases WHERE name = ?) WHERE id = ?",
                             (case, transcript_id))
            elif own := conn.execute("SELECT id FROM cases WHERE name = ?", (name,)).fetchone():
                conn.execute(
                    "UPDATE cases SET transcript_id = ? WHERE id = ?", (transcript_id, own[0])
                )
            else:
                conn.execute(
                    "INSERT INTO cases (name, transcript_id) VALUES (?, ?)", (name, transcript_id)
                )
        return ImportResult(
            name, "added" if old is None else "replaced", len(parsed.turns),
            len(sentence_ints) // 3, segmented=prepared.segmented, warnings=list(parsed.warnings),
            reanchored=report, speakers=speakers,
        )

    def write_turns(self, transcript_id: int, parsed: ParsedTranscript) -> list[Speaker]:
        """Replace a transcript's turns (with their start times) and speakers by those of
        ``parsed``, in the caller's transaction or its own. Each speaker's role is the one the
        researcher set for it in this transcript, else the one set for that name in every
        transcript (:meth:`set_speaker_role` without a transcript), else the guess of
        :func:`qualcode.roles.guess_roles`. Returns the speakers as stored."""
        from .roles import guess_roles

        with self.transaction() as conn:
            kept = dict(conn.execute(
                "SELECT name, role FROM speakers WHERE transcript_id = ? AND role_set = 1",
                (transcript_id,)).fetchall())
            everywhere = self.project_speaker_roles()
            conn.execute("DELETE FROM turns WHERE transcript_id = ?", (transcript_id,))
            conn.execute("DELETE FROM speakers WHERE transcript_id = ?", (transcript_id,))
            conn.executemany(
                "INSERT INTO turns (transcript_id, idx, start, end, body_start, speaker, "
                "timestamp, seconds) VALUES (?,?,?,?,?,?,?,?)",
                ((transcript_id, i, t.start, t.end, t.body_start, t.speaker, t.timestamp,
                  t.seconds) for i, t in enumerate(parsed.turns)))
            counts: dict[str, int] = {}
            for turn in parsed.turns:
                counts[turn.speaker] = counts.get(turn.speaker, 0) + 1
            guesses = guess_roles(list(counts), parsed.speaker_descriptions)
            speakers = []
            for name, turns in counts.items():
                role_set = name in kept or name in everywhere
                role = kept.get(name) or everywhere.get(name) or guesses[name].role
                speakers.append(Speaker(name, role, parsed.speaker_descriptions.get(name, ""),
                                        turns, role_set))
            conn.executemany(
                "INSERT INTO speakers (transcript_id, name, position, role, role_set, "
                "description) VALUES (?,?,?,?,?,?)",
                [(transcript_id, s.name, i, s.role, int(s.role_set), s.description)
                 for i, s in enumerate(speakers)])
        return speakers

    def speakers(self, transcript: str | None = None) -> dict[str, list[Speaker]]:
        """Transcript name -> its speakers in order of first appearance, with role,
        description and turn count; of every transcript with turns (by name), or of
        ``transcript`` (name or unique prefix) only."""
        where, params = ("WHERE t.name = ?", (self.resolve(transcript),)) if transcript else ("", ())
        found: dict[str, list[Speaker]] = {}
        for row in self.conn.execute(
            "SELECT t.name AS transcript, s.name, s.role, s.description, s.role_set, "
            "(SELECT count(*) FROM turns u WHERE u.transcript_id = s.transcript_id "
            "AND u.speaker = s.name) AS turns FROM speakers s "
            f"JOIN transcripts t ON t.id = s.transcript_id {where} "
            "ORDER BY t.name, s.position", params,
        ):
            found.setdefault(row["transcript"], []).append(Speaker(
                row["name"], row["role"], row["description"], row["turns"], bool(row["role_set"])))
        return found

    def set_speaker_role(self, transcript: str | None, speaker: str, role: str) -> list[str]:
        """Set ``speaker``'s role in ``transcript`` (name or unique prefix), or with
        ``transcript`` None in every transcript where that name speaks and in those imported
        later. The role is kept when the transcript is imported again. Returns the names of
        the transcripts changed; a speaker no transcript (or not this one) has is an error
        naming the speakers there are."""
        from .roles import check_role

        role = check_role(role)
        with self.transaction() as conn:
            if transcript is not None:
                name = self.resolve(transcript)
                ids = [row[0] for row in conn.execute(
                    "SELECT s.transcript_id FROM speakers s JOIN transcripts t ON "
                    "t.id = s.transcript_id WHERE t.name = ? AND s.name = ?", (name, speaker))]
                if not ids:
                    known = [s.name for s in self.speakers(name).get(name, [])]
                    raise ProjectError(f"{name} has no speaker {speaker!r}; its speakers are: "
                                       f"{', '.join(map(repr, known)) or 'none'}")
            else:
                ids = [row[0] for row in conn.execute(
                    "SELECT transcript_id FROM speakers WHERE name = ?", (speaker,))]
                if not ids:
                    known = sorted({r[0] for r in conn.execute("SELECT name FROM speakers")})
                    raise ProjectError(f"no transcript has a speaker {speaker!r}; the speakers "
                                       f"are: {', '.join(map(repr, known)) or 'none'}")
                roles = {**self.project_speaker_roles(), speaker: role}
                self._set_meta("setting.speaker_roles", json.dumps(roles, ensure_ascii=False))
            conn.executemany("UPDATE speakers SET role = ?, role_set = 1 WHERE transcript_id = ? "
                             "AND name = ?", [(role, i, speaker) for i in ids])
            return [row[0] for row in conn.execute(
                f"SELECT name FROM transcripts WHERE id IN ({', '.join('?' * len(ids))}) "
                "ORDER BY name", ids)]

    def project_speaker_roles(self) -> dict[str, str]:
        """Speaker name -> the role set for it in every transcript (see
        :meth:`set_speaker_role`)."""
        return json.loads(self.setting("speaker_roles", "{}"))

    def role_spans(self) -> list[tuple[str, int, int, str]]:
        """``(transcript, start, end, role)`` of every turn's body (after its label) with its
        speaker's role, each transcript's in text order; a transcript without turns is one
        span of its whole text, a survey answer's with the role respondent, any other's
        other. :func:`qualcode.roles.allowed_spans` filters these."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(
            "SELECT t.name, u.body_start, u.end, coalesce(s.role, 'other') FROM turns u "
            "JOIN transcripts t ON t.id = u.transcript_id LEFT JOIN speakers s "
            "ON s.transcript_id = u.transcript_id AND s.name = u.speaker "
            "UNION ALL SELECT t.name, 0, length(t.text), CASE WHEN t.format = 'survey' "
            "THEN 'respondent' ELSE 'other' END FROM transcripts t "
            "WHERE NOT EXISTS (SELECT 1 FROM turns WHERE transcript_id = t.id) ORDER BY 1, 2"
        ).fetchall()

    def _reanchor_codings(self, transcript_id: int, old_text: str, new_text: str,
                          opcodes: list[Opcode] | None) -> ReanchorReport:
        """Carry a transcript's codings from its old text onto its new text, in the caller's
        transaction. A coding that cannot be placed becomes ``unplaced`` (kept, never dropped)
        on one character where its text was, with ``original_start``, ``original_end``,
        ``original_text`` and ``original_status`` saying where it was, what it said and what
        it was; a ``changed`` coding keeps its previous span and text there too. An unplaced
        coding whose text reappears exactly once is placed again with its status restored."""
        conn = self.conn
        report = ReanchorReport()
        # Undo entries hold row images with offsets into the old text: replaying one would put
        # a coding on the wrong characters, so this transcript's coding history ends here.
        conn.execute(
            "DELETE FROM undo_log WHERE id IN (SELECT u.id FROM undo_log u, json_each(u.changes) c "
            "WHERE json_extract(c.value, '$.table') = 'codings' AND ? IN "
            "(json_extract(c.value, '$.before.transcript_id'), "
            "json_extract(c.value, '$.after.transcript_id')))", (transcript_id,),
        )
        rows = conn.execute(
            "SELECT id, start, end, status, original_text FROM codings WHERE transcript_id = ?",
            (transcript_id,),
        ).fetchall()
        if not rows:
            return report
        if not new_text:
            raise ProjectError(f"the new text is empty, so the {len(rows)} codings on the old "
                               "one would have nowhere to go; import a file with the transcript")
        anchorer = Anchorer(old_text, new_text, opcodes)
        now = _now()
        for row in rows:
            was_unplaced = row["status"] == "unplaced"
            placement = anchorer.place(row["start"], row["end"],
                                       row["original_text"] if was_unplaced else None)
            report.count(placement.outcome)
            span = (placement.start, placement.end)
            if was_unplaced and placement.outcome != "unplaced":  # its text is back
                conn.execute(
                    "UPDATE codings SET start = ?, end = ?, changed = ?, "
                    "status = coalesce(original_status, 'confirmed') WHERE id = ?",
                    (*span, now, row["id"]),
                )
            elif placement.outcome in ("stayed", "moved") or was_unplaced:
                conn.execute("UPDATE codings SET start = ?, end = ? WHERE id = ?",
                             (*span, row["id"]))
            else:  # changed, or unplaced now: keep where it was and what it said
                conn.execute(
                    "UPDATE codings SET start = ?, end = ?, changed = ?, original_start = ?, "
                    "original_end = ?, original_text = ?, status = ?, original_status = ? "
                    "WHERE id = ?",
                    (*span, now, row["start"], row["end"], old_text[row["start"]:row["end"]],
                     "unplaced" if placement.outcome == "unplaced" else row["status"],
                     row["status"], row["id"]),
                )
        return report

    def transcript(self, name: str) -> StoredTranscript:
        """Load one transcript (by name or unique prefix) with its structure."""
        name = self.resolve(name)
        row = self.conn.execute("SELECT * FROM transcripts WHERE name = ?", (name,)).fetchone()
        text = row["text"]
        self._lengths[row["hash"]] = len(text)  # spares add_coding counting it in SQLite
        # A 3-million-character transcript has 30,000 turns and 100,000 sentences: plain
        # tuples (not sqlite3.Row) and no garbage collection while the turns are made (it
        # would only rescan them) take half the time; sentences stay arrays until read.
        cursor = self.conn.cursor()
        cursor.row_factory = None
        collecting = gc.isenabled()
        gc.disable()
        try:
            turns = [
                Turn(start, end, speaker, body_start, timestamp, seconds)
                for start, end, speaker, body_start, timestamp, seconds in cursor.execute(
                    "SELECT start, end, speaker, body_start, timestamp, seconds FROM turns "
                    "WHERE transcript_id = ? ORDER BY idx", (row["id"],))
            ]
            flat = array("i", chain.from_iterable(cursor.execute(
                "SELECT start, end, turn_idx FROM sentences WHERE transcript_id = ? "
                "ORDER BY idx", (row["id"],))))
        finally:
            if collecting:
                gc.enable()
        sentences = Sentences(text, flat[0::3], flat[1::3], flat[2::3], turns)
        words = self.conn.execute(
            "SELECT words FROM segmentations WHERE hash = ? ORDER BY rowid DESC LIMIT 1",
            (row["hash"],),
        ).fetchone()
        header = (
            Span(row["header_start"], row["header_end"]) if row["header_start"] is not None else None
        )
        return StoredTranscript(
            id=row["id"], name=name, text=text, hash=row["hash"], format=row["format"],
            source_path=row["source_path"], metadata=json.loads(row["metadata"]), header=header,
            turns=turns, sentences=sentences,
            word_ends=_unpack_ends(words[0]) if words else array("i", [len(text)]),
            speakers=self.speakers(name).get(name, []),
        )

    def summaries(self, name: str | None = None, coder: str | None = None
                  ) -> list[TranscriptSummary]:
        """Per transcript (or just ``name``), in name order: turns, sentences, characters,
        confirmed codings (anyone's, or one ``coder``'s) and how many sentences they touch,
        and the respondent's case with its attributes. One query for any number of
        transcripts: counts come from the primary keys, the sentences a coding touches from
        the transcript's packed sentence spans by bisection, never from reading every row."""
        where, params = ("WHERE t.name = ?", [self.resolve(name)]) if name else ("", [])
        by_coder = " AND coder = ?" if coder else ""
        known = json.dumps(list(self._shapes))
        cursor = self.conn.cursor()
        cursor.row_factory = None
        rows = cursor.execute(
            f"""
            SELECT t.name, t.format, t.id || ':' || t.hash AS shape,
              CASE WHEN t.id || ':' || t.hash IN (SELECT value FROM json_each(?1)) THEN NULL
                ELSE length(t.text) END,
              coalesce((SELECT max(idx) + 1 FROM turns WHERE transcript_id = t.id), 0),
              coalesce((SELECT max(idx) + 1 FROM sentences WHERE transcript_id = t.id), 0),
              (SELECT json_group_array((start << 32) | end) FROM (SELECT start, end
                FROM codings WHERE transcript_id = t.id AND status = 'confirmed'{by_coder}
                ORDER BY start, end)),
              CASE WHEN t.id || ':' || t.hash NOT IN (SELECT value FROM json_each(?1)) AND EXISTS (
                SELECT 1 FROM codings WHERE transcript_id = t.id AND status = 'confirmed'
                {by_coder}) THEN (SELECT sentences FROM segmentations
                WHERE hash = t.hash ORDER BY rowid DESC LIMIT 1) END,
              t.id, coalesce(linked.name, own.name, t.name),
              (SELECT json_group_array(json_array(name, value)) FROM (
                SELECT a.name, a.value FROM attributes a
                JOIN attribute_names n ON n.name = a.name
                WHERE a.case_id = coalesce(linked.id, own.id) ORDER BY n.position))
            FROM transcripts t
            LEFT JOIN cases linked ON linked.id = t.case_id
            LEFT JOIN cases own ON own.transcript_id = t.id
            {where} ORDER BY t.name
            """, [known, coder, coder, *params] if coder else [known, *params],
        ).fetchall()
        summaries = []
        for (name_, format_, shape, characters, turns, n_sentences, spans_json, packed,
             transcript_id, case, attributes_json) in rows:
            # Each coding as one integer, start << 32 | end (the covering index gives them in
            # text order): a flat JSON list parses and sorts several times faster than pairs.
            spans = json.loads(spans_json) if spans_json else []
            coded = 0
            if shape in self._shapes:
                characters, starts, ends = self._shapes[shape]
            elif spans:
                starts, ends = self._sentence_bounds(transcript_id, packed, n_sentences)
                self._shapes[shape] = (characters, starts, ends)
            if spans:
                coded = _count_touched_keys(starts, ends, sorted(spans))
            summaries.append(TranscriptSummary(
                name_, format_, turns, n_sentences, characters, coded, len(spans), case,
                dict(json.loads(attributes_json)) if attributes_json else {},
            ))
        return summaries

    def _sentence_bounds(self, transcript_id: int, packed: bytes | None, count: int
                         ) -> tuple[Sequence[int], Sequence[int]]:
        """Sorted sentence starts and ends of a transcript: from its packed segmentation
        (stored with the text), else (a segmentation that does not match the rows) from
        the sentences table."""
        if packed is not None:
            flat = _unpack_ends(packed)
            if len(flat) == 3 * count:
                return flat[0::3], flat[1::3]
        rows = self.conn.execute(
            "SELECT start, end FROM sentences WHERE transcript_id = ? ORDER BY idx",
            (transcript_id,)).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def sentence(self, transcript: str, index: int) -> Sentence:
        """Sentence number ``index`` (1-based) of a transcript."""
        stored = self.transcript(transcript)
        if not 1 <= index <= len(stored.sentences):
            raise ProjectError(
                f"{stored.name} has sentences 1 to {len(stored.sentences)}, not {index}; "
                f"list them with: qualcode show PROJECT {stored.name} --sentences"
            )
        return stored.sentences[index - 1]

    # cases and attributes

    def set_attributes(self, table: dict[str, dict[str, str]]) -> None:
        """Set respondent attributes: case name -> {attribute: value}, in column order."""
        names = list(dict.fromkeys(a for attributes in table.values() for a in attributes))
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO attribute_names VALUES (?, (SELECT count(*) FROM attribute_names)) "
                "ON CONFLICT DO NOTHING", [(name,) for name in names])
            conn.executemany("INSERT INTO cases (name) VALUES (?) ON CONFLICT DO NOTHING",
                             [(case_name,) for case_name in table])
            case_ids = dict(conn.execute("SELECT name, id FROM cases"))
            conn.executemany(
                "INSERT INTO attributes VALUES (?,?,?) ON CONFLICT (case_id, name) "
                "DO UPDATE SET value = excluded.value",
                [(case_ids[case_name], attribute, value)
                 for case_name, attributes in table.items()
                 for attribute, value in attributes.items()])

    def transcript_cases(self) -> dict[str, str]:
        """Transcript name -> the name of its case: the case it was linked to on import, else
        the case holding it, else (no case yet) its own name."""
        return dict(self.conn.execute(
            "SELECT t.name, coalesce(linked.name, own.name, t.name) FROM transcripts t "
            "LEFT JOIN cases linked ON linked.id = t.case_id "
            "LEFT JOIN cases own ON own.transcript_id = t.id ORDER BY t.name"))

    def transcript_metadata(self) -> dict[str, dict[str, str]]:
        """Transcript name -> its metadata (header fields; a survey answer's question)."""
        return {name: json.loads(value) for name, value in
                self.conn.execute("SELECT name, metadata FROM transcripts ORDER BY name")}

    def attribute_types(self) -> dict[str, dict[str, Any]]:
        """Attribute name -> {"type": "number" | "date" | "ordinal" | "text", "order": [...]}
        for attributes whose type was recorded on import (survey columns); values are
        stored as text whatever the type."""
        return json.loads(self.setting("attribute_types", "{}"))

    def attribute_orders(self) -> dict[str, list[str]]:
        """Attribute name -> its values in their recorded order (a Likert scale's)."""
        return {name: kind["order"] for name, kind in self.attribute_types().items()
                if kind.get("order")}

    def set_attribute_types(self, types: dict[str, dict[str, Any]]) -> None:
        self.set_setting("attribute_types",
                         json.dumps({**self.attribute_types(), **types}, ensure_ascii=False))

    def attribute_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM attribute_names ORDER BY position")]

    def attributes(self) -> dict[str, dict[str, str]]:
        """Case name -> {attribute: value}; a case is one respondent (one transcript)."""
        table: dict[str, dict[str, str]] = {
            r[0]: {} for r in self.conn.execute("SELECT name FROM cases ORDER BY name")
        }
        for r in self.conn.execute(
            "SELECT c.name, a.name, a.value FROM attributes a JOIN cases c ON c.id = a.case_id "
            "JOIN attribute_names n ON n.name = a.name ORDER BY c.name, n.position"
        ):
            table[r[0]][r[1]] = r[2]
        return table

    # coders

    def ensure_coder(self, coder: str) -> None:
        if not coder.strip():
            raise ProjectError("a coder name is needed (e.g. --coder wang)")
        with self.transaction() as conn:  # not autocommit: it waits for another writer
            conn.execute(
                "INSERT INTO coders VALUES (?, ?) ON CONFLICT DO NOTHING", (coder, _now())
            )

    def coders(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM coders ORDER BY name")]

    # codings

    def add_coding(
        self, transcript: str, start: int, end: int, code_id: str, coder: str, *,
        memo: str = "", status: str = "confirmed", rule: str = "", score: float | None = None,
        text_hash: str | None = None, text: bool = True,
    ) -> Coding:
        """Code ``[start, end)`` of a transcript. Coding the same span with the same code by
        the same coder again returns the existing coding (with the memo updated if given);
        with ``text=False``, without its text (see `codings`).

        ``text_hash`` is the hash of the text the offsets were taken from (a window showing
        it); if another process has since re-imported a changed text, nothing is written."""
        transcript_id = self._transcript_id(transcript)
        with self.transaction() as conn:
            # Read once: the hash lies past the text in the row (a walk over a long text's
            # pages), and it names the text, so the text's length is counted once per text.
            current = conn.execute("SELECT hash FROM transcripts WHERE id = ?",
                                   (transcript_id,)).fetchone()[0]
            text_length = self._lengths.get(current)
            if text_length is None:
                text_length = self._lengths[current] = conn.execute(
                    "SELECT length(text) FROM transcripts WHERE id = ?", (transcript_id,)
                ).fetchone()[0]
            if not 0 <= start < end <= text_length:
                raise ProjectError(
                    f"characters {start}:{end} are not a span of {self.resolve(transcript)} "
                    f"(it has {text_length} characters; give START:END with START < END)"
                )
            self.require_code(code_id)
            if text_hash is not None and text_hash != current:
                raise ProjectError(
                    f"{self.resolve(transcript)} was re-imported with changed text since it "
                    "was opened; nothing was coded: open it again and redo this coding"
                )
            self.ensure_coder(coder)
            same = conn.execute(
                "SELECT id, memo FROM codings WHERE transcript_id = ? AND start = ? AND end = ? "
                "AND code_id = ? AND coder = ? AND status != 'rejected'",
                (transcript_id, start, end, code_id, coder),
            ).fetchone()
            if same:
                if memo and memo != same["memo"]:
                    return self.set_coding_memo(same["id"], memo)
                return self.coding(same["id"], text=text)
            now = _now()
            coding_id = conn.execute(
                "INSERT INTO codings (transcript_id, start, end, code_id, coder, memo, status, "
                "rule, score, created, changed) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (transcript_id, start, end, code_id, coder, memo, status, rule, score, now, now),
            ).lastrowid
            self._log("code", [self._change("codings", coding_id, None)], coder)
        return self.coding(coding_id, text=text)

    def remove_coding(self, coding_id: int, *, text: bool = True) -> Coding:
        """Delete one coding (undoable); returns what was removed (``text=False``: without
        its text, see `codings`)."""
        coding = self.coding(coding_id, text=text)
        with self.transaction() as conn:
            before = self._row("codings", coding_id)
            conn.execute("DELETE FROM codings WHERE id = ?", (coding_id,))
            self._log("uncode", [{"table": "codings", "key": coding_id, "before": before,
                                  "after": None}], before["coder"])
        return coding

    def set_coding_memo(self, coding_id: int, memo: str) -> Coding:
        with self.transaction() as conn:
            before = self._row("codings", coding_id)
            if before is None:
                raise ProjectError(f"no coding with id {coding_id}")
            conn.execute(
                "UPDATE codings SET memo = ?, changed = ? WHERE id = ?", (memo, _now(), coding_id)
            )
            self._log("memo", [self._change("codings", coding_id, before)], before["coder"])
        return self.coding(coding_id)

    # auto-coding: suggestions stored and reviewed in bulk (qualcode.autocode decides what)

    def add_suggestions(
        self, suggestions: Iterable[tuple[str, int, int, str, str, float | None]], coder: str,
        *, dry_run: bool = False,
    ) -> list[tuple[str, int, int, str, str, float | None]]:
        """Store suggested codings ``(transcript, start, end, code_id, rule, score)`` made by
        ``coder`` (e.g. "auto"), in one transaction and one undoable action.

        A suggestion is skipped when its transcript already has a coding with the same span
        and code that is confirmed, suggested or rejected (by anyone, from any rule), so
        running auto-coding again never duplicates a suggestion nor brings back one a person
        rejected. Returns the suggestions stored; with ``dry_run``, those that would be,
        writing nothing."""
        if dry_run:
            return self._new_suggestions(suggestions)
        with self.transaction() as conn:
            new = self._new_suggestions(suggestions)
            if not new:
                return new
            self.ensure_coder(coder)
            ids = {row[0]: row[1] for row in conn.execute("SELECT name, id FROM transcripts")}
            now = _now()
            changes = []
            for transcript, start, end, code_id, rule, score in new:
                coding_id = conn.execute(
                    "INSERT INTO codings (transcript_id, start, end, code_id, coder, status, "
                    "rule, score, created, changed) VALUES (?,?,?,?,?,'suggested',?,?,?,?)",
                    (ids[transcript], start, end, code_id, coder, rule, score, now, now),
                ).lastrowid
                changes.append(self._change("codings", coding_id, None))
            self._log(f"suggest {len(new)}", changes, coder)
        return new

    def _new_suggestions(self, suggestions: Iterable[tuple[str, int, int, str, str, float | None]]
                         ) -> list[tuple[str, int, int, str, str, float | None]]:
        transcripts = {row[0]: (row[1], row[2]) for row in self.conn.execute(
            "SELECT name, id, length(text) FROM transcripts")}
        known_codes = {row[0] for row in self.conn.execute("SELECT id FROM codes")}
        taken = set(map(tuple, self.conn.execute(
            "SELECT transcript_id, start, end, code_id FROM codings "
            "WHERE status IN ('confirmed', 'suggested', 'rejected')")))
        new = []
        for suggestion in suggestions:
            transcript, start, end, code_id = suggestion[:4]
            if transcript not in transcripts:
                raise ProjectError(f"no transcript named {transcript!r}")
            transcript_id, length = transcripts[transcript]
            if not 0 <= start < end <= length:
                raise ProjectError(f"characters {start}:{end} are not a span of {transcript} "
                                   f"(it has {length} characters)")
            if code_id not in known_codes:
                raise ProjectError(f"no code {code_id!r} in the project's codebook")
            key = (transcript_id, start, end, code_id)
            if key not in taken:
                taken.add(key)
                new.append(tuple(suggestion))
        return new  # type: ignore[return-value]

    def set_codings_status(self, coding_ids: Iterable[int], status: str, *,
                           coder: str | None = None) -> list[int]:
        """Set the status of many codings at once (accept: ``confirmed``, reject:
        ``rejected``) in one transaction and one undoable action. With ``coder``, accepted
        codings become that coder's (the person who decided); one that would then repeat a
        coding this coder already has is removed instead. Returns the ids changed."""
        if status not in ("confirmed", "suggested", "rejected"):
            raise ProjectError(f"unknown status {status!r}; use confirmed, suggested or rejected")
        ids = list(dict.fromkeys(coding_ids))
        action = {"confirmed": "accept", "rejected": "reject"}.get(status, status)
        with self.transaction() as conn:
            if coder is not None:
                self.ensure_coder(coder)
            now = _now()
            changes = []
            for coding_id in ids:
                before = self._row("codings", coding_id)
                if before is None:
                    raise ProjectError(f"no coding with id {coding_id}")
                if before["status"] == "unplaced":
                    raise ProjectError(f"coding {coding_id} is unplaced (its text was deleted "
                                       "from a changed transcript); place it first")
                owner = coder if coder is not None and status == "confirmed" else before["coder"]
                if owner != before["coder"] and conn.execute(
                    "SELECT 1 FROM codings WHERE transcript_id = ? AND start = ? AND end = ? "
                    "AND code_id = ? AND coder = ? AND status = ?",
                    (before["transcript_id"], before["start"], before["end"],
                     before["code_id"], owner, status),
                ).fetchone():
                    conn.execute("DELETE FROM codings WHERE id = ?", (coding_id,))
                else:
                    conn.execute(
                        "UPDATE codings SET status = ?, coder = ?, changed = ? WHERE id = ?",
                        (status, owner, now, coding_id))
                changes.append(self._change("codings", coding_id, before))
            if changes:
                self._log(f"{action} {len(changes)}", changes, coder or "")
        return ids

    def coding(self, coding_id: int, *, text: bool = True) -> Coding:
        found = self.codings(where="c.id = ?", params=(coding_id,), status=None, text=text)
        if not found:
            raise ProjectError(f"no coding with id {coding_id}")
        return found[0]

    def codings(
        self, transcript: str | None = None, *, coder: str | None = None,
        code_id: str | None = None, status: str | None = "confirmed",
        where: str = "", params: tuple = (), text: bool = True,
    ) -> list[Coding]:
        """Codings with their text, in transcript and text order; filters combine. With
        ``text=False`` each coding's ``text`` is left empty (an unplaced one's keeps the text
        it coded): cutting it out reads the whole transcript's text once per coding in
        SQLite (about 2 ms at 3 million characters), which drawing marks does not need."""
        clauses, values = ([where], list(params)) if where else ([], [])
        if transcript is not None:
            clauses.append("t.name = ?")
            values.append(self.resolve(transcript))
        for column, value in (("c.coder", coder), ("c.code_id", code_id), ("c.status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        # An unplaced coding's span only marks where its text was: show the text it coded.
        placed = "substr(t.text, c.start + 1, c.end - c.start)" if text else "''"
        sql = (
            "SELECT c.*, t.name AS transcript, CASE WHEN c.status = 'unplaced' "
            f"THEN coalesce(c.original_text, '') ELSE {placed} "
            "END AS text FROM codings c JOIN transcripts t ON t.id = c.transcript_id"
        )
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY t.name, c.start, c.end, c.code_id, c.coder"
        return [
            Coding(r["id"], r["transcript"], r["start"], r["end"], r["code_id"], r["coder"],
                   r["memo"], r["status"], r["text"], r["created"], r["changed"], r["rule"],
                   r["score"])
            for r in self.conn.execute(sql, values)
        ]

    def code_counts(self, coder: str | None = None) -> dict[str, int]:
        """Confirmed codings per code id (of one coder, or of everyone)."""
        sql = "SELECT code_id, count(*) FROM codings WHERE status = 'confirmed'"
        rows = (self.conn.execute(sql + " AND coder = ? GROUP BY code_id", (coder,))
                if coder is not None else self.conn.execute(sql + " GROUP BY code_id"))
        return dict(rows.fetchall())

    def context(self, transcript: str, start: int, end: int, width: int = 30) -> tuple[str, str]:
        """Up to ``width`` characters before ``start`` and after ``end``, within one line."""
        text = self.conn.execute(
            "SELECT substr(text, ?, ?) FROM transcripts WHERE name = ?",
            (max(0, start - width) + 1, end - max(0, start - width) + width,
             self.resolve(transcript)),
        ).fetchone()[0]
        offset = start - max(0, start - width)
        before, after = text[:offset], text[offset + end - start:]
        return before.rsplit("\n", 1)[-1], after.split("\n", 1)[0]

    # transcript memos

    def set_transcript_memo(self, transcript: str, coder: str, text: str) -> None:
        """Write (or replace) this coder's memo on a transcript; undoable."""
        transcript_id = self._transcript_id(transcript)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM memos WHERE transcript_id = ? AND coder = ?",
                (transcript_id, coder),
            ).fetchone()
            if row:
                before = self._row("memos", row[0])
                conn.execute(
                    "UPDATE memos SET text = ?, changed = ? WHERE id = ?", (text, _now(), row[0])
                )
                self._log("memo", [self._change("memos", row[0], before)], coder)
            else:
                memo_id = conn.execute(
                    "INSERT INTO memos (transcript_id, coder, text, created, changed) "
                    "VALUES (?,?,?,?,?)",
                    (transcript_id, coder, text, _now(), _now()),
                ).lastrowid
                self._log("memo", [self._change("memos", memo_id, None)], coder)

    def transcript_memo(self, transcript: str, coder: str) -> str:
        row = self.conn.execute(
            "SELECT text FROM memos WHERE transcript_id = ? AND coder = ?",
            (self._transcript_id(transcript), coder),
        ).fetchone()
        return row[0] if row else ""

    # project memos, code memos, and every memo at once

    def set_project_memo(self, coder: str, text: str) -> None:
        """Write (or replace) this coder's memo on the whole project; undoable."""
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM memos WHERE transcript_id IS NULL AND coder = ? "
                               "ORDER BY id LIMIT 1", (coder,)).fetchone()
            if row:
                before = self._row("memos", row[0])
                conn.execute("UPDATE memos SET text = ?, changed = ? WHERE id = ?",
                             (text, _now(), row[0]))
                self._log("memo", [self._change("memos", row[0], before)], coder)
            else:
                memo_id = conn.execute(
                    "INSERT INTO memos (transcript_id, coder, text, created, changed) "
                    "VALUES (NULL, ?, ?, ?, ?)", (coder, text, _now(), _now())).lastrowid
                self._log("memo", [self._change("memos", memo_id, None)], coder)

    def project_memo(self, coder: str) -> str:
        """This coder's memo on the whole project ("" if none)."""
        row = self.conn.execute("SELECT text FROM memos WHERE transcript_id IS NULL AND "
                                "coder = ? ORDER BY id LIMIT 1", (coder,)).fetchone()
        return row[0] if row else ""

    def set_code_memo(self, code_id: str, coder: str, text: str) -> None:
        """Write (or replace) this coder's memo on a code; an empty text removes it. Undoable;
        an unknown code id is an error."""
        self.require_code(code_id)
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM code_memos WHERE code_id = ? AND coder = ?",
                               (code_id, coder)).fetchone()
            if row:
                before = self._row("code_memos", row[0])
                if text.strip():
                    conn.execute("UPDATE code_memos SET text = ?, changed = ? WHERE id = ?",
                                 (text, _now(), row[0]))
                else:
                    conn.execute("DELETE FROM code_memos WHERE id = ?", (row[0],))
                self._log("memo", [self._change("code_memos", row[0], before)], coder)
            elif text.strip():
                memo_id = conn.execute(
                    "INSERT INTO code_memos (code_id, coder, text, created, changed) "
                    "VALUES (?, ?, ?, ?, ?)", (code_id, coder, text, _now(), _now())).lastrowid
                self._log("memo", [self._change("code_memos", memo_id, None)], coder)

    def code_memo(self, code_id: str, coder: str) -> str:
        """This coder's memo on a code ("" if none)."""
        row = self.conn.execute("SELECT text FROM code_memos WHERE code_id = ? AND coder = ?",
                                (code_id, coder)).fetchone()
        return row[0] if row else ""

    def code_memos(self, coder: str) -> dict[str, str]:
        """This coder's memos on codes: code id -> memo."""
        return dict(self.conn.execute(
            "SELECT code_id, text FROM code_memos WHERE coder = ? AND text != ''", (coder,)))

    def all_memos(self) -> list[Memo]:
        """Every memo with text, as a memo browser lists them: the project's, then the codes'
        (in codebook order), then per transcript its memos and its codings' memos in text
        order. Memos of rejected suggestions are left out."""
        order = {code.id: i for i, (code, _, _) in enumerate(self.codebook().walk())}
        found: list[tuple[tuple, Memo]] = []
        for r in self.conn.execute("SELECT coder, text, changed FROM memos "
                                   "WHERE transcript_id IS NULL AND text != '' ORDER BY id"):
            found.append(((0,), Memo("project", r["coder"], r["text"], r["changed"])))
        for r in self.conn.execute("SELECT code_id, coder, text, changed FROM code_memos "
                                   "WHERE text != ''"):
            found.append(((1, order.get(r["code_id"], len(order)), r["code_id"], r["coder"]),
                          Memo("code", r["coder"], r["text"], r["changed"],
                               code_id=r["code_id"])))
        for r in self.conn.execute(
            "SELECT t.name, m.coder, m.text, m.changed FROM memos m "
            "JOIN transcripts t ON t.id = m.transcript_id WHERE m.text != ''"
        ):
            found.append(((2, r["name"], -1, r["coder"]),
                          Memo("transcript", r["coder"], r["text"], r["changed"],
                               transcript=r["name"])))
        for c in self.codings(status=None, where="c.memo != '' AND c.status != 'rejected'"):
            found.append(((2, c.transcript, c.start, c.coder),
                          Memo("coding", c.coder, c.memo, c.changed, c.transcript, c.start,
                               c.end, c.code_id, c.id, c.text)))
        found.sort(key=lambda pair: pair[0])
        return [memo for _, memo in found]

    # where each coder stopped

    def set_position(self, coder: str, transcript: str, cursor: int) -> None:
        """Remember where ``coder`` is: a transcript and the cursor's offset in it."""
        transcript_id = self._transcript_id(transcript)
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO positions VALUES (?, ?, ?, ?) ON CONFLICT (coder) DO UPDATE SET "
                "transcript_id = excluded.transcript_id, cursor = excluded.cursor, "
                "changed = excluded.changed", (coder, transcript_id, cursor, _now()))

    def position(self, coder: str) -> tuple[str, int] | None:
        """The transcript and cursor offset where ``coder`` stopped, or None (never coded
        here, or the transcript is gone)."""
        row = self.conn.execute(
            "SELECT t.name, p.cursor FROM positions p JOIN transcripts t "
            "ON t.id = p.transcript_id WHERE p.coder = ?", (coder,)).fetchone()
        return (row[0], row[1]) if row else None

    # transcripts a coder has reviewed (read through: no coding there means no code applies)

    def set_reviewed(self, transcript: str, coder: str, reviewed: bool = True) -> bool:
        """Mark (or, with ``reviewed=False``, unmark) ``transcript`` as reviewed by ``coder``,
        undoably; returns whether anything changed (it was not already so)."""
        if not coder.strip():
            raise ProjectError("give the coder who reviewed the transcript: --coder NAME")
        transcript_id = self._transcript_id(self.resolve(transcript))
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM reviews WHERE transcript_id = ? AND coder = ?",
                               (transcript_id, coder)).fetchone()
            if reviewed and row is None:
                self.ensure_coder(coder)
                review_id = conn.execute(
                    "INSERT INTO reviews (transcript_id, coder, created) VALUES (?, ?, ?)",
                    (transcript_id, coder, _now())).lastrowid
                self._log("review", [self._change("reviews", review_id, None)], coder)
                return True
            if not reviewed and row is not None:
                before = self._row("reviews", row[0])
                conn.execute("DELETE FROM reviews WHERE id = ?", (row[0],))
                self._log("review", [self._change("reviews", row[0], before)], coder)
                return True
        return False

    def reviewed(self, coder: str | None = None) -> set[tuple[str, str]]:
        """``(coder, transcript)`` of every transcript marked reviewed (by ``coder`` only,
        when given)."""
        rows = self.conn.execute(
            "SELECT r.coder, t.name FROM reviews r JOIN transcripts t ON t.id = r.transcript_id"
            + (" WHERE r.coder = ?" if coder is not None else ""),
            (coder,) if coder is not None else ()).fetchall()
        return {(c, name) for c, name in rows}

    # undo and redo: the log stores row images before and after each change

    def _row(self, table: str, key: Any) -> dict | None:
        row = self.conn.execute(
            f"SELECT * FROM {table} WHERE {_UNDOABLE[table]} = ?", (key,)
        ).fetchone()
        return dict(row) if row else None

    def _change(self, table: str, key: Any, before: dict | None) -> dict:
        return {"table": table, "key": key, "before": before, "after": self._row(table, key)}

    def _log(self, action: str, changes: list[dict], coder: str = "") -> None:
        """Record one undoable action of ``coder``; it ends that coder's redo (not others')."""
        self.conn.execute("DELETE FROM undo_log WHERE undone = 1 AND coder = ?", (coder,))
        self.conn.execute(
            "INSERT INTO undo_log (action, changes, coder, created) VALUES (?, ?, ?, ?)",
            (action, json.dumps(changes, ensure_ascii=False), coder, _now()),
        )

    def undo(self, coder: str | None = None) -> HistoryStep | None:
        """Undo ``coder``'s last action (also one from an earlier session), or anyone's when
        ``coder`` is None. Returns what was undone, or None when there is nothing to undo.

        Raises ProjectError, and changes nothing, when a row the action changed has been
        changed since by another action (another coder's, a re-anchoring): undoing it would
        overwrite that. The action then leaves the history, so the next undo goes on."""
        return self._replay(coder, undo=True)

    def redo(self, coder: str | None = None) -> HistoryStep | None:
        """Redo ``coder``'s (or anyone's) last undone action; as :meth:`undo`."""
        return self._replay(coder, undo=False)

    def _replay(self, coder: str | None, *, undo: bool) -> HistoryStep | None:
        whose = "" if coder is None else " AND coder = ?"
        query = (f"SELECT * FROM undo_log WHERE undone = 0{whose} ORDER BY id DESC" if undo
                 else f"SELECT * FROM undo_log WHERE undone = 1{whose} ORDER BY id")
        expected, state = ("after", "before") if undo else ("before", "after")
        with self.transaction() as conn:
            entry = conn.execute(query + " LIMIT 1", () if coder is None else (coder,)
                                 ).fetchone()
            if entry is None:
                return None
            changes = [_expanded(c) for c in json.loads(entry["changes"])]
            step = self._history_step(entry["action"], entry["coder"], changes)
            stale = self._stale(changes, expected)
            if stale:
                conn.execute("DELETE FROM undo_log WHERE id = ?", (entry["id"],))
            else:
                _restore_rows(conn, list(reversed(changes)) if undo else changes, state)
                conn.execute("UPDATE undo_log SET undone = ? WHERE id = ?",
                             (1 if undo else 0, entry["id"]))
                if any(c["table"] == "codes" for c in changes):  # a code gone frees its key
                    conn.execute(
                        "DELETE FROM favourites WHERE code_id NOT IN (SELECT id FROM codes)")
        if stale:
            where = " · ".join(str(p) for p in (step.code_id, step.transcript) if p)
            raise ProjectError(
                f"cannot {'undo' if undo else 'redo'} {step.action!r}"
                f"{f' ({where})' if where else ''}: what it changed has been changed since by "
                "another coder or command; it stays as it is now, and this action has left "
                "the undo history"
            )
        return step

    def _stale(self, changes: Sequence[dict], expected: str) -> bool:
        """Whether a row of ``changes`` is not as its ``expected`` image ("before" or
        "after") says: changed since by another action. One query per table."""
        keys: dict[str, list[Any]] = {}
        for change in changes:
            keys.setdefault(change["table"], []).append(change["key"])
        current: dict[tuple[str, Any], dict] = {}
        for table, values in keys.items():
            column = _UNDOABLE[table]
            for row in self.conn.execute(
                    f"SELECT * FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))",
                    (json.dumps(values),)):
                current[(table, row[column])] = dict(row)
        return any(current.get((c["table"], c["key"])) != c[expected] for c in changes)

    def _history_step(self, action: str, coder: str, changes: list[dict]) -> HistoryStep:
        """Describe a logged action by the first row it changed: its code and where."""
        names = dict(self.conn.execute("SELECT id, name FROM transcripts").fetchall())
        touched = []
        for change in changes:
            image = change["after"] or change["before"] or {}
            if names.get(image.get("transcript_id")) not in (None, *touched):
                touched.append(names[image["transcript_id"]])
        first = next((c["after"] or c["before"] for c in changes), None) or {}
        code_id = first.get("code_id") or (changes[0]["key"] if changes and changes[0]["table"]
                                           == "codes" else "")
        sentence = 0
        if "start" in first and first.get("transcript_id") in names:
            sentence = self._sentence_number(first["transcript_id"], first["start"])
        return HistoryStep(action, coder, str(code_id or ""),
                           names.get(first.get("transcript_id"), ""), sentence, tuple(touched))

    def _sentence_number(self, transcript_id: int, offset: int) -> int:
        """The 1-based number of the last sentence of a transcript starting at or before
        ``offset`` (0: none). Sentences are numbered in text order, so this bisects over
        their primary key: a scan back from the last would read 100,000 rows of a long
        transcript (17 ms) where this reads 17."""
        lookup = self.conn.execute
        lo = 0
        hi = lookup("SELECT coalesce(max(idx) + 1, 0) FROM sentences WHERE transcript_id = ?",
                    (transcript_id,)).fetchone()[0]
        while lo < hi:  # sentences before lo start at or before offset, from hi on after it
            mid = (lo + hi) // 2
            start = lookup("SELECT start FROM sentences WHERE transcript_id = ? AND idx = ?",
                           (transcript_id, mid)).fetchone()[0]
            if start <= offset:
                lo = mid + 1
            else:
                hi = mid
        return lo

    # bulk reads for reports and agreement; codings brought in from a coder's copy

    def coding_rows(
        self, *, coders: Sequence[str] | None = None,
        statuses: Sequence[str] | None = ("confirmed",),
    ) -> list[tuple[str, int, int, str, str]]:
        """``(transcript, start, end, code_id, coder)`` of every coding with one of
        ``statuses`` (any status when None), of ``coders`` only when given: plain tuples
        without the text, in no set order, for reports over many codings (sorting 100,000
        would double the time)."""
        clauses: list[str] = []
        values: list[str] = []
        if statuses is not None:
            clauses.append(f"c.status IN ({', '.join('?' * len(statuses))})")
            values.extend(statuses)
        if coders is not None:
            clauses.append(f"c.coder IN ({', '.join('?' * len(coders))})")
            values.extend(coders)
        cursor = self.conn.cursor()
        cursor.row_factory = None  # tuples: several times faster than sqlite3.Row here
        return cursor.execute(
            "SELECT t.name, c.start, c.end, c.code_id, c.coder FROM codings c "
            "JOIN transcripts t ON t.id = c.transcript_id"
            + (" WHERE " + " AND ".join(clauses) if clauses else ""), values,
        ).fetchall()

    def coding_columns(
        self, *, coders: Sequence[str] | None = None,
        statuses: Sequence[str] | None = ("confirmed",),
    ) -> tuple[list[int], list[int], list[str], list[str]]:
        """The codings of :meth:`coding_rows` as four columns, in no set order: transcript
        ids (:meth:`transcript_names_by_id` names them), spans as ``start << 32 | end``,
        code ids, coders. For reports that count with numpy: four JSON arrays built by
        SQLite from the covering index and parsed in C take half the time of 100,000 row
        tuples."""
        clauses: list[str] = []
        values: list[str] = []
        if statuses is not None:
            clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
            values.extend(statuses)
        if coders is not None:
            clauses.append(f"coder IN ({', '.join('?' * len(coders))})")
            values.extend(coders)
        row = self.conn.execute(
            "SELECT json_group_array(transcript_id), json_group_array((start << 32) | end), "
            "json_group_array(code_id), json_group_array(coder) FROM codings"
            + (" WHERE " + " AND ".join(clauses) if clauses else ""), values,
        ).fetchone()
        ids, spans, codes, coders_ = (json.loads(column) for column in row)
        return ids, spans, codes, coders_

    def memo_coding_rows(
        self, *, coders: Sequence[str] | None = None,
        statuses: Sequence[str] | None = ("confirmed",),
    ) -> list[tuple[int, str, int, int, str, str, str]]:
        """``(id, transcript, start, end, code_id, coder, memo)`` of every coding with one of
        ``statuses``, of ``coders`` only when given: :meth:`coding_rows` with the id and the
        memo, for the quotes report (no text: the few quotes shown are cut from
        :meth:`transcript_texts`)."""
        clauses = ["c.status IN (" + ", ".join("?" * len(statuses)) + ")"] if statuses else []
        values = [*(statuses or ())]
        if coders is not None:
            clauses.append(f"c.coder IN ({', '.join('?' * len(coders))})")
            values.extend(coders)
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(
            "SELECT c.id, t.name, c.start, c.end, c.code_id, c.coder, c.memo FROM codings c "
            "JOIN transcripts t ON t.id = c.transcript_id"
            + (" WHERE " + " AND ".join(clauses) if clauses else ""), values,
        ).fetchall()

    def unit_rows(self, unit: str = "sentence") -> list[tuple[str, int, int, int, str]]:
        """``(transcript, number, start, end, speaker)`` of every sentence (``unit="sentence"``)
        or speaker turn (``"turn"``: its body, after the label) of every transcript, each
        transcript's in text order; numbers are 1-based as shown to users. A transcript without
        turns is one turn: its whole text."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        if unit == "sentence":
            return cursor.execute(
                "SELECT t.name, s.idx + 1, s.start, s.end, coalesce(u.speaker, '') "
                "FROM sentences s JOIN transcripts t ON t.id = s.transcript_id "
                "LEFT JOIN turns u ON u.transcript_id = s.transcript_id AND u.idx = s.turn_idx "
                "ORDER BY s.transcript_id, s.idx"  # the primary key's order: no sorting
            ).fetchall()
        if unit != "turn":
            raise ProjectError(f"unknown unit {unit!r}; use sentence or turn")
        return cursor.execute(
            "SELECT t.name, u.idx + 1, u.body_start, u.end, u.speaker "
            "FROM turns u JOIN transcripts t ON t.id = u.transcript_id "
            "UNION ALL SELECT t.name, 1, 0, length(t.text), '' FROM transcripts t "
            "WHERE NOT EXISTS (SELECT 1 FROM turns WHERE transcript_id = t.id) "
            "ORDER BY 1, 2"
        ).fetchall()

    def transcript_texts(self, names: Iterable[str] | None = None) -> dict[str, str]:
        """Transcript name -> stored text, of every transcript or of ``names`` (exact names),
        without turns, sentences or words: for showing many passages at once."""
        if names is None:
            return dict(self.conn.execute("SELECT name, text FROM transcripts ORDER BY name"))
        return {name: self.conn.execute("SELECT text FROM transcripts WHERE name = ?",
                                        (name,)).fetchone()[0] for name in names}

    def word_ends(self) -> dict[str, array]:
        """Transcript name -> the end offsets of its words (int32, tiling the text, as
        :attr:`StoredTranscript.word_ends`), for every transcript in one query."""
        rows = self.conn.execute(
            "SELECT t.name, length(t.text), (SELECT words FROM segmentations s WHERE s.hash = "
            "t.hash ORDER BY rowid DESC LIMIT 1) FROM transcripts t ORDER BY t.name"
        ).fetchall()
        return {name: _unpack_ends(words) if words else array("i", [length])
                for name, length, words in rows}

    def transcript_hashes(self) -> dict[str, str]:
        """Transcript name -> SHA-256 of its stored text, which codings files are matched by."""
        return dict(self.conn.execute("SELECT name, hash FROM transcripts ORDER BY name"))

    def import_codings(self, records: Iterable[CodingRecord], coder: str, *,
                       progress: Progress = SILENT) -> CodingsImport:
        """Add codings made in another copy of this project as ``coder``, in one transaction
        and one undoable action.

        Each record is matched to a transcript by the hash of its text (so a renamed transcript
        is still found); a record without a hash is matched by name when its ``text`` is what
        the project holds at its offsets. A record that cannot be placed (the transcript's
        text differs, an unknown code, offsets outside the text) is returned in ``unplaced``
        with the reason, never dropped silently. A coding this coder already has is counted
        in ``unchanged``. ``progress`` counts the records."""
        records = list(records)
        progress.start("importing codings", len(records))
        by_hash: dict[str, list[str]] = {}
        for name, digest in self.transcript_hashes().items():
            by_hash.setdefault(digest, []).append(name)
        texts: dict[str, tuple[int, str]] = {}
        known_codes = {row[0] for row in self.conn.execute("SELECT id FROM codes")}
        result = CodingsImport()
        with self.transaction() as conn:
            self.ensure_coder(coder)
            changes = []
            for number, record in enumerate(records, start=1):
                if number % 1000 == 0 or number == len(records):
                    progress.advance(1000 if number % 1000 == 0 else number % 1000)
                name, reason = self._place(record, by_hash)
                if record.status == "unplaced":
                    name, reason = None, ("re-anchoring left this coding unplaced in the copy "
                                          "it comes from; place it there and export again")
                if name is not None and name not in texts:
                    texts[name] = tuple(conn.execute(  # type: ignore[assignment]
                        "SELECT id, text FROM transcripts WHERE name = ?", (name,)).fetchone())
                if name is not None:
                    transcript_id, text = texts[name]
                    if not 0 <= record.start < record.end <= len(text):
                        reason = (f"characters {record.start}:{record.end} are outside "
                                  f"{name} ({len(text)} characters)")
                    elif record.text and text[record.start:record.end] != record.text:
                        reason = (f"the text at {record.start}:{record.end} of {name} is not "
                                  "the text this coding was made on")
                    elif record.code_id not in known_codes:
                        reason = (f"no code {record.code_id!r} in this project's codebook; add "
                                  "it (or import the other copy's codebook) and import again")
                if reason:
                    result.unplaced.append((record, reason))
                    continue
                status = record.status if record.status in ("confirmed", "suggested",
                                                             "rejected") else "confirmed"
                if conn.execute(
                    "SELECT 1 FROM codings WHERE transcript_id = ? AND start = ? AND end = ? "
                    "AND code_id = ? AND coder = ? AND status = ?",
                    (transcript_id, record.start, record.end, record.code_id, coder, status),
                ).fetchone():
                    result.unchanged += 1
                    continue
                now = _now()
                coding_id = conn.execute(
                    "INSERT INTO codings (transcript_id, start, end, code_id, coder, memo, status, "
                    "created, changed) VALUES (?,?,?,?,?,?,?,?,?)",
                    (transcript_id, record.start, record.end, record.code_id, coder,
                     record.memo, status, now, now),
                ).lastrowid
                changes.append(self._change("codings", coding_id, None))
                result.added += 1
            if changes:
                self._log("import codings", changes, coder)
        return result

    def _place(self, record: CodingRecord, by_hash: dict[str, list[str]]
               ) -> tuple[str | None, str]:
        """The transcript a codings-file record belongs to, or None and why not."""
        if record.transcript_hash:
            names = by_hash.get(record.transcript_hash, [])
            if record.transcript in names or len(names) == 1:
                return (record.transcript if record.transcript in names else names[0]), ""
            if names:
                return None, (f"its text occurs as {', '.join(names)}, none named "
                              f"{record.transcript!r}")
            if self.conn.execute("SELECT 1 FROM transcripts WHERE name = ?",
                                 (record.transcript,)).fetchone():
                return None, (f"{record.transcript} differs from the text this coding was "
                              "made on (another version of the transcript)")
            return None, f"no transcript with the text of {record.transcript!r} in this project"
        row = self.conn.execute("SELECT 1 FROM transcripts WHERE name = ?",
                                (record.transcript,)).fetchone()
        if row is None:
            return None, f"no transcript named {record.transcript!r} in this project"
        if not record.text:
            return None, "the record has neither a transcript hash nor the coded text to check"
        return record.transcript, ""

    # exchange with other programs (REFI-QDA): what an import needs beyond a user's actions

    def exchange_guids(self, kind: str) -> dict[str, str]:
        """Our key -> the GUID another program gave it, for ``kind`` "code" (key: code id),
        "source" (transcript name) or "user" (coder), as recorded by :meth:`set_exchange_guids`,
        so an export gives back the GUIDs an import brought in."""
        prefix = f"refi.{kind}."
        rows = self.conn.execute(
            "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        )
        return {key[len(prefix):]: value for key, value in rows}

    def set_exchange_guids(self, kind: str, guids: dict[str, str]) -> None:
        """Record the GUIDs another program gave codes, sources or users (see above)."""
        with self.transaction():
            for key, guid in guids.items():
                self._set_meta(f"refi.{kind}.{key}", guid)

    def case_transcripts(self) -> dict[str, str | None]:
        """Case name -> the name of its transcript (None for a case without one)."""
        return {
            row[0]: row[1] for row in self.conn.execute(
                "SELECT c.name, t.name FROM cases c LEFT JOIN transcripts t "
                "ON t.id = c.transcript_id ORDER BY c.name"
            )
        }

    def memos(self) -> list[dict[str, Any]]:
        """Every memo on a transcript or on the whole project (``transcript`` None), oldest
        first: dicts with transcript, coder, text, created, changed."""
        return [
            dict(row) for row in self.conn.execute(
                "SELECT t.name AS transcript, m.coder, m.text, m.created, m.changed "
                "FROM memos m LEFT JOIN transcripts t ON t.id = m.transcript_id "
                "ORDER BY m.id"
            )
        ]

    def add_imported_memo(self, transcript: str | None, coder: str, text: str, *,
                          created: str = "", changed: str = "") -> None:
        """Store a memo another program recorded, on a transcript or (``transcript`` None) on
        the whole project, keeping its times; not undoable (it builds a project from an
        import). A coder's second memo on the same transcript is appended to the first."""
        transcript_id = self._transcript_id(transcript) if transcript is not None else None
        created = created or _now()
        with self.transaction() as conn:
            if coder:
                self.ensure_coder(coder)
            row = conn.execute(
                "SELECT id, text FROM memos WHERE transcript_id = ? AND coder = ?",
                (transcript_id, coder),
            ).fetchone() if transcript_id is not None else None
            if row:
                conn.execute("UPDATE memos SET text = ?, changed = ? WHERE id = ?",
                             (f"{row['text']}\n\n{text}", changed or created, row["id"]))
                return
            conn.execute(
                "INSERT INTO memos (transcript_id, coder, text, created, changed) "
                "VALUES (?,?,?,?,?)", (transcript_id, coder, text, created, changed or created),
            )

    def add_imported_codings(self, codings: Iterable[Coding]) -> int:
        """Store codings another program recorded, with their coders, memos and times, in one
        transaction and not in the undo log (it builds a project from an import). Spans and
        codes are checked as :meth:`add_coding` checks them; returns how many were stored."""
        lengths = {row[0]: (row[1], row[2]) for row in self.conn.execute(
            "SELECT name, id, length(text) FROM transcripts")}
        known_codes = {row[0] for row in self.conn.execute("SELECT id FROM codes")}
        count = 0
        with self.transaction() as conn:
            for coding in codings:
                if coding.transcript not in lengths:
                    raise ProjectError(f"no transcript named {coding.transcript!r}")
                transcript_id, length = lengths[coding.transcript]
                if not 0 <= coding.start < coding.end <= length:
                    raise ProjectError(
                        f"characters {coding.start}:{coding.end} are not a span of "
                        f"{coding.transcript} (it has {length} characters)")
                if coding.code_id not in known_codes:
                    raise ProjectError(f"no code {coding.code_id!r} in the project's codebook")
                self.ensure_coder(coding.coder)
                created = coding.created or _now()
                conn.execute(
                    "INSERT INTO codings (transcript_id, start, end, code_id, coder, memo, "
                    "status, created, changed) VALUES (?,?,?,?,?,?,?,?,?)",
                    (transcript_id, coding.start, coding.end, coding.code_id, coding.coder,
                     coding.memo, coding.status, created, coding.changed or created),
                )
                count += 1
        return count

    # redaction (qualcode.privacy): texts rewritten by known edits, and the key kept apart

    def rewrite_transcript(self, name: str, text: str, move: Callable[[int, bool], int], *,
                           speakers: Callable[[str], str] | None = None) -> None:
        """Replace transcript ``name``'s text by ``text``, made from it by edits known exactly:
        ``move(position, is_end)`` carries a position of the old text onto the new one (a
        start inside an edited stretch goes to where its replacement begins, an end to where
        it ends). Its header, turns (speakers renamed by ``speakers``), sentences, words and
        every coding, whatever its status, move with it, keeping coders, memos, statuses and
        times; in the caller's transaction or its own. The undo history of its codings is
        dropped, as on a re-import: it holds offsets into the old text."""
        with self.transaction() as conn:
            row = conn.execute("SELECT id, hash, header_start, header_end FROM transcripts "
                               "WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise ProjectError(f"no transcript named {name!r}")
            transcript_id = row["id"]
            header = ((move(row["header_start"], False), move(row["header_end"], True))
                      if row["header_start"] is not None else (None, None))
            new_hash = sha256(text.encode("utf-8")).hexdigest()
            conn.execute(
                "UPDATE transcripts SET text = ?, hash = ?, header_start = ?, header_end = ? "
                "WHERE id = ?", (text, new_hash, *header, transcript_id))
            rename = speakers or (lambda speaker: speaker)
            conn.executemany(
                "UPDATE turns SET start = ?, end = ?, body_start = ?, speaker = ? "
                "WHERE transcript_id = ? AND idx = ?",
                [(move(r["start"], False), move(r["end"], True), move(r["body_start"], False),
                  rename(r["speaker"]), transcript_id, r["idx"]) for r in conn.execute(
                    "SELECT * FROM turns WHERE transcript_id = ?", (transcript_id,)).fetchall()])
            # The speakers' rows follow their new names (two renamed alike become one).
            renamed: dict[str, sqlite3.Row] = {}
            for r in conn.execute("SELECT * FROM speakers WHERE transcript_id = ? ORDER BY "
                                  "position", (transcript_id,)).fetchall():
                renamed.setdefault(rename(r["name"]), r)
            conn.execute("DELETE FROM speakers WHERE transcript_id = ?", (transcript_id,))
            conn.executemany(
                "INSERT INTO speakers (transcript_id, name, position, role, role_set, "
                "description) VALUES (?,?,?,?,?,?)",
                [(transcript_id, new_name, r["position"], r["role"], r["role_set"],
                  r["description"]) for new_name, r in renamed.items()])
            conn.executemany(
                "UPDATE sentences SET start = ?, end = ? WHERE transcript_id = ? AND idx = ?",
                [(move(r["start"], False), move(r["end"], True), transcript_id, r["idx"])
                 for r in conn.execute("SELECT * FROM sentences WHERE transcript_id = ?",
                                       (transcript_id,)).fetchall()])
            for signature, words, sentences in conn.execute(
                "SELECT signature, words, sentences FROM segmentations WHERE hash = ?",
                (row["hash"],),
            ).fetchall():
                ends = array("i")
                for end in _unpack_ends(words):  # words inside an edit become one word
                    moved = move(end, True)
                    if not ends or moved > ends[-1]:
                        ends.append(moved)
                if not ends or ends[-1] != len(text):
                    ends.append(len(text))
                conn.execute(
                    "INSERT OR IGNORE INTO segmentations VALUES (?,?,?,?)",
                    (new_hash, signature, ends.tobytes(), _pack_spans(
                        (move(s, False), move(e, True), turn)
                        for s, e, turn in _unpack_spans(sentences))),
                )
            conn.executemany(
                "UPDATE codings SET start = ?, end = ? WHERE id = ?",
                [(move(r["start"], False), move(r["end"], True), r["id"]) for r in conn.execute(
                    "SELECT id, start, end FROM codings WHERE transcript_id = ?",
                    (transcript_id,)).fetchall()])
            conn.execute(
                "DELETE FROM undo_log WHERE id IN (SELECT u.id FROM undo_log u, "
                "json_each(u.changes) c WHERE json_extract(c.value, '$.table') = 'codings' AND "
                "? IN (json_extract(c.value, '$.before.transcript_id'), "
                "json_extract(c.value, '$.after.transcript_id')))", (transcript_id,),
            )

    def rewrite_notes(self, replace: Callable[[str], str]) -> None:
        """Pass the project's free texts through ``replace``: memos, coding and code memos, the
        text unplaced or changed codings had, and transcripts' metadata and source paths; then
        forget what still holds old text: the undo history (row images) and segmentations of
        texts no transcript has any more. In the caller's transaction or its own."""
        with self.transaction() as conn:
            conn.executemany("UPDATE memos SET text = ? WHERE id = ?", [
                (replace(text), memo_id)
                for memo_id, text in conn.execute("SELECT id, text FROM memos").fetchall()])
            conn.executemany("UPDATE code_memos SET text = ? WHERE id = ?", [
                (replace(text), memo_id)
                for memo_id, text in conn.execute("SELECT id, text FROM code_memos").fetchall()])
            conn.executemany(
                "UPDATE codings SET memo = ?, original_text = ? WHERE id = ?",
                [(replace(r["memo"]), None if r["original_text"] is None
                  else replace(r["original_text"]), r["id"]) for r in conn.execute(
                    "SELECT id, memo, original_text FROM codings WHERE memo != '' "
                    "OR original_text IS NOT NULL").fetchall()])
            conn.executemany(
                "UPDATE transcripts SET metadata = ?, source_path = ? WHERE id = ?",
                [(json.dumps({key: replace(value) for key, value in json.loads(r[1]).items()},
                             ensure_ascii=False), replace(r[2]), r[0])
                 for r in conn.execute("SELECT id, metadata, source_path FROM transcripts")
                 .fetchall()])
            conn.execute("DELETE FROM undo_log")
            conn.execute("DELETE FROM segmentations WHERE hash NOT IN "
                         "(SELECT hash FROM transcripts)")

    def redaction_key(self) -> list[tuple[str, str, str, str]]:
        """The stored key of earlier redactions: ``(kind, value, pseudonym, original)`` for each
        distinct value (normalised, e.g. a phone number's digits) and the text it was first
        found as; kind ``keep`` lists words never to redact. Read by nothing that exports."""
        return [tuple(row) for row in self.conn.execute(  # type: ignore[misc]
            "SELECT kind, value, pseudonym, original FROM redaction_key ORDER BY kind, value")]

    def add_to_redaction_key(self, entries: Iterable[tuple[str, str, str, str]]) -> None:
        """Record ``(kind, value, pseudonym, original)`` entries; a value already there keeps
        its pseudonym."""
        with self.transaction() as conn:
            now = _now()
            conn.executemany(
                "INSERT INTO redaction_key VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                [(*entry, now) for entry in entries])

    def clear_redaction_key(self) -> None:
        """Forget the key (a redacted copy must not carry it)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM redaction_key")


def count_touched(units: Sequence[tuple[int, int]], spans: Iterable[Sequence[int]]) -> int:
    """How many ``units`` (sorted, disjoint) at least one of ``spans`` overlaps by a
    character or more."""
    return count_touched_bounds([u[0] for u in units], [u[1] for u in units], spans)


def count_touched_bounds(starts: Sequence[int], ends: Sequence[int],
                         spans: Iterable[Sequence[int]]) -> int:
    """How many units, given as sorted ``starts`` and ``ends`` (disjoint units), at least one
    of ``spans`` (``(start, end)`` pairs, any order) overlaps by a character or more. Each
    span finds the units it touches by bisection; the cost grows with the spans, not with
    the units."""
    return _count_touched_keys(starts, ends, sorted((start << 32) | end for start, end in spans))


def _count_touched_keys(starts: Sequence[int], ends: Sequence[int], keys: Sequence[int]) -> int:
    """:func:`count_touched_bounds` of spans given as sorted keys ``start << 32 | end``."""
    touched = reach = 0
    union_start = union_end = -1
    # Spans that overlap or abut cover the same characters as their union, so only the
    # unions are looked up: far fewer bisections when codings pile up on the same passages.
    for key in keys:
        start, end = key >> 32, key & 0xFFFFFFFF
        if start <= union_end:
            union_end = max(union_end, end)
            continue
        if union_end >= 0:
            first = bisect_right(ends, union_start)  # the first unit ending after it starts
            stop = bisect_left(starts, union_end)  # units from here on start at or after its end
            if stop > reach and first < stop:
                touched += stop - max(reach, first)
                reach = stop
        union_start, union_end = start, end
    if union_end >= 0:
        first = bisect_right(ends, union_start)
        stop = bisect_left(starts, union_end)
        if stop > reach and first < stop:
            touched += stop - max(reach, first)
    return touched


def _restore_rows(conn: sqlite3.Connection, changes: Sequence[dict], state: str) -> None:
    """Make each changed row its ``state`` image ("before" or "after"; None: no row), as
    applying ``changes`` one by one in this order would, in a few statements per table. A
    coding changed in place is updated in the columns that differ (its indexes move only
    for those); other rows are removed, then written back, so that a value moving between
    rows (a code's id, a favourite key) never meets itself."""
    other = "after" if state == "before" else "before"
    final: dict[tuple[str, Any], tuple[dict | None, dict | None]] = {}
    for change in changes:
        key = (change["table"], change["key"])
        now = final[key][0] if key in final else change[other]
        final[key] = (now, change[state])
    removed: dict[str, list[tuple[Any]]] = {}
    updated: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    written: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    for (table, key), (now, image) in final.items():
        if table == "codings" and now is not None and image is not None:
            columns = tuple(c for c in image if image[c] != now.get(c))
            if columns:
                updated.setdefault(columns, []).append((*(image[c] for c in columns), key))
            continue
        removed.setdefault(table, []).append((key,))
        if image is not None:
            written.setdefault((table, tuple(image)), []).append(tuple(image.values()))
    for table, keys in removed.items():
        conn.executemany(f"DELETE FROM {table} WHERE {_UNDOABLE[table]} = ?", keys)
    for columns, rows in updated.items():
        assignments = ", ".join(f"{column} = ?" for column in columns)
        conn.executemany(f"UPDATE codings SET {assignments} WHERE id = ?", rows)
    for (table, columns), rows in written.items():
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                         f"({', '.join('?' * len(columns))})", rows)


def _compact(change: dict) -> dict:
    """A change as the undo log keeps it: a row changed in place as its image before and
    the columns it set (``set``), not as two whole images (see :func:`_expanded`)."""
    before, after = change["before"], change["after"]
    if before is None or after is None or set(before) != set(after):
        return change
    return {"table": change["table"], "key": change["key"], "before": before,
            "set": {c: v for c, v in after.items() if before[c] != v}}


def _expanded(change: dict) -> dict:
    """A logged change with its image after, as :func:`_compact` left it out."""
    if "set" not in change:
        return change
    return {"table": change["table"], "key": change["key"], "before": change["before"],
            "after": {**change["before"], **change["set"]}}


_CODE_COLUMNS = ("id, parent_id, position, label, label_en, color, description, include, "
                 "exclude, examples, keywords, rules")
_CODE_MARKS = ", ".join("?" * len(_CODE_COLUMNS.split(",")))


def _code_row(code: Code, parent_id: str | None, position: int) -> tuple:
    rules: dict[str, object] = {"match": code.match} if code.match != "word" else {}
    if code.patterns:
        rules["patterns"] = code.patterns
    if code.token_patterns:
        rules["token_patterns"] = code.token_patterns
    return (
        code.id, parent_id, position, code.label, code.label_en, code.color, code.description,
        code.include, code.exclude, json.dumps(code.examples, ensure_ascii=False),
        json.dumps(code.keywords, ensure_ascii=False), json.dumps(rules, ensure_ascii=False),
    )


def code_image(code: Code, parent_id: str | None, position: int) -> dict[str, Any]:
    """A code as a row image of the codes table (see :meth:`Project.row_images`)."""
    columns = [name.strip() for name in _CODE_COLUMNS.split(",")]
    return dict(zip(columns, _code_row(code, parent_id, position), strict=True))


# Word boundaries and sentence spans are stored compactly as int32 arrays.


def _pack_ends(words: Iterable[Span]) -> bytes:
    return array("i", (w.end for w in words)).tobytes()


def _ints(packed: bytes | array) -> array:
    """An int32 array as it is, or unpacked from its bytes."""
    return packed if isinstance(packed, array) else _unpack_ends(packed)


def _unpack_ends(blob: bytes) -> array:
    ends = array("i")
    ends.frombytes(blob)
    return ends


def _pack_spans(spans: Iterable[tuple[int, int, int]]) -> bytes:
    return array("i", (n for span in spans for n in span)).tobytes()


def _unpack_spans(blob: bytes) -> list[tuple[int, int, int]]:
    flat = _unpack_ends(blob)
    return [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]  # type: ignore[misc]


# Codings brought in from another copy of a project (``Project.import_codings``).


@dataclass(slots=True)
class CodingRecord:
    """One coding as a codings file carries it; ``line`` is where it was read from."""

    transcript: str
    start: int
    end: int
    code_id: str
    transcript_hash: str = ""
    text: str = ""
    memo: str = ""
    status: str = "confirmed"
    line: int | None = None


@dataclass(slots=True)
class CodingsImport:
    """What :meth:`Project.import_codings` did: codings added, already present, and those it
    could not place, each with the reason."""

    added: int = 0
    unchanged: int = 0
    unplaced: list[tuple[CodingRecord, str]] = field(default_factory=list)
