"""The schema: named migration steps run in order, each in its own transaction."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable

DB_NAME = "qualcode.db"
USER_DICT_NAME = "userdict.txt"
BUSY_TIMEOUT_MS = 10_000


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


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
_TRANSCRIPT_CASE = (
    "ALTER TABLE transcripts ADD COLUMN case_id INTEGER REFERENCES cases(id) ON DELETE SET NULL"
)

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
    from ..roles import guess_roles

    conn.execute("ALTER TABLE turns ADD COLUMN seconds REAL")
    conn.execute(_SPEAKERS)
    names: dict[int, list[str]] = {}
    for transcript_id, speaker in conn.execute(
        "SELECT transcript_id, speaker FROM turns ORDER BY transcript_id, idx"
    ).fetchall():
        found = names.setdefault(transcript_id, [])
        if speaker not in found:
            found.append(speaker)
    for transcript_id, speakers in names.items():
        guesses = guess_roles(speakers)
        conn.executemany(
            "INSERT INTO speakers (transcript_id, name, position, role) VALUES (?,?,?,?)",
            [(transcript_id, name, i, guesses[name].role) for i, name in enumerate(speakers)],
        )


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
        conn.execute(
            "INSERT INTO codebook_history (created, action, details) VALUES (?, ?, ?)",
            (_now(), "start", json.dumps({"codes": count})),
        )


# Every per-transcript count and every report reads codings by status (and transcript) for
# their spans, code and coder: an index holding all of these answers them without reading the
# table's rows (memos, times), in transcript and text order. `list` at 1,000 transcripts and
# 100,000 codings: 0.06 s for that part of its query before, 0.02 s with it.
_CODINGS_COVERING_INDEX = (
    "CREATE INDEX IF NOT EXISTS codings_covering "
    "ON codings (status, transcript_id, start, end, coder, code_id)"
)


Step = Callable[[sqlite3.Connection], None]
"""A migration step: it changes the schema through the connection, inside the step's
transaction (opened and committed by the caller)."""


def statements(script: str) -> list[str]:
    """The SQL statements of ``script``, each ending where SQLite says a statement is complete
    (a ';' inside a string or a trigger's body does not end one)."""
    found, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            found.append(current.strip())
            current = ""
    found.append(current.strip())
    return [statement for statement in found if _has_sql(statement)]


def _has_sql(statement: str) -> bool:
    """Whether a statement holds more than comments and semicolons."""
    code = (line.split("--", 1)[0] for line in statement.splitlines())
    return any(line.strip(" \t;") for line in code)


def sql_step(script: str) -> Step:
    """A step that runs the statements of ``script`` one by one (``executescript`` would commit
    on its own, outside the step's transaction)."""

    def run(conn: sqlite3.Connection) -> None:
        for statement in statements(script):
            conn.execute(statement)

    return run


# The steps, in order, recorded by name in the project's ``migrations`` table once done.
MIGRATIONS: list[tuple[str, Step]] = [
    ("0001_initial", sql_step(_SCHEMA_1)),
    ("0002_unplaced_codings", sql_step(_UNPLACED_CODINGS)),
    ("0003_code_rules", sql_step(_CODE_RULES)),
    ("0004_redaction_key", sql_step(_REDACTION_KEY)),
    ("0005_transcript_case", sql_step(_TRANSCRIPT_CASE)),
    ("0006_speakers_and_turn_times", _speakers_and_turn_times),
    ("0007_favourites_and_undo_coder", sql_step(_FAVOURITES_AND_UNDO_CODER)),
    ("0008_code_memos_and_positions", sql_step(_CODE_MEMOS_AND_POSITIONS)),
    ("0009_reviewed_transcripts", sql_step(_REVIEWED_TRANSCRIPTS)),
    ("0010_codebook_history", _codebook_history),
    ("0011_codings_covering_index", sql_step(_CODINGS_COVERING_INDEX)),
]
SCHEMA_VERSION = len(MIGRATIONS)

# Tables whose row changes are recorded for undo, with their primary key column. Refining
# the codebook (qualcode.codes) also moves favourite keys, the GUIDs kept in meta and adds
# to the codebook's history: undone, each comes back as it was.
_UNDOABLE = {
    "codings": "id",
    "codes": "id",
    "memos": "id",
    "code_memos": "id",
    "reviews": "id",
    "favourites": "key",
    "meta": "key",
    "codebook_history": "id",
}
