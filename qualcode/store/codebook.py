"""The working codebook: codes, their refinement and history, favourite keys."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ProjectError
from ..model import Code, Codebook
from .records import CodebookEntry
from .rows import _CODE_COLUMNS, _CODE_MARKS, _code_row, _compact, _restore_rows
from .schema import _UNDOABLE, USER_DICT_NAME, _now


class CodebookTable:
    """The working codebook: codes, their refinement and history, favourite keys."""

    # codebook

    def set_codebook(self, codebook: Codebook, *, source: str = "", coder: str = "") -> None:
        """Replace the working codebook. Codes still used by codings must remain. The
        codebook's history records what changed (``source``: the file it came from)."""
        from ..codebook import diff_codebooks

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
                self._record_codebook(
                    "codebook",
                    coder,
                    details={
                        "source": source,
                        "codes": len(new_ids),
                        "added": len(difference.added),
                        "removed": len(difference.removed),
                        "changed": len(difference.changed),
                    },
                )
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
                id=row["id"],
                label=row["label"],
                label_en=row["label_en"],
                color=row["color"],
                description=row["description"],
                include=row["include"],
                exclude=row["exclude"],
                examples=json.loads(row["examples"]),
                keywords=json.loads(row["keywords"]),
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
            position = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM codes").fetchone()[
                0
            ]
            conn.execute(
                f"INSERT INTO codes ({_CODE_COLUMNS}) VALUES ({_CODE_MARKS})",
                _code_row(code, parent_id, position),
            )
            parent = known[parent_id].label if parent_id is not None else ""
            entry = self._record_codebook(
                "add",
                coder,
                code_id=code.id,
                target_id=parent_id or "",
                details={"label": code.label, "parent": parent},
            )
            self._log("add code", [self._change("codes", code.id, None), entry], coder)
            self._bind_default_favourites()
        return code

    # refining the working codebook (qualcode.codes): rows rewritten as one undoable action,
    # and the codebook's history

    def row_images(
        self, table: str, where: str = "", params: Sequence[Any] = ()
    ) -> list[dict[str, Any]]:
        """Rows of an undoable table (codings, codes, code_memos, favourites, meta ...), each
        a dict column -> value: the image the undo log keeps. ``where`` filters (SQL)."""
        if table not in _UNDOABLE:
            raise ValueError(f"{table} is not an undoable table")
        sql = f"SELECT * FROM {table}" + (f" WHERE {where}" if where else "")
        return [dict(row) for row in self.conn.execute(sql, tuple(params))]

    def rewrite_rows(
        self,
        action: str,
        coder: str,
        changes: Sequence[dict[str, Any]],
        *,
        history: CodebookEntry | None = None,
    ) -> None:
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
                logged.append(
                    self._record_codebook(
                        history.action,
                        coder,
                        code_id=history.code_id,
                        target_id=history.target_id,
                        codings=history.codings,
                        details=history.details,
                    )
                )
            _restore_rows(conn, changes, "after")
            # A row changed in place is logged as its image before and the columns set: a
            # recode of 20,000 codings logs their code, not each image twice.
            self._log(action, [*logged, *map(_compact, changes)], coder)

    def _record_codebook(
        self,
        action: str,
        coder: str,
        *,
        code_id: str = "",
        target_id: str = "",
        codings: int = 0,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add an entry to the codebook's history (in the caller's transaction); returns it
        as an undo change, for the action that made it to log."""
        entry_id = self.conn.execute(
            "INSERT INTO codebook_history (created, coder, action, code_id, target_id, codings, "
            "details) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                _now(),
                coder,
                action,
                code_id,
                target_id,
                codings,
                json.dumps(details or {}, ensure_ascii=False),
            ),
        ).lastrowid
        return self._change("codebook_history", entry_id, None)

    def transcript_names_by_id(self) -> dict[int, str]:
        """Transcript id (as codings' row images hold it) -> its name."""
        return dict(self.conn.execute("SELECT id, name FROM transcripts").fetchall())

    def codebook_history(self) -> list[CodebookEntry]:
        """Every change to the working codebook that stands (an undone one has left), oldest
        first."""
        return [
            CodebookEntry(
                r["action"],
                r["code_id"],
                r["target_id"],
                r["codings"],
                json.loads(r["details"]),
                r["coder"],
                r["created"],
                r["id"],
            )
            for r in self.conn.execute("SELECT * FROM codebook_history ORDER BY id")
        ]

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
        if (
            self.meta("favourites.bound")
            or not self.conn.execute("SELECT 1 FROM codes LIMIT 1").fetchone()
        ):
            return
        leaves = [c.id for c, _, _ in self.codebook().walk() if not c.children][:9]
        with self.transaction() as conn:
            if self.meta("favourites.bound"):  # another process bound them meanwhile
                return
            conn.executemany(
                "INSERT OR IGNORE INTO favourites (key, code_id) VALUES (?, ?)",
                list(enumerate(leaves, start=1)),
            )
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
