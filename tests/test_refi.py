"""REFI-QDA exchange: what qualcode writes validates against the official schemas and comes
back unchanged; what other programs write comes in with its codes and codings; hostile files
are refused with a clear message and leave nothing behind."""

from __future__ import annotations

import csv
import io
import re
import stat
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.codebook import MergeConflictError, load_codebook
from qualcode.errors import ProjectError
from qualcode.exchange import refi
from qualcode.exchange.refi import ArchiveLimits, ExchangeError, Reading
from qualcode.model import Coding
from qualcode.store import Project
from qualcode.study import import_files, init_project

from .conftest import SAMPLE_CODEBOOK, SHARED

DATA = Path(__file__).parent / "data" / "refi"
ATLAS = DATA / "atlasti-8.4_standard-project.qdpx"
SAMPLES = SHARED / "refi-qda" / "samples"
NVIVO = SAMPLES / "nvivo15-mac_qc-project.qdpx"
QC = SAMPLES / "qc-1.3.2_demo.qdpx"
AGPL_SKIP = (
    "the NVivo and qc samples are AGPL-3.0 and stay in ../shared/refi-qda/samples "
    "(not copied into this repository); that folder is absent here"
)

PROJECT_SCHEMA = xmlschema.XMLSchema(str(refi.PROJECT_XSD))
CODEBOOK_SCHEMA = xmlschema.XMLSchema(str(refi.CODEBOOK_XSD))


def qde_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:  # ATLAS.ti writes it as Project.qde
        return archive.read(next(n for n in archive.namelist() if n.lower() == "project.qde"))


def validate_qdpx(path: Path) -> bytes:
    """Validate an archive's project.qde against Project.xsd; return it."""
    data = qde_of(path)
    PROJECT_SCHEMA.validate(io.BytesIO(data))
    return data


def run(*args: object, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def coding_rows(project: Project) -> list[tuple]:
    return sorted(
        (c.transcript, c.start, c.end, c.code_id, c.coder, c.memo, c.created, c.changed)
        for c in project.codings()
    )


# --- codebooks (.qdc) ------------------------------------------------------------------------------


def test_qdc_export_validates_and_imports_back_unchanged(sample_project, tmp_path):
    qdc = tmp_path / "codebook.qdc"
    assert refi.export_codebook(sample_project, qdc) == 22
    CODEBOOK_SCHEMA.validate(str(qdc))
    again = tmp_path / "again.qdc"
    refi.export_codebook(sample_project, again)
    assert qdc.read_bytes() == again.read_bytes()  # stable GUIDs, stable bytes

    with init_project(tmp_path / "other") as other:
        other.set_codebook(load_codebook(SAMPLE_CODEBOOK))  # same header, then replaced
        refi.import_codebook(other, qdc)
        assert other.codebook() == sample_project.codebook()


def test_qdc_keeps_colours_descriptions_hierarchy_and_our_fields(sample_project, tmp_path):
    qdc = tmp_path / "codebook.qdc"
    refi.export_codebook(sample_project, qdc)
    root = ElementTree.parse(qdc).getroot()
    ns = {"q": refi.NS_CODEBOOK}
    problems = root.find("q:Codes/q:Code", ns)
    assert (problems.get("name"), problems.get("color")) == ("使用问题", "#e06c75")
    children = [c.get("name") for c in problems.findall("q:Code", ns)]
    assert children[:2] == ["使用与知晓度", "内容问题"]
    description = problems.find("q:Description", ns).text
    # Other programs show the description proper first, our block after it.
    assert description.startswith(
        "受访者在知晓、使用江城办或政务服务网过程中遇到或观察到的各类问题。\n\n"
    )
    assert (
        '\nid: "problems"\n' in description
        and 'keywords: ["问题", "不好用", "毛病", "白跑"]' in (description)
    )
    _, extras, problems_found = refi.split_extras(description)
    assert extras["label_en"] == "Problems in use" and not problems_found


OTHER_TOOL_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Some QDA 1.0">
  <Codes>
    <Code guid="{0F8A1907-7E42-4739-8610-A676B4D1B69F}" name="数字鸿沟" isCodable="true" color="#ABC">
      <Description>老年人用不了</Description>
      <Code guid="85D17F60-7BB0-481E-B742-B4861DD669DF" name="Word of mouth" isCodable="false"/>
    </Code>
    <Code guid="D2C1E38E-5220-42FA-A442-908471CC7964" name="使用问题" isCodable="true"/>
  </Codes>
  <Sets><Set guid="7988DAC2-ADBD-4258-A81E-71489189F5B5" name="s"/></Sets>
</CodeBook>
"""


def test_qdc_from_another_program_gets_ids_by_label_and_pinyin(sample_project, tmp_path):
    path = tmp_path / "other.qdc"
    path.write_text(OTHER_TOOL_QDC, encoding="utf-8")
    read = refi.read_qdc(path, existing=sample_project.codebook())
    codes = read.codebook.by_id()
    # 使用问题 is ours by its label; the others get ids from pinyin or words.
    assert list(codes) == ["shu_zi_hong_gou", "shu_zi_hong_gou.word_of_mouth", "problems"]
    top = read.codebook.codes[0]
    assert (top.label, top.color, top.description) == ("数字鸿沟", "#aabbcc", "老年人用不了")
    assert read.guids["problems"] == "D2C1E38E-5220-42FA-A442-908471CC7964"
    assert read.codebook.name == sample_project.codebook().name  # a .qdc names no codebook


def test_codebook_import_merges_by_guid_when_another_program_dropped_our_block(
    sample_project, tmp_path
):
    qdc = tmp_path / "codebook.qdc"
    refi.export_codebook(sample_project, qdc)
    text = qdc.read_text(encoding="utf-8")
    # Another program kept GUIDs but lost our block, and relabelled one code.
    stripped = re.sub(
        r"(\n\n)?--- qualcode ---\n.*?</Description>", "</Description>", text, flags=re.DOTALL
    )
    stripped = stripped.replace('name="使用与知晓度"', 'name="知晓度"')
    edited = tmp_path / "edited.qdc"
    edited.write_text(stripped, encoding="utf-8")
    before = sample_project.codebook()
    with pytest.raises(MergeConflictError) as raised:
        refi.import_codebook(sample_project, edited, merge=True)
    assert [(c.code_id, c.field) for c in raised.value.merge.conflicts] == [
        ("problems.awareness", "label")
    ]
    assert sample_project.codebook() == before  # nothing written

    result = refi.import_codebook(sample_project, edited, merge=True, prefer="theirs")
    after = sample_project.codebook().by_id()
    assert result.codes == 22 and set(after) == set(before.by_id())
    assert after["problems.awareness"].label == "知晓度"
    assert after["problems.awareness"].keywords == before.by_id()["problems.awareness"].keywords


def test_replacing_the_codebook_refuses_to_orphan_codings(sample_project, tmp_path):
    sentence = sample_project.transcript("A01").sentences[3]
    sample_project.add_coding(
        "A01_zhang", sentence.start, sentence.end, "problems.security", "wang"
    )
    path = tmp_path / "other.qdc"
    path.write_text(OTHER_TOOL_QDC, encoding="utf-8")
    with pytest.raises(ProjectError, match="problems.security"):
        refi.import_codebook(sample_project, path)
    result = refi.import_codebook(sample_project, path, merge=True)
    assert result.codes == 24  # 22 + two new ones; 使用问题 matched problems by label


def test_an_empty_codebook_cannot_be_a_qdc(tmp_path):
    with (
        init_project(tmp_path / "empty") as project,
        pytest.raises(ExchangeError, match="no codes"),
    ):
        refi.export_codebook(project, tmp_path / "x.qdc")
    assert not (tmp_path / "x.qdc").exists()


# --- projects (.qdpx): our own round trip -------------------------------------------------------------

EMOJI_CRLF = "编号：A07\r\n访谈者：你用过吗？😀\r\n受访者：用过👍🏽，挺好的，就是江城办老闪退。\r\n"


@pytest.fixture
def coded_study(sample_project_dir, tmp_path):
    """The sample study with codings by two coders, memos of every kind, a numeric attribute,
    a suggested coding, and one more transcript with emoji and CRLF line ends."""
    extra = tmp_path / "A07_sun.txt"
    extra.write_bytes(EMOJI_CRLF.encode("utf-8"))
    with Project.open(sample_project_dir) as project:
        import_files(project, [extra])
        s = project.transcript("A01").sentences
        project.add_coding(
            "A01_zhang",
            s[11].start,
            s[11].end,
            "problems.awareness",
            "wang",
            memo="不知道网站\n第二行 🙂",
        )
        project.add_coding("A01_zhang", s[11].start, s[11].end, "problems.awareness", "li")
        project.add_coding("A01_zhang", s[3].start, s[6].end, "problems", "li")
        project.add_imported_codings(
            [Coding(0, "A02_li", 100, 160, "problems.security", "wang", status="suggested")]
        )
        text = project.transcript("A07").text
        start = text.index("江城办")
        project.add_coding("A07_sun", start, start + 6, "problems.stability", "wang")
        project.add_coding("A07_sun", text.index("👍"), text.index("，挺"), "problems", "li")
        project.set_transcript_memo("A01_zhang", "wang", "整体印象：积极")
        project.set_transcript_memo("A01_zhang", "li", "li 的备忘")
        project.add_imported_memo(
            None, "wang", "研究日志\n第一周", created="2024-05-01T09:00:00+0800"
        )
        project.set_attributes({"A01_zhang": {"age": "63"}, "A02_li": {"age": "35"}})
    return sample_project_dir


def test_qdpx_export_validates_and_round_trips_the_sample_study(coded_study, tmp_path):
    archive = tmp_path / "study.qdpx"
    with Project.open(coded_study) as project:
        report = refi.export_qdpx(project, archive)
    assert (report.codes, report.transcripts, report.codings, report.coders) == (22, 7, 5, 2)
    assert report.skipped == [
        "1 suggested or rejected codings (REFI-QDA has confirmed codings only)"
    ]
    qde = validate_qdpx(archive)

    result = refi.import_qdpx(archive, tmp_path / "back")
    assert result.codings == 5 and not result.missing_sources and not result.skipped
    with Project.open(coded_study) as ours, Project.open(tmp_path / "back") as back:
        assert back.codebook() == ours.codebook()
        assert back.transcript_names() == ours.transcript_names()
        for name in ours.transcript_names():
            a, b = ours.transcript(name), back.transcript(name)
            assert (b.text, b.turns, b.header, b.metadata) == (
                a.text,
                a.turns,
                a.header,
                a.metadata,
            )
        assert coding_rows(back) == coding_rows(ours)
        assert back.attributes() == ours.attributes()
        assert back.attribute_names() == ours.attribute_names()
        assert back.coders() == ours.coders() == ["li", "wang"]
        assert back.memos() == ours.memos()
        assert back.case_transcripts() == ours.case_transcripts()
        again = tmp_path / "again.qdpx"
        refi.export_qdpx(back, again)
    # Exported, imported, exported again: the same document, GUIDs included.
    stamp = re.compile(rb' creationDateTime="[^"]*"')
    first_line = re.compile(rb"<Project [^>]*>")
    same = [
        first_line.sub(lambda m: stamp.sub(b"", m.group()), d) for d in (qde, validate_qdpx(again))
    ]
    assert same[0].decode().splitlines() == same[1].decode().splitlines()


def test_qdpx_positions_are_code_points_into_the_written_text(coded_study, tmp_path):
    archive = tmp_path / "study.qdpx"
    with Project.open(coded_study) as project:
        refi.export_qdpx(project, archive)
        stored = project.transcript("A07").text
    assert "\r" not in stored  # line ends normalised on import; the export writes \n
    root = ElementTree.fromstring(qde_of(archive))
    ns = {"q": refi.NS_PROJECT}
    source = next(
        s for s in root.iterfind("q:Sources/q:TextSource", ns) if s.get("name") == "A07_sun"
    )
    with zipfile.ZipFile(archive) as opened:
        text = opened.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
    assert text == stored
    spans = {
        text[int(s.get("startPosition")) : int(s.get("endPosition"))]
        for s in source.iterfind("q:PlainTextSelection", ns)
    }
    assert spans == {"江城办老闪退", "👍🏽"}  # the emoji and its skin tone: 2 code points


def test_qdpx_carries_memos_users_cases_and_integer_variables(coded_study, tmp_path):
    archive = tmp_path / "study.qdpx"
    with Project.open(coded_study) as project:
        refi.export_qdpx(project, archive)
    root = ElementTree.fromstring(qde_of(archive))
    ns = {"q": refi.NS_PROJECT}
    users = {u.get("name"): u.get("guid") for u in root.iterfind("q:Users/q:User", ns)}
    assert set(users) == {"li", "wang"}
    variables = {
        v.get("name"): v.get("typeOfVariable") for v in root.iterfind("q:Variables/q:Variable", ns)
    }
    assert variables["age"] == "Integer" and variables["gender"] == "Text"
    case = next(c for c in root.iterfind("q:Cases/q:Case", ns) if c.get("name") == "A01_zhang")
    assert case.find("q:SourceRef", ns) is not None
    assert {n.find("q:PlainTextContent", ns).text for n in root.iterfind("q:Notes/q:Note", ns)} == {
        "不知道网站\n第二行 🙂",
        "整体印象：积极",
        "li 的备忘",
        "研究日志\n第一周",
    }
    assert len(root.findall("q:NoteRef", ns)) == 1  # the project memo
    coding = root.find(".//q:Coding/q:NoteRef/..", ns)
    assert coding.get("creatingUser") == users["wang"]


def test_export_refuses_another_file_ending(sample_project, tmp_path):
    with pytest.raises(ExchangeError, match=r"\.qdpx"):
        refi.export_qdpx(sample_project, tmp_path / "study.zip")


# --- samples from other programs ------------------------------------------------------------------------


def count_elements(path: Path, tag: str) -> int:
    return len(re.findall(rf"<{tag}[\s>/]".encode(), qde_of(path)))


def test_atlas_ti_sample_imports_what_is_there_and_reports_what_is_missing(tmp_path):
    assert (count_elements(ATLAS, "Code"), count_elements(ATLAS, "Coding")) == (14, 16)
    result = refi.import_qdpx(ATLAS, tmp_path / "atlas")
    assert result.origin.startswith("ATLAS.ti 8.4.0")
    assert result.codes == 14
    assert result.transcripts == [] and result.codings == 0  # the archive holds no source text
    # 6 text sources and 2 PDF text representations are referenced, none included.
    assert len(result.missing_sources) == 8
    assert any(
        m.startswith("Simon.docx: internal://C1C745F7") and "3 codings not imported" in m
        for m in result.missing_sources
    )
    # Every one of the 16 codings is accounted for: 7 on missing text sources, 2 on a missing
    # PDF text, 4 on PDF pages, 2 on a picture, 1 on a video.
    said = "\n".join(result.missing_sources + result.skipped)
    assert sum(int(n) for n in re.findall(r"(\d+) codings? (?:not imported|on it)", said)) + 4 == 16
    assert "4 selections on its pages (4 codings)" in said
    assert "16 sets: qualcode has no sets" in result.skipped
    with Project.open(tmp_path / "atlas") as project:
        codes = project.codebook().by_id()
        assert codes["feelings"].description == "thoughts about breakfast foods"
        assert codes["coke_diet_coke"].label == "Coke::diet Coke"
        assert codes["happiness"].color == "#f00082"
        assert codes["cornflakes"].description == "breakfast cereal made by Kellogg’s"
        assert project.coders() == ["ATLAS.ti", "Friedrich Markgraf", "Sebastian Petrausch"]
        memos = project.memos()
        assert [m["transcript"] for m in memos] == [None, None]
        assert memos[0]["text"].startswith("Research Plan\n\nday to day log")
        assert memos[0]["coder"] == "Friedrich Markgraf"
        assert project.exchange_guids("code")["milk"] == "C3C7D437-6932-4B14-A55D-30B7F811BBF3"
        # What we took in, we can write out, valid and with the other program's GUIDs.
        refi.export_qdpx(project, tmp_path / "atlas.qdpx")
    assert b"C3C7D437-6932-4B14-A55D-30B7F811BBF3" in validate_qdpx(tmp_path / "atlas.qdpx")


@pytest.mark.skipif(not NVIVO.exists(), reason=AGPL_SKIP)
def test_nvivo_sample_imports_its_code_tree(tmp_path):
    assert count_elements(NVIVO, "Code") == 262
    result = refi.import_qdpx(NVIVO, tmp_path / "nvivo")
    assert (result.codes, len(result.transcripts), result.codings) == (262, 2, 0)
    assert not result.missing_sources
    with Project.open(tmp_path / "nvivo") as project:
        book = project.codebook()
        assert [c.label for c in book.codes][:3] == [
            "rq1_definition",
            "rq2_curriculum_and_instruction",
            "rq3_process",
        ]
        assert book.by_id()["rq1_definition.competencies.programming"].label == "programming"
        assert project.coders() == ["chrisp", "cp"]
        # NVivo wrote each source's plain text as a single line end (the .docx holds the rest).
        assert {project.transcript(n).text for n in project.transcript_names()} == {"\n"}


@pytest.mark.skipif(not QC.exists(), reason=AGPL_SKIP)
def test_qc_sample_imports_every_coding_at_its_place(tmp_path):
    assert (
        count_elements(QC, "Code"),
        count_elements(QC, "Coding"),
        count_elements(QC, "PlainTextSelection"),
    ) == (262, 205, 158)
    result = refi.import_qdpx(QC, tmp_path / "qc")
    assert (result.codes, result.codings, result.coders) == (262, 205, ["cp"])
    assert not result.skipped and not result.missing_sources
    assert result.reading == Reading() and result.reading_evidence == ""  # nothing to decide
    with zipfile.ZipFile(QC) as archive:
        texts = {
            Path(n).stem: archive.read(n).decode("utf-8")
            for n in archive.namelist()
            if n.startswith("sources/")
        }
    # What the sample does: plain ASCII, LF line ends, so every reading of positions agrees.
    assert all(t.isascii() and "\r" not in t for t in texts.values())
    root = ElementTree.fromstring(qde_of(QC))
    ns = {"q": refi.NS_PROJECT}
    expected = sorted(
        (
            Path(source.get("plainTextPath")).stem,
            int(sel.get("startPosition")),
            int(sel.get("endPosition")),
        )
        for source in root.iterfind("q:Sources/q:TextSource", ns)
        for sel in source.iterfind("q:PlainTextSelection", ns)
        for _ in sel.iterfind("q:Coding", ns)
    )
    with Project.open(tmp_path / "qc") as project:
        codings = project.codings()
        assert sorted((c.transcript, c.start, c.end) for c in codings) == expected
        assert all(c.text == texts[c.transcript][c.start : c.end] for c in codings)
        refi.export_qdpx(project, tmp_path / "qc.qdpx")
    validate_qdpx(tmp_path / "qc.qdpx")
    again = refi.import_qdpx(tmp_path / "qc.qdpx", tmp_path / "qc2")
    assert again.codings == 205


# --- positions: code points or UTF-16, CRLF as two or one ----------------------------------------------

CODE_GUID = "6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0001"


def project_xml(sources: str, *, extra: str = "", doctype: str = "", name: str = "test") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}'
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="{name}" origin="test">'
        '<Users><User guid="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002" name="coder"/></Users>'
        f'<CodeBook><Codes><Code guid="{CODE_GUID}" name="闪退" isCodable="true"/>'
        f"</Codes></CodeBook><Sources>{sources}</Sources>{extra}</Project>"
    )


def text_source(selections: list[tuple[int, int, str]], path: str = "internal://s.txt") -> str:
    parts = []
    for start, end, name in selections:
        label = f' name="{name}"' if name else ""
        parts.append(
            f'<PlainTextSelection guid="{uuid.uuid4()}"{label} startPosition="{start}" '
            f'endPosition="{end}"><Coding guid="{uuid.uuid4()}" '
            'creatingUser="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002">'
            f'<CodeRef targetGUID="{CODE_GUID}"/></Coding></PlainTextSelection>'
        )
    return (
        f'<TextSource guid="{uuid.uuid4()}" name="访谈.txt" plainTextPath="{path}">'
        + "".join(parts)
        + "</TextSource>"
    )


def make_qdpx(path: Path, qde: str | bytes, files: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


RAW = "访谈者：你用过吗？😀\r\n受访者：用过👍🏽，就是老闪退。\r\n访谈者：🙂好的，还有什么问题？\r\n受访者：页面字太小。"
TARGETS = ["用过👍🏽", "老闪退", "还有什么问题", "页面字太小"]


def positions(reading: Reading, target: str) -> tuple[int, int]:
    text = RAW.replace("\r\n", "\n") if reading.crlf_one else RAW

    def units(s: str) -> int:
        return len(s.encode("utf-16-le")) // 2 if reading.utf16 else len(s)

    at = text.index(target)
    return units(text[:at]), units(text[:at]) + units(target)


@pytest.mark.parametrize(
    "reading",
    [Reading(False, False), Reading(True, False), Reading(False, True), Reading(True, True)],
    ids=str,
)
def test_positions_are_read_as_the_writing_program_counted_them(reading, tmp_path):
    """Selection names (the quoted text, as ATLAS.ti and others write them) tell the readings
    apart; each is mapped onto the stored text, whose line ends are \\n."""
    selections = [(*positions(reading, t), t) for t in TARGETS]
    archive = make_qdpx(
        tmp_path / "p.qdpx",
        project_xml(text_source(selections)),
        {"sources/s.txt": RAW.encode("utf-8")},
    )
    result = refi.import_qdpx(archive, tmp_path / "p")
    assert result.reading == reading
    assert result.reading_evidence.startswith("4 of 4 selection names match")
    with Project.open(tmp_path / "p") as project:
        assert project.transcript("访谈").text == RAW.replace("\r\n", "\n")
        assert [c.text for c in project.codings()] == TARGETS


def test_without_names_positions_default_to_the_standard_and_can_be_told(tmp_path):
    utf16 = Reading(utf16=True)
    selections = [(*positions(utf16, t), "") for t in TARGETS[:2]]
    archive = make_qdpx(
        tmp_path / "p.qdpx",
        project_xml(text_source(selections)),
        {"sources/s.txt": RAW.encode("utf-8")},
    )
    guessed = refi.import_qdpx(archive, tmp_path / "guessed")
    assert guessed.reading == Reading()  # no evidence: code points, CRLF as two
    told = refi.import_qdpx(archive, tmp_path / "told", units="utf16", line_ends="as-written")
    assert told.reading == utf16 and told.reading_evidence == ""
    with Project.open(tmp_path / "told") as project:
        assert [c.text for c in project.codings()] == TARGETS[:2]


def test_a_selection_that_does_not_fit_is_reported_not_imported(tmp_path):
    archive = make_qdpx(
        tmp_path / "p.qdpx",
        project_xml(text_source([(2, 4, ""), (5, 999, ""), (7, 7, "")])),
        {"sources/s.txt": "受访者：没有。".encode()},
    )
    result = refi.import_qdpx(archive, tmp_path / "p")
    assert result.codings == 1
    assert any("2 selections (and their codings) do not fit" in s for s in result.skipped)


def test_position_map_never_cuts_a_character():
    mapping = refi.position_map("a😀\r\nb", Reading(utf16=True))
    # a | 😀 (two units) | \r | \n | b  ->  stored "a😀\nb"
    assert list(mapping) == [0, 1, -1, 2, 2, 3, 4]
    assert refi.position_map("plain text", Reading()) is None


# --- hostile input: refused, clearly, leaving nothing --------------------------------------------------


def assert_refused(archive: Path, tmp_path: Path, match: str, **options) -> None:
    before = set(tmp_path.iterdir())
    with pytest.raises(ExchangeError, match=match) as raised:
        refi.import_qdpx(archive, tmp_path / "new", **options)
    assert not (tmp_path / "new").exists()
    assert set(tmp_path.iterdir()) == before  # no half-built project beside it either
    assert str(archive) in str(raised.value)


XXE = '<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
LAUGHS = (
    '<!DOCTYPE Project [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">'
        for i in range(9)
    )
    + "]>\n"
)


@pytest.mark.parametrize(
    ("doctype", "name"),
    [(XXE, "&xxe;"), (LAUGHS, "&lol8;")],
    ids=["external-entity", "billion-laughs"],
)
def test_xml_with_entities_is_refused(doctype, name, tmp_path):
    archive = make_qdpx(tmp_path / "evil.qdpx", project_xml("", doctype=doctype, name=name))
    assert_refused(archive, tmp_path, "declares a document type or entities")


def test_a_qdc_with_an_external_entity_is_refused_and_changes_nothing(sample_project, tmp_path):
    path = tmp_path / "evil.qdc"
    path.write_text(
        OTHER_TOOL_QDC.replace(
            "<CodeBook", XXE.replace("Project", "CodeBook") + "<CodeBook"
        ).replace("数字鸿沟", "&xxe;"),
        encoding="utf-8",
    )
    before = sample_project.codebook()
    with pytest.raises(ExchangeError, match="declares a document type"):
        refi.import_codebook(sample_project, path)
    assert sample_project.codebook() == before


@pytest.mark.parametrize(
    ("member", "match"),
    [
        ("../evil.txt", r"outside the archive \('\.\.'\)"),
        ("sources/../../evil.txt", r"outside the archive"),
        ("/tmp/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
    ],
    ids=["dot-dot", "nested-dot-dot", "absolute", "drive-letter"],
)
def test_members_outside_the_archive_are_refused(member, match, tmp_path):
    archive = make_qdpx(
        tmp_path / "evil.qdpx",
        project_xml(text_source([])),
        {"sources/s.txt": b"text", member: b"evil"},
    )
    assert_refused(archive, tmp_path, match)


def test_a_symlink_member_is_refused(tmp_path):
    archive = make_qdpx(tmp_path / "evil.qdpx", project_xml(text_source([])))
    with zipfile.ZipFile(archive, "a") as opened:
        link = zipfile.ZipInfo("sources/s.txt")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        opened.writestr(link, "/etc/passwd")
    assert_refused(archive, tmp_path, "is a symbolic link")


def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path):
    archive = make_qdpx(
        tmp_path / "bomb.qdpx",
        project_xml(text_source([])),
        {"sources/s.txt": b"a" * (30 * 1024 * 1024)},
    )
    assert_refused(archive, tmp_path, "inflates .* times")


def test_an_archive_larger_than_the_limit_is_refused(tmp_path):
    text = "受访者：好。".encode() * 100_000  # 1.8 MB of varied enough text
    archive = make_qdpx(
        tmp_path / "big.qdpx", project_xml(text_source([])), {"sources/s.txt": text}
    )
    limits = ArchiveLimits(max_total=1024 * 1024, max_ratio=10**6)
    assert_refused(archive, tmp_path, "more than 1 MB", limits=limits)
    limits = ArchiveLimits(max_member=1024 * 1024, max_ratio=10**6)
    assert_refused(archive, tmp_path, "per member", limits=limits)


def test_a_binary_text_source_is_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    archive = make_qdpx(
        tmp_path / "evil.qdpx", project_xml(text_source([])), {"sources/s.txt": png}
    )
    assert_refused(archive, tmp_path, "is not text")


def test_sources_outside_the_archive_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    archive = make_qdpx(
        tmp_path / "p.qdpx",
        project_xml(
            text_source([(0, 3, "")], path=secret.as_uri())
            + text_source([(0, 3, "")], path="relative:///secret.txt")
        ),
    )
    result = refi.import_qdpx(archive, tmp_path / "p")
    assert result.transcripts == [] and len(result.missing_sources) == 2
    assert "outside the archive" in result.missing_sources[0]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not a zip at all", "not a REFI-QDA project archive"),
        (None, "no project.qde"),
    ],
)
def test_files_that_are_not_projects_are_refused(content, match, tmp_path):
    path = tmp_path / "x.qdpx"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    else:
        path.write_bytes(content)
    assert_refused(path, tmp_path, match)


def test_import_never_overwrites_a_folder(sample_project_dir, tmp_path):
    with pytest.raises(ExchangeError, match="already exists"):
        refi.import_qdpx(ATLAS, sample_project_dir)
    assert Project.open(sample_project_dir).transcript_names()


# --- the command line ------------------------------------------------------------------------------------


def test_cli_codebook_export_import_and_project_round_trip(sample_project_dir, tmp_path):
    out = run("codebook", "export", sample_project_dir, tmp_path / "cb.qdc").output
    assert "wrote 22 codes" in out
    run("codebook", "export", sample_project_dir, tmp_path / "cb.yaml")
    assert load_codebook(tmp_path / "cb.yaml") == Project.open(sample_project_dir).codebook()
    out = run("codebook", "import", sample_project_dir, tmp_path / "cb.qdc", "--merge").output
    assert "0 added, 0 blanks filled, 0 conflicts" in out

    out = run("export", sample_project_dir, tmp_path / "study.qdpx").output
    assert "22 codes, 6 transcripts, 0 codings" in out
    out = run("import-qdpx", tmp_path / "study.qdpx", tmp_path / "copy").output
    assert "22 codes, 6 transcripts" in out
    failed = run("import-qdpx", tmp_path / "study.qdpx", tmp_path / "copy", ok=False)
    assert failed.exit_code == 1 and "already exists" in failed.output


def test_cli_codebook_import_lists_conflicts_and_changes_nothing(sample_project_dir, tmp_path):
    theirs = load_codebook(SAMPLE_CODEBOOK)
    theirs.codes[0].label = "问题"
    from qualcode.codebook import save_codebook

    save_codebook(theirs, tmp_path / "theirs.yaml")
    result = run(
        "codebook", "import", sample_project_dir, tmp_path / "theirs.yaml", "--merge", ok=False
    )
    assert result.exit_code == 1
    assert "conflict: problems label: ours '使用问题', theirs '问题'" in result.output
    assert Project.open(sample_project_dir).codebook().codes[0].label == "使用问题"
    run(
        "codebook",
        "import",
        sample_project_dir,
        tmp_path / "theirs.yaml",
        "--merge",
        "--prefer",
        "theirs",
    )
    assert Project.open(sample_project_dir).codebook().codes[0].label == "问题"


def test_cli_import_qdpx_reports_missing_sources_and_refuses_hostile_files(tmp_path):
    out = run("import-qdpx", ATLAS, tmp_path / "atlas").output
    assert "14 codes, 0 transcripts" in out and "8 sources are referenced" in out
    evil = make_qdpx(tmp_path / "evil.qdpx", project_xml("", doctype=XXE, name="&xxe;"))
    result = run("import-qdpx", evil, tmp_path / "evil", ok=False)
    assert result.exit_code == 1 and result.output.startswith("error: ")
    assert "refused" in result.output and not (tmp_path / "evil").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["codebook", "export"],
        ["codebook", "import"],
        ["codebook", "merge"],
        ["export"],
        ["import-qdpx"],
    ],
)
def test_every_exchange_command_has_help(command):
    out = run(*command, "--help").output
    assert len(out.split("Options:")[0].strip().splitlines()) >= 3


# --- peers' files (issue 15): where QualCoder, qc and Taguette look ------------------------------


def test_memos_are_written_where_qualcoder_reads_them_and_come_back_once(coded_study, tmp_path):
    """A coding memo is the selection's Description (QualCoder) and a Note (the others); a
    transcript's memos are its source's Description (QualCoder) and Notes. Read back, each
    memo is there once."""
    archive = tmp_path / "study.qdpx"
    with Project.open(coded_study) as project:
        refi.export_qdpx(project, archive)
        memos = project.memos()
    root = ElementTree.fromstring(validate_qdpx(archive))
    ns = {"q": refi.NS_PROJECT}
    selection = root.find(".//q:PlainTextSelection/q:Coding/q:NoteRef/../..", ns)
    assert selection.find("q:Description", ns).text == "不知道网站\n第二行 🙂"
    source = next(
        s for s in root.iterfind("q:Sources/q:TextSource", ns) if s.get("name") == "A01_zhang"
    )
    assert source[0].tag == f"{{{refi.NS_PROJECT}}}Description"
    assert source.find("q:Description", ns).text == "wang: 整体印象：积极\n\nli: li 的备忘"
    refi.import_qdpx(archive, tmp_path / "back")
    with Project.open(tmp_path / "back") as back:
        assert back.memos() == memos
        assert [c.memo for c in back.codings() if c.memo] == ["不知道网站\n第二行 🙂"]


QUALCODER_QDE = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="qualcoder" origin="QualCoder 3.6"
 creationDateTime="2021-03-04T05:06:07+00:00Z">
<Users><User guid="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002" name="colin"/></Users>
<CodeBook><Codes><Code guid="{CODE_GUID}" name="闪退" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0003" name="访谈.txt"
 plainTextPath="internal://s.txt" creatingUser="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002"
 creationDateTime="2021-03-04T05:06:07+00:00Z">
<Description>受访者很配合</Description>
<PlainTextSelection guid="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0004" startPosition="4" endPosition="7"
 creatingUser="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002" creationDateTime="2022-01-02 03:04:05+08:00Z">
<Description>闪退的原因不明</Description>
<Coding guid="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0005" creatingUser="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002">
<CodeRef targetGUID="{CODE_GUID}"/></Coding></PlainTextSelection>
<PlainTextSelection guid="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0006" startPosition="0" endPosition="3"
 creatingUser="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002" creationDateTime="上周三">
<Coding guid="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0007" creatingUser="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002">
<CodeRef targetGUID="{CODE_GUID}"/></Coding></PlainTextSelection>
</TextSource></Sources></Project>"""


def test_a_qualcoder_project_keeps_its_dates_memos_and_says_which_date_it_could_not_read(tmp_path):
    archive = make_qdpx(
        tmp_path / "qc.qdpx", QUALCODER_QDE, {"sources/s.txt": "受访者：老闪退，烦。".encode()}
    )
    result = refi.import_qdpx(archive, tmp_path / "p")
    assert any("1 date could not be read (such as '上周三')" in w for w in result.warnings)
    with Project.open(tmp_path / "p") as project:
        assert project.meta("created") == "2021-03-04T05:06:07+0000"
        codings = {c.text: c for c in project.codings()}
        assert codings["老闪退"].created == "2022-01-02T03:04:05+0800"
        assert codings["老闪退"].memo == "闪退的原因不明"
        assert codings["受访者"].memo == ""
        memos = project.memos()
        assert [(m["transcript"], m["coder"], m["text"]) for m in memos] == [
            ("访谈", "colin", "受访者很配合")
        ]
        assert memos[0]["created"] == "2021-03-04T05:06:07+0000"


def test_the_creation_date_and_each_sources_format_survive_a_round_trip(
    sample_project_dir, tmp_path
):
    archive = tmp_path / "study.qdpx"
    with Project.open(sample_project_dir) as project:
        refi.export_qdpx(project, archive)
        created = project.meta("created")
        formats = {s.name: s.format for s in project.summaries()}
    assert {"docx", "md"} <= set(formats.values())
    validate_qdpx(archive)
    refi.import_qdpx(archive, tmp_path / "back")
    with Project.open(tmp_path / "back") as back:
        assert back.meta("created") == created
        assert {s.name: s.format for s in back.summaries()} == formats


QC_RAW = "Interviewer: hello\r\nRespondent: the app crashes\r\nInterviewer: when?\r\nRespondent: always\r\n"


def qc_qdpx(path: Path) -> Path:
    """An archive as qc writes it: a CRLF source, one selection per coded line named line:N,
    positions counting each CRLF as one character (qc reads lines in text mode)."""
    lines = QC_RAW.replace("\r\n", "\n").splitlines(keepends=True)
    starts = [sum(len(line) for line in lines[:i]) for i in range(len(lines))]
    selections = "".join(
        f'<PlainTextSelection guid="{uuid.uuid4()}" name="line:{i}" startPosition="{starts[i]}" '
        f'endPosition="{starts[i] + len(lines[i])}"><Coding guid="{uuid.uuid4()}" '
        'creatingUser="6F0D8C52-2F2C-4E1B-9C55-2E1B5D0A0002">'
        f'<CodeRef targetGUID="{CODE_GUID}"/></Coding></PlainTextSelection>'
        for i in (1, 3)
    )
    qde = project_xml(
        f'<TextSource guid="{uuid.uuid4()}" name="interview.txt" '
        f'plainTextPath="internal://s.txt">{selections}</TextSource>'
    ).replace('origin="test"', 'origin="qc 1.3.2"')
    return make_qdpx(path, qde, {"sources/s.txt": QC_RAW.encode()})


def test_a_qc_export_on_crlf_text_is_read_with_crlf_as_one_and_can_be_overridden(tmp_path):
    archive = qc_qdpx(tmp_path / "qc.qdpx")
    result = run("import-qdpx", archive, tmp_path / "auto")
    assert "CRLF counted as one" in result.output and "written by qc 1.3.2" in result.output
    with Project.open(tmp_path / "auto") as project:
        assert [c.text for c in project.codings()] == [
            "Respondent: the app crashes\n",
            "Respondent: always\n",
        ]
    run("import-qdpx", archive, tmp_path / "told", "--line-ends", "as-written")
    with Project.open(tmp_path / "told") as project:  # one character early per line before
        assert [c.text for c in project.codings()] == [
            "\nRespondent: the app crashes",
            "?\nRespondent: alwa",
        ]


DUPLICATES_YAML = """qualcode_codebook: 1
name: 重名
codes:
  - id: staff
    label: 工作人员
    children:
      - id: staff.attitude
        label: 态度
  - id: site
    label: 网站
    children:
      - id: site.attitude
        label: 态度
"""


def test_duplicate_labels_are_warned_about_and_taguette_gets_unique_tags(tmp_path):
    book = tmp_path / "dup.yaml"
    book.write_text(DUPLICATES_YAML, encoding="utf-8")
    checked = run("codebook", "validate", book)
    assert "valid, 4 codes" in checked.output
    assert (
        "the label '态度' is used by 2 codes (staff.attitude, site.attitude): QualCoder, "
        "Taguette and ATLAS.ti need every label unique"
    ) in checked.output
    run("init", tmp_path / "p", "--codebook", book)
    exported = run("export", tmp_path / "p", tmp_path / "p.qdpx")
    assert "warning: the label '态度' is used by 2 codes" in exported.output
    validate_qdpx(tmp_path / "p.qdpx")
    qdc = run("codebook", "export", tmp_path / "p", tmp_path / "p.qdc")
    assert "need every label unique" in qdc.output
    CODEBOOK_SCHEMA.validate(str(tmp_path / "p.qdc"))
    written = run("codebook", "export", tmp_path / "p", tmp_path / "tags.csv")
    assert "QualCoder, Taguette and ATLAS.ti need every label unique" in written.output
    rows = list(csv.reader(io.StringIO((tmp_path / "tags.csv").read_text("utf-8-sig"))))
    assert rows == [
        ["tag", "parent", "description", "number of highlights"],
        ["工作人员", "", "", "0"],
        ["态度 (staff.attitude)", "工作人员", "", "0"],
        ["网站", "", "", "0"],
        ["态度 (site.attitude)", "网站", "", "0"],
    ]


def test_codebook_csv_is_what_taguettes_codebook_import_reads(sample_project_dir, tmp_path):
    """Read as Taguette's ``import_codebook.list_tags_csv`` reads a file: the header lower-cased,
    the tag path from the ``tag`` column, ``parent`` and ``description`` by name; every tag
    unique (Taguette keeps only the first of a name), every parent a tag before it."""
    out = tmp_path / "codebook.csv"
    with Project.open(sample_project_dir) as project:
        project.add_coding("A01_zhang", 0, 4, "problems.awareness", "wang")
        codebook = project.codebook()
    run("codebook", "export", sample_project_dir, out)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Taguette's detector and Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = [cell.lower() for cell in rows[0]]
    tag, parent, description = (header.index(c) for c in ("tag", "parent", "description"))
    seen: list[str] = []
    for row in rows[1:]:
        assert row[tag].strip() and row[tag] not in seen
        assert row[parent] == "" or row[parent] in seen
        seen.append(row[tag])
    by_id = {c.id: c for c, _, _ in codebook.walk()}
    assert seen == [c.label for c, _, _ in codebook.walk()]
    awareness = next(r for r in rows if r[tag] == by_id["problems.awareness"].label)
    assert awareness[parent] == by_id["problems"].label
    assert awareness[description] == by_id["problems.awareness"].description
    assert awareness[3] == "1"
