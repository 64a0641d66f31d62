"""Transcripts with their turns, sentences and words; cases and attributes."""

from __future__ import annotations

import gc
import json
from array import array
from collections.abc import Sequence
from itertools import chain
from typing import Any

from ..errors import ProjectError
from ..model import ParsedTranscript, Span, Turn
from ..reanchor import Anchorer, Opcode, ReanchorReport
from .records import (
    ImportResult,
    PreparedImport,
    Sentence,
    Sentences,
    Speaker,
    StoredTranscript,
    TranscriptSummary,
)
from .rows import _count_touched_keys, _ints, _unpack_ends
from .schema import _now


class TranscriptTable:
    """Transcripts with their turns, sentences and words; cases and attributes."""

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
        raise ProjectError(
            f"{name!r} names several transcripts: {', '.join(matches)}; be more specific"
        )

    def _transcript_id(self, name: str) -> int:
        row = self.conn.execute(
            "SELECT id FROM transcripts WHERE name = ?", (self.resolve(name),)
        ).fetchone()
        return row[0]

    def stored_hash(self, name: str) -> tuple[int, str] | None:
        """(id, text hash) of the transcript named exactly ``name``, or None."""
        row = self.conn.execute(
            "SELECT id, hash FROM transcripts WHERE name = ?", (name,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def coded_text(self, transcript_id: int) -> str | None:
        """The stored text of a transcript that has codings (to re-anchor them when the text
        is replaced); None when no coding points into it."""
        if (
            self.conn.execute(
                "SELECT 1 FROM codings WHERE transcript_id = ? LIMIT 1", (transcript_id,)
            ).fetchone()
            is None
        ):
            return None
        return self.conn.execute(
            "SELECT text FROM transcripts WHERE id = ?", (transcript_id,)
        ).fetchone()[0]

    def stored_segmentation(self, digest: str, signature: str) -> tuple[bytes, bytes] | None:
        """The packed (word ends, sentences) of the text with this hash, as a segmenter with
        this signature cut it, if this project has segmented it before."""
        row = self.conn.execute(
            "SELECT words, sentences FROM segmentations WHERE hash = ? AND signature = ?",
            (digest, signature),
        ).fetchone()
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
                name,
                parsed.text,
                prepared.hash,
                prepared.source_path,
                parsed.format,
                parsed.encoding,
                json.dumps(parsed.metadata, ensure_ascii=False),
                header.start if header else None,
                header.end if header else None,
                json.dumps(parsed.warnings, ensure_ascii=False),
                _now(),
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
                    "warnings = ?, imported = ? WHERE id = ?",
                    (*row, transcript_id),
                )
                conn.execute("DELETE FROM sentences WHERE transcript_id = ?", (transcript_id,))
                opcodes = prepared.opcodes if prepared.old_hash == old["hash"] else None
                report = self._reanchor_codings(transcript_id, old["text"], parsed.text, opcodes)
            else:
                transcript_id = conn.execute(
                    "INSERT INTO transcripts (name, text, hash, source_path, format, encoding, "
                    "metadata, header_start, header_end, warnings, imported) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    row,
                ).lastrowid
            speakers = self.write_turns(transcript_id, parsed)
            # Streamed: a 200 MB transcript has millions of sentences.
            flat = iter(sentence_ints)
            conn.executemany(
                "INSERT INTO sentences VALUES (?,?,?,?,?)",
                (
                    (transcript_id, i, s, e, turn)
                    for i, (s, e, turn) in enumerate(zip(flat, flat, flat))
                ),
            )
            conn.execute(
                "INSERT OR IGNORE INTO segmentations VALUES (?,?,?,?)",
                (prepared.hash, prepared.signature, prepared.words, prepared.sentences),
            )
            if case is not None:
                conn.execute("INSERT INTO cases (name) VALUES (?) ON CONFLICT DO NOTHING", (case,))
                conn.execute(
                    "UPDATE transcripts SET case_id = "
                    "(SELECT id FROM cases WHERE name = ?) WHERE id = ?",
                    (case, transcript_id),
                )
            elif own := conn.execute("SELECT id FROM cases WHERE name = ?", (name,)).fetchone():
                conn.execute(
                    "UPDATE cases SET transcript_id = ? WHERE id = ?", (transcript_id, own[0])
                )
            else:
                conn.execute(
                    "INSERT INTO cases (name, transcript_id) VALUES (?, ?)", (name, transcript_id)
                )
        return ImportResult(
            name,
            "added" if old is None else "replaced",
            len(parsed.turns),
            len(sentence_ints) // 3,
            segmented=prepared.segmented,
            warnings=list(parsed.warnings),
            reanchored=report,
            speakers=speakers,
        )

    def write_turns(self, transcript_id: int, parsed: ParsedTranscript) -> list[Speaker]:
        """Replace a transcript's turns (with their start times) and speakers by those of
        ``parsed``, in the caller's transaction or its own. Each speaker's role is the one the
        researcher set for it in this transcript, else the one set for that name in every
        transcript (:meth:`set_speaker_role` without a transcript), else the guess of
        :func:`qualcode.roles.guess_roles`. Returns the speakers as stored."""
        from ..roles import guess_roles

        with self.transaction() as conn:
            kept = dict(
                conn.execute(
                    "SELECT name, role FROM speakers WHERE transcript_id = ? AND role_set = 1",
                    (transcript_id,),
                ).fetchall()
            )
            everywhere = self.project_speaker_roles()
            conn.execute("DELETE FROM turns WHERE transcript_id = ?", (transcript_id,))
            conn.execute("DELETE FROM speakers WHERE transcript_id = ?", (transcript_id,))
            conn.executemany(
                "INSERT INTO turns (transcript_id, idx, start, end, body_start, speaker, "
                "timestamp, seconds) VALUES (?,?,?,?,?,?,?,?)",
                (
                    (
                        transcript_id,
                        i,
                        t.start,
                        t.end,
                        t.body_start,
                        t.speaker,
                        t.timestamp,
                        t.seconds,
                    )
                    for i, t in enumerate(parsed.turns)
                ),
            )
            counts: dict[str, int] = {}
            for turn in parsed.turns:
                counts[turn.speaker] = counts.get(turn.speaker, 0) + 1
            guesses = guess_roles(list(counts), parsed.speaker_descriptions)
            speakers = []
            for name, turns in counts.items():
                role_set = name in kept or name in everywhere
                role = kept.get(name) or everywhere.get(name) or guesses[name].role
                speakers.append(
                    Speaker(name, role, parsed.speaker_descriptions.get(name, ""), turns, role_set)
                )
            conn.executemany(
                "INSERT INTO speakers (transcript_id, name, position, role, role_set, "
                "description) VALUES (?,?,?,?,?,?)",
                [
                    (transcript_id, s.name, i, s.role, int(s.role_set), s.description)
                    for i, s in enumerate(speakers)
                ],
            )
        return speakers

    def speakers(self, transcript: str | None = None) -> dict[str, list[Speaker]]:
        """Transcript name -> its speakers in order of first appearance, with role,
        description and turn count; of every transcript with turns (by name), or of
        ``transcript`` (name or unique prefix) only."""
        where, params = (
            ("WHERE t.name = ?", (self.resolve(transcript),)) if transcript else ("", ())
        )
        found: dict[str, list[Speaker]] = {}
        for row in self.conn.execute(
            "SELECT t.name AS transcript, s.name, s.role, s.description, s.role_set, "
            "(SELECT count(*) FROM turns u WHERE u.transcript_id = s.transcript_id "
            "AND u.speaker = s.name) AS turns FROM speakers s "
            f"JOIN transcripts t ON t.id = s.transcript_id {where} "
            "ORDER BY t.name, s.position",
            params,
        ):
            found.setdefault(row["transcript"], []).append(
                Speaker(
                    row["name"],
                    row["role"],
                    row["description"],
                    row["turns"],
                    bool(row["role_set"]),
                )
            )
        return found

    def set_speaker_role(self, transcript: str | None, speaker: str, role: str) -> list[str]:
        """Set ``speaker``'s role in ``transcript`` (name or unique prefix), or with
        ``transcript`` None in every transcript where that name speaks and in those imported
        later. The role is kept when the transcript is imported again. Returns the names of
        the transcripts changed; a speaker no transcript (or not this one) has is an error
        naming the speakers there are."""
        from ..roles import check_role

        role = check_role(role)
        with self.transaction() as conn:
            if transcript is not None:
                name = self.resolve(transcript)
                ids = [
                    row[0]
                    for row in conn.execute(
                        "SELECT s.transcript_id FROM speakers s JOIN transcripts t ON "
                        "t.id = s.transcript_id WHERE t.name = ? AND s.name = ?",
                        (name, speaker),
                    )
                ]
                if not ids:
                    known = [s.name for s in self.speakers(name).get(name, [])]
                    raise ProjectError(
                        f"{name} has no speaker {speaker!r}; its speakers are: "
                        f"{', '.join(map(repr, known)) or 'none'}"
                    )
            else:
                ids = [
                    row[0]
                    for row in conn.execute(
                        "SELECT transcript_id FROM speakers WHERE name = ?", (speaker,)
                    )
                ]
                if not ids:
                    known = sorted({r[0] for r in conn.execute("SELECT name FROM speakers")})
                    raise ProjectError(
                        f"no transcript has a speaker {speaker!r}; the speakers "
                        f"are: {', '.join(map(repr, known)) or 'none'}"
                    )
                roles = {**self.project_speaker_roles(), speaker: role}
                self._set_meta("setting.speaker_roles", json.dumps(roles, ensure_ascii=False))
            conn.executemany(
                "UPDATE speakers SET role = ?, role_set = 1 WHERE transcript_id = ? AND name = ?",
                [(role, i, speaker) for i in ids],
            )
            return [
                row[0]
                for row in conn.execute(
                    f"SELECT name FROM transcripts WHERE id IN ({', '.join('?' * len(ids))}) "
                    "ORDER BY name",
                    ids,
                )
            ]

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

    def _reanchor_codings(
        self, transcript_id: int, old_text: str, new_text: str, opcodes: list[Opcode] | None
    ) -> ReanchorReport:
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
            "json_extract(c.value, '$.after.transcript_id')))",
            (transcript_id,),
        )
        rows = conn.execute(
            "SELECT id, start, end, status, original_text FROM codings WHERE transcript_id = ?",
            (transcript_id,),
        ).fetchall()
        if not rows:
            return report
        if not new_text:
            raise ProjectError(
                f"the new text is empty, so the {len(rows)} codings on the old "
                "one would have nowhere to go; import a file with the transcript"
            )
        anchorer = Anchorer(old_text, new_text, opcodes)
        now = _now()
        for row in rows:
            was_unplaced = row["status"] == "unplaced"
            placement = anchorer.place(
                row["start"], row["end"], row["original_text"] if was_unplaced else None
            )
            report.count(placement.outcome)
            span = (placement.start, placement.end)
            if was_unplaced and placement.outcome != "unplaced":  # its text is back
                conn.execute(
                    "UPDATE codings SET start = ?, end = ?, changed = ?, "
                    "status = coalesce(original_status, 'confirmed') WHERE id = ?",
                    (*span, now, row["id"]),
                )
            elif placement.outcome in ("stayed", "moved") or was_unplaced:
                conn.execute(
                    "UPDATE codings SET start = ?, end = ? WHERE id = ?", (*span, row["id"])
                )
            else:  # changed, or unplaced now: keep where it was and what it said
                conn.execute(
                    "UPDATE codings SET start = ?, end = ?, changed = ?, original_start = ?, "
                    "original_end = ?, original_text = ?, status = ?, original_status = ? "
                    "WHERE id = ?",
                    (
                        *span,
                        now,
                        row["start"],
                        row["end"],
                        old_text[row["start"] : row["end"]],
                        "unplaced" if placement.outcome == "unplaced" else row["status"],
                        row["status"],
                        row["id"],
                    ),
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
                    "WHERE transcript_id = ? ORDER BY idx",
                    (row["id"],),
                )
            ]
            flat = array(
                "i",
                chain.from_iterable(
                    cursor.execute(
                        "SELECT start, end, turn_idx FROM sentences WHERE transcript_id = ? "
                        "ORDER BY idx",
                        (row["id"],),
                    )
                ),
            )
        finally:
            if collecting:
                gc.enable()
        sentences = Sentences(text, flat[0::3], flat[1::3], flat[2::3], turns)
        words = self.conn.execute(
            "SELECT words FROM segmentations WHERE hash = ? ORDER BY rowid DESC LIMIT 1",
            (row["hash"],),
        ).fetchone()
        header = (
            Span(row["header_start"], row["header_end"])
            if row["header_start"] is not None
            else None
        )
        return StoredTranscript(
            id=row["id"],
            name=name,
            text=text,
            hash=row["hash"],
            format=row["format"],
            source_path=row["source_path"],
            metadata=json.loads(row["metadata"]),
            header=header,
            turns=turns,
            sentences=sentences,
            word_ends=_unpack_ends(words[0]) if words else array("i", [len(text)]),
            speakers=self.speakers(name).get(name, []),
        )

    def summaries(
        self, name: str | None = None, coder: str | None = None
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
            """,
            [known, coder, coder, *params] if coder else [known, *params],
        ).fetchall()
        summaries = []
        for (
            name_,
            format_,
            shape,
            characters,
            turns,
            n_sentences,
            spans_json,
            packed,
            transcript_id,
            case,
            attributes_json,
        ) in rows:
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
            summaries.append(
                TranscriptSummary(
                    name_,
                    format_,
                    turns,
                    n_sentences,
                    characters,
                    coded,
                    len(spans),
                    case,
                    dict(json.loads(attributes_json)) if attributes_json else {},
                )
            )
        return summaries

    def _sentence_bounds(
        self, transcript_id: int, packed: bytes | None, count: int
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
            (transcript_id,),
        ).fetchall()
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
                "ON CONFLICT DO NOTHING",
                [(name,) for name in names],
            )
            conn.executemany(
                "INSERT INTO cases (name) VALUES (?) ON CONFLICT DO NOTHING",
                [(case_name,) for case_name in table],
            )
            case_ids = dict(conn.execute("SELECT name, id FROM cases"))
            conn.executemany(
                "INSERT INTO attributes VALUES (?,?,?) ON CONFLICT (case_id, name) "
                "DO UPDATE SET value = excluded.value",
                [
                    (case_ids[case_name], attribute, value)
                    for case_name, attributes in table.items()
                    for attribute, value in attributes.items()
                ],
            )

    def transcript_cases(self) -> dict[str, str]:
        """Transcript name -> the name of its case: the case it was linked to on import, else
        the case holding it, else (no case yet) its own name."""
        return dict(
            self.conn.execute(
                "SELECT t.name, coalesce(linked.name, own.name, t.name) FROM transcripts t "
                "LEFT JOIN cases linked ON linked.id = t.case_id "
                "LEFT JOIN cases own ON own.transcript_id = t.id ORDER BY t.name"
            )
        )

    def transcript_metadata(self) -> dict[str, dict[str, str]]:
        """Transcript name -> its metadata (header fields; a survey answer's question)."""
        return {
            name: json.loads(value)
            for name, value in self.conn.execute(
                "SELECT name, metadata FROM transcripts ORDER BY name"
            )
        }

    def attribute_types(self) -> dict[str, dict[str, Any]]:
        """Attribute name -> {"type": "number" | "date" | "ordinal" | "text", "order": [...]}
        for attributes whose type was recorded on import (survey columns); values are
        stored as text whatever the type."""
        return json.loads(self.setting("attribute_types", "{}"))

    def attribute_orders(self) -> dict[str, list[str]]:
        """Attribute name -> its values in their recorded order (a Likert scale's)."""
        return {
            name: kind["order"]
            for name, kind in self.attribute_types().items()
            if kind.get("order")
        }

    def set_attribute_types(self, types: dict[str, dict[str, Any]]) -> None:
        self.set_setting(
            "attribute_types", json.dumps({**self.attribute_types(), **types}, ensure_ascii=False)
        )

    def attribute_names(self) -> list[str]:
        return [
            r[0] for r in self.conn.execute("SELECT name FROM attribute_names ORDER BY position")
        ]

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
