"""The command line, run in-process as a researcher would type it, reading what it wrote."""

from __future__ import annotations

import csv
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from qualcode.cli import main

from .conftest import SAMPLE_ATTRIBUTES, SAMPLE_CODEBOOK, SAMPLE_TRANSCRIPTS


def run(*args: object, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_tour_from_init_to_codings_csv(tmp_path):
    study = tmp_path / "my-study"
    assert "created" in run("init", study, "--codebook", SAMPLE_CODEBOOK).output
    out = run("import", study, *SAMPLE_TRANSCRIPTS, "--attributes", SAMPLE_ATTRIBUTES).output
    assert "added" in out and "attributes for 6 respondents" in out

    listing = tmp_path / "list.csv"
    run("list", study, "-o", listing)
    rows = read_csv(listing)
    assert [r["transcript"] for r in rows][:2] == ["A01_zhang", "A02_li"]
    assert rows[0]["gender"] == "女" and rows[0]["% coded"] == "0"

    sentences = tmp_path / "s.csv"
    run("show", study, "A01", "--sentences", "-o", sentences)
    rows = read_csv(sentences)
    assert list(rows[0]) == ["index", "start", "end", "speaker", "text"]
    twelfth = rows[11]
    assert twelfth["index"] == "12"

    out = run(
        "code", study, "A01", 12, "problems.awareness", "--coder", "wang", "--memo", "不知道网站"
    ).output
    assert twelfth["text"] in out
    run("code", study, "A01", "--chars", "40:52", "problems.security", "--coder", "wang")
    codings = tmp_path / "codings.csv"
    run("codings", study, "-o", codings)
    rows = read_csv(codings)
    assert [(r["code_id"], r["start"], r["end"], r["coder"], r["memo"]) for r in rows] == [
        ("problems.security", "40", "52", "wang", ""),
        ("problems.awareness", twelfth["start"], twelfth["end"], "wang", "不知道网站"),
    ] or rows[0]["code_id"] == "problems.awareness"
    assert {r["text"] for r in rows} >= {twelfth["text"]}

    run("list", study, "-o", listing)
    assert read_csv(listing)[0]["codings"] == "2"

    run("uncode", study, "A01", 12, "problems.awareness", "--coder", "wang")
    run("codings", study, "-o", codings)
    assert [r["code_id"] for r in read_csv(codings)] == ["problems.security"]
    assert "undid: uncode" in run("undo", study).output
    run("codings", study, "-o", codings)
    assert len(read_csv(codings)) == 2


def test_listing_prints_a_table_with_chinese(sample_project_dir):
    out = run("show", sample_project_dir, "A03", "--turns").output
    assert "A03_wang" in out and "speaker" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "{p}/nowhere"], "no qualcode project here"),
        (["show", "{p}", "Z"], "no transcript named 'Z'"),
        (["code", "{p}", "A01", "99999", "problems.content", "--coder", "w"], "has sentences 1 to"),
        (["code", "{p}", "A01", "1", "no.such", "--coder", "w"], "no code 'no.such'"),
        (
            ["code", "{p}", "A01", "--chars", "5-9", "problems.content", "--coder", "w"],
            "is not START:END",
        ),
        (["uncode", "{p}", "A01", "1", "problems.content", "--coder", "w"], "has no coding"),
        (["list", "{p}", "-o", "{p}/out.pdf"], "cannot tell the table format"),
    ],
)
def test_errors_are_one_clear_line_and_exit_non_zero(sample_project_dir, args, message):
    result = run(*[a.format(p=sample_project_dir) for a in args], ok=False)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_bad_codebook_creates_no_project(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "qualcode_codebook: 1\nname: x\ncodes:\n  - id: a\n    lable: 甲\n", encoding="utf-8"
    )
    result = run("init", tmp_path / "study", "--codebook", bad, ok=False)
    assert result.exit_code == 1 and "bad.yaml:5" in result.output
    assert not (tmp_path / "study" / "qualcode.db").exists()
    result = run("codebook", "validate", bad, ok=False)
    assert "bad.yaml:5" in result.output


def test_codebook_show_and_diff(tmp_path):
    out = run("codebook", "show", SAMPLE_CODEBOOK).output
    assert "宣传推广" in out and "causes.publicity" in out
    changed = tmp_path / "new.yaml"
    changed.write_text(
        SAMPLE_CODEBOOK.read_text(encoding="utf-8").replace("label: 宣传推广", "label: 宣传与推广"),
        encoding="utf-8",
    )
    diff = tmp_path / "diff.csv"
    run("codebook", "diff", SAMPLE_CODEBOOK, changed, "-o", diff)
    assert read_csv(diff) == [
        {
            "change": "changed",
            "code_id": "causes.publicity",
            "field": "label",
            "old": "宣传推广",
            "new": "宣传与推广",
        }
    ]
    assert "no differences" in run("codebook", "diff", SAMPLE_CODEBOOK, SAMPLE_CODEBOOK).output


def test_tables_export_to_every_format(sample_project_dir, tmp_path):
    from openpyxl import load_workbook

    run("list", sample_project_dir, "-o", tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert sheet.freeze_panes == "A2" and sheet["A2"].value == "A01_zhang"
    run("list", sample_project_dir, "-o", tmp_path / "t.md")
    assert (tmp_path / "t.md").read_text(encoding="utf-8").startswith("| transcript |")
    run("list", sample_project_dir, "-o", tmp_path / "t.tex")
    assert "\\begin{tabular}" in (tmp_path / "t.tex").read_text(encoding="utf-8")


def test_every_command_has_help_text():
    def walk(group: click.Group, prefix: str):
        for name, command in group.commands.items():
            assert command.help, f"{prefix}{name} has no help text"
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name} ")

    walk(main, "qualcode ")


def test_help_loads_no_heavy_library():
    code = (
        "import sys\nfrom qualcode.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('spacy', 'pandas', 'jieba', 'rjieba', 'textual') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")


def test_code_acts_as_the_coder_of_the_environment_or_says_who_is_needed(
    sample_project_dir, monkeypatch
):
    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    result = run("code", sample_project_dir, "A01", 5, "problems.usability", ok=False)
    assert result.exit_code == 1 and "say who is coding: --coder NAME" in result.output
    monkeypatch.setenv("QUALCODE_CODER", "li")
    assert "(li)" in run("code", sample_project_dir, "A01", 5, "problems.usability").output
    assert (
        "removed 1 coding(s)"
        in run("uncode", sample_project_dir, "A01", 5, "problems.usability").output
    )
