"""Participants sheets: a row names its transcript by file name with or without extension,
whatever dots the name holds; rows for respondents not imported yet wait as cases and their
transcripts join them when imported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.errors import AttributesError
from qualcode.store import Project
from qualcode.study import read_attributes, sheet_case

TEXT = "访谈者：您用过“江城办”吗？\n受访者：{answer}\n"


def run(*args: object, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_transcript(folder: Path, name: str, answer: str) -> Path:
    path = folder / name
    path.write_text(TEXT.format(answer=answer), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_transcript(tmp_path, "2024.03.12_张女士.txt", "用过，办社保认证。")
    write_transcript(tmp_path, "2024.03.13_王女士.txt", "没用过，不知道有这个。")
    write_transcript(tmp_path, "2024.03.20_赵先生.txt", "用过一次，太复杂了。")
    (tmp_path / "people.csv").write_text(
        "transcript,gender,age_group\n"
        "2024.03.12_张女士.txt,女,60岁及以上\n"  # with its extension
        "2024.03.13_王女士,女,30-44岁\n"  # without: the dots stay part of the name
        "2024.03.20_赵先生,男,45-59岁\n",  # not imported yet
        encoding="utf-8",
    )
    run("init", tmp_path / "study")
    return tmp_path


def listing(study: Path, tmp_path: Path) -> dict[str, dict[str, str]]:
    out = tmp_path / "list.csv"
    run("list", study, "-o", out)
    return {row["transcript"]: row for row in read_csv(out)}


def test_dotted_names_match_with_or_without_extension(folder):
    study = folder / "study"
    out = run(
        "import",
        study,
        folder / "2024.03.12_张女士.txt",
        folder / "2024.03.13_王女士.txt",
        "--attributes",
        folder / "people.csv",
    ).output
    rows = listing(study, folder)
    assert {name: (r["gender"], r["age_group"]) for name, r in rows.items()} == {
        "2024.03.12_张女士": ("女", "60岁及以上"),
        "2024.03.13_王女士": ("女", "30-44岁"),
    }
    assert (
        "1 respondents in" in out
        and "have no transcript here yet: 2024.03.20_赵先生" in out
        and "join each transcript when it is imported" in out
    )


def test_a_waiting_respondent_gets_its_attributes_when_its_transcript_comes(folder):
    study = folder / "study"
    run("import", study, folder / "2024.03.12_张女士.txt", "--attributes", folder / "people.csv")
    assert set(listing(study, folder)) == {"2024.03.12_张女士"}
    out = run(
        "import", study, folder / "2024.03.20_赵先生.txt", folder / "2024.03.13_王女士.txt"
    ).output
    assert "no transcript here yet" not in out
    rows = listing(study, folder)
    assert (rows["2024.03.20_赵先生"]["gender"], rows["2024.03.20_赵先生"]["age_group"]) == (
        "男",
        "45-59岁",
    )
    assert rows["2024.03.13_王女士"]["age_group"] == "30-44岁"
    with Project.open(study) as project:
        assert project.case_transcripts()["2024.03.20_赵先生"] == "2024.03.20_赵先生"
        assert project.transcript_cases()["2024.03.20_赵先生"] == "2024.03.20_赵先生"


def test_a_sheet_alone_can_come_before_every_transcript(folder):
    study = folder / "study"
    out = run("import", study, "--attributes", folder / "people.csv").output
    assert "3 respondents in" in out and "attributes for 3 respondents" in out
    run("import", study, *sorted(folder.glob("*.txt")))
    rows = listing(study, folder)
    assert [rows[name]["gender"] for name in sorted(rows)] == ["女", "女", "男"]


@pytest.mark.parametrize(
    ("cell", "known", "case"),
    [
        ("2024.03.12_张女士.txt", {"2024.03.12_张女士"}, "2024.03.12_张女士"),
        ("2024.03.12_张女士", {"2024.03.12_张女士"}, "2024.03.12_张女士"),
        ("访谈/2024.03.12_张女士.docx", {"2024.03.12_张女士"}, "2024.03.12_张女士"),
        ("C:\\访谈\\2024.03.12_张女士.txt", {"2024.03.12_张女士"}, "2024.03.12_张女士"),
        (" A01_zhang ", {"A01_zhang"}, "A01_zhang"),
        ("v1.2", {"v1.2"}, "v1.2"),
        ("2024.03.20_赵先生", set(), "2024.03.20_赵先生"),
        ("2024.03.20_赵先生.TXT", set(), "2024.03.20_赵先生"),
    ],
)
def test_sheet_cells_name_their_cases(cell, known, case):
    assert sheet_case(cell, known) == case


def test_bad_rows_still_say_where(tmp_path):
    table = tmp_path / "people.csv"
    table.write_text("transcript,gender\nA01,女\n,男\n", encoding="utf-8")
    with pytest.raises(AttributesError, match=r"people.csv:3: the 'transcript' cell is empty"):
        read_attributes(table, ["A01"])
    table.write_text("transcript,gender\nA01.txt,女\nA01,男\n", encoding="utf-8")
    with pytest.raises(AttributesError, match=r"people.csv:3: A01 has a second row here"):
        read_attributes(table, ["A01"])
