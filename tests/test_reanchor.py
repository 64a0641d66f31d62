"""Changed transcripts: codings follow their text through real edits, and nothing is dropped."""

from __future__ import annotations

import shutil
import sqlite3
import stat

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.cli import main
from qualcode.doctor import check_project
from qualcode.reanchor import Anchorer, diff_texts
from qualcode.store import MIGRATIONS, Project
from qualcode.store.schema import _SCHEMA_1
from qualcode.study import import_files

from .conftest import REPO, SHARED

A01 = REPO / "transcripts" / "A01_zhang.txt"


def place(old: str, new: str, passage: str, occurrence: int = 0):
    start = old.index(passage)
    for _ in range(occurrence):
        start = old.index(passage, start + 1)
    placement = Anchorer(old, new).place(start, start + len(passage))
    return placement.outcome, new[placement.start : placement.end]


# --- the diff and placement, on strings -----------------------------------------------------

OLD = "访谈者：你用过江城办吗？\n\n受访者：用过，就是老闪退。后来我就去窗口办了。\n"


def test_untouched_coding_stays():
    assert place(OLD, OLD, "就是老闪退") == ("stayed", "就是老闪退")
    new = OLD.replace("窗口", "政务大厅的窗口")
    assert place(OLD, new, "就是老闪退") == ("stayed", "就是老闪退")


def test_insertion_before_a_coding_moves_it():
    new = "编号：A09\n\n" + OLD
    assert place(OLD, new, "就是老闪退") == ("moved", "就是老闪退")
    new = OLD.replace("你用过", "请问您用过")
    assert place(OLD, new, "就是老闪退") == ("moved", "就是老闪退")


def test_insertion_inside_a_coding_changes_it_and_joins_it():
    new = OLD.replace("老闪退", "老是闪退")
    assert place(OLD, new, "就是老闪退") == ("changed", "就是老是闪退")


def test_typo_fixed_at_the_edge_of_a_coding_is_part_of_it():
    new = OLD.replace("老闪退", "常闪退")
    assert place(OLD, new, "老闪退") == ("changed", "常闪退")


def test_text_added_right_before_or_after_a_coding_stays_outside_it():
    new = OLD.replace("就是老闪退", "嗯，就是老闪退，真的")
    assert place(OLD, new, "就是老闪退") == ("moved", "就是老闪退")


def test_deleting_a_codings_text_leaves_it_unplaced_where_it_was():
    new = OLD.replace("后来我就去窗口办了。", "")
    start = OLD.index("后来")
    placement = Anchorer(OLD, new).place(start, start + len("后来我就去窗口办了"))
    assert placement.outcome == "unplaced"
    assert (placement.start, placement.end) == (start, start + 1)  # one character, where it was


def test_a_coding_mostly_rewritten_is_unplaced_not_stretched():
    new = OLD.replace("就是老闪退", "就是经常崩溃")
    assert place(OLD, new, "就是老闪退")[0] == "unplaced"  # 2 of 5 characters left


def test_a_moved_paragraph_is_found_where_it_went():
    old = "受访者：第一段话在这里。\n\n受访者：第二段话，说的是窗口排队。\n\n受访者：第三段。\n"
    new = "受访者：第二段话，说的是窗口排队。\n\n受访者：第一段话在这里。\n\n受访者：第三段。\n"
    assert place(old, new, "说的是窗口排队") == ("moved", "说的是窗口排队")
    assert place(old, new, "第一段话在这里") == ("moved", "第一段话在这里")
    assert place(old, new, "第三段") == ("stayed", "第三段")


def test_a_coding_at_the_very_end_survives_deleting_the_tail():
    old = "受访者：甲乙丙丁。末尾的话"
    new = "受访者：甲乙丙丁。"
    outcome, _ = place(old, new, "末尾的话")
    placement = Anchorer(old, new).place(old.index("末尾"), len(old))
    assert outcome == "unplaced" and placement.end <= len(new)


TEXT = st.text(
    st.sampled_from(list("的是我了，。\n访谈者受用过江城办吗？窗口闪退ab 嗯")), max_size=80
)


@st.composite
def edited_around_a_coding(draw):
    """Old text with a coded passage (of characters found nowhere else), and new text edited
    anywhere but inside that passage: before it, after it, or both."""
    before, coded, after = draw(TEXT), draw(st.text("ABCDEFG", min_size=4, max_size=12)), draw(TEXT)
    cut = draw(st.integers(0, len(before)))
    new_before = before[:cut] + draw(TEXT) + before[cut + draw(st.integers(0, len(before) - cut)) :]
    new_after = draw(TEXT) + after[draw(st.integers(0, len(after))) :]
    return (
        before + coded + after,
        len(before),
        len(before) + len(coded),
        new_before + coded + new_after,
    )


@settings(max_examples=300, deadline=None)
@given(edited_around_a_coding())
def test_property_codings_outside_the_edits_keep_their_text(case):
    old, start, end, new = case
    placement = Anchorer(old, new).place(start, end)
    assert placement.outcome in ("stayed", "moved")
    assert new[placement.start : placement.end] == old[start:end]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_property_opcodes_rebuild_the_new_text(old, new):
    opcodes = diff_texts(old, new)
    rebuilt, i, j = [], 0, 0
    for tag, i1, i2, j1, j2 in opcodes:
        assert (i1, j1) == (i, j)  # contiguous over both texts
        if tag == "equal":
            assert old[i1:i2] == new[j1:j2]
        rebuilt.append(new[j1:j2])
        i, j = i2, j2
    assert (i, j) == (len(old), len(new))
    assert "".join(rebuilt) == new
    if new:
        for start in range(len(old)):
            placement = Anchorer(old, new, opcodes).place(start, min(len(old), start + 3))
            assert 0 <= placement.start < placement.end <= len(new)
            if placement.outcome in ("stayed", "moved"):
                assert new[placement.start : placement.end] == old[start : start + 3]


def test_a_long_transcript_with_many_edits_diffs_quickly():
    import random

    corpus = sorted((SHARED / "corpora" / "audreyt_transcript_cc0").rglob("*.md"))
    if not corpus:
        pytest.skip("the CC0 transcript corpus is not here")
    old = "\n".join(p.read_text(encoding="utf-8") for p in corpus)  # about 300,000 characters
    rng, new = random.Random(7), list(old)
    for _ in range(100):
        i = rng.randrange(len(new))
        new[i : i + rng.randrange(0, 20)] = list("补充的一句话，")
    opcodes = diff_texts(old, "".join(new))
    assert sum(i2 - i1 for tag, i1, i2, _, _ in opcodes if tag == "equal") > 0.9 * len(old)


# --- a real transcript, re-imported ---------------------------------------------------------


def code_passage(project: Project, passage: str, code: str, coder: str = "wang", memo: str = ""):
    text = project.transcript("A01").text
    start = text.index(passage)
    return project.add_coding("A01", start, start + len(passage), code, coder, memo=memo)


@pytest.fixture
def edited_a01(sample_project, tmp_path):
    """A01 coded in five places, then its file edited: a passage added after the header, a typo
    fixed inside one coding, one coding's sentence deleted; returns (project, codings, file)."""
    codings = {
        "header": code_passage(sample_project, "江城市某社区服务中心", "problems.content"),
        "moved": code_passage(
            sample_project, "教了三十多年语文", "problems.content", memo="退休教师"
        ),
        "changed": code_passage(sample_project, "拿着身份证，拍个照，签个字", "problems.stability"),
        "deleted": code_passage(
            sample_project, "我当时其实是不知道有这个东西的", "problems.awareness", memo="知晓度低"
        ),
        "later": code_passage(sample_project, "刷脸就行", "problems.security", coder="li"),
    }
    text = A01.read_text(encoding="utf-8")
    text = text.replace(
        "访谈者：研究者\n\n", "访谈者：研究者\n\n（录音开始前，受访者先聊了几句天气。）\n\n", 1
    )
    text = text.replace("拍个照，签个字", "拍个照片，签个字", 1)
    text = text.replace("我当时其实是不知道有这个东西的，", "", 1)
    source = tmp_path / "A01_zhang.txt"
    source.write_text(text, encoding="utf-8")
    return sample_project, codings, source


def test_reimport_reanchors_every_coding_and_reports_it(edited_a01):
    project, codings, source = edited_a01
    transcript_id = project.transcript("A01").id
    (result,) = import_files(project, [source])
    assert project.transcript("A01").id == transcript_id  # replaced in place
    assert result.status == "replaced"
    report = result.reanchored
    assert (report.stayed, report.moved, report.changed, report.unplaced) == (1, 2, 1, 1)
    after = {c.id: c for c in project.codings("A01", status=None)}
    assert len(after) == 5  # never dropped
    assert after[codings["header"].id].start == codings["header"].start
    assert after[codings["moved"].id].text == "教了三十多年语文"
    assert after[codings["moved"].id].memo == "退休教师"
    assert after[codings["moved"].id].start > codings["moved"].start
    assert after[codings["changed"].id].text == "拿着身份证，拍个照片，签个字"
    assert after[codings["later"].id].text == "刷脸就行"
    unplaced = after[codings["deleted"].id]
    assert unplaced.status == "unplaced"
    assert unplaced.text == "我当时其实是不知道有这个东西的"  # what it coded, for the researcher
    assert unplaced.memo == "知晓度低"
    assert project.codings("A01", status="unplaced") == [unplaced]
    assert codings["deleted"].id not in {c.id for c in project.codings("A01")}  # not confirmed
    stored = project.transcript("A01")
    assert stored.text == source.read_text(encoding="utf-8")
    for sentence in stored.sentences:
        assert stored.text[sentence.start : sentence.end] == sentence.text
    assert not [f for f in check_project(project.folder) if f.severity == "problem"]


def test_the_original_span_and_text_are_kept_in_the_store(edited_a01):
    project, codings, source = edited_a01
    old_text = project.transcript("A01").text
    import_files(project, [source])
    row = project.conn.execute(
        "SELECT status, original_start, original_end, original_text, original_status "
        "FROM codings WHERE id = ?",
        (codings["deleted"].id,),
    ).fetchone()
    deleted = codings["deleted"]
    assert tuple(row) == (
        "unplaced",
        deleted.start,
        deleted.end,
        old_text[deleted.start : deleted.end],
        "confirmed",
    )
    row = project.conn.execute(
        "SELECT original_text FROM codings WHERE id = ?", (codings["changed"].id,)
    ).fetchone()
    assert row[0] == "拿着身份证，拍个照，签个字"


def test_an_unplaced_coding_whose_text_returns_is_placed_again(edited_a01):
    project, codings, source = edited_a01
    import_files(project, [source])
    source.write_text(A01.read_text(encoding="utf-8"), encoding="utf-8")  # the edits undone
    (result,) = import_files(project, [source])
    assert result.reanchored.unplaced == 0
    back = project.coding(codings["deleted"].id)
    assert (back.status, back.text) == ("confirmed", "我当时其实是不知道有这个东西的")
    assert (back.start, back.end) == (codings["deleted"].start, codings["deleted"].end)


def test_reimport_is_not_undoable_and_leaves_undo_working(edited_a01):
    project, _, source = edited_a01
    a03 = project.sentence("A03", 2)
    other = project.add_coding("A03", a03.start, a03.end, "problems.content", "wang")
    import_files(project, [source])
    after = {c.id: (c.start, c.end) for c in project.codings(status=None)}
    # The A01 history is gone (its offsets were into the old text); A03's is intact.
    assert project.undo().action == "code"
    assert other.id not in {c.id for c in project.codings(status=None)}
    assert project.undo() is None
    assert {c.id: (c.start, c.end) for c in project.codings(status=None)} == {
        k: v for k, v in after.items() if k != other.id
    }
    assert project.redo().action == "code"


def test_removed_coding_cannot_come_back_at_stale_offsets(sample_project, tmp_path):
    coding = code_passage(sample_project, "刷脸就行", "problems.security")
    sample_project.remove_coding(coding.id)
    source = tmp_path / "A01_zhang.txt"
    source.write_text("前言。\n" + A01.read_text(encoding="utf-8"), encoding="utf-8")
    import_files(sample_project, [source])
    assert sample_project.undo() is None  # undoing the removal would code the wrong characters
    assert sample_project.codings("A01", status=None) == []


def test_transcript_memo_and_case_survive_a_replacement(edited_a01):
    project, _, source = edited_a01
    project.set_transcript_memo("A01", "wang", "退休教师，很配合")
    attributes = project.attributes()["A01_zhang"]
    import_files(project, [source])
    assert project.transcript_memo("A01", "wang") == "退休教师，很配合"
    assert project.attributes()["A01_zhang"] == attributes


def test_import_command_reports_reanchoring_and_codings_lists_the_unplaced(
    edited_a01, sample_project_dir
):
    project, _, source = edited_a01
    project.close()
    runner = CliRunner()
    result = runner.invoke(
        main, ["import", str(sample_project_dir), str(source)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert (
        f"replaced A01_zhang: 1 stayed, 2 moved, 1 changed, 1 unplaced "
        f"(see: qualcode codings {sample_project_dir} --status unplaced)"
    ) in result.output
    assert "cannot be undone" in result.output
    listed = sample_project_dir.parent / "unplaced.csv"
    result = runner.invoke(
        main,
        ["codings", str(sample_project_dir), "--status", "unplaced", "-o", str(listed)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    content = listed.read_text(encoding="utf-8-sig")
    assert "我当时其实是不知道有这个东西的" in content and "unplaced" in content
    assert content.count("\n") == 2  # header and one coding


# --- the schema step that allows 'unplaced' -------------------------------------------------


def write_first_version_project(folder):
    """A project as the first schema wrote it (only the first migration), with a coding."""
    folder.mkdir()
    db = folder / "qualcode.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for statement in _SCHEMA_1.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
    conn.execute("INSERT INTO migrations VALUES ('0001_initial', '2024-01-01T00:00:00')")
    conn.execute("INSERT INTO meta VALUES ('name', 'old study')")
    conn.execute(
        "INSERT INTO transcripts (name, text, hash, imported) "
        "VALUES ('T1', '受访者：就是老闪退。', 'x', 'now')"
    )
    conn.execute("INSERT INTO codes (id, position, label) VALUES ('crash', 0, '闪退')")
    conn.execute(
        "INSERT INTO codings (transcript_id, start, end, code_id, coder, memo, created, "
        "changed) VALUES (1, 4, 9, 'crash', 'wang', '备注', 'then', 'then')"
    )
    conn.close()
    db.chmod(0o600)
    return db


def test_a_project_written_by_the_first_schema_opens_migrated_after_a_backup(tmp_path):
    db = write_first_version_project(tmp_path / "old")
    with Project.open(db.parent) as project:
        (coding,) = project.codings(status=None)
        assert (coding.start, coding.end, coding.text, coding.memo) == (4, 9, "就是老闪退", "备注")
        names = [r[0] for r in project.conn.execute("SELECT name FROM migrations ORDER BY name")]
        assert names == [name for name, _ in MIGRATIONS]
        project.conn.execute("UPDATE codings SET status = 'unplaced'")  # allowed now
        with pytest.raises(sqlite3.IntegrityError):
            project.conn.execute("UPDATE codings SET status = 'bogus'")
    backup = db.with_name("qualcode.backup-1.db")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    old = sqlite3.connect(backup)
    assert [r[0] for r in old.execute("SELECT name FROM migrations")] == ["0001_initial"]
    assert (
        "unplaced"
        not in old.execute("SELECT sql FROM sqlite_master WHERE name = 'codings'").fetchone()[0]
    )
    old.close()
    with Project.open(db.parent):
        pass
    assert sorted(p.name for p in db.parent.glob("qualcode.backup*")) == ["qualcode.backup-1.db"]


def test_a_second_migration_backup_does_not_overwrite_the_first(tmp_path):
    db = write_first_version_project(tmp_path / "old")
    shutil.copy(db, tmp_path / "pristine.db")
    with Project.open(db.parent):
        pass
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    shutil.copy(tmp_path / "pristine.db", db)  # as if an older qualcode wrote it again
    with Project.open(db.parent):
        pass
    assert sorted(p.name for p in db.parent.glob("qualcode.backup*")) == [
        "qualcode.backup-1-2.db",
        "qualcode.backup-1.db",
    ]


def test_a_project_from_a_newer_qualcode_is_refused_untouched(tmp_path):
    from qualcode.errors import ProjectError

    with Project.create(tmp_path / "p") as project:
        project.conn.execute("INSERT INTO migrations VALUES ('9999_future', 'later')")
    with pytest.raises(ProjectError, match="newer version of qualcode"):
        Project.open(tmp_path / "p")


def test_lines_added_after_a_coding_never_stretch_it_over_other_turns():
    # With 吧 added earlier, the diff matches the coding's final 。 to the 。 that ends the two
    # lines added after it: the coding must stay on its own words, not grow over two new turns.
    old = (
        "访谈者：您好，请问您平时用江城办吗？\n受访者（女，45岁）：用过几次。主要是办社保的时候用。\n"
        "访谈者：那您知道网站上也可以办吗？\n受访者（女，45岁）：不知道啊，没人告诉过我。\n"
        "还有就是我担心个人信息泄露，身份证号码都在上面。\n访谈者：好的，谢谢您。\n"
    )
    new = old.replace("用过几次。", "用过几次吧。").replace(
        "都在上面。\n", "都在上面。\n访谈者：还有别的吗？\n受访者（女，45岁）：没有了。\n"
    )
    start = old.index("还有就是")
    end = old.index("上面。") + 3
    placed = Anchorer(old, new).place(start, end)
    assert (placed.outcome, new[placed.start : placed.end]) == ("moved", old[start:end])


def test_a_word_inserted_inside_a_coding_next_to_its_end_stays_in_it():
    placed = Anchorer("都在上面。好的", "都在上面呢。好的").place(0, 5)
    assert (placed.outcome, placed.start, placed.end) == ("changed", 0, 6)
