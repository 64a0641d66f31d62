"""Memos of every kind and where each coder stopped, in the project store (real SQLite files):
code memos per coder, one list of every memo, resume positions, and the schema step that
brings them to a project an older version wrote."""

from __future__ import annotations

import sqlite3

import pytest

from qualcode.errors import ProjectError
from qualcode.store import Project


def test_a_code_memo_is_each_coders_own_and_undoable(sample_project_dir):
    with Project.open(sample_project_dir) as project:
        project.set_code_memo("problems.awareness", "wang", "只算受访者自己说不知道的")
        project.set_code_memo("problems.awareness", "li", "包括听说过但没用过")
        project.set_code_memo("problems.awareness", "wang", "只算受访者自己说不知道的；不含转述")
    with Project.open(sample_project_dir) as project:  # as after a restart
        assert (
            project.code_memo("problems.awareness", "wang") == "只算受访者自己说不知道的；不含转述"
        )
        assert project.code_memo("problems.awareness", "li") == "包括听说过但没用过"
        assert project.code_memo("problems", "wang") == ""
        project.undo()
        assert project.code_memo("problems.awareness", "wang") == "只算受访者自己说不知道的"
        project.set_code_memo("problems.awareness", "li", "  ")  # emptied: gone
        assert [m.coder for m in project.all_memos() if m.kind == "code"] == ["wang"]
        with pytest.raises(ProjectError, match="no code 'nonesuch'"):
            project.set_code_memo("nonesuch", "wang", "?")


def test_every_memo_is_listed_once_with_where_it_is(sample_project_dir):
    with Project.open(sample_project_dir) as project:
        a03 = project.sentence("A03", 4)
        a01 = project.sentence("A01", 6)
        later = project.add_coding(
            "A03", a03.start, a03.end, "causes.publicity", "wang", memo="宣传不够，原话"
        )
        earlier = project.add_coding("A01", a01.start, a01.end, "problems", "li")
        project.set_coding_memo(earlier.id, "第一次提到")
        project.add_coding("A01", a01.start, a01.end, "suggestions", "li")  # no memo
        project.set_transcript_memo("A03", "wang", "受访者很健谈")
        project.set_code_memo("suggestions", "wang", "建议类")
        project.set_code_memo("problems", "wang", "问题类")
        project.set_project_memo("wang", "先做完 A 组")
        project.set_project_memo("wang", "先做完 A 组，再做 B 组")  # replaces, not adds
        memos = project.all_memos()
    assert [(m.kind, m.transcript or m.code_id, m.text) for m in memos] == [
        ("project", "", "先做完 A 组，再做 B 组"),
        ("code", "problems", "问题类"),  # codebook order, not the order written
        ("code", "suggestions", "建议类"),
        ("coding", "A01_zhang", "第一次提到"),
        ("transcript", "A03_wang", "受访者很健谈"),  # a transcript's own memo before its codings'
        ("coding", "A03_wang", "宣传不够，原话"),
    ]
    coding = memos[-1]
    assert (coding.start, coding.end, coding.code_id, coding.coding_id, coding.quote) == (
        a03.start,
        a03.end,
        "causes.publicity",
        later.id,
        a03.text,
    )


def test_each_coder_resumes_where_they_stopped(sample_project_dir):
    with Project.open(sample_project_dir) as project:
        assert project.position("wang") is None
        project.set_position("wang", "A03", 120)
        project.set_position("li", "A01", 40)
        project.set_position("wang", "A02", 75)
    with Project.open(sample_project_dir) as project:
        assert project.position("wang") == ("A02_li", 75)
        assert project.position("li") == ("A01_zhang", 40)


def test_a_project_from_before_code_memos_opens_migrated(sample_project_dir):
    """A project written before step 0008: its data stay, a backup is kept, and code memos
    and positions work at once."""
    with Project.open(sample_project_dir) as project:
        s = project.sentence("A01", 3)
        project.add_coding("A01", s.start, s.end, "problems", "wang", memo="旧备忘")
    db = sample_project_dir / "qualcode.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        "DROP TABLE code_memos; DROP TABLE positions; "
        "DELETE FROM migrations WHERE name = '0008_code_memos_and_positions';"
    )
    conn.close()
    with Project.open(sample_project_dir) as project:
        assert [m.text for m in project.all_memos()] == ["旧备忘"]
        project.set_code_memo("problems", "wang", "新的编码备忘")
        project.set_position("wang", "A01", s.start)
        assert project.position("wang") == ("A01_zhang", s.start)
    backups = list(sample_project_dir.glob("qualcode.backup-*.db"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert not old.execute("SELECT 1 FROM sqlite_master WHERE name = 'code_memos'").fetchone()
    old.close()
