"""Reports on a tiny study coded by hand: every figure below was worked out on paper from the
four transcripts, the attributes table and the codings listed in `build_small_study`."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from qualcode import analysis
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.study import import_files, init_project

CODEBOOK = """\
qualcode_codebook: 1
name: 小研究
codes:
  - id: problems
    label: 问题
    children:
      - id: problems.awareness
        label: 知晓度
        keywords: [不知道有]
      - id: problems.usability
        label: 操作体验
  - id: suggestions
    label: 建议
"""

# Sentences (number: text [start, end)), as the segmenter finds them:
# t1  1 您知道这个网站吗？[4,13)  2 不知道有这个网站。[18,27)  3 宣传太少了。[27,33)  4 操作也很复杂。[33,40)
# t2  1 您用过吗？[4,9)  2 用过，操作很复杂。[14,23)  3 应该多宣传宣传。[23,31)
# t3  1 您有什么建议？[4,11)  2 希望简化流程。[16,23)  3 页面太乱了。[23,29)
# t4  1 您平时上网吗？[4,11)  2 嗯，就是看看新闻。[16,25)  3 宣传部的人来过。[25,33)
TRANSCRIPTS = {
    "t1": "访谈者：您知道这个网站吗？\n受访者：不知道有这个网站。宣传太少了。操作也很复杂。\n",
    "t2": "访谈者：您用过吗？\n受访者：用过，操作很复杂。应该多宣传宣传。\n",
    "t3": "访谈者：您有什么建议？\n受访者：希望简化流程。页面太乱了。\n",
    "t4": "访谈者：您平时上网吗？\n受访者：嗯，就是看看新闻。宣传部的人来过。\n",
}
ATTRIBUTES = "transcript,age_group,uses_platform\nt1,青年,是\nt2,青年,否\nt3,老年,是\nt4,老年,\n"

# (transcript, sentence number or (start, end), code, coder)
CODINGS = [
    ("t1", 2, "problems.awareness", "wang"),
    ("t1", 3, "problems.awareness", "wang"),
    ("t1", 4, "problems.usability", "wang"),
    ("t1", 4, "problems", "wang"),  # the parent on the same span: one segment of problems
    ("t2", 2, "problems.usability", "wang"),
    ("t2", 3, "suggestions", "wang"),
    ("t3", 2, "suggestions", "wang"),
    ("t4", (16, 20), "problems.awareness", "wang"),  # 嗯，就是
    ("t4", (19, 25), "suggestions", "wang"),  # 是看看新闻。 overlaps the one above by 是
    ("t1", 2, "problems.awareness", "li"),
    ("t3", 2, "suggestions", "li"),
    ("t3", 3, "problems.usability", "li"),
]


def build_small_study(folder: Path) -> Path:
    """Create, import and code the tiny study in ``folder``; returns the project folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    for name, text in TRANSCRIPTS.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / "people.csv").write_text(ATTRIBUTES, encoding="utf-8")
    project_folder = folder / "study"
    with init_project(project_folder, folder / "codebook.yaml") as project:
        import_files(project, [folder / f"{n}.txt" for n in TRANSCRIPTS], folder / "people.csv")
        for name, where, code_id, coder in CODINGS:
            if isinstance(where, int):
                sentence = project.sentence(name, where)
                start, end = sentence.start, sentence.end
            else:
                start, end = where
            project.add_coding(name, start, end, code_id, coder)
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return project_folder


@pytest.fixture(scope="module")
def small_study_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_study(tmp_path_factory.mktemp("small"))


@pytest.fixture
def small_study(small_study_template: Path, tmp_path: Path):
    folder = tmp_path / "study"
    shutil.copytree(small_study_template, folder)
    with Project.open(folder) as project:
        yield project


def rows_by_id(frame: pd.DataFrame) -> dict[str, dict]:
    return {row["code_id"]: row for row in frame.to_dict("records")}


def test_the_fixture_sentences_are_the_ones_worked_out_by_hand(small_study):
    assert [(s.start, s.end) for s in small_study.transcript("t1").sentences] == [
        (4, 13),
        (18, 27),
        (27, 33),
        (33, 40),
    ]
    assert small_study.transcript("t4").text[16:25] == "嗯，就是看看新闻。"


def test_frequencies_roll_parents_up_once_per_segment(small_study):
    table = analysis.frequencies(small_study)
    assert list(table.columns) == [
        "code_id",
        "code",
        "segments",
        "transcripts",
        "% transcripts",
        "characters",
    ]
    assert list(table["code_id"]) == [
        "problems",
        "problems.awareness",
        "problems.usability",
        "suggestions",
        "",
    ]
    got = {
        r["code_id"]: (
            r["code"],
            r["segments"],
            r["transcripts"],
            r["% transcripts"],
            r["characters"],
        )
        for r in table.to_dict("records")
    }
    assert got == {
        "problems": ("问题", 7, 4, 100.0, 22 + 9 + 6 + 4),
        "problems.awareness": ("知晓度", 4, 2, 50.0, 9 + 6 + 4),
        "problems.usability": ("操作体验", 3, 3, 75.0, 7 + 9 + 6),
        "suggestions": ("建议", 4, 3, 75.0, 8 + 7 + 6),
        "": (analysis.ANY_CODE, 11, 4, 100.0, 22 + 17 + 13 + 9),
    }


def test_frequencies_of_one_coder_and_side_by_side(small_study):
    li = rows_by_id(analysis.frequencies(small_study, ["li"]))
    assert (li["problems"]["segments"], li["problems"]["transcripts"]) == (2, 2)
    assert li["problems.awareness"]["characters"] == 9
    both = analysis.frequencies(small_study, ["wang", "li"])
    assert list(both.columns[2:6]) == [
        "segments (wang)",
        "segments (li)",
        "transcripts (wang)",
        "transcripts (li)",
    ]
    rows = rows_by_id(both)
    assert (rows["problems"]["segments (wang)"], rows["problems"]["segments (li)"]) == (5, 2)
    assert (rows["suggestions"]["transcripts (wang)"], rows["suggestions"]["transcripts (li)"]) == (
        3,
        1,
    )
    assert rows[""]["segments (wang)"] == 8 and rows[""]["characters (li)"] == 9 + 7 + 6
    with pytest.raises(QualcodeError, match="no coder 'zhao'"):
        analysis.frequencies(small_study, ["zhao"])


def test_crosstab_counts_respondents_with_percentages_and_chi_square(small_study):
    result = analysis.crosstab(small_study, "age_group")
    counts = rows_by_id(result.counts)
    assert list(result.counts.columns) == ["code_id", "code", "老年", "青年", "Total"] or list(
        result.counts.columns
    ) == ["code_id", "code", "青年", "老年", "Total"]
    pick = {k: (r["青年"], r["老年"], r["Total"]) for k, r in counts.items()}
    assert pick == {
        "problems": (2, 2, 4),
        "problems.awareness": (1, 1, 2),
        "problems.usability": (2, 1, 3),
        "suggestions": (1, 2, 3),
        "": (2, 2, 4),
    }
    assert counts[""]["code"] == "(respondents)"
    usability = rows_by_id(result.row_percent)["problems.usability"]
    assert usability["青年"] == pytest.approx(200 / 3) and usability["Total"] == 100
    usability = rows_by_id(result.column_percent)["problems.usability"]
    assert (usability["青年"], usability["老年"], usability["Total"]) == (100, 50, 75)
    assert rows_by_id(result.expected)["problems.usability"]["青年"] == 1.5
    tests = rows_by_id(result.tests)
    # [[2, 1], [0, 1]]: expected 1.5, 1.5 / 0.5, 0.5 → 0.25/1.5 · 2 + 0.25/0.5 · 2 = 4/3
    assert tests["problems.usability"]["chi2"] == pytest.approx(4 / 3)
    assert tests["problems.usability"]["dof"] == 1
    assert tests["problems.usability"]["p"] == pytest.approx(math.erfc(math.sqrt(2 / 3)))
    assert tests["problems.usability"]["min expected"] == 0.5
    assert tests["problems.usability"]["expected too small"]
    assert tests["problems.awareness"]["chi2"] == pytest.approx(0.0)
    assert math.isnan(tests["problems"]["chi2"]) and "all" in tests["problems"]["note"]


def test_crosstab_counts_segments_and_keeps_missing_values_out_of_the_test(small_study):
    segments = rows_by_id(analysis.crosstab(small_study, "age_group", count="segments").counts)
    assert (segments["problems"]["青年"], segments["problems"]["老年"]) == (5, 2)
    assert (segments["suggestions"]["青年"], segments["suggestions"]["老年"]) == (1, 3)
    assert (segments[""]["青年"], segments[""]["老年"], segments[""]["Total"]) == (6, 5, 11)

    result = analysis.crosstab(small_study, "uses_platform")
    assert list(result.counts.columns) == ["code_id", "code", "否", "是", analysis.MISSING, "Total"]
    suggestions = rows_by_id(result.counts)["suggestions"]
    assert (suggestions["否"], suggestions["是"], suggestions[analysis.MISSING]) == (1, 1, 1)
    # Tested on 否/是 only: present [1, 1], absent [0, 1] → χ² = 0.75
    assert rows_by_id(result.tests)["suggestions"]["chi2"] == pytest.approx(0.75)
    with pytest.raises(QualcodeError, match="no respondent attribute 'age'"):
        analysis.crosstab(small_study, "age")


def test_matrix_counts_and_presence(small_study):
    counts = rows_by_id(analysis.matrix(small_study))
    assert [counts["problems"][t] for t in ("t1", "t2", "t3", "t4", "Total")] == [4, 1, 1, 1, 7]
    presence = rows_by_id(analysis.matrix(small_study, presence=True))
    assert [presence["problems.awareness"][t] for t in ("t1", "t2", "t3", "t4", "Total")] == [
        1,
        0,
        0,
        1,
        2,
    ]


def test_cooccurrence_by_overlap_sentence_and_turn(small_study):
    def cells(frame):
        rows = rows_by_id(frame)
        return {(a, b): rows[a][b] for a in rows for b in rows if a < b}, {
            a: rows[a][a] for a in rows
        }

    pr, aw, us, sg = "problems", "problems.awareness", "problems.usability", "suggestions"
    pairs, diagonal = cells(analysis.cooccurrence(small_study, with_ancestors=True))
    assert diagonal == {pr: 7, aw: 4, us: 3, sg: 4}
    assert pairs == {(pr, aw): 6, (pr, us): 3, (pr, sg): 1, (aw, us): 0, (aw, sg): 1, (us, sg): 0}
    pairs, diagonal = cells(
        analysis.cooccurrence(small_study, unit="sentence", with_ancestors=True)
    )
    assert diagonal == {pr: 6, aw: 3, us: 3, sg: 3}
    assert pairs == {(pr, aw): 3, (pr, us): 3, (pr, sg): 1, (aw, us): 0, (aw, sg): 1, (us, sg): 0}
    pairs, diagonal = cells(analysis.cooccurrence(small_study, unit="turn", with_ancestors=True))
    assert diagonal == {pr: 4, aw: 2, us: 3, sg: 3}
    assert pairs == {(pr, aw): 2, (pr, us): 3, (pr, sg): 3, (aw, us): 1, (aw, sg): 1, (us, sg): 2}
    jaccard = rows_by_id(
        analysis.cooccurrence(small_study, unit="sentence", jaccard=True, with_ancestors=True)
    )
    assert jaccard[aw][pr] == pytest.approx(3 / (3 + 6 - 3)) and jaccard[aw][aw] == 1
    overlap = rows_by_id(analysis.cooccurrence(small_study, jaccard=True))
    assert overlap[aw][sg] == pytest.approx(1 / 7)


@pytest.mark.parametrize("rollup", [True, False])
def test_cooccurrence_never_pairs_a_code_with_its_own_ancestor(small_study, rollup):
    rows = rows_by_id(analysis.cooccurrence(small_study, unit="sentence", rollup=rollup))
    for child in ("problems.awareness", "problems.usability"):
        assert math.isnan(rows[child]["problems"]) and math.isnan(rows["problems"][child])
    assert rows["problems.awareness"]["suggestions"] == 1  # unrelated codes still pair


def test_direct_counts_each_code_as_coded(small_study):
    rolled = rows_by_id(analysis.frequencies(small_study))
    direct = rows_by_id(analysis.frequencies(small_study, rollup=False))
    # problems: 7 segments with its children, 1 coded with problems itself (t1 sentence 4)
    assert (rolled["problems"]["segments"], direct["problems"]["segments"]) == (7, 1)
    assert direct["problems.awareness"] == rolled["problems.awareness"]
    assert direct[""]["segments"] == rolled[""]["segments"]  # any code: the same segments
    matrix = rows_by_id(analysis.matrix(small_study, rollup=False))
    assert [matrix["problems"][t] for t in ("t1", "t2", "t3", "t4", "Total")] == [1, 0, 0, 0, 1]
    counts = rows_by_id(analysis.crosstab(small_study, "age_group", rollup=False).counts)
    assert (counts["problems"]["青年"], counts["problems"]["老年"]) == (1, 0)
    words = analysis.distinctive_words(small_study, ["problems"], min_count=1, rollup=False)
    assert set(words["word"]) <= {"操作"}  # the words of 操作也很复杂。 only


def test_word_frequencies_use_stored_words_inside_sentences_without_stop_words(small_study):
    table = analysis.word_frequencies(small_study, top=None)
    counts = dict(zip(table["word"], table["count"], strict=True))
    assert counts["宣传"] == 3 and counts["宣传部"] == 1 and counts["不知道有"] == 1
    assert counts["操作"] == 2 and counts["网站"] == 2
    assert "复杂" not in counts  # in spaCy's Chinese stop-word list
    assert table.set_index("word").loc["宣传", "transcripts"] == 2
    for never in ("嗯", "就是", "这个", "。", "，", "访谈", "受访者"):
        assert never not in counts  # stop words, punctuation, speaker labels
    assert table["per 1,000 words"].iloc[0] == pytest.approx(
        1000 * table["count"].iloc[0] / table["count"].sum()
    )


def test_a_project_extends_the_stop_words(small_study):
    (small_study.folder / "stopwords.txt").write_text("# ours\n宣传\n!就是\n", encoding="utf-8")
    counts = dict(analysis.word_frequencies(small_study, top=None)[["word", "count"]].values)
    assert "宣传" not in counts and counts["就是"] == 1


def test_distinctive_words_by_log_likelihood(small_study):
    table = analysis.distinctive_words(small_study, ["suggestions"], min_count=2)
    assert list(table["word"]) == ["宣传"]
    row = table.iloc[0]
    assert (row["in code"], row["elsewhere"]) == (2, 1)
    # The two corpora: counted words inside the suggestions segments, and all the others.
    words = analysis.tokens(small_study).frame
    size_a = sum(
        1
        for t, s, e in zip(
            words["transcript"].astype(str), words["start"], words["end"], strict=True
        )
        if (t, s < 31 and e > 23) == ("t2", True)
        or (t, s < 23 and e > 16) == ("t3", True)
        or (t, s < 25 and e > 19) == ("t4", True)
    )
    size_b = len(words) - size_a
    e_a, e_b = size_a * 3 / (size_a + size_b), size_b * 3 / (size_a + size_b)
    assert row["G2"] == pytest.approx(2 * (2 * math.log(2 / e_a) + 1 * math.log(1 / e_b)))
    assert row["log ratio"] == pytest.approx(math.log2((2 / size_a) / (1 / size_b)))
    assert row["p"] == pytest.approx(math.erfc(math.sqrt(row["G2"] / 2)))
    every = analysis.distinctive_words(small_study, min_count=1)
    assert set(every["code_id"]) <= {
        "problems",
        "problems.awareness",
        "problems.usability",
        "suggestions",
    }


def test_kwic_hits_whole_words_with_their_codes(small_study):
    result = analysis.kwic(small_study, "宣传", width=4)
    hits = result.hits.to_dict("records")
    assert [(h["transcript"], h["sentence"], h["start"], h["end"]) for h in hits] == [
        ("t1", 3, 27, 29),
        ("t2", 3, 26, 28),
        ("t2", 3, 28, 30),
    ]
    assert (hits[0]["left"], hits[0]["word"], hits[0]["right"]) == ("个网站。", "宣传", "太少了。")
    assert hits[0]["codes"] == "problems.awareness 知晓度"
    assert hits[1]["codes"] == "suggestions 建议" and hits[1]["speaker"] == "受访者"
    assert [
        (h["transcript"], h["start"], h["in word"]) for h in result.inside_words.to_dict("records")
    ] == [("t4", 25, "宣传部")]
    phrase = analysis.kwic(small_study, "操作也")
    assert [(h["start"], h["end"]) for h in phrase.hits.to_dict("records")] == [(33, 36)]
    assert len(analysis.kwic(small_study, "作也").hits) == 0


def test_reports_of_a_project_without_codings(tmp_path):
    folder = tmp_path / "empty"
    with init_project(folder) as project:
        assert analysis.frequencies(project).to_dict("records") == [
            {
                "code_id": "",
                "code": analysis.ANY_CODE,
                "segments": 0,
                "transcripts": 0,
                "% transcripts": 0.0,
                "characters": 0,
            }
        ]
        assert analysis.cooccurrence(project).empty
        assert analysis.word_frequencies(project).empty


def test_analysis_imports_neither_textual_nor_click():
    code = (
        "import sys, qualcode.analysis, qualcode.agreement; "
        "print(sorted({'textual', 'click', 'scipy'} & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_reports_see_every_change_at_once(small_study):
    """Reports reuse what they read while the database is unchanged; a change made through
    this connection or committed by another process shows in the next report."""

    def suggestions() -> int:
        return rows_by_id(analysis.frequencies(small_study))["suggestions"]["segments"]

    assert suggestions() == 4
    assert analysis.segments(small_study).frame is not analysis.segments(small_study).frame
    coding = small_study.add_coding("t1", 4, 13, "suggestions", "wang")
    assert suggestions() == 5
    with Project.open(small_study.folder) as other:
        other.remove_coding(coding.id)
    assert suggestions() == 4
    assert small_study.undo().action == "uncode" and suggestions() == 5


def test_status_picks_confirmed_suggested_or_both_never_rejected(small_study):
    small_study.add_coding("t3", 23, 29, "suggestions", "auto", status="suggested")
    rejected = small_study.add_coding("t2", 14, 23, "suggestions", "auto", status="suggested")
    small_study.set_codings_status([rejected.id], "rejected")

    def count(status: str) -> int:
        table = analysis.frequencies(small_study, status=status)
        return rows_by_id(table)["suggestions"]["segments"]

    assert (count("confirmed"), count("suggested"), count("all")) == (4, 1, 5)
    with pytest.raises(QualcodeError, match="status 'rejected'"):
        analysis.frequencies(small_study, status="rejected")
