"""Codings files: how a second coder's work travels back to the main project.

``qualcode codings PROJECT --coder NAME -o FILE`` writes them (CSV, XLSX or JSON Lines, through
:mod:`qualcode.exchange.tables`); :func:`read_codings` reads them back for
:meth:`qualcode.store.Project.import_codings`, which matches each coding to its transcript by
the hash of the transcript's text.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..errors import QualcodeError
from ..store import CodingRecord
from .tables import FORMULA_STARTS

CODINGS_COLUMNS = [
    "id",
    "transcript",
    "start",
    "end",
    "code_id",
    "code",
    "coder",
    "status",
    "memo",
    "text",
    "created",
    "transcript_hash",
]
"""The columns ``qualcode codings`` writes, in order."""

REQUIRED = ("transcript", "start", "end", "code_id")


def read_codings(path: str | Path) -> tuple[list[CodingRecord], list[str]]:
    """The codings of a CSV, XLSX or JSON Lines file written by ``qualcode codings``, and the
    coders the file names (in the order they first appear)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            rows = _jsonl_rows(path)
        elif suffix == ".csv":
            rows = _csv_rows(path)
        elif suffix == ".xlsx":
            rows = _xlsx_rows(path)
        else:
            raise QualcodeError(
                "read codings from a .csv, .xlsx or .jsonl file written by qualcode codings",
                path=path,
            )
    except OSError as error:
        raise QualcodeError(f"cannot read the codings file: {error.strerror}", path=path) from error
    records: list[CodingRecord] = []
    coders: dict[str, None] = {}
    # JSON Lines carry text as it is; CSV and XLSX cells as the table writer quoted them.
    text = _text if suffix != ".jsonl" else _plain
    for line, row in rows:
        missing = [c for c in REQUIRED if str(row.get(c, "") or "").strip() == ""]
        if missing:
            raise QualcodeError(f"this coding has no {', '.join(missing)}", path=path, line=line)
        try:
            start, end = int(row["start"]), int(row["end"])
        except (TypeError, ValueError, OverflowError):
            raise QualcodeError(
                f"start and end must be whole numbers, not {row['start']!r} and {row['end']!r}",
                path=path,
                line=line,
            ) from None
        if row.get("coder"):
            coders[text(row["coder"])] = None
        records.append(
            CodingRecord(
                transcript=text(row["transcript"]),
                start=start,
                end=end,
                code_id=text(row["code_id"]),
                transcript_hash=str(row.get("transcript_hash") or ""),
                text=text(row.get("text")),
                memo=text(row.get("memo")),
                status=str(row.get("status") or "confirmed"),
                line=line,
            )
        )
    return records, list(coders)


def _plain(value: object) -> str:
    return "" if value is None else str(value)


def _text(value: object) -> str:
    # The table writer puts a ' before text Excel would run as a formula, and before text
    # that starts with ' and such a character (see safe_cell): take exactly that one off.
    text = "" if value is None else str(value)
    if text[:1] == "'" and (
        text[1:2] in FORMULA_STARTS or (text[1:2] == "'" and text[2:3] in FORMULA_STARTS)
    ):
        return text[1:]
    return text


def _utf8(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise QualcodeError(
            "not UTF-8 text: qualcode codings writes its files in UTF-8; is "
            "this the file it wrote? (write it again with: qualcode codings "
            "--coder NAME -o FILE)",
            path=path,
            line=line,
        ) from None


def _check_header(header: list[str] | None, path: Path) -> None:
    missing = [c for c in REQUIRED if c not in (header or [])]
    if not header or not any(header):
        raise QualcodeError("the file is empty: there are no codings in it", path=path)
    if missing:
        raise QualcodeError(
            f"not a codings file: its first row has no column "
            f"{', '.join(missing)}; write it with: qualcode codings --coder "
            "NAME -o FILE",
            path=path,
            line=1,
        )


def _csv_rows(path: Path) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(_utf8(path), newline=""))
    try:
        _check_header(reader.fieldnames, path)
        return [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise QualcodeError(
            f"not a readable CSV file: {error}", path=path, line=reader.line_num
        ) from None


def _jsonl_rows(path: Path) -> list[tuple[int, dict]]:
    rows = []
    for line, text in enumerate(_utf8(path).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            raise QualcodeError(f"not a JSON object: {error.msg}", path=path, line=line) from None
        if not isinstance(row, dict):
            raise QualcodeError("each line must be one JSON object", path=path, line=line)
        rows.append((line, row))
    if not rows:
        raise QualcodeError("the file is empty: there are no codings in it", path=path)
    return rows


def _xlsx_rows(path: Path) -> list[tuple[int, dict]]:
    from ..archives import workbook_rows

    values = workbook_rows(
        path, error=QualcodeError, hint="write it again with: qualcode codings --coder NAME -o FILE"
    )
    header = [str(v or "") for v in values[0]] if values else None
    _check_header(header, path)
    return [
        (line, dict(zip(header, row, strict=False)))
        for line, row in enumerate(values[1:], start=2)
        if any(v is not None for v in row)
    ]
