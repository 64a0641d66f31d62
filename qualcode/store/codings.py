"""Coders, codings, auto-coding suggestions, bulk reads for reports, codings and memos exchanged with other programs."""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import ProjectError
from ..model import Coding
from ..progress import SILENT, Progress
from .records import CodingRecord, CodingsImport
from .rows import _unpack_ends
from .schema import _now


class CodingTable:
    """Coders, codings, auto-coding suggestions, bulk reads for reports, codings and
    memos exchanged with other programs."""

    # coders

    def ensure_coder(self, coder: str) -> None:
        if not coder.strip():
            raise ProjectError("a coder name is needed (e.g. --coder wang)")
        with self.transaction() as conn:  # not autocommit: it waits for another writer
            conn.execute("INSERT INTO coders VALUES (?, ?) ON CONFLICT DO NOTHING", (coder, _now()))

    def coders(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM coders ORDER BY name")]

    # codings

    def add_coding(
        self,
        transcript: str,
        start: int,
        end: int,
        code_id: str,
        coder: str,
        *,
        memo: str = "",
        status: str = "confirmed",
        rule: str = "",
        score: float | None = None,
        text_hash: str | None = None,
        text: bool = True,
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
            current = conn.execute(
                "SELECT hash FROM transcripts WHERE id = ?", (transcript_id,)
            ).fetchone()[0]
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
            self._log(
                "uncode",
                [{"table": "codings", "key": coding_id, "before": before, "after": None}],
                before["coder"],
            )
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
        self,
        suggestions: Iterable[tuple[str, int, int, str, str, float | None]],
        coder: str,
        *,
        dry_run: bool = False,
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

    def _new_suggestions(
        self, suggestions: Iterable[tuple[str, int, int, str, str, float | None]]
    ) -> list[tuple[str, int, int, str, str, float | None]]:
        transcripts = {
            row[0]: (row[1], row[2])
            for row in self.conn.execute("SELECT name, id, length(text) FROM transcripts")
        }
        known_codes = {row[0] for row in self.conn.execute("SELECT id FROM codes")}
        taken = set(
            map(
                tuple,
                self.conn.execute(
                    "SELECT transcript_id, start, end, code_id FROM codings "
                    "WHERE status IN ('confirmed', 'suggested', 'rejected')"
                ),
            )
        )
        new = []
        for suggestion in suggestions:
            transcript, start, end, code_id = suggestion[:4]
            if transcript not in transcripts:
                raise ProjectError(f"no transcript named {transcript!r}")
            transcript_id, length = transcripts[transcript]
            if not 0 <= start < end <= length:
                raise ProjectError(
                    f"characters {start}:{end} are not a span of {transcript} "
                    f"(it has {length} characters)"
                )
            if code_id not in known_codes:
                raise ProjectError(f"no code {code_id!r} in the project's codebook")
            key = (transcript_id, start, end, code_id)
            if key not in taken:
                taken.add(key)
                new.append(tuple(suggestion))
        return new  # type: ignore[return-value]

    def set_codings_status(
        self, coding_ids: Iterable[int], status: str, *, coder: str | None = None
    ) -> list[int]:
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
                    raise ProjectError(
                        f"coding {coding_id} is unplaced (its text was deleted "
                        "from a changed transcript); place it first"
                    )
                owner = coder if coder is not None and status == "confirmed" else before["coder"]
                if (
                    owner != before["coder"]
                    and conn.execute(
                        "SELECT 1 FROM codings WHERE transcript_id = ? AND start = ? AND end = ? "
                        "AND code_id = ? AND coder = ? AND status = ?",
                        (
                            before["transcript_id"],
                            before["start"],
                            before["end"],
                            before["code_id"],
                            owner,
                            status,
                        ),
                    ).fetchone()
                ):
                    conn.execute("DELETE FROM codings WHERE id = ?", (coding_id,))
                else:
                    conn.execute(
                        "UPDATE codings SET status = ?, coder = ?, changed = ? WHERE id = ?",
                        (status, owner, now, coding_id),
                    )
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
        self,
        transcript: str | None = None,
        *,
        coder: str | None = None,
        code_id: str | None = None,
        status: str | None = "confirmed",
        where: str = "",
        params: tuple = (),
        text: bool = True,
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
            Coding(
                r["id"],
                r["transcript"],
                r["start"],
                r["end"],
                r["code_id"],
                r["coder"],
                r["memo"],
                r["status"],
                r["text"],
                r["created"],
                r["changed"],
                r["rule"],
                r["score"],
            )
            for r in self.conn.execute(sql, values)
        ]

    def code_counts(self, coder: str | None = None) -> dict[str, int]:
        """Confirmed codings per code id (of one coder, or of everyone)."""
        sql = "SELECT code_id, count(*) FROM codings WHERE status = 'confirmed'"
        rows = (
            self.conn.execute(sql + " AND coder = ? GROUP BY code_id", (coder,))
            if coder is not None
            else self.conn.execute(sql + " GROUP BY code_id")
        )
        return dict(rows.fetchall())

    def context(self, transcript: str, start: int, end: int, width: int = 30) -> tuple[str, str]:
        """Up to ``width`` characters before ``start`` and after ``end``, within one line."""
        text = self.conn.execute(
            "SELECT substr(text, ?, ?) FROM transcripts WHERE name = ?",
            (
                max(0, start - width) + 1,
                end - max(0, start - width) + width,
                self.resolve(transcript),
            ),
        ).fetchone()[0]
        offset = start - max(0, start - width)
        before, after = text[:offset], text[offset + end - start :]
        return before.rsplit("\n", 1)[-1], after.split("\n", 1)[0]

    # bulk reads for reports and agreement; codings brought in from a coder's copy

    def coding_rows(
        self,
        *,
        coders: Sequence[str] | None = None,
        statuses: Sequence[str] | None = ("confirmed",),
    ) -> list[tuple[str, int, int, str, str]]:
        """``(transcript, start, end, code_id, coder)`` of every coding with one of
        ``statuses`` (any status when None), of ``coders`` only when given: plain tuples
        without the text, in no set order, for reports over many codings (sorting 100,000
        would double the time)."""
        where, values = _status_and_coder(statuses, coders, "c.")
        cursor = self.conn.cursor()
        cursor.row_factory = None  # tuples: several times faster than sqlite3.Row here
        return cursor.execute(
            "SELECT t.name, c.start, c.end, c.code_id, c.coder FROM codings c "
            "JOIN transcripts t ON t.id = c.transcript_id" + where,
            values,
        ).fetchall()

    def coding_columns(
        self,
        *,
        coders: Sequence[str] | None = None,
        statuses: Sequence[str] | None = ("confirmed",),
    ) -> tuple[list[int], list[int], list[str], list[str]]:
        """The codings of :meth:`coding_rows` as four columns, in no set order: transcript
        ids (:meth:`transcript_names_by_id` names them), spans as ``start << 32 | end``,
        code ids, coders. For reports that count with numpy: four JSON arrays built by
        SQLite from the covering index and parsed in C take half the time of 100,000 row
        tuples."""
        where, values = _status_and_coder(statuses, coders)
        row = self.conn.execute(
            "SELECT json_group_array(transcript_id), json_group_array((start << 32) | end), "
            "json_group_array(code_id), json_group_array(coder) FROM codings" + where,
            values,
        ).fetchone()
        ids, spans, codes, coders_ = (json.loads(column) for column in row)
        return ids, spans, codes, coders_

    def memo_coding_rows(
        self,
        *,
        coders: Sequence[str] | None = None,
        statuses: Sequence[str] | None = ("confirmed",),
    ) -> list[tuple[int, str, int, int, str, str, str]]:
        """``(id, transcript, start, end, code_id, coder, memo)`` of every coding with one of
        ``statuses``, of ``coders`` only when given: :meth:`coding_rows` with the id and the
        memo, for the quotes report (no text: the few quotes shown are cut from
        :meth:`transcript_texts`)."""
        where, values = _status_and_coder(statuses, coders, "c.")
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(
            "SELECT c.id, t.name, c.start, c.end, c.code_id, c.coder, c.memo FROM codings c "
            "JOIN transcripts t ON t.id = c.transcript_id" + where,
            values,
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
        return {
            name: self.conn.execute(
                "SELECT text FROM transcripts WHERE name = ?", (name,)
            ).fetchone()[0]
            for name in names
        }

    def word_ends(self) -> dict[str, array]:
        """Transcript name -> the end offsets of its words (int32, tiling the text, as
        :attr:`StoredTranscript.word_ends`), for every transcript in one query."""
        rows = self.conn.execute(
            "SELECT t.name, length(t.text), (SELECT words FROM segmentations s WHERE s.hash = "
            "t.hash ORDER BY rowid DESC LIMIT 1) FROM transcripts t ORDER BY t.name"
        ).fetchall()
        return {
            name: _unpack_ends(words) if words else array("i", [length])
            for name, length, words in rows
        }

    def transcript_hashes(self) -> dict[str, str]:
        """Transcript name -> SHA-256 of its stored text, which codings files are matched by."""
        return dict(self.conn.execute("SELECT name, hash FROM transcripts ORDER BY name"))

    def import_codings(
        self, records: Iterable[CodingRecord], coder: str, *, progress: Progress = SILENT
    ) -> CodingsImport:
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
                    name, reason = (
                        None,
                        (
                            "re-anchoring left this coding unplaced in the copy "
                            "it comes from; place it there and export again"
                        ),
                    )
                if name is not None and name not in texts:
                    texts[name] = tuple(
                        conn.execute(  # type: ignore[assignment]
                            "SELECT id, text FROM transcripts WHERE name = ?", (name,)
                        ).fetchone()
                    )
                if name is not None:
                    transcript_id, text = texts[name]
                    if not 0 <= record.start < record.end <= len(text):
                        reason = (
                            f"characters {record.start}:{record.end} are outside "
                            f"{name} ({len(text)} characters)"
                        )
                    elif record.text and text[record.start : record.end] != record.text:
                        reason = (
                            f"the text at {record.start}:{record.end} of {name} is not "
                            "the text this coding was made on"
                        )
                    elif record.code_id not in known_codes:
                        reason = (
                            f"no code {record.code_id!r} in this project's codebook; add "
                            "it (or import the other copy's codebook) and import again"
                        )
                if reason:
                    result.unplaced.append((record, reason))
                    continue
                status = (
                    record.status
                    if record.status in ("confirmed", "suggested", "rejected")
                    else "confirmed"
                )
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
                    (
                        transcript_id,
                        record.start,
                        record.end,
                        record.code_id,
                        coder,
                        record.memo,
                        status,
                        now,
                        now,
                    ),
                ).lastrowid
                changes.append(self._change("codings", coding_id, None))
                result.added += 1
            if changes:
                self._log("import codings", changes, coder)
        return result

    def _place(self, record: CodingRecord, by_hash: dict[str, list[str]]) -> tuple[str | None, str]:
        """The transcript a codings-file record belongs to, or None and why not."""
        if record.transcript_hash:
            names = by_hash.get(record.transcript_hash, [])
            if record.transcript in names or len(names) == 1:
                return (record.transcript if record.transcript in names else names[0]), ""
            if names:
                return None, (
                    f"its text occurs as {', '.join(names)}, none named {record.transcript!r}"
                )
            if self.conn.execute(
                "SELECT 1 FROM transcripts WHERE name = ?", (record.transcript,)
            ).fetchone():
                return None, (
                    f"{record.transcript} differs from the text this coding was "
                    "made on (another version of the transcript)"
                )
            return None, f"no transcript with the text of {record.transcript!r} in this project"
        row = self.conn.execute(
            "SELECT 1 FROM transcripts WHERE name = ?", (record.transcript,)
        ).fetchone()
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
        return {key[len(prefix) :]: value for key, value in rows}

    def set_exchange_guids(self, kind: str, guids: dict[str, str]) -> None:
        """Record the GUIDs another program gave codes, sources or users (see above)."""
        with self.transaction():
            for key, guid in guids.items():
                self._set_meta(f"refi.{kind}.{key}", guid)

    def case_transcripts(self) -> dict[str, str | None]:
        """Case name -> the name of its transcript (None for a case without one)."""
        return {
            row[0]: row[1]
            for row in self.conn.execute(
                "SELECT c.name, t.name FROM cases c LEFT JOIN transcripts t "
                "ON t.id = c.transcript_id ORDER BY c.name"
            )
        }

    def memos(self) -> list[dict[str, Any]]:
        """Every memo on a transcript or on the whole project (``transcript`` None), oldest
        first: dicts with transcript, coder, text, created, changed."""
        return [
            dict(row)
            for row in self.conn.execute(
                "SELECT t.name AS transcript, m.coder, m.text, m.created, m.changed "
                "FROM memos m LEFT JOIN transcripts t ON t.id = m.transcript_id "
                "ORDER BY m.id"
            )
        ]

    def add_imported_memo(
        self, transcript: str | None, coder: str, text: str, *, created: str = "", changed: str = ""
    ) -> None:
        """Store a memo another program recorded, on a transcript or (``transcript`` None) on
        the whole project, keeping its times; not undoable (it builds a project from an
        import). A coder's second memo on the same transcript is appended to the first."""
        transcript_id = self._transcript_id(transcript) if transcript is not None else None
        created = created or _now()
        with self.transaction() as conn:
            if coder:
                self.ensure_coder(coder)
            row = (
                conn.execute(
                    "SELECT id, text FROM memos WHERE transcript_id = ? AND coder = ?",
                    (transcript_id, coder),
                ).fetchone()
                if transcript_id is not None
                else None
            )
            if row:
                conn.execute(
                    "UPDATE memos SET text = ?, changed = ? WHERE id = ?",
                    (f"{row['text']}\n\n{text}", changed or created, row["id"]),
                )
                return
            conn.execute(
                "INSERT INTO memos (transcript_id, coder, text, created, changed) "
                "VALUES (?,?,?,?,?)",
                (transcript_id, coder, text, created, changed or created),
            )

    def add_imported_codings(self, codings: Iterable[Coding]) -> int:
        """Store codings another program recorded, with their coders, memos and times, in one
        transaction and not in the undo log (it builds a project from an import). Spans and
        codes are checked as :meth:`add_coding` checks them; returns how many were stored."""
        lengths = {
            row[0]: (row[1], row[2])
            for row in self.conn.execute("SELECT name, id, length(text) FROM transcripts")
        }
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
                        f"{coding.transcript} (it has {length} characters)"
                    )
                if coding.code_id not in known_codes:
                    raise ProjectError(f"no code {coding.code_id!r} in the project's codebook")
                self.ensure_coder(coding.coder)
                created = coding.created or _now()
                conn.execute(
                    "INSERT INTO codings (transcript_id, start, end, code_id, coder, memo, "
                    "status, created, changed) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        transcript_id,
                        coding.start,
                        coding.end,
                        coding.code_id,
                        coding.coder,
                        coding.memo,
                        coding.status,
                        created,
                        coding.changed or created,
                    ),
                )
                count += 1
        return count


def _status_and_coder(
    statuses: Sequence[str] | None, coders: Sequence[str] | None, prefix: str = ""
) -> tuple[str, list[str]]:
    """`` WHERE …`` keeping codings with one of ``statuses`` (any when None) by one of
    ``coders`` (anyone when None), and its values; ``prefix`` names the codings table."""
    clauses: list[str] = []
    values: list[str] = []
    for column, wanted in (("status", statuses), ("coder", coders)):
        if wanted is not None:
            clauses.append(f"{prefix}{column} IN ({', '.join('?' * len(wanted))})")
            values.extend(wanted)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), values
