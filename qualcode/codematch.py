"""Fuzzy matching of codes for the code picker: labels, ids, English labels and pinyin.

A researcher types a few keys and wants the code: ``xc`` or ``xuanchuan`` for 宣传推广,
``xxaq`` for 信息安全, ``secur`` for *Information security*, ``causes.pub`` for its id, or
the Chinese itself. :class:`CodeMatcher` prepares every code of a codebook once; each
:meth:`CodeMatcher.match` is then a handful of ``str`` methods per code: a few hundredths of
a millisecond for the sample codebook, about a millisecond at worst for three hundred codes.

Pinyin is the default reading of each character (pypinyin's phrase table settles heteronyms
such as 行为 xíngwéi); the initials are the first letters of those syllables, and a Latin word
inside a label (``App使用``) is kept whole in both. This module is core: no Textual here, and
pypinyin is imported only when a matcher is built.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from qualcode.model import Code, Codebook

MatchField = Literal["", "label", "initials", "pinyin", "id", "label_en"]
"""Which text of a code matched; ``""`` when the query was empty and every code matches."""

# How a query sits in a text, best first. Gaps are spaced so that a better kind always wins
# whatever the field, and the field bonus only orders matches of the same kind.
_EXACT, _PREFIX, _WORD_PREFIX, _ACRONYM, _SUBSTRING, _SUBSEQUENCE = 1000, 800, 700, 600, 500, 300
_SUBSEQUENCE_GAP_PENALTY = 2  # per character skipped, so tight subsequences rank first
_MAX_GAP_PENALTY = 100
_FIELD_BONUS: dict[str, int] = {"label": 40, "initials": 30, "id": 20, "label_en": 10, "pinyin": 0}
# Full pinyin is a long string of common letters: a substring or subsequence of it ("an",
# "ig") is noise, so it matches only at the start of a syllable.
_LOOSE_FIELDS = ("label", "initials", "id", "label_en")

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Match:
    """One code that matches a query: higher ``score`` is better."""

    code: Code
    score: int
    field: MatchField


@dataclass(frozen=True, slots=True)
class _Text:
    """One searchable text of a code, lower-cased, with the offsets where its later words
    start (the first word starts at 0, which a prefix match covers)."""

    field: MatchField
    text: str
    word_starts: frozenset[int]
    acronym: str = ""  # the first letters of the words, for "pbc" → Perceived behavioural control


def pinyin_words(text: str) -> list[str]:
    """The words of ``text`` as lower-case ASCII: one pinyin syllable (tone-less, default
    reading) per Chinese character, Latin letters and digits kept as words, the rest dropped.

    ``"App使用情况"`` gives ``["app", "shi", "yong", "qing", "kuang"]``.
    """
    return [word for word, _ in _tagged_words(text)]


def _tagged_words(text: str) -> list[tuple[str, bool]]:
    """:func:`pinyin_words`, each with whether it is the pinyin of a Chinese character."""
    from pypinyin import Style, lazy_pinyin  # imported late: it loads large dictionaries

    text = unicodedata.normalize("NFKC", text).lower()
    words: list[tuple[str, bool]] = []
    end = 0
    for run in _HAN_RUN.finditer(text):
        words += [(word, False) for word in _WORD.findall(text[end : run.start()])]
        # One call per run of Chinese so pypinyin's phrase table picks readings (行为 xing wei).
        for syllable in lazy_pinyin(run.group(), style=Style.NORMAL):
            # "ü" comes back as "v"; a character pypinyin does not know comes back unchanged.
            words += [(word, True) for word in _WORD.findall(syllable)]
        end = run.end()
    words += [(word, False) for word in _WORD.findall(text[end:])]
    return words


def suggest_code_id(label: str, parent_id: str | None = None, taken: Collection[str] = ()) -> str:
    """A code id for a new code: the label's pinyin (or English words) joined with ``_``,
    under ``parent_id.`` when given, with ``_2``, ``_3`` ... added if the id is ``taken``.

    ``suggest_code_id("数字鸿沟", "problems")`` gives ``"problems.shu_zi_hong_gou"``.
    """
    slug = "_".join(pinyin_words(label)) or "code"
    base = f"{parent_id}.{slug}" if parent_id else slug
    code_id, n = base, 1
    while code_id in taken:
        n += 1
        code_id = f"{base}_{n}"
    return code_id


def _words_text(field: MatchField, text: str) -> _Text:
    """A text whose words are separated by anything but letters and digits."""
    starts = [
        i for i, ch in enumerate(text) if ch.isalnum() and (i == 0 or not text[i - 1].isalnum())
    ]
    return _Text(field, text, frozenset(starts) - {0}, "".join(text[i] for i in starts))


def _joined(field: MatchField, words: Iterable[str]) -> _Text:
    """A text of words run together, as pinyin is typed."""
    text, starts = "", []
    for word in words:
        starts.append(len(text))
        text += word
    return _Text(field, text, frozenset(starts) - {0})


def _score(query: str, target: _Text) -> int:
    """How well ``query`` (lower-case, no spaces) matches one text of a code; 0 if not at all."""
    text = target.text
    at = text.find(query)
    if at == 0:
        kind = _EXACT if len(text) == len(query) else _PREFIX
    elif at > 0:
        kind = _SUBSTRING
        while at >= 0:
            if at in target.word_starts:
                kind = _WORD_PREFIX
                break
            at = text.find(query, at + 1)
    else:
        kind = 0
    loose = target.field in _LOOSE_FIELDS
    if kind == _SUBSTRING and not loose:
        kind = 0
    if kind < _ACRONYM and loose and len(query) > 1 and target.acronym.startswith(query):
        kind = _ACRONYM
    if not kind and loose and text:
        # Subsequence, leftmost: every query character in order, anything between.
        first = text.find(query[0])
        last = _is_subsequence(query, text, first)
        if last >= 0:
            gaps = last + 1 - first - len(query)
            kind = _SUBSEQUENCE - min(gaps * _SUBSEQUENCE_GAP_PENALTY, _MAX_GAP_PENALTY)
    return kind + _FIELD_BONUS[target.field] if kind else 0


def _is_subsequence(query: str, text: str, first: int | None = None) -> int:
    """Where the last character of ``query`` lands in ``text`` taking every character at its
    leftmost place after the previous one (``first`` if the first is known); -1 if nowhere."""
    position = text.find(query[0]) if first is None else first
    for ch in query[1:]:
        if position < 0:
            break
        position = text.find(ch, position + 1)
    return position


class CodeMatcher:
    """Ranks the codes of a codebook against what the researcher types.

    Built once per codebook (it computes the pinyin of every label); rebuild it when the
    codebook changes.
    """

    def __init__(self, codebook: Codebook) -> None:
        self.codes: list[Code] = [code for code, _, _ in codebook.walk()]
        self._texts: list[tuple[_Text, ...]] = [self._prepare(code) for code in self.codes]
        # Any match is a subsequence of all the texts run together: a quick way to skip the
        # many codes a query cannot match before scoring each text.
        self._blobs: list[str] = ["\0".join(t.text for t in texts) for texts in self._texts]

    @staticmethod
    def _prepare(code: Code) -> tuple[_Text, ...]:
        words = _tagged_words(code.label)
        # A Latin word inside a Chinese label stays whole among the initials ("App使用" → "appsy").
        initials = [word[0] if han else word for word, han in words]
        label = unicodedata.normalize("NFKC", code.label).lower()
        label_en = code.label_en.lower()
        code_id = code.id.lower()
        return (
            _words_text("label", label),
            _joined("initials", initials),
            _joined("pinyin", (word for word, _ in words)),
            _words_text("id", code_id),
            _words_text("label_en", label_en),
        )

    def match(self, query: str) -> list[Match]:
        """The codes matching ``query``, best first; ties keep codebook order.

        Case is ignored. An empty query gives every code in codebook order with score 0.
        Words separated by spaces must all match (each anywhere); the weakest word's score
        counts.
        """
        terms = unicodedata.normalize("NFKC", query).lower().split()
        if not terms:
            return [Match(code, 0, "") for code in self.codes]
        matches: list[tuple[int, int, Match]] = []
        rows = zip(self.codes, self._texts, self._blobs, strict=True)
        for order, (code, texts, blob) in enumerate(rows):
            score, field = _EXACT * 2, ""
            for term in terms:
                if _is_subsequence(term, blob) < 0:
                    break
                # Field bonuses differ, so two fields never tie on a non-zero score.
                best = max((_score(term, text), text.field) for text in texts)
                if best[0] < score:
                    score, field = best
                    if not score:
                        break
            else:
                matches.append((-score, order, Match(code, score, field)))
        matches.sort(key=lambda m: m[:2])
        return [m for _, _, m in matches]
