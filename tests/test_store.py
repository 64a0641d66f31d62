"""The project store on real SQLite files: codings, undo across restarts, caching, cases."""

from __future__ import annotations

import sqlite3
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualcode.errors import AttributesError, ProjectError
from qualcode.model import Code
from qualcode.store import MIGRATIONS, Project, count_touched
from qualcode.study import import_files, read_attributes, segmenter_for


def test_project_file_is_private_and_in_wal_mode(sample_project_dir):
    db = sample_project_dir / "qualcode.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r[0] for r in conn.execute("SELECT name FROM migrations")]
    assert names == [name for name, _ in MIGRATIONS]


def test_sample_study_is_imported_with_structure(sample_project):
    summaries = {s.name: s for s in sample_project.summaries()}
    assert len(summaries) >= 6
    for summary in summaries.values():
        assert summary.turns >= 10
        assert summary.sentences > summary.turns
        assert summary.characters >= 3000
    stored = sample_project.transcript("A01")
    for sentence in stored.sentences:
        assert stored.text[sentence.start : sentence.end] == sentence.text
        turn = stored.turns[sentence.turn]
        assert turn.body_start <= sentence.start < sentence.end <= turn.end
    words = stored.words()
    assert words[0].start == 0 and words[-1].end == len(stored.text)


def test_transcripts_are_named_by_unique_prefix(sample_project):
    assert sample_project.resolve("A01") == "A01_zhang"
    with pytest.raises(ProjectError, match="several transcripts"):
        sample_project.resolve("A0")
    with pytest.raises(ProjectError, match="no transcript named 'Z9'"):
        sample_project.resolve("Z9")


def test_coding_is_stored_with_its_text_and_undo_survives_a_restart(sample_project_dir):
    with Project.open(sample_project_dir) as project:
        sentence = project.sentence("A01", 5)
        coding = project.add_coding(
            "A01", sentence.start, sentence.end, "problems.awareness", "wang", memo="不知道网站"
        )
        assert coding.text == sentence.text
        assert coding.memo == "不知道网站"
    with Project.open(sample_project_dir) as project:  # a new process, as after a restart
        assert [c.id for c in project.codings("A01")] == [coding.id]
        assert project.undo().action == "code"
        assert project.codings("A01") == []
    with Project.open(sample_project_dir) as project:
        assert project.redo().action == "code"
        (restored,) = project.codings("A01")
        assert (restored.start, restored.end, restored.memo) == (
            sentence.start,
            sentence.end,
            "不知道网站",
        )


def test_undo_of_removal_brings_the_coding_back_whole(sample_project):
    s = sample_project.sentence("A02", 3)
    coding = sample_project.add_coding("A02", s.start, s.end, "problems.stability", "li")
    sample_project.remove_coding(coding.id)
    assert sample_project.codings("A02") == []
    assert sample_project.undo().action == "uncode"
    (back,) = sample_project.codings("A02")
    assert (back.id, back.code_id, back.coder, back.created) == (
        coding.id,
        coding.code_id,
        coding.coder,
        coding.created,
    )


def test_a_new_action_ends_the_redo_history(sample_project):
    s = sample_project.sentence("A01", 1)
    sample_project.add_coding("A01", s.start, s.end, "problems.content", "wang")
    sample_project.undo()
    sample_project.add_coding("A01", s.start, s.end, "problems.security", "wang")
    assert sample_project.redo() is None
    assert [c.code_id for c in sample_project.codings("A01")] == ["problems.security"]


def test_bad_codings_are_refused_and_nothing_is_written(sample_project):
    with pytest.raises(ProjectError, match="no code 'nope'"):
        sample_project.add_coding("A01", 0, 5, "nope", "wang")
    length = len(sample_project.transcript("A01").text)
    with pytest.raises(ProjectError, match="not a span"):
        sample_project.add_coding("A01", length - 1, length + 5, "problems.content", "wang")
    with pytest.raises(ProjectError, match="coder"):
        sample_project.add_coding("A01", 0, 5, "problems.content", "  ")
    assert sample_project.codings(status=None) == []


def test_reimporting_identical_text_uses_nothing_and_changed_text_keeps_codings(
    sample_project, tmp_path
):
    source = tmp_path / "B01_test.txt"
    source.write_text("访谈者：你用过江城办吗？\n\n受访者：用过，就是老闪退。\n", encoding="utf-8")
    (first,) = import_files(sample_project, [source])
    assert first.status == "added" and first.segmented
    (again,) = import_files(sample_project, [source])
    assert again.status == "unchanged"
    s = sample_project.sentence("B01", 2)
    sample_project.add_coding("B01", s.start, s.end, "problems.stability", "wang")
    source.write_text(
        "访谈者：你用过江城办吗？\n\n受访者：用过，就是老是闪退。\n", encoding="utf-8"
    )
    (replaced,) = import_files(sample_project, [source])  # re-anchored: see test_reanchor.py
    assert replaced.status == "replaced" and replaced.reanchored.changed == 1
    assert sample_project.codings("B01")[0].text == "用过，就是老是闪退。"


def test_same_text_under_another_name_is_not_segmented_again(sample_project, tmp_path):
    text = "受访者：我都不知道有这个政务服务网。后来社区的人教我用的。\n"
    (tmp_path / "C1.txt").write_text(text, encoding="utf-8")
    (tmp_path / "C2.txt").write_text(text, encoding="utf-8")
    first, second = import_files(
        sample_project, [tmp_path / "C1.txt", tmp_path / "C2.txt"], allow_duplicates=True
    )  # else C2 is skipped as a duplicate
    assert first.segmented and not second.segmented
    assert sample_project.transcript("C1").sentences == sample_project.transcript("C2").sentences


def test_codebook_keywords_stay_whole_words(sample_project):
    segmenter = segmenter_for(sample_project)
    text = "一网通办说是一网，其实要跑好几个网"
    words = [text[w.start : w.end] for w in segmenter.words(text)]
    assert "一网通办" in sample_project.user_words()
    assert "一网通办" in words


def test_new_code_while_coding_is_undoable(sample_project):
    sample_project.add_code(Code(id="problems.queue", label="排队"), "problems")
    assert sample_project.codebook().by_id()["problems.queue"].label == "排队"
    with pytest.raises(ProjectError, match="already exists"):
        sample_project.add_code(Code(id="problems.queue", label="排队"), "problems")
    sample_project.undo()
    assert "problems.queue" not in sample_project.codebook().by_id()


def test_attributes_keep_column_order(sample_project):
    names = sample_project.attribute_names()
    assert names[:3] == ["gender", "age_group", "education"]
    attributes = sample_project.attributes()
    assert attributes["A01_zhang"]["gender"] == "女"


def test_attribute_rows_naming_unknown_transcripts_wait_for_them(tmp_path):
    table = tmp_path / "people.csv"
    table.write_text("transcript,gender\nA01_zhang.txt,女\nZ99,男\n", encoding="utf-8")
    # Z99 is not imported yet: a case waiting for it (see tests/test_participants.py).
    assert read_attributes(table, ["A01_zhang"]) == {
        "A01_zhang": {"gender": "女"},
        "Z99": {"gender": "男"},
    }
    table.write_bytes("编号,性别\nA01_zhang,女\n".encode("gb18030"))
    assert read_attributes(table, ["A01_zhang"]) == {"A01_zhang": {"性别": "女"}}


def test_codebook_replacement_cannot_orphan_codings(sample_project):
    s = sample_project.sentence("A01", 2)
    sample_project.add_coding("A01", s.start, s.end, "tpb.attitude", "wang")
    book = sample_project.codebook()
    book.codes = [c for c in book.codes if c.id != "tpb"]
    with pytest.raises(ProjectError, match="tpb.attitude"):
        sample_project.set_codebook(book)
    assert "tpb.attitude" in sample_project.codebook().by_id()


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 15)), max_size=12),
    st.lists(st.integers(1, 8), max_size=12),
)
def test_sentences_touched_by_codings_are_counted_exactly(raw_spans, lengths):
    units, position = [], 0
    for length in lengths:
        units.append((position, position + length))
        position += length
    spans = sorted((start, start + length) for start, length in raw_spans)
    expected = sum(any(s < ue and us < e for s, e in spans) for us, ue in units)
    assert count_touched(units, spans) == expected


def test_an_import_is_one_transaction(sample_project, tmp_path):
    good = tmp_path / "D1.txt"
    good.write_text("受访者：我一般都在窗口办。\n", encoding="utf-8")
    table = tmp_path / "people.csv"
    table.write_text("transcript,gender\nD1,女\nD9,男,多余\n", encoding="utf-8")
    before = sample_project.transcript_names()
    with pytest.raises(AttributesError, match="people.csv:3"):
        import_files(sample_project, [good], table)
    assert sample_project.transcript_names() == before
    table.write_text("transcript,gender\nD1,女\n", encoding="utf-8")
    (result,) = import_files(sample_project, [good], table)
    assert result.status == "added"
    assert sample_project.attributes()["D1"]["gender"] == "女"


def test_a_coding_from_a_window_showing_old_text_is_refused(sample_project, tmp_path):
    source = tmp_path / "E1.txt"
    source.write_text("受访者：网上办事指南没更新。\n", encoding="utf-8")
    import_files(sample_project, [source])
    seen = sample_project.transcript("E1").hash
    source.write_text("受访者：我说啊，网上办事指南一直没更新。\n", encoding="utf-8")
    import_files(sample_project, [source])
    with pytest.raises(ProjectError, match="re-imported with changed text"):
        sample_project.add_coding("E1", 4, 8, "problems.content", "wang", text_hash=seen)
    assert sample_project.codings("E1") == []


def test_summaries_count_coded_sentences_per_coder_and_follow_each_coding(sample_project):
    def expected(name, coder=None):
        stored = sample_project.transcript(name)
        spans = [(c.start, c.end) for c in sample_project.codings(name, coder=coder)]
        return sum(any(s < u.end and u.start < e for s, e in spans) for u in stored.sentences)

    first, second = sample_project.sentence("A01", 2), sample_project.sentence("A01", 5)
    sample_project.add_coding("A01", first.start, second.end, "tpb.attitude", "wang")
    sample_project.add_coding("A01", second.start, second.start + 2, "causes.publicity", "li")
    by_name = {s.name: s for s in sample_project.summaries()}
    cases, attributes = sample_project.transcript_cases(), sample_project.attributes()
    for name, summary in by_name.items():
        assert summary.coded_sentences == expected(name)
        assert summary.case == cases[name]
        assert summary.attributes == attributes.get(cases[name], {})
    assert by_name["A01_zhang"].coded_sentences == 4 and by_name["A01_zhang"].codings == 2
    (li,) = sample_project.summaries("A01", coder="li")
    assert (li.coded_sentences, li.codings) == (1, 1)
    # The next coding shows at once (sentence spans are kept per text, codings read afresh).
    third = sample_project.sentence("A01", 9)
    coding = sample_project.add_coding("A01", third.start, third.end, "causes.publicity", "li")
    assert sample_project.summaries("A01", coder="li")[0].coded_sentences == 2
    sample_project.remove_coding(coding.id)
    assert sample_project.summaries("A01", coder="li")[0].coded_sentences == 1


def test_sentences_read_like_a_list_of_the_stored_rows(sample_project):
    stored = sample_project.transcript("A01")
    rows = sample_project.conn.execute(
        "SELECT idx, start, end, turn_idx FROM sentences WHERE transcript_id = ? ORDER BY idx",
        (stored.id,),
    ).fetchall()
    sentences, as_list = stored.sentences, list(stored.sentences)
    assert len(sentences) == len(as_list) == len(rows) > 100
    assert [(s.index - 1, s.start, s.end, s.turn) for s in as_list] == [tuple(r) for r in rows]
    assert all(
        s.text == stored.text[s.start : s.end] and s.speaker == stored.turns[s.turn].speaker
        for s in as_list
    )
    assert (sentences[0], sentences[-1], sentences[7]) == (as_list[0], as_list[-1], as_list[7])
    assert sentences[4:11:3] == as_list[4:11:3] and sentences[-2:] == as_list[-2:]
    assert sentences == as_list and as_list == sentences and sentences != as_list[:-1]
    assert sentences == sample_project.transcript("A01").sentences
    for outside in (len(rows), -len(rows) - 1):
        with pytest.raises(IndexError, match="out of range"):
            sentences[outside]


def test_codings_read_without_their_text_are_the_same_codings(sample_project):
    s = sample_project.sentence("A01", 3)
    coding = sample_project.add_coding(
        "A01", s.start, s.end, "problems.content", "wang", text=False
    )
    assert coding.text == "" and sample_project.coding(coding.id).text == s.text
    with_text = sample_project.codings("A01")
    assert [c.text for c in with_text] == [s.text]
    with_text[0].text = ""
    assert sample_project.codings("A01", text=False) == with_text
    removed = sample_project.remove_coding(coding.id, text=False)
    assert (removed.id, removed.text) == (coding.id, "")


def test_undo_says_in_which_sentence_the_coding_began(sample_project):
    stored = sample_project.transcript("A01")
    last = len(stored.sentences)
    for number in (1, 2, last // 2, last):
        s = stored.sentences[number - 1]
        sample_project.add_coding("A01", s.start + 1, s.end, "problems.content", "wang")
        assert sample_project.undo("wang").sentence == number
    # From between two sentences (a speaker label): the sentence before it.
    gap = next(i for i in range(1, last) if stored.sentences[i].start > stored.sentences[i - 1].end)
    start = stored.sentences[gap - 1].end
    sample_project.add_coding("A01", start, start + 1, "problems.content", "wang")
    assert sample_project.undo("wang").sentence == gap


def test_a_span_is_checked_against_the_text_as_it_is_now(sample_project, tmp_path):
    source = tmp_path / "F1.txt"
    source.write_text("受访者：没更新。\n", encoding="utf-8")
    import_files(sample_project, [source])
    short = len(sample_project.transcript("F1").text)
    with pytest.raises(ProjectError, match=f"it has {short} characters"):
        sample_project.add_coding("F1", 4, short + 3, "problems.content", "wang")
    source.write_text("受访者：网上办事指南一直没更新。\n", encoding="utf-8")
    import_files(sample_project, [source])  # longer now: the same span fits
    coding = sample_project.add_coding("F1", 4, short + 3, "problems.content", "wang")
    assert coding.text == sample_project.transcript("F1").text[4 : short + 3] == "网上办事指南一直"


def test_a_migration_script_splits_where_sqlite_ends_a_statement() -> None:
    from qualcode.store.schema import statements

    script = "CREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('a;b');\n-- done\n"
    assert statements(script) == ["CREATE TABLE t (x TEXT);", "INSERT INTO t VALUES ('a;b');"]
