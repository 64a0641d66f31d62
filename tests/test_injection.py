"""Formula injection: no text from a researcher's data becomes a live formula in a table
qualcode writes.

Survey answers come from strangers and tables are opened in Excel, which runs a CSV cell
starting with ``=``, ``+``, ``-`` or ``@`` (and, behind a tab or CR, hides one) as a formula:
``=cmd|' /C calc'!A0`` starts a program, ``=HYPERLINK(…)`` sends data away. Every cell, header
and sheet name of every CSV and XLSX export passes one writer
(:func:`qualcode.exchange.tables.safe_cell`), which puts a ``'`` before such text and leaves
numbers (``+1``, ``-3``) as they are. Here a project is filled, through the command line as a
researcher would, with hostile text in every kind of user text (attribute names and values,
survey questions and answers, code labels and descriptions, memos, transcript names, speaker
names, coder names, batch document ids) and every export is opened: with the csv module and
with openpyxl, keeping formulas as formulas.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.exchange.tables import SafeCsvWriter, write_table, write_tables

DDE = "=cmd|' /C calc'!A0"
LINK = '=HYPERLINK("http://x","y")'
AT = "@SUM(1)"
PLUS = "+1"  # a number: Excel reads it as 1, nothing runs; it stays as it is
MINUS = "-1+2"
TAB = "\t=1+1"
CR = "\r=1+1"
HOSTILE = [DDE, LINK, AT, MINUS, TAB, CR]

# A file name cannot hold "/": the transcript named like the DDE payload drops it.
DDE_NAME = "=cmd|' -C calc'!A0"
SPEAKERS = ("=王+1", "@李")  # labels the speaker-turn parser takes (a "-" would be a bullet)

_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def runs(text: object) -> bool:
    """Whether a spreadsheet could take this cell for a formula."""
    return isinstance(text, str) and text[:1] in _STARTS and not _NUMBER.fullmatch(text)


def run(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


# --- what a spreadsheet sees ---------------------------------------------------------------


def csv_cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        dialect = csv.excel_tab if path.suffix == ".tsv" else csv.excel
        return [cell for row in csv.reader(handle, dialect) for cell in row]


def xlsx_cells(path: Path) -> list[object]:
    """Every cell value and sheet name; fails on any formula cell."""
    book = openpyxl.load_workbook(path)  # not data_only: a formula stays a formula
    cells: list[object] = []
    for sheet in book.worksheets:
        cells.append(sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (
                    f"{path.name}!{sheet.title}!{cell.coordinate}: formula {cell.value!r}"
                )
                cells.append(cell.value)
    return cells


def cells_of(paths: list[Path]) -> list[object]:
    cells: list[object] = []
    for path in paths:
        cells += xlsx_cells(path) if path.suffix == ".xlsx" else csv_cells(path)
    return cells


def assert_safe(paths: list[Path], kept: list[str]) -> None:
    """No cell of these files could run, and each of ``kept`` is there, quoted."""
    assert paths
    cells = cells_of(paths)
    live = [cell for cell in cells if runs(cell)]
    assert not live, f"cells a spreadsheet would run: {live}"
    for value in kept:
        assert "'" + value in cells, f"{value!r} not kept as '{value!r} in {paths}"


# --- the writer itself: every cell, header and sheet name ----------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_writer_quotes_every_hostile_cell_and_header_and_keeps_numbers(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    columns = ["name", *HOSTILE]
    rows = [[value, *HOSTILE] for value in HOSTILE] + [[PLUS, 1, -2, 3.5, "-3", "+1.5", "", None]]
    write_table(path, columns, rows)
    cells = cells_of([path])
    assert not [cell for cell in cells if runs(cell)]
    for value in HOSTILE:
        assert cells.count("'" + value) == 1 + 1 + len(HOSTILE)  # header, name column, row
    assert PLUS in cells and "-3" in cells and "+1.5" in cells  # numbers written as text stay
    if suffix == ".xlsx":
        assert -2 in cells and 3.5 in cells  # real numbers stay numbers


def test_a_quote_before_a_formula_character_is_itself_quoted(tmp_path):
    # so a reader that takes one ' off (import-codings) gets the researcher's text back
    path = tmp_path / "t.csv"
    write_table(path, ["memo"], [["'=1+1"], ["'plain"], ["it's"]])
    assert csv_cells(path) == ["memo", "''=1+1", "'plain", "it's"]


def test_sheet_names_from_user_data_never_read_as_formulas(tmp_path):
    path = tmp_path / "t.xlsx"
    write_tables(path, [(value, ["a"], [[1]]) for value in [*HOSTILE, "'quoted'"]])
    titles = openpyxl.load_workbook(path).sheetnames
    assert len(titles) == len(HOSTILE) + 1
    assert not [t for t in titles if t[:1] in (*_STARTS, "'") or t.endswith("'")]
    assert '_=HYPERLINK("http___x","y")'[:31] in titles  # kept, after a _


def test_streamed_tables_pass_the_same_writer(tmp_path):
    path = tmp_path / "t.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = SafeCsvWriter(handle)
        writer.writerow(["row", *HOSTILE])
        writer.writerows([[value, 1] for value in HOSTILE])
    assert_safe([path], HOSTILE)


# --- every export path, with hostile text in every kind of user text ----------------------


CODEBOOK = f"""qualcode_codebook: 1
name: hostile
codes:
  - id: awareness
    label: {json.dumps(DDE)}
    label_en: {json.dumps(AT)}
    description: {json.dumps(MINUS)}
    keywords: [网站]
    children:
      - id: awareness.none
        label: {json.dumps(AT)}
        keywords: [告诉]
  - id: security
    label: {json.dumps(LINK)}
    keywords: [闪退]
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose every kind of user text starts like a formula."""
    folder = tmp_path_factory.mktemp("hostile")
    codebook = folder / "codebook.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    names = [DDE_NAME, AT, MINUS]
    files = []
    for i, name in enumerate(names):
        one, two = SPEAKERS
        files.append(folder / f"{name}.txt")
        files[-1].write_text(
            f"{one}：我不知道有这个网站，也没人告诉过我。\n{two}：网站老是闪退，办事"
            f"还得跑窗口。\n{one}：那你后来怎么办的？\n{two}：{LINK} 我就去窗口了，"
            f"第{i + 1}次。\n",
            encoding="utf-8",
        )
    attributes = folder / "attributes.csv"
    with open(attributes, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript", DDE, LINK, AT])
        writer.writerows([[DDE_NAME, LINK, TAB, "1"], [AT, AT, CR, "2"], [MINUS, MINUS, DDE, "3"]])
    survey = folder / "survey.csv"
    with open(survey, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["编号", f"1、{DDE}", "2、您没有使用政务服务网的原因是？"])
        writer.writerows(
            [
                [1, LINK, f"{DDE} 我不知道有这个网站"],
                [2, AT, f"{LINK} 网站老是闪退"],
                [3, MINUS, f"{AT} 没人告诉过我"],
            ]
        )
    project = folder / "study"
    run("init", project, "--codebook", codebook)
    run("import", project, *files, "--speakers", ",".join(SPEAKERS), "--attributes", attributes)
    run("code", project, AT, 1, "awareness", "--coder", AT, "--memo", DDE)
    run("code", project, AT, 2, "security", "--coder", MINUS, "--memo", LINK)
    run("code", project, AT, 1, "awareness.none", "--coder", MINUS, "--memo", TAB)
    run("code", project, DDE_NAME, 2, "security", "--coder", AT, "--memo", AT)
    run("import-survey", project, survey, "--open", "Q2")
    run("autocode", project)
    corpus = folder / "corpus.csv"
    with open(corpus, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(
            [[DDE, "我不知道有这个网站"], [LINK, "网站老是闪退"], [AT, "没人告诉过我"]]
        )
    return project


# (name, arguments after the project, the hostile values the export must keep, quoted)
EXPORTS = [
    ("list", ["list", "{p}"], [DDE, LINK, AT, MINUS, DDE_NAME]),
    ("show sentences", ["show", "{p}", AT], [SPEAKERS[0], SPEAKERS[1]]),
    ("show turns", ["show", "{p}", AT, "--turns"], [SPEAKERS[0], SPEAKERS[1]]),
    ("show survey answer", ["show", "{p}", "Q2_R0002"], [f"{LINK} 网站老是闪退"]),
    ("codings", ["codings", "{p}"], [DDE, LINK, AT, MINUS, DDE_NAME, "\t=1+1"]),
    (
        "suggestions",
        ["suggestions", "{p}"],
        [DDE, LINK, AT, MINUS, DDE_NAME, f"{LINK} 网站老是闪退"],
    ),
    ("speakers", ["speakers", "{p}"], [SPEAKERS[0], SPEAKERS[1], DDE_NAME]),
    ("codebook show", ["codebook", "show", "{p}"], [DDE, LINK, AT, MINUS]),
    ("codebook diff", ["codebook", "diff", "{plain}", "{p}"], [DDE, LINK, AT, MINUS]),
    ("frequencies", ["report", "frequencies", "{p}"], [DDE, LINK, AT]),
    ("crosstab by attribute", ["report", "crosstab", "{p}", "--by", DDE], [DDE, LINK, AT, MINUS]),
    (
        "crosstab by survey question",
        ["report", "crosstab", "{p}", "--by", "Q1"],
        [DDE, LINK, AT, MINUS],
    ),
    ("matrix", ["report", "matrix", "{p}"], [DDE, LINK, AT, DDE_NAME, MINUS]),
    ("cooccurrence", ["report", "cooccurrence", "{p}"], [DDE, LINK, AT]),
    ("words", ["report", "words", "{p}", "--per-code", "--min-count", "1"], [DDE, AT]),
    ("kwic", ["report", "kwic", "{p}", "网站"], [DDE_NAME, AT, MINUS, SPEAKERS[0]]),
    (
        "agreement",
        ["agreement", "{p}", "--coders", f"{AT},{MINUS}", "--disagreements"],
        [DDE, LINK, AT],
    ),
    ("autocode", ["autocode", "{p}", "--dry-run"], [DDE, LINK, AT]),
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize(("name", "args", "kept"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_no_export_writes_a_live_formula(hostile, tmp_path, name, args, kept, suffix):
    out = tmp_path / "out" / f"table{suffix}"
    out.parent.mkdir()
    plain = tmp_path / "plain.yaml"  # the same codes, with labels no one would fear
    plain.write_text(
        "qualcode_codebook: 1\nname: plain\ncodes:\n  - id: awareness\n"
        "    label: 宣传\n  - id: security\n    label: 安全\n",
        encoding="utf-8",
    )
    run(*[a.format(p=hostile, plain=plain) for a in args], "-o", out)
    assert_safe(sorted(out.parent.iterdir()), kept)


@pytest.mark.parametrize("frequencies", [".csv", ".xlsx"])
def test_batch_quotes_document_ids_and_code_labels(hostile, tmp_path, frequencies):
    out, table = tmp_path / "coded.csv", tmp_path / f"themes{frequencies}"
    run(
        "batch",
        hostile.parent / "corpus.csv",
        "--codebook",
        hostile.parent / "codebook.yaml",
        "-o",
        out,
        "--frequencies",
        table,
        "--id-column",
        "id",
        "--workers",
        1,
    )
    assert_safe([out], [DDE, LINK, AT])
    assert_safe([table], [DDE, LINK, AT])


def test_codings_come_back_exactly_through_a_quoted_csv(hostile, tmp_path):
    """import-codings takes off the writer's quote: the memo is the researcher's text again."""
    out = tmp_path / "codings.csv"
    run("codings", hostile, "--coder", AT, "-o", out)
    assert "'" + DDE in csv_cells(out)
    run("import-codings", hostile, out, "--coder", "second")
    second = tmp_path / "second.jsonl"
    run("codings", hostile, "--coder", "second", "-o", second)
    memos = {json.loads(line)["memo"] for line in second.read_text(encoding="utf-8").splitlines()}
    assert DDE in memos and AT in memos


# --- no export may bypass the writer -------------------------------------------------------

_BYPASS = re.compile(
    r"csv\.(?:writer|DictWriter)\(|\.to_csv\(|\.to_excel\(|\bWorkbook\(|"
    r"xlsxwriter|ExcelWriter"
)


def test_no_module_writes_csv_or_xlsx_around_the_table_writer():
    package = Path(__file__).resolve().parents[1] / "qualcode"
    writer = package / "exchange" / "tables.py"
    bypasses = [
        f"{path.relative_to(package)}:{n}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path != writer
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _BYPASS.search(line)
    ]
    assert bypasses == [], "write tables through qualcode.exchange.tables (safe_cell)"
