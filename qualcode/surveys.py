"""Import a survey export (问卷星 / 腾讯问卷 .xlsx, or .csv): each respondent becomes a case,
each closed column one of its attributes, each non-empty open answer a short codable text.

Columns are named by their question number when the header has one: ``12、您没有使用政务服务
网的原因是？`` is ``Q12`` (the full text is kept in the answers' metadata, the header and the
question text in the attribute's recorded type, so reports can be asked ``--by`` any of the
three and label the question ``Q12 您没有使用政务服务网的原因是？``). A multi-choice question
is a run of consecutive columns sharing a number (``5(网上办事)``, ``5、…(网上办事)``,
``5、您常用的功能(多选):在线办事`` or ``Q5:网上办事``): one attribute per option, named
``Q5:网上办事``, holding the exported value (1/0). A single column is one question whatever
brackets its header holds (``4、您对网站信息安全的信任程度(1-5)`` is ``Q4``).
``(空)``, ``(跳过)`` and ``-3`` mark skipped questions and are left out, as are empty cells.
Excel serial numbers in date/time columns become ISO dates. Each answer is a transcript named
``Q12_R0001`` (question, respondent), so the answers to one question are listed together; its
case is the respondent. Re-importing an updated export adds new respondents; unchanged answers
keep their codings. Nothing here knows about the CLI or the TUI.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ProjectError
from .exchange.tables import is_number
from .model import ParsedTranscript
from .progress import SILENT, Progress
from .transcripts import normalise_newlines

if TYPE_CHECKING:
    from .store import ImportResult, Project

SKIPPED = {"", "(空)", "（空）", "(跳过)", "（跳过）", "-3", "-2", "-1", "(不适用)"}
# A numbered header: 12、text, 12. text, Q12：text, or 5(option) with the bracket right after.
_NUMBERED = re.compile(
    r"^\s*[Qq]?(?P<number>\d+)\s*(?:[、.．:：]\s*(?P<rest>.*)|(?P<bracket>[(（].*))$", re.DOTALL
)
# The option of one column of a multi-choice run: after the last colon, or in a final bracket.
_OPTION_AFTER_COLON = re.compile(r"^(?P<text>.*)[:：]\s*(?P<option>[^:：]+?)\s*$", re.DOTALL)
_OPTION_IN_BRACKETS = re.compile(
    r"^(?P<text>.*?)\s*[(（](?P<option>[^()（）]+)[)）]\s*$", re.DOTALL
)
# A note closing a question's text, left out of its label: (1-5), (多选), （单选题）.
_TRAILING_NOTE = re.compile(r"\s*[(（\[【][^()（）\[\]【】]*[)）\]】]\s*$")
_ID_HEADERS = ("编号", "序号", "答卷编号", "答题序号", "id", "ID", "respondent")
_DATE_WORDS = ("时间", "日期", "date", "Date", "time")
LIKERT_SCALES = [
    ["非常不满意", "不满意", "一般", "满意", "非常满意"],
    ["非常不同意", "不同意", "一般", "同意", "非常同意"],
    ["非常不同意", "不同意", "中立", "同意", "非常同意"],
    ["完全不同意", "不同意", "说不清", "同意", "完全同意"],
    ["从不", "很少", "有时", "经常", "总是"],
    ["非常不重要", "不重要", "一般", "重要", "非常重要"],
    ["非常困难", "比较困难", "一般", "比较容易", "非常容易"],
    ["很差", "较差", "一般", "较好", "很好"],
]


def question_label(key: str, text: str) -> str:
    """How tables name a question: its key and its text without a closing note such as
    (1-5) or (多选): ``Q4 您对网站信息安全的信任程度``; the bare key when it has no text."""
    text = (_TRAILING_NOTE.sub("", text).strip() or text).strip()
    return f"{key} {text}" if text else key


@dataclass
class Column:
    index: int
    header: str  # as exported
    key: str  # Q12, Q5:选项, or the header itself
    question_text: str
    kind: str = "text"  # open, number, date, ordinal, text
    order: list[str] = field(default_factory=list)
    question: str = ""  # Q12 for a numbered column (an option's question too), else ""

    @property
    def label(self) -> str:
        """How tables name the column: ``Q4 您对网站信息安全的信任程度`` (see
        :func:`question_label`), or the header itself."""
        return question_label(self.key, self.question_text) if self.question else self.key

    def attribute_type(self) -> dict[str, Any]:
        """What the project records about the attribute this column gives: its type, a
        scale's order, and for a numbered column the header, question text and label."""
        recorded: dict[str, Any] = {"type": self.kind}
        if self.order:
            recorded["order"] = self.order
        if self.question:
            recorded.update(header=self.header, question=self.question_text, label=self.label)
        return recorded


@dataclass
class Survey:
    columns: list[Column]
    rows: list[list[str]]  # cleaned cells as text, "" for skipped
    id_column: int | None

    def column(self, name: str) -> Column:
        """The column named ``name`` by its key (Q12), header as exported, or question text."""
        for column in self.columns:
            if name in (column.key, column.header) or column.header.startswith(f"{name}、"):
                return column
        by_text = [
            c
            for c in self.columns
            if c.question
            and c.question_text
            and name in (c.question_text, c.label.partition(" ")[2])
        ]
        if len(by_text) == 1:
            return by_text[0]
        raise ProjectError(
            f"no column {name!r}; the survey has: {', '.join(c.key for c in self.columns)}"
        )

    def respondent(self, row_number: int, row: list[str]) -> str:
        value = row[self.id_column].strip() if self.id_column is not None else ""
        value = value or str(row_number)
        return f"R{int(value):04d}" if value.isdigit() else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return normalise_newlines(str(value)).strip()


def read_rows(path: str | Path, sheet: str | None = None) -> list[list[str]]:
    """The cells of an .xlsx sheet (the first, or ``sheet``) or a .csv, as text."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, sheet)
    else:
        from .transcripts import decode

        try:
            text, _ = decode(path.read_bytes(), path)
        except OSError as error:
            raise ProjectError(f"cannot read {path}: {error.strerror}") from error
        rows = [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""))]
    rows = [row for row in rows if any(row)]
    if not rows:
        raise ProjectError(f"{path} is empty; its first row must hold the questions")
    width = max(len(row) for row in rows)
    return [row + [""] * (width - len(row)) for row in rows]


def _xlsx_rows(path: Path, sheet: str | None) -> list[list[str]]:
    from .archives import workbook_rows

    return [
        [_cell(v) for v in row]
        for row in workbook_rows(
            path,
            sheet,
            error=ProjectError,
            hint=("save it from Excel or WPS as .xlsx, or export the survey as .csv"),
        )
    ]


def _name_columns(header: list[str]) -> list[Column]:
    """Key each column: ``Q12`` for a numbered question, ``Q5:option`` for each column of a
    run of consecutive columns sharing a number, the header itself otherwise."""
    titles = [title.strip() or f"column{i + 1}" for i, title in enumerate(header)]
    numbered = [_NUMBERED.match(title) for title in titles]
    number = [m["number"] if m else None for m in numbered]
    columns = []
    for i, (title, m) in enumerate(zip(titles, numbered, strict=True)):
        if m is None:
            columns.append(Column(i, title, title, title))
            continue
        rest = (m["rest"] if m["rest"] is not None else m["bracket"]).strip()
        in_run = any(0 <= j < len(titles) and number[j] == m["number"] for j in (i - 1, i + 1))
        if not in_run:
            columns.append(
                Column(i, title, f"Q{m['number']}", rest or title, question=f"Q{m['number']}")
            )
            continue
        # One option of a multi-choice question; Tencent's Q5:网上办事 has no question text.
        split = _OPTION_AFTER_COLON.match(rest) or _OPTION_IN_BRACKETS.match(rest)
        text, option = (split["text"].strip(), split["option"].strip()) if split else ("", rest)
        columns.append(
            Column(i, title, f"Q{m['number']}:{option or title}", text, question=f"Q{m['number']}")
        )
    seen: dict[str, int] = {}
    for column in columns:  # a key used twice keeps its full header the second time
        seen[column.key] = seen.get(column.key, 0) + 1
        if seen[column.key] > 1:
            column.key = column.header
    return columns


def _excel_date(serial: float) -> str:
    day = dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)
    return (
        day.date().isoformat()
        if float(serial).is_integer()
        else day.isoformat(sep=" ", timespec="seconds")
    )


def _classify(column: Column, values: list[str]) -> None:
    present = [v for v in values if v]
    if not present:
        column.kind = "text"
        return
    if all(is_number(v) for v in present):
        if any(w in column.header for w in _DATE_WORDS) and all(
            20000 <= float(v) < 80000 for v in present
        ):
            column.kind = "date"
        else:
            column.kind = "number"
        return
    distinct = set(present)
    for scale in LIKERT_SCALES:
        if distinct <= set(scale):
            column.kind, column.order = "ordinal", scale
            return
    long = [v for v in present if len(v) >= 8]
    if len(long) >= 0.3 * len(present) and len(distinct) >= 0.6 * len(present):
        column.kind = "open"
    else:
        column.kind = "text"


def read_survey(
    path: str | Path,
    *,
    id_column: str | None = None,
    open_columns: list[str] | None = None,
    sheet: str | None = None,
) -> Survey:
    """Read and classify a survey export. ``open_columns`` (keys or headers) are the open
    questions; without them they are guessed: mostly long, mostly distinct text."""
    rows = read_rows(path, sheet)
    columns = _name_columns(rows[0])
    body = [[("" if cell in SKIPPED else cell) for cell in row] for row in rows[1:]]
    survey = Survey(columns, body, None)
    if id_column is not None:
        survey.id_column = survey.column(id_column).index
    else:
        survey.id_column = next((c.index for c in columns if c.header in _ID_HEADERS), None)
    chosen = {survey.column(name).index for name in open_columns} if open_columns else None
    for column in columns:
        values = [row[column.index] for row in body]
        _classify(column, values)
        if column.index == survey.id_column:
            column.kind = "id"
        elif chosen is not None:
            if column.index in chosen:
                column.kind = "open"
            elif column.kind == "open":
                column.kind = "text"
        if column.kind == "date":
            for row in body:
                if row[column.index]:
                    row[column.index] = _excel_date(float(row[column.index]))
    ids = [survey.respondent(n, row) for n, row in enumerate(body, start=1)]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise ProjectError(f"respondent {duplicate} has two rows; choose the id column with --id")
    return survey


def answer_name(column: Column, respondent: str) -> str:
    return f"{column.key.replace(':', '_').replace('/', '_')}_{respondent}"


def import_survey(
    project: Project, survey: Survey, source: str | Path, *, progress: Progress = SILENT
) -> list[ImportResult]:
    """Store the survey: respondents' cases and attributes, one transcript per non-empty open
    answer (through :mod:`qualcode.pipeline`). All in one transaction; identical answers
    already imported are ``unchanged``."""
    from . import pipeline

    closed = [c for c in survey.columns if c.kind not in ("open", "id")]
    opened = [c for c in survey.columns if c.kind == "open"]
    table: dict[str, dict[str, str]] = {}
    answers: list[tuple[str, str, ParsedTranscript]] = []
    for number, row in enumerate(survey.rows, start=1):
        respondent = survey.respondent(number, row)
        table[respondent] = {c.key: row[c.index] for c in closed}
        for column in opened:
            text = row[column.index]
            if not text:
                continue
            metadata = {
                "question": column.key,
                "question_text": column.question_text,
                "respondent": respondent,
            }
            answers.append(
                (
                    answer_name(column, respondent),
                    respondent,
                    ParsedTranscript(
                        text=text,
                        format="survey",
                        encoding="utf-8",
                        turns=[],
                        header=None,
                        metadata=metadata,
                        warnings=[],
                    ),
                )
            )
    prepared = pipeline.prepare(
        project,
        [
            pipeline.Source.parsed(name, parsed, source, case=respondent)
            for name, respondent, parsed in answers
        ],
        progress=progress,
    )
    with project.transaction():
        project.set_attributes(table)
        results = pipeline.write(project, prepared, progress=progress)
        project.set_attribute_types({c.key: c.attribute_type() for c in closed})
    return results
