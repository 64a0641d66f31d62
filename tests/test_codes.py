"""Refining the codebook while coding (`qualcode codes ...`): rename, edit, move, merge, split
and delete codes on the real sample study, run as a researcher types the commands, then read
back from the project file: counts before and after, what follows a code, undo putting every
row back, and the history a methods chapter quotes."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from qualcode import codes
from qualcode.cli import main
from qualcode.codebook import load_codebook, save_codebook
from qualcode.errors import ProjectError
from qualcode.store import Project

from .conftest import SAMPLE_CODEBOOK

UNDOABLE = ("codings", "codes", "code_memos", "favourites", "meta", "codebook_history")


def run(*args: object, ok: bool = True, input: str | None = None):
    result = CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def snapshot(folder: Path) -> dict[str, list[tuple]]:
    """Every row of the tables a refinement changes, as another process reads them."""
    conn = sqlite3.connect(folder / "qualcode.db")
    try:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in UNDOABLE
        }
    finally:
        conn.close()


def counts(folder: Path) -> dict[str, int]:
    """Codings per code id, every status."""
    conn = sqlite3.connect(folder / "qualcode.db")
    try:
        return dict(conn.execute("SELECT code_id, count(*) FROM codings GROUP BY code_id"))
    finally:
        conn.close()


def code_at(
    project: Project,
    transcript: str,
    sentence: int,
    code_id: str,
    coder: str,
    memo: str = "",
    status: str = "confirmed",
) -> int:
    s = project.transcript(transcript).sentences[sentence - 1]
    return project.add_coding(
        transcript, s.start, s.end, code_id, coder, memo=memo, status=status
    ).id


@pytest.fixture
def coded(sample_project_dir: Path) -> Path:
    """The sample study with codings by wang and li: awareness and publicity overlap on
    A01 sentence 3 (wang, both with memos) and A02 sentence 5 (li); a suggestion of
    awareness; memos on both codes; awareness is favourite key 1, publicity key 6."""
    with Project.open(sample_project_dir) as project:
        for n in (1, 2, 3, 4):
            code_at(
                project,
                "A01",
                n,
                "problems.awareness",
                "wang",
                memo="不知道有网站" if n == 3 else "",
            )
        code_at(project, "A01", 3, "causes.publicity", "wang", memo="宣传不够")
        code_at(project, "A01", 7, "causes.publicity", "wang")
        code_at(project, "A02", 5, "problems.awareness", "li")
        code_at(project, "A02", 5, "causes.publicity", "li")
        code_at(project, "A02", 6, "problems.awareness", "auto", status="suggested")
        project.set_code_memo("problems.awareness", "wang", "知晓度：听说过没有")
        project.set_code_memo("causes.publicity", "wang", "宣传：渠道和内容")
        project.set_code_memo("problems.awareness", "li", "li 的定义")
    return sample_project_dir


def test_merge_moves_every_coding_once_joins_memos_moves_the_key_and_undo_puts_all_back(
    coded: Path,
) -> None:
    before = snapshot(coded)
    assert counts(coded)["problems.awareness"] == 6 and counts(coded)["causes.publicity"] == 3

    out = run(
        "codes", "merge", coded, "problems.awareness", "causes.publicity", "--coder", "wang"
    ).output
    assert (
        "merged 使用与知晓度 into 宣传推广: 6 codings (2 joined with codings already there)" in out
    )

    after = counts(coded)
    assert "problems.awareness" not in after
    assert after["causes.publicity"] == 3 + 6 - 2  # the two coinciding codings became one each
    with Project.open(coded) as project:
        assert "problems.awareness" not in project.codebook().by_id()
        a01 = project.codings("A01", code_id="causes.publicity")
        third = project.transcript("A01").sentences[2]
        on_third = [c for c in a01 if (c.start, c.end) == (third.start, third.end)]
        assert [c.memo for c in on_third] == ["宣传不够\n\n不知道有网站"]
        suggestion = project.codings("A02", status="suggested")
        assert [c.code_id for c in suggestion] == ["causes.publicity"]
        assert (
            project.code_memo("causes.publicity", "wang")
            == "宣传：渠道和内容\n\n知晓度：听说过没有"
        )
        assert project.code_memo("causes.publicity", "li") == "li 的定义"
        # publicity had a key (6): awareness's key (1) is freed, not doubled.
        assert project.favourites()[6] == "causes.publicity" and 1 not in project.favourites()

        # li's last change, a memo on awareness, moved with wang's merge: li's undo cannot
        # take it back (it would undo part of the merge) and leaves the merge alone.
        with pytest.raises(ProjectError, match="changed since by another coder"):
            project.undo("li")
        assert project.code_memo("causes.publicity", "li") == "li 的定义"
        step = project.undo("wang")
        assert (step.action, step.code_id, step.transcripts) == (
            "merge 6",
            "problems.awareness",
            ("A01_zhang", "A02_li"),
        )
    assert snapshot(coded) == before  # every coding back on its code, memos, keys, history

    with Project.open(coded) as project:
        project.redo("wang")
    assert counts(coded)["causes.publicity"] == 7
    with Project.open(coded) as project:  # redone, it is back in the history
        assert codes.history_rows(project)[1][-1][-1].startswith(
            "merged 使用与知晓度 into 宣传推广"
        )


def test_a_code_merged_without_its_children_hands_them_to_the_code_merged_into(
    coded: Path,
) -> None:
    run("codes", "merge", coded, "causes", "problems", "--coder", "wang")
    with Project.open(coded) as project:
        book = project.codebook().by_id()
        assert "causes" not in book
        children = [c.id for c in book["problems"].children]
        assert children[:5] == [
            "problems.awareness",
            "problems.content",
            "problems.usability",
            "problems.stability",
            "problems.security",
        ]
        assert "causes.publicity" in children
        assert project.codings(code_id="causes.publicity")  # the children keep their codings

    run("codes", "merge", coded, "problems", "tpb", "--with-children", "--coder", "wang")
    with Project.open(coded) as project:
        book = project.codebook().by_id()
        assert not any(code_id.startswith(("problems", "causes")) for code_id in book)
        assert counts(coded) == {"tpb": 7}  # 9 codings, 2 pairs coincided
        # tpb had no key: the first key of the codes merged into it (1) now applies tpb, the
        # others (2-9) are freed, never pointing at a code gone.
        assert project.favourites() == {1: "tpb"}
    result = run("codes", "merge", coded, "tpb", "tpb.attitude", "--coder", "wang", ok=False)
    assert result.exit_code == 1 and "is below 'tpb'" in result.output


def test_an_id_rename_carries_codings_memos_keys_exports_and_keeps_the_refi_guid(
    coded: Path,
    tmp_path: Path,
) -> None:
    run("codebook", "export", coded, tmp_path / "before.qdc")
    out = run(
        "codes",
        "rename",
        coded,
        "problems.awareness",
        "--id",
        "problems.knowing",
        "--label",
        "知晓",
        "--coder",
        "wang",
    ).output
    assert "renamed 使用与知晓度 (problems.awareness) to 知晓 (problems.knowing): 6 codings" in out
    assert counts(coded)["problems.knowing"] == 6 and "problems.awareness" not in counts(coded)
    with Project.open(coded) as project:
        assert project.favourites()[1] == "problems.knowing"
        assert project.code_memo("problems.knowing", "li") == "li 的定义"
        assert project.codings(status="suggested")[0].code_id == "problems.knowing"
    run("codebook", "export", coded, tmp_path / "after.qdc")
    run("codebook", "export", coded, tmp_path / "after.yaml")

    def guids(path: Path) -> dict[str, str]:
        root = ElementTree.parse(path).getroot()
        return {e.get("name"): e.get("guid") for e in root.iter() if e.tag.endswith("}Code")}

    assert guids(tmp_path / "after.qdc")["知晓"] == guids(tmp_path / "before.qdc")["使用与知晓度"]
    assert "problems.knowing" in load_codebook(tmp_path / "after.yaml").by_id()
    # The project's export uses the new id; a second rename keeps the same GUID again.
    run("codes", "rename", coded, "problems.knowing", "--id", "problems.aware", "--coder", "wang")
    run("codebook", "export", coded, tmp_path / "again.qdc")
    assert guids(tmp_path / "again.qdc")["知晓"] == guids(tmp_path / "before.qdc")["使用与知晓度"]
    listed = tmp_path / "codings.csv"
    run("codings", coded, "--code", "problems.aware", "-o", listed)
    with open(listed, encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 5  # confirmed ones

    taken = run(
        "codes",
        "rename",
        coded,
        "problems.aware",
        "--id",
        "causes.publicity",
        "--coder",
        "wang",
        ok=False,
    )
    assert "already exists" in taken.output and "codes merge" in taken.output
    bad = run(
        "codes", "rename", coded, "problems.aware", "--id", "知晓", "--coder", "wang", ok=False
    )
    assert "may only contain ASCII letters" in bad.output


def test_agreement_compares_codings_under_the_new_id(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as project:  # li codes A01 too: the coders have it in common
        code_at(project, "A01", 3, "causes.publicity", "li")
    run("codes", "rename", coded, "causes.publicity", "--id", "causes.promotion", "--coder", "wang")
    table = tmp_path / "agreement.csv"
    run("agreement", coded, "--coders", "wang", "li", "-o", table)
    with open(table, encoding="utf-8-sig", newline="") as handle:
        ids = {row["code_id"] for row in csv.DictReader(handle)}
    assert "causes.promotion" in ids and "causes.publicity" not in ids


def test_edit_changes_a_definition_and_refuses_what_a_codebook_cannot_hold(coded: Path) -> None:
    out = run(
        "codes",
        "edit",
        coded,
        "causes.publicity",
        "--description",
        "把知晓度低归因于宣传",
        "--keyword",
        "宣传",
        "--keyword",
        "推广",
        "--clear",
        "examples",
        "--color",
        "#ABC",
        "--coder",
        "wang",
    ).output
    assert "edited 宣传推广: color, description, examples, keywords" in out
    with Project.open(coded) as project:
        code = project.codebook().by_id()["causes.publicity"]
        assert (code.description, code.keywords, code.examples, code.color) == (
            "把知晓度低归因于宣传",
            ["宣传", "推广"],
            [],
            "#aabbcc",
        )
        assert code.include  # fields not named stay
    assert (
        "nothing to change"
        in run(
            "codes", "edit", coded, "causes.publicity", "--color", "#aabbcc", "--coder", "wang"
        ).output
    )
    bad = run(
        "codes", "edit", coded, "causes.publicity", "--color", "red", "--coder", "wang", ok=False
    )
    assert "bad color 'red'" in bad.output
    empty = run(
        "codes", "rename", coded, "causes.publicity", "--label", " ", "--coder", "wang", ok=False
    )
    assert "empty label" in empty.output
    unknown = run(
        "codes", "edit", coded, "causes.publicty", "--label", "x", "--coder", "wang", ok=False
    )
    assert "no code 'causes.publicty'" in unknown.output
    nobody = run("codes", "edit", coded, "causes.publicity", "--label", "x", ok=False)
    assert "--coder" in nobody.output


def test_move_under_another_parent_to_the_top_and_among_siblings(coded: Path) -> None:
    def tree() -> list[tuple[str, str]]:
        with Project.open(coded) as project:
            return [(c.id, p.id if p else "") for c, p, _ in project.codebook().walk()]

    start = tree()
    out = run(
        "codes",
        "move",
        coded,
        "causes.publicity",
        "--parent",
        "suggestions",
        "--position",
        "1",
        "--coder",
        "wang",
    ).output
    assert "moved 宣传推广 from under 原因 to under 建议" in out
    assert tree()[[c for c, _ in tree()].index("suggestions") + 1] == (
        "causes.publicity",
        "suggestions",
    )
    run("codes", "move", coded, "causes.publicity", "--top", "--coder", "wang")
    assert ("causes.publicity", "") in tree()
    out = run(
        "codes", "move", coded, "problems.security", "--position", "1", "--coder", "wang"
    ).output
    assert "put 信息安全 in place 1 under 使用问题" in out
    problems = [c for c, p in tree() if p == "problems"]
    assert problems[:2] == ["problems.security", "problems.awareness"]
    assert counts(coded)["causes.publicity"] == 3  # codings never move with the tree

    loop = run(
        "codes",
        "move",
        coded,
        "problems",
        "--parent",
        "problems.content",
        "--coder",
        "wang",
        ok=False,
    )
    assert "itself or below it" in loop.output
    with Project.open(coded) as project:
        for _ in range(3):
            project.undo("wang")
    assert tree() == start


def test_split_recodes_chosen_codings_to_a_new_code_and_undo_returns_them(coded: Path) -> None:
    with Project.open(coded) as project:
        chosen = [c.id for c in project.codings(code_id="problems.awareness", coder="wang")][:2]
        other = project.codings(code_id="causes.publicity")[0].id
    before = snapshot(coded)
    out = run(
        "codes",
        "split",
        coded,
        "problems.awareness",
        "problems.heard_of",
        *chosen,
        "--label",
        "听说过",
        "--coder",
        "wang",
    ).output
    assert "split 2 codings of 使用与知晓度 into 听说过 (a new code)" in out
    assert counts(coded)["problems.heard_of"] == 2 and counts(coded)["problems.awareness"] == 4
    with Project.open(coded) as project:
        book = project.codebook().by_id()
        assert [c.id for c in book["problems"].children][-1] == "problems.heard_of"
        project.undo("wang")
    assert snapshot(coded) == before

    wrong = run(
        "codes",
        "split",
        coded,
        "problems.awareness",
        "causes.publicity",
        other,
        "--coder",
        "wang",
        ok=False,
    )
    assert f"coding {other} is not coded 'problems.awareness'" in wrong.output


def test_delete_is_refused_while_codings_use_the_code_and_says_how_many(coded: Path) -> None:
    refused = run("codes", "delete", coded, "problems.awareness", "--coder", "wang", ok=False)
    assert (
        "is used by 6 codings (5 confirmed, 1 suggested); merge it into another code "
        "instead (qualcode codes merge PROJECT problems.awareness INTO_ID)"
    ) in refused.output
    parent = run("codes", "delete", coded, "problems", "--coder", "wang", ok=False)
    assert "has 5 child codes" in parent.output

    asked = run(
        "codes",
        "delete",
        coded,
        "problems.awareness",
        "--with-codings",
        "--coder",
        "wang",
        input="n\n",
        ok=False,
    )
    assert "delete problems.awareness and 6 codings" in asked.output
    assert counts(coded)["problems.awareness"] == 6  # said no: nothing deleted
    out = run(
        "codes",
        "delete",
        coded,
        "problems.awareness",
        "--with-codings",
        "--coder",
        "wang",
        input="y\n",
    ).output
    assert "deleted 使用与知晓度 (problems.awareness) and 6 codings" in out
    assert "problems.awareness" not in counts(coded)
    with Project.open(coded) as project:
        assert 1 not in project.favourites()
        assert project.code_memo("problems.awareness", "li") == ""
        project.undo("wang")
        assert project.favourites()[1] == "problems.awareness"
        assert project.code_memo("problems.awareness", "li") == "li 的定义"
    assert counts(coded)["problems.awareness"] == 6

    run("codes", "delete", coded, "tpb.attitude", "--coder", "wang")  # unused: no question
    with Project.open(coded) as project:
        assert "tpb.attitude" not in project.codebook().by_id()


def test_history_exports_who_when_and_what_for_the_methods_chapter(
    coded: Path, tmp_path: Path
) -> None:
    run("codes", "rename", coded, "causes.publicity", "--label", "宣传", "--coder", "wang")
    run("codes", "merge", coded, "problems.awareness", "causes.publicity", "--coder", "li")
    run("codes", "move", coded, "problems.content", "--top", "--coder", "wang")
    with Project.open(coded) as project:
        project.undo("wang")  # the move: undone, it leaves the history

    table = tmp_path / "history.csv"
    run("codes", "history", coded, "-o", table, "--lang", "en")
    with open(table, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["coder"], r["action"], r["code"]) for r in rows] == [
        ("", "codebook set", ""),
        ("wang", "rename", "causes.publicity"),
        ("li", "merge", "problems.awareness → causes.publicity"),
    ]
    assert rows[0]["change"] == (
        "set the working codebook from gov_service.yaml: 22 codes (22 added, 0 removed, 0 changed)"
    )
    assert (
        rows[2]["change"] == "merged 使用与知晓度 into 宣传: 6 codings (2 joined with "
        "codings already there)"
    )
    assert rows[1]["when"][:4].isdigit()
    chinese = tmp_path / "history.md"
    run("codes", "history", coded, "-o", chinese, "--lang", "zh")
    text = chinese.read_text(encoding="utf-8")
    assert "将“使用与知晓度”合并到“宣传”：6 处编码" in text and "编码员" in text


def test_a_project_from_before_the_history_starts_it_with_its_codebook(
    sample_project_dir: Path,
) -> None:
    conn = sqlite3.connect(sample_project_dir / "qualcode.db")
    conn.executescript(
        "DROP TABLE codebook_history; DELETE FROM migrations WHERE name = '0010_codebook_history';"
    )
    conn.close()
    with Project.open(sample_project_dir) as project:
        (entry,) = project.codebook_history()
        assert codes.describe(entry) == "the working codebook had 22 codes when its history began"
        codes.merge_codes(project, "tpb.subjective_norm", "tpb.attitude", "wang")
        assert [e.action for e in project.codebook_history()] == ["start", "merge"]


def test_codes_added_while_coding_enter_the_history_and_leave_it_when_undone(
    sample_project: Project,
) -> None:
    from qualcode.model import Code

    sample_project.add_code(Code("problems.queue", "排队"), "problems", coder="wang")
    assert (
        codes.describe(sample_project.codebook_history()[-1], "zh")
        == "新建“排队”（problems.queue），在“使用问题”下"
    )
    sample_project.undo("wang")
    assert [e.action for e in sample_project.codebook_history()] == ["codebook"]


def test_import_merge_reports_renames_and_merges_it_cannot_tell_from_new_codes(
    coded: Path,
    tmp_path: Path,
) -> None:
    # A colleague renamed the id of publicity and merged stability into usability.
    theirs = load_codebook(SAMPLE_CODEBOOK)
    causes = theirs.codes[1]
    causes.children[0].id = "causes.promotion"
    problems = theirs.codes[0]
    problems.children = [c for c in problems.children if c.id != "problems.stability"]
    save_codebook(theirs, tmp_path / "theirs.yaml")

    out = run("codebook", "import", coded, tmp_path / "theirs.yaml", "--merge").output
    assert "? theirs lacks 2 of our codes, kept here" in out
    assert "? - causes.publicity  宣传推广" in out and "? - problems.stability  系统稳定性" in out
    assert (
        "? + causes.promotion came in as a new code with the label of causes.publicity; "
        "if it is causes.publicity renamed: qualcode codes merge PROJECT causes.promotion "
        "causes.publicity, then qualcode codes rename PROJECT causes.publicity --id "
        "causes.promotion"
    ) in out
    with Project.open(coded) as project:  # nothing guessed: ours kept, theirs added
        book = project.codebook().by_id()
        assert {"causes.publicity", "causes.promotion", "problems.stability"} <= set(book)

    # Doing what it says makes the two one, with the colleague's id and our codings.
    run("codes", "merge", coded, "causes.promotion", "causes.publicity", "--coder", "wang")
    run("codes", "rename", coded, "causes.publicity", "--id", "causes.promotion", "--coder", "wang")
    assert counts(coded)["causes.promotion"] == 3


def test_every_code_command_says_what_it_does(coded: Path) -> None:
    for command in ("rename", "edit", "move", "merge", "split", "delete", "history"):
        assert run("codes", command, "--help").output.count("\n") > 3


def test_a_refinement_is_one_transaction_nothing_half_done(coded: Path) -> None:
    """A merge that fails half-way (here: the project's history cannot be written) leaves
    every coding where it was."""
    before = snapshot(coded)
    with Project.open(coded) as project:
        project.conn.execute(
            "CREATE TRIGGER no_history BEFORE INSERT ON codebook_history "
            "BEGIN SELECT RAISE(ABORT, 'no history today'); END"
        )
        with pytest.raises(sqlite3.IntegrityError, match="no history today"):
            codes.merge_codes(project, "problems.awareness", "causes.publicity", "wang")
        project.conn.execute("DROP TRIGGER no_history")
    assert snapshot(coded) == before
    with Project.open(coded) as project, pytest.raises(ProjectError, match="into itself"):
        codes.merge_codes(project, "tpb", "tpb", "wang")


def test_undoing_a_rename_is_refused_while_another_coders_codings_use_the_new_id(
    coded: Path,
) -> None:
    run("codes", "rename", coded, "causes.publicity", "--id", "causes.promotion", "--coder", "li")
    run("code", coded, "A01", 9, "causes.promotion", "--coder", "wang")
    before = snapshot(coded)
    result = run("undo", coded, "--coder", "li", ok=False)
    assert result.exit_code == 1
    assert (
        "causes.promotion (1 codings)" in result.output and "nothing was changed" in result.output
    )
    assert snapshot(coded) == before  # the rename stands; wang's coding keeps its code
    with Project.open(coded) as project:
        assert "causes.promotion" in project.codebook().by_id()
