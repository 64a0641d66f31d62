"""Plain data: what a study is made of. No I/O, no UI, no heavy imports.

All positions are Python string indices (Unicode code points) into a transcript's
stored text, half-open ``[start, end)``, the unit REFI-QDA's PlainTextSelection uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range ``[start, end)`` of code points in a text."""

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


KeywordMatch = Literal["word", "substring"]


@dataclass(slots=True)
class Code:
    """One theme of a codebook. ``id`` is stable; labels may change."""

    id: str
    label: str
    label_en: str = ""
    color: str = ""
    description: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    # Auto-coding rules (qualcode.autocode): keywords match whole words, or any substring;
    # patterns are regular expressions; token_patterns are spaCy Matcher patterns.
    match: KeywordMatch = "word"
    patterns: list[str] = field(default_factory=list)
    token_patterns: list[list[dict[str, Any]]] = field(default_factory=list)
    children: list[Code] = field(default_factory=list)


@dataclass(slots=True)
class Codebook:
    """A named tree of codes."""

    name: str
    codes: list[Code] = field(default_factory=list)
    language: str = "zh"
    description: str = ""

    def walk(self) -> Iterator[tuple[Code, Code | None, int]]:
        """Yield ``(code, parent, depth)`` for every code, depth first, in file order."""

        def visit(codes: list[Code], parent: Code | None, depth: int):
            for code in codes:
                yield code, parent, depth
                yield from visit(code.children, code, depth + 1)

        yield from visit(self.codes, None, 0)

    def by_id(self) -> dict[str, Code]:
        return {code.id: code for code, _, _ in self.walk()}

    def keywords(self) -> list[str]:
        """Every keyword of every code, in codebook order, without repeats."""
        return list(dict.fromkeys(k for code, _, _ in self.walk() for k in code.keywords))


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn. ``[start, end)`` covers the whole turn including its label
    and timestamp; ``body_start`` is where the spoken words begin. ``timestamp`` is the time
    as the source wrote it, ``seconds`` the turn's start time in seconds (None without one)."""

    start: int
    end: int
    speaker: str
    body_start: int
    timestamp: str = ""
    seconds: float | None = None

    @property
    def body(self) -> Span:
        return Span(self.body_start, self.end)


@dataclass(slots=True)
class ParsedTranscript:
    """What a reader makes of one source file: the stored text and its structure."""

    text: str
    format: str  # "txt", "md", "docx", "iflytek", "feishu", ...
    encoding: str
    turns: list[Turn]
    header: Span | None = None  # metadata block (编号, 时间, 地点 ...) kept apart from the turns
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # A speaker's description from a bracketed part of the label (受访者（女，35岁）：gives
    # "女，35岁" for 受访者); speakers without one are absent.
    speaker_descriptions: dict[str, str] = field(default_factory=dict)


CodingStatus = Literal["confirmed", "suggested", "rejected", "unplaced"]


@dataclass(slots=True)
class Coding:
    """A code applied by a coder to ``[start, end)`` of a transcript's text."""

    id: int
    transcript: str
    start: int
    end: int
    code_id: str
    coder: str
    memo: str = ""
    status: CodingStatus = "confirmed"
    text: str = ""
    created: str = ""
    changed: str = ""
    rule: str = ""  # for a suggestion: the rule that fired ("keyword:宣传", "learned:0.83")
    score: float | None = None  # for a learned suggestion: the classifier's probability
