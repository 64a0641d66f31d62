"""The project's file: opening, creating, migrating and closing it, one transaction per change, its meta values and settings."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from ..errors import ProjectError
from .schema import BUSY_TIMEOUT_MS, DB_NAME, MIGRATIONS, _now


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
        return _explaining(self.path, super().execute, *args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        return _explaining(self.path, super().executemany, *args, **kwargs)

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:
        return super().cursor(factory or _Cursor)


class _Cursor(sqlite3.Cursor):
    """A cursor of a :class:`_Connection`, explaining failures as its connection does."""

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        return _explaining(self.connection.path, super().execute, *args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        return _explaining(self.connection.path, super().executemany, *args, **kwargs)


def _explaining(
    path: Path, run: Callable[..., sqlite3.Cursor], *args: Any, **kwargs: Any
) -> sqlite3.Cursor:
    """``run(*args, **kwargs)``, a failure of the environment raised as its ProjectError."""
    try:
        return run(*args, **kwargs)
    except sqlite3.DatabaseError as error:
        if (explained := _explained(error, path)) is None:
            raise
        raise explained from error


def _explained(error: sqlite3.DatabaseError, path: Path) -> ProjectError | None:
    """A ProjectError for failures of the environment; None for anything else (a bug)."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # primary result code
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return ProjectError(
            "the project is busy: another qualcode window or command has been writing to it "
            f"for over {BUSY_TIMEOUT_MS / 1000:g} s; nothing was changed here, try again when "
            "it has finished",
            path=path,
        )
    if code == sqlite3.SQLITE_FULL:
        return ProjectError(
            "the disk is full; nothing was changed: free some space and try again", path=path
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return ProjectError(
            f"cannot write the project database ({error}); check that the "
            "folder and file are yours and writable",
            path=path,
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_IOERR):
        return ProjectError(
            f"the project database is damaged or unreadable ({error}); check "
            f"it with: qualcode doctor {path.parent}",
            path=path,
        )
    return None


class ProjectFile:
    """The project's file: opening, creating, migrating and closing it, one transaction
    per change, its meta values and settings."""

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
    def create(
        cls, folder: str | Path, *, name: str | None = None, created: str | None = None
    ) -> Self:
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
            raise ProjectError(
                "a project already exists here; open it instead of creating it", path=db_path
            ) from None
        except OSError as error:
            raise ProjectError(
                f"cannot create the project: {error.strerror}", path=db_path
            ) from None
        project = cls._connect(db_path)
        with project.transaction():
            project._set_meta("name", name or db_path.parent.name)
            project._set_meta("created", created or _now())
        return project

    @classmethod
    def open(cls, folder: str | Path) -> Self:
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
                "let the sync finish",
                path=db_path,
            )
        return cls._connect(db_path)

    @classmethod
    def _connect(cls, db_path: Path) -> Self:
        try:
            conn = sqlite3.connect(
                db_path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
                factory=_Connection,
            )
        except sqlite3.Error as error:
            raise ProjectError(
                f"cannot open the project database: {error}", path=db_path
            ) from error
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
                raise ProjectError(
                    f"cannot open the project database: {error}", path=db_path
                ) from error
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
                "update qualcode to open it",
                path=self.db_path,
            )
        if not set(known) - done:
            return
        if done:  # an older version wrote this project: keep a copy before changing it
            self.backup(f"backup-{len(done)}")
        for name, step in MIGRATIONS:
            with self.transaction() as conn:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS migrations "
                    "(name TEXT PRIMARY KEY, applied TEXT NOT NULL)"
                )
                if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                    continue  # done before, or by another process opening it at the same time
                step(conn)
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
                f"{self.db_path.stem}.{label}{'' if n == 1 else f'-{n}'}.db"
            )
            try:  # created empty and private first: VACUUM INTO fills an empty file
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                break
            except FileExistsError:
                continue
        else:
            raise ProjectError(f"too many backups named {label}; remove old ones", path=self.folder)
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
