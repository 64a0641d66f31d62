"""Check a project for damage and say how to repair it: ``qualcode doctor PROJECT``.

:func:`check_project` reads the database without opening it as a :class:`~qualcode.store.Project`
(so it neither migrates nor writes, and still reports on a file too damaged to open) and returns
findings, each with what is wrong and how to repair it:

* the project's files (database, its WAL and shared-memory files, backups) readable by others;
* a backup from before an in-place redaction (``qualcode.before-redaction*.db``, the original
  text and the key to the pseudonyms) inside the project folder, and where to move it;
* SQLite's ``integrity_check`` and ``foreign_key_check``;
* codings whose span lies outside their transcript's text, or whose code is not in the codebook;
* codes whose parent code is missing;
* transcripts whose turns or sentences are missing, out of range or disagree with their stored
  segmentation, or whose word boundaries are missing;
* notes that need no repair: codings left unplaced by a re-import, a schema an older version
  wrote (opening the project migrates it, after a backup).

:func:`repair_project` fixes only what needs no judgement and touches no coding work: file
permissions, and a transcript's turns, sentences and words rebuilt from its stored text (codings
are offsets into that same text, so they are unaffected). It backs the database up first and
repairs nothing in a database that fails the integrity check.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import ProjectError
from .store import BUSY_TIMEOUT_MS, MIGRATIONS, project_db

Severity = Literal["problem", "note"]

_NO_TURN = -1  # qualcode.segment.NO_TURN: the turn index of sentences of a text without turns
_SHOWN = 5  # ids or names listed in one finding before "..."


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing ``doctor`` found: a ``problem`` (exit status 1) or a ``note``."""

    severity: Severity
    message: str
    repair: str
    # ("chmod", path) and ("rebuild", transcript) are repair_project's to do; ("restore", db)
    # is the researcher's (a damaged database), and stops repair_project from writing to it.
    fix: tuple[str, str] | None = None

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}\n  repair: {self.repair}"


def check_project(folder: str | Path) -> list[Finding]:
    """Everything wrong with the project in ``folder`` (an empty list when it is healthy)."""
    folder = Path(folder)
    db = project_db(folder)
    if not db.is_file():
        return [
            Finding(
                "problem",
                f"no qualcode project here (missing {db.name})",
                f"create one with: qualcode init {folder}, or give the project's folder",
            )
        ]
    findings = list(_check_permissions(db)) + _check_redaction_backups(db)
    try:
        with closing(_connect(db)) as conn:
            findings += _check_database(conn, db)
    except sqlite3.DatabaseError as error:
        findings.append(
            Finding("problem", f"the database cannot be read: {error}", _restore_hint(db))
        )
    return findings


def repair_project(folder: str | Path) -> list[str]:
    """Repair what :func:`check_project` marks as safely repairable; return what was done.

    File permissions are set to owner-only. Transcripts with damaged structure get their turns,
    sentences and words rebuilt from their stored text, after a backup of the database, unless
    the database fails SQLite's integrity check (then only permissions are repaired)."""
    from .store import Project

    db = project_db(folder)
    findings = check_project(folder)
    done: list[str] = []
    for finding in findings:
        if finding.fix and finding.fix[0] == "chmod":
            os.chmod(finding.fix[1], 0o600)
            done.append(f"{finding.fix[1]} is now readable by its owner only")
    rebuild = [f.fix[1] for f in findings if f.fix and f.fix[0] == "rebuild"]
    if not rebuild or any(f.fix and f.fix[0] == "restore" for f in findings):
        return done
    with Project.open(db) as project:
        backup = project.backup("before-repair")
        done.append(f"backed the database up to {backup}")
        from .study import segmenter_for

        segmenter = segmenter_for(project)
        for name in rebuild:
            _rebuild_structure(project, name, segmenter)
            done.append(f"{name}: turns, sentences and words rebuilt from its stored text")
    return done


# --- checks ---------------------------------------------------------------------------------


def _connect(db: Path) -> sqlite3.Connection:
    # mode=rw: never create a database where there was none.
    conn = sqlite3.connect(
        f"{db.resolve().as_uri()}?mode=rw",
        uri=True,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
    )
    conn.row_factory = sqlite3.Row
    return conn


def _project_files(db: Path) -> Iterator[Path]:
    yield db
    for suffix in ("-wal", "-shm", "-journal"):
        if (path := db.with_name(db.name + suffix)).exists():
            yield path
    yield from sorted(db.parent.glob(f"{db.stem}.*.db"))  # backups


def _check_permissions(db: Path) -> Iterator[Finding]:
    if os.name != "posix":
        return
    for path in _project_files(db):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            yield Finding(
                "problem",
                f"{path} can be read by other users (mode {mode:o}); interview data "
                "should be readable by its owner only",
                f"chmod 600 {path}  (or: qualcode doctor {db.parent} --repair)",
                fix=("chmod", str(path)),
            )


def _check_redaction_backups(db: Path) -> list[Finding]:
    """The backup ``redact --in-place`` leaves beside the project holds the original text and
    the key to every pseudonym: a folder shared as redacted must not carry it."""
    from .privacy import BACKUP_LABEL

    private = db.parent.parent / f"{db.parent.name}-private"
    return [
        Finding(
            "problem",
            f"{backup} holds the text from before redaction and the key to every "
            "pseudonym; anyone given this folder can read who said what",
            f"move it out of the project folder to a private place that is not shared or synced: "
            f"mkdir -p {private} && mv {backup} {private}/  (to redact this project again with the "
            "same pseudonyms, put it back beside the project first: the key is read from there)",
        )
        for backup in sorted(db.parent.glob(f"{db.stem}.{BACKUP_LABEL}*.db"))
    ]


def _restore_hint(db: Path) -> str:
    backups = sorted(db.parent.glob(f"{db.stem}.*.db"), key=lambda p: p.stat().st_mtime)
    restore = (
        f"restore the latest backup ({backups[-1].name}: copy it over {db.name}), or "
        if backups
        else ""
    )
    return (
        f"copy the project folder first; then {restore}recover what is readable with: "
        f"sqlite3 {db} .recover | sqlite3 recovered.db"
    )


def _check_database(conn: sqlite3.Connection, db: Path) -> list[Finding]:
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
    findings = []
    if integrity != ["ok"]:
        findings.append(
            Finding(
                "problem",
                "SQLite's integrity check fails: " + "; ".join(integrity[:_SHOWN]),
                _restore_hint(db),
                fix=("restore", str(db)),
            )
        )
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"migrations", "transcripts", "codings", "codes"} <= tables:
        findings.append(
            Finding(
                "problem",
                "this database holds no qualcode project (its tables are missing)",
                _restore_hint(db),
                fix=("restore", str(db)),
            )
        )
        return findings
    for check in (
        _check_schema,
        _check_foreign_keys,
        _check_codings,
        _check_codes,
        _check_structure,
        _check_unplaced,
    ):
        try:
            findings += check(conn, db)
        except sqlite3.DatabaseError as error:  # a damaged page: report, go on with the rest
            findings.append(
                Finding(
                    "problem",
                    f"cannot check ({check.__name__[7:]}): {error}",
                    _restore_hint(db),
                    fix=("restore", str(db)),
                )
            )
    return findings


def _check_schema(conn: sqlite3.Connection, db: Path) -> list[Finding]:
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    known = {name for name, _ in MIGRATIONS}
    if newer := sorted(done - known):
        return [
            Finding(
                "problem",
                f"a newer version of qualcode wrote this project (schema step {newer[-1]})",
                "update qualcode before using this project",
            )
        ]
    if pending := sorted(known - done):
        return [
            Finding(
                "note",
                f"an older version of qualcode wrote this project (schema steps "
                f"{', '.join(pending)} to apply)",
                "nothing to do: opening the project brings it up to date, after backing it up",
            )
        ]
    return []


def _check_foreign_keys(conn: sqlite3.Connection, db: Path) -> list[Finding]:
    broken = Counter((row[0], row[2]) for row in conn.execute("PRAGMA foreign_key_check"))
    return [
        Finding(
            "problem",
            f"{n} rows of {table} point to {parent} rows that do not exist",
            f"restore a backup, or remove those rows; list them with: sqlite3 {db} "
            f"'PRAGMA foreign_key_check({table})'",
        )
        for (table, parent), n in sorted(broken.items())
    ]


def _listed(items: list) -> str:
    shown = ", ".join(str(item) for item in items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _check_codings(conn: sqlite3.Connection, db: Path) -> list[Finding]:
    findings = []
    outside = conn.execute(
        "SELECT c.id, t.name, c.start, c.end, length(t.text) AS length FROM codings c "
        "JOIN transcripts t ON t.id = c.transcript_id "
        "WHERE c.start < 0 OR c.end <= c.start OR c.end > length(t.text) ORDER BY c.id"
    ).fetchall()
    if outside:
        examples = [
            f"#{r['id']} {r['name']} {r['start']}:{r['end']} (of {r['length']})" for r in outside
        ]
        findings.append(
            Finding(
                "problem",
                f"{len(outside)} codings point outside their transcript's text: "
                f"{_listed(examples)}",
                f"look at them with: qualcode codings {db.parent} --status all; remove each with: "
                "qualcode uncode PROJECT TRANSCRIPT --chars START:END CODE --coder CODER, "
                "or restore a backup",
            )
        )
    missing = conn.execute(
        "SELECT code_id, count(*) AS n FROM codings WHERE code_id NOT IN (SELECT id FROM codes) "
        "GROUP BY code_id ORDER BY code_id"
    ).fetchall()
    if missing:
        findings.append(
            Finding(
                "problem",
                f"{sum(r['n'] for r in missing)} codings use codes missing from the "
                f"codebook: {_listed([r['code_id'] for r in missing])}",
                f"add codes with these ids back, e.g. with: qualcode codebook import {db.parent} "
                "CODEBOOK.yaml --merge",
            )
        )
    return findings


def _check_codes(conn: sqlite3.Connection, db: Path) -> list[Finding]:
    orphans = conn.execute(
        "SELECT id, parent_id FROM codes WHERE parent_id IS NOT NULL "
        "AND parent_id NOT IN (SELECT id FROM codes) ORDER BY id"
    ).fetchall()
    if not orphans:
        return []
    return [
        Finding(
            "problem",
            f"{len(orphans)} codes have a parent code that does not exist: "
            f"{_listed([f'{r[0]} (parent {r[1]})' for r in orphans])}",
            f"import a codebook that has those parents: qualcode codebook import {db.parent} "
            "CODEBOOK.yaml --merge",
        )
    ]


def _check_structure(conn: sqlite3.Connection, db: Path) -> list[Finding]:
    findings = []
    for t in conn.execute(
        "SELECT id, name, length(text) AS length, hash FROM transcripts ORDER BY name"
    ).fetchall():
        if faults := _structure_faults(conn, t["id"], t["length"], t["hash"]):
            findings.append(
                Finding(
                    "problem",
                    f"transcript {t['name']}: {'; '.join(faults)}",
                    f"rebuild its turns and sentences from its stored text: qualcode doctor "
                    f"{db.parent} --repair (codings are not touched)",
                    fix=("rebuild", t["name"]),
                )
            )
    return findings


def _structure_faults(
    conn: sqlite3.Connection, transcript_id: int, length: int, text_hash: str
) -> list[str]:
    from .store.rows import _unpack_ends, _unpack_spans

    turns = conn.execute(
        "SELECT idx, start, end, body_start FROM turns WHERE transcript_id = ? ORDER BY idx",
        (transcript_id,),
    ).fetchall()
    sentences = conn.execute(
        "SELECT idx, start, end, turn_idx FROM sentences WHERE transcript_id = ? ORDER BY idx",
        (transcript_id,),
    ).fetchall()
    faults = []
    if [r["idx"] for r in turns] != list(range(len(turns))):
        faults.append("some of its turns are missing")
    if any(
        not 0 <= r["start"] <= r["body_start"] <= r["end"] <= length or r["start"] >= r["end"]
        for r in turns
    ):
        faults.append("turns lie outside its text")
    valid_turns = range(len(turns)) if turns else range(_NO_TURN, _NO_TURN + 1)
    if any(
        not 0 <= r["start"] < r["end"] <= length or r["turn_idx"] not in valid_turns
        for r in sentences
    ):
        faults.append("sentences lie outside its text or point to missing turns")
    segmentations = conn.execute(
        "SELECT words, sentences FROM segmentations WHERE hash = ?", (text_hash,)
    ).fetchall()
    if not segmentations:
        faults.append("its word boundaries are missing")
        return faults
    stored = [(r["start"], r["end"], r["turn_idx"]) for r in sentences]
    if not any(_unpack_spans(s["sentences"]) == stored for s in segmentations) or [
        r["idx"] for r in sentences
    ] != list(range(len(sentences))):
        faults.append("some of its sentences are missing or differ from its segmentation")
    if not any((ends := _unpack_ends(s["words"])) and ends[-1] == length for s in segmentations):
        faults.append("its word boundaries do not cover its text")
    return faults


def _check_unplaced(conn: sqlite3.Connection, db: Path) -> list[Finding]:
    rows = conn.execute(
        "SELECT t.name, count(*) FROM codings c JOIN transcripts t ON t.id = c.transcript_id "
        "WHERE c.status = 'unplaced' GROUP BY t.name ORDER BY t.name"
    ).fetchall()
    if not rows:
        return []
    return [
        Finding(
            "note",
            f"{sum(r[1] for r in rows)} codings could not be placed when their transcripts "
            f"changed ({_listed([f'{r[0]}: {r[1]}' for r in rows])})",
            f"review them with: qualcode codings {db.parent} --status unplaced; code the passage "
            "again where it belongs, then remove the unplaced coding",
        )
    ]


# --- repairs --------------------------------------------------------------------------------


def _rebuild_structure(project, name: str, segmenter) -> None:
    """Turns, sentences and words of transcript ``name`` parsed and segmented again from its
    stored text, in one transaction; the text and its codings stay as they are."""
    from .store.rows import _pack_ends, _pack_spans
    from .subtitles import JSON_FORMATS
    from .transcripts import SUPPORTED_SUFFIXES, parse_transcript

    row = project.conn.execute("SELECT * FROM transcripts WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ProjectError(f"no transcript named {name!r}")
    kind = SUPPORTED_SUFFIXES.get(Path(row["source_path"]).suffix.lower())
    kind = kind or (row["format"] if row["format"] in ("txt", "md", "docx") else "txt")
    if row["format"] in JSON_FORMATS:  # stored as rendered lines, whatever the file was named
        kind = row["format"]
    header_end = row["header_end"] if kind == "docx" else None
    parsed = parse_transcript(row["text"], kind, encoding=row["encoding"], header_end=header_end)
    segmentation = segmenter.segment_transcript(parsed.text, parsed.turns)
    with project.transaction() as conn:
        conn.execute("DELETE FROM sentences WHERE transcript_id = ?", (row["id"],))
        project.write_turns(row["id"], parsed)  # turns and speakers, keeping roles set by hand
        conn.executemany(
            "INSERT INTO sentences VALUES (?,?,?,?,?)",
            [
                (row["id"], i, s.start, s.end, turn)
                for i, (s, turn) in enumerate(segmentation.sentences)
            ],
        )
        # Replaced, not deleted: a transcript with the same text under another name may use it.
        conn.execute(
            "INSERT OR REPLACE INTO segmentations VALUES (?,?,?,?)",
            (
                row["hash"],
                segmenter.signature,
                _pack_ends(segmentation.words),
                _pack_spans((s.start, s.end, turn) for s, turn in segmentation.sentences),
            ),
        )
