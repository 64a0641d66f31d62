"""The quotes report and the codebook appendix as a researcher writes them for a thesis:
each .docx opened with python-docx (styles, headings per theme in codebook order, quotes
with respondent ids and attributes, East Asian fonts), each .md parsed, the .html read."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn
from markdown_it import MarkdownIt

from qualcode import analysis
from qualcode.cli import main
from qualcode.quotes import quotes_report
from qualcode.store import Project

from .test_charts import code_sample

ATTRIBUTES = {
    "A01_zhang": "（女，60岁及以上，本科）",
    "A02_li": "（男，30-44岁，大专）",
    "A03_wang": "（女，18-29岁，硕士）",
    "A04_chen": "（男，45-59岁，初中）",
    "A05_zhao": "（女，45-59岁，高中）",
    "A06_liu": "（男，30-44岁，本科）",
}


@pytest.fixture(scope="module")
def coded(_sample_project_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("quotes") / "study"
    shutil.copytree(_sample_project_template, folder)
    code_sample(folder)
    with Project.open(folder) as project:
        first = project.codings("A01_zhang", code_id="problems.awareness")[0]
        project.set_coding_memo(first.id, "她是被网格员带着学会的")
    return folder


def run(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def codebook_labels(folder: Path) -> list[tuple[str, int]]:
    with Project.open(folder) as project:
        return [(code.label, depth) for code, _, depth in project.codebook().walk()]


def test_the_word_report_has_a_heading_per_theme_in_codebook_order(coded, tmp_path):
    out = tmp_path / "quotes.docx"
    output = run(
        "report",
        "quotes",
        coded,
        "--max-per-code",
        "3",
        "--attributes",
        "gender,age_group,education",
        "--lang",
        "zh",
        "-o",
        out,
    )
    assert "quotes under 22 themes" in output
    document = docx.Document(out)
    headings = [
        (p.text, p.style.name) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    # Parents as Heading 1, their children as Heading 2, in codebook order.
    assert headings == [(label, f"Heading {depth + 1}") for label, depth in codebook_labels(coded)]
    assert document.paragraphs[0].style.name == "Title"
    assert document.paragraphs[0].text == "引文报告：study"


def test_each_quote_names_its_respondent_with_attributes_speaker_and_sentence(coded, tmp_path):
    out = tmp_path / "quotes.docx"
    run(
        "report",
        "quotes",
        coded,
        "--code",
        "problems.awareness",
        "--attributes",
        "gender,age_group,education",
        "--lang",
        "zh",
        "-o",
        out,
    )
    paragraphs = docx.Document(out).paragraphs
    quotes = [i for i, p in enumerate(paragraphs) if p.style.name == "Quote"]
    with Project.open(coded) as project:
        # The same span coded by two coders is one quote.
        coded_by_anyone = project.codings(code_id="problems.awareness")
        spans = {(c.transcript, c.start, c.end): c for c in coded_by_anyone}
    codings = [spans[key] for key in sorted(spans)]
    assert [paragraphs[i].text for i in quotes] == [c.text.strip() for c in codings]
    for i, coding in zip(quotes, codings, strict=True):
        caption = paragraphs[i + 1]
        assert caption.style.name == "Caption"
        respondent = coding.transcript
        assert caption.text.startswith(f"—— {respondent}{ATTRIBUTES[respondent]} · ")
        assert "第" in caption.text and caption.text.endswith("句")
    memo = [p.text for p in paragraphs if p.text.startswith("备忘")]
    assert memo == ["备忘（auto）：她是被网格员带着学会的"]
    counts = next(p.text for p in paragraphs if p.text.startswith("片段数"))
    # Segments as the reports count them: each coder's coding of a span is one.
    assert counts == f"片段数 {len(coded_by_anyone)}，受访者 4 位（共 6 位）。"


def test_word_styles_carry_east_asian_fonts(coded, tmp_path):
    out = tmp_path / "quotes.docx"
    run("report", "quotes", coded, "--max-per-code", "1", "-o", out, "--lang", "zh")
    styles = docx.Document(out).styles
    for name, font in (
        ("Normal", "宋体"),
        ("Heading 1", "黑体"),
        ("Heading 2", "黑体"),
        ("Quote", "楷体"),
        ("Caption", "宋体"),
        ("Title", "黑体"),
    ):
        fonts = styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == font, name
        assert fonts.get(qn("w:eastAsiaTheme")) is None, name  # a theme font would win
    language = styles["Normal"].element.rPr.find(qn("w:lang"))
    assert language.get(qn("w:eastAsia")) == "zh-CN"


def test_max_per_code_spreads_quotes_across_respondents(coded):
    with Project.open(coded) as project:
        full = quotes_report(project)
        chosen = quotes_report(project, max_per_code=4)
    for every, some in zip(full.themes, chosen.themes, strict=True):
        assert len(some.quotes) == min(4, len(every.quotes)) and some.total == len(every.quotes)
        respondents = {q.respondent for q in every.quotes}
        # As many different respondents as the limit allows.
        assert len({q.respondent for q in some.quotes}) == min(4, len(respondents))
        assert {(q.transcript, q.start) for q in some.quotes} <= {
            (q.transcript, q.start) for q in every.quotes
        }


def test_theme_counts_agree_with_the_frequencies_report(coded):
    with Project.open(coded) as project:
        report = quotes_report(project, where=["gender=女"])
        table = analysis.frequencies(project, where=["gender=女"])
    figures = {row.code_id: (row.segments, row.transcripts) for row in table.itertuples()}
    assert report.respondents == 3
    for theme in report.themes:
        assert (theme.segments, theme.respondents) == figures[theme.code_id]
        assert {q.respondent for q in theme.quotes} <= {"A01_zhang", "A03_wang", "A05_zhao"}


def test_the_markdown_report_parses_into_headings_and_block_quotes(coded, tmp_path):
    out = tmp_path / "quotes.md"
    run(
        "report",
        "quotes",
        coded,
        "--max-per-code",
        "2",
        "--where",
        "age_group!=60岁及以上",
        "--lang",
        "zh",
        "-o",
        out,
    )
    tokens = MarkdownIt().parse(out.read_text(encoding="utf-8"))
    headings = [
        (tokens[i + 1].content, token.tag)
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
    expected = [(label, f"h{depth + 2}") for label, depth in codebook_labels(coded)]
    assert headings[0] == ("引文报告：study", "h1") and headings[1:] == expected
    quoted = [
        tokens[i + 2].content for i, token in enumerate(tokens) if token.type == "blockquote_open"
    ]
    assert quoted and all("A01_zhang" not in q for q in quoted)  # 60+ left out
    captions = [t.content for t in tokens if t.type == "inline" and t.content.startswith("—— ")]
    # Without --attributes, every attribute: gender, age group, education, then the rest.
    assert captions and all(
        any(c.startswith(f"—— {r}{a[:-1]}，") for r, a in ATTRIBUTES.items()) for c in captions
    )
    assert "范围：age_group≠60岁及以上" in out.read_text(encoding="utf-8")


def test_the_html_report_escapes_the_researchers_text(coded, tmp_path):
    with Project.open(coded) as project:
        coding = project.codings("A02_li")[0]
        project.set_coding_memo(coding.id, "<script>alert(1)</script> & 其他")
    out = tmp_path / "quotes.html"
    run("report", "quotes", coded, "--code", coding.code_id, "-o", out, "--lang", "en")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 其他" in page and "<script>" not in page
    assert page.count("<blockquote>") == page.count('<p class="caption">') > 0


def test_a_wrong_ending_or_attribute_is_a_clear_error(coded, tmp_path):
    result = CliRunner().invoke(
        main, ["report", "quotes", str(coded), "-o", str(tmp_path / "q.pdf")]
    )
    assert result.exit_code == 1 and ".docx (Word), .md or .html" in result.output
    result = CliRunner().invoke(
        main, ["report", "quotes", str(coded), "--attributes", "sex", "-o", str(tmp_path / "q.md")]
    )
    assert result.exit_code == 1 and "no respondent attribute 'sex'" in result.output
    assert not (tmp_path / "q.md").exists()


def test_the_codebook_exports_as_a_word_table_for_an_appendix(coded, tmp_path):
    out = tmp_path / "codebook.docx"
    assert "wrote 22 codes" in run("codebook", "export", coded, out, "--lang", "zh")
    document = docx.Document(out)
    (table,) = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == [
        "编码ID",
        "编码",
        "定义",
        "纳入标准",
        "排除标准",
        "示例",
        "片段数",
        "受访者数",
    ]
    with Project.open(coded) as project:
        walked = list(project.codebook().walk())
        frequencies = analysis.frequencies(project)
    assert [row[0] for row in rows[1:]] == [code.id for code, _, _ in walked]
    awareness = rows[1 + [c.id for c, _, _ in walked].index("problems.awareness")]
    figures = frequencies.set_index("code_id").loc["problems.awareness"]
    assert awareness[1] == "\u3000使用与知晓度"  # a child, indented under its parent
    assert awareness[6:] == [str(figures["segments"]), str(figures["transcripts"])]
    assert awareness[5] == "我当时其实是不知道有这个东西的；一个月至少打开十几次"
    assert table.style.name == "Table Grid"
    header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
    assert header is not None  # the header row repeats on every page
    assert document.sections[0].page_width > document.sections[0].page_height  # landscape
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions == ["表 1　编码本"]
    assert document.paragraphs[-1].text.startswith("注：片段数与受访者数")
