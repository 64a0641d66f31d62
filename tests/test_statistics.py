"""The statistics a thesis committee checks, recomputed by the reference libraries (scipy,
scikit-learn, krippendorff, statsmodels) on generated projects and compared to 1e-9 with what
qualcode writes to CSV and XLSX files, not only with what its API returns.

The generated study: eight interviews, a codebook with a parent coded both directly and
through its two children, three coders. Wang codes all eight; Li codes six, reads a seventh
through and finds nothing (reviewed, no coding: absent) and never opens the eighth (missing);
Zhao codes four, reviews a fifth with nothing in it and never opens the other three."""

from __future__ import annotations

import csv
import math
import random
import shutil
from pathlib import Path

import krippendorff
import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.contingency_tables import cochrans_q, mcnemar
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
from statsmodels.stats.multitest import multipletests

from qualcode import analysis
from qualcode.agreement import COLUMNS, OVERALL, agreement
from qualcode.cli import main
from qualcode.store import CodingRecord, Project
from qualcode.study import import_files, init_project

CODEBOOK = """\
qualcode_codebook: 1
name: 生成的研究
codes:
  - id: access
    label: 使用障碍
    children:
      - id: access.skills
        label: 不会操作
      - id: access.network
        label: 网络问题
  - id: trust
    label: 信任
"""
CODES = ["access", "access.skills", "access.network", "trust"]
TREE = {
    "access": {"access", "access.skills", "access.network"},
    "access.skills": {"access.skills"},
    "access.network": {"access.network"},
    "trust": {"trust"},
}
PHRASES = [
    "我去窗口办过社保",
    "网上要验证好几次",
    "孩子帮我在手机上弄的",
    "我不太相信网上交材料",
    "网速太慢了打不开",
    "听说可以预约",
    "工作人员让我回家下载软件",
    "流程写得不清楚",
    "我觉得还是当面办放心",
    "字太小了看不清",
]
NAMES = [f"g{i}" for i in range(1, 9)]
CODERS = ["wang", "li", "zhao"]
CODED_IN = {"wang": NAMES, "li": NAMES[:6], "zhao": NAMES[:4]}
REVIEWED_EMPTY = {"li": ["g7"], "zhao": ["g5"]}


def build_generated_study(folder: Path, seed: int = 13) -> Path:
    """Create the generated study described in the module; returns the project folder."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    for name in NAMES:
        said = "。".join(rng.choice(PHRASES) for _ in range(8)) + "。"
        (folder / f"{name}.txt").write_text(
            f"访谈者：请您谈谈办事的经历。\n受访者：{said}\n", encoding="utf-8"
        )
    project_folder = folder / "study"
    with init_project(project_folder, folder / "codebook.yaml") as project:
        import_files(project, [folder / f"{n}.txt" for n in NAMES])
        # A hidden "truth" per sentence and code; each coder follows it most of the time.
        truth = {}
        for name in NAMES:
            for s in project.transcript(name).sentences:
                for code in CODES:
                    truth[name, s.start, code] = rng.random() < 0.3
        for coder in CODERS:
            records = []
            for name in CODED_IN[coder]:
                stored = project.transcript(name)
                for s in stored.sentences:
                    for code in CODES:
                        coded = truth[name, s.start, code] != (rng.random() < 0.15)
                        if coded:  # whole sentences, or a few characters inside one
                            end = s.end if rng.random() < 0.7 else s.start + 2
                            records.append(
                                CodingRecord(name, s.start, end, code, transcript_hash=stored.hash)
                            )
            project.import_codings(records, coder)
            for name in REVIEWED_EMPTY.get(coder, []):
                project.set_reviewed(name, coder)
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return project_folder


@pytest.fixture(scope="module")
def generated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_generated_study(tmp_path_factory.mktemp("generated"))


@pytest.fixture
def generated(generated_template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(generated_template, folder)
    return folder


# --- the reference: the definitions applied one sentence at a time ---------------------------


def reference_values(project: Project, coders: list[str], code_ids: set[str]) -> np.ndarray:
    """coders × sentences of every transcript: 1 when a coding of the coder with one of
    ``code_ids`` overlaps the sentence, 0 when not, NaN where the coder neither coded in nor
    reviewed the transcript."""
    reviewed = project.reviewed()
    rows = []
    for coder in coders:
        codings = [c for c in project.codings(coder=coder) if c.code_id in code_ids]
        anything = {c.transcript for c in project.codings(coder=coder)}
        row = []
        for name in NAMES:
            known = name in anything or (coder, name) in reviewed
            for s in project.transcript(name).sentences:
                row.append(
                    float(
                        any(
                            c.transcript == name and c.start < s.end and s.start < c.end
                            for c in codings
                        )
                    )
                    if known
                    else math.nan
                )
        rows.append(row)
    return np.array(rows)


def reference_figures(values: np.ndarray) -> dict[str, float]:
    pairable = (~np.isnan(values)).sum(axis=0) >= 2
    block = values[:, pairable]
    agree = [len(set(col[~np.isnan(col)])) == 1 for col in block.T]
    figures = {"percent_agreement": float(np.mean(agree)), "n_units": int(pairable.sum())}
    if len(values) == 2:
        figures["cohen_kappa"] = (
            cohen_kappa_score(block[0], block[1]) if len(np.unique(block)) > 1 else math.nan
        )
    else:
        whole = values[:, ~np.isnan(values).any(axis=0)]
        table, _ = aggregate_raters(whole.T.astype(int), n_cat=2)
        figures["fleiss_kappa"] = (
            fleiss_kappa(table, method="fleiss") if len(np.unique(whole)) > 1 else math.nan
        )
    figures["krippendorff_alpha"] = krippendorff.alpha(
        reliability_data=block, level_of_measurement="nominal"
    )
    return figures


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def read_xlsx(path: Path, sheet: str) -> list[dict[str, object]]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    header = rows[0]
    return [
        dict(zip(header, row, strict=True))
        for row in rows[1:]
        if row[0] is not None and any(v is not None for v in row[1:])
    ]


def number(value: object) -> float:
    return math.nan if value in ("", None) else float(value)


def close(ours: object, theirs: float) -> bool:
    ours = number(ours)
    return (math.isnan(ours) and math.isnan(theirs)) or abs(ours - theirs) <= 1e-9


def agreement_files(
    folder: Path, tmp_path: Path, coders: list[str], *extra: str
) -> tuple[list[dict], list[dict]]:
    """The agreement table as the CLI writes it to CSV and to XLSX, read back."""
    runner = CliRunner()
    for suffix in ("csv", "xlsx"):
        result = runner.invoke(
            main,
            [
                "agreement",
                str(folder),
                "--coders",
                *coders,
                *extra,
                "-o",
                str(tmp_path / f"agreement.{suffix}"),
            ],
        )
        assert result.exit_code == 0, result.output
    header = next(csv.reader((tmp_path / "agreement.csv").open(encoding="utf-8-sig")))
    assert (
        header
        == COLUMNS
        == [
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
    )
    return (
        read_csv(tmp_path / "agreement.csv"),
        read_xlsx(tmp_path / "agreement.xlsx", "agreement"),
    )


# --- agreement ---------------------------------------------------------------------------------


@pytest.mark.parametrize("coders", [CODERS[:2], CODERS], ids=["two coders", "three coders"])
@pytest.mark.parametrize("rollup", [False, True], ids=["as coded", "rolled up"])
def test_agreement_files_equal_the_reference_libraries(generated, tmp_path, coders, rollup):
    csv_rows, xlsx_rows = agreement_files(
        generated, tmp_path, coders, *(["--rollup"] if rollup else [])
    )
    with Project.open(generated) as project:
        api = agreement(project, coders, rollup=rollup).table
        # g8 for li and zhao, g6-g8 for zhao: missing; g7 (li) and g5 (zhao): reviewed, absent.
        expected_ids = CODES  # every code is coded directly by someone
        assert [r["code_id"] for r in csv_rows] == [*expected_ids, OVERALL]
        checked = 0
        for code_id, csv_row, xlsx_row, api_row in zip(
            expected_ids, csv_rows, xlsx_rows, api.to_dict("records"), strict=False
        ):
            values = reference_values(project, coders, TREE[code_id] if rollup else {code_id})
            reference = reference_figures(values)
            for measure, theirs in reference.items():
                for ours in (csv_row[measure], xlsx_row[measure], api_row[measure]):
                    assert close(ours, theirs), (code_id, measure, ours, theirs)
            assert int(csv_row["n_coders"]) == len(coders)
            absent = "cohen_kappa" if len(coders) > 2 else "fleiss_kappa"
            assert csv_row[absent] == "" and xlsx_row[absent] is None
            assert ("three or more" if absent == "fleiss_kappa" else "two coders only") in csv_row[
                "note"
            ]
            checked += 1
        assert checked == 4
        parent = csv_rows[0]["note"]
        assert (
            "with its 2 descendant codes rolled up"
            if rollup
            else "as coded, without its 2 descendant codes"
        ) in parent

        # Overall: each decision once, every code as coded (also when the rows roll up).
        pooled = np.concatenate([reference_values(project, coders, {c}) for c in CODES], axis=1)
        pairable_units = reference_figures(reference_values(project, coders, {"trust"}))["n_units"]
        overall = reference_figures(pooled)
        for row in (csv_rows[-1], xlsx_rows[-1]):
            for measure in (
                "percent_agreement",
                "krippendorff_alpha",
                "cohen_kappa" if len(coders) == 2 else "fleiss_kappa",
            ):
                assert close(row[measure], overall[measure]), (measure, row[measure])
            assert int(row["n_units"]) == 4 * pairable_units
        assert f"4 codes as coded × {pairable_units} units" in csv_rows[-1]["note"]


def test_reviewed_but_empty_is_absent_and_unreviewed_is_missing(generated):
    with Project.open(generated) as project:
        three = agreement(project, CODERS)
        assert three.transcripts == NAMES[:7]  # g8: only wang
        coverage = three.coverage.set_index("transcript")
        assert coverage.loc["g7", "li"] == "reviewed" and coverage.loc["g8", "li"] == ""
        assert coverage.loc["g5", "zhao"] == "reviewed" and coverage.loc["g6", "zhao"] == ""
        units_g7 = len(project.transcript("g7").sentences)
        with_review = agreement(project, ["wang", "li"]).table.set_index("code_id")
        project.set_reviewed("g7", "li", False)
        without = agreement(project, ["wang", "li"]).table.set_index("code_id")
        # Unmarked, li's silence in g7 is missing data: those units leave the comparison.
        assert with_review.loc["trust", "n_units"] - without.loc["trust", "n_units"] == units_g7
        assert project.undo(coder="li").action == "review"
        assert ("li", "g7") in project.reviewed()


def test_three_coders_cohen_is_blank_with_the_reason_and_fleiss_uses_complete_units(generated):
    with Project.open(generated) as project:
        table = agreement(project, CODERS).table.set_index("code_id")
    units = {name: 0 for name in NAMES}
    with Project.open(generated) as project:
        for name in NAMES:
            units[name] = len(project.transcript(name).sentences)
    complete = sum(units[n] for n in NAMES[:5])  # all three have values in g1-g5
    row = table.loc["trust"]
    assert math.isnan(row["cohen_kappa"]) and "Cohen's kappa: two coders only" in row["note"]
    assert f"Fleiss' kappa on the {complete} units all 3 coders have values for" in row["note"]
    assert row["n_units"] == sum(units[n] for n in NAMES[:7])


# --- chi-square -------------------------------------------------------------------------------


def test_the_printed_expected_table_is_the_one_the_test_used(tmp_path):
    """uses_platform is missing for t4: the test leaves t4 out, and so must the expected table
    that is printed (and written), so that checking Cochran's rule by hand agrees with the flag."""
    from scipy.stats import chi2_contingency

    from .test_analysis import build_small_study

    folder = build_small_study(tmp_path / "small")
    out = tmp_path / "crosstab.csv"
    result = CliRunner().invoke(
        main, ["report", "crosstab", str(folder), "--by", "uses_platform", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    expected = {r["code_id"]: r for r in read_csv(tmp_path / "crosstab.expected.csv")}
    tests = {r["code_id"]: r for r in read_csv(tmp_path / "crosstab.chi-square.csv")}
    counts = {r["code_id"]: r for r in read_csv(out)}
    assert analysis.MISSING not in next(iter(expected.values()))  # no (missing) column
    assert counts["suggestions"][analysis.MISSING] == "1"  # t4 is there in the counts
    tested = 0
    for code_id, row in tests.items():
        if row["chi2"] == "":
            assert all(expected[code_id][v] == "" for v in ("否", "是"))
            continue
        present = np.array([int(counts[code_id][v]) for v in ("否", "是")])
        base = np.array([int(counts[""][v]) for v in ("否", "是")])  # respondents per value
        _, p, _, theirs = chi2_contingency(np.vstack([present, base - present]), correction=False)
        assert [float(expected[code_id][v]) for v in ("否", "是")] == pytest.approx(
            theirs[0].tolist(), abs=1e-12
        )
        assert float(row["p"]) == pytest.approx(p, abs=1e-12)
        # Cochran's rule checked by hand on the table printed gives the flag's verdict
        both = np.vstack([theirs[0], base - theirs[0]])
        by_hand = both.min() < 1 or (both < 5).mean() > 0.2
        assert row["expected too small"] == ("yes" if by_hand else "no")
        assert (row["n"], row["missing"]) == ("3", "1")
        tested += 1
    assert tested >= 2
    # what the terminal shows is the same table, rounded, with the precision stated
    shown = CliRunner().invoke(main, ["report", "crosstab", str(folder), "--by", "uses_platform"])
    assert "Numbers rounded for reading" in shown.output
    assert "leave those with a missing value out" in shown.output


def test_counting_segments_warns_and_tests_respondents(tmp_path):
    from .test_analysis import build_small_study

    folder = build_small_study(tmp_path / "small")
    result = CliRunner().invoke(
        main, ["report", "crosstab", str(folder), "--by", "age_group", "--count", "segments"]
    )
    assert result.exit_code == 0, result.output
    assert "segments are not independent" in result.output
    with Project.open(folder) as project:
        by_segments = analysis.crosstab(project, "age_group", count="segments")
        by_respondents = analysis.crosstab(project, "age_group")
    assert by_segments.tests.equals(by_respondents.tests)  # the unit of the test: respondents
    assert by_segments.expected.equals(by_respondents.expected)


@pytest.fixture(scope="module")
def survey_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 respondents answering Q12 (all), Q13 (two in three) and Q14 (one in five), with
    'complex' coded at random in the answers."""
    from qualcode.model import Code
    from qualcode.surveys import import_survey, read_survey

    from .test_surveys import write_export

    folder = tmp_path_factory.mktemp("survey")
    export = write_export(folder / "survey.xlsx", range(1, 121))
    rng = random.Random(5)
    with init_project(folder / "study") as project:
        import_survey(project, read_survey(export, open_columns=["Q12", "Q13", "Q14"]), export)
        project.add_code(Code("complex", "操作复杂"))
        hashes = project.transcript_hashes()
        project.import_codings(
            [
                CodingRecord(n, 0, 2, "complex", transcript_hash=hashes[n])
                for n in project.transcript_names()
                if rng.random() < 0.4
            ],
            "wang",
        )
    return folder / "study"


def _answers(project: Project, questions: list[str]) -> tuple[np.ndarray, list[str]]:
    """respondents who answered all ``questions`` × questions: 1 when coded 'complex'."""
    names = set(project.transcript_names())
    coded = {c.transcript for c in project.codings(coder="wang")}
    respondents = sorted({n.split("_")[1] for n in names})
    complete = [r for r in respondents if all(f"{q}_{r}" in names for q in questions)]
    return np.array([[int(f"{q}_{r}" in coded) for q in questions] for r in complete]), complete


def test_by_question_pairs_respondents_mcnemar_and_cochran(survey_template, tmp_path):
    folder = tmp_path / "study"
    shutil.copytree(survey_template, folder)
    with Project.open(folder) as project:
        three = analysis.crosstab(project, "question")
        x, complete = _answers(project, ["Q12", "Q13", "Q14"])
    row = three.tests.set_index("code_id").loc["complex"]
    q = cochrans_q(x)
    assert row["test"] == "Cochran's Q" and row["n"] == len(complete)
    assert abs(row["chi2"] - q.statistic) <= 1e-9 and abs(row["p"] - q.pvalue) <= 1e-9
    assert row["dof"] == 2 and "without all 3 values left out" in row["note"]
    assert any("not independent samples" in w for w in three.warnings)
    assert three.expected.set_index("code_id").loc["complex"].iloc[1:-1].isna().all()

    # Two questions: McNemar, chi-square without continuity correction.
    with Project.open(folder) as project:
        project.conn.execute(
            "DELETE FROM codings WHERE transcript_id IN (SELECT id FROM "
            "transcripts WHERE name LIKE 'Q14%')"
        )
        project.conn.execute("DELETE FROM transcripts WHERE name LIKE 'Q14%'")
        project.conn.commit()
        two = analysis.crosstab(project, "question")
        x, complete = _answers(project, ["Q12", "Q13"])
    table = [[int(((x[:, 0] == a) & (x[:, 1] == b)).sum()) for b in (1, 0)] for a in (1, 0)]
    theirs = mcnemar(table, exact=False, correction=False)
    out = tmp_path / "two.csv"
    CliRunner().invoke(
        main, ["report", "crosstab", str(folder), "--by", "question", "-o", str(out)]
    )
    row = {r["code_id"]: r for r in read_csv(tmp_path / "two.chi-square.csv")}["complex"]
    assert row["test"] == "McNemar" and int(row["n"]) == len(complete)
    assert abs(float(row["chi2"]) - theirs.statistic) <= 1e-9
    assert abs(float(row["p"]) - theirs.pvalue) <= 1e-9
    assert two.tests.set_index("code_id").loc["complex", "test"] == "McNemar"


def test_a_paired_test_is_declined_with_the_reason_when_no_respondent_has_every_value(
    survey_template, tmp_path
):
    folder = tmp_path / "study"
    shutil.copytree(survey_template, folder)
    with Project.open(folder) as project:
        # Q14 only from respondents who did not answer Q13: nobody answered all three.
        project.conn.execute(
            "DELETE FROM codings WHERE transcript_id IN (SELECT t.id FROM "
            "transcripts t WHERE t.name LIKE 'Q14%' AND EXISTS (SELECT 1 FROM "
            "transcripts u WHERE u.name = 'Q13' || substr(t.name, 4)))"
        )
        project.conn.execute(
            "DELETE FROM transcripts WHERE name LIKE 'Q14%' AND 'Q13' || "
            "substr(name, 4) IN (SELECT name FROM transcripts)"
        )
        project.conn.commit()
        row = analysis.crosstab(project, "question").tests.set_index("code_id").loc["complex"]
    assert math.isnan(row["p"]) and row["note"].startswith("declined: ")
    assert "0 respondents have all 3" in row["note"]


def test_bin_labels_say_exactly_which_values_they_hold(tmp_path):
    from .test_analysis import build_small_study

    folder = build_small_study(tmp_path / "small")
    with Project.open(folder) as project:
        project.set_attributes(
            {"t1": {"age": "17"}, "t2": {"age": "18"}, "t3": {"age": "29.5"}, "t4": {"age": "30"}}
        )
        group, values = analysis.attribute_groups(project, "age", bins=[18, 30])
    assert values == ["<18", "[18, 30)", "≥30"]
    assert group == {"t1": "<18", "t2": "[18, 30)", "t3": "[18, 30)", "t4": "≥30"}


# --- distinctive words ------------------------------------------------------------------------


def test_distinctive_words_q_is_benjamini_hochberg_over_the_family(generated):
    from scipy.stats import chi2

    with Project.open(generated) as project:
        table = analysis.distinctive_words(project, ["access.skills"], top=1000, min_count=2)
        words = analysis.tokens(project).frame
        data = analysis.segments(project)
    inside = analysis._covered(data.frame[data.frame["code"] == "access.skills"], words)
    vocabulary = words["word"].astype(str).to_numpy()
    a = {w: int(n) for w, n in zip(*np.unique(vocabulary[inside], return_counts=True), strict=True)}
    total = {w: int(n) for w, n in zip(*np.unique(vocabulary, return_counts=True), strict=True)}
    size_a, size_b = sum(a.values()), len(vocabulary) - sum(a.values())
    family = sorted(w for w, n in a.items() if n >= 2)
    p = []
    for w in family:
        counts = np.array([a[w], total[w] - a[w]], dtype=float)
        expected = np.array([size_a, size_b]) * counts.sum() / (size_a + size_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            g2 = 2 * np.where(counts > 0, counts * np.log(counts / expected), 0).sum()
        p.append(chi2.sf(g2, 1))
    q = dict(zip(family, multipletests(p, method="fdr_bh")[1], strict=True))
    assert len(table) > 0
    for row in table.to_dict("records"):
        assert abs(row["q"] - q[row["word"]]) <= 1e-9
        assert abs(row["p"] - dict(zip(family, p, strict=True))[row["word"]]) <= 1e-9


def test_words_and_distinctive_words_count_only_the_chosen_speakers(tmp_path):
    from .test_analysis import build_small_study

    folder = build_small_study(tmp_path / "small")
    with Project.open(folder) as project:
        everyone = analysis.word_frequencies(project, top=None).set_index("word")["count"]
        respondents = analysis.word_frequencies(project, top=None, speaker_roles=["respondent"])
        said = respondents.set_index("word")["count"]
        # 网站: once in the interviewer's question in t1, once in the answer
        assert (everyone["网站"], said["网站"]) == (2, 1)
        assert "建议" not in said.index and "建议" in everyone.index  # only asked about
        words = analysis.distinctive_words(project, min_count=1, speaker_roles=["respondent"])
        interviewer_only = set(everyone.index) - set(said.index)
        assert not interviewer_only & set(words["word"])


def test_spreadsheets_keep_full_values_and_pages_say_they_are_rounded(generated, tmp_path):
    runner = CliRunner()
    for suffix in ("xlsx", "md", "tex"):
        result = runner.invoke(
            main,
            [
                "agreement",
                str(generated),
                "--coders",
                "wang",
                "li",
                "-o",
                str(tmp_path / f"a.{suffix}"),
            ],
        )
        assert result.exit_code == 0, result.output
    with Project.open(generated) as project:
        alpha = agreement(project, ["wang", "li"]).table.loc[0, "krippendorff_alpha"]
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx")["agreement"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("krippendorff_alpha") + 1)
    assert cell.value == pytest.approx(alpha, rel=1e-15) and round(alpha, 4) != alpha
    assert cell.number_format == "0.0000"  # shown rounded, stored whole
    assert sheet.cell(row=2, column=header.index("n_units") + 1).number_format == "General"
    page = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert f"| {round(alpha, 4)} |" in page and str(alpha) not in page
    assert "Numbers rounded for reading: percentages to 1 decimal" in page
    assert "Numbers rounded for reading" in (tmp_path / "a.tex").read_text(encoding="utf-8")
