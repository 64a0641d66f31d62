"""Retrieval by respondent attribute (--where ATTR=VALUE / ATTR!=VALUE): one filter that
every report, the quotes report and the codings listing share, composing with
--speaker-role."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qualcode import analysis
from qualcode.attribute_filter import describe, matching_transcripts, parse_condition
from qualcode.cli import main
from qualcode.errors import AttributesError
from qualcode.store import Project

from .test_charts import code_sample

WOMEN = ["A01_zhang", "A03_wang", "A05_zhao"]


@pytest.fixture(scope="module")
def coded(_sample_project_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("where") / "study"
    shutil.copytree(_sample_project_template, folder)
    code_sample(folder)
    return folder


def run(*args: object, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gender=女", ("gender", "女", False)),
        ("gender!=女", ("gender", "女", True)),
        ("性别＝女", ("性别", "女", False)),  # typed on a Chinese keyboard
        ("age_group！＝60岁及以上", ("age_group", "60岁及以上", True)),
        ("age_group≠60岁及以上", ("age_group", "60岁及以上", True)),
        (" education = 本科 ", ("education", "本科", False)),
    ],
)
def test_conditions_are_read_as_typed(text, expected):
    condition = parse_condition(text)
    assert (condition.attribute, condition.value, condition.negated) == expected


@pytest.mark.parametrize("text", ["gender", "=女", "!=女"])
def test_a_condition_without_attribute_and_value_says_the_form(text):
    with pytest.raises(AttributesError, match="ATTRIBUTE=VALUE or ATTRIBUTE!=VALUE"):
        parse_condition(text)


def test_conditions_select_respondents_and_combine_with_and(sample_project):
    assert matching_transcripts(sample_project, None) is None
    assert matching_transcripts(sample_project, ["gender=女"]) == WOMEN
    assert matching_transcripts(sample_project, ["gender!=女"]) == ["A02_li", "A04_chen", "A06_liu"]
    assert matching_transcripts(sample_project, ["gender=女", "age_group!=60岁及以上"]) == [
        "A03_wang",
        "A05_zhao",
    ]
    assert matching_transcripts(sample_project, ["gender=女", "gender=男"]) == []
    assert (
        describe(["gender=女", "age_group!=60岁及以上"], "zh") == "gender=女；age_group≠60岁及以上"
    )


def test_a_typo_is_an_error_never_an_empty_or_unfiltered_report(sample_project):
    with pytest.raises(AttributesError, match="no respondent attribute 'sex'"):
        matching_transcripts(sample_project, ["sex=女"])
    with pytest.raises(AttributesError, match="its values are: 女, 男"):
        matching_transcripts(sample_project, ["gender!=female"])


def test_reports_count_only_the_respondents_matched(coded):
    with Project.open(coded) as project:
        everyone = analysis.segments(project).frame
        women = analysis.segments(project, where=["gender=女"])
        table = analysis.frequencies(project, where=["gender=女"])
    assert women.transcripts == WOMEN
    expected = everyone[everyone["transcript"].astype(str).isin(WOMEN)]
    assert len(women.frame) == len(expected) > 0
    any_code = table[table["code"] == analysis.ANY_CODE].iloc[0]
    assert any_code["transcripts"] == 3 and any_code["% transcripts"] == 100.0


def test_the_attribute_filter_composes_with_speaker_roles(coded):
    with Project.open(coded) as project:
        spoken = analysis.segments(project, speaker_roles=["respondent"]).frame
        both = analysis.segments(project, speaker_roles=["respondent"], where=["gender!=女"]).frame
    kept = spoken[~spoken["transcript"].astype(str).isin(WOMEN)]
    columns = ["code", "transcript", "start", "end", "coder"]
    assert len(kept) < len(spoken)
    pd.testing.assert_frame_equal(
        both[columns].astype(str).reset_index(drop=True),
        kept[columns].astype(str).reset_index(drop=True),
    )


def test_codings_kwic_and_words_take_where(coded, tmp_path):
    out = tmp_path / "codings.csv"
    run("codings", coded, "--where", "age_group=45-59岁", "-o", out)
    listed = pd.read_csv(out, encoding="utf-8-sig")
    assert set(listed["transcript"]) == {"A04_chen", "A05_zhao"}
    with Project.open(coded) as project:
        assert len(listed) == len(
            [c for c in project.codings() if c.transcript in ("A04_chen", "A05_zhao")]
        )
        words = analysis.word_frequencies(project, top=5, transcripts=WOMEN)
        hits = analysis.kwic(project, "宣传").hits
    run("report", "words", coded, "--where", "gender=女", "--top", "5", "-o", tmp_path / "w.csv")
    assert (
        pd.read_csv(tmp_path / "w.csv", encoding="utf-8-sig")["word"].tolist()
        == words["word"].tolist()
    )
    run("report", "kwic", coded, "宣传", "--where", "gender=女", "-o", tmp_path / "k.csv")
    found = pd.read_csv(tmp_path / "k.csv", encoding="utf-8-sig")
    assert len(found) == hits["transcript"].isin(WOMEN).sum() > 0
    result = run("report", "frequencies", coded, "--where", "gender=女生", ok=False)
    assert result.exit_code == 1 and "no respondent has gender=女生" in result.output
