"""Undo and redo, per coder: the log stores row images before and after a change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..errors import ProjectError
from .records import HistoryStep
from .rows import _expanded, _restore_rows
from .schema import _UNDOABLE, _now


class HistoryTable:
    """Undo and redo, per coder: the log stores row images before and after a change."""

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
        query = (
            f"SELECT * FROM undo_log WHERE undone = 0{whose} ORDER BY id DESC"
            if undo
            else f"SELECT * FROM undo_log WHERE undone = 1{whose} ORDER BY id"
        )
        expected, state = ("after", "before") if undo else ("before", "after")
        with self.transaction() as conn:
            entry = conn.execute(query + " LIMIT 1", () if coder is None else (coder,)).fetchone()
            if entry is None:
                return None
            changes = [_expanded(c) for c in json.loads(entry["changes"])]
            step = self._history_step(entry["action"], entry["coder"], changes)
            stale = self._stale(changes, expected)
            if stale:
                conn.execute("DELETE FROM undo_log WHERE id = ?", (entry["id"],))
            else:
                _restore_rows(conn, list(reversed(changes)) if undo else changes, state)
                self._refuse_orphans(step, changes, state, undo)
                conn.execute(
                    "UPDATE undo_log SET undone = ? WHERE id = ?", (1 if undo else 0, entry["id"])
                )
                if any(c["table"] == "codes" for c in changes):  # a code gone frees its key
                    conn.execute(
                        "DELETE FROM favourites WHERE code_id NOT IN (SELECT id FROM codes)"
                    )
        if stale:
            where = " · ".join(str(p) for p in (step.code_id, step.transcript) if p)
            raise ProjectError(
                f"cannot {'undo' if undo else 'redo'} {step.action!r}"
                f"{f' ({where})' if where else ''}: what it changed has been changed since by "
                "another coder or command; it stays as it is now, and this action has left "
                "the undo history"
            )
        return step

    def _refuse_orphans(
        self, step: HistoryStep, changes: Sequence[dict], state: str, undo: bool
    ) -> None:
        """Raise (so the caller's transaction rolls back) when replaying ``changes`` removed a
        code that codings made since still use: another coder coded with a renamed code, and
        undoing the rename would leave their codings on a code that no longer exists."""
        removed = [c["key"] for c in changes if c["table"] == "codes" and c[state] is None]
        if not removed:
            return
        used = self.conn.execute(
            "SELECT code_id, count(*) FROM codings WHERE code_id IN "
            "(SELECT value FROM json_each(?)) GROUP BY code_id",
            (json.dumps(removed),),
        ).fetchall()
        if used:
            codes = ", ".join(f"{code} ({n} codings)" for code, n in used)
            raise ProjectError(
                f"cannot {'undo' if undo else 'redo'} {step.action!r}: it would remove "
                f"{codes}, which codings made since still use; recode them first (qualcode "
                "codes merge or split), then try again; nothing was changed"
            )

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
                (json.dumps(values),),
            ):
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
        code_id = first.get("code_id") or (
            changes[0]["key"] if changes and changes[0]["table"] == "codes" else ""
        )
        sentence = 0
        if "start" in first and first.get("transcript_id") in names:
            sentence = self._sentence_number(first["transcript_id"], first["start"])
        return HistoryStep(
            action,
            coder,
            str(code_id or ""),
            names.get(first.get("transcript_id"), ""),
            sentence,
            tuple(touched),
        )

    def _sentence_number(self, transcript_id: int, offset: int) -> int:
        """The 1-based number of the last sentence of a transcript starting at or before
        ``offset`` (0: none). Sentences are numbered in text order, so this bisects over
        their primary key: a scan back from the last would read 100,000 rows of a long
        transcript (17 ms) where this reads 17."""
        lookup = self.conn.execute
        lo = 0
        hi = lookup(
            "SELECT coalesce(max(idx) + 1, 0) FROM sentences WHERE transcript_id = ?",
            (transcript_id,),
        ).fetchone()[0]
        while lo < hi:  # sentences before lo start at or before offset, from hi on after it
            mid = (lo + hi) // 2
            start = lookup(
                "SELECT start FROM sentences WHERE transcript_id = ? AND idx = ?",
                (transcript_id, mid),
            ).fetchone()[0]
            if start <= offset:
                lo = mid + 1
            else:
                hi = mid
        return lo
