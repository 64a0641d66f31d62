"""Tables out: CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it), XLSX, Markdown,
LaTeX, JSON Lines. Every listing and report of qualcode is written through :func:`write_table`,
or :func:`write_tables` for a report made of several tables."""

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

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".md": "markdown", ".tex": "latex", ".jsonl": "jsonl"}

# One table of a multi-table report: (name, columns, rows).
NamedTable = tuple[str, Sequence[str], Iterable[Sequence[object]]]


def table_format(path: str | Path, fmt: str | None = None) -> str:
    """The format named by ``fmt`` or, failing that, by the file's extension."""
    if fmt:
        if fmt not in FORMATS.values():
            raise QualcodeError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS.values())}")
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
    path: str | Path, columns: Sequence[str], rows: Iterable[Sequence[object]],
    fmt: str | None = None, sheet: str = "qualcode",
) -> None:
    """Write one table atomically in the format chosen by ``fmt`` or the extension."""
    rows = [["" if v is None else v for v in row] for row in rows]
    kind = table_format(path, fmt)
    data = {"csv": _csv, "xlsx": _xlsx, "markdown": _markdown, "latex": _latex,
            "jsonl": _jsonl}[kind](columns, rows, sheet)
    atomic_write_bytes(path, data)


def write_tables(path: str | Path, tables: Sequence[NamedTable], fmt: str | None = None
                 ) -> list[Path]:
    """Write the tables of one report, each file atomically; returns the files written.

    XLSX: one workbook, one sheet per table, each with its header row frozen. Markdown and
    LaTeX: one file, each table under its name. CSV and JSON Lines hold one table per file:
    the first table goes to ``path``, each further one beside it as ``STEM.NAME.csv``.
    """
    path = Path(path)
    kind = table_format(path, fmt)
    tables = [(name, columns, [["" if v is None else v for v in row] for row in rows])
              for name, columns, rows in tables]
    if kind == "xlsx":
        atomic_write_bytes(path, _xlsx_book(tables))
        return [path]
    if kind in ("markdown", "latex"):
        write = _markdown if kind == "markdown" else _latex
        parts = []
        for name, columns, rows in tables:
            heading = (f"## {name}\n\n" if kind == "markdown"
                       else "% " + name.replace("\n", " ") + "\n")
            parts.append(heading.encode("utf-8") + write(columns, rows, name))
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
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: object) -> object:
    # Excel runs cells starting with = + - @ as formulas; quote text that would be misread.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not is_number(value):
        return "'" + value
    return value


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a number (``float`` accepts it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _xlsx(columns: Sequence[str], rows: list[list[object]], sheet: str) -> bytes:
    return _xlsx_book([(sheet, columns, rows)])


def _xlsx_book(tables: Sequence[tuple[str, Sequence[str], list[list[object]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for name, columns, rows in tables:
        ws = book.create_sheet(_sheet_title(name, used))
        ws.append(list(columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_xlsx_cell(v) for v in row])
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(name: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\, unique within the workbook.
    title = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "table"
    base, n = title, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _xlsx_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith("="):
        return "'" + value  # never a formula
    return value


def _markdown(columns: Sequence[str], rows: list[list[object]], sheet: str) -> bytes:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(cell(c) for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                  "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "\\": r"\textbackslash{}"}


def _latex(columns: Sequence[str], rows: list[list[object]], sheet: str) -> bytes:
    def cell(v: object) -> str:
        return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(v)).replace("\n", " ")

    lines = [r"\begin{tabular}{" + "l" * len(columns) + "}", r"\hline",
             " & ".join(cell(c) for c in columns) + r" \\", r"\hline"]
    lines += [" & ".join(cell(v) for v in row) + r" \\" for row in rows]
    lines += [r"\hline", r"\end{tabular}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _jsonl(columns: Sequence[str], rows: list[list[object]], sheet: str) -> bytes:
    lines = [json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False, default=str)
             for row in rows]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def frame_cells(frame: pd.DataFrame) -> tuple[list[str], list[list[object]]]:
    """Columns and rows of a report table (a DataFrame), numbers rounded for reading: percentages to one
    decimal, p-values to four significant digits, other fractions to four decimals; NaN
    blank; True/False as yes/no."""
    columns = [str(c) for c in frame.columns]
    rounding = []
    for column in columns:
        if "%" in column:
            rounding.append(lambda v: round(v, 1))
        elif column == "p":
            rounding.append(lambda v: float(f"{v:.4g}"))
        else:
            rounding.append(lambda v: round(v, 4))
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
