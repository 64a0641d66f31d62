"""Learned suggestions: classifiers trained on a real project's confirmed codings."""

from __future__ import annotations

import csv
import math

import pytest
from click.testing import CliRunner

from qualcode import autocode, learn
from qualcode.cli import main
from qualcode.errors import QualcodeError

CODES = ["causes.publicity", "problems.stability", "suggestions.service"]
TRAINED_ON = ("A01", "A02", "A03", "A04")


@pytest.fixture
def coded_project(sample_project):
    """The sample study with the rule suggestions of three codes accepted by a coder in four
    transcripts: what a researcher who coded those by hand would have."""
    autocode.autocode(sample_project, CODES)
    for name in TRAINED_ON:
        autocode.accept(sample_project, transcript=name, coder="wang")
    autocode.reject(sample_project, everything=True)
    sample_project.conn.execute("DELETE FROM codings WHERE status = 'rejected'")
    return sample_project


def test_units_carry_simplified_words_and_their_confirmed_codes(coded_project):
    units = learn.load_units(coded_project)
    assert len(units.keys) == sum(s.sentences for s in coded_project.summaries())
    first = coded_project.transcript("A01").sentences[0]
    i = units.keys.index(("A01_zhang", first.start, first.end))
    assert units.words[i] and all(w.strip() and w in units.texts[i] for w in units.words[i])
    labelled = {key[0] for key, flag in zip(units.keys, units.labelled, strict=True) if flag}
    assert labelled == {n for n in coded_project.transcript_names() if n.startswith(TRAINED_ON)}
    coded = [codes for codes in units.codes if codes]
    assert coded and all(codes <= set(CODES) for codes in coded)


def test_evaluate_reports_cross_validated_figures_per_code(coded_project):
    table = learn.evaluate(coded_project, [*CODES, "causes.transformation"], min_examples=5)
    assert list(table.columns) == learn.EVALUATION_COLUMNS
    assert table["code_id"].tolist() == [
        "problems.stability",
        "causes.publicity",
        "causes.transformation",
        "suggestions.service",
    ]
    rows = table.set_index("code_id")
    never = rows.loc["causes.transformation"]
    assert never["support"] == 0 and math.isnan(never["f1"]) and "needs 5" in never["note"]
    for code_id in CODES:
        row = rows.loc[code_id]
        assert row["support"] >= 5 and row["note"] == ""
        assert (row["transcripts"], row["folds"]) == (4, 4)  # the four coded transcripts
        assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1 and 0 <= row["f1"] <= 1
    # the service code's sentences share words (窗口, 老人, 线下): the machine can help there
    assert rows.loc["suggestions.service", "f1"] > 0.3
    assert learn.evaluate(coded_project, CODES, min_examples=5).equals(
        learn.evaluate(coded_project, CODES, min_examples=5)
    )  # deterministic


def test_learned_suggestions_are_stored_with_their_score_on_uncoded_units(coded_project):
    result = learn.suggest(coded_project, CODES, min_examples=5, min_score=0.5, limit=10)
    assert set(result.code_ids) == set(CODES)
    found = autocode.suggestions(coded_project)
    assert len(found) == result.total_added > 0
    per_code: dict[str, int] = {}
    confirmed = coded_project.codings()
    for coding in found:
        per_code[coding.code_id] = per_code.get(coding.code_id, 0) + 1
        assert coding.coder == "auto" and coding.score is not None and coding.score >= 0.5
        assert coding.rule == f"learned:{coding.score:.2f}"
        assert not any(
            c.transcript == coding.transcript and c.start < coding.end and coding.start < c.end
            for c in confirmed
        )
    assert max(per_code.values()) <= 10
    # the best-scored service suggestions are about service (they share its words)
    service = sorted(
        (c for c in found if c.code_id == "suggestions.service"), key=lambda c: -c.score
    )[:5]
    keywords = coded_project.codebook().by_id()["suggestions.service"].keywords
    assert sum(any(k in c.text for k in keywords) for c in service) >= 3

    again = learn.suggest(coded_project, CODES, min_examples=5, min_score=0.5, limit=10)
    assert again.total_added == 0
    autocode.reject(coded_project, [found[0].id])
    learn.suggest(coded_project, CODES, min_examples=5, min_score=0.5, limit=10)
    assert coded_project.coding(found[0].id).status == "rejected"


def test_a_dry_run_of_learned_suggestions_writes_nothing(coded_project):
    result = learn.suggest(coded_project, CODES, min_examples=5, dry_run=True)
    assert result.total_added > 0
    assert autocode.suggestions(coded_project) == []


def test_learning_needs_enough_examples(coded_project):
    with pytest.raises(QualcodeError, match="no code has 500 coded units"):
        learn.suggest(coded_project, CODES, min_examples=500)


def test_evaluate_without_confirmed_codings_says_what_to_do(sample_project):
    with pytest.raises(QualcodeError, match="no confirmed codings to learn from"):
        learn.evaluate(sample_project)


def test_cli_learned_evaluate_and_suggest(coded_project, tmp_path):
    folder = coded_project.folder
    coded_project.close()
    table = tmp_path / "evaluation.csv"
    result = CliRunner().invoke(
        main,
        [
            "autocode",
            str(folder),
            "--learned",
            "--evaluate",
            "--codes",
            ",".join(CODES),
            "--min-examples",
            "5",
            "-o",
            str(table),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    with open(table, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["code_id"] for r in rows] == [
        "problems.stability",
        "causes.publicity",
        "suggestions.service",
    ]
    assert all(r["f1"] for r in rows)
    result = CliRunner().invoke(
        main,
        ["autocode", str(folder), "--learned", "--min-examples", "5", "--limit", "3"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "learned suggestions" in result.output and "stored" in result.output
    result = CliRunner().invoke(main, ["autocode", str(folder), "--evaluate"])
    assert result.exit_code == 2 and "add --learned" in result.output


def test_traditional_transcripts_are_learned_in_simplified_script(tmp_path):
    from qualcode.autocode import to_simplified
    from qualcode.study import import_files, init_project

    from .conftest import SAMPLE_CODEBOOK, SHARED

    source = (
        SHARED
        / "corpora"
        / "audreyt_transcript_cc0"
        / "zh-Hant"
        / "at04_2016-07-02-vtaiwan-join-analysis-interview-b.zh-Hant.md"
    )
    if not source.exists():
        pytest.skip("the CC0 corpus is not in ../shared")
    with init_project(tmp_path / "p", SAMPLE_CODEBOOK) as project:
        import_files(project, [source])
        units = learn.load_units(project)
    assert units.texts and all(to_simplified(t)[0] == t for t in units.texts)
    assert any("参与" in t for t in units.texts)
    words = [w for ws in units.words for w in ws]
    assert "参与" in words and "參與" not in words


def test_evaluation_folds_are_transcripts_and_features_fit_on_training_folds(coded_project):
    """The figures equal scikit-learn's own cross-validation of the pipeline with folds
    grouped by transcript: no transcript on both sides, TF-IDF fitted inside each training
    fold, precision, recall and F1 at full precision."""
    import numpy as np
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.model_selection import GroupKFold, cross_val_predict

    table = learn.evaluate(coded_project, CODES, min_examples=5).set_index("code_id")
    units = learn.load_units(coded_project)
    labelled = [i for i, flag in enumerate(units.labelled) if flag]
    groups = [units.keys[i][0] for i in labelled]
    frame = learn._frame(units, labelled)
    for code_id in CODES:
        y = np.array([int(code_id in units.codes[i]) for i in labelled])
        cv = GroupKFold(n_splits=4)
        for train, test in cv.split(frame, y, groups):
            assert not {groups[i] for i in train} & {groups[i] for i in test}
        predicted = cross_val_predict(learn.pipeline(), frame, y, groups=groups, cv=cv)
        precision, recall, f1, _ = precision_recall_fscore_support(
            y, predicted, average="binary", zero_division=0
        )
        row = table.loc[code_id]
        assert (row["precision"], row["recall"], row["f1"]) == (precision, recall, f1)
        assert row["support"] == y.sum()


def test_evaluation_compares_parents_as_coded_unless_rolled_up(coded_project):
    # causes.publicity is a child of causes: as coded, causes has no examples of its own
    direct = learn.evaluate(coded_project, ["causes"], min_examples=5).iloc[0]
    rolled = learn.evaluate(coded_project, ["causes"], min_examples=5, rollup=True).iloc[0]
    publicity = learn.evaluate(coded_project, ["causes.publicity"], min_examples=5).iloc[0]
    assert direct["support"] == 0 and "as coded, without its" in direct["note"]
    assert rolled["support"] == publicity["support"] and "rolled up" in rolled["note"]


def test_the_evaluation_file_keeps_full_precision(coded_project, tmp_path):
    out = tmp_path / "evaluation.csv"
    result = CliRunner().invoke(
        main,
        [
            "autocode",
            str(coded_project.folder),
            "--learned",
            "--evaluate",
            "--min-examples",
            "5",
            "--codes",
            "suggestions.service",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as f:
        row = next(csv.DictReader(f))
    table = learn.evaluate(coded_project, ["suggestions.service"], min_examples=5).iloc[0]
    assert float(row["f1"]) == table["f1"] and float(row["precision"]) == table["precision"]
