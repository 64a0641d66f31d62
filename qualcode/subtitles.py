"""Subtitles, speech-recognition exports and Word tables as transcripts: one cue, one turn.

What Whisper, faster-whisper and WhisperX (run locally), 通义听悟, Zoom and Teams write, and the
time | speaker | text tables of NVivo-style Word exports, read into a
:class:`~qualcode.model.ParsedTranscript` whose turns carry their start time (``seconds``).

Formats, and how each is recognised (by its content, so a file renamed to ``.txt`` reads the same):

* SRT: the text starts with a cue, a number line and a ``00:00:01,000 --> 00:00:04,000`` line
  (or the timing line alone), then the words.
* WebVTT: the first line starts with ``WEBVTT``. Cues have an optional id line; ``NOTE``,
  ``STYLE`` and ``REGION`` blocks and the header block are never turns.
* Whisper TSV: a ``start<TAB>end<TAB>text`` header (a ``speaker`` column is read too), or rows
  of two whole numbers and the words. Whole-number times are milliseconds, as Whisper writes.
* Whisper / faster-whisper / WhisperX JSON: an object with a ``segments`` list, or a bare list of
  segments, each with ``start`` (seconds) and ``text`` and, from WhisperX, ``speaker``.
* A Word table (rows stored as lines of tab-joined cells) whose columns are a time, a speaker
  and the words, in any order, with or without a header row: the columns are found by their
  content (times; short names that recur; the longest text).

Stored text. SRT, VTT, TSV and Word tables keep their text verbatim: a cue's number or id line,
its timing line and its speaker tag are the turn's label, its words the body (a trailing ``</v>``
is left out of the body; styling tags inside the words, ``<i>`` or ``<c.red>``, stay in it, as
the source has them). Whisper JSON cannot be kept verbatim (its strings are often
``\\u``-escaped and one segment is scattered over several lines), so its stored text is rendered,
one line per segment: ``[00:00:03.000] SPEAKER_00：words`` (without a speaker: ``[00:00:03.000]
words``); the turns are built from the JSON's structure, so their spans are exact.

Speakers in a cue. A ``<v 李明>`` voice tag; WhisperX's ``[SPEAKER_00]:`` (a diarization id in
brackets needs no colon); a ``Name:`` / ``Name：`` prefix (Zoom, 通义听悟) when that shape recurs:
in at least half the cues, or the same name in two cues (so ``他说：…`` once is words, not a
label). Every payload line that starts with such a tag starts a turn, so a cue holding two voices
gives two turns with the cue's time. A cue with no speaker has the unknown speaker ``""``; a cue
with no words gives no turn. Text outside any cue joins the cue above it, or becomes a turn of
its own after a ``NOTE`` or at the top, and a warning names its line.

Format names (``ParsedTranscript.format``): ``srt``, ``vtt``, ``zoom-vtt`` (speaker prefixes in
numbered cues), ``teams-vtt`` (voice tags with Teams' GUID cue ids), ``whisperx-srt`` (SRT/VTT
with ``[SPEAKER_00]:`` tags), ``whisperx-json`` (JSON with speakers), ``whisper-json``, ``whisper-tsv``, ``docx-table``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import TranscriptError
from qualcode.model import ParsedTranscript, Span, Turn
from qualcode.transcripts import UNKNOWN_SPEAKER, is_name_like, line_number, time_seconds
from qualcode.transcripts import _end_of_text_before as _text_end
from qualcode.transcripts import _first_text_from as _text_start
from qualcode.transcripts import _iter_lines as _lines

CUE_FORMATS = frozenset(
    {
        "srt",
        "vtt",
        "zoom-vtt",
        "teams-vtt",
        "whisperx-srt",
        "whisper-json",
        "whisperx-json",
        "whisper-tsv",
    }
)
"""Formats read by this module from a text file (``docx-table`` comes from a Word file)."""

JSON_FORMATS = frozenset({"whisper-json", "whisperx-json"})

JSON_MAX_BYTES = 64 * 1024 * 1024
"""Largest Whisper JSON read: word timings make a three-hour recording about 20 MB."""

# --- times ------------------------------------------------------------------------------------

_CLOCK = r"(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIME_CELL_RE = re.compile(
    rf"[\[【(（]?(?P<start>{_CLOCK})[\]】)）]?"
    rf"(?:[ \t]*(?:-->|-|–|—|~|～|至|to)[ \t]*[\[【(（]?{_CLOCK}[\]】)）]?)?"
)
_TIMING_RE = re.compile(rf"[ \t]*(?P<start>{_CLOCK})[ \t]*-->[ \t]*(?P<end>{_CLOCK})(?:[ \t].*)?")


def time_cell_seconds(cell: str) -> float | None:
    """Start time of a cell that holds only a time or a range (``[00:00:03 - 00:00:09]``)."""
    m = _TIME_CELL_RE.fullmatch(cell.strip())
    return time_seconds(m["start"]) if m else None


def render_clock(seconds: float) -> str:
    """``HH:MM:SS.mmm`` for a time in seconds."""
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


# --- lines and what starts them ---------------------------------------------------------------

_Line = tuple[int, int]  # [start, end) of a line, end before its "\n"


def _blocks(text: str) -> list[list[_Line]]:
    """Runs of non-blank lines (a subtitle block each)."""
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    for start, end in _lines(text):
        if text[start:end].strip():
            current.append((start, end))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+(?P<name>[^>\n]*?)[ \t]*>[ \t]*")
_VOICE_END = "</v>"
_BRACKET_TAG_RE = re.compile(
    r"[\[【](?P<name>[^\[\]【】\n]{1,30})[\]】][ \t]*(?P<colon>[:：])?[ \t]*"
)
_COLON_TAG_RE = re.compile(r"(?P<name>[^\s:：\[\]<>【】][^\n:：<>]{0,29}?)[ \t]*[:：](?!//)[ \t]*")
# Diarization ids need no colon: WhisperX "[SPEAKER_00]", 通义听悟 "说话人1".
_DIARIZATION_ID_RE = re.compile(
    r"(?i:speaker|spk)[ _-]?\d{1,3}|(?:说话人|說話人|发言人|發言人|讲话人|講話人)[ _]?\d{1,3}"
)


@dataclass(frozen=True, slots=True)
class _Tag:
    """A speaker tag at the start of a payload line."""

    name: str
    end: int  # where the words after it begin
    kind: str  # "voice", "id" (a diarization id), "colon" (a Name: prefix)


def _tag_at(text: str, start: int, end: int) -> _Tag | None:
    """The speaker tag a line starts with, if it has the shape of one."""
    pos = _text_start(text, start, end)
    if m := _VOICE_RE.match(text, pos, end):
        return _Tag(m["name"].strip(), m.end(), "voice")
    if m := _BRACKET_TAG_RE.match(text, pos, end):
        name = m["name"].strip()
        if _DIARIZATION_ID_RE.fullmatch(name):
            return _Tag(name, m.end(), "id")
        if m["colon"] and is_name_like(name):
            return _Tag(name, m.end(), "colon")
        return None
    if m := _COLON_TAG_RE.match(text, pos, end):
        name = m["name"].strip()
        if _DIARIZATION_ID_RE.fullmatch(name):
            return _Tag(name, m.end(), "id")
        if is_name_like(name):
            return _Tag(name, m.end(), "colon")
    return None


# --- SRT and WebVTT ---------------------------------------------------------------------------

_NON_CUE_BLOCK_RE = re.compile(r"NOTE(?:[ \t]|$)|(?:STYLE|REGION)[ \t]*$", re.MULTILINE)
_TEAMS_CUE_ID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-")


@dataclass(slots=True)
class _Cue:
    start: int  # the cue's id or number line, else its timing line
    id_line: str
    timestamp: str  # the start time as written
    seconds: float | None
    payload: list[_Line] = field(default_factory=list)


def _timing_line(text: str, block: list[_Line]) -> int | None:
    """Index of a block's timing line: its first line, or its second after an id or number."""
    for i, (start, end) in enumerate(block[:2]):
        if _TIMING_RE.fullmatch(text, start, end):
            return i
    return None


def _cues(text: str, vtt: bool) -> tuple[list[_Cue], Span | None, list[str]]:
    """The cues of an SRT or VTT text, the VTT header block, and warnings."""
    blocks = _blocks(text)
    header = None
    if vtt and blocks and text[slice(*blocks[0][0])].lstrip().startswith("WEBVTT"):
        first = blocks.pop(0)
        header = Span(_text_start(text, *first[0]), _text_end(text, first[0][0], first[-1][1]))
    cues: list[_Cue] = []
    warnings: list[str] = []
    joinable = False  # the block above was a cue: stray text joins it
    for block in blocks:
        timing = _timing_line(text, block)
        if timing is not None:
            m = _TIMING_RE.fullmatch(text, *block[timing])
            assert m is not None
            start = _text_start(text, *block[0])
            id_line = text[slice(*block[0])].strip() if timing else ""
            cues.append(
                _Cue(start, id_line, m["start"], time_seconds(m["start"]), block[timing + 1 :])
            )
            joinable = True
        elif vtt and _NON_CUE_BLOCK_RE.match(text, _text_start(text, *block[0])):
            joinable = False
        elif joinable:
            cues[-1].payload.extend(block)
            warnings.append(
                f"line {line_number(text, block[0][0])}: text after a blank line inside a cue "
                "was kept as part of the cue above"
            )
        else:
            cues.append(_Cue(_text_start(text, *block[0]), "", "", None, block))
            warnings.append(
                f"line {line_number(text, block[0][0])}: text outside any cue (no '-->' timing "
                "line above it) was imported as a turn with an unknown speaker"
            )
            joinable = True
    return cues, header, warnings


def _accepted_names(text: str, cues: list[_Cue], declared: frozenset[str] | None) -> set[str]:
    """Names whose ``Name:`` tags recur through the file (see the module rules), or, when the
    speakers are declared, those of them that are declared."""
    first_tags = [_tag_at(text, *cue.payload[0]) for cue in cues if cue.payload]
    colon_names = Counter(tag.name for tag in first_tags if tag and tag.kind == "colon")
    if declared is not None:
        return set(colon_names) & declared
    with_words = sum(1 for cue in cues if cue.payload)
    tagged = sum(1 for tag in first_tags if tag is not None)
    if with_words and 2 * tagged >= with_words and tagged >= 2:
        return set(colon_names)
    return {name for name, times in colon_names.items() if times >= 2}


def _cue_turns(text: str, cue: _Cue, stop: int, names: set[str]) -> list[Turn]:
    """The turns of one cue: a new one at each payload line that starts with a speaker tag."""
    if not cue.payload:
        return []
    parts: list[tuple[int, int, str]] = []  # (turn start, body start, speaker)
    for i, (start, end) in enumerate(cue.payload):
        tag = _tag_at(text, start, end)
        if tag is not None and tag.kind == "colon" and tag.name not in names:
            tag = None
        if i == 0:
            parts.append((cue.start, tag.end if tag else start, tag.name if tag else ""))
        elif tag is not None:
            parts.append((_text_start(text, start, end), tag.end, tag.name))
    turns = []
    for i, (start, body_from, speaker) in enumerate(parts):
        # A second voice in the cue starts at its tag: its time is the cue's, not in its span.
        timestamp = cue.timestamp if i == 0 else ""
        until = parts[i + 1][0] if i + 1 < len(parts) else stop
        end = _text_end(text, body_from, until)
        if text.endswith(_VOICE_END, body_from, end):
            end = _text_end(text, body_from, end - len(_VOICE_END))
        body_start = _text_start(text, body_from, end)
        if body_start < end:
            turns.append(
                Turn(start, end, speaker or UNKNOWN_SPEAKER, body_start, timestamp, cue.seconds)
            )
    return turns


def parse_srt_vtt(
    text: str,
    *,
    encoding: str = "utf-8",
    vtt: bool | None = None,
    speakers: frozenset[str] | None = None,
) -> ParsedTranscript:
    """Turns of an SRT or WebVTT text (WebVTT when ``vtt`` is None and it starts ``WEBVTT``).
    ``speakers`` declares which ``Name:`` prefixes are speakers."""
    if vtt is None:
        vtt = _VTT_START_RE.match(text) is not None
    cues, header, warnings = _cues(text, vtt)
    names = _accepted_names(text, cues, speakers)
    turns: list[Turn] = []
    for cue in cues:
        # A cue ends with its last line of words: a NOTE block after it is in no turn.
        stop = cue.payload[-1][1] if cue.payload else cue.start
        turns.extend(_cue_turns(text, cue, stop, names))
    turns_of = Counter(turn.speaker for turn in turns)
    for turn in turns:
        if turn.speaker in names and turns_of[turn.speaker] == 1:
            warnings.append(
                f"line {line_number(text, turn.body_start)}: speaker '{turn.speaker}' has only this "
                "one turn; check that it is a speaker (else name the speakers with --speakers)"
            )
    metadata = {}
    if header is not None:
        for line in text[header.start : header.end].split("\n")[1:]:
            key, colon, value = line.partition(":")
            if colon and key.strip() and "-->" not in line:
                metadata.setdefault(key.strip(), value.strip())
    return ParsedTranscript(
        text=text,
        format=_srt_vtt_format(text, cues, vtt),
        encoding=encoding,
        turns=turns,
        header=header,
        metadata=metadata,
        warnings=warnings,
    )


def _srt_vtt_format(text: str, cues: list[_Cue], vtt: bool) -> str:
    tags = [_tag_at(text, *cue.payload[0]) for cue in cues if cue.payload]
    kinds = Counter(tag.kind for tag in tags if tag is not None)
    if any(tag and tag.kind == "id" and tag.name.upper().startswith("SPEAKER") for tag in tags):
        return "whisperx-srt"
    if not vtt:
        return "srt"
    if kinds["voice"] and any(_TEAMS_CUE_ID_RE.match(cue.id_line) for cue in cues):
        return "teams-vtt"
    numbered = all(cue.id_line.isdigit() for cue in cues if cue.timestamp)
    if tags and not kinds["voice"] and numbered and 2 * kinds["colon"] >= len(tags):
        return "zoom-vtt"
    return "vtt"


# --- Whisper TSV ------------------------------------------------------------------------------

_TSV_COLUMNS = {
    "start": "start", "begin": "start", "开始": "start", "开始时间": "start",
    "end": "end", "结束": "end", "结束时间": "end",
    "text": "text", "transcript": "text", "文本": "text", "内容": "text",
    "speaker": "speaker", "说话人": "speaker", "发言人": "speaker",
}  # fmt: skip
_TSV_ROW_RE = re.compile(r"\d+\t\d+\t")


def _tsv_columns(text: str) -> tuple[dict[str, int], bool] | None:
    """``(column of each field, has a header line)`` if the text is a Whisper TSV, else None."""
    first = next((text[s:e] for s, e in _lines(text) if text[s:e].strip()), "")
    names = [_TSV_COLUMNS.get(cell.strip().lower()) for cell in first.split("\t")]
    if "start" in names and "text" in names and len(names) >= 2:
        return {name: i for i, name in reversed(list(enumerate(names))) if name}, True
    rows = [text[s:e] for s, e in _lines(text) if text[s:e].strip()][:3]
    if len(rows) >= 1 and all(_TSV_ROW_RE.match(row) for row in rows):
        return {"start": 0, "end": 1, "text": 2}, False
    return None


def _tsv_seconds(cell: str) -> float | None:
    cell = cell.strip()
    if cell.isdigit():
        return int(cell) / 1000  # Whisper writes whole milliseconds
    if re.fullmatch(r"\d+\.\d+", cell):
        return float(cell)
    return time_cell_seconds(cell)


def parse_tsv(text: str, *, encoding: str = "utf-8") -> ParsedTranscript | None:
    """Turns of a Whisper TSV text, one per row; None if the text is not one."""
    found = _tsv_columns(text)
    if found is None:
        return None
    columns, has_header = found
    lines = [(s, e) for s, e in _lines(text) if text[s:e].strip()]
    header = None
    if has_header:
        first = lines.pop(0)
        header = Span(_text_start(text, *first), _text_end(text, *first))
    rows = [(line, text[slice(*line)].split("\t")) for line in lines]
    turns, warnings = _row_turns(
        text,
        rows,
        columns.get("text", 2),
        columns.get("start"),
        columns.get("speaker"),
        _tsv_seconds,
    )
    return ParsedTranscript(
        text=text,
        format="whisper-tsv",
        encoding=encoding,
        turns=turns,
        header=header,
        warnings=warnings,
    )


def _row_turns(
    text: str,
    rows: list[tuple[_Line, list[str]]],
    text_col: int,
    time_col: int | None,
    speaker_col: int | None,
    seconds_of,
) -> tuple[list[Turn], list[str]]:
    """One turn per row of tab-joined cells: the row's start to its words' end, the words the
    body; a row with too few cells joins the turn above (with a warning)."""
    turns: list[Turn] = []
    warnings: list[str] = []
    for (start, end), cells in rows:
        line_no = line_number(text, start)
        if len(cells) <= text_col:
            if turns:
                last = turns[-1]
                turns[-1] = Turn(
                    last.start,
                    _text_end(text, start, end),
                    last.speaker,
                    last.body_start,
                    last.timestamp,
                    last.seconds,
                )
                warnings.append(
                    f"line {line_no}: a row without its text column was kept as "
                    "part of the turn above"
                )
            continue
        offsets = [start]
        for cell in cells[:-1]:
            offsets.append(offsets[-1] + len(cell) + 1)
        cell_end = end if text_col == len(cells) - 1 else offsets[text_col] + len(cells[text_col])
        body_start = _text_start(text, offsets[text_col], cell_end)
        body_end = _text_end(text, body_start, cell_end)
        if body_end <= body_start:
            continue
        timestamp, seconds = "", None
        if time_col is not None and time_col < len(cells):
            timestamp = cells[time_col].strip()
            seconds = seconds_of(timestamp)
            if seconds is None and timestamp:
                warnings.append(f"line {line_no}: '{timestamp}' is not a time; the turn has none")
        speaker = cells[speaker_col].strip() if speaker_col is not None else UNKNOWN_SPEAKER
        turn_start = _text_start(text, start, body_start) if body_start > start else start
        turns.append(Turn(turn_start, body_end, speaker, body_start, timestamp, seconds))
    return turns, warnings


# --- Word tables ------------------------------------------------------------------------------

_HEADER_WORD_RE = re.compile(
    r"(?i:time|timestamp|start|end|speaker|name|text|transcript|content|utterance|no\.?|#)"
    r"|时间|時間|时间戳|時間戳|时间码|開始|开始|结束|結束|起止时间|发言人|發言人|说话人|說話人|讲话人|"
    r"姓名|角色|身份|发言|發言|内容|內容|文本|转写|轉寫|转录|轉錄|原文|记录|記錄|序号|序號|编号|編號"
)
_SPEAKER_MAX = 30
_TIME_SHARE = 0.8  # share of a column's cells that must be times for it to be the time column
_NAME_SHARE = 0.9  # share of a column's cells that must be short names for the speaker column
_LOOSE_SHARE = 0.2  # most words of a transcript laid out as a table are in the table


@dataclass(frozen=True, slots=True)
class _Columns:
    time: int | None
    speaker: int | None
    text: int
    header_row: bool


def _is_header_row(cells: list[str]) -> bool:
    named = [cell.strip() for cell in cells if cell.strip()]
    return len(named) >= 2 and all(_HEADER_WORD_RE.fullmatch(cell) for cell in named)


@dataclass(frozen=True, slots=True)
class _ColumnStats:
    time_share: float  # cells that are times
    name_share: float  # cells that are short names
    mean_length: float
    repeat_share: float  # cells that repeat a value above them (names recur, words do not)
    numbers: bool  # every cell a whole number (a row number, not a speaker)


def _column_stats(cells: list[str]) -> _ColumnStats:
    names = sum(
        len(cell) <= _SPEAKER_MAX and is_name_like(_split_description(cell)[0]) for cell in cells
    )
    return _ColumnStats(
        sum(time_cell_seconds(cell) is not None for cell in cells) / len(cells),
        names / len(cells),
        sum(map(len, cells)) / len(cells),
        1 - len(set(cells)) / len(cells),
        all(cell.isdigit() for cell in cells),
    )


def _table_columns(rows: list[list[str]]) -> _Columns | None:
    """Which column holds the time, the speaker and the words, found by their content: the
    time column is mostly times; the speaker column short names, the most recurring; the words
    the longest of the rest. A table with neither times nor recurring names is not turns (a
    metadata table of key | value rows)."""
    header_row = bool(rows) and _is_header_row(rows[0])
    data = rows[1:] if header_row else rows
    if len(data) < 2:
        return None
    stats: dict[int, _ColumnStats] = {}
    for j in range(len(rows[0])):
        if cells := [row[j].strip() for row in data if row[j].strip()]:
            stats[j] = _column_stats(cells)
    time_cols = [j for j, s in stats.items() if s.time_share >= _TIME_SHARE]
    others = [j for j in stats if j not in time_cols]
    if not others:
        return None
    speakers = [
        j for j in others
        if stats[j].name_share >= _NAME_SHARE and not stats[j].numbers
        and (stats[j].repeat_share > 0 or time_cols)
    ]  # fmt: skip
    speaker_col = (
        max(speakers, key=lambda j: (stats[j].repeat_share, -stats[j].mean_length))
        if speakers and len(others) > 1
        else None
    )
    text_col = max((j for j in others if j != speaker_col), key=lambda j: stats[j].mean_length)
    if (
        speaker_col is not None
        and stats[text_col].name_share >= _NAME_SHARE
        and stats[speaker_col].mean_length >= stats[text_col].mean_length
    ):
        speaker_col = None  # two columns of short names: which one speaks cannot be told
    time_col = time_cols[0] if time_cols else None
    if time_col is None and (speaker_col is None or not stats[speaker_col].repeat_share):
        return None
    return _Columns(time_col, speaker_col, text_col, header_row)


def _tab_runs(text: str) -> list[list[_Line]]:
    """Runs of two or more consecutive lines with tabs and the same number of cells."""
    runs: list[list[_Line]] = []
    current: list[_Line] = []
    width = 0
    for start, end in _lines(text):
        cells = text.count("\t", start, end) + 1
        if cells > 1 and cells == width:
            current.append((start, end))
            continue
        if len(current) >= 2:
            runs.append(current)
        current, width = ([(start, end)], cells) if cells > 1 else ([], 0)
    if len(current) >= 2:
        runs.append(current)
    return runs


def parse_table(
    text: str, *, encoding: str = "utf-8", fmt: str = "docx-table"
) -> ParsedTranscript | None:
    """Turns of a transcript laid out as a table, rows of tab-joined cells (a Word table, a
    .tsv): see the module rules; None if its text holds no such table. Text before the first table row of turns is the header (title and
    ``key\\tvalue`` rows, see :mod:`qualcode.transcripts`); other text outside the tables is a
    turn with the unknown speaker, with a warning."""
    from qualcode.transcripts import _table_header  # the one reader of .docx title/metadata rows

    tables = []
    for run in _tab_runs(text):
        rows = [text[slice(*line)].split("\t") for line in run]
        columns = _table_columns(rows)
        if columns is not None:
            tables.append((run, rows, columns))
    if not tables:
        return None
    turns: list[Turn] = []
    warnings: list[str] = []
    header: Span | None = None
    metadata: dict[str, str] = {}
    covered = 0  # end of the text taken by the header and the tables so far
    loose_starts: set[int] = set()
    for number, (run, rows, columns) in enumerate(tables):
        first = run[1] if columns.header_row else run[0]
        if number == 0:
            # Title paragraphs and metadata rows above the table, and its row of column names.
            header, metadata = _table_header(text, run[0][0])
            if columns.header_row:
                above = header.start if header else _text_start(text, *run[0])
                header = Span(above, _text_end(text, *run[0]))
            covered = header.end if header else 0
        if _text_start(text, covered, first[0]) < first[0]:
            turns.append(
                _loose_turn(
                    text, _text_start(text, covered, first[0]), first[0], warnings, loose_starts
                )
            )
        data = list(zip(run, rows, strict=True))[1 if columns.header_row else 0 :]
        row_turns, row_warnings = _row_turns(
            text, data, columns.text, columns.time, columns.speaker, time_cell_seconds
        )
        turns.extend(row_turns)
        warnings.extend(row_warnings)
        covered = run[-1][1]
    if _text_start(text, covered, len(text)) < len(text):
        turns.append(
            _loose_turn(
                text, _text_start(text, covered, len(text)), len(text), warnings, loose_starts
            )
        )
    loose = sum(turn.end - turn.start for turn in turns if turn.start in loose_starts)
    if loose > _LOOSE_SHARE * sum(turn.end - turn.body_start for turn in turns):
        return None  # mostly paragraphs around tab-separated lines: not a table of turns
    descriptions: dict[str, str] = {}
    for i, turn in enumerate(turns):
        name, description = _split_description(turn.speaker)
        if description:
            descriptions.setdefault(name, description)
            turns[i] = Turn(
                turn.start, turn.end, name, turn.body_start, turn.timestamp, turn.seconds
            )
    return ParsedTranscript(
        text=text,
        format=fmt,
        encoding=encoding,
        turns=turns,
        header=header,
        metadata=metadata,
        warnings=warnings,
        speaker_descriptions=descriptions,
    )


_DESCRIBED_RE = re.compile(r"(?P<name>[^（(]+?)[ \t]*[（(](?P<desc>[^（()）]+)[）)]")


def _split_description(cell: str) -> tuple[str, str]:
    """``受访者（女，35岁）`` is the speaker ``受访者`` with the description ``女，35岁``."""
    m = _DESCRIBED_RE.fullmatch(cell)
    return (m["name"].strip(), m["desc"].strip()) if m else (cell, "")


def _loose_turn(
    text: str, start: int, stop: int, warnings: list[str], loose_starts: set[int]
) -> Turn:
    """A turn of the unknown speaker for text outside the tables (its start is recorded)."""
    loose_starts.add(start)
    end = _text_end(text, start, stop)
    warnings.append(
        f"line {line_number(text, start)}: text outside the table of turns was "
        "imported as a turn with an unknown speaker"
    )
    return Turn(start, end, UNKNOWN_SPEAKER, start)


# --- Whisper JSON -----------------------------------------------------------------------------

_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_RENDERED_LINE_RE = re.compile(r"\[(?P<ts>\d{2,}:\d{2}:\d{2}\.\d{3})\] (?P<rest>[^\n]*)")


_JSON_START_RE = re.compile(r"\s*(?:\{|\[\s*(?:\{|\]))")
_VTT_START_RE = re.compile(r"\s*WEBVTT")


def looks_like_json(text: str) -> bool:
    """Whether a text starts like a JSON object or list of objects (cheap; nothing parsed)."""
    return _JSON_START_RE.match(text) is not None


def parse_whisper_json(
    source: str, *, path: str | Path = "<text>", encoding: str = "utf-8"
) -> ParsedTranscript:
    """Turns of a Whisper, faster-whisper or WhisperX JSON export, one per segment with words,
    over a rendered text (see the module rules). Raise :class:`TranscriptError` naming the file
    and what is wrong when it is too large, not JSON, or not a list of segments."""
    size = len(source)  # characters: at most the bytes
    if size > JSON_MAX_BYTES:
        raise TranscriptError(
            f"this JSON file is {size / 2**20:.0f} MB; qualcode reads Whisper JSON up to "
            f"{JSON_MAX_BYTES // 2**20} MB: export the transcript as .srt or .tsv instead",
            path=path,
        )
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        raise TranscriptError(
            f"this is not valid JSON (column {error.colno}: {error.msg}); export the transcript "
            "again from Whisper, or as .srt",
            path=path,
            line=error.lineno,
        ) from None
    except RecursionError:
        raise TranscriptError(
            "this JSON is nested too deeply to be a Whisper transcript", path=path
        ) from None
    segments = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(segments, list):
        raise TranscriptError(
            "this JSON is not a Whisper transcript: expected an object with a 'segments' list "
            "(as Whisper, faster-whisper and WhisperX write) or a list of segments",
            path=path,
        )
    lines: list[str] = []
    turns: list[Turn] = []
    pos = 0
    whisperx = isinstance(data, dict) and "word_segments" in data
    for number, segment in enumerate(segments, 1):
        start, words, speaker = _segment(segment, number, path)
        if not words:
            continue
        whisperx = whisperx or bool(speaker)
        timestamp = render_clock(start)
        label = f"[{timestamp}] " + (f"{speaker}：" if speaker else "")
        turns.append(
            Turn(pos, pos + len(label) + len(words), speaker, pos + len(label), timestamp, start)
        )
        lines.append(label + words)
        pos += len(label) + len(words) + 1
    if not turns:
        raise TranscriptError("this Whisper JSON has no segment with any words", path=path)
    metadata = {}
    if isinstance(data, dict) and isinstance(data.get("language"), str):
        metadata["语言"] = data["language"]
    return ParsedTranscript(
        text="\n".join(lines),
        format="whisperx-json" if whisperx else "whisper-json",
        encoding=encoding,
        turns=turns,
        metadata=metadata,
    )


def _segment(segment: object, number: int, path: str | Path) -> tuple[float, str, str]:
    """``(start seconds, words on one line, speaker)`` of segment ``number`` (1-based)."""

    def wrong(what: str) -> TranscriptError:
        return TranscriptError(
            f"segment {number} of the 'segments' list {what}; export the "
            "transcript again from Whisper, or as .srt",
            path=path,
        )

    if not isinstance(segment, dict):
        raise wrong("is not an object with 'start' and 'text'")
    start = segment.get("start")
    if isinstance(start, bool) or not isinstance(start, (int, float)) or not start >= 0:
        raise wrong("has no 'start' time in seconds")
    text = segment.get("text")
    if not isinstance(text, str):
        raise wrong("has no 'text'")
    speaker = segment.get("speaker") or ""
    if not isinstance(speaker, str):
        raise wrong("has a 'speaker' that is not a name")
    words = " ".join(text.replace("\r", "\n").split("\n")).strip()
    # json.loads joins escaped surrogate pairs; a lone one cannot be stored as UTF-8.
    words = _LONE_SURROGATE_RE.sub("\ufffd", words)
    return round(float(start), 3), words, " ".join(speaker.split())


def _parse_rendered(text: str, encoding: str) -> ParsedTranscript | None:
    """Turns of the stored text rendered from a Whisper JSON (for a project rebuilt from its
    stored text); None if the text is not in that form. A ``name：`` that recurs, or is a
    diarization id, is a speaker."""
    lines = [(s, e) for s, e in _lines(text) if text[s:e].strip()]
    matches = [_RENDERED_LINE_RE.fullmatch(text, s, e) for s, e in lines]
    if not matches or not all(matches):
        return None
    names = Counter(m["rest"].partition("：")[0] for m in matches if m and "：" in m["rest"])
    turns = []
    for m in matches:
        assert m is not None
        name, colon, _ = m["rest"].partition("：")
        speaker = name if colon and (names[name] >= 2 or _DIARIZATION_ID_RE.fullmatch(name)) else ""
        body_start = m.start("rest") + (len(name) + 1 if speaker else 0)
        turns.append(Turn(m.start(), m.end(), speaker, body_start, m["ts"], time_seconds(m["ts"])))
    fmt = "whisperx-json" if any(turn.speaker for turn in turns) else "whisper-json"
    return ParsedTranscript(text=text, format=fmt, encoding=encoding, turns=turns)


# --- recognising a text -----------------------------------------------------------------------


def sniff(text: str) -> str | None:
    """The cue format a decoded text is in by its content: "vtt", "srt", "whisper-tsv", or None.
    (JSON is told by :func:`looks_like_json`; Word tables by :func:`parse_docx_table`.)"""
    if _VTT_START_RE.match(text):
        return "vtt"
    blocks = _blocks(text[:4096])
    if blocks and _timing_line(text, blocks[0]) is not None:
        return "srt"
    if _tsv_columns(text[:4096]) is not None:
        return "whisper-tsv"
    return None


def parse_cues(
    text: str,
    kind: str,
    *,
    encoding: str = "utf-8",
    speakers: frozenset[str] | None = None,
) -> ParsedTranscript | None:
    """Turns of a stored text that is a subtitle, an ASR export or a table of turns, whatever
    its file's ending said (``kind``, a value of ``SUPPORTED_SUFFIXES``); None when it is none
    of these, and its speaker labels are to be found as in any transcript."""
    if kind in JSON_FORMATS:
        return _parse_rendered(text, encoding)
    found = sniff(text)
    if found is None and kind in ("srt", "vtt"):
        found = kind  # the file says so: a title or junk above the first cue is a warning
    if found in ("vtt", "srt"):
        return parse_srt_vtt(text, encoding=encoding, vtt=found == "vtt", speakers=speakers)
    if found == "whisper-tsv" and (tsv := parse_tsv(text, encoding=encoding)) is not None:
        return tsv
    if kind in ("docx", "whisper-tsv"):
        return parse_table(text, encoding=encoding, fmt="docx-table" if kind == "docx" else "tsv")
    return None


_EXPECTED = {
    "srt": (
        "subtitle cues (a number line, a '00:00:01,000 --> 00:00:04,000' line, then the words)"
    ),
    "vtt": "WebVTT cues (a 'WEBVTT' first line, then '00:00:01.000 --> 00:00:04.000' lines)",
    "whisper-tsv": (
        "Whisper rows ('start', 'end' and 'text' columns) nor a table of time, "
        "speaker and text columns"
    ),
}


def check_kind(parsed: ParsedTranscript, kind: str, path: str | Path) -> None:
    """Raise :class:`TranscriptError` when a .srt, .vtt or .tsv file held none of what its
    ending promises (its cues would otherwise be imported as one block of text)."""
    if kind not in _EXPECTED:
        return
    if kind == "whisper-tsv":
        # Read as Whisper rows or as a table of turns; else the text parser had it.
        if parsed.format == "tsv" or _tsv_columns(parsed.text[:4096]) is not None:
            return
    elif any(turn.seconds is not None for turn in parsed.turns):
        return  # .srt and .vtt text is always read as cues: one with a time was found
    suffix = Path(path).suffix or kind
    raise TranscriptError(
        f"this {suffix} file holds no {_EXPECTED[kind]}; check that it is the export you "
        "meant, or give it the .txt ending to import it as plain text",
        path=path,
    )
