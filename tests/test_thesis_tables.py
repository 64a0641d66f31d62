"""Report tables ready for a Chinese thesis: headers in Chinese or English (--lang, else the
UI language), XLSX with fitted widths and percentage formats, and a note under each table
stating the counting unit and how parent codes count."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from qualcode.cli import main
from qualcode.exchange.tables import PERCENT_FORMAT, display_width
from qualcode.model import Code
from qualcode.store import Project

from .test_charts import code_sample


@pytest.fixture(scope="module")
def coded(_sample_project_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables") / "study"
    shutil.copytree(_sample_project_template, folder)
    code_sample(folder)
    return folder


def run(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_frequencies_in_chinese_xlsx_with_widths_formats_and_note(coded, tmp_path):
    out = tmp_path / "频次.xlsx"
    run("report", "frequencies", coded, "--lang", "zh", "-o", out)
    sheet = load_workbook(out)["编码频次"]
    rows = list(sheet.values)
    assert list(rows[0]) == ["编码ID", "编码", "片段数", "受访者数", "受访者占比（%）", "编码字数"]
    n = 1 + next(i for i, row in enumerate(rows[1:]) if row[1] == "（任一编码）")
    assert rows[n + 1] == (None,) * 6  # a blank row, then the note
    note = rows[n + 2][0]
    assert (
        note.startswith("注：计数单位：编码片段") and "父编码的数字包含其所有子编码的片段" in note
    )
    assert "以本表6位受访者为基数" in note
    assert all(sheet.cell(row=r, column=5).number_format == PERCENT_FORMAT for r in range(2, n + 2))
    assert sheet.cell(row=2, column=3).number_format == "General"  # counts stay counts
    widest = max(display_width(row[0]) for row in rows[1 : n + 1])
    assert sheet.column_dimensions["A"].width == widest + 2  # fitted to the longest id
    assert sheet.column_dimensions["E"].width == display_width("受访者占比（%）") + 2


def test_crosstab_percent_tables_are_formatted_as_percentages(coded, tmp_path):
    out = tmp_path / "ct.xlsx"
    run("report", "crosstab", coded, "--by", "gender", "--lang", "zh", "-o", out)
    book = load_workbook(out)
    assert book.sheetnames[:3] == ["频数", "行百分比（%）", "列百分比（%）"]
    row_percent = book["行百分比（%）"]
    assert [c.value for c in row_percent[1]] == ["编码ID", "编码", "女", "男", "合计"]
    assert row_percent["C2"].number_format == PERCENT_FORMAT
    assert book["频数"]["C2"].number_format == "General"
    bottom = [row for row in book["频数"].values if row[1] == "（受访者数）"]
    assert bottom == [(None, "（受访者数）", 3, 3, 6)]
    assert next(row[0] for row in book["频数"].values if str(row[0]).startswith("注：")).startswith(
        "注：计数单位：受访者（每位受访者每个编码只计一次）"
    )


def test_markdown_and_latex_carry_the_note_and_csv_stays_data(coded, tmp_path):
    run(
        "report",
        "cooccurrence",
        coded,
        "--unit",
        "sentence",
        "--lang",
        "zh",
        "-o",
        tmp_path / "c.md",
    )
    text = (tmp_path / "c.md").read_text(encoding="utf-8")
    assert text.startswith("## 编码共现\n\n| 编码ID | 编码 |")
    assert "注：计数单位：句子（同时有两个编码的句子数）" in text
    run("report", "matrix", coded, "--presence", "-o", tmp_path / "m.tex")
    latex = (tmp_path / "m.tex").read_text(encoding="utf-8")
    assert "{\\footnotesize Note: Counting unit: transcripts (1 = has the code" in latex
    run("report", "frequencies", coded, "--lang", "zh", "-o", tmp_path / "f.csv")
    frame = pd.read_csv(tmp_path / "f.csv", encoding="utf-8-sig")
    assert list(frame.columns[:3]) == ["编码ID", "编码", "片段数"]
    assert frame["编码"].iloc[-1] == "（任一编码）"  # the last row is data, not a note


def test_the_default_language_is_the_ui_language(coded, tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_LANG", "zh")
    output = run("report", "frequencies", coded)
    assert "片段数" in output and "segments" not in output
    run("agreement", coded, "--coders", "auto", "li", "-o", tmp_path / "a.md")
    agreement = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert "## 编码一致性" in agreement and "Krippendorff's α" in agreement
    assert "比较单位：句子" in agreement
    monkeypatch.setenv("QUALCODE_LANG", "en")
    assert "segments" in run("report", "frequencies", coded)


def test_a_label_that_looks_like_a_formula_stays_text(coded, tmp_path):
    folder = tmp_path / "study"
    shutil.copytree(coded, folder)
    with Project.open(folder) as project:
        project.add_code(Code("trap", '=HYPERLINK("http://x","点我")'))
    run("report", "frequencies", folder, "--lang", "zh", "-o", tmp_path / "f.xlsx")
    sheet = load_workbook(tmp_path / "f.xlsx").active
    cell = next(c for c in sheet["B"] if str(c.value).endswith('"点我")'))
    assert cell.data_type == "s" and cell.value.startswith("'=")
