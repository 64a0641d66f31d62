"""Survey import: a 问卷星-style export (built here with openpyxl) becomes respondent cases
with typed attributes and one short codable text per non-empty open answer."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qualcode.analysis import attribute_groups, crosstab
from qualcode.cli import main
from qualcode.store import Project
from qualcode.study import init_project
from qualcode.surveys import import_survey, read_survey

HEADER = [
    "序号",
    "提交答卷时间",
    "1、您的性别",
    "2、您的年龄",
    "3、您对政务服务网的满意度",
    "4、您使用过哪些服务？(网上办事)",
    "4、您使用过哪些服务？(查询信息)",
    "12、您没有使用政务服务网的原因是？",
    "13、您希望政务服务网改进哪些方面？",
    "14、其他建议",
]
REASONS = [
    "不知道有这个网站，一直去窗口办理",
    "操作太复杂了，老年人根本不会用",
    "网站经常打不开，登录要验证很多次",
    "没有需要办的事情，平时用不到",
]
LIKERT = ["非常不满意", "不满意", "一般", "满意", "非常满意"]


def respondent_row(i: int, rng: random.Random) -> list[object]:
    return [
        i,
        45000 + i,
        rng.choice(["男", "女"]),
        18 + i % 60,
        rng.choice(LIKERT),
        i % 2,
        (i + 1) % 2,
        f"{REASONS[i % 4]}（第{i}位）",
        "(空)" if i % 3 == 0 else f"希望简化流程，减少重复提交的材料，第{i}条",
        "-3" if i % 5 else f"建议在社区增加线下指导服务，{i}号",
    ]


def write_export(path: Path, respondents: range, seed: int = 0) -> Path:
    rng = random.Random(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "问卷数据"
    sheet.append(HEADER)
    for i in respondents:
        sheet.append(respondent_row(i, rng))
    book.save(path)
    return path


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "survey.xlsx", range(1, 301))


@pytest.fixture
def project(tmp_path: Path):
    with init_project(tmp_path / "study") as created:
        yield created


def test_columns_are_named_classified_and_open_questions_guessed(export: Path) -> None:
    survey = read_survey(export)
    kinds = {c.key: c.kind for c in survey.columns}
    assert kinds == {
        "序号": "id",
        "提交答卷时间": "date",
        "Q1": "text",
        "Q2": "number",
        "Q3": "ordinal",
        "Q4:网上办事": "number",
        "Q4:查询信息": "number",
        "Q12": "open",
        "Q13": "open",
        "Q14": "open",
    }
    assert survey.column("Q12").question_text == "您没有使用政务服务网的原因是？"
    assert survey.column("Q3").order == LIKERT
    chosen = read_survey(export, open_columns=["Q12"], id_column="序号")
    assert [c.key for c in chosen.columns if c.kind == "open"] == ["Q12"]


def test_each_respondent_is_a_case_with_attributes_and_answers(
    export: Path, project: Project
) -> None:
    results = import_survey(project, read_survey(export), export)
    assert {r.status for r in results} == {"added"}
    attributes = project.attributes()
    assert len(attributes) == 300
    assert attributes["R0001"] == {
        "提交答卷时间": "2023-03-16",
        "Q1": attributes["R0001"]["Q1"],
        "Q2": "19",
        "Q3": attributes["R0001"]["Q3"],
        "Q4:网上办事": "1",
        "Q4:查询信息": "0",
    }
    assert project.attribute_names() == [
        "提交答卷时间",
        "Q1",
        "Q2",
        "Q3",
        "Q4:网上办事",
        "Q4:查询信息",
    ]
    types = project.attribute_types()
    assert types["Q2"] == {
        "type": "number",
        "header": "2、您的年龄",
        "question": "您的年龄",
        "label": "Q2 您的年龄",
    }
    assert types["Q3"]["type"] == "ordinal" and types["Q3"]["order"] == LIKERT
    names = project.transcript_names()
    # skipped answers ((空), -3) are not imported: 300 + 200 + 60
    assert len(names) == 560
    assert names[:2] == ["Q12_R0001", "Q12_R0002"] and "Q13_R0003" not in names
    stored = project.transcript("Q14_R0005")
    assert stored.text == "建议在社区增加线下指导服务，5号"
    assert stored.metadata == {
        "question": "Q14",
        "question_text": "其他建议",
        "respondent": "R0005",
    }
    assert project.transcript_cases()["Q14_R0005"] == "R0005"
    # Likert labels keep their order; answers group by question
    group, values = attribute_groups(project, "Q3")
    assert values == [v for v in LIKERT if v in values]
    assert group["Q12_R0001"] == attributes["R0001"]["Q3"]
    _, questions = attribute_groups(project, "question")
    assert questions == [
        "Q12 您没有使用政务服务网的原因是？",
        "Q13 您希望政务服务网改进哪些方面？",
        "Q14 其他建议",
    ]


def test_crosstab_by_binned_numbers_and_by_question(export: Path, project: Project) -> None:
    import_survey(project, read_survey(export), export)
    from qualcode.model import Code

    project.add_code(Code("complex", "操作复杂"))
    for name in ("Q12_R0002", "Q12_R0006", "Q13_R0002"):
        project.add_coding(name, 0, 4, "complex", "wang")
    table = crosstab(project, "Q2", bins=[18, 30, 45, 60])
    assert list(table.counts.columns[2:]) == ["[18, 30)", "[30, 45)", "[45, 60)", "≥60", "Total"]
    # R0002 said it in two answers: one respondent, counted once; the base is respondents.
    counts = table.counts.set_index("code_id")
    assert counts.loc["complex", "[18, 30)"] == 2 and counts.loc["complex", "Total"] == 2
    assert counts.iloc[-1]["Total"] == 300
    segments = crosstab(project, "Q2", bins=[18, 30, 45, 60], count="segments")
    assert segments.counts.set_index("code_id").loc["complex", "Total"] == 3
    by_question = crosstab(project, "question").counts.set_index("code_id")
    assert by_question.loc["complex", "Q12 您没有使用政务服务网的原因是？"] == 2
    assert by_question.loc["complex", "Q13 您希望政务服务网改进哪些方面？"] == 1


def test_reimport_adds_respondents_and_keeps_codings(tmp_path: Path, project: Project) -> None:
    first = write_export(tmp_path / "v1.xlsx", range(1, 301))
    import_survey(project, read_survey(first), first)
    from qualcode.model import Code

    project.add_code(Code("access", "访问困难"))
    coding = project.add_coding("Q12_R0003", 0, 4, "access", "wang")
    updated = write_export(tmp_path / "v2.xlsx", range(1, 321))
    results = import_survey(project, read_survey(updated), updated)
    statuses = {r.name: r.status for r in results}
    assert statuses["Q12_R0003"] == "unchanged" and statuses["Q12_R0320"] == "added"
    assert sum(s == "added" for s in statuses.values()) == len(results) - 560
    assert len(project.attributes()) == 320
    assert [c.id for c in project.codings(transcript="Q12_R0003")] == [coding.id]


def test_csv_exports_and_the_command(tmp_path: Path, export: Path) -> None:
    rows = [[str(c) for c in row] for row in openpyxl.load_workbook(export).active.values]
    csv_path = tmp_path / "survey.csv"
    csv_path.write_text("\n".join(",".join(row) for row in rows[:21]), encoding="gb18030")
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path / "p")]).exit_code == 0
    result = runner.invoke(
        main,
        [
            "import-survey",
            str(tmp_path / "p"),
            str(csv_path),
            "--id",
            "序号",
            "--open",
            "Q12",
            "Q13",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "20 respondents" in result.output and "2 open questions" in result.output
    with Project.open(tmp_path / "p") as opened:
        assert {n.split("_")[0] for n in opened.transcript_names()} == {"Q12", "Q13"}
        assert "Q14" in opened.attribute_names()
    guessed = runner.invoke(main, ["import-survey", str(tmp_path / "p"), str(export)])
    assert guessed.exit_code == 0, guessed.output
    assert "open" in guessed.output and "importing with this guess" in guessed.output
    report = runner.invoke(
        main, ["report", "crosstab", str(tmp_path / "p"), "--by", "Q2", "--bins", "18,30,45,60"]
    )
    assert report.exit_code == 0 and "[45, 60)" in report.output


def test_agreement_takes_each_answer_as_a_unit(export: Path, project: Project) -> None:
    from qualcode.agreement import agreement
    from qualcode.model import Code

    import_survey(project, read_survey(export, open_columns=["Q12"]), export)
    project.add_code(Code("complex", "操作复杂"))
    for coder in ("wang", "li"):
        for name in ("Q12_R0002", "Q12_R0006"):
            project.add_coding(name, 0, 4, "complex", coder)
    result = agreement(project, ["wang", "li"], unit="turn").table.set_index("code_id")
    assert result.loc["complex", "percent_agreement"] == 1.0
    coded = agreement(project, ["wang", "li"], unit="turn").coded_units.set_index("code_id")
    assert coded.loc["complex", "wang"] == 2


# --- question headers as 问卷星 exports them ------------------------------------------------

WJX_HEADER = [
    "序号",
    "1、您的年龄段",
    "4、您对网站信息安全的信任程度(1-5)",
    "5、您常用的功能(多选):在线办事",
    "5、您常用的功能(多选):查询信息",
    "5、您常用的功能(多选):预约挂号",
    "6、您觉得网站还有哪些需要改进的地方？",
]
AGES = ["18-29岁", "30-44岁", "45-59岁", "60岁及以上"]


def write_wjx_export(path: Path, n: int = 40) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(WJX_HEADER)
    for i in range(1, n + 1):
        sheet.append(
            [
                i,
                AGES[i % 4],
                1 + i % 5,
                i % 2,
                (i + 1) % 2,
                int(i % 3 == 0),
                f"希望登录简单一些，验证码总是收不到，第{i}位受访者",
            ]
        )
    book.save(path)
    return path


def test_a_bracket_in_one_column_is_part_of_the_question_and_runs_are_options(tmp_path):
    survey = read_survey(write_wjx_export(tmp_path / "wjx.xlsx"))
    assert [c.key for c in survey.columns] == [
        "序号",
        "Q1",
        "Q4",
        "Q5:在线办事",
        "Q5:查询信息",
        "Q5:预约挂号",
        "Q6",
    ]
    trust = survey.column("Q4")
    assert (trust.question_text, trust.label, trust.kind) == (
        "您对网站信息安全的信任程度(1-5)",
        "Q4 您对网站信息安全的信任程度",
        "number",
    )
    option = survey.column("Q5:查询信息")
    assert (option.question_text, option.label) == (
        "您常用的功能(多选)",
        "Q5:查询信息 您常用的功能",
    )
    # --open and --id take the question text too
    assert survey.column("您觉得网站还有哪些需要改进的地方？").key == "Q6"


def test_crosstab_by_takes_the_header_the_number_or_the_text(tmp_path):
    export = write_wjx_export(tmp_path / "wjx.xlsx")
    runner = CliRunner()
    project = tmp_path / "p"
    assert runner.invoke(main, ["init", str(project)]).exit_code == 0
    result = runner.invoke(main, ["import-survey", str(project), str(export), "--open", "Q6"])
    assert result.exit_code == 0, result.output
    with Project.open(project) as opened:
        from qualcode.model import Code

        opened.add_code(Code("login", "登录困难"))
        for name in ("Q6_R0001", "Q6_R0002", "Q6_R0006"):
            opened.add_coding(name, 0, 4, "login", "wang")
    tables = []
    for by in ("1、您的年龄段", "Q1", "您的年龄段", "Q1 您的年龄段"):
        out = tmp_path / f"by-{len(tables)}.csv"
        report = runner.invoke(
            main, ["report", "crosstab", str(project), "--by", by, "-o", str(out)]
        )
        assert report.exit_code == 0, report.output
        tables.append(out.read_bytes())
    assert len(set(tables)) == 1
    printed = runner.invoke(main, ["report", "crosstab", str(project), "--by", "Q4"]).output
    assert "Codes × Q4 您对网站信息安全的信任程度 (respondents)" in printed
    by_question = runner.invoke(
        main, ["report", "crosstab", str(project), "--by", "question"]
    ).output
    assert "Q6 您觉得网站还有哪些需要改进的地方？" in by_question
    several = runner.invoke(main, ["report", "crosstab", str(project), "--by", "您常用的功能"])
    assert several.exit_code == 1
    assert (
        "'您常用的功能' names several attributes: Q5:在线办事, Q5:查询信息, Q5:预约挂号"
        in several.output
    )
