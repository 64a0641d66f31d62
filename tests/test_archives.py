"""The archive guard (qualcode/archives.py): every .docx, .xlsx, .qdpx and .qdc qualcode reads
is checked before anything parses it, and a zip bomb is refused early and cheaply.

The bombs are real files: a raw deflate stream of 1.5 GB of one byte repeated (1.5 MB), in
a zip whose headers either say so (refused from the headers) or lie that the member is 1 KB
(refused while inflating: the output passes 200 times the compressed bytes read). Each is fed
to the real reader of its type and to the command a researcher would type. The refusal is
measured, not timed: the bytes the guard inflated before refusing (the work done) and the
peak of Python's allocations (tracemalloc) are asserted; docs/benchmarks.md has the wall-clock
times and whole-process memory from benchmarks/archives.py.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode import surveys
from qualcode.archives import Archive, ArchiveLimits, checked_copy, read_limited
from qualcode.cli import main
from qualcode.errors import ArchiveError, ProjectError, QualcodeError, TranscriptError
from qualcode.exchange import refi
from qualcode.exchange.codings import read_codings
from qualcode.exchange.refi import ExchangeError
from qualcode.study import init_project
from qualcode.transcripts import read_docx

from .conftest import SAMPLE_CODEBOOK, SAMPLE_TRANSCRIPTS

MB = 1024 * 1024
BOMB_MB = 1500  # what the issue measured: 6 MB of .docx inflating to 1.5 GB


# --- building bombs (also used by benchmarks/archives.py) -----------------------------------


def deflated_run(megabytes: int, byte: bytes = b"a") -> bytes:
    """A raw deflate stream of ``megabytes`` MB of ``byte``, built in milliseconds: after a
    full flush, each further megabyte compresses to the same bytes, so they are repeated."""
    one_mb = byte * MB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(one_mb) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(one_mb) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (megabytes - 1) + compressor.flush()


def raw_zip(members: list[tuple[str, bytes, int, int, int]], entries: int | None = None) -> bytes:
    """A zip of (name, compressed bytes, zip method, size the headers claim, CRC) members;
    ``entries`` is the member count the end record claims (default: the true one)."""
    out, directory = bytearray(), bytearray()
    for name, data, method, size, crc in members:
        encoded, offset = name.encode(), len(out)
        out += (
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
            )
            + encoded
            + data
        )
        directory += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    count = len(members) if entries is None else entries
    return bytes(
        out
        + directory
        + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(out), 0)
    )


def stored(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    return name, data, zipfile.ZIP_STORED, len(data), zlib.crc32(data)


DOCX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
    b'2006/content-types"/>'
)


def bomb(kind: str, *, lying: bool, megabytes: int = BOMB_MB) -> bytes:
    """A .docx, .xlsx or .qdpx whose main member inflates to ``megabytes`` MB; its headers
    claim that size, or (``lying``) 1 KB."""
    member = {
        "docx": "word/document.xml",
        "xlsx": "xl/worksheets/sheet1.xml",
        "qdpx": "sources/s.txt",
    }[kind]
    others = {
        "docx": [stored("[Content_Types].xml", DOCX_TYPES)],
        "xlsx": [stored("[Content_Types].xml", DOCX_TYPES)],
        "qdpx": [stored("project.qde", b'<Project name="p"/>')],
    }[kind]
    claimed = 1024 if lying else megabytes * MB
    return raw_zip([*others, (member, deflated_run(megabytes), zipfile.ZIP_DEFLATED, claimed, 0)])


def qdc_bomb(path: Path, megabytes: int = BOMB_MB) -> Path:
    """A .qdc of ``megabytes`` MB that takes no disk: a codebook's start, then a sparse hole."""
    with open(path, "wb") as handle:
        handle.write(b'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>')
        handle.truncate(megabytes * MB)
    return path


def billion_laughs() -> bytes:
    entities = "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10 if i else "lol" * 10}">' for i in range(10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE CodeBook [{entities}]>'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="&l9;" guid="x"/>'
        "</Codes></CodeBook>"
    ).encode()


def measured(action: Callable[[], object]) -> tuple[QualcodeError, int]:
    """The qualcode error ``action`` raised and the peak of Python's allocations meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(QualcodeError) as raised:
            action()
        return raised.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- a bomb of each type, through its real reader ------------------------------------------


def _qdpx_import(path: Path, tmp_path: Path) -> Callable[[], object]:
    return lambda: refi.import_qdpx(path, tmp_path / "new")


READERS: dict[
    str, tuple[str, type[QualcodeError], Callable[[Path, Path], Callable[[], object]]]
] = {
    "docx": (".docx", TranscriptError, lambda p, t: lambda: read_docx(p)),
    "xlsx survey": (".xlsx", ProjectError, lambda p, t: lambda: surveys.read_rows(p)),
    "xlsx codings": (".xlsx", QualcodeError, lambda p, t: lambda: read_codings(p)),
    "qdpx": (".qdpx", ExchangeError, _qdpx_import),
}


@pytest.mark.parametrize("lying", [False, True], ids=["honest-headers", "lying-headers"])
@pytest.mark.parametrize("reader", list(READERS))
def test_a_zip_bomb_is_refused_by_its_reader_cheaply(reader, lying, tmp_path):
    suffix, error_class, make = READERS[reader]
    path = tmp_path / f"bomb{suffix}"
    path.write_bytes(bomb(suffix.lstrip("."), lying=lying))
    import docx  # noqa: F401 - the libraries' own imports are not the guard's memory
    import openpyxl  # noqa: F401

    error, peak = measured(make(path, tmp_path))
    assert isinstance(error, error_class)
    assert str(path) in str(error) and "refused" in str(error)
    assert ("times its compressed size" if lying else "would inflate to 1500 MB") in str(error)
    assert peak < 40 * MB, f"{peak / MB:.0f} MB allocated to refuse a {BOMB_MB} MB bomb"
    assert not (tmp_path / "new").exists()


def test_the_guard_stops_inflating_a_lying_bomb_within_a_few_megabytes():
    archive = Archive("bomb.docx", data=bomb("docx", lying=True))  # the headers pass
    with pytest.raises(ArchiveError, match="'word/document.xml' inflates .* times"):
        archive.check_all()
    assert archive.inflated < 3 * MB  # of the 1,500 MB it holds


def test_honest_headers_are_refused_before_a_byte_is_inflated():
    with pytest.raises(ArchiveError, match="would inflate to 1500 MB"):
        Archive("bomb.docx", data=bomb("docx", lying=False))


def test_a_qdc_bomb_is_refused_by_its_size_without_reading_it(tmp_path, sample_project):
    path = qdc_bomb(tmp_path / "bomb.qdc")
    error, peak = measured(lambda: refi.read_qdc(path))
    assert isinstance(error, ExchangeError)
    assert f"{path}: refused: the file is {BOMB_MB} MB (the limit is 200 MB)" in str(error)
    assert peak < 10 * MB
    before = sample_project.codebook()
    with pytest.raises(ExchangeError):
        refi.import_codebook(sample_project, path)
    assert sample_project.codebook() == before


def test_a_qdc_entity_bomb_is_refused_without_expanding(tmp_path):
    path = tmp_path / "laughs.qdc"
    path.write_bytes(billion_laughs())  # 10^10 "lol"s if expanded
    error, peak = measured(lambda: refi.read_qdc(path))
    assert "declares a document type or entities" in str(error)
    assert peak < 10 * MB


# --- what a researcher sees: one line naming the file --------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    init_project(folder, SAMPLE_CODEBOOK).close()
    return folder


@pytest.mark.parametrize(
    ("command", "suffix"),
    [
        (["import", "{p}", "{f}"], ".docx"),
        (["import-survey", "{p}", "{f}"], ".xlsx"),
        (["import-codings", "{p}", "{f}", "--coder", "li"], ".xlsx"),
        (["import-qdpx", "{f}", "{new}"], ".qdpx"),
        (["codebook", "import", "{p}", "{f}"], ".qdc"),
    ],
    ids=["import", "import-survey", "import-codings", "import-qdpx", "codebook-import"],
)
def test_each_command_refuses_a_bomb_in_one_line(command, suffix, project, tmp_path):
    path = tmp_path / f"bomb{suffix}"
    if suffix == ".qdc":
        qdc_bomb(path)
    else:
        path.write_bytes(bomb(suffix.lstrip("."), lying=True))
    args = [a.format(p=project, f=path, new=tmp_path / "new") for a in command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and f"{path}: refused:" in lines[0], result.output
    assert "nothing was imported" in lines[0]


# --- each limit, counted while inflating ----------------------------------------------------


def deflated(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    """A deflated member whose headers tell the truth."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return (
        name,
        compressor.compress(data) + compressor.flush(),
        zipfile.ZIP_DEFLATED,
        len(data),
        zlib.crc32(data),
    )


def lying(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    """A deflated member whose headers claim 1 KB."""
    return deflated(name, data)[:3] + (1024, 0)


def incompressible(megabytes: int, seed: int) -> bytes:
    import random

    return random.Random(seed).randbytes(megabytes * MB)


def test_a_member_past_the_per_member_limit_is_stopped_whatever_its_header_says():
    data = raw_zip([lying("big.xml", incompressible(3, 1))])
    archive = Archive("a.xlsx", data=data, limits=ArchiveLimits(max_member=2 * MB))
    with pytest.raises(ArchiveError, match="'big.xml' inflates to more than 2 MB"):
        archive.check_all()
    assert archive.inflated <= 2 * MB + 1 * MB  # stopped within one step of the limit


def test_an_archive_past_the_total_limit_is_stopped_whatever_its_headers_say():
    honest = [deflated(f"m{i}.xml", incompressible(2, i)) for i in range(2)]
    data = raw_zip([*honest, lying("m2.xml", incompressible(2, 2))])  # claims 4 MB in all
    archive = Archive("a.qdpx", data=data, limits=ArchiveLimits(max_total=5 * MB))
    with pytest.raises(ArchiveError, match="the archive inflates to more than 5 MB"):
        archive.check_all()
    assert archive.inflated <= 6 * MB


def test_too_many_members_are_refused_before_zipfile_reads_the_directory():
    # The end record claims 60,000 members: refused from those 22 bytes.
    data = raw_zip([stored("a.txt", b"a")], entries=60_000)
    with pytest.raises(ArchiveError, match="has 60000 members \\(the limit is 20000\\)"):
        Archive("many.docx", data=data)
    real = raw_zip([stored(f"{i}.txt", b"a") for i in range(11)])
    with pytest.raises(ArchiveError, match="has 11 members"):
        Archive("many.docx", data=real, limits=ArchiveLimits(max_members=10))


def test_a_member_that_does_not_match_its_header_is_damaged():
    data = raw_zip([("a.txt", b"hello", zipfile.ZIP_STORED, 5, zlib.crc32(b"hellp"))])
    with pytest.raises(ArchiveError, match="damaged: member 'a.txt' does not match its header"):
        Archive("a.docx", data=data).check_all()


def test_a_member_compressed_in_a_method_no_office_program_writes_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_LZMA) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ArchiveError, match="zip method 14"):
        Archive("a.docx", data=buffer.getvalue()).check_all()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "the file is empty"),
        (b"PK\x03\x04" + bytes(100), "cut off or damaged: it starts as a zip archive"),
        (b"\x00\xff" * 500, "not a Word .docx file"),
    ],
)
def test_what_is_not_a_zip_is_named_for_what_it_should_be(tmp_path, data, match):
    path = tmp_path / "t.docx"
    path.write_bytes(data)
    with pytest.raises(TranscriptError, match=match):
        read_docx(path)


def test_real_files_pass_the_guard_unchanged(tmp_path):
    docx = next(p for p in SAMPLE_TRANSCRIPTS if p.suffix == ".docx")
    assert checked_copy(docx).getvalue() == docx.read_bytes()
    text, _ = read_docx(docx)
    assert "受访者" in text or len(text) > 100
    with Archive(docx) as archive:
        archive.check_all()
        assert archive.read_total == sum(i.file_size for i in archive.zip.infolist())


def test_read_limited_refuses_a_file_over_the_limit_before_reading(tmp_path):
    path = tmp_path / "big.qdc"
    path.write_bytes(b"x" * 2048)
    assert read_limited(path, 2048) == b"x" * 2048
    with pytest.raises(
        ArchiveError, match="refused: the file is 2,048 bytes \\(the limit is 2,047 bytes\\)"
    ):
        read_limited(path, 2047)
