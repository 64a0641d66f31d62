"""Memos on transcripts, codes and the project; where each coder stopped; reviews."""

from __future__ import annotations

from ..errors import ProjectError
from .records import Memo
from .schema import _now


class MemoTable:
    """Memos on transcripts, codes and the project; where each coder stopped; reviews."""

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
            row = conn.execute(
                "SELECT id FROM memos WHERE transcript_id IS NULL AND coder = ? "
                "ORDER BY id LIMIT 1",
                (coder,),
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
                    "VALUES (NULL, ?, ?, ?, ?)",
                    (coder, text, _now(), _now()),
                ).lastrowid
                self._log("memo", [self._change("memos", memo_id, None)], coder)

    def project_memo(self, coder: str) -> str:
        """This coder's memo on the whole project ("" if none)."""
        row = self.conn.execute(
            "SELECT text FROM memos WHERE transcript_id IS NULL AND coder = ? ORDER BY id LIMIT 1",
            (coder,),
        ).fetchone()
        return row[0] if row else ""

    def set_code_memo(self, code_id: str, coder: str, text: str) -> None:
        """Write (or replace) this coder's memo on a code; an empty text removes it. Undoable;
        an unknown code id is an error."""
        self.require_code(code_id)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM code_memos WHERE code_id = ? AND coder = ?", (code_id, coder)
            ).fetchone()
            if row:
                before = self._row("code_memos", row[0])
                if text.strip():
                    conn.execute(
                        "UPDATE code_memos SET text = ?, changed = ? WHERE id = ?",
                        (text, _now(), row[0]),
                    )
                else:
                    conn.execute("DELETE FROM code_memos WHERE id = ?", (row[0],))
                self._log("memo", [self._change("code_memos", row[0], before)], coder)
            elif text.strip():
                memo_id = conn.execute(
                    "INSERT INTO code_memos (code_id, coder, text, created, changed) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (code_id, coder, text, _now(), _now()),
                ).lastrowid
                self._log("memo", [self._change("code_memos", memo_id, None)], coder)

    def code_memo(self, code_id: str, coder: str) -> str:
        """This coder's memo on a code ("" if none)."""
        row = self.conn.execute(
            "SELECT text FROM code_memos WHERE code_id = ? AND coder = ?", (code_id, coder)
        ).fetchone()
        return row[0] if row else ""

    def code_memos(self, coder: str) -> dict[str, str]:
        """This coder's memos on codes: code id -> memo."""
        return dict(
            self.conn.execute(
                "SELECT code_id, text FROM code_memos WHERE coder = ? AND text != ''", (coder,)
            )
        )

    def all_memos(self) -> list[Memo]:
        """Every memo with text, as a memo browser lists them: the project's, then the codes'
        (in codebook order), then per transcript its memos and its codings' memos in text
        order. Memos of rejected suggestions are left out."""
        order = {code.id: i for i, (code, _, _) in enumerate(self.codebook().walk())}
        found: list[tuple[tuple, Memo]] = []
        for r in self.conn.execute(
            "SELECT coder, text, changed FROM memos "
            "WHERE transcript_id IS NULL AND text != '' ORDER BY id"
        ):
            found.append(((0,), Memo("project", r["coder"], r["text"], r["changed"])))
        for r in self.conn.execute(
            "SELECT code_id, coder, text, changed FROM code_memos WHERE text != ''"
        ):
            found.append(
                (
                    (1, order.get(r["code_id"], len(order)), r["code_id"], r["coder"]),
                    Memo("code", r["coder"], r["text"], r["changed"], code_id=r["code_id"]),
                )
            )
        for r in self.conn.execute(
            "SELECT t.name, m.coder, m.text, m.changed FROM memos m "
            "JOIN transcripts t ON t.id = m.transcript_id WHERE m.text != ''"
        ):
            found.append(
                (
                    (2, r["name"], -1, r["coder"]),
                    Memo("transcript", r["coder"], r["text"], r["changed"], transcript=r["name"]),
                )
            )
        for c in self.codings(status=None, where="c.memo != '' AND c.status != 'rejected'"):
            found.append(
                (
                    (2, c.transcript, c.start, c.coder),
                    Memo(
                        "coding",
                        c.coder,
                        c.memo,
                        c.changed,
                        c.transcript,
                        c.start,
                        c.end,
                        c.code_id,
                        c.id,
                        c.text,
                    ),
                )
            )
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
                "changed = excluded.changed",
                (coder, transcript_id, cursor, _now()),
            )

    def position(self, coder: str) -> tuple[str, int] | None:
        """The transcript and cursor offset where ``coder`` stopped, or None (never coded
        here, or the transcript is gone)."""
        row = self.conn.execute(
            "SELECT t.name, p.cursor FROM positions p JOIN transcripts t "
            "ON t.id = p.transcript_id WHERE p.coder = ?",
            (coder,),
        ).fetchone()
        return (row[0], row[1]) if row else None

    # transcripts a coder has reviewed (read through: no coding there means no code applies)

    def set_reviewed(self, transcript: str, coder: str, reviewed: bool = True) -> bool:
        """Mark (or, with ``reviewed=False``, unmark) ``transcript`` as reviewed by ``coder``,
        undoably; returns whether anything changed (it was not already so)."""
        if not coder.strip():
            raise ProjectError("give the coder who reviewed the transcript: --coder NAME")
        transcript_id = self._transcript_id(self.resolve(transcript))
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM reviews WHERE transcript_id = ? AND coder = ?",
                (transcript_id, coder),
            ).fetchone()
            if reviewed and row is None:
                self.ensure_coder(coder)
                review_id = conn.execute(
                    "INSERT INTO reviews (transcript_id, coder, created) VALUES (?, ?, ?)",
                    (transcript_id, coder, _now()),
                ).lastrowid
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
            (coder,) if coder is not None else (),
        ).fetchall()
        return {(c, name) for c, name in rows}
