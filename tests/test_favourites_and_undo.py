"""Favourite keys that belong to the project and never move by themselves, and undo that
takes back this coder's own change: on real project files, as a researcher (or a second
process) would change them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.codebook import load_codebook, merge_codebooks
from qualcode.errors import ProjectError
from qualcode.model import Code
from qualcode.store import HistoryStep, Project

from .conftest import SAMPLE_CODEBOOK

FIRST_NINE = {
    1: "problems.awareness",
    2: "problems.content",
    3: "problems.usability",
    4: "problems.stability",
    5: "problems.security",
    6: "causes.publicity",
    7: "causes.transformation",
    8: "causes.management",
    9: "causes.integration",
}


def test_the_first_nine_leaf_codes_are_bound_once_and_never_move_by_themselves(
    tmp_path: Path,
) -> None:
    with Project.create(tmp_path / "p") as project:
        assert project.favourites() == {}
        project.set_codebook(load_codebook(SAMPLE_CODEBOOK))
        assert project.favourites() == FIRST_NINE

        # A new code under a parent with children, and a merged codebook with a new first
        # leaf: under "the first nine leaves" every key from 1 or 6 on would have moved.
        project.add_code(Code("problems.gap", "数字鸿沟"), "problems")
        ours = project.codebook()
        theirs = project.codebook()
        theirs.codes[0].children.insert(0, Code("problems.access", "上网条件"))
        theirs.codes[1].children.insert(0, Code("causes.age", "年龄"))
        project.set_codebook(merge_codebooks(ours, theirs).codebook)
        assert [c.id for c in project.codebook().codes[0].children][:2] == [
            "problems.access",
            "problems.awareness",
        ]
        assert project.favourites() == FIRST_NINE

        # The researcher rebinds: the code leaves its old key, the key's old code loses it.
        assert project.bind_favourite(2, "tpb.attitude") == {**FIRST_NINE, 2: "tpb.attitude"}
        bound = project.bind_favourite(3, "tpb.attitude")
        assert bound[3] == "tpb.attitude" and 2 not in bound

        # Deleting a code frees its key; the others stay.
        book = project.codebook()
        book.codes[0].children = [c for c in book.codes[0].children if c.id != "problems.stability"]
        project.set_codebook(book)
        assert 4 not in project.favourites()
        assert project.favourites()[5] == "problems.security"
        with pytest.raises(ProjectError, match="favourite keys are 1 to 9"):
            project.bind_favourite(10, "tpb.attitude")
    with Project.open(tmp_path / "p") as project:  # and so they are after a restart
        expected = {k: v for k, v in FIRST_NINE.items() if k not in (2, 4)}
        assert project.favourites() == {**expected, 3: "tpb.attitude"}


def _as_the_previous_version_wrote_it(folder: Path) -> None:
    """Take the project back to the schema before 0007: keys in the "favourites" setting
    (or none), undo entries without a coder."""
    conn = sqlite3.connect(folder / "qualcode.db")
    conn.executescript("""
        DROP INDEX undo_log_by_coder;
        ALTER TABLE undo_log DROP COLUMN coder;
        DROP TABLE favourites;
        DELETE FROM meta WHERE key = 'favourites.bound';
        DELETE FROM migrations WHERE name = '0007_favourites_and_undo_coder';
    """)
    conn.close()


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        (",problems.content,tpb.attitude,gone.code", {2: "problems.content", 3: "tpb.attitude"}),
        # No choice saved: the first nine leaf codes as the previous version showed them then.
        (
            None,
            {
                **FIRST_NINE,
                6: "problems.gap",
                7: "causes.publicity",
                8: "causes.transformation",
                9: "causes.management",
            },
        ),
    ],
)
def test_a_project_from_before_keeps_its_keys_and_learns_whose_changes_its_undo_log_holds(
    sample_project_dir: Path,
    saved: str | None,
    expected: dict[int, str],
) -> None:
    with Project.open(sample_project_dir) as project:
        first, second = project.transcript("A01").sentences[:2]
        project.add_coding("A01", first.start, first.end, "problems.content", "wang")
        project.add_coding("A01", second.start, second.end, "tpb.attitude", "li")
        project.add_code(Code("problems.gap", "数字鸿沟"), "problems")
    _as_the_previous_version_wrote_it(sample_project_dir)
    if saved is not None:
        with Project.open(sample_project_dir) as project:  # migrated now: write the old way
            project.set_setting("favourites", saved)
        _as_the_previous_version_wrote_it(sample_project_dir)

    with Project.open(sample_project_dir) as project:
        assert project.favourites() == expected
        coders = [row[0] for row in project.conn.execute("SELECT coder FROM undo_log ORDER BY id")]
        assert coders == ["wang", "li", ""]  # a code added: the log cannot tell whose
        assert project.undo("wang") == HistoryStep(
            "code", "wang", "problems.content", "A01_zhang", 1, ("A01_zhang",)
        )
    assert list(sample_project_dir.glob("qualcode.backup-*.db"))


def test_undo_takes_back_this_coders_last_change_and_says_what_and_where(
    sample_project: Project,
) -> None:
    a01 = sample_project.transcript("A01").sentences
    a02 = sample_project.transcript("A02").sentences
    sample_project.add_coding("A01", a01[11].start, a01[11].end, "causes.publicity", "wang")
    sample_project.add_coding("A02", a02[2].start, a02[2].end, "problems.content", "li")

    step = sample_project.undo("wang")  # wang's, though li's is newer
    assert step == HistoryStep("code", "wang", "causes.publicity", "A01_zhang", 12, ("A01_zhang",))
    assert [(c.coder, c.transcript) for c in sample_project.codings()] == [("li", "A02_li")]
    assert sample_project.undo("wang") is None
    # A new change by li ends li's redo, never wang's.
    sample_project.add_coding("A02", a02[3].start, a02[3].end, "problems.content", "li")
    assert sample_project.redo("wang").sentence == 12
    assert sample_project.undo("li") == HistoryStep(
        "code", "li", "problems.content", "A02_li", 4, ("A02_li",)
    )
    sample_project.add_coding("A02", a02[4].start, a02[4].end, "tpb.attitude", "li")
    assert sample_project.redo("li") is None
    assert sample_project.undo().code_id == "tpb.attitude"  # no coder: anyone's last change
    assert [(c.coder, c.code_id) for c in sample_project.codings()] == [
        ("wang", "causes.publicity"),
        ("li", "problems.content"),
    ]


def test_undo_never_overwrites_a_newer_change_and_moves_on(sample_project: Project) -> None:
    first = sample_project.transcript("A01").sentences[0]
    mine = sample_project.add_coding("A01", first.start, first.end, "causes.publicity", "wang")
    sample_project.undo("wang")
    # li codes the same characters; the freed row id is used again.
    theirs = sample_project.add_coding("A01", first.start, first.end, "tpb.attitude", "li")
    assert theirs.id == mine.id
    with pytest.raises(ProjectError, match="changed since by another coder"):
        sample_project.redo("wang")
    assert [(c.coder, c.code_id) for c in sample_project.codings()] == [("li", "tpb.attitude")]
    assert sample_project.redo("wang") is None  # the stale action left the history


def test_the_undo_command_takes_back_one_coders_change(sample_project_dir: Path) -> None:
    def run(*args: object) -> str:
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("code", sample_project_dir, "A01", "3", "problems.content", "--coder", "wang")
    run("code", sample_project_dir, "A01", "5", "tpb.attitude", "--coder", "li")
    assert run("undo", sample_project_dir, "--coder", "wang") == (
        "undid: code problems.content (wang) A01_zhang sentence 3\n"
    )
    assert run("undo", sample_project_dir, "--coder", "wang") == "nothing to undo\n"
    assert run("redo", sample_project_dir, "--coder", "wang").startswith("redid: code")
    assert run("undo", sample_project_dir) == (  # no coder: the last change of anyone
        "undid: code tpb.attitude (li) A01_zhang sentence 5\n"
    )
    with Project.open(sample_project_dir) as project:
        assert [(c.coder, c.code_id) for c in project.codings()] == [("wang", "problems.content")]
