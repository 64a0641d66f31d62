"""Importing a text the project already has under another file name (issue 15): the file is
skipped and named with the transcript that has its text, unless --allow-duplicates."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qualcode.cli import main
from qualcode.store import Project
from qualcode.study import import_files, init_project

TEXT = "访谈者：您用过政务服务网吗？\n受访者：用过，就是老闪退。\n"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_the_same_text_under_another_name_is_skipped_and_said(tmp_path: Path) -> None:
    (tmp_path / "A01.txt").write_text(TEXT, encoding="utf-8")
    # The same interview saved again, as GB18030 with CRLF: the same stored text.
    (tmp_path / "A07.txt").write_bytes(TEXT.replace("\n", "\r\n").encode("gb18030"))
    (tmp_path / "A08.txt").write_text(TEXT + "补充：还有一句。\n", encoding="utf-8")
    project = tmp_path / "study"
    assert run("init", project).exit_code == 0
    assert run("import", project, tmp_path / "A01.txt").exit_code == 0
    result = run("import", project, tmp_path / "A07.txt", tmp_path / "A08.txt")
    assert result.exit_code == 0, result.output
    assert (
        "skipped   A07  same text as A01 (already imported); use --allow-duplicates to "
        "import it again"
    ) in result.output
    assert "added     A08" in result.output
    with Project.open(project) as opened:
        assert opened.transcript_names() == ["A01", "A08"]
    again = run("import", project, tmp_path / "A07.txt", "--allow-duplicates")
    assert again.exit_code == 0 and "added     A07" in again.output
    with Project.open(project) as opened:
        assert opened.transcript_names() == ["A01", "A07", "A08"]
        assert opened.transcript("A07").text == opened.transcript("A01").text
    # Importing a file again under its own name is "unchanged", not a duplicate.
    assert "unchanged A01" in run("import", project, tmp_path / "A01.txt").output


def test_two_copies_in_one_import_keep_the_first(tmp_path: Path) -> None:
    for name in ("B02", "B01"):
        (tmp_path / f"{name}.txt").write_text(TEXT, encoding="utf-8")
    with init_project(tmp_path / "study") as project:
        results = import_files(project, [tmp_path / "B02.txt", tmp_path / "B01.txt"])
        assert [(r.name, r.status, r.duplicate_of) for r in results] == [
            ("B02", "added", ""),
            ("B01", "duplicate", "B02"),
        ]
        assert project.transcript_names() == ["B02"]
