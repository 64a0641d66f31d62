"""Hostile and broken input: every reader ends in a clear qualcode error or a correct import.

Random bytes and truncated files in each input format, malformed YAML, gigantic lines, control,
zero-width and bidirectional characters, lone surrogates. "Clear error" means a QualcodeError
subclass (never a traceback); "correct import" means the stored text is the decoded file and
every turn, sentence and word is a valid span of it; a bad file in a batch leaves the project
exactly as it was. (YAML never builds Python objects: see
tests/test_codebook.py::test_python_tags_are_refused_and_nothing_runs.)
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import qualcode.study
from qualcode.codebook import load_codebook, parse_codebook
from qualcode.doctor import check_project
from qualcode.errors import AttributesError, CodebookError, QualcodeError, TranscriptError
from qualcode.model import ParsedTranscript
from qualcode.store import Project
from qualcode.study import import_files, read_attributes
from qualcode.transcripts import read_transcript

from .conftest import SAMPLE_CODEBOOK, SAMPLE_TRANSCRIPTS


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


HOSTILE = (
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, joiners, word joiner, BOM mid-text
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"  # bidi controls
    "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"  # what str.splitlines() also takes for line ends
    "\x1b\x07\x00\x7f\r\t"  # ESC, BEL, NUL, DEL, lone CR, tab
    "👩\u200d💻🇨🇳\u0301é\uff21\u3000"  # ZWJ emoji, flag, combining accent, full-width
)
TRANSCRIPT_PIECES = st.sampled_from(
    [
        "访谈者：",
        "受访者：",
        "**I:** ",
        "说话人1 00:00:03\n",
        "### 张三：\n",
        "编号：A01\n",
        "\n",
        "\n\n",
        "\r\n",
        "。",
        "，",
        "？",
        "我觉得",
        "江城办",
        "老是闪退",
        "（笑）",
    ]
)
HOSTILE_TEXT = st.lists(
    st.one_of(TRANSCRIPT_PIECES, st.sampled_from(list(HOSTILE)), st.text(max_size=8)),
    max_size=40,
).map("".join)


def outcome_of(reader, *args) -> object:
    """What a reader gave, or the QualcodeError it raised; any other exception fails."""
    try:
        return reader(*args)
    except QualcodeError as error:
        assert str(error) and "Traceback" not in str(error)
        return error


def check_parsed(parsed: ParsedTranscript) -> None:
    text = parsed.text
    assert text.strip()
    assert "\r" not in text
    text.encode("utf-8")  # no lone surrogates reach the store
    previous_end = 0
    for turn in parsed.turns:
        assert previous_end <= turn.start <= turn.body_start <= turn.end <= len(text)
        assert turn.start < turn.end
        previous_end = turn.end
    if parsed.header is not None:
        assert 0 <= parsed.header.start <= parsed.header.end <= len(text)


# --- the segmenter, loaded once for the imports here ----------------------------------------


@cache
def _segmenter():
    from qualcode.segment import Segmenter

    return Segmenter()


@pytest.fixture(autouse=True)
def shared_segmenter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qualcode.study, "segmenter_for", lambda project: _segmenter())


@contextmanager
def imported(files: list[Path]) -> Iterator[Project]:
    """A fresh project with ``files`` imported (raises what the import raises)."""
    with tempfile.TemporaryDirectory() as folder, Project.create(Path(folder) / "p") as project:
        import_files(project, files)
        yield project


def check_import(project: Project, paths: list[Path]) -> None:
    for path in paths:
        stored = project.transcript(path.stem)
        assert stored.text == read_transcript(path).text
        for sentence in stored.sentences:
            assert 0 <= sentence.start < sentence.end <= len(stored.text)
            assert stored.text[sentence.start : sentence.end] == sentence.text
            if stored.turns:
                turn = stored.turns[sentence.turn]
                assert turn.body_start <= sentence.start < sentence.end <= turn.end
        words = stored.words()
        assert words[0].start == 0 and words[-1].end == len(stored.text)
        assert all(a.end == b.start and a.start < a.end for a, b in pairwise(words))
    assert not [f for f in check_project(project.folder) if f.severity == "problem"]


def snapshot(project: Project) -> list[str]:
    return list(project.conn.iterdump())


# --- transcripts: random bytes in every format ----------------------------------------------


@fuzz(150)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".txt", ".md", ".docx"]))
@example(data=b"\xef\xbb\xbf", suffix=".txt")
@example(data=b"\xff\xfe\x00\xd8A\x00", suffix=".txt")  # UTF-16 with a lone surrogate
@example(data=b"PK\x03\x04" + b"\x00" * 60, suffix=".docx")
def test_random_bytes_read_or_raise_a_transcript_error(tmp_path, data: bytes, suffix: str):
    path = tmp_path / f"t{suffix}"
    path.write_bytes(data)
    result = outcome_of(read_transcript, path)
    if isinstance(result, QualcodeError):
        assert isinstance(result, TranscriptError) and str(path) in str(result)
    else:
        check_parsed(result)


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "受访者", "表格里的话"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@cache
def real_docx() -> bytes:
    return docx_bytes(["编号：A01", "访谈者：您好。", "受访者：我觉得江城办老是闪退。"] * 20)


@fuzz(60)
@given(
    cut=st.integers(0, 40_000),
    flips=st.lists(st.tuples(st.integers(0, 40_000), st.integers(0, 255)), max_size=8),
)
def test_truncated_or_damaged_docx_reads_or_raises(tmp_path, cut: int, flips):
    data = bytearray(real_docx())
    for offset, value in flips:
        if offset < len(data):
            data[offset] = value
    path = tmp_path / "t.docx"
    path.write_bytes(bytes(data[:cut]) if cut < len(data) else bytes(data))
    result = outcome_of(read_transcript, path)
    if isinstance(result, QualcodeError):
        assert isinstance(result, TranscriptError)
    else:
        check_parsed(result)


@fuzz(60)
@given(
    members=st.dictionaries(
        st.sampled_from(
            [
                "[Content_Types].xml",
                "word/document.xml",
                "_rels/.rels",
                "word/_rels/document.xml.rels",
                "docProps/core.xml",
                "junk.bin",
            ]
        ),
        st.one_of(
            st.binary(max_size=300),
            st.sampled_from([b"<", b"<?xml version='1.0'?><a/>", b"<w:document/>"]),
        ),
        max_size=5,
    )
)
def test_zip_junk_named_docx_raises_a_transcript_error(tmp_path, members: dict[str, bytes]):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    path = tmp_path / "t.docx"
    path.write_bytes(buffer.getvalue())
    result = outcome_of(read_transcript, path)
    assert isinstance(result, TranscriptError)


@cache
def sample_files() -> dict[str, bytes]:
    """The sample study's transcripts as bytes, plus A01 in UTF-16 and Big5 (what users send)."""
    files = {path.name: path.read_bytes() for path in SAMPLE_TRANSCRIPTS}
    a01 = read_transcript(SAMPLE_TRANSCRIPTS[0]).text
    files["A01_utf16.txt"] = a01.encode("utf-16")
    files["A01_big5.txt"] = a01.encode("big5", "replace")
    return files


@fuzz(80)
@given(name=st.sampled_from(sorted(sample_files())), fraction=st.floats(0, 1))
def test_truncated_real_files_in_every_format_read_or_raise(tmp_path, name: str, fraction: float):
    data = sample_files()[name]
    path = tmp_path / name
    path.write_bytes(data[: int(len(data) * fraction)])
    result = outcome_of(read_transcript, path)
    if isinstance(result, QualcodeError):
        assert isinstance(result, TranscriptError)
    else:
        check_parsed(result)


# --- transcripts: hostile characters, imported all the way ----------------------------------


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030"])


@fuzz(60)
@given(text=HOSTILE_TEXT, encoding=ENCODINGS, suffix=st.sampled_from([".txt", ".md"]))
@example(
    text="受访者：\u202e我觉得\u200d江城办\u2028老是闪退。\x0b\x1c（笑）\x85好的。",
    encoding="utf-8",
    suffix=".txt",
)
@example(
    text="访谈者：你好\u200f。\n\n受访者：👩\u200d💻\u0301\uff21，\x1b[31m红字\x1b[0m。",
    encoding="utf-16",
    suffix=".md",
)
def test_control_zero_width_and_bidi_characters_import_correctly_or_raise(
    tmp_path, text: str, encoding: str, suffix: str
):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    path = tmp_path / f"hostile{suffix}"
    path.write_bytes(data)
    parsed = outcome_of(read_transcript, path)
    if isinstance(parsed, QualcodeError):
        assert isinstance(parsed, TranscriptError)
        return
    check_parsed(parsed)
    with imported([path]) as project:
        check_import(project, [path])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le"])
@pytest.mark.parametrize(
    "surrogate",
    [chr(0xD800), chr(0xDFFF), chr(0xDC80) + chr(0xD800)],
    ids=["high", "low", "reversed-pair"],
)
def test_lone_surrogates_are_refused_or_never_reach_the_store(tmp_path, encoding, surrogate):
    boms = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32-le": b"\xff\xfe\x00\x00"}
    text = f"访谈者：你好。\n\n受访者：我觉得{surrogate}江城办老是闪退。\n"
    path = tmp_path / "s.txt"
    path.write_bytes(boms.get(encoding, b"") + text.encode(encoding, "surrogatepass"))
    parsed = outcome_of(read_transcript, path)
    if isinstance(parsed, QualcodeError):
        assert isinstance(parsed, TranscriptError)
        return
    check_parsed(parsed)  # decoded as something else (GB18030 reads most byte strings)
    with imported([path]) as project:
        check_import(project, [path])


def test_a_five_megabyte_line_without_a_newline_imports_whole(tmp_path):
    path = tmp_path / "giant.txt"
    path.write_bytes(("受访者：" + "我觉得这个网站很好用但是老是闪退" * 105_000).encode("utf-8"))
    assert path.stat().st_size > 5_000_000
    with imported([path]) as project:
        stored = project.transcript("giant")
        assert stored.text == path.read_text(encoding="utf-8")
        assert len(stored.turns) == 1 and stored.words()[-1].end == len(stored.text)


def test_a_line_of_five_megabytes_of_one_byte_ends_in_text_or_a_clear_error(tmp_path):
    for data in (b"a" * 5_000_000, b"\xe4\xb8\x80" * 1_700_000, b":" * 5_000_000):
        path = tmp_path / "one.txt"
        path.write_bytes(data)
        result = outcome_of(read_transcript, path)
        if not isinstance(result, QualcodeError):
            check_parsed(result)


# --- a bad file in a batch leaves the project as it was -------------------------------------


BAD_FILES = st.one_of(
    st.tuples(st.just(".txt"), st.binary(max_size=200).map(lambda b: b[:50] + b"\x00" + b[50:])),
    st.tuples(st.just(".docx"), st.binary(max_size=200).filter(lambda b: not b.startswith(b"PK"))),
    st.tuples(st.just(".md"), st.sampled_from([b"", b"   \n\n\t", b"\xef\xbb\xbf\r\n"])),
    st.tuples(st.just(".docx"), st.integers(1, 20_000).map(lambda n: real_docx()[:n])),
    st.tuples(st.just(".txt"), st.just(b"\xff\xfe\x00\xd8")),
)


@fuzz(25)
@given(bad=BAD_FILES, position=st.integers(0, 2))
def test_a_bad_file_in_a_batch_changes_nothing(sample_project, tmp_path, bad, position: int):
    suffix, data = bad
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    good = []
    for i, text in enumerate(["受访者：第一份，新的。\n", "访谈者：第二份？\n受访者：对。\n"]):
        path = folder / f"G{i}.txt"
        path.write_text(text, encoding="utf-8")
        good.append(path)
    changed = folder / "A01_zhang.txt"  # a re-import with codings, also rolled back
    changed.write_text("前言。\n" + sample_project.transcript("A01").text, encoding="utf-8")
    s = sample_project.sentence("A01", 4)
    sample_project.add_coding("A01", s.start, s.end, "problems.content", "wang")
    broken = folder / f"broken{suffix}"
    broken.write_bytes(data)
    assume(isinstance(outcome_of(read_transcript, broken), TranscriptError))
    batch = [*good, changed]
    batch.insert(position, broken)
    before = snapshot(sample_project)
    with pytest.raises(TranscriptError):
        import_files(sample_project, batch)
    assert snapshot(sample_project) == before


# --- codebooks: malformed YAML and random bytes ---------------------------------------------


SAMPLE_YAML = SAMPLE_CODEBOOK.read_text(encoding="utf-8")
YAML_PIECES = st.sampled_from(
    [
        ":",
        "- ",
        "  ",
        "\t",
        "\n",
        "&a ",
        "*a",
        "!!python/object:os.system",
        "!!binary ",
        "{",
        "}",
        "[",
        "]",
        "'",
        '"',
        "#",
        "? ",
        "---",
        "...",
        "%YAML 1.1\n",
        "<<: ",
        "|",
        ">",
        "id: x",
        "label: 标签",
        "codes:",
        "children:",
        "keywords: [",
        "\ufeff",
        "\x00",
        "\u202e",
        "\ud800",
    ]
)


@fuzz(200)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(st.one_of(YAML_PIECES, st.text(max_size=5)), max_size=40).map("".join),
        st.tuples(st.integers(0, len(SAMPLE_YAML)), st.lists(YAML_PIECES, max_size=3)).map(
            lambda cut: SAMPLE_YAML[: cut[0]] + "".join(cut[1]) + SAMPLE_YAML[cut[0] :]
        ),
        st.integers(0, len(SAMPLE_YAML)).map(lambda n: SAMPLE_YAML[:n]),
    )
)
def test_malformed_yaml_is_a_codebook_error_or_a_codebook(text: str):
    result = outcome_of(parse_codebook, text)
    if isinstance(result, QualcodeError):
        assert isinstance(result, CodebookError)
    else:
        assert result.name


@fuzz(100)
@given(data=st.binary(max_size=1000))
@example(data="qualcode_codebook: 1\nname: 测试\n".encode("utf-16"))
@example(data=b"qualcode_codebook: 1\nname: \xed\xa0\x80\n")  # a lone surrogate in UTF-8
def test_random_bytes_as_a_codebook_file(tmp_path, data: bytes):
    path = tmp_path / "book.yaml"
    path.write_bytes(data)
    result = outcome_of(load_codebook, path)
    assert not isinstance(result, QualcodeError) or isinstance(result, CodebookError)


@pytest.mark.parametrize(
    "yaml_text",
    [
        "[" * 50_000,
        "a: " * 50_000,
        "qualcode_codebook: 1\nname: x\ncodes:\n"
        + "  - id: a\n    label: "
        + "长" * 3_000_000
        + "\n",
        # "billion laughs": each alias doubles the one before; expanding them would never end
        "qualcode_codebook: 1\nname: x\ncodes:\n  - &c0 {id: a, label: b}\n"
        + "".join(
            f"  - &c{i} {{id: a{i}, label: b, children: [*c{i - 1}, *c{i - 1}]}}\n"
            for i in range(1, 40)
        ),
        "qualcode_codebook: 1\nname: x\ncodes:\n  - id: a\n    label: b\n    examples: &e [x, x]\n"
        + "".join(f"  - {{id: a{i}, label: b, examples: *e}}\n" for i in range(1, 2000)),
    ],
    ids=["deep", "colons", "long-label", "billion-laughs", "shared-alias"],
)
def test_pathological_yaml_ends_in_a_codebook_or_a_clear_error(yaml_text: str):
    outcome_of(parse_codebook, yaml_text)


# --- respondent tables ----------------------------------------------------------------------


@fuzz(100)
@given(
    data=st.one_of(
        st.binary(max_size=500),
        st.text(
            st.sampled_from(list('transcript,gender\nA01_zhang女男",\r\t\x00\u202e')), max_size=120
        ).map(lambda t: t.encode("utf-8")),
    )
)
def test_random_attribute_tables_read_or_raise_an_attributes_error(tmp_path, data: bytes):
    path = tmp_path / "people.csv"
    path.write_bytes(data)
    result = outcome_of(read_attributes, path, ["A01_zhang", "A02_li"])
    assert not isinstance(result, QualcodeError) or isinstance(
        result, (AttributesError, TranscriptError)
    )


def test_no_module_loads_yaml_with_a_loader_that_builds_objects():
    """The runtime proof is tests/test_codebook.py::test_python_tags_are_refused_and_nothing_runs;
    this keeps any other module from reaching for yaml.load and its object-building loaders."""
    import re

    import qualcode

    unsafe = re.compile(
        r"yaml\.(load|load_all|full_load|full_load_all|unsafe_load\w*)\(|"
        r"\b(Full|Unsafe)?Loader\b(?<!SafeLoader)|yaml\.Loader"
    )
    package = Path(qualcode.__file__).parent
    found = [
        f"{path.relative_to(package)}:{n}: {line.strip()}"
        for path in package.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if unsafe.search(line)
    ]
    assert not found, found
