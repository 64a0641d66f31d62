"""What the store hands back: plain records of a project's rows."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import ParsedTranscript, Span, Turn
from ..reanchor import Opcode, ReanchorReport


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """An action undone or redone: its name as logged ("code", "uncode", "memo", "add code",
    "accept 3" ...), whose it was ("" for an old entry whose coder the log cannot tell), the
    code it concerned and where it began ("" and 0 when it has no such place)."""

    action: str
    coder: str
    code_id: str = ""
    transcript: str = ""
    sentence: int = 0  # 1-based, of `transcript`
    transcripts: tuple[str, ...] = ()  # every transcript whose codings or memos it changed


@dataclass(frozen=True, slots=True)
class CodebookEntry:
    """One change to the working codebook (see :mod:`qualcode.codes`): ``action`` (add,
    rename, edit, move, reorder, merge, split, delete, codebook, start), the code it concerned
    by its id before, the other code (new id, merged or split into, new parent), how many
    codings it moved or deleted, and ``details`` (labels, fields) to describe it with. ``coder``,
    ``created`` and ``id`` are filled in once it is recorded."""

    action: str
    code_id: str = ""
    target_id: str = ""
    codings: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    coder: str = ""
    created: str = ""
    id: int = 0


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int  # 1-based, as shown to users
    start: int
    end: int
    turn: int  # 0-based index into the transcript's turns
    speaker: str
    text: str


class Sentences(Sequence[Sentence]):
    """A transcript's sentences in text order, as a read-only sequence of `Sentence`.

    Kept as arrays (``starts``, ``ends``, ``turn_indices``: code-point offsets and 0-based
    turn numbers) and made into a `Sentence` only when one is read: a 3-million-character
    transcript has about 100,000 sentences, of which a screen shows a few dozen. Indexing,
    slicing (a list), iteration, ``len`` and ``==`` work as on a list of `Sentence`."""

    __slots__ = ("_text", "_turns", "ends", "starts", "turn_indices")

    def __init__(
        self,
        text: str,
        starts: Sequence[int],
        ends: Sequence[int],
        turn_indices: Sequence[int],
        turns: Sequence[Turn],
    ) -> None:
        self._text = text
        self._turns = turns
        self.starts = starts
        self.ends = ends
        self.turn_indices = turn_indices

    def _sentence(self, i: int) -> Sentence:
        start, end, turn = self.starts[i], self.ends[i], self.turn_indices[i]
        return Sentence(
            i + 1,
            start,
            end,
            turn,
            self._turns[turn].speaker if self._turns else "",
            self._text[start:end],
        )

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int | slice) -> Any:  # Sentence, or a list for a slice
        if isinstance(index, slice):
            return [self._sentence(i) for i in range(*index.indices(len(self.starts)))]
        count = len(self.starts)
        i = index + count if index < 0 else index
        if not 0 <= i < count:
            raise IndexError(f"sentence index {index} out of range (there are {count})")
        return self._sentence(i)

    def __iter__(self) -> Iterator[Sentence]:
        return map(self._sentence, range(len(self.starts)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal by content, like a list

    def __repr__(self) -> str:
        return f"<Sentences: {len(self.starts)}>"


@dataclass(slots=True)
class TranscriptSummary:
    name: str
    format: str
    turns: int
    sentences: int
    characters: int
    coded_sentences: int
    codings: int
    case: str = ""  # the respondent's case (the transcript's name when it has none)
    attributes: dict[str, str] = field(default_factory=dict)  # the case's, in column order

    @property
    def percent_coded(self) -> float:
        return 100.0 * self.coded_sentences / self.sentences if self.sentences else 0.0


@dataclass(frozen=True, slots=True)
class Memo:
    """One memo, wherever it is written: on a ``coding`` (its transcript, span, code and the
    coded text in ``quote``), on a ``transcript``, on a ``code`` or on the whole ``project``."""

    kind: str  # "coding", "transcript", "code" or "project"
    coder: str
    text: str
    changed: str
    transcript: str = ""
    start: int = 0
    end: int = 0
    code_id: str = ""
    coding_id: int = 0
    quote: str = ""


@dataclass(slots=True)
class StoredTranscript:
    """A transcript as the store holds it, with its turns, sentences and word boundaries."""

    id: int
    name: str
    text: str
    hash: str
    format: str
    source_path: str
    metadata: dict[str, str]
    header: Span | None
    turns: list[Turn]
    sentences: Sentences  # a read-only sequence of Sentence, built as they are read
    word_ends: array = field(repr=False)
    speakers: list[Speaker] = field(default_factory=list)  # in order of first appearance

    def words(self) -> list[Span]:
        """Word spans tiling the text."""
        starts = [0, *self.word_ends[:-1]]
        return [Span(s, e) for s, e in zip(starts, self.word_ends, strict=True)]


@dataclass(frozen=True, slots=True)
class Speaker:
    """A speaker of one transcript: ``role`` (see :mod:`qualcode.roles`), ``role_set`` when
    the researcher set it (else it is the import's guess), the ``description`` a bracketed
    label gave, and how many ``turns`` they have."""

    name: str
    role: str
    description: str = ""
    turns: int = 0
    role_set: bool = False


@dataclass(slots=True)
class ImportResult:
    name: str
    status: str  # "added", "unchanged", "replaced"; "waiting": attributes, no transcript yet;
    # "duplicate": skipped, its text is that of transcript ``duplicate_of``
    turns: int = 0
    sentences: int = 0
    segmented: bool = False  # False when the segmentation came from the cache
    warnings: list[str] = field(default_factory=list)
    reanchored: ReanchorReport | None = None  # for "replaced": where its codings went
    speakers: list[Speaker] = field(default_factory=list)  # with their roles, as stored
    duplicate_of: str = ""  # for "duplicate": the transcript that has the same text


@dataclass(slots=True)
class PreparedImport:
    """A transcript checked and segmented (by :func:`qualcode.pipeline.prepare`), ready to be
    written in one transaction by :meth:`Project.store_import`. ``words`` and ``sentences``
    are int32 arrays (or their bytes): word ends, and (start, end, turn) per sentence."""

    name: str
    parsed: ParsedTranscript
    source_path: str
    hash: str
    signature: str
    replaces: int | None  # the id of the transcript of the same name it replaces
    unchanged: bool = False
    segmented: bool = False  # False when the segmentation came from the cache
    words: bytes | array = b""
    sentences: bytes | array = b""
    old_hash: str = ""  # the replaced text's hash when ``opcodes`` were computed
    opcodes: list[Opcode] | None = None  # its diff to the new text, for re-anchoring codings


@dataclass(slots=True)
class CodingRecord:
    """One coding as a codings file carries it; ``line`` is where it was read from."""

    transcript: str
    start: int
    end: int
    code_id: str
    transcript_hash: str = ""
    text: str = ""
    memo: str = ""
    status: str = "confirmed"
    line: int | None = None


@dataclass(slots=True)
class CodingsImport:
    """What :meth:`Project.import_codings` did: codings added, already present, and those it
    could not place, each with the reason."""

    added: int = 0
    unchanged: int = 0
    unplaced: list[tuple[CodingRecord, str]] = field(default_factory=list)
