"""Read interview transcripts: decode the file, find its header and its speaker turns.

``read_transcript(path)`` gives a :class:`~qualcode.model.ParsedTranscript`. Its ``text`` is the
source verbatim: BOM dropped and line ends normalised to ``\\n``; for .docx, each paragraph is a
line and each table row is one line with its cells joined by a tab. Labels, timestamps and the
header are spans over that text, never cut out of it.

Rules, so that a researcher can predict what the importer does:

Layouts. A speaker label starts a line. Three layouts are tried on the whole text and the one with
the most labels wins (ties: heading, then ASR, then colon):

* heading: a Markdown heading ending in a colon, the words on the next lines (``### 唐鳳：``).
* ASR blocks: a line holding only a speaker and a time (``说话人1 00:00:03``, ``发言人 1 01:12``,
  ``张三 00:05:40``; a name must recur), the words on the next lines (a numbered 说话人N may also
  have them on its own line). A blank line followed by unlabelled text is a new paragraph of the
  same speaker.
* colon: a label, a colon (``：`` or ``:``, inside or outside ``**bold**``) and the words
  (``访谈者：``, ``问：``, ``Q:``, ``**I:**``, ``受访者A：``, ``P1:``), optionally with a time
  (``[00:01:02] 访谈者：``, ``受访者（00:01:05）：``). Role words and codes are labels wherever
  they start a line; a personal name (2-4 Han characters led by a common surname or ending in a
  title such as 老师, or a capitalised Latin name) is a label only when it starts a line at least
  twice, so ``他说：好的`` is not a label. A tab may stand for the colon (a .docx table of
  speaker | words).

Turns. A turn runs from its label's first character to the last non-whitespace character before
the next label (or the end of the text): trailing blank lines belong to no turn. ``body_start``
is the first non-whitespace character after the label and its timestamp (``end`` for an empty
turn). Text before the first label that is not header belongs to no turn. Consecutive turns of
the same speaker stay separate turns, as the source wrote them.

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

Format. ``format`` is "iflytek" or "feishu" when an ASR export layout is found (Feishu when its
header markers or 发言人 labels are present), otherwise the file kind: "txt", "md" or "docx".

Unrecognised layout: the whole text after the header becomes one turn of speaker
``UNKNOWN_SPEAKER`` ("") and a warning says so. Empty, binary, undecodable or unsupported files
raise :class:`~qualcode.errors.TranscriptError`.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import islice, takewhile
from pathlib import Path
from typing import NamedTuple

from qualcode.errors import TranscriptError
from qualcode.model import ParsedTranscript, Span, Turn

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
}
"""File name endings qualcode reads, and the ``format`` each gives when no ASR layout is found."""

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


def read_transcript(path: Path) -> ParsedTranscript:
    """Read a .txt, .md or .docx transcript: stored text, header, metadata and speaker turns.

    Raise :class:`TranscriptError` for a missing, empty, binary, undecodable or unsupported file.
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
    return parse_transcript(text, kind, encoding=encoding, header_end=header_end)


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

    try:
        document = docx.Document(str(path))
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


# --- speaker labels -------------------------------------------------------------------------

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"

# Speaker roles: labels wherever they start a line. Simplified and traditional forms; a role may
# carry a number or letter (受访者A, 受访者 1, 访谈者甲).
# fmt: off
_ROLE_WORDS = (
    "访谈者", "訪談者", "访谈员", "訪談員", "访谈人", "訪談人", "访问者", "訪問者",
    "采访者", "採訪者", "研究者", "研究员", "研究員", "主持人", "主访者", "主訪者",
    "提问者", "提問者", "被访者", "被訪者", "受访者", "受訪者", "被访谈者", "被訪談者",
    "受访人", "受訪人", "被访人", "被訪人", "访谈对象", "訪談對象", "受访对象", "受訪對象",
    "记者", "記者", "参与者", "參與者", "问", "問", "答",
)
_ROLE_WORDS_EN = ("interviewer", "interviewee", "respondent", "moderator", "participant", "researcher")
# fmt: on
_ROLE_RE = re.compile(
    "(?:"
    + "|".join(sorted(_ROLE_WORDS, key=len, reverse=True))
    + "|(?i:"
    + "|".join(_ROLE_WORDS_EN)
    + r"))(?: ?(?:[A-Z]|\d{1,3}|[甲乙丙丁]))?"
    + r"|[QAIR]"  # Q/A, I/R
    + r"|[A-Z]\d{1,3}"  # P1, S2, R10
    + r"|(?:说话人|說話人|发言人|發言人|(?i:speaker))[ _]?\d{1,3}"  # ASR speaker ids, colon form
)
# Common surnames, without those that also begin everyday words (时间, 方面, 关于 ...).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范廖贾夏韦付邹孟熊秦邱尹薛闫段雷侯史陶贺顾郝龚邵钱严覃武戴莫孔汤葛邢乔伍庞"
    "颜倪庄聂章鲁岳翟殷詹欧耿兰焦俞柳甘祝符舒阮柯纪梅童凌毕裴霍涂苗盛翁冉骆蓝游辛靳柴蒙鲍喻祁蒲滕"
    "屈饶牟艾尤穆卓缪芦麦褚娄窦戚岑佟臧闵苟邬卞姬仇栾隋刁巫寇桑郎甄丛仲虞敖巩佘邝"
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓馮鄧蕭蔣葉蘇呂盧鍾譚陸賈韋鄒賀顧龔錢嚴湯喬龐顏聶魯歐蘭紀畢駱藍"
    "饒蘆麥婁竇閔鄔欒鄺閆"
)
_NAME_TITLES = (
    "先生|女士|小姐|老师|老師|教授|博士|医生|醫生|主任|经理|經理|书记|書記|局长|局長|科长|科長|"
    "处长|處長|部长|部長|委员|委員|同学|同學|阿姨|师傅|師傅|律师|律師|村长|村長|社长|社長"
)
_HAN_NAME_RE = re.compile(
    rf"(?:欧阳|歐陽|司马|司馬|诸葛|諸葛|上官|司徒|东方|東方|[{_SURNAMES}])[{_HAN}]{{1,3}}"
    rf"|[小老阿][{_SURNAMES}]"
    rf"|[{_HAN}]{{1,4}}(?:{_NAME_TITLES})"
)
_NOT_A_NAME_RE = re.compile("[说說讲講道问問曰]$")  # 王说：… is a quotation, not a label
_LATIN_NAME_RE = re.compile(r"[A-Z][A-Za-z.'-]*(?: [A-Z][A-Za-z.'-]*){0,2}")
_NAME = r"[^\s:：*#>|\-\[【(（][^\n:：*|\t]{0,19}?"

_HEADING_LABEL = re.compile(
    r"^[ \t]{0,3}(?P<label>#{1,6}[ \t]*(?P<name>[^\s#][^\n]{0,39}?)[ \t]*[:：])[ \t]*$",
    re.MULTILINE,
)
_COLON_LABEL = re.compile(
    r"^[ \t\u3000]*(?P<label>"
    rf"(?:[\[【(（](?P<ts1>{_TIME})[\]】)）][ \t]*)?"
    rf"(?:\*\*[ \t]*(?P<bold>{_NAME})[ \t]*(?:[:：][ \t]*\*\*|\*\*[ \t]*[:：])"
    rf"|(?P<plain>{_NAME})[ \t]*(?:[\[【(（](?P<ts2>{_TIME})[\]】)）][ \t]*)?(?:[:：]|(?=\t))))",
    re.MULTILINE,
)
_ASR_LABEL = re.compile(
    r"^[ \t\u3000]*(?P<label>(?P<name>"
    r"(?P<numbered>(?:说话人|說話人|发言人|發言人|讲话人|講話人|Speaker|SPEAKER)[ \t]*\d{1,3})"
    r"|[^\s\d:：|#>*\-][^\n:：|]{0,19}?)"
    rf"[ \t]+(?P<ts>{_TIME}))"
    r"(?:[ \t]*$|[ \t]+(?=\S)(?(numbered)|(?!)))",  # only 说话人N may have words on its line
    re.MULTILINE,
)
_SENTENCE_PUNCTUATION_RE = re.compile('[。，,？?！!；;…、“”"]')


class _Label(NamedTuple):
    start: int  # first character of the label, markup and timestamp included
    end: int  # end of the label; the spoken words follow (after whitespace)
    speaker: str
    timestamp: str


def _is_colon_speaker(name: str, times_used: int) -> bool:
    if _ROLE_RE.fullmatch(name):
        return True
    if times_used < 2:
        return False
    if _HAN_NAME_RE.fullmatch(name):
        return not _NOT_A_NAME_RE.search(name)
    return bool(_LATIN_NAME_RE.fullmatch(name))


def _heading_labels(text: str, pos: int) -> list[_Label]:
    """``### 唐鳳：`` on a line of its own."""
    return [
        _Label(m.start("label"), m.end("label"), m["name"].strip(), "")
        for m in _HEADING_LABEL.finditer(text, pos)
    ]


def _colon_labels(text: str, pos: int) -> list[_Label]:
    """``访谈者：…``, ``**I:** …``, ``受访者A：…``, names used as labels at least twice."""
    found = [(m, (m["bold"] or m["plain"]).strip()) for m in _COLON_LABEL.finditer(text, pos)]
    times_used = Counter(name for _, name in found)
    speakers = {name for name, times in times_used.items() if _is_colon_speaker(name, times)}
    return [
        _Label(m.start("label"), m.end("label"), name, m["ts1"] or m["ts2"] or "")
        for m, name in found
        if name in speakers
    ]


def _asr_labels(text: str, pos: int) -> list[_Label]:
    """``说话人1 00:00:03`` / ``发言人 1  01:12`` / ``张三 00:05:40`` on a line of its own."""
    found = [(m, m["name"].strip()) for m in _ASR_LABEL.finditer(text, pos)]
    times_used = Counter(name for _, name in found)
    return [
        _Label(m.start("label"), m.end("label"), name, m["ts"])
        for m, name in found
        if m["numbered"] or (times_used[name] >= 2 and not _SENTENCE_PUNCTUATION_RE.search(name))
    ]


_LAYOUTS: tuple[tuple[str, Callable[[str, int], list[_Label]]], ...] = (
    ("heading", _heading_labels),
    ("asr", _asr_labels),
    ("colon", _colon_labels),
)


def _choose_layout(text: str, pos: int) -> tuple[str, list[_Label]]:
    """The layout that finds the most labels; on a tie the earlier one in ``_LAYOUTS``."""
    best_name, best_labels = "", []
    for name, find in _LAYOUTS:
        labels = find(text, pos)
        if len(labels) > len(best_labels):
            best_name, best_labels = name, labels
    return best_name, best_labels


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
    for i, label in enumerate(labels):
        stop = labels[i + 1].start if i + 1 < len(labels) else len(text)
        end = max(_end_of_text_before(text, label.start, stop), label.start + 1)
        body_start = _first_text_from(text, min(label.end, end), end)
        turns.append(Turn(label.start, end, label.speaker, body_start, label.timestamp))
    return turns


def parse_transcript(
    text: str,
    kind: str = "txt",
    *,
    encoding: str = "utf-8",
    header_end: int | None = None,
) -> ParsedTranscript:
    """Find the header, metadata and speaker turns of already decoded, normalised text.

    ``kind`` is the file kind ("txt", "md", "docx"), kept as ``format`` unless an ASR export
    layout is found. ``header_end`` marks the end of a .docx leading metadata table.
    """
    layout, labels = _choose_layout(text, header_end or 0)
    fmt = kind
    if layout == "asr":
        header, metadata, feishu = _asr_header(text, labels[0].start)
        feishu = feishu or any(_FEISHU_SPEAKER_RE.match(label.speaker) for label in labels)
        fmt = "feishu" if feishu else "iflytek"
    elif header_end is not None:
        header, metadata = _table_header(text, header_end)
    else:
        header, metadata = _top_header(text, {label.start for label in labels})
    body_from = header.end if header else 0
    labels = [label for label in labels if label.start >= body_from]

    warnings: list[str] = []
    if labels:
        turns = _turns(text, labels)
    else:
        start = _first_text_from(text, body_from, len(text))
        end = _end_of_text_before(text, start, len(text))
        turns = [Turn(start, end, UNKNOWN_SPEAKER, start)] if end > start else []
        warnings.append(
            "no speaker labels recognised (such as '访谈者：', '问：', 'I:', '### 姓名：' or "
            "'说话人1 00:00:03' at the start of a line); the text was imported as one turn "
            "with an unknown speaker"
        )
    return ParsedTranscript(
        text=text,
        format=fmt,
        encoding=encoding,
        turns=turns,
        header=header,
        metadata=metadata,
        warnings=warnings,
    )
