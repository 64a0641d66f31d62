"""Read interview transcripts: decode the file, find its header and its speaker turns.

``read_transcript(path)`` gives a :class:`~qualcode.model.ParsedTranscript`. Its ``text`` is the
source verbatim: BOM dropped and line ends normalised to ``\\n``; for .docx, each paragraph is a
line and each table row is one line with its cells joined by a tab. Labels, timestamps and the
header are spans over that text, never cut out of it.

Rules, so that a researcher can predict what the importer does:

Layouts. A speaker label starts a line and is found by the file's structure, not by a list of
names. Four layouts are tried on the whole text and the one with the most labels wins (ties:
heading, then blocks, then inline, then timed lines):

* heading: a Markdown heading ending in a colon, the words on the next lines (``### 唐鳳：``).
* blocks (ASR exports): a line holding only a speaker and a time (``说话人1 00:00:03``,
  ``发言人 1 01:12``, ``Lily Chen 00:05:40``, ``用户8372(00:00:03)``), the words on the next
  lines (a numbered 说话人N may also have them on its own line). A blank line followed by
  unlabelled text is a new paragraph of the same speaker.
* inline: a label and the words on one line: a name and a colon (``：`` or ``:``, inside or
  outside ``**bold**``; ``访谈者：``, ``Q:``, ``**I:**``, ``宁静：``, ``A女士：``), a bracketed
  name with or without a colon (``【访谈者】``, ``[SPEAKER_00]:``), or a tab standing for the
  colon (a .docx table of speaker | words); a Markdown list bullet may come first.
* timed lines: at least three lines of a time and words with no speaker (``[00:00:03] 文字``);
  each is a turn of the unknown speaker.

Names. A name is any short run (Han, Latin, digits, 甲乙丙; at most 10 Han characters and 3
Latin words) with a letter in it; a bracketed part after it (``受访者（女，35岁）：``) is the
speaker's description, not part of the name. Role words and codes (访谈者, 受访者, 问, 答, Q, A,
I, R, P1, 说话人1, Speaker 2 …) are labels wherever they start a line. Any other name is a label
when it starts a line at least twice; a name seen once is a label only in a file whose labels
are established (at least three label lines of roles or recurring names): a focus group member
who speaks once. A line is never a label when its "name" is prose: it holds sentence
punctuation, a pronoun or particle (我觉得：, 这个问题：), ends in a verb of saying (他说：,
李明表示：), is a list item (``1. 问题：``), a note word (比如, 备注, 笑声 …), a metadata key, a clock
time (``10:30 开会``) or a URL. ``speakers`` (``--speakers``) declares the names instead.

Never silent. ``warnings`` name by line every speaker taken with one turn only and every line
shaped like a label whose name was not taken (it did not recur, or is not among ``speakers``).

Times. A time is ``h:mm:ss`` or ``mm:ss``, with ``,mmm`` or ``.mmm``, or a range of two
(``00:00:03 - 00:00:09``, ``-->``); it may stand before the label (``[00:00:03] 访谈者：``),
between the name and the colon (``访谈者 00:00:03：``, ``受访者（00:01:05）：``), after the colon
(bracketed, or bare with seconds: ``访谈者：[00:00:03]``), on a line of its own right above the
label or right below it, or close the turn (f4/MAXQDA ``#00:00:11-0#``: the time the next turn
starts). A time is part of the label span, never of a turn's words; ``Turn.seconds`` is the
turn's start in seconds.

Header. For ASR exports, everything before the first speaker block is header (a title line; for
Feishu the ``date|duration`` line, ``关键词:`` and its keywords, ``文字记录:``). For a .docx that
opens with a table (after at most two title paragraphs) and goes on after it, the paragraphs and
that table are the header. Otherwise the header is read from the top of the text: an optional
title line (a ``# heading``, or a short line without final punctuation right above a
``key：value`` line or a speaker label, or followed by a blank line when the text has speaker
labels), then each following paragraph (lines up to a blank line) made only of short
``key：value`` lines (``- 编号：A06`` list items and ``**bold**`` keys count) with at least one
well-known key (编号, 时间, 日期, 地点, 对象 ...) and more text after it. So ``访谈者：研究者``
inside such a paragraph is metadata while ``访谈者：请问…`` after it is a turn. If no blank line
follows the header, only its leading lines with well-known keys are taken. A title is kept in
``metadata`` under ``标题``; Feishu's header gives ``日期``, ``时长`` and ``关键词``.

Encoding. A BOM decides (UTF-8, UTF-16, UTF-32); else strict UTF-8 (unless it holds no Chinese
and GB18030/Big5 reads as Chinese: short GBK can be valid UTF-8); else GB18030 (a superset of
GBK) or Big5, whichever decodes strictly and has more common Chinese characters (GB18030 on a
tie). Text with NUL bytes or many control characters is refused as binary; bytes that are none
of these are refused with a hint to save as UTF-8, naming the likely encoding (charset-normalizer).

Format. ``format`` names the real source, by content first, so a file renamed to .txt reads the
same: subtitles and ASR exports ("srt", "vtt", "zoom-vtt", "teams-vtt", "whisper-json",
"whisper-tsv", "whisperx-srt", "whisperx-json") and Word tables of time / speaker / text ("docx-table") are read by
:mod:`qualcode.subtitles`, one cue one turn; for a block layout "iflytek" (说话人N), "feishu"
(its header markers or 发言人 labels) or "asr-blocks" (other names with times); "whisperx-txt" for
``[SPEAKER_00]:`` labels in text; "timed-text" for timed lines without speakers; otherwise the
file kind: "txt", "md" or "docx". YAML front matter at the top (``---`` … ``---``) is the header and its
keys the metadata (:mod:`qualcode.frontmatter`).

Unrecognised layout: the whole text after the header becomes one turn of speaker
``UNKNOWN_SPEAKER`` ("") and a warning says so. Empty, binary, undecodable or unsupported files
raise :class:`~qualcode.errors.TranscriptError`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice, takewhile
from pathlib import Path
from typing import NamedTuple

from qualcode.errors import TranscriptError
from qualcode.model import ParsedTranscript, Span, Turn
from qualcode.roles import role_word

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
    ".srt": "srt",
    ".vtt": "vtt",
    ".json": "whisper-json",
    ".tsv": "whisper-tsv",
}
"""File name endings qualcode reads, and the file kind each gives: the ``format`` unless the
content names a more exact one (an ASR layout, a subtitle read as .txt, a table of turns)."""

UNKNOWN_SPEAKER = ""
"""Speaker of the single turn made from a text whose layout was not recognised."""

TITLE_KEY = "标题"
"""Metadata key under which a leading title line is kept."""


# --- decoding -------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Legacy Chinese encodings, by family; within a family the first codec that decodes strictly wins.
# GB18030 is a superset of GBK and GB2312; cp950 and big5hkscs extend Big5.
_LEGACY_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("gb18030",),
    ("big5", "cp950", "big5hkscs"),
)

# 401 frequent Han characters, simplified and traditional: the 300 most frequent of each script
# in the CC0 audreyt transcripts (shared/corpora), personal names left out. Text decoded with the
# right codec is mostly these; Big5 read as GBK (or the reverse) is mostly rare characters, kana,
# bopomofo and private-use code points.
_COMMON_HAN = (
    "的是有一我这个不在以会们要就来可人部也到政大所他很做分都为时实没数家跟上些了说像用对能样但或问你"
    "法因关得公机么其如好比者题成多业事后去那方开看现当过果同面务台据刚本前年作下觉国发民还想行定较中"
    "议讲间出之系理信地府提然什而它经主等字网应候程农委与外常需长点回里只知意道动资工设管处自让进制平"
    "论学员话子目并各统件把于放解计最情力第度式办络谢相接参调文任才生种通更院合案体别性讨已整息建策青"
    "两重场化运技非从规天东产三新及先集再望花起希边内共位服明协划何西每全保立高期入加真给单推变考决怎"
    "社该确直利基少算心完众己例次术改展哪量奇求署导至使小原区补概门科助代湾交权特型况请向二始跨无反创"
    "安电专被正透角具局今传官這個會們來資為時沒實說樣對問關機麼題業後開現當過務剛覺國還發料較議講間經"
    "網應數農與長動點路設處讓論體裡學員話統於訊計並進辦謝參調臺種別討場兩從規東產邊協內給單變決該確運"
    "眾簡術導補門灣權況係專請無電畫益著"
)
_COMMON_HAN_RE = re.compile(f"[{_COMMON_HAN}]")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
# What a wrong legacy codec produces: private use, kana, bopomofo, hangul, Cyrillic, Greek, box
# drawing, compatibility ideographs, half-width katakana.
_ODD_RE = re.compile(
    "[\ue000-\uf8ff\u3040-\u30ff\u3100-\u312f\uac00-\ud7af\u0400-\u04ff\u0370-\u03ff"
    "\u2500-\u257f\uf900-\ufaff\uff61-\uff9f]"
)
_SCORE_SAMPLE = 200_000  # characters scored when choosing a codec; enough, and fast
_GARBLED_SCORE = 0.2  # below this, with enough characters, no candidate reads as Chinese
_GARBLED_MIN_CHARS = 20
_SURE_CHINESE_SCORE = 0.6
_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")

_SAVE_AS_UTF8 = (
    "save it as UTF-8 (Notepad: Save As > Encoding: UTF-8; Word: Save As > Plain Text > "
    "Unicode (UTF-8)) and import it again"
)


def decode(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode a transcript file's bytes; return ``(text, encoding)``.

    The BOM is dropped; line ends are left as they are (see :func:`normalise_newlines`).
    Encodings tried: a BOM (UTF-8, UTF-16, UTF-32), strict UTF-8, then GB18030 (GBK) and Big5,
    told apart by how much of the decoded text is common Chinese characters.
    Raise :class:`TranscriptError` for binary data or bytes no candidate decodes cleanly.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as error:
                raise TranscriptError(
                    f"the file starts with a {codec.upper()} byte-order mark but is not valid "
                    f"{codec.upper()} (byte {error.start}); {_SAVE_AS_UTF8}",
                    path=path,
                ) from error
            _check_is_text(text, path)
            return text, codec
    if b"\x00" in data:
        raise _binary_error(path)
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _decode_legacy(data, path)
    else:
        if _NON_ASCII_RE.search(text) and not _CJK_RE.search(text):
            # Short GBK/Big5 text can be valid UTF-8 by accident (GBK 谢谢 reads as "лл"):
            # UTF-8 with no Chinese at all yields to a legacy codec that reads as Chinese.
            text, encoding = _prefer_chinese(data, text)
    _check_is_text(text, path)
    return text, encoding


def _prefer_chinese(data: bytes, utf8_text: str) -> tuple[str, str]:
    for codec, text in _legacy_candidates(data):
        if _chinese_score(text) >= _SURE_CHINESE_SCORE and _CJK_RE.search(text):
            return text, codec
    return utf8_text, "utf-8"


def _legacy_candidates(data: bytes) -> list[tuple[str, str]]:
    """``(codec, text)`` for each legacy family that decodes ``data`` strictly."""
    candidates = []
    for family in _LEGACY_FAMILIES:
        for codec in family:
            try:
                candidates.append((codec, data.decode(codec)))
                break
            except UnicodeDecodeError:
                continue
    return candidates


def _decode_legacy(data: bytes, path: str | Path) -> tuple[str, str]:
    """Decode non-UTF-8 bytes as GB18030 or Big5, whichever reads as Chinese.

    On a tie GB18030 wins: on slices of the CC0 corpus a fixed preference erred less often than
    charset-normalizer's ranking (which, for one, reads GBK 谢谢 as Big5), and from 50 characters
    on the character score alone never erred.
    """
    candidates = _legacy_candidates(data)
    if candidates:
        codec, text = max(candidates, key=lambda candidate: _chinese_score(candidate[1]))
        sample = text[:_SCORE_SAMPLE]
        garbled = len(_NON_ASCII_RE.findall(sample)) >= _GARBLED_MIN_CHARS
        if not garbled or _chinese_score(text) >= _GARBLED_SCORE:
            return text, codec
    raise TranscriptError(
        "cannot read this file as Chinese text (tried UTF-8, GB18030/GBK and Big5"
        f"{_foreign_encoding_hint(data)}); {_SAVE_AS_UTF8}",
        path=path,
    )


def _chinese_score(text: str) -> float:
    """Share of non-ASCII characters that are common Han characters, less odd ones (x3)."""
    sample = text[:_SCORE_SAMPLE]
    non_ascii = len(_NON_ASCII_RE.findall(sample))
    if not non_ascii:
        return 0.0
    common = len(_COMMON_HAN_RE.findall(sample))
    odd = len(_ODD_RE.findall(sample))
    return (common - 3 * odd) / non_ascii


# Encodings a researcher's non-Chinese file may be in; only used to name one in an error message.
_FOREIGN_ENCODINGS = (
    "cp1252", "shift_jis", "euc_jp", "euc_kr", "koi8_r", "mac_roman", "utf_16_le", "utf_16_be",
)  # fmt: skip


def _foreign_encoding_hint(data: bytes) -> str:
    from charset_normalizer import from_bytes  # only on this error path

    best = from_bytes(data, cp_isolation=list(_FOREIGN_ENCODINGS)).best()
    return f"; it may be {best.encoding}" if best is not None else ""


def _check_is_text(text: str, path: str | Path) -> None:
    controls = len(_CONTROL_RE.findall(text[:_SCORE_SAMPLE]))
    if "\x00" in text or controls > len(text[:_SCORE_SAMPLE]) // 100:
        raise _binary_error(path)


def _binary_error(path: str | Path) -> TranscriptError:
    return TranscriptError(
        "this is not a text file (it contains binary data); if it is a Word document, give it "
        "the .docx ending; otherwise export the transcript as .txt in UTF-8",
        path=path,
    )


def normalise_newlines(text: str) -> str:
    """Turn CRLF and lone CR line ends into ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- reading files --------------------------------------------------------------------------


def read_transcript(path: Path, speakers: Iterable[str] | None = None) -> ParsedTranscript:
    """Read a transcript (.txt, .md, .docx; subtitles and ASR exports .srt, .vtt, Whisper .json
    and .tsv, also when renamed to .txt): stored text, header, metadata and speaker turns.
    ``speakers`` declares the labels (see :func:`parse_transcript`).

    Raise :class:`TranscriptError` for a missing, empty, binary, undecodable or unsupported file,
    and for a .srt, .vtt, .json or .tsv file that is not what its ending says.
    A layout that is not recognised is imported as one turn, with a warning, never refused.
    """
    path = Path(path)
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        hint = " (open it in Word and save it as .docx)" if path.suffix.lower() == ".doc" else ""
        raise TranscriptError(
            f"unsupported file type '{path.suffix or '(none)'}'{hint}; qualcode reads {supported}",
            path=path,
        )
    header_end: int | None = None
    if kind == "docx":
        text, header_end = read_docx(path)
        encoding = "utf-8"
    else:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise TranscriptError(f"cannot read the file: {error.strerror}", path=path) from error
        text, encoding = decode(data, path)
        text = normalise_newlines(text)
    if not text.strip():
        raise TranscriptError("the file is empty; there is no transcript text in it", path=path)
    from qualcode import subtitles  # it imports this module

    if kind in subtitles.JSON_FORMATS or (kind == "txt" and subtitles.looks_like_json(text)):
        try:
            return subtitles.parse_whisper_json(text, path=path, encoding=encoding)
        except TranscriptError:
            if kind != "txt":
                raise  # a .txt that only starts like JSON is read as text
    parsed = parse_transcript(
        text, kind, encoding=encoding, header_end=header_end, speakers=speakers
    )
    subtitles.check_kind(parsed, kind, path)
    return parsed


_DOCX_TITLE_PARAGRAPHS = 2  # a metadata table may follow at most this many title paragraphs


def read_docx(path: Path) -> tuple[str, int | None]:
    """Read a .docx as text; return ``(text, header_end)``.

    Body paragraphs and tables in document order, one line each: a paragraph is a line (a manual
    line break inside it starts a new line); a table row is one line, its cells joined by a tab
    (line breaks inside a cell become spaces, merged cells count once). ``header_end`` is the end
    of a leading metadata table (one after at most two non-empty paragraphs, with text after it),
    else None.
    """
    import docx  # lazily: only .docx imports pay for python-docx and lxml
    from docx.table import Table

    from .archives import checked_copy

    # python-docx opens the zip itself and trusts it: it gets the bytes the guard checked.
    checked = checked_copy(
        path,
        error=TranscriptError,
        not_an_archive=(
            "not a Word .docx file (a .docx is a zip archive; an old .doc, or another format "
            "renamed?); open it in Word and save it as .docx"
        ),
    )
    try:
        document = docx.Document(checked)
        blocks = list(document.iter_inner_content())
    except Exception as error:  # python-docx raises zipfile, lxml and KeyError failures alike
        raise TranscriptError(
            "cannot open this as a Word .docx file (it may be an old .doc, damaged, or another "
            "format renamed); open it in Word and save it as .docx",
            path=path,
        ) from error

    lines: list[str] = []
    header_end: int | None = None
    titles = 0  # non-empty paragraphs before the first table
    seen_table = False
    for block in blocks:
        if isinstance(block, Table):
            rows = [_table_row_line(row) for row in block.rows]
            lines.extend(rows)
            if rows and not seen_table and titles <= _DOCX_TITLE_PARAGRAPHS:
                header_end = len("\n".join(lines))
            seen_table = True
        else:
            line = normalise_newlines(block.text)
            lines.append(line)
            titles += bool(line.strip()) and not seen_table
    text = "\n".join(lines)
    if header_end is not None and not text[header_end:].strip():
        header_end = None  # the table is the transcript itself (speaker | words), not a header
    return text, header_end


def _table_row_line(row) -> str:
    cells = []
    seen = set()
    for cell in row.cells:
        if id(cell._tc) in seen:  # a merged cell is returned once per grid column it spans
            continue
        seen.add(id(cell._tc))
        cells.append(" ".join(normalise_newlines(cell.text).split("\n")).replace("\t", " ").strip())
    return "\t".join(cells)


# --- timestamps -----------------------------------------------------------------------------

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TIME_RANGE = rf"{_TIME}(?:[ \t]*(?:-->|->|--|-|–|—|~|～|至|到)[ \t]*{_TIME})?"
# A time as it stands beside a label: bracketed (any bracket) or bare, a range or one time.
_TIME_MARK = rf"(?:[\[【(（]{_TIME_RANGE}[\]】)）]|{_TIME_RANGE})"
# After the label's colon a bare time must have seconds: 访谈者：10:30 is speech, not a time.
_TIME_AFTER = rf"(?:[\[【(（]{_TIME_RANGE}[\]】)）]|\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?)"
_TIME_RE = re.compile(
    r"(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,2}):(?P<s>\d{2})(?:[.,](?P<frac>\d{1,3})|-(?P<tenth>\d)\b)?"
)
_TIME_ONLY_LINE_RE = re.compile(rf"[ \t\u3000]*{_TIME_MARK}[ \t\u3000]*")
# Times that close a turn: f4/MAXQDA's #00:00:11-0#, or a bracketed time at the end of the words.
_TRAILING_TIME_RE = re.compile(
    rf"(?:\s*(?:#{_TIME}(?:-\d)?#|[\[【(（]{_TIME_RANGE}[\]】)）]))+\s*$"
)


_TIME_BELOW_RE = re.compile(rf"(?P<ts>{_TIME_AFTER})[ \t\u3000]*(?:\n|$)")


def time_seconds(timestamp: str) -> float | None:
    """Seconds from the start of the recording of the first time in ``timestamp`` (``h:mm:ss``,
    ``mm:ss``, with ``,mmm`` or ``.mmm``, f4's ``#00:00:11-0#``; a range gives its start);
    None when it holds no time."""
    m = _TIME_RE.search(timestamp)
    if m is None:
        return None
    seconds = int(m["h"] or 0) * 3600 + int(m["m"]) * 60 + int(m["s"])
    if m["frac"]:
        seconds += int(m["frac"]) / 10 ** len(m["frac"])
    elif m["tenth"]:
        seconds += int(m["tenth"]) / 10
    return float(seconds)


# --- speaker labels -------------------------------------------------------------------------
# A label is found by the file's structure: a line that starts with a label shape (name and
# colon, bracketed name, name and time) is a turn when the shape recurs through the file. Role
# words are labels wherever they start a line; other names must recur, except in a file whose
# labels are established (a focus group member may speak once), and such a speaker is reported.

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"

# Labels wherever they start a line: a role word (qualcode.roles: 访谈者, 受访者甲, 问, Q,
# Interviewer B …), a code (P1, S2, R10) or an ASR speaker id (说话人1, Speaker 2).
_SPEAKER_CODE_RE = re.compile(
    r"[A-Z]\d{1,3}|(?:说话人|說話人|发言人|發言人|(?i:speaker))[ _]?\d{1,3}"
)


def is_role_label(name: str) -> bool:
    """Whether a speaker label is a role or a code (访谈者, 受访者A, Q, P1, 说话人1, full-width
    Ｑ too), not a person's name: such a label is taken wherever it starts a line."""
    name = unicodedata.normalize("NFKC", name)
    return role_word(name) is not None or _SPEAKER_CODE_RE.fullmatch(name) is not None


# What a name may hold: a short run without line breaks, colons, markup or brackets; it starts
# with neither a digit list marker nor markup. Whether it is a name is decided afterwards.
_NAME = r"[^\s:：*#>|\-\[\]【】()（）][^\n:：*|\t\[\]【】()（）#]{0,19}?"
_LABEL_COLON = r"(?:：|:(?!\d\d)|(?=\t))"  # 访谈者 00:00 is a time, not 访谈者 00 and a colon


def _desc(group: str) -> str:
    return rf"(?:[(（](?P<{group}>[^()（）\n]{{1,30}})[)）][ \t]*)?"


_INLINE_LABEL = re.compile(
    r"^[ \t\u3000]*(?P<label>(?:[-*+•][ \t]+)?"  # - 访谈者：… in a Markdown list
    rf"(?:(?P<ts1>{_TIME_MARK})[ \t]*)?"
    r"(?:"
    rf"\*\*[ \t]*(?P<bold>{_NAME})[ \t]*{_desc('d1')}(?:[:：][ \t]*\*\*|\*\*[ \t]*[:：])"
    rf"|[【\[][ \t]*(?:(?P<ts4>{_TIME_RANGE})[ \t]+)?(?P<bracketed>{_NAME})[ \t]*{_desc('d2')}"
    rf"(?:(?P<ts5>{_TIME_RANGE})[ \t]*)?[】\]](?:[ \t]*[:：])?"  # 【主持人 00:01:02】
    rf"|(?P<plain>{_NAME})[ \t]*{_desc('d3')}(?:(?P<ts2>{_TIME_MARK})[ \t]*)?{_LABEL_COLON}"
    r")"
    rf"(?:[ \t]*(?P<ts3>{_TIME_AFTER}))?"
    r")",
    re.MULTILINE,
)
_HEADING_LABEL = re.compile(
    r"^[ \t]{0,3}(?P<label>#{1,6}[ \t]*(?P<name>[^\s#][^\n]{0,39}?)[ \t]*[:：])[ \t]*$",
    re.MULTILINE,
)
_NUMBERED_SPEAKER = r"(?:说话人|說話人|发言人|發言人|讲话人|講話人|(?i:speaker))[ \t_]*\d{1,3}"
# A speaker and a time on a line of their own, the words on the next lines (ASR exports):
# 说话人1 00:00:03, 发言人 1  01:12, 张三 00:05:40, 用户8372(00:00:03), 00:00:03 张三.
_BLOCK_LABEL = re.compile(
    r"^[ \t\u3000]*(?P<label>"
    rf"(?:(?P<ts1>{_TIME_MARK})[ \t]+)?"
    rf"(?P<name>(?P<numbered>{_NUMBERED_SPEAKER})|[^\s\d:：|#>*\-\[【(（][^\n:：|()（）]{{0,19}}?)"
    rf"[ \t]*{_desc('d')}"
    rf"(?:(?P<ts2>{_TIME_MARK}))?"
    r"[ \t]*[:：]?)"
    r"(?:[ \t]*$|[ \t]+(?=\S)(?(numbered)|(?!)))",  # only 说话人N may have words on its line
    re.MULTILINE,
)

_SENTENCE_PUNCTUATION_RE = re.compile("[。，,？?！!；;…、“”\"‘’'/=]")
_LETTER_RE = re.compile(rf"[A-Za-z{_HAN}]")
_LIST_ITEM_RE = re.compile(r"\d{1,3}[.、)）]|[(（]\d|[•·●▪◦]")
# Words no name holds: pronouns, particles and demonstratives (我觉得：, 这个问题：).
_NOT_IN_NAME_RE = re.compile("[我你他她它咱您的了吗嗎呢吧啊呀嘛么麼这這那哪什怎]")
# A name does not end in a verb of saying: 他说：, 李明表示：, 有人问： quote speech.
_SAYING_RE = re.compile(
    "(?:说|說|道|讲|講|曰|问|問|表示|认为|認為|指出|回答|回应|回應|提到|强调|強調|补充|補充|"
    "称|稱|写|寫|是|有)$"
)
# Words that start a line with a colon in prose and notes, never names.
_NOT_A_NAME_WORDS = (
    "比如 例如 譬如 注意 注 备注 備註 说明 說明 总之 總之 总结 總結 结论 結論 原因 问题 問題 答案 "
    "首先 其次 然后 然後 最后 最後 另外 此外 重点 重點 关键 關鍵 结果 結果 目的 提示 附 附件 附注 "
    "附註 摘要 例子 举例 舉例 定义 定義 时间 時間 日期 地点 地點 标题 標題 主题 主題 关键词 關鍵詞 "
    "文字记录 文字記錄 方面 意见 意見 建议 建議 看法 想法 感受 体会 體會 评价 評價 优点 優點 缺点 "
    "缺點 好处 好處 坏处 壞處 困难 困難 需求 情况 情況 背景 现状 現狀 对策 對策 措施 办法 辦法 "
    "笑 笑声 笑聲 大笑 停顿 停頓 沉默 听不清 聽不清 咳嗽 掌声 掌聲 音乐 音樂 "
    "杂音 雜音 插话 插話 众人 眾人 note notes summary example tip warning todo http https ftp www "
    "mailto inaudible laughter laughs laughing crosstalk pause silence music noise applause"
)
_NOT_A_NAME = frozenset(_NOT_A_NAME_WORDS.split())
_NUMBER_WORD_RE = re.compile("第?[一二三四五六七八九十]+[是点點、]?|[一二三四五六七八九十]是")
_HAN_IN_NAME_MAX = 10
_LATIN_WORDS_MAX = 3
_ESTABLISHED_LABELS = 3  # label lines (roles or recurring names) that make a file's labels sure


class _Label(NamedTuple):
    start: int  # first character of the label, markup and timestamp included
    end: int  # end of the label; the spoken words follow (after whitespace)
    speaker: str
    timestamp: str
    description: str = ""


def _is_time(text: str) -> bool:
    return re.fullmatch(_TIME_RANGE, text.strip()) is not None


_NUMBERED_QUESTION_RE = re.compile(r"([QA问答問])[ \t]?\d{1,3}")


def _candidate(m: re.Match[str], name: str, description: str | None, *times: str | None) -> _Label:
    timestamp = next((t for t in times if t), "")
    description = (description or "").strip()
    if description and _is_time(description):  # 受访者（00:01:05）：
        timestamp, description = timestamp or description, ""
    timestamp = timestamp.strip().strip("[]【】()（）").strip()
    name = name.strip()
    if numbered := _NUMBERED_QUESTION_RE.fullmatch(name):  # Q1 / A1: question 1, its answer
        name = numbered[1]
    return _Label(m.start("label"), m.end("label"), name, timestamp, description)


def _inline_candidates(text: str, pos: int) -> list[_Label]:
    """``访谈者：…``, ``**I:** …``, ``【访谈者】…``, ``[SPEAKER_00]: …``, ``受访者（女）：…``, with
    a time before the name, before the colon or after it."""
    found = []
    for m in _INLINE_LABEL.finditer(text, pos):
        if text.startswith("//", m.end("label")):  # http://…
            continue
        name = m["bold"] or m["bracketed"] or m["plain"]
        description = m["d1"] or m["d2"] or m["d3"]
        times = (m["ts1"], m["ts2"], m["ts3"], m["ts4"], m["ts5"])
        found.append(_candidate(m, name, description, *times))
    return found


def _heading_candidates(text: str, pos: int) -> list[_Label]:
    """``### 唐鳳：`` on a line of its own."""
    return [
        _Label(m.start("label"), m.end("label"), m["name"].strip(), "")
        for m in _HEADING_LABEL.finditer(text, pos)
    ]


def _block_candidates(text: str, pos: int) -> list[_Label]:
    """A speaker and a time on a line of its own (only 说话人N may have words after it)."""
    found = []
    for m in _BLOCK_LABEL.finditer(text, pos):
        label = _candidate(m, m["name"], m["d"], m["ts1"], m["ts2"])
        if label.timestamp:
            found.append(label)
    return found


# A time and the words, no speaker (Whisper's text with times): bracketed, or bare with seconds.
_TIMED_LINE = re.compile(
    rf"^[ \t\u3000]*(?P<label>(?P<ts>[\[【(（]{_TIME_RANGE}[\]】)）]"
    rf"|\d{{1,2}}:\d{{2}}(?::\d{{2}}|[.,]\d{{1,3}}){_TIME_RANGE[len(_TIME) :]}))[ \t]+(?=\S)",
    re.MULTILINE,
)
_TIMED_LINES_MIN = 3


def _timed_line_candidates(text: str, pos: int) -> list[_Label]:
    """``[00:00:03] 文字`` lines, when at least three: each one turn of an unknown speaker."""
    found = [
        _Label(m.start("label"), m.end("label"), UNKNOWN_SPEAKER, m["ts"].strip("[]【】()（）"))
        for m in _TIMED_LINE.finditer(text, pos)
    ]
    return found if len(found) >= _TIMED_LINES_MIN else []


def is_name_like(name: str) -> bool:
    """Whether ``name`` can be a speaker's name: short, with a letter, not a phrase of prose."""
    name = unicodedata.normalize("NFKC", name)  # full-width Latin letters and digits
    if (
        not _LETTER_RE.search(name)
        or _SENTENCE_PUNCTUATION_RE.search(name)
        or _LIST_ITEM_RE.match(name)
        or _NOT_IN_NAME_RE.search(name)
        or _SAYING_RE.search(name)
        or name.lower() in _NOT_A_NAME
        or _NUMBER_WORD_RE.fullmatch(name)
        or _KNOWN_KEY_RE.fullmatch(name)
    ):
        return False
    han = len(re.findall(f"[{_HAN}]", name))
    return han <= _HAN_IN_NAME_MAX and len(name.split()) <= _LATIN_WORDS_MAX


class LabelChoice(NamedTuple):
    """The speaker labels taken in a text, and what a researcher should check."""

    layout: str  # "heading", "block", "inline", "timed" or "" (none found)
    labels: list[_Label]
    once: list[_Label]  # speakers with one turn only (taken, reported)
    not_taken: list[_Label]  # lines shaped like a label whose name was not taken


def _take(
    candidates: list[_Label], declared: frozenset[str] | None, *, shape_is_sure: bool = False
) -> LabelChoice:
    """Decide which candidates of one layout are labels (see the section comment); with
    ``shape_is_sure`` (a heading ending in a colon) every one is."""
    if shape_is_sure and declared is None:
        return LabelChoice("", candidates, [], [])
    if declared is not None:
        taken = [c for c in candidates if c.speaker in declared]
        rest = [c for c in candidates if c.speaker not in declared and is_name_like(c.speaker)]
        return LabelChoice("", taken, [], rest)
    times_used = Counter(c.speaker for c in candidates)
    sure = {
        name
        for name, n in times_used.items()
        if is_role_label(name) or (n >= 2 and is_name_like(name))
    }
    established = sum(times_used[name] for name in sure) >= _ESTABLISHED_LABELS and any(
        times_used[name] >= 2 for name in sure
    )
    taken, once, not_taken = [], [], []
    for c in candidates:
        if c.speaker in sure:
            taken.append(c)
        elif is_name_like(c.speaker) and established:
            taken.append(c)
            once.append(c)
        elif is_name_like(c.speaker):
            not_taken.append(c)
    return LabelChoice("", taken, once, not_taken)


# (layout, its candidates, whether its shape alone makes a label)
_LAYOUTS: tuple[tuple[str, Callable[[str, int], list[_Label]], bool], ...] = (
    ("heading", _heading_candidates, True),
    ("block", _block_candidates, False),
    ("inline", _inline_candidates, False),
    ("timed", _timed_line_candidates, True),
)


def _choose_labels(text: str, pos: int, declared: frozenset[str] | None) -> LabelChoice:
    """The layout whose labels are most numerous; on a tie the earlier one in ``_LAYOUTS``."""
    best = LabelChoice("", [], [], [])
    for name, find, shape_is_sure in _LAYOUTS:
        choice = _take(find(text, pos), declared, shape_is_sure=shape_is_sure)
        if len(choice.labels) > len(best.labels):
            best = choice._replace(layout=name)
    return best


def _with_time_above(text: str, labels: list[_Label]) -> list[_Label]:
    """Move each label's start up over a time on a line of its own right above it
    (``00:00:03`` / ``[00:00:03]``), which then is the label's time."""
    moved = []
    previous_end = 0
    for label in labels:
        line_end = text.rfind("\n", previous_end, label.start)
        if line_end > previous_end:
            line_start = text.rfind("\n", previous_end, line_end) + 1
            above = text[max(line_start, previous_end) : line_end]
            if _TIME_ONLY_LINE_RE.fullmatch(above) and not text[line_end : label.start].strip():
                start = line_start + len(above) - len(above.lstrip())
                timestamp = label.timestamp or above.strip().strip("[]【】()（）").strip()
                label = label._replace(start=start, timestamp=timestamp)
        moved.append(label)
        previous_end = label.end
    return moved


# --- header ---------------------------------------------------------------------------------

_HEADER_MAX_LINES = 200  # the header is at the top; never scan a whole long transcript for it
_META_LINE = re.compile(
    r"[ \t\u3000]*(?:[-*+][ \t]+|\d{1,2}[.、)][ \t]*)?(?:\*\*)?[ \t]*"
    r"(?P<key>[^\s:：*|#>。，,？?！!][^\n\t:：*|。，,？?！!]{0,11}?)"
    r"[ \t]*(?:\*\*)?[ \t]*(?:[:：][ \t]*(?:\*\*)?|\t)[ \t\u3000]*(?P<value>[^\n]*?)[ \t\u3000]*"
)
_META_VALUE_MAX = 80
_KNOWN_KEY_RE = re.compile(
    "编号|編號|序号|序號|代码|代碼|时间|時間|日期|时长|時長|地点|地點|场所|場所|对象|對象|主题|主題|"
    "题目|題目|标题|標題|项目|項目|记录|記錄|紀錄|整理|转录|轉錄|转写|轉寫|性别|性別|年龄|年齡|职业|"
    "職業|单位|單位|身份|方式|备注|備註|语言|語言|录音|錄音|文件|来源|來源|关键词|關鍵詞|人数|人數|"
    r"(?i:\b(?:id|no|date|time|place|location|topic|title|code|duration)\b)"
)
_MARKDOWN_HEADING_RE = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]+|$)")
_TITLE_MAX = 60
_TITLE_END_RE = re.compile("[。！？!?；;，,：:…]$")
_NON_SPACE_RE = re.compile(r"\S")

# ASR export headers (Feishu Minutes): "2024年4月2日 上午 10:15|38分钟 12秒", "关键词:", "文字记录:".
_FEISHU_DATE_RE = re.compile(
    r"(?P<date>\d{4}年\d{1,2}月\d{1,2}日[^|｜\n]*?)[ \t]*[|｜][ \t]*(?P<duration>[^\n]*?)[ \t]*"
)
_ASR_SECTION_RE = re.compile(
    r"(?P<key>关键词|關鍵詞|文字记录|文字記錄)[ \t]*[:：][ \t]*(?P<value>.*?)\s*"
)
_FEISHU_SPEAKER_RE = re.compile("^(?:发言人|發言人)")
_IFLYTEK_SPEAKER_RE = re.compile(r"(?:说话人|說話人)[ \t]*\d{1,3}")
_WHISPERX_SPEAKER_RE = re.compile(r"SPEAKER_\d{1,3}")


def _iter_lines(text: str, pos: int = 0) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each line from ``pos``, ``end`` before its ``\\n``."""
    length = len(text)
    while pos <= length:
        end = text.find("\n", pos)
        if end < 0:
            end = length
        yield pos, end
        pos = end + 1


def _text_lines_before(text: str, stop: int) -> list[tuple[int, int]]:
    """The non-blank lines that end at or before ``stop``."""
    return [
        (start, end)
        for start, end in takewhile(lambda line: line[1] <= stop, _iter_lines(text))
        if text[start:end].strip()
    ]


def _paragraphs(text: str, pos: int) -> list[list[tuple[int, int]]]:
    """Runs of non-blank lines near the top of the text."""
    paragraphs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for start, end in islice(_iter_lines(text, pos), _HEADER_MAX_LINES):
        if text[start:end].strip():
            current.append((start, end))
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _meta(line: str) -> tuple[str, str] | None:
    """``(key, value)`` of a short ``key：value`` line, else None."""
    m = _META_LINE.fullmatch(line)
    if m is None or len(m["value"]) > _META_VALUE_MAX or re.search("[？?！!]", m["value"]):
        return None
    return m["key"].strip(), m["value"].strip()


def _title(line: str) -> str | None:
    """The title a line holds if it can be one: a ``# heading`` or a short plain line."""
    stripped = line.strip()
    if _MARKDOWN_HEADING_RE.match(line):
        title = stripped.lstrip("#").strip()
        return None if _TITLE_END_RE.search(title) else title
    if len(stripped) > _TITLE_MAX or _TITLE_END_RE.search(stripped) or _meta(line):
        return None
    return stripped


def _add_meta(metadata: dict[str, str], line: str) -> bool:
    """Record a ``key：value`` line (or a tab-separated table row of pairs); True if it was one."""
    if "\t" in line.strip():
        cells = [cell.strip() for cell in line.strip().split("\t")]
        if len(cells) % 2 == 0:
            for key, value in zip(cells[::2], cells[1::2], strict=True):
                if key:
                    metadata.setdefault(key.rstrip(":："), value)
            return True
    pair = _meta(line)
    if pair is None:
        return False
    metadata.setdefault(*pair)
    return True


def _has_text_after(text: str, pos: int) -> bool:
    return _NON_SPACE_RE.search(text, pos) is not None


def _span_of(text: str, lines: list[tuple[int, int]]) -> Span:
    start, _ = lines[0]
    _, end = lines[-1]
    start += len(text[start:end]) - len(text[start:end].lstrip())
    return Span(start, start + len(text[start:end].rstrip()))


def _top_header(text: str, label_starts: set[int]) -> tuple[Span | None, dict[str, str]]:
    """Title line and ``key：value`` paragraphs at the top of the text (see the module rules)."""
    paragraphs = _paragraphs(text, 0)
    if not paragraphs:
        return None, {}
    metadata: dict[str, str] = {}
    kept: list[tuple[int, int]] = []

    def is_label(line: tuple[int, int]) -> bool:
        start, end = line
        return (
            start + len(text[start:end]) - len(text[start:end].lstrip(" \t\u3000")) in label_starts
        )

    first = paragraphs[0]
    title = None if is_label(first[0]) else _title(text[slice(*first[0])])
    following = first[1] if len(first) > 1 else paragraphs[1][0] if len(paragraphs) > 1 else None
    if title is not None and following is not None:
        # A plain line is a title only where something marks it as one: a blank line before
        # speaker turns, or a key：value line or a label right under it.
        fits = (
            bool(_MARKDOWN_HEADING_RE.match(text[slice(*first[0])]))
            or is_label(following)
            or _meta(text[slice(*following)]) is not None
            or (len(first) == 1 and bool(label_starts))
        )
        if fits:
            kept.append(first[0])
            metadata[TITLE_KEY] = title
            paragraphs = ([first[1:]] if len(first) > 1 else []) + paragraphs[1:]

    for paragraph in paragraphs:
        lines = [text[start:end] for start, end in paragraph]
        pairs = [_meta(line) for line in lines]
        known = [pair is not None and bool(_KNOWN_KEY_RE.search(pair[0])) for pair in pairs]
        if all(pairs) and any(known) and _has_text_after(text, paragraph[-1][1]):
            kept.extend(paragraph)
            for line in lines:
                _add_meta(metadata, line)
            continue
        # No blank line after the header: keep only its leading lines with well-known keys.
        for (start, end), line, is_known in zip(paragraph, lines, known, strict=True):
            if not is_known or is_label((start, end)) or not _has_text_after(text, end):
                break
            kept.append((start, end))
            _add_meta(metadata, line)
        break
    if not kept:
        return None, {}
    return _span_of(text, kept), metadata


def _table_header(text: str, header_end: int) -> tuple[Span | None, dict[str, str]]:
    """A .docx header: title paragraphs and the leading metadata table before ``header_end``."""
    lines = _text_lines_before(text, header_end)
    if not lines:
        return None, {}
    metadata: dict[str, str] = {}
    for start, end in lines:
        line = text[start:end]
        if not _add_meta(metadata, line) and TITLE_KEY not in metadata:
            metadata[TITLE_KEY] = line.strip().lstrip("#").strip()
    return _span_of(text, lines), metadata


def _asr_header(text: str, first_label: int) -> tuple[Span | None, dict[str, str], bool]:
    """Everything before the first ASR speaker block; also whether it is a Feishu header."""
    lines = _text_lines_before(text, first_label)
    if not lines:
        return None, {}, False
    metadata: dict[str, str] = {}
    feishu = False
    pending_key = ""  # "关键词:" with its keywords on the next line
    for start, end in lines:
        line = text[start:end].strip()
        if m := _FEISHU_DATE_RE.fullmatch(line):
            feishu = True
            metadata.setdefault("日期", m["date"])
            metadata.setdefault("时长", m["duration"])
        elif m := _ASR_SECTION_RE.fullmatch(line):
            feishu = True
            key = "关键词" if m["key"] in ("关键词", "關鍵詞") else ""
            if key and m["value"]:
                metadata.setdefault(key, m["value"])
            pending_key = key if key and not m["value"] else ""
            continue
        elif pending_key:
            metadata.setdefault(pending_key, line)
        elif not _add_meta(metadata, line) and TITLE_KEY not in metadata:
            metadata[TITLE_KEY] = line.lstrip("#").strip()
        pending_key = ""
    return _span_of(text, lines), metadata, feishu


# --- turns ----------------------------------------------------------------------------------


def _end_of_text_before(text: str, start: int, stop: int) -> int:
    """Position after the last non-whitespace character in ``text[start:stop]`` (or ``start``)."""
    return start + len(text[start:stop].rstrip())


def _first_text_from(text: str, pos: int, limit: int) -> int:
    m = _NON_SPACE_RE.search(text, pos, limit)
    return m.start() if m else limit


def _turns(text: str, labels: list[_Label]) -> list[Turn]:
    turns = []
    closing_time = ""  # f4 closes a turn with its time: the next turn starts then
    for i, label in enumerate(labels):
        stop = labels[i + 1].start if i + 1 < len(labels) else len(text)
        end = max(_end_of_text_before(text, label.start, stop), label.start + 1)
        body_start = _first_text_from(text, min(label.end, end), end)
        timestamp = label.timestamp or closing_time
        if not label.timestamp and (below := _TIME_BELOW_RE.match(text, body_start, end)):
            timestamp = below["ts"].strip("[]【】()（）")  # 访谈者：⏎[00:00:03]⏎words
            body_start = _first_text_from(text, below.end(), end)
        closing_time = ""
        if trailing := _TRAILING_TIME_RE.search(text, body_start, end):
            closing_time = trailing[0].strip().split()[-1].strip("#[]【】()（）")
            end = max(_end_of_text_before(text, body_start, trailing.start()), body_start)
        seconds = time_seconds(timestamp) if timestamp else None
        turns.append(Turn(label.start, end, label.speaker, body_start, timestamp, seconds))
    return turns


def parse_transcript(
    text: str,
    kind: str = "txt",
    *,
    encoding: str = "utf-8",
    header_end: int | None = None,
    speakers: Iterable[str] | None = None,
) -> ParsedTranscript:
    """Find the header, metadata and speaker turns of already decoded, normalised text.

    ``kind`` is the file kind ("txt", "md", "docx"), kept as ``format`` unless an ASR export
    layout is found. ``header_end`` marks the end of a .docx leading metadata table.
    ``speakers`` declares the labels: then exactly these names start turns.
    ``warnings`` name, with line numbers, speakers seen only once and lines shaped like a label
    whose name was not taken.
    """
    declared = frozenset(name.strip() for name in speakers) if speakers is not None else None
    from qualcode import frontmatter, subtitles  # subtitles imports this module

    cues = subtitles.parse_cues(text, kind, encoding=encoding, speakers=declared)
    if cues is not None:
        return cues  # subtitles, ASR exports, tables of turns: one cue or row, one turn
    if (front := frontmatter.find_front_matter(text)) is not None:
        blanked = front.blanked(text)  # offsets kept; the parser sees blank lines there
        parsed = parse_transcript(blanked, kind, encoding=encoding, speakers=speakers)
        return front.apply(parsed, text)
    choice = _choose_labels(text, header_end or 0, declared)
    labels = choice.labels
    fmt = kind
    if choice.layout == "block":
        header, metadata, feishu = _asr_header(text, labels[0].start)
        feishu = feishu or any(_FEISHU_SPEAKER_RE.match(label.speaker) for label in labels)
        iflytek = all(_IFLYTEK_SPEAKER_RE.fullmatch(label.speaker) for label in labels)
        fmt = "feishu" if feishu else "iflytek" if iflytek else "asr-blocks"
    elif header_end is not None:
        header, metadata = _table_header(text, header_end)
    else:
        header, metadata = _top_header(text, {label.start for label in labels})
    body_from = header.end if header else 0
    labels = _with_time_above(text, [label for label in labels if label.start >= body_from])

    warnings: list[str] = []
    if labels:
        turns = _turns(text, labels)
    else:
        start = _first_text_from(text, body_from, len(text))
        end = _end_of_text_before(text, start, len(text))
        turns = [Turn(start, end, UNKNOWN_SPEAKER, start)] if end > start else []
        warnings.append(
            "no speaker labels recognised (such as '访谈者：', '【受访者】', 'I:', '### 姓名：' or "
            "'说话人1 00:00:03' at the start of lines); the text was imported as one turn "
            "with an unknown speaker; name the speakers with --speakers if it has labels"
        )
    warnings += _label_warnings(text, choice, body_from, declared)
    if choice.layout == "timed":
        fmt = "timed-text"
    elif labels and all(_WHISPERX_SPEAKER_RE.fullmatch(label.speaker) for label in labels):
        fmt = "whisperx-txt"
    return ParsedTranscript(
        text=text,
        format=fmt,
        encoding=encoding,
        turns=turns,
        header=header,
        metadata=metadata,
        warnings=warnings,
        speaker_descriptions=_descriptions(labels, warnings),
    )


def line_number(text: str, pos: int) -> int:
    """The 1-based line of ``text`` that holds position ``pos``."""
    return text.count("\n", 0, pos) + 1


def _label_warnings(
    text: str, choice: LabelChoice, body_from: int, declared: frozenset[str] | None
) -> list[str]:
    def where(labels: list[_Label]) -> str:
        lines = [line_number(text, label.start) for label in labels if label.start >= body_from]
        return ", ".join(map(str, lines))

    warnings = []
    for label in choice.once:
        if label.start >= body_from:
            warnings.append(
                f"line {line_number(text, label.start)}: speaker '{label.speaker}' has only this "
                "one turn; check that it is a speaker (else name the speakers with --speakers)"
            )
    not_taken: dict[str, list[_Label]] = {}
    for label in choice.not_taken:
        not_taken.setdefault(label.speaker, []).append(label)
    for name, labels in not_taken.items():
        if lines := where(labels):
            why, fix = (
                ("it is not among --speakers", "add it to --speakers")
                if declared is not None
                else ("it does not recur", "name the speakers with --speakers")
            )
            warnings.append(
                f"line {lines}: '{name}' looks like a speaker label but was not taken ({why}); "
                f"its words stay in the turn before; if it is a speaker, {fix}"
            )
    return warnings


def _descriptions(labels: list[_Label], warnings: list[str]) -> dict[str, str]:
    """Each speaker's description (受访者（女，35岁）：), warning when a speaker has several."""
    seen: dict[str, list[str]] = {}
    for label in labels:
        if label.description and label.description not in seen.setdefault(label.speaker, []):
            seen[label.speaker].append(label.description)
    for speaker, descriptions in seen.items():
        if len(descriptions) > 1:
            warnings.append(
                f"speaker '{speaker}' has different descriptions ({'; '.join(descriptions)}); "
                f"the first is kept; if they are different people, give them different labels"
            )
    return {speaker: descriptions[0] for speaker, descriptions in seen.items()}
