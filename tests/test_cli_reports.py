"""`qualcode report`, `qualcode agreement`, `qualcode codings` / `import-codings`, run as a
researcher types them; the files they write are read back (CSV with pandas, XLSX with
openpyxl) and compared with the report functions' tables."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from qualcode import analysis
from qualcode.agreement import agreement
from qualcode.cli import main
from qualcode.store import Project

from .test_analysis import build_small_study


def run(*args: object, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_study(tmp_path_factory.mktemp("small"))


@pytest.fixture
def study(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path / "study")
    return tmp_path / "study"


def read_csv(path: Path) -> pd.DataFrame:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)


def same(value: object) -> object:
    """A cell compared by value: XLSX gives 50 back for 50.0, CSV gives text; an XLSX
    number keeps 16 significant digits (openpyxl writes them; Excel itself holds 15)."""
    if value is None or value == "":
        return ""
    try:
        return float(f"{float(value):.15g}")
    except (TypeError, ValueError):
        return str(value)


def as_text(frame: pd.DataFrame, rule: str = "") -> list[list[str]]:
    """A report table as the CSV holds it: numbers at full precision, NaN empty; ``rule``:
    the last column saying how parents were counted (``rolled up``), when the report has one."""
    from qualcode.exchange.tables import frame_cells

    _, rows = frame_cells(frame, rounded=False)
    return [["" if v is None else str(v) for v in row] + ([rule] if rule else []) for row in rows]


def test_frequencies_csv_equals_the_report(study, tmp_path):
    out = tmp_path / "freq.csv"
    run("report", "frequencies", study, "-o", out)
    written = read_csv(out)
    with Project.open(study) as project:
        table = analysis.frequencies(project)
    # A CSV carries no note: its last column says how parent codes were counted.
    assert list(written.columns) == [*table.columns, "parents"]
    assert written.values.tolist() == as_text(table, "rolled up")
    assert written.loc[0, "code"] == "问题" and written.loc[0, "segments"] == "7"
    run("report", "frequencies", study, "--direct", "-o", out)
    direct = read_csv(out)
    assert set(direct["parents"]) == {"as coded"} and direct.loc[0, "segments"] == "1"


def test_frequencies_side_by_side_prints_chinese_labels(study):
    out = run("report", "frequencies", study, "--coder", "wang", "--coder", "li").output
    assert "  知晓度" in out and "segments (wang)" in out and "segments (li)" in out


def test_crosstab_xlsx_has_one_sheet_per_table_with_frozen_headers(study, tmp_path):
    out = tmp_path / "ct.xlsx"
    run("report", "crosstab", study, "--by", "age_group", "-o", out)
    book = load_workbook(out)
    assert book.sheetnames == ["counts", "row %", "column %", "expected", "chi-square"]
    assert all(sheet.freeze_panes == "A2" for sheet in book.worksheets)
    with Project.open(study) as project:
        result = analysis.crosstab(project, "age_group")
    for (name, frame), sheet in zip(result.tables(), book.worksheets, strict=True):
        values = list(sheet.values)
        assert list(values[0]) == list(frame.columns), name
        assert [[same(v) for v in row] for row in values[1 : 1 + len(frame)]] == [
            [same(v) for v in row] for row in as_text(frame)
        ], name
        # Under the table, after a blank row: the note on what was counted.
        assert values[len(frame) + 2][0].startswith("Note: Counting unit: respondents"), name
    counts = {row[0]: row for row in book["counts"].iter_rows(min_row=2, values_only=True)}
    assert counts["problems.usability"][2:] == (2, 1, 3) or counts["problems.usability"][2:] == (
        1,
        2,
        3,
    )


def test_crosstab_csv_writes_each_further_table_beside_it(study, tmp_path):
    out = tmp_path / "ct.csv"
    run("report", "crosstab", study, "--by", "uses_platform", "--count", "segments", "-o", out)
    assert sorted(p.name for p in tmp_path.glob("ct*.csv")) == [
        "ct.chi-square.csv",
        "ct.column.csv",
        "ct.csv",
        "ct.expected.csv",
        "ct.row.csv",
    ]
    tests = read_csv(tmp_path / "ct.chi-square.csv")
    assert list(tests.columns[:8]) == [
        "code_id",
        "code",
        "test",
        "n",
        "missing",
        "chi2",
        "dof",
        "p",
    ]


def test_matrix_cooccurrence_words_and_kwic_write_markdown_and_latex(study, tmp_path):
    run("report", "matrix", study, "--presence", "-o", tmp_path / "m.md")
    text = (tmp_path / "m.md").read_text(encoding="utf-8")
    assert "| code_id | code | t1 | t2 | t3 | t4 | Total |" in text
    run(
        "report", "cooccurrence", study, "--unit", "sentence", "--jaccard", "-o", tmp_path / "c.tex"
    )
    assert "\\begin{tabular}" in (tmp_path / "c.tex").read_text(encoding="utf-8")
    run("report", "words", study, "--top", "3", "-o", tmp_path / "w.csv")
    assert read_csv(tmp_path / "w.csv")["word"].tolist() == ["宣传", "操作", "网站"]
    run(
        "report",
        "words",
        study,
        "--code",
        "suggestions",
        "--min-count",
        "2",
        "-o",
        tmp_path / "d.csv",
    )
    distinctive = read_csv(tmp_path / "d.csv")
    assert distinctive[["code_id", "word", "in code", "elsewhere"]].values.tolist() == [
        ["suggestions", "宣传", "2", "1"]
    ]
    assert "G2" in distinctive.columns
    run("report", "kwic", study, "宣传", "-o", tmp_path / "k.md")
    kwic = (tmp_path / "k.md").read_text(encoding="utf-8")
    assert "## hits" in kwic and "## inside other words" in kwic and "宣传部" in kwic


def test_kwic_in_the_terminal_mentions_the_longer_words(study):
    result = run("report", "kwic", study, "宣传")
    assert "3 hits" in result.output and "part of longer words" in result.output


def test_agreement_csv_has_the_columns_and_an_overall_row(study, tmp_path):
    out = tmp_path / "agreement.csv"
    run("agreement", study, "--coders", "wang", "li", "-o", out)
    written = read_csv(out)
    assert list(written.columns) == [
        "code_id",
        "code",
        "percent_agreement",
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
        "n_units",
        "n_coders",
        "note",
    ]
    assert written["code_id"].tolist()[-1] == "(overall)"
    with Project.open(study) as project:
        result = agreement(project, ["wang", "li"])
    assert written.values.tolist() == as_text(result.table)
    # Full precision: 24 of 28 unit × code decisions agree (each code as coded).
    assert float(written.iloc[-1]["percent_agreement"]) == 24 / 28
    disagreements = read_csv(tmp_path / "agreement.disagreements.csv")
    assert len(disagreements) == 4 and disagreements.loc[0, "text"] == "宣传太少了。"
    run("agreement", study, "--coders", "wang", "li", "--rollup", "-o", out)
    rolled = read_csv(out)
    assert float(rolled.iloc[-1]["percent_agreement"]) == 24 / 28  # overall: as coded
    assert "rolled up" in rolled.loc[0, "note"]
    assert len(read_csv(tmp_path / "agreement.disagreements.csv")) == 6


@pytest.mark.parametrize(
    "form",
    [
        ["agreement", "{p}", "--coders", "wang", "li"],
        ["agreement", "--coders", "wang", "li", "{p}"],
        ["agreement", "{p}", "--coders", "wang,li"],
        ["agreement", "{p}", "--coders", "wang", "--coders", "li", "--unit", "sentence"],
    ],
)
def test_agreement_takes_the_coders_as_typed(study, form):
    out = run(*[a.format(p=study) for a in form]).output
    assert "(overall)" in out and "4 disagreements" in out


def test_agreement_lists_disagreements_in_the_terminal(study):
    out = run("agreement", study, "--coders", "wang", "li", "--disagreements").output
    assert "宣传太少了。" in out and "not_coded_by" in out


def test_a_second_coder_works_in_a_copy_and_the_codings_come_back(study, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(study, copy)
    run("code", copy, "t2", 3, "suggestions", "--coder", "zhao")
    run(
        "code",
        copy,
        "t1",
        "--chars",
        "18:22",
        "problems.awareness",
        "--coder",
        "zhao",
        "--memo",
        "=不知道",
    )
    exported = tmp_path / "zhao.jsonl"
    run("codings", copy, "--coder", "zhao", "-o", exported)
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    with Project.open(study) as project:
        hashes = project.transcript_hashes()
    assert [(r["transcript"], r["code_id"], r["transcript_hash"]) for r in lines] == [
        ("t1", "problems.awareness", hashes["t1"]),
        ("t2", "suggestions", hashes["t2"]),
    ]

    out = run("import-codings", study, exported, "--coder", "zhao").output
    assert "imported 2 codings as zhao" in out
    with Project.open(study) as project:
        back = [
            (c.transcript, c.start, c.end, c.code_id, c.memo) for c in project.codings(coder="zhao")
        ]
    assert back == [
        ("t1", 18, 22, "problems.awareness", "=不知道"),
        ("t2", 23, 31, "suggestions", ""),
    ]

    csv_file = tmp_path / "zhao.csv"
    run("codings", copy, "--coder", "zhao", "-o", csv_file)
    assert "transcript_hash" in read_csv(csv_file).columns
    out = run("import-codings", study, csv_file, "--coder", "zhao").output
    assert "imported 0 codings" in out and "2 were already here" in out


def test_codings_whose_transcript_differs_are_reported_not_dropped(study, tmp_path):
    exported = tmp_path / "li.csv"
    run("codings", study, "--coder", "li", "-o", exported)
    frame = pd.read_csv(exported, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame.loc[frame["transcript"] == "t3", "transcript_hash"] = "0" * 64
    frame.to_csv(exported, index=False, encoding="utf-8-sig")
    unplaced = tmp_path / "unplaced.csv"
    result = run(
        "import-codings", study, exported, "--coder", "zhao", "--unplaced", unplaced, ok=False
    )
    assert result.exit_code == 1
    assert (
        "imported 1 codings" in result.output and "2 codings could not be placed" in result.output
    )
    rows = read_csv(unplaced)
    assert rows["transcript"].tolist() == ["t3", "t3"] and rows["line"].tolist() == ["3", "4"]
    assert all("differs from the text" in reason for reason in rows["reason"])
    with Project.open(study) as project:
        assert [c.transcript for c in project.codings(coder="zhao")] == ["t1"]
    result = run("import-codings", study, exported, "--coder", "zhao", ok=False)
    assert result.exit_code == 1 and "line 4: t3 23:29 problems.usability" in result.output


def test_a_file_of_several_coders_is_refused(study, tmp_path):
    exported = tmp_path / "all.csv"
    run("codings", study, "-o", exported)
    result = run("import-codings", study, exported, "--coder", "zhao", ok=False)
    assert result.exit_code == 1 and "several coders" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["report", "crosstab", "{p}", "--by", "nothing"],
        ["report", "frequencies", "{p}", "--coder", "nobody"],
        ["report", "words", "{p}", "--code", "no.such"],
        ["agreement", "{p}", "--coders", "wang"],
        ["report", "kwic", "{p}", " "],
    ],
)
def test_report_errors_are_one_line(study, args):
    result = run(*[a.format(p=study) for a in args], ok=False)
    assert result.exit_code != 0 and "error:" in result.output
    assert "Traceback" not in result.output


def test_report_help_loads_no_heavy_library():
    code = (
        "import sys\nfrom qualcode.cli import main\n"
        "for args in (['report', '--help'], ['report', 'crosstab', '--help'], "
        "['agreement', '--help']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print([m for m in ('pandas', 'scipy', 'numpy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")


# --- --speaker-role: only what speakers with those roles said counts ----------------------


@pytest.fixture
def asked(study):
    """The small study with one more coding, on the interviewer's question in t1."""
    with Project.open(study) as project:
        question = project.sentence("t1", 1)  # 访谈者：您知道这个网站吗？
        project.add_coding("t1", question.start, question.end, "suggestions", "wang")
    return study


def by_code(path: Path, column: str) -> dict[str, str]:
    return {row["code_id"]: row[column] for _, row in read_csv(path).iterrows()}


def test_frequencies_matrix_and_crosstab_count_one_role(asked, tmp_path):
    out = tmp_path / "f.csv"
    run("report", "frequencies", asked, "-o", out)
    assert by_code(out, "segments")["suggestions"] == "5"
    run("report", "frequencies", asked, "--speaker-role", "respondent", "-o", out)
    assert by_code(out, "segments") == {
        "problems": "7",
        "problems.awareness": "4",
        "problems.usability": "3",
        "suggestions": "4",
        "": "11",
    }
    run("report", "frequencies", asked, "--speaker-role", "interviewer", "-o", out)
    assert by_code(out, "segments") == {
        "problems": "0",
        "problems.awareness": "0",
        "problems.usability": "0",
        "suggestions": "1",
        "": "1",
    }
    printed = run("report", "frequencies", asked, "--speaker-role", "interviewer").output
    assert "Code frequencies (interviewer speech)" in printed
    run("report", "matrix", asked, "--speaker-role", "respondent", "-o", out)
    assert by_code(out, "t1")["suggestions"] == "0"
    run(
        "report", "crosstab", asked, "--by", "age_group", "--speaker-role", "interviewer", "-o", out
    )
    assert by_code(out, "青年")["suggestions"] == "1" and by_code(out, "Total")["problems"] == "0"
    run(
        "report",
        "cooccurrence",
        asked,
        "--unit",
        "sentence",
        "--speaker-role",
        "interviewer",
        "-o",
        out,
    )
    assert list(read_csv(out)["code_id"]) == ["suggestions"]


def test_word_frequencies_and_kwic_leave_the_interviewer_out(asked, tmp_path):
    out = tmp_path / "w.csv"
    run("report", "words", asked, "-o", out)
    assert "上网" in set(read_csv(out)["word"])  # 访谈者：您平时上网吗？
    run("report", "words", asked, "--speaker-role", "respondent", "-o", out)
    words = dict(zip(read_csv(out)["word"], read_csv(out)["count"], strict=True))
    assert "上网" not in words and "平时" not in words
    assert words["网站"] == "1" and words["宣传"] == "3"
    run("report", "kwic", asked, "网站", "-o", out)
    assert len(read_csv(out)) == 2
    run("report", "kwic", asked, "网站", "--speaker-role", "respondent", "-o", out)
    (hit,) = read_csv(out).to_dict("records")
    assert (hit["transcript"], hit["sentence"], hit["word"]) == ("t1", "2", "网站")
    assert hit["left"] == "受访者：不知道有这个"


def test_autocode_suggests_only_in_the_chosen_roles_turns(asked):
    with Project.open(asked) as project:  # 不知道有 (a keyword) is left for auto-coding to find
        for coding in project.codings("t1", code_id="problems.awareness"):
            project.remove_coding(coding.id)
    interviewer = run("autocode", asked, "--dry-run", "--speaker-role", "interviewer").output
    assert "would store 0 suggestions" in interviewer
    respondent = run("autocode", asked, "--speaker-role", "respondent").output
    assert "stored 1 suggestions" in respondent
    with Project.open(asked) as project:
        (suggested,) = project.codings(status="suggested")
    assert (suggested.transcript, suggested.text) == ("t1", "不知道有这个网站。")


def test_an_unknown_speaker_role_is_refused(asked):
    result = run("report", "words", asked, "--speaker-role", "boss", ok=False)
    assert result.exit_code == 2 and "'boss' is not one of" in result.output


def test_transcripts_without_that_role_are_named(asked, tmp_path):
    asr = tmp_path / "t5.txt"
    asr.write_text(
        "说话人1：您用过网上办事吗？\n说话人2：用过，宣传做得不错。\n"
        "说话人1：还有呢？\n说话人2：没有了。\n",
        encoding="utf-8",
    )
    run("import", asked, asr)
    result = run("report", "words", asked, "--speaker-role", "respondent")
    assert "note: no respondent speaks in 1 transcripts (t5)" in result.stderr
    assert f"qualcode speakers {asked} TRANSCRIPT" in result.stderr
    run("speakers", asked, "t5", "--role", "说话人2=respondent")
    assert "note:" not in run("report", "words", asked, "--speaker-role", "respondent").stderr
