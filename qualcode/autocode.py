"""Auto-coding by rules: a codebook's keywords, regular expressions and spaCy token patterns,
compiled once, run over sentences (or speaker turns), stored as *suggested* codings that a
person accepts or rejects. Nothing here guesses negation: 不方便 is a hit for 方便 unless the
codebook says otherwise (e.g. with a token pattern or a regular expression).

Rules as data
    Each code of the codebook may carry ``keywords`` (matched as whole words by default, or
    anywhere with ``match: substring``), ``patterns`` (regular expressions, ``regex`` syntax)
    and ``token_patterns`` (spaCy ``Matcher`` patterns over the segmenter's words). The
    codebook loader validates them; :func:`compile_rules` compiles them once into
    :class:`Rules`, whose :meth:`Rules.find` returns every hit as a :class:`Match`: a span of
    the text given, the code, and the rule that fired (``keyword:宣传``, ``pattern:…``,
    ``tokens:[…]``).

Simplified and traditional script
    Rules see the text converted to simplified script by OpenCC (``t2s``), and keywords are
    converted the same way, so a simplified codebook codes a Taiwanese or Hong Kong transcript
    and a traditional one codes a mainland transcript. Spans are mapped back onto the text as
    given: ``t2s`` keeps the length, and where a conversion changes it (the regional phrase
    configurations do) an offset map widens a hit to whole converted phrases. Regular
    expressions and token patterns are written against simplified text too.

Whole words, in one pass
    All keywords of all codes go into one Aho-Corasick automaton (pyahocorasick): one pass
    over the text finds every occurrence of every keyword. A ``match: word`` hit is kept only
    when it starts and ends on word boundaries of the segmenter (jieba's dictionary plus the
    keywords, which are user words and so stay whole). A short text (a sentence, a message)
    is segmented once, at its first such hit; in a long one only the run around each hit is
    segmented, since jieba cuts each run of Han characters, letters and digits on its own.

Suggestions
    :func:`autocode` stores one suggestion per unit (sentence or turn) and code, its rule text
    naming every rule that fired there. Running it again adds nothing that is already there:
    a unit and code that has a suggestion, a confirmed coding or a rejected suggestion is
    skipped, and a unit that a confirmed coding of the code already touches is not suggested.
    Review with :func:`suggestions`, :func:`accept` and :func:`reject` (by ids, by code, by
    score, by transcript), each one undoable action.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex

from .errors import QualcodeError
from .model import Code, Codebook, Coding
from .progress import SILENT, Progress

if TYPE_CHECKING:
    from .segment import Segmenter
    from .store import Project

__all__ = [
    "AUTO_CODER",
    "UNITS",
    "AutocodeResult",
    "Match",
    "Rules",
    "accept",
    "autocode",
    "compile_rules",
    "reject",
    "select_suggestions",
    "suggestions",
    "to_simplified",
]

AUTO_CODER = "auto"  # the coder suggestions are stored under
UNITS = ("sentence", "turn")
CONVERSION = "t2s"  # OpenCC configuration: traditional (any region) to simplified, per character

# A window around a keyword hit that holds whole jieba blocks: jieba cuts each run of Han
# characters, ASCII letters, digits and +#&._%- on its own, so segmenting the run around a hit
# gives the boundaries segmenting the whole text would. The window may be wider than a run
# (it stops only at whitespace and common punctuation), which changes nothing.
_WINDOW_STOP = r"[\s\p{P}--[.#&_%\-]]"
_STOP_AFTER = regex.compile(_WINDOW_STOP, regex.V1)
_STOP_BEFORE = regex.compile(_WINDOW_STOP, regex.V1 | regex.REVERSE)
_RUNS = regex.compile(r"[^\s\p{P}]+|[\s\p{P}]+")
# Up to this length a text is segmented whole at its first whole-word hit: one call is
# cheaper than one per hit. Longer texts are segmented window by window around the hits.
_SEGMENT_WHOLE = 4000
_END = attrgetter("end")


# --- script conversion ---------------------------------------------------------------------

_converters = threading.local()


def _converter(config: str) -> Any:
    cache = getattr(_converters, "by_config", None)
    if cache is None:
        cache = _converters.by_config = {}
    if config not in cache:
        import opencc

        cache[config] = opencc.OpenCC(config)
    return cache[config]


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Where positions of a converted text fall in the original, when conversion changed
    lengths: ``starts[j]`` for a span starting at converted position ``j``, ``ends[j]`` for
    one ending there (a span inside a converted phrase widens to the whole phrase)."""

    starts: list[int]
    ends: list[int]


def to_simplified(text: str, config: str = CONVERSION) -> tuple[str, OffsetMap | None]:
    """``text`` in simplified script and the map of its positions back onto ``text`` (None
    when conversion kept every position, as ``t2s`` does)."""
    converted = _converter(config).convert(text)
    if len(converted) == len(text):
        return converted, None
    # A phrase changed length somewhere: convert run by run (a phrase never crosses
    # whitespace or punctuation) and split each run that changed into its converted phrases.
    convert = _converter(config).convert
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = [0]
    offset = 0
    for piece in _RUNS.finditer(text):
        original = piece.group()
        new = convert(original)
        parts.append(new)
        if len(new) == len(original):
            starts.extend(range(offset, offset + len(new)))
            ends.extend(range(offset + 1, offset + len(new) + 1))
        else:
            for a0, a1, b0, b1 in _phrases(original, new, convert):
                if a1 - a0 == b1 - b0:
                    starts.extend(range(offset + a0, offset + a1))
                    ends.extend(range(offset + a0 + 1, offset + a1 + 1))
                else:  # a phrase that changed length: a span touching it covers all of it
                    starts.extend([offset + a0] * (b1 - b0))
                    ends.extend([offset + a1] * (b1 - b0))
        offset += len(original)
    starts.append(offset)
    return "".join(parts), OffsetMap(starts, ends)


def _phrases(original: str, new: str, convert: Any) -> list[tuple[int, int, int, int]]:
    """``original`` cut into its shortest pieces that convert on their own to consecutive
    pieces of ``new`` (its conversion), as ``(start, end, new start, new end)``: single
    characters where conversion is per character, whole phrases where it is not."""
    pieces = []
    i = j = 0
    while i < len(original):
        for k in range(i + 1, len(original) + 1):
            head = convert(original[i:k])
            if new.startswith(head, j) and convert(original[k:]) == new[j + len(head) :]:
                break
        else:  # pragma: no cover - the whole rest is always consistent
            k, head = len(original), new[j:]
        pieces.append((i, k, j, j + len(head)))
        i, j = k, j + len(head)
    return pieces


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """One hit of one rule: ``[start, end)`` of the text given to :meth:`Rules.find`."""

    start: int
    end: int
    code_id: str
    rule: str  # "keyword:宣传", "pattern:宣传.{0,4}不够", 'tokens:[{"LOWER":"不"},…]'


@dataclass(frozen=True, slots=True)
class _Keyword:
    code: int  # index into Rules.code_ids
    rule: str
    length: int  # of the simplified keyword
    whole_word: bool


class Rules:
    """A codebook's auto-coding rules, compiled. Build with :func:`compile_rules`.

    Picklable (it is rebuilt from the codebook where it is unpickled), so worker processes
    and Dask workers get their own compiled copy.
    """

    def __init__(
        self,
        codebook: Codebook,
        codes: Sequence[str] | None = None,
        user_dict: str | Path | None = None,
        conversion: str | None = CONVERSION,
    ):
        import ahocorasick

        from .segment import Segmenter

        self._args = (
            codebook,
            tuple(codes) if codes is not None else None,
            str(user_dict) if user_dict is not None else None,
            conversion,
        )
        self.conversion = conversion
        chosen = _chosen_codes(codebook, codes)
        self.code_ids: list[str] = []
        keywords: dict[str, list[_Keyword]] = {}
        self._patterns: list[tuple[int, str, regex.Pattern]] = []
        token_patterns: list[tuple[int, str, list[dict]]] = []
        for code in chosen:
            if not (code.keywords or code.patterns or code.token_patterns):
                continue
            index = len(self.code_ids)
            self.code_ids.append(code.id)
            for keyword in dict.fromkeys(code.keywords):
                key = self._convert(keyword.strip())
                if key:
                    keywords.setdefault(key, []).append(
                        _Keyword(index, f"keyword:{keyword}", len(key), code.match != "substring")
                    )
            for pattern in code.patterns:
                self._patterns.append((index, f"pattern:{pattern}", regex.compile(pattern)))
            for pattern in code.token_patterns:
                rule = "tokens:" + json.dumps(pattern, ensure_ascii=False, separators=(",", ":"))
                token_patterns.append((index, rule, pattern))
        self._automaton = ahocorasick.Automaton() if keywords else None
        if self._automaton is not None:
            for key, entries in keywords.items():
                self._automaton.add_word(key, tuple(entries))
            self._automaton.make_automaton()
        # Whole-word matching needs the segmenter to keep every keyword whole, in the script
        # it sees them in.
        every_keyword = codebook.keywords()
        self.segmenter: Segmenter = Segmenter(
            user_words=[*keywords, *every_keyword, *map(self._convert, every_keyword)],
            user_dict=Path(user_dict) if user_dict is not None else None,
        )
        self._matcher = None
        self._token_rules: dict[str, tuple[int, str]] = {}
        # Building a spaCy Doc costs far more than the rest: a text is tokenised only when
        # some pattern's required words all occur in it.
        self._token_filters = [_required_words(pattern) for _, _, pattern in token_patterns]
        if token_patterns:
            from spacy.matcher import Matcher

            from .codebook import spacy_token_pattern_problem

            nlp = self.segmenter.nlp()
            self._matcher = Matcher(nlp.vocab)
            for number, (index, rule, pattern) in enumerate(token_patterns):
                key = f"qualcode-{number}"
                # Loading a codebook checks patterns without spaCy; here spaCy checks them all.
                if problem := spacy_token_pattern_problem(pattern):
                    raise QualcodeError(
                        f"code '{self.code_ids[index]}': token pattern {rule[7:]}: {problem[1]}"
                    )
                try:
                    self._matcher.add(key, [pattern])
                except Exception as error:  # noqa: BLE001 - spaCy raises several types
                    raise QualcodeError(
                        f"code '{self.code_ids[index]}': spaCy cannot use "
                        f"token pattern {rule[7:]}: {error}"
                    ) from None
                self._token_rules[key] = (index, rule)

    def __reduce__(self) -> tuple:
        return (Rules, self._args)

    def __bool__(self) -> bool:
        return bool(self.code_ids)

    def _convert(self, text: str) -> str:
        return _converter(self.conversion).convert(text) if self.conversion else text

    def find(self, text: str) -> list[Match]:
        """Every hit of every rule in ``text``, by position; spans are into ``text`` as
        given (whatever its script)."""
        return [
            Match(start, end, self.code_ids[code], rule)
            for start, end, code, rule in self._hits(text)
        ]

    def codes(self, text: str) -> dict[str, list[str]]:
        """Code id -> the rules that fired in ``text`` (each once, in order of position),
        for the codes with at least one hit."""
        fired: dict[int, dict[str, None]] = {}
        for _, _, code, rule in self._hits(text):
            fired.setdefault(code, {})[rule] = None
        return {self.code_ids[code]: list(rules) for code, rules in sorted(fired.items())}

    def code_indices(self, text: str) -> list[int]:
        """Indices into :attr:`code_ids` of the codes with a hit in ``text``, ascending: the
        per-document work of the batch path."""
        return sorted({code for _, _, code, _ in self._hits(text)})

    def _hits(self, text: str) -> list[tuple[int, int, int, str]]:
        if self.conversion:
            simplified, offsets = to_simplified(text, self.conversion)
        else:
            simplified, offsets = text, None
        hits: list[tuple[int, int, int, str]] = []
        if self._automaton is not None:
            words: set[int] | None = None  # word boundaries of a short text
            windows: dict[int, set[int]] = {}  # of a long one: window start -> boundaries
            for last, entries in self._automaton.iter(simplified):
                for entry in entries:
                    start, end = last + 1 - entry.length, last + 1
                    if entry.whole_word:
                        if len(simplified) > _SEGMENT_WHOLE:
                            if not self._whole_word(simplified, start, end, windows):
                                continue
                        else:
                            if words is None:
                                words = {0, *map(_END, self.segmenter.words(simplified))}
                            if start not in words or end not in words:
                                continue
                    hits.append((start, end, entry.code, entry.rule))
        for code, rule, pattern in self._patterns:
            hits.extend(
                (m.start(), m.end(), code, rule)
                for m in pattern.finditer(simplified)
                if m.end() > m.start()
            )
        if self._matcher is not None and self._may_match_tokens(simplified):
            doc = self.segmenter.nlp()(simplified)
            for key, first, last in self._matcher(doc):
                code, rule = self._token_rules[doc.vocab.strings[key]]
                span = doc[first:last]
                if span.end_char > span.start_char:
                    hits.append((span.start_char, span.end_char, code, rule))
        if offsets is not None:
            hits = [
                (offsets.starts[s], offsets.ends[e], c, r)
                for s, e, c, r in hits
                if offsets.ends[e] > offsets.starts[s]
            ]
        hits.sort()
        return hits

    def _may_match_tokens(self, text: str) -> bool:
        lower = text.lower()
        return any(
            all(
                any(word in (lower if folded else text) for word in words)
                for folded, words in required
            )
            for required in self._token_filters
        )

    def _whole_word(self, text: str, start: int, end: int, boundaries: dict[int, set[int]]) -> bool:
        """Whether ``[start, end)`` starts and ends on word boundaries of ``text``."""
        before = _STOP_BEFORE.search(text, 0, start)
        low = before.end() if before else 0
        after = _STOP_AFTER.search(text, end)
        high = after.start() if after else len(text)
        found = boundaries.get(low)
        if found is None or max(found) < high:
            found = {low, *(low + span.end for span in self.segmenter.words(text[low:high]))}
            boundaries[low] = found
        return start in found and end in found


def _required_words(pattern: list[dict[str, Any]]) -> list[tuple[bool, tuple[str, ...]]]:
    """For each token a spaCy pattern cannot do without (no OP, or OP '+') that names its
    words (ORTH, TEXT or LOWER: a text or IN a list): ``(lowercase?, the words)``. A text
    holding none of one token's words cannot match the pattern."""
    required = []
    for token in pattern:
        if token.get("OP", "") not in ("", "+"):
            continue
        for attribute, folded in (("ORTH", False), ("TEXT", False), ("LOWER", True)):
            value = token.get(attribute)
            if isinstance(value, dict) and set(value) == {"IN"}:
                value = value["IN"]
            words = [value] if isinstance(value, str) else value
            if isinstance(words, list) and words and all(isinstance(w, str) for w in words):
                required.append((folded, tuple(w.lower() if folded else w for w in words)))
                break
    return required


def _chosen_codes(codebook: Codebook, codes: Sequence[str] | None) -> list[Code]:
    """The codes named (all when None), in codebook order; an unknown id is an error."""
    by_id = codebook.by_id()
    if codes is None:
        return list(by_id.values())
    from .codebook import find_code

    wanted = {find_code(codebook, code_id).id for code_id in codes}
    return [code for code_id, code in by_id.items() if code_id in wanted]


def compile_rules(
    codebook: Codebook,
    codes: Sequence[str] | None = None,
    *,
    user_dict: str | Path | None = None,
    conversion: str | None = CONVERSION,
) -> Rules:
    """The auto-coding rules of ``codebook`` (of ``codes`` only, by id, when given), compiled:
    one automaton for all keywords, each regular expression and token pattern compiled once,
    a segmenter that keeps the keywords whole (plus ``user_dict``, jieba's format).
    ``conversion`` is the OpenCC configuration rules see text through (None: as written).

    Raises :class:`~qualcode.errors.CodebookError` for an unknown code id."""
    return Rules(codebook, codes, user_dict, conversion)


# --- suggestions in a project --------------------------------------------------------------


@dataclass(slots=True)
class AutocodeResult:
    """What :func:`autocode` (or :func:`qualcode.learn.suggest`) found and stored."""

    unit: str
    code_ids: list[str]  # the codes that had rules (or classifiers), in codebook order
    matched: dict[str, int] = field(default_factory=dict)  # units with a hit, per code
    added: dict[str, int] = field(default_factory=dict)  # new suggestions, per code
    suggestions: list[tuple[str, int, int, str, str, float | None]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total_added(self) -> int:
        return sum(self.added.values())

    @property
    def total_matched(self) -> int:
        return sum(self.matched.values())

    def rows(self, labels: dict[str, str]) -> list[tuple[str, str, int, int]]:
        """``(code_id, code, matched, new)`` per code, in codebook order."""
        return [
            (
                code_id,
                labels.get(code_id, ""),
                self.matched.get(code_id, 0),
                self.added.get(code_id, 0),
            )
            for code_id in self.code_ids
        ]


def unit_spans(
    project: Project, unit: str = "sentence", speaker_roles: Sequence[str] | None = None
) -> dict[str, list[tuple[int, int]]]:
    """Transcript name -> its units' ``[start, end)`` in text order: sentences, or speaker
    turns' bodies (after the label) trimmed of surrounding whitespace; with
    ``speaker_roles``, only the units of speakers with these roles
    (:func:`qualcode.roles.allowed_spans`)."""
    from .roles import allowed_spans, check_roles, overlaps

    if unit not in UNITS:
        raise QualcodeError(f"unknown unit {unit!r}; use sentence or turn")
    roles = check_roles(speaker_roles)
    allowed = allowed_spans(project, roles) if roles is not None else None
    texts = project.transcript_texts() if unit == "turn" else {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for name, _, start, end, _ in project.unit_rows(unit):
        if unit == "turn":
            body = texts[name][start:end]
            start, end = (
                start + len(body) - len(body.lstrip()),
                end - len(body) + len(body.rstrip()),
            )
        if start < end and (allowed is None or overlaps(allowed.get(name, []), start, end)):
            spans.setdefault(name, []).append((start, end))
    return spans


def coded_units(
    project: Project,
    spans: dict[str, list[tuple[int, int]]],
    statuses: Sequence[str] = ("confirmed",),
) -> dict[tuple[str, int], set[str]]:
    """``(transcript, unit index) -> code ids`` of codings with one of ``statuses`` that
    touch the unit by a character or more."""
    touched: dict[tuple[str, int], set[str]] = {}
    starts = {name: [s for s, _ in units] for name, units in spans.items()}
    for name, start, end, code_id, _ in project.coding_rows(statuses=statuses):
        units = spans.get(name)
        if not units:
            continue
        i = max(bisect_left(starts[name], start) - 1, 0)
        while i < len(units) and units[i][0] < end:
            if units[i][1] > start:
                touched.setdefault((name, i), set()).add(code_id)
            i += 1
    return touched


def store_suggestions(
    project: Project,
    result: AutocodeResult,
    found: Iterable[tuple[str, int, int, str, str, float | None]],
    coder: str,
) -> AutocodeResult:
    """Count ``found`` per code as matched, store the new ones (or, for a dry run, count
    them), and fill in ``result``."""
    found = list(found)
    for suggestion in found:
        result.matched[suggestion[3]] = result.matched.get(suggestion[3], 0) + 1
    result.suggestions = project.add_suggestions(found, coder, dry_run=result.dry_run)
    for suggestion in result.suggestions:
        result.added[suggestion[3]] = result.added.get(suggestion[3], 0) + 1
    return result


def autocode(
    project: Project,
    codes: Sequence[str] | None = None,
    *,
    unit: str = "sentence",
    dry_run: bool = False,
    coder: str = AUTO_CODER,
    speaker_roles: Sequence[str] | None = None,
    progress: Progress = SILENT,
) -> AutocodeResult:
    """Run the codebook's rules (of ``codes`` only, when given) over every sentence (or turn)
    of every transcript and store one suggestion per unit and code that a rule hit, as
    ``coder``'s ``suggested`` coding with the rules that fired.

    Units a confirmed coding of the code already touches are left out; a unit and code that
    already has a suggestion, a confirmed coding or a rejected suggestion on that exact span
    is matched but not stored again. With ``dry_run`` nothing is written. ``speaker_roles``:
    only the units of speakers with these roles (e.g. not the interviewer's questions).
    ``progress`` counts the units matched, naming each transcript when it is done. Raises
    :class:`~qualcode.errors.QualcodeError` when no chosen code has any rule."""
    codebook = project.codebook()
    rules = compile_rules(codebook, codes, user_dict=project.user_dict_path())
    if not rules:
        raise QualcodeError(
            "no code has keywords, patterns or token_patterns to auto-code with; add some to "
            "the codebook (e.g. keywords: [宣传, 推广]) and import it again"
        )
    spans = unit_spans(project, unit, speaker_roles)
    coded = coded_units(project, spans)
    texts = project.transcript_texts()
    found = []
    progress.start("auto-coding", sum(map(len, spans.values())))
    for name, units in spans.items():
        text = texts[name]
        for index, (start, end) in enumerate(units):
            fired = rules.codes(text[start:end])
            if not fired:
                continue
            already = coded.get((name, index), ())
            found += [
                (name, start, end, code_id, "; ".join(rule_texts), None)
                for code_id, rule_texts in fired.items()
                if code_id not in already
            ]
        progress.advance(len(units), done=name)
    result = AutocodeResult(unit, rules.code_ids, dry_run=dry_run)
    return store_suggestions(project, result, found, coder)


# --- review --------------------------------------------------------------------------------


def suggestions(
    project: Project,
    *,
    transcript: str | None = None,
    code_id: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
) -> list[Coding]:
    """Suggested codings waiting for review, in transcript and text order, with their rule
    and score; filters combine. ``min_score``/``max_score`` keep scored (learned) suggestions
    with ``min_score <= score < max_score``; rule suggestions have no score."""
    if code_id is not None:
        project.require_code(code_id)
    found = project.codings(transcript, code_id=code_id, status="suggested")
    if min_score is not None:
        found = [c for c in found if c.score is not None and c.score >= min_score]
    if max_score is not None:
        found = [c for c in found if c.score is not None and c.score < max_score]
    return found


def select_suggestions(
    project: Project,
    ids: Iterable[int] = (),
    *,
    transcript: str | None = None,
    code_id: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    everything: bool = False,
) -> list[Coding]:
    """The suggestions a review action applies to: those with ``ids``, or those the filters
    select. Raises :class:`~qualcode.errors.QualcodeError` for an id that is not a suggestion
    waiting for review, and when nothing at all is named (no ids, no filter, not
    ``everything``), so a bare command never accepts or rejects every suggestion by accident.
    """
    ids = list(dict.fromkeys(ids))
    filtered = any(v is not None for v in (transcript, code_id, min_score, max_score))
    if not ids and not filtered and not everything:
        raise QualcodeError(
            "name the suggestions: give their ids, or select them with a "
            "code, a transcript or a score (or all of them with --all)"
        )
    pending = suggestions(
        project, transcript=transcript, code_id=code_id, min_score=min_score, max_score=max_score
    )
    if not ids:
        return pending
    by_id = {c.id: c for c in pending}
    chosen = []
    for coding_id in ids:
        if coding_id not in by_id:
            coding = project.coding(coding_id)  # raises for an unknown id
            why = (
                f"it is {coding.status}"
                if coding.status != "suggested"
                else "the filters leave it out"
            )
            raise QualcodeError(
                f"coding {coding_id} is not a suggestion to review ({why}); "
                "list them with: qualcode suggestions PROJECT"
            )
        chosen.append(by_id[coding_id])
    return chosen


def accept(
    project: Project, ids: Iterable[int] = (), *, coder: str | None = None, **filters: Any
) -> list[Coding]:
    """Accept suggestions (by ``ids`` or filters, as :func:`select_suggestions`): they
    become confirmed codings, ``coder``'s when given (the person who decided; otherwise they
    stay under the auto coder), keeping the rule that suggested them. One undoable action.
    Returns the suggestions as they were."""
    chosen = select_suggestions(project, ids, **filters)
    project.set_codings_status([c.id for c in chosen], "confirmed", coder=coder)
    return chosen


def reject(
    project: Project, ids: Iterable[int] = (), *, coder: str | None = None, **filters: Any
) -> list[Coding]:
    """Reject suggestions (by ``ids`` or filters, as :func:`select_suggestions`). A rejected
    suggestion stays in the project so auto-coding never suggests it again. One undoable
    action, in ``coder``'s undo history when given (the person who decided). Returns the
    suggestions as they were."""
    chosen = select_suggestions(project, ids, **filters)
    project.set_codings_status([c.id for c in chosen], "rejected", coder=coder)
    return chosen
