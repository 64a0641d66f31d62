"""Texts rewritten by known edits (qualcode.privacy), and the key kept apart."""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Callable, Iterable
from hashlib import sha256

from ..errors import ProjectError
from .rows import _pack_spans, _unpack_ends, _unpack_spans
from .schema import _now


class RedactionTable:
    """Texts rewritten by known edits (qualcode.privacy), and the key kept apart."""

    # redaction (qualcode.privacy): texts rewritten by known edits, and the key kept apart

    def rewrite_transcript(
        self,
        name: str,
        text: str,
        move: Callable[[int, bool], int],
        *,
        speakers: Callable[[str], str] | None = None,
    ) -> None:
        """Replace transcript ``name``'s text by ``text``, made from it by edits known exactly:
        ``move(position, is_end)`` carries a position of the old text onto the new one (a
        start inside an edited stretch goes to where its replacement begins, an end to where
        it ends). Its header, turns (speakers renamed by ``speakers``), sentences, words and
        every coding, whatever its status, move with it, keeping coders, memos, statuses and
        times; in the caller's transaction or its own. The undo history of its codings is
        dropped, as on a re-import: it holds offsets into the old text."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id, hash, header_start, header_end FROM transcripts WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise ProjectError(f"no transcript named {name!r}")
            transcript_id = row["id"]
            header = (
                (move(row["header_start"], False), move(row["header_end"], True))
                if row["header_start"] is not None
                else (None, None)
            )
            new_hash = sha256(text.encode("utf-8")).hexdigest()
            conn.execute(
                "UPDATE transcripts SET text = ?, hash = ?, header_start = ?, header_end = ? "
                "WHERE id = ?",
                (text, new_hash, *header, transcript_id),
            )
            rename = speakers or (lambda speaker: speaker)
            conn.executemany(
                "UPDATE turns SET start = ?, end = ?, body_start = ?, speaker = ? "
                "WHERE transcript_id = ? AND idx = ?",
                [
                    (
                        move(r["start"], False),
                        move(r["end"], True),
                        move(r["body_start"], False),
                        rename(r["speaker"]),
                        transcript_id,
                        r["idx"],
                    )
                    for r in conn.execute(
                        "SELECT * FROM turns WHERE transcript_id = ?", (transcript_id,)
                    ).fetchall()
                ],
            )
            # The speakers' rows follow their new names (two renamed alike become one).
            renamed: dict[str, sqlite3.Row] = {}
            for r in conn.execute(
                "SELECT * FROM speakers WHERE transcript_id = ? ORDER BY position", (transcript_id,)
            ).fetchall():
                renamed.setdefault(rename(r["name"]), r)
            conn.execute("DELETE FROM speakers WHERE transcript_id = ?", (transcript_id,))
            conn.executemany(
                "INSERT INTO speakers (transcript_id, name, position, role, role_set, "
                "description) VALUES (?,?,?,?,?,?)",
                [
                    (
                        transcript_id,
                        new_name,
                        r["position"],
                        r["role"],
                        r["role_set"],
                        r["description"],
                    )
                    for new_name, r in renamed.items()
                ],
            )
            conn.executemany(
                "UPDATE sentences SET start = ?, end = ? WHERE transcript_id = ? AND idx = ?",
                [
                    (move(r["start"], False), move(r["end"], True), transcript_id, r["idx"])
                    for r in conn.execute(
                        "SELECT * FROM sentences WHERE transcript_id = ?", (transcript_id,)
                    ).fetchall()
                ],
            )
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
                    (
                        new_hash,
                        signature,
                        ends.tobytes(),
                        _pack_spans(
                            (move(s, False), move(e, True), turn)
                            for s, e, turn in _unpack_spans(sentences)
                        ),
                    ),
                )
            conn.executemany(
                "UPDATE codings SET start = ?, end = ? WHERE id = ?",
                [
                    (move(r["start"], False), move(r["end"], True), r["id"])
                    for r in conn.execute(
                        "SELECT id, start, end FROM codings WHERE transcript_id = ?",
                        (transcript_id,),
                    ).fetchall()
                ],
            )
            conn.execute(
                "DELETE FROM undo_log WHERE id IN (SELECT u.id FROM undo_log u, "
                "json_each(u.changes) c WHERE json_extract(c.value, '$.table') = 'codings' AND "
                "? IN (json_extract(c.value, '$.before.transcript_id'), "
                "json_extract(c.value, '$.after.transcript_id')))",
                (transcript_id,),
            )

    def rewrite_notes(self, replace: Callable[[str], str]) -> None:
        """Pass the project's free texts through ``replace``: memos, coding and code memos, the
        text unplaced or changed codings had, and transcripts' metadata and source paths; then
        forget what still holds old text: the undo history (row images) and segmentations of
        texts no transcript has any more. In the caller's transaction or its own."""
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE memos SET text = ? WHERE id = ?",
                [
                    (replace(text), memo_id)
                    for memo_id, text in conn.execute("SELECT id, text FROM memos").fetchall()
                ],
            )
            conn.executemany(
                "UPDATE code_memos SET text = ? WHERE id = ?",
                [
                    (replace(text), memo_id)
                    for memo_id, text in conn.execute("SELECT id, text FROM code_memos").fetchall()
                ],
            )
            conn.executemany(
                "UPDATE codings SET memo = ?, original_text = ? WHERE id = ?",
                [
                    (
                        replace(r["memo"]),
                        None if r["original_text"] is None else replace(r["original_text"]),
                        r["id"],
                    )
                    for r in conn.execute(
                        "SELECT id, memo, original_text FROM codings WHERE memo != '' "
                        "OR original_text IS NOT NULL"
                    ).fetchall()
                ],
            )
            conn.executemany(
                "UPDATE transcripts SET metadata = ?, source_path = ? WHERE id = ?",
                [
                    (
                        json.dumps(
                            {key: replace(value) for key, value in json.loads(r[1]).items()},
                            ensure_ascii=False,
                        ),
                        replace(r[2]),
                        r[0],
                    )
                    for r in conn.execute(
                        "SELECT id, metadata, source_path FROM transcripts"
                    ).fetchall()
                ],
            )
            conn.execute("DELETE FROM undo_log")
            conn.execute(
                "DELETE FROM segmentations WHERE hash NOT IN (SELECT hash FROM transcripts)"
            )

    def redaction_key(self) -> list[tuple[str, str, str, str]]:
        """The stored key of earlier redactions: ``(kind, value, pseudonym, original)`` for each
        distinct value (normalised, e.g. a phone number's digits) and the text it was first
        found as; kind ``keep`` lists words never to redact. Read by nothing that exports."""
        return [
            tuple(row)
            for row in self.conn.execute(  # type: ignore[misc]
                "SELECT kind, value, pseudonym, original FROM redaction_key ORDER BY kind, value"
            )
        ]

    def add_to_redaction_key(self, entries: Iterable[tuple[str, str, str, str]]) -> None:
        """Record ``(kind, value, pseudonym, original)`` entries; a value already there keeps
        its pseudonym."""
        with self.transaction() as conn:
            now = _now()
            conn.executemany(
                "INSERT INTO redaction_key VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                [(*entry, now) for entry in entries],
            )

    def clear_redaction_key(self) -> None:
        """Forget the key (a redacted copy must not carry it)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM redaction_key")
