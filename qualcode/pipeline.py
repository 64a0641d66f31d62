"""The one import path of every text a project stores: read → segment → write.

Transcript files (:func:`qualcode.study.import_files`), survey answers
(:func:`qualcode.surveys.import_survey`) and the sources of a REFI-QDA project
(:func:`qualcode.exchange.refi.import_qdpx`) all come in through here:

1. :func:`prepare` reads each source in turn, checks it against the project and segments it
   part by part (`Segmenter.segment_in_parts`), keeping only the packed int32 arrays of word
   ends and sentences, never a Python object per word: peak memory stays a few times the
   size of the largest text, however long. Nothing is written, so other writers do not wait
   while jieba runs.
2. :func:`write` stores what was prepared, in the caller's transaction (each row set is
   streamed to SQLite, not built as a list), with the store's own writes
   (`Project.store_import`).

A text segmented before with the same segmenter signature is not segmented again (the store
keeps segmentations by text hash), and a text that occurs twice in one import is segmented
once. Nothing here knows about the CLI or the TUI.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

from .progress import SILENT, Progress
from .reanchor import diff_texts
from .store import ImportResult, PreparedImport, Project

if TYPE_CHECKING:
    from .model import ParsedTranscript
    from .segment import Segmenter

READING = "reading and segmenting"
WRITING = "writing"


@dataclass(slots=True)
class Source:
    """One text to import: its transcript ``name``, how to ``read`` it (called once, when its
    turn comes, so only the text being segmented is held unpacked), where it came from, the
    ``case`` it belongs to (None: a case of its own name) and its ``size`` in the units
    progress counts (bytes of its file, or characters)."""

    name: str
    read: Callable[[], ParsedTranscript]
    source_path: str
    case: str | None = None
    size: int = 1

    @classmethod
    def parsed(
        cls, name: str, parsed: ParsedTranscript, source_path: str | Path, case: str | None = None
    ) -> Source:
        """A source already read (a survey answer, a REFI-QDA source)."""
        return cls(name, lambda: parsed, str(source_path), case, len(parsed.text) or 1)

    @classmethod
    def file(cls, name: str, path: Path, read: Callable[[Path], ParsedTranscript]) -> Source:
        """A transcript file, read by ``read`` when its turn comes."""
        try:
            size = path.stat().st_size or 1
        except OSError:
            size = 1  # the read will say what is wrong with it
        return cls(name, lambda: read(path), str(path), None, size)


@dataclass(slots=True)
class Prepared:
    """A source read and segmented, ready for :func:`write`."""

    item: PreparedImport
    case: str | None


def prepare(
    project: Project,
    sources: Iterable[Source],
    *,
    segmenter: Segmenter | None = None,
    progress: Progress = SILENT,
) -> list[Prepared]:
    """Read and segment each source, writing nothing; raise the first reading error.

    ``segmenter`` defaults to the project's (`qualcode.study.segmenter_for`), built only
    when some text needs segmenting. Changed text replaces the transcript of the same name;
    when codings point into the old text, the diff that carries them onto the new one is
    computed here, outside the write transaction. Progress: one stage over the sources'
    sizes, with ``done`` naming each source once it is prepared."""
    sources = list(sources)
    progress.start(READING, sum(s.size for s in sources))
    batch: dict[str, tuple[array | bytes, array | bytes]] = {}
    built: list[Segmenter] = [segmenter] if segmenter is not None else []

    def get_segmenter() -> Segmenter:
        if not built:
            from .study import segmenter_for

            built.append(segmenter_for(project))
        return built[0]

    prepared = []
    for source in sources:
        parsed = source.read()
        prepared.append(
            Prepared(
                _prepare_one(project, source, parsed, get_segmenter, batch, progress), source.case
            )
        )
        progress.advance(0, done=source.name)
    return prepared


def write(
    project: Project, prepared: Iterable[Prepared], *, progress: Progress = SILENT
) -> list[ImportResult]:
    """Store what :func:`prepare` made, in the caller's transaction (or one per text when
    there is none). Progress: one stage counting texts, ``done`` naming each."""
    prepared = list(prepared)
    progress.start(WRITING, len(prepared))
    results = []
    for item in prepared:
        results.append(project.store_import(item.item, case=item.case))
        progress.advance(1, done=item.item.name)
    return results


def import_sources(
    project: Project, sources: Iterable[Source], *, progress: Progress = SILENT
) -> list[ImportResult]:
    """:func:`prepare` then :func:`write` in one transaction: all the sources or none."""
    prepared = prepare(project, sources, progress=progress)
    with project.transaction():
        return write(project, prepared, progress=progress)


def _prepare_one(
    project: Project,
    source: Source,
    parsed: ParsedTranscript,
    segmenter: Callable[[], Segmenter],
    batch: dict[str, tuple[array | bytes, array | bytes]],
    progress: Progress,
) -> PreparedImport:
    text = parsed.text
    digest = sha256(text.encode("utf-8")).hexdigest()
    existing = project.stored_hash(source.name)
    if existing is not None and existing[1] == digest:
        progress.advance(source.size)
        return PreparedImport(
            source.name, parsed, source.source_path, digest, "", existing[0], unchanged=True
        )
    signature = segmenter().signature
    prepared = PreparedImport(
        source.name,
        parsed,
        source.source_path,
        digest,
        signature,
        existing[0] if existing else None,
    )
    if existing is not None and (old_text := project.coded_text(existing[0])) is not None:
        prepared.old_hash, prepared.opcodes = existing[1], diff_texts(old_text, text)
    cached = batch.get(digest) or project.stored_segmentation(digest, signature)
    if cached:
        prepared.words, prepared.sentences = cached
        progress.advance(source.size)
        return prepared
    words, sentences = array("i"), array("i")
    done = 0
    for part in segmenter().segment_in_parts(text, parsed.turns):
        words.extend(part.word_ends)
        for sentence in part.sentences:
            sentences.extend(sentence)
        advance = source.size * part.end // max(len(text), 1) - done
        done += advance
        progress.advance(advance)
    prepared.words, prepared.sentences, prepared.segmented = words, sentences, True
    batch[digest] = (words, sentences)
    return prepared
