"""The one guard for every archive qualcode reads: .docx transcripts, .xlsx surveys and
codings, REFI-QDA .qdpx projects (and, for the plain-file half, .qdc codebooks).

A zip file is untrusted input. A few megabytes can inflate to gigabytes (a zip bomb), its
headers can lie about sizes, a member can be named ``../../x`` or be a symbolic link, and a
central directory with millions of entries costs memory before a single byte is inflated.
So, before anything else reads an archive:

- the end-of-central-directory record is read first: too many members, or a central
  directory too large for that many, is refused before :mod:`zipfile` parses it;
- every member's name is checked (no ``..``, no absolute path or drive letter, no NUL), and
  symbolic links and encrypted members are refused;
- the sizes the headers claim are checked against :class:`ArchiveLimits` (cheap, early);
- then every member is inflated through :mod:`zlib` with a byte budget, counting what comes
  out — never trusting the headers: a member stops as soon as it passes the per-member limit,
  the archive's running total passes the total limit, or its output passes ``max_ratio``
  times the compressed bytes consumed so far. Output is counted and dropped, so checking a
  bomb needs a few megabytes whatever it claims to hold.

python-docx and openpyxl open zip files themselves, so they are given
:func:`checked_copy`: the file's bytes in memory, read once and checked whole, which is what
they then parse (no second read of a file that could have changed in between);
:func:`workbook_rows` does that for every .xlsx qualcode reads. REFI-QDA import checks every
member the same way on opening, then reads the ones it needs through :class:`Archive`,
counted again. A .qdc is plain XML: :func:`read_limited` refuses one larger than a member may
be before reading it, and the XML parser refuses entity declarations.

Refusals raise the caller's error class (a transcript error for a .docx, an exchange error
for a .qdpx …) naming the file and what is wrong; nothing here knows about the CLI or TUI.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Self

from .errors import ArchiveError, QualcodeError

MB = 1024 * 1024
_CHUNK = 256 * 1024  # compressed bytes fed to zlib at a time
# The most zlib may give back for one call: 256 KB of a bomb would otherwise be 256 MB at once.
_STEP = 1 * MB


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """What an archive may hold before it is refused as a possible zip bomb. The defaults
    fit every real .docx, .xlsx and .qdpx by a wide margin: a 300-interview project is tens of
    megabytes of XML and text, and real XML compresses 5 to 30 times, not 200."""

    max_total: int = 500 * MB  # all members, inflated
    max_member: int = 200 * MB  # one member, inflated
    max_members: int = 20_000
    max_ratio: int = 200  # inflated / compressed bytes of one member ...
    ratio_from: int = 1 * MB  # ... checked once it has inflated more than this


DEFAULT_LIMITS = ArchiveLimits()


def _size(n: int) -> str:
    return f"{n // MB} MB" if n >= MB else f"{n:,} bytes"


def _refuse(error: type[QualcodeError], path: Path, message: str) -> QualcodeError:
    return error(f"refused: {message}; nothing was imported", path=path)


class Archive:
    """A zip archive opened for reading under :class:`ArchiveLimits`.

    Opening it checks the member count, every member's name and kind and the sizes the
    headers claim; :meth:`read` and :meth:`check_all` then inflate members counting every
    byte. Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        data: bytes | None = None,
        limits: ArchiveLimits = DEFAULT_LIMITS,
        error: type[QualcodeError] = ArchiveError,
        not_an_archive: str = "not a zip archive",
    ) -> None:
        """``path`` names the file in messages; ``data`` holds its bytes when already read
        (else the file is opened). ``error`` is the class refusals are raised as;
        ``not_an_archive`` says what the file should have been, for a file that is no zip."""
        self.path = Path(path)
        self.limits = limits
        self.error = error
        self.read_total = 0  # bytes of the members inflated whole so far
        self.inflated = 0  # every byte inflated, a refused member's too: the work done
        self.members: dict[str, zipfile.ZipInfo] = {}  # casefolded name -> member
        try:
            self._handle: BinaryIO = io.BytesIO(data) if data is not None else open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise error("file not found", path=path) from None
        except OSError as problem:
            raise error(f"cannot read the file: {problem.strerror}", path=path) from None
        try:
            self._check_directory(not_an_archive)
            try:
                self.zip = zipfile.ZipFile(self._handle)
            except (
                zipfile.BadZipFile,
                zipfile.LargeZipFile,
                OSError,
                EOFError,
                ValueError,
                struct.error,
                UnicodeDecodeError,
                NotImplementedError,
            ) as problem:
                raise error(f"{not_an_archive} ({problem})", path=path) from None
            self._check_members()
        except BaseException:
            self._handle.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    def _refuse(self, message: str) -> QualcodeError:
        return _refuse(self.error, self.path, message)

    # --- before zipfile parses anything ---------------------------------------------------

    def _check_directory(self, not_an_archive: str) -> None:
        """Read the end-of-central-directory record and refuse too many members (or a
        directory too large for that many) before zipfile builds an object per entry."""
        handle = self._handle
        size = handle.seek(0, io.SEEK_END)
        if size == 0:
            raise self.error(f"the file is empty: {not_an_archive}", path=self.path)
        tail_size = min(size, 22 + 65_535 + 20)  # the record, its comment, a zip64 locator
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            handle.seek(0)
            if handle.read(4) == b"PK\x03\x04":
                raise self.error(
                    "the file is cut off or damaged: it starts as a zip archive "
                    "but its end (the table of contents) is missing; copy or "
                    "download it again",
                    path=self.path,
                )
            raise self.error(not_an_archive, path=self.path)
        entries, directory_size = struct.unpack("<H4xI", tail[at + 10 : at + 20])
        if (
            (entries == 0xFFFF or directory_size == 0xFFFFFFFF)
            and at >= 20
            and tail[at - 20 : at - 16] == b"PK\x06\x07"
        ):
            (zip64_offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
            if zip64_offset + 56 <= size:
                handle.seek(zip64_offset)
                record = handle.read(56)
                if record[:4] == b"PK\x06\x06":
                    entries, directory_size = struct.unpack("<QQ", record[32:48])
        limits = self.limits
        if entries > limits.max_members:
            raise self._refuse(
                f"the archive has {entries} members (the limit is {limits.max_members})"
            )
        # An entry is 46 bytes and its name, extra field and comment (each at most 64 KB);
        # real names are short, so allow 1 KB each on average.
        if directory_size > max(limits.max_members, 1) * 1024:
            raise self._refuse(
                f"its table of contents is {_size(directory_size)}, more "
                f"than {limits.max_members} members can need"
            )
        handle.seek(0)

    def _check_members(self) -> None:
        infos = self.zip.infolist()
        limits = self.limits
        if len(infos) > limits.max_members:
            raise self._refuse(
                f"the archive has {len(infos)} members (the limit is {limits.max_members})"
            )
        claimed = 0
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if "\x00" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name):
                raise self._refuse(f"member {info.filename!r} has an absolute path")
            if ".." in parts:
                raise self._refuse(f"member {info.filename!r} points outside the archive ('..')")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise self._refuse(f"member {info.filename!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise self._refuse(f"member {info.filename!r} is encrypted")
            # The headers' own claims, checked first because it is free; what members
            # really inflate to is counted in _inflate, whatever they claim.
            if info.file_size > limits.max_member:
                raise self._refuse(
                    f"member {info.filename!r} would inflate to "
                    f"{_size(info.file_size)} (the limit is "
                    f"{_size(limits.max_member)} per member)"
                )
            self._check_ratio(info, info.file_size, info.compress_size)
            claimed += info.file_size
            if claimed > limits.max_total:
                raise self._refuse(
                    f"the archive would inflate to more than {_size(limits.max_total)}"
                )
            if not info.is_dir():
                self.members[name.casefold()] = info

    def _check_ratio(self, info: zipfile.ZipInfo, inflated: int, compressed: int) -> None:
        limits = self.limits
        if inflated > limits.ratio_from and inflated > limits.max_ratio * max(compressed, 1):
            raise self._refuse(
                f"member {info.filename!r} inflates "
                f"{inflated // max(compressed, 1)} times its compressed size "
                f"(the limit is {limits.max_ratio}; a zip bomb?)"
            )

    # --- inflating, counted ----------------------------------------------------------------

    def find(self, *names: str) -> zipfile.ZipInfo | None:
        """The member with one of these paths (case-insensitively), first found."""
        for name in names:
            info = self.members.get(name.replace("\\", "/").lstrip("/").casefold())
            if info is not None:
                return info
        return None

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """A member's bytes, inflated within the limits (see :meth:`_inflate`)."""
        return b"".join(self._inflate(info))

    def check_all(self) -> None:
        """Inflate every member, counting and dropping the output: refuses an archive whose
        members really inflate beyond the limits, or are damaged."""
        for info in self.zip.infolist():
            for _ in self._inflate(info):
                pass

    def _inflate(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """Yield a member's bytes as they inflate, stopping with a refusal as soon as the
        member passes ``max_member``, the archive passes ``max_total``, or the output passes
        ``max_ratio`` times the compressed bytes read so far; a member whose bytes do not
        match its header (size or checksum) is reported as damaged."""
        limits = self.limits
        budget = min(limits.max_member, limits.max_total - self.read_total)
        size, crc = 0, 0
        for piece, consumed in self._raw_pieces(info):
            size += len(piece)
            self.inflated += len(piece)
            if size > budget:
                if self.read_total + size > limits.max_total:
                    raise self._refuse(
                        f"the archive inflates to more than "
                        f"{_size(limits.max_total)} (at member "
                        f"{info.filename!r})"
                    )
                raise self._refuse(
                    f"member {info.filename!r} inflates to more than "
                    f"{_size(limits.max_member)} (the limit is "
                    f"{_size(limits.max_member)} per member)"
                )
            self._check_ratio(info, size, consumed)
            crc = zlib.crc32(piece, crc)
            yield piece
        self.read_total += size
        if size != info.file_size or crc != info.CRC:
            raise self.error(
                f"the archive is damaged: member {info.filename!r} does not "
                "match its header (size or checksum)",
                path=self.path,
            )

    def _raw_pieces(self, info: zipfile.ZipInfo) -> Iterator[tuple[bytes, int]]:
        """(inflated bytes, compressed bytes consumed so far) of a member, read from its
        local header on: zlib for deflate, the raw bytes for stored members."""
        handle = self._handle
        try:
            handle.seek(info.header_offset)
            header = handle.read(30)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                raise ValueError("no local header")
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            handle.seek(info.header_offset + 30 + name_length + extra_length)
        except (OSError, ValueError, struct.error):
            raise self.error(
                f"the archive is damaged: member {info.filename!r} cannot be "
                "found where its header says",
                path=self.path,
            ) from None
        left = info.compress_size
        if info.compress_type == zipfile.ZIP_STORED:
            consumed = 0
            while left > 0 and (chunk := handle.read(min(_CHUNK, left))):
                left -= len(chunk)
                consumed += len(chunk)
                yield chunk, consumed
            return
        if info.compress_type != zipfile.ZIP_DEFLATED:
            # Word, Excel and every REFI-QDA program write deflate; nothing else is read.
            raise self.error(
                f"member {info.filename!r} is compressed with a method qualcode "
                f"does not read (zip method {info.compress_type}); save the file "
                "again with the program that made it",
                path=self.path,
            )
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        consumed = 0
        try:
            while not inflater.eof:
                if inflater.unconsumed_tail:
                    piece = inflater.decompress(inflater.unconsumed_tail, _STEP)
                elif left > 0 and (chunk := handle.read(min(_CHUNK, left))):
                    left -= len(chunk)
                    consumed += len(chunk)
                    piece = inflater.decompress(chunk, _STEP)
                else:
                    break
                if piece:  # the input zlib has not used yet is not consumed either
                    yield piece, consumed - len(inflater.unconsumed_tail)
            if not inflater.eof and (piece := inflater.flush()):
                yield piece, consumed  # output zlib held back (at most a window's worth)
        except (zlib.error, OSError, ValueError) as problem:
            raise self.error(
                f"the archive is damaged: member {info.filename!r} cannot be inflated ({problem})",
                path=self.path,
            ) from None


def checked_copy(
    path: str | Path,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    error: type[QualcodeError] = ArchiveError,
    not_an_archive: str = "not a zip archive",
) -> io.BytesIO:
    """The archive at ``path`` as an in-memory file, after every member has been inflated
    within ``limits`` (counted, dropped). Hand this, not the path, to a library that opens
    zip files itself (python-docx, openpyxl): what it parses is what was checked.

    Raises ``error`` naming the file: missing, unreadable, not a zip archive
    (``not_an_archive`` says what it should be), a member outside the archive, a symbolic
    link or encrypted, or inflating beyond the limits."""
    data = read_limited(path, limits.max_total, error=error)
    with Archive(
        path, data=data, limits=limits, error=error, not_an_archive=not_an_archive
    ) as archive:
        archive.check_all()
    return io.BytesIO(data)


def read_limited(
    path: str | Path, limit: int, *, error: type[QualcodeError] = ArchiveError
) -> bytes:
    """The bytes of the file at ``path``, refused (as ``error``, naming the file) when it is
    larger than ``limit`` bytes: checked before reading, and again while reading, for a file
    that grows."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, io.SEEK_END)
            if size > limit:
                raise _refuse(
                    error, path, f"the file is {_size(size)} (the limit is {_size(limit)})"
                )
            handle.seek(0)
            chunks, total = [], 0
            # In steps, not read(limit): that would set aside the whole limit at once.
            while total <= limit and (chunk := handle.read(min(_STEP, limit + 1 - total))):
                chunks.append(chunk)
                total += len(chunk)
            data = b"".join(chunks)
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except IsADirectoryError:
        raise error("this is a folder, not a file", path=path) from None
    except OSError as problem:
        raise error(f"cannot read the file: {problem.strerror}", path=path) from None
    if len(data) > limit:
        raise _refuse(error, path, f"the file is larger than {_size(limit)}")
    return data


def workbook_rows(
    path: str | Path,
    sheet: str | None = None,
    *,
    error: type[QualcodeError] = ArchiveError,
    hint: str = "save it again from Excel or WPS as .xlsx",
) -> list[tuple]:
    """The cell values of sheet ``sheet`` (default: the first) of the .xlsx at ``path``, row
    by row, read by openpyxl from a :func:`checked_copy`. Anything wrong (not a workbook,
    damaged, refused by the guard, no such sheet) raises ``error`` naming the file; ``hint``
    says how to fix a workbook that cannot be read."""
    import openpyxl

    checked = checked_copy(
        path,
        error=error,
        not_an_archive=(
            f"not an Excel workbook (an .xlsx is a zip archive; an old .xls, or another format "
            f"renamed?); {hint}"
        ),
    )
    try:
        book = openpyxl.load_workbook(checked, read_only=True, data_only=True)
    except Exception as problem:  # openpyxl fails with zipfile, XML, Key- and ValueErrors alike
        raise error(
            f"cannot read this as an Excel workbook ({type(problem).__name__}: {problem}); {hint}",
            path=path,
        ) from problem
    try:
        if not book.sheetnames:
            raise error(f"the workbook has no sheets; {hint}", path=path)
        if sheet is not None and sheet not in book.sheetnames:
            raise error(f"no sheet {sheet!r}; it has: {', '.join(book.sheetnames)}", path=path)
        try:
            return list(book[sheet or book.sheetnames[0]].iter_rows(values_only=True))
        except Exception as problem:  # a damaged sheet fails only when its rows are read
            raise error(
                f"cannot read the rows of the workbook ({type(problem).__name__}: "
                f"{problem}); {hint}",
                path=path,
            ) from problem
    finally:
        book.close()
