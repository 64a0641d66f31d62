"""Tables out: CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it), XLSX, Markdown,
LaTeX, JSON Lines. Every listing and report of qualcode is written through :func:`write_table`,
or :func:`write_tables` for a report made of several tables.

Reports speak the reader's language: :func:`localize` gives a report table its headers (and
the few words qualcode itself puts in cells) in Chinese or English, :func:`table_note` the
note that goes under it (what was counted, how parent codes count). XLSX sheets get fitted
column widths and a percentage format on percentage columns; Markdown, LaTeX and XLSX carry
the note under the table, CSV and JSON Lines stay pure data for programs."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import QualcodeError
from ..fileio import atomic_write_bytes
from ..settings import LANGUAGES

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".md": "markdown", ".tex": "latex", ".jsonl": "jsonl"}

# One table of a multi-table report: (name, columns, rows).
NamedTable = tuple[str, Sequence[str], Iterable[Sequence[object]]]


def table_format(path: str | Path, fmt: str | None = None) -> str:
    """The format named by ``fmt`` or, failing that, by the file's extension."""
    if fmt:
        if fmt not in FORMATS.values():
            raise QualcodeError(
                f"unknown table format {fmt!r}; use one of {', '.join(FORMATS.values())}"
            )
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise QualcodeError(
            f"cannot tell the table format from {Path(path).name!r}; "
            f"end the file name with {', '.join(FORMATS)} or pass --format",
            path=path,
        )
    return FORMATS[suffix]


def write_table(
    path: str | Path,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    fmt: str | None = None,
    sheet: str = "qualcode",
) -> None:
    """Write one table atomically in the format chosen by ``fmt`` or the extension."""
    rows = [["" if v is None else v for v in row] for row in rows]
    kind = table_format(path, fmt)
    data = {"csv": _csv, "xlsx": _xlsx, "markdown": _markdown, "latex": _latex, "jsonl": _jsonl}[
        kind
    ](columns, rows, sheet)
    atomic_write_bytes(path, data)


def write_tables(
    path: str | Path,
    tables: Sequence[NamedTable],
    fmt: str | None = None,
    *,
    note: str = "",
    lang: str | None = None,
) -> list[Path]:
    """Write the tables of one report, each file atomically; returns the files written.

    XLSX: one workbook, one sheet per table, each with its header row frozen, columns as
    wide as their contents, percentages shown with %. Markdown and LaTeX: one file, each
    table under its name. CSV and JSON Lines hold one table per file: the first table goes
    to ``path``, each further one beside it as ``STEM.NAME.csv``. ``note`` (see
    :func:`table_note`) goes under each table in XLSX, Markdown and LaTeX. Cells should
    come at full precision (:func:`frame_cells` with ``rounded=False``): CSV, XLSX and JSON
    Lines keep it; Markdown and LaTeX round for reading and say so, in ``lang``.
    """
    path = Path(path)
    kind = table_format(path, fmt)
    tables = [
        (name, columns, [["" if v is None else v for v in row] for row in rows])
        for name, columns, rows in tables
    ]
    if kind == "xlsx":
        atomic_write_bytes(path, _xlsx_book(tables, note))
        return [path]
    if kind in ("markdown", "latex"):
        write = _markdown if kind == "markdown" else _latex
        parts = []
        for name, columns, rows in tables:
            heading = (
                f"## {name}\n\n" if kind == "markdown" else "% " + name.replace("\n", " ") + "\n"
            )
            parts.append(
                heading.encode("utf-8") + write(columns, rows, name, lang) + _note_lines(kind, note)
            )
        atomic_write_bytes(path, b"\n".join(parts))
        return [path]
    written = []
    for i, (name, columns, rows) in enumerate(tables):
        target = path if i == 0 else path.with_name(f"{path.stem}.{_file_part(name)}{path.suffix}")
        write_table(target, columns, rows, kind, sheet=name)
        written.append(target)
    return written


def _file_part(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "table"


def _csv(columns: Sequence[str], rows: list[list[object]], sheet: str) -> bytes:
    out = io.StringIO(newline="")
    writer = SafeCsvWriter(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


# --- formula injection ----------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take a cell starting with for a formula (or, tab and CR, hide one
behind): OWASP's list for CSV injection."""
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet may hold it without running it: text starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a CR gets a leading ``'`` (so ``=HYPERLINK(…)`` is shown,
    not followed), as does text starting with ``'`` and one of those, so that a reader that
    takes one ``'`` off (:mod:`qualcode.exchange.codings`) gets the text back exactly. A
    plain number written as text (``-3``, ``+1.5``) stays as it is; numbers, dates and None
    are returned unchanged. Every cell, header and sheet name of CSV and XLSX goes through
    here: the writers of this module, and :class:`SafeCsvWriter` for streamed tables."""
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    if first == "'" and value[1:2] in FORMULA_STARTS:
        return "'" + value
    if first in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """A :func:`csv.writer` whose every cell passes :func:`safe_cell`: for tables streamed
    row by row (``qualcode batch``) that cannot go through :func:`write_table` whole."""

    def __init__(self, handle, dialect: str | type[csv.Dialect] = "excel", **options: object):
        self._writer = csv.writer(handle, dialect, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a number (``float`` accepts it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _xlsx(columns: Sequence[str], rows: list[list[object]], sheet: str) -> bytes:
    return _xlsx_book([(sheet, columns, rows)])


def _xlsx_book(
    tables: Sequence[tuple[str, Sequence[str], list[list[object]]]], note: str = ""
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    # Write-only: each row goes into the sheet's XML as it is appended, without a cell object
    # kept per value (the 37,000 sentences of a 3 MB transcript: 1.1 s instead of 2.6).
    book = Workbook(write_only=True)
    used: set[str] = set()
    bold, italic = Font(bold=True), Font(italic=True)
    for name, columns, rows in tables:
        ws = book.create_sheet(_sheet_title(name, used))
        ws.freeze_panes = "A2"
        for i, column in enumerate(columns):
            width = max(
                [display_width(column), *(display_width(row[i]) for row in rows if i < len(row))]
            )
            ws.column_dimensions[get_column_letter(i + 1)].width = min(width + 2, 60)
        # Cells keep full precision; number formats only change what Excel shows. A
        # percentage column (or every number of a table of percentages, the cross-tab's
        # row % and column %) holds 0-100: shown with a % sign, the value left as it is.
        whole = "%" in name
        shown = [
            PERCENT_FORMAT
            if whole or "%" in str(column)
            else P_FORMAT
            if str(column) in _P_COLUMNS
            else FRACTION_FORMAT
            for column in columns
        ]
        ws.append([_styled(ws, _xlsx_cell(column), font=bold) for column in columns])
        for row in rows:
            cells = [_xlsx_cell(v) for v in row]
            for i, value in enumerate(cells):
                if i < len(shown) and (
                    isinstance(value, float)
                    or (
                        shown[i] == PERCENT_FORMAT
                        and isinstance(value, int)
                        and not isinstance(value, bool)
                    )
                ):
                    cells[i] = _styled(ws, value, number_format=shown[i])
            ws.append(cells)
        if note:
            ws.append([])
            ws.append([_styled(ws, _xlsx_cell(note), font=italic)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _styled(ws, value: object, *, font=None, number_format: str | None = None):
    """A cell of a write-only sheet with a font or a number format."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value)
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell


PERCENT_FORMAT = '0.0"%"'
"""XLSX number format of percentage cells: values are 0-100, so 33.3 shows as 33.3%."""
FRACTION_FORMAT = "0.0000"
"""XLSX number format of other non-integer cells (kappa, alpha, expected counts, G2)."""
P_FORMAT = "[<0.0001]0.00E+00;0.0000"
"""XLSX number format of p- and q-values: four decimals, a tiny one in scientific notation."""


def display_width(value: object) -> int:
    """Terminal (and spreadsheet) columns ``value`` takes as text: a Chinese character two;
    the widest line of a text with line breaks. Numbers as they are shown: rounded."""
    return text_width(f"{value:.4g}" if isinstance(value, float) else str(value))


def text_width(text: str) -> int:
    """Terminal cells ``text`` takes, the widest of its lines: what ``rich.cells.cell_len``
    gives (a Chinese character two, a combining mark none), several times faster on
    Chinese text, since each character's width is looked up once per process."""
    if text.isascii() and text.isprintable():
        return len(text)
    if "\n" in text:
        return max(text_width(line) for line in text.split("\n"))
    if ZERO_WIDTH_JOINER in text or EMOJI_SELECTOR in text:
        from rich.cells import cell_len

        return cell_len(text)  # one glyph of several characters: rich measures it whole
    return sum(map(CHARACTER_WIDTHS.__getitem__, text))


class _CharacterWidths(dict[str, int]):
    """Terminal cells of each character as rich counts them, looked up on first use."""

    def __missing__(self, character: str) -> int:
        from rich.cells import get_character_cell_size

        self[character] = size = get_character_cell_size(character)
        return size


CHARACTER_WIDTHS = _CharacterWidths()
"""Character -> terminal cells (0, 1 or 2), as rich counts them: for measuring and folding
long text one character at a time (:func:`text_width`, :mod:`qualcode.cli.terminal`)."""
# A zero-width joiner or an emoji variation selector makes one glyph of several characters.
ZERO_WIDTH_JOINER, EMOJI_SELECTOR = "\u200d", "\ufe0f"


def _note_lines(kind: str, note: str) -> bytes:
    if not note:
        return b""
    if kind == "markdown":
        return f"\n{_markdown_text(note)}\n".encode()
    return (
        "\\par\\smallskip{\\footnotesize "
        + "".join(_LATEX_SPECIAL.get(ch, ch) for ch in note)
        + "}\n"
    ).encode()


def _markdown_text(text: str) -> str:
    # A note is prose under the table: keep *, _, | and < from being read as markup.
    return re.sub(r"([\\`*_|<>#\[\]])", r"\\\1", text.replace("\n", " "))


def _sheet_title(name: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ nor control characters, no ' at either
    # end, unique within the workbook. A name that starts like a formula gets a _ (a ' is
    # not allowed there) so that no sheet name from user data reads as one (safe_cell).
    title = re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f]", "_", name)
    if title[:1] in FORMULA_STARTS or title[:1] == "'":
        title = "_" + title
    title = title[:31].rstrip("'") or "table"
    base, n = title, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


# Control characters an XLSX cell cannot hold (openpyxl refuses them): shown as U+FFFD.
_NOT_IN_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_cell(value: object) -> object:
    # openpyxl stores text starting with = as a formula; the rest as Excel would type it.
    if isinstance(value, str):
        value = _NOT_IN_XLSX.sub("\ufffd", value)
    return safe_cell(value)


def _markdown(
    columns: Sequence[str], rows: list[list[object]], sheet: str, lang: str | None = None
) -> bytes:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", "<br>")

    rows, rounded = readable(columns, rows)  # a page is read by a person: rounded, and said so
    lines = [
        "| " + " | ".join(cell(c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    if rounded:
        lines += ["", _markdown_text(rounding_note(table_language(lang)))]
    return ("\n".join(lines) + "\n").encode("utf-8")


_LATEX_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}


def _latex(
    columns: Sequence[str], rows: list[list[object]], sheet: str, lang: str | None = None
) -> bytes:
    def cell(v: object) -> str:
        return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(v)).replace("\n", " ")

    rows, rounded = readable(columns, rows)
    lines = [
        r"\begin{tabular}{" + "l" * len(columns) + "}",
        r"\hline",
        " & ".join(cell(c) for c in columns) + r" \\",
        r"\hline",
    ]
    lines += [" & ".join(cell(v) for v in row) + r" \\" for row in rows]
    lines += [r"\hline", r"\end{tabular}"]
    if rounded:
        lines.append(
            _note_lines("latex", rounding_note(table_language(lang))).decode().rstrip("\n")
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _jsonl(columns: Sequence[str], rows: list[list[object]], sheet: str) -> bytes:
    lines = [
        json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False, default=str)
        for row in rows
    ]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def frame_cells(
    frame: pd.DataFrame, *, rounded: bool = True, percent: bool = False
) -> tuple[list[str], list[list[object]]]:
    """Columns and rows of a report table (a DataFrame) as plain Python values: NaN as None
    (blank), True/False as yes/no, numpy scalars as ints and floats. ``rounded``: numbers
    rounded for a person to read (see :func:`readable`), for the terminal and the screen;
    ``rounded=False`` keeps every float at full precision, for files: CSV, XLSX and JSON
    Lines keep it, and the Markdown and LaTeX writers round it themselves. ``percent``: every
    number of the table is a percentage (a cross-tab's row % table, whose columns are groups)."""
    columns = [str(c) for c in frame.columns]
    rounding = [_rounding("%" if percent else column) if rounded else float for column in columns]
    rows = []
    for values in frame.itertuples(index=False, name=None):
        row: list[object] = []
        for value, round_ in zip(values, rounding, strict=True):
            if isinstance(value, bool) or (hasattr(value, "dtype") and value.dtype.kind == "b"):
                value = "yes" if value else "no"  # the same word in every format
            elif isinstance(value, float) or (hasattr(value, "dtype") and value.dtype.kind == "f"):
                value = None if math.isnan(value) else round_(float(value))
            elif hasattr(value, "item"):  # numpy scalars: plain Python values for every writer
                value = value.item()
            row.append(value)
        rows.append(row)
    return columns, rows


def _rounding(column: str):
    """How a person reads a column's numbers: percentages to one decimal, p- and q-values
    to four significant digits, other fractions to four decimals."""
    if "%" in column:
        return lambda v: round(v, 1)
    if column in _P_COLUMNS:
        return lambda v: float(f"{v:.4g}")
    return lambda v: round(v, 4)


_P_COLUMNS = {"p", "q"}


def readable(
    columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> tuple[list[list[object]], bool]:
    """``rows`` with their floats rounded for reading (see :func:`_rounding`), and whether
    any float was: then what is printed must say so (:func:`rounding_note`)."""
    rounding = [_rounding(str(c)) for c in columns]
    out, changed = [], False
    for row in rows:
        cells = list(row)
        for i, value in enumerate(cells):
            if isinstance(value, float) and not math.isnan(value) and i < len(rounding):
                cells[i] = rounding[i](value)
                changed = True
        out.append(cells)
    return out, changed


_ROUNDING = {
    "zh": "数字为便于阅读已四舍五入：百分比保留一位小数，p 值和 q 值保留四位有效数字，其余保留四位"
    "小数；导出为 CSV、XLSX 或 JSONL 时保留全部精度",
    "en": "Numbers rounded for reading: percentages to 1 decimal, p and q to 4 significant "
    "digits, other fractions to 4 decimals; CSV, XLSX and JSON Lines keep full precision",
}


def rounding_note(lang: str = "en") -> str:
    """The line under a rounded table (terminal, Markdown, LaTeX) saying how it was rounded
    and where the full precision is."""
    return _ROUNDING.get(lang, _ROUNDING["en"]) + ("。" if lang == "zh" else ".")


# --- reports in the reader's language -------------------------------------------------------

# The columns, sheet names and marker cells of qualcode's reports, in Chinese. Anything not
# named here (transcript names, attribute values, coders) is the researcher's and stays.
_ZH = {
    "code_id": "编码ID",
    "code": "编码",
    "segments": "片段数",
    "transcripts": "受访者数",
    "% transcripts": "受访者占比（%）",
    "characters": "编码字数",
    "Total": "合计",
    "(any code)": "（任一编码）",
    "(respondents)": "（受访者数）",
    "(segments)": "（片段数）",
    "(missing)": "（缺失）",
    "(overall)": "（总体）",
    "word": "词语",
    "count": "频次",
    "per 1,000 words": "每千词频次",
    "in code": "编码内频次",
    "elsewhere": "其余文本频次",
    "per 1,000 in code": "编码内每千词",
    "per 1,000 elsewhere": "其余文本每千词",
    "log ratio": "对数比",
    "G2": "G²",
    "p": "p",
    "chi2": "χ²",
    "dof": "自由度",
    "min expected": "最小期望频数",
    "% expected < 5": "期望频数<5的格子（%）",
    "expected too small": "期望频数过小",
    "note": "说明",
    "transcript": "访谈记录",
    "sentence": "句序号",
    "unit": "单位序号",
    "speaker": "说话人",
    "start": "起点",
    "end": "终点",
    "left": "左侧语境",
    "right": "右侧语境",
    "codes": "编码",
    "in word": "所在词",
    "percent_agreement": "一致率",
    "cohen_kappa": "Cohen's κ",
    "krippendorff_alpha": "Krippendorff's α",
    "fleiss_kappa": "Fleiss' κ",
    "n_units": "单位数",
    "coded_by": "编码者",
    "not_coded_by": "未编码者",
    "text": "文本",
    "n_coders": "编码者数",
    "q": "q",
    "test": "检验",
    "n": "检验的受访者数",
    "missing": "缺失值受访者数",
    "compared": "参与比较",
    "support": "正例数",
    "precision": "精确率",
    "recall": "召回率",
    "f1": "F1",
    "parents": "父编码计法",
    "rolled up": "含子编码",
    "as coded": "不含子编码",
    "coded units": "各编码者编码的单位数",
    "coverage": "各编码者的访谈记录",
    # sheet and table names
    "frequencies": "编码频次",
    "counts": "频数",
    "row %": "行百分比（%）",
    "column %": "列百分比（%）",
    "expected": "期望频数",
    "chi-square": "卡方检验",
    "matrix": "编码×访谈记录",
    "co-occurrence": "编码共现",
    "words": "词频",
    "distinctive words": "特征词",
    "hits": "检索结果",
    "inside other words": "作为其他词的一部分",
    "agreement": "编码一致性",
    "disagreements": "不一致之处",
}
_ZH_CELLS = {
    "(any code)",
    "(respondents)",
    "(segments)",
    "(missing)",
    "(overall)",
    "rolled up",
    "as coded",
}
_YES_NO = {"yes": "是", "no": "否"}
# ``segments (wang)``, ``units (li)``: a column per coder.
_PER_CODER = re.compile(r"^(.+) \((.+)\)$")


def table_language(lang: str | None = None) -> str:
    """The language report tables are written in: ``lang`` when given, else the UI
    language (the saved setting or ``QUALCODE_LANG``, else the locale: see
    :func:`qualcode.settings.default_language`)."""
    from ..settings import Settings, default_language

    for candidate in (lang, Settings.load().language):
        chosen = (candidate or "").strip().lower()
        for language in LANGUAGES:
            if chosen.startswith(language):
                return language
    return default_language()


def header(name: str, lang: str) -> str:
    """A report's column or table name in ``lang`` (names qualcode does not know stay)."""
    if lang != "zh":
        return name
    if name in _ZH:
        return _ZH[name]
    if found := _PER_CODER.match(name):
        inner = found[1]
        if inner in _ZH or inner == "units":
            return f"{_ZH.get(inner, '单位数')}（{found[2]}）"
    return name


def localize(table: NamedTable, lang: str) -> NamedTable:
    """A report table (name, columns, rows from :func:`frame_cells`) with qualcode's own
    words in ``lang``: the table name, the headers, marker cells such as ``(any code)`` and
    the yes/no of test flags. The researcher's data is never touched."""
    name, columns, rows = table
    if lang != "zh":
        return name, list(columns), [list(row) for row in rows]
    flags = {i for i, column in enumerate(columns) if column == "expected too small"}
    localized = []
    for row in rows:
        cells = list(row)
        for i, value in enumerate(cells):
            if isinstance(value, str):
                if value in _ZH_CELLS:
                    cells[i] = _ZH[value]
                elif i in flags and value in _YES_NO:
                    cells[i] = _YES_NO[value]
        localized.append(cells)
    return header(name, lang), [header(str(c), lang) for c in columns], localized


# Notes under report tables: what one count is, and how parent codes count.
_ROLLED_UP = {
    "zh": "父编码的数字包含其所有子编码的片段，同一片段只计一次",
    "en": "a parent code's figures include the segments of all its children, each segment "
    "counted once",
}
_NOTES = {
    "frequencies": {
        "zh": "计数单位：编码片段（一次编码为一个片段）；受访者数为有该编码片段的受访者"
        "（一份访谈记录为一位受访者），占比以本表{base}位受访者为基数；编码字数中重叠的"
        "字只计一次",
        "en": "Counting unit: coded segments (one coding is one segment); respondents: those "
        "with a segment of the code (one transcript is one respondent), as a share of "
        "the {base} respondents of this table; characters covered twice count once",
    },
    "crosstab.respondents": {
        "zh": "计数单位：受访者（每位受访者每个编码只计一次）；行百分比以该编码的受访者合计为"
        "基数，列百分比以该组受访者数为基数（一位受访者可有多个编码，列百分比之和可超过"
        "100%）；检验以受访者为单位，不含属性缺失的受访者（“缺失值受访者数”列），期望频数"
        "表即卡方检验所用的期望频数（有该编码者；无该编码者 = 该组受访者数 − 此数）",
        "en": "Counting unit: respondents (each counted once per code); row % of the code's "
        "total, column % of the group's respondents (one respondent can have several "
        "codes, so a column can pass 100%); the tests count respondents and leave those "
        "with a missing value out (column missing); the expected table holds the expected "
        "counts the chi-square test used (with the code; without it: the group's "
        "respondents minus that)",
    },
    "crosstab.segments": {
        "zh": "计数单位：编码片段；行百分比以该编码的片段合计为基数，列百分比以该组任一编码的"
        "片段数为基数；片段彼此不独立，检验以受访者为单位，不含属性缺失的受访者，期望频数"
        "表即检验所用的受访者期望频数",
        "en": "Counting unit: coded segments; row % of the code's total, column % of the "
        "group's segments of any code; segments are not independent, so the tests count "
        "respondents, leaving those with a missing value out, and the expected table "
        "holds the expected respondents the test used",
    },
    "matrix.segments": {
        "zh": "计数单位：编码片段（每格为该访谈记录中该编码的片段数）",
        "en": "Counting unit: coded segments (each cell: the code's segments in the transcript)",
    },
    "matrix.presence": {
        "zh": "计数单位：访谈记录（1 = 有该编码，0 = 没有）；合计为有该编码的访谈记录数",
        "en": "Counting unit: transcripts (1 = has the code, 0 = has not); Total: transcripts "
        "with the code",
    },
    "cooccurrence.overlap": {
        "zh": "计数单位：相互重叠的片段对（至少重叠一个字）；对角线为该编码的片段数",
        "en": "Counting unit: pairs of segments that overlap by a character or more; the "
        "diagonal is each code's segments",
    },
    "cooccurrence.sentence": {
        "zh": "计数单位：句子（同时有两个编码的句子数）；对角线为有该编码的句子数",
        "en": "Counting unit: sentences holding both codes; the diagonal is the sentences "
        "with the code",
    },
    "cooccurrence.turn": {
        "zh": "计数单位：话轮（同时有两个编码的话轮数）；对角线为有该编码的话轮数",
        "en": "Counting unit: speaker turns holding both codes; the diagonal is the turns "
        "with the code",
    },
    "words": {
        "zh": "计数单位：词（jieba 分词，不含停用词、标点和数字）；与编码无关，不涉及父编码",
        "en": "Counting unit: words (jieba's segmentation, without stop words, punctuation and "
        "digits); codes play no part",
    },
    "distinctive words": {
        "zh": "计数单位：词（jieba 分词，不含停用词）；编码内为该编码片段中的词，与其余文本比较；"
        "G² 为对数似然比，按 Rayson 与 Garside（2000）只计该词的两个格子（Lancaster "
        "对数似然计算器的算法），p 按自由度为 1 的卡方分布；q 为 Benjamini–Hochberg 校正，"
        "每个编码内对编码内出现不少于最小次数的全部词校正",
        "en": "Counting unit: words (jieba's segmentation, without stop words) inside the "
        "code's segments against the rest of the text; G2: log-likelihood as Rayson and "
        "Garside (2000) compute it, over the word's two cells only (the Lancaster "
        "log-likelihood calculator), p from chi-square with 1 df; q: Benjamini-Hochberg, "
        "over every word of the code that reaches the minimum count in it",
    },
    "kwic": {
        "zh": "计数单位：检索词的每次出现（须为完整的词）；编码列为与之重叠的编码，按原样列出",
        "en": "Counting unit: each occurrence of the word as whole words; codes: those of the "
        "codings that overlap it, as coded",
    },
    "agreement": {
        "zh": "比较单位：{unit}（某编码者的编码与单位重叠即视为该单位有此编码；编码者标记为"
        "已审阅或有编码的访谈记录中，未编码即为“无”，其余访谈记录为缺失）",
        "en": "Unit compared: {unit} (a unit has a code when a coding of it overlaps the "
        "unit; in a transcript the coder marked reviewed or coded in, no coding is "
        "absence, elsewhere the coder's values are missing)",
    },
    "learned": {
        "zh": "交叉验证：按访谈记录分组（同一访谈记录的单位不会同时出现在训练和测试中），"
        "TF-IDF 与分类器只在训练折上拟合",
        "en": "Cross-validation: folds grouped by transcript (no transcript is in both a "
        "training and a test fold), TF-IDF and classifier fitted on the training folds "
        "only",
    },
}
# How parent codes count, when a report can do it either way (--direct, --rollup).
_AS_CODED = {
    "zh": "父编码只计直接编码为父编码的片段，不含其子编码",
    "en": "a parent code counts only what was coded with it directly, without its children",
}
_COMPARED_ROLLED_UP = {
    "zh": "父编码与其所有子编码合并比较（--rollup）",
    "en": "a parent code is compared together with all its descendants (--rollup)",
}
_COMPARED_AS_CODED = {
    "zh": "编码按原样比较，父编码不包含子编码（--rollup 可合并）",
    "en": "codes are compared as coded, parents without their children (--rollup folds them in)",
}
_ROLLS_UP = {
    "frequencies",
    "crosstab.respondents",
    "crosstab.segments",
    "matrix.segments",
    "matrix.presence",
    "cooccurrence.overlap",
    "cooccurrence.sentence",
    "cooccurrence.turn",
    "distinctive words",
}
_UNITS = {
    "zh": {"sentence": "句子", "turn": "话轮"},
    "en": {"sentence": "sentences", "turn": "speaker turns"},
}


def table_note(
    kind: str,
    lang: str,
    *,
    where: str = "",
    speaker_roles: Sequence[str] = (),
    rollup: bool | None = None,
    **fields: object,
) -> str:
    """The note under a report table of ``kind`` (``frequencies``, ``crosstab.respondents``,
    ``matrix.presence``, ``cooccurrence.sentence``, ``words``, ``kwic``, ``agreement`` …)
    in ``lang``: the counting unit and how parent codes count, then the respondents
    (``where``, as :func:`qualcode.attribute_filter.describe` gives it) and speaker roles
    the table was narrowed to. ``fields`` fill the note's blanks (``base``, ``unit``).
    ``rollup``: whether parents were rolled up; None for the report's default (rolled up
    for counts, as coded for agreement and the learned evaluation)."""
    lang = lang if lang in LANGUAGES else "en"
    if "unit" in fields:
        fields["unit"] = _UNITS[lang].get(str(fields["unit"]), fields["unit"])
    parts = [_NOTES[kind][lang].format(**fields)]
    if kind in _ROLLS_UP:
        parts.append(_ROLLED_UP[lang] if rollup is not False else _AS_CODED[lang])
    elif kind == "agreement":
        parts.append(_COMPARED_ROLLED_UP[lang] if rollup else _COMPARED_AS_CODED[lang])
    elif kind == "learned":
        parts.append(_ROLLED_UP[lang] if rollup else _AS_CODED[lang])
    if where:
        parts.append(f"仅含受访者：{where}" if lang == "zh" else f"respondents: {where} only")
    if speaker_roles:
        roles = {"interviewer": "访谈者", "respondent": "受访者", "other": "其他说话人"}
        parts.append(
            "仅计" + "、".join(roles.get(r, r) for r in speaker_roles) + "的话"
            if lang == "zh"
            else f"only what {', '.join(speaker_roles)} speakers said"
        )
    if lang == "zh":
        return "注：" + "；".join(parts) + "。"
    return "Note: " + "; ".join(parts) + "."


def parents_column(table: NamedTable, kind: str, rollup: bool | None) -> NamedTable:
    """A report table of ``kind`` with a last column ``parents`` saying on every code row
    how parent codes were counted (``rolled up`` or ``as coded``), for the files that carry
    no note (CSV, JSON Lines); the table as it is for reports where parents play no part."""
    name, columns, rows = table
    if kind not in _ROLLS_UP or "code_id" not in columns:
        return table
    rule = "as coded" if rollup is False else "rolled up"
    return name, [*columns, "parents"], [[*row, rule] for row in rows]
