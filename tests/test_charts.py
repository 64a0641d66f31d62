"""Charts from every table report (qualcode.charts), drawn from the sample study as a
researcher gets them: valid PNG/SVG/PDF files of the right size, PNG at 300 dpi, every
Chinese character drawn in a real font (a missing glyph is an error, never a box)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from PIL import Image

from qualcode import analysis, autocode
from qualcode.agreement import agreement
from qualcode.charts import DPI, WIDTH, ChartFont, CodeStyle, find_font, write_chart
from qualcode.cli import main
from qualcode.errors import ReportError
from qualcode.store import Project

pytestmark = pytest.mark.filterwarnings("error")  # a "Glyph … missing from font" fails


def code_sample(folder: Path) -> None:
    """The sample study coded by its codebook's rules, every suggestion confirmed, and the
    first fifty of them coded again by a second coder (for agreement)."""
    with Project.open(folder) as project:
        autocode.autocode(project)
        found = autocode.suggestions(project)
        project.set_codings_status([c.id for c in found], "confirmed")
        for coding in found[:50]:
            project.add_coding(coding.transcript, coding.start, coding.end, coding.code_id, "li")


@pytest.fixture(scope="module")
def coded(_sample_project_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("charts") / "study"
    shutil.copytree(_sample_project_template, folder)
    code_sample(folder)
    return folder


def run(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def png_size(path: Path) -> tuple[tuple[int, int], tuple[float, float]]:
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.size, image.info["dpi"]


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        (["frequencies"], "frequencies"),
        (["crosstab", "--by", "age_group"], "crosstab"),
        (["matrix"], "matrix"),
        (["cooccurrence"], "cooccurrence"),
        (["words", "--top", "20"], "words"),
    ],
)
def test_each_report_draws_its_chart_as_a_300_dpi_png(coded, tmp_path, command, kind):
    out = tmp_path / f"{kind}.png"
    output = run("report", *command[:1], coded, *command[1:], "-o", out, "--lang", "zh")
    assert f"wrote the {kind} chart to {out}" in output
    (width, height), dpi = png_size(out)
    assert dpi == pytest.approx((DPI, DPI), abs=0.01)
    assert width >= round(WIDTH * DPI) - 1 and height >= 2.4 * DPI - 1


def test_agreement_draws_bars_per_code(coded, tmp_path):
    out = tmp_path / "agreement.png"
    run("agreement", coded, "--coders", "auto", "li", "-o", out)
    (width, _), dpi = png_size(out)
    assert width == round(WIDTH * DPI) and dpi == pytest.approx((DPI, DPI), abs=0.01)


def test_frequencies_bars_list_children_under_their_parents_in_the_svg(coded, tmp_path):
    out = tmp_path / "frequencies.svg"
    run("report", "frequencies", coded, "-o", out, "--lang", "zh")
    root = ElementTree.parse(out).getroot()  # well-formed XML
    assert root.tag.endswith("svg")
    width = float(root.attrib["width"].removesuffix("pt"))
    assert width == pytest.approx(WIDTH * 72, abs=0.5)  # 16 cm: an A4 page's text width
    # Text is drawn as paths (the file shows the same everywhere); the labels stay as
    # comments naming each text, in codebook order, a child after its parent.
    text = out.read_text(encoding="utf-8")
    labels = [
        label
        for label in ("使用问题", "　使用与知晓度", "原因", "　宣传推广", "建议")
        if label in text
    ]
    assert labels == ["使用问题", "　使用与知晓度", "原因", "　宣传推广", "建议"]
    assert [text.index(label) for label in labels] == sorted(text.index(label) for label in labels)


def test_a_pdf_chart_embeds_the_chinese_font(coded, tmp_path):
    out = tmp_path / "crosstab.pdf"
    run("report", "crosstab", coded, "--by", "gender", "-o", out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"NotoSansSC" in data  # the font itself travels in the file


def test_the_same_table_gives_the_same_file(coded, tmp_path):
    for name in ("a.svg", "b.svg"):
        run("report", "matrix", coded, "-o", tmp_path / name)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_charts_follow_the_language(coded, tmp_path):
    with Project.open(coded) as project:
        table = analysis.frequencies(project)
        codes = {c.id: CodeStyle(d, c.color) for c, _, d in project.codebook().walk()}
    for lang, title in (("zh", "编码频次"), ("en", "Code frequencies")):
        out = write_chart(
            tmp_path / f"{lang}.svg",
            "frequencies",
            [("frequencies", table)],
            codes=codes,
            lang=lang,
        )
        assert f"<!-- {title} -->" in out.read_text(encoding="utf-8")


def test_a_font_without_chinese_is_refused_and_no_file_is_written(coded, tmp_path):
    from matplotlib import font_manager

    latin = Path(font_manager.findfont("DejaVu Sans"))
    with Project.open(coded) as project:
        table = analysis.frequencies(project)
    target = tmp_path / "tofu.png"
    with pytest.raises(ReportError, match="lacks .*使"):
        write_chart(
            target,
            "frequencies",
            [("frequencies", table)],
            font=ChartFont("DejaVu Sans", latin, "setting"),
        )
    assert not target.exists()
    with pytest.raises(ReportError, match="has no Chinese characters"):
        find_font(str(latin))


def test_without_any_chinese_font_the_error_says_how_to_get_one():
    with pytest.raises(ReportError) as caught:
        find_font("", packaged=False, machine=("No Such Font SC",))
    message = str(caught.value)
    assert "pip install pylopdf-fonts-zh-cn" in message and "fonts-noto-cjk" in message
    assert "QUALCODE_CHART_FONT" in message


def test_the_chart_font_can_be_chosen_by_name_or_file(monkeypatch):
    packaged = find_font()
    assert packaged.source == "package" and packaged.name == "Noto Sans SC"
    monkeypatch.setenv("QUALCODE_CHART_FONT", str(packaged.path))
    assert find_font().source == "setting"
    monkeypatch.setenv("QUALCODE_CHART_FONT", "/no/such/font.otf")
    with pytest.raises(ReportError, match="no such font file"):
        find_font()


def test_reports_without_a_chart_say_so(coded, tmp_path):
    result = CliRunner().invoke(
        main, ["report", "kwic", str(coded), "宣传", "-o", str(tmp_path / "k.png")]
    )
    assert result.exit_code == 1 and "has no chart" in result.output
    assert not (tmp_path / "k.png").exists()


def test_agreement_chart_in_process_raises_no_warning(coded, tmp_path):
    with Project.open(coded) as project:
        result = agreement(project, ["auto", "li"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_chart(tmp_path / "a.pdf", "agreement", result.tables(), lang="en")
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF-")
