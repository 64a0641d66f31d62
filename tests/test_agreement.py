"""Inter-coder agreement: the figures equal scikit-learn's and the krippendorff package's on
generated data, and the tiny hand-coded study gives the numbers worked out on paper."""

from __future__ import annotations

import math
import random
import shutil
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from qualcode.agreement import (
    OVERALL,
    agreement,
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
)
from qualcode.errors import QualcodeError
from qualcode.store import CodingRecord, Project

from .test_analysis import build_small_study


@pytest.fixture(scope="module")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_study(tmp_path_factory.mktemp("small"))


@pytest.fixture
def small_study(small_template: Path, tmp_path: Path):
    shutil.copytree(small_template, tmp_path / "study")
    with Project.open(tmp_path / "study") as project:
        yield project


# --- the statistics on generated data ------------------------------------------------------

labels = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(labels)
def test_cohen_kappa_equals_scikit_learn(pairs):
    a, b = zip(*pairs, strict=True)
    ours = cohen_kappa(a, b)
    if len(set(a) | set(b)) == 1:
        assert math.isnan(ours)  # no chance disagreement: kappa undefined
        return
    assert ours == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


reliability = st.integers(2, 4).flatmap(
    lambda coders: st.lists(
        st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=coders, max_size=coders),
        min_size=2,
        max_size=40,
    )
)


@settings(max_examples=60, deadline=None)
@given(reliability)
def test_krippendorff_alpha_equals_the_krippendorff_package(units):
    data = np.array([[np.nan if v is None else v for v in unit] for unit in units]).T
    ours = krippendorff_alpha(data)
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    values = np.unique(data[:, pairable][~np.isnan(data[:, pairable])])
    if len(values) < 2:
        assert math.isnan(ours)
        return
    theirs = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_percent_agreement_counts_units_with_two_or_more_values():
    data = np.array([[1, 0, 1, np.nan, 1], [1, 1, 1, 0, np.nan], [np.nan, 0, 1, np.nan, np.nan]])
    assert percent_agreement(data) == pytest.approx(2 / 3)  # units 1 and 3 agree, 2 does not


# --- the tiny study, worked out by hand -----------------------------------------------------


def test_agreement_on_the_hand_coded_study(small_study):
    result = agreement(small_study, ["wang", "li"])
    # li coded t1 and t3 only: those are compared, 4 + 3 sentences.
    assert result.transcripts == ["t1", "t3"]
    table = {row["code_id"]: row for row in result.table.to_dict("records")}
    assert list(result.table.columns) == [
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
    assert list(table) == [
        "problems",
        "problems.awareness",
        "problems.usability",
        "suggestions",
        OVERALL,
    ]
    # Each code as coded: problems is wang's one direct coding (t1 sentence 4), not its
    # children's.
    #                 t1: 1 2 3 4   t3: 1 2 3
    wang = {
        "problems": [0, 0, 0, 1, 0, 0, 0],
        "problems.awareness": [0, 1, 1, 0, 0, 0, 0],
        "problems.usability": [0, 0, 0, 1, 0, 0, 0],
        "suggestions": [0, 0, 0, 0, 0, 1, 0],
    }
    li = {
        "problems": [0, 0, 0, 0, 0, 0, 0],
        "problems.awareness": [0, 1, 0, 0, 0, 0, 0],
        "problems.usability": [0, 0, 0, 0, 0, 0, 1],
        "suggestions": [0, 0, 0, 0, 0, 1, 0],
    }
    agreeing = {"problems": 6, "problems.awareness": 6, "problems.usability": 5, "suggestions": 7}
    coded_units = result.coded_units.set_index("code_id")
    for code_id, a in wang.items():
        row = table[code_id]
        assert (row["n_units"], row["n_coders"]) == (7, 2)
        assert row["percent_agreement"] == agreeing[code_id] / 7
        assert row["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, li[code_id]), abs=1e-12)
        if len(set(a) | set(li[code_id])) > 1:
            assert row["krippendorff_alpha"] == pytest.approx(
                krippendorff.alpha(
                    reliability_data=[a, li[code_id]], level_of_measurement="nominal"
                ),
                abs=1e-12,
            )
        assert math.isnan(row["fleiss_kappa"]) and "three or more" in row["note"]
        assert (coded_units.loc[code_id, "wang"], coded_units.loc[code_id, "li"]) == (
            sum(a),
            sum(li[code_id]),
        )
    assert "as coded, without its 2 descendant codes" in table["problems"]["note"]
    pooled_a = [v for code in wang for v in wang[code]]
    pooled_b = [v for code in li for v in li[code]]
    overall = table[OVERALL]
    assert overall["percent_agreement"] == 24 / 28
    assert overall["cohen_kappa"] == pytest.approx(cohen_kappa_score(pooled_a, pooled_b))
    assert overall["n_units"] == 28  # 4 codes × 7 units, each decision once
    assert "4 codes as coded × 7 units = 28" in overall["note"] == result.definition
    assert table["suggestions"]["cohen_kappa"] == 1

    differ = [
        (d["transcript"], d["unit"], d["code_id"], d["coded_by"], d["not_coded_by"])
        for d in result.disagreements.to_dict("records")
    ]
    assert differ == [
        ("t1", 3, "problems.awareness", "wang", "li"),
        ("t1", 4, "problems", "wang", "li"),
        ("t1", 4, "problems.usability", "wang", "li"),
        ("t3", 3, "problems.usability", "li", "wang"),
    ]
    first = result.disagreements.iloc[0]
    assert (first["text"], first["speaker"], first["start"], first["end"]) == (
        "宣传太少了。",
        "受访者",
        27,
        33,
    )


def test_rollup_compares_a_parent_with_its_children_and_overall_counts_each_decision_once(
    small_study,
):
    result = agreement(small_study, ["wang", "li"], rollup=True)
    table = {row["code_id"]: row for row in result.table.to_dict("records")}
    wang, li = [0, 1, 1, 1, 0, 0, 0], [0, 1, 0, 0, 0, 0, 1]  # problems with its children
    assert table["problems"]["percent_agreement"] == 4 / 7
    assert table["problems"]["cohen_kappa"] == pytest.approx(cohen_kappa_score(wang, li))
    assert "with its 2 descendant codes rolled up" in table["problems"]["note"]
    # The overall row does not count a child's coding again as its parent's.
    assert table[OVERALL]["percent_agreement"] == 24 / 28
    assert table[OVERALL]["n_units"] == 28
    assert len(result.disagreements) == 6


def test_naming_the_transcripts_makes_no_coding_an_absence(small_study):
    result = agreement(small_study, ["wang", "li"], transcripts=["t1", "t2", "t3", "t4"])
    table = {row["code_id"]: row for row in result.table.to_dict("records")}
    assert table["suggestions"]["n_units"] == 13
    # wang's t2 sentence 3 and t4 sentence 2 now disagree with li's silence
    assert table["suggestions"]["percent_agreement"] == pytest.approx(11 / 13)


def test_a_transcript_the_coder_reviewed_is_compared_even_without_a_coding(small_study):
    """li read t2 and t4 through and coded nothing: absent there, not missing."""
    assert agreement(small_study, ["wang", "li"]).transcripts == ["t1", "t3"]
    small_study.set_reviewed("t2", "li")
    small_study.set_reviewed("t4", "li")
    assert small_study.set_reviewed("t4", "li") is False  # already
    result = agreement(small_study, ["wang", "li"])
    assert result.transcripts == ["t1", "t2", "t3", "t4"]
    table = {row["code_id"]: row for row in result.table.to_dict("records")}
    assert table["suggestions"]["percent_agreement"] == 11 / 13
    assert list(result.coverage["li"]) == ["coded", "reviewed", "coded", "reviewed"]


def test_agreement_by_turn(small_study):
    result = agreement(small_study, ["wang", "li"], unit="turn")
    table = {row["code_id"]: row for row in result.table.to_dict("records")}
    # Turns of t1 and t3: interviewer, respondent each. problems: t1 both; t3 li only.
    assert table["problems"]["n_units"] == 4
    assert table["problems"]["percent_agreement"] == pytest.approx(3 / 4)


def test_agreement_needs_coders_with_common_transcripts(small_study):
    with pytest.raises(QualcodeError, match="two or more"):
        agreement(small_study, ["wang"])
    with pytest.raises(QualcodeError, match="no coder 'zhao'"):
        agreement(small_study, ["wang", "zhao"])


# --- a generated coding of the real sample study, checked by brute force --------------------


def _random_codings(project: Project, coders: list[str], seed: int) -> None:
    rng = random.Random(seed)
    codes = [c.id for c, _, _ in project.codebook().walk()]
    names = project.transcript_names()
    for coder in coders:
        # The third coder codes only some transcripts: their other units are missing data.
        mine = names if coder != coders[-1] else names[::2]
        records = []
        for name in mine:
            stored = project.transcript(name)
            for _ in range(40):
                sentence = rng.choice(stored.sentences)
                start = rng.randrange(sentence.start, sentence.end)
                end = min(len(stored.text), start + rng.randint(1, 60))  # may cross sentences
                records.append(
                    CodingRecord(
                        name, start, end, rng.choice(codes[:8]), transcript_hash=stored.hash
                    )
                )
        project.import_codings(records, coder)


def _presence(
    project: Project, coder: str, code_ids: set[str], names: list[str]
) -> dict[str, list[int]]:
    """Per transcript, 1 for each sentence some coding of ``coder`` with one of ``code_ids``
    overlaps: the definition, applied one sentence at a time."""
    mine = [c for c in project.codings(coder=coder) if c.code_id in code_ids]
    return {
        name: [
            int(any(c.transcript == name and c.start < s.end and s.start < c.end for c in mine))
            for s in project.transcript(name).sentences
        ]
        for name in names
    }


@pytest.mark.parametrize("rollup", [False, True], ids=["as coded", "rolled up"])
def test_generated_codings_agree_with_the_reference_implementations(sample_project, rollup):
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    coders = ["wang", "li", "zhao"]
    _random_codings(sample_project, coders, seed=4)
    names = sample_project.transcript_names()
    tree = {
        c.id: {c.id, *(d.id for d, _, _ in _descendants(c))}
        for c, _, _ in sample_project.codebook().walk()
    }

    two = agreement(sample_project, coders[:2], rollup=rollup)
    three = agreement(sample_project, coders, rollup=rollup)
    assert three.transcripts == names
    checked = 0
    for row, row3 in zip(two.table.to_dict("records"), three.table.to_dict("records"), strict=True):
        if row["code_id"] == OVERALL:
            continue
        counted = tree[row["code_id"]] if rollup else {row["code_id"]}
        wang, li, zhao = (_presence(sample_project, c, counted, names) for c in coders)
        a = [v for n in names for v in wang[n]]
        b = [v for n in names for v in li[n]]
        # zhao coded every other transcript: elsewhere his values are missing, not absent.
        c = [v if n in names[::2] else np.nan for n in names for v in zhao[n]]
        assert row["n_units"] == len(a)
        assert row["percent_agreement"] == pytest.approx(np.mean(np.equal(a, b)), abs=1e-12)
        assert row["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
        assert row3["krippendorff_alpha"] == pytest.approx(
            krippendorff.alpha(reliability_data=[a, b, c], level_of_measurement="nominal"),
            abs=1e-12,
        )
        whole = np.array([a, b, c]).T[~np.isnan(c)].astype(int)  # units all three have
        assert row3["fleiss_kappa"] == pytest.approx(
            fleiss_kappa(aggregate_raters(whole, n_cat=2)[0], method="fleiss"), abs=1e-12
        )
        assert math.isnan(row3["cohen_kappa"])  # kappa is for two coders
        assert "Cohen's kappa: two coders only" in row3["note"]
        checked += 1
    assert checked >= 8


def _descendants(code):
    for child in code.children:
        yield child, code, 0
        yield from _descendants(child)


# --- codings from a second coder's copy ------------------------------------------------------


def test_import_codings_matches_by_hash_and_reports_what_it_cannot_place(small_study):
    hashes = small_study.transcript_hashes()
    records = [
        CodingRecord("t1", 4, 13, "suggestions", transcript_hash=hashes["t1"], memo="问句"),
        CodingRecord("renamed", 16, 23, "suggestions", transcript_hash=hashes["t3"]),
        CodingRecord("t2", 14, 23, "problems", transcript_hash="0" * 64),  # t2 changed since
        CodingRecord("gone", 0, 3, "problems", transcript_hash="f" * 64),
        CodingRecord("t1", 4, 13, "no.such", transcript_hash=hashes["t1"]),
        CodingRecord("t4", 16, 25, "problems", text="嗯，就是看看新闻。"),  # no hash: by name
        CodingRecord("t4", 16, 25, "problems", text="别的"),
        CodingRecord("t3", 23, 29, "problems", transcript_hash=hashes["t3"], status="unplaced"),
    ]
    result = small_study.import_codings(records, "zhao")
    assert (result.added, result.unchanged) == (3, 0)
    reasons = {r.transcript + ":" + r.code_id: reason for r, reason in result.unplaced}
    assert "differs from the text" in reasons["t2:problems"]
    assert "no transcript with the text" in reasons["gone:problems"]
    assert "no code 'no.such'" in reasons["t1:no.such"]
    assert "not the text this coding was made on" in reasons["t4:problems"]
    assert "unplaced in the copy" in reasons["t3:problems"]
    mine = small_study.codings(coder="zhao")
    assert [(c.transcript, c.start, c.end, c.code_id, c.memo) for c in mine] == [
        ("t1", 4, 13, "suggestions", "问句"),
        ("t3", 16, 23, "suggestions", ""),
        ("t4", 16, 25, "problems", ""),
    ]
    again = small_study.import_codings(records[:2], "zhao")
    assert (again.added, again.unchanged) == (0, 2)
    # One undo takes back the whole first import (the second added nothing to undo).
    assert small_study.undo().action == "import codings"
    assert small_study.codings(coder="zhao") == []


def test_disagreements_name_who_did_not_code_when_only_one_coder_ever_adds(sample_project):
    # Li codes a subset of Wang's sentences: every disagreement is "wang, not li", a pattern
    # of coders that never occurs among the units either of them coded.
    for number in range(1, 7):
        s = sample_project.sentence("A02", number)
        sample_project.add_coding("A02", s.start, s.end, "problems.stability", "wang")
        if number <= 2:
            sample_project.add_coding("A02", s.start, s.end, "problems.stability", "li")
    result = agreement(sample_project, ["wang", "li"])
    rows = result.disagreements[result.disagreements["code_id"] == "problems.stability"]
    assert list(rows["unit"]) == [3, 4, 5, 6]
    assert set(rows["coded_by"]) == {"wang"} and set(rows["not_coded_by"]) == {"li"}


# --- reviewed transcripts ------------------------------------------------------------------


def test_review_marks_lists_and_unmarks_from_the_command_line(small_study):
    from click.testing import CliRunner

    from qualcode.cli import main

    folder = str(small_study.folder)
    runner = CliRunner()
    out = runner.invoke(main, ["review", folder, "t2", "t4", "--coder", "li"])
    assert out.exit_code == 0 and "t2: reviewed by li" in out.output
    assert "(already)" in runner.invoke(main, ["review", folder, "t2", "--coder", "li"]).output
    listed = runner.invoke(main, ["review", folder, "--coder", "li"]).output
    assert "li has reviewed 2 of 4 transcripts: t2, t4" in listed
    agreed = runner.invoke(main, ["agreement", folder, "--coders", "wang", "li"]).output
    assert "(4 transcripts)" in agreed
    runner.invoke(main, ["review", folder, "t2", "t4", "--coder", "li", "--undo"])
    assert small_study.reviewed() == set()
    missing = runner.invoke(main, ["review", folder, "t9", "--coder", "li"])
    assert missing.exit_code != 0 and "no transcript named 't9'" in missing.output


def test_a_project_from_before_reviews_opens_migrated(small_study):
    """A project written before step 0009: its codings stay, a backup is kept, and
    transcripts can be marked reviewed at once."""
    import sqlite3

    folder = small_study.folder
    small_study.close()
    conn = sqlite3.connect(folder / "qualcode.db")
    conn.executescript(
        "DROP TABLE reviews; DELETE FROM migrations WHERE name = '0009_reviewed_transcripts';"
    )
    conn.close()
    with Project.open(folder) as project:
        assert len(project.codings(coder="li")) == 3
        assert project.reviewed() == set()
        project.set_reviewed("t2", "li")
        assert project.reviewed("li") == {("li", "t2")}
    backups = list(folder.glob("qualcode.backup-*.db"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert not old.execute("SELECT 1 FROM sqlite_master WHERE name = 'reviews'").fetchone()
    old.close()
