"""Operations on a study that join the readers, the segmenter and the store: create a
project, import transcript files, read respondent attributes. The CLI and the TUI call
these; nothing here knows about either."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable
from pathlib import Path, PurePath, PureWindowsPath
from typing import TYPE_CHECKING

from .errors import AttributesError, ProjectError
from .progress import SILENT, Progress
from .store import ImportResult, Project, building_beside

if TYPE_CHECKING:
    from .model import ParsedTranscript
    from .segment import Segmenter


def init_project(
    folder: str | Path, codebook_path: str | Path | None = None, name: str | None = None
) -> Project:
    """Create a project, with the codebook from a YAML file if one is given.

    The codebook is validated before anything is written, so a bad file leaves no project.
    """
    codebook = None
    if codebook_path is not None:
        from .codebook import load_codebook

        codebook = load_codebook(codebook_path)
    project = Project.create(folder, name=name)
    if codebook is not None:
        project.set_codebook(codebook, source=Path(codebook_path).name)
    return project


def segmenter_for(project: Project) -> Segmenter:
    """The segmenter of this project: jieba's dictionary plus the codebook's keywords and the
    project's own ``userdict.txt``."""
    from .segment import Segmenter

    return Segmenter(user_words=project.user_words(), user_dict=project.user_dict_path())


def transcript_name(path: str | Path) -> str:
    """A transcript is named by its file stem (``A01_zhang`` for ``A01_zhang.txt``)."""
    return Path(path).stem


def sheet_case(cell: str, transcript_names: Collection[str]) -> str:
    """The case a participants-sheet cell names: the transcript it names by file name with or
    without extension, whatever dots the name holds (``2024.03.12_张女士.txt`` and
    ``2024.03.12_张女士`` both name the transcript of that file; a folder before it is
    ignored); for a transcript not imported yet, the name its file will give it (the cell
    without a transcript file extension such as .txt or .docx)."""
    from .transcripts import SUPPORTED_SUFFIXES

    cell = cell.strip()
    name = PureWindowsPath(cell).name  # splits on / and \ both
    path = PurePath(name)
    for candidate in (cell, name, path.stem):
        if candidate in transcript_names:
            return candidate
    return path.stem if path.suffix.lower() in SUPPORTED_SUFFIXES else name


def import_files(
    project: Project,
    paths: Iterable[str | Path],
    attributes: str | Path | None = None,
    speakers: Collection[str] | None = None,
    progress: Progress = SILENT,
    *,
    allow_duplicates: bool = False,
) -> list[ImportResult]:
    """Read, segment and store each file (through :mod:`qualcode.pipeline`), and set
    respondent attributes from a table: all of it in one transaction, so a bad file or a bad
    row anywhere leaves the project as it was; ``progress`` hears how far it has got.
    Returns one result per file, then one with status ``waiting`` per row of the table whose
    transcript is not in the project yet (its case keeps the attributes until it comes).
    ``speakers`` declares the speaker labels of every file (see :func:`preview_files`).

    A file whose text is already in the project under another name (or comes earlier in the
    same import) is the same interview saved twice: it is skipped, with status ``duplicate``
    and ``duplicate_of`` naming the transcript that has the text, unless ``allow_duplicates``.
    """
    from . import pipeline
    from .transcripts import read_transcript

    by_name = _files_by_name(paths)
    table = (
        read_attributes(attributes, {*project.transcript_names(), *by_name})
        if attributes is not None
        else None
    )
    declared = list(speakers) if speakers is not None else None
    # Segmenting is the slow part: done before the transaction, so other writers wait less.
    prepared = pipeline.prepare(
        project,
        [
            pipeline.Source.file(name, path, lambda p: read_transcript(p, declared))
            for name, path in by_name.items()
        ],
        progress=progress,
    )
    duplicates = {} if allow_duplicates else _duplicates(project, prepared)
    with project.transaction():
        written = iter(
            pipeline.write(
                project, [p for p in prepared if p.item.name not in duplicates], progress=progress
            )
        )
        results = [duplicates.get(p.item.name) or next(written) for p in prepared]
        if table is not None:
            project.set_attributes(table)
            # Rows for respondents not imported yet: cases whose attributes wait for them.
            known = set(project.transcript_names())
            results += [ImportResult(case, "waiting") for case in table if case not in known]
    return results


def _duplicates(project: Project, prepared: list) -> dict[str, ImportResult]:
    """The prepared texts (:class:`qualcode.pipeline.Prepared`) that are already in the
    project under another name, or earlier in ``prepared``: name -> its ``duplicate`` result."""
    holder = {}
    for name, digest in project.transcript_hashes().items():
        holder.setdefault(digest, name)
    found = {}
    for p in prepared:
        item = p.item
        other = holder.setdefault(item.hash, item.name)
        if other != item.name and not item.unchanged:
            found[item.name] = ImportResult(item.name, "duplicate", duplicate_of=other)
    return found


def preview_files(
    paths: Iterable[str | Path], speakers: Collection[str] | None = None
) -> list[tuple[str, ParsedTranscript]]:
    """Each file read as an import would read it, by transcript name: turns, speakers and
    warnings, nothing written. ``speakers`` declares the labels: exactly these names start
    turns (for a file whose labels the structure does not show)."""
    from .transcripts import read_transcript

    return [(name, read_transcript(path, speakers)) for name, path in _files_by_name(paths).items()]


def _files_by_name(paths: Iterable[str | Path]) -> dict[str, Path]:
    by_name: dict[str, Path] = {}
    for path in map(Path, paths):
        name = transcript_name(path)
        if name in by_name and by_name[name] != path:
            raise ProjectError(
                f"two files would both be named {name!r}: {by_name[name]} and {path}; "
                "rename one of them"
            )
        by_name[name] = path
    return by_name


def read_attributes(path: str | Path, transcript_names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Read a respondent table: one row per respondent; the column named ``transcript`` (or
    else the first column) names the transcript by its file name, with or without extension
    (see :func:`sheet_case`), the other columns are that case's attributes. Returns case name
    -> {attribute: value} in column order; a row naming none of ``transcript_names`` is a
    case waiting for its transcript, which joins it when it is imported."""
    from .transcripts import decode

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AttributesError(
            f"cannot read the attributes table: {error.strerror}", path=path
        ) from error
    text, _ = decode(data, path)
    dialect = csv.excel_tab if path.suffix.lower() in (".tsv", ".tab") else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)  # "": \r, \r\n and \n end rows
    try:
        rows = list(reader)
    except csv.Error as error:
        raise AttributesError(
            f"this is not a readable table: {error}", path=path, line=reader.line_num
        ) from error
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise AttributesError("the table is empty; its first row must name the columns", path=path)
    header = [cell.strip() for cell in rows[0]]
    key = header.index("transcript") if "transcript" in header else 0
    if len(set(header)) != len(header):
        raise AttributesError(f"the header names a column twice: {header}", path=path, line=1)
    names = set(transcript_names)
    table: dict[str, dict[str, str]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise AttributesError(
                f"this row has {len(row)} cells but the header has {len(header)}",
                path=path,
                line=line,
            )
        if not row[key].strip():
            raise AttributesError(
                f"the {header[key]!r} cell is empty: name the transcript file this row is about",
                path=path,
                line=line,
            )
        case = sheet_case(row[key], names)
        if case in table:
            raise AttributesError(f"{case} has a second row here", path=path, line=line)
        table[case] = {
            column: cell.strip() for i, (column, cell) in enumerate(zip(header, row)) if i != key
        }
    return table


SAMPLE_PLACES = (
    Path(__file__).resolve().parent / "sample",  # an installed wheel carries it here
    Path(__file__).resolve().parents[1],  # a checkout: the repository's own folders
)
"""Where the sample study's ``codebooks/`` and ``transcripts/`` are found, first match wins."""


def sample_study_files() -> tuple[Path, list[Path], Path]:
    """The sample study shipped with qualcode: (codebook, transcripts, participants table)."""
    for root in SAMPLE_PLACES:
        codebook = root / "codebooks" / "gov_service.yaml"
        folder = root / "transcripts"
        if codebook.is_file() and folder.is_dir():
            break
    else:
        raise ProjectError(
            "the sample study is missing from this installation of qualcode (looked in "
            f"{SAMPLE_PLACES[0]}); reinstall qualcode, or open your own project: "
            "qualcode tui PROJECT"
        )
    transcripts = sorted(p for p in folder.iterdir() if p.suffix in (".txt", ".md", ".docx"))
    return codebook, transcripts, folder / "participants.csv"


SAMPLE_NAME = "政务服务网公众使用研究（示例）"


def create_sample_project(folder: str | Path, name: str | None = None) -> Project:
    """Create the sample study as a new project in ``folder`` (missing or empty) and return
    it open: its codebook, six transcripts and the participants' attributes, imported.

    It is built in a temporary folder and moved into place, so an interrupted build leaves
    no half-imported project behind.
    """
    folder = Path(folder)
    if (folder / "qualcode.db").exists():
        raise ProjectError(
            "a project already exists here; open it instead of creating it", path=folder
        )
    if folder.is_dir() and any(folder.iterdir()):
        raise ProjectError(
            "this folder is not empty; give a new or empty folder for the sample study", path=folder
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    codebook, transcripts, participants = sample_study_files()
    with (
        building_beside(folder, "building") as building,
        init_project(building, codebook, name=name or SAMPLE_NAME) as project,
    ):
        import_files(project, transcripts, participants)
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Project.open(folder)


def open_sample_project(folder: Path) -> Project:
    """Open the sample study's project in ``folder``, creating and importing it on first use."""
    if (folder / "qualcode.db").exists():
        return Project.open(folder)
    return create_sample_project(folder)
